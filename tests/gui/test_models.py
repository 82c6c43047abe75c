"""Table models: qtmodeltester, inserts and trimming, filtering, registry edit validation."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.helpers import record, row, small_registry
from routerdesk.core.types import Hop
from routerdesk.gui.models.registry_model import COLUMNS as REG_COLUMNS
from routerdesk.gui.models.registry_model import RegistryModel
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.models.requests_model import RequestsFilter, RequestsModel, column
from routerdesk.gui.models.usage_stats import UsageSeries

pytestmark = pytest.mark.gui


def test_requests_model_passes_modeltester(qtmodeltester: Any) -> None:
    model = RequestsModel(max_rows=10)
    model.add_records([row(), row(status="error")])
    qtmodeltester.check(model)
    model.add_records([row() for _ in range(15)])
    assert model.rowCount() == 10
    qtmodeltester.check(model)


def test_requests_newest_first_and_filter() -> None:
    model = RequestsModel()
    model.add_records([row(model="cheap", t=1.0), row(model="top", t=2.0, status="error")])
    assert model.record(0).model_id == "top"
    proxy = RequestsFilter()
    proxy.setSourceModel(model)
    proxy.set_search("cheap")
    assert proxy.rowCount() == 1
    proxy.set_search("")
    proxy.set_status("error")
    assert proxy.rowCount() == 1
    assert proxy.index(0, column("Model")).data() == "top"


def test_requests_filter_passes_modeltester(qtmodeltester: Any) -> None:
    model = RequestsModel()
    model.add_records([row() for _ in range(5)])
    proxy = RequestsFilter()
    proxy.setSourceModel(model)
    proxy.sort(10, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_registry_model_passes_modeltester(qtmodeltester: Any) -> None:
    qtmodeltester.check(RegistryModel(small_registry()))


def _col(name: str) -> int:
    return next(i for i, c in enumerate(REG_COLUMNS) if c[0] == name)


def test_registry_edit_validates(qtbot: Any) -> None:
    model = RegistryModel(small_registry())
    rejected: list[str] = []
    model.edit_rejected.connect(rejected.append)
    price = model.index(0, _col("In $/M"))
    with qtbot.wait_signal(model.registry_edited) as blocker:
        assert model.setData(price, "0.25")
    assert blocker.args[0]["cheap"].prices.input == 0.25
    assert model.dirty
    assert not model.setData(price, "-1")
    assert "greater than or equal to 0" in rejected[-1]
    assert not model.setData(model.index(0, _col("Provider")), "nope")
    assert "unknown provider" in rejected[-1]
    assert not model.setData(model.index(0, _col("Id")), "mid")
    assert "already used" in rejected[-1]
    assert not model.setData(model.index(0, _col("Context")), "lots")
    assert "not a number" in rejected[-1]
    assert model.registry()["cheap"].prices.input == 0.25


def test_registry_enable_add_duplicate_delete() -> None:
    model = RegistryModel(small_registry())
    assert model.setData(
        model.index(1, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert not model.registry()["mid"].enabled
    row = model.duplicate(0)
    assert model.spec(row).id == "cheap-2"
    new = model.add()
    assert not model.spec(new).enabled
    model.remove([row, new])
    assert [m.id for m in model.registry()] == ["cheap", "mid", "top"]


def test_usage_series_window() -> None:
    series = UsageSeries(capacity=2)
    series.extend([row(model="cheap", t=100.0), row(model="top", t=200.0, cost=0.01)])
    series.extend([row(model="cheap", t=300.0, status="error")])
    w = series.window()
    assert w.summary.requests == 3 and w.summary.errors == 1
    assert w.by_model[0] == ("cheap", 2)
    assert w.cum_spend[-1] == pytest.approx(0.012)
    assert w.summary.savings_pct == pytest.approx(90.0)
    assert series.summary(since=250.0).requests == 1
    assert len(w.lat_t) >= 2


def test_classifier_rows_count_as_spend_not_requests() -> None:
    series = UsageSeries()
    series.extend([row(t=1.0, cost=0.01), row(task="l2", t=2.0, cost=0.002)])
    w = series.window()
    assert w.summary.requests == 1
    assert w.summary.spend == pytest.approx(0.012)
    assert [name for name, _ in w.by_task] == ["simple_qa"]
    assert w.cum_spend[-1] == pytest.approx(0.012)


def test_second_launch_activates_the_first(qtbot: Any) -> None:
    from routerdesk.gui.single_instance import SingleInstance

    first = SingleInstance("routerdesk-test-instance")
    assert first.claim()
    try:
        with qtbot.wait_signal(first.activated, timeout=3000):
            assert not SingleInstance("routerdesk-test-instance").claim()
    finally:
        first.release()


def test_detail_explains_hops_and_candidates() -> None:
    from routerdesk.gui.pages.request_detail import explain

    r = record()
    r.hops = [Hop("top", "google", 503, "overloaded", 12.0)]
    html = explain(RequestRow(r))
    assert "Fallback hops" in html and "overloaded" in html and "over budget" in html
    assert "score 4, cheapest" in html and "Fallback order: mid" in html


def test_request_row_keeps_what_the_views_show() -> None:
    r = record(model="top", status="error")
    r.hops = [Hop("cheap", "openai", 429, "rate limited", 7.0)]
    kept = RequestRow(r)
    assert kept.candidates() == r.decision.candidates if r.decision else False
    assert kept.hops == (("cheap", "openai", 429, "rate limited", 7.0),)
    assert kept.signals == ("short prompt", "question mark")
    assert (kept.model_id, kept.status, kept.status_code, kept.error) == (
        "top",
        "error",
        502,
        "upstream failed",
    )
    assert kept.tokens == 150 and kept.savings == pytest.approx(r.savings)


def test_request_row_is_one_object_for_the_cyclic_gc() -> None:
    """Thousands of held rows must not cost the GC (which runs on the loop serving HTTP)
    more than one object each: their sequences are exact tuples of plain values."""
    kept = RequestRow(record())
    gc.collect()
    parts = [kept.hops, kept.signals, kept.notes, kept.fallbacks, kept._candidates]
    assert kept.candidate_count == 2
    assert [gc.is_tracked(p) for p in parts] == [False] * len(parts)
    referents = [v for v in gc.get_referents(kept) if v is not RequestRow]
    assert len(referents) == len(RequestRow.__slots__)
    assert [v for v in referents if gc.is_tracked(v)] == []
