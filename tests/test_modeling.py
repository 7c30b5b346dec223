# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The model: shapes, token layout, attention, losses, mixed precision, gradients, save/load, remote code."""

import json

import pytest
import torch
import torchvision
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForImageClassification,
    ConvNextConfig,
    ResNetConfig,
    ResNetForImageClassification,
)
from transformers.utils import logging as transformers_logging

from face_attributes import (
    ResNetLstmAttentionConfig,
    ResNetLstmAttentionForImageClassification,
    ResNetLstmAttentionModel,
)
from face_attributes.configuration_resnet_lstm_attention import POOLING_TYPES, RESNET18_BACKBONE
from face_attributes.modeling_resnet_lstm_attention import POOLERS, feature_map_to_tokens, tokens_to_finer_grid

from testing_utils import run_without_package, tiny_backbone, tiny_config


def build(**overrides) -> ResNetLstmAttentionForImageClassification:
    torch.manual_seed(0)
    return ResNetLstmAttentionForImageClassification(tiny_config(**overrides)).eval()


@pytest.mark.parametrize("pooling", ["self_attention_mean", "attribute_queries"])
@pytest.mark.parametrize("height,width", [(32, 32), (64, 64), (64, 48), (218 // 2, 178 // 2)])
def test_shapes_and_attention_rows_sum_to_one(pooling, height, width):
    model = build(pooling=pooling)
    out = model(torch.randn(2, 3, height, width), output_attentions=True, output_hidden_states=True)
    feature_map = out.hidden_states[model.model.token_stage_index]
    grid_h, grid_w = feature_map.shape[-2:]
    assert (grid_h, grid_w) == (-(-height // 32), -(-width // 32))
    num_queries = grid_h * grid_w if pooling == "self_attention_mean" else 3
    assert out.logits.shape == (2, 3)
    assert out.attentions[0].shape == (2, 2, num_queries, grid_h * grid_w)
    torch.testing.assert_close(out.attentions[0].sum(-1), torch.ones(2, 2, num_queries))


def test_celeba_size_gives_14x12_map_with_default_backbone():
    model = ResNetLstmAttentionModel(ResNetLstmAttentionConfig(lstm_hidden_size=16, num_attention_heads=2)).eval()
    feature_map = model.forward_features(torch.randn(1, 3, 218, 178))
    assert feature_map.shape == (1, 256, 14, 12)  # layer3, stride 16


def test_token_t_is_spatial_position_t_div_w_t_mod_w():
    model = build()
    captured = {}
    model.model.backbone.register_forward_hook(lambda m, i, o: captured.update(feature_map=o.feature_maps[-1]))
    model.model.sequence_encoder.register_forward_pre_hook(lambda m, args: captured.update(tokens=args[0]))
    model(torch.randn(2, 3, 96, 64))
    feature_map, tokens = captured["feature_map"], captured["tokens"]
    _, channels, height, width = feature_map.shape
    assert (height, width) == (3, 2) and tokens.shape == (2, height * width, channels)
    for t in range(height * width):
        torch.testing.assert_close(tokens[:, t], feature_map[:, :, t // width, t % width], rtol=0, atol=0)


@pytest.mark.parametrize("pooling", ["self_attention_mean", "attribute_queries"])
def test_batch_invariance_in_eval(pooling):
    model = build(pooling=pooling)
    pixel_values = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        batched = model(pixel_values).logits
        one_by_one = torch.cat([model(pixel_values[i : i + 1]).logits for i in range(4)])
    torch.testing.assert_close(batched, one_by_one, atol=1e-5, rtol=0)


def test_multi_label_loss_uses_pos_weight():
    model = build(pos_weight=[1.0, 5.0, 0.5])
    pixel_values, labels = torch.randn(2, 3, 64, 64), torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    out = model(pixel_values, labels=labels)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        out.logits, labels, pos_weight=torch.tensor([1.0, 5.0, 0.5])
    )
    torch.testing.assert_close(out.loss, expected)
    unweighted = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, labels)
    assert not torch.isclose(out.loss, unweighted)


def test_single_label_loss_is_cross_entropy():
    model = build(problem_type="single_label_classification")
    labels = torch.tensor([0, 2])
    out = model(torch.randn(2, 3, 64, 64), labels=labels)
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))


@pytest.mark.parametrize("pooling", ["self_attention_mean", "attribute_queries"])
def test_every_parameter_gets_a_gradient(pooling):
    model = build(pooling=pooling).train()
    model(torch.randn(2, 3, 64, 64), labels=torch.ones(2, 3)).loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


@pytest.mark.parametrize("pooling", ["self_attention_mean", "attribute_queries"])
def test_bf16_autocast_forward_and_backward(pooling):
    model = build(pooling=pooling).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(2, 3, 64, 64), labels=torch.ones(2, 3), output_attentions=True)
    # attention ran in bf16 (autocast is really on), the LSTM in fp32, the loss in fp32
    assert out.attentions[0].dtype == torch.bfloat16 and out.loss.dtype == torch.float32
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert all(p.grad is not None for p in model.model.sequence_encoder.parameters())


def test_second_autobackbone_type_works():
    backbone = ConvNextConfig(num_stages=2, hidden_sizes=[8, 16], depths=[1, 1], out_features=["stage2"])
    config = tiny_config(backbone_config=backbone)
    model = ResNetLstmAttentionForImageClassification(config).eval()
    out = model(torch.randn(1, 3, 64, 64), output_hidden_states=True)
    assert out.logits.shape == (1, 3) and out.hidden_states[model.model.token_stage_index].shape == (1, 16, 8, 8)
    reloaded = ResNetLstmAttentionConfig.from_dict(config.to_dict())
    assert isinstance(reloaded.backbone_config, ConvNextConfig)


def test_backbone_stage_is_configurable():
    model = build(backbone_config=tiny_backbone(out_features=["stage3"]))
    out = model(torch.randn(1, 3, 64, 64), output_hidden_states=True)
    assert out.hidden_states[model.model.token_stage_index].shape == (1, 16, 4, 4)
    assert len(out.hidden_states) == 4 + 2  # stem, stages 1-3, encoder output, attention output
    # Stage 4 would be computed and thrown away: it is not built.
    assert len(model.model.backbone.encoder.stages) == 3
    assert not any(name.startswith("model.backbone.encoder.stages.3.") for name in model.state_dict())


@pytest.mark.parametrize(
    "overrides,field",
    [
        (dict(num_attention_heads=3), "num_attention_heads"),
        (dict(pooling="max"), "pooling"),
        (dict(lstm_hidden_size=-4), "lstm_hidden_size"),
        (dict(lstm_num_layers=0), "lstm_num_layers"),
        (dict(classifier_dropout=1.5), "classifier_dropout"),
        (dict(pos_weight=[1.0]), "pos_weight"),
        (dict(value_stage="stage9"), "value_stage"),
        (dict(attention_grid="pixels"), "attention_grid"),
        (dict(pooling="self_attention_mean", attention_grid="value_stage"), "attention_grid"),
        (dict(attention_keys="patch"), "attention_keys"),
        (dict(pooling="self_attention_mean", attention_keys="local"), "attention_keys"),
        (dict(attention_normalization="softermax"), "attention_normalization"),
        (dict(backbone_config=tiny_backbone(out_features=["stage2"]), value_stage="stage3"), "value_stage"),
        (dict(backbone_config=dict(model_type="resnet", out_features=["stage9"])), "out_features"),
    ],
)
def test_bad_config_raises_value_error_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        tiny_config(**overrides)


def test_default_backbone_matches_torchvision_resnet18_up_to_layer3():
    model = ResNetLstmAttentionForImageClassification(ResNetLstmAttentionConfig(num_labels=40))
    backbone_params = sum(p.numel() for p in model.model.backbone.parameters())
    torchvision_params = sum(
        p.numel()
        for name, p in torchvision.models.resnet18().named_parameters()
        if not name.startswith(("fc.", "layer4."))
    )
    assert backbone_params == torchvision_params == 2_782_784
    # docs/python.md states these totals for the default 40-attribute model and its `self_attention_mean` variant.
    assert sum(p.numel() for p in model.parameters()) == 4_863_080
    mean = ResNetLstmAttentionForImageClassification(
        ResNetLstmAttentionConfig(num_labels=40, pooling="self_attention_mean")
    )
    assert sum(p.numel() for p in mean.parameters()) == 5_039_208


def test_save_load_round_trip_and_auto_classes(tmp_path):
    model = build(pooling="attribute_queries", id2label={0: "Male", 1: "Smiling", 2: "Eyeglasses"})
    model.save_pretrained(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "model.safetensors",
        "config.json",
        "configuration_resnet_lstm_attention.py",
        "modeling_resnet_lstm_attention.py",
    } <= names
    config = AutoConfig.from_pretrained(tmp_path)
    assert set(config.auto_map) == {"AutoConfig", "AutoModel", "AutoModelForImageClassification"}
    assert config.id2label[1] == "Smiling" and config.pooling == "attribute_queries"
    reloaded = AutoModelForImageClassification.from_pretrained(tmp_path).eval()
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(reloaded(pixel_values).logits, model(pixel_values).logits, rtol=0, atol=0)
    assert isinstance(AutoModel.from_pretrained(tmp_path), ResNetLstmAttentionModel)


def test_load_in_process_without_the_package(tmp_path):
    model = build()
    model.save_pretrained(tmp_path / "model")
    torch.manual_seed(1)
    pixel_values = torch.randn(2, 3, 64, 64)
    torch.save(pixel_values, tmp_path / "pixel_values.pt")
    with torch.no_grad():
        expected = model(pixel_values)
        expected_pooled = model.model(pixel_values).pooler_output
    result = run_without_package(
        f"""
        import json, torch
        from transformers import AutoModel, AutoModelForImageClassification
        try:
            import face_attributes
            raise SystemExit("the package should not be importable here")
        except ImportError:
            pass
        folder = {str(tmp_path / "model")!r}
        pixel_values = torch.load({str(tmp_path / "pixel_values.pt")!r})
        classifier = AutoModelForImageClassification.from_pretrained(folder, trust_remote_code=True).eval()
        base = AutoModel.from_pretrained(folder, trust_remote_code=True).eval()
        with torch.no_grad():
            logits = classifier(pixel_values).logits
            pooled = base(pixel_values).pooler_output
        result = {{"module": type(classifier).__module__, "logits": logits.tolist(), "pooled": pooled.tolist()}}
        print(json.dumps(result))
        """,
        cwd=tmp_path,
    )
    assert result["module"].startswith("transformers_modules")
    torch.testing.assert_close(torch.tensor(result["logits"]), expected.logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.tensor(result["pooled"]), expected_pooled, atol=1e-5, rtol=0)


@pytest.mark.parametrize("token_stage", ["stage4", "stage3"])
def test_pretrained_backbone_weights_survive_model_init(tmp_path, token_stage):
    torch.manual_seed(3)
    source = ResNetForImageClassification(
        ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1], layer_type="basic")
    )
    source.save_pretrained(tmp_path / "resnet")
    model = build(backbone_config=tiny_backbone(out_features=[token_stage]))
    model.load_pretrained_backbone(str(tmp_path / "resnet"))
    source_state, state = source.resnet.state_dict(), model.model.backbone.state_dict()
    # Every stage up to the token stage comes from the checkpoint (the later ones are not built).
    assert {
        name for name in source_state if not name.startswith("encoder.stages.3.") or token_stage == "stage4"
    } == set(state)
    for name, tensor in state.items():
        torch.testing.assert_close(tensor, source_state[name], rtol=0, atol=0, msg=name)


def test_pretrained_backbone_offline_error_names_id_and_local_folder():
    model = build()
    with pytest.raises(OSError, match=r"(?s)microsoft/resnet-18.*local folder"):
        model.load_pretrained_backbone("microsoft/resnet-18")


def test_pretrained_backbone_layout_mismatch_is_a_clear_error(tmp_path):
    ResNetForImageClassification(
        ResNetConfig(embedding_size=8, hidden_sizes=[8, 8, 8, 8], depths=[1, 1, 1, 1], layer_type="basic")
    ).save_pretrained(tmp_path / "other")
    with pytest.raises(ValueError, match="backbone_config"):
        build().load_pretrained_backbone(str(tmp_path / "other"))


def test_python_docs_quickstart_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "python.md").read_text()
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)  # the page's first example
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    assert namespace["probabilities"].shape == (2, 3) and namespace["attention"].shape == (2, 8, 3, 14 * 12)
    assert (tmp_path / "my-model" / "modeling_resnet_lstm_attention.py").exists()


# ---------------------------------------------------------------- transformers conventions

ATTENTION_POOLINGS = ["attribute_queries", "self_attention_mean"]
VARIANTS = [(encoder, pooling) for encoder in ("lstm", "gru", "none") for pooling in POOLING_TYPES]


@pytest.mark.parametrize("sequence_encoder,pooling", VARIANTS)
def test_hidden_states_are_backbone_maps_then_sequence_states_ending_in_last_hidden_state(sequence_encoder, pooling):
    model = build(sequence_encoder=sequence_encoder, pooling=pooling)
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        base = model.model(pixel_values, output_hidden_states=True)
        logits_out = model(pixel_values, output_hidden_states=True)
    width = 32 if sequence_encoder == "none" else 16  # the backbone's channels, or 2 × lstm_hidden_size
    maps, sequence_states = base.hidden_states[:5], base.hidden_states[5:]
    assert [tuple(m.shape) for m in maps] == [
        (2, 8, 16, 16),
        (2, 8, 16, 16),
        (2, 16, 8, 8),
        (2, 16, 4, 4),
        (2, 32, 2, 2),
    ]
    assert base.hidden_states[-1] is base.last_hidden_state
    assert sequence_states[0] is base.encoder_last_hidden_state and base.encoder_last_hidden_state.shape == (
        2,
        4,
        width,
    )
    num_queries = {"attribute_queries": 3, "self_attention_mean": 4, "global_average": 4}[pooling]
    assert base.last_hidden_state.shape == (2, num_queries, width)
    assert len(sequence_states) == (1 if pooling == "global_average" else 2)
    pooled_shape = (2, 3, width) if pooling == "attribute_queries" else (2, width)
    assert base.pooler_output.shape == pooled_shape
    assert len(logits_out.hidden_states) == len(base.hidden_states)


@pytest.mark.parametrize("pooling", ATTENTION_POOLINGS)
def test_attentions_lie_on_the_path_to_last_hidden_state_and_logits(pooling):
    model = build(pooling=pooling).train()
    for outputs, first in (
        (model.model(torch.randn(2, 3, 64, 64), output_attentions=True), "last_hidden_state"),
        (model(torch.randn(2, 3, 64, 64), output_attentions=True), "logits"),
    ):
        attentions = outputs.attentions[0]
        attentions.retain_grad()
        getattr(outputs, first).flatten()[0].backward()
        assert attentions.grad is not None and attentions.grad.abs().sum() > 0, first


@pytest.mark.parametrize("value_stage", ["stage2", "stage4"])
def test_attribute_queries_read_the_value_stage_under_the_attended_tokens(value_stage):
    model = build(value_stage=value_stage)  # tokens from stage4 (2×2 at 64 px)
    outputs = model.model(torch.randn(2, 3, 64, 64), output_attentions=True, output_hidden_states=True)
    value_map = outputs.hidden_states[model.model.backbone.stage_names.index(value_stage)]  # (B, C, h, w)
    factor = value_map.shape[-1] // 2
    # Token (i, j) of the stride-f grid reads the mean of the (2f-1)-wide window centred on position (f·i, f·j).
    pooled = torch.stack(
        [
            torch.stack(
                [
                    value_map[:, :, max(0, f * i - f + 1) : f * i + f, max(0, f * j - f + 1) : f * j + f].mean(
                        dim=(-2, -1)
                    )
                    for j in range(2)
                ]
            )
            for i in range(2)
            for f in [factor]
        ]
    )  # (i, j, B, C)
    values = pooled.permute(2, 0, 1, 3).reshape(2, 4, -1)  # (B, 4 tokens in raster order, C)
    attention = model.model.pooler.attention
    value = attention.v_proj(values).view(2, 4, attention.num_heads, -1).transpose(1, 2)  # (B, heads, 4, hd)
    read = (outputs.attentions[0] @ value).transpose(1, 2).reshape(2, 3, -1)  # (B, labels, D)
    torch.testing.assert_close(outputs.last_hidden_state, attention.o_proj(read), atol=1e-5, rtol=1e-5)


def test_tokens_to_finer_grid_gives_each_position_the_token_centred_nearest_to_it():
    tokens = torch.arange(6.0).reshape(1, 6, 1)  # a 2×3 token grid in raster order, token t holds t
    finer = tokens_to_finer_grid(tokens, (2, 3), (4, 6)).reshape(4, 6)  # token (i, j) sits over position (2i, 2j)
    rows, columns = [0, 1, 1, 1], [0, 1, 1, 2, 2, 2]  # ties (position 1: tokens 0 and 1) go to the later token
    assert finer.tolist() == [[3 * r + c for c in columns] for r in rows]


def test_attention_grid_value_stage_attends_over_the_value_stage_positions_and_reads_them():
    model = build(attention_grid="value_stage")  # tokens from stage4 (2×2 at 64 px), values from stage2 (8×8)
    pixel_values = torch.randn(2, 3, 64, 64)
    outputs = model.model(pixel_values, output_attentions=True, output_hidden_states=True)
    value_map = outputs.hidden_states[model.model.backbone.stage_names.index("stage2")]  # (B, C, 8, 8)
    attention = model.model.pooler.attention
    assert outputs.attentions[0].shape == (2, attention.num_heads, 3, 8 * 8)
    # Each query reads the stage2 features at the positions it attends, not a mean under a token.
    value = attention.v_proj(feature_map_to_tokens(value_map)).view(2, 64, attention.num_heads, -1).transpose(1, 2)
    read = (outputs.attentions[0] @ value).transpose(1, 2).reshape(2, 3, -1)  # (B, labels, D)
    torch.testing.assert_close(outputs.last_hidden_state, attention.o_proj(read), atol=1e-5, rtol=1e-5)
    # The 2×2 positions under the first token (rows and columns 0–1) have keys of their own.
    under_one_token = outputs.attentions[0][:, :, :, [0, 1, 8, 9]]  # (B, heads, labels, 4)
    assert (under_one_token - under_one_token.mean(dim=-1, keepdim=True)).abs().amax() > 1e-4
    # The maps every picture and score is drawn from lie on that grid, with the model's own logits.
    logits, grid = model.logits_and_attention_grid(pixel_values)
    assert grid.shape == (2, 3, 8, 8)
    torch.testing.assert_close(grid, outputs.attentions[0].mean(dim=1).reshape(2, 3, 8, 8))
    with torch.no_grad():
        torch.testing.assert_close(logits, model(pixel_values).logits, atol=1e-5, rtol=1e-5)


def test_global_average_pooling_returns_no_attentions():
    out = build(pooling="global_average")(torch.randn(1, 3, 64, 64), output_attentions=True)
    assert out.attentions is None


@pytest.mark.parametrize("pooling", POOLING_TYPES)
def test_return_dict_false_gives_tuples_from_both_classes(pooling):
    model = build(pooling=pooling, return_dict=False)
    pixel_values, labels = torch.randn(2, 3, 64, 64), torch.ones(2, 3)
    with torch.no_grad():
        classified = model(pixel_values, labels=labels, output_hidden_states=True)
        base = model.model(pixel_values)
        as_dict = model(pixel_values, labels=labels, output_hidden_states=True, return_dict=True)
    assert isinstance(classified, tuple) and isinstance(base, tuple)
    loss, logits, hidden_states = classified
    torch.testing.assert_close(logits, as_dict.logits)
    torch.testing.assert_close(loss, as_dict.loss)
    assert len(hidden_states) == len(as_dict.hidden_states)
    assert base[0].shape[0] == 2 and len(base) == 3  # last_hidden_state, pooler_output, encoder_last_hidden_state


@pytest.mark.parametrize("pooling", ATTENTION_POOLINGS)
def test_sdpa_and_eager_give_the_same_logits_and_gradients(pooling):
    torch.manual_seed(0)
    # _from_config sets the backend on the config it is given: one config each.
    eager = ResNetLstmAttentionForImageClassification._from_config(
        tiny_config(pooling=pooling), attn_implementation="eager"
    ).train()
    sdpa = ResNetLstmAttentionForImageClassification._from_config(
        tiny_config(pooling=pooling), attn_implementation="sdpa"
    ).train()
    sdpa.load_state_dict(eager.state_dict())
    assert (eager.config._attn_implementation, sdpa.config._attn_implementation) == ("eager", "sdpa")
    pixel_values, labels = torch.randn(3, 3, 64, 64), torch.tensor([[1.0, 0, 1], [0, 1, 0], [1, 1, 0]])
    for model in (eager, sdpa):
        model.dropout.p = 0.0
    outputs = [model(pixel_values, labels=labels) for model in (eager, sdpa)]
    torch.testing.assert_close(outputs[0].logits, outputs[1].logits, atol=1e-5, rtol=0)
    for model, output in zip((eager, sdpa), outputs):
        output.loss.backward()
    for (name, p_eager), p_sdpa in zip(eager.named_parameters(), sdpa.parameters()):
        torch.testing.assert_close(p_eager.grad, p_sdpa.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_sdpa_returns_weights_only_on_request_through_the_eager_function():
    model = build()  # sdpa is the default backend
    assert model.config._attn_implementation == "sdpa"
    pixel_values = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert model(pixel_values).attentions is None
        with_weights = model(pixel_values, output_attentions=True)
        model.set_attn_implementation("eager")
        eager = model(pixel_values, output_attentions=True)
    torch.testing.assert_close(with_weights.attentions[0], eager.attentions[0])
    torch.testing.assert_close(with_weights.logits, eager.logits, atol=1e-5, rtol=0)


def test_attn_implementation_is_saved_in_and_read_from_the_config(tmp_path):
    import json

    model = ResNetLstmAttentionForImageClassification._from_config(tiny_config(), attn_implementation="eager")
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["attn_implementation"] == "eager"
    assert AutoModelForImageClassification.from_pretrained(tmp_path).config._attn_implementation == "eager"
    reloaded = AutoModelForImageClassification.from_pretrained(tmp_path, attn_implementation="sdpa")
    assert reloaded.config._attn_implementation == "sdpa"  # from_pretrained's own argument wins


@pytest.mark.parametrize("reentrant", [False, True])
@pytest.mark.parametrize(
    "sequence_encoder,pooling",
    [("lstm", "attribute_queries"), ("gru", "self_attention_mean"), ("none", "global_average")],
)
def test_gradient_checkpointing_recomputes_and_gives_the_same_gradients(sequence_encoder, pooling, reentrant):
    model = build(sequence_encoder=sequence_encoder, pooling=pooling).train()
    model.dropout.p = 0.0
    pixel_values, labels = torch.randn(2, 3, 64, 64), torch.ones(2, 3)

    def gradients():
        model.zero_grad()
        calls = []
        hook = model.model.backbone.embedder.register_forward_hook(lambda *_: calls.append(1))
        model(pixel_values, labels=labels).loss.backward()
        hook.remove()
        return {n: p.grad.clone() for n, p in model.named_parameters()}, len(calls)

    # BatchNorm's running statistics would move on every forward: keep them still for the comparison.
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = 0.0
    plain, plain_calls = gradients()
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": reentrant})
    checkpointed, checkpointed_calls = gradients()
    assert (plain_calls, checkpointed_calls) == (1, 2)  # the backbone ran again in the backward pass
    for name, grad in plain.items():
        torch.testing.assert_close(checkpointed[name], grad, atol=1e-6, rtol=1e-5, msg=name)


# ---------------------------------------------------------------- variants (what each part buys)


@pytest.mark.parametrize("sequence_encoder,pooling", VARIANTS)
def test_every_variant_trains_every_parameter(sequence_encoder, pooling):
    model = build(sequence_encoder=sequence_encoder, pooling=pooling).train()
    out = model(torch.randn(2, 3, 64, 64), labels=torch.ones(2, 3))
    assert out.logits.shape == (2, 3)
    out.loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []
    assert (model.model.sequence_encoder is None) == (sequence_encoder == "none")
    assert model.has_attention_maps == (pooling != "global_average") == hasattr(model.model.pooler, "attention")


def test_plain_baseline_has_exactly_the_parameters_of_transformers_resnet_classifier():
    # The baseline reads the last stage, like ResNetForImageClassification.
    backbone = ResNetConfig(**{**RESNET18_BACKBONE, "out_features": ["stage4"]})
    config = ResNetLstmAttentionConfig(
        backbone_config=backbone, sequence_encoder="none", pooling="global_average", num_labels=40
    )
    ours = sum(p.numel() for p in ResNetLstmAttentionForImageClassification(config).parameters())
    backbone = config.backbone_config.to_dict()
    resnet = ResNetForImageClassification(
        ResNetConfig(
            **{k: backbone[k] for k in ("embedding_size", "hidden_sizes", "depths", "layer_type")}, num_labels=40
        )
    )
    assert ours == sum(p.numel() for p in resnet.parameters()) == 11_176_512 + 512 * 40 + 40


def test_every_variant_loads_with_trust_remote_code_in_a_process_without_the_package(tmp_path):
    expected = {}
    pixel_values = torch.randn(2, 3, 64, 64)
    torch.save(pixel_values, tmp_path / "pixel_values.pt")
    variants = {
        f"{encoder}-{pooling}": dict(sequence_encoder=encoder, pooling=pooling) for encoder, pooling in VARIANTS
    }
    variants["finer-attention-grid"] = dict(attention_grid="value_stage")
    variants["local-keys-entmax"] = dict(
        attention_grid="value_stage", attention_keys="local", attention_normalization="entmax15"
    )
    for name, overrides in variants.items():
        model = build(**overrides)
        model.save_pretrained(tmp_path / name)
        with torch.no_grad():
            expected[name] = model(pixel_values).logits
    result = run_without_package(
        f"""
        import json, torch
        from transformers import AutoModelForImageClassification
        pixel_values = torch.load({str(tmp_path / "pixel_values.pt")!r})
        logits = {{}}
        for name in {sorted(expected)!r}:
            model = AutoModelForImageClassification.from_pretrained({str(tmp_path)!r} + "/" + name,
                                                                    trust_remote_code=True).eval()
            with torch.no_grad():
                logits[name] = model(pixel_values).logits.tolist()
        print(json.dumps(logits))
        """,
        cwd=tmp_path,
    )
    for name, logits in expected.items():
        torch.testing.assert_close(torch.tensor(result[name]), logits, atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize(
    "overrides,field",
    [
        (dict(sequence_encoder="transformer-xl"), "sequence_encoder"),
        (dict(sequence_encoder="none", num_attention_heads=5), "num_attention_heads"),
    ],
)
def test_bad_variant_raises_value_error_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        tiny_config(**overrides)


def test_mit_licence_file_and_a_header_in_every_source_file():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert "MIT License" in (root / "LICENSE").read_text()
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.sh"], cwd=root, capture_output=True, text=True).stdout
    files = tracked.split() or [str(p.relative_to(root)) for p in root.rglob("*.py")]
    missing = [f for f in files if "# SPDX-License-Identifier: MIT" not in (root / f).read_text()[:400]]
    assert missing == []


def test_a_folder_saved_before_value_stage_loads_with_the_logits_it_was_saved_with(caplog):
    from fixtures.make_previous_layout_model import OUTPUT, fixture_pixels

    assert "value_stage" not in json.loads((OUTPUT / "config.json").read_text())  # written by the earlier code
    transformers_logging.set_verbosity_warning()
    try:
        with caplog.at_level("WARNING"):
            model = AutoModelForImageClassification.from_pretrained(OUTPUT).eval()
    finally:
        transformers_logging.set_verbosity_error()
    assert isinstance(model, ResNetLstmAttentionForImageClassification)
    assert model.config.value_stage == "stage4"  # the token stage: the queries read the tokens, as they did then
    assert model.config.attention_grid == "tokens"
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == []
    with torch.no_grad():
        logits = model(fixture_pixels()).logits
    expected = torch.tensor(json.loads((OUTPUT / "logits.json").read_text()))
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)
    # Saved again, the folder says what it means: the field is written, so the default no longer matters.
    assert model.config.to_dict()["value_stage"] == "stage4"


def test_each_pooling_is_a_pooler_and_the_earlier_names_load_as_the_same_pooling(tmp_path):
    assert tuple(POOLERS) == POOLING_TYPES
    assert [POOLERS[name].has_attention_maps for name in POOLING_TYPES] == [True, True, False]
    assert tiny_config(pooling="mean").pooling == "self_attention_mean"
    assert tiny_config(pooling="average").pooling == "global_average"
    tiny_config(pooling="average").save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["pooling"] == "global_average"
    (tmp_path / "config.json").write_text(json.dumps({**saved, "pooling": "mean"}))  # as an earlier version wrote it
    assert ResNetLstmAttentionConfig.from_pretrained(tmp_path).pooling == "self_attention_mean"


def test_a_folder_with_the_attention_on_the_base_model_saves_again_in_the_pooler_layout(tmp_path):
    from fixtures.make_previous_layout_model import OUTPUT, fixture_pixels
    from safetensors.torch import load_file

    old_keys = set(load_file(OUTPUT / "model.safetensors"))
    assert {"model.attribute_queries", "model.attention.q_proj.weight"} <= old_keys  # weights where they were then
    model = ResNetLstmAttentionForImageClassification.from_pretrained(OUTPUT).eval()
    model.save_pretrained(tmp_path)
    new_keys = set(load_file(tmp_path / "model.safetensors"))
    assert {"model.attribute_queries", "model.pooler.attention.q_proj.weight"} <= new_keys
    assert not any(key.startswith("model.attention.") for key in new_keys)
    expected = torch.tensor(json.loads((OUTPUT / "logits.json").read_text()))
    with torch.no_grad():
        torch.testing.assert_close(
            AutoModelForImageClassification.from_pretrained(tmp_path).eval()(fixture_pixels()).logits,
            expected,
            rtol=1e-5,
            atol=1e-5,
        )
    base = AutoModel.from_pretrained(OUTPUT)  # the base model alone, from the same old folder
    torch.testing.assert_close(
        base.pooler.attention.q_proj.weight, model.model.pooler.attention.q_proj.weight, rtol=0, atol=0
    )


def test_a_pooling_defined_only_here_trains_saves_and_reloads(monkeypatch, tmp_path):
    """A new pooling is one class, one POOLERS entry and its config name: nothing else in the package changes."""
    import face_attributes.configuration_resnet_lstm_attention as configuration
    from face_attributes.modeling_resnet_lstm_attention import ResNetLstmAttentionPooler

    class MaxPooler(ResNetLstmAttentionPooler):
        """The largest value of each channel over the encoded tokens."""

        def forward(self, inputs, output_attentions=False):
            return inputs.encoded, inputs.encoded.max(dim=1).values, None  # (B, H*W, D), (B, D)

    monkeypatch.setitem(POOLERS, "max_tokens", MaxPooler)
    monkeypatch.setattr(configuration, "POOLING_TYPES", (*configuration.POOLING_TYPES, "max_tokens"))
    torch.manual_seed(0)
    model = ResNetLstmAttentionForImageClassification(tiny_config(pooling="max_tokens"))
    pixel_values, labels = torch.randn(2, 3, 64, 64), torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    outputs = model(pixel_values, labels=labels, output_attentions=True)
    outputs.loss.backward()
    assert outputs.logits.shape == (2, 3) and outputs.attentions is None and not model.has_attention_maps
    assert all(p.grad is not None for p in model.parameters())  # every part of the model is on the logits' path
    model.save_pretrained(tmp_path)
    reloaded = ResNetLstmAttentionForImageClassification.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(pixel_values).logits, model.eval()(pixel_values).logits, rtol=0, atol=0)
