# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""ResNet → bidirectional LSTM → multi-head attention, as a transformers image classifier.

This file is copied into every saved checkpoint and imported there without the `face_attributes`
package (trust_remote_code), so it imports only torch, transformers and the config beside it.
"""

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoBackbone, AutoConfig, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import ImageClassifierOutput
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.utils import ModelOutput

from .configuration_resnet_lstm_attention import ResNetLstmAttentionConfig

# Written into config.json on save, so that AutoConfig, AutoModel and AutoModelForImageClassification all
# find the code files copied beside the weights.
AUTO_MAP = {
    "AutoConfig": "configuration_resnet_lstm_attention.ResNetLstmAttentionConfig",
    "AutoModel": "modeling_resnet_lstm_attention.ResNetLstmAttentionModel",
    "AutoModelForImageClassification": "modeling_resnet_lstm_attention.ResNetLstmAttentionForImageClassification",
}
# The `face-attributes` pipeline travels with the weights too, when its files sit beside this one (in the package, or
# in a folder saved with them): config.json's `custom_pipelines` then names it for transformers' `pipeline()`.
PIPELINE_FILES = ("pipeline_face_attributes.py", "face_geometry.py")
CUSTOM_PIPELINES = {
    "face-attributes": {
        "impl": "pipeline_face_attributes.FaceAttributesPipeline",
        "pt": ["AutoModelForImageClassification"],
        "type": "image",
    }
}


@dataclass
class ResNetLstmAttentionModelOutput(ModelOutput):
    r"""
    The model reads the image in three steps, like DETR's backbone → encoder → decoder: the backbone's feature map
    becomes H·W tokens in raster order, the sequence encoder (LSTM, GRU or none) puts each token in context, and
    the attention layer (absent with `pooling="global_average"`) turns them into what the classifier reads.

    last_hidden_state (`torch.FloatTensor`):
        The output of the last layer, the one the `attentions` belong to. `pooling="attribute_queries"`:
        `(batch_size, num_labels, hidden)`, one vector per label query. `pooling="self_attention_mean"`:
        `(batch_size, height * width, hidden)`, the attended tokens. `pooling="global_average"` (no attention): the
        encoded tokens, `(batch_size, height * width, hidden)`. `hidden` is `config.attention_hidden_size`.
    pooler_output (`torch.FloatTensor`):
        What the classifier reads: `(batch_size, num_labels, hidden)` for `"attribute_queries"` (the same
        tensor as `last_hidden_state`), the mean of `last_hidden_state` over tokens `(batch_size, hidden)` for
        `"self_attention_mean"` and `"global_average"`.
    encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, height * width, hidden)`):
        The sequence encoder's output: every token in context (the tokens themselves with
        `sequence_encoder="none"`). The attention's keys are computed from it.
    hidden_states (`tuple(torch.FloatTensor)`, *optional*):
        With `output_hidden_states=True`: the backbone's maps `(batch_size, channels, height, width)` of the stem
        and of every stage up to the token stage (as transformers' ResNet returns them), then the sequence
        states `(batch_size, sequence, hidden)`: the encoder's output and, with an attention layer, its output.
        `hidden_states[-1]` is `last_hidden_state`.
    attentions (`tuple(torch.FloatTensor)`, *optional*):
        With `output_attentions=True` (pooling with attention only): `(attention_weights,)` of shape
        `(batch_size, num_heads, num_queries, height * width)`; `num_queries` is `num_labels` for
        `"attribute_queries"` and `height * width` for `"self_attention_mean"`. Each row sums to 1 over the tokens,
        and the weights lie on the path to `last_hidden_state` and the logits.
    """

    last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def feature_map_to_tokens(feature_map: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, H*W, C); token t is the spatial position (t // W, t % W)."""
    # A plain .view(B, H*W, C) would cut the channel-major memory into slices of single channels.
    return feature_map.flatten(2).transpose(1, 2)  # (B, H*W, C)


def pool_to_token_grid(feature_map: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """(B, C, H, W) of an earlier stage → (B, h*w, C) on the token grid (h, w), in raster order.

    Token i of a stride-f grid sits over position f·i of this map (as a strided convolution centres it), so each
    token gets the mean of the (2f-1)-wide window centred there, not of the f×f block below and right of it.
    """
    factor = round(feature_map.shape[-2] / grid[0])
    if factor > 1:
        feature_map = nn.functional.avg_pool2d(feature_map, 2 * factor - 1, factor, factor - 1, count_include_pad=False)
    if tuple(feature_map.shape[-2:]) != tuple(grid):  # a backbone whose stages do not halve the map exactly
        feature_map = nn.functional.adaptive_avg_pool2d(feature_map, grid)
    return feature_map_to_tokens(feature_map)  # (B, h*w, C)


def tokens_to_finer_grid(tokens: torch.Tensor, grid: tuple[int, int], finer_grid: tuple[int, int]) -> torch.Tensor:
    """(B, h*w, D) on the token grid → (B, H*W, D) on a finer grid of an earlier stage, each position taking the
    token nearest to it: token i of a grid f times coarser sits over position f·i (as a strided convolution centres
    it), so position p takes token round(p / f), ties going to the later token."""
    factor = round(finer_grid[0] / grid[0])

    def nearest_token(positions: int, token_count: int) -> torch.Tensor:
        position = torch.arange(positions, device=tokens.device)
        return torch.div(position + factor // 2, factor, rounding_mode="floor").clamp(max=token_count - 1)

    rows, columns = nearest_token(finer_grid[0], grid[0]), nearest_token(finer_grid[1], grid[1])
    index = rows[:, None] * grid[1] + columns  # (H, W): the token number under each position
    return tokens[:, index.flatten()]  # (B, H*W, D)


def sine_position_encoding(height: int, width: int, dim: int, device, dtype) -> torch.Tensor:
    """DETR-style 2D sine/cosine encoding of the token grid in raster order: (H*W, dim), any grid size."""
    quarter = dim // 4
    frequencies = 1.0 / (10000 ** (torch.arange(quarter, device=device, dtype=torch.float32) / quarter))
    # Positions as fractions of the grid, so maps of different sizes share one scale.
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) / height * 2 * torch.pi
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) / width * 2 * torch.pi
    y_angles = ys[:, None] * frequencies  # (H, dim/4)
    x_angles = xs[:, None] * frequencies  # (W, dim/4)
    y_code = torch.cat([y_angles.sin(), y_angles.cos()], dim=-1)[:, None].expand(-1, width, -1)  # (H, W, dim/2)
    x_code = torch.cat([x_angles.sin(), x_angles.cos()], dim=-1)[None].expand(height, -1, -1)  # (H, W, dim/2)
    code = torch.cat([y_code, x_code], dim=-1).reshape(height * width, 2 * 2 * quarter)  # (H*W, dim')
    return nn.functional.pad(code, (0, dim - code.shape[-1])).to(dtype)  # (H*W, dim)


class ResNetLstmAttentionBackboneMaps(GradientCheckpointingLayer):
    """Runs the backbone and returns the stem's and each stage's maps (B, C_i, H_i, W_i) up to the token stage.

    A layer of its own, holding no weights (the backbone is passed in, so its weights keep their names), so that
    activation checkpointing recomputes the backbone through transformers' mechanism in every variant, the plain
    ResNet included.
    """

    def __init__(self, token_stage_index: int):
        super().__init__()
        self.token_stage_index = token_stage_index

    def forward(self, pixel_values: torch.Tensor, backbone: nn.Module) -> tuple[torch.Tensor, ...]:
        hidden_states = backbone(pixel_values, output_hidden_states=True).hidden_states
        return tuple(hidden_states[: self.token_stage_index + 1])


class ResNetLstmAttentionSequenceEncoder(GradientCheckpointingLayer):
    """Reads the spatial tokens with an LSTM or GRU, kept in fp32 even inside autocast.

    With `sequence_residual`, each output is LayerNorm(recurrent output + a projection of the token itself): a
    token keeps its own content beside the context the encoder adds, so attention over tokens stays spatial.
    """

    def __init__(self, config: ResNetLstmAttentionConfig, input_size: int):
        super().__init__()
        self.residual = nn.Linear(input_size, config.attention_hidden_size) if config.sequence_residual else None
        self.norm = nn.LayerNorm(config.attention_hidden_size) if config.sequence_residual else None
        recurrent_class = nn.LSTM if config.sequence_encoder == "lstm" else nn.GRU
        self.rnn = recurrent_class(
            input_size=input_size,
            hidden_size=config.lstm_hidden_size,
            num_layers=config.lstm_num_layers,
            bidirectional=config.lstm_bidirectional,
            dropout=config.lstm_dropout if config.lstm_num_layers > 1 else 0.0,
            batch_first=True,
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.is_cuda:  # DDP/DataParallel can leave the weights non-contiguous; cuDNN warns and copies otherwise
            self.rnn.flatten_parameters()
        # On a CPU, bf16 autocast runs the recurrence in bf16 through oneDNN, 2-3x faster than in fp32
        # (docs/benchmarks.md); on a GPU cuDNN's autocast would force fp16, so it runs in fp32 there. Without autocast,
        # nothing changes.
        keep_fp32 = tokens.device.type != "cpu"
        with torch.autocast(device_type=tokens.device.type, enabled=False) if keep_fp32 else contextlib.nullcontext():
            sequence, _ = self.rnn(tokens.to(self.rnn.weight_ih_l0.dtype) if keep_fp32 else tokens)  # (B, N, D)
        if self.residual is not None:
            sequence = self.norm(sequence + self.residual(tokens))
        return sequence


def sparsemax(scores: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection of the scores onto the simplex, exact by sorting.
    Positions below the threshold τ get exactly zero; autograd through τ gives the exact Jacobian."""
    scores = scores.transpose(dim, -1)
    ranked, _ = torch.sort(scores, dim=-1, descending=True)
    k = torch.arange(1, scores.shape[-1] + 1, device=scores.device, dtype=scores.dtype)
    cumulative = ranked.cumsum(dim=-1)
    support = (1 + k * ranked > cumulative).sum(dim=-1, keepdim=True)  # how many positions stay above zero
    tau = (cumulative.gather(-1, support - 1) - 1) / support.to(scores.dtype)
    return torch.clamp(scores - tau, min=0).transpose(dim, -1)


def entmax15(scores: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """1.5-entmax (Peters, Niculae & Martins 2019), exact by sorting: p = max(z/2 - τ, 0)², between softmax and
    sparsemax; tested against the `entmax` package."""
    scores = scores.transpose(dim, -1) / 2
    scores = scores - scores.max(dim=-1, keepdim=True).values
    ranked, _ = torch.sort(scores, dim=-1, descending=True)
    k = torch.arange(1, scores.shape[-1] + 1, device=scores.device, dtype=scores.dtype)
    mean = ranked.cumsum(dim=-1) / k
    mean_of_squares = (ranked**2).cumsum(dim=-1) / k
    delta = (1 - k * (mean_of_squares - mean**2)) / k
    tau = mean - torch.sqrt(torch.clamp(delta, min=0))
    support = (tau <= ranked).sum(dim=-1, keepdim=True)
    tau_star = tau.gather(-1, support - 1)
    return (torch.clamp(scores - tau_star, min=0) ** 2).transpose(dim, -1)


# config.attention_normalization → scores (…, N) to weights summing to 1 over N.
NORMALIZATIONS = {
    "softmax": lambda scores, dim: nn.functional.softmax(scores, dim=dim),
    "sparsemax": sparsemax,
    "entmax15": entmax15,
}


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalize(q·kᵀ)·v with the weights returned: (B, Q, heads, head_dim), (B, heads, Q, N). The normalization is
    `config.attention_normalization` (softmax unless the config says otherwise), computed in fp32."""
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling  # (B, heads, Q, N)
    if attention_mask is not None:
        weights = weights + attention_mask
    normalize = NORMALIZATIONS[getattr(module.config, "attention_normalization", "softmax")]
    weights = normalize(weights.float(), dim=-1).to(query.dtype)
    weights = nn.functional.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()  # (B, Q, heads, head_dim)
    return output, weights


class ResNetLstmAttentionInputProjection(nn.Linear):
    """A query/key/value projection: a Linear with nn.MultiheadAttention's init (Xavier weight, zero bias).

    Its own class because transformers initialises children before parents and then leaves them alone: the
    attention module cannot re-initialise its projections afterwards.
    """


class ResNetLstmAttentionMultiHeadAttention(GradientCheckpointingLayer):
    """Multi-head attention through transformers' attention interface (`config._attn_implementation`).

    The configured backend (SDPA by default) runs when no weights are requested; `output_attentions=True`
    runs the eager function, the only one that returns the weights. Values may have another width than the
    queries and keys (`value_size`): the attribute queries read backbone features (`config.value_stage`).
    """

    def __init__(self, config: ResNetLstmAttentionConfig, value_size: int):
        super().__init__()
        self.config = config
        hidden_size = config.attention_hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = hidden_size // self.num_heads
        self.scaling = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        self.is_causal = False  # read by the SDPA and flash backends
        self.q_proj = ResNetLstmAttentionInputProjection(hidden_size, hidden_size)
        self.k_proj = ResNetLstmAttentionInputProjection(hidden_size, hidden_size)
        self.v_proj = ResNetLstmAttentionInputProjection(value_size, hidden_size)
        self.o_proj = nn.Linear(hidden_size, hidden_size)

    def forward(
        self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, num_queries, _ = queries.shape
        query = self.q_proj(queries).view(batch, num_queries, self.num_heads, self.head_dim).transpose(1, 2)
        key = self.k_proj(keys).view(batch, -1, self.num_heads, self.head_dim).transpose(1, 2)  # (B, heads, N, hd)
        value = self.v_proj(values).view(batch, -1, self.num_heads, self.head_dim).transpose(1, 2)  # (B, heads, N, hd)

        attention_interface: Callable = eager_attention_forward
        if not output_attentions and self.config.attention_normalization == "softmax":  # the backends are softmax
            attention_interface = ALL_ATTENTION_FUNCTIONS.get_interface(
                self.config._attn_implementation, eager_attention_forward
            )
        output, weights = attention_interface(
            self, query, key, value, None, dropout=self.dropout if self.training else 0.0, scaling=self.scaling
        )  # (B, Q, heads, head_dim), (B, heads, Q, N) or None
        output = self.o_proj(output.reshape(batch, num_queries, -1))  # (B, Q, D)
        return output, (weights if output_attentions else None)


class ResNetLstmAttentionQueryClassifier(nn.Module):
    """A separate linear read-out per label: logit l only sees query l's output."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(config.num_labels, config.attention_hidden_size))
        self.bias = nn.Parameter(torch.zeros(config.num_labels))

    def forward(self, per_label: torch.Tensor) -> torch.Tensor:
        return (per_label * self.weight).sum(dim=-1) + self.bias  # (B, L, D) → (B, L)


@dataclass
class ResNetLstmAttentionPoolerInputs:
    """What the model hands every pooler; each reads what it needs (`token_grid` is the tokens' (h, w))."""

    maps: tuple[torch.Tensor, ...]  # the stem's and each stage's map up to the token stage, (B, C_i, H_i, W_i)
    tokens: torch.Tensor  # (B, h*w, C): the token stage's map in raster order
    encoded: torch.Tensor  # (B, h*w, D): the sequence encoder's output
    queries: torch.Tensor | None = None  # (B, L, D): the model's learned query per label, for per-label poolers

    @property
    def token_grid(self) -> tuple[int, int]:
        return tuple(self.maps[-1].shape[-2:])


def with_positions(keys: torch.Tensor, grid: tuple[int, int], position_encoding: bool) -> torch.Tensor:
    """Attention keys (B, N, D) plus where each sits on the grid when `position_encoding` (keys only, as in DETR)."""
    if not position_encoding:
        return keys
    return keys + sine_position_encoding(*grid, keys.shape[-1], keys.device, keys.dtype)  # (B, N, D)


class ResNetLstmAttentionPooler(nn.Module):
    """A pooling: `forward(inputs, output_attentions)` → (last_hidden_state, pooled_output, attention weights or None).

    Class flags tell the model and the tools what it gives: `has_attention_maps` (weights over positions),
    `per_label_outputs` ((B, L, D) out, one learned query per label in). `attention_stage_index` is the hidden state
    whose grid its attention lies on (the token stage unless the pooler says otherwise).
    """

    has_attention_maps = False
    per_label_outputs = False

    def __init__(self, config: ResNetLstmAttentionConfig, backbone: "ResNetBackboneAdapter"):
        super().__init__()
        self.attention_stage_index = backbone.token_stage_index


class ResNetLstmAttentionQueryPooler(ResNetLstmAttentionPooler):
    """`"attribute_queries"`: the model's learned query per label cross-attends over the tokens (the encoded tokens
    with their positions as keys, the value stage's features as values); query l's output feeds only logit l
    (Query2Label)."""

    has_attention_maps = True
    per_label_outputs = True  # one learned query per label, and (B, L, D) out: the head reads each with its own weights

    def __init__(self, config: ResNetLstmAttentionConfig, backbone: "ResNetBackboneAdapter"):
        super().__init__(config, backbone)
        self.position_encoding = config.position_encoding
        self.token_stage_index = backbone.token_stage_index
        # The queries read the value stage's features under the tokens their keys point at.
        self.value_stage_index = backbone.stage_names.index(config.value_stage)
        value_size = backbone.channels[self.value_stage_index]
        self.local_keys = config.attention_keys == "local"
        # With attention_grid="value_stage", a key on the finer grid adds each position's own features to the token
        # over it: without them the positions under one token would differ only by their position code. With local
        # keys, they are the whole key.
        self.value_keys = None
        if config.attention_grid == "value_stage" or self.local_keys:
            self.value_keys = nn.Linear(value_size, config.attention_hidden_size)
        if config.attention_grid == "value_stage":
            self.attention_stage_index = self.value_stage_index
        # Local keys leave the sequence encoder out of the keys: its summary of the face goes into the queries.
        self.query_context = (
            nn.Linear(config.attention_hidden_size, config.attention_hidden_size) if self.local_keys else None
        )
        self.attention = ResNetLstmAttentionMultiHeadAttention(config, value_size=value_size)

    def keys_and_values(self, inputs: ResNetLstmAttentionPoolerInputs) -> tuple[torch.Tensor, torch.Tensor]:
        """(keys (B, N, D), values (B, N, C')). On the token grid, each token's value is the value stage's features
        under it; with `attention_grid="value_stage"` the N positions are the value stage's own (finer) grid."""
        maps, token_grid = inputs.maps, inputs.token_grid
        if self.local_keys:
            value_map = maps[self.value_stage_index]  # (B, C', H, W)
            if self.attention_stage_index == self.value_stage_index:  # the value stage's own grid
                grid, values = value_map.shape[-2:], feature_map_to_tokens(value_map)  # (B, H*W, C')
            else:
                grid, values = token_grid, pool_to_token_grid(value_map, token_grid)  # (B, h*w, C')
            return with_positions(self.value_keys(values), grid, self.position_encoding), values
        if self.value_keys is not None:
            value_map = maps[self.value_stage_index]  # (B, C', H, W), H×W finer than the tokens
            values = feature_map_to_tokens(value_map)  # (B, H*W, C')
            keys = tokens_to_finer_grid(inputs.encoded, token_grid, value_map.shape[-2:]) + self.value_keys(values)
            return with_positions(keys, value_map.shape[-2:], self.position_encoding), values
        keys = with_positions(inputs.encoded, token_grid, self.position_encoding)  # (B, h*w, D)
        if self.value_stage_index == self.token_stage_index:
            return keys, inputs.tokens
        return keys, pool_to_token_grid(maps[self.value_stage_index], token_grid)  # (B, h*w, C')

    def queries(self, inputs: ResNetLstmAttentionPoolerInputs) -> torch.Tensor:
        """The learned queries (B, L, D); with local keys, plus the sequence encoder's summary of this face."""
        if self.query_context is None:
            return inputs.queries
        return inputs.queries + self.query_context(inputs.encoded.mean(dim=1)).unsqueeze(1)  # (B, L, D)

    def forward(self, inputs: ResNetLstmAttentionPoolerInputs, output_attentions: bool = False):
        keys, values = self.keys_and_values(inputs)
        per_label, weights = self.attention(self.queries(inputs), keys, values, output_attentions)  # (B, L, D)
        return per_label, per_label, weights


class ResNetLstmAttentionSelfAttentionMeanPooler(ResNetLstmAttentionPooler):
    """`"self_attention_mean"` (the seed's design): self-attention over the encoded tokens, then their mean."""

    has_attention_maps = True

    def __init__(self, config: ResNetLstmAttentionConfig, backbone: "ResNetBackboneAdapter"):
        super().__init__(config, backbone)
        self.position_encoding = config.position_encoding
        self.attention = ResNetLstmAttentionMultiHeadAttention(config, value_size=config.attention_hidden_size)

    def keys_and_values(self, inputs: ResNetLstmAttentionPoolerInputs) -> tuple[torch.Tensor, torch.Tensor]:
        """(keys (B, H*W, D): the encoded tokens with their positions, values: the encoded tokens)."""
        return with_positions(inputs.encoded, inputs.token_grid, self.position_encoding), inputs.encoded

    def forward(self, inputs: ResNetLstmAttentionPoolerInputs, output_attentions: bool = False):
        keys, values = self.keys_and_values(inputs)  # (B, H*W, D) each
        attended, weights = self.attention(keys, keys, values, output_attentions)  # (B, H*W, D)
        return attended, attended.mean(dim=1), weights  # pooled: (B, D)


class ResNetLstmAttentionAveragePooler(ResNetLstmAttentionPooler):
    """`"global_average"`: no attention, the mean of the encoded tokens (the plain ResNet's global average pool)."""

    def forward(self, inputs: ResNetLstmAttentionPoolerInputs, output_attentions: bool = False):
        return inputs.encoded, inputs.encoded.mean(dim=1), None  # (B, H*W, D), (B, D)


# `config.pooling` → the pooler (the config checks the name). Code outside this file asks the pooler what it has.
POOLERS = {
    "attribute_queries": ResNetLstmAttentionQueryPooler,
    "self_attention_mean": ResNetLstmAttentionSelfAttentionMeanPooler,
    "global_average": ResNetLstmAttentionAveragePooler,
}

# Folders saved before the poolers were modules hold the attention weights on the base model itself, and folders
# saved before the query pooler built its own inputs hold its value keys there too.
WEIGHT_PATHS_BEFORE_POOLERS = {
    r"^model\.attention\.": "model.pooler.attention.",
    r"^attention\.": "pooler.attention.",
    r"^model\.value_keys\.": "model.pooler.value_keys.",
    r"^value_keys\.": "pooler.value_keys.",
}


class ResNetBackboneAdapter:
    """Everything the model knows about its backbone, in one place: stage names and channels, the token stage,
    building it, pruning the stages after the token stage, the modules each stage name freezes and loading pretrained
    weights. Written for transformers' ResNet; an `AutoBackbone` laid out like it (a stem, then `encoder.stages`, as
    ConvNeXt is) works through it too. Not a module: it holds no weights, so the backbone's keep their names."""

    def __init__(self, backbone: nn.Module):
        self.backbone = backbone
        self.stage_names = list(backbone.stage_names)  # "stem", "stage1", ...
        self.channels = list(backbone.num_features)  # per stage name
        self.token_stage_index = self.stage_names.index(backbone.out_features[-1])  # in hidden_states, stem = 0

    @staticmethod
    def build(backbone_config) -> nn.Module:
        # transformers passes the model's attention backend down to the backbone config, and a ResNet backbone refuses
        # "sdpa" although it has no attention at all: build it without that choice, then let it accept any.
        requested, backbone_config._attn_implementation_internal = backbone_config._attn_implementation, None
        backbone = AutoBackbone.from_config(backbone_config)
        backbone._supports_sdpa = True
        backbone_config._attn_implementation_internal = requested or backbone_config._attn_implementation
        # The model reads the stages' raw maps (hidden_states); the norms some backbones (ConvNeXt) put on their
        # out_features maps lie off that path, and a weight without a gradient would stop DDP: they stay fixed.
        for parameter in getattr(backbone, "hidden_states_norms", nn.Module()).parameters():
            parameter.requires_grad_(False)
        return backbone

    def _stages(self) -> nn.ModuleList | None:
        stages = getattr(getattr(self.backbone, "encoder", None), "stages", None)
        return stages if isinstance(stages, nn.ModuleList) else None

    def prune_after_token_stage(self) -> None:
        """A ResNet-style backbone runs all its stages in turn; stages after the token stage would be computed and
        thrown away (layer4 is a fifth of ResNet-18's compute), so they are removed."""
        if (stages := self._stages()) is not None:
            del stages[self.token_stage_index :]  # stages[k - 1] is "stageK"

    def stage_modules(self) -> dict[str, nn.Module]:
        """{"stem": the stem, "stageK": the K-th stage} for the stages built, e.g. to freeze them."""
        stem = getattr(self.backbone, "embedder", None) or getattr(self.backbone, "embeddings", None)
        stages = self._stages()
        if stem is None or stages is None:
            raise ValueError(f"{type(self.backbone).__name__} is not laid out as a stem + encoder.stages.")
        return {"stem": stem, **{f"stage{i + 1}": stage for i, stage in enumerate(stages)}}

    def load_pretrained(self, name_or_path: str, **hub_kwargs) -> None:
        """Copy the weights of a saved backbone (a Hub id or a `save_pretrained` folder of the same architecture) into
        the stages built; a missing or misshapen weight is an error."""
        # The concrete backbone class, not AutoBackbone.from_pretrained: the latter asks the Hub whether the
        # repo exists even for a local folder, which fails offline.
        from transformers.models.auto.modeling_auto import MODEL_FOR_BACKBONE_MAPPING

        try:
            source_config = AutoConfig.from_pretrained(name_or_path, **hub_kwargs)
            source = MODEL_FOR_BACKBONE_MAPPING[type(source_config)].from_pretrained(
                name_or_path, out_features=self.backbone.out_features, **hub_kwargs
            )
        except OSError as error:
            raise OSError(
                f"Could not load backbone weights {name_or_path!r}. Without network, pass a local folder written by "
                "`save_pretrained` instead (e.g. ResNetForImageClassification.from_pretrained('microsoft/resnet-18')"
                ".save_pretrained('resnet-18') on a machine with network), or start from random weights. "
                f"Cause: {error}"
            ) from error
        own = self.backbone.state_dict()
        weights = {name: value for name, value in source.state_dict().items() if name in own}
        try:
            self.backbone.load_state_dict(weights)
        except RuntimeError as error:
            raise ValueError(
                f"The backbone weights in {name_or_path!r} do not fit `backbone_config` "
                f"(layout {source.config.to_dict().get('hidden_sizes')}): build the model with that checkpoint's "
                f"backbone config. Details: {error}"
            ) from error


class ResNetLstmAttentionPreTrainedModel(PreTrainedModel):
    config_class = ResNetLstmAttentionConfig
    config: ResNetLstmAttentionConfig
    base_model_prefix = "model"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _no_split_modules = ["ResNetLstmAttentionSequenceEncoder", "ResNetLstmAttentionMultiHeadAttention"]

    def _init_weights(self, module):
        if isinstance(module, ResNetLstmAttentionInputProjection):
            # nn.MultiheadAttention's init, which the attention was designed and tuned with (see README numbers).
            init.xavier_uniform_(module.weight)
            init.zeros_(module.bias)
            return
        super()._init_weights(module)
        if isinstance(module, ResNetLstmAttentionModel) and module.attribute_queries is not None:
            init.normal_(module.attribute_queries, std=0.02)
        elif isinstance(module, nn.GRU):  # transformers initialises nn.LSTM the same way
            for name, parameter in module.named_parameters():
                (init.xavier_uniform_ if "weight" in name else init.zeros_)(parameter)
        elif isinstance(module, ResNetLstmAttentionQueryClassifier):
            init.normal_(module.weight, std=0.02)
            init.zeros_(module.bias)

    @classmethod
    def from_pretrained(cls, *args, key_mapping: dict[str, str] | None = None, **kwargs):
        loaded = super().from_pretrained(
            *args, key_mapping={**WEIGHT_PATHS_BEFORE_POOLERS, **(key_mapping or {})}, **kwargs
        )
        # transformers would save a renamed folder back in its old layout; save every folder in the current one.
        (loaded[0] if isinstance(loaded, tuple) else loaded)._weight_conversions = None
        return loaded

    @property
    def has_attention_maps(self) -> bool:
        """Whether the pooler attends over the tokens (`output_attentions=True` then returns its weights)."""
        return self.base_model.pooler.has_attention_maps

    @property
    def per_label_attention_maps(self) -> bool:
        """Whether every label has an attention map of its own (else one map stands for all of them)."""
        return self.base_model.pooler.per_label_outputs

    def save_pretrained(self, save_directory, *args, **kwargs):
        self.config.auto_map = {**AUTO_MAP, **(getattr(self.config, "auto_map", None) or {})}
        here = os.path.dirname(os.path.abspath(__file__))
        pipeline_files = [os.path.join(here, name) for name in PIPELINE_FILES]
        with_pipeline = all(os.path.isfile(path) for path in pipeline_files)
        # A folder names the pipeline only when it holds its code (a model loaded without it saves without it).
        self.config.custom_pipelines = CUSTOM_PIPELINES if with_pipeline else {}
        saved = super().save_pretrained(save_directory, *args, **kwargs)
        if with_pipeline and kwargs.get("is_main_process", True):
            for path in pipeline_files:
                shutil.copy(path, save_directory)
        return saved

    def load_pretrained_backbone(self, name_or_path: str = "microsoft/resnet-18", **hub_kwargs) -> None:
        """Copy ImageNet weights into the backbone, after transformers' weight init so they are kept.

        `name_or_path` is a Hub id (default `microsoft/resnet-18`) or a local folder written by
        `save_pretrained` (an `AutoBackbone`, `…Model` or `…ForImageClassification` checkpoint of the backbone's
        architecture).
        """
        self.base_model.backbone_adapter.load_pretrained(name_or_path, **hub_kwargs)


class ResNetLstmAttentionModel(ResNetLstmAttentionPreTrainedModel):
    """Backbone feature map → spatial tokens → sequence encoder → pooler (attention over the tokens, or their mean)."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__(config)
        self.backbone = ResNetBackboneAdapter.build(config.backbone_config)
        self.backbone_adapter = ResNetBackboneAdapter(self.backbone)
        self.backbone_adapter.prune_after_token_stage()
        self.token_stage_index = self.backbone_adapter.token_stage_index
        self.backbone_maps_layer = ResNetLstmAttentionBackboneMaps(self.token_stage_index)
        self.sequence_encoder = None
        if config.sequence_encoder != "none":
            token_channels = self.backbone_adapter.channels[self.token_stage_index]
            self.sequence_encoder = ResNetLstmAttentionSequenceEncoder(config, input_size=token_channels)
        pooler_class = POOLERS[config.pooling]
        # One learned query per label for a per-label pooler, registered here rather than in the pooler: it comes
        # first in the parameter order, which gradient-norm clipping sums in, and where saved folders keep it.
        self.attribute_queries = None
        if pooler_class.per_label_outputs:
            self.attribute_queries = nn.Parameter(torch.empty(config.num_labels, config.attention_hidden_size))
        self.pooler = pooler_class(config, self.backbone_adapter)
        self.post_init()

    def backbone_maps(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The stem's and each stage's maps (B, C_i, H_i, W_i), up to and including the token stage."""
        layer = self.backbone_maps_layer
        if layer.gradient_checkpointing and self.training and torch.is_grad_enabled():
            # A reentrant checkpoint passes gradients back only through inputs that require them, and pixels never
            # do: without this the backbone inside the checkpoint would get no gradient at all.
            pixel_values = pixel_values.detach().requires_grad_()
        return layer(pixel_values, backbone=self.backbone)

    def forward_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """The unpooled feature map (B, C, H, W) of the configured backbone stage."""
        return self.backbone_maps(pixel_values)[-1]

    def pooler_inputs(self, pixel_values: torch.Tensor) -> ResNetLstmAttentionPoolerInputs:
        """Everything before the pooler: the backbone's maps, the tokens, the encoded tokens and the queries."""
        maps = self.backbone_maps(pixel_values)
        tokens = feature_map_to_tokens(maps[-1])  # (B, H*W, C)
        encoded = self.sequence_encoder(tokens) if self.sequence_encoder is not None else tokens  # (B, H*W, D)
        queries = None
        if self.attribute_queries is not None:
            queries = self.attribute_queries.unsqueeze(0).expand(encoded.shape[0], -1, -1)  # (B, L, D)
        return ResNetLstmAttentionPoolerInputs(maps, tokens, encoded, queries)

    def forward(
        self,
        pixel_values: torch.Tensor,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> ResNetLstmAttentionModelOutput | tuple:
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.return_dict

        inputs = self.pooler_inputs(pixel_values)
        last_hidden_state, pooled_output, attention_weights = self.pooler(inputs, output_attentions)
        sequence_states = (inputs.encoded, last_hidden_state) if self.pooler.has_attention_maps else (inputs.encoded,)

        output = ResNetLstmAttentionModelOutput(
            last_hidden_state=last_hidden_state,
            pooler_output=pooled_output,
            encoder_last_hidden_state=inputs.encoded,
            hidden_states=(*inputs.maps, *sequence_states) if output_hidden_states else None,
            attentions=(attention_weights,) if output_attentions and attention_weights is not None else None,
        )
        return output if return_dict else output.to_tuple()


class ResNetLstmAttentionForImageClassification(ResNetLstmAttentionPreTrainedModel):
    """The base model with a classifier; the loss is chosen by `config.problem_type`."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = ResNetLstmAttentionModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        if self.model.pooler.per_label_outputs:
            self.classifier = ResNetLstmAttentionQueryClassifier(config)
        else:
            self.classifier = nn.Linear(config.attention_hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> ImageClassifierOutput | tuple:
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.model(
            pixel_values,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.pooler_output))  # (B, num_labels)
        loss = self.loss(logits, labels) if labels is not None else None
        output = ImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return output if return_dict else output.to_tuple()

    def logits_and_attention_grid(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B, L), the attention averaged over heads on its grid (B, Q, H, W): the tokens, or the value stage).

        The map interface: what every picture and score is drawn from, computed by an exported ONNX file too (and
        offered by `OnnxClassifier` under the same name). Q is the number of labels when `per_label_attention_maps`.
        """
        outputs = self(pixel_values, output_attentions=True, output_hidden_states=True)
        return outputs.logits, self.attention_grid(outputs)

    def attention_grid(self, outputs: ImageClassifierOutput) -> torch.Tensor:
        """The attention of `outputs` (a forward with `output_attentions` and `output_hidden_states`) averaged over
        heads, on its grid: (B, Q, H, W)."""
        if not self.has_attention_maps:
            raise ValueError(f"A model with `pooling={self.config.pooling!r}` has no attention, so it has no maps.")
        height, width = outputs.hidden_states[self.model.pooler.attention_stage_index].shape[-2:]
        weights = outputs.attentions[0].float().mean(dim=1)  # (B, Q, H*W), averaged over heads
        return weights.reshape(*weights.shape[:2], height, width)  # (B, Q, H, W)

    def logits_and_contributions(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B, L), each position's contribution to each label's logit on the attention grid (B, L, H, W)).

        With attribute queries the head is linear after the attention: logit_l = w_l·(W_o·concat_h Σ_n a_hln v_hn
        + b_o) + b_l, so position n adds exactly Σ_h a_hln · (w_l·W_o^h v_hn) (weight × what its value says about
        label l), and the contributions sum to the logit minus the constant w_l·b_o + b_l. Unlike the weights, a
        contribution has a sign: a position can argue against the label (in eval mode, without dropout)."""
        logits, _, contributions = self.logits_maps_and_contributions(pixel_values)
        return logits, contributions

    def logits_maps_and_contributions(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(logits (B, L), the head-averaged attention (B, L, H, W), the contributions (B, L, H, W)) from one pass."""
        if not self.per_label_attention_maps:
            raise ValueError("Contributions need a logit per query: `pooling='attribute_queries'`.")
        inputs = self.model.pooler_inputs(pixel_values)
        pooler, attention = self.model.pooler, self.model.pooler.attention
        keys, values = pooler.keys_and_values(inputs)
        per_label, weights = attention(pooler.queries(inputs), keys, values, output_attentions=True)  # (B, h, L, N)
        batch, positions = values.shape[:2]
        value = attention.v_proj(values).view(
            batch, positions, attention.num_heads, attention.head_dim
        )  # (B, N, h, hd)
        out_weight = attention.o_proj.weight.view(-1, attention.num_heads, attention.head_dim)  # (D, h, hd)
        readout = torch.einsum("ld,dhk->lhk", self.classifier.weight, out_weight)  # (L, h, hd): label l's view
        per_position = torch.einsum("bnhk,lhk->bhln", value, readout)  # (B, h, L, N): what each value says
        contributions = (weights * per_position).sum(dim=1).float()  # (B, L, N), summed over heads
        logits = self.classifier(per_label)  # (B, L), eval-mode head
        height, width = inputs.maps[pooler.attention_stage_index].shape[-2:]
        maps = weights.float().mean(dim=1).reshape(batch, -1, height, width)  # (B, L, H, W), averaged over heads
        return logits, maps, contributions.reshape(batch, -1, height, width)  # (B, L, H, W) each

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.config.problem_type is None:
            if self.num_labels == 1:
                self.config.problem_type = "regression"
            elif labels.dtype in (torch.long, torch.int):
                self.config.problem_type = "single_label_classification"
            else:
                self.config.problem_type = "multi_label_classification"
        # Losses in fp32: under autocast the logits may be bf16/fp16.
        logits = logits.float()
        if self.config.problem_type == "regression":
            return nn.functional.mse_loss(logits.squeeze(-1), labels.float().view(logits.shape[0]))
        if self.config.problem_type == "single_label_classification":
            return nn.functional.cross_entropy(logits, labels.view(-1).long())
        pos_weight = None
        if self.config.pos_weight is not None:
            pos_weight = torch.tensor(self.config.pos_weight, device=logits.device, dtype=logits.dtype)
        return nn.functional.binary_cross_entropy_with_logits(logits, labels.float(), pos_weight=pos_weight)


__all__ = [
    "ResNetLstmAttentionPreTrainedModel",
    "ResNetLstmAttentionModel",
    "ResNetLstmAttentionForImageClassification",
]
