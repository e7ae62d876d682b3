"""Canvas gestures on the real widgets: palette drops, quick-add, wiring, moving."""

from __future__ import annotations

import warnings

from gui_helpers import drag, port, settle, view_point
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.palette import kind_mime


def _add(window, kind, pos, **params):
    return window.document.graph.add_node(kind, params=params or None, pos=pos).id


def test_palette_lists_every_kind_with_help_tooltips(window):
    from engine.catalog import all_specs

    specs = all_specs()
    assert set(window.layers.items) == {s.kind for s in specs}
    assert "Conv2d" in window.layers.items["Conv2d"].toolTip(0)
    window.layers.search.setText("conv")
    assert "Conv2d" in window.layers.visible_kinds()
    assert "ReLU" not in window.layers.visible_kinds()


def test_drop_from_palette_adds_node_at_drop_point(window, qtbot):
    vp = window.view.viewport()
    target = view_point(window, QPointF(100, 60))
    mime = kind_mime("Conv2d")
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(target, *args)
        QApplication.sendEvent(vp, enter)
        assert enter.isAccepted()
        QApplication.sendEvent(vp, QDragMoveEvent(target, *args))
    drop = QDropEvent(QPointF(target), *args)
    QApplication.sendEvent(vp, drop)
    assert drop.isAccepted()
    graph = window.document.graph
    assert [n.kind for n in graph.nodes] == ["Conv2d"]
    assert graph.nodes[0].pos == (100.0, 60.0)
    assert window.scene.selected_node_ids() == [graph.nodes[0].id]
    window.document.undo_stack.undo()
    assert len(graph) == 0


def test_tab_quick_add_types_and_enter(window, qtbot):
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    qtbot.waitUntil(window.quick_add.isVisible)
    QTest.keyClicks(window.quick_add.edit, "batchnorm2")
    assert window.quick_add.visible_kinds() == ["BatchNorm2d"]
    QTest.keyClick(window.quick_add.edit, Qt.Key.Key_Return)
    assert [n.kind for n in window.document.graph.nodes] == ["BatchNorm2d"]
    assert not window.quick_add.isVisible()


def test_double_click_quick_add_arrows(window, qtbot):
    vp = window.view.viewport()
    QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      view_point(window, QPointF(0, 0)))
    qtbot.waitUntil(window.quick_add.isVisible)
    QTest.keyClicks(window.quick_add.edit, "relu")
    first = window.quick_add.list.currentItem().data(Qt.ItemDataRole.UserRole)
    QTest.keyClick(window.quick_add.edit, Qt.Key.Key_Down)
    second = window.quick_add.list.currentItem().data(Qt.ItemDataRole.UserRole)
    assert first == "ReLU" and second != first
    QTest.keyClick(window.quick_add.edit, Qt.Key.Key_Return)
    assert [n.kind for n in window.document.graph.nodes] == [second]


def test_connect_by_dragging_output_to_input(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    b = _add(window, "Linear", (300, 0), out_features=4)
    drag(window, port(window, a, "out", True), port(window, b, "x", False))
    graph = window.document.graph
    assert [(e.src, e.dst) for e in graph.edges] == [(a, b)]
    settle(qtbot, window)
    assert window.scene.edge_items[graph.edges[0]].label == "N×8"
    window.document.undo_stack.undo()
    assert graph.edges == []


def test_connect_by_dragging_input_back_to_output(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    b = _add(window, "ReLU", (300, 0))
    drag(window, port(window, b, "x", False), port(window, a, "out", True))
    assert [(e.src, e.dst) for e in window.document.graph.edges] == [(a, b)]


def test_refused_connection_shows_engine_reason(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    b = _add(window, "Add", (300, 0))
    c = _add(window, "ReLU", (600, 0))
    loss = _add(window, "MSELoss", (900, 0))
    graph = window.document.graph
    graph.connect(a, "out", b, "x0")
    graph.connect(b, "out", c, "x")
    count = window.document.undo_stack.count()
    drag(window, port(window, c, "out", True), port(window, b, "x1", False))
    assert "cycle" in window.last_message()
    drag(window, port(window, a, "out", True), port(window, c, "x", False))
    assert "already receives" in window.last_message()
    graph.connect(c, "out", loss, "prediction")
    graph.connect(a, "out", loss, "target")
    drag(window, port(window, loss, "loss", True), port(window, b, "x1", False))
    assert "scalar loss" in window.last_message()
    assert len(graph.edges) == 4
    assert window.document.undo_stack.count() == count


def test_compatible_ports_highlight_while_dragging(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    b = _add(window, "ReLU", (300, 0))
    loss = _add(window, "MSELoss", (300, 200))
    scene = window.scene
    scene.begin_wire(a, "out", True, port(window, a, "out", True))
    assert (b, "x", False) in scene.wire_targets
    assert (loss, "prediction", False) in scene.wire_targets
    assert all(not out for (_n, _p, out) in scene.wire_targets)
    scene.end_wire(port(window, b, "x", False))
    assert scene.wire_targets is None


def test_wire_dropped_on_empty_canvas_offers_accepting_kinds(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    drag(window, port(window, a, "out", True), QPointF(500, 300))
    qtbot.waitUntil(window.quick_add.isVisible)
    kinds = window.quick_add.visible_kinds()
    assert "Linear" in kinds and "Input" not in kinds
    QTest.keyClicks(window.quick_add.edit, "linear")
    QTest.keyClick(window.quick_add.edit, Qt.Key.Key_Return)
    graph = window.document.graph
    new = graph.nodes[-1]
    assert new.kind == "Linear"
    assert [(e.src, e.dst, e.dst_port) for e in graph.edges] == [(a, new.id, "x")]
    window.document.undo_stack.undo()  # node and wire are one step
    assert len(graph) == 1 and graph.edges == []


def test_box_select_and_multi_move_is_one_undo_step(window, qtbot):
    a = _add(window, "ReLU", (0, 0))
    b = _add(window, "ReLU", (0, 200))
    window.view.centerOn(100, 100)
    drag(window, QPointF(-60, -60), QPointF(260, 320))
    assert set(window.scene.selected_node_ids()) == {a, b}
    steps = window.document.undo_stack.count()
    drag(window, QPointF(60, 60), QPointF(163, 127), steps=6)  # drag a's header
    graph = window.document.graph
    assert graph.node(a).pos == (100.0, 60.0)  # snapped to the 20 px grid
    assert graph.node(b).pos == (100.0, 260.0)
    assert window.document.undo_stack.count() == steps + 1
    window.document.undo_stack.undo()
    assert graph.node(a).pos == (0.0, 0.0) and graph.node(b).pos == (0.0, 200.0)


def test_auto_layout_is_one_step_left_to_right(window):
    graph = window.document.graph
    a = _add(window, "Input", (500, 500), shape=[8])
    b = _add(window, "Linear", (0, 0))
    c = _add(window, "Output", (-300, 90))
    graph.connect(a, "out", b, "x")
    graph.connect(b, "out", c, "x")
    before = graph.to_dict()
    window.actions_["layout"].trigger()
    xs = [graph.node(n).pos[0] for n in (a, b, c)]
    assert xs == sorted(xs) and len(set(xs)) == 3
    window.document.undo_stack.undo()
    assert graph.to_dict() == before


def test_zoom_and_pan(window):
    view = window.view
    z = view.zoom
    window.actions_["zoom_in"].trigger()
    assert view.zoom > z
    window.actions_["zoom_reset"].trigger()
    assert abs(view.zoom - 1.0) < 1e-6
    before = view.center()
    vp = view.viewport()
    drag(window, view.center(), view.center() + QPointF(50, 0), button=Qt.MouseButton.MiddleButton)
    assert vp is view.viewport()
    assert abs((before - view.center()).x() - 50) < 2


def test_read_only_blocks_edits(window, qtbot):
    a = _add(window, "Input", (0, 0), shape=[8])
    b = _add(window, "ReLU", (300, 0))
    window.set_read_only(True, "Training")
    drag(window, port(window, a, "out", True), port(window, b, "x", False))
    assert window.document.graph.edges == []
    assert not window.actions_["delete"].isEnabled()
    assert "Training" in window.mode_label.text()
    window.set_read_only(False)
    drag(window, port(window, a, "out", True), port(window, b, "x", False))
    assert len(window.document.graph.edges) == 1
