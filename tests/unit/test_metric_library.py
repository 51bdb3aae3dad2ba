"""The saved-metric library: names, atomic writes, views installed when the index opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.errors import InputError
from aiweb3.indexer import IndexStore
from aiweb3.indexer.metric_library import MetricLibrary, SavedMetric, all_metrics, metric_name


def _metric(name: str = "blocks_so_far", plan: dict[str, object] | None = None) -> SavedMetric:
    return SavedMetric(name, "blocks so far", "SELECT count(*) AS n FROM blocks", "number of blocks",
                       plan if plan is not None else {"measure": "count"}, ["n"])  # fmt: skip


def test_names_from_descriptions() -> None:
    assert metric_name("Weekly unique payers of TaskEscrow!") == "weekly_unique_payers_of_taskescrow"
    assert metric_name("7-day AIUSD volume") == "m_7_day_aiusd_volume"


def test_save_is_atomic_and_refuses_taken_or_reserved_names(tmp_path: Path) -> None:
    library = MetricLibrary(tmp_path / "metrics")
    path = library.save(_metric())
    assert path.exists() and library.get("blocks_so_far") == _metric()
    with pytest.raises(InputError, match="exists"):
        library.save(_metric())
    library.save(_metric(), replace=True)
    for reserved in ("daily_gas", "blocks", "Bad-Name"):
        with pytest.raises(InputError):
            library.save(_metric(reserved))
    with pytest.raises(TypeError):  # a write that fails half way leaves nothing behind
        library.save(_metric("broken", {"x": object()}))
    assert not (tmp_path / "metrics" / "broken.json").exists()
    assert sorted(p.name for p in (tmp_path / "metrics").iterdir()) == ["blocks_so_far.json"]
    assert "blocks_so_far" in {m.name for m in all_metrics(library)}


def test_saved_metrics_become_views_when_the_index_opens(tmp_path: Path) -> None:
    db = tmp_path / "index" / "index.duckdb"
    with IndexStore(db):
        pass
    MetricLibrary.beside(db).save(_metric())
    with IndexStore(db) as store:
        assert store.con.execute("SELECT n FROM blocks_so_far").fetchall() == [(0,)]
