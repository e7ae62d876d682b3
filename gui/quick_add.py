"""Quick-add: a search popup at the cursor (type, arrows, Enter) listing layer kinds."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from engine.catalog import FAMILIES, all_specs, get_spec

KIND_ROLE = Qt.ItemDataRole.UserRole


def kinds_accepting(port_kind: str, as_input: bool) -> list[str]:
    """Kinds with an input (``as_input``) or output port of ``port_kind``."""
    out = []
    for spec in all_specs():
        ports = spec.input_ports({}) if as_input else spec.output_ports({})
        if any(p.kind == port_kind for p in ports):
            out.append(spec.kind)
    return out


class QuickAdd(QFrame):
    """Signals:
        chosen(str kind): the user picked a kind (Enter, click).
    """

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Add layer…")
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.resize(300, 320)
        self._kinds: list[str] = []
        self.edit.textChanged.connect(self._filter)
        self.edit.installEventFilter(self)
        self.edit.returnPressed.connect(self.accept_current)
        self.list.itemActivated.connect(lambda _i: self.accept_current())
        self.list.itemClicked.connect(lambda _i: self.accept_current())

    def open_at(self, global_pos: QPoint, kinds: Iterable[str] | None = None) -> None:
        """Show at ``global_pos`` listing ``kinds`` (all when None), search box focused."""
        self._kinds = list(kinds) if kinds is not None else [s.kind for s in all_specs()]
        self.edit.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        self.list.clear()
        for kind in self._kinds:
            spec = get_spec(kind)
            hay = f"{kind} {spec.help} {FAMILIES[spec.family]}".lower()
            if all(w in hay for w in words):
                item = QListWidgetItem(f"{kind}    — {FAMILIES[spec.family]}")
                item.setData(KIND_ROLE, kind)
                item.setToolTip(spec.help)
                self.list.addItem(item)
        # Exact name first, then prefix matches.
        if words:
            rows = [self.list.item(i).data(KIND_ROLE).lower() for i in range(self.list.count())]
            best = next((i for i, k in enumerate(rows) if k == words[0]), None)
            if best is None:
                best = next((i for i, k in enumerate(rows) if k.startswith(words[0])), 0)
            self.list.setCurrentRow(best)
        else:
            self.list.setCurrentRow(0)

    def visible_kinds(self) -> list[str]:
        return [self.list.item(i).data(KIND_ROLE) for i in range(self.list.count())]

    def accept_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.hide()
        self.chosen.emit(item.data(KIND_ROLE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8, Qt.Key.Key_PageUp: -8}[key]
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(watched, event)
