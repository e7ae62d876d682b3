"""Helpers shared by the CLI commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", type=Path, help="project file (.json)")


def data_input_shapes(project: Any) -> dict[str, tuple[tuple[int, ...], str]] | None:
    """Shapes of Input nodes from the project's dataset fields, or None when the
    data cannot be described (the Input nodes' own shapes are used then)."""
    from engine.data import describe_fields

    try:
        fields = describe_fields(project.data, project.base_dir)
    except Exception:  # noqa: BLE001 - missing data is reported by validate separately
        return None
    shapes = {}
    for node in project.graph:
        if node.spec.role == "input" and node.params["field"] in fields:
            info = fields[node.params["field"]]
            shapes[node.name] = (tuple(info.shape), info.dtype)
    return shapes
