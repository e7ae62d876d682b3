"""A pyqtgraph item for a curve that grows 20 times a second while training runs.

During a run the GUI thread shares the CPU with the training threads, so every
millisecond a frame costs is taken from training. A general-purpose
``PlotDataItem`` re-derives its display data through a long Python pipeline on each
``setData`` and repaints the curve's whole bounding rectangle; this item does only
what a growing loss curve needs, and per frame only for the points that are new:

* drops non-finite points and, under log-y, non-positive ones (a log axis cannot
  show them);
* peak-downsamples to about two points per horizontal pixel once there are more
  points than that (min and max of each bucket of ``per`` points, so spikes stay
  visible). Buckets are fixed runs of points, so a finished bucket never changes:
  new points fill the open bucket at the end, which is drawn as it is until full;
* keeps the drawn path and the data's y range up to date by appending to them;
* repaints only the part of the plot where the drawn line changed — usually a
  few pixels at its right end. Its bounding rectangle is the visible area, so
  new points never change the item's geometry; a change of the view range
  repaints the plot anyway.

The data as given stays available (:meth:`original`) for export and tests, and
:meth:`dataBounds` lets the plot's auto-range ("A" button) fit the curve.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath

PAD_PX = 2.0  # repaint margin around a changed part, in pixels (1-px pen, rounding)
MIN_PIXELS = 200  # the width downsampling assumes for a plot not yet laid out


class LiveCurve(pg.GraphicsObject):
    """A line through ``(x, y)`` for the live per-step plots (one-pixel pen, no symbols)."""

    def __init__(self, pen: Any) -> None:
        super().__init__()
        self._pen = pg.mkPen(pen)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._log_y = False
        self._used = 0  # points of _x/_y taken into the display
        self._kept = 0  # of those, the ones drawn (finite, and positive under log-y)
        self._per = 1  # points per downsampling bucket
        # drawn: the finished buckets (or every point), and the open bucket as it is. Plain
        # lists: a frame appends a dozen points, for which numpy's per-call cost dominates
        self._head_x: list[float] = []
        self._head_y: list[float] = []
        self._open_x: list[float] = []
        self._open_y: list[float] = []
        self._head_path = QPainterPath()
        self._path = QPainterPath()
        self._y_range: tuple[float, float] | None = None  # of the drawn points (log10 under log-y)
        self._pad: tuple[float, float] | None = None  # PAD_PX in data units, per view transform
        self._width: int | None = None  # plot width in pixels, per view transform

    # -- data -------------------------------------------------------------------------
    def set_points(self, x: np.ndarray, y: np.ndarray, *, appended: bool = False) -> None:
        """Show ``y`` over ``x`` (same length; kept by reference, not copied).

        ``appended``: ``x`` and ``y`` hold the previous call's points unchanged, followed by
        new ones (a growing run's arrays). Only the new points are then processed, and only
        the part of the plot they change is repainted.
        """
        used = self._used
        if appended and len(x) >= used:
            new_x, new_y = x[used:], y[used:]
            if self._log_y or not all(map(math.isfinite, new_y)):  # else all of them are visible
                new_x, new_y = self._visible(new_x, new_y)
            if _bucket_size(self._kept + len(new_y), self._pixels()) == self._per:
                self._x, self._y, self._used = x, y, len(x)
                self._append(new_x.tolist(), new_y.tolist())
                return
        self._x, self._y = x, y
        self._rebuild()

    def original(self) -> tuple[np.ndarray, np.ndarray]:
        """The points as last given to :meth:`set_points`."""
        return self._x, self._y

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """The points the line is drawn through (visible only, in plot coordinates, downsampled)."""
        return (np.asarray(self._head_x + self._open_x, dtype=np.float64),
                np.asarray(self._head_y + self._open_y, dtype=np.float64))

    def y_range(self) -> tuple[float, float] | None:
        """(lowest, highest) drawn y (log10 of y under log-y); None when nothing is drawn."""
        return self._y_range

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 - PlotItem calls this name
        """Called by ``PlotItem.setLogMode``: plot log10 of y (x stays linear)."""
        if bool(y) != self._log_y:
            self._log_y = bool(y)
            self._rebuild()  # every drawn point moves

    def _visible(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The points a plot can show, in its coordinates: finite (positive and log10 under log-y)."""
        keep = np.isfinite(y)
        if self._log_y:
            keep &= y > 0
        if not keep.all():
            x, y = x[keep], y[keep]
        return x, (np.log10(y) if self._log_y and len(y) else y)

    def _rebuild(self) -> None:
        """Derive everything drawn from all the points, and repaint the whole curve."""
        x, y = self._visible(self._x, self._y)
        self._used, self._kept = len(self._x), len(y)
        self._per = per = _bucket_size(len(y), self._pixels())
        done = len(y) // per * per
        head_x, head_y = _peak_downsample(x[:done], y[:done], per)
        self._head_x, self._head_y = head_x.tolist(), head_y.tolist()
        self._open_x, self._open_y = x[done:].tolist(), y[done:].tolist()
        if len(head_x) > 1:
            self._head_path = pg.arrayToQPath(head_x, head_y)
        else:  # arrayToQPath needs two points
            self._head_path = QPainterPath()
            _extend_path(self._head_path, self._head_x, self._head_y)
        self._path = _continued(self._head_path, self._open_x, self._open_y)
        self._y_range = (float(y.min()), float(y.max())) if len(y) else None
        self.update()

    def _append(self, x: list[float], y: list[float]) -> None:
        """Draw new points ``x, y`` (already visible-only) after the ones drawn."""
        if not y:
            return
        self._kept += len(y)
        lo, hi = min(y), max(y)
        self._y_range = (lo, hi) if self._y_range is None else (min(lo, self._y_range[0]),
                                                                max(hi, self._y_range[1]))
        # what changes on screen: from the last point drawn before (the segment into the
        # first new point), through the open bucket, whose points may now become a bucket
        open_x, open_y = self._open_x + x, self._open_y + y
        changed_x, changed_y = open_x, open_y
        if self._head_x:
            changed_x, changed_y = [self._head_x[-1], *open_x], [self._head_y[-1], *open_y]
        per = self._per  # 1: every point closes its bucket, the open one stays empty
        done = len(open_y) // per * per
        if done:
            head_x, head_y = open_x[:done], open_y[:done]
            if per > 1:
                bucket_x, bucket_y = _peak_downsample(np.asarray(head_x), np.asarray(head_y), per)
                head_x, head_y = bucket_x.tolist(), bucket_y.tolist()
            self._head_x += head_x
            self._head_y += head_y
            _extend_path(self._head_path, head_x, head_y)
        self._open_x, self._open_y = open_x[done:], open_y[done:]
        self._path = _continued(self._head_path, self._open_x, self._open_y)
        pad_x, pad_y = self._padding()
        x0, x1, y0, y1 = min(changed_x), max(changed_x), min(changed_y), max(changed_y)
        self.update(QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y))

    def _pixels(self) -> int:
        if self._width is None:
            view = self.getViewBox()
            self._width = max(MIN_PIXELS, int(view.width() if view is not None else 0))
        return self._width

    def _padding(self) -> tuple[float, float]:
        if self._pad is None:
            self._pad = (PAD_PX * (self.pixelWidth() or 0.0), PAD_PX * (self.pixelHeight() or 0.0))
        return self._pad

    # -- QGraphicsItem ----------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """The visible area of the plot (new points never change the item's geometry)."""
        rect = self.viewRect()
        return QRectF() if rect is None else rect

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook
        """The view moved or was resized: the bounding rectangle (the visible area) changes."""
        self.prepareGeometryChange()
        self._pad = self._width = None
        super().viewTransformChanged()  # forgets the cached view rectangle

    def paint(self, painter: QPainter, *_args: Any) -> None:
        if self._path.isEmpty():
            return
        painter.setPen(self._pen)
        painter.drawPath(self._path)

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 - pyqtgraph's name
                   orthoRange: tuple[float, float] | None = None) -> tuple[float, float] | None:  # noqa: N803
        """(min, max) of the drawn points along ``ax`` (0: x, 1: y), for auto-range."""
        if ax == 1:
            return self._y_range
        values = self.drawn()[0]
        return (float(values.min()), float(values.max())) if len(values) else None


def _bucket_size(points: int, pixels: int) -> int:
    """Points per bucket for ``points`` on ``pixels``: 1 up to two points per pixel, then a
    power of two (so buckets only ever merge in pairs as the curve grows)."""
    per = points // pixels
    return 1 if per < 2 else 1 << (per.bit_length() - 1)


def _peak_downsample(x: np.ndarray, y: np.ndarray, per: int) -> tuple[np.ndarray, np.ndarray]:
    """Each bucket of ``per`` points (``len(y)`` is a multiple of it) becomes its min and max."""
    if per < 2:
        return x, y
    buckets = len(y) // per
    ys = y.reshape(buckets, per)
    xs = x.reshape(buckets, per)
    out_y = np.empty(2 * buckets)
    out_x = np.empty(2 * buckets)
    out_y[0::2] = ys.min(axis=1)
    out_y[1::2] = ys.max(axis=1)
    out_x[0::2] = xs[:, 0]
    out_x[1::2] = xs[:, -1]
    return out_x, out_y


def _extend_path(path: QPainterPath, xs: list[float], ys: list[float]) -> None:
    """Continue ``path`` through the points (starting it at the first one when empty)."""
    if not xs:
        return
    start = 0
    if path.elementCount() == 0:
        path.moveTo(xs[0], ys[0])
        start = 1
    for x, y in zip(xs[start:], ys[start:], strict=True):
        path.lineTo(x, y)


def _continued(head: QPainterPath, xs: list[float], ys: list[float]) -> QPainterPath:
    """``head`` followed by the points ``xs, ys`` (a new path; ``head`` stays as it is)."""
    if not xs:
        return head
    path = QPainterPath(head)
    _extend_path(path, xs, ys)
    return path


__all__ = ["LiveCurve"]
