"""Recurrent and attention layers. All use batch-first tensors (N×L×features)."""

from __future__ import annotations

from .common import auto_int, bias, fill_auto
from .spec import LayerSpec, Param, Port


def _rnn(kind: str, help: str, states: tuple[Port, ...]) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="recurrent",
        help=help,
        target=f"torch.nn.{kind}",
        params=(
            auto_int("input_size", "Features per time step (auto: last input dimension)"),
            Param("hidden_size", "int", 64, "Features of the hidden state", minimum=1),
            Param("num_layers", "int", 1, "Stacked recurrent layers", minimum=1, maximum=16),
            bias(),
            Param("batch_first", "bool", True, "Input is N×L×F (Torchwire convention)"),
            Param("dropout", "float", 0.0, "Dropout between stacked layers", minimum=0, maximum=1),
            Param("bidirectional", "bool", False, "Run forwards and backwards"),
        ),
        inputs=(Port("x", help="Sequence N×L×F"),),
        outputs=(Port("output", help="Every step's hidden state", path=(0,)), *states),
        kwargs=lambda p, s: fill_auto(p, s, {"input_size": -1}, kind),
        name_hint=kind.lower(),
    )


SPECS = [
    _rnn("LSTM", "Long short-term memory over a sequence",
         (Port("h_n", help="Last hidden state (layers×N×H)", path=(1, 0), batch_dim=1),
          Port("c_n", help="Last cell state (layers×N×H)", path=(1, 1), batch_dim=1))),
    _rnn("GRU", "Gated recurrent unit over a sequence", (Port("h_n", help="Last hidden state (layers×N×H)", path=(1,), batch_dim=1),)),
    LayerSpec(
        kind="MultiheadAttention",
        family="recurrent",
        help="Scaled dot-product attention with several heads (batch first)",
        target="torch.nn.MultiheadAttention",
        params=(
            auto_int("embed_dim", "Model width (auto: last dimension of the query)"),
            Param("num_heads", "int", 4, "Parallel heads (must divide embed_dim)", minimum=1),
            Param("dropout", "float", 0.0, "Dropout on attention weights", minimum=0, maximum=1),
            bias(),
            Param("batch_first", "bool", True, "Tensors are N×L×E (Torchwire convention)"),
        ),
        inputs=(Port("query"), Port("key"), Port("value")),
        outputs=(Port("out", help="Attention output", path=(0,)),
                 Port("weights", help="Averaged attention weights", path=(1,))),
        kwargs=lambda p, s: fill_auto(p, s, {"embed_dim": -1}, "MultiheadAttention"),
        name_hint="attn",
    ),
    LayerSpec(
        kind="TransformerEncoderLayer",
        family="recurrent",
        help="Self-attention + feed-forward block of a transformer encoder",
        target="torch.nn.TransformerEncoderLayer",
        params=(
            auto_int("d_model", "Model width (auto: last input dimension)"),
            Param("nhead", "int", 4, "Attention heads (must divide d_model)", minimum=1),
            Param("dim_feedforward", "int", 256, "Width of the feed-forward layer", minimum=1),
            Param("dropout", "float", 0.1, "Dropout rate", minimum=0, maximum=1),
            Param("activation", "choice", "relu", "Feed-forward activation", choices=("relu", "gelu")),
            Param("batch_first", "bool", True, "Tensors are N×L×E (Torchwire convention)"),
            Param("norm_first", "bool", False, "Pre-norm (more stable for deep stacks)"),
        ),
        kwargs=lambda p, s: fill_auto(p, s, {"d_model": -1}, "TransformerEncoderLayer"),
        name_hint="encoder",
    ),
]
