"""Convolutions: Conv1d, Conv2d and the transposed Conv2d."""

from __future__ import annotations

from .common import auto_int, bias, fill_auto, ints
from .spec import LayerSpec, Param


def _conv_params(dims: int, transposed: bool) -> tuple[Param, ...]:
    ones = (1,) * dims
    params = [
        auto_int("in_channels", "Channels of the input (auto: from the incoming shape)"),
        Param("out_channels", "int", 16, "Channels produced by the convolution", minimum=1),
        ints("kernel_size", (3,) * dims, "Size of the convolving kernel", dims, minimum=1),
        ints("stride", ones, "Stride of the convolution", dims, minimum=1),
        ints("padding", (0,) * dims, "Zero-padding added to each side", dims),
    ]
    if transposed:
        params.append(ints("output_padding", (0,) * dims, "Extra size added to one side of the output", dims))
    params += [
        ints("dilation", ones, "Spacing between kernel elements", dims, minimum=1),
        Param("groups", "int", 1, "Blocked connections from input to output channels", minimum=1),
        bias(),
    ]
    if not transposed:
        params.append(
            Param("padding_mode", "choice", "zeros", "How padding is filled",
                  choices=("zeros", "reflect", "replicate", "circular"))
        )
    return tuple(params)


def _conv(kind: str, target: str, dims: int, help: str, transposed: bool = False) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="convolution",
        help=help,
        target=target,
        params=_conv_params(dims, transposed),
        kwargs=lambda p, s: fill_auto(p, s, {"in_channels": 1}, kind),
        name_hint="deconv" if transposed else "conv",
    )


SPECS = [
    _conv("Conv1d", "torch.nn.Conv1d", 1, "1-D convolution over N×C×L (sequences, signals)"),
    _conv("Conv2d", "torch.nn.Conv2d", 2, "2-D convolution over N×C×H×W images"),
    _conv("ConvTranspose2d", "torch.nn.ConvTranspose2d", 2,
          "Transposed 2-D convolution (learned upsampling)", transposed=True),
]
