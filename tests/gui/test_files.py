"""Saving, reopening, autosave and recovery, broken files and the unsaved-changes prompt."""

from __future__ import annotations

import json
import os

from conftest import build_mnist
from PySide6.QtWidgets import QMessageBox

from engine.project import load_project
from gui import autosave

SB = QMessageBox.StandardButton


def test_save_reopen_equal_graph_and_positions(make_window, tmp_path):
    window = make_window()
    build_mnist(window.document.graph)
    window.document.auto_layout(window.scene.node_size)
    assert window.isWindowModified()
    path = tmp_path / "mnist.json"
    assert window.save_as(path)
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("mnist.json")
    assert load_project(path).graph == window.document.graph
    other = make_window(path)
    assert other.document.graph == window.document.graph
    assert [n.pos for n in other.document.graph.nodes] == [n.pos for n in window.document.graph.nodes]
    assert not other.isWindowModified()
    assert str(path) in other.recent_files()[0]
    assert other.recent_menu.actions()[0].text().endswith("mnist.json")


def test_modified_marker_follows_undo(window, tmp_path):
    window.document.add_node("ReLU", (0, 0))
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_corrupt_file_shows_located_reason_and_keeps_project(window, tmp_path, dialogs):
    build_mnist(window.document.graph)
    before = window.document.graph.to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "graph": {"nodes": [{"id": "a", "kind": "Conv9d", "name": "c"}]}}')
    assert not window.open_file(bad, ask=False)
    kind, _title, text = dialogs.calls[-1]
    assert kind == "critical"
    assert "graph.nodes[0].kind" in text and "Conv9d" in text and "Traceback" not in text
    assert window.document.graph.to_dict() == before
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1,\n "name": }')
    assert not window.open_file(broken, ask=False)
    assert "line 2" in dialogs.calls[-1][2]


def test_missing_file_opens_empty_untitled(make_window, tmp_path, dialogs):
    window = make_window(tmp_path / "nope.json")
    assert len(window.document.graph) == 0
    assert window.windowTitle().startswith("Untitled")
    assert "not found" in window.last_message()
    assert dialogs.calls == []


def test_close_with_unsaved_changes_asks(window, dialogs, tmp_path):
    window.document.add_node("ReLU", (0, 0))
    dialogs.answers = [SB.Cancel]
    assert not window.close()
    assert window.isVisible()
    assert dialogs.kinds() == ["question"]
    # Save goes through Save As when there is no file name yet
    target = tmp_path / "saved.json"
    window.save_as = lambda path=None: window._save_to(target)  # no file dialog in tests
    dialogs.answers = [SB.Save]
    assert window.close()
    assert load_project(target).graph == window.document.graph


def test_opening_another_file_asks_first(window, dialogs, tmp_path):
    path = tmp_path / "other.json"
    window.document.add_node("ReLU", (0, 0))
    window.save_as(path)
    window.document.add_node("Tanh", (0, 200))
    dialogs.answers = [SB.Cancel]
    assert not window.open_file(path)
    assert len(window.document.graph) == 2
    dialogs.answers = [SB.Discard]
    assert window.open_file(path)
    assert [n.kind for n in window.document.graph.nodes] == ["ReLU"]


def test_autosave_and_restore_after_crash(make_window, qtbot, tmp_path, dialogs):
    window = make_window(autosave_interval_ms=40)
    build_mnist(window.document.graph)
    window.document.add_node("ReLU", (0, 400))  # an undoable edit marks it modified
    qtbot.waitUntil(window.autosaver.file.exists, timeout=3000)
    saved = json.loads(window.autosaver.file.read_text())
    assert saved["project"]["graph"] == window.document.graph.to_dict()
    # Simulate a crash: the file stays behind under the id of a process that is gone.
    dead_pid = 2**22 + 12345
    while True:
        try:
            os.kill(dead_pid, 0)
            dead_pid += 1
        except ProcessLookupError:
            break
    orphan = window.autosave_dir / f"autosave-{dead_pid}.json"
    orphan.write_bytes(window.autosaver.file.read_bytes())
    assert autosave.find_orphans(window.autosave_dir) == [orphan]
    dialogs.answers = [SB.Yes]
    restored = make_window(check_recovery=True)
    assert dialogs.calls[-1][0] == "question"
    assert restored.document.graph == window.document.graph
    assert restored.isWindowModified()
    assert not orphan.exists()


def test_clean_exit_removes_autosave(make_window, qtbot):
    window = make_window(autosave_interval_ms=40)
    window.document.add_node("ReLU", (0, 0))
    qtbot.waitUntil(window.autosaver.file.exists, timeout=3000)
    window.document.undo_stack.setClean()
    assert not window.autosaver.file.exists()
    window.document.add_node("ReLU", (0, 200))
    qtbot.waitUntil(window.autosaver.file.exists, timeout=3000)
    window.autosaver.stop()
    assert not window.autosaver.file.exists()
