"""Result views: confusion matrix heatmap, per-class accuracy, validation samples, regression scatter.

The confusion matrix and per-class accuracy are the engine's validation metrics
(``val/<loss>/confusion`` and ``val/<loss>/per_class_accuracy``) shown as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from .runs import RunRecord


def gray_or_rgb_image(array: np.ndarray) -> QImage:
    """A QImage that owns a copy of a uint8 (H, W) or (H, W, 3) array."""
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    if array.ndim == 2:
        return QImage(array.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ConfusionMatrix(QWidget):
    """Heatmap of counts (rows: true class, columns: predicted), coloured by row share."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.names: list[str] = []
        self.setMinimumSize(220, 220)

    def set_matrix(self, matrix: list[list[int]] | None, names: list[str] | None = None) -> None:
        self.matrix = [list(map(int, row)) for row in (matrix or [])]
        n = len(self.matrix)
        self.names = list(names) if names and len(names) == n else [str(i) for i in range(n)]
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(320, 320)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        n = len(self.matrix)
        if not n:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No confusion matrix yet")
            return
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(10.0, 220 / n / 3.2)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        # room for the longest class name on the left, up to a third of the width
        margin_l = min(max(metrics.horizontalAdvance(name) for name in self.names) + 8, self.width() // 3)
        margin_t = 28
        side = min(self.width() - margin_l - 8, self.height() - margin_t - 8)
        cell = max(4.0, side / n)
        text_color = self.palette().text().color()
        painter.setPen(text_color)
        painter.drawText(QRectF(margin_l, 0, cell * n, 14), Qt.AlignmentFlag.AlignCenter, "predicted")
        for i, row in enumerate(self.matrix):
            total = sum(row) or 1
            y = margin_t + i * cell
            painter.setPen(text_color)
            painter.drawText(QRectF(0, y, margin_l - 4, cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(self.names[i], Qt.TextElideMode.ElideRight, margin_l - 6))
            for j, count in enumerate(row):
                x = margin_l + j * cell
                share = count / total
                base = QColor(46, 134, 193) if i == j else QColor(203, 67, 53)
                color = QColor(255, 255, 255)
                color.setRgbF(1 - share * (1 - base.redF()), 1 - share * (1 - base.greenF()),
                              1 - share * (1 - base.blueF()))
                painter.fillRect(QRectF(x, y, cell, cell), color)
                if cell >= 14 and count:
                    painter.setPen(QColor("white") if share > 0.55 else QColor("#222"))
                    painter.drawText(QRectF(x, y, cell, cell), Qt.AlignmentFlag.AlignCenter, str(count))
        painter.setPen(text_color)
        for j in range(n):
            painter.drawText(QRectF(margin_l + j * cell, 14, cell, margin_t - 14), Qt.AlignmentFlag.AlignCenter,
                             metrics.elidedText(self.names[j], Qt.TextElideMode.ElideRight, int(cell) - 2))
        painter.setPen(QPen(QColor("#999")))
        painter.drawRect(QRectF(margin_l, margin_t, cell * n, cell * n))


class SampleGrid(QWidget):
    """Validation images with predicted / true labels; mistakes framed in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples: list[dict[str, Any]] = []
        self.names: list[str] | None = None
        self._images: list[QImage | None] = []
        self.setMinimumSize(240, 160)

    def set_samples(self, samples: list[dict[str, Any]], names: list[str] | None) -> None:
        self.samples, self.names = list(samples), names
        self._images = [gray_or_rgb_image(s["image"]) if s.get("image") is not None else None
                        for s in self.samples]
        self.update()

    def _label(self, index: int) -> str:
        return self.names[index] if self.names and 0 <= index < len(self.names) else str(index)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.samples:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No validation samples yet")
            return
        tile, label_h = 64, 28
        cols = max(1, self.width() // (tile + 8))
        font = QFont(self.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        for k, (sample, image) in enumerate(zip(self.samples, self._images, strict=True)):
            r, c = divmod(k, cols)
            x, y = 4 + c * (tile + 8), 4 + r * (tile + label_h + 6)
            if y > self.height():
                break
            wrong = sample["pred"] != sample["true"]
            if image is not None:
                painter.drawImage(QRectF(x, y, tile, tile), image)
            painter.setPen(QPen(QColor("#c0392b") if wrong else QColor("#27ae60"), 3 if wrong else 1))
            painter.drawRect(QRectF(x, y, tile, tile))
            painter.setPen(QColor("#c0392b") if wrong else self.palette().text().color())
            painter.drawText(QRectF(x - 4, y + tile, tile + 8, label_h), Qt.AlignmentFlag.AlignCenter,
                             f"{'✗' if wrong else '✓'} {self._label(sample['pred'])}"
                             f"\ntrue {self._label(sample['true'])}")


class ResultsView(QWidget):
    """Per Loss node: confusion matrix + per-class accuracy + samples, or a regression scatter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.task_box = QComboBox()
        self.task_box.setToolTip("Which Loss node's results to show")
        self.task_box.currentIndexChanged.connect(lambda _i: self._show_task())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Task"))
        top.addWidget(self.task_box)
        top.addWidget(self.summary, 1)
        self.confusion = ConfusionMatrix()
        self.per_class = pg.PlotWidget(title="Per-class accuracy (validation)")
        self.per_class.setYRange(0, 1)
        self.per_class.setMouseEnabled(x=False, y=False)
        self.per_class.setMenuEnabled(False)
        self.bars: pg.BarGraphItem | None = None
        self.samples = SampleGrid()
        classification = QWidget()
        row = QHBoxLayout(classification)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.confusion, 3)
        row.addWidget(self.per_class, 3)
        row.addWidget(self.samples, 4)
        self.scatter = pg.PlotWidget(title="Predicted vs true (validation)")
        self.scatter.setLabel("bottom", "true")
        self.scatter.setLabel("left", "predicted")
        self.scatter_item = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(31, 119, 180, 120))
        self.diagonal = pg.PlotDataItem([], [], pen=pg.mkPen("#d62728", width=1, style=Qt.PenStyle.DashLine))
        self.scatter.addItem(self.scatter_item)
        self.scatter.addItem(self.diagonal)
        self.stack = QStackedWidget()
        self.empty = QLabel("Train the model to see its results here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.empty, classification, self.scatter):
            self.stack.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def show_run(self, run: RunRecord | None) -> None:
        self.run = run
        current = self.task_box.currentText()
        self.task_box.blockSignals(True)
        self.task_box.clear()
        for name in (run.loss_names() if run is not None else []):
            self.task_box.addItem(name)
        i = self.task_box.findText(current)
        self.task_box.setCurrentIndex(max(i, 0))
        self.task_box.blockSignals(False)
        self._show_task()

    def _task(self, name: str) -> str:
        run = self.run
        for info in (run.info.get("losses", []) if run is not None else []):
            if isinstance(info, dict) and info.get("name") == name:
                return str(info.get("task", ""))
        if run is not None and f"val/{name}/confusion" in run.val_metrics:
            return "classification"
        return "regression"

    def _show_task(self) -> None:
        run, name = self.run, self.task_box.currentText()
        if run is None or not name:
            self.stack.setCurrentWidget(self.empty)
            self.summary.setText("")
            return
        metrics = run.val_metrics
        results = (run.results or {}).get("tasks", {}).get(name, {})
        names = run.class_names(name)
        if self._task(name) in ("classification", "binary") and f"val/{name}/confusion" in metrics:
            self.stack.setCurrentIndex(1)
            self.confusion.set_matrix(metrics[f"val/{name}/confusion"], names)
            self._bars(metrics.get(f"val/{name}/per_class_accuracy") or [], names)
            samples = results.get("samples", [])
            self.samples.set_samples(samples, names)
            # a grid of validation images, for image data only (tables have none to show)
            self.samples.setVisible(any(s.get("image") is not None for s in samples))
            acc = metrics.get(f"val/{name}/accuracy")
            self.summary.setText(f"validation accuracy {acc:.2%}" if isinstance(acc, float) else "")
        elif results.get("pred"):
            self.stack.setCurrentIndex(2)
            pred, true = np.asarray(results["pred"]), np.asarray(results["true"])
            self.scatter_item.setData(true, pred)
            lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
            self.diagonal.setData([lo, hi], [lo, hi])
            mae = metrics.get(f"val/{name}/mae")
            self.summary.setText(f"validation MAE {mae:.4g}" if isinstance(mae, float) else "")
        else:
            self.stack.setCurrentWidget(self.empty)
            self.summary.setText("No validation results for this task yet.")

    def _bars(self, accuracy: list[float | None], names: list[str] | None) -> None:
        if self.bars is not None:
            self.per_class.removeItem(self.bars)
        xs = np.arange(len(accuracy))
        ys = np.asarray([a if a is not None else 0.0 for a in accuracy], dtype=float)
        self.bars = pg.BarGraphItem(x=xs, height=ys, width=0.7, brush=pg.mkBrush(46, 134, 193, 200))
        self.per_class.addItem(self.bars)
        labels = names if names and len(names) == len(xs) else [str(i) for i in xs]
        self.per_class.getAxis("bottom").setTicks([[(int(x), labels[int(x)][:6]) for x in xs]])
        self.per_class.setXRange(-0.6, max(len(xs) - 0.4, 0.4), padding=0)
        self.per_class.setYRange(0, 1.02, padding=0)
