# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""How well maps point at each attribute's evidence: the pointing game and the energy in its region."""

import numpy as np

from ..data.labels import config_label_names
from .maps import attribute_maps, upsample_to_image
from .regions import points_at, region_mask

POINTING_TOLERANCE = 8  # pixels around the attribute's region that still count as a hit


def scored_attributes(model, faces: list, attributes: list[str] | None) -> list[str]:
    """The chosen attributes (default: all the model predicts) that have a region on at least one face."""
    names = config_label_names(model.config)
    with_region = {a for face in faces for a in face.boxes}
    chosen = [a for a in (attributes or names) if a in with_region]
    if not chosen:
        raise ValueError(f"None of the model's attributes {names} has a region on these faces.")
    return chosen


def common_image_size(faces: list) -> tuple[int, int]:
    """The (width, height) all the faces share: maps are upsampled once per batch to one size."""
    sizes = {face.image.size for face in faces}
    if len(sizes) != 1:
        raise ValueError(f"Faces to score must all have one size (like CelebA's crops), got {sorted(sizes)}.")
    return sizes.pop()


def heat_maps(model, image_processor, chunk: list, attributes: list[str], method: str):
    """(heat (B, M, height, width) over the images, probabilities (B, L))."""
    width, height = chunk[0].image.size
    pixel_values = image_processor([f.image for f in chunk], return_tensors="pt")["pixel_values"].to(model.device)
    maps, probabilities = attribute_maps(model, pixel_values, attributes, method)
    heat = upsample_to_image(maps.cpu(), pixel_values.shape[-2:], (width, height))  # (B, M, height, width)
    return heat, probabilities.cpu()


def score_attention(
    model,
    image_processor,
    faces: list,
    attributes: list[str] | None = None,
    batch_size: int = 64,
    method: str = "attention",
) -> dict[str, dict[str, float]]:
    """How well the maps point at each attribute's evidence, on faces that know their regions.

    Per attribute, over the faces that have its region: `pointing_game`, the share of maps whose maximum (after
    bilinear upsampling to the face's pixels, each token at its receptive field's centre: `upsample_to_image`) lies
    inside the region or within 8 px of it; `energy`, the share of the upsampled map's mass inside the region;
    `area_share`, the region's share of the image (what a uniform map would give). With `self_attention_mean`
    pooling the model has one map, scored against every attribute's region. `method="grad_cam"` scores Grad-CAM maps
    instead.
    """
    attributes = scored_attributes(model, faces, attributes)
    width, height = common_image_size(faces)
    hits, energy, area = ({a: [] for a in attributes} for _ in range(3))
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        heat, _ = heat_maps(model, image_processor, chunk, attributes, method)
        for m, attribute in enumerate(attributes):
            for face, face_heat in zip(chunk, heat[:, m]):
                if attribute not in face.boxes:
                    continue
                region = face.boxes[attribute]
                y, x = divmod(int(face_heat.argmax()), width)
                hits[attribute].append(points_at(region, x, y, POINTING_TOLERANCE))
                inside = region_mask(region, width, height)
                energy[attribute].append(float(face_heat[inside].sum() / face_heat.sum()))
                area[attribute].append(float(inside.sum()) / inside.numel())
    return {
        a: {
            "pointing_game": float(np.mean(hits[a])),
            "energy": float(np.mean(energy[a])),
            "area_share": float(np.mean(area[a])),
            "faces": len(hits[a]),
        }
        for a in attributes
    }


POINTING_TARGET = 0.8  # maps that point at the evidence: the maximum inside the box for 4 faces in 5


def energy_target(area_share: float) -> float:
    """The energy a map that points at the evidence puts in the box: 3× the box's area share, or for a large box
    (over a fifth of the image, where 3× would be out of reach) halfway between its share and all of it."""
    return min(3 * area_share, (1 + area_share) / 2)


def meets_targets(score: dict[str, float]) -> bool:
    return score["pointing_game"] >= POINTING_TARGET and score["energy"] >= energy_target(score["area_share"])


def attention_score_table(scores: dict[str, dict[str, float]]) -> str:
    """Markdown: per attribute the pointing game, the energy in the box next to its target, and whether both
    targets are met (pointing game ≥ 0.8, energy ≥ `energy_target`)."""
    lines = [
        "| attribute | pointing game | energy in box | box area share | energy / area | energy target | targets met |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in scores.items():
        lines.append(
            f"| {name} | {s['pointing_game']:.2f} | {s['energy']:.2f} | {s['area_share']:.2f} | "
            f"{s['energy'] / s['area_share']:.1f}× | {energy_target(s['area_share']):.2f} | "
            f"{'yes' if meets_targets(s) else 'no'} |"
        )
    return "\n".join(lines)
