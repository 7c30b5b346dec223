# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The deletion test: does hiding what a map points at change the prediction more than hiding something else?"""

import math

import numpy as np
import torch
from PIL import Image, ImageFilter

from ..data.labels import config_label_names
from .regions import region_mask
from .scores import common_image_size, heat_maps, scored_attributes

DELETION_SHARE = 0.1  # the most-attended tenth of the image is hidden


def _top_share_mask(heat: torch.Tensor, share: float) -> torch.Tensor:
    """(…, height, width) bool: the `share` of pixels with the most heat."""
    flat = heat.flatten(-2)  # (…, height*width)
    count = max(1, round(share * flat.shape[-1]))
    mask = torch.zeros_like(flat, dtype=torch.bool)
    mask.scatter_(-1, flat.topk(count, dim=-1).indices, True)
    return mask.view_as(heat)


DELETION_FILLS = ("mean", "blur")
BLUR_RADIUS = 8  # pixels: wipes out eyes, brows and lips on a 178×218 crop, keeps the face's colours and light


def occlude(image: Image.Image, mask: torch.Tensor, fill: str = "mean") -> Image.Image:
    """The image with the masked pixels hidden: set to the image's mean colour ("mean"), or replaced by a Gaussian
    blur of the image ("blur": the detail goes, the colours and light stay, so the face looks less altered)."""
    if fill not in DELETION_FILLS:
        raise ValueError(f"Unknown deletion fill {fill!r}; choose one of {DELETION_FILLS}.")
    pixels = np.asarray(image, dtype=np.float32).copy()
    if fill == "mean":
        pixels[mask.numpy()] = pixels.reshape(-1, 3).mean(axis=0)
    else:
        blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(BLUR_RADIUS)), dtype=np.float32)
        pixels[mask.numpy()] = blurred[mask.numpy()]
    return Image.fromarray(pixels.round().astype(np.uint8))


def control_attribute(faces: list, attribute: str, candidates: list[str]) -> str | None:
    """The other attribute whose region overlaps `attribute`'s least (its map is the 'another attribute' control)."""
    width, height = common_image_size(faces)

    def overlap(other: str) -> float:
        shared = [f for f in faces if attribute in f.boxes and other in f.boxes]
        if not shared:
            return math.inf
        masks = [
            (region_mask(f.boxes[attribute], width, height), region_mask(f.boxes[other], width, height)) for f in shared
        ]
        return float(np.mean([(a & b).sum() / max(1, (a | b).sum()) for a, b in masks]))

    others = [c for c in candidates if c != attribute]
    return min(others, key=overlap) if others else None


DELETION_KINDS = ("region", "moved", "other_attribute", "other_outside_region")


def _face_region_mask(face, attribute: str, width: int, height: int) -> torch.Tensor:
    """(height, width) bool: the attribute's region on this face, or nothing where the face has none."""
    if attribute not in face.boxes:
        return torch.zeros(height, width, dtype=torch.bool)
    return region_mask(face.boxes[attribute], width, height)


@torch.no_grad()
def deletion_test(
    model,
    image_processor,
    faces: list,
    attributes: list[str] | None = None,
    batch_size: int = 32,
    method: str = "attention",
    share: float = DELETION_SHARE,
    fill: str = "mean",
    correlates: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Does hiding what the map points at change the prediction, more than hiding something else?

    Per attribute and face: the most-attended `share` of the image is hidden (`fill`: set to its mean colour, or
    blurred; see `occlude`) and the attribute's probability recomputed. Two controls hide the same number of
    pixels: the same mask moved half the image down
    (wrapping round), and the most-attended `share` of another attribute's map (the one whose region overlaps
    least: is the map specific to its attribute, or just "the face"?). A map may also peak on a region it does not
    own (an Eyeglasses map with a second peak on the mouth hides the mouth for Smiling), so a third control hides
    the most-attended `share` of that other map outside this attribute's own region (`other_outside_region`):
    the control never hides the evidence. Returns the mean absolute change in the attribute's probability for
    each (`region`, `moved`, `other_attribute`, `other_outside_region`, and which attribute the other one was).

    `correlates` (attribute → another label the faces carry, e.g. `most_correlated`) adds the same means within the
    faces where that correlate is 0 and where it is 1 (`conditioned`): a map that looks specific only because its
    attribute travels with a correlate elsewhere on the face (lipstick with heavy makeup) shows it there.
    """
    attributes = scored_attributes(model, faces, attributes)
    names = config_label_names(model.config)
    width, height = common_image_size(faces)
    controls = {a: control_attribute(faces, a, attributes) for a in attributes}
    changes = {a: {kind: [] for kind in DELETION_KINDS} for a in attributes}
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        heat, probabilities = heat_maps(model, image_processor, chunk, attributes, method)
        masks = _top_share_mask(heat, share)  # (B, M, height, width)
        for m, attribute in enumerate(attributes):
            label = names.index(attribute)
            other = attributes.index(controls[attribute]) if controls[attribute] else m
            own_region = torch.stack([_face_region_mask(face, attribute, width, height) for face in chunk])
            variants = {
                "region": masks[:, m],
                "moved": masks[:, m].roll(masks.shape[-2] // 2, dims=-2),
                "other_attribute": masks[:, other],
                "other_outside_region": _top_share_mask(heat[:, other].masked_fill(own_region, -math.inf), share),
            }
            for kind, kind_masks in variants.items():
                occluded = [occlude(face.image, mask, fill) for face, mask in zip(chunk, kind_masks)]
                pixel_values = image_processor(occluded, return_tensors="pt")["pixel_values"].to(model.device)
                after = torch.sigmoid(model(pixel_values).logits.float()).cpu()[:, label]
                changes[attribute][kind] += (after - probabilities[:, label]).abs().tolist()
    results = {
        a: {**{kind: float(np.mean(values)) for kind, values in changes[a].items()}, "control_attribute": controls[a]}
        for a in attributes
    }
    for attribute, correlate in (correlates or {}).items():
        if attribute in results:
            results[attribute]["conditioned"] = conditioned_changes(changes[attribute], faces, correlate)
    return results


def conditioned_changes(changes: dict[str, list[float]], faces: list, correlate: str) -> dict:
    """{"on": correlate, "0": {kind: mean, "faces": n}, "1": {...}}: the per-face changes within each value of the
    correlate's label."""
    values = np.array([face.labels.get(correlate, -1) for face in faces])
    if (values < 0).any():
        raise ValueError(f"Conditioning on {correlate} needs its label on every face.")
    strata = {"on": correlate}
    for value in (0, 1):
        chosen = values == value
        strata[str(value)] = {
            kind: float(np.asarray(c)[chosen].mean()) if chosen.any() else float("nan") for kind, c in changes.items()
        }
        strata[str(value)]["faces"] = int(chosen.sum())
    return strata


def effect_ratio(changes: dict[str, float]) -> float:
    """The map's effect over the larger of the two controls that never hide its evidence: the same mask moved, and
    the other attribute's most-attended area outside this region. Specific: at least 2."""
    return changes["region"] / max(changes["moved"], changes["other_outside_region"], 1e-9)


def most_correlated(labels: np.ndarray, names: list[str], attributes: list[str]) -> dict[str, str]:
    """Each of `attributes` → the other label most correlated with it (largest |Pearson r| of the 0/1 labels (N, L))."""
    correlation = np.nan_to_num(np.corrcoef(labels.T.astype(np.float64)))  # (L, L)
    np.fill_diagonal(correlation, 0.0)
    return {a: names[int(np.abs(correlation[names.index(a)]).argmax())] for a in attributes}


def deletion_table(changes: dict[str, dict[str, float]]) -> str:
    """Markdown: per attribute the mean |Δ probability| when its map's top pixels are hidden and for each control,
    and the effect over the larger control, with the other attribute's map taken whole or outside this region."""
    lines = [
        "| attribute | hide its map's top 10 % | same mask moved | another attribute's top 10 % (which) | "
        "effect / larger control | that map's top 10 % outside this region | effect / larger control, outside |",
        "|---|---|---|---|---|---|---|",
    ]
    conditioned = any("conditioned" in c for c in changes.values())
    if conditioned:
        lines[0] += " conditioned on (correlate): effect / larger control, outside, where it is 0 / 1 (faces) |"
        lines[1] += "---|"
    for name, c in changes.items():
        ratio = c["region"] / max(c["moved"], c["other_attribute"], 1e-9)
        line = (
            f"| {name} | {c['region']:.3f} | {c['moved']:.3f} | {c['other_attribute']:.3f} "
            f"({c['control_attribute']}) | {ratio:.1f}× | {c['other_outside_region']:.3f} | {effect_ratio(c):.1f}× |"
        )
        if "conditioned" in c:
            strata = c["conditioned"]
            line += (
                f" {strata['on']}: {effect_ratio(strata['0']):.1f}× / {effect_ratio(strata['1']):.1f}× "
                f"({strata['0']['faces']} / {strata['1']['faces']}) |"
            )
        elif conditioned:
            line += " |"
        lines.append(line)
    return "\n".join(lines)
