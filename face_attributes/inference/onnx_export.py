# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""A trained model folder → one `.onnx` file for ONNX Runtime: dynamic batch, the saved image size, its metadata.

Exported with torch's dynamo exporter (the BiLSTM becomes ONNX's LSTM operator), checked by `onnx.checker` and by a
parity run against PyTorch; `quantize_int8` adds a statically quantized copy for CPUs.
"""

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .onnx_model import METADATA_KEY, OnnxClassifier, OnnxMetadata, read_onnx_metadata
from .temperatures import TEMPERATURES_FILE
from .thresholds import THRESHOLDS_FILE

logger = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-4  # max |ONNX Runtime − PyTorch| on the logits and maps of the fp32 export


def exported_output_names(model, attentions: bool) -> list[str]:
    """The file's outputs: `logits`; with `attentions` the maps, and for a model with a map per label also each
    position's contribution to each logit (`logits_and_contributions`)."""
    if not attentions:
        return ["logits"]
    return ["logits", "attention_maps", *(["contribution_maps"] if model.per_label_attention_maps else [])]


class ExportedOutputs(nn.Module):
    """`pixel_values` → `logits`, and with `attentions` also `attention_maps`: the head-averaged attention on the
    token grid (B, queries, H, W) that the pictures, the scores and the web demo draw, and for a model with a map per
    label `contribution_maps` (B, labels, H, W)."""

    def __init__(self, model: nn.Module, attentions: bool):
        super().__init__()
        self.model, self.attentions = model, attentions

    def forward(self, pixel_values: torch.Tensor):
        if not self.attentions:
            return self.model(pixel_values).logits
        if self.model.per_label_attention_maps:  # one pass for all three
            return self.model.logits_maps_and_contributions(pixel_values)
        return self.model.logits_and_attention_grid(pixel_values)


def read_saved_json(model_dir: str, name: str) -> dict | None:
    path = Path(model_dir, name)
    return json.loads(path.read_text()) if path.exists() else None


def build_metadata(model, processor, model_dir: str) -> OnnxMetadata:
    return OnnxMetadata(
        id2label={int(k): v for k, v in model.config.id2label.items()},
        image_size=int(model.config.image_size),
        image_mean=[float(v) for v in processor.image_mean],
        image_std=[float(v) for v in processor.image_std],
        pooling=model.config.pooling,
        has_attention_maps=model.has_attention_maps,
        per_label_attention_maps=model.per_label_attention_maps,
        thresholds=read_saved_json(model_dir, THRESHOLDS_FILE),
        temperatures=read_saved_json(model_dir, TEMPERATURES_FILE),
    )


def write_with_metadata(proto, path: str, metadata: OnnxMetadata) -> None:
    import onnx

    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, metadata.to_json()
    onnx.save(proto, path)  # one file: a ResNet-18 up to layer3 is far below protobuf's 2 GB limit
    onnx.checker.check_model(path)


def parity(model: nn.Module, path: str, attentions: bool, image_size: int) -> dict[str, float]:
    """Max |ONNX Runtime − PyTorch| over random batches of 1 and 3 images, for the logits and the maps."""
    runner = OnnxClassifier(path)
    wrapper = ExportedOutputs(model, attentions).eval()
    worst = dict.fromkeys(exported_output_names(model, attentions), 0.0)
    generator = torch.Generator().manual_seed(0)
    for batch in (1, 3):
        pixel_values = torch.randn(batch, 3, image_size, image_size, generator=generator)
        with torch.no_grad():
            expected = wrapper(pixel_values)
        expected = expected if attentions else (expected,)
        got = runner._run(pixel_values, list(worst))
        for name, want, have in zip(worst, expected, got):
            worst[name] = max(worst[name], float(np.abs(want.float().numpy() - have).max()))
    return worst


def export_onnx(model_dir: str, output: str, attentions: bool = False, opset: int = 18) -> dict[str, float]:
    """Export, check and compare with PyTorch; returns the parity (max abs differences). Raises when it fails."""
    from .pipeline import load_saved_model

    model, processor = load_saved_model(model_dir)
    metadata = build_metadata(model, processor, model_dir)
    if attentions and not model.has_attention_maps:
        raise ValueError(
            f"{model_dir} has pooling={metadata.pooling!r}: it has no attention, so there are no maps to export."
        )
    size = metadata.image_size
    example = torch.randn(2, 3, size, size)  # two images, so that the batch stays a dimension of its own
    output_names = exported_output_names(model, attentions)
    program = torch.onnx.export(
        ExportedOutputs(model, attentions).eval(),
        (example,),
        dynamo=True,
        opset_version=opset,
        input_names=["pixel_values"],
        output_names=output_names,
        dynamic_shapes=({0: torch.export.Dim("batch", min=1)},),
        verbose=False,
    )
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    write_with_metadata(program.model_proto, output, metadata)
    differences = parity(model, output, attentions, size)
    if any(d > PARITY_TOLERANCE for d in differences.values()):
        raise RuntimeError(f"{output}: ONNX Runtime differs from PyTorch by {differences} (> {PARITY_TOLERANCE}).")
    return differences


def quantize_int8(fp32_path: str, int8_path: str, calibration: list[np.ndarray]) -> None:
    """Static int8: weights per channel, activations at scales calibrated on `calibration` (preprocessed batches,
    a few validation images). ONNX Runtime runs the convolutions and matrix products in int8; the LSTM stays fp32.

    Static rather than dynamic: dynamic quantization turns the convolutions into ConvInteger, which ONNX Runtime's
    CPU provider runs slower than fp32 (docs/benchmarks.md).
    """
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(calibration)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"pixel_values": batch.astype(np.float32)}

    if not calibration:
        raise ValueError("int8 quantization needs a few images to calibrate the activation scales on.")
    with tempfile.TemporaryDirectory() as folder:
        prepared = os.path.join(folder, "prepared.onnx")
        quant_pre_process(fp32_path, prepared)  # shape inference and graph clean-up, as ONNX Runtime advises
        quantize_static(
            prepared,
            int8_path,
            Batches(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv", "MatMul", "Gemm"],
        )
    write_with_metadata(onnx.load(int8_path), int8_path, read_onnx_metadata(fp32_path))
