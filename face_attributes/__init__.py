# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""face-attributes: CelebA facial attribute classification with ResNet → BiLSTM → attention."""

from transformers import AutoConfig, AutoModel, AutoModelForImageClassification
from transformers.pipelines import PIPELINE_REGISTRY

from .configuration_resnet_lstm_attention import ResNetLstmAttentionConfig
from .modeling_resnet_lstm_attention import (
    ResNetLstmAttentionForImageClassification,
    ResNetLstmAttentionModel,
    ResNetLstmAttentionPreTrainedModel,
)
from .pipeline_face_attributes import FaceAttributesPipeline

AutoConfig.register(ResNetLstmAttentionConfig.model_type, ResNetLstmAttentionConfig, exist_ok=True)
AutoModel.register(ResNetLstmAttentionConfig, ResNetLstmAttentionModel, exist_ok=True)
AutoModelForImageClassification.register(
    ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification, exist_ok=True
)
# save_pretrained copies the code files beside the weights, for trust_remote_code loading.
ResNetLstmAttentionConfig.register_for_auto_class()
ResNetLstmAttentionModel.register_for_auto_class("AutoModel")
ResNetLstmAttentionForImageClassification.register_for_auto_class("AutoModelForImageClassification")
# pipeline("face-attributes", model=folder): with this package installed, and (the folder carries the code) without.
PIPELINE_REGISTRY.register_pipeline(
    "face-attributes", pipeline_class=FaceAttributesPipeline, pt_model=AutoModelForImageClassification, type="image"
)

__all__ = [
    "ResNetLstmAttentionConfig",
    "ResNetLstmAttentionPreTrainedModel",
    "ResNetLstmAttentionModel",
    "ResNetLstmAttentionForImageClassification",
    "FaceAttributesPipeline",
]
