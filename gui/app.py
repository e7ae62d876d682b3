"""``torchwire gui [PROJECT]``: open the editor. PySide6 is imported only inside
:func:`run`, so ``torchwire --help`` and headless commands stay light."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``gui`` command."""
    parser.add_argument("project", nargs="?", help="project file to open (.json)")
    parser.add_argument("--no-restore", action="store_true",
                        help="do not offer to restore autosaved work after a crash")


def run(args: argparse.Namespace) -> int:
    """Open the main window and run the event loop. Returns the exit code."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    QCoreApplication.setOrganizationName("Torchwire")
    QCoreApplication.setApplicationName("Torchwire")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(getattr(args, "project", None),
                        check_recovery=not getattr(args, "no_restore", False))
    window.show()
    return int(app.exec())
