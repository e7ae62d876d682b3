"""The run controls' progress bar: what it shows and that it repaints only on a visible change."""

from __future__ import annotations

from PySide6.QtGui import QColor

from gui.training.run_panel import ProgressBar, RunControls


def _shown(qtbot, widget, width: int = 400, height: int = 120):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_progress_bar_fills_its_share_and_shows_the_percentage(qtbot):
    controls = _shown(qtbot, RunControls())
    controls.show_progress(37, 100, 1234.0, 12.0, 1, 3)
    bar = controls.progress
    assert (bar.value(), bar.maximum(), bar.percent()) == (37, 100, 37)
    image = bar.grab().toImage()
    y = image.height() // 2
    highlight = bar.palette().highlight().color()
    base = bar.palette().base().color()

    def color(fraction: float) -> QColor:
        return image.pixelColor(int(image.width() * fraction), y)

    assert color(0.10) == highlight  # inside the filled 37 %
    assert color(0.30) == highlight
    assert color(0.45) != highlight  # past it (the text "37 %" sits in the middle)
    assert color(0.90) == base
    controls.show_progress(150, 100, 1234.0, 0.0, 3, 3)  # more steps than planned: clamped
    assert bar.value() == 100 and bar.percent() == 100
    image = bar.grab().toImage()
    assert image.pixelColor(int(image.width() * 0.9), y) == highlight


def test_progress_bar_repaints_only_when_the_percentage_changes(qtbot):
    bar = _shown(qtbot, ProgressBar(), height=24)
    bar.setRange(0, 1000)
    qtbot.wait(20)  # the first paint
    painted = []
    original = bar.paintEvent
    bar.paintEvent = lambda event: (painted.append(bar.percent()), original(event))
    for value in range(0, 25):  # 0.0 % … 2.4 %: the shown whole percentage changes twice
        bar.setValue(value)
        qtbot.wait(1)
    qtbot.waitUntil(lambda: bool(painted))
    qtbot.wait(20)
    # 25 values set, at most 2 repaints (one per new percentage; they may coalesce), the last at 2 %
    assert painted[-1] == 2 and set(painted) <= {1, 2} and len(painted) <= 2
