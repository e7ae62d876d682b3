"""Live per-step curves: what is on screen after many partial repaints equals a full repaint."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from gui.training.live_curve import LiveCurve
from gui.training.plots import PALETTE, LivePlots
from gui.training.runs import RunRecord


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return raw.reshape(image.height(), image.bytesPerLine()).copy()


def _feed(qapp, plots: LivePlots, run: RunRecord, frames: int, rng: np.random.Generator) -> None:
    for _ in range(frames):
        k = len(run.steps)
        steps = list(range(k + 1, k + 7))
        losses = list(rng.random(6) * 0.3 + 2.0 * np.exp(-k / 300))
        lr = 0.01 if k < 400 else 0.005  # a step in the learning rate mid-run
        run.add_steps(steps, losses, [lr] * 6)
        plots.mark_dirty()
        plots.redraw_if_dirty()
        qapp.processEvents()


def _live(qtbot) -> tuple[LivePlots, RunRecord]:
    """Plots on screen showing a fresh live run of 125 steps per epoch."""
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(1000, 360)
    plots.show()
    qtbot.waitExposed(plots)
    run = RunRecord("r", "run", {})
    run.info = {"steps_per_epoch": 125, "losses": [{"name": "loss", "task": "classification"}]}
    plots.show_run(run)
    plots.start_live()
    return plots, run


def test_partial_repaints_leave_the_same_picture_as_a_full_repaint(qtbot, qapp):
    plots, run = _live(qtbot)
    rng = np.random.default_rng(0)
    # 2,100 steps: more points than pixels, so the curves are downsampled and re-bucketed,
    # the x range doubles and the y range follows the falling loss
    _feed(qapp, plots, run, 350, rng)
    plots.log_y.setChecked(True)
    _feed(qapp, plots, run, 20, rng)
    on_screen = qapp.primaryScreen().grabWindow(plots.winId()).toImage()  # the backing store
    repainted = plots.grab().toImage()  # everything painted again from scratch
    assert on_screen.size() == repainted.size()
    differ = (_pixels(on_screen) != _pixels(repainted)).sum()
    assert differ == 0
    xs, ys = plots.curve_data("raw")
    assert len(xs) == len(run.steps) == 2220
    np.testing.assert_array_equal(ys, run.loss.values)


def test_a_falling_loss_keeps_its_axis_still(qtbot, qapp):
    """Shown from 0, a loss falling fast in the first steps stays inside the first y range
    instead of moving the axis (and re-rendering its text) on every frame."""
    plots, run = _live(qtbot)
    moves = []
    plots.loss_plot.vb.sigYRangeChanged.connect(lambda _vb, rng: moves.append(tuple(rng)))
    _feed(qapp, plots, run, 21, np.random.default_rng(1))  # 126 steps, loss 2.3 -> ~1.5
    assert len(moves) == 1  # placed once, at the first frame
    bottom, top = plots.loss_plot.vb.viewRange()[1]
    assert bottom == 0 and run.loss.values.max() <= top < 1.6 * run.loss.values.max()


def test_axes_placed_before_the_first_step_stay_put(qtbot, qapp):
    """The worker reports the epoch length and learning rate once the data is loaded; the
    per-step axes are placed then, so the run's first frames draw points only."""
    plots, run = _live(qtbot)
    plots.prepare(125, 0.01)
    assert plots.loss_plot.vb.viewRange()[0] == [0, 125] == plots.lr_plot.vb.viewRange()[0]
    assert plots.lr_plot.vb.viewRange()[1] == [0, 0.0108]
    moves = []
    for plot in (plots.loss_plot, plots.lr_plot):
        plot.vb.sigXRangeChanged.connect(lambda _vb, rng: moves.append(("x", tuple(rng))))
    plots.lr_plot.vb.sigYRangeChanged.connect(lambda _vb, rng: moves.append(("lr", tuple(rng))))
    _feed(qapp, plots, run, 20, np.random.default_rng(2))  # 120 steps at lr 0.01
    assert moves == []


def test_a_curve_fed_frame_by_frame_draws_what_one_given_all_points_draws(qtbot, qapp):
    """Each frame only processes the new points; the line must match one built from all of
    them at once, through downsampling, re-bucketing, non-finite losses and log-y."""
    plots, run = _live(qtbot)
    rng = np.random.default_rng(3)
    fresh = LiveCurve(PALETTE[0])
    plots.loss_plot.addItem(fresh)

    def check() -> None:
        fresh.setLogMode(False, plots.log_y.isChecked())
        fresh.set_points(run.steps.values, run.loss.values)  # everything at once
        for a, b in zip(plots.raw.drawn(), fresh.drawn(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert plots.raw.y_range() == fresh.y_range()

    for frame in range(400):
        k = len(run.steps)
        losses = rng.random(7) * 0.3 + 2.0 * np.exp(-k / 300)
        if frame % 97 == 5:
            losses[3] = np.nan
        if frame % 89 == 7:
            losses[1] = np.inf
        if frame % 61 == 3:
            losses[4] = -0.5  # not drawn under log-y
        run.add_steps(list(range(k + 1, k + 8)), list(losses), [0.01] * 7)
        plots.mark_dirty()
        plots.redraw_if_dirty()
        if frame in (10, 150, 290, 399):
            check()
        if frame == 300:
            plots.log_y.setChecked(True)
            check()
    assert len(plots.raw.drawn()[0]) < len(run.steps) / 2  # downsampled by then


def test_a_finished_run_fills_the_plot(qtbot, qapp):
    """While a run is live the x axis grows in doublings; when it ends, the run's steps fill
    the per-step plots exactly (no empty half of an axis beside a finished curve)."""
    plots, run = _live(qtbot)
    _feed(qapp, plots, run, 150, np.random.default_rng(4))  # 900 steps
    live_end = plots.loss_plot.vb.viewRange()[0][1]
    assert live_end > 900
    plots.stop_live()
    assert plots.loss_plot.vb.viewRange()[0] == [0, 900] == plots.lr_plot.vb.viewRange()[0]
