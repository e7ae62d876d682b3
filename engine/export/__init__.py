"""Export a trained graph: state_dict, safetensors, TorchScript, torch.export, ONNX or a
standalone Python file. Only the model (Inputs -> Outputs) is exported, never the losses.

Nothing here imports torch at module load (the CLI must start fast).
"""

from __future__ import annotations

from .formats import FORMATS, WeightsMismatchError, export_model, load_snippet, load_weights
from .pysource import ExportError, python_source

__all__ = ["FORMATS", "ExportError", "WeightsMismatchError", "export_model", "load_snippet",
           "load_weights", "python_source"]
