"""A GAN project trains from the app and the sample grid updates each epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from training_fixtures import *  # noqa: F403 - fixtures shared by the training GUI tests
from training_fixtures import run_to_end

from engine.examples import open_example
from engine.project import save_project

SCREENSHOTS = Path(__file__).parent / "screenshots"


def test_gan_samples_update_each_epoch(qtbot, make_window, tmp_path):
    from gui.training import install

    project = open_example("gan_digits")
    project.data = project.data.model_copy(update={"limit": 256})
    project.training.epochs = 2
    project.training.batch_size = 64
    path = save_project(project, tmp_path / "gan.json")
    window = make_window(path)
    window.maybe_save = lambda: True
    controller = install(window, app_data=tmp_path / "appdata")
    window.document.infer_now()
    seen: list[np.ndarray] = []

    original = controller.samples.show_samples

    def record(epoch, samples):
        original(epoch, samples)
        seen.append(controller.samples.grid.copy())

    controller.samples.show_samples = record
    run = run_to_end(qtbot, controller)
    assert run.status == "finished"
    assert len(seen) == 2  # one grid per epoch
    assert seen[0].shape == (32, 32)  # 16 samples of 8×8 in rows of four
    assert not np.array_equal(seen[0], seen[1])  # the generator learned something between epochs
    assert controller.samples.epoch == 2 and "epoch 2" in controller.samples.caption.text()
    assert not controller.samples.image.pixmap().isNull()
    # both losses were plotted per epoch
    keys = {k for e in run.epochs for k in e}
    assert any("discriminator" in k for k in keys) and any("generator" in k for k in keys)
    # the accuracy plot shows how often the discriminator told real from generated
    xs, ys = controller.plots.curve_data("val/discriminator/accuracy")
    assert list(xs) == [1, 2] and all(0 <= y <= 1 for y in ys)
    assert ys[-1] == run.epochs[-1]["val/discriminator/accuracy"]
    assert run.best_accuracy is None and "accuracy" not in run.message  # not a quality measure here
    SCREENSHOTS.mkdir(exist_ok=True)
    controller.docks["curves"].raise_()
    qtbot.wait(50)
    window.grab().save(str(SCREENSHOTS / "training_gan_curves.png"))
    controller.docks["samples"].raise_()
    qtbot.wait(50)
    window.grab().save(str(SCREENSHOTS / "training_gan.png"))
    controller.shutdown()


def test_runs_of_bundled_examples_go_to_app_data(tmp_path):
    from engine.examples import examples_dir
    from engine.project import load_project
    from gui.training.runs import runs_root

    example = load_project(examples_dir() / "mlp_digits.json")
    assert runs_root(example, tmp_path) == tmp_path / "runs" / "mlp_digits"
    mine = save_project(example.copy(), tmp_path / "mine" / "digits.json")
    assert runs_root(load_project(mine), tmp_path) == tmp_path / "mine" / "digits.runs"
