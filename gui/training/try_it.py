""""Try it": draw a digit with the mouse or drop an image file, see the model's top-5 predictions;
for a model of table rows, edit the features or step through validation rows instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .runs import RunRecord
from .try_features import FeatureForm

# (run, index) -> (feature values, caption) of a validation row, or None
RowSource = Callable[[RunRecord, int], "tuple[np.ndarray, str] | None"]
IMAGE_HEADER = "<b>Top-5 predictions</b> — draw, or drop an image file here"
TABLE_HEADER = "<b>Prediction</b> — edit the values, or load a validation row"

PAD = 224
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"


class DrawPad(QWidget):
    """A black square to draw on with a thick white pen; ``drawn`` fires when a stroke ends."""

    drawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage(PAD, PAD, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPoint | None = None
        self.setFixedSize(PAD, PAD)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse (white on black)")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(PAD, PAD)

    def clear(self) -> None:
        self.image.fill(0)
        self.update()

    def set_image(self, image: QImage) -> None:
        self.image = image.convertToFormat(QImage.Format.Format_Grayscale8).scaled(
            PAD, PAD, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.update()

    def draw_line(self, a: QPoint, b: QPoint) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("white"), PAD / 12, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(a, b)
        painter.end()
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._last = event.position().toPoint()
        self.draw_line(self._last, self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._last is not None:
            point = event.position().toPoint()
            self.draw_line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._last = None
        self.drawn.emit()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        QPainter(self).drawImage(0, 0, self.image)

    def array(self) -> np.ndarray:
        """The drawing as float32 (H, W) in [0, 1] (ink = 1)."""
        return qimage_gray(self.image)


def qimage_gray(image: QImage) -> np.ndarray:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    h, w, stride = gray.height(), gray.width(), gray.bytesPerLine()
    raw = np.frombuffer(gray.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)[:, :w]
    return raw.astype(np.float32) / 255.0


def center_ink(gray: np.ndarray) -> np.ndarray:
    """Crop to the ink's bounding box and pad to a square with a margin (like MNIST's preprocessing)."""
    ys, xs = np.nonzero(gray > 0.1)
    if not len(ys):
        return gray
    crop = gray[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    side = int(max(crop.shape) * 1.4) + 1
    out = np.zeros((side, side), dtype=np.float32)
    y0, x0 = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    out[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
    return out


def to_input(gray: np.ndarray, rgb: np.ndarray | None, shape: tuple[int, ...],
             normalize: list[dict[str, Any]]) -> Any:
    """An image as a (1, C, H, W) tensor for a model whose sample shape is ``shape``."""
    import torch
    import torch.nn.functional as F

    channels, h, w = shape
    source = rgb if channels == 3 and rgb is not None else gray[..., None].repeat(channels, axis=2)
    x = torch.from_numpy(np.ascontiguousarray(source.transpose(2, 0, 1)))[None].float()
    x = F.interpolate(x, size=(h, w), mode="area")
    for step in normalize:
        mean = torch.as_tensor(step.get("mean", 0.0), dtype=torch.float32).reshape(-1, 1, 1)
        std = torch.as_tensor(step.get("std", 1.0), dtype=torch.float32).reshape(-1, 1, 1)
        x = (x - mean) / std
    return x


class TryIt(QWidget):
    """Top-5 predictions of a run's trained model for a drawing or an image file, or, for a
    model of one feature vector, its prediction for a row of values."""

    def __init__(self, model_for: Callable[[RunRecord | None], Any], rows: RowSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_for = model_for
        self.rows_for = rows
        self.run: RunRecord | None = None
        self.predictions: list[tuple[str, float]] = []
        self.setAcceptDrops(True)
        self.pad = DrawPad()
        self.pad.drawn.connect(self.predict_drawing)
        clear = QPushButton("Clear")
        clear.clicked.connect(self._clear)
        open_button = QPushButton("Open image…")
        open_button.clicked.connect(self._open)
        self.status = QLabel()
        self.status.setWordWrap(True)
        image_page = QWidget()
        left = QVBoxLayout(image_page)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.pad)
        row = QHBoxLayout()
        row.addWidget(clear)
        row.addWidget(open_button)
        left.addLayout(row)
        left.addStretch(1)
        self.form = FeatureForm()
        self.form.changed.connect(self.predict_features)
        self.pages = QStackedWidget()
        self.pages.addWidget(image_page)
        self.pages.addWidget(self.form)
        grid = QGridLayout()
        self.rows: list[tuple[QLabel, QProgressBar]] = []
        for i in range(5):
            name, bar = QLabel(), QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat("")
            grid.addWidget(name, i, 0)
            grid.addWidget(bar, i, 1)
            self.rows.append((name, bar))
        self.header = QLabel(IMAGE_HEADER)
        right = QVBoxLayout()
        right.addWidget(self.header)
        right.addLayout(grid)
        right.addWidget(self.status)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addLayout(right, 1)
        self._show([])

    def set_run(self, run: RunRecord | None) -> None:
        self.run = run
        self._show([])
        self.status.setText("" if run is not None else "Train a model first.")
        names = feature_names(run)
        self.pages.setCurrentWidget(self.form if names else self.pages.widget(0))
        self.header.setText(TABLE_HEADER if names else IMAGE_HEADER)
        self.setAcceptDrops(not names)
        if names:
            self.form.set_features(names)
            rows_for = self.rows_for
            self.form.source = (lambda i: rows_for(run, i)) if rows_for is not None and run else None

    def _clear(self) -> None:
        self.pad.clear()
        self._show([])

    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if path:
            self.predict_file(path)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if urls:
            self.predict_file(urls[0].toLocalFile())

    # -- prediction ------------------------------------------------------------------------
    def predict_drawing(self) -> list[tuple[str, float]]:
        gray = center_ink(self.pad.array())
        return self._predict(gray, None)

    def predict_file(self, path: str | Path) -> list[tuple[str, float]]:
        image = QImage(str(path))
        if image.isNull():
            self.status.setText(f"{Path(path).name} is not an image Qt can read")
            return []
        self.pad.set_image(image)
        gray = qimage_gray(image)
        if gray.mean() > 0.5:  # dark ink on light paper: the digit sets are light on dark
            gray = 1.0 - gray
        rgb_image = image.convertToFormat(QImage.Format.Format_RGB888)
        h, w, stride = rgb_image.height(), rgb_image.width(), rgb_image.bytesPerLine()
        rgb = np.frombuffer(rgb_image.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)
        rgb = rgb[:, : 3 * w].reshape(h, w, 3).astype(np.float32) / 255.0
        return self._predict(gray, rgb)

    def predict_features(self) -> list[tuple[str, float]]:
        """The model's prediction for the values in the form (a model of one feature vector)."""
        import torch

        trained = self._trained()
        if trained is None:
            return []
        try:
            values = self.form.values()
        except ValueError as err:
            self.status.setText(f"{err} — type a number")
            return []
        return self._evaluate(trained, torch.from_numpy(values).unsqueeze(0))

    def _trained(self) -> Any:
        """The run's trained model, or None (and the status says why)."""
        trained = self.model_for(self.run)
        if trained is None:
            self.status.setText("No trained model yet — train one, or pick a run that has weights.")
        return trained

    def _predict(self, gray: np.ndarray, rgb: np.ndarray | None) -> list[tuple[str, float]]:
        trained = self._trained()
        if trained is None:
            return []
        if len(trained.inputs) != 1 or len(trained.input_shapes[trained.inputs[0]]) != 3:
            self.status.setText("Try it needs a model with one image input (C×H×W).")
            return []
        name = trained.inputs[0]
        shape = trained.input_shapes[name]
        if shape[0] not in (1, 3):
            self.status.setText(f"Try it needs 1 or 3 image channels; this model takes {shape[0]}.")
            return []
        steps = (self.run.hparams.get("data", {}).get("val_transforms", []) if self.run else [])
        normalize = [s.get("params", {}) for s in steps if s.get("name") == "Normalize"]
        return self._evaluate(trained, to_input(gray, rgb, shape, normalize))

    def _evaluate(self, trained: Any, x: Any) -> list[tuple[str, float]]:
        """Run the model on one sample and show what it says: class probabilities (top 5),
        the two classes of a single binary logit, or a regression value."""
        import torch

        with torch.no_grad():
            out = trained.model(x)
        if isinstance(out, dict):
            out = next(iter(out.values()))
        logits = out.reshape(1, -1).float()
        who = f"Model of {self.run.name if self.run else 'the run'}"
        task, kind = self._task()
        if logits.shape[1] == 1 and task != "binary":  # one number: a regression value
            self.predictions = []
            self._show([])
            self.status.setText(f"{who}: predicts {float(logits[0, 0]):.6g}")
            return []
        if logits.shape[1] == 1:  # one logit (or probability) of the positive class
            p = float(logits[0, 0]) if kind == "BCELoss" else float(torch.sigmoid(logits[0, 0]))
            names = self._class_names(trained, 2)
            probs = torch.tensor([1.0 - p, p])
        else:
            probs = torch.softmax(logits, dim=1)[0]
            names = self._class_names(trained, probs.numel())
        top = torch.topk(probs, min(5, probs.numel()))
        self.predictions = [(names[int(i)], float(p)) for p, i in zip(top.values, top.indices, strict=True)]
        self._show(self.predictions)
        self.status.setText(f"{who}: {self.predictions[0][0]} ({self.predictions[0][1]:.0%})")
        return self.predictions

    def _task(self) -> tuple[str, str]:
        """(task, loss kind) of the run's first Loss node, e.g. ("binary", "BCEWithLogitsLoss")."""
        losses = self.run.info.get("losses", []) if self.run is not None else []
        first = losses[0] if losses and isinstance(losses[0], dict) else {}
        return str(first.get("task", "")), str(first.get("kind", ""))

    @staticmethod
    def _class_names(trained: Any, count: int) -> list[str]:
        label = next((f for f in trained.fields.values() if f.class_names and f.num_classes == count), None)
        return list(label.class_names) if label is not None else [str(i) for i in range(count)]

    def _show(self, predictions: list[tuple[str, float]]) -> None:
        for i, (name, bar) in enumerate(self.rows):  # a binary model fills two rows: hide the rest
            for widget in (name, bar):
                widget.setVisible(not predictions or i < len(predictions))
            if i < len(predictions):
                label, p = predictions[i]
                name.setText(f"<b>{label}</b>" if i == 0 else label)
                bar.setValue(int(p * 1000))
                bar.setFormat(f"{p:.1%}")
            else:
                name.setText("–")
                bar.setValue(0)
                bar.setFormat("")


def feature_field(run: RunRecord | None) -> str | None:
    """The dataset field of the run's model input when it reads one row of a table (a single
    1-D float input), else None. The model's inputs are the Inputs the Output nodes depend
    on, as the compiler takes them (a loss target is not one)."""
    from engine.errors import TorchwireError
    from engine.project import project_from_dict

    if run is None or not run.graph:
        return None
    try:
        graph = project_from_dict({"format": 1, "graph": run.graph}, source="run").graph
    except TorchwireError:
        return None
    model = graph.ancestors(n.id for n in graph if n.spec.role == "output")
    fields = [n.params["field"] for n in graph if n.spec.role == "input" and n.id in model]
    vectors = [f for f in fields if len((run.fields.get(f) or {}).get("shape") or ()) == 1
               and (run.fields.get(f) or {}).get("dtype", "float32") == "float32"]
    return vectors[0] if len(vectors) == 1 else None


def feature_names(run: RunRecord | None) -> list[str] | None:
    """The table's column names for :func:`feature_field` (``field[i]`` without them)."""
    field = feature_field(run)
    if field is None:
        return None
    info = run.fields[field]
    size = int(info["shape"][0])
    names = info.get("column_names")
    return list(names) if names and len(names) == size else [f"{field}[{i}]" for i in range(size)]
