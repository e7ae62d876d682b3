"""Declarative layer specs: what a layer kind is, its typed parameters and its ports.

Nothing here imports torch: the torch class or function of a spec is a dotted
path resolved on first use, so the graph model and project loading stay fast.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

AUTO = "auto"

ParamType = Literal["int", "float", "bool", "choice", "ints", "str", "floats", "path"]
Role = Literal["layer", "input", "output", "loss"]
PortKind = Literal["tensor", "loss"]


class ParamError(ValueError):
    """A parameter value does not fit its spec. The message is a user-facing sentence."""


@dataclass(frozen=True)
class Param:
    """One typed, documented parameter of a layer kind.

    Attributes:
        name: Attribute name, also the JSON key.
        type: int, float, bool, choice (one of ``choices``), ints (tuple of
            ints), floats (tuple of floats), str, or path (a file path as text; a
            relative one is relative to the project's folder, see :func:`resolve_path`).
        default: The value a new node gets. ``"auto"`` when ``auto`` is set.
        help: One line shown in the palette and inspector.
        minimum/maximum: Inclusive bounds for numbers (and each tuple item).
        choices: Allowed values for ``choice``.
        auto: The value may be ``"auto"``: filled from the incoming shape.
        length: For tuples, the exact length (None: any length >= min_length).
        optional: ``None`` is a valid value (e.g. no padding_idx).
    """

    name: str
    type: ParamType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    auto: bool = False
    length: int | None = None
    min_length: int = 0
    optional: bool = False

    def validate(self, value: Any) -> Any:
        """Return ``value`` normalised (lists -> tuples, ints -> floats) or raise ParamError."""
        if self.auto and value == AUTO:
            return AUTO
        if self.optional and value is None:
            return None
        kind = self.type
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{self.name} must be true or false, not {value!r}")
            return value
        if kind == "int":
            return self._check_number(self._as_int(value))
        if kind == "float":
            return self._check_number(self._as_float(value))
        if kind == "choice":
            if value not in self.choices:
                raise ParamError(
                    f"{self.name} must be one of {', '.join(map(str, self.choices))}, not {value!r}"
                )
            return value
        if kind in ("str", "path"):
            if not isinstance(value, str):
                raise ParamError(f"{self.name} must be text, not {value!r}")
            return value
        if kind in ("ints", "floats"):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and self.length:
                value = [value] * self.length  # a single number means "the same on every axis"
            if not isinstance(value, (list, tuple)):
                raise ParamError(f"{self.name} must be a list of numbers, not {value!r}")
            conv = self._as_int if kind == "ints" else self._as_float
            items = tuple(self._check_number(conv(v)) for v in value)
            if self.length is not None and len(items) != self.length:
                raise ParamError(f"{self.name} needs exactly {self.length} numbers, got {len(items)}")
            if len(items) < self.min_length:
                raise ParamError(f"{self.name} needs at least {self.min_length} numbers")
            return items
        raise ParamError(f"unknown parameter type {kind}")  # pragma: no cover - spec bug

    def _as_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{self.name} must be a whole number, not {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise ParamError(f"{self.name} must be a whole number, not {value!r}")
        return int(value)

    def _as_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{self.name} must be a number, not {value!r}")
        if not math.isfinite(value):
            raise ParamError(f"{self.name} must be a finite number, not {value!r}")
        return float(value)

    def _check_number(self, value: float) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{self.name} must be at least {_fmt(self.minimum)}, not {value}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{self.name} must be at most {_fmt(self.maximum)}, not {value}")
        return value

    def to_json(self, value: Any) -> Any:
        """JSON form of a validated value (tuples become lists)."""
        return list(value) if isinstance(value, tuple) else value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Port:
    """An input or output port. ``variadic`` inputs expand to ``name0, name1, …``
    with the count taken from the node's ``inputs`` parameter."""

    name: str
    kind: PortKind = "tensor"
    help: str = ""
    variadic: bool = False
    optional: bool = False
    path: tuple[int, ...] = ()  # index into the torch call's result (LSTM: output=(0,), h_n=(1, 0))
    batch_dim: int = 0  # where the batch sits in this port's tensor (LSTM h_n: layers×N×H)


# A "resolver" turns validated params + input shapes (batch included) into the
# keyword arguments of the torch constructor, filling ``auto`` values.
Shape = tuple[int, ...]
Resolver = Callable[[Mapping[str, Any], list[Shape]], dict[str, Any]]


def _plain_kwargs(params: Mapping[str, Any], shapes: list[Shape]) -> dict[str, Any]:
    return dict(params)


@dataclass(frozen=True)
class LayerSpec:
    """Everything the app knows about one layer kind.

    Attributes:
        kind: Unique kind name, e.g. ``Conv2d``; stored in project files.
        family: Palette group (``core``, ``convolution``, …).
        help: One-line description.
        target: Dotted path of the torch class (module specs) or function
            (``call="function"``) or tensor method name (``call="method"``).
        params: Typed parameters in inspector order.
        inputs/outputs: Ports.
        role: ``layer``, ``input``, ``output`` or ``loss``.
        call: How the compiler calls ``target``: ``module`` (instantiate then
            call), ``function`` (``target(*inputs, **kwargs)``), or ``none``
            (Input/Output markers).
        kwargs: Resolver from params + input shapes to constructor/call kwargs.
        exclude: Params that are Torchwire settings, never passed to torch
            (e.g. a loss weight, a backbone's ``trainable`` flag).
        shape_preserving: Output shape equals input shape: inference checks
            ``ranks`` and ``auto`` params instead of running the op (meta
            kernels of e.g. batch norm cost over a millisecond).
        ranks: Input ranks (batch included) the op accepts; empty means any.
        builder: Optional dotted path of a function ``(kwargs) -> nn.Module``
            used instead of calling ``target`` directly (backbones).
        name_hint: Stem for generated node names (``conv``, ``fc``, …).
    """

    kind: str
    family: str
    help: str
    target: str = ""
    params: tuple[Param, ...] = ()
    inputs: tuple[Port, ...] = (Port("x"),)
    outputs: tuple[Port, ...] = (Port("out"),)
    role: Role = "layer"
    call: Literal["module", "function", "none"] = "module"
    kwargs: Resolver = _plain_kwargs
    exclude: tuple[str, ...] = ()
    shape_preserving: bool = False
    ranks: tuple[int, ...] = ()  # accepted input ranks, batch included (empty: any)
    builder: str = ""
    name_hint: str = ""
    tags: tuple[str, ...] = field(default=())

    # -- parameters -------------------------------------------------------
    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.kind} has no parameter {name!r}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @property
    def file_params(self) -> tuple[str, ...]:
        """Names of the ``path`` parameters (files resolved against the project's folder)."""
        return tuple(p.name for p in self.params if p.type == "path")

    def validate_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a complete or partial param dict; missing ones get defaults.

        Raises:
            ParamError: unknown name or bad value (message names the parameter).
        """
        known = {p.name for p in self.params}
        for name in values:
            if name not in known:
                raise ParamError(f"{self.kind} has no parameter {name!r}")
        out: dict[str, Any] = {}
        for p in self.params:
            out[p.name] = p.validate(values[p.name]) if p.name in values else p.validate(p.default)
        return out

    # -- ports ------------------------------------------------------------
    def input_ports(self, params: Mapping[str, Any] | None = None) -> list[Port]:
        """Concrete input ports for a node with ``params`` (variadic ones expanded)."""
        ports: list[Port] = []
        for port in self.inputs:
            if port.variadic:
                count = int((params or {}).get("inputs", 2))
                ports.extend(Port(f"{port.name}{i}", port.kind, port.help) for i in range(count))
            else:
                ports.append(port)
        return ports

    def output_ports(self, params: Mapping[str, Any] | None = None) -> list[Port]:
        return list(self.outputs)

    # -- torch ------------------------------------------------------------
    def torch_kwargs(self, params: Mapping[str, Any], shapes: list[Shape]) -> dict[str, Any]:
        """Constructor/call kwargs for torch with ``auto`` filled from input ``shapes``."""
        kw = self.kwargs({k: v for k, v in params.items() if k not in self.exclude}, shapes)
        return {k: (list(v) if isinstance(v, tuple) and k == "normalized_shape" else v) for k, v in kw.items()}

    def resolve_target(self) -> Any:
        """Import and return the torch class/function this spec names."""
        return import_dotted(self.builder or self.target)


def resolve_path(value: str, base_dir: str | os.PathLike[str] | None) -> str:
    """The file a ``path`` parameter names: ``~`` expanded, and a relative path taken
    relative to ``base_dir`` (the project's folder) when there is one, so a project
    that keeps its files beside it works from any working directory."""
    if not value:
        return value
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return str(path)


def relative_path(path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None) -> str:
    """How a project stores ``path``: relative to ``base_dir`` (posix separators) when the
    file is inside that folder, so the project can move together with its files; else
    absolute. The inverse of :func:`resolve_path`."""
    full = Path(path).expanduser().resolve()
    if base_dir is not None:
        base = Path(base_dir).expanduser().resolve()
        if full.is_relative_to(base):
            return full.relative_to(base).as_posix()
    return str(full)


def import_dotted(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    obj = importlib.import_module(module)
    return getattr(obj, attr)


def auto_from(shapes: list[Shape], dim: int, what: str) -> int:
    """Read ``shapes[0][dim]`` for an ``auto`` parameter, with a clear error."""
    if not shapes:
        raise ParamError(f"{what} is auto but nothing is connected to fill it")
    shape = shapes[0]
    if len(shape) <= abs(dim) - (1 if dim < 0 else 0) or len(shape) < 2:
        raise ParamError(
            f"{what} is auto but the input has shape {format_shape(shape)}; it needs more dimensions"
        )
    return int(shape[dim])


def format_shape(shape: Shape | None, batch: bool = True, batch_dim: int = 0) -> str:
    """``(2, 20, 4, 4)`` -> ``N×20×4×4`` (dim ``batch_dim`` is the batch)."""
    if shape is None:
        return "?"
    dims: list[str] = [str(d) for d in shape]
    if batch and len(dims) > batch_dim:
        dims[batch_dim] = "N"
    return "×".join(dims) or "scalar"
