"""Fixtures: a real MainWindow with its settings and autosave in a temp folder."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402,F401 - imported once here, never first inside an inference thread
from PySide6.QtCore import QSettings  # noqa: E402

from engine.graph import Graph  # noqa: E402

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_on_gui_thread(qapp):
    """As in the app: no cyclic GC in worker threads (see gui/gc_guard.py)."""
    from gui.gc_guard import install_gc_guard
    from gui.torch_threads import reserve_for_training

    install_gc_guard(qapp)
    reserve_for_training()  # as the app: one torch thread on the GUI thread, all for training
    yield


@pytest.fixture(autouse=True)
def _collect_after_each_test(qapp):
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def build_mnist(graph: Graph) -> dict[str, str]:
    """The MNIST CNN through the Graph API; returns ``{name: node id}``."""
    chain = [
        ("Input", "image", {"field": "image", "shape": [1, 28, 28]}),
        ("Conv2d", "conv1", {"out_channels": 10, "kernel_size": [5, 5]}),
        ("ReLU", "relu1", {}),
        ("MaxPool2d", "pool1", {}),
        ("Conv2d", "conv2", {"out_channels": 20, "kernel_size": [5, 5]}),
        ("ReLU", "relu2", {}),
        ("MaxPool2d", "pool2", {}),
        ("Flatten", "flatten", {}),
        ("Linear", "fc1", {"out_features": 50}),
        ("ReLU", "relu3", {}),
        ("Linear", "fc2", {"out_features": 10}),
        ("Output", "logits", {}),
    ]
    ids: dict[str, str] = {}
    prev = None
    for i, (kind, name, params) in enumerate(chain):
        node = graph.add_node(kind, name, params, pos=(i * 220.0, 0.0))
        ids[name] = node.id
        if prev is not None:
            graph.connect(prev, graph.node(prev).output_ports()[0], node.id,
                          node.input_ports()[0])
        prev = node.id
    label = graph.add_node("Input", "label", {"field": "label", "shape": [], "dtype": "int64"},
                           pos=(2200.0, 240.0))
    loss = graph.add_node("CrossEntropyLoss", "loss", {}, pos=(2420.0, 120.0))
    ids["label"], ids["loss"] = label.id, loss.id
    graph.connect(ids["fc2"], "out", loss.id, "prediction")
    graph.connect(label.id, "out", loss.id, "target")
    return ids


class DialogRecorder:
    """Stands in for QMessageBox's static functions: records each call and answers
    with ``answers`` (popped in order; Discard / Ok when empty). No modal box ever blocks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.answers: list = []

    def install(self, monkeypatch) -> None:
        from PySide6.QtWidgets import QMessageBox

        def make(kind, default):
            def record(parent, title, text, *args, **kwargs):
                self.calls.append((kind, title, text))
                return self.answers.pop(0) if self.answers else default
            return record

        monkeypatch.setattr(QMessageBox, "question", make("question", QMessageBox.StandardButton.Discard))
        monkeypatch.setattr(QMessageBox, "critical", make("critical", QMessageBox.StandardButton.Ok))
        monkeypatch.setattr(QMessageBox, "warning", make("warning", QMessageBox.StandardButton.Ok))

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def dialogs(monkeypatch):
    recorder = DialogRecorder()
    recorder.install(monkeypatch)
    return recorder


@pytest.fixture
def make_window(qtbot, tmp_path, dialogs):
    """Factory for MainWindow instances isolated in ``tmp_path``."""
    from gui.main_window import MainWindow


    def make(path=None, **kwargs):
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        kwargs.setdefault("autosave_dir", tmp_path / "autosave")
        kwargs.setdefault("check_recovery", False)
        window = MainWindow(path, settings=settings, **kwargs)
        qtbot.addWidget(window, before_close_func=_forget_changes)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def _forget_changes(window) -> None:
    window.document.undo_stack.setClean()
    window.document._restored_dirty = False


@pytest.fixture
def window(make_window):
    return make_window()
