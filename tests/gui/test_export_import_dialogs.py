"""File > Export… and File > Import PyTorch Model… driven through the real dialogs and engine."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import SCREENSHOTS, build_mnist

from engine.export import FORMATS
from gui import export_dialog, import_dialog
from gui.export_dialog import UNTRAINED, ExportDialog, show_export_dialog
from gui.import_dialog import ImportDialog, module_classes, parse_shapes

MLP_SOURCE = '''
import torch
from torch import nn


class Config:
    hidden = 16


class Base(nn.Module):
    pass


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Derived(Base):
    pass
'''

BRANCHY_SOURCE = '''from torch import nn


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return self.fc(-x)
'''


@pytest.fixture
def mnist_window(window, tmp_path):
    """The window with the MNIST CNN, saved as tmp/mnist.json (so exports default next to it)."""
    build_mnist(window.document.graph)
    window.document.project.name = "MNIST CNN"
    assert window.save_as(tmp_path / "mnist.json")
    export_dialog.install(window)
    import_dialog.install(window)
    return window


def file_menu_texts(window) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    return [a.text().replace("&", "") for a in menu.actions()]


def test_menu_entries(mnist_window):
    texts = file_menu_texts(mnist_window)
    assert texts.index("Export…") == texts.index("Save As…") + 1
    assert texts.index("Import PyTorch Model…") == texts.index("Open Recent") + 1
    assert mnist_window.actions_["export"].shortcut().toString() == "Ctrl+E"


def test_build_window_installs_both(qtbot, tmp_path, dialogs):
    from PySide6.QtCore import QSettings

    from gui.app import build_window

    window = build_window(None, check_recovery=False, autosave_dir=tmp_path / "autosave",
                          settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert {"export", "import_model"} <= set(window.actions_)
    assert "Export…" in file_menu_texts(window) and "Import PyTorch Model…" in file_menu_texts(window)
    window.actions_["import_model"].trigger()
    dlg = window.findChild(ImportDialog)
    assert dlg is not None and dlg.isVisible()
    dlg.reject()


def test_export_python_and_onnx(mnist_window, tmp_path):
    dlg = show_export_dialog(mnist_window)
    assert isinstance(dlg, ExportDialog) and dlg.isVisible()
    assert "def forward" in dlg.preview.toPlainText()
    assert dlg.preview.isReadOnly()
    assert dlg.weights_combo.currentText() == UNTRAINED and not dlg.weights_warning.isHidden()
    dlg.set_format("python")
    assert dlg.output == tmp_path / "mnist.py"
    assert "load_model" in dlg.snippet.toPlainText()
    assert dlg.preview.toPlainText().startswith('"""MNIST CNN')
    dlg.accept()
    source = (tmp_path / "mnist.py").read_text()
    assert source == dlg.preview.toPlainText()  # the preview is the file itself
    assert "class MNISTCNN(nn.Module):" in source and "def load_model(" in source
    assert "Exported mnist.py" in mnist_window.last_message()

    dlg = show_export_dialog(mnist_window)
    dlg.set_format("onnx")
    assert dlg.output == tmp_path / "mnist.onnx"
    assert "def forward" in dlg.preview.toPlainText()  # the Python preview stays for reference
    dlg.accept()
    assert (tmp_path / "mnist.onnx").stat().st_size > 1000
    assert "Exported mnist.onnx (onnx" in mnist_window.last_message()


def test_snippet_and_suffix_follow_the_format(mnist_window, tmp_path):
    dlg = ExportDialog(mnist_window, export_dialog.compile_for_export(mnist_window))
    snippets = {}
    for fmt, (suffix, description) in FORMATS.items():
        dlg.set_format(fmt)
        assert dlg.output == tmp_path / f"mnist{suffix}"
        assert dlg.description.text() == description
        snippets[fmt] = dlg.snippet.toPlainText()
        assert str(dlg.output) in snippets[fmt] or fmt == "python"
    assert len(set(snippets.values())) == len(FORMATS)
    assert "onnxruntime" in snippets["onnx"] and "torch.jit.load" in snippets["torchscript"]
    dlg.output_edit.setText(str(tmp_path / "other.onnx"))
    assert "other.onnx" in dlg.snippet.toPlainText()
    dlg.reject()


def test_weights_mismatch_is_one_sentence_and_writes_nothing(mnist_window, tmp_path):
    import torch
    from safetensors.torch import save_file

    wrong = tmp_path / "wrong.safetensors"
    save_file({"conv1.weight": torch.zeros(3, 3), "extra.bias": torch.zeros(2)}, str(wrong))
    dlg = show_export_dialog(mnist_window)
    dlg.set_format("safetensors")
    dlg.set_weights(wrong)
    assert dlg.weights_warning.isHidden()
    dlg.accept()
    text = dlg.error_label.text()
    assert dlg.isVisible() and not dlg.error_label.isHidden()
    assert "does not match the graph" in text and "conv1.weight" in text and "extra.bias" in text
    assert "\n" not in text and "Traceback" not in text
    assert not (tmp_path / "mnist.safetensors").exists()
    dlg.reject()


def test_latest_finished_run_weights_are_the_default(mnist_window, tmp_path):
    from engine.compiler import compile_graph
    from gui.training.runs import WEIGHTS_FILE, RunRecord, save_weights

    folder = tmp_path / "mnist.runs" / "run-1"
    save_weights(compile_graph(mnist_window.document.graph).train_module.state_dict(), folder / WEIGHTS_FILE)
    runs = [RunRecord("run-1", "Run 1", {}, status="finished", folder=folder),
            RunRecord("run-2", "Run 2", {}, status="failed", folder=tmp_path / "none")]
    mnist_window.training = SimpleNamespace(runs=runs)
    dlg = show_export_dialog(mnist_window)
    assert dlg.weights == folder / WEIGHTS_FILE and dlg.weights_warning.isHidden()
    dlg.set_format("state_dict")
    dlg.accept()
    assert (tmp_path / "mnist.pt").is_file()
    assert "weights.safetensors" in mnist_window.last_message()


def test_invalid_graph_is_refused_with_its_issues(window, dialogs):
    graph = window.document.graph
    graph.add_node("Input", "image", {"field": "image", "shape": [1, 28, 28]}, pos=(0.0, 0.0))
    graph.add_node("Linear", "fc", {"out_features": 10}, pos=(200.0, 0.0))
    assert show_export_dialog(window) is None
    kind, _title, text = dialogs.calls[-1]
    assert kind == "warning" and "fc" in text and "before exporting" in text


def test_export_dialog_screenshot(mnist_window, qtbot):
    dlg = show_export_dialog(mnist_window)
    dlg.set_format("python")
    qtbot.waitExposed(dlg)
    qtbot.wait(30)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / "export_dialog.png"
    assert dlg.grab().save(str(path))
    assert path.stat().st_size > 10_000
    dlg.reject()


def test_class_listing_parses_without_running(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MLP_SOURCE + "\nraise SystemExit('must not run')\n")
    assert module_classes(path) == ["Base", "MLP", "Derived"]
    assert parse_shapes("1,3,32,32; 1x10") == [(1, 3, 32, 32), (1, 10)]
    with pytest.raises(ValueError, match="not a shape"):
        parse_shapes("1,a")


def test_import_opens_new_document(mnist_window, dialogs, tmp_path):
    path = tmp_path / "mlp.py"
    path.write_text(MLP_SOURCE)
    doc = mnist_window.document
    doc.rename(next(n.id for n in doc.graph if n.name == "fc2"), "head")  # an unsaved change
    assert doc.modified
    dlg = ImportDialog(mnist_window)
    dlg.set_file(path, "MLP")
    assert [dlg.class_combo.itemText(i) for i in range(dlg.class_combo.count())] == ["Base", "MLP", "Derived"]
    dlg.accept()
    assert dlg.error_label.text() == "Give the model's input shape, batch first, e.g. 1,3,32,32."
    dlg.shape_edit.setText("1,8")
    dlg.accept()
    assert dlg.error_label.isHidden(), dlg.error_label.text()
    assert [c[0] for c in dialogs.calls] == ["question"]  # asked to save the MNIST changes
    assert doc.path is None and doc.title == "Untitled" and doc.modified
    assert sorted(n.name for n in doc.graph if n.kind == "Linear") == ["fc1", "fc2"]
    assert doc.project.name == "MLP" and not doc.undo_stack.canUndo()
    assert "Imported MLP" in mnist_window.last_message()
    assert doc.infer_now().errors == []


def test_import_error_is_located_and_keeps_the_project(mnist_window, dialogs, tmp_path):
    path = tmp_path / "branchy.py"
    path.write_text(BRANCHY_SOURCE)
    project = mnist_window.document.project
    names = sorted(n.name for n in project.graph)
    dlg = ImportDialog(mnist_window)
    dlg.set_file(path)
    assert dlg.spec == f"{path}:Branchy"
    dlg.shape_edit.setText("1,8")
    dlg.accept()
    text = dlg.error_label.text()
    assert f"{path}:10" in text and "control flow" in text and "\n" not in text
    assert mnist_window.document.project is project and sorted(n.name for n in project.graph) == names
    assert dialogs.calls == [] and Path(mnist_window.document.path).name == "mnist.json"


def test_torchvision_mode_defaults_the_shape(mnist_window):
    dlg = ImportDialog(mnist_window)
    dlg.torchvision_radio.setChecked(True)
    assert dlg.shape_edit.text() == "1,3,224,224" and dlg.spec == "torchvision:resnet18"
    assert dlg.torchvision_combo.findText("mobilenet_v3_small") >= 0 and not dlg.class_combo.isEnabled()
    dlg.file_radio.setChecked(True)
    assert dlg.shape_edit.text() == ""
    dlg.reject()


def test_import_with_weights_saves_them_beside_the_project_to_train_from(mnist_window, dialogs, tmp_path):
    import torch
    from safetensors.torch import load_file

    source = tmp_path / "mlp.py"
    source.write_text(MLP_SOURCE)
    torch.manual_seed(3)
    original = {"fc1.weight": torch.randn(16, 8), "fc1.bias": torch.randn(16),
                "fc2.weight": torch.randn(4, 16), "fc2.bias": torch.randn(4)}
    torch.save(original, tmp_path / "mlp_pretrained.pt")
    mnist_window.document.undo_stack.setClean()
    dlg = ImportDialog(mnist_window)
    dlg.set_file(source, "MLP")
    dlg.shape_edit.setText("1,8")
    dlg.weights_edit.setText(str(tmp_path / "mlp_pretrained.pt"))
    target = tmp_path / "project" / "mlp.json"
    target.parent.mkdir()
    dlg.ask_project_path = lambda result: target
    dlg.accept()
    assert dlg.error_label.isHidden(), dlg.error_label.text()
    doc = mnist_window.document
    assert doc.path == target and not doc.modified
    assert doc.project.training.init_weights == "mlp.safetensors"
    saved = load_file(target.parent / "mlp.safetensors")
    assert set(saved) == set(original) and all(torch.equal(saved[k], v) for k, v in original.items())
    assert "with its weights (mlp.safetensors); training starts from them" in mnist_window.last_message()

    cancelled = ImportDialog(mnist_window)  # no place chosen: opened unsaved, and the message says so
    cancelled.set_file(source, "MLP")
    cancelled.shape_edit.setText("1,8")
    cancelled.weights_edit.setText(str(tmp_path / "mlp_pretrained.pt"))
    cancelled.ask_project_path = lambda result: None
    cancelled.accept()
    assert doc.path is None and doc.project.training.init_weights == ""
    assert "Imported without its weights" in mnist_window.last_message()
