# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The engine choice (bf16 autocast, channels_last) in training and inference: what reaches the layers, what is
saved, and the errors where bf16 does not pay."""

import pytest
import torch
from safetensors.torch import load_file

from face_attributes import ResNetLstmAttentionForImageClassification
from face_attributes.engine import Engine, bf16_problem, describe_device
from face_attributes.training import arguments
from face_attributes.training.arguments import AttributeTrainingArguments
from face_attributes.training.augmentation import MarginCropAugment
from face_attributes.training.trainer import AttributeTrainer

from testing_utils import save_tiny_model, tiny_backbone, tiny_config

# bf16 tests run on every CPU: emulated where it has no native bf16 (the tiny models make that quick).
bf16_on_this_cpu = pytest.mark.usefixtures("bf16_on_this_cpu")


class RandomFaces(torch.utils.data.Dataset):
    """Random 64 px images (or uint8 images with `uint8_side`, for the device augmentation) and 3 labels."""

    def __init__(self, count: int = 8, uint8_side: int | None = None):
        generator = torch.Generator().manual_seed(0)
        if uint8_side is None:
            self.inputs = torch.randn(count, 3, 64, 64, generator=generator)
        else:
            self.inputs = torch.randint(0, 256, (count, 3, uint8_side, uint8_side), generator=generator).byte()
        self.key = "pixel_values" if uint8_side is None else "pixels"
        self.labels = torch.randint(0, 2, (count, 3), generator=generator).float()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {self.key: self.inputs[i], "labels": self.labels[i]}


def tiny_model(**overrides) -> ResNetLstmAttentionForImageClassification:
    torch.manual_seed(0)
    # The tokens on a 2×2 grid (stage3 at 64 px), so the LSTM and the attention have a sequence to read.
    return ResNetLstmAttentionForImageClassification(
        tiny_config(backbone_config=tiny_backbone(("stage3",)), **overrides)
    )


def training_arguments(tmp_path, **options) -> AttributeTrainingArguments:
    return AttributeTrainingArguments(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=4,
        report_to="none",
        disable_tqdm=True,
        save_strategy="no",
        dataloader_num_workers=0,
        remove_unused_columns=False,  # as run_classification.py sets it: the uint8 `pixels` reach the augmentation
        **options,
    )


def record_layer_inputs(model) -> dict[str, list]:
    """Hooks that record, at every training forward, the first convolution's input memory format and output dtype
    and the LSTM's output dtype."""
    seen = {"conv_input_channels_last": [], "conv_output_dtype": [], "lstm_output_dtype": []}
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))

    def conv_hook(module, inputs, output):
        if module.training:
            seen["conv_input_channels_last"].append(inputs[0].is_contiguous(memory_format=torch.channels_last))
            seen["conv_output_dtype"].append(output.dtype)

    conv.register_forward_hook(conv_hook)
    model.model.sequence_encoder.rnn.register_forward_hook(
        lambda module, inputs, output: seen["lstm_output_dtype"].append(output[0].dtype)
    )
    return seen


@bf16_on_this_cpu
def test_bf16_alone_trains_on_a_cpu_only_machine_with_autocast_active_in_the_trainer_step(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: --bf16 trains there")
    args = training_arguments(tmp_path, bf16=True)
    assert args.use_cpu  # set for the user: transformers' switch for CPU autocast
    model = tiny_model()
    seen = record_layer_inputs(model)
    AttributeTrainer(model=model, args=args, train_dataset=RandomFaces()).train()
    # Autocast was on during the step: the convolution computed in bf16, and so did the LSTM (on a CPU).
    assert seen["conv_output_dtype"] == [torch.bfloat16] * 2
    assert seen["lstm_output_dtype"] == [torch.bfloat16] * 2
    assert {p.dtype for p in model.parameters()} == {torch.float32}  # the weights stay fp32


def test_bf16_on_a_cpu_without_native_bf16_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(arguments, "has_bf16_accelerator", lambda: False)
    monkeypatch.setattr(arguments.torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(arguments, "bf16_problem", lambda device: "this CPU has neither avx512_bf16 nor amx_bf16")
    with pytest.raises(ValueError, match=r"--bf16 on this machine's CPU: this CPU has neither.*Drop --bf16"):
        training_arguments(tmp_path, bf16=True)


def test_without_bf16_nothing_changes(tmp_path):
    args = training_arguments(tmp_path)
    assert not args.use_cpu or not torch.cuda.is_available()
    assert args.engine == Engine()


@pytest.mark.parametrize("uint8_side", [None, 72], ids=["pixel_values", "margin_crop on the device"])
def test_channels_last_reaches_the_convolutions_in_training(tmp_path, uint8_side):
    model = tiny_model()
    seen = record_layer_inputs(model)
    augment = None if uint8_side is None else MarginCropAugment(64)
    args = training_arguments(tmp_path, channels_last=True)
    trainer = AttributeTrainer(
        model=model, args=args, train_dataset=RandomFaces(uint8_side=uint8_side), augment=augment
    )
    assert model.model.backbone.embedder.embedder.convolution.weight.is_contiguous(memory_format=torch.channels_last)
    trainer.train()
    assert seen["conv_input_channels_last"] == [True, True]
    assert seen["conv_output_dtype"] == [torch.float32] * 2  # no --bf16: fp32


def test_contiguous_training_keeps_the_usual_layout(tmp_path):
    model = tiny_model()
    seen = record_layer_inputs(model)
    AttributeTrainer(model=model, args=training_arguments(tmp_path), train_dataset=RandomFaces()).train()
    assert seen["conv_input_channels_last"] == [False, False]


def test_channels_last_fp32_logits_equal_the_contiguous_ones():
    model = tiny_model().eval()
    pixels = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        contiguous = model(pixel_values=pixels).logits
        engine = Engine(channels_last=True)
        fast = engine.prepare_model(model)(pixel_values=engine.prepare_pixels(pixels)).logits
    torch.testing.assert_close(fast, contiguous, atol=1e-5, rtol=0)


@bf16_on_this_cpu
def test_a_model_trained_channels_last_saves_the_usual_fp32_weights(tmp_path):
    model = tiny_model()
    args = training_arguments(tmp_path, channels_last=True, bf16=True)
    trainer = AttributeTrainer(model=model, args=args, train_dataset=RandomFaces())
    trainer.train()
    trainer.save_model()
    weights = load_file(tmp_path / "model.safetensors")
    assert all(w.is_contiguous() and w.dtype in (torch.float32, torch.int64) for w in weights.values())
    trained = model.state_dict()
    assert all(torch.equal(weights[name], trained[name]) for name in weights)  # the trained values, as they were
    reloaded = ResNetLstmAttentionForImageClassification.from_pretrained(tmp_path)
    assert not reloaded.model.backbone.embedder.embedder.convolution.weight.is_contiguous(
        memory_format=torch.channels_last
    )  # a folder loads in the usual layout, whatever it was trained in


@bf16_on_this_cpu
def test_bf16_inference_is_close_to_fp32_and_the_lstm_runs_in_bf16():
    model = tiny_model().eval()
    pixels = torch.randn(4, 3, 64, 64)
    engine = Engine(bf16=True, channels_last=True)
    with torch.no_grad():
        fp32 = model(pixel_values=pixels).logits
        with engine.autocast("cpu"):
            outputs = engine.prepare_model(model)(pixel_values=engine.prepare_pixels(pixels), output_hidden_states=True)
    assert outputs.hidden_states[-2].dtype == torch.bfloat16  # the sequence encoder's output
    torch.testing.assert_close(outputs.logits.float(), fp32, atol=0.1, rtol=0.05)


def test_fastest_engine_follows_native_bf16(monkeypatch):
    from face_attributes import engine as engine_module

    monkeypatch.setattr(engine_module, "cpu_bf16_instructions", lambda: None)
    assert Engine.fastest("cpu") == Engine() and "neither avx512_bf16" in bf16_problem("cpu")
    assert Engine.from_options("auto", True, "cpu") == Engine(channels_last=True)
    with pytest.raises(ValueError, match="drop --bf16"):
        Engine(bf16=True).check("cpu")
    monkeypatch.setattr(engine_module, "cpu_bf16_instructions", lambda: "amx_bf16")
    assert Engine.fastest("cpu") == Engine(bf16=True, channels_last=True)
    assert Engine.from_options("auto", False, "cpu").name == "bf16"
    assert "amx_bf16" in describe_device("cpu") and "cores" in describe_device("cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (scripts/gpu_check.sh runs it)")
def test_bf16_on_a_gpu_trains_with_the_lstm_kept_in_fp32(tmp_path):
    model = tiny_model()
    seen = record_layer_inputs(model)
    args = training_arguments(tmp_path, bf16=True, channels_last=True)
    assert not args.use_cpu
    AttributeTrainer(model=model, args=args, train_dataset=RandomFaces()).train()
    assert seen["conv_output_dtype"] == [torch.bfloat16] * 2
    assert seen["lstm_output_dtype"] == [torch.float32] * 2  # cuDNN's autocast would run it in fp16
    assert seen["conv_input_channels_last"] == [True, True]


# ---------------------------------------------------------------- inference: the pipeline, predict.py


def aligned_faces(folder, count: int = 4):
    from face_attributes.data.synthetic import make_face

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        make_face(0, "test", i).image.save(folder / f"face_{i}.jpg")
    return folder


@bf16_on_this_cpu
def test_pipeline_in_bf16_and_channels_last_answers_like_fp32(tmp_path):
    from PIL import Image

    from face_attributes.inference.faces import Face
    from face_attributes.inference.pipeline import FaceAttributePipeline

    model_dir = save_tiny_model(tmp_path / "model", backbone_config=tiny_backbone(("stage3",)))
    crops = [Image.open(p) for p in sorted(aligned_faces(tmp_path / "faces").glob("*.jpg"))]

    def probabilities(engine: Engine):
        pipeline = FaceAttributePipeline(str(model_dir), faces="aligned", device="cpu", engine=engine)
        faces = [Face(index=0, box=(0, 0, 1, 1), score=None, landmarks=None, aligned=crop) for crop in crops]
        faces = pipeline.classify(faces)
        return pipeline, torch.tensor([list(f.probabilities.values()) for f in faces])

    _, fp32 = probabilities(Engine())
    fast_pipeline, fast = probabilities(Engine(bf16=True, channels_last=True))
    conv = next(m for m in fast_pipeline.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert fast_pipeline.pixel_values(crops).is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast, fp32, atol=0.02, rtol=0)
    assert not torch.equal(fast, fp32)  # bf16 really computed them


def test_an_onnx_file_with_bf16_is_a_clear_error():
    from face_attributes.inference.pipeline import FaceAttributePipeline

    with pytest.raises(ValueError, match=r"runs in ONNX Runtime: drop them"):
        FaceAttributePipeline("model.onnx", engine=Engine(bf16=True))


@bf16_on_this_cpu
def test_predict_bf16_and_channels_last_write_the_fp32_rows_closely(tmp_path):
    import csv

    from testing_utils import script

    model_dir = save_tiny_model(tmp_path / "model")
    faces = aligned_faces(tmp_path / "faces")

    def rows(*flags):
        output = tmp_path / f"predictions{len(flags)}.csv"
        script("predict").main(["--model", str(model_dir), "--inputs", str(faces), "--output", str(output), *flags])
        with open(output) as f:
            return [[float(v) for k, v in row.items() if k.endswith("_probability")] for row in csv.DictReader(f)]

    fp32, fast = rows(), rows("--bf16", "--channels_last")
    assert len(fp32) == len(fast) == 4
    torch.testing.assert_close(torch.tensor(fast), torch.tensor(fp32), atol=0.02, rtol=0)
