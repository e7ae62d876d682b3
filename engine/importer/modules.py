"""Which catalog kind a ``torch.nn`` module instance is, with its parameters read back.

Used by the importer (module -> node) and by the Python exporter (module ->
constructor call). A module maps only when the catalog can rebuild it exactly:
after reading the parameters, the layer is rebuilt on the ``meta`` device and
its configuration and state-dict shapes are compared with the original's.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..catalog import ParamError, all_specs, get_spec
from ..catalog.spec import LayerSpec, import_dotted


class Unmappable(Exception):
    """A module or call has no catalog equivalent; the message says why."""


@cache
def module_kinds() -> dict[type, str]:
    """``{torch.nn class: catalog kind}`` for every plain module spec of the catalog."""
    kinds: dict[type, str] = {}
    for spec in all_specs():
        if spec.role == "layer" and spec.call == "module" and not spec.builder and spec.target:
            kinds[import_dotted(spec.target)] = spec.kind
    return kinds


def is_mappable_type(module: Any) -> bool:
    return type(module) in module_kinds()


def module_params(module: Any) -> tuple[str, dict[str, Any]]:
    """The catalog kind of ``module`` and its parameters, all explicit (no ``auto``).

    Raises:
        Unmappable: the class is not in the catalog, or it has settings the
            catalog's layer cannot express.
    """
    kind = module_kinds().get(type(module))
    if kind is None:
        raise Unmappable(f"{_class_path(module)} has no Torchwire layer kind")
    spec = get_spec(kind)
    exact_padding = True
    values: dict[str, Any] = {}
    for p in spec.params:
        if p.name in spec.exclude:
            continue
        value = _read(module, p.name, spec)
        if p.name == "padding" and isinstance(value, str):
            value = _string_padding(module, value)
            exact_padding = False
        if p.type in ("ints", "floats") and p.length and isinstance(value, (int, float)):
            value = (value,) * p.length
        if p.name == "scale_factor" and isinstance(value, tuple):
            if len(set(value)) != 1:
                raise Unmappable(f"{_class_path(module)} scales axes differently ({value})")
            value = value[0]
        values[p.name] = list(value) if isinstance(value, tuple) else value
    try:
        params = spec.validate_params(values)
    except ParamError as err:
        raise Unmappable(f"{_class_path(module)}: {err}") from None
    _check_rebuild(module, spec, params, exact_padding)
    return kind, params


def _transformer_activation(module: Any) -> str:
    import torch.nn.functional as F

    act = module.activation
    for name, fn in (("relu", F.relu), ("gelu", F.gelu)):
        if act is fn or type(act).__name__.lower() == name:
            return name
    raise Unmappable(f"{_class_path(module)} uses the activation {act!r}; Torchwire offers relu or gelu")


# Parameters that are not plain attributes of the module, per kind.
_READERS: dict[str, dict[str, Any]] = {
    "MultiheadAttention": {"bias": lambda m: m.in_proj_bias is not None},
    "TransformerEncoderLayer": {
        "d_model": lambda m: m.self_attn.embed_dim,
        "nhead": lambda m: m.self_attn.num_heads,
        "dim_feedforward": lambda m: m.linear1.out_features,
        "dropout": lambda m: m.dropout.p,
        "activation": _transformer_activation,
        "batch_first": lambda m: m.self_attn.batch_first,
    },
}


def _read(module: Any, name: str, spec: LayerSpec) -> Any:
    reader = _READERS.get(spec.kind, {}).get(name)
    if reader is not None:
        return reader(module)
    if name == "bias" and not isinstance(getattr(module, "bias", None), bool):
        return getattr(module, "bias", None) is not None
    if not hasattr(module, name):
        raise Unmappable(f"{_class_path(module)} has no attribute {name!r} for {spec.kind}")
    value = getattr(module, name)
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple) and any(v is None for v in value):
        raise Unmappable(f"{_class_path(module)}: {name}={value} keeps some sizes unchanged, "
                         "which Torchwire's layer cannot express")
    if value is None and not spec.param(name).optional:
        raise Unmappable(f"{_class_path(module)}: {name}=None is not supported by {spec.kind}")
    return value


def _string_padding(module: Any, value: str) -> tuple[int, ...]:
    """``padding='valid'|'same'`` as explicit symmetric numbers, when that is exact."""
    dims = len(module.kernel_size)
    if value == "valid":
        return (0,) * dims
    out = []
    for k, d in zip(module.kernel_size, module.dilation, strict=True):
        total = d * (k - 1)
        if total % 2:
            raise Unmappable(f"{_class_path(module)}: padding='same' with an even kernel pads "
                             "unevenly, which Torchwire's layer cannot express")
        out.append(total // 2)
    return tuple(out)


def _config(module: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The module's public settings, normalised (``2`` == ``(2, 2)``; ``inplace`` ignored)."""
    import torch

    out: dict[str, Any] = {}
    for key, value in vars(module).items():
        if key.startswith("_") or key in ("training", "inplace", *skip):
            continue
        if isinstance(value, (torch.Tensor, torch.nn.Module)):
            continue
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            if value and all(v == value[0] for v in value):
                value = value[0]
        out[key] = value
    return out


def _describe(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(config.items()))


def _check_rebuild(module: Any, spec: LayerSpec, params: dict[str, Any], exact_padding: bool) -> None:
    import torch

    kwargs = spec.torch_kwargs(params, [])
    with torch.device("meta"):
        rebuilt = spec.resolve_target()(**kwargs)
    skip = () if exact_padding else ("padding",)
    mine, theirs = _config(rebuilt, skip), _config(module, skip)
    if mine != theirs:
        diff = {k: theirs.get(k) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
        raise Unmappable(f"{_class_path(module)} has settings Torchwire's {spec.kind} cannot "
                         f"express ({_describe(diff)})")
    shapes = {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()}
    original = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    if shapes != original:
        raise Unmappable(f"{_class_path(module)} has parameters {sorted(original)} but Torchwire's "
                         f"{spec.kind} would have {sorted(shapes)}")


def _class_path(module: Any) -> str:
    cls = type(module)
    mod = cls.__module__
    if mod.startswith("torch.nn.modules."):
        mod = "torch.nn"
    return f"{mod}.{cls.__qualname__}"


def class_location(module: Any) -> str:
    """``path/to/file.py:LINE`` where the module's class is defined ('' if unknown)."""
    import inspect

    cls = type(module)
    try:
        file = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return ""
    return f"{file}:{line}" if file else ""


__all__ = ["Unmappable", "class_location", "is_mappable_type", "module_kinds", "module_params"]
