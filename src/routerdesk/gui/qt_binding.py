"""Guards against a PySide6 bug that would crash the app: void calls cost `None` a reference.

PySide6 6.12.0 on Python 3.11 returns `None` from every void method
(`QLabel.setText`, each `QPainter.drawLine` of a chart...) without taking the
reference it hands back. `None` is an ordinary object before Python 3.12, so
its count runs down (about 4,000 a second while the charts redraw under
traffic) and the interpreter aborts with "none_dealloc" once it reaches zero:
under a steady stream of requests the window died within a minute.

The same release also loses references to `True` somewhere on the chart
paint path (about 40 per redraw), which ends the same way a little later.

`guard_none_refcount()` probes one void call; if it cost a reference, it gives
`None`, `True` and `False` a count no process can spend (what Python 3.12 does
for every interpreter: they are immortal there). Nothing else changes: those
three are never deallocated anyway. With a PySide6 without the bug (6.11.x is
fine) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject

IMMORTAL = 1 << 40  # far beyond any number of calls a process makes


def void_call_leaks_none() -> bool:
    """Whether a void Qt method call loses a reference to `None` in this PySide6."""
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 4


def guard_none_refcount() -> bool:
    """Make None, True and False unkillable if this PySide6 leaks references. Returns whether it did."""
    if sys.version_info >= (3, 12) or not void_call_leaks_none():
        return False
    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))
        if count.value < IMMORTAL:
            count.value += IMMORTAL
    return True
