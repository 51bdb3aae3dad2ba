"""Shared test settings; the aiweb3 pytest plugin (aiweb3.testing) provides the chain fixtures."""
