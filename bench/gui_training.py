"""GUI training overhead: the MNIST CNN for one epoch on the bundled MNIST subset.

Runs the same training (a) headless with the real ``torchwire train`` command in its
own process, and (b) in the app: offscreen MainWindow, the training worker thread,
live plots on. Alternates the two ``--repeat`` times and prints

* samples/s of each (the trainer's own per-epoch ``samples_per_s``) and the ratio
  GUI / CLI (target >= 0.95), both with torch's default thread count (or ``--threads``);
* GUI event-loop delay during training, measured by a 5 ms probe QTimer: how late
  each timeout fires (target p99 <= 20 ms, max <= 100 ms).

(a*) is the same ratio measured so that this VM's speed states cancel. The machine
switches between two speeds about 1.4x apart for 3–30 s at a time, and a measured
epoch lasts about a second, so each run falls into one state or the other and the
per-round ratio of (a) swings from 0.6 to 1.6 (its median over 15 rounds moves by
±5 % between bench runs). Every run therefore also records when each training step
ended (one extra callback, in the CLI child and in the app's worker alike); each
run's epoch is cut into windows of 20 steps, the windows of all runs are split into
the machine's slow and fast state (two-means on their log speeds), and (a*) compares
the median window speeds of the app and the CLI within each state, with a 90 %
interval from resampling whole rounds. The bare thread and the probe get the same.
The interval is the point: it says how far one bench run settles (a). Measured here:
3 rounds with the machine at one speed gave GUI / CLI 0.925 (0.862–0.969); 15 rounds
while it drifted through more than two speeds gave 0.926 (0.868–1.020); 16 rounds of
CLI, app and bare thread only (no probe runs) gave 0.967 (0.932–0.989) in the fast
state; 30 rounds gave 0.957 (0.928–0.984) in the fast and 0.954 (0.931–0.996) in the
slow state while their median of rounds (a) was 0.942. None of these decides 0.95
either way. What they do settle: the bare thread trains about as fast as the CLI
(0.988, 0.996, 1.009, and 0.975 and 0.981 in the 30-round run, intervals about ±4 %),
so what (a) lacks is the GUI's own work during the run, not this process.

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
import math
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
CHILD_FLAG = "--cli-child"  # internal: run ``torchwire train`` here, writing its step times to a file
WINDOW = 20  # training steps per speed window of the state-matched figure (about 0.1 s, two frames)
STEP_TIMES: list[dict] = []  # one {"batch_size", "train_samples", "ends"} per run, in run order


def record_step_times() -> None:
    """Give every Trainer made in this process one more callback that notes when each step of
    its first epoch ended (``time.perf_counter``); the record goes to :data:`STEP_TIMES`.

    Both sides get it (the CLI child and the app's worker), so both pay the same few
    microseconds per step for the event the trainer builds for a batch listener.
    """
    from engine.training.callbacks import Callback
    from engine.training.trainer import Trainer

    class StepTimes(Callback):
        def __init__(self) -> None:
            self.record: dict = {"ends": []}
            STEP_TIMES.append(self.record)

        def on_fit_start(self, info: dict) -> None:
            self.record.update(batch_size=info["batch_size"], train_samples=info["train_samples"])

        def on_batch_end(self, step: int, epoch: int, *_args: object) -> None:
            if epoch == 1:
                self.record["ends"].append(time.perf_counter())

    made = Trainer.__init__

    def with_step_times(self, *args, callbacks=(), **kwargs) -> None:
        made(self, *args, callbacks=[*callbacks, StepTimes()], **kwargs)

    Trainer.__init__ = with_step_times


def cli_child(times_file: str, argv: list[str]) -> int:
    """The ``torchwire train`` command (``engine.cli.main``) with step times recorded."""
    from engine.allocator import tune_cpu_allocator

    tune_cpu_allocator()  # before torch allocates anything, as the command does first
    record_step_times()
    from engine.cli import main as torchwire

    code = torchwire(argv)
    Path(times_file).write_text(json.dumps(STEP_TIMES[-1]))
    return code


def window_speeds(record: dict) -> list[float]:
    """samples/s over consecutive windows of :data:`WINDOW` full batches of one run's epoch."""
    ends, batch = record["ends"], record["batch_size"]
    if record["train_samples"] % batch:
        ends = ends[:-1]  # the short last batch
    return [WINDOW * batch / (ends[i + WINDOW] - ends[i]) for i in range(0, len(ends) - WINDOW, WINDOW)]


def machine_states(speeds: list[float]) -> float | None:
    """The split between this machine's slow and fast states, or None when it kept one speed.

    This VM switches between speeds about 1.4x apart for seconds at a time (a training
    loop timed in 0.25 s bins reads ~14k samples/s, then ~10k for 3–30 s, then ~14k
    again), so a 1 s epoch falls into one state or the other. The split is the best
    two-means cut of the log speeds of all windows; it counts as two states when the
    two means lie more than 15 % apart.
    """
    logs = sorted(math.log(v) for v in speeds)
    n = len(logs)
    if n < 4:
        return None
    prefix, squares = [0.0], [0.0]
    for v in logs:
        prefix.append(prefix[-1] + v)
        squares.append(squares[-1] + v * v)

    def sse(a: int, b: int) -> float:
        total = prefix[b] - prefix[a]
        return squares[b] - squares[a] - total * total / (b - a)

    k = min(range(1, n), key=lambda k: sse(0, k) + sse(k, n))
    low, high = prefix[k] / k, (prefix[n] - prefix[k]) / (n - k)
    return math.exp((logs[k - 1] + logs[k]) / 2) if high - low > math.log(1.15) else None


def matched_ratio(rounds: list[dict[str, list[float]]], top: float | None, num: str, den: str,
                  fast: bool = True) -> tuple[float, int, int] | None:
    """Median window speed of ``num`` over that of ``den``, both in one machine state: the fast
    one (above ``top``) or with ``fast`` false the slow one; every window when the machine
    kept one speed (``top`` None). Returns the ratio with the two window counts."""
    def state(kind: str) -> list[float]:
        return [v for r in rounds for v in r[kind] if top is None or (v > top) == fast]

    a, b = state(num), state(den)
    return (statistics.median(a) / statistics.median(b), len(a), len(b)) if a and b else None


def bootstrap(rounds: list[dict[str, list[float]]], top: float | None, num: str, den: str,
              fast: bool = True, draws: int = 2000) -> tuple[float, float]:
    """5th and 95th percentile of :func:`matched_ratio` over rounds drawn with replacement
    (whole rounds, since windows of one run are not independent)."""
    import random

    rng = random.Random(0)
    values = []
    for _ in range(draws):
        got = matched_ratio(rng.choices(rounds, k=len(rounds)), top, num, den, fast)
        if got is not None:
            values.append(got[0])
    return (percentile(values, 5), percentile(values, 95)) if values else (math.nan, math.nan)


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
    times = out.with_suffix(".steps.json")
    subprocess.run([sys.executable, __file__, CHILD_FLAG, str(times), "train", str(path), "--out",
                    str(out), "--no-progress"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    STEP_TIMES.append(json.loads(times.read_text()))
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


def quiet_offscreen_warning() -> None:
    """Drop the offscreen platform's "does not support propagateSizeHints()" warning.

    Qt prints it for every window shown offscreen (dozens per round), burying the
    figures; it says nothing about the app. Every other message still goes to stderr.
    """
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind: object, _context: object, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def main() -> int:
    if sys.argv[1:2] == [CHILD_FLAG]:
        return cli_child(sys.argv[2], sys.argv[3:])
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
    record_step_times()

    app = application()  # as the app: QApplication plus its GUI-thread garbage collector
    quiet_offscreen_warning()
    folder = Path(tempfile.mkdtemp(prefix="torchwire-bench-"))
    path = project_file(folder, epochs=1)
    from gui.torch_threads import training_threads

    threads = args.threads or training_threads()
    print(f"MNIST CNN, 1 epoch, bundled MNIST subset (8,000 train), batch 64, SGD; "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}; torch threads: CLI (torchwire train, "
          f"own process) {args.threads or 'its default'}, GUI training thread {threads}")
    rows: list[tuple[float, float, float, float]] = []  # CLI, GUI, GUI with the probe, bare thread
    all_delays: list[float] = []
    windows: list[dict[str, list[float]]] = []  # per round: window speeds of each kind of run
    after = cli_run(path, args.threads, folder)
    first_cli = window_speeds(STEP_TIMES[-1])
    for i in range(args.repeat):
        before, after = after, None
        runs, speeds = [], {"cli": first_cli if i == 0 else []}
        for probe_on in (False, True):
            run_folder = folder / f"gui{i}-{int(probe_on)}"
            run_folder.mkdir()
            runs.append(gui_run(app, path, threads, run_folder, probe_on=probe_on))
            speeds["probed" if probe_on else "gui"] = window_speeds(STEP_TIMES[-1])
        (gui, _, redraws, gui_cpu), (probed, delays, _, _) = runs
        bare = bare_run(path, threads, folder / f"bare{i}")
        speeds["bare"] = window_speeds(STEP_TIMES[-1])
        after = cli_run(path, args.threads, folder)
        speeds["cli"] = speeds["cli"] + window_speeds(STEP_TIMES[-1])
        windows.append(speeds)
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
    pooled = [v for r in windows for kind in ("cli", "gui", "bare") for v in r[kind]]
    top = machine_states(pooled)
    states = [(True, f"the fast state, windows above {top:.0f} samples/s"),
              (False, "the slow state")] if top is not None else [(True, "the one speed the machine kept")]
    print(f"(a*) state-matched: median speed of {WINDOW}-step windows in the same machine state; "
          f"a wide interval means this bench run does not settle (a):")
    for fast, state in states:
        print(f"   in {state}:")
        for num, den, what in (("gui", "cli", "GUI / CLI"), ("bare", "cli", "bare thread / CLI"),
                               ("gui", "bare", "GUI / bare thread (the GUI's own cost)"),
                               ("probed", "gui", "GUI with the 5 ms probe / GUI")):
            got = matched_ratio(windows, top, num, den, fast)
            if got is None:
                print(f"     {what}: no windows in that state")
                continue
            low, high = bootstrap(windows, top, num, den, fast)
            print(f"     {what}: {got[0]:.3f} (90 % interval over rounds {low:.3f}–{high:.3f}; "
                  f"{got[1]} and {got[2]} windows)")
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
