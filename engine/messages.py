"""Turn PyTorch's error messages into sentences that name the node and the fix."""

from __future__ import annotations

import re
from typing import Any

from .catalog.spec import LayerSpec, Shape, format_shape

_RANK = {"Conv1d": "N×C×L", "Conv2d": "N×C×H×W", "ConvTranspose2d": "N×C×H×W",
         "MaxPool2d": "N×C×H×W", "AvgPool2d": "N×C×H×W", "AdaptiveAvgPool2d": "N×C×H×W",
         "AdaptiveMaxPool2d": "N×C×H×W", "BatchNorm2d": "N×C×H×W", "BatchNorm1d": "N×C or N×C×L",
         "Dropout2d": "N×C×H×W", "LSTM": "N×L×F", "GRU": "N×L×F", "MultiheadAttention": "N×L×E",
         "TransformerEncoderLayer": "N×L×E"}


def expected_layout(kind: str) -> str:
    """The input layout a kind expects, e.g. ``N×C×H×W`` (for messages)."""
    return _RANK.get(kind, "a different")


def translate_error(label: str, spec: LayerSpec, in_shapes: list[tuple[Shape, str]], err: Exception) -> str:
    """A user-facing sentence for ``err`` raised while running ``spec`` on ``in_shapes``.

    ``label`` is ``"name (Kind)"``; the sentence always starts with it.
    """
    text = str(err)
    shapes = [s for s, _ in in_shapes]
    got = ", ".join(format_shape(s) for s in shapes)
    kind = spec.kind

    if re.search(r"Expected \d+D .*input|expected \d+D input|Expected \d+D|Expected 2D|"
                 r"got \d+D input|must be \d+D|should be \d+-?D|input of size: \[|expects? .*dim", text):
        want = _RANK.get(kind)
        if want:
            hint = "add a Reshape (or Flatten) before it" if "H×W" in want or "L" in want else "check what feeds it"
            return f"{label} needs {want} input but receives {got} — {hint}"
    m = re.search(r"Kernel size can't be greater than actual input size|"
                  r"Output size is too small|output size .* too small|Given input size: .*Calculated output size",
                  text, re.I)
    if m:
        return (f"{label}: its window is larger than its {got} input — use a smaller kernel, add padding, "
                "or remove a pooling layer before it")
    if "mat1 and mat2 shapes cannot be multiplied" in text:
        return f"{label} cannot multiply its {got} input — check in_features"
    m = re.search(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\)", text)
    if m or "must match" in text and kind in ("Add", "Multiply", "Concat"):
        if kind in ("Add", "Multiply"):
            return (f"{label} inputs have shapes {got}, which do not match — make them equal "
                    "(e.g. a 1×1 Conv2d or Linear on one branch)")
        if kind == "Concat":
            return (f"{label} inputs {got} differ outside the joined dimension — make the other "
                    "dimensions equal or change dim")
    if kind == "Concat" and "Sizes of tensors must match" in text:
        return f"{label} inputs {got} differ outside the joined dimension — make them equal or change dim"
    if "Expected floating point type for target" in text or "expected scalar type Long" in text or \
            "Long but found Float" in text or "not implemented for 'Float'" in text and "nll" in text:
        return (f"{label}: the target has the wrong element type ({_dtypes(in_shapes)}) — class "
                "indices need an int64 Input, probabilities/values a float32 one")
    if kind.endswith("Loss") and re.search(r"size|shape|dimension|Target", text):
        return (f"{label}: prediction {format_shape(shapes[0])} and target {format_shape(shapes[1])} do "
                f"not fit — {_loss_hint(spec)}")
    if "Expected tensor for argument #1 'indices' to have one of the following scalar types" in text or \
            ("Embedding" in kind and "Long" in text):
        return f"{label} needs integer ids (an int64 Input) but receives {_dtypes(in_shapes)}"
    if "shape '[" in text and "is invalid for input of size" in text or "unflatten" in text:
        return f"{label}: cannot reshape {got} to the requested shape — the element counts differ"
    if "number of dims don't match in permute" in text or "permute" in text:
        return f"{label}: dims must list each of the input's {len(shapes[0])} dimensions exactly once"
    m = re.search(r"index (-?\d+) out of range for tensor of size \[[^\]]*\] at dimension (\d+)", text)
    if m and kind == "Select":
        size = shapes[0][int(m.group(2))]
        return (f"{label}: index {m.group(1)} is outside dimension {m.group(2)} of its {got} input "
                f"(size {size}) — use 0 to {size - 1}, or -1 for the last")
    m = re.search(r"start \((\d+)\) \+ length \((\d+)\) exceeds dimension size \((\d+)\)", text)
    if m and kind == "Slice":
        return (f"{label}: start {m.group(1)} + length {m.group(2)} runs past the {m.group(3)} entries of "
                f"that dimension of its {got} input — lower start or length")
    m = re.search(r"Dimension out of range .* but got (-?\d+)\)", text)
    if m and kind in ("Slice", "Select", "Mean"):
        last = len(shapes[0]) - 1
        allowed = "dimension 1" if last == 1 else f"1 to {last}"
        return (f"{label}: its {got} input has no dimension {m.group(1)} — use {allowed} "
                "(dimensions count from 1 after the batch)")
    if "expected input" in text and "channels" in text:
        return f"{label}: {first_line(text)} — set in_channels to auto"
    return f"{label}: {first_line(text)}"


def _dtypes(in_shapes: list[tuple[Shape, str]]) -> str:
    return ", ".join(d for _, d in in_shapes)


def _loss_hint(spec: LayerSpec) -> str:
    task = spec.tags[0] if spec.tags else ""
    if task == "classification":
        return "use N×classes scores and an int64 target of class indices (shape N)"
    if task == "binary":
        return "prediction and target need the same shape (e.g. N×1 and a float32 target of shape 1)"
    return "prediction and target need the same shape (e.g. N×1 and a float32 target of shape 1)"


def first_line(text: Any) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else "unknown error"
