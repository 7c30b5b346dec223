# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""transformers' own common model tests (tests/test_modeling_common.py of the 5.24 sdist) run on this model.

Not collected by the project's suite: `tests/upstream/run.sh` downloads the transformers sdist, lays its common
test files beside this one as the package `transformers_tests`, and runs pytest here. One test class per model
variant, each with a tiny config (ResNet basic blocks, widths 8-16-16-32, one block a stage, 64 px).
"""

import unittest

import torch
from transformers import ResNetConfig
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES,
    MODEL_MAPPING_NAMES,
)
from transformers_tests.test_modeling_common import ModelTesterMixin, floats_tensor

from face_attributes import (
    ResNetLstmAttentionConfig,
    ResNetLstmAttentionForImageClassification,
    ResNetLstmAttentionModel,
)

# Named where a model inside transformers is named, so that upstream's tests treat the classes as they treat
# ResNet's: the bare model gets no training tests (it has no loss), the classifier gets labels.
MODEL_TYPE = ResNetLstmAttentionConfig.model_type
MODEL_MAPPING_NAMES[MODEL_TYPE] = ResNetLstmAttentionModel.__name__
MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES[MODEL_TYPE] = ResNetLstmAttentionForImageClassification.__name__


class ResNetLstmAttentionModelTester:
    def __init__(self, parent, batch_size=3, image_size=64, num_labels=3, **config_overrides):
        self.parent, self.batch_size, self.image_size, self.num_labels = parent, batch_size, image_size, num_labels
        self.config_overrides = config_overrides
        self.is_training = True
        self.hidden_sizes = [8, 16, 16, 32]
        self.token_stage = config_overrides.pop("token_stage", "stage4")
        config = self.get_config()
        # 64 px: stem stride 4, then stages at strides 4, 8, 16, 32 → the token stage's grid.
        stride = {"stage1": 4, "stage2": 8, "stage3": 16, "stage4": 32}[self.token_stage]
        self.seq_length = (image_size // stride) ** 2
        self.hidden_size = config.attention_hidden_size
        self.num_hidden_layers = 1  # one attention layer
        self.num_attention_heads = config.num_attention_heads
        # Attention weights are (heads, queries, tokens): the queries are the labels with attribute_queries.
        self.key_length = self.seq_length
        self.encoder_seq_length = num_labels if config.pooling == "attribute_queries" else self.seq_length

    def get_config(self) -> ResNetLstmAttentionConfig:
        backbone = ResNetConfig(
            embedding_size=8,
            hidden_sizes=self.hidden_sizes,
            depths=[1, 1, 1, 1],
            layer_type="basic",
            out_features=[self.token_stage],
        )
        kwargs = dict(lstm_hidden_size=8, num_attention_heads=2, num_labels=self.num_labels, image_size=self.image_size)
        kwargs.update(self.config_overrides)
        return ResNetLstmAttentionConfig(backbone_config=backbone, **kwargs)

    def prepare_config_and_inputs_for_common(self):
        pixel_values = floats_tensor([self.batch_size, 3, self.image_size, self.image_size])
        return self.get_config(), {"pixel_values": pixel_values}


def make_test_class(name: str, **config_overrides):
    class VariantTest(ModelTesterMixin, unittest.TestCase):
        all_model_classes = (ResNetLstmAttentionModel, ResNetLstmAttentionForImageClassification)
        has_attentions = config_overrides.get("pooling", "attribute_queries") != "global_average"
        test_resize_embeddings = False
        test_torch_exportable = False

        def setUp(self):
            self.model_tester = ResNetLstmAttentionModelTester(self, **config_overrides)

        @unittest.skip(reason="An image model without input embeddings, as upstream's ResNet test says too.")
        def test_model_get_set_embeddings(self):
            pass

        def test_hidden_states_output(self):
            # Our layout, as upstream's ResNet test overrides it too: the backbone's 4-D maps, then the sequence states.
            config, inputs = self.model_tester.prepare_config_and_inputs_for_common()
            for model_class in self.all_model_classes:
                model = model_class(config).eval()
                with torch.no_grad():
                    hidden_states = model(**inputs, output_hidden_states=True).hidden_states
                self.assertEqual(hidden_states[-1].shape[-1], self.model_tester.hidden_size)
                self.assertEqual(hidden_states[0].ndim, 4)

    VariantTest.__name__ = VariantTest.__qualname__ = name
    return VariantTest


# The tiny config (stage4 tokens) for every pooling, and the other encoders and the plain baseline.
QueriesLstmTest = make_test_class("QueriesLstmTest", pooling="attribute_queries")
MeanLstmTest = make_test_class("MeanLstmTest", pooling="self_attention_mean")
AverageLstmTest = make_test_class("AverageLstmTest", pooling="global_average")
QueriesNoEncoderTest = make_test_class("QueriesNoEncoderTest", sequence_encoder="none")
MeanGruTest = make_test_class("MeanGruTest", sequence_encoder="gru", pooling="self_attention_mean")
PlainTest = make_test_class("PlainTest", sequence_encoder="none", pooling="global_average")
QueriesLayer2ValuesTest = make_test_class("QueriesLayer2ValuesTest", token_stage="stage3", value_stage="stage2")
