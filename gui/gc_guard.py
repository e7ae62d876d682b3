"""Run Python's cyclic garbage collector on the GUI thread only.

The training worker and the shape-inference thread allocate a lot, so CPython's
automatic collector would often run *in those threads*. If it then frees a
QObject that lives in the GUI thread (a closed dialog, an old plot, a timer's
owner), Qt deletes it from the wrong thread and a still-registered timer later
fires on freed memory — a segfault inside ``QTimerInfoList::activateTimers``.
So automatic collection is switched off and a GUI-thread timer collects instead
(the approach pyqtgraph's ``GarbageCollector`` documents).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_guard: GcGuard | None = None


class GcGuard(QObject):
    """Collects generation by generation from a GUI-thread timer."""

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.threshold[generation]:
                gc.collect(generation)
                return


def install_gc_guard(app: QObject) -> GcGuard:
    """Install (once) the GUI-thread collector, owned by the application object."""
    global _guard
    if _guard is None:
        _guard = GcGuard(parent=app)
    return _guard
