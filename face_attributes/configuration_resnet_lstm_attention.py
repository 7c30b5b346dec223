# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Configuration of the ResNet → BiLSTM → multi-head attention face-attribute classifier.

This file is copied into every saved checkpoint and imported there without the `face_attributes`
package, so it imports only transformers.
"""

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

# The poolers of modeling_resnet_lstm_attention.POOLERS; the first two attend over the tokens.
POOLING_TYPES = ("attribute_queries", "self_attention_mean", "global_average")
# Names the poolings had before (configs saved with them load as the same pooling).
POOLING_ALIASES = {"mean": "self_attention_mean", "average": "global_average"}
SEQUENCE_ENCODERS = ("lstm", "gru", "none")
# Where the attribute queries attend: the token grid, or the value stage's finer grid.
ATTENTION_GRIDS = ("tokens", "value_stage")
# What the attribute queries' keys are made of: the sequence encoder's output (each key has read the whole face), or
# the value stage's features alone (each key sees only its own patch; the encoder then tells the queries where to look).
ATTENTION_KEYS = ("encoded", "local")
# How the query-key scores become weights: softmax (every position gets some weight) or a sparse map (Martins &
# Astudillo 2016; Peters et al. 2019) that gives many positions exactly zero.
ATTENTION_NORMALIZATIONS = ("softmax", "sparsemax", "entmax15")

# torchvision's resnet18 layout: basic blocks, depths 2-2-2-2, widths 64-128-256-512. The tokens come from stage3
# (layer3, stride 16: 14×14 tokens at 224 px, as in the seed's code); stage4 is then not built.
RESNET18_BACKBONE = {
    "embedding_size": 64,
    "hidden_sizes": [64, 128, 256, 512],
    "depths": [2, 2, 2, 2],
    "layer_type": "basic",
    "out_features": ["stage3"],
}


def _token_stage(config_dict: dict) -> str:
    return (config_dict.get("backbone_config") or RESNET18_BACKBONE)["out_features"][-1]


# A changed default never changes what an existing saved folder means. Each field added after folders were already
# being saved is listed here with the behaviour those folders were saved with; a config.json without the field
# loads with it, whatever the field's default is now (every field is written to config.json from then on).
BEHAVIOUR_BEFORE_FIELD = {
    # Before `value_stage`, the attribute queries read the tokens themselves: the token stage.
    "value_stage": _token_stage,
    # Before `attention_grid`, the queries attended over the token grid.
    "attention_grid": lambda config_dict: "tokens",
    # Before `attention_keys`, the keys were the sequence encoder's output.
    "attention_keys": lambda config_dict: "encoded",
    # Before `attention_normalization`, the weights were a softmax.
    "attention_normalization": lambda config_dict: "softmax",
}


class ResNetLstmAttentionConfig(PreTrainedConfig):
    r"""
    Configuration of [`ResNetLstmAttentionModel`] and [`ResNetLstmAttentionForImageClassification`]: backbone feature
    map → H·W tokens in raster order → sequence encoder → pooling → classifier. Why each field is what it is:
    docs/architecture.md.

    Args:
        backbone_config (`dict` or `PreTrainedConfig`, *optional*):
            Any `AutoBackbone` config (default: ResNet-18's layout); the last of its `out_features` is the token stage
            (default `"stage3"`: 14×14 tokens at 224 px), and the stages after it are not built.
        sequence_encoder (`str`, *optional*, defaults to `"lstm"`):
            What reads the tokens: `"lstm"`, `"gru"` or `"none"` (the tokens go straight to the pooling).
        lstm_hidden_size (`int`, *optional*, defaults to 256):
            Hidden size per direction of the recurrent encoder, LSTM or GRU.
        lstm_num_layers (`int`, *optional*, defaults to 1):
            Stacked recurrent layers (LSTM or GRU).
        lstm_bidirectional (`bool`, *optional*, defaults to `True`):
            Read the tokens in both directions; the attention width is then twice `lstm_hidden_size`.
        lstm_dropout (`float`, *optional*, defaults to 0.0):
            Dropout between stacked recurrent layers (only with `lstm_num_layers > 1`).
        sequence_residual (`bool`, *optional*, defaults to `True`):
            Add a projection of each token to its recurrent output, then LayerNorm, so each token keeps its content.
        position_encoding (`bool`, *optional*, defaults to `True`):
            Add a 2D sine encoding of each token's grid position to the attention keys (as DETR does).
        num_attention_heads (`int`, *optional*, defaults to 8):
            Attention heads; must divide the attention width.
        attention_dropout (`float`, *optional*, defaults to 0.0):
            Dropout on the attention weights.
        value_stage (`str`, *optional*, defaults to `"stage2"`):
            `pooling="attribute_queries"`: the backbone stage whose features (under each token) the queries read;
            not after the token stage. A config.json saved before this field loads with the token stage.
        attention_grid (`str`, *optional*, defaults to `"tokens"`):
            `pooling="attribute_queries"`: attend over the token grid (`"tokens"`) or the value stage's finer grid
            (`"value_stage"`).
        attention_keys (`str`, *optional*, defaults to `"encoded"`):
            `pooling="attribute_queries"`: the keys are the sequence encoder's output (`"encoded"`), or a projection of
            the value stage's features alone (`"local"`: a key describes only its own patch, and the sequence
            encoder's summary of the face is added to every query instead, so it chooses where to look but what is
            read there comes from the patch).
        attention_normalization (`str`, *optional*, defaults to `"softmax"`):
            How scores become attention weights: `"softmax"`, `"sparsemax"` or `"entmax15"` (sparse: many positions
            get exactly zero weight, so the map's zeros are positions the output does not read).
        pooling (`str`, *optional*, defaults to `"attribute_queries"`):
            `"attribute_queries"` (a learned query per label, each feeding its own logit), `"self_attention_mean"`
            (self-attention, then the mean over tokens) or `"global_average"` (no attention; the plain ResNet's pool).
        classifier_dropout (`float`, *optional*, defaults to 0.1):
            Dropout before the classifier.
        pos_weight (`list[float]`, *optional*):
            One positive-class weight per label for the BCE loss; `None` weighs all labels equally.
        image_size (`int`, *optional*, defaults to 224):
            Side of the square images the model takes; the image processor is built from it.
    """

    model_type = "resnet_lstm_attention"
    sub_configs_defaults = {
        "backbone_config": SubConfigSpec(config_class=AutoConfig, model_type="resnet", init_kwargs=RESNET18_BACKBONE)
    }

    backbone_config: dict | PreTrainedConfig | None = None
    sequence_encoder: str = "lstm"
    lstm_hidden_size: int = 256
    lstm_num_layers: int = 1
    lstm_bidirectional: bool = True
    lstm_dropout: float = 0.0
    sequence_residual: bool = True
    position_encoding: bool = True
    num_attention_heads: int = 8
    attention_dropout: float = 0.0
    value_stage: str = "stage2"
    attention_grid: str = "tokens"
    attention_keys: str = "encoded"
    attention_normalization: str = "softmax"
    pooling: str = "attribute_queries"
    classifier_dropout: float = 0.1
    pos_weight: list[float] | None = None
    image_size: int = 224

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        for field in ("lstm_hidden_size", "lstm_num_layers", "num_attention_heads", "image_size"):
            if getattr(self, field) <= 0:
                raise ValueError(f"`{field}` must be a positive integer, got {getattr(self, field)}.")
        for field in ("lstm_dropout", "attention_dropout", "classifier_dropout"):
            if not 0.0 <= getattr(self, field) < 1.0:
                raise ValueError(f"`{field}` must be in [0, 1), got {getattr(self, field)}.")
        self.pooling = POOLING_ALIASES.get(self.pooling, self.pooling)
        if self.pooling not in POOLING_TYPES:
            raise ValueError(f"`pooling` must be one of {POOLING_TYPES}, got {self.pooling!r}.")
        if self.attention_grid not in ATTENTION_GRIDS:
            raise ValueError(f"`attention_grid` must be one of {ATTENTION_GRIDS}, got {self.attention_grid!r}.")
        if self.attention_grid != "tokens" and self.pooling != "attribute_queries":
            raise ValueError(
                f"`attention_grid={self.attention_grid!r}` needs `pooling='attribute_queries'` (the only pooling that "
                f"reads the value stage), got {self.pooling!r}."
            )
        for field, choices in (
            ("attention_keys", ATTENTION_KEYS),
            ("attention_normalization", ATTENTION_NORMALIZATIONS),
        ):
            if getattr(self, field) not in choices:
                raise ValueError(f"`{field}` must be one of {choices}, got {getattr(self, field)!r}.")
        if self.attention_keys != "encoded" and self.pooling != "attribute_queries":
            raise ValueError(
                f"`attention_keys={self.attention_keys!r}` needs `pooling='attribute_queries'`, got {self.pooling!r}."
            )
        if self.sequence_encoder not in SEQUENCE_ENCODERS:
            raise ValueError(f"`sequence_encoder` must be one of {SEQUENCE_ENCODERS}, got {self.sequence_encoder!r}.")
        stage_names = getattr(self.backbone_config, "stage_names", None)
        out_features = getattr(self.backbone_config, "out_features", None)
        if not out_features or (stage_names and out_features[-1] not in stage_names):
            raise ValueError(
                f"`backbone_config.out_features` must name a stage of the backbone ({stage_names}), got {out_features}."
            )
        if self.pooling == "attribute_queries" and stage_names:
            if self.value_stage not in stage_names or stage_names.index(self.value_stage) > stage_names.index(
                out_features[-1]
            ):
                raise ValueError(
                    f"`value_stage` must name a backbone stage up to the token stage {out_features[-1]!r} "
                    f"({stage_names}), got {self.value_stage!r}."
                )
        if self.pooling != "global_average" and self.attention_hidden_size % self.num_attention_heads != 0:
            width = "the backbone's channels" if self.sequence_encoder == "none" else "lstm_hidden_size * directions"
            raise ValueError(
                f"`num_attention_heads` ({self.num_attention_heads}) must divide the attention width "
                f"({width} = {self.attention_hidden_size})."
            )
        if self.pos_weight is not None:
            if len(self.pos_weight) != self.num_labels:
                raise ValueError(
                    f"`pos_weight` needs one value per label ({self.num_labels}), got {len(self.pos_weight)}."
                )
            if any(w <= 0 for w in self.pos_weight):
                raise ValueError(f"`pos_weight` values must be positive, got {self.pos_weight}.")

    @property
    def token_size(self) -> int:
        """Channels of the backbone stage that becomes the tokens (ResNet-style configs: `hidden_sizes`)."""
        stage = self.backbone_config.out_features[-1]
        index = self.backbone_config.stage_names.index(stage)
        if index == 0:  # the stem
            return getattr(self.backbone_config, "embedding_size", self.backbone_config.hidden_sizes[0])
        return self.backbone_config.hidden_sizes[index - 1]

    @property
    def attention_hidden_size(self) -> int:
        """Width of the encoded tokens, the attention and the pooled output."""
        if self.sequence_encoder == "none":
            return self.token_size
        return self.lstm_hidden_size * (2 if self.lstm_bidirectional else 1)

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs):
        missing = [f for f in BEHAVIOUR_BEFORE_FIELD if f not in config_dict and f not in kwargs]
        config_dict = {**config_dict, **{field: BEHAVIOUR_BEFORE_FIELD[field](config_dict) for field in missing}}
        return super().from_dict(config_dict, **kwargs)

    def to_dict(self) -> dict:
        # transformers keeps the attention backend out of config.json; saving it lets a folder saved with
        # attn_implementation="eager" load as eager again (from_pretrained's own argument still wins).
        output = super().to_dict()
        if self._attn_implementation is not None:
            output["attn_implementation"] = self._attn_implementation
        return output


__all__ = ["ResNetLstmAttentionConfig"]
