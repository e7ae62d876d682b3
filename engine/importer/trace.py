"""Trace an ``nn.Module`` with torch.fx and rebuild it as a Torchwire graph.

Modules the catalog knows stay whole (fx leaf modules); everything else is
traced through. Each fx call becomes one node; values that are not tensors
(``x.size(0)``) are consumed by the reshape that uses them. Every part that
cannot be mapped is collected and reported together, with its source location.
"""

from __future__ import annotations

import inspect
import operator
import os
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..catalog import get_spec
from ..graph import Graph, NameError_, check_name
from .functions import MAX_MERGE_INPUTS, Mapped, chunks, describe_target, map_call
from .modules import Unmappable, class_location, is_mappable_type, module_params
from .source import ModelImportError

MAX_LISTED = 25  # problems listed in one error message
EXAMPLE_BATCH = 2  # batch of the example run: 2 tells reshapes that keep the batch from those that do not


@dataclass
class Imported:
    """A traced model as a Torchwire graph."""

    graph: Graph
    title: str
    state_dict: dict[str, Any]  # the module's weights under the graph's state-dict keys
    names: dict[str, str]  # original module qualname -> node name
    outputs: list[str] = field(default_factory=list)  # Output node names, in the order of ``expected``
    examples: list[Any] = field(default_factory=list)  # example inputs (batch EXAMPLE_BATCH)
    expected: list[Any] = field(default_factory=list)  # the module's outputs on them, in Output order


def trace_module(module: Any, input_shapes: list[tuple[int, ...]], title: str) -> Imported:
    """Trace ``module`` and build the equivalent graph.

    Args:
        module: The model (put in eval mode).
        input_shapes: One shape per forward argument, batch included (the batch
            is replaced by EXAMPLE_BATCH for the example run); a single shape is
            used for every argument.
        title: The model's name, used in messages.
    Raises:
        ModelImportError: tracing failed, or parts have no catalog equivalent
            (all listed with their source locations).
    """
    import torch
    from torch.fx.passes.shape_prop import ShapeProp

    module.eval()
    gm = _trace(module, title)
    # Placeholders with a default are optional arguments fixed at their defaults while tracing.
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder" and not n.args]
    if len(input_shapes) == 1 and len(placeholders) > 1:
        input_shapes = input_shapes * len(placeholders)
    if len(input_shapes) != len(placeholders):
        raise ModelImportError(f"{title}.forward takes {len(placeholders)} input(s) "
                               f"({', '.join(p.target for p in placeholders)}) but "
                               f"{len(input_shapes)} --input-shape were given")
    gen = torch.Generator().manual_seed(0)
    examples = []
    for placeholder, shape in zip(placeholders, input_shapes, strict=True):
        size = (EXAMPLE_BATCH, *shape[1:])
        vocab = _embedding_vocab(gm, placeholder)
        examples.append(torch.randn(size, generator=gen) if vocab is None else
                        torch.randint(0, vocab, size, generator=gen))
    shapes = ", ".join("×".join(map(str, e.shape)) for e in examples)
    try:
        with torch.no_grad():
            expected = _flatten_outputs(module(*examples))
    except Exception as err:  # noqa: BLE001 - the user's model may raise anything
        raise ModelImportError(f"running {title} on input {shapes} failed{_where_tb(err)}: "
                               f"{_first_line(err)} — check --input-shape") from None
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(*examples)
    except Exception as err:  # noqa: BLE001
        cause = err.__cause__ or err
        raise ModelImportError(f"the traced {title} fails on input {shapes}{_where_tb(cause)}: "
                               f"{_first_line(cause)}") from None
    builder = _Builder(gm, title)
    builder.build(examples)
    return Imported(builder.graph, title, builder.state_dict, builder.qualnames, builder.outputs,
                    examples, expected)


# -- tracing -------------------------------------------------------------------------


def _trace(module: Any, title: str) -> Any:
    import torch.fx as fx

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return is_mappable_type(m) or super().is_leaf_module(m, qualname)

    tracer = Tracer()
    tracer.record_stack_traces = True
    try:  # optional forward arguments keep their defaults (e.g. mask=None)
        signature = inspect.signature(module.forward)
        concrete = {name: p.default for name, p in signature.parameters.items()
                    if p.default is not inspect.Parameter.empty}
    except (TypeError, ValueError):
        concrete = {}
    try:
        graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as err:  # noqa: BLE001 - fx raises TraceError, TypeError, user errors, ...
        raise ModelImportError(f"cannot trace {title} with torch.fx{_where_tb(err)}: {_first_line(err)} "
                               "— Torchwire imports models whose forward has no data-dependent "
                               "control flow") from None
    return fx.GraphModule(module, graph, class_name=type(module).__name__)


def _embedding_vocab(gm: Any, placeholder: Any) -> int | None:
    """The smallest vocabulary of the Embeddings an input feeds (it holds ids), else None."""
    import torch

    sizes = [gm.get_submodule(u.target).num_embeddings for u in placeholder.users
             if u.op == "call_module" and isinstance(gm.get_submodule(u.target), torch.nn.Embedding)]
    return min(sizes) if sizes else None


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def _library_dirs() -> tuple[str, ...]:
    import torch

    return (os.path.dirname(torch.__file__) + os.sep, os.path.dirname(os.path.dirname(__file__)) + os.sep)


def _where_tb(err: BaseException) -> str:
    """`` at file.py:LINE`` for the innermost frame outside torch and Torchwire."""
    skip = _library_dirs()
    frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(skip)]
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def node_location(node: Any) -> str:
    """``file.py:LINE`` of the user's source line that produced an fx node ('' if unknown)."""
    skip = _library_dirs()
    found = [(f, line) for f, line in re.findall(r'File "([^"]+)", line (\d+)', node.stack_trace or "")
             if not f.startswith(skip)]
    return f"{found[-1][0]}:{found[-1][1]}" if found else ""


def _flatten_outputs(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flatten_outputs(item)]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flatten_outputs(item)]
    return [value]


# -- building ------------------------------------------------------------------------


def _inplace(node: Any, gm: Any) -> bool:
    if node.kwargs.get("inplace") is True:
        return True
    if node.op == "call_method":
        return node.target.endswith("_") and not node.target.endswith("__")
    if node.op == "call_function":
        return node.target in (operator.iadd, operator.imul)
    if node.op == "call_module":
        return getattr(gm.get_submodule(node.target), "inplace", False) is True
    return False


class _Builder:
    def __init__(self, gm: Any, title: str) -> None:
        self.gm = gm
        self.title = title
        self.graph = Graph()
        self.values: dict[Any, tuple[str, str]] = {}  # fx node -> (graph node id, output port)
        # fx node -> (graph node id, index path) for a multi-output layer's tuple (LSTM, attention)
        self.partial: dict[Any, tuple[str, tuple[int, ...]]] = {}
        self.problems: list[str] = []
        self.state_dict: dict[str, Any] = {}
        self.qualnames: dict[str, str] = {}
        self.outputs: list[str] = []
        self.taken: set[str] = set()
        self.order = {n: i for i, n in enumerate(gm.graph.nodes)}

    # -- names ---------------------------------------------------------------
    def _name(self, stem: str) -> str:
        stem = re.sub(r"\W", "_", stem) or "node"
        if stem[0].isdigit():
            stem = f"_{stem}"
        try:
            check_name(stem)
        except NameError_:
            stem = f"{stem}_"
        name, i = stem, 1
        while name in self.taken:
            name, i = f"{stem}_{i}", i + 1
        self.taken.add(name)
        return name

    def _module_names(self, live: list[Any]) -> dict[Any, str]:
        """Names for call_module nodes first, so functions never take a module's name."""
        calls: dict[str, list[Any]] = {}
        for n in live:
            if n.op == "call_module":
                calls.setdefault(n.target, []).append(n)
        names = {}
        for target, nodes in calls.items():
            sub = self.gm.get_submodule(target)
            if len(nodes) > 1 and any(True for _ in sub.parameters()):
                self._problem(nodes[1], f"{target} ({type(sub).__name__}) is called {len(nodes)} times, "
                              "sharing its weights; each Torchwire layer owns its weights", sub)
            for n in nodes:
                names[n] = self._name(target.replace(".", "_"))
        return names

    # -- problems --------------------------------------------------------------
    def _problem(self, node: Any, message: str, module: Any = None) -> None:
        where = node_location(node) or (class_location(module) if module is not None else "")
        self.problems.append(f"{node.name}: {message}" + (f" (at {where})" if where else ""))

    def _shape(self, value: Any) -> tuple[int, ...] | None:
        from torch.fx.passes.shape_prop import TensorMetadata

        meta = getattr(value, "meta", {}).get("tensor_meta") if hasattr(value, "meta") else None
        return tuple(meta.shape) if isinstance(meta, TensorMetadata) else None

    # -- the walk -------------------------------------------------------------
    def build(self, examples: list[Any]) -> None:
        import torch

        nodes = list(self.gm.graph.nodes)
        output = nodes[-1]
        live = self._live(output)
        live_nodes = [n for n in nodes if n in live]
        module_names = self._module_names(live_nodes)
        inputs = iter(examples)
        for node in live_nodes:
            if node.op == "placeholder" and node.args:
                self._problem(node, f"uses the optional argument {node.target} beyond its default")
            elif node.op == "placeholder":
                example = next(inputs)
                dtype = "int64" if example.dtype == torch.int64 else "float32"
                self._add(node, "Input", self._name(node.target),
                          {"field": node.target, "shape": list(example.shape[1:]), "dtype": dtype}, [])
            elif node.op == "output":
                self._outputs(node)
            elif node.op == "get_attr":
                self._problem(node, f"uses the parameter or buffer {node.target!r} directly; "
                              "only layers may hold weights")
            elif node.op == "call_module":
                self._check_inplace(node)
                self._module(node, module_names[node])
            elif node.target is operator.getitem and node.args[0] in self.partial:
                self._port(node)
            elif self._shape(node) is not None:
                self._check_inplace(node)
                self._call(node)
            # else: a non-tensor value (x.size(0), x.shape); consumed by the reshape using it
        if self.problems:
            shown = self.problems[:MAX_LISTED]
            if len(self.problems) > MAX_LISTED:
                shown.append(f"… and {len(self.problems) - MAX_LISTED} more")
            lines = "\n".join(f"  - {p}" for p in shown)
            raise ModelImportError(f"cannot import {self.title}: {len(self.problems)} part(s) have no "
                                   f"Torchwire equivalent:\n{lines}")

    def _live(self, output: Any) -> set[Any]:
        seen, stack = set(), [output]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(n.all_input_nodes)
        return seen

    def _check_inplace(self, node: Any) -> None:
        if not _inplace(node, self.gm) or not node.args:
            return
        src = node.args[0]
        later = [u for u in getattr(src, "users", ()) if u is not node and self.order[u] > self.order[node]]
        if later:
            self._problem(node, f"changes {src.name} in place while {later[0].name} uses it later; "
                          "make it out-of-place (inplace=False)")

    def _add(self, fx_node: Any, kind: str, name: str, params: dict[str, Any], inputs: list[Any]) -> str:
        node = self.graph.add_node(kind, name, params)
        ports = [p.name for p in get_spec(kind).input_ports(node.params)]
        for port, src in zip(ports, inputs, strict=True):
            src_id, src_port = self.values[src]
            self.graph.connect(src_id, src_port, node.id, port)
        self.values[fx_node] = (node.id, "out")
        return node.id

    def _module(self, node: Any, name: str) -> None:
        module = self.gm.get_submodule(node.target)
        try:
            kind, params = module_params(module)
        except Unmappable as err:
            self._problem(node, f"module {node.target}: {err}", module)
            return
        ports = get_spec(kind).input_ports(params)
        if node.kwargs or len(node.args) != len(ports) or any(self._shape(a) is None for a in node.args):
            self._problem(node, f"module {node.target} is called with arguments other than "
                          f"{len(ports)} tensor(s)", module)
            return
        if any(a not in self.values for a in node.args):
            return  # an input could not be imported (already reported)
        try:
            node_id = self._add(node, kind, name, params, list(node.args))
        except Exception as err:  # noqa: BLE001 - ParamError/GraphError from the graph model
            self._problem(node, f"module {node.target}: {err}", module)
            return
        if any(p.path for p in get_spec(kind).outputs):
            del self.values[node]
            self.partial[node] = (node_id, ())
        for key, value in module.state_dict().items():
            self.state_dict[f"{name}.{key}"] = value.detach()
        self.qualnames[node.target] = name

    def _port(self, node: Any) -> None:
        """``out[0]`` / ``out[1][0]`` on a multi-output layer: the output port with that path."""
        node_id, path = self.partial[node.args[0]]
        index = node.args[1]
        if not isinstance(index, int):
            self._problem(node, f"indexes the output of {node.args[0].name} with {index!r}")
            return
        path = (*path, index)
        ports = self.graph.node(node_id).spec.outputs
        for port in ports:
            if port.path == path:
                self.values[node] = (node_id, port.name)
                return
        if any(port.path[:len(path)] == path for port in ports):
            self.partial[node] = (node_id, path)
        else:
            self._problem(node, f"uses part {list(path)} of {node.args[0].name}'s result, which "
                          f"Torchwire's layer does not offer")

    def _call(self, node: Any) -> None:
        try:
            mapped = map_call(node, self._shape)
        except Unmappable as err:
            self._problem(node, f"{describe_target(node)} {err}")
            return
        if any(src not in self.values for src in mapped.inputs):
            return  # an input could not be imported (already reported)
        if mapped.kind is None:
            self.values[node] = self.values[mapped.inputs[0]]
            return
        try:
            if mapped.kind == "Concat" and len(mapped.inputs) > MAX_MERGE_INPUTS:
                self._nested_concat(node, mapped)
            else:
                self._add(node, mapped.kind, self._name(node.name), mapped.params, mapped.inputs)
        except Exception as err:  # noqa: BLE001 - ParamError/GraphError from the graph model
            self._problem(node, f"{describe_target(node)}: {err}")

    def _nested_concat(self, node: Any, mapped: Mapped) -> None:
        """``torch.cat`` of more tensors than one Concat takes: concatenate chunks, then those."""
        parts = []
        for i, group in enumerate(chunks(mapped.inputs)):
            part = ("concat part", node, i)  # a key of self.values, like an fx node
            self._add(part, "Concat", self._name(f"{node.name}_part{i}"),
                      {"inputs": len(group), "dim": mapped.params["dim"]}, group)
            parts.append(part)
        self._add(node, "Concat", self._name(node.name),
                  {"inputs": len(parts), "dim": mapped.params["dim"]}, parts)

    def _outputs(self, node: Any) -> None:
        value = node.args[0]
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, (list, tuple)):
            items = [(f"out{i}", v) for i, v in enumerate(value)]
        else:
            items = [("out", value)]
        for key, src in items:
            if self._shape(src) is None:
                self._problem(node, f"returns {key}, which is not a tensor")
            elif src in self.values:
                out = self.graph.add_node("Output", self._name(str(key)))
                src_id, src_port = self.values[src]
                self.graph.connect(src_id, src_port, out.id, "x")
                self.outputs.append(out.name)


__all__ = ["EXAMPLE_BATCH", "Imported", "node_location", "trace_module"]
