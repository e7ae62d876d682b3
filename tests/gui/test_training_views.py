"""Panels and result views: settings undo, data binding and preview, memory, results, try-it,
history and weights, and a screenshot of the training view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from training_fixtures import *  # noqa: F403 - fixtures shared by the training GUI tests
from training_fixtures import run_to_end

SCREENSHOTS = Path(__file__).parent / "screenshots"


def test_training_settings_are_undoable_edits(trainer_app):
    window, controller = trainer_app()
    doc, panel = window.document, controller.training_panel
    panel.fields["batch_size"].widget.setValue(64)
    assert doc.project.training.batch_size == 64 and doc.modified
    panel.fields["optimizer"].widget.setCurrentIndex(panel.fields["optimizer"].widget.findData("sgd"))
    assert doc.project.training.optimizer == "sgd"
    assert panel.fields["momentum"].widget.isEnabled()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.project.training.batch_size == 32 and doc.project.training.optimizer == "adam"
    assert panel.fields["batch_size"].widget.value() == 32 and not doc.modified
    # a refused combination leaves the project unchanged and says why
    panel.fields["nesterov"].widget.setEnabled(True)
    panel.fields["nesterov"].widget.setChecked(True)
    assert "nesterov" in panel.error.text() and not doc.project.training.nesterov
    assert not doc.modified


def test_memory_estimate_and_devices(trainer_app):
    from gui.training.resources import estimate_memory, list_devices

    window, controller = trainer_app()
    doc = window.document
    assert [d.value for d in list_devices()][:2] == ["auto", "cpu"]
    small = estimate_memory(doc.graph, doc.inference, doc.project.training)
    assert small.weights == 4 * doc.inference.total_params
    assert small.optimizer == 2 * small.weights  # Adam keeps two moments
    controller.settings.set_training(batch_size=320)
    big = estimate_memory(doc.graph, doc.inference, doc.project.training)
    assert big.activations == 10 * small.activations
    assert controller.training_panel.memory.text().startswith("≈")
    doc.undo_stack.undo()


def test_data_panel_preview_and_binding(qtbot, trainer_app, tmp_path):
    window, controller = trainer_app()
    panel, doc = controller.data_panel, window.document
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=20_000)
    assert panel.preview.train_counts and sum(panel.preview.train_counts) == panel.preview.train_size
    assert len(panel.grid.images) > 0 and "image 1×8×8" in panel.summary.text()
    # a CSV source: column pickers and the first rows
    csv = tmp_path / "table.csv"
    csv.write_text("a,b,kind\n" + "".join(f"{i},{i * 2},{'xy'[i % 2]}\n" for i in range(30)))
    controller.settings.set_data(source="csv", root=str(csv))
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.table is not None, timeout=20_000)
    assert [panel.target.itemText(i) for i in range(panel.target.count())] == ["a", "b", "kind"]
    assert panel.table.rowCount() > 0 and panel.table.item(0, 2).text() == "x"
    # bind the image Input to the CSV's features (field, shape and dtype in one undo step)
    image = doc.graph.by_name("image")
    assert panel.bind(image.id, "features") is None
    assert image.params["field"] == "features" and list(image.params["shape"]) == [2]
    doc.undo_stack.undo()
    assert image.params["field"] == "image" and list(image.params["shape"]) == [1, 8, 8]
    doc.undo_stack.undo()  # the data source edit
    assert doc.project.data.source == "bundled"
    assert not doc.modified


def test_results_confusion_matches_the_engine_try_it_history_and_weights(qtbot, trainer_app, recorder,
                                                                        tmp_path, make_window):
    import torch

    from engine.data import build_datasets
    from engine.weights import load_state_dict_file
    from gui.training import install

    window, controller = trainer_app(epochs=3)
    run = run_to_end(qtbot, controller)
    engine_confusion = recorder.validations[-1]["val/loss/confusion"]
    assert controller.results.confusion.matrix == engine_confusion
    heights = controller.results.bars.opts["height"]
    expected = [a or 0.0 for a in recorder.validations[-1]["val/loss/per_class_accuracy"]]
    np.testing.assert_allclose(heights, expected)
    # the same numbers from the trained weights, computed independently
    trained = controller.trained_model(run)
    data = build_datasets(window.document.project.data, window.document.project.base_dir)
    batch = data.val.__getitems__(list(range(len(data.val)))).tensors
    with torch.no_grad():
        guess = trained.model(batch["image"]).argmax(1)
    mine = np.zeros((10, 10), dtype=int)
    np.add.at(mine, (batch["label"].numpy(), guess.numpy()), 1)
    assert mine.tolist() == engine_confusion
    samples = controller.results.samples.samples
    assert samples and all(s["image"].shape == (8, 8) for s in samples)

    # try it: a drawing and a dropped image file give five probabilities
    pad = controller.try_it.pad
    from PySide6.QtCore import QPoint

    pad.draw_line(QPoint(112, 40), QPoint(112, 190))
    top = controller.try_it.predict_drawing()
    probs = [p for _n, p in top]
    assert len(top) == 5 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert {n for n, _p in top} <= set("0123456789")
    pad.image.save(str(tmp_path / "one.png"))
    assert len(controller.try_it.predict_file(tmp_path / "one.png")) == 5

    # weights: .pt and .safetensors hold the trained state_dict
    for name in ("w.pt", "w.safetensors"):
        saved = controller.save_weights_dialog(run, str(tmp_path / name))
        loaded = load_state_dict_file(saved)
        assert all(torch.equal(loaded[k], v) for k, v in run.state_dict.items())

    # CSV and PNG export of the curves
    steps_csv, epochs_csv = controller.plots.export_csv(tmp_path / "curves.csv")
    assert len(steps_csv.read_text().splitlines()) == len(run.steps) + 1
    assert len(epochs_csv.read_text().splitlines()) == 4
    assert controller.plots.export_png(tmp_path / "curves.png").stat().st_size > 1000

    # a second run, then overlay both from the history
    run2 = run_to_end(qtbot, controller)
    controller.history.set_ticked([run, run2])
    assert len(controller.plots.overlay_items) >= 4

    # reopening the project restores its runs and the last run's trained model
    window2 = make_window(window.document.path)
    controller2 = install(window2, app_data=tmp_path / "appdata")
    assert [r.run_id for r in controller2.runs] == [run.run_id, run2.run_id]
    restored = controller2.trained_model(controller2.runs[-1])
    with torch.no_grad():
        x = batch["image"][:16]
        np.testing.assert_allclose(restored.model(x).numpy(),
                                   controller.trained_model(run2).model(x).numpy(), rtol=1e-6)
    assert controller2.results.confusion.matrix == run2.val_metrics["val/loss/confusion"]
    controller2.shutdown()


def test_binary_results_show_a_two_by_two_confusion_with_class_names(qtbot, trainer_app, recorder):
    """Logistic regression (one logit, BCEWithLogitsLoss) gets the classification view, not a
    scatter of logits against 0/1; the matrix is the engine's, counted again from the model."""
    import torch

    from engine.data import build_datasets

    window, controller = trainer_app(epochs=3, limit=None, example="logistic_regression.json")
    run = run_to_end(qtbot, controller)
    results = controller.results
    engine_confusion = recorder.validations[-1]["val/loss/confusion"]
    assert results.stack.currentIndex() == 1 and results.confusion.matrix == engine_confusion
    assert results.confusion.names == ["malignant", "benign"]
    assert not results.samples.isVisible()  # a table: no validation images to show
    assert results.summary.text().startswith("validation accuracy")
    data = build_datasets(window.document.project.data, window.document.project.base_dir)
    batch = data.val.__getitems__(list(range(len(data.val)))).tensors
    with torch.no_grad():
        guess = (controller.trained_model(run).model(batch["features"]) > 0).long()
    mine = np.zeros((2, 2), dtype=int)
    np.add.at(mine, (batch["label"].long().numpy(), guess.numpy()), 1)
    assert mine.tolist() == engine_confusion
    controller.docks["results"].raise_()
    qtbot.wait(50)
    results.grab().save(str(SCREENSHOTS / "results_binary.png"))


def test_screenshot_of_the_training_view(qtbot, trainer_app):
    window, controller = trainer_app(epochs=8, limit=None)
    window.resize(1500, 1000)
    run_to_end(qtbot, controller)
    controller.docks["results"].raise_()
    controller.docks["training"].raise_()
    qtbot.wait(100)
    assert controller.docks["training"].isVisible() and controller.plots.isVisible()
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / "training_view.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_try_it_for_table_models_edits_features_and_loads_validation_rows(qtbot, trainer_app):
    import torch

    from engine.data import build_datasets

    window, controller = trainer_app(epochs=3, limit=None, example="logistic_regression.json")
    run = run_to_end(qtbot, controller)
    try_it = controller.try_it
    assert try_it.pages.currentWidget() is try_it.form  # a table row, not a drawing pad
    form = try_it.form
    assert form.table.rowCount() == 30 and form.table.item(0, 0).text() == "mean radius"
    form.next_sample()
    form.next_sample()  # the second validation row
    data = build_datasets(window.document.project.data, window.document.project.base_dir)
    row = data.val[1]
    np.testing.assert_allclose(form.values(), row["features"].numpy(), rtol=1e-5)
    truth = ["malignant", "benign"][int(row["label"])]
    assert form.caption.text() == f"validation row 2 of {len(data.val)} · true label {truth}"
    with torch.no_grad():
        p = float(torch.sigmoid(controller.trained_model(run).model(torch.from_numpy(form.values())[None])))
    best = ("benign", p) if p >= 0.5 else ("malignant", 1 - p)
    assert try_it.predictions[0][0] == best[0] and abs(try_it.predictions[0][1] - best[1]) < 1e-6
    assert len(try_it.predictions) == 2 and not try_it.rows[2][0].isVisible()
    form.table.item(0, 1).setText("wide")  # a typo: the status names the feature
    assert try_it.status.text() == "mean radius: 'wide' is not a number — type a number"
    form.table.item(0, 1).setText("30")  # an edit predicts again
    assert "Model of Run 1" in try_it.status.text() and form.caption.text() == "edited values"
    SCREENSHOTS.mkdir(exist_ok=True)
    controller.docks["try"].raise_()
    qtbot.wait(50)
    try_it.grab().save(str(SCREENSHOTS / "try_it_table.png"))


def test_try_it_shows_a_regression_value(qtbot, trainer_app):
    import torch

    _window, controller = trainer_app(epochs=2, limit=None, example="house_prices.json")
    run = run_to_end(qtbot, controller)
    form = controller.try_it.form
    form.next_sample()
    with torch.no_grad():
        value = float(controller.trained_model(run).model(torch.from_numpy(form.values())[None]).reshape(-1)[0])
    assert controller.try_it.status.text() == f"Model of Run 1: predicts {value:.6g}"
    assert "true target" in form.caption.text() or "true price" in form.caption.text()
