"""Project files: strict JSON load, atomic save. Data only — nothing is ever executed.

A project holds the graph (nodes, edges), canvas view, data source and training
settings. ``docs/project-format.md`` documents the format.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .atomic import write_atomic
from .catalog import ParamError, UnknownKind, get_spec
from .data.config import DataConfig
from .errors import ProjectError
from .graph import Graph, GraphError
from .training.config import TrainConfig

FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeModel(_Strict):
    id: str = Field(min_length=1)
    kind: str
    name: str
    params: dict[str, Any] = {}
    pos: tuple[float, float] = (0.0, 0.0)


class EdgeModel(_Strict):
    src: str
    src_port: str
    dst: str
    dst_port: str


class GraphModel(_Strict):
    nodes: list[NodeModel] = []
    edges: list[EdgeModel] = []


class CanvasModel(_Strict):
    zoom: float = Field(1.0, gt=0)
    center: tuple[float, float] = (0.0, 0.0)


class ProjectModel(_Strict):
    """The whole file, as validated by pydantic before the graph checks run."""

    format: int
    name: str = "Untitled"
    description: str = ""
    graph: GraphModel = GraphModel()
    canvas: CanvasModel = CanvasModel()
    data: DataConfig = DataConfig()
    training: TrainConfig = Field(default_factory=TrainConfig)


@dataclass
class Project:
    """A loaded project: the live graph plus its settings."""

    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
    canvas: dict[str, Any] = field(default_factory=lambda: {"zoom": 1.0, "center": [0.0, 0.0]})
    path: Path | None = None

    @property
    def base_dir(self) -> Path | None:
        """Folder that relative data paths resolve against."""
        return self.path.parent if self.path else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "graph": self.graph.to_dict(),
            "canvas": {"zoom": float(self.canvas.get("zoom", 1.0)),
                       "center": list(self.canvas.get("center", (0.0, 0.0)))},
            "data": self.data.model_dump(mode="json"),
            "training": TypeAdapter(TrainConfig).dump_python(self.training, mode="json"),
        }

    def copy(self) -> Project:
        return project_from_dict(self.to_dict(), path=self.path)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _migrate(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring an older format up to :data:`FORMAT_VERSION` (none older exists yet)."""
    version = raw.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ProjectError("missing or invalid 'format' version number — is this a Torchwire project?",
                           where)
    if version > FORMAT_VERSION:
        raise ProjectError(f"format {version} was written by a newer Torchwire (this one reads up to "
                           f"{FORMAT_VERSION}) — update Torchwire to open it", where)
    if version < 1:
        raise ProjectError(f"unknown format version {version}", where)
    return raw


def project_from_dict(raw: Any, path: Path | None = None, source: str | None = None) -> Project:
    """Validate a parsed JSON document and build a :class:`Project`.

    Raises:
        ProjectError: naming the file and JSON path of the first problem.
    """
    where = source or (str(path) if path else "project")
    if not isinstance(raw, dict):
        raise ProjectError("the top level must be a JSON object", where)
    raw = _migrate(raw, where)
    try:
        model = ProjectModel.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise ProjectError(first["msg"], f"{where}: {_loc(tuple(first['loc']))}") from None
    graph = Graph()
    ids: set[str] = set()
    for i, n in enumerate(model.graph.nodes):
        at = f"{where}: graph.nodes[{i}]"
        try:
            spec = get_spec(n.kind)
        except UnknownKind:
            raise ProjectError(f"unknown layer kind '{n.kind}' (node '{n.name}')", f"{at}.kind") from None
        if n.id in ids:
            raise ProjectError(f"duplicate node id '{n.id}'", f"{at}.id")
        ids.add(n.id)
        for pname, value in n.params.items():
            try:
                spec.param(pname).validate(value)
            except KeyError:
                raise ProjectError(f"{n.kind} has no parameter '{pname}'", f"{at}.params.{pname}") from None
            except ParamError as err:
                raise ProjectError(str(err), f"{at}.params.{pname}") from None
        try:
            graph.add_node(n.kind, n.name, n.params, n.pos, node_id=n.id)
        except (GraphError, ParamError) as err:
            raise ProjectError(str(err), f"{at}.name") from None
    for i, e in enumerate(model.graph.edges):
        at = f"{where}: graph.edges[{i}]"
        for end in ("src", "dst"):
            if getattr(e, end) not in ids:
                raise ProjectError(f"edge refers to missing node id '{getattr(e, end)}'", f"{at}.{end}")
        try:
            graph.connect(e.src, e.src_port, e.dst, e.dst_port)
        except GraphError as err:
            raise ProjectError(str(err), at) from None
    return Project(
        graph=graph, name=model.name, description=model.description, data=model.data,
        training=model.training,
        canvas={"zoom": model.canvas.zoom, "center": list(model.canvas.center)}, path=path,
    )


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and strictly validate a project file.

    Raises:
        ProjectError: missing file, malformed JSON (with line and column), or any
            invalid content, always naming the file and place.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError("file not found — check the path", str(path)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectError(f"cannot read the file ({err.__class__.__name__}: {err})", str(path)) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProjectError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
                           str(path)) from None
    return project_from_dict(raw, path=path.resolve())


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Save atomically to ``path`` (or the project's own path). Returns the path."""
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectError("the project has no file name yet — choose one with Save As")
    text = json.dumps(project.to_dict(), indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(target, text.encode("utf-8"))
    except OSError as err:
        raise ProjectError(f"cannot write the file ({err.strerror or err}) — check the folder "
                           "exists and is writable", str(target)) from None
    project.path = target.resolve()
    return project.path


__all__ = ["FORMAT_VERSION", "Project", "ProjectError", "load_project", "project_from_dict",
           "save_project"]
