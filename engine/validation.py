"""Project-level checks beyond the graph: does the bound data exist and fit the Inputs,
and do the files the graph names (a backbone's pretrained weights) exist?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import format_shape
from .catalog.spec import resolve_path
from .shapes import Issue

if TYPE_CHECKING:
    from .project import Project

InputShapes = dict[str, tuple[tuple[int, ...], str]]


def data_issues(project: Project) -> tuple[list[Issue], InputShapes | None]:
    """Issues about the project's dataset, and the Input shapes it provides.

    Returns:
        ``(issues, input_shapes)``; ``input_shapes`` is None when the data cannot be
        described (then the graph is checked with the Input nodes' own shapes).
    """
    from .data import DataError, describe_fields

    try:
        fields = describe_fields(project.data, project.base_dir)
    except DataError as err:
        return [Issue("", None, "data", f"Data: {err}")], None
    issues: list[Issue] = []
    shapes: InputShapes = {}
    names = ", ".join(sorted(fields))
    for node in project.graph:
        if node.spec.role != "input":
            continue
        field = node.params["field"]
        info = fields.get(field)
        if info is None:
            if field == "noise":  # generated, not read from the dataset (GAN generators)
                continue
            issues.append(Issue(node.name, "out", "data_field",
                                f"{node.name} (Input) is bound to field '{field}', which the dataset "
                                f"does not have — choose one of: {names}"))
            continue
        # the trainer casts each field to the Input node's dtype, so check with that
        shapes[node.name] = (tuple(info.shape), node.params["dtype"])
        own = tuple(node.params["shape"])
        if own != tuple(info.shape):
            issues.append(Issue(node.name, "out", "data_shape",
                                f"{node.name} (Input) declares {format_shape((0, *own))} but field "
                                f"'{field}' is {format_shape((0, *info.shape))}; the data's shape is used",
                                severity="warning"))
    return issues, shapes


def file_issues(project: Project) -> list[Issue]:
    """An error for each file parameter (``path`` type) that names no existing file.

    A relative path is looked up in the project's folder, as training and export read
    it; an unsaved project has none, so it is looked up in the working folder.
    """
    issues: list[Issue] = []
    base = project.base_dir
    for node in project.graph:
        for name in node.spec.file_params:
            where = _missing(node.params.get(name), base)
            if where is not None:
                issues.append(Issue(node.name, None, "file_missing",
                                    f"{node.name}: {name} file '{node.params[name]}' was not found{where} — "
                                    f"put the file there, give its full path, or clear {name}"))
    start = project.training.init_weights
    where = _missing(start, base)
    if where is not None:
        issues.append(Issue("", None, "file_missing",
                            f"Training: the start-from weights file '{start}' was not found{where} — put "
                            "the file there, give its full path, or clear 'Start from' in the "
                            "Training panel (training.init_weights)"))
    return issues


def _missing(value: str | None, base: Path | None) -> str | None:
    """None when ``value`` is empty or names an existing file; else where it was looked for
    (" in <folder>", or "" for an absolute path)."""
    if not value or Path(resolve_path(value, base)).is_file():
        return None
    if Path(value).expanduser().is_absolute():
        return ""
    return f" in {base}" if base is not None else " in the working folder (the project is not saved yet)"
