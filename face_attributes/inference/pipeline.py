# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Photo → faces → aligned crops → attribute probabilities, with a saved model folder or an exported .onnx file."""

import torch
from PIL import Image

from ..data.images import image_processor_for, to_rgb
from ..engine import Engine
from ..face_geometry import face_maps
from .faces import Face, FaceDetector, find_faces
from .temperatures import calibrated_probabilities, load_temperatures


def load_saved_model(model_dir: str, device: str | torch.device = "cpu"):
    """A folder written by run_classification.py → (the model, in eval mode on `device`, with the code files saved
    beside its weights; its image processor, built from its config)."""
    from transformers import AutoModelForImageClassification

    model = AutoModelForImageClassification.from_pretrained(model_dir, trust_remote_code=True)
    return model.to(device).eval(), image_processor_for(model.config)


class FaceAttributePipeline:
    """Photo → faces → aligned crops → attribute probabilities: what scripts/predict.py and the web demo use.

    The model, its image processor, its thresholds, its temperatures (temperatures.json: calibrated probabilities;
    none saved, the plain sigmoid) and the detector are loaded once. `engine` (a saved folder only): bf16 autocast
    and channels_last where the device runs bf16 natively (`Engine.fastest(device)`); default fp32.
    """

    def __init__(
        self,
        model_dir: str,
        faces: str = "auto",
        threshold: str | float = 0.5,
        device: str | None = None,
        engine: Engine | None = None,
    ):
        from ..data.labels import config_label_names
        from .onnx_model import OnnxClassifier, is_onnx_path
        from .thresholds import load_thresholds

        if faces not in ("auto", "detect", "aligned"):
            raise ValueError(f"faces must be 'auto', 'detect' or 'aligned', got {faces!r}.")
        self.engine = engine or Engine()
        if is_onnx_path(model_dir):  # an exported file: ONNX Runtime on the CPU, everything else from its metadata
            if self.engine != Engine():
                raise ValueError(f"bf16 and channels_last run PyTorch; {model_dir} runs in ONNX Runtime: drop them.")
            self.device = "cpu"
            self.model = OnnxClassifier(model_dir)
            self.processor = self.model.image_processor()
        else:
            self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
            self.engine.check(self.device)
            self.model, self.processor = load_saved_model(model_dir, self.device)
            self.engine.prepare_model(self.model)
        self.label_names = config_label_names(self.model.config)
        self.thresholds = load_thresholds(model_dir, self.label_names, threshold)
        self.temperatures = load_temperatures(model_dir, self.label_names)
        self.mode = faces
        self.detector = FaceDetector(self.device) if faces != "aligned" else None

    def find(self, image: Image.Image) -> list[Face]:
        return find_faces(to_rgb(image), self.mode, self.detector)

    @torch.no_grad()
    def classify(self, faces: list[Face], maps_over: tuple[int, int] | None = None) -> list[Face]:
        """Fill in each face's probabilities and 0/1 decisions (one batch), and with `maps_over` (the photo's (width,
        height)) each face's `attention_maps`: attribute → its map over the photo (one "attention" map for a model
        without a map per attribute)."""
        if not faces:
            return faces
        pixel_values = self.pixel_values([f.aligned for f in faces])
        if maps_over is None:
            logits, grid = self.run_model(pixel_values).logits.float(), None
        else:
            if not self.model.has_attention_maps:
                raise ValueError(f"A model with pooling={self.model.config.pooling!r} has no attention maps.")
            with self.engine.autocast(torch.device(self.device).type):
                logits, grid = self.model.logits_and_attention_grid(pixel_values)  # (F, L), (F, Q, H, W)
            logits = logits.float()
        probabilities = calibrated_probabilities(logits, self.temperatures).cpu().numpy()
        for i, (face, row) in enumerate(zip(faces, probabilities)):
            face.probabilities = dict(zip(self.label_names, map(float, row)))
            face.predicted = {n: int(p >= t) for n, p, t in zip(self.label_names, row, self.thresholds)}
            if grid is not None:
                input_size = tuple(pixel_values.shape[-2:])
                per_label = self.model.per_label_attention_maps
                face.attention_maps = face_maps(grid[i], input_size, face, maps_over, self.label_names, per_label)
        return faces

    def pixel_values(self, crops: list[Image.Image]) -> torch.Tensor:
        """Aligned crops → the model's input (B, 3, S, S) on its device, in the engine's memory format."""
        pixel_values = self.processor(crops, return_tensors="pt")["pixel_values"]
        return self.engine.prepare_pixels(pixel_values.to(self.device))

    def run_model(self, pixel_values: torch.Tensor, **options):
        """The model's outputs for `pixel_values` (from `pixel_values()`) in the engine's precision."""
        with self.engine.autocast(torch.device(self.device).type):
            return self.model(pixel_values, **options)

    def __call__(self, image: Image.Image, return_attention_maps: bool = False) -> list[Face]:
        """The faces of a photo with their attributes (and with `return_attention_maps`, each face's maps)."""
        image = to_rgb(image)
        return self.classify(self.find(image), maps_over=image.size if return_attention_maps else None)
