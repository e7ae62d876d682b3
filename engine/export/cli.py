"""``torchwire export PROJECT --weights FILE --format F -o OUT``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .formats import FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="project file (.json)")
    parser.add_argument("--weights", metavar="FILE",
                        help="trained weights: .safetensors, .pt state_dict or a training checkpoint "
                             "(default: the untrained model, with a warning)")
    parser.add_argument("--format", "-f", dest="fmt", choices=list(FORMATS), default="safetensors",
                        metavar="F", help="output format (default: safetensors; see below)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output file (default: the project's name with the format's suffix)")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    width = max(map(len, FORMATS))
    parser.epilog = "formats:\n" + "\n".join(f"  {name:<{width}}  {desc} ({suffix})"
                                              for name, (suffix, desc) in FORMATS.items())


def run(args: argparse.Namespace) -> int:
    from ..project import load_project
    from . import export_model, load_snippet

    project = load_project(args.project)
    # default: the current folder (never inside the app's bundled examples)
    out = Path(args.output) if args.output else Path.cwd() / (Path(args.project).stem + FORMATS[args.fmt][0])
    path = export_model(project, args.weights, args.fmt, out)
    print(f"exported {project.name} as {args.fmt} -> {path}", file=sys.stdout)
    print("load it with:\n" + "\n".join(f"    {line}" for line in load_snippet(args.fmt, path).splitlines()))
    return 0
