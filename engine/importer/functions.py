"""Map traced torch functions and tensor methods (fx ``call_function`` /
``call_method`` nodes) to catalog kinds."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..catalog import ParamError, get_spec
from .modules import Unmappable

Shape = tuple[int, ...]
ShapeOf = Callable[[Any], "Shape | None"]  # fx node -> its tensor shape (None: not a tensor)

MAX_MERGE_INPUTS = 32  # the catalog's limit for Add / Multiply / Concat inputs


@dataclass
class Mapped:
    """What one fx call becomes: a node of ``kind`` fed by ``inputs`` (fx nodes, in port
    order), or a pass-through of ``inputs[0]`` when ``kind`` is None."""

    kind: str | None
    params: dict[str, Any] = field(default_factory=dict)
    inputs: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class _Rule:
    kind: str
    names: tuple[str, ...]  # positional argument names, the tensor first
    defaults: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # catalog param -> argument name
    fixed: dict[str, Any] = field(default_factory=dict)  # argument -> the only supported value


def _bind(node: Any, names: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    if len(node.args) > len(names):
        raise Unmappable(f"is called with {len(node.args)} positional arguments; expected at most "
                         f"{len(names)}")
    bound = dict(defaults)
    bound.update(zip(names, node.args, strict=False))
    for key, value in node.kwargs.items():
        if key not in names and key not in defaults:
            raise Unmappable(f"has an unsupported argument {key}={value!r}")
        bound[key] = value
    return bound


def _validated(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return get_spec(kind).validate_params(params)
    except ParamError as err:
        raise Unmappable(f"cannot become {kind}: {err}") from None


def _apply_rule(rule: _Rule, node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, rule.names, rule.defaults)
    tensor = bound.get(rule.names[0])
    if shape_of(tensor) is None:
        raise Unmappable("is applied to something that is not a tensor")
    for arg, want in rule.fixed.items():
        if bound.get(arg, want) != want:
            raise Unmappable(f"uses {arg}={bound[arg]!r}, which {rule.kind} does not support")
    params = {}
    for pname, arg in rule.params.items():
        value = bound.get(arg)
        if value in ([], ()) and get_spec(rule.kind).param(pname).optional:
            value = None  # torch.max_pool2d(x, 2, stride=[]): the default
        if value is None and not get_spec(rule.kind).param(pname).optional:
            raise Unmappable(f"needs an explicit {arg} to become {rule.kind}")
        if isinstance(value, (list, tuple)) and any(v is None for v in value):
            raise Unmappable(f"{arg}={value!r} is not supported by {rule.kind}")
        if _is_node(value):
            raise Unmappable(f"computes {arg} at run time; {rule.kind} needs a constant")
        params[pname] = list(value) if isinstance(value, tuple) else value
    return Mapped(rule.kind, _validated(rule.kind, params), [tensor])


def _is_node(value: Any) -> bool:
    import torch.fx

    return isinstance(value, torch.fx.Node)


# -- merges and shapes ---------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scale(x: Any, scale: float = 1.0, shift: float = 0.0) -> Mapped:
    return Mapped("Scale", _validated("Scale", {"scale": float(scale), "shift": float(shift)}), [x])


def _merge(kind: str) -> Callable[[Any, ShapeOf], Mapped]:
    def handler(node: Any, shape_of: ShapeOf) -> Mapped:
        bound = _bind(node, ("input", "other"), {"alpha": 1})
        if bound.get("alpha", 1) != 1:
            raise Unmappable(f"uses alpha={bound['alpha']!r}; {kind} only sums with weight 1")
        a, b = bound.get("input"), bound.get("other")
        for x, c in ((a, b), (b, a)):  # a tensor and a constant: x + c, c * x, …
            if shape_of(x) is not None and _number(c):
                return _scale(x, shift=c) if kind == "Add" else _scale(x, scale=c)
        if shape_of(a) is None or shape_of(b) is None:
            raise Unmappable(f"combines a tensor with a constant ({_show(a)}, {_show(b)}); "
                             f"{kind} needs two tensors")
        return Mapped(kind, _validated(kind, {"inputs": 2}), [a, b])
    return handler


def _subtract(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "other"), {"alpha": 1})
    a, b, alpha = bound.get("input"), bound.get("other"), bound.get("alpha", 1)
    if _number(alpha) and shape_of(a) is not None and _number(b):
        return _scale(a, shift=-alpha * b)  # x - c
    if alpha == 1 and _number(a) and shape_of(b) is not None:
        return _scale(b, scale=-1.0, shift=a)  # c - x
    raise Unmappable("subtracts two tensors; build it as Add of the first and a Scale (-1) of the second")


def _divide(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "other", "rounding_mode"), {"rounding_mode": None})
    a, b = bound.get("input"), bound.get("other")
    if bound.get("rounding_mode") is None and shape_of(a) is not None and _number(b) and b != 0:
        return _scale(a, scale=1.0 / b)  # x / c (equal to the original up to rounding)
    raise Unmappable("divides by a tensor or rounds; Torchwire divides only by a nonzero constant")


def _negate(node: Any, shape_of: ShapeOf) -> Mapped:
    x = node.args[0] if node.args else node.kwargs.get("input")
    if shape_of(x) is None or len(node.args) > 1:
        raise Unmappable("is applied to something that is not a tensor")
    return _scale(x, scale=-1.0)


def _mean(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "dim", "keepdim", "dtype"), {"dim": None, "keepdim": False, "dtype": None})
    x, dim = bound["input"], bound["dim"]
    shape = shape_of(x)
    if shape is None or bound["dtype"] is not None:
        raise Unmappable("is applied to something that is not a tensor, or with a dtype")
    dims = [dim] if isinstance(dim, int) else list(dim) if isinstance(dim, (list, tuple)) else None
    if not dims or not all(isinstance(d, int) for d in dims):
        raise Unmappable("averages every element, the batch too; give the dimensions, e.g. x.mean((2, 3))")
    dims = sorted({d % len(shape) for d in dims})
    if 0 in dims:
        raise Unmappable("averages over the batch dimension; Mean works within samples")
    return Mapped("Mean", _validated("Mean", {"dims": dims, "keepdim": bool(bound["keepdim"])}), [x])


def _interpolate(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                         "antialias"),
                  {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None,
                   "recompute_scale_factor": None, "antialias": False})
    x = bound["input"]
    before, after = shape_of(x), shape_of(node)
    if before is None or after is None or bound["antialias"] or bound["align_corners"]:
        raise Unmappable("uses align_corners=True or antialias, which Upsample does not support")
    factors = {a / b for a, b in zip(after[2:], before[2:], strict=True)}
    if len(factors) != 1:
        raise Unmappable("scales the spatial dimensions by different factors; Upsample scales all alike")
    factor = factors.pop()
    if bound["scale_factor"] is None and not float(factor).is_integer():
        raise Unmappable(f"resizes to a size that is not a whole multiple ({factor:.3g}×)")
    return Mapped("Upsample", _validated("Upsample", {"scale_factor": factor, "mode": bound["mode"]}), [x])


def _getitem(node: Any, shape_of: ShapeOf) -> Mapped:
    """``x.chunk(n, dim)[i]`` / ``torch.split(x, size, dim)[i]`` -> Slice; ``x[:, 0]`` -> Select;
    ``x[:, a:b]`` -> Slice (one indexed dimension, never the batch)."""
    source, index = node.args
    out = shape_of(node)
    if shape_of(source) is None:  # an item of a tuple: one part of a chunk or split
        import torch

        target = getattr(source, "target", None)
        if target not in ("chunk", "split", torch.chunk, torch.split) or not isinstance(index, int):
            raise Unmappable("takes an item of something Torchwire cannot split")
        x = source.args[0] if source.args else source.kwargs.get("input", source.kwargs.get("tensor"))
        chunk = target in ("chunk", torch.chunk)
        names = ("input", "chunks" if chunk else "split_size_or_sections", "dim")
        bound = _bind(source, names, {"dim": 0})
        shape = shape_of(x)
        if shape is None or out is None:
            raise Unmappable("splits something that is not a tensor")
        dim = bound["dim"] % len(shape)
        if dim == 0:
            raise Unmappable("splits the batch dimension; Torchwire splits within samples")
        parts = _part_sizes(chunk, bound[names[1]], shape[dim])
        i = index % len(parts)
        if out[dim] != parts[i]:
            raise Unmappable("splits in a way Torchwire cannot follow")
        return Mapped("Slice", _validated("Slice", {"dim": dim, "start": sum(parts[:i]), "length": out[dim]}),
                      [x])
    shape = shape_of(source)
    items = list(index) if isinstance(index, tuple) else [index]
    picked = [(d, item) for d, item in enumerate(items) if item != slice(None)]
    if len(picked) != 1 or Ellipsis in items or any(_is_node(i) for i in items) or out is None:
        raise Unmappable("indexes in a way Torchwire cannot express (one index or slice of one dimension)")
    dim, item = picked[0]
    if dim == 0:
        raise Unmappable("indexes the batch dimension; Torchwire indexes within samples")
    if isinstance(item, int):
        return Mapped("Select", _validated("Select", {"dim": dim, "index": item}), [source])
    if isinstance(item, slice) and item.step in (None, 1):
        start, _stop, _ = item.indices(shape[dim])
        return Mapped("Slice", _validated("Slice", {"dim": dim, "start": start, "length": out[dim]}),
                      [source])
    raise Unmappable(f"indexes with {item!r}; Torchwire takes one entry or a range with step 1")


def _part_sizes(chunk: bool, how: Any, total: int) -> list[int]:
    """Sizes of the parts ``chunk`` (``how`` parts) or ``split`` (``how`` entries each, or a
    list of sizes) cut a dimension of ``total`` entries into."""
    import math

    if isinstance(how, (list, tuple)):
        return [int(s) for s in how]
    size = math.ceil(total / int(how)) if chunk else int(how)
    return [min(size, total - start) for start in range(0, total, size)]


def _show(value: Any) -> str:
    return value.name if _is_node(value) else repr(value)


def _concat(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("tensors", "dim"), {"dim": 0})
    tensors = list(bound.get("tensors") or ())
    if not tensors or any(shape_of(t) is None for t in tensors):
        raise Unmappable("joins something that is not a list of tensors")
    dim = bound["dim"]
    rank = len(shape_of(tensors[0]) or ())
    if not isinstance(dim, int) or dim % max(rank, 1) == 0:
        raise Unmappable(f"joins along dim {dim!r}, the batch dimension; Concat joins within samples")
    if len(tensors) == 1:
        return Mapped(None, {}, tensors)
    # More than MAX_MERGE_INPUTS tensors are split into nested Concat nodes by the builder.
    return Mapped("Concat", {"inputs": len(tensors), "dim": dim}, tensors)


def _flatten(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
    x = bound["input"]
    shape = shape_of(x)
    if shape is None:
        raise Unmappable("is applied to something that is not a tensor")
    if bound["start_dim"] % len(shape) == 0:
        raise Unmappable("flattens the batch dimension too; use start_dim=1")
    return Mapped("Flatten", _validated("Flatten", {"start_dim": bound["start_dim"],
                                                    "end_dim": bound["end_dim"]}), [x])


def _reshape(node: Any, shape_of: ShapeOf) -> Mapped:
    x = node.args[0] if node.args else node.kwargs.get("input")
    before, after = shape_of(x), shape_of(node)
    if before is None or after is None:
        raise Unmappable("reshapes something that is not a tensor")
    if not after or after[0] != before[0]:
        raise Unmappable(f"changes the batch dimension ({'×'.join(map(str, before))} -> "
                         f"{'×'.join(map(str, after))}); Torchwire reshapes keep the batch")
    if len(after) == 2:
        return Mapped("Flatten", _validated("Flatten", {}), [x])
    return Mapped("Reshape", _validated("Reshape", {"shape": list(after[1:])}), [x])


def _permute(node: Any, shape_of: ShapeOf) -> Mapped:
    x = node.args[0] if node.args else node.kwargs.get("input")
    shape = shape_of(x)
    if shape is None:
        raise Unmappable("is applied to something that is not a tensor")
    rest = list(node.args[1:]) or list(node.kwargs.get("dims", ()))
    dims = tuple(rest[0]) if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else tuple(rest)
    if not all(isinstance(d, int) for d in dims) or len(dims) != len(shape):
        raise Unmappable(f"permutes with dims {dims!r}; Permute needs one constant per dimension")
    dims = tuple(d % len(shape) for d in dims)
    if dims[0] != 0:
        raise Unmappable("moves the batch dimension; Torchwire keeps it first")
    return Mapped("Permute", _validated("Permute", {"dims": list(dims)}), [x])


def _transpose(node: Any, shape_of: ShapeOf) -> Mapped:
    bound = _bind(node, ("input", "dim0", "dim1"), {})
    shape = shape_of(bound["input"])
    if shape is None or not all(isinstance(bound.get(k), int) for k in ("dim0", "dim1")):
        raise Unmappable("needs a tensor and two constant dimensions")
    a, b = bound["dim0"] % len(shape), bound["dim1"] % len(shape)
    if 0 in (a, b) and a != b:
        raise Unmappable("moves the batch dimension; Torchwire keeps it first")
    dims = list(range(len(shape)))
    dims[a], dims[b] = dims[b], dims[a]
    return Mapped("Permute", _validated("Permute", {"dims": dims}), [bound["input"]])


def _passthrough(node: Any, shape_of: ShapeOf) -> Mapped:
    x = node.args[0] if node.args else None
    if shape_of(x) is None or len(node.args) > 1 or node.kwargs:
        raise Unmappable("is applied with arguments Torchwire does not support")
    return Mapped(None, {}, [x])


# -- the table --------------------------------------------------------------------------


def _act(kind: str, extra: tuple[str, ...] = (), defaults: dict[str, Any] | None = None,
         params: dict[str, str] | None = None, fixed: dict[str, Any] | None = None) -> _Rule:
    return _Rule(kind, ("input", *extra, "inplace"), {"inplace": False, **(defaults or {})},
                 params or {}, fixed or {})


_SOFTMAX_NAMES = ("input", "dim", "_stacklevel", "dtype")
_SOFTMAX_DEFAULTS = {"dim": None, "_stacklevel": 3, "dtype": None}


@cache
def _table() -> dict[Any, Any]:
    """``{function or method name: _Rule or handler}``."""
    import torch
    import torch.nn.functional as F

    relu = _act("ReLU")
    sigmoid = _Rule("Sigmoid", ("input",))
    tanh = _Rule("Tanh", ("input",))
    softmax = _Rule("Softmax", _SOFTMAX_NAMES, _SOFTMAX_DEFAULTS, {"dim": "dim"}, {"dtype": None})
    log_softmax = _Rule("LogSoftmax", _SOFTMAX_NAMES, _SOFTMAX_DEFAULTS, {"dim": "dim"}, {"dtype": None})
    add, mul = _merge("Add"), _merge("Multiply")
    pool_params = {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding",
                   "ceil_mode": "ceil_mode"}
    table: dict[Any, Any] = {
        operator.add: add, operator.iadd: add, torch.add: add, "add": add, "add_": add,
        operator.mul: mul, operator.imul: mul, torch.mul: mul, "mul": mul, "mul_": mul,
        operator.sub: _subtract, operator.isub: _subtract, torch.sub: _subtract, "sub": _subtract,
        operator.truediv: _divide, operator.itruediv: _divide, torch.div: _divide, "div": _divide,
        operator.neg: _negate, torch.neg: _negate, "neg": _negate,
        operator.getitem: _getitem,
        torch.mean: _mean, "mean": _mean,
        F.interpolate: _interpolate,
        torch.cat: _concat, torch.concat: _concat, torch.concatenate: _concat,
        torch.flatten: _flatten, "flatten": _flatten,
        torch.reshape: _reshape, "reshape": _reshape, "view": _reshape,
        "contiguous": _passthrough,
        torch.permute: _permute, "permute": _permute,
        torch.transpose: _transpose, "transpose": _transpose,
        F.relu: relu, torch.relu: _Rule("ReLU", ("input",)), "relu": _Rule("ReLU", ("input",)),
        torch.relu_: _Rule("ReLU", ("input",)), "relu_": _Rule("ReLU", ("input",)),
        F.relu6: _act("ReLU6"),
        F.leaky_relu: _act("LeakyReLU", ("negative_slope",), {"negative_slope": 0.01},
                           {"negative_slope": "negative_slope"}),
        F.gelu: _Rule("GELU", ("input", "approximate"), {"approximate": "none"},
                      {"approximate": "approximate"}),
        F.silu: _act("SiLU"),
        F.elu: _act("ELU", ("alpha",), {"alpha": 1.0}, {"alpha": "alpha"}),
        F.hardswish: _act("Hardswish"),
        F.hardsigmoid: _act("Hardsigmoid"),
        F.softplus: _Rule("Softplus", ("input", "beta", "threshold"), {"beta": 1.0, "threshold": 20.0},
                          {"beta": "beta"}, {"threshold": 20.0}),
        torch.sigmoid: sigmoid, F.sigmoid: sigmoid, "sigmoid": sigmoid,
        torch.tanh: tanh, F.tanh: tanh, "tanh": tanh,
        F.softmax: softmax, torch.softmax: softmax, "softmax": softmax,
        F.log_softmax: log_softmax, torch.log_softmax: log_softmax, "log_softmax": log_softmax,
        F.max_pool2d: _Rule(
            "MaxPool2d", ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                          "return_indices"),
            {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False},
            {**pool_params, "dilation": "dilation"}, {"return_indices": False}),
        torch.max_pool2d: _Rule(
            "MaxPool2d", ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
            {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
            {**pool_params, "dilation": "dilation"}),
        F.avg_pool2d: _Rule(
            "AvgPool2d", ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                          "divisor_override"),
            {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
             "divisor_override": None},
            {**pool_params, "count_include_pad": "count_include_pad"}, {"divisor_override": None}),
        F.adaptive_avg_pool2d: _Rule("AdaptiveAvgPool2d", ("input", "output_size"), {},
                                     {"output_size": "output_size"}),
        F.adaptive_max_pool2d: _Rule("AdaptiveMaxPool2d", ("input", "output_size", "return_indices"),
                                     {"return_indices": False}, {"output_size": "output_size"},
                                     {"return_indices": False}),
        F.dropout: _Rule("Dropout", ("input", "p", "training", "inplace"),
                         {"p": 0.5, "training": True, "inplace": False}, {"p": "p"}),
        torch.dropout: _Rule("Dropout", ("input", "p", "train"), {}, {"p": "p"}),
        _stochastic_depth(): _Rule("StochasticDepth", ("input", "p", "mode", "training"), {"training": True},
                                   {"p": "p", "mode": "mode"}),
        F.dropout2d: _Rule("Dropout2d", ("input", "p", "training", "inplace"),
                           {"p": 0.5, "training": True, "inplace": False}, {"p": "p"}),
    }
    return table


def _stochastic_depth() -> Any:
    from torchvision.ops.stochastic_depth import stochastic_depth

    return stochastic_depth


def map_call(node: Any, shape_of: ShapeOf) -> Mapped:
    """Map one ``call_function``/``call_method`` fx node.

    Raises:
        Unmappable: with a reason (the caller adds the name and source location).
    """
    rule = _table().get(node.target) if _hashable(node.target) else None
    if rule is None:
        raise Unmappable("has no Torchwire layer kind")
    if isinstance(rule, _Rule):
        return _apply_rule(rule, node, shape_of)
    return rule(node, shape_of)


def _hashable(target: Any) -> bool:
    try:
        hash(target)
    except TypeError:
        return False
    return True


def describe_target(node: Any) -> str:
    """``torch.nn.functional.interpolate`` / ``Tensor.mean`` / ``operator.truediv``."""
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    target = node.target
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    if module.startswith("torch._C") or not module:
        return f"torch.{name}"
    return f"{module}.{name}"


def chunks(items: list[Any], size: int = MAX_MERGE_INPUTS) -> list[list[Any]]:
    """Split ``items`` into groups of at most ``size`` (never leaving a group of one)."""
    groups = [items[i:i + size] for i in range(0, len(items), size)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2], groups[-1] = groups[-2][:-1], [groups[-2][-1], *groups[-1]]
    return groups


__all__ = ["MAX_MERGE_INPUTS", "Mapped", "Unmappable", "chunks", "describe_target", "map_call"]
