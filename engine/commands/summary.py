"""``torchwire summary PROJECT``: a table per node, then the parameter total."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import add_project_argument

if TYPE_CHECKING:
    from engine.project import Project
    from engine.shapes import Inference


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--no-data", action="store_true",
                        help="use the Input nodes' own shapes instead of the dataset's")


def human(n: int) -> str:
    """1234567 -> '1.23M'."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def summary_table(
    project: Project, shapes: dict[str, tuple[tuple[int, ...], str]] | None = None
) -> tuple[list[list[str]], Inference]:
    """Rows ``[name, kind, output shape, params, MACs]`` in topological order."""
    from engine.shapes import infer_shapes

    graph = project.graph
    inference = infer_shapes(graph, shapes)
    rows = []
    for node in graph.topological_order():
        info = inference.nodes[node.id]
        ports = node.spec.output_ports(node.params)
        if not ports:
            shape = "—"
        elif not info.ok:
            shape = "error"
        else:
            shape = ", ".join(info.shape_text(p.name) for p in ports)
        rows.append([node.name, node.kind, shape, f"{info.params:,}", human(info.macs)])
    return rows, inference


def run(args: argparse.Namespace) -> int:
    from engine.project import load_project
    from engine.validation import data_issues

    project = load_project(args.project)
    shapes = None if args.no_data else data_issues(project)[1]
    rows, inference = summary_table(project, shapes)
    header = ["Name", "Kind", "Output shape", "Params", "MACs"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.rjust(w) if i >= 3 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    print("-" * len(line))
    print(f"Total parameters: {inference.total_params}")
    trainable = sum(i.trainable for i in inference.nodes.values())
    print(f"Trainable parameters: {trainable}")
    print(f"MACs per sample: {human(inference.total_macs)}")
    for issue in inference.issues:
        print(f"{issue.severity}: {issue.message}")
    return 0 if inference.ok else 1
