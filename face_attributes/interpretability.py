# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where the model looks, measured: maps on the token grid, placed over the image, scored against each attribute's
region of the face (pointing game, energy, deletion).

Maps come from the model's own attention (`compute_attention_maps`) or, for a model without attention such as the
plain ResNet, from Grad-CAM (`grad_cam_maps`), so both go through the same scoring. A face to score is anything
with an `image` and `boxes` (attribute → one box or a list of boxes in the image's pixels): the synthetic faces
know theirs, real CelebA crops get theirs from five detected landmarks (`landmark_regions`).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter

from .data.labels import config_label_names

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in image pixels, x1/y1 excluded
METHODS = ("attention", "grad_cam", "grad_cam:STAGE")


def logits_and_attention_grid(model, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B, L), the attention averaged over heads on the token grid (B, Q, H, W)).

    What every picture and score is drawn from; an exported ONNX model computes exactly this (`onnx_export`), and
    a loaded one (`onnx_model.OnnxClassifier`) provides it as a method of its own.
    """
    if hasattr(model, "logits_and_attention_grid"):
        return model.logits_and_attention_grid(pixel_values)
    outputs = model(pixel_values, output_attentions=True, output_hidden_states=True)
    height, width = outputs.hidden_states[model.base_model.token_stage_index].shape[-2:]  # the token grid
    weights = outputs.attentions[0].float().mean(dim=1)  # (B, Q, H*W), averaged over heads
    return outputs.logits, weights.reshape(*weights.shape[:2], height, width)  # (B, Q, H, W)


@torch.no_grad()
def compute_attention_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None):
    """(maps (B, M, H, W), probabilities (B, L), map titles) from the attentions the model returns.

    `attribute_queries` pooling: one map per chosen attribute, head-averaged. `self_attention_mean`: the pooled
    output is the mean over queries of the attended tokens, so the weight each token contributes is the
    attention averaged over queries (and heads): that one map is what the classifier actually used.
    """
    if not model.has_attention_maps:
        raise ValueError(
            f"A model with `pooling={model.config.pooling!r}` has no attention, so it has no attention maps."
        )
    logits, weights = logits_and_attention_grid(model, pixel_values)  # (B, L), (B, Q, H, W)
    probabilities = torch.sigmoid(logits.float())
    names = config_label_names(model.config)
    if model.per_label_attention_maps:
        chosen = attributes or names
        maps = weights[:, _indices(names, chosen)]  # (B, M, H, W)
        titles = chosen
    else:
        maps = weights.mean(dim=1, keepdim=True)  # (B, 1, H, W)
        titles = ["attention (self-attention mean pooling)"]
    return maps, probabilities, titles


def grad_cam_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None, stage: str | None = None):
    """(maps (B, M, H, W), probabilities (B, L), titles): Grad-CAM on a backbone stage's feature map (default: the
    token stage), one map per chosen attribute (Selvaraju et al. 2017: the map weighted by its channels' mean
    gradient of the logit, ReLU).

    For any variant; with the plain ResNet (`sequence_encoder="none"`, `pooling="global_average"`, stage4 tokens) it is
    the usual Grad-CAM of the last convolutional stage, and `stage="stage3"` gives the finer map of the stage
    before. Each map sums to 1 (uniform where the ReLU leaves nothing).
    """
    names = config_label_names(model.config)
    chosen = attributes or names
    base = model.base_model
    stage_index = base.token_stage_index if stage is None else base.backbone.stage_names.index(stage)
    with torch.enable_grad():
        outputs = model(pixel_values, output_hidden_states=True)
        feature_map = outputs.hidden_states[stage_index]  # (B, C, H, W), on the logits' path
        maps = []
        for index in _indices(names, chosen):
            gradient = torch.autograd.grad(outputs.logits[:, index].sum(), feature_map, retain_graph=True)[0]
            channel_weights = gradient.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
            maps.append(torch.relu((channel_weights * feature_map).sum(dim=1)).detach())  # (B, H, W)
    maps = torch.stack(maps, dim=1).float()  # (B, M, H, W)
    total = maps.sum(dim=(2, 3), keepdim=True)
    uniform = torch.full_like(maps, 1.0 / (maps.shape[-2] * maps.shape[-1]))
    maps = torch.where(total > 0, maps / total.clamp_min(1e-12), uniform)
    return maps, torch.sigmoid(outputs.logits.detach().float()), chosen


def attribute_maps(model, pixel_values: torch.Tensor, attributes: list[str], method: str = "attention"):
    """(maps (B, M, H, W) with one map per attribute, probabilities (B, L)) by `method`: "attention", "grad_cam"
    (on the token stage) or "grad_cam:STAGE". A `self_attention_mean` model's single attention map stands for every
    attribute."""
    if method.split(":")[0] == "grad_cam":
        stage = method.split(":", 1)[1] if ":" in method else None
        maps, probabilities, _ = grad_cam_maps(model, pixel_values, attributes, stage)
        return maps, probabilities
    if method != "attention":
        raise ValueError(f"Unknown map method {method!r}; choose one of {METHODS}.")
    maps, probabilities, _ = compute_attention_maps(model, pixel_values, attributes)
    return maps.expand(-1, len(attributes), -1, -1), probabilities  # (B, M, H, W)


def _indices(names: list[str], chosen: list[str]) -> list[int]:
    unknown = [a for a in chosen if a not in names]
    if unknown:
        raise ValueError(f"Unknown attribute(s) {unknown}; the model predicts {names}.")
    return [names.index(a) for a in chosen]


def upsample_to_image(maps: torch.Tensor, input_size: tuple[int, int], image_size: tuple[int, int]) -> torch.Tensor:
    """Token maps (B, M, H, W) → (B, M, height, width) over an image of `image_size` (width, height), bilinearly.

    The model saw the image stretched to `input_size` (height, width). Each token is placed at the centre of its
    receptive field: a stride-2 convolution with "same" padding centres output j on input pixel 2j, so at stride s
    token (i, j) sits over input pixel (i·s, j·s), half a cell up and left of the centre of the i-th of H equal
    bands (where `interpolate(..., align_corners=False)` would put it). Beyond the outer tokens the map is constant.
    """
    height, width = maps.shape[-2:]
    image_width, image_height = image_size

    def token_coordinates(pixels: int, inputs: int, tokens: int) -> torch.Tensor:
        stride = 2 ** round(math.log2(inputs / tokens))  # a power of two for strided CNNs (ResNet: 4, 8, 16, 32)
        centres = (
            (torch.arange(pixels, dtype=torch.float32) + 0.5) * inputs / pixels
        )  # image pixel → input (continuous)
        position = (centres - 0.5) / stride  # in token units: token k's centre is input pixel k·s, i.e. k·s + 0.5
        return position / max(tokens - 1, 1) * 2 - 1  # grid_sample's [-1, 1] with align_corners=True

    ys = token_coordinates(image_height, input_size[0], height)
    xs = token_coordinates(image_width, input_size[1], width)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (height, width, 2) as (x, y)
    batch, count = maps.shape[:2]
    flat = maps.float().reshape(batch * count, 1, height, width)  # (B*M, 1, H, W)
    grid = grid.unsqueeze(0).expand(batch * count, -1, -1, -1).to(flat.device)
    heat = torch.nn.functional.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return heat.reshape(batch, count, image_height, image_width)  # (B, M, height, width)


# ---------------------------------------------------------------- regions of a face


def region_boxes(region: Box | list[Box]) -> list[Box]:
    """An attribute's region as a list of boxes (the ears are two)."""
    return [region] if isinstance(region[0], (int, float, np.integer, np.floating)) else list(region)


def region_mask(region: Box | list[Box], width: int, height: int) -> torch.Tensor:
    """(height, width) bool mask of the region's boxes, clipped to the image."""
    mask = torch.zeros(height, width, dtype=torch.bool)
    for x0, y0, x1, y1 in region_boxes(region):
        mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return mask


def points_at(region: Box | list[Box], x: int, y: int, tolerance: int) -> bool:
    """Whether pixel (x, y) lies in one of the region's boxes or within `tolerance` pixels of it."""
    return any(
        x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance
        for x0, y0, x1, y1 in region_boxes(region)
    )


# Attribute → the part of the face its evidence is in (as in Zhang, Bieri & Günther 2024, from CelebA's landmarks).
# Attributes of the whole face or image (Male, Young, Attractive, Blurry, Pale_Skin, ...) have no region.
FACE_PART_OF = {
    **dict.fromkeys(["Eyeglasses", "Bags_Under_Eyes", "Narrow_Eyes", "Arched_Eyebrows", "Bushy_Eyebrows"], "eyes"),
    **dict.fromkeys(["Smiling", "Mouth_Slightly_Open", "Wearing_Lipstick", "Big_Lips"], "mouth"),
    "Mustache": "upper_lip",
    **dict.fromkeys(["Goatee", "No_Beard", "Double_Chin", "5_o_Clock_Shadow", "Sideburns"], "chin_and_jaw"),
    **dict.fromkeys(["Big_Nose", "Pointy_Nose"], "nose"),
    **dict.fromkeys(
        ["Bald", "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Receding_Hairline", "Wearing_Hat"],
        "above_the_eyes",
    ),
    "Wearing_Earrings": "ears",
    **dict.fromkeys(["Wearing_Necklace", "Wearing_Necktie"], "below_the_chin"),
}
LOCAL_PARTS = ("eyes", "mouth", "upper_lip", "nose")  # the most local regions


def face_part_boxes(landmarks: np.ndarray, width: int, height: int) -> dict[str, list[Box]]:
    """Each face part's boxes from five landmarks (left eye, right eye, nose, left and right mouth corner; MTCNN's
    order), sized by the eye distance d, clipped to the image."""
    left_eye, right_eye, nose, left_mouth, right_mouth = np.asarray(landmarks, dtype=np.float64)
    d = float(np.linalg.norm(right_eye - left_eye))
    eye_y, mouth_y = (left_eye[1] + right_eye[1]) / 2, (left_mouth[1] + right_mouth[1]) / 2
    left, right = min(left_eye[0], right_eye[0]), max(left_eye[0], right_eye[0])
    mouth_left, mouth_right = min(left_mouth[0], right_mouth[0]), max(left_mouth[0], right_mouth[0])
    chin_y = mouth_y + 0.8 * d
    parts = {
        "eyes": [(left - 0.55 * d, eye_y - 0.6 * d, right + 0.55 * d, eye_y + 0.35 * d)],  # eyes and brows
        "mouth": [(mouth_left - 0.2 * d, mouth_y - 0.3 * d, mouth_right + 0.2 * d, mouth_y + 0.35 * d)],
        "upper_lip": [(mouth_left - 0.15 * d, nose[1] + 0.1 * d, mouth_right + 0.15 * d, mouth_y)],
        "nose": [(nose[0] - 0.4 * d, eye_y + 0.1 * d, nose[0] + 0.4 * d, nose[1] + 0.3 * d)],
        "chin_and_jaw": [(left - 0.7 * d, mouth_y - 0.2 * d, right + 0.7 * d, chin_y)],
        "above_the_eyes": [(left - 1.0 * d, 0, right + 1.0 * d, eye_y - 0.6 * d)],
        "ears": [
            (left - 1.4 * d, eye_y - 0.2 * d, left - 0.7 * d, mouth_y + 0.2 * d),
            (right + 0.7 * d, eye_y - 0.2 * d, right + 1.4 * d, mouth_y + 0.2 * d),
        ],
        "below_the_chin": [(left - 1.0 * d, chin_y, right + 1.0 * d, height)],
    }
    clipped = {}
    for part, boxes in parts.items():
        kept = []
        for x0, y0, x1, y1 in boxes:
            box = (max(0, round(x0)), max(0, round(y0)), min(width, round(x1)), min(height, round(y1)))
            if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:  # at least a little of it inside the image
                kept.append(box)
        if kept:
            clipped[part] = kept
    return clipped


@dataclass
class RegionFace:
    """A face to score: the image and each attribute's region (one box or a list of boxes)."""

    image: Image.Image
    boxes: dict[str, Box | list[Box]]


def landmark_regions(image: Image.Image, landmarks: np.ndarray, attributes: list[str]) -> RegionFace:
    """The face with a region for each of `attributes` that has a face part (FACE_PART_OF) inside the image."""
    parts = face_part_boxes(landmarks, *image.size)
    boxes = {a: parts[FACE_PART_OF[a]] for a in attributes if FACE_PART_OF.get(a) in parts}
    return RegionFace(image, boxes)


# ---------------------------------------------------------------- scores


POINTING_TOLERANCE = 8  # pixels around the attribute's region that still count as a hit


def _scored_attributes(model, faces: list, attributes: list[str] | None) -> list[str]:
    names = config_label_names(model.config)
    with_region = {a for face in faces for a in face.boxes}
    chosen = [a for a in (attributes or names) if a in with_region]
    if not chosen:
        raise ValueError(f"None of the model's attributes {names} has a region on these faces.")
    return chosen


def _image_size(faces: list) -> tuple[int, int]:
    sizes = {face.image.size for face in faces}
    if len(sizes) != 1:
        raise ValueError(f"Faces to score must all have one size (like CelebA's crops), got {sorted(sizes)}.")
    return sizes.pop()


def _heat_maps(model, image_processor, chunk: list, attributes: list[str], method: str):
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
    attributes = _scored_attributes(model, faces, attributes)
    width, height = _image_size(faces)
    hits, energy, area = ({a: [] for a in attributes} for _ in range(3))
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        heat, _ = _heat_maps(model, image_processor, chunk, attributes, method)
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
    width, height = _image_size(faces)

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
    """
    attributes = _scored_attributes(model, faces, attributes)
    names = config_label_names(model.config)
    width, height = _image_size(faces)
    controls = {a: control_attribute(faces, a, attributes) for a in attributes}
    changes = {a: {kind: [] for kind in DELETION_KINDS} for a in attributes}
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        heat, probabilities = _heat_maps(model, image_processor, chunk, attributes, method)
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
    return {
        a: {**{kind: float(np.mean(values)) for kind, values in changes[a].items()}, "control_attribute": controls[a]}
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


def deletion_table(changes: dict[str, dict[str, float]]) -> str:
    """Markdown: per attribute the mean |Δ probability| when its map's top pixels are hidden and for each control,
    and the effect over the larger control, with the other attribute's map taken whole or outside this region."""
    lines = [
        "| attribute | hide its map's top 10 % | same mask moved | another attribute's top 10 % (which) | "
        "effect / larger control | that map's top 10 % outside this region | effect / larger control, outside |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in changes.items():
        ratio = c["region"] / max(c["moved"], c["other_attribute"], 1e-9)
        ratio_outside = c["region"] / max(c["moved"], c["other_outside_region"], 1e-9)
        lines.append(
            f"| {name} | {c['region']:.3f} | {c['moved']:.3f} | {c['other_attribute']:.3f} "
            f"({c['control_attribute']}) | {ratio:.1f}× | {c['other_outside_region']:.3f} | {ratio_outside:.1f}× |"
        )
    return "\n".join(lines)
