"""Regenerate the README screenshots from the real app (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from gui.app import build_window
    from gui.main_window import application

    application()
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def open_example(stem: str):  # noqa: ANN202 - a MainWindow, in its own settings and autosave
        settings = QSettings(str(tmp / f"{stem}.ini"), QSettings.Format.IniFormat)
        window = build_window(ROOT / "assets" / "examples" / f"{stem}.json", settings=settings,
                              autosave_dir=tmp / f"autosave-{stem}", check_recovery=False,
                              app_data=tmp / "appdata")  # a first run, whatever ran before
        window.resize(1500, 950)
        window.show()
        window.document.infer_now()
        settle()
        return window

    window = open_example("mnist_cnn")
    window.view.frame_all()
    node = window.document.graph.by_name("conv2")
    window.scene.select_nodes([node.id])
    settle()
    window.grab().save(str(out / "editor.png"))
    window.document.undo_stack.setClean()
    window.close()

    window = open_example("mlp_digits")
    controller = window.training
    loop = QEventLoop()
    controller.run_ended.connect(lambda _run: loop.quit())
    controller.start()
    loop.exec()
    controller.docks["results"].raise_()
    from PySide6.QtCore import Qt

    window.resizeDocks([controller.docks["curves"], controller.docks["results"]], [760, 1000],
                       Qt.Orientation.Horizontal)
    settle()
    window.view.frame_all()
    settle()
    window.grab().save(str(out / "training.png"))
    window.document.undo_stack.setClean()
    window.close()
    print(f"wrote {out / 'editor.png'} and {out / 'training.png'}")


if __name__ == "__main__":
    main()
