"""Live training curves (pyqtgraph): loss per step, validation metrics per epoch, learning rate.

The curves read the :class:`~gui.training.runs.RunRecord` that the controller fills
from worker events; the controller's frame timer (``REDRAW_MS``, 20 Hz) asks them to
redraw when something changed, never once per batch and never from the worker thread. Several finished runs can
be overlaid (thin, coloured per run) under the live one.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .live_curve import LiveCurve
from .run_panel import LiveText
from .runs import RunRecord

REDRAW_MS = 50  # 20 Hz
STATUS_S = 0.25  # the text line under the curves changes at most 4 times a second
HEADROOM = 0.08  # room above the highest point of a per-step curve, as a share of its span
SHRINK_S = 2.0  # a live plot's y range closes in on falling data at most this often (axis text
# is re-rendered on each change, the costliest part of a frame)
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
NO_RUN = "No runs yet — press Train (F5): the curves draw as the model trains"
SMOOTH_COLOR = "#0b4f8a"  # the smoothed loss: a darker shade of PALETTE[0] over the faint raw curve


def _pen(color: str, width: float = 1.5, alpha: int = 255, dash: bool = False) -> pg.mkPen:
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return pg.mkPen(c, width=width, style=Qt.PenStyle.DashLine if dash else Qt.PenStyle.SolidLine)


def _live_pen(color: str, strength: float = 1.0) -> pg.mkPen:
    """A pen for curves redrawn 20 times a second: one pixel wide and opaque.

    Such lines take Qt's fastest raster path; a 2-pixel or translucent pen costs
    several times more per frame, and every millisecond the GUI thread spends here is
    taken from the training threads on a machine whose cores they all use. A faint
    curve is the colour blended towards the white background instead of alpha.
    """
    c = pg.mkColor(color)
    mix = [round(255 + (v - 255) * strength) for v in (c.red(), c.green(), c.blue())]
    return pg.mkPen(pg.mkColor(*mix), width=1)


def _curve(plot: pg.PlotItem, pen: pg.mkPen, name: str | None = None, symbol: bool = False
           ) -> pg.PlotDataItem:
    item = plot.plot([], [], pen=pen, name=name, symbol="o" if symbol else None, symbolSize=5,
                     symbolBrush=pen.color(), symbolPen=None)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    return item


def _live_curve(plot: pg.PlotItem, pen: pg.mkPen) -> LiveCurve:
    item = LiveCurve(pen)
    plot.addItem(item)
    return item


class LivePlots(QWidget):
    """Four linked-by-purpose plots plus toolbar: log-y, export PNG and CSV."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, foreground="#444", background="w")
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setMinimumHeight(260)
        glw = self.layout_widget
        self.loss_plot = glw.addPlot(row=0, col=0, title="Training loss (per step)")
        self.val_plot = glw.addPlot(row=0, col=1, title="Loss per epoch")
        self.metric_plot = glw.addPlot(row=1, col=1, title="Validation accuracy")
        self.lr_plot = glw.addPlot(row=1, col=0, title="Learning rate")
        for plot, xlabel in ((self.loss_plot, "step"), (self.val_plot, "epoch"),
                             (self.metric_plot, "epoch"), (self.lr_plot, "step")):
            if plot not in (self.loss_plot, self.lr_plot):
                # Grid lines live in the axes' cached pictures, so a grid makes every axis
                # change repaint the whole plot area (2 ms more each); the per-step plots,
                # whose axes move during a run, go without.
                plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", xlabel)
            plot.enableAutoRange()
            plot.setMenuEnabled(False)
            for axis in ("left", "bottom"):  # axes are costly text: re-render only when their range moves
                plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                plot.getAxis(axis).enableAutoSIPrefix(False)
                # tick text space only grows: a label shrinking from "0.25" to "0" would
                # otherwise re-lay out all four plots and repaint every axis
                plot.getAxis(axis).setStyle(autoReduceTextSpace=False)
            plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            # Qt then skips the whole plot (its items' Python boundingRect and paint calls)
            # when a repaint is elsewhere: the live curves' updates repaint the per-step
            # plots only. Nothing of a plot lies outside its own rectangle, so the picture
            # is the same.
            plot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        for plot in (self.loss_plot, self.lr_plot):  # per-step plots follow the data in steps (_follow)
            plot.disableAutoRange()
        legend = {"labelTextSize": "8pt", "brush": pg.mkBrush(255, 255, 255, 190)}
        self.val_plot.addLegend(offset=(-5, 5), **legend)
        self.metric_plot.addLegend(offset=(-5, -5), **legend)
        self.raw = _live_curve(self.loss_plot, _live_pen(PALETTE[0], 0.3))
        self.smooth = _live_curve(self.loss_plot, _live_pen(SMOOTH_COLOR))
        self.lr = _live_curve(self.lr_plot, _live_pen(PALETTE[2]))
        self.epoch_curves: dict[str, pg.PlotDataItem] = {}
        self._epoch_plots: dict[str, pg.PlotItem] = {}
        self.overlay_items: list[tuple[pg.PlotItem, pg.PlotDataItem]] = []
        self._overlay_end = 0.0  # the last step of the overlaid runs (a finished plot shows it)
        self.run: RunRecord | None = None
        self._dirty = False
        self._epochs_drawn: tuple[int, int] | None = None  # (id of run, epochs) last drawn
        self._curves_run: RunRecord | None = None  # the run the per-step curves show
        self.redraws = 0
        self._status_at = 0.0
        self._shrunk_at: dict[int, float] = {}  # id(plot) -> when its y range last shrank

        self.log_y = QCheckBox("Log y")
        self.log_y.setToolTip("Logarithmic loss axes")
        self.log_y.toggled.connect(self.set_log_y)
        self.status = LiveText()
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.log_y)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(bar)
        layout.addWidget(self.layout_widget, 1)

        self.live = False  # a run is feeding the curves (see start_live)

    # -- data ----------------------------------------------------------------------
    def show_run(self, run: RunRecord | None) -> None:
        """Make ``run`` the main (live or selected) run and draw it."""
        self.run = run
        for key, item in self.epoch_curves.items():
            self._epoch_plots[key].removeItem(item)
        self.epoch_curves.clear()
        self._epochs_drawn = None
        self._curves_run = None
        self.val_plot.legend.clear()
        self.metric_plot.legend.clear()
        self.mark_dirty()
        self.redraw()

    def prepare(self, steps_per_epoch: int, lr: float) -> None:
        """Place the per-step axes before the first step arrives (the worker is still compiling
        then), where :func:`_follow` would put them: x over one epoch, and the learning rate from
        0 to just above the configured rate, which no schedule exceeds. The first frames of a
        run then only draw points instead of re-rendering axes while training has started."""
        for plot in (self.loss_plot, self.lr_plot):
            plot.setXRange(0, max(10.0, float(steps_per_epoch)), padding=0)
        if lr > 0:
            self.lr_plot.setYRange(0, lr * (1 + HEADROOM), padding=0)

    def mark_dirty(self) -> None:
        self._dirty = True

    def start_live(self) -> None:
        """A run starts feeding the main run: y ranges shrink at most every ``SHRINK_S``, the
        status text changes at most every ``STATUS_S``."""
        self.live = True

    def stop_live(self) -> None:
        """The run ended: draw its final state exactly."""
        self.live = False
        self.redraw()

    def redraw_if_dirty(self) -> None:
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        """Show the run's newest points (the curves process only what is new since the last frame)."""
        self._dirty = False
        self.redraws += 1
        run = self.run
        if run is None:
            for item in (self.raw, self.smooth, self.lr):
                item.set_points(np.empty(0), np.empty(0))
            self._curves_run = None
            self.status.setText(NO_RUN)
            return
        steps = run.steps.values
        now = time.monotonic()
        appended = self._curves_run is run  # a run's series only grow
        self._curves_run = run
        self.raw.set_points(steps, run.loss.values, appended=appended)
        self.smooth.set_points(steps, run.smooth.values, appended=appended)
        self.lr.set_points(steps, run.lr.values, appended=appended)
        if not len(steps):
            self.status.setText(f"{run.name}: waiting for the first step…" if self.live
                                else f"{run.name}: no steps were recorded")
        else:
            last = float(steps[-1]) if self.live else max(float(steps[-1]), self._overlay_end)
            epoch = float(run.info.get("steps_per_epoch") or 0)
            for plot, curve, log in ((self.loss_plot, self.raw, self.log_y.isChecked()),
                                     (self.lr_plot, self.lr, False)):
                shrink = now - self._shrunk_at.get(id(plot), 0.0) >= SHRINK_S or not self.live
                if _follow(plot, last, curve.y_range(), log=log, epoch=epoch, shrink=shrink,
                           live=self.live):
                    self._shrunk_at[id(plot)] = now
        if self._epochs_drawn != (id(run), len(run.epochs)):  # epoch curves change once an epoch
            self._epochs_drawn = (id(run), len(run.epochs))
            self._draw_epochs(run)
        if len(steps) and (now - self._status_at >= STATUS_S or not self.live):
            self._status_at = now
            self.status.setText(f"{run.name}: step {int(steps[-1]):,} · loss {run.loss.values[-1]:.4g}"
                                f" · smoothed {run.smooth.values[-1]:.4g}")

    def _epoch_curve(self, key: str, plot: pg.PlotItem, label: str, color: str, dash: bool = False
                     ) -> pg.PlotDataItem:
        item = self.epoch_curves.get(key)
        if item is None:
            item = _curve(plot, _pen(color, 2, dash=dash), label, symbol=True)
            self.epoch_curves[key] = item
            self._epoch_plots[key] = plot
        return item

    def _draw_epochs(self, run: RunRecord) -> None:
        names = run.loss_names()
        multi = len(names) > 1
        tasks = {x["name"]: x.get("task") for x in run.info.get("losses", []) if isinstance(x, dict)}
        regression = bool(tasks) and all(t == "regression" for t in tasks.values())
        self.metric_plot.setTitle("Validation MAE" if regression else "Validation accuracy")
        curves = [("train/loss", self.val_plot, "train", PALETTE[0], True),
                  ("val/loss", self.val_plot, "validation", PALETTE[1], False)]
        for i, name in enumerate(names):
            color = PALETTE[(i + 3) % len(PALETTE)]
            if multi:
                curves.append((f"val/{name}/loss", self.val_plot, f"val {name}", color, False))
            for metric in ("accuracy", "mae"):
                curves.append((f"val/{name}/{metric}", self.metric_plot,
                               f"{name} {metric}" if multi else metric, color, False))
        for key, plot, label, color, dash in curves:
            xs, ys = run.epoch_series(key)
            if len(xs) or key in self.epoch_curves:
                self._epoch_curve(key, plot, label, color, dash).setData(xs, ys)

    # -- overlays of other runs ------------------------------------------------------
    def set_overlays(self, runs: list[RunRecord]) -> None:
        """Draw ``runs`` (finished runs from the history) thinly under the main run."""
        for plot, item in self.overlay_items:
            plot.removeItem(item)
        self.overlay_items.clear()
        self._overlay_end = max((float(r.steps.values[-1]) for r in runs if len(r.steps)), default=0.0)
        for i, run in enumerate(runs):
            color = PALETTE[(i + 5) % len(PALETTE)]
            pen = _pen(color, 1.5, alpha=200)
            for plot, xs, ys in ((self.loss_plot, run.steps.values, run.smooth.values),
                                 (self.lr_plot, run.steps.values, run.lr.values),
                                 (self.val_plot, *run.epoch_series("val/loss"))):
                item = _curve(plot, pen)
                item.setData(xs, ys)
                item.setZValue(-1)
                self.overlay_items.append((plot, item))
            for name in run.loss_names():
                for metric in ("accuracy", "mae"):
                    xs, ys = run.epoch_series(f"val/{name}/{metric}")
                    if len(xs):
                        item = _curve(self.metric_plot, pen)
                        item.setData(xs, ys)
                        item.setZValue(-1)
                        self.overlay_items.append((self.metric_plot, item))
        if not self.live:
            self.redraw()  # a finished run's axes take in the overlaid runs' steps

    def set_log_y(self, on: bool) -> None:
        for plot in (self.loss_plot, self.val_plot):
            plot.setLogMode(y=on)
        self.loss_plot.vb.setYRange(0, 1)  # force _follow to recompute the range in the new scale
        self.redraw()

    # -- export ----------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        """Render the four plots to a PNG file."""
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.layout_widget.scene())
        exporter.parameters()["width"] = max(800, self.layout_widget.width())
        exporter.export(str(path))
        return Path(path)

    def export_csv(self, path: str | Path) -> tuple[Path, Path]:
        """Per-step curves to ``path`` and per-epoch metrics to ``<stem>_epochs.csv``."""
        path = Path(path)
        run = self.run
        epochs_path = path.with_name(f"{path.stem}_epochs.csv")
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["step", "loss", "smoothed_loss", "lr"])
            if run is not None:
                for row in zip(run.steps.values.astype(int), run.loss.values, run.smooth.values,
                               run.lr.values, strict=True):
                    writer.writerow([row[0], *(f"{v:.8g}" for v in row[1:])])
        keys: list[str] = []
        for e in run.epochs if run is not None else []:
            keys += [k for k, v in e.items() if k not in keys and isinstance(v, int | float)]
        with epochs_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
            writer.writeheader()
            for e in run.epochs if run is not None else []:
                writer.writerow({k: e.get(k, "") for k in keys})
        return path, epochs_path

    # -- for tests -------------------------------------------------------------------
    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) held by a curve: ``raw``, ``smooth``, ``lr`` or a metric key."""
        live = {"raw": self.raw, "smooth": self.smooth, "lr": self.lr}.get(key)
        xs, ys = live.original() if live is not None else self.epoch_curves[key].getOriginalDataset()
        return (np.asarray(xs if xs is not None else []), np.asarray(ys if ys is not None else []))


def _follow(plot: pg.PlotItem, last_x: float, y_range: tuple[float, float] | None, log: bool = False,
            epoch: float = 0.0, shrink: bool = True, live: bool = True) -> bool:
    """Keep the newest point in view, moving the axes in coarse steps.

    ``y_range`` is the (lowest, highest) drawn point, in the plot's y coordinates
    (log10 under ``log``). The x range starts as one epoch (``epoch`` steps, when known)
    and doubles when the newest step reaches its end; once the run is over (``live``
    false) it is exactly the run's steps. On a linear axis, data that are
    never negative (a loss, a learning rate) are shown from 0, so a falling loss stays
    inside the first range instead of moving the axis on every frame of the first fast
    drop. The y range changes only when the data leave it or fill less than 40 % of it,
    and a side the data left grows by at least the range's height; with ``shrink`` false
    the range only grows. The axes, whose text is the costly part of a repaint, are thus
    re-rendered a few times per run. Returns whether the range shrank.
    """
    (x0, x1), (y0, y1) = plot.vb.viewRange()
    if not live:  # a finished (or stopped) run: its steps fill the plot
        if x1 != max(10.0, last_x):
            plot.setXRange(0, max(10.0, last_x), padding=0)
    elif last_x > x1 or x1 > 4 * max(last_x, 10, epoch):
        plot.setXRange(0, max(10.0, epoch, last_x * 2.0), padding=0)
    if y_range is None:
        return False
    lo, hi = y_range
    from_zero = not log and lo >= 0
    if from_zero:
        lo = 0.0
    span = max(hi - lo, abs(hi) * 1e-3, 1e-12)
    height = y1 - y0
    outside = lo < y0 or hi > y1
    if outside or (shrink and span < 0.4 * height):
        bottom, top = lo - 0.05 * span * (not from_zero), hi + HEADROOM * span
        if lo < y0 <= hi:  # the data fell out at the bottom: leave room to fall further
            bottom = min(bottom, lo - height)
        if hi > y1 >= lo:
            top = max(top, hi + height)
        if not log and lo >= 0 > bottom:
            bottom = 0.0
        plot.setYRange(bottom, top, padding=0)
        return not outside
    return False
