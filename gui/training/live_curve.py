"""A pyqtgraph item for a curve that grows 20 times a second while training runs.

During a run the GUI thread shares the CPU with the training threads, so every
millisecond a frame costs is taken from training. A general-purpose
``PlotDataItem`` re-derives its display data through a long Python pipeline on each
``setData`` and repaints the curve's whole bounding rectangle; this item does only
what a growing loss curve needs:

* drops non-finite points and, under log-y, non-positive ones (a log axis cannot
  show them);
* peak-downsamples to about two points per horizontal pixel once there are more
  points than that (min and max of each bucket, so spikes stay visible; bucket
  boundaries stay put while the bucket size does, so old parts do not change);
* repaints only the part of the plot where the drawn line changed — usually a
  few pixels at its right end. Its bounding rectangle is the visible area, so
  new points never change the item's geometry; a change of the view range
  repaints the plot anyway.

The data as given stays available (:meth:`original`) for export and tests, and
:meth:`dataBounds` lets the plot's auto-range ("A" button) fit the curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath

PAD_PX = 2.0  # repaint margin around a changed part, in pixels (1-px pen, rounding)


class LiveCurve(pg.GraphicsObject):
    """A line through ``(x, y)`` for the live per-step plots (one-pixel pen, no symbols)."""

    def __init__(self, pen: Any) -> None:
        super().__init__()
        self._pen = pg.mkPen(pen)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._dx = np.empty(0)  # what is drawn: finite, log10 under log-y, downsampled
        self._dy = np.empty(0)
        self._per = 1  # points per downsampling bucket
        self._path = QPainterPath()
        self._log_y = False

    # -- data -------------------------------------------------------------------------
    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show ``y`` over ``x`` (same length; kept by reference, not copied)."""
        self._x, self._y = x, y
        old_x, old_y, old_per = self._dx, self._dy, self._per
        self._dx, self._dy, self._per = self._display(x, y)
        self._path = pg.arrayToQPath(self._dx, self._dy) if len(self._dx) > 1 else QPainterPath()
        if self._per != old_per or len(self._dx) < len(old_x):
            self.update()  # re-bucketed or shortened: redraw all of it
            return
        self._update_changed(old_x, old_y)

    def original(self) -> tuple[np.ndarray, np.ndarray]:
        """The points as last given to :meth:`set_points`."""
        return self._x, self._y

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 - PlotItem calls this name
        """Called by ``PlotItem.setLogMode``: plot log10 of y (x stays linear)."""
        if bool(y) != self._log_y:
            self._log_y = bool(y)
            self.set_points(self._x, self._y)  # every drawn point moves: the changed part is all of it

    def _display(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        keep = np.isfinite(y)
        if self._log_y:
            keep &= y > 0
        if not keep.all():
            x, y = x[keep], y[keep]
        if self._log_y and len(y):
            y = np.log10(y)
        per = max(1, len(y) // self._pixels())
        per = 1 if per < 2 else 1 << (per.bit_length() - 1)  # powers of two: stable buckets
        return (*_peak_downsample(x, y, per), per)

    def _pixels(self) -> int:
        view = self.getViewBox()
        width = view.width() if view is not None else 0
        return max(200, int(width))

    def _update_changed(self, old_x: np.ndarray, old_y: np.ndarray) -> None:
        """Repaint from the first drawn point that differs (or the old last one) to the end."""
        new_x, new_y = self._dx, self._dy
        n = len(old_x)
        if n == 0:
            self.update()
            return
        same = (old_x == new_x[:n]) & (old_y == new_y[:n])
        first = int(np.argmin(same)) if not same.all() else n
        start = max(0, first - 1)  # the segment into the first changed point changes too
        xs = np.concatenate([old_x[start:], new_x[start:]])
        ys = np.concatenate([old_y[start:], new_y[start:]])
        if not len(xs):
            return
        pad_x, pad_y = PAD_PX * (self.pixelWidth() or 0.0), PAD_PX * (self.pixelHeight() or 0.0)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        self.update(QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y))

    # -- QGraphicsItem ----------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """The visible area of the plot (new points never change the item's geometry)."""
        rect = self.viewRect()
        return QRectF() if rect is None else rect

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook
        """The view moved or was resized: the bounding rectangle (the visible area) changes."""
        self.prepareGeometryChange()
        super().viewTransformChanged()  # forgets the cached view rectangle

    def paint(self, painter: QPainter, *_args: Any) -> None:
        if self._path.isEmpty():
            return
        painter.setPen(self._pen)
        painter.drawPath(self._path)

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 - pyqtgraph's name
                   orthoRange: tuple[float, float] | None = None) -> tuple[float, float] | None:  # noqa: N803
        """(min, max) of the drawn points along ``ax`` (0: x, 1: y), for auto-range."""
        values = self._dx if ax == 0 else self._dy
        return (float(values.min()), float(values.max())) if len(values) else None


def _peak_downsample(x: np.ndarray, y: np.ndarray, per: int) -> tuple[np.ndarray, np.ndarray]:
    """Each full bucket of ``per`` points becomes its min and max; the rest stays as is."""
    n = len(y)
    if per < 2 or n < 2 * per:
        return x, y
    buckets = n // per
    used = buckets * per
    ys = y[:used].reshape(buckets, per)
    xs = x[:used].reshape(buckets, per)
    out_y = np.empty(2 * buckets + n - used)
    out_x = np.empty_like(out_y)
    out_y[0:2 * buckets:2] = ys.min(axis=1)
    out_y[1:2 * buckets:2] = ys.max(axis=1)
    out_x[0:2 * buckets:2] = xs[:, 0]
    out_x[1:2 * buckets:2] = xs[:, -1]
    out_y[2 * buckets:] = y[used:]  # the newest points, fewer than a bucket, as they are
    out_x[2 * buckets:] = x[used:]
    return out_x, out_y


__all__ = ["LiveCurve"]
