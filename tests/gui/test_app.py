"""The ``torchwire gui`` entry point: light to import, builds the full window."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QSettings


def test_gui_app_import_does_not_load_qt():
    code = ("import sys, argparse, gui.app; p = argparse.ArgumentParser(); gui.app.add_arguments(p); "
            "a = p.parse_args(['x.json', '--no-restore']); assert a.project == 'x.json' and a.no_restore; "
            "assert 'PySide6' not in sys.modules, 'PySide6 loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_build_window_opens_missing_file_as_untitled(qtbot, tmp_path, dialogs):
    from gui.app import build_window

    window = build_window(tmp_path / "missing.json", check_recovery=False,
                          settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                          autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window)
    assert len(window.document.graph) == 0
    assert window.windowTitle().startswith("Untitled")
