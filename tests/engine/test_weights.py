"""Weight files load safely (weights_only / safetensors) with sentences on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from engine.errors import TorchwireError
from engine.weights import WeightsError, load_state_dict_file


@pytest.fixture()
def state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).state_dict()


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_safetensors_pt_and_pth(state: dict[str, torch.Tensor], tmp_path: Path) -> None:
    save_file(state, str(tmp_path / "w.safetensors"))
    torch.save(state, tmp_path / "w.pt")
    torch.save(state, tmp_path / "w.pth")
    for name in ("w.safetensors", "w.pt", "w.pth"):
        assert same(load_state_dict_file(tmp_path / name), state), name


def test_format_is_sniffed_without_a_known_suffix(state: dict[str, torch.Tensor], tmp_path: Path) -> None:
    save_file(state, str(tmp_path / "weights"))
    torch.save(state, tmp_path / "weights.data")
    assert same(load_state_dict_file(tmp_path / "weights"), state)
    assert same(load_state_dict_file(tmp_path / "weights.data"), state)


def test_checkpoint_is_unwrapped(state: dict[str, torch.Tensor], tmp_path: Path) -> None:
    torch.save({"model": state, "epoch": 4, "optimizers": {"main": {"lr": 0.1}}}, tmp_path / "c.pt")
    torch.save({"state_dict": state}, tmp_path / "l.ckpt")
    assert same(load_state_dict_file(tmp_path / "c.pt"), state)
    assert same(load_state_dict_file(tmp_path / "l.ckpt"), state)


def test_pickled_module_is_refused(tmp_path: Path) -> None:
    torch.save(torch.nn.Linear(2, 2), tmp_path / "whole.pt")
    with pytest.raises(WeightsError, match=r"whole.pt: holds Python objects .* save model.state_dict\(\)"):
        load_state_dict_file(tmp_path / "whole.pt")


@pytest.mark.parametrize("content, message", [
    (None, "weights file not found"),
    (b"garbage that is not a zip", "not a readable PyTorch file"),
])
def test_missing_and_corrupt_torch_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "w.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError, match=message) as info:
        load_state_dict_file(path)
    assert isinstance(info.value, TorchwireError)


def test_corrupt_safetensors_and_non_tensors(tmp_path: Path) -> None:
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(WeightsError, match="not a valid safetensors file"):
        load_state_dict_file(tmp_path / "bad.safetensors")
    torch.save({"fc.weight": torch.zeros(1), "step": 3}, tmp_path / "mixed.pt")
    with pytest.raises(WeightsError, match="entries step are not tensors"):
        load_state_dict_file(tmp_path / "mixed.pt")
    torch.save([torch.zeros(1)], tmp_path / "list.pt")
    with pytest.raises(WeightsError, match="holds a list, not a state_dict"):
        load_state_dict_file(tmp_path / "list.pt")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(WeightsError, match="not a weights file Torchwire can read"):
        load_state_dict_file(tmp_path / "notes.txt")


def test_backbone_loads_local_weights(tmp_path: Path) -> None:
    import torchvision

    from engine.catalog.backbones import build_backbone

    source = torchvision.models.resnet18(weights=None, num_classes=3)
    save_file(source.state_dict(), str(tmp_path / "r18.safetensors"))
    built = build_backbone("resnet18", num_classes=3, weights=str(tmp_path / "r18.safetensors"))
    assert same(built.state_dict(), source.state_dict())
