"""Glue between the main window, the training panels and the worker thread.

The controller owns the run lifecycle: check -> start a :class:`TrainThread` ->
receive its queued events into a :class:`RunRecord` -> finish (weights kept, run
saved, canvas unlocked). Widgets only read records; the worker only emits.
"""

from __future__ import annotations

import atexit
import gc
import logging
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from PySide6.QtCore import QByteArray, QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.errors import TorchwireError
from engine.training.metrics import scalar_metrics
from engine.training.samples import SAMPLES_KEY

from ..torch_threads import training_threads
from .data_panel import DataPanel
from .history import HistoryPanel
from .models import TrainedModel, build_trained_model
from .plots import REDRAW_MS, LivePlots
from .results import ResultsView
from .run_panel import RunControls
from .runs import (
    RunRecord,
    load_runs,
    move_runs,
    new_run_id,
    runs_root,
    save_weights,
    untitled_root,
)
from .samples import SamplesView
from .settings import Settings, data_dict, training_dict
from .train_panel import TrainingPanel
from .try_it import TryIt, feature_field
from .worker import Bridge, TrainThread

log = logging.getLogger(__name__)
STOP_WAIT_MS = 60_000
PROGRESS_S = 0.25  # progress bar and speed text at most 4 times a second (readable, fewer repaints)
LOCK_REASON = "Training — the graph is locked until the run ends"


class TrainingController(QObject):
    """Training features of one :class:`~gui.main_window.MainWindow`.

    Signals:
        run_started(RunRecord), run_ended(RunRecord): a run began / ended (any reason).
    """

    run_started = Signal(object)
    run_ended = Signal(object)

    def __init__(self, window: Any, *, app_data: Path | None = None, torch_threads: int | None = None
                 ) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.app_data = app_data
        self.torch_threads = torch_threads
        self.settings = Settings(self.document, self)
        self.runs: list[RunRecord] = []
        self.current: RunRecord | None = None  # the running run
        self.thread: TrainThread | None = None
        self.paused = False
        self._trained: dict[str, TrainedModel | None] = {}
        self._val_data: dict[str, Any] = {}  # run id -> its datasets, for Try it's table rows
        self._t0 = 0.0
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._steps_total = 0
        self._steps_start = 0
        self._progress_at = 0.0  # when the progress bar was last updated
        self._progress_where = (0, 0.0)  # (epoch, samples/s) of the newest batches
        self._run_mode = False  # gc frozen for a run (see _enter_run_mode)
        # During a run, 20 times a second: take the worker's new steps, then redraw the
        # curves. One timer for both, so the GUI thread wakes no more often than it draws.
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(REDRAW_MS)
        self.frame_timer.timeout.connect(self._on_frame)
        self._build_widgets()
        self._build_actions()
        window.close_guards.append(self._may_close)
        self.document.project_replaced.connect(self.load_history)
        self.document.saved.connect(self._keep_runs_with_project)
        self.document.project_replaced.connect(self._forget_untitled_runs)
        self._untitled_runs: set[str] = set()  # ids of runs made here while the project was untitled
        self._move_runs_later = False  # the project was first saved during a run
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        _LIVE.add(self)  # a script that ends mid-run: see _shutdown_at_exit
        self.load_history()

    # -- composition ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        w, area = self.window, Qt.DockWidgetArea
        self.data_panel = DataPanel(self.settings, self.document)
        self.training_panel = TrainingPanel(self.settings, self.document)
        self.controls = RunControls()
        train_box = QWidget()
        box = QVBoxLayout(train_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.controls)
        box.addWidget(_scrolled(self.training_panel), 1)
        self.plots = LivePlots()
        self.history = HistoryPanel()
        self.results = ResultsView()
        self.try_it = TryIt(self.trained_model, self.validation_row)
        self.samples = SamplesView()
        self.docks: dict[str, QDockWidget] = {
            "data": w.add_dock(_scrolled(self.data_panel), "Data", area.RightDockWidgetArea),
            "training": w.add_dock(train_box, "Training", area.RightDockWidgetArea),
            "curves": w.add_dock(self.plots, "Curves", area.BottomDockWidgetArea),
            "runs": w.add_dock(self.history, "Runs", area.BottomDockWidgetArea),
            "results": w.add_dock(self.results, "Results", area.BottomDockWidgetArea),
            "try": w.add_dock(self.try_it, "Try it", area.BottomDockWidgetArea),
            "samples": w.add_dock(self.samples, "Samples", area.BottomDockWidgetArea),
        }
        if w.isVisible():
            self._arrange_docks()
        else:  # tabifying before the first show leaves a stray tab bar on screen (Qt quirk)
            QTimer.singleShot(0, self._arrange_docks)
        panels = getattr(w, "panels_menu", None)
        if panels is not None:
            for dock in self.docks.values():
                panels.addAction(dock.toggleViewAction())
        c = self.controls
        c.start_button.clicked.connect(self.start)
        c.pause_button.clicked.connect(self.toggle_pause)
        c.stop_button.clicked.connect(self.stop)
        self.plots.png_button.clicked.connect(self._export_png)
        self.plots.csv_button.clicked.connect(self._export_csv)
        self.history.selection_changed.connect(self._history_selection)
        self.history.save_requested.connect(self.save_weights_dialog)

    def _arrange_docks(self) -> None:
        """Data and Training tabbed with the Inspector; curves beside Issues/Runs/Results/Try it."""
        w = self.window
        inspector = getattr(w, "inspector_dock", None)
        if inspector is not None:
            w.tabifyDockWidget(inspector, self.docks["data"])
            w.tabifyDockWidget(self.docks["data"], self.docks["training"])
            self.docks["training"].raise_()
        issues = getattr(w, "issues_dock", None)
        tabs = ["runs", "results", "try", "samples"]
        if issues is not None:  # curves on the left; issues, runs, results and try-it as tabs beside
            w.splitDockWidget(issues, self.docks["curves"], Qt.Orientation.Horizontal)
            w.splitDockWidget(self.docks["curves"], issues, Qt.Orientation.Horizontal)
            for key in tabs:
                w.tabifyDockWidget(issues, self.docks[key])
        else:
            w.splitDockWidget(self.docks["curves"], self.docks["runs"], Qt.Orientation.Horizontal)
            for key in tabs[1:]:
                w.tabifyDockWidget(self.docks["runs"], self.docks[key])
        self.docks["runs"].raise_()
        w.resizeDocks([self.docks["curves"], self.docks["runs"]], [900, 380], Qt.Orientation.Horizontal)
        w.resizeDocks([self.docks["curves"]], [380], Qt.Orientation.Vertical)
        settings = getattr(w, "settings", None)
        state = settings.value("window/state") if settings is not None else None
        if isinstance(state, QByteArray):  # the user's own layout, now that our docks exist
            w.restoreState(state)

    def _build_actions(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&Train")
        self.actions: dict[str, QAction] = {}
        for key, text, slot, shortcut in (
                ("train", "&Train", self.start, "F5"),
                ("pause", "&Pause / Resume", self.toggle_pause, "F6"),
                ("stop", "&Stop", self.stop, "Shift+F5"),
                ("save_weights", "Save Trained &Weights…", self.save_weights_dialog, None)):
            self.actions[key] = action = w.add_action(key, text, slot, shortcut)
            menu.addAction(action)
        toolbar = getattr(w, "toolbar", None)
        if toolbar is not None:
            toolbar.addSeparator()
            for key in ("train", "pause", "stop"):
                toolbar.addAction(self.actions[key])
        self._update_actions()

    def _update_actions(self) -> None:
        running = self.running
        self.actions["train"].setEnabled(not running)
        self.actions["pause"].setEnabled(running)
        self.actions["stop"].setEnabled(running)
        self.controls.set_state("paused" if running and self.paused else "running" if running else "idle")
        for panel in (self.data_panel, self.training_panel):
            panel.setEnabled(not running)

    # -- state ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def issues(self) -> list[str]:
        """Every error that blocks training (graph and data), as sentences."""
        from engine.validation import data_issues, file_issues

        inference = self.document.inference if self.document.inference_current else self.document.infer_now()
        problems = [i.message for i in inference.errors]
        data, _shapes = data_issues(self.document.project)
        problems += [i.message for i in data + file_issues(self.document.project) if i.severity == "error"]
        adversarial = self.document.project.training.recipe == "gan"  # its losses live in the recipe
        if not adversarial and not any(n.spec.role == "loss" for n in self.document.graph):
            problems.append("The graph has no Loss node — add one (e.g. CrossEntropyLoss) and wire the "
                            "prediction and the target into it")
        return problems

    # -- run lifecycle ---------------------------------------------------------------------
    def start(self) -> bool:
        """Check, then start a run in the worker thread. False (with the issues shown) if refused."""
        if self.running:
            return False
        problems = self.issues()
        if problems:
            text = "Training refused — fix these first:\n" + "\n".join(f"• {p}" for p in problems)
            self.controls.show_message(text, error=True)
            self.window.show_message(f"Training refused: {problems[0]}")
            issues_dock = getattr(self.window, "issues_dock", None)
            if issues_dock is not None:
                issues_dock.raise_()
            return False
        project = self.document.project
        root = runs_root(project, self.app_data)
        run_id = new_run_id(root)
        record = RunRecord(run_id=run_id, name=f"Run {len(self.runs) + 1}",
                           hparams={"training": training_dict(project.training),
                                    "data": data_dict(project.data)},
                           graph=project.graph.to_dict(), folder=root / run_id)
        self.runs.append(record)
        self.current = record
        if project.path is None:
            self._untitled_runs.add(record.run_id)
        bridge = Bridge(self)
        bridge.stage.connect(self._on_stage)
        bridge.planned.connect(lambda plan: self.plots.prepare(plan["steps_per_epoch"], plan["lr"]))
        bridge.fit_started.connect(self._on_fit_started)
        bridge.validated.connect(self._on_validated)
        bridge.epoch_ended.connect(self._on_epoch_ended)
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)
        self.thread = TrainThread(project.copy(), record.folder, bridge,
                                  torch_threads=self.torch_threads or training_threads(), parent=self)
        self.thread.finished.connect(self._on_thread_done)
        self._enter_run_mode()
        self.paused, self._paused_total, self._paused_at = False, 0.0, None
        self._steps_total = 0
        self.history.set_runs(self.runs, current=record)
        self.plots.start_live()
        self.plots.show_run(record)  # "waiting for the first step…" until the worker reports one
        self.frame_timer.start()
        self.controls.show_message("")
        self.controls.progress.setValue(0)
        self.window.set_read_only(True, LOCK_REASON)
        self._update_actions()
        for key in ("training", "curves"):
            self.docks[key].raise_()
        self.window.show_message(f"{record.name} started")
        self.run_started.emit(record)
        # The worker starts once the window has handled the events this method posted (docks
        # raised, the canvas locked, the plots reset): that repaint then does not compete with
        # the run's first steps for the CPU (measured: they were ~20 % slower).
        QTimer.singleShot(0, self, self._start_thread)
        return True

    def _start_thread(self) -> None:
        thread = self.thread
        if thread is not None and not thread.isRunning() and not thread.isFinished():
            thread.start()

    def toggle_pause(self) -> None:
        if self.thread is None:
            return
        if self.paused:
            self.thread.resume()
            if self._paused_at is not None:
                self._paused_total += time.monotonic() - self._paused_at
            self._paused_at = None
            self.window.show_message("Training resumed")
        else:
            self.thread.pause()
            self._paused_at = time.monotonic()
            self.window.show_message("Training paused")
        self.paused = not self.paused
        self._update_actions()

    def stop(self) -> None:
        """Ask the run to stop after the current batch (weights so far are kept)."""
        if self.thread is not None:
            self.thread.stop()
            self.controls.speed.setText("Stopping…")

    def stop_and_wait(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Stop the run and block until its thread has ended. True when no thread is left."""
        thread = self.thread
        if thread is None:
            return True
        thread.stop(results=False)
        if not thread.wait(timeout_ms):
            log.error("the training thread did not stop within %d ms", timeout_ms)
            return False
        QCoreApplication.sendPostedEvents()  # deliver its last queued events now
        if self.thread is thread:
            self._on_thread_done()
        return True

    def shutdown(self) -> None:
        """Stop any run and wait for every thread of ours (app quit, tests, benchmarks)."""
        self.stop_and_wait()
        self.data_panel.wait_preview()

    # -- worker events (GUI thread, queued) ---------------------------------------------------
    def _on_stage(self, text: str) -> None:
        self.controls.speed.setText(text)

    def _on_fit_started(self, info: dict[str, Any]) -> None:
        record = self.current
        if record is None:
            return
        record.info = info
        epochs = int(info.get("epochs", 1)) - int(info.get("start_epoch", 1)) + 1
        self._steps_total = max(1, epochs * int(info.get("steps_per_epoch", 1)))
        self._steps_start = 0
        self._t0 = time.monotonic()
        self._progress_at = 0.0
        if info.get("init_weights"):  # e.g. "started from w.safetensors: 4 tensor(s) loaded"
            self.window.show_message(f"{record.name} {info['init_weights']}")
        if self._run_mode:
            # Loading the data and compiling the graph left ~200k new objects; frozen too, the
            # GUI-thread collector scans only what the training loop keeps (see _enter_run_mode)
            gc.freeze()

    def _on_frame(self) -> None:
        self._take_steps()
        self.plots.redraw_if_dirty()

    def _take_steps(self) -> None:
        """Move the steps the worker has put since the last call into the run record."""
        record, thread = self.current, self.thread
        if record is None or thread is None:
            return
        steps, losses, lrs, where = thread.bridge.steps.take()
        if not steps:
            return
        record.add_steps(steps, losses, lrs)
        self.plots.mark_dirty()
        self._progress_where = where
        now = time.monotonic()
        if now - self._progress_at >= PROGRESS_S or len(record.steps) >= self._steps_total:
            self._show_progress(now)

    def _show_progress(self, now: float | None = None) -> None:
        """Progress bar, samples/s and ETA of the running run, from the steps received so far."""
        record = self.current
        if record is None or not len(record.steps):
            return
        now = time.monotonic() if now is None else now
        self._progress_at = now
        epoch, samples_per_s = self._progress_where
        done = len(record.steps)
        active = now - self._t0 - self._paused_total
        eta = active / done * (self._steps_total - done) if done else None
        speed = done * int(record.info.get("batch_size", 1)) / max(active, 1e-9)
        self.controls.show_progress(done, self._steps_total, speed if active > 0.2 else samples_per_s,
                                    eta, epoch, int(record.info.get("epochs", 0)))

    def _on_validated(self, _epoch: int, metrics: dict[str, Any]) -> None:
        self._take_steps()
        if self.current is not None:
            self.current.val_metrics = metrics

    def _on_epoch_ended(self, epoch: int, metrics: dict[str, Any]) -> None:
        self._take_steps()  # every step of the epoch is in the buffer before this signal
        record = self.current
        if record is None:
            return
        record.epochs.append({"epoch": epoch, **scalar_metrics(metrics)})
        self._show_progress()
        if SAMPLES_KEY in metrics:  # a GAN run: show what the generator makes now
            self.samples.show_samples(epoch, metrics[SAMPLES_KEY])
            if epoch == 1:
                self.docks["samples"].raise_()
        if record.val_metrics:
            self.results.show_run(record)
        self.plots.mark_dirty()

    def _on_finished(self, payload: dict[str, Any]) -> None:
        self._take_steps()
        record = self.current
        if record is None:
            return
        result = payload.get("result", {})
        record.status = {"completed": "finished", "early_stopping": "finished"}.get(result.get("reason"),
                                                                                   result.get("reason",
                                                                                              "finished"))
        record.fields = payload.get("fields", {})
        record.state_dict = payload.get("state_dict")
        record.results = payload.get("results")
        self._sync_history(record, result)
        best = record.best_accuracy
        text = {"completed": "finished", "early_stopping": "stopped early (no improvement)",
                "stopped": "stopped"}.get(result.get("reason"), "ended")
        record.message = f"{record.name} {text} after {result.get('epochs_completed', 0)} epoch(s)" + (
            f", best validation accuracy {best:.1%}" if best is not None else "")
        self.controls.show_message(record.message)
        self.controls.speed.setText(f"Done · {record.name} {record.status}")
        self.window.show_message(record.message)

    def _on_failed(self, message: str, partial: dict[str, Any]) -> None:
        self._take_steps()
        record = self.current
        if record is None:
            return
        record.status, record.message = "failed", message
        self._sync_history(record, partial)
        self.controls.show_message(message, error=True)
        self.controls.speed.setText(f"{record.name} failed")
        self.window.show_message(f"{record.name} failed: {message}")

    def _sync_history(self, record: RunRecord, result: dict[str, Any]) -> None:
        history = result.get("history") or []
        if len(history) > len(record.epochs):
            record.epochs = [{"epoch": int(h.get("epoch", i + 1)), **scalar_metrics(h)}
                             for i, h in enumerate(history)]

    def _enter_run_mode(self) -> None:
        """Interpreter settings for the run (undone by :meth:`_leave_run_mode`).

        ``gc.freeze()``: the objects that exist now (torch, the app, the project) move
        to the permanent generation, so the GUI-thread collector (gui/gc_guard.py)
        only scans what the run allocates; a full collection of the whole heap takes
        ~0.1 s, which would freeze the window and stall the trainer mid-run. Frozen
        again when training starts (:meth:`_on_fit_started`): the worker's data loading
        and compilation leave ~200k objects, whose first scan (40–100 ms, measured)
        would otherwise fall into the first epoch, holding the GIL the trainer needs.
        Unfrozen, and thus collectable again, when the run ends. (The GIL switch
        interval stays CPython's 5 ms: a shorter one measured no better in
        bench/gui_training.py once the training thread uses every core.)
        """
        if self._run_mode:
            return
        self._run_mode = True
        gc.freeze()

    def _leave_run_mode(self) -> None:
        if not self._run_mode:
            return
        self._run_mode = False
        gc.unfreeze()

    def _on_thread_done(self) -> None:
        self._take_steps()  # a stopped run's last steps (no epoch-end signal after them)
        self.frame_timer.stop()
        thread, record = self.thread, self.current
        self.thread, self.current = None, None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        self._leave_run_mode()
        if record is not None:
            if record.status == "running":
                record.status = "stopped"
            try:
                record.save()
            except OSError as err:
                self.window.show_message(f"Could not save the run in {record.folder}: {err}")
            self._trained.pop(record.run_id, None)
            self.results.show_run(record)
            self.try_it.set_run(record)
        self.plots.stop_live()
        self.paused = False
        self.window.set_read_only(False)
        self._update_actions()
        self.history.set_runs(self.runs, current=record)
        if self._move_runs_later:
            self._move_runs_later = False
            self._keep_runs_with_project()
        if record is not None:
            self.run_ended.emit(record)

    # -- history, weights and trained models ----------------------------------------------------
    def load_history(self) -> None:
        """Load the runs saved for the current project; the last one's model is restored."""
        if self.running:
            return
        self.runs = load_runs(runs_root(self.document.project, self.app_data))
        self._trained.clear()
        last = self.runs[-1] if self.runs else None
        self.history.set_runs(self.runs, current=last)
        self.plots.show_run(last)
        self.plots.set_overlays([])
        self.results.show_run(last)
        self.try_it.set_run(last)

    def _keep_runs_with_project(self, _path: Path | None = None) -> None:
        """After an untitled project's first save, the runs made here while it was untitled
        move beside it (runs of other untitled projects stay).

        Until then they live under the app data's ``runs/untitled``; left there, they would
        not show when the saved project is opened again. A run in progress is moved once it
        has ended.
        """
        if self.running:
            self._move_runs_later = True
            return
        if not self._untitled_runs:
            return
        project = self.document.project
        root = runs_root(project, self.app_data)
        mine = [r for r in self.runs if r.run_id in self._untitled_runs]
        self._untitled_runs.clear()
        moved, problems = move_runs(mine, untitled_root(self.app_data), root)
        self.load_history()  # the saved project's runs: the ones just moved
        if problems:
            text = "Some runs were not moved: " + "; ".join(problems)
        elif moved:
            text = f"{moved} run(s) of this session moved beside {project.path.name}, into {root}"
        else:
            return
        # after the window's own "Saved …" message, which follows this signal
        QTimer.singleShot(0, self, lambda: self.window.show_message(text))

    def _forget_untitled_runs(self) -> None:
        """Another project replaced this one (new, open): its untitled runs stay where they are."""
        self._untitled_runs.clear()
        self._move_runs_later = False

    def validation_row(self, run: RunRecord, index: int) -> tuple[np.ndarray, str] | None:
        """Row ``index`` (wrapping around) of the run's validation set for the Try-it form, with
        a caption naming its true label; the data is read once per run (tables are small)."""
        from engine.data import DataConfig, DataError, build_datasets

        field = feature_field(run)
        data = self._val_data.get(run.run_id)
        if data is None and field is not None:
            try:
                data = build_datasets(DataConfig.model_validate(run.hparams.get("data", {})),
                                      self.document.project.base_dir)
            except (DataError, ValidationError, TorchwireError) as err:
                self.window.show_message(f"Cannot read {run.name}'s validation rows: {err}")
                return None
            self._val_data = {run.run_id: data}  # one run's rows at a time
        val = getattr(data, "val", None)
        if field is None or val is None or not len(val):
            return None
        i = index % len(val)
        sample = val[i]
        truths = []
        for name, value in sample.items():
            if name == field:
                continue
            info = run.fields.get(name) or {}
            classes = info.get("class_names")
            number = float(value.reshape(-1)[0]) if value.numel() else float("nan")
            truths.append(f"{name} {classes[int(number)]}" if classes and 0 <= number < len(classes)
                          else f"{name} {number:.6g}")
        caption = f"validation row {i + 1} of {len(val)}" + (f" · true {', '.join(truths)}" if truths else "")
        return sample[field].numpy(), caption

    def trained_model(self, run: RunRecord | None) -> TrainedModel | None:
        """The run's trained model, rebuilt once from its graph and weights (None without weights)."""
        if run is None:
            return None
        if run.run_id not in self._trained:
            weights = run.load_weights()
            model = None
            if weights is not None and run.graph:
                try:
                    model = build_trained_model(run.graph, run.fields, weights, "Model")
                except Exception as err:  # noqa: BLE001 - shown, never fatal
                    self.window.show_message(f"Cannot rebuild the model of {run.name}: {err}")
            self._trained[run.run_id] = model
        return self._trained[run.run_id]

    def _history_selection(self, main: RunRecord | None, overlays: list[RunRecord]) -> None:
        if not self.running and main is not None:
            self.plots.show_run(main)
            self.results.show_run(main)
            self.try_it.set_run(main)
        self.plots.set_overlays([r for r in overlays if r is not self.plots.run])

    def selected_run(self) -> RunRecord | None:
        return self.history.current_run() or (self.runs[-1] if self.runs else None)

    def save_weights_dialog(self, run: RunRecord | None = None, path: str | None = None) -> Path | None:
        """Save a run's trained weights as .safetensors or .pt (asks for the file when ``path`` is None)."""
        run = run or self.selected_run()
        weights = run.load_weights() if run is not None else None
        if run is None or weights is None:
            self.window.show_message("No trained weights yet — train the model first")
            return None
        if path is None:
            start = str((run.folder or Path.home()) / "weights.safetensors")
            path, _ = QFileDialog.getSaveFileName(self.window, "Save trained weights", start,
                                                  "safetensors (*.safetensors);;PyTorch state_dict (*.pt)")
            if not path:
                return None
        saved = save_weights(weights, path)
        self.window.show_message(f"Saved the weights of {run.name} to {saved}")
        return saved

    def _export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export curves", "curves.png", "PNG (*.png)")
        if path:
            self.plots.export_png(path)

    def _export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self.plots.export_csv(path)

    # -- closing the window during a run -----------------------------------------------------------
    def confirm_close(self) -> bool:
        """Ask whether to stop the run and close (tests replace this)."""
        answer = QMessageBox.question(
            self.window, "Training is running",
            "A training run is in progress. Stop it and close? The weights trained so far are kept "
            "with the run.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _may_close(self) -> bool:
        """Close guard of the window: during a run, ask; on yes, stop the run and wait for it."""
        if not self.running:
            return True
        if not self.confirm_close():
            return False
        self.stop_and_wait()
        return True


def _scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area, so a tall form never forces the window's height."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def _shutdown_at_exit() -> None:
    """At interpreter exit (a script that never ran the event loop, so no ``aboutToQuit``):
    stop every run and wait for its thread. Qt aborts the process when a running QThread is
    destroyed, and the run would lose its record."""
    for controller in list(_LIVE):
        try:
            controller.shutdown()
        except RuntimeError:  # the Qt side is already gone: no thread of its is left either
            pass


_LIVE: weakref.WeakSet[TrainingController] = weakref.WeakSet()
atexit.register(_shutdown_at_exit)
