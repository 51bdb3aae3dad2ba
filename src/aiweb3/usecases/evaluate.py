"""Write a use case's accuracy table: ``python -m aiweb3.usecases.evaluate NAME [HOME]``.

``NAME`` ``split`` evaluates the split pipeline (``split_accuracy.json``: the preprocessing
circuit's features fed to the operator's circuit, versus both float models). Otherwise:
compiles the use case's salted model (in ``HOME``, default a temporary directory), runs the
float ONNX model (onnxruntime) and the circuit (ezkl's witness, no proof) on the whole held-out
split, and writes ``examples/private/NAME_accuracy.json`` (atomically). The tests recompute it.
For the identity code model the table is the code agreement and Hamming statistics
(:func:`aiweb3.usecases.identity.evaluate_codes`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from aiweb3.files import atomic_write_text
from aiweb3.usecases import compile_usecase, evaluate, evaluate_codes, get
from aiweb3.usecases.split import SPLIT, SplitFiles, compile_operator, compile_pre, evaluate_split


def main(argv: list[str]) -> None:
    """Evaluate one use case and write its table."""
    if argv[0] == SPLIT:
        _split(argv[1:])
        return
    case = get(argv[0])
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(argv[1]) if len(argv) > 1 else Path(tmp)
        model = compile_usecase(case, home)
        table = evaluate_codes(case, model) if case.kind == "code" else evaluate(case, model).to_json()
    atomic_write_text(case.accuracy_path, json.dumps(table, indent=1) + "\n")
    print(json.dumps(table))


def _split(argv: list[str]) -> None:
    """The split pipeline's table: float pre -> operator versus the two circuits chained."""
    files = SplitFiles()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(argv[0]) if argv else Path(tmp)
        acc = evaluate_split(compile_pre(home, files=files), compile_operator(home, files=files), files=files)
    atomic_write_text(files.accuracy_path, json.dumps(acc.to_json(), indent=1) + "\n")
    print(json.dumps(acc.to_json()))


if __name__ == "__main__":
    main(sys.argv[1:])
