"""File > New from Template: the gallery, untitled copies, and every example framed on the canvas."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialogButtonBox

from engine.examples import ORDER, examples_dir, list_examples
from engine.project import load_project
from gui.gallery import (
    GalleryDialog,
    graph_rect,
    install,
    open_template,
    render_thumbnail,
    show_gallery,
)

SHOTS = Path(__file__).parent / "screenshots" / "examples"


def distinct_colours(image: QImage, step: int = 3) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def test_install_adds_the_menu_action_after_new(window) -> None:
    action = install(window)
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    texts = [a.text() for a in file_menu.actions()]
    assert texts.index("New from &Template…") == texts.index("&New") + 1
    assert window.actions_["new_from_template"] is action


def test_gallery_shows_thumbnails_descriptions_datasets_and_counts(qtbot, window) -> None:
    install(window)
    window.actions_["new_from_template"].trigger()
    dialog = window.findChild(GalleryDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.list.count() == len(ORDER)
    assert dialog.current().stem == "mlp_digits"
    for ex in list_examples():
        thumb = dialog.thumbnails[ex.stem].toImage()
        assert distinct_colours(thumb) > 5, f"{ex.stem}: blank thumbnail"
    dialog.select("mnist_cnn")
    text = dialog.details.text()
    assert "MNIST CNN" in text and "21,840" in text and "MNIST subset" in text and "classic" in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "gallery.png"))
    dialog.reject()


def test_opening_a_template_gives_an_untitled_copy(qtbot, window) -> None:
    install(window)
    dialog = show_gallery(window)
    dialog.select("lenet_mnist32")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    doc = window.document
    assert doc.path is None and doc.title == "Untitled" and not doc.modified
    original = load_project(examples_dir() / "lenet_mnist32.json")
    assert doc.graph == original.graph
    assert doc.project.name == "LeNet 3×3"
    assert "template" in window.last_message()
    doc.graph.remove_node(doc.graph.by_name("fc3").id)  # edits stay in the copy
    assert len(load_project(examples_dir() / "lenet_mnist32.json").graph) == len(original.graph)


def test_double_click_opens(qtbot, window) -> None:
    dialog = show_gallery(window)
    dialog.select("gan_digits")
    dialog.list.itemActivated.emit(dialog.list.currentItem())
    assert window.document.project.training.recipe == "gan"
    assert not dialog.isVisible()


def test_thumbnail_of_an_empty_graph_is_plain(qtbot) -> None:
    from engine.graph import Graph

    assert distinct_colours(render_thumbnail(Graph()).toImage()) == 1


@pytest.mark.parametrize("stem", ORDER)
def test_example_opens_framed(qtbot, window, stem: str) -> None:
    assert open_template(window, stem)
    qtbot.waitUntil(lambda: window.document.inference_current, timeout=10_000)
    qtbot.wait(20)
    view = window.view
    shown = view.mapFromScene(graph_rect(window)).boundingRect()
    assert view.viewport().rect().contains(shown), f"{stem}: graph not fully in view"
    assert shown.width() > 0.5 * view.viewport().width() or shown.height() > 0.5 * view.viewport().height()
    assert len(window.scene.items()) >= len(window.document.graph)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = window.grab().toImage()
    assert image.save(str(SHOTS / f"{stem}.png"))
    canvas = view.viewport().grab().toImage()
    assert distinct_colours(canvas) > 20
    assert Path(SHOTS / f"{stem}.png").stat().st_size > 10_000
    assert window.document.project.name == next(e.title for e in list_examples() if e.stem == stem)
    assert f"{window.document.inference.total_params:,}" in window.counts_label.text()
    assert not window.document.inference.errors
