"""``torchwire gui [PROJECT]``: open the editor. PySide6 is imported only inside
:func:`run` / :func:`build_window`, so ``torchwire --help`` and headless commands stay light."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``gui`` command."""
    parser.add_argument("project", nargs="?", help="project file to open (.json)")
    parser.add_argument("--no-restore", action="store_true",
                        help="do not offer to restore autosaved work after a crash")


def build_window(project: str | Path | None = None, *, app_data: Path | None = None,
                 **kwargs: Any) -> MainWindow:
    """The full editor window: canvas and panels, the example gallery (File > New from
    Template) and training (data, training, curves, results). ``app_data`` is where runs of
    unsaved projects and examples go (default: the platform's app-data folder); ``kwargs``
    go to MainWindow.

    The training controller is kept as ``window.training``."""
    from . import export_dialog, gallery, import_dialog, training
    from .main_window import MainWindow

    window = MainWindow(project, **kwargs)
    gallery.install(window)
    export_dialog.install(window)
    import_dialog.install(window)
    window.training = training.install(window, app_data=app_data)
    return window


def run(args: argparse.Namespace) -> int:
    """Open the main window and run the event loop. Returns the exit code."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from .torch_threads import reserve_for_training

    reserve_for_training()  # before any tensor op on this thread (see gui/torch_threads.py)
    QCoreApplication.setOrganizationName("Torchwire")
    QCoreApplication.setApplicationName("Torchwire")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from .gc_guard import install_gc_guard

    install_gc_guard(app)
    install_excepthook()
    window = build_window(getattr(args, "project", None),
                          check_recovery=not getattr(args, "no_restore", False))
    window.show()
    return int(app.exec())


def install_excepthook() -> None:
    """An unexpected exception in a slot becomes one sentence in a dialog (and the full
    traceback in the log), instead of a traceback on stderr and a silent no-op."""
    import traceback

    from PySide6.QtWidgets import QApplication, QMessageBox

    def hook(kind: type[BaseException], err: BaseException, tb: Any) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, err, tb)))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        first = (str(err).strip().splitlines() or [kind.__name__])[0]
        QMessageBox.warning(QApplication.activeWindow(), "Torchwire",
                            f"That did not work: {first}\n\nYour project is unchanged. If this keeps "
                            "happening, run torchwire -v and report the log.")

    sys.excepthook = hook
