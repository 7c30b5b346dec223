# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""A trained model fine-tuned on other labels: the trained body kept, new label heads, and the body frozen on ask."""

import dataclasses
import logging
import shlex
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from face_attributes.training.model_options import is_label_head

import run_classification
from testing_utils import TINY, save_tiny_model

# TINY's model layout, so that a folder from save_tiny_model is what the CLI would have trained.
LAYOUT = dict(lstm_hidden_size=16, num_attention_heads=2)


def saved_weights(folder) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


def build(folder, labels: list[str]):
    (model_args, _, _), _ = run_classification.parse_args(
        [*TINY, "--model_name_or_path", str(folder), "--output_dir", "unused", "--label_columns", *labels]
    )
    return run_classification.build_model(model_args, labels, None)


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("trained"), labels=("Male", "Smiling", "Eyeglasses"), **LAYOUT)


@pytest.mark.parametrize(
    "labels", [["Bald", "Mustache"], ["Bald", "Mustache", "Wearing_Hat"]], ids=["fewer labels", "as many labels"]
)
def test_new_labels_keep_the_trained_body_and_get_new_heads(trained_folder, labels, caplog):
    saved = saved_weights(trained_folder)
    with caplog.at_level(logging.WARNING):
        model = build(trained_folder, labels)
    assert model.config.id2label == dict(enumerate(labels)) and model.config.num_labels == len(labels)
    weights = model.state_dict()
    body = [name for name in saved if not is_label_head(name)]
    heads = [name for name in weights if is_label_head(name)]
    assert body and all(torch.equal(weights[name], saved[name]) for name in body)
    assert sorted(heads) == ["classifier.bias", "classifier.weight", "model.attribute_queries"]
    assert all(weights[name].shape[0] == len(labels) for name in heads)
    # Never another label's weights, even where the shapes would allow it: the queries are drawn afresh.
    assert not torch.equal(weights["model.attribute_queries"][:2], saved["model.attribute_queries"][:2])
    assert "newly initialised: model.attribute_queries, classifier.weight, classifier.bias" in caplog.text
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).logits.shape == (2, len(labels))


def test_the_same_labels_load_every_weight_as_saved(trained_folder):
    saved = saved_weights(trained_folder)
    weights = build(trained_folder, ["Male", "Smiling", "Eyeglasses"]).state_dict()
    assert all(torch.equal(weights[name], saved[name]) for name in saved)


def test_fine_tuning_on_new_labels_through_the_cli_with_the_body_frozen(trained_folder, tmp_path):
    saved = saved_weights(trained_folder)
    output_dir = tmp_path / "fine-tuned"
    results = run_classification.main(
        [
            *TINY,
            "--model_name_or_path",
            str(trained_folder),
            *shlex.split("--label_columns Bald Mustache --freeze_body --do_train --do_eval --max_steps 3"),
            "--output_dir",
            str(output_dir),
        ]
    )
    assert "eval_accuracy_Mustache" in results and "eval_accuracy_Male" not in results
    tuned = saved_weights(output_dir)
    assert all(torch.equal(tuned[name], saved[name]) for name in saved if not is_label_head(name))
    assert tuned["classifier.weight"].shape == (2, 32)  # BiLSTM 16 × 2 directions
    (model_args, _, _), _ = run_classification.parse_args([*TINY, "--output_dir", "unused"])
    model_args = dataclasses.replace(model_args, model_name_or_path=str(output_dir))
    reloaded = run_classification.build_model(model_args, ["Bald", "Mustache"], None)  # its own labels: loads as saved
    assert reloaded.config.id2label == {0: "Bald", 1: "Mustache"}


def test_freeze_body_without_label_heads_is_a_clear_error():
    from face_attributes.training.model_options import freeze_body

    with pytest.raises(ValueError, match="no label heads to train"):
        freeze_body(torch.nn.Linear(2, 2))
