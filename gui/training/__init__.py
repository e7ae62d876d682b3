"""Training in the app: data and training panels, the worker thread, live curves, results.

The window gains these features through one call::

    from gui.training import install
    controller = install(window)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.main_window import MainWindow

    from .controller import TrainingController


def install(window: MainWindow, *, app_data: Path | None = None,
            torch_threads: int | None = None) -> TrainingController:
    """Add the Data, Training, Curves, Runs, Results and Try-it panels, the Train menu and
    toolbar actions to ``window``; returns the controller that runs trainings.

    Args:
        window: The main window (its ``document``, ``add_dock``, ``set_read_only``,
            ``menuBar()`` and ``toolbar`` are used; nothing in it is replaced).
        app_data: Folder for runs of unsaved projects (default: the platform's app-data folder).
        torch_threads: torch intra-op threads during a run (default: every core torch would use,
            see ``gui/torch_threads.py``).
    """
    from .controller import TrainingController

    controller = TrainingController(window, app_data=app_data, torch_threads=torch_threads)
    window.training = controller  # type: ignore[attr-defined]
    return controller


__all__ = ["install"]
