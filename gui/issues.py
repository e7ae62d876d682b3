"""The issues list: every validation issue of the latest inference; click to find the node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from . import icons
from .document import Document

NODE_ROLE = Qt.ItemDataRole.UserRole


class IssuesList(QListWidget):
    """Signals:
        node_activated(str node_name): an issue naming a node was clicked.
    """

    node_activated = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        document.inference_changed.connect(self.refresh)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        issues = self.document.inference.issues
        for issue in issues:
            item = QListWidgetItem(icons.icon("error" if issue.severity == "error" else "warning"),
                                   issue.message)
            item.setData(NODE_ROLE, issue.node)
            item.setToolTip(issue.message)
            self.addItem(item)
        if not issues:
            item = QListWidgetItem("No issues — every layer's shape checks out."
                                   if len(self.document.graph) else "The graph is empty.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

    def messages(self) -> list[str]:
        return [i.message for i in self.document.inference.issues]

    def _clicked(self, item: QListWidgetItem) -> None:
        name = item.data(NODE_ROLE)
        if name:
            self.node_activated.emit(name)
