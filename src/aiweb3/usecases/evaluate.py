"""Write a use case's accuracy table: ``python -m aiweb3.usecases.evaluate NAME [HOME]``.

Compiles the use case's salted model (in ``HOME``, default a temporary directory), runs the
float ONNX model (onnxruntime) and the circuit (ezkl's witness, no proof) on the whole held-out
split, and writes ``examples/private/NAME_accuracy.json`` (atomically). The tests recompute it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from aiweb3.files import atomic_write_text
from aiweb3.usecases import compile_usecase, evaluate, get


def main(argv: list[str]) -> None:
    """Evaluate one use case and write its table."""
    case = get(argv[0])
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(argv[1]) if len(argv) > 1 else Path(tmp)
        acc = evaluate(case, compile_usecase(case, home))
    atomic_write_text(case.accuracy_path, json.dumps(acc.to_json(), indent=1) + "\n")
    print(json.dumps(acc.to_json()))


if __name__ == "__main__":
    main(sys.argv[1:])
