# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The `face-attributes` task, a 🤗 pipeline: a photo → every face in it, with its box, each attribute's probability
and 0/1 decision, and (`return_attention_maps=True`) each attribute's map over the photo.

    from transformers import pipeline

    classifier = pipeline("face-attributes", model="outputs/synthetic", trust_remote_code=True)
    classifier("photo.jpg")  # [{"face": 0, "box": {...}, "score": 0.99, "probabilities": {...}, "attributes": {...}}]

Saved inside every model folder beside the model files, with face_geometry.py (config.json's `custom_pipelines`
names it), so a folder shared on its own works on a machine without this package. Finding faces needs
facenet-pytorch there; images that already are aligned face crops (CelebA's 178×218 shape) need nothing more.
"""

import json
import os

import numpy as np
import torch
from transformers import Pipeline
from transformers.image_utils import load_image

from .face_geometry import FaceDetector, face_maps, find_faces, looks_aligned

FACE_MODES = ("auto", "detect", "aligned")


def saved_per_attribute(folder: str, file_name: str, label_names: list[str], default: float) -> np.ndarray:
    """A folder's per-attribute values (`thresholds.json`, `temperatures.json`) in label order, or `default`."""
    path = os.path.join(folder or "", file_name)
    if not folder or not os.path.isfile(path):
        return np.full(len(label_names), default)
    with open(path) as f:
        saved = json.load(f)
    if missing := [name for name in label_names if name not in saved]:
        raise ValueError(f"{path} has no value for {missing}: the folder's files belong to other labels.")
    return np.array([float(saved[name]) for name in label_names])


class FaceAttributesPipeline(Pipeline):
    """Photo (path, URL or PIL image; upright from its EXIF orientation) → a dict per face, left to right.

    Call options: `faces` ("auto": CelebA-shaped images are taken as aligned crops, faces are found in all others;
    "detect"; "aligned"), `return_attention_maps` (each attribute's map, `(photo height, photo width)`, 0 outside
    the face), `threshold` (one probability for every attribute instead of the folder's thresholds.json, 0.5 where
    it has none). Probabilities are calibrated by the folder's temperatures.json when it has one.
    """

    _load_processor = False
    _load_image_processor = True
    _load_feature_extractor = False
    _load_tokenizer = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.model.config
        self.label_names = [config.id2label[i] for i in range(config.num_labels)]
        folder = getattr(config, "_name_or_path", "")
        self.temperatures = saved_per_attribute(folder, "temperatures.json", self.label_names, 1.0)
        self.thresholds = saved_per_attribute(folder, "thresholds.json", self.label_names, 0.5)
        self.detector = None  # made at the first photo that needs it

    def _sanitize_parameters(self, faces=None, return_attention_maps=None, threshold=None):
        preprocess, forward, postprocess = {}, {}, {}
        if faces is not None:
            if faces not in FACE_MODES:
                raise ValueError(f"faces must be one of {FACE_MODES}, got {faces!r}.")
            preprocess["faces"] = faces
        if return_attention_maps:
            if not self.model.has_attention_maps:
                raise ValueError(f"A model with pooling={self.model.config.pooling!r} has no attention maps.")
            forward["return_attention_maps"] = postprocess["return_attention_maps"] = True
        if threshold is not None:
            postprocess["threshold"] = float(threshold)
        return preprocess, forward, postprocess

    def preprocess(self, image, faces: str = "auto"):
        photo = load_image(image)
        if self.detector is None and (faces == "detect" or (faces == "auto" and not looks_aligned(photo))):
            self.detector = FaceDetector(str(self.device) if self.device.type != "meta" else "cpu")
        found = find_faces(photo, faces, self.detector)
        pixel_values = None
        if found:
            pixel_values = self.image_processor([f.aligned for f in found], return_tensors="pt")["pixel_values"]
        return {"pixel_values": pixel_values, "faces": found, "photo_size": photo.size}

    def _forward(self, model_inputs, return_attention_maps: bool = False):
        pixel_values = model_inputs.pop("pixel_values")
        logits = grid = None
        if pixel_values is not None and return_attention_maps:
            logits, grid = self.model.logits_and_attention_grid(pixel_values)  # (F, L), (F, Q, H, W)
        elif pixel_values is not None:
            logits = self.model(pixel_values).logits
        input_size = None if pixel_values is None else tuple(pixel_values.shape[-2:])
        return {**model_inputs, "logits": logits, "grid": grid, "input_size": input_size}

    def postprocess(self, outputs, threshold: float | None = None, return_attention_maps: bool = False):
        faces = outputs["faces"]
        if not faces:
            return []
        temperatures = torch.as_tensor(self.temperatures, dtype=torch.float32)
        probabilities = torch.sigmoid(outputs["logits"].float().cpu() / temperatures).numpy()  # (F, L)
        thresholds = self.thresholds if threshold is None else np.full(len(self.label_names), threshold)
        results = []
        for face, row in zip(faces, probabilities):
            x0, y0, x1, y1 = face.box
            result = {
                "face": face.index,
                "box": {"x0": x0, "y0": y0, "x1": x1, "y1": y1},
                "score": face.score,
                "probabilities": dict(zip(self.label_names, map(float, row))),
                "attributes": {n: int(p >= t) for n, p, t in zip(self.label_names, row, thresholds)},
            }
            if return_attention_maps:
                grid, per_label = outputs["grid"][face.index], self.model.per_label_attention_maps
                where = (outputs["input_size"], face, outputs["photo_size"])
                result["attention_maps"] = face_maps(grid, *where, self.label_names, per_label)
            results.append(result)
        return results
