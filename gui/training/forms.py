"""Small form helpers: widgets bound to one settings field each.

A :class:`Field` knows how to read its widget, show a value and report edits; the
panels turn an edit into one ``Settings.set_*`` call and show a refused value's
reason beside the form, leaving the project unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)


class Field:
    """One widget <-> one settings key."""

    def __init__(self, key: str, widget: QWidget, read: Callable[[], Any], write: Callable[[Any], None],
                 signal: Any) -> None:
        self.key, self.widget, self.read, self._write = key, widget, read, write
        self.signal = signal

    def show(self, value: Any) -> None:
        with QSignalBlocker(self.widget):
            self._write(value)


def spin(key: str, lo: int, hi: int, tip: str = "", special: str = "") -> Field:
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setToolTip(tip)
    w.setKeyboardTracking(False)
    if special:
        w.setSpecialValueText(special)
    return Field(key, w, w.value, lambda v: w.setValue(int(v if v is not None else lo)), w.valueChanged)


def dspin(key: str, lo: float, hi: float, decimals: int = 4, step: float = 0.01, tip: str = "") -> Field:
    w = QDoubleSpinBox()
    w.setRange(lo, hi)
    w.setDecimals(decimals)
    w.setSingleStep(step)
    w.setToolTip(tip)
    w.setKeyboardTracking(False)
    return Field(key, w, w.value, lambda v: w.setValue(float(v if v is not None else lo)), w.valueChanged)


def check(key: str, text: str, tip: str = "") -> Field:
    w = QCheckBox(text)
    w.setToolTip(tip)
    return Field(key, w, w.isChecked, lambda v: w.setChecked(bool(v)), w.toggled)


def combo(key: str, items: list[tuple[str, Any]], tip: str = "") -> Field:
    """A combo box of ``(label, value)`` items."""
    w = QComboBox()
    for label, value in items:
        w.addItem(label, value)
    w.setToolTip(tip)

    def write(value: Any) -> None:
        i = w.findData(value)
        if i < 0:
            w.addItem(str(value), value)
            i = w.count() - 1
        w.setCurrentIndex(i)

    return Field(key, w, w.currentData, write, w.currentIndexChanged)


def line(key: str, tip: str = "", placeholder: str = "") -> Field:
    w = QLineEdit()
    w.setToolTip(tip)
    w.setPlaceholderText(placeholder)
    return Field(key, w, w.text, lambda v: w.setText("" if v is None else str(v)), w.editingFinished)


class Optional:
    """A checkbox that turns a number field on (value) or off (None)."""

    def __init__(self, key: str, text: str, inner: Field, default: Any) -> None:
        self.key, self.inner, self.default = key, inner, default
        self.box = QCheckBox(text)
        self.box.toggled.connect(inner.widget.setEnabled)

    def read(self) -> Any:
        return self.inner.read() if self.box.isChecked() else None

    def show(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(value is not None)
        self.inner.widget.setEnabled(value is not None)
        self.inner.show(self.default if value is None else value)
