# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""An exported `.onnx` model run through ONNX Runtime, in place of the PyTorch folder.

The file alone is enough: the labels, the per-attribute thresholds and temperatures and the preprocessing travel in
its metadata (`scripts/export_onnx.py` writes them). The pipeline, `scripts/predict.py` and the web demo take it as
`--model`.
"""

import json
import os
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch

METADATA_KEY = "face_attributes"  # one JSON string in the ONNX file's metadata_props
# (has_attention_maps, per_label_attention_maps) of the poolings that files exported before the metadata carried the
# two flags can name; files exported since carry them, so a new pooling never needs a line here.
FLAGS_OF_EARLIER_EXPORTS = {
    "attribute_queries": (True, True),
    "self_attention_mean": (True, False),
    "global_average": (False, False),
    "mean": (True, False),
    "average": (False, False),
}


class OnnxModelError(ValueError):
    """A `.onnx` file that cannot serve as this project's model: the message names the file and the problem."""


@dataclass
class OnnxMetadata:
    id2label: dict[int, str]
    image_size: int
    image_mean: list[float]
    image_std: list[float]
    pooling: str
    thresholds: dict[str, float] | None = None
    temperatures: dict[str, float] | None = None  # files exported before temperature scaling have none
    has_attention_maps: bool | None = None  # None: an earlier export, read from FLAGS_OF_EARLIER_EXPORTS
    per_label_attention_maps: bool | None = None

    def map_flags(self) -> tuple[bool, bool]:
        """(has_attention_maps, per_label_attention_maps) of the exported model."""
        if self.has_attention_maps is None:
            return FLAGS_OF_EARLIER_EXPORTS[self.pooling]
        return self.has_attention_maps, self.per_label_attention_maps

    def to_json(self) -> str:
        return json.dumps({**self.__dict__, "id2label": {str(k): v for k, v in self.id2label.items()}})

    @classmethod
    def from_json(cls, text: str) -> "OnnxMetadata":
        fields = json.loads(text)
        return cls(**{**fields, "id2label": {int(k): v for k, v in fields["id2label"].items()}})


def is_onnx_path(model: str) -> bool:
    return str(model).lower().endswith(".onnx")


def read_onnx_metadata(path: str) -> OnnxMetadata:
    """The project metadata of an exported file, after checking that it is one: OnnxModelError names what is wrong."""
    import onnx

    if not os.path.isfile(path):
        raise OnnxModelError(f"{path}: no such file.")
    try:
        proto = onnx.load(path, load_external_data=False)
    except Exception as error:  # protobuf's DecodeError and friends: a truncated or foreign file
        raise OnnxModelError(f"{path} is not a readable ONNX file (truncated or damaged?): {error}") from None
    entries = {p.key: p.value for p in proto.metadata_props}
    if METADATA_KEY not in entries:
        raise OnnxModelError(
            f"{path} is an ONNX model, but not one exported by this project (no '{METADATA_KEY}' metadata): "
            "export a model folder with scripts/export_onnx.py --model DIR --output FILE.onnx."
        )
    metadata = OnnxMetadata.from_json(entries[METADATA_KEY])
    inputs = [i for i in proto.graph.input if i.name == "pixel_values"]
    if not inputs:
        raise OnnxModelError(f"{path} has no `pixel_values` input: it is not this project's model.")
    dims = [d.dim_value or d.dim_param for d in inputs[0].type.tensor_type.shape.dim]
    size = metadata.image_size
    if len(dims) != 4 or dims[1:] != [3, size, size]:
        raise OnnxModelError(
            f"{path}: its `pixel_values` input is {dims}, but its metadata says images of {size}×{size} "
            "(batch, 3, size, size): the file was changed after export; export it again."
        )
    return metadata


class OnnxClassifier:
    """The PyTorch model's interface for the pipeline and the pictures, on ONNX Runtime (CPU): `config.id2label`,
    `has_attention_maps`, `per_label_attention_maps`, `model(pixel_values).logits` and the map interface
    `logits_and_attention_grid(pixel_values)`, taking and returning torch tensors as the PyTorch model does.
    """

    def __init__(self, path: str, threads: int | None = None):
        import onnxruntime

        self.path = path
        self.metadata = read_onnx_metadata(path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise OnnxModelError(f"{path} could not be loaded by ONNX Runtime: {error}") from None
        self.output_names = [o.name for o in self.session.get_outputs()]
        labels = self.metadata.id2label
        self.config = SimpleNamespace(id2label=labels, num_labels=len(labels), pooling=self.metadata.pooling)
        self.has_attention_maps, self.per_label_attention_maps = self.metadata.map_flags()
        self.device = torch.device("cpu")

    def _run(self, pixel_values: torch.Tensor, outputs: list[str]) -> list[np.ndarray]:
        feed = {"pixel_values": pixel_values.detach().cpu().float().numpy()}
        return self.session.run(outputs, feed)

    def __call__(self, pixel_values: torch.Tensor, **ignored) -> SimpleNamespace:
        (logits,) = self._run(pixel_values, ["logits"])
        return SimpleNamespace(logits=torch.from_numpy(logits))

    def logits_and_attention_grid(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if "attention_maps" not in self.output_names:
            raise OnnxModelError(f"{self.path} was exported without attention maps: export it again with --attentions.")
        logits, maps = self._run(pixel_values, ["logits", "attention_maps"])
        return torch.from_numpy(logits), torch.from_numpy(maps)

    def logits_and_contributions(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, each position's contribution to each logit (B, L, H, W)), as the PyTorch model gives them."""
        if "contribution_maps" not in self.output_names:
            raise OnnxModelError(
                f"{self.path} has no contribution read-out: export it again with --attentions (a model with a map "
                "per attribute)."
            )
        logits, contributions = self._run(pixel_values, ["logits", "contribution_maps"])
        return torch.from_numpy(logits), torch.from_numpy(contributions)

    def image_processor(self):
        from ..data.images import build_image_processor

        meta = self.metadata
        return build_image_processor(meta.image_size, mean=meta.image_mean, std=meta.image_std)
