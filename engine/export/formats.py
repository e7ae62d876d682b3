"""Export a graph's model (Inputs -> Outputs; never the losses) with trained weights.

Every format is produced in memory and written atomically, so a failed export
leaves nothing at the output path. Where the format allows, the batch
dimension stays dynamic.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .pysource import ExportError, python_source

log = logging.getLogger(__name__)

# name -> (file suffix, one-line description); the order is the export dialog's.
FORMATS: dict[str, tuple[str, str]] = {
    "safetensors": (".safetensors", "Weights only, safetensors (safe to load, framework neutral)"),
    "state_dict": (".pt", "Weights only, a PyTorch state_dict for torch.load(weights_only=True)"),
    "python": (".py", "Standalone Python file: the nn.Module class and load_model(), needs only torch"),
    "torchscript": (".torchscript.pt", "TorchScript program: torch.jit.load, no Python class needed"),
    "torch-export": (".pt2", "torch.export ExportedProgram: torch.export.load, dynamic batch"),
    "onnx": (".onnx", "ONNX graph for onnxruntime and other runtimes, dynamic batch"),
}

EXAMPLE_BATCH = 2  # example inputs use batch 2 so exporters do not specialise the batch to 1
ONNX_OPSET = 17


class WeightsMismatchError(ExportError):
    """The weights file does not fit the graph; lists what is missing, extra or mis-shaped."""

    def __init__(self, path: str, missing: list[str], unexpected: list[str],
                 mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]]):
        self.missing, self.unexpected, self.mismatched = missing, unexpected, mismatched
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} key(s): {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s): {_listing(unexpected)}")
        if mismatched:
            shown = [f"{k} (file {_dims(a)}, graph {_dims(b)})" for k, a, b in mismatched]
            parts.append(f"wrong shape for {len(mismatched)}: {_listing(shown)}")
        super().__init__(f"{path} does not match the graph: {'; '.join(parts)} — were these weights "
                         "saved from this graph before it was edited?")


def _listing(items: list[str], limit: int = 6) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) or "scalar"


def export_model(project_or_graph: Any, weights: str | os.PathLike[str] | None, fmt: str,
                 out: str | os.PathLike[str], input_shapes: Mapping[str, Any] | None = None) -> Path:
    """Compile the model, load ``weights`` and write it to ``out`` in format ``fmt``.

    Args:
        project_or_graph: A :class:`engine.project.Project` or a bare
            :class:`engine.graph.Graph`.
        weights: A ``.safetensors``/``.pt`` state_dict or training checkpoint; None
            exports freshly initialised weights (with a warning).
        fmt: A key of :data:`FORMATS`.
        out: Output path; written atomically (nothing is left there on failure).
        input_shapes: Dataset shapes for Input nodes, as for ``compile_graph``.
    Returns:
        The written path.
    Raises:
        ExportError: unknown format, invalid graph, or a format-specific failure.
        WeightsMismatchError: the weights' keys or shapes do not fit the graph.
        engine.weights.WeightsError: the weights file cannot be read.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} — use one of {', '.join(FORMATS)}")
    from ..compiler import CompileError, class_name_for, compile_graph

    graph = getattr(project_or_graph, "graph", project_or_graph)
    title = getattr(project_or_graph, "name", "") or "Model"
    try:
        compiled = compile_graph(graph, input_shapes, name=title,
                                 base_dir=getattr(project_or_graph, "base_dir", None))
    except CompileError as err:
        raise ExportError(f"cannot export: {err}") from None
    model = compiled.model
    if weights is not None:
        load_weights(model, graph, weights)
    else:
        log.warning("no weights given: exporting the freshly initialised (untrained) model")
    model.eval()
    out = Path(out)
    data = _WRITERS[fmt](compiled, _examples(compiled), title, class_name_for(title))
    from ..atomic import write_atomic

    try:
        write_atomic(out, data)
    except OSError as err:
        raise ExportError(f"{out}: cannot write the file ({err.strerror or err})") from None
    return out


def load_weights(model: Any, graph: Any, path: str | os.PathLike[str]) -> None:
    """Load a state_dict file into ``model``, checking every key and shape first.

    Keys of graph nodes that are not part of the model (losses) are ignored, so a
    training module's state_dict loads too.
    """
    from ..weights import load_state_dict_file

    state = load_state_dict_file(path)
    own = model.state_dict()
    outside = {n.name for n in graph} - {name for name, _ in model.named_children()}
    unexpected = [k for k in state if k not in own and k.split(".", 1)[0] not in outside]
    missing = [k for k in own if k not in state]
    mismatched = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in own.items()
                  if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or mismatched:
        raise WeightsMismatchError(str(path), missing, unexpected, mismatched)
    model.load_state_dict({k: state[k] for k in own})


def _examples(compiled: Any) -> list[Any]:
    import torch

    gen = torch.Generator().manual_seed(0)
    out = []
    for name in compiled.inputs:
        shape = (EXAMPLE_BATCH, *compiled.sample_shapes[name])
        if compiled.dtypes.get(name) == "int64":
            out.append(torch.zeros(shape, dtype=torch.long))
        else:
            out.append(torch.randn(shape, generator=gen))
    return out


# -- writers: (compiled, example inputs, title, class name) -> bytes -------------------------


def _state_dict(model: Any) -> dict[str, Any]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def _write_state_dict(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(_state_dict(compiled.model), buf)
    return buf.getvalue()


def _write_safetensors(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    from safetensors.torch import save

    return save(_state_dict(compiled.model), metadata={"format": "pt", "model": title})


def _write_python(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    return python_source(compiled, cls, title).encode("utf-8")


def _write_torchscript(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    import torch

    model = compiled.model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated in favour of torch.export
        try:
            program = torch.jit.script(model)
        except Exception as err:  # noqa: BLE001 - fall back to tracing when scripting fails
            log.info("torch.jit.script failed (%s); tracing instead", err)
            try:
                program = torch.jit.trace(model, tuple(examples), strict=False)
            except Exception as err2:  # noqa: BLE001
                raise ExportError(f"TorchScript export failed: {_first_line(err2)}") from None
        buf = io.BytesIO()
        torch.jit.save(program, buf)
    return buf.getvalue()


def _write_torch_export(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    import torch

    model = compiled.model
    batch = torch.export.Dim("batch")
    dynamic = {name: {0: batch} for name in compiled.inputs}
    try:
        program = torch.export.export(model, tuple(examples), dynamic_shapes=dynamic)
    except Exception as err:  # noqa: BLE001 - e.g. a layer that fixes the batch size
        log.warning("the batch dimension cannot stay dynamic (%s); exporting batch %d only",
                    _first_line(err), EXAMPLE_BATCH)
        try:
            program = torch.export.export(model, tuple(examples))
        except Exception as err2:  # noqa: BLE001
            raise ExportError(f"torch.export failed: {_first_line(err2)}") from None
    buf = io.BytesIO()
    torch.export.save(program, buf)
    return buf.getvalue()


def _write_onnx(compiled: Any, examples: list[Any], title: str, cls: str) -> bytes:
    """The TorchScript-based exporter (fast, no extra dependencies); the dynamo-based
    one when it cannot express an operator (e.g. AdaptiveAvgPool2d to a non-divisor size)."""
    import torch

    names = list(compiled.inputs) + list(compiled.outputs)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated
        try:
            torch.onnx.export(
                compiled.model, tuple(examples), buf, input_names=list(compiled.inputs),
                output_names=list(compiled.outputs), dynamic_axes={n: {0: "batch"} for n in names},
                opset_version=ONNX_OPSET, dynamo=False,
            )
            return buf.getvalue()
        except Exception as err:  # noqa: BLE001 - exporter errors come in many types
            log.info("TorchScript-based ONNX export failed (%s); trying the dynamo exporter", _first_line(err))
            first = err
        try:
            return _onnx_dynamo(compiled, examples)
        except Exception as err:  # noqa: BLE001
            raise ExportError(f"ONNX export failed: {_first_line(first)} (the dynamo exporter also "
                              f"failed: {_first_line(err)})") from None


def _onnx_dynamo(compiled: Any, examples: list[Any]) -> bytes:
    import tempfile

    import torch

    batch = torch.export.Dim("batch")
    program = torch.onnx.export(
        compiled.model, tuple(examples), input_names=list(compiled.inputs),
        output_names=list(compiled.outputs), dynamic_shapes={n: {0: batch} for n in compiled.inputs},
        dynamo=True, verbose=False,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        program.save(str(path))
        return path.read_bytes()


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


_WRITERS: dict[str, Callable[[Any, list[Any], str, str], bytes]] = {
    "state_dict": _write_state_dict,
    "safetensors": _write_safetensors,
    "python": _write_python,
    "torchscript": _write_torchscript,
    "torch-export": _write_torch_export,
    "onnx": _write_onnx,
}


def load_snippet(fmt: str, path: str | os.PathLike[str]) -> str:
    """A few lines of plain PyTorch that load the exported file (for the export dialog)."""
    p = str(path)
    if fmt == "safetensors":
        return ("from safetensors.torch import load_file\n\n"
                f"model.load_state_dict(load_file({p!r}))  # model: the same architecture")
    if fmt == "state_dict":
        return ("import torch\n\n"
                f"state_dict = torch.load({p!r}, map_location=\"cpu\", weights_only=True)\n"
                "model.load_state_dict(state_dict)  # model: the same architecture")
    if fmt == "python":
        stem = Path(p).stem
        if stem.isidentifier():
            head = f"from {stem} import load_model  # {Path(p).name} on the Python path\n\n"
        else:
            head = ("import importlib.util\n\n"
                    f"spec = importlib.util.spec_from_file_location(\"model\", {p!r})\n"
                    "module = importlib.util.module_from_spec(spec)\n"
                    "spec.loader.exec_module(module)\n"
                    "load_model = module.load_model\n")
        return head + "model = load_model(\"weights.safetensors\")  # no argument: random weights\nout = model(x)"
    if fmt == "torchscript":
        return f"import torch\n\nmodel = torch.jit.load({p!r}, map_location=\"cpu\").eval()\nout = model(x)"
    if fmt == "torch-export":
        return f"import torch\n\nmodel = torch.export.load({p!r}).module()\nout = model(x)"
    if fmt == "onnx":
        return ("import onnxruntime as ort\n\n"
                f"session = ort.InferenceSession({p!r})\n"
                "outputs = session.run(None, {session.get_inputs()[0].name: x.numpy()})")
    raise ExportError(f"unknown export format {fmt!r} — use one of {', '.join(FORMATS)}")


__all__ = ["EXAMPLE_BATCH", "FORMATS", "WeightsMismatchError", "export_model", "load_snippet",
           "load_weights"]
