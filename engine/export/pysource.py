"""Write a compiled model as one readable, standalone Python file.

The class's attributes are the node names, built in ``__init__`` from the
layers' settings (only non-default arguments); ``forward`` is the code torch.fx
generated. The file imports only torch (torchvision for backbones; safetensors
lazily to load ``.safetensors`` weights) and never Torchwire.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from ..errors import TorchwireError

# Names fx puts in every generated module's globals; only ``torch`` is normally used.
_FX_GLOBALS = {"torch", "inf", "nan", "NoneType", "device", "fx_pytree", "pytree"}
_IMPORTABLE = {"torch", "torchvision", "math", "operator", "builtins"}
_FREE = re.compile(r";  (?:\w+ = )+None$")


class ExportError(TorchwireError):
    """The model cannot be exported in the requested format."""


def python_source(compiled: Any, class_name: str, title: str = "") -> str:
    """The source of a standalone ``.py`` file defining ``class_name`` and ``load_model()``.

    Args:
        compiled: A :class:`engine.compiler.Compiled` (its ``model`` is written).
        class_name: Name of the generated ``nn.Module`` class.
        title: Project name for the file's docstring (default: the class name).
    Raises:
        ExportError: a submodule has no constructor Torchwire can write.
    """
    gm = compiled.model
    uses_torchvision = False
    init_lines: list[str] = []
    for name, module in gm.named_children():
        lines, tv = _constructor(name, module)
        uses_torchvision |= tv
        init_lines.extend(lines)
    forward, extra_imports = _forward(gm)
    imports = ["import torch", *extra_imports]
    if uses_torchvision:
        imports.append("import torchvision")
    imports.append("from torch import nn")
    body = "\n".join(f"        {line}" for line in init_lines) or "        pass"
    return _TEMPLATE.format(
        title=title or class_name,
        cls=class_name,
        imports="\n".join(imports),
        init=body,
        forward=forward,
        usage=_usage(compiled),
    )


_TEMPLATE = '''"""{title} — a PyTorch model exported by Torchwire.

Plain PyTorch: this file needs only torch (torchvision for backbones, and
safetensors to read .safetensors weights), not Torchwire.

    from this_file import load_model
    model = load_model("weights.safetensors")  # or a .pt state_dict; no path: random init
    {usage}
"""

{imports}


class {cls}(nn.Module):
    def __init__(self):
        super().__init__()
{init}

{forward}


def load_model(weights_path=None):
    """Build {cls}; given a path, load a .safetensors or .pt state_dict. Returns it in eval mode."""
    model = {cls}()
    if weights_path is not None:
        path = str(weights_path)
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            state_dict = load_file(path)
        else:
            state_dict = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state_dict.get("model"), dict):  # a Torchwire training checkpoint
                state_dict = state_dict["model"]
        model.load_state_dict(state_dict)
    return model.eval()

'''


def _usage(compiled: Any) -> str:
    args = ", ".join(compiled.inputs)
    shapes = "; ".join(f"{n}: N×{'×'.join(map(str, compiled.sample_shapes.get(n, ())))} "
                       f"{compiled.dtypes.get(n, 'float32')}" for n in compiled.inputs)
    result = "dict of " + ", ".join(compiled.outputs) if len(compiled.outputs) > 1 else "a tensor"
    return f"out = model({args})  # {shapes} -> {result}"


# -- __init__ -----------------------------------------------------------------------


def _constructor(name: str, module: Any) -> tuple[list[str], bool]:
    """Lines building ``self.<name>``, and whether they use torchvision."""
    from ..importer.modules import Unmappable, module_kinds, module_params

    if type(module) in module_kinds():
        try:
            kind, params = module_params(module)
        except Unmappable as err:
            raise ExportError(f"{name}: cannot write it as Python source ({err})") from None
        from ..catalog import get_spec

        spec = get_spec(kind)
        kwargs = spec.torch_kwargs(params, [])
        expr = _class_expr(type(module))
        return [f"self.{name} = {expr}({_kwargs_text(type(module), kwargs)})"], expr.startswith("torchvision.")
    backbone = _backbone_lines(name, module)
    if backbone is None:
        cls = type(module)
        raise ExportError(f"{name}: {cls.__module__}.{cls.__qualname__} cannot be written as Python source")
    return backbone, True


def _class_expr(cls: type) -> str:
    import torch

    if getattr(torch.nn, cls.__name__, None) is cls:
        return f"nn.{cls.__name__}"
    import importlib

    parts = cls.__module__.split(".")
    for i in range(1, len(parts) + 1):  # the shortest public path: torchvision.ops.StochasticDepth
        package = ".".join(parts[:i])
        if getattr(importlib.import_module(package), cls.__name__, None) is cls:
            return f"{package}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"  # pragma: no cover - every catalog class is public


def _kwargs_text(cls: type, kwargs: dict[str, Any]) -> str:
    """``name=value`` for every argument that differs from the constructor's default."""
    params = inspect.signature(cls).parameters
    parts = []
    for key, value in kwargs.items():
        default = params[key].default if key in params else inspect.Parameter.empty
        if default is not inspect.Parameter.empty and _same(value, default):
            continue
        if key == "stride" and default is None and _same(value, kwargs.get("kernel_size")):
            continue  # pooling: stride defaults to the kernel size
        parts.append(f"{key}={_literal(value)}")
    return ", ".join(parts)


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, (tuple, list)):
        if isinstance(default, (tuple, list)):
            return tuple(value) == tuple(default)
        return bool(value) and all(_same(v, default) for v in value)
    return type(value) is type(default) and value == default


def _literal(value: Any) -> str:
    if isinstance(value, list):
        value = tuple(value)
    return repr(value)


def _backbone_lines(name: str, module: Any) -> list[str] | None:
    """A torchvision backbone of the catalog: its builder call, head and freezing."""
    import torch

    from ..catalog.backbones import ARCHES

    head_attr = "fc" if hasattr(module, "fc") else "classifier"
    features = isinstance(getattr(module, head_attr, None), torch.nn.Identity)
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    num_classes = linears[-1].out_features if linears and not features else 1000
    arch = _identify_arch(module, ARCHES, num_classes, head_attr if features else "")
    if arch is None:
        return None
    args = "weights=None" + (f", num_classes={num_classes}" if num_classes != 1000 else "")
    lines = [f"self.{name} = torchvision.models.{arch}({args})"]
    if features:
        lines.append(f"self.{name}.{head_attr} = nn.Identity()  # features, not class scores")
    params = list(module.parameters())
    if params and not any(p.requires_grad for p in params):
        lines.append(f"self.{name}.requires_grad_(False)  # frozen feature extractor")
    return lines


def _identify_arch(module: Any, arches: tuple[str, ...], num_classes: int, head_attr: str) -> str | None:
    """The torchvision architecture whose parameter names and shapes are ``module``'s."""
    import torch
    import torchvision

    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    for arch in arches:
        builder = getattr(torchvision.models, arch)
        with torch.device("meta"):
            candidate = builder(weights=None, num_classes=num_classes)
        if type(candidate) is not type(module):
            continue
        if head_attr:
            setattr(candidate, head_attr, torch.nn.Identity())
        if {k: tuple(v.shape) for k, v in candidate.state_dict().items()} == want:
            return arch
    return None


# -- forward ------------------------------------------------------------------------


def _forward(gm: Any) -> tuple[str, list[str]]:
    """fx's generated forward without the ``;  x = None`` frees, indented as a method."""
    import types

    code = gm.graph.python_code(root_module="self")
    lines = []
    for line in code.src.strip("\n").splitlines():
        line = _FREE.sub("", line).rstrip()
        if line:
            lines.append(f"    {line}")
    src = "\n".join(lines)
    imports = []
    for key, value in code.globals.items():
        if key == "torch" or not re.search(rf"\b{re.escape(key)}\b", src.split(":", 1)[1]):
            continue
        if key in ("inf", "nan"):
            imports.append(f"from math import {key}")
        elif isinstance(value, types.ModuleType):
            imports.append(f"import {value.__name__} as {key}" if value.__name__ != key else f"import {key}")
        elif key not in _FX_GLOBALS and getattr(value, "__module__", "").split(".")[0] in _IMPORTABLE:
            imports.append(f"from {value.__module__} import {value.__qualname__} as {key}")
        else:
            raise ExportError(f"the generated forward uses {key!r}, which cannot be imported in a plain "
                              "Python file")
    return src, imports


__all__ = ["ExportError", "python_source"]
