"""ResNet → bidirectional LSTM → multi-head attention, as a transformers image classifier.

This file is copied into every saved checkpoint and imported there without the `face_attributes`
package (trust_remote_code), so it imports only torch, transformers and the config beside it.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoBackbone, AutoConfig, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import ImageClassifierOutput
from transformers.utils import ModelOutput

from .configuration_resnet_lstm_attention import ResNetLstmAttentionConfig

# Written into config.json on save, so that AutoConfig, AutoModel and AutoModelForImageClassification all
# find the code files copied beside the weights.
AUTO_MAP = {
    "AutoConfig": "configuration_resnet_lstm_attention.ResNetLstmAttentionConfig",
    "AutoModel": "modeling_resnet_lstm_attention.ResNetLstmAttentionModel",
    "AutoModelForImageClassification": "modeling_resnet_lstm_attention.ResNetLstmAttentionForImageClassification",
}


@dataclass
class ResNetLstmAttentionModelOutput(ModelOutput):
    r"""
    last_hidden_state (`torch.FloatTensor` of shape `(batch_size, height * width, attention_hidden_size)`):
        The LSTM outputs, one per spatial token in raster order.
    pooler_output (`torch.FloatTensor`):
        `(batch_size, attention_hidden_size)` for `pooling="mean"`, `(batch_size, num_labels,
        attention_hidden_size)` for `pooling="attribute_queries"` (one vector per label).
    hidden_states (`tuple(torch.FloatTensor)`, *optional*):
        `(feature_map,)`: the backbone's map `(batch_size, channels, height, width)`, returned with
        `output_hidden_states=True`; its last two sizes give the token grid.
    attentions (`tuple(torch.FloatTensor)`, *optional*):
        `(attention_weights,)` of shape `(batch_size, num_heads, num_queries, height * width)`, returned with
        `output_attentions=True`; `num_queries` is `height * width` for `"mean"` and `num_labels` for
        `"attribute_queries"`. Each row sums to 1 over the tokens.
    """

    last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def feature_map_to_tokens(feature_map: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, H*W, C); token t is the spatial position (t // W, t % W)."""
    # A plain .view(B, H*W, C) would cut the channel-major memory into slices of single channels.
    return feature_map.flatten(2).transpose(1, 2)  # (B, H*W, C)


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


class ResNetLstmAttentionSequenceEncoder(nn.Module):
    """Reads the spatial tokens with an LSTM, kept in fp32 even inside autocast.

    With `sequence_residual`, each output is LayerNorm(LSTM output + a projection of the token itself): a
    token keeps its own content beside the context the LSTM adds, so attention over tokens stays spatial.
    """

    def __init__(self, config: ResNetLstmAttentionConfig, input_size: int):
        super().__init__()
        self.residual = nn.Linear(input_size, config.attention_hidden_size) if config.sequence_residual else None
        self.norm = nn.LayerNorm(config.attention_hidden_size) if config.sequence_residual else None
        self.lstm = nn.LSTM(
            input_size=input_size,
            hidden_size=config.lstm_hidden_size,
            num_layers=config.lstm_num_layers,
            bidirectional=config.lstm_bidirectional,
            dropout=config.lstm_dropout if config.lstm_num_layers > 1 else 0.0,
            batch_first=True,
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        # DDP/DataParallel can leave the RNN weights non-contiguous; cuDNN warns and copies every step otherwise.
        self.lstm.flatten_parameters()
        # CPU bf16 autocast has no oneDNN LSTM primitive and cuDNN's autocast would force fp16: run it in fp32.
        with torch.autocast(device_type=tokens.device.type, enabled=False):
            sequence, _ = self.lstm(tokens.float())  # (B, N, D)
        if self.residual is not None:
            sequence = self.norm(sequence + self.residual(tokens))
        return sequence


class ResNetLstmAttentionMeanPooler(nn.Module):
    """Self-attention over the tokens, then the mean over tokens (the original design)."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__()
        self.attention = nn.MultiheadAttention(
            config.attention_hidden_size, config.num_attention_heads, dropout=config.attention_dropout, batch_first=True
        )

    def forward(
        self, sequence: torch.Tensor, keys: torch.Tensor, output_attentions: bool, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            keys, keys, sequence, need_weights=output_attentions, average_attn_weights=False
        )  # (B, N, D), (B, heads, N, N)
        return attended.mean(dim=1), weights  # (B, D)


class ResNetLstmAttentionQueryPooler(nn.Module):
    """One learned query per label cross-attends over the tokens (Query2Label-style).

    The LSTM outputs are the keys (where to look, in context); the values are the backbone tokens themselves.
    A label's output is then a weighted sum of what the backbone saw at each place, so its attention map
    says where the evidence came from. (With the LSTM outputs as values, the forward LSTM carries the
    evidence to later tokens and the maps drift a row or so past it.)
    """

    def __init__(self, config: ResNetLstmAttentionConfig, token_size: int):
        super().__init__()
        self.queries = nn.Parameter(torch.empty(config.num_labels, config.attention_hidden_size))
        self.attention = nn.MultiheadAttention(
            config.attention_hidden_size, config.num_attention_heads, dropout=config.attention_dropout,
            batch_first=True, vdim=token_size,
        )  # fmt: skip

    def forward(
        self, sequence: torch.Tensor, keys: torch.Tensor, output_attentions: bool, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        queries = self.queries.unsqueeze(0).expand(sequence.shape[0], -1, -1)  # (B, L, D)
        attended, weights = self.attention(
            queries, keys, tokens.to(keys.dtype), need_weights=output_attentions, average_attn_weights=False
        )  # (B, L, D), (B, heads, L, N)
        return attended, weights


class ResNetLstmAttentionQueryClassifier(nn.Module):
    """A separate linear read-out per label: logit l only sees query l's output."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(config.num_labels, config.attention_hidden_size))
        self.bias = nn.Parameter(torch.zeros(config.num_labels))

    def forward(self, per_label: torch.Tensor) -> torch.Tensor:
        return (per_label * self.weight).sum(dim=-1) + self.bias  # (B, L, D) → (B, L)


class ResNetLstmAttentionPreTrainedModel(PreTrainedModel):
    config_class = ResNetLstmAttentionConfig
    config: ResNetLstmAttentionConfig
    base_model_prefix = "model"
    main_input_name = "pixel_values"
    input_modalities = ("image",)

    def _init_weights(self, module):
        super()._init_weights(module)
        if isinstance(module, ResNetLstmAttentionQueryPooler):
            init.normal_(module.queries, std=0.02)
        elif isinstance(module, ResNetLstmAttentionQueryClassifier):
            init.normal_(module.weight, std=0.02)
            init.zeros_(module.bias)

    def save_pretrained(self, save_directory, *args, **kwargs):
        self.config.auto_map = {**AUTO_MAP, **(getattr(self.config, "auto_map", None) or {})}
        return super().save_pretrained(save_directory, *args, **kwargs)

    def load_pretrained_backbone(self, name_or_path: str = "microsoft/resnet-18", **hub_kwargs) -> None:
        """Copy ImageNet weights into the backbone, after transformers' weight init so they are kept.

        `name_or_path` is a Hub id (default `microsoft/resnet-18`) or a local folder written by
        `save_pretrained` (an `AutoBackbone`, `ResNetModel` or `ResNetForImageClassification` checkpoint).
        """
        # The concrete backbone class, not AutoBackbone.from_pretrained: the latter asks the Hub whether the
        # repo exists even for a local folder, which fails offline.
        from transformers.models.auto.modeling_auto import MODEL_FOR_BACKBONE_MAPPING

        try:
            source_config = AutoConfig.from_pretrained(name_or_path, **hub_kwargs)
            source = MODEL_FOR_BACKBONE_MAPPING[type(source_config)].from_pretrained(
                name_or_path, out_features=self.config.backbone_config.out_features, **hub_kwargs
            )
        except OSError as error:
            raise OSError(
                f"Could not load backbone weights {name_or_path!r}. Without network, pass a local folder written by "
                "`save_pretrained` instead (e.g. ResNetForImageClassification.from_pretrained('microsoft/resnet-18')"
                ".save_pretrained('resnet-18') on a machine with network), or start from random weights. "
                f"Cause: {error}"
            ) from error
        try:
            self.base_model.backbone.load_state_dict(source.state_dict())
        except RuntimeError as error:
            raise ValueError(
                f"The backbone weights in {name_or_path!r} do not fit `backbone_config` "
                f"(layout {source.config.to_dict().get('hidden_sizes')}): build the model with that checkpoint's "
                f"backbone config. Details: {error}"
            ) from error


class ResNetLstmAttentionModel(ResNetLstmAttentionPreTrainedModel):
    """Backbone feature map → spatial tokens → LSTM → attention pooling."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__(config)
        self.backbone = AutoBackbone.from_config(config.backbone_config)
        self.sequence_encoder = ResNetLstmAttentionSequenceEncoder(config, input_size=self.backbone.channels[-1])
        if config.pooling == "mean":
            self.pooler = ResNetLstmAttentionMeanPooler(config)
        else:
            self.pooler = ResNetLstmAttentionQueryPooler(config, token_size=self.backbone.channels[-1])
        self.post_init()

    def forward_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """The unpooled feature map (B, C, H, W) of the configured backbone stage."""
        return self.backbone(pixel_values).feature_maps[-1]

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

        feature_map = self.forward_features(pixel_values)  # (B, C, H, W)
        tokens = feature_map_to_tokens(feature_map)  # (B, H*W, C)
        sequence = self.sequence_encoder(tokens)  # (B, H*W, D)
        keys = sequence
        if self.config.position_encoding:
            # Where a token sits goes into the attention keys (not the values), as in DETR.
            height, width = feature_map.shape[-2:]
            keys = sequence + sine_position_encoding(height, width, sequence.shape[-1], sequence.device, sequence.dtype)
        pooled_output, attention_weights = self.pooler(sequence, keys, output_attentions, tokens)

        output = ResNetLstmAttentionModelOutput(
            last_hidden_state=sequence,
            pooler_output=pooled_output,
            hidden_states=(feature_map,) if output_hidden_states else None,
            attentions=(attention_weights,) if output_attentions else None,
        )
        return output if return_dict else output.to_tuple()


class ResNetLstmAttentionForImageClassification(ResNetLstmAttentionPreTrainedModel):
    """The base model with a classifier; the loss is chosen by `config.problem_type`."""

    def __init__(self, config: ResNetLstmAttentionConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = ResNetLstmAttentionModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        if config.pooling == "mean":
            self.classifier = nn.Linear(config.attention_hidden_size, config.num_labels)
        else:
            self.classifier = ResNetLstmAttentionQueryClassifier(config)
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
            pixel_values, output_attentions=output_attentions, output_hidden_states=output_hidden_states
        )
        logits = self.classifier(self.dropout(outputs.pooler_output))  # (B, num_labels)
        loss = self.loss(logits, labels) if labels is not None else None
        output = ImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return output if return_dict else output.to_tuple()

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
