"""``torchwire import SPEC -o PROJECT.json``: turn a PyTorch model into an editable project."""

from __future__ import annotations

import argparse
import sys


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").replace("×", ",").split(",") if d.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,32,32") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give the batch and at least one more positive "
                                         "dimension, e.g. 1,3,32,32")
    return dims


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC",
                        help="path/to/file.py:ClassName (built without arguments) or torchvision:NAME")
    parser.add_argument("--input-shape", type=_shape, action="append", metavar="SHAPE",
                        help="input shape with batch, e.g. 1,3,32,32 (once per forward argument; "
                             "default for torchvision: 1,3,224,224)")
    parser.add_argument("-o", "--output", required=True, metavar="PROJECT.json",
                        help="project file to write")
    parser.add_argument("--weights", metavar="OUT.safetensors",
                        help="also write the model's weights, renamed to the graph's keys")
    parser.add_argument("--from-weights", metavar="FILE",
                        help="a state_dict for the original model (.safetensors/.pt, e.g. pretrained "
                             "torchvision weights) to load before importing; --weights writes it renamed")


def run(args: argparse.Namespace) -> int:
    from . import import_to_files

    result = import_to_files(args.spec, args.output, args.weights, args.input_shape, args.from_weights)
    graph = result.project.graph
    layers = sum(1 for n in graph if n.spec.role == "layer")
    print(f"imported {result.project.name}: {layers} layers, {len(graph.edges)} connections -> {args.output}"
          + (f" (weights: {args.weights})" if args.weights else ""), file=sys.stdout)
    return 0
