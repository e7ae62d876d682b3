"""Compile a graph into real PyTorch: a ``torch.fx.GraphModule`` per purpose.

* ``model``: Input nodes -> Output nodes. What is trained and exported.
* ``train_module``: every Input it needs -> the model's outputs plus, for each Loss
  node, its loss value, prediction and target. It shares submodules (and so
  parameters) with ``model``; Loss modules live only here.

Submodules are named after nodes, so ``model.code`` reads like hand-written
PyTorch and ``state_dict`` keys are stable (``conv1.weight``).
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog.spec import Shape, resolve_path
from .graph import Graph, GraphError, Node
from .shapes import Inference, Issue, infer_shapes


class CompileError(GraphError):
    """The graph has error issues; ``issues`` lists all of them."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        lines = "\n".join(f"  - {i.message}" for i in issues)
        super().__init__(f"the graph has {len(issues)} problem(s):\n{lines}")


@dataclass
class LossInfo:
    """A Loss node as the trainer sees it."""

    name: str
    kind: str
    weight: float
    task: str  # classification | binary | regression
    prediction: str  # name of the node feeding the prediction
    target_field: str | None  # dataset field of the target when it is an Input node


@dataclass
class Compiled:
    """The result of :func:`compile_graph`."""

    model: Any  # torch.fx.GraphModule
    train_module: Any  # torch.fx.GraphModule
    inputs: list[str]  # model inputs (Input node names) in forward order
    outputs: list[str]  # Output node names; one output -> a tensor, several -> a dict
    train_inputs: list[str]  # Input node names train_module takes
    fields: dict[str, str]  # Input node name -> dataset field
    dtypes: dict[str, str]  # Input node name -> dtype
    sample_shapes: dict[str, Shape]  # Input node name -> shape of one sample
    losses: list[LossInfo]
    inference: Inference
    extra: dict[str, Any] = field(default_factory=dict)


def class_name_for(title: str) -> str:
    """``"mnist cnn"`` -> ``"MnistCnn"`` (a valid Python class name)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    return name if not name[0].isdigit() else f"Model{name}"


def build_module(node: Node, kwargs: Mapping[str, Any], base_dir: str | os.PathLike[str] | None = None
                 ) -> Any:
    """Instantiate a module-style node on the default device with resolved kwargs; its
    ``path`` parameters are resolved against ``base_dir`` (the project's folder)."""
    kwargs = dict(kwargs)
    for name in node.spec.file_params:
        if kwargs.get(name):
            kwargs[name] = resolve_path(kwargs[name], base_dir)
    return node.spec.resolve_target()(**kwargs)


def compile_graph(
    graph: Graph,
    input_shapes: Mapping[str, tuple[Shape, str]] | None = None,
    name: str = "Model",
    inference: Inference | None = None,
    outputs: Iterable[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> Compiled:
    """Compile ``graph`` into GraphModules.

    Args:
        graph: The graph to compile.
        input_shapes: Dataset shapes for Input nodes (see :func:`infer_shapes`).
        name: Model title; becomes the generated class name.
        inference: A fresh inference of this graph, to avoid recomputing it.
        outputs: Restrict the model to these Output node names (sub-graph
            compilation, e.g. a GAN's generator). Default: every Output node.
        base_dir: The project's folder: relative file parameters (a backbone's
            pretrained weights) are read from there.
    Raises:
        CompileError: with every error issue when the graph is not valid.
    """
    import torch
    import torch.fx as fx

    inference = inference or infer_shapes(graph, input_shapes)
    errors = inference.errors
    if errors:
        raise CompileError(errors)
    order = graph.topological_order()
    out_nodes = [n for n in order if n.spec.role == "output"]
    if outputs is not None:
        wanted = list(outputs)
        out_nodes = [n for n in out_nodes if n.name in wanted]
    if not out_nodes:
        raise CompileError([Issue("", None, "no_output",
                                  "The graph has no Output node — add one after the layer the model "
                                  "should return")])
    loss_nodes = [n for n in order if n.spec.role == "loss"] if outputs is None else []
    model_ids = graph.ancestors(n.id for n in out_nodes)
    train_ids = graph.ancestors([*model_ids, *(n.id for n in loss_nodes)])

    root = torch.nn.Module()
    for node in order:
        if node.id in train_ids and node.spec.call == "module" and node.spec.role != "output":
            info = inference.nodes[node.id]
            root.add_module(node.name, build_module(node, info.kwargs or {}, base_dir))

    model_graph = _emit(graph, order, model_ids, out_nodes, [], inference)
    train_graph = _emit(graph, order, train_ids, out_nodes, loss_nodes, inference)
    cls = class_name_for(name)
    model = fx.GraphModule(root, model_graph, class_name=cls)
    train_module = fx.GraphModule(root, train_graph, class_name=f"{cls}Training")

    inputs = [n.name for n in order if n.spec.role == "input" and n.id in model_ids]
    train_inputs = [n.name for n in order if n.spec.role == "input" and n.id in train_ids]
    fields, dtypes, sample_shapes = {}, {}, {}
    for n in order:
        if n.spec.role == "input":
            fields[n.name] = n.params["field"]
            shape = inference.shape(n.id, "out")
            dtypes[n.name] = inference.nodes[n.id].dtypes.get("out", n.params["dtype"])
            sample_shapes[n.name] = tuple(shape[1:]) if shape else tuple(n.params["shape"])
    losses = []
    for n in loss_nodes:
        pred_edge = graph.edge_into(n.id, "prediction")
        tgt_edge = graph.edge_into(n.id, "target")
        tgt = graph.node(tgt_edge.src) if tgt_edge else None
        losses.append(LossInfo(
            name=n.name, kind=n.kind, weight=float(n.params["weight"]),
            task=n.spec.tags[0] if n.spec.tags else "regression",
            prediction=graph.node(pred_edge.src).name if pred_edge else "",
            target_field=tgt.params["field"] if tgt is not None and tgt.spec.role == "input" else None,
        ))
    return Compiled(model, train_module, inputs, [n.name for n in out_nodes], train_inputs,
                    fields, dtypes, sample_shapes, losses, inference)


def _emit(graph: Graph, order: list[Node], keep: set[str], out_nodes: list[Node],
          loss_nodes: list[Node], inference: Inference) -> Any:
    """Build the fx.Graph for the nodes in ``keep``."""
    import torch.fx as fx

    g = fx.Graph()
    tracer = fx.proxy.GraphAppendingTracer(g)  # one tracer, so multi-input ops trace
    values: dict[tuple[str, str], Any] = {}  # (node id, port) -> fx.Node
    for node in order:
        if node.id not in keep:
            continue
        spec = node.spec
        if spec.role == "input":
            values[(node.id, "out")] = g.placeholder(node.name)
            continue
        args = []
        for port in spec.input_ports(node.params):
            edge = graph.edge_into(node.id, port.name)
            if edge is not None:
                args.append(values[(edge.src, edge.src_port)])
        if spec.role == "output":
            values[(node.id, "in")] = args[0]
            continue
        if spec.role == "loss":
            continue  # emitted after the model, in the training graph only
        kwargs = inference.nodes[node.id].kwargs or {}
        if spec.call == "module":
            result = g.call_module(node.name, tuple(args))
            _rename(result, node.name)
        else:
            proxies = [fx.Proxy(a, tracer) for a in args]
            result = spec.resolve_target()(*proxies, **kwargs).node
            _rename(result, node.name)
        used = {e.src_port for e in graph.out_edges(node.id) if e.dst in keep}
        ports = spec.output_ports(node.params)
        prefixes: dict[tuple[int, ...], Any] = {(): result}
        for port in ports:
            if port.path and port.name not in used:
                continue
            for depth in range(1, len(port.path) + 1):
                path = port.path[:depth]
                if path not in prefixes:
                    prefixes[path] = g.call_function(operator.getitem, (prefixes[path[:-1]], path[-1]))
            value = prefixes[port.path]
            if port.path and len(ports) > 1:
                _rename(value, f"{node.name}_{port.name}")
            values[(node.id, port.name)] = value
    outs = {n.name: values[(n.id, "in")] for n in out_nodes}
    if not loss_nodes:
        g.output(next(iter(outs.values())) if len(outs) == 1 else outs)
    else:
        losses, preds, targets = {}, {}, {}
        for n in loss_nodes:
            pred = values[(graph.edge_into(n.id, "prediction").src, graph.edge_into(n.id, "prediction").src_port)]
            tgt_edge = graph.edge_into(n.id, "target")
            tgt = values[(tgt_edge.src, tgt_edge.src_port)]
            loss = g.call_module(n.name, (pred, tgt))
            _rename(loss, n.name)
            losses[n.name], preds[n.name], targets[n.name] = loss, pred, tgt
        g.output({"outputs": outs, "losses": losses, "predictions": preds, "targets": targets})
    g.lint()
    return g


def _rename(fx_node: Any, name: str) -> None:
    """Give an fx node the graph node's name (fx keeps names unique)."""
    if fx_node.name != name:
        fx_node._rename(name)
