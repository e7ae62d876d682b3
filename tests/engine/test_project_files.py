"""Project files: round trip, atomic save, and a located sentence for each bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from seed_graphs import mnist_cnn

from engine.errors import ProjectError
from engine.project import FORMAT_VERSION, Project, load_project, save_project


def saved(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    project = Project(graph=mnist_cnn(), name="MNIST CNN", description="LeCun-style CNN")
    project.graph.move_node(project.graph.by_name("conv1").id, (120.5, -40))
    path = save_project(project, tmp_path / "cnn.json")
    return path, json.loads(path.read_text())


def test_round_trip_keeps_graph_positions_and_settings(tmp_path: Path) -> None:
    path, raw = saved(tmp_path)
    assert raw["format"] == FORMAT_VERSION
    loaded = load_project(path)
    assert loaded.graph.by_name("conv1").pos == (120.5, -40.0)
    original = Project(graph=mnist_cnn())
    original.graph.move_node(original.graph.by_name("conv1").id, (120.5, -40))
    assert loaded.graph == original.graph
    assert [e for e in loaded.graph.edges] == original.graph.edges
    assert loaded.name == "MNIST CNN" and loaded.description == "LeCun-style CNN"
    assert loaded.training == original.training and loaded.data == original.data
    assert loaded.path == path.resolve()


def test_missing_params_are_filled_from_defaults(tmp_path: Path) -> None:
    path, raw = saved(tmp_path)
    conv = next(n for n in raw["graph"]["nodes"] if n["name"] == "conv1")
    del conv["params"]["padding"], conv["params"]["bias"]
    path.write_text(json.dumps(raw))
    node = load_project(path).graph.by_name("conv1")
    assert node.params["padding"] == (0, 0) and node.params["bias"] is True


def bad(tmp_path: Path, raw: Any, text: str | None = None) -> str:
    path = tmp_path / "bad.json"
    path.write_text(text if text is not None else json.dumps(raw))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    return str(info.value)


def test_each_bad_input_names_the_place(tmp_path: Path) -> None:
    _, raw = saved(tmp_path)
    nodes = raw["graph"]["nodes"]

    msg = bad(tmp_path, None, text='{"format": 1, "graph": {"nodes": [}')
    assert "not valid JSON" in msg and "line 1, column 35" in msg

    r = json.loads(json.dumps(raw))
    r["graph"]["nodes"][1]["kind"] = "Conv9d"
    assert "graph.nodes[1].kind: unknown layer kind 'Conv9d' (node 'conv1')" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["graph"]["nodes"][1]["params"]["out_channels"] = "ten"
    assert "graph.nodes[1].params.out_channels: out_channels must be a whole number" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["graph"]["nodes"][1]["params"]["out_channels"] = -3
    assert "graph.nodes[1].params.out_channels: out_channels must be at least 1" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["graph"]["edges"][0]["dst"] = "n999"
    assert "graph.edges[0].dst: edge refers to missing node id 'n999'" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["graph"]["nodes"][2]["name"] = nodes[1]["name"]
    assert "graph.nodes[2].name: a node named 'conv1' already exists" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["graph"]["nodes"][0]["pos"] = "left"
    assert "graph.nodes[0].pos" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["training"]["epochs"] = 0
    assert "training.epochs" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["surprise"] = 1
    assert "surprise" in bad(tmp_path, r)

    r = json.loads(json.dumps(raw))
    r["format"] = FORMAT_VERSION + 1
    assert "newer Torchwire" in bad(tmp_path, r)

    assert "is this a Torchwire project" in bad(tmp_path, {"nodes": []})
    assert "file not found" in str(pytest.raises(ProjectError, load_project, tmp_path / "nope.json").value)


def test_cycle_in_file_is_refused(tmp_path: Path) -> None:
    _, raw = saved(tmp_path)
    ids = {n["name"]: n["id"] for n in raw["graph"]["nodes"]}
    raw["graph"]["edges"].append({"src": ids["fc2"], "src_port": "out", "dst": ids["relu3"],
                                  "dst_port": "x"})
    assert "already receives" in bad(tmp_path, raw)


def test_atomic_save_leaves_old_file_when_writing_fails(tmp_path: Path, monkeypatch: Any) -> None:
    path, raw = saved(tmp_path)
    before = path.read_bytes()
    project = load_project(path)
    project.graph.rename_node(project.graph.by_name("conv1").id, "first_conv")

    def boom(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ProjectError, match="No space left on device"):
        save_project(project, path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["cnn.json"]  # no temp file left behind
    save_project(project, path)
    assert load_project(path).graph.by_name("first_conv")


def test_save_without_path_is_a_clear_error() -> None:
    with pytest.raises(ProjectError, match="Save As"):
        save_project(Project())
