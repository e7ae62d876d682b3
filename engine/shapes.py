"""Shape inference from PyTorch itself: each node is built on the ``meta`` device and
called on meta tensors in topological order (no memory, no compute).

Results are memoised per (kind, params, input shapes/dtypes), so re-inferring a
graph after one edit only runs the nodes whose inputs changed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import ParamError, format_shape
from .catalog.spec import AUTO, LayerSpec, Shape, auto_from
from .graph import Graph, Node
from .messages import translate_error

log = logging.getLogger(__name__)

META_BATCH = 2  # batch size of the meta tensors; shown as N
_MEMO_SIZE = 4096


@dataclass(frozen=True)
class Issue:
    """One validation problem. ``node`` is the node name ('' for graph-level issues)."""

    node: str
    port: str | None
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return self.message


@dataclass
class NodeInfo:
    """What inference learned about one node."""

    outputs: dict[str, Shape | None] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, Any] | None = None  # torch kwargs with auto filled
    params: int = 0
    trainable: int = 0
    macs: int = 0
    ok: bool = False

    batch_dims: dict[str, int] = field(default_factory=dict)

    def shape_text(self, port: str) -> str:
        """``N×20×4×4``: the port's shape with its batch dimension shown as N."""
        return format_shape(self.outputs.get(port), batch_dim=self.batch_dims.get(port, 0))


@dataclass
class Inference:
    """Per-node results and every issue found (not just the first)."""

    nodes: dict[str, NodeInfo]
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def shape(self, node_id: str, port: str = "out") -> Shape | None:
        info = self.nodes.get(node_id)
        return None if info is None else info.outputs.get(port)

    def shape_text(self, node_id: str, port: str = "out") -> str:
        info = self.nodes.get(node_id)
        return "?" if info is None else info.shape_text(port)

    def issues_for(self, node_name: str) -> list[Issue]:
        return [i for i in self.issues if i.node == node_name]

    @property
    def total_params(self) -> int:
        return sum(i.params for i in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(i.macs for i in self.nodes.values())


class ShapeError(Exception):
    """Internal: a node failed; carries the issue to report."""

    def __init__(self, issue_code: str, message: str, port: str | None = None):
        super().__init__(message)
        self.code, self.message, self.port = issue_code, message, port


@dataclass(frozen=True)
class _Result:
    outputs: tuple[tuple[Shape, str], ...]
    kwargs: Mapping[str, Any]
    params: int
    trainable: int
    macs: int


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class ShapeInferencer:
    """Infers shapes of whole graphs, memoising node results across calls."""

    def __init__(self) -> None:
        self._memo: OrderedDict[Any, _Result | ShapeError] = OrderedDict()
        self.runs = 0  # nodes actually executed on meta (memo misses), for tests and benches

    def infer(self, graph: Graph, input_shapes: Mapping[str, tuple[Shape, str]] | None = None) -> Inference:
        """Infer every node's output shapes, parameter count and MACs.

        Args:
            graph: The graph.
            input_shapes: Optional ``{input node name: (sample shape, dtype)}`` from the
                bound dataset, overriding the Input nodes' own ``shape``/``dtype``.
        Returns:
            An :class:`Inference`; ``issues`` lists every problem found.
        """
        infos: dict[str, NodeInfo] = {}
        issues: list[Issue] = []
        has_output = False
        for node in graph.topological_order():
            info = NodeInfo()
            infos[node.id] = info
            spec = node.spec
            if spec.role == "output":
                has_output = True
            in_shapes: list[tuple[Shape, str]] = []
            missing = False
            for port in spec.input_ports(node.params):
                edge = graph.edge_into(node.id, port.name)
                if edge is None:
                    if not port.optional:
                        issues.append(Issue(node.name, port.name, "unconnected",
                                            f"{node.name} ({node.kind}): input '{port.name}' is not "
                                            "connected — wire a layer into it"))
                    missing = True
                    continue
                src = infos[edge.src]
                shape = src.outputs.get(edge.src_port)
                if shape is None:
                    missing = True  # upstream failed; it carries the issue
                    continue
                in_shapes.append((shape, src.dtypes.get(edge.src_port, "float32")))
            if missing:
                continue
            try:
                result = self._node_result(node, spec, in_shapes, input_shapes)
            except ShapeError as err:
                issues.append(Issue(node.name, err.port, err.code, err.message))
                continue
            ports = spec.output_ports(node.params)
            for port, (shape, dtype) in zip(ports, result.outputs, strict=False):
                info.outputs[port.name] = shape
                info.dtypes[port.name] = dtype
                info.batch_dims[port.name] = port.batch_dim
            info.kwargs = dict(result.kwargs)
            info.params, info.trainable, info.macs = result.params, result.trainable, result.macs
            info.ok = True
        if len(graph) and not has_output:
            issues.append(Issue("", None, "no_output",
                                "The graph has no Output node — add one after the layer the model "
                                "should return", severity="warning"))
        return Inference(infos, issues)

    # -- one node ---------------------------------------------------------------
    def _node_result(
        self, node: Node, spec: LayerSpec, in_shapes: list[tuple[Shape, str]],
        overrides: Mapping[str, tuple[Shape, str]] | None,
    ) -> _Result:
        if spec.role == "input":
            shape, dtype = (overrides or {}).get(node.name) or (node.params["shape"], node.params["dtype"])
            return _Result((((META_BATCH, *shape), dtype),), {}, 0, 0, 0)
        if spec.role == "output":
            return _Result((), {}, 0, 0, 0)
        key = (spec.kind, _freeze(node.params), tuple(in_shapes))
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = self._run(node, spec, in_shapes)
            except ShapeError as err:
                hit = err
            self._memo[key] = hit
            if len(self._memo) > _MEMO_SIZE:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(key)
        if isinstance(hit, ShapeError):
            raise ShapeError(hit.code, hit.message.replace("\0", node.name), hit.port)
        return hit

    def _run(self, node: Node, spec: LayerSpec, in_shapes: list[tuple[Shape, str]]) -> _Result:
        """Build the op on meta and call it. Messages use "\0" for the node name
        so the memoised error is reusable under another name."""
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        self.runs += 1
        label = f"\0 ({spec.kind})"
        shapes = [s for s, _ in in_shapes]
        try:
            kwargs = spec.torch_kwargs(node.params, shapes)
        except ParamError as err:
            raise ShapeError("param", f"{label}: {err}") from None
        if spec.role == "loss" and spec.tags and spec.tags[0] != "classification" and shapes[0] != shapes[1]:
            # PyTorch would broadcast N×1 against N into N×N and train on garbage.
            raise ShapeError("shape", f"{label}: prediction {format_shape(shapes[0])} and target "
                                      f"{format_shape(shapes[1])} do not fit — they need the same shape "
                                      "(e.g. a prediction N×1 and a target field of shape 1)")
        tensors = [torch.empty(s, dtype=getattr(torch, d), device="meta") for s, d in in_shapes]
        params = trainable = 0
        try:
            if spec.call == "module":
                with torch.device("meta"):
                    fn = spec.resolve_target()(**kwargs)
                params = sum(p.numel() for p in fn.parameters())
                trainable = sum(p.numel() for p in fn.parameters() if p.requires_grad)
                call_kwargs: dict[str, Any] = {}
            else:
                fn = spec.resolve_target()
                call_kwargs = kwargs
        except Exception as err:  # noqa: BLE001 - torch raises many types; all become issues
            raise ShapeError("param", f"{label}: {_first_line(err)}") from None
        if spec.shape_preserving:
            problem = self._auto_mismatch(node, spec, shapes) or self._rank_problem(spec, shapes)
            if problem:
                raise ShapeError("shape", problem)
            return _Result(tuple(in_shapes[:1]), kwargs, params, trainable, 0)
        try:
            with FlopCounterMode(display=False) as counter:
                out = fn(*tensors, **call_kwargs)
        except Exception as err:  # noqa: BLE001
            raise ShapeError("shape", self._explain(node, spec, shapes, in_shapes, err)) from None
        outputs = []
        for port in spec.output_ports(node.params):
            value = out
            for index in port.path:
                value = value[index]
            outputs.append((tuple(value.shape), str(value.dtype).removeprefix("torch.")))
        macs = counter.get_total_flops() // 2 // META_BATCH  # per sample
        return _Result(tuple(outputs), kwargs, params, trainable, macs)

    def _explain(self, node: Node, spec: LayerSpec, shapes: list[Shape],
                 in_shapes: list[tuple[Shape, str]], err: Exception) -> str:
        """A sentence naming the node and the fix for a PyTorch error."""
        return self._auto_mismatch(node, spec, shapes) or translate_error(f"\0 ({spec.kind})", spec,
                                                                          in_shapes, err)

    @staticmethod
    def _rank_problem(spec: LayerSpec, shapes: list[Shape]) -> str | None:
        if not spec.ranks or len(shapes[0]) in spec.ranks:
            return None
        from .messages import expected_layout

        return (f"\0 ({spec.kind}) needs {expected_layout(spec.kind)} input but receives "
                f"{format_shape(shapes[0])} — check what feeds it")

    @staticmethod
    def _auto_mismatch(node: Node, spec: LayerSpec, shapes: list[Shape]) -> str | None:
        """An explicit value for an auto-able parameter that disagrees with the input."""
        label = f"\0 ({spec.kind})"
        for p in spec.params:
            if not p.auto or node.params.get(p.name) == AUTO:
                continue
            value = node.params[p.name]
            if p.name == "normalized_shape":
                n = len(value)
                if shapes and len(shapes[0]) > n and tuple(shapes[0][-n:]) != tuple(value):
                    actual = list(shapes[0][-n:])
                    return (f"{label} receives trailing dims {'×'.join(map(str, actual))} but "
                            f"normalized_shape is {'×'.join(map(str, value))} — set normalized_shape "
                            f"to auto or {actual}")
                continue
            dim = _AUTO_DIMS.get(p.name, 1)
            try:
                actual = auto_from(shapes, dim, p.name)
            except ParamError:
                continue
            if actual != value:
                noun = _AUTO_NOUNS.get(p.name, p.name)
                return (f"{label} receives {actual} {noun} but {p.name} is {value} — "
                        f"set {p.name} to auto or {actual}")
        return None


_AUTO_DIMS = {"in_features": -1, "input_size": -1, "embed_dim": -1, "d_model": -1}
_AUTO_NOUNS = {"in_features": "features", "in_channels": "channels", "num_features": "channels",
               "num_channels": "channels", "input_size": "features per step", "embed_dim": "features",
               "d_model": "features"}


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


_default = ShapeInferencer()


def infer_shapes(graph: Graph, input_shapes: Mapping[str, tuple[Shape, str]] | None = None) -> Inference:
    """Infer with a process-wide memo (see :class:`ShapeInferencer`)."""
    return _default.infer(graph, input_shapes)


__all__ = ["Inference", "Issue", "NodeInfo", "ShapeInferencer", "infer_shapes", "META_BATCH", "AUTO"]
