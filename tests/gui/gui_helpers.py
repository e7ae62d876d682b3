"""Mouse and wait helpers for driving the real canvas with QTest-style events."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def view_point(window, scene_pos: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_pos)


def _send(widget, kind, pos: QPoint, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    local = QPointF(pos)
    global_pos = QPointF(widget.mapToGlobal(pos))
    event = QMouseEvent(kind, local, global_pos, button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(window, start: QPointF, end: QPointF, steps: int = 4, button=Qt.MouseButton.LeftButton,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at scene ``start``, move in steps, release at scene ``end`` on the view's viewport."""
    vp = window.view.viewport()
    a, b = view_point(window, start), view_point(window, end)
    QTest.mousePress(vp, button, modifiers, a)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        _send(vp, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, button, modifiers)
    QTest.mouseRelease(vp, button, modifiers, b)


def port(window, node_id: str, port_name: str, output: bool) -> QPointF:
    return window.scene.node_items[node_id].port_pos(port_name, output)


def settle(qtbot, window) -> None:
    """Wait until shape inference describes the current graph."""
    qtbot.waitUntil(lambda: window.document.inference_current, timeout=15000)
