# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""ONNX export: parity with PyTorch for every variant, int8, the .onnx file as --model, and bad files."""

import csv
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from transformers import AutoModelForImageClassification

from face_attributes.configuration_resnet_lstm_attention import POOLING_TYPES
from face_attributes.data.synthetic import make_face
from face_attributes.inference.onnx_export import export_onnx, quantize_int8
from face_attributes.inference.onnx_model import OnnxClassifier, OnnxModelError
from face_attributes.inference.pipeline import FaceAttributePipeline
from face_attributes.inference.temperatures import save_temperatures
from face_attributes.inference.thresholds import save_thresholds
from face_attributes.interpretability import compute_attention_maps, contribution_maps

from testing_utils import save_tiny_model, slow

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = [(encoder, pooling) for encoder in ("lstm", "gru", "none") for pooling in POOLING_TYPES]


@pytest.mark.parametrize("sequence_encoder,pooling", VARIANTS)
def test_every_variant_exports_with_logits_and_maps_as_pytorch_gives_them(tmp_path, sequence_encoder, pooling):
    folder = save_tiny_model(tmp_path / "model", sequence_encoder=sequence_encoder, pooling=pooling)
    attentions = pooling != "global_average"
    differences = export_onnx(str(folder), str(tmp_path / "model.onnx"), attentions=attentions)
    per_label = {"contribution_maps"} if pooling == "attribute_queries" else set()
    assert set(differences) == ({"logits", "attention_maps", *per_label} if attentions else {"logits"})
    assert max(differences.values()) <= 1e-4

    graph = onnx.load(tmp_path / "model.onnx").graph
    assert (sequence_encoder.upper() in {node.op_type for node in graph.node}) == (sequence_encoder != "none")
    runner = OnnxClassifier(str(tmp_path / "model.onnx"))
    model = AutoModelForImageClassification.from_pretrained(folder, trust_remote_code=True).eval()
    for batch in (1, 3):
        pixel_values = torch.rand(batch, 3, 64, 64)
        with torch.no_grad():
            torch.testing.assert_close(runner(pixel_values).logits, model(pixel_values).logits, rtol=0, atol=1e-4)
        if attentions:
            got, _, _ = compute_attention_maps(runner, pixel_values)
            want, _, _ = compute_attention_maps(model, pixel_values)
            assert got.shape == want.shape and got.shape[0] == batch
            torch.testing.assert_close(got, want, rtol=0, atol=1e-4)


def test_a_finer_attention_grid_exports_its_maps_on_that_grid(tmp_path):
    folder = save_tiny_model(tmp_path / "model", attention_grid="value_stage")
    differences = export_onnx(str(folder), str(tmp_path / "model.onnx"), attentions=True)
    assert max(differences.values()) <= 1e-4
    maps, _, _ = compute_attention_maps(OnnxClassifier(str(tmp_path / "model.onnx")), torch.rand(2, 3, 64, 64))
    assert maps.shape == (2, 3, 8, 8)  # stage2's grid at 64 px, not the 2×2 tokens


@pytest.mark.parametrize("normalization", ["sparsemax", "entmax15"])
def test_local_keys_and_sparse_maps_export_with_their_exact_zeros(tmp_path, normalization):
    folder = save_tiny_model(
        tmp_path / "model", attention_keys="local", attention_grid="value_stage", attention_normalization=normalization
    )
    differences = export_onnx(str(folder), str(tmp_path / "model.onnx"), attentions=True)
    assert max(differences.values()) <= 1e-4
    runner = OnnxClassifier(str(tmp_path / "model.onnx"))
    model = AutoModelForImageClassification.from_pretrained(folder, trust_remote_code=True).eval()
    pixel_values = 3 * torch.rand(3, 3, 64, 64)
    got, _, _ = compute_attention_maps(runner, pixel_values)
    want, _, _ = compute_attention_maps(model, pixel_values)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-4)
    assert torch.equal(got == 0, want == 0)
    assert set(differences) == {"logits", "attention_maps", "contribution_maps"}
    with torch.no_grad():
        torch.testing.assert_close(
            runner.logits_and_contributions(pixel_values)[1],
            model.logits_and_contributions(pixel_values)[1],
            atol=1e-4,
            rtol=0,
        )
    got, _ = contribution_maps(runner, pixel_values, ["Smiling"])
    want, _ = contribution_maps(model, pixel_values, ["Smiling"])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-4)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    folder = save_tiny_model(root / "model")
    save_thresholds(str(folder), ["Male", "Smiling", "Eyeglasses"], np.array([0.0, 1.01, 0.3]))
    save_temperatures(str(folder), ["Male", "Smiling", "Eyeglasses"], np.array([2.0, 0.5, 1.25]))
    export_onnx(str(folder), str(root / "model.onnx"), attentions=True)
    processor = OnnxClassifier(str(root / "model.onnx")).image_processor()
    calibration = [
        processor([make_face(0, "validation", i).image], return_tensors="np")["pixel_values"] for i in range(8)
    ]
    quantize_int8(str(root / "model.onnx"), str(root / "model.int8.onnx"), calibration)
    faces = root / "faces"
    faces.mkdir()
    for i in range(4):
        make_face(0, "test", i).image.save(faces / f"face_{i}.png")  # 178×218: taken as aligned crops
    return root, folder, faces


def test_int8_copy_keeps_the_metadata_and_stays_close_to_fp32(exported):
    root, _, _ = exported
    fp32, int8 = OnnxClassifier(str(root / "model.onnx")), OnnxClassifier(str(root / "model.int8.onnx"))
    assert int8.metadata == fp32.metadata and int8.metadata.thresholds["Smiling"] == 1.01
    ops = [n.op_type for n in onnx.load(root / "model.int8.onnx").graph.node]
    assert ops.count("QuantizeLinear") >= 10 and "Conv" in ops  # Conv between Dequantize/Quantize: int8 in ORT
    faces = [make_face(0, "test", i).image for i in range(8)]
    pixel_values = fp32.image_processor()(faces, return_tensors="pt")["pixel_values"]
    assert (int8(pixel_values).logits - fp32(pixel_values).logits).abs().max() < 0.5


def test_the_onnx_file_carries_the_temperatures_and_gives_the_folders_probabilities(exported):
    root, folder, _ = exported
    metadata = OnnxClassifier(str(root / "model.onnx")).metadata
    assert metadata.temperatures == {"Male": 2.0, "Smiling": 0.5, "Eyeglasses": 1.25}
    faces = [make_face(0, "test", i).image for i in range(4)]
    probabilities = {}
    for name, model in (("folder", folder), ("onnx", root / "model.onnx")):
        pipeline = FaceAttributePipeline(str(model), faces="aligned", device="cpu")
        found = pipeline.classify([face for image in faces for face in pipeline.find(image)])
        probabilities[name] = np.array([list(f.probabilities.values()) for f in found])
    np.testing.assert_allclose(probabilities["onnx"], probabilities["folder"], atol=1e-5, rtol=0)
    pipeline = FaceAttributePipeline(str(folder), faces="aligned", device="cpu")
    pixel_values = pipeline.processor(faces, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        plain = torch.sigmoid(pipeline.model(pixel_values).logits).numpy()
    assert np.abs(probabilities["folder"] - plain).max() > 1e-3  # the temperatures were applied


def test_the_pytorch_model_and_the_onnx_runner_offer_the_same_map_interface(exported):
    from face_attributes.interpretability.maps import AttributeMapModel

    root, folder, _ = exported
    runner = OnnxClassifier(str(root / "model.onnx"))
    model = AutoModelForImageClassification.from_pretrained(folder, trust_remote_code=True).eval()
    assert isinstance(runner, AttributeMapModel) and isinstance(model, AttributeMapModel)
    assert (runner.has_attention_maps, runner.per_label_attention_maps) == (True, True)  # from the file's metadata
    pixel_values = runner.image_processor()([make_face(0, "test", 0).image], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        expected = model.logits_and_attention_grid(pixel_values)
    for want, got in zip(expected, runner.logits_and_attention_grid(pixel_values)):
        assert got.shape == want.shape and (got - want).abs().max() < 1e-4


def test_an_onnx_file_exported_before_temperatures_and_map_flags_reads_as_it_was(exported):
    from face_attributes.inference.onnx_model import OnnxMetadata

    root, _, _ = exported
    old = json.loads(OnnxClassifier(str(root / "model.onnx")).metadata.to_json())
    for key in ("temperatures", "has_attention_maps", "per_label_attention_maps"):
        del old[key]  # as files exported before --calibrate and the map flags were written
    earlier = OnnxMetadata.from_json(json.dumps({**old, "pooling": "mean"}))  # and the pooling's earlier name
    assert earlier.temperatures is None and earlier.map_flags() == (True, False)


def read_csv(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@slow
def test_the_onnx_file_alone_is_a_model_for_predict_with_the_folders_csv(exported, tmp_path):
    root, folder, faces = exported
    rows = {}
    for name, model in (("folder", folder), ("onnx", root / "model.onnx")):
        command = [
            sys.executable,
            "scripts/predict.py",
            "--model",
            str(model),
            "--inputs",
            str(faces),
            "--output",
            str(tmp_path / f"{name}.csv"),
            "--threshold",
            "saved",
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        rows[name] = read_csv(tmp_path / f"{name}.csv")
    assert len(rows["onnx"]) == 4 and rows["onnx"][0].keys() == rows["folder"][0].keys()
    for ours, theirs in zip(rows["onnx"], rows["folder"]):
        for key, value in theirs.items():
            if key.endswith("_probability"):
                assert abs(float(ours[key]) - float(value)) <= 2e-6, key
            else:
                assert ours[key] == value, key  # file, box, and the 0/1 at the thresholds carried in the file
    assert {row["Male"] for row in rows["onnx"]} == {"1"} and {row["Smiling"] for row in rows["onnx"]} == {"0"}


def test_the_web_demo_draws_the_same_attention_picture_from_the_onnx_file(exported):
    sys.path.insert(0, str(ROOT))
    from app import attention_picture

    root, folder, faces = exported
    face = make_face(0, "test", 0).image
    pictures = [
        np.asarray(attention_picture(FaceAttributePipeline(str(m), faces="aligned"), face, "Smiling"))
        for m in (folder, root / "model.onnx")
    ]
    assert pictures[0].shape == (218, 178, 3)
    assert np.abs(pictures[0].astype(int) - pictures[1]).max() <= 1


def damaged_files(root: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    data = (root / "model.onnx").read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    resized = onnx.load(root / "model.onnx")
    for dim, size in zip(resized.graph.input[0].type.tensor_type.shape.dim[2:], (96, 96)):
        dim.dim_value = size
    onnx.save(resized, tmp_path / "resized.onnx")
    foreign = tmp_path / "foreign.onnx"
    torch.onnx.export(torch.nn.Linear(4, 2), (torch.randn(1, 4),), str(foreign), dynamo=True, verbose=False)
    return {
        "truncated": (truncated, "not a readable ONNX file"),
        "resized": (tmp_path / "resized.onnx", "its metadata says images of 64×64"),
        "foreign": (foreign, "not one exported by this project"),
        "missing": (tmp_path / "nope.onnx", "no such file"),
    }


@slow
def test_a_damaged_or_foreign_onnx_file_is_a_clear_error_without_a_traceback(exported, tmp_path):
    root, _, faces = exported
    for name, (path, problem) in damaged_files(root, tmp_path).items():
        with pytest.raises(OnnxModelError, match=problem):
            OnnxClassifier(str(path))
        command = [
            sys.executable,
            "scripts/predict.py",
            "--model",
            str(path),
            "--inputs",
            str(faces),
            "--output",
            str(tmp_path / "out.csv"),
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 2, (name, result.stderr[-2000:])
        assert str(path) in result.stderr and problem in result.stderr, (name, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, name
    truncated, problem = damaged_files(root, tmp_path)["truncated"]
    result = subprocess.run(
        [sys.executable, "app.py", "--model", str(truncated)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1 and problem in result.stderr and "Traceback" not in result.stderr, result.stderr


@slow
def test_export_script_writes_both_files_and_reports_accuracy(exported, tmp_path):
    _, folder, _ = exported
    output = tmp_path / "cli.onnx"
    command = [
        sys.executable,
        "scripts/export_onnx.py",
        "--model",
        str(folder),
        "--output",
        str(output),
        *shlex.split("--quantize int8 --dataset_name synthetic --max_eval_samples 32"),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert output.exists() and (tmp_path / "cli.int8.onnx").exists()
    assert "onnx.checker passed" in result.stdout
    assert "| PyTorch " in result.stdout and "| ONNX fp32 " in result.stdout and "| ONNX int8 " in result.stdout
    assert "attention_maps" not in json.dumps([o.name for o in onnx.load(output).graph.output])
