"""``torchwire validate PROJECT``: exit 0 when valid, else 1 and every issue."""

from __future__ import annotations

import argparse

from .common import add_project_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--no-data", action="store_true",
                        help="check the graph only, with the Input nodes' own shapes")


def run(args: argparse.Namespace) -> int:
    from engine.project import load_project
    from engine.shapes import infer_shapes
    from engine.validation import data_issues, file_issues

    project = load_project(args.project)
    issues = file_issues(project)
    shapes = None
    if not args.no_data:
        data_problems, shapes = data_issues(project)
        issues.extend(data_problems)
    inference = infer_shapes(project.graph, shapes)
    issues.extend(inference.issues)
    errors = [i for i in issues if i.severity == "error"]
    for issue in issues:
        print(f"{issue.severity}: {issue.message}")
    if errors:
        print(f"{args.project}: {len(errors)} error(s)")
        return 1
    print(f"{args.project}: OK — {len(project.graph)} nodes, "
          f"{inference.total_params:,} parameters")
    return 0
