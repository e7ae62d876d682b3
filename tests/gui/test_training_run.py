"""Runs from the GUI: plots hold what the trainer reported, pause/resume, stop, failures, close."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from training_fixtures import *  # noqa: F403 - fixtures shared by the training GUI tests
from training_fixtures import run_to_end, write_project


def test_run_to_end_plots_hold_what_the_trainer_reported(qtbot, trainer_app, recorder):
    window, controller = trainer_app(epochs=3)
    assert controller.plots.status.text().startswith("No runs yet — press Train (F5)")
    before = window.document.project.to_dict()
    locked = []
    controller.run_started.connect(lambda _r: locked.append(window.read_only))
    started = time.monotonic()
    run = run_to_end(qtbot, controller)
    elapsed = time.monotonic() - started
    assert locked == [True] and not window.read_only
    assert run.status == "finished" and len(run.epochs) == 3

    steps, losses, lrs = map(np.asarray, zip(*recorder.steps, strict=True))
    plots = controller.plots
    xs, ys = plots.curve_data("raw")
    np.testing.assert_array_equal(xs, steps)
    np.testing.assert_allclose(ys, losses)
    np.testing.assert_allclose(plots.curve_data("lr")[1], lrs)
    assert len(plots.curve_data("smooth")[1]) == len(steps)
    for key in ("val/loss", "train/loss", "val/loss/accuracy"):
        ex, ey = plots.curve_data(key)
        np.testing.assert_array_equal(ex, [m["epoch"] for m in recorder.epochs])
        np.testing.assert_allclose(ey, [m[key] for m in recorder.epochs])
    # redraws come from the 25 Hz timer, not from each batch
    assert plots.redraws <= elapsed * 25 + 10
    assert controller.controls.progress.value() == controller.controls.progress.maximum()
    assert controller.plots.status.text().startswith(f"Run 1: step {len(steps):,} · loss ")
    # the run is kept: in memory, in the history list and on disk with its weights
    assert run.folder is not None and (run.folder / "run.json").is_file()
    assert (run.folder / "weights.safetensors").is_file()
    assert controller.history.list.count() == 1
    assert window.document.project.to_dict() == before
    assert not window.document.modified


def test_pause_and_resume(qtbot, trainer_app, slow_steps):
    _window, controller = trainer_app(epochs=2, batch_size=4)
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        controller.start()
        qtbot.waitUntil(lambda: controller.current is not None and len(controller.current.steps) >= 5,
                        timeout=30_000)
        controller.toggle_pause()
        assert controller.controls.pause_button.text().endswith("Resume")
        qtbot.wait(300)
        held = len(controller.current.steps)
        qtbot.wait(400)
        assert len(controller.current.steps) == held  # nothing trains while paused
        assert held < 2 * 80
        controller.toggle_pause()
    run = controller.runs[-1]
    assert run.status == "finished" and len(run.epochs) == 2
    assert len(run.steps) == 2 * 80 and list(run.steps.values) == list(range(1, 161))


def test_stop_mid_epoch_keeps_the_weights(qtbot, trainer_app, slow_steps):
    window, controller = trainer_app(epochs=50, batch_size=4)
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        controller.start()
        qtbot.waitUntil(lambda: controller.current is not None and len(controller.current.steps) >= 10,
                        timeout=30_000)
        controller.stop()
    run = controller.runs[-1]
    assert run.status == "stopped"
    assert len(run.epochs) < 50 and len(run.steps) % 80 != 0  # stopped inside an epoch
    assert run.state_dict is not None and (run.folder / "weights.safetensors").is_file()
    assert not window.read_only and controller.actions["train"].isEnabled()


def test_worker_exception_names_the_node_and_the_app_stays_usable(qtbot, trainer_app, monkeypatch):
    import torch

    window, controller = trainer_app(epochs=2)
    before = window.document.project.to_dict()
    original = torch.nn.Linear.forward
    calls = {"n": 0}

    def failing(self, x):
        calls["n"] += 1
        if calls["n"] > 4:
            raise RuntimeError("synthetic failure")
        return original(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", failing)
    run = run_to_end(qtbot, controller)
    assert run.status == "failed"
    message = controller.controls.message.text()
    assert "synthetic failure" in message and "batch" in message and "'fc" in message
    assert not window.read_only and window.document.project.to_dict() == before
    monkeypatch.setattr(torch.nn.Linear, "forward", original)
    assert run_to_end(qtbot, controller).status == "finished"  # the app is still usable


def test_diverging_loss_stops_with_a_message(qtbot, trainer_app):
    """A real divergence: linear regression on raw house prices with SGD at lr 10."""
    window, controller = trainer_app(example="house_prices.json", epochs=20, batch_size=16,
                                     optimizer="sgd", lr=10.0, momentum=0.0)
    before = window.document.project.to_dict()
    run = run_to_end(qtbot, controller)
    assert run.status == "failed"
    message = controller.controls.message.text()
    assert ("inf" in message.lower() or "nan" in message.lower()) and "step" in message
    assert "learning rate" in message
    assert not window.read_only and window.document.project.to_dict() == before


def test_train_refused_while_the_graph_has_errors(qtbot, trainer_app):
    window, controller = trainer_app()
    doc = window.document
    fc1 = doc.graph.by_name("fc1")
    doc.set_param(fc1.id, "in_features", 7)  # does not fit the flattened 8×8 image
    doc.infer_now()
    assert not controller.start()
    assert not controller.running
    text = controller.controls.message.text()
    assert text.startswith("Training refused") and "fc1" in text
    doc.undo_stack.undo()
    assert controller.issues() == []
    assert not doc.modified


@pytest.mark.parametrize("answer", [False, True])
def test_close_during_a_run_asks_then_stops_cleanly(qtbot, trainer_app, slow_steps, answer):
    window, controller = trainer_app(epochs=50, batch_size=4)
    asked = []
    controller.confirm_close = lambda: asked.append(True) or answer
    controller.start()
    qtbot.waitUntil(lambda: controller.current is not None and len(controller.current.steps) >= 3,
                    timeout=30_000)
    thread = controller.thread
    window.close()
    assert asked == [True]
    if not answer:
        assert window.isVisible() and controller.running
        controller.stop_and_wait()
    else:
        assert not window.isVisible()
    assert controller.thread is None and thread.isFinished()
    assert controller.runs[-1].status == "stopped"


def test_training_thread_gets_every_torch_thread_and_the_gui_thread_one(qtbot, trainer_app,
                                                                        monkeypatch):
    """libgomp throttles every pool once more threads than cores have run parallel work,
    so the GUI thread stays at one intra-op thread and the run gets the machine's count."""
    import torch

    from gui.torch_threads import training_threads
    from gui.training import worker

    seen: list[tuple[int, int]] = []
    original = worker.SignalCallback.on_fit_start

    def on_fit_start(self, info):
        seen.append((torch.get_num_threads(), len(seen)))  # in the training thread
        original(self, info)

    monkeypatch.setattr(worker.SignalCallback, "on_fit_start", on_fit_start)
    _window, controller = trainer_app(epochs=1)
    run = run_to_end(qtbot, controller)
    assert run.status == "finished"
    assert [n for n, _ in seen] == [training_threads()]
    assert torch.get_num_threads() == 1  # the GUI thread, during and after the run


def test_a_run_can_start_from_saved_weights(qtbot, trainer_app, tmp_path):
    """Fine-tuning in the app: the Training panel's "Start from" takes a run's saved weights."""
    window, controller = trainer_app(epochs=2)
    first = run_to_end(qtbot, controller)
    weights = tmp_path / "first.safetensors"
    controller.save_weights_dialog(first, str(weights))
    field = controller.training_panel.init_weights
    field.choose(str(weights))  # inside the project's folder: stored relative to it
    assert window.document.project.training.init_weights == "first.safetensors"
    second = run_to_end(qtbot, controller)
    assert second.status == "finished"
    assert second.info["init_weights"] == "started from first.safetensors: 4 tensor(s) loaded"
    # it carries on from the first run's weights instead of starting over
    assert second.epochs[0]["train/loss"] < first.epochs[0]["train/loss"]
    assert second.epochs[0]["train/loss"] <= 1.2 * first.epochs[-1]["train/loss"]
    window.document.undo_stack.undo()  # one undoable edit
    assert window.document.project.training.init_weights == ""


def test_stop_right_after_train_before_the_worker_started(qtbot, trainer_app):
    """The worker thread starts once the window has repainted; a stop (or the window closing)
    before that ends the run cleanly, without a thread left behind."""
    window, controller = trainer_app(epochs=5)
    assert controller.start()
    assert not controller.thread.isRunning()  # not yet: after the pending events
    assert controller.stop_and_wait()
    assert controller.thread is None and not controller.running
    assert controller.runs[-1].status == "stopped"
    qtbot.wait(20)  # the pending start finds no run and does nothing (the thread object is gone)
    assert controller.start()  # and the next run starts and ends normally
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    assert controller.runs[-1].status == "finished"


def _untitled_app(make_window, tmp_path: Path, app_data: Path, epochs: int):
    """A window with training, showing an untitled copy of the digits project."""
    from engine.project import load_project
    from gui.training import install

    project = load_project(write_project(tmp_path, epochs=epochs))
    project.path = None
    window = make_window()
    window.document.set_project(project)
    controller = install(window, app_data=app_data)
    window.document.infer_now()
    return window, controller


def test_runs_of_an_untitled_project_move_beside_it_when_first_saved(qtbot, make_window, tmp_path):
    from gui.training import install
    from gui.training.runs import RunRecord

    app_data = tmp_path / "appdata"
    untitled = app_data / "runs" / "untitled"
    other = RunRecord("run-20250101-000000", "Run of another untitled project", {},
                      folder=untitled / "run-20250101-000000")
    other.save()
    window, controller = _untitled_app(make_window, tmp_path, app_data, epochs=1)
    run = run_to_end(qtbot, controller)
    assert run.folder.parent == untitled
    assert {r.run_id for r in controller.runs} >= {run.run_id}

    saved = tmp_path / "mine.json"
    window.document.save(saved)
    assert run.folder == tmp_path / "mine.runs" / run.run_id
    assert (run.folder / "weights.safetensors").is_file()
    assert not (untitled / run.run_id).exists()
    assert (untitled / other.run_id / "run.json").is_file()  # only this session's runs follow
    assert [r.run_id for r in controller.runs] == [run.run_id]  # the saved project's history
    qtbot.waitUntil(lambda: "1 run(s) of this session moved beside mine.json" in window.last_message())
    controller.shutdown()

    reopened = make_window(saved)
    again = install(reopened, app_data=app_data)
    assert [r.run_id for r in again.runs] == [run.run_id]
    assert again.runs[0].load_weights() is not None
    again.shutdown()


def test_runs_move_to_a_project_on_another_file_system_whole(qtbot, make_window, tmp_path):
    """App data and project on different file systems (here tmpfs and the disk): the run is
    copied, then renamed into place, and its source removed."""
    import shutil
    import tempfile

    app_data = Path(tempfile.mkdtemp(prefix="torchwire-appdata-", dir="/dev/shm"))
    try:
        window, controller = _untitled_app(make_window, tmp_path, app_data, epochs=1)
        run = run_to_end(qtbot, controller)
        assert run.folder.stat().st_dev != tmp_path.stat().st_dev
        window.document.save(tmp_path / "mine.json")
        assert run.folder == tmp_path / "mine.runs" / run.run_id
        assert (run.folder / "run.json").is_file() and (run.folder / "weights.safetensors").is_file()
        assert not (app_data / "runs" / "untitled" / run.run_id).exists()
        assert [p.name for p in (tmp_path / "mine.runs").iterdir()] == [run.run_id]  # no leftovers
        controller.shutdown()
    finally:
        shutil.rmtree(app_data, ignore_errors=True)


def test_opening_another_project_is_refused_during_a_run(qtbot, trainer_app, slow_steps, tmp_path):
    """A run holds the project: File › Open (recent files too), New and the gallery are off,
    and opening a file says why; the run's project and its runs folder stay as they are."""
    other = write_project(tmp_path, name="other", epochs=1)
    window, controller = trainer_app(epochs=3)
    window._add_recent(other)
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        assert controller.start()
        assert controller.plots.status.text() == "Run 1: waiting for the first step…"
        assert not window.actions_["open"].isEnabled() and not window.actions_["new"].isEnabled()
        assert not window.recent_menu.isEnabled()
        assert window.open_file(other) is False
        assert window.last_message().startswith("Cannot open other.json now: Training")
        assert window.document.path.name == "digits.json"
        controller.stop()
    assert window.recent_menu.isEnabled() and window.actions_["open"].isEnabled()


def test_a_run_in_progress_moves_once_it_has_ended(qtbot, make_window, tmp_path, slow_steps):
    window, controller = _untitled_app(make_window, tmp_path, tmp_path / "appdata", epochs=2)
    with qtbot.waitSignal(controller.run_ended, timeout=60_000) as ended:
        assert controller.start()
        qtbot.waitUntil(lambda: controller.current is not None and len(controller.current.steps) > 0)
        window.document.save(tmp_path / "mine.json")
        assert controller.current.folder.parent == tmp_path / "appdata" / "runs" / "untitled"
    run = ended.args[0]
    assert run.status == "finished" and run.folder == tmp_path / "mine.runs" / run.run_id
    assert (run.folder / "run.json").is_file() and (run.folder / "weights.safetensors").is_file()
    controller.shutdown()


def test_the_collector_skips_the_setup_during_training_and_everything_is_collectable_after(
        qtbot, trainer_app, slow_steps, monkeypatch):
    """While a run trains, the GUI-thread collector has only what the training loop keeps to
    scan: what the worker's setup (loading the data, compiling the graph) left is frozen when
    training starts, not scanned mid-epoch with the GIL held. When the run ends, nothing
    stays frozen."""
    import gc

    import engine.data

    kept: list[list[list[int]]] = []
    build = engine.data.build_datasets

    def build_and_keep(*args, **kwargs):  # a setup that leaves 50,000 objects behind
        kept.append([[] for _ in range(50_000)])
        return build(*args, **kwargs)

    monkeypatch.setattr(engine.data, "build_datasets", build_and_keep)
    window, controller = trainer_app(epochs=2)
    at_fit = []
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        assert controller.start()
        at_start = gc.get_freeze_count()  # the app, torch and the project
        controller.thread.bridge.fit_started.connect(
            lambda _info: at_fit.append((gc.get_freeze_count(), gc.get_count()[0])),
            Qt.ConnectionType.QueuedConnection)
        qtbot.waitUntil(lambda: bool(at_fit), timeout=30_000)
    frozen, young = at_fit[0]
    assert kept and frozen >= at_start + 50_000
    assert young < 500
    assert gc.get_freeze_count() == 0


def test_a_script_that_ends_mid_run_stops_the_run_cleanly(tmp_path):
    """A script that opens the app and exits while a run trains (no event loop, so no
    aboutToQuit): the run is stopped and saved, and the process exits normally instead of
    Qt aborting on a running thread."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    project = write_project(tmp_path, epochs=500)
    script = tmp_path / "script.py"
    script.write_text(f"""
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from gui.app import build_window
from gui.main_window import application

app = application()
tmp = Path({str(tmp_path)!r})
window = build_window(Path({str(project)!r}), app_data=tmp / "appdata", autosave_dir=tmp / "autosave",
                      settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                      check_recovery=False)
window.document.infer_now()
assert window.training.start()
loop = QEventLoop()
window.training.thread.bridge.fit_started.connect(lambda _info: QTimer.singleShot(300, loop.quit))
loop.exec()
print("leaving mid-run", flush=True)
""")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "leaving mid-run" in done.stdout and "Destroyed while thread" not in done.stderr
    runs = list((tmp_path / "digits.runs").glob("run-*/run.json"))
    assert len(runs) == 1 and '"status": "stopped"' in runs[0].read_text()
