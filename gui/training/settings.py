"""Undoable edits of a project's data and training settings.

The Document's undo stack holds graph edits; settings edits go onto the same
stack as :class:`SetSettings` commands, so Ctrl+Z, the modified marker and
autosave treat them exactly like a parameter change on the canvas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from engine.data.config import DataConfig
from engine.training.config import TrainConfig

if TYPE_CHECKING:
    from gui.document import Document

_TRAIN = TypeAdapter(TrainConfig)
_MERGE_ID = 0x7457  # commands editing the same field merge (typing in a spin box is one step)


class SettingsError(ValueError):
    """A settings value is refused; the message names the field."""


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "value"
    return f"{where}: {first['msg']}"


def data_dict(config: DataConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")


def training_dict(config: TrainConfig) -> dict[str, Any]:
    return _TRAIN.dump_python(config, mode="json")


def updated_data(config: DataConfig, **changes: Any) -> DataConfig:
    """A validated copy of ``config`` with ``changes``.

    Raises:
        SettingsError: naming the field and the reason.
    """
    try:
        return DataConfig.model_validate({**data_dict(config), **changes})
    except ValidationError as err:
        raise SettingsError(_first_error(err)) from None


def updated_training(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A validated copy of ``config`` with ``changes``.

    Raises:
        SettingsError: naming the field and the reason.
    """
    try:
        return _TRAIN.validate_python({**training_dict(config), **changes})
    except ValidationError as err:
        raise SettingsError(_first_error(err)) from None


class Settings(QObject):
    """Reads and edits ``document.project.data`` / ``.training`` through undo commands.

    Signals:
        changed(str): ``"data"`` or ``"training"`` was replaced (edit, undo, redo,
            or another project opened: ``"all"``).
    """

    changed = Signal(str)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        document.project_replaced.connect(lambda: self.changed.emit("all"))

    @property
    def data(self) -> DataConfig:
        return self.document.project.data

    @property
    def training(self) -> TrainConfig:
        return self.document.project.training

    def set_data(self, **changes: Any) -> str | None:
        """Change data settings (one undo step). Returns the reason when refused."""
        try:
            new = updated_data(self.data, **changes)
        except SettingsError as err:
            return str(err)
        if data_dict(new) != data_dict(self.data):
            self.document.undo_stack.push(SetSettings(self, "data", self.data, new, changes))
        return None

    def set_training(self, **changes: Any) -> str | None:
        """Change training settings (one undo step). Returns the reason when refused."""
        try:
            new = updated_training(self.training, **changes)
        except SettingsError as err:
            return str(err)
        if training_dict(new) != training_dict(self.training):
            self.document.undo_stack.push(SetSettings(self, "training", self.training, new, changes))
        return None

    def apply(self, kind: str, value: Any) -> None:
        """Replace one settings object (called by the undo commands only)."""
        setattr(self.document.project, kind, value)
        if kind == "data":
            self.document.schedule_inference()  # data shapes feed the Issues list
        self.changed.emit(kind)


class SetSettings(QUndoCommand):
    """Replace ``project.data`` or ``project.training``; consecutive edits of one field merge."""

    def __init__(self, settings: Settings, kind: str, old: Any, new: Any, changes: dict[str, Any]) -> None:
        keys = ", ".join(sorted(changes))
        super().__init__(f"Set {kind} {keys}")
        self.settings, self.kind, self.old, self.new = settings, kind, old, new
        self.keys = frozenset(changes)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, SetSettings) or other.kind != self.kind or other.keys != self.keys:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.settings.apply(self.kind, self.new)

    def undo(self) -> None:
        self.settings.apply(self.kind, self.old)
