"""GUI training overhead: the MNIST CNN for one epoch on the bundled MNIST subset.

Runs the same training (a) headless with the real ``torchwire train`` command in its
own process, and (b) in the app: offscreen MainWindow, the training worker thread,
live plots on. Alternates the two ``--repeat`` times and prints

* samples/s of each (the trainer's own per-epoch ``samples_per_s``) and the ratio
  GUI / CLI (target >= 0.95), both with torch's default thread count (or ``--threads``);
* GUI event-loop delay during training, measured by a 5 ms probe QTimer: how late
  each timeout fires (target p99 <= 20 ms, max <= 100 ms).

Each round also trains once in the app's ``TrainThread`` without a window, in this
process, and prints (c): that bare thread against the CLI, and the app against it,
which separates the GUI's own cost from this process's difference to the CLI's.

(d) is the GUI's own work without any training next to it: the app runs with a
stand-in worker that only reports steps at the training's pace (250 a second, as
the real run's ~16k samples/s at batch 64) for 5 s, and the GUI thread's CPU time
per frame is printed. It varies far less than (a) (about ±10 % here), so it is the
figure to compare, run back to back, when changing what the GUI does during a run.
It includes what an idle gap costs: on this VM the same frame's work takes about
twice as long 50 ms after the last one as 1 ms after it (cold caches).

Each round runs the app twice: without the probe for (a) — 200 timer wake-ups a
second are the measurement's own load, not the app's — and with it for (b); the
ratio with the probe running is printed too. A CLI run comes before and after each
round's app runs (shared with the next round) and the round's CLI figure is their
mean, so a machine that speeds up or slows down over the round affects both sides.

Usage::

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python bench/gui_training.py [--repeat 15] [--threads N]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PROBE_MS = 5


def project_file(folder: Path, epochs: int) -> Path:
    raw = json.loads((ROOT / "assets" / "examples" / "mnist_cnn.json").read_text())
    raw["training"].update({"epochs": epochs, "checkpoint_every": 0, "device": "cpu"})
    path = folder / "mnist_cnn.json"
    path.write_text(json.dumps(raw))
    return path


def cli_run(path: Path, threads: int | None, folder: Path) -> float:
    """One run of the real ``torchwire train`` command in its own process (as a user runs
    it); returns the trainer's samples/s of the first epoch from its ``metrics.csv``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    out = folder / f"cli-{time.monotonic_ns()}"
    subprocess.run([sys.executable, "-m", "engine.cli", "train", str(path), "--out", str(out),
                    "--no-progress"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    with (out / "metrics.csv").open(newline="") as fh:
        return float(next(csv.DictReader(fh))["samples_per_s"])


def gui_run(app, path: Path, threads: int | None, folder: Path, probe_on: bool = True
            ) -> tuple[float, list[float], int, float]:
    """One run from the app; returns (samples/s, probe delays in ms, redraws, GUI-thread CPU share).

    With ``probe_on`` false no probe timer runs (its 200 wake-ups a second are the
    measurement's own cost, not the app's)."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from gui.main_window import MainWindow
    from gui.training import install

    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(path, settings=settings, autosave_dir=folder / "autosave", check_recovery=False)
    controller = install(window, app_data=folder / "appdata", torch_threads=threads)
    window.resize(1500, 1000)
    window.show()
    window.document.infer_now()
    settle(app, controller)
    delays: list[float] = []
    state = {"last": 0.0, "on": False}

    def probe() -> None:
        now = time.perf_counter()
        if state["on"]:
            delays.append(max(0.0, (now - state["last"]) * 1000 - PROBE_MS))
        state["last"] = now

    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    if probe_on:
        timer.start()

    cpu = {"start": 0.0, "wall": 0.0, "used": 0.0}

    def training_started(_info: dict) -> None:
        state["on"], state["last"] = True, time.perf_counter()
        cpu["start"], cpu["wall"] = time.thread_time(), time.perf_counter()

    def epoch_done(*_args: object) -> None:
        if state["on"]:  # measure the training loop only, not validation or teardown
            cpu["used"] = (time.thread_time() - cpu["start"]) / (time.perf_counter() - cpu["wall"])
        state["on"] = False

    loop = QEventLoop()
    controller.run_ended.connect(lambda _run: loop.quit())
    assert controller.start(), controller.controls.message.text()
    bridge = controller.thread.bridge
    bridge.fit_started.connect(training_started)
    bridge.validated.connect(epoch_done)
    bridge.epoch_ended.connect(epoch_done)
    loop.exec()  # the real event loop: it sleeps between events like the app does
    timer.stop()
    run = controller.runs[-1]
    redraws = controller.plots.redraws
    speed = float(run.epochs[0]["samples_per_s"])
    controller.shutdown()
    window.document.dispose()
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return speed, delays, redraws, cpu["used"]


def bare_run(path: Path, threads: int | None, folder: Path) -> float:
    """The app's training thread (``TrainThread``) with no window, in this process: how fast
    training runs here without the GUI's work, to tell that work's cost from the difference
    between this process and the CLI's."""
    from PySide6.QtCore import QEventLoop

    from engine.project import load_project
    from gui.training.worker import Bridge, TrainThread

    bridge, got, loop = Bridge(), {}, QEventLoop()
    bridge.epoch_ended.connect(lambda _epoch, metrics: got.update(metrics))
    # the app's run mode (gui/training/controller.py): the collector skips what exists at
    # the start and what loading and compiling left when training starts
    gc.freeze()
    bridge.fit_started.connect(lambda _info: gc.freeze())
    thread = TrainThread(load_project(path), folder, bridge, torch_threads=threads, results=False)
    thread.finished.connect(loop.quit)
    thread.start()
    loop.exec()
    thread.wait()
    gc.unfreeze()
    return float(got["samples_per_s"])


def frame_cost(app, path: Path, folder: Path, seconds: float = 5.0, steps_per_s: int = 250
               ) -> tuple[float, int]:
    """The app during a run whose worker only reports steps (no training): GUI-thread CPU
    per frame in ms, and the number of frames (see (d) in the module docstring)."""
    import math

    from PySide6.QtCore import QEventLoop, QSettings

    from gui.main_window import MainWindow
    from gui.training import controller as controller_module
    from gui.training import install
    from gui.training.worker import TrainThread

    steps = int(seconds * steps_per_s)

    class StepsOnly(TrainThread):
        def run(self) -> None:
            bridge = self.bridge
            bridge.planned.emit({"steps_per_epoch": steps, "lr": 0.01})
            bridge.fit_started.emit({"epochs": 1, "start_epoch": 1, "steps_per_epoch": steps,
                                     "batch_size": 64, "losses": [{"name": "loss",
                                                                   "task": "classification"}]})
            start = time.perf_counter()
            for step in range(1, steps + 1):
                loss = 2.3 * math.exp(-step / 300) + 0.1 + 0.05 * math.sin(step * 1.7)
                bridge.steps.put(step, loss, 0.01, 1, 16000.0)
                time.sleep(max(0.0, start + step / steps_per_s - time.perf_counter()))
            bridge.epoch_ended.emit(1, {"train/loss": 0.2, "samples_per_s": 16000.0})
            bridge.finished.emit({"result": {"reason": "completed", "epochs_completed": 1}})

    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(path, settings=settings, autosave_dir=folder / "autosave", check_recovery=False)
    controller = install(window, app_data=folder / "appdata")
    window.resize(1500, 1000)
    window.show()
    window.document.infer_now()
    settle(app, controller)
    cpu: dict[str, float] = {}
    loop = QEventLoop()
    controller.run_ended.connect(lambda _run: loop.quit())
    real = controller_module.TrainThread
    controller_module.TrainThread = StepsOnly
    try:
        assert controller.start(), controller.controls.message.text()
    finally:
        controller_module.TrainThread = real
    bridge = controller.thread.bridge
    bridge.fit_started.connect(lambda _info: cpu.update(start=time.thread_time(),
                                                        frames=controller.plots.redraws))
    bridge.epoch_ended.connect(lambda *_a: cpu.update(used=time.thread_time() - cpu["start"],
                                                      frames=controller.plots.redraws - cpu["frames"]))
    loop.exec()
    controller.shutdown()
    window.document.dispose()
    window.close()
    window.deleteLater()
    app.processEvents()
    return cpu["used"] * 1000 / max(1, cpu["frames"]), int(cpu["frames"])


def settle(app, controller, ms: int = 600) -> None:
    """Let the freshly opened window lay out, paint and finish its data preview before Train.

    A user presses Train on a window that is already on screen; without this the run
    would also pay for the window's first layout and paint and the Data panel's
    background preview, which the app does once at start-up, not per run.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    controller.data_panel.wait_preview()
    app.processEvents()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15,
                        help="rounds of CLI and GUI runs (this machine's run-to-run noise is ±20 %%)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads of both runs (default: torch's own count, as the app and the CLI use)")
    args = parser.parse_args()

    import torch

    from engine.allocator import tune_cpu_allocator
    from gui.main_window import application
    from gui.training.plots import REDRAW_MS

    tune_cpu_allocator()  # as the torchwire command does before opening the app

    app = application()  # as the app: QApplication plus its GUI-thread garbage collector
    folder = Path(tempfile.mkdtemp(prefix="torchwire-bench-"))
    path = project_file(folder, epochs=1)
    from gui.torch_threads import training_threads

    threads = args.threads or training_threads()
    print(f"MNIST CNN, 1 epoch, bundled MNIST subset (8,000 train), batch 64, SGD; "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}; torch threads: CLI (torchwire train, "
          f"own process) {args.threads or 'its default'}, GUI training thread {threads}")
    rows: list[tuple[float, float, float, float]] = []  # CLI, GUI, GUI with the probe, bare thread
    all_delays: list[float] = []
    after = cli_run(path, args.threads, folder)
    for i in range(args.repeat):
        before, after = after, None
        runs = []
        for probe_on in (False, True):
            run_folder = folder / f"gui{i}-{int(probe_on)}"
            run_folder.mkdir()
            runs.append(gui_run(app, path, threads, run_folder, probe_on=probe_on))
        (gui, _, redraws, gui_cpu), (probed, delays, _, _) = runs
        bare = bare_run(path, threads, folder / f"bare{i}")
        after = cli_run(path, args.threads, folder)
        cli = (before + after) / 2  # the CLI runs on both sides: the machine's drift cancels
        rows.append((cli, gui, probed, bare))
        all_delays += delays
        print(f"  round {i + 1}: CLI {cli:6.0f}  GUI {gui:6.0f} samples/s (ratio {gui / cli:.3f}; "
              f"{redraws} redraws, GUI thread CPU {gui_cpu:.1%})   with the probe: GUI {probed:6.0f} "
              f"(ratio {probed / cli:.3f}), delay p99 {percentile(delays, 99):4.1f} ms, "
              f"max {max(delays or [0]):5.1f} ms; bare thread {bare:6.0f}")
    costs = []
    for i in range(3):
        (frame_folder := folder / f"frames{i}").mkdir()
        costs.append(frame_cost(app, path, frame_folder))
    ratios = sorted(r[1] / r[0] for r in rows)
    ratio = statistics.median(ratios)
    ratio_probed = statistics.median(r[2] / r[0] for r in rows)
    p99, worst = percentile(all_delays, 99), max(all_delays or [0.0])
    print(f"(a) GUI / CLI samples/s, median of rounds: {ratio:.3f} (target >= 0.95; middle half of the "
          f"rounds {percentile(ratios, 25):.3f}–{percentile(ratios, 75):.3f}); "
          f"medians CLI {statistics.median(r[0] for r in rows):.0f}, "
          f"GUI {statistics.median(r[1] for r in rows):.0f}; with the 5 ms probe running: {ratio_probed:.3f}")
    print(f"(b) event-loop delay (5 ms probe, {len(all_delays)} samples): p50 "
          f"{percentile(all_delays, 50):.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms  "
          f"(target p99 <= 20, max <= 100)")
    print(f"(c) for reading (a): the app's training thread without a window, in this process, "
          f"against the CLI: {statistics.median(r[3] / r[0] for r in rows):.3f}; the app against that "
          f"bare thread (the GUI's own cost): {statistics.median(r[1] / r[3] for r in rows):.3f}")
    per_frame = statistics.median(c[0] for c in costs)
    print(f"(d) the GUI's own work with no training beside it (a worker that only reports 250 steps/s "
          f"for 5 s, 3 times): {per_frame:.2f} ms of GUI-thread CPU per frame ({costs[0][1]} frames), "
          f"{100 * per_frame / REDRAW_MS:.1f} % of one core at {1000 // REDRAW_MS} Hz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
