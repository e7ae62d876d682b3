"""torchvision classification models import exactly (small inputs keep this fast)."""

from __future__ import annotations

import pytest
import torch

from engine.compiler import compile_graph
from engine.importer import import_model, rename_state_dict


def randomise_batchnorm(module: torch.nn.Module) -> None:
    gen = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "vgg11", "densenet121", "efficientnet_b0",
                                  "shufflenet_v2_x0_5"])
def test_torchvision_round_trip(name: str) -> None:
    torch.manual_seed(0)
    result = import_model(f"torchvision:{name}", [(1, 3, 64, 64)], verify=False)
    original = result.module
    randomise_batchnorm(original)
    model = compile_graph(result.project.graph, name=name).model.eval()
    model.load_state_dict(rename_state_dict(original.state_dict(), result.names))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert (model(x) - original.eval()(x)).abs().max().item() == 0
    if name == "resnet18":
        graph = result.project.graph
        assert graph.by_name("layer1_0_conv1").params["in_channels"] == 64
        assert graph.by_name("fc").params["out_features"] == 1000
        assert graph.by_name("flatten").kind == "Flatten"
        assert set(result.state_dict) == set(model.state_dict())  # every weight, renamed
    if name == "efficientnet_b0":  # its drop paths are nodes that act while training only
        drops = [n for n in result.project.graph if n.kind == "StochasticDepth"]
        assert len(drops) == 9 and all(n.params["mode"] == "row" for n in drops)
        ps = [n.params["p"] for n in drops]
        assert ps == sorted(ps) and 0 < ps[0] < ps[-1] < 0.2  # torchvision's rising schedule
        model.train()
        with torch.no_grad():
            kept = [torch.equal(model(x), model(x)) for _ in range(3)]
        assert not all(kept)  # random in training mode, like the original
