"""The PySide6 None-refcount guard: a long run of void Qt calls must not abort the interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

# More void calls than None has references when the process starts: with PySide6 6.12.0
# on Python 3.11 and no guard, this aborts with "none_dealloc" (exit code -6).
SCRIPT = """
import sys
calls = 3 * sys.getrefcount(None)
from routerdesk.gui.qt_binding import guard_none_refcount
guard_none_refcount()  # what routerdesk.app.make_qapp does first
from PySide6.QtCore import QObject
probe = QObject()
for _ in range(calls):
    probe.setObjectName("x")
print("ok", calls)
"""


def test_void_calls_beyond_nones_refcount_do_not_crash() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")


def test_guard_only_acts_when_the_binding_leaks() -> None:
    from routerdesk.gui.qt_binding import IMMORTAL, guard_none_refcount, void_call_leaks_none

    # After the guard, whatever this PySide6 does, None survives it: either calls cost
    # nothing or None's count is out of reach.
    guarded = guard_none_refcount()
    leaky = void_call_leaks_none()
    assert guarded == leaky
    for singleton in (None, True, False):
        assert not leaky or sys.getrefcount(singleton) > IMMORTAL // 2


# Chart redraws (the paint path loses references to True with PySide6 6.12.0), then a
# normal interpreter exit, whose final collection is where a spent count aborts.
CHARTS = """
import sys, time
redraws = sys.getrefcount(True) // 10 + 10  # ~40 references lost per redraw without the guard
sys.path.insert(0, sys.argv[1])
from routerdesk.app import make_qapp
app = make_qapp()  # the app's own entry: runs the guard before any widget exists
from gui.helpers import row
from routerdesk.gui.models.usage_stats import UsageSeries
from routerdesk.gui.pages.charts import DashboardCharts
charts = DashboardCharts()
charts.resize(800, 400)
charts.show()
series = UsageSeries()
now = time.time()
for k in range(redraws):
    series.extend([row(t=now + k + i / 10) for i in range(10)])
    charts.show_window(series.window())
    for plot in (charts.by_model, charts.by_task, charts.spend, charts.latency):
        plot.viewport().repaint()
print("ok", redraws)
"""


def test_many_chart_redraws_then_a_normal_exit_do_not_crash() -> None:
    tests = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHARTS, tests], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
