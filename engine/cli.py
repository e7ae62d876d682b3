"""The ``torchwire`` command line. Each command lives in its own module with
``add_arguments(parser)`` and ``run(args) -> int``; they are imported lazily so
``torchwire --help`` is instant."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .allocator import tune_cpu_allocator
from .errors import TorchwireError

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("gui.app", "open the editor (optionally with a project file)"),
    "validate": ("engine.commands.validate", "check a project: exit 1 and list every issue if invalid"),
    "summary": ("engine.commands.summary", "per-node table of output shapes, parameters and MACs"),
    "train": ("engine.training.cli", "train a project headless (also under torchrun for DDP)"),
    "export": ("engine.export.cli", "export trained weights as state_dict, safetensors, TorchScript, "
                                    "torch.export, ONNX or Python source"),
    "import": ("engine.importer.cli", "turn a PyTorch model (file.py:Class or torchvision:NAME) into "
                                      "an editable project"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchwire",
        description="Design, check, train and export PyTorch networks. "
                    "With no command, opens the editor.",
    )
    parser.add_argument("--version", action="version", version=f"torchwire {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as err:  # a command whose module is not installed
            p.set_defaults(_missing=str(err))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``torchwire`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        args = parser.parse_args(["gui"])
    tune_cpu_allocator()  # training steps reuse freed buffers instead of page-faulting them in
    if getattr(args, "_missing", None):
        print(f"torchwire {args.command}: not available ({args._missing})", file=sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except TorchwireError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a folder that is a file, no permission, a full disk, ...
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err} — check the path exists, is a folder where one "
              "is expected, and is writable", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
