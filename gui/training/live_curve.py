"""A pyqtgraph curve for data that grows 20 times a second while training runs.

``PlotDataItem`` re-derives its display data through a general pipeline on each
``setData`` (finite checks, log transforms, clip-to-view and downsampling
decisions, several bounds passes) and that Python work is most of a live frame's
cost. During a run the GUI thread shares the CPU with the training threads, so
:class:`LiveCurve` does only what a growing loss curve needs, once per frame:

* drops non-finite points and, under log-y, non-positive ones (a log axis cannot
  show them);
* peak-downsamples to about two points per horizontal pixel (min and max of each
  bucket, so spikes stay visible) once the curve has more points than that;
* hands the result to :class:`pyqtgraph.PlotCurveItem` without a second finite check.

The data as given stays available (:meth:`original`) for export and tests.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


class LiveCurve(pg.PlotCurveItem):
    """A line through ``(x, y)`` for the live per-step plots (one-pixel pen, no symbols)."""

    def __init__(self, pen: pg.mkPen) -> None:
        super().__init__(pen=pen, skipFiniteCheck=True)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._log_y = False

    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show ``y`` over ``x`` (same length; kept by reference, not copied)."""
        self._x, self._y = x, y
        self._refresh()

    def original(self) -> tuple[np.ndarray, np.ndarray]:
        """The points as last given to :meth:`set_points`."""
        return self._x, self._y

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 - PlotItem calls this name
        """Called by ``PlotItem.setLogMode``: plot log10 of y (x stays linear)."""
        if bool(y) != self._log_y:
            self._log_y = bool(y)
            self._refresh()

    def _refresh(self) -> None:
        x, y = self._x, self._y
        keep = np.isfinite(y)
        if self._log_y:
            keep &= y > 0
        if not keep.all():
            x, y = x[keep], y[keep]
        if self._log_y and len(y):
            y = np.log10(y)
        x, y = _peak_downsample(x, y, self._pixels())
        self.setData(x, y, skipFiniteCheck=True)

    def _pixels(self) -> int:
        view = self.getViewBox()
        width = view.width() if view is not None else 0
        return max(200, int(width))


def _peak_downsample(x: np.ndarray, y: np.ndarray, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``2 * pixels`` points: each bucket of points becomes its min and max."""
    n = len(y)
    per = n // pixels
    if per < 2:
        return x, y
    buckets = n // per
    used = buckets * per
    ys = y[:used].reshape(buckets, per)
    xs = x[:used].reshape(buckets, per)
    out_y = np.empty(2 * buckets + (n - used > 0) * (n - used))
    out_x = np.empty_like(out_y)
    out_y[0:2 * buckets:2] = ys.min(axis=1)
    out_y[1:2 * buckets:2] = ys.max(axis=1)
    out_x[0:2 * buckets:2] = xs[:, 0]
    out_x[1:2 * buckets:2] = xs[:, -1]
    if n > used:  # the newest points, fewer than a bucket, as they are
        out_y[2 * buckets:] = y[used:]
        out_x[2 * buckets:] = x[used:]
    return out_x, out_y


__all__ = ["LiveCurve"]
