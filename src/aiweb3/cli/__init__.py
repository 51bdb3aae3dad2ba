"""The ``aiweb3`` command line (Typer): thin commands that call features and render results."""
