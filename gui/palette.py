"""The layer palette: every catalog kind grouped by family, a search box, drag to add."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.catalog import FAMILIES, all_specs

from . import theme
from .canvas.view import KIND_MIME

KIND_ROLE = Qt.ItemDataRole.UserRole


def kind_mime(kind: str) -> QMimeData:
    """The mime data a palette drag carries (also used by tests to simulate a drop)."""
    mime = QMimeData()
    mime.setData(KIND_MIME, kind.encode())
    mime.setText(kind)
    return mime


class _Tree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # type: ignore[override]
        kinds = [i.data(0, KIND_ROLE) for i in items if i.data(0, KIND_ROLE)]
        return kind_mime(kinds[0] if kinds else "")


class Palette(QWidget):
    """Signals:
        activated(str kind): an entry was double-clicked or Enter pressed (add at view centre).
    """

    activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in all_specs():
            group = groups.get(spec.family)
            if group is None:
                group = QTreeWidgetItem([FAMILIES[spec.family]])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setForeground(0, QBrush(theme.family_color(spec.family).darker(160)
                                              if not theme.is_dark() else theme.family_color(spec.family)))
                groups[spec.family] = group
                self.tree.addTopLevelItem(group)
            item = QTreeWidgetItem([spec.kind])
            item.setData(0, KIND_ROLE, spec.kind)
            item.setToolTip(0, f"<b>{spec.kind}</b><br>{spec.help}")
            item.setStatusTip(0, spec.help)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            group.addChild(item)
            self.items[spec.kind] = item
        self.groups = groups
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._on_activated)

    def filter(self, text: str) -> None:
        """Show only kinds whose name or help contains every word of ``text``."""
        words = text.lower().split()
        for group in self.groups.values():
            visible = 0
            for i in range(group.childCount()):
                child = group.child(i)
                hay = f"{child.text(0)} {child.toolTip(0)}".lower()
                hide = not all(w in hay for w in words)
                child.setHidden(hide)
                visible += not hide
            group.setHidden(visible == 0)

    def visible_kinds(self) -> list[str]:
        return [k for k, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _activate_first(self) -> None:
        kinds = self.visible_kinds()
        if kinds:
            self.activated.emit(kinds[0])

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.activated.emit(kind)
