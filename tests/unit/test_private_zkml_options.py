"""The zkml options split inference added: validated, and invisible in the cache key when default."""

from __future__ import annotations

import pytest

from aiweb3.errors import InputError
from aiweb3.zkml import CompileOptions, outputs_hash


def test_default_options_keep_the_old_cache_key() -> None:
    assert CompileOptions().cache_options() == {
        "input_visibility": "private",
        "decomp_base": 1024,
        "decomp_legs": 3,
        "max_logrows": 17,
    }
    hashed = CompileOptions(output_visibility="hashed", scales=(7,)).cache_options()
    assert hashed["output_visibility"] == "hashed" and hashed["scales"] == [7]


def test_bad_output_visibility_refused() -> None:
    with pytest.raises(InputError, match="output visibility"):
        CompileOptions(output_visibility="public-ish")  # type: ignore[arg-type]


def test_outputs_hash_skips_the_input_commitment() -> None:
    assert outputs_hash([5, 1, 2], 1) == outputs_hash([1, 2], 0) != outputs_hash([5, 1, 2], 0)
