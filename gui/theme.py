"""Colours that follow the system palette (light or dark) plus one hue per layer family."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

GRID = 20.0  # snap and background grid spacing, scene units

_FAMILY_HUES: dict[str, int] = {
    "io": 210, "core": 200, "convolution": 28, "pooling": 45, "normalisation": 280,
    "activation": 130, "merge": 175, "recurrent": 330, "vision": 250, "losses": 0,
}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark() -> bool:
    """True when the window background is dark (dark system theme)."""
    return palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5


def family_color(family: str) -> QColor:
    """Header colour of a node of ``family``; readable with the palette's text colour."""
    hue = _FAMILY_HUES.get(family, 220)
    if is_dark():
        return QColor.fromHsv(hue, 150, 150)
    return QColor.fromHsv(hue, 90, 245)


def node_body() -> QColor:
    return palette().color(QPalette.ColorRole.Base)


def text() -> QColor:
    return palette().color(QPalette.ColorRole.Text)


def dim_text() -> QColor:
    c = QColor(text())
    c.setAlphaF(0.62)
    return c


def canvas_background() -> QColor:
    base = palette().color(QPalette.ColorRole.Window)
    return base.darker(108) if not is_dark() else base.darker(130)


def grid_color() -> QColor:
    c = QColor(text())
    c.setAlphaF(0.07 if not is_dark() else 0.10)
    return c


def highlight() -> QColor:
    return palette().color(QPalette.ColorRole.Highlight)


def error() -> QColor:
    return QColor("#e5484d") if is_dark() else QColor("#d11a2a")


def ok_port() -> QColor:
    return QColor("#30a46c")


def wire() -> QColor:
    c = QColor(text())
    c.setAlphaF(0.55)
    return c


def loss_wire() -> QColor:
    return QColor("#c2410c") if not is_dark() else QColor("#f08c4a")


def grid_line() -> QColor:
    """``grid_color`` pre-blended onto the canvas background (opaque, cheap to draw)."""
    bg, fg = canvas_background(), grid_color()
    a = fg.alphaF()
    return QColor.fromRgbF(*(fg_c * a + bg_c * (1 - a) for fg_c, bg_c in
                             ((fg.redF(), bg.redF()), (fg.greenF(), bg.greenF()), (fg.blueF(), bg.blueF()))))
