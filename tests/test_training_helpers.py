# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training helpers: the evaluate metric, thresholds, pos_weight, freezing stages, argument files."""

import dataclasses
import itertools
import json
import shlex
import sys
from pathlib import Path

import evaluate
import numpy as np
import pytest
import torch

from face_attributes import ResNetLstmAttentionForImageClassification
from face_attributes.metrics import ATTRIBUTE_METRICS_PATH
from face_attributes.metrics.attribute_metrics import roc_auc
from face_attributes.training.metrics import choose_thresholds
from face_attributes.training.model_options import freeze_backbone_stages, positive_weights

from testing_utils import tiny_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import run_classification


def brute_force_auc(scores, labels) -> float:
    pairs = [(p, n) for p, n in itertools.product(scores[labels == 1], scores[labels == 0])]
    return float(np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs]))


def test_roc_auc_matches_pair_counting_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, 200) / 4  # many ties
    labels = (rng.random(200) < 0.3).astype(int)
    assert roc_auc(scores, labels) == pytest.approx(brute_force_auc(scores, labels))
    assert np.isnan(roc_auc(scores, np.zeros(200, dtype=int)))


def test_metric_loaded_by_path_gives_means_and_per_attribute_values():
    metric = evaluate.load(ATTRIBUTE_METRICS_PATH)
    probabilities = np.array([[0.9, 0.2], [0.1, 0.7], [0.8, 0.4], [0.3, 0.6]])
    labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    result = metric.compute(predictions=probabilities, references=labels, label_names=["a", "b"])
    assert result["accuracy_a"] == 1.0 and result["accuracy_b"] == 0.5 and result["accuracy"] == 0.75
    assert result["balanced_accuracy_b"] == 0.5 and result["f1_b"] == 0.5 and result["roc_auc_b"] == 0.75
    assert result["roc_auc"] == pytest.approx(0.875)


def test_thresholds_maximise_balanced_accuracy():
    probabilities = np.array([[0.10], [0.20], [0.30], [0.35], [0.90]])
    labels = np.array([[0], [0], [1], [1], [1]])
    (threshold,) = choose_thresholds(probabilities, labels)
    assert 0.2 < threshold <= 0.3


def test_positive_weights_are_negatives_over_positives():
    labels = np.array([[1, 0], [0, 0], [0, 1], [0, 0]])
    assert positive_weights(labels) == [3.0, 3.0]
    assert positive_weights(np.zeros((3, 1))) == [1.0]


def test_freeze_stem_and_stage1_only():
    model = ResNetLstmAttentionForImageClassification(tiny_config())
    freeze_backbone_stages(model, ["stem", "stage1"])
    backbone = model.model.backbone
    assert not any(p.requires_grad for p in backbone.embedder.parameters())
    assert not any(p.requires_grad for p in backbone.encoder.stages[0].parameters())
    assert all(p.requires_grad for p in backbone.encoder.stages[1].parameters())
    assert all(p.requires_grad for p in model.model.sequence_encoder.parameters())
    with pytest.raises(ValueError, match=r"stage7.*\['stem', 'stage1'"):
        freeze_backbone_stages(model, ["stage7"])


def test_arguments_from_a_json_file(tmp_path):
    path = tmp_path / "args.json"
    path.write_text(
        json.dumps(
            {
                "dataset_name": "synthetic",
                "label_columns": ["Male", "Smiling"],
                "pooling": "self_attention_mean",
                "output_dir": str(tmp_path / "out"),
                "bf16": False,
            }
        )
    )
    (model_args, data_args, training_args), _ = run_classification.parse_args([str(path)])
    assert data_args.label_columns == ["Male", "Smiling"] and model_args.pooling == "self_attention_mean"
    assert training_args.output_dir == str(tmp_path / "out")


def test_pos_weight_from_data_reaches_the_loss():
    args = run_classification.ModelArguments(
        backbone_name_or_path="none",
        pos_weight_from_data=True,
        backbone_embedding_size=8,
        backbone_hidden_sizes=[8, 16, 16, 32],
        backbone_depths=[1, 1, 1, 1],
        lstm_hidden_size=8,
        num_attention_heads=2,
        image_size=64,
    )
    model = run_classification.build_model(args, ["Male", "Bald"], np.array([[1, 0], [0, 0], [1, 1], [0, 0]]))
    assert model.config.pos_weight == [1.0, 3.0]
    out = model(torch.randn(2, 3, 64, 64), labels=torch.ones(2, 2))
    assert torch.isfinite(out.loss)


def test_every_config_field_is_a_flag_with_the_config_docstring_as_help():
    from face_attributes import ResNetLstmAttentionConfig

    own_fields = set(ResNetLstmAttentionConfig.__annotations__) - {"backbone_config", "pos_weight"}
    assert own_fields <= {f.name for f in dataclasses.fields(run_classification.ModelArguments)}
    help_text = {f.name: f.metadata["help"] for f in dataclasses.fields(run_classification.ModelArguments)}
    assert help_text["sequence_encoder"].startswith("What reads the tokens")
    assert all(help_text[name] for name in own_fields)


def test_flag_help_follows_the_docstring_text_not_its_indentation(monkeypatch):
    import textwrap

    from face_attributes import ResNetLstmAttentionConfig

    def helps():
        return {
            name: run_classification.config_docstring_help(ResNetLstmAttentionConfig)[name]
            for name in ("pooling", "value_stage", "image_size")
        }

    as_written = helps()
    monkeypatch.setattr(
        ResNetLstmAttentionConfig,
        "__doc__",
        textwrap.indent(textwrap.dedent(ResNetLstmAttentionConfig.__doc__), "      "),
    )
    assert helps() == as_written
    assert as_written["pooling"].startswith('`"attribute_queries"` (a learned query per label')


def test_plain_baseline_from_the_command_line_is_resnet_plus_linear():
    (model_args, _, _), _ = run_classification.parse_args(
        shlex.split(
            "--sequence_encoder none --pooling global_average --backbone_stage stage4 "
            "--backbone_name_or_path none --output_dir unused"
        )
    )
    model = run_classification.build_model(model_args, ["Male", "Bald"], None)
    assert model.config.sequence_encoder == "none" and model.config.pooling == "global_average"
    assert sum(p.numel() for p in model.parameters()) == 11_176_512 + 512 * 2 + 2


# ---------------------------------------------------------------- group metrics (--group_columns)


def test_group_metrics_equal_a_hand_count():
    from face_attributes.training.group_metrics import group_metric_table, summary_metrics

    # Attribute A over 8 images, four men (Male=1) then four others.
    labels = np.array([[1], [1], [0], [0], [1], [0], [0], [0]])
    decisions = np.array([[1], [0], [0], [1], [1], [0], [0], [1]])
    male = np.array([[1], [1], [1], [1], [0], [0], [0], [0]])
    rows, summaries = group_metric_table(decisions, labels, male, ["A"], ["Male"], "test")
    by_group = {row["group"]: row for row in rows}
    # Men: labels 1 1 0 0, decisions 1 0 0 1; others: labels 1 0 0 0, decisions 1 0 0 1.
    assert by_group["Male=1"] == {
        "attribute": "A",
        "group": "Male=1",
        "count": 4,
        "accuracy": 2 / 4,
        "true_positive_rate": 1 / 2,
        "false_positive_rate": 1 / 2,
        "positive_rate": 2 / 4,
    }
    assert by_group["Male=0"]["accuracy"] == 3 / 4 and by_group["Male=0"]["true_positive_rate"] == 1.0
    assert by_group["Male=0"]["false_positive_rate"] == pytest.approx(1 / 3)
    # Gaps: TPR 1 − 1/2, FPR 1/2 − 1/3 → equalized odds 1/2; positive rates equal; cells (Male × A): worst 1/2.
    assert summaries["A"] == {
        "equalized_odds_gap": 0.5,
        "demographic_parity_gap": 0.0,
        "worst_group_accuracy": 0.5,
        "worst_cell_accuracy": 0.5,
    }
    assert summary_metrics(summaries, "test")["test_equalized_odds_gap"] == 0.5


def test_group_metrics_leave_out_undefined_rates_and_warn_about_empty_groups_and_own_columns(caplog):
    from face_attributes.training.group_metrics import check_group_columns, group_metric_table

    # Two group columns: the group Male=0 Young=0 has no example; Male=1 Young=1 has no positive of A (no TPR).
    labels = np.array([[1, 1], [0, 1], [0, 0], [1, 0], [0, 1]])  # columns A, Male
    decisions = np.array([[1, 1], [1, 1], [0, 0], [0, 0], [0, 1]])
    groups = np.array([[1, 0], [1, 1], [0, 1], [0, 1], [1, 1]])  # Male, Young
    with caplog.at_level("WARNING"):
        rows, summaries = group_metric_table(decisions, labels, groups, ["A", "Male"], ["Male", "Young"], "eval")
    assert "Male=0 Young=0" in caplog.text and "['Male']" in caplog.text
    assert set(summaries) == {"A"}  # Male is a group column: skipped, not a crash
    no_positives = next(row for row in rows if row["group"] == "Male=1 Young=1")
    assert np.isnan(no_positives["true_positive_rate"]) and no_positives["false_positive_rate"] == 1 / 2
    # TPR gap from the two groups that have positives only (1 and 0), not from the NaN: 1.0.
    assert summaries["A"]["equalized_odds_gap"] == 1.0
    with pytest.raises(ValueError, match=r"\['Age'\] not in the dataset"):
        check_group_columns(["Male", "Age"], ["image", "Male", "Young"])


def test_expected_calibration_error_equals_a_hand_count():
    from face_attributes.training.calibration import expected_calibration_errors, reliability_bins

    # One image per bin of 15: |0.9 − 1|, |0.8 − 0|, |0.2 − 0|, |0.6 − 1|, each a quarter of the images.
    probabilities = np.array([[0.9], [0.8], [0.2], [0.6]])
    labels = np.array([[1], [0], [0], [1]])
    assert expected_calibration_errors(probabilities, labels)[0] == pytest.approx((0.1 + 0.8 + 0.2 + 0.4) / 4)
    bins = reliability_bins(probabilities[:, 0], labels[:, 0])
    assert len(bins) == 15 and sum(b["count"] for b in bins) == 4
    full = [b for b in bins if b["count"]]
    assert [(b["mean_probability"], b["positive_rate"]) for b in full] == [
        (0.2, 0.0),
        (0.6, 1.0),
        (0.8, 0.0),
        (0.9, 1.0),
    ]
    # A calibrated attribute: within each bin the share of positives equals the probability.
    calibrated = np.repeat([[0.25], [0.75]], 4, axis=0)
    assert expected_calibration_errors(calibrated, np.array([[1], [0], [0], [0], [1], [1], [1], [0]]))[0] == 0.0


def test_group_ids_read_the_group_columns_and_the_target_as_binary_digits():
    from face_attributes.training.group_sampling import describe_groups, group_ids

    group_values = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 1]])  # (N, G)
    target = np.array([1, 0, 1, 0, 1])
    ids = group_ids(np.column_stack([group_values, target]))
    assert ids.tolist() == [1, 2, 5, 6, 7]
    assert describe_groups(ids, ["Male", "Young", "Blond_Hair"])["Male=1 Young=0 Blond_Hair=1"] == 1


def test_group_balanced_sampler_draws_every_group_equally_and_is_seeded_by_epoch():
    from face_attributes.training.group_sampling import GroupBalancedSampler

    ids = np.array([0] * 900 + [1] * 90 + [2] * 10)  # one group 90 times the size of another
    sampler = GroupBalancedSampler(ids, seed=3)
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 1000
    shares = np.bincount(ids[drawn], minlength=3) / len(drawn)
    assert np.allclose(shares, 1 / 3, atol=0.05), shares
    assert list(GroupBalancedSampler(ids, seed=3)) == drawn  # the same seed and epoch: the same draw
    sampler.set_epoch(1)
    assert list(sampler) != drawn


def test_temperature_scaling_recovers_the_overconfidence_and_lowers_the_ece():
    from face_attributes.training.calibration import expected_calibration_errors, fit_temperatures

    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, (4000, 3))
    labels = (rng.random((4000, 3)) < 1 / (1 + np.exp(-true_logits))).astype(np.int8)  # calibrated at T = 1
    scale = np.array([3.0, 1.0, 0.5])  # over-confident, calibrated, under-confident
    temperatures = fit_temperatures(true_logits * scale, labels)
    assert temperatures == pytest.approx(scale, rel=0.1)
    before = expected_calibration_errors(1 / (1 + np.exp(-true_logits * scale)), labels)
    after = expected_calibration_errors(1 / (1 + np.exp(-true_logits * scale / temperatures)), labels)
    assert after[0] < before[0] / 2 and after[2] < before[2] / 2 and after.mean() < before.mean()


def test_saved_thresholds_and_temperatures_are_read_in_label_order_with_clear_errors(tmp_path):
    from face_attributes.inference.temperatures import load_temperatures, save_temperatures
    from face_attributes.inference.thresholds import has_saved_thresholds, load_thresholds, save_thresholds

    assert not has_saved_thresholds(str(tmp_path)) and (load_temperatures(str(tmp_path), ["Male"]) == 1.0).all()
    with pytest.raises(FileNotFoundError, match=r"thresholds.json not found: train with run_classification.py"):
        load_thresholds(str(tmp_path), ["Male"], "saved")
    save_thresholds(str(tmp_path), ["Male", "Smiling"], np.array([0.3, 0.6]))
    save_temperatures(str(tmp_path), ["Male", "Smiling"], np.array([2.0, 0.5]))
    assert has_saved_thresholds(str(tmp_path))
    assert load_thresholds(str(tmp_path), ["Smiling", "Male"], "saved").tolist() == [0.6, 0.3]
    assert load_temperatures(str(tmp_path), ["Smiling", "Male"]).tolist() == [0.5, 2.0]
    with pytest.raises(ValueError, match=r"temperatures.json has no temperature for \['Eyeglasses'\]"):
        load_temperatures(str(tmp_path), ["Male", "Eyeglasses"])
