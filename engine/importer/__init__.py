"""Import any traceable ``nn.Module`` as an editable Torchwire project.

``import_model("net.py:Net", [(1, 3, 32, 32)])`` traces the model with torch.fx,
maps each call to a catalog layer, checks that the compiled graph reproduces the
model exactly, and returns the project plus the weights under the graph's keys.
Nothing here imports torch at module load (the CLI must start fast).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .source import ModelImportError

log = logging.getLogger(__name__)

NODE_SPACING = (220.0, 120.0)  # x per layer of depth, y per node in a layer (fallback layout)


@dataclass
class ImportResult:
    """An imported model: the project to save and the weights renamed to its keys."""

    project: Any  # engine.project.Project
    state_dict: dict[str, Any]
    names: dict[str, str]  # original module qualname -> node name
    max_abs_diff: float  # between the model and the compiled graph on a random input
    module: Any = None  # the original model (eval mode)


def import_model(spec: str, input_shapes: Sequence[Sequence[int]] | None = None,
                 verify: bool = True, source_weights: str | os.PathLike[str] | None = None) -> ImportResult:
    """Trace the model ``spec`` names and rebuild it as a project.

    Args:
        spec: ``path/to/file.py:ClassName`` (built without arguments) or
            ``torchvision:NAME`` (random weights).
        input_shapes: One shape per forward argument, batch included, e.g.
            ``[(1, 3, 32, 32)]``. Default for torchvision: 1×3×224×224.
        verify: Compile the graph, load the renamed weights and check it
            returns what the model returns.
        source_weights: A state_dict file for the original model (e.g. pretrained
            torchvision weights), loaded before tracing; the result carries it renamed.
    Raises:
        ModelImportError: the spec, the trace, unmappable parts (all listed with
            their source locations) or a verification mismatch.
        engine.weights.WeightsError: ``source_weights`` cannot be read.
    """
    from ..project import Project
    from .source import load_model_spec
    from .trace import trace_module

    module, title, default_shape = load_model_spec(spec)
    if source_weights is not None:
        _load_source_weights(module, source_weights)
    if not input_shapes:
        if default_shape is None:
            raise ModelImportError(f"give the input shape of {title}, e.g. --input-shape 1,3,32,32 "
                                   "(batch first)")
        input_shapes = [default_shape]
    shapes = [tuple(int(d) for d in s) for s in input_shapes]
    for s in shapes:
        if len(s) < 2 or min(s) < 1:
            raise ModelImportError(f"input shape {','.join(map(str, s))} must list the batch and at least "
                                   "one more dimension, all positive (e.g. 1,3,32,32)")
    imported = trace_module(module, shapes, title)
    layout(imported.graph)
    diff = _verify(imported) if verify else float("nan")
    project = Project(graph=imported.graph, name=title, description=f"Imported from {spec}")
    return ImportResult(project, imported.state_dict, imported.names, diff, module)


def rename_state_dict(state_dict: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The original model's state_dict under the imported graph's keys.

    ``names`` is :attr:`ImportResult.names` (module qualname -> node name);
    ``layer1.0.conv1.weight`` becomes ``layer1_0_conv1.weight``. Keys of modules
    the graph does not use are dropped.
    """
    out = {}
    for key, value in state_dict.items():
        prefix, _, rest = key.rpartition(".")
        while prefix and prefix not in names:
            prefix, _, head = prefix.rpartition(".")
            rest = f"{head}.{rest}"
        if prefix:
            out[f"{names[prefix]}.{rest}"] = value
    return out


def _load_source_weights(module: Any, path: str | os.PathLike[str]) -> None:
    from ..weights import load_state_dict_file

    result = module.load_state_dict(load_state_dict_file(path), strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ModelImportError(
            f"{path} does not fit the model: missing {', '.join(result.missing_keys[:6]) or 'none'}; "
            f"unexpected {', '.join(result.unexpected_keys[:6]) or 'none'}")


def import_to_files(spec: str, out: str | os.PathLike[str], weights_out: str | os.PathLike[str] | None = None,
                    input_shapes: Sequence[Sequence[int]] | None = None,
                    source_weights: str | os.PathLike[str] | None = None) -> ImportResult:
    """:func:`import_model`, then write the project (and the weights as safetensors).

    Both files are written atomically and only after the whole import succeeded.
    """
    result = import_model(spec, input_shapes, source_weights=source_weights)
    save_import(result, out, weights_out)
    return result


def save_import(result: ImportResult, out: str | os.PathLike[str],
                weights_out: str | os.PathLike[str] | None = None) -> Path:
    """Write an import's project to ``out`` and, with ``weights_out``, its weights as
    safetensors; the project then starts training from them (``training.init_weights``,
    relative to the project's folder when they lie inside it). Returns the project path."""
    from ..project import save_project, write_atomic

    if weights_out is not None:
        from safetensors.torch import save

        from ..catalog.spec import relative_path

        data = save({k: v.contiguous() for k, v in result.state_dict.items()})
        write_atomic(weights_out, data)
        result.project.training.init_weights = relative_path(weights_out, Path(out).parent)
    return save_project(result.project, Path(out))


def _verify(imported: Any) -> float:
    """Compile the graph, load the weights, compare outputs with the original's."""
    import torch

    from ..compiler import CompileError, compile_graph

    try:
        compiled = compile_graph(imported.graph, name=imported.title)
    except CompileError as err:
        raise ModelImportError(f"the imported graph of {imported.title} does not compile: {err}") from None
    model = compiled.model.eval()
    model.load_state_dict(imported.state_dict)
    with torch.no_grad():
        result = model(*imported.examples)
    got = [result] if len(compiled.outputs) == 1 else [result[n] for n in imported.outputs]
    worst = 0.0
    for name, a, b in zip(imported.outputs, got, imported.expected, strict=True):
        if a.shape != b.shape:
            raise ModelImportError(f"the imported {imported.title} returns {name} with shape "
                                   f"{tuple(a.shape)} instead of {tuple(b.shape)} — please report this model")
        diff = (a.double() - b.double()).abs().max().item() if a.numel() else 0.0
        if not torch.allclose(a, b, rtol=1e-4, atol=1e-5):
            raise ModelImportError(f"the imported {imported.title} differs from the original on {name} "
                                   f"(max abs diff {diff:.3g}) — please report this model")
        worst = max(worst, diff)
    if worst:
        log.warning("the imported %s matches the original up to %.3g (not bit for bit)", imported.title, worst)
    return worst


def layout(graph: Any) -> None:
    """Place nodes left to right by depth (engine.layout when available)."""
    try:
        from ..layout import layered_layout
    except ImportError:  # pragma: no cover - engine.layout ships with the app
        positions = _depth_layout(graph)
    else:
        positions = layered_layout(graph)
    for node_id, pos in positions.items():
        graph.move_node(node_id, (float(pos[0]), float(pos[1])))


def _depth_layout(graph: Any) -> dict[str, tuple[float, float]]:
    depth: dict[str, int] = {}
    for node in graph.topological_order():
        depth[node.id] = max((depth[e.src] + 1 for e in graph.in_edges(node.id)), default=0)
    rows: dict[int, int] = {}
    out = {}
    for node_id, d in depth.items():
        out[node_id] = (NODE_SPACING[0] * d, NODE_SPACING[1] * rows.get(d, 0))
        rows[d] = rows.get(d, 0) + 1
    return out


__all__ = ["ImportResult", "ModelImportError", "import_model", "import_to_files", "layout",
           "rename_state_dict", "save_import"]
