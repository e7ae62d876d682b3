"""Helpers shared by the CLI commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", type=Path, help="project file (.json)")
