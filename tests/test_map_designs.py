# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The map designs of docs/celeba.md's scoreboard: sparse attention, local keys, and the contribution read-out."""

import pytest
import torch

from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
from face_attributes.modeling_resnet_lstm_attention import entmax15, sparsemax

from testing_utils import tiny_config


def build(**overrides) -> ResNetLstmAttentionForImageClassification:
    torch.manual_seed(0)
    return ResNetLstmAttentionForImageClassification(tiny_config(**overrides)).eval()


@pytest.mark.parametrize("ours,name", [(sparsemax, "sparsemax"), (entmax15, "entmax15")])
def test_sparse_normalizations_equal_the_entmax_package_with_gradients(ours, name):
    entmax = pytest.importorskip("entmax")
    reference = getattr(entmax, name)
    scores = (3 * torch.randn(4, 2, 5, 49, dtype=torch.float64)).requires_grad_()
    for dim in (-1, 2):
        expected, got = reference(scores, dim=dim), ours(scores, dim=dim)
        torch.testing.assert_close(got, expected)
        assert (got == 0).any() and torch.allclose(got.sum(dim=dim), torch.ones(()).double())
        upstream = torch.randn_like(got)
        torch.testing.assert_close(
            torch.autograd.grad((got * upstream).sum(), scores)[0],
            torch.autograd.grad((expected * upstream).sum(), scores)[0],
        )


@pytest.mark.parametrize("normalization", ["sparsemax", "entmax15"])
def test_a_position_the_sparse_map_gives_zero_cannot_move_that_label(normalization):
    model = build(attention_normalization=normalization)
    attention = model.model.pooler.attention
    queries, keys, values = 4 * torch.randn(1, 3, 16), 4 * torch.randn(1, 20, 16), torch.randn(1, 20, 16)
    with torch.no_grad():
        output, weights = attention(queries, keys, values, output_attentions=True)  # (1, heads, 3, 20)
        ignored = (weights[0, :, 0] == 0).all(dim=0).nonzero().flatten()  # zero for label 0 in every head
        assert len(ignored) > 0
        changed = values.clone()
        changed[0, ignored] += 100.0
        moved, _ = attention(queries, keys, changed, output_attentions=True)
        # The softmax backend would move it: every weight is positive there.
        softmax_model = build()
        softmax_model.model.pooler.attention.load_state_dict(attention.state_dict())
        soft_attention = softmax_model.model.pooler.attention
        soft_moved = soft_attention(queries, keys, changed)[0] - soft_attention(queries, keys, values)[0]
    torch.testing.assert_close(moved[0, 0], output[0, 0])
    assert not torch.allclose(moved[0, 1:], output[0, 1:]) or len(ignored) == 20
    assert soft_moved[0, 0].abs().max() > 1e-3


def test_sparse_attention_runs_eager_without_output_attentions_and_gives_the_same_logits():
    model = build(attention_normalization="entmax15")
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        plain = model(pixel_values).logits
        with_maps = model(pixel_values, output_attentions=True).logits
    torch.testing.assert_close(plain, with_maps)


@pytest.mark.parametrize("grid", ["tokens", "value_stage"])
def test_local_keys_do_not_read_the_sequence_encoder_which_moves_the_queries_instead(grid):
    model = build(attention_keys="local", attention_grid=grid)
    pooler = model.model.pooler
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        inputs = model.model.pooler_inputs(pixel_values)
        keys, values = pooler.keys_and_values(inputs)
        queries = pooler.queries(inputs)
        for parameter in model.model.sequence_encoder.parameters():
            parameter.add_(torch.randn_like(parameter))
        changed = model.model.pooler_inputs(pixel_values)
        new_keys, new_values = pooler.keys_and_values(changed)
        new_queries = pooler.queries(changed)
    torch.testing.assert_close(new_keys, keys)
    torch.testing.assert_close(new_values, values)
    assert not torch.allclose(new_queries, queries)


def test_on_the_value_grid_a_local_key_depends_only_on_its_own_position():
    model = build(attention_keys="local", attention_grid="value_stage")
    pooler = model.model.pooler
    with torch.no_grad():
        inputs = model.model.pooler_inputs(torch.randn(1, 3, 64, 64))
        keys, _ = pooler.keys_and_values(inputs)
        value_map = inputs.maps[pooler.value_stage_index].clone()  # (1, C', H, W)
        value_map[0, :, 2, 3] += 5.0
        maps = list(inputs.maps)
        maps[pooler.value_stage_index] = value_map
        inputs.maps = tuple(maps)
        new_keys, _ = pooler.keys_and_values(inputs)
    width = value_map.shape[-1]
    moved = (new_keys - keys).abs().amax(dim=-1)[0]  # (H*W,)
    assert moved[2 * width + 3] > 0
    assert moved.count_nonzero() == 1


@pytest.mark.parametrize(
    "overrides",
    [{}, dict(attention_keys="local", attention_grid="value_stage"), dict(attention_normalization="entmax15")],
)
def test_contributions_sum_to_the_logit_minus_the_head_constant(overrides):
    model = build(**overrides)
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits, contributions = model.logits_and_contributions(pixel_values)
        expected_logits, grid = model.logits_and_attention_grid(pixel_values)
    constant = model.classifier.weight @ model.model.pooler.attention.o_proj.bias + model.classifier.bias  # (L,)
    torch.testing.assert_close(logits, expected_logits)
    assert contributions.shape == grid.shape
    torch.testing.assert_close(contributions.sum(dim=(2, 3)) + constant, logits, atol=1e-5, rtol=0)
    assert (contributions < 0).any() and (contributions > 0).any()  # evidence for and against


def test_contributions_need_a_logit_per_query():
    with pytest.raises(ValueError, match="attribute_queries"):
        build(pooling="self_attention_mean").logits_and_contributions(torch.randn(1, 3, 64, 64))


def test_a_config_saved_before_the_fields_loads_with_encoded_keys_and_softmax():
    config = tiny_config().to_dict()
    for field in ("attention_keys", "attention_normalization"):
        del config[field]
    loaded = ResNetLstmAttentionConfig.from_dict(config)
    assert (loaded.attention_keys, loaded.attention_normalization) == ("encoded", "softmax")


def test_contribution_maps_keep_the_evidence_for_the_prediction_and_sum_to_one():
    from face_attributes.interpretability import attribute_maps

    model = build(attention_keys="local", attention_grid="value_stage")
    pixel_values = torch.randn(3, 3, 64, 64)
    names = list(model.config.id2label.values())
    maps, probabilities = attribute_maps(model, pixel_values, names, method="contribution")
    with torch.no_grad():
        logits, contributions = model.logits_and_contributions(pixel_values)
    assert maps.shape == contributions.shape and (maps >= 0).all()
    torch.testing.assert_close(maps.sum(dim=(2, 3)), torch.ones(3, len(names)))
    torch.testing.assert_close(probabilities, torch.sigmoid(logits))
    agreeing = torch.relu(contributions * torch.where(logits >= 0, 1.0, -1.0)[..., None, None])
    assert torch.equal(maps > 0, agreeing > 0)  # zero exactly where a position argues against the prediction


def test_the_maps_script_scores_the_contribution_read_out(tmp_path, capsys):
    from face_attributes.data.synthetic import SYNTHETIC_ATTRIBUTES

    from testing_utils import save_tiny_model, script

    folder = save_tiny_model(tmp_path / "model", SYNTHETIC_ATTRIBUTES, attention_normalization="sparsemax")
    scores = script("attention_maps").main(
        ["--model", str(folder), "--score", "--method", "contribution", "--num_images", "6", "--deletion"]
    )
    assert "contribution maps of" in capsys.readouterr().out
    assert set(scores["regions"]) == set(SYNTHETIC_ATTRIBUTES) and "deletion" in scores
