"""Core layers: Linear, Embedding, Dropout and shape plumbing."""

from __future__ import annotations

from typing import Any

from .common import auto_int, bias, fill_auto
from .spec import LayerSpec, Param


def _op(kind: str, help: str, op: str, *params: Param, name_hint: str, **extra: Any) -> LayerSpec:
    """A core spec that calls ``engine.catalog.ops.<op>`` (plain torch calls in the compiled code)."""
    return LayerSpec(kind=kind, family="core", help=help, target=f"engine.catalog.ops.{op}", call="function",
                     params=params, name_hint=name_hint, **extra)

SPECS = [
    LayerSpec(
        kind="Linear",
        family="core",
        help="Fully connected layer: y = x·Wᵀ + b over the last dimension",
        target="torch.nn.Linear",
        params=(
            auto_int("in_features", "Size of each input sample (auto: last input dimension)"),
            Param("out_features", "int", 10, "Size of each output sample", minimum=1),
            bias(),
        ),
        kwargs=lambda p, s: fill_auto(p, s, {"in_features": -1}, "Linear"),
        name_hint="fc",
    ),
    LayerSpec(
        kind="Embedding",
        family="core",
        help="Lookup table from integer ids to dense vectors",
        target="torch.nn.Embedding",
        params=(
            Param("num_embeddings", "int", 1000, "Vocabulary size (ids 0 … n-1)", minimum=1),
            Param("embedding_dim", "int", 64, "Size of each vector", minimum=1),
            Param("padding_idx", "int", None, "Id whose vector stays zero (empty: none)", optional=True),
        ),
        name_hint="embed",
    ),
    LayerSpec(
        kind="Dropout",
        family="core",
        help="Zeroes random elements with probability p while training",
        target="torch.nn.Dropout",
        params=(Param("p", "float", 0.5, "Probability of an element being zeroed", minimum=0, maximum=1),),
        shape_preserving=True,
        name_hint="dropout",
    ),
    LayerSpec(
        kind="Dropout2d",
        family="core",
        help="Zeroes whole channels with probability p while training",
        target="torch.nn.Dropout2d",
        params=(Param("p", "float", 0.5, "Probability of a channel being zeroed", minimum=0, maximum=1),),
        shape_preserving=True,
        ranks=(3, 4),
        name_hint="dropout",
    ),
    LayerSpec(
        kind="StochasticDepth",
        family="core",
        help="Drops a residual branch for random samples while training (drop path; "
             "torchvision.ops.StochasticDepth)",
        target="torchvision.ops.StochasticDepth",
        params=(
            Param("p", "float", 0.2, "Probability of dropping a sample's branch", minimum=0, maximum=1),
            Param("mode", "choice", "row", "row: per sample; batch: the whole batch at once",
                  choices=("row", "batch")),
        ),
        shape_preserving=True,
        name_hint="drop_path",
    ),
    LayerSpec(
        kind="Identity",
        family="core",
        help="Passes its input through unchanged",
        target="torch.nn.Identity",
        shape_preserving=True,
        name_hint="identity",
    ),
    LayerSpec(
        kind="Flatten",
        family="core",
        help="Flattens dims start_dim…end_dim into one (default: all but the batch)",
        target="torch.nn.Flatten",
        params=(
            Param("start_dim", "int", 1, "First dimension to flatten", minimum=-8, maximum=8),
            Param("end_dim", "int", -1, "Last dimension to flatten", minimum=-8, maximum=8),
        ),
        name_hint="flatten",
    ),
    _op("Reshape", "Reshapes each sample to the given shape (batch kept; one entry may be -1)", "reshape",
        Param("shape", "ints", (-1,), "New shape of one sample, batch excluded", minimum=-1, min_length=1),
        name_hint="reshape"),
    _op("Permute", "Reorders dimensions; dims lists every dimension including the batch (0)", "permute",
        Param("dims", "ints", (0, 2, 1), "New order of dimensions, batch is 0", minimum=0, min_length=2),
        name_hint="permute"),
    _op("Slice", "Keeps length entries of one dimension from start (a part of a channel split)", "narrow",
        Param("dim", "int", 1, "Dimension to cut (the batch, 0, is never one)", minimum=1, maximum=8),
        Param("start", "int", 0, "First entry kept", minimum=0),
        Param("length", "int", 1, "How many entries are kept", minimum=1),
        name_hint="slice"),
    _op("Select", "Takes one entry of a dimension, which disappears (e.g. dim 1, index 0: the first token)",
        "select",
        Param("dim", "int", 1, "Dimension to index (the batch, 0, is never one)", minimum=1, maximum=8),
        Param("index", "int", 0, "Entry taken (negative counts from the end)", minimum=-(2**31)),
        name_hint="select"),
    _op("Mean", "Averages each sample over the given dimensions, e.g. 2, 3: global average pooling", "mean",
        Param("dims", "ints", (2, 3), "Dimensions to average over (the batch, 0, is never one)",
              minimum=1, min_length=1),
        Param("keepdim", "bool", False, "Keep the averaged dimensions with size 1"),
        name_hint="mean"),
    _op("Scale", "Multiplies by a constant, then adds one: y = x·scale + shift", "scale",
        Param("scale", "float", 1.0, "Constant factor"),
        Param("shift", "float", 0.0, "Constant added after scaling"),
        name_hint="scale", shape_preserving=True),
    LayerSpec(
        kind="Upsample",
        family="core",
        help="Upsamples spatial dimensions by a scale factor",
        target="torch.nn.Upsample",
        params=(
            Param("scale_factor", "float", 2.0, "Multiplier for each spatial size", minimum=0.01, maximum=64),
            Param("mode", "choice", "nearest", "Interpolation",
                  choices=("nearest", "linear", "bilinear", "bicubic", "trilinear")),
        ),
        name_hint="upsample",
    ),
]
