"""Run controls: Train / Pause-Resume / Stop, a progress bar with samples/s and ETA, messages."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


class LiveText(QWidget):
    """One line of often-changing text (elided to the width) that never re-lays out its window.

    A QLabel asks its parents for a new layout whenever its text changes, and during a
    run that means the whole main window (dock areas included) is laid out again several
    times a second. This widget only repaints itself, and paints its own background so
    that the dock and the main window behind it are not repainted too.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.setAutoFillBackground(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.fontMetrics().horizontalAdvance(self._text) + 4, self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, self.height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().windowText().color())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class ProgressBar(QWidget):
    """A progress bar that repaints only itself, on the next paint cycle.

    ``QProgressBar.setValue`` repaints at once, synchronously, through the style and
    the widgets behind it (about a millisecond each time here), and during a run every
    millisecond of the GUI thread is taken from training. This bar keeps the same
    ``setRange``/``setValue``/``value``/``maximum`` interface, paints its own
    background (nothing behind it is repainted) and schedules an ``update()`` only
    when the shown percentage changes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._value = 0, 1, 0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 8)

    def value(self) -> int:
        return self._value

    def minimum(self) -> int:
        return self._minimum

    def maximum(self) -> int:
        return self._maximum

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802 - QProgressBar's name
        if (minimum, maximum) != (self._minimum, self._maximum):
            before = self.percent()
            self._minimum, self._maximum = minimum, max(minimum, maximum)
            self._value = min(max(self._value, self._minimum), self._maximum)
            if self.percent() != before:
                self.update()

    def setValue(self, value: int) -> None:  # noqa: N802 - QProgressBar's name
        value = min(max(int(value), self._minimum), self._maximum)
        if value != self._value:
            before = self.percent()
            self._value = value
            if self.percent() != before:
                self.update()

    def percent(self) -> int:
        """The whole percentage shown (0–100)."""
        span = self._maximum - self._minimum
        return 100 * (self._value - self._minimum) // span if span > 0 else 0

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(160, self.height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.window())
        frame = QRectF(self.rect()).adjusted(0.5, 1.5, -0.5, -1.5)
        painter.setPen(palette.mid().color())
        painter.setBrush(palette.base())
        painter.drawRoundedRect(frame, 3, 3)
        span = self._maximum - self._minimum
        done = (self._value - self._minimum) / span if span > 0 else 0.0
        chunk = frame.adjusted(1.5, 1.5, -1.5, -1.5)
        chunk.setWidth(chunk.width() * done)
        if done > 0:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.highlight())
            painter.drawRoundedRect(chunk, 2, 2)
        text, center = f"{self.percent()} %", int(Qt.AlignmentFlag.AlignCenter)
        split = round(chunk.right()) if done > 0 else 0
        for color, clip in ((palette.highlightedText().color(), (0, split)),  # on the chunk
                            (palette.text().color(), (split, self.width()))):  # on the empty part
            if clip[1] > clip[0]:
                painter.setClipRect(clip[0], 0, clip[1] - clip[0], self.height())
                painter.setPen(color)
                painter.drawText(self.rect(), center, text)


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RunControls(QWidget):
    """Buttons and progress of the current run (the controller drives the state)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_button = QPushButton("▶ Train")
        self.start_button.setToolTip("Train the graph with these settings (F5)")
        self.pause_button = QPushButton("❚❚ Pause")
        self.pause_button.setToolTip("Pause between batches; Resume continues without losing state")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop after the current batch; the weights so far are kept")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        self.progress = ProgressBar()
        self.speed = LiveText("Ready")
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.speed)
        layout.addWidget(self.message)
        self.set_state("idle")

    def set_state(self, state: str) -> None:
        """``idle``, ``running`` or ``paused``."""
        running = state in ("running", "paused")
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("▶ Resume" if state == "paused" else "❚❚ Pause")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c0392b;" if error else "")

    def show_progress(self, done: int, total: int, samples_per_s: float, eta_s: float | None,
                      epoch: int, epochs: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))
        self.speed.setText(f"Epoch {epoch}/{epochs} · {samples_per_s:,.0f} samples/s · ETA {format_eta(eta_s)}")
