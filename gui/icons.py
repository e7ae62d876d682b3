"""Toolbar and menu icons drawn with QPainter in the palette's text colour (crisp at any DPI)."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from . import theme

Draw = Callable[[QPainter, QColor], None]
_cache: dict[str, QIcon] = {}


def _pen(color: QColor, width: float = 1.6) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


# Each drawer paints into a 24×24 box.
def _new(p: QPainter, c: QColor) -> None:
    path = QPainterPath()
    path.moveTo(6, 3)
    path.lineTo(14, 3)
    path.lineTo(19, 8)
    path.lineTo(19, 21)
    path.lineTo(6, 21)
    path.closeSubpath()
    p.setPen(_pen(c))
    p.drawPath(path)
    p.drawPolyline([QPointF(14, 3), QPointF(14, 8), QPointF(19, 8)])


def _open(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    path = QPainterPath()
    path.moveTo(3, 19)
    path.lineTo(3, 5)
    path.lineTo(9, 5)
    path.lineTo(11, 7)
    path.lineTo(19, 7)
    path.lineTo(19, 10)
    p.drawPath(path)
    front = QPainterPath()
    front.moveTo(3, 19)
    front.lineTo(7, 10)
    front.lineTo(22, 10)
    front.lineTo(18, 19)
    front.closeSubpath()
    p.drawPath(front)


def _save(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    path = QPainterPath()
    path.moveTo(4, 4)
    path.lineTo(17, 4)
    path.lineTo(20, 7)
    path.lineTo(20, 20)
    path.lineTo(4, 20)
    path.closeSubpath()
    p.drawPath(path)
    p.drawRect(QRectF(8, 4, 8, 5))
    p.drawRect(QRectF(7, 13, 10, 7))


def _arrow(p: QPainter, c: QColor, flip: bool) -> None:
    p.save()
    if flip:
        p.translate(24, 0)
        p.scale(-1, 1)
    p.setPen(_pen(c, 1.8))
    path = QPainterPath()
    path.moveTo(8, 6)
    path.lineTo(4, 10)
    path.lineTo(8, 14)
    p.drawPath(path)
    arc = QPainterPath()
    arc.moveTo(4, 10)
    arc.lineTo(14, 10)
    arc.cubicTo(22, 10, 22, 20, 14, 20)
    arc.lineTo(10, 20)
    p.drawPath(arc)
    p.restore()


def _cut(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.drawEllipse(QPointF(7, 17), 3, 3)
    p.drawEllipse(QPointF(17, 17), 3, 3)
    p.drawLine(QPointF(9, 15), QPointF(17, 3))
    p.drawLine(QPointF(15, 15), QPointF(7, 3))


def _copy(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.drawRoundedRect(QRectF(8, 8, 12, 13), 2, 2)
    p.drawPolyline([QPointF(5, 16), QPointF(4, 16), QPointF(4, 3), QPointF(15, 3), QPointF(15, 5)])


def _paste(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.drawRoundedRect(QRectF(5, 5, 14, 16), 2, 2)
    p.setBrush(QBrush(c))
    p.drawRoundedRect(QRectF(9, 3, 6, 4), 1, 1)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(9, 12), QPointF(15, 12))
    p.drawLine(QPointF(9, 16), QPointF(15, 16))


def _delete(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.drawLine(QPointF(4, 6), QPointF(20, 6))
    p.drawPolyline([QPointF(9, 6), QPointF(9, 3), QPointF(15, 3), QPointF(15, 6)])
    path = QPainterPath()
    path.moveTo(6, 6)
    path.lineTo(7, 21)
    path.lineTo(17, 21)
    path.lineTo(18, 6)
    p.drawPath(path)
    p.drawLine(QPointF(10, 10), QPointF(10, 17))
    p.drawLine(QPointF(14, 10), QPointF(14, 17))


def _frame(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    for x, y, dx, dy in ((3, 3, 1, 1), (21, 3, -1, 1), (3, 21, 1, -1), (21, 21, -1, -1)):
        p.drawPolyline([QPointF(x, y + 5 * dy), QPointF(x, y), QPointF(x + 5 * dx, y)])
    p.drawRoundedRect(QRectF(8, 8, 8, 8), 1.5, 1.5)


def _layout(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.setBrush(QBrush(c))
    for x, y in ((3, 10), (11, 4), (11, 16), (19, 10)):
        p.drawRoundedRect(QRectF(x, y, 3, 4), 1, 1)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(6, 12), QPointF(11, 6))
    p.drawLine(QPointF(6, 12), QPointF(11, 18))
    p.drawLine(QPointF(14, 6), QPointF(19, 12))
    p.drawLine(QPointF(14, 18), QPointF(19, 12))


def _zoom(p: QPainter, c: QColor, sign: str) -> None:
    p.setPen(_pen(c, 1.8))
    p.drawEllipse(QPointF(10, 10), 6.5, 6.5)
    p.drawLine(QPointF(15, 15), QPointF(21, 21))
    if sign:
        p.drawLine(QPointF(7, 10), QPointF(13, 10))
    if sign == "+":
        p.drawLine(QPointF(10, 7), QPointF(10, 13))
    if sign == "1":
        p.drawText(QRectF(4, 4, 12, 12), Qt.AlignmentFlag.AlignCenter, "1")


def _lock(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.drawRoundedRect(QRectF(5, 11, 14, 10), 2, 2)
    p.drawArc(QRectF(8, 4, 8, 12), 0, 180 * 16)
    p.drawLine(QPointF(8, 10), QPointF(8, 11))
    p.drawLine(QPointF(16, 10), QPointF(16, 11))


def _issue(p: QPainter, c: QColor) -> None:
    col = theme.error()
    p.setPen(_pen(col))
    p.setBrush(QBrush(col))
    path = QPainterPath()
    for i in range(3):
        a = math.radians(-90 + 120 * i)
        pt = QPointF(12 + 9 * math.cos(a), 13 + 9 * math.sin(a))
        path.moveTo(pt) if i == 0 else path.lineTo(pt)
    path.closeSubpath()
    p.drawPath(path)
    p.setPen(_pen(QColor("white"), 2))
    p.drawLine(QPointF(12, 9), QPointF(12, 14))
    p.drawPoint(QPointF(12, 17))


def _warning(p: QPainter, c: QColor) -> None:
    col = QColor("#d97706")
    p.setPen(_pen(col))
    p.setBrush(QBrush(col))
    p.drawEllipse(QPointF(12, 12), 8, 8)
    p.setPen(_pen(QColor("white"), 2))
    p.drawLine(QPointF(12, 7), QPointF(12, 13))
    p.drawPoint(QPointF(12, 16.5))


DRAWERS: dict[str, Draw] = {
    "new": _new, "open": _open, "save": _save, "save-as": _save,
    "undo": lambda p, c: _arrow(p, c, False), "redo": lambda p, c: _arrow(p, c, True),
    "cut": _cut, "copy": _copy, "paste": _paste, "delete": _delete, "duplicate": _copy,
    "frame": _frame, "layout": _layout, "zoom-in": lambda p, c: _zoom(p, c, "+"),
    "zoom-out": lambda p, c: _zoom(p, c, "-"), "zoom-reset": lambda p, c: _zoom(p, c, "1"),
    "lock": _lock, "error": _issue, "warning": _warning,
}


def icon(name: str) -> QIcon:
    """A crisp icon drawn at 16–48 px (×2 for HiDPI) in the current text colour."""
    if name in _cache:
        return _cache[name]
    draw = DRAWERS[name]
    result = QIcon()
    for color, mode in ((theme.text(), QIcon.Mode.Normal), (theme.dim_text(), QIcon.Mode.Disabled)):
        for size in (16, 24, 32, 48):
            for ratio in (1.0, 2.0):
                pm = QPixmap(int(size * ratio), int(size * ratio))
                pm.setDevicePixelRatio(ratio)
                pm.fill(Qt.GlobalColor.transparent)
                p = QPainter(pm)
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                p.scale(size / 24, size / 24)
                draw(p, QColor(color))
                p.end()
                result.addPixmap(pm, mode)
    _cache[name] = result
    return result
