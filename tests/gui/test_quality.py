"""Quality audits in the window: the dashboard tile and chart, the Requests detail, the Settings
group, and registry suggestions with Accept / Dismiss (over the fake backend)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

from gui.fake_backend import FakeBackend
from gui.helpers import record
from routerdesk.core.audit import AuditResult
from routerdesk.core.events import REQUEST_FINISHED
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.main_window import DEFAULT_SIZE, MIN_SIZE, MainWindow

pytestmark = pytest.mark.gui
Run = Callable[[Awaitable[Any]], Any]


def audit(i: int, model: str, task: str, verdict: str | None, **kw: Any) -> AuditResult:
    values: dict[str, Any] = {
        "request_id": f"a-{i}", "started_at": time.time() - 60, "demo": False, "task": task,
        "routed_model": model, "baseline_model": "top", "judge_model": "mid", "verdict": verdict,
        "first": verdict, "second": verdict, "reason": "Both are correct.",
        "routed_answer": "routed text", "baseline_answer": "baseline text", "cost": 0.002,
    }  # fmt: skip
    values.update(kw)
    return AuditResult(**values)


def seeded(**settings: Any) -> FakeBackend:
    backend = FakeBackend()
    backend.settings.audit.enabled = True
    backend.audits = (
        [audit(i, "cheap", "code_generation", "worse") for i in range(7)]
        + [audit(100 + i, "cheap", "code_generation", "as_good") for i in range(13)]
        + [audit(200 + i, "mid", "simple_qa", "as_good") for i in range(87)]
        + [audit(300 + i, "mid", "translation", "better") for i in range(13)]
    )
    return backend


def window(qtbot: Any, backend: FakeBackend) -> MainWindow:
    win = MainWindow(backend, EngineBridge(backend.events, interval_ms=10), hide_on_close=False)
    qtbot.addWidget(win)
    win.show()
    return win


def test_quality_tile_shows_share_interval_and_count_with_a_breakdown(qtbot: Any, run: Run) -> None:
    win = window(qtbot, seeded())
    run(win.quality._load())
    tile = win.quality.tile
    assert tile.value() == "94%"
    assert tile._sub.text().startswith("88–97%, 120 audits · $0.24")  # audit cost, apart
    assert win.dashboard.tiles["savings"].parent() is tile.parent()  # beside savings
    chart = win.quality.chart
    assert chart is not None and not win.quality._chart_slot.isHidden()
    assert chart.labels("task") == ["simple_qa (87)", "code_generation (20)", "translation (13)"]
    assert chart.labels("model") == ["mid (100)", "cheap (20)"]


def rect_in(win: MainWindow, w: QWidget) -> QRect:
    return QRect(w.mapTo(win, w.rect().topLeft()), w.size())


@pytest.mark.parametrize("size", [DEFAULT_SIZE, MIN_SIZE], ids=["1280x800", "minimum"])
def test_breakdown_sits_beside_the_traffic_charts_or_under_them_and_fits(
    qtbot: Any, run: Run, size: QSize
) -> None:
    backend = seeded()
    backend.keys["openai"] = "sk-test"  # routable: the dashboard, not the welcome panel
    win = window(qtbot, backend)
    win.resize(size)
    qtbot.waitExposed(win)
    run(win.quality._load())
    win.dashboard.redraw_now()  # the traffic charts exist
    qtbot.wait(50)
    slot, charts = win.quality._chart_slot, win.dashboard._charts_area
    quality, traffic, page = rect_in(win, slot), rect_in(win, charts), rect_in(win, win.dashboard)
    assert page.contains(quality) and page.contains(traffic)  # nothing cut off at the edge
    assert not win.dashboard.showing_welcome()
    assert quality.top() > rect_in(win, win.quality.tile).bottom()  # the tiles stay on top
    if size == DEFAULT_SIZE:  # beside: the traffic charts keep their height
        assert quality.left() > traffic.right() and traffic.height() > 400
    else:  # under: three columns of plots would clip their labels
        assert quality.top() > traffic.bottom()
    chart = win.quality.chart
    assert chart is not None and chart.width() >= chart.minimumWidth()


def test_quality_tile_without_audits_says_whether_they_are_on(qtbot: Any, run: Run) -> None:
    backend = FakeBackend()
    win = window(qtbot, backend)
    run(win.quality._load())
    assert (win.quality.tile.value(), win.quality.tile._sub.text()) == ("–", "audits off")
    assert win.quality._chart_slot.isHidden()
    backend.settings.audit.enabled = True
    run(win.quality._load())
    assert win.quality.tile._sub.text() == "no audits yet"


def test_demo_audits_are_labelled_and_kept_apart(qtbot: Any, run: Run) -> None:
    backend = seeded()
    backend.audits.append(audit(999, "cheap", "simple_qa", "worse", demo=True))
    backend.settings.demo = True
    win = window(qtbot, backend)
    run(win.quality._load())
    assert win.quality.tile.value() == "0%"
    assert win.quality.tile._sub.text().endswith("1 audit · $0.002 simulated")


def test_audit_calls_stay_off_the_dashboard_but_on_the_requests_page(qtbot: Any) -> None:
    backend = seeded()
    win = window(qtbot, backend)
    routed = record(cost=0.01)
    call = record(task="audit", cost=0.5)
    call.request_id = routed.request_id + ".audit-baseline"
    for r in (routed, call):
        backend.events.publish(REQUEST_FINISHED, r)
    win.bridge.flush()
    win.dashboard.redraw_now()
    assert win.dashboard.tiles["requests"].value() == "1"
    assert win.dashboard.tiles["spend"].value() == "$0.0100"
    win.show_page(1)
    assert win.requests.model.rowCount() == 2
    assert win.spend_label.text() == "Today: $0.5100"  # budgets count audit calls


def test_requests_detail_shows_verdict_reason_and_both_answers(qtbot: Any, run: Run) -> None:
    backend = seeded()
    rec = record(model="cheap", task="code_generation")
    backend.audits.append(
        audit(0, "cheap", "code_generation", "as_good", request_id=rec.request_id,
              first="better", second="worse", reason="A is shorter.",
              reason_swapped="A handles the edge case.",
              routed_answer="def f(): return 1", baseline_answer="def f():\n    return 1 <ok>")
    )  # fmt: skip
    win = window(qtbot, backend)
    backend.events.publish(REQUEST_FINISHED, rec)
    win.bridge.flush()
    win.show_page(1)
    with qtbot.waitSignal(win.requests.request_selected) as sig:
        win.requests.table.selectRow(0)
    assert sig.args == [rec.request_id]
    run(win._show_audit(rec.request_id))
    text = win.requests.detail.toPlainText()
    assert "Quality audit" in text and "as good as the baseline's" in text
    assert "they disagree, so it counts as a tie" in text
    assert "A is shorter." in text and "A handles the edge case." in text
    assert "Routed answer (cheap)" in text and "Baseline answer (top)" in text
    assert "def f(): return 1" in text and "return 1 <ok>" in text  # escaped, shown as text
    # the audit's own call rows lead to the same audit
    win.requests.show_audit(rec.request_id + ".audit-judge-1", "<p>wrong</p>")
    assert "wrong" not in win.requests.detail.toPlainText()


def test_settings_group_says_what_is_sent_where_and_saves(qtbot: Any) -> None:
    backend = FakeBackend()
    win = window(qtbot, backend)
    box = win.settings_page.audit_box
    assert "up to two more providers" in box.note.text()
    assert not box.enabled.isChecked() and not box.rate.isEnabled()
    box.enabled.setChecked(True)
    box.rate.setValue(5.0)
    box.cap.setValue(1.25)
    box.judge.setCurrentIndex(box.judge.findData("top"))
    win.settings_page.save.click()
    saved = backend.settings.audit
    assert (saved.enabled, saved.sample_rate, saved.daily_cap_usd, saved.judge_model) == (
        True, 0.05, 1.25, "top",
    )  # fmt: skip
    for w in (box.enabled, box.rate, box.cap, box.judge, box.tools):
        assert w.toolTip()


def test_settings_group_shows_spend_against_the_cap_and_the_last_skip(qtbot: Any, run: Run) -> None:
    backend = seeded()
    win = window(qtbot, backend)
    box = win.settings_page.audit_box
    run(box.refresh_status())
    assert (
        box.status.text()
        == "Audits today: $0.0000 of the $0.50 cap. 120 audits in the last 7 days."
    )
    backend.settings.audit.enabled = False
    run(box.refresh_status())
    assert box.status.text() == "Audits are off."


def test_registry_suggestion_accept_applies_and_dismiss_remembers(qtbot: Any, run: Run) -> None:
    backend = seeded()
    # "mid" wins translation often enough to suggest a raise
    backend.audits += [audit(400 + i, "mid", "translation", "better") for i in range(10)]
    win = window(qtbot, backend)
    win.show_page(2)
    panel = win.registry.suggestions
    run(panel.load())
    keys = [s.key for s in panel.suggestions]
    assert keys == ["cheap|code_generation|2->1", "mid|translation|4->5"]
    panel._accept(panel.suggestions[0])
    assert backend.registry["cheap"].capabilities["code_generation"] == 1
    assert win.registry.save.isEnabled()  # applied, not yet saved: Save keeps it
    assert "Applied cheap code_generation score 2 → 1" in win.registry.banner.text()
    run(panel.dismiss(panel.suggestions[0]))
    assert backend.dismissed == {"mid|translation|4->5"} and panel.suggestions == []
    run(panel.load())
    assert panel.suggestions == []  # accepted (score changed) and dismissed: both gone


def test_breakdown_chart_follows_a_dark_palette(qtbot: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    from routerdesk.gui.pages.quality import QualityBreakdown

    chart = QualityBreakdown()
    qtbot.addWidget(chart)
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#17181a"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    chart.setPalette(dark)  # a PaletteChange event, as when the system switches
    assert chart.by_task.backgroundBrush().color() == QColor("#17181a")
    assert chart.by_model.getAxis("left").textPen().color() == QColor("#e8eaed")
