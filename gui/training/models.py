"""Rebuild a run's trained model from its graph, data fields and weights (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.data.core import FieldInfo
from engine.errors import TorchwireError
from engine.project import project_from_dict


@dataclass
class TrainedModel:
    """The exported model (Inputs -> Outputs) with its inputs' fields and shapes."""

    model: Any  # torch.nn.Module in eval mode on the CPU
    inputs: list[str]  # Input node names in forward order
    input_fields: dict[str, str]  # Input node name -> dataset field
    input_shapes: dict[str, tuple[int, ...]]
    outputs: list[str]
    fields: dict[str, FieldInfo]


def field_infos(fields: dict[str, dict[str, Any]]) -> dict[str, FieldInfo]:
    return {name: FieldInfo(name, tuple(f.get("shape") or ()), f.get("dtype", "float32"),
                            f.get("num_classes"), f.get("class_names"), f.get("column_names"))
            for name, f in fields.items()}


def build_trained_model(graph: dict[str, Any], fields: dict[str, dict[str, Any]],
                        state_dict: dict[str, Any], name: str = "Model") -> TrainedModel:
    """Compile ``graph`` for ``fields`` and load ``state_dict`` (strictly).

    Raises:
        TorchwireError: the graph no longer compiles or the weights do not fit it.
    """
    from engine.training.recipes import compile_for_data

    project = project_from_dict({"format": 1, "graph": graph}, source="run")
    for node in project.graph:  # files named by the graph (a backbone's pretrained weights) are
        for name in node.spec.file_params:  # not read: the run's own weights replace them all
            if node.params.get(name):
                project.graph.set_param(node.id, name, "")
    infos = field_infos(fields)
    compiled = compile_for_data(project.graph, infos, name, seed=0)
    model = compiled.model
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        raise TorchwireError(f"the saved weights do not fit the run's graph: "
                             f"{' '.join(str(err).split())[:300]}") from None
    model.eval()
    return TrainedModel(model, list(compiled.inputs), {n: compiled.fields[n] for n in compiled.inputs},
                        {n: tuple(compiled.sample_shapes[n]) for n in compiled.inputs},
                        list(compiled.outputs), infos)
