# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""run_classification.py as users run it: the README demo (shrunk), accelerate DDP, bf16, resume, pipeline, errors."""

import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import pipeline

from testing_utils import TINY, readme_demo_command, run_without_package, script, slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import run_classification

# The README demo command, shrunk only by arguments: tiny backbone, few steps, small eval/test subsets.


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The README demo arguments, then TINY overrides (later arguments win in argparse)."""
    output_dir = tmp_path_factory.mktemp("run") / "model"
    demo = readme_demo_command()
    assert "--dataset_name" in demo and "synthetic" in demo
    run_classification.main(
        [
            *demo,
            *TINY,
            "--output_dir",
            str(output_dir),
            *shlex.split("--max_steps 80 --eval_strategy no --save_strategy no --do_predict"),
        ]
    )
    return output_dir


def test_readme_demo_writes_results_above_chance(trained):
    results = json.loads((trained / "all_results.json").read_text())
    # Chance is 0.5 ROC-AUC; 80 steps of a tiny model are enough to be clearly above it.
    assert results["eval_roc_auc"] > 0.6
    assert sum(results[f"eval_roc_auc_{name}"] > 0.6 for name in ("Male", "Bald", "Mustache", "Wearing_Hat")) >= 3
    table = json.loads((trained / "eval_attribute_metrics.json").read_text())
    assert [row["attribute"] for row in table][:2] == ["Bald", "Blond_Hair"] and len(table) == 8
    rows = (trained / "predictions.csv").read_text().splitlines()
    assert rows[0].startswith("file,Bald_probability") and len(rows) == 1 + 32
    assert rows[1].startswith("synthetic_test_")
    card = (trained / "README.md").read_text()
    assert "trust_remote_code=True" in card and "| Male |" in card and "synthetic" in card
    assert str(trained.parent) not in card  # no local path of the training machine
    assert set(json.loads((trained / "thresholds.json").read_text())) == set(row["attribute"] for row in table)
    for name in ("model.safetensors", "config.json", "preprocessor_config.json", "modeling_resnet_lstm_attention.py"):
        assert (trained / name).exists()


def test_readme_python_snippet_runs_on_the_demo_model(trained, tmp_path, monkeypatch):
    from face_attributes.data.synthetic import make_face

    code = re.search(r"## Python in a few lines\n\n```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(
        1
    )
    from face_attributes.data.example_photos import group_photo

    group_photo()[0].save(tmp_path / "photo.jpg")  # an ordinary photo: five faces to find and align
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code.replace("outputs/synthetic", str(trained)), "README.md", "exec"), namespace)
    faces, labels = namespace["faces"], set(json.loads((trained / "thresholds.json").read_text()))
    assert len(faces) == 5 and all(set(face["probabilities"]) == labels for face in faces)
    assert faces[0]["attention_maps"]["Smiling"].shape == (900, 1400)  # over the photo
    # The plain image-classification pipeline on an aligned crop, with every attribute.
    make_face(0, "test", 0).image.save(tmp_path / "crop.jpg")
    scores = pipeline("image-classification", model=str(trained), trust_remote_code=True)("crop.jpg", top_k=40)
    assert {s["label"] for s in scores} == labels


def test_calibration_metrics_and_the_reliability_diagram(trained, tmp_path):
    from testing_utils import script

    results = json.loads((trained / "all_results.json").read_text())
    reliability = json.loads((trained / "test_reliability.json").read_text())
    assert set(reliability) == set(json.loads((trained / "thresholds.json").read_text()))
    per_attribute = [results[f"test_ece_{name}"] for name in reliability]
    assert results["test_ece"] == pytest.approx(np.mean(per_attribute)) and 0 <= min(per_attribute)
    assert all(reliability[name]["ece"] == pytest.approx(results[f"test_ece_{name}"]) for name in reliability)
    assert sum(b["count"] for b in reliability["Male"]["bins"]) == 32  # the test subset
    output = tmp_path / "reliability.png"
    plotted = script("plot_reliability").main(
        [str(trained), "--attributes", "Male", "Smiling", "--output", str(output)]
    )
    assert plotted == ["Male", "Smiling"] and output.stat().st_size > 5000


def test_model_card_loads_with_hub_metadata_and_the_test_metrics(trained):
    from huggingface_hub import ModelCard

    card = ModelCard.load(trained / "README.md")
    results = json.loads((trained / "all_results.json").read_text())
    assert card.data.license == "mit" and card.data.base_model is None and card.data.datasets is None
    assert card.data.metrics == ["accuracy", "balanced_accuracy", "f1", "roc_auc"]
    index = {(r.dataset_split, r.metric_type): r.metric_value for r in card.data.eval_results}
    assert index[("test", "accuracy")] == round(results["test_accuracy"], 4)
    assert index[("validation", "roc_auc")] == round(results["eval_roc_auc"], 4) and len(index) == 8
    for heading in (
        "## Intended use",
        "### Out-of-scope use",
        "## Bias, risks and limitations",
        "## Training data and compute",
        "## Decision thresholds",
        "## Citation",
        "### Test",
    ):
        assert heading in card.text
    assert "cartoon faces only" in card.text and "train 2,000, validation 64, test 32" in card.text
    thresholds = json.loads((trained / "thresholds.json").read_text())
    assert f"| Male | {thresholds['Male']:.2f} |" in card.text


def test_pipeline_in_a_process_without_the_package_matches_the_model(trained, tmp_path):
    from face_attributes import ResNetLstmAttentionForImageClassification
    from face_attributes.data.images import eval_transform
    from face_attributes.data.synthetic import make_face

    images = [make_face(0, "test", i).image for i in range(3)]
    for i, image in enumerate(images):
        image.save(tmp_path / f"face{i}.png")
    model = ResNetLstmAttentionForImageClassification.from_pretrained(trained).eval()
    transform = eval_transform(model.config.image_size)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.stack([transform(i) for i in images])).logits)
    result = run_without_package(
        f"""
        import json
        from transformers import pipeline
        classifier = pipeline("image-classification", model={str(trained)!r}, trust_remote_code=True)
        out = classifier([{", ".join(repr(str(tmp_path / f"face{i}.png")) for i in range(3))}], top_k=8)
        print(json.dumps([{{d["label"]: d["score"] for d in image}} for image in out]))
        """,
        cwd=tmp_path,
    )
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    got = torch.tensor([[scores[name] for name in names] for scores in result])
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--label_columns", "Beard"], r"Unknown label column.*Beard.*Available"),
        (["--image_size", "16"], r"--image_size 16 gives a 1×1 feature map.*pass --image_size 32"),
        (
            ["--subset_percentage", "10", "--validation_split_percentage", "0", "--do_eval"],
            r"--do_eval needs a validation split",
        ),
        (["--group_sampling", "balanced"], r"--group_sampling balanced needs --group_columns"),
        (
            ["--preprocessing_cache", "--augmentation", "resized_crop"],
            r"--augmentation resized_crop .* the uint8 cache does not keep",
        ),
        (["--calibrate", "temperature"], r"--calibrate temperature fits on the validation split: add --do_eval"),
        (
            ["--label_columns", "Eyeglasses", "--group_sampling", "balanced", "--group_columns", "Male"]
            + ["--group_target", "Smiling"],
            r"--group_target Smiling is not among the labels",
        ),
        (
            ["--group_sampling", "balanced", "--group_columns", "Male", "--group_target", "Male"],
            r"--group_target Male is also a group column",
        ),
    ],
)
def test_bad_input_stops_before_training(tmp_path, extra, message):
    with pytest.raises(ValueError, match=message):
        run_classification.main([*TINY, "--output_dir", str(tmp_path), "--do_train", "--max_steps", "1", *extra])
    assert not (tmp_path / "model.safetensors").exists()


def test_do_predict_without_test_split_is_an_error(tmp_path):
    from testing_utils import write_image_folder

    write_image_folder(tmp_path / "train", 10, (48, 48))
    args = [*TINY, "--train_dir", str(tmp_path / "train"), "--label_columns", "Male"]
    with pytest.raises(ValueError, match=r"--do_predict needs a test split"):
        run_classification.main([*args, "--output_dir", str(tmp_path / "out"), "--do_predict"])


@pytest.mark.usefixtures("bf16_on_this_cpu")  # emulated where the CPU has no native bf16
def test_bf16_and_channels_last_train_on_a_cpu_without_more_flags(tmp_path):
    # No --use_cpu: on a machine without a GPU, --bf16 alone means CPU autocast (tests/test_engine.py: it is active).
    results = run_classification.main(
        [
            *TINY,
            "--output_dir",
            str(tmp_path),
            *shlex.split("--do_train --do_eval --max_steps 3 --bf16 --channels_last --label_columns Male"),
        ]
    )
    assert np.isfinite(results["train_loss"]) and "eval_accuracy" in results
    card = (tmp_path / "README.md").read_text()
    assert "bf16 + channels_last" in card


def test_partial_celeba_release_trains_with_the_cache_and_the_card_carries_celeba_licence(tmp_path):
    # The CPU recipe's path (scripts/train_celeba_cpu.sh): a release folder some of whose images are missing,
    # the uint8 cache, all attributes, test predictions; with temperature scaling, groups and balanced sampling.
    from testing_utils import write_celeba_release

    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 24, "validation": 8, "test": 8}, (89, 109))
    for name in ("000003.jpg", "000035.jpg"):  # one train image, one test image
        (data_dir / "img_align_celeba" / name).unlink()
    output_dir = tmp_path / "out"
    results = run_classification.main(
        [
            *TINY,
            "--data_dir",
            str(data_dir),
            *shlex.split("--label_columns all --preprocessing_cache --output_dir"),
            str(output_dir),
            *shlex.split("--do_train --do_eval --do_predict --max_steps 2"),
            *shlex.split("--calibrate temperature --group_columns Male --group_sampling balanced"),
        ]
    )
    assert np.isfinite(results["train_loss"]) and "test_accuracy" in results
    assert (output_dir / "temperatures.json").exists() and "test_calibrated_ece" in results
    assert "test_worst_cell_accuracy_Blond_Hair" in results  # Male × each attribute's own value
    assert len((output_dir / "predictions.csv").read_text().splitlines()) == 1 + 7
    card = (output_dir / "README.md").read_text()
    assert "license: other" in card and "non-commercial research purposes only" in card
    assert "license_link: https://mmlab.ie.cuhk.edu.hk" in card and "liu2015faceattributes" in card
    assert str(tmp_path) not in card and "<local path>" in card  # --data_dir and --output_dir are not written
    synthetic_card = write_card_for(tmp_path / "synthetic")
    assert "license: mit" in synthetic_card and "non-commercial" not in synthetic_card


def test_card_licence_follows_the_data_not_the_dataset_name_default(tmp_path):
    # --train_dir leaves the --dataset_name default (flwrlabs/celeba) set: the card must not call it CelebA. A CelebA
    # parquet folder (the Hub copy's layout) whose path does not say "celeba" must get CelebA's licence.
    from huggingface_hub import ModelCard

    from testing_utils import write_hub_parquet, write_image_folder

    images = write_image_folder(tmp_path / "train", 12, (48, 48))
    parquet = write_hub_parquet(tmp_path / "copy", {"train": 12, "validation": 4}, (48, 48))
    cards = {}
    for name, source in (("images", ["--train_dir", str(images)]), ("parquet", ["--dataset_name", str(parquet)])):
        without_name = [a for i, a in enumerate(TINY) if "--dataset_name" not in TINY[max(i - 1, 0) : i + 1]]
        cards[name] = write_card_for(tmp_path / name, [*without_name, *source, "--validation_split_percentage", "25"])
    assert "license: mit" in cards["images"] and "celeba" not in cards["images"].split("---")[1]
    assert "a local image folder" in cards["images"] and "non-commercial" not in cards["images"]
    parquet_card = ModelCard.load(tmp_path / "parquet" / "README.md")
    assert parquet_card.data.license == "other" and parquet_card.data.license_name == "celeba-research-only"
    assert "non-commercial research purposes only" in parquet_card.text
    assert str(tmp_path) not in cards["parquet"] and str(tmp_path) not in cards["images"]


def write_card_for(output_dir: Path, arguments: list[str] = TINY) -> str:
    run_classification.main(
        [*arguments, "--output_dir", str(output_dir), "--do_train", "--max_steps", "1", "--label_columns", "Male"]
    )
    return (output_dir / "README.md").read_text()


def run_script(args: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


@slow
def test_interrupted_run_resumes_to_the_same_global_step(tmp_path):
    command = [
        sys.executable,
        "run_classification.py",
        *TINY,
        "--output_dir",
        str(tmp_path),
        *shlex.split("--do_train --max_steps 40 --save_steps 4 --label_columns Male --log_level info"),
    ]
    process = run_script(command, start_new_session=True)
    deadline = time.time() + 240
    while not list(tmp_path.glob("checkpoint-*/trainer_state.json")) and time.time() < deadline:
        assert process.poll() is None, process.stdout.read()[-3000:]
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # interrupted right after its first checkpoint
    process.wait()
    assert not (tmp_path / "train_results.json").exists()
    last = max(int(p.parent.name.split("-")[1]) for p in tmp_path.glob("checkpoint-*/trainer_state.json"))
    assert last < 40
    rerun = run_script(command)  # the same command: it finds the checkpoint by itself
    output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output[-3000:]
    assert re.search(rf"Resuming training from checkpoint with epoch \d+ and global step {last}\b", output)
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    assert state["global_step"] == 40


@slow
def test_accelerate_two_processes_on_cpu(tmp_path):
    command = [
        "accelerate",
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "run_classification.py",
        *TINY,
        "--output_dir",
        str(tmp_path),
        *shlex.split(
            "--do_train --do_eval --max_steps 4 --per_device_train_batch_size 4 --use_cpu --label_columns Male "
            "--log_level info --log_level_replica info"
        ),
    ]
    process = run_script(command)
    output = process.communicate(timeout=400)[0]
    assert process.returncode == 0, output[-4000:]
    assert "Process rank: 0" in output and "Process rank: 1" in output  # both processes trained
    assert "Total train batch size (w. parallel, distributed & accumulation) = 8" in output
    assert output.count("Wrote model card, metrics") == 1  # only the main process writes outputs
    assert json.loads((tmp_path / "trainer_state.json").read_text())["global_step"] == 4
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "eval_attribute_metrics.csv").exists()


@slow
def test_torch_compile_completes(tmp_path):
    # dynamo traces the LSTM (the script switches on allow_rnn); inductor on 2 CPU cores takes about a minute.
    results = run_classification.main(
        [
            *TINY,
            "--output_dir",
            str(tmp_path),
            *shlex.split("--do_train --do_eval --max_steps 2 --torch_compile --label_columns Male"),
        ]
    )
    assert np.isfinite(results["train_loss"]) and "eval_accuracy" in results


def test_card_base_model_is_the_hub_id_the_weights_started_from(tmp_path):
    def base(**kwargs):
        return run_classification.hub_base_model(run_classification.ModelArguments(**kwargs))

    assert base(backbone_name_or_path="microsoft/resnet-18") == "microsoft/resnet-18"
    assert base(backbone_name_or_path="none") is None
    assert base(backbone_name_or_path=str(tmp_path)) is None  # a local folder: no Hub id to link
    assert base(model_name_or_path="someone/face-model", backbone_name_or_path="none") == "someone/face-model"


def test_group_columns_write_group_tables_means_and_the_cards_bias_table(tmp_path):
    from huggingface_hub import ModelCard

    output_dir = tmp_path / "groups"
    arguments = [*TINY, "--label_columns", "Smiling", "Eyeglasses", "Male", "--group_columns", "Male", "Wearing_Hat"]
    results = run_classification.main(
        [*arguments, "--output_dir", str(output_dir), *shlex.split("--do_train --do_eval --do_predict --max_steps 2")]
    )
    for prefix in ("eval", "test"):
        rows = json.loads((output_dir / f"{prefix}_group_metrics.json").read_text())
        assert {row["attribute"] for row in rows} == {"Smiling", "Eyeglasses"}  # Male is a group column
        assert {row["group"] for row in rows} <= {f"Male={m} Wearing_Hat={h}" for m in (0, 1) for h in (0, 1)}
        assert sum(row["count"] for row in rows if row["attribute"] == "Smiling") == {"eval": 64, "test": 32}[prefix]
        assert (output_dir / f"{prefix}_group_metrics.csv").read_text().startswith("attribute,group,count,accuracy")
        gaps = [results[f"{prefix}_equalized_odds_gap_{name}"] for name in ("Smiling", "Eyeglasses")]
        assert results[f"{prefix}_equalized_odds_gap"] == pytest.approx(np.mean(gaps))
    saved = json.loads((output_dir / "all_results.json").read_text())
    assert saved["test_worst_group_accuracy"] == results["test_worst_group_accuracy"]
    card = ModelCard.load(output_dir / "README.md").text
    assert "groups by Male, Wearing_Hat" in card and "| equalized-odds gap |" in card
    assert f"| Smiling | {results['test_equalized_odds_gap_Smiling']:.3f} |" in card


def test_unknown_group_column_stops_before_training(tmp_path):
    with pytest.raises(ValueError, match=r"--group_columns \['Age'\] not in the dataset"):
        run_classification.main([*TINY, "--group_columns", "Age", "--output_dir", str(tmp_path), "--do_train"])


def test_group_balanced_sampling_trains_on_the_balanced_draw_and_repeats_exactly(tmp_path, caplog):
    from safetensors.torch import load_file

    arguments = [*TINY, "--label_columns", "Smiling", "--group_columns", "Male", "--max_steps", "2", "--do_train"]

    def weights(name: str, *extra: str) -> dict:
        run_classification.main([*arguments, *extra, "--output_dir", str(tmp_path / name)])
        return load_file(tmp_path / name / "model.safetensors")

    shuffled = weights("shuffled")
    with caplog.at_level("INFO", logger="face_attributes"):
        balanced = weights("balanced", "--group_sampling", "balanced", "--log_level", "info")
    assert "Group-balanced sampling over 4 groups" in caplog.text
    again = weights("again", "--group_sampling", "balanced")
    assert any(not torch.equal(shuffled[k], balanced[k]) for k in shuffled)  # other images were drawn
    assert all(torch.equal(balanced[k], again[k]) for k in balanced)  # the same ones on a rerun


def test_calibrate_temperature_saves_temperatures_the_pipeline_and_predictions_apply(trained, tmp_path):
    from face_attributes.data.synthetic import make_face
    from face_attributes.inference.pipeline import FaceAttributePipeline
    from face_attributes.inference.temperatures import load_temperatures

    output_dir = tmp_path / "calibrated"
    results = run_classification.main(
        [*TINY, "--label_columns", "Male", "Smiling", "--output_dir", str(output_dir), "--calibrate", "temperature"]
        + shlex.split("--do_train --do_eval --do_predict --max_steps 20")
    )
    temperatures = load_temperatures(str(output_dir), ["Male", "Smiling"])
    assert (temperatures > 0).all() and not np.allclose(temperatures, 1.0)
    saved = json.loads((output_dir / "all_results.json").read_text())
    for key in ("eval_ece", "eval_calibrated_ece", "test_ece", "test_calibrated_ece_Smiling"):
        assert saved[key] == results[key], key
    assert (output_dir / "test_calibrated_reliability.json").exists()
    card = (output_dir / "README.md").read_text()
    assert f"{results['test_calibrated_ece']:.3f} after temperature scaling" in card
    plotted = script("plot_reliability").main([str(output_dir), "--output", str(tmp_path / "before_after.png")])
    assert plotted == ["Male", "Smiling"] and (tmp_path / "before_after.png").stat().st_size > 5000

    faces = [make_face(0, "test", i).image for i in range(4)]
    pipeline = FaceAttributePipeline(str(output_dir), faces="aligned")
    found = pipeline.classify([face for image in faces for face in pipeline.find(image)])
    pixel_values = pipeline.processor([f.aligned for f in found], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        logits = pipeline.model(pixel_values).logits.double()
    expected = torch.sigmoid(logits / torch.as_tensor(temperatures)).numpy()
    got = np.array([[f.probabilities[n] for n in ("Male", "Smiling")] for f in found])
    np.testing.assert_allclose(got, expected, atol=1e-6)

    # predictions.csv: the decision at 0.5 agrees with the (calibrated) probability beside it.
    with open(output_dir / "predictions.csv") as f:
        row = next(iter(csv.DictReader(f)))
    probability = float(row["Male_probability"])
    assert int(row["Male"]) == int(probability >= 0.5)


def test_a_model_without_temperatures_predicts_the_plain_sigmoid_exactly(trained):
    from face_attributes.data.synthetic import make_face
    from face_attributes.inference.pipeline import FaceAttributePipeline

    assert not (trained / "temperatures.json").exists()
    pipeline = FaceAttributePipeline(str(trained), faces="aligned")
    assert (pipeline.temperatures == 1.0).all()
    found = pipeline.classify(pipeline.find(make_face(0, "test", 0).image))
    pixel_values = pipeline.processor([found[0].aligned], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        plain = torch.sigmoid(pipeline.model(pixel_values).logits.float())[0].tolist()
    assert list(found[0].probabilities.values()) == plain  # bit for bit: T = 1 changes nothing


def test_training_again_removes_the_temperatures_of_an_earlier_run(tmp_path):
    output_dir = tmp_path / "run"
    arguments = [*TINY, "--label_columns", "Male", "--output_dir", str(output_dir), "--max_steps", "2"]
    run_classification.main([*arguments, "--do_train", "--do_eval", "--calibrate", "temperature"])
    assert (output_dir / "temperatures.json").exists()
    run_classification.main([*arguments, "--do_train", "--overwrite_output_dir"])
    assert not (output_dir / "temperatures.json").exists()  # new weights: the old temperatures do not fit them


def test_a_convnext_backbone_trains_saves_reloads_without_the_package_and_exports(tmp_path):
    from transformers import ConvNextConfig, ConvNextModel

    from face_attributes.inference.onnx_export import export_onnx

    convnext = ConvNextConfig(depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 16, 32], num_labels=1000)
    torch.manual_seed(0)
    ConvNextModel(convnext).save_pretrained(tmp_path / "convnext")  # as a downloaded checkpoint would be
    output_dir = tmp_path / "model"
    arguments = [*TINY, "--label_columns", "Male", "Smiling", "--backbone_name_or_path", str(tmp_path / "convnext")]
    arguments += ["--backbone_stage", "stage3", "--output_dir", str(output_dir), "--do_train", "--max_steps", "2"]
    for flag in ("--backbone_embedding_size", "--backbone_hidden_sizes", "--backbone_depths"):  # ResNet sizes
        index = arguments.index(flag)
        arguments = arguments[:index] + arguments[index + 1 + (1 if flag == "--backbone_embedding_size" else 4) :]
    run_classification.main(arguments)
    saved = json.loads((output_dir / "config.json").read_text())
    assert saved["backbone_config"]["model_type"] == "convnext"
    assert len(saved["backbone_config"].get("id2label", {})) < 1000  # the checkpoint's ImageNet labels left out
    result = run_without_package(
        f"""
        import json, torch
        from transformers import AutoModelForImageClassification
        model = AutoModelForImageClassification.from_pretrained({str(output_dir)!r}, trust_remote_code=True).eval()
        with torch.no_grad():
            logits = model(torch.zeros(1, 3, 64, 64)).logits
        print(json.dumps({{"backbone": type(model.model.backbone).__name__, "logits": logits.tolist()}}))
        """,
        tmp_path,
    )
    assert result["backbone"] == "ConvNextBackbone" and len(result["logits"][0]) == 2
    differences = export_onnx(str(output_dir), str(tmp_path / "model.onnx"), attentions=True)
    assert max(differences.values()) < 1e-4


def test_backbone_config_flag_builds_a_random_backbone_of_that_type(tmp_path):
    from transformers import ConvNextConfig

    ConvNextConfig(depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 16, 32]).to_json_file(tmp_path / "convnext.json")
    model_args = run_classification.parse_args(
        ["--backbone_config", str(tmp_path / "convnext.json"), "--backbone_stage", "stage2", "--output_dir", "x"]
        + ["--backbone_name_or_path", "none", "--lstm_hidden_size", "8", "--num_attention_heads", "2"]
    )[0][0]
    model = run_classification.build_model(model_args, ["Male"], None)
    assert type(model.model.backbone).__name__ == "ConvNextBackbone"
    assert model.model.backbone_adapter.stage_names[model.model.token_stage_index] == "stage2"
    with pytest.raises(ValueError, match="--backbone_hidden_sizes sizes ResNet-18's layout"):
        model_args.backbone_hidden_sizes = [8, 8, 8, 8]
        run_classification.build_model(model_args, ["Male"], None)


@pytest.mark.usefixtures("bf16_on_this_cpu")  # the recipe's --bf16 parses on any machine, emulated where not native
def test_the_gpu_recipe_parses_and_reports_only_to_what_the_readme_install_has():
    from transformers.integrations import get_available_reporting_integrations

    text = (ROOT / "scripts" / "train_celeba.sh").read_text()
    flags = re.search(r"\ncommon=\((.*?)\n\)", text, re.S).group(1)
    for variable, value in {
        "$DATA": "--data_dir /data/celeba",
        "$labels": "all",
        "$((256 / NUM_GPUS))": "256",
        '"$out"': "/tmp/celeba-40",
    }.items():
        flags = flags.replace(variable, value)
    (_, _, training_args), argv = run_classification.parse_args(shlex.split(flags))
    run_classification.configure_training_arguments(training_args, argv)
    reporting = [name for name in training_args.report_to if name != "none"]
    assert set(reporting) <= set(get_available_reporting_integrations())
