"""Generated samples of a GAN run: a grid image that updates each epoch."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.training.samples import sample_grid


class SamplesView(QWidget):
    """Shows the grid of samples the adversarial recipe reports after each epoch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("Generated samples appear here after each epoch of a GAN run.")
        self.caption.setWordWrap(True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(160, 160)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.image, 1)
        self.grid: np.ndarray | None = None
        self.epoch = 0

    def show_samples(self, epoch: int, samples: list[Any]) -> None:
        """Display ``samples`` (C×H×W nested lists in [0, 1]) tiled in rows of four."""
        grid = np.asarray(sample_grid(samples), dtype=np.float32)
        if grid.size == 0:
            return
        self.grid, self.epoch = grid, epoch
        pixels = (np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)
        pixels = np.ascontiguousarray(pixels)
        h, w = pixels.shape
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        self.caption.setText(f"Generated samples after epoch {epoch} (fixed noise, so you see the "
                             "generator learn)")
        self._pixmap = QPixmap.fromImage(image)
        self._rescale()

    def _rescale(self) -> None:
        pixmap = getattr(self, "_pixmap", None)
        if pixmap is None:
            return
        size = self.image.size()
        side = max(64, min(size.width(), size.height()) - 8)
        self.image.setPixmap(pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._rescale()
