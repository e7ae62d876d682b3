"""Inspector forms generated from specs: edits, refused values, rename, live issues."""

from __future__ import annotations

from gui_helpers import settle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox


def _chain(window):
    g = window.document.graph
    a = g.add_node("Input", "x_in", {"shape": [16]}, pos=(0, 0))
    fc = g.add_node("Linear", "fc", {"out_features": 8}, pos=(300, 0))
    g.connect(a.id, "out", fc.id, "x")
    return a.id, fc.id


def test_form_is_generated_from_the_spec(window):
    node = window.document.graph.add_node("Conv2d", pos=(0, 0))
    window.scene.select_nodes([node.id])
    fields = window.inspector.fields
    assert list(fields) == [p.name for p in node.spec.params]
    assert isinstance(fields["out_channels"].editor, QSpinBox)
    assert isinstance(fields["kernel_size"].editor, QLineEdit)
    assert isinstance(fields["bias"].editor, QCheckBox)
    assert isinstance(fields["padding_mode"].editor, QComboBox)
    assert fields["in_channels"].auto_box.isChecked()
    assert not fields["in_channels"].editor.isEnabled()
    drop = window.document.graph.add_node("Dropout", pos=(0, 200))
    window.scene.select_nodes([drop.id])
    assert isinstance(window.inspector.fields["p"].editor, QDoubleSpinBox)
    emb = window.document.graph.add_node("Embedding", pos=(0, 400))
    window.scene.select_nodes([emb.id])
    assert window.inspector.fields["padding_idx"].none_box.isChecked()


def test_inspector_edit_is_undoable_and_updates_shapes(window, qtbot):
    _a, fc = _chain(window)
    window.scene.select_nodes([fc])
    settle(qtbot, window)
    edge = window.document.graph.edges[0]
    field = window.inspector.fields["out_features"]
    field.editor.setValue(32)
    graph = window.document.graph
    assert graph.node(fc).params["out_features"] == 32
    settle(qtbot, window)
    assert "N×32" in window.inspector.info.text()
    assert "Parameters: 544" in window.inspector.info.text()
    window.document.undo_stack.undo()
    assert graph.node(fc).params["out_features"] == 8
    assert field.editor.value() == 8
    assert window.scene.edge_items[edge].label == "N×16"


def test_tuple_field_by_typing(window):
    node = window.document.graph.add_node("Conv2d", pos=(0, 0))
    window.scene.select_nodes([node.id])
    edit = window.inspector.fields["kernel_size"].editor
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, "5, 3")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.graph.node(node.id).params["kernel_size"] == (5, 3)


def test_bad_value_shows_reason_and_leaves_model(window):
    node = window.document.graph.add_node("Dropout", pos=(0, 0))
    window.scene.select_nodes([node.id])
    steps = window.document.undo_stack.count()
    field = window.inspector.fields["p"]
    field.editor.setValue(1.5)
    assert window.document.graph.node(node.id).params["p"] == 0.5
    assert field.error.isVisibleTo(window.inspector)
    assert "at most 1" in field.error.text()
    assert window.document.undo_stack.count() == steps
    field.editor.setValue(0.25)
    assert window.document.graph.node(node.id).params["p"] == 0.25
    assert not field.error.isVisibleTo(window.inspector)


def test_bad_tuple_text(window):
    node = window.document.graph.add_node("Conv2d", pos=(0, 0))
    window.scene.select_nodes([node.id])
    field = window.inspector.fields["kernel_size"]
    field.editor.setText("3, 3, 3")
    field.editor.editingFinished.emit()
    assert "exactly 2" in field.error.text()
    assert window.document.graph.node(node.id).params["kernel_size"] == (3, 3)


def test_auto_toggle(window, qtbot):
    _a, fc = _chain(window)
    window.scene.select_nodes([fc])
    settle(qtbot, window)
    field = window.inspector.fields["in_features"]
    assert field.editor.value() == 16  # what auto resolves to, shown greyed
    field.auto_box.setChecked(False)
    assert window.document.graph.node(fc).params["in_features"] == 16
    field.auto_box.setChecked(True)
    assert window.document.graph.node(fc).params["in_features"] == "auto"


def test_rename_good_and_bad(window):
    a, fc = _chain(window)
    window.scene.select_nodes([fc])
    edit = window.inspector.name_edit
    edit.setText("classifier")
    edit.editingFinished.emit()
    assert window.document.graph.node(fc).name == "classifier"
    edit.setText("x_in")
    edit.editingFinished.emit()
    assert "already exists" in window.inspector.name_error.text()
    edit.setText("2fast")
    edit.editingFinished.emit()
    assert "not a valid name" in window.inspector.name_error.text()
    assert window.document.graph.node(fc).name == "classifier"
    window.document.undo_stack.undo()
    assert window.document.graph.node(fc).name == "fc"
    assert window.inspector.name_edit.text() == "fc"


def test_issue_outline_tooltip_and_issue_list_click(window, qtbot):
    _a, fc = _chain(window)
    window.document.set_param(fc, "in_features", 7)
    settle(qtbot, window)
    item = window.scene.node_items[fc]
    assert "receives 16 features" in item.toolTip()
    messages = window.issues.messages()
    assert any("in_features is 7" in m for m in messages)
    row = next(i for i in range(window.issues.count()) if "in_features" in window.issues.item(i).text())
    window.scene.clearSelection()
    window.issues.itemClicked.emit(window.issues.item(row))
    assert window.scene.selected_node_ids() == [fc]
    # fixing the cause clears the issue at once
    window.inspector.fields["in_features"].auto_box.setChecked(True)
    settle(qtbot, window)
    assert "receives" not in item.toolTip()
    assert not any("in_features" in m for m in window.issues.messages())
    assert "1 issue" not in window.counts_label.text()


def test_a_weights_file_inside_the_project_folder_is_stored_relative(make_window, tmp_path):
    from engine.project import Project, save_project

    folder = tmp_path / "proj"
    (folder / "weights").mkdir(parents=True)
    (folder / "weights" / "r18.safetensors").write_bytes(b"")
    outside = tmp_path / "elsewhere.pt"
    outside.write_bytes(b"")
    window = make_window(save_project(Project(name="p"), folder / "p.json"))
    node = window.document.graph.add_node("resnet18", pos=(0, 0))
    window.scene.select_nodes([node.id])
    field = window.inspector.fields["weights"]
    field.choose_file(str(folder / "weights" / "r18.safetensors"))
    assert window.document.graph.node(node.id).params["weights"] == "weights/r18.safetensors"
    assert field.editor.text() == "weights/r18.safetensors"
    field.choose_file(str(outside))  # outside the project's folder: kept absolute
    assert window.document.graph.node(node.id).params["weights"] == str(outside)
    window.document.undo_stack.undo()  # each choice is one undoable edit
    assert window.document.graph.node(node.id).params["weights"] == "weights/r18.safetensors"
