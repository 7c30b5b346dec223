# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Procedural CelebA-like faces for offline demos and tests.

Each attribute is drawn in its own facial region (hat at the top, glasses at the eyes, mustache above the
mouth, ...), and `SyntheticFace.boxes` bound every pixel an attribute changes (tested by redrawing each face with
the attribute flipped), so attention maps can be scored against them. Nuisance variation (skin, hair and
background colours, position and scale jitter, noise) keeps any single pixel from giving a label away. Every face
is a pure function of (seed, split, index, setting).

Settings: `"default"` (the demo: every model gets ~98 %) and `"hard"` (pose, scale and position jitter, in-plane
rotation, uneven lighting, background clutter, occluders and 5 % label noise in train), where the parts of the
model can be told apart.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 178, 218  # CelebA's aligned-and-cropped size
VERSION = 5  # part of the datasets cache key: bump it whenever the drawing changes
SPLIT_SIZES = {"train": 2000, "validation": 500, "test": 500}
SETTINGS = ("default", "hard")
HARD_LABEL_NOISE = 0.05  # share of train labels flipped in the "hard" setting (validation/test stay true)
SYNTHETIC_ATTRIBUTES = [
    "Male",
    "Smiling",
    "Eyeglasses",
    "Mustache",
    "Wearing_Hat",
    "Blond_Hair",
    "Bald",
    "Wearing_Lipstick",
]
SPLIT_CODES = {"train": 0, "validation": 1, "test": 2}  # CelebA's list_eval_partition codes; here part of the seed

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in pixels of the 178×218 image


@dataclass
class SyntheticFace:
    image: Image.Image
    labels: dict[str, int]
    boxes: dict[str, Box]  # the region where each attribute is drawn (whether present or not)


def _colour(rng: np.random.Generator, low: tuple, high: tuple) -> tuple[int, int, int]:
    """Any colour in the box between `low` and `high` (for backgrounds and hats)."""
    return tuple(int(rng.integers(lo, hi + 1)) for lo, hi in zip(low, high))


def _tone(rng: np.random.Generator, dark: tuple, light: tuple) -> tuple[int, int, int]:
    """A colour on the line from `dark` to `light` (skin and hair vary in tone, not in hue)."""
    t = rng.random()
    return tuple(int(d + t * (l - d)) for d, l in zip(dark, light))


def _sample_labels(rng: np.random.Generator) -> dict[str, int]:
    male = rng.random() < 0.5
    bald = male and rng.random() < 0.2
    return {
        "Male": int(male),
        "Smiling": int(rng.random() < 0.5),
        "Eyeglasses": int(rng.random() < 0.35),
        "Mustache": int(rng.random() < (0.45 if male else 0.05)),
        "Wearing_Hat": int(rng.random() < 0.3),
        "Blond_Hair": int(not bald and rng.random() < (0.2 if male else 0.45)),
        "Bald": int(bald),
        "Wearing_Lipstick": int(rng.random() < (0.03 if male else 0.7)),
    }


@dataclass
class _Head:
    """Where the head sits and its colours: what every region's drawing is placed and coloured by."""

    cx: float
    cy: float
    half_w: float
    half_h: float
    scale: float
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]

    @property
    def top(self) -> float:  # the crown
        return self.cy - self.half_h


def make_face(
    seed: int, split: str, index: int, setting: str = "default", labels: dict[str, int] | None = None
) -> SyntheticFace:
    """Draw face `index` of `split` for `seed`; the same arguments always give the same face.

    `labels` draws the same face (pose, colours, noise) with other attributes, e.g. one attribute flipped.
    """
    if setting not in SETTINGS:
        raise ValueError(f"Unknown synthetic setting {setting!r}; choose one of {SETTINGS}.")
    hard = setting == "hard"
    rng = np.random.default_rng([seed, SPLIT_CODES[split], index, SETTINGS.index(setting)])
    sampled = _sample_labels(rng)
    labels = {**sampled, **(labels or {})}
    # Every colour is drawn whatever the labels, so that flipping one attribute changes nothing else.
    frame, lipstick, hat = (
        _colour(rng, (0, 0, 0), (90, 60, 60)),
        _colour(rng, (190, 10, 40), (235, 50, 80)),
        _colour(rng, (0, 0, 0), (255, 255, 255)),
    )
    background = _colour(rng, (40, 40, 40), (230, 230, 230))
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    if hard:
        _draw_clutter(draw, rng)
    head = _place_head(rng, hard, labels)
    hair_box = _draw_head(draw, head, labels)
    eyes_box = _draw_eyes(draw, head, labels, frame)
    mustache_box, mouth_box = _draw_nose_and_mouth(draw, head, labels, lipstick)
    hat_box = _draw_hat(draw, rng, head, labels, hat)
    # Male shows in the face's shape, the brows and the long hair beside the face: the head. Hair colour shows in
    # the hair on the crown and, for long hair, beside the face.
    head_box = (head.cx - head.half_w - 14, head.top, head.cx + head.half_w + 14, head.cy + head.half_h)
    all_hair_box = hair_box if labels["Male"] else (*hair_box[:3], head.cy + head.half_h * 0.75)
    boxes = {
        "Male": head_box,
        "Smiling": mouth_box,
        "Eyeglasses": eyes_box,
        "Mustache": mustache_box,
        "Wearing_Hat": hat_box,
        "Blond_Hair": all_hair_box,
        "Bald": hair_box,
        "Wearing_Lipstick": mouth_box,
    }
    if hard:
        image, boxes = _occlude_and_rotate(image, draw, rng, head, boxes, background)
    image = _light_and_noise(image, rng, hard, head.cx)
    boxes = {name: tuple(int(round(v)) for v in box) for name, box in boxes.items()}
    if hard and split == "train":  # label noise, as in crowd-sourced annotations; evaluation keeps the truth
        labels = {name: int(value ^ (rng.random() < HARD_LABEL_NOISE)) for name, value in labels.items()}
    return SyntheticFace(image=image, labels=labels, boxes=boxes)


def _draw_clutter(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    """Shapes in skin, hair and hat colours behind the face (the hard setting)."""
    for _ in range(int(rng.integers(3, 8))):
        x, y, size = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(10, 45)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + size, y + size * rng.uniform(0.4, 1.6)), fill=_colour(rng, (0, 0, 0), (255, 255, 255)))


def _place_head(rng: np.random.Generator, hard: bool, labels: dict[str, int]) -> _Head:
    scale = rng.uniform(0.72, 1.12) if hard else rng.uniform(0.85, 1.08)
    jitter = (18, 14) if hard else (8, 8)
    cx, cy = WIDTH / 2 + rng.uniform(-jitter[0], jitter[0]), 122 + rng.uniform(-jitter[1], jitter[1])
    skin = _tone(rng, (110, 70, 50), (250, 220, 195))
    if labels["Blond_Hair"]:
        hair = _tone(rng, (200, 160, 60), (250, 230, 140))
    else:
        hair = _tone(rng, (15, 10, 10), (120, 75, 45))
    return _Head(cx, cy, 52 * scale, 68 * scale, scale, skin, hair)


def _draw_head(draw: ImageDraw.ImageDraw, head: _Head, labels: dict[str, int]) -> Box:
    """Long hair, the face and the hair cap; returns the hair's region on the crown."""
    cx, cy, half_w, half_h, top = head.cx, head.cy, head.half_w, head.half_h, head.top
    # Long hair behind the face marks a woman; it hangs beside the face, down to the jaw.
    if not labels["Male"]:
        draw.rounded_rectangle((cx - half_w - 14, top + 8, cx + half_w + 14, cy + half_h * 0.75), 20, fill=head.hair)
    # Face: a square jaw for men, an oval for women.
    if labels["Male"]:
        draw.rounded_rectangle((cx - half_w, top, cx + half_w, cy + half_h), int(22 * head.scale), fill=head.skin)
    else:
        draw.ellipse((cx - half_w, top, cx + half_w, cy + half_h), fill=head.skin)
    # Hair cap on the crown unless bald.
    if not labels["Bald"]:
        draw.chord((cx - half_w - 2, top - 12, cx + half_w + 2, top + half_h * 0.7), 180, 360, fill=head.hair)
    return (cx - half_w - 14, top - 12, cx + half_w + 14, top + half_h * 0.35)


def _draw_eyes(draw: ImageDraw.ImageDraw, head: _Head, labels: dict[str, int], frame: tuple) -> Box:
    """Eyes and brows, and glasses around them; returns the eyes' region.

    Brows are thicker on men, and brow-coloured whatever the hair (hair-coloured brows would put Blond_Hair and
    Bald evidence outside the hair's region).
    """
    cx, scale = head.cx, head.scale
    eye_y, eye_dx = head.cy - 14 * scale, 20 * scale
    for side in (-1, 1):
        ex = cx + side * eye_dx
        draw.ellipse((ex - 6 * scale, eye_y - 4 * scale, ex + 6 * scale, eye_y + 4 * scale), fill=(30, 25, 25))
        brow = (ex - 9 * scale, eye_y - 13 * scale, ex + 9 * scale, eye_y - (9 if labels["Male"] else 11) * scale)
        draw.rectangle(brow, fill=(70, 50, 40))
    if labels["Eyeglasses"]:
        for side in (-1, 1):
            ex = cx + side * eye_dx
            draw.rounded_rectangle(
                (ex - 16 * scale, eye_y - 11 * scale, ex + 16 * scale, eye_y + 11 * scale),
                4,
                outline=frame,
                width=max(4, int(5 * scale)),
            )
        draw.line((cx - eye_dx + 14 * scale, eye_y - 2, cx + eye_dx - 14 * scale, eye_y - 2), fill=frame, width=5)
    return (cx - eye_dx - 19 * scale, eye_y - 14 * scale, cx + eye_dx + 19 * scale, eye_y + 14 * scale)


def _draw_nose_and_mouth(
    draw: ImageDraw.ImageDraw, head: _Head, labels: dict[str, int], lipstick: tuple
) -> tuple[Box, Box]:
    """Nose, mustache and mouth; returns the mustache's and the mouth's regions."""
    cx, cy, scale = head.cx, head.cy, head.scale
    eye_y = cy - 14 * scale  # as in _draw_eyes: the nose starts just below the eyes
    draw.line((cx, eye_y + 6 * scale, cx - 4 * scale, cy + 12 * scale), fill=(120, 80, 70), width=2)
    mouth_y = cy + 34 * scale
    mustache_box = (cx - 24 * scale, mouth_y - 17 * scale, cx + 24 * scale, mouth_y - 4 * scale)
    if labels["Mustache"]:
        draw.rounded_rectangle(mustache_box, 5, fill=(50, 40, 35))
    lips = lipstick if labels["Wearing_Lipstick"] else tuple(int(c * 0.75) for c in head.skin)
    if labels["Smiling"]:  # a wide open smile: lips around a dark mouth with a row of teeth on top
        draw.chord((cx - 26 * scale, mouth_y - 20 * scale, cx + 26 * scale, mouth_y + 20 * scale), 0, 180, fill=lips)
        draw.chord(
            (cx - 21 * scale, mouth_y - 15 * scale, cx + 21 * scale, mouth_y + 15 * scale), 0, 180, fill=(50, 15, 20)
        )
        draw.rectangle((cx - 19 * scale, mouth_y, cx + 19 * scale, mouth_y + 5 * scale), fill=(250, 250, 245))
    else:
        draw.rectangle((cx - 14 * scale, mouth_y - 2 * scale, cx + 14 * scale, mouth_y + 3 * scale), fill=lips)
    return mustache_box, (cx - 27 * scale, mouth_y - 8 * scale, cx + 27 * scale, mouth_y + 21 * scale)


def _draw_hat(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, head: _Head, labels: dict[str, int], hat: tuple
) -> Box:
    """A crown and a brim over the top of the head, hiding the hair there as on real heads; returns its region.

    (Drawn higher, with the hair showing below the brim, the Hat maps peaked on that hairline, outside the hat:
    docs/attention.md.)
    """
    cx, half_w = head.cx, head.half_w
    brim_y = head.top + rng.uniform(6, 14) * head.scale
    if labels["Wearing_Hat"]:
        draw.rectangle((cx - half_w * 0.85, max(0, brim_y - 45 * head.scale), cx + half_w * 0.85, brim_y), fill=hat)
        draw.rectangle((cx - half_w - 16, brim_y - 2, cx + half_w + 16, brim_y + 7), fill=hat)
    return (cx - half_w - 18, 0, cx + half_w + 18, brim_y + 8)


def _occlude_and_rotate(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    head: _Head,
    boxes: dict[str, Box],
    background: tuple,
) -> tuple[Image.Image, dict[str, Box]]:
    """The hard setting: an occluder somewhere on the face (it may hide the evidence: the label stays what was
    drawn), then an in-plane rotation about the face centre (each box becomes the box of its rotated corners)."""
    cx, cy, half_w, half_h = head.cx, head.cy, head.half_w, head.half_h
    if rng.random() < 0.35:
        ox, oy = rng.uniform(cx - half_w, cx + half_w - 20), rng.uniform(head.top, cy + half_h - 20)
        size = rng.uniform(18, 34)
        draw.rectangle((ox, oy, ox + size, oy + size), fill=_colour(rng, (0, 0, 0), (255, 255, 255)))
    angle = rng.uniform(-15, 15)
    image = image.rotate(angle, resample=Image.Resampling.BILINEAR, center=(cx, cy), fillcolor=background)
    return image, {name: _rotate_box(box, angle, (cx, cy)) for name, box in boxes.items()}


def _light_and_noise(image: Image.Image, rng: np.random.Generator, hard: bool, cx: float) -> Image.Image:
    """Sensor noise; in the hard setting first uneven lighting (a brightness ramp and an exposure change)."""
    pixels = np.asarray(image, dtype=np.float32)
    if hard:
        ramp = 1 + rng.uniform(-0.35, 0.35) * (np.arange(WIDTH, dtype=np.float32) - cx) / WIDTH
        pixels = pixels * ramp[None, :, None] * rng.uniform(0.75, 1.2)
    pixels = pixels + rng.normal(0, 8, (HEIGHT, WIDTH, 3))
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _rotate_box(box: Box, angle: float, centre: tuple[float, float]) -> Box:
    """The bounding box, clipped to the image, of `box` turned by PIL's `rotate(angle)` about `centre`."""
    (x0, y0, x1, y1), (cx, cy) = box, centre
    theta = np.deg2rad(angle)  # PIL turns counter-clockwise on screen, i.e. clockwise in (x, y-down) maths
    xs, ys = np.array([x0, x1, x1, x0]) - cx, np.array([y0, y0, y1, y1]) - cy
    rx = cx + xs * np.cos(theta) + ys * np.sin(theta)
    ry = cy - xs * np.sin(theta) + ys * np.cos(theta)
    return (max(0, rx.min()), max(0, ry.min()), min(WIDTH, rx.max()), min(HEIGHT, ry.max()))


def generate_examples(
    seed: int, split: str, shards: list[tuple[int, int]], version: int = VERSION, setting: str = "default"
):
    """`datasets.Dataset.from_generator` body: JPEG bytes like CelebA's, 0/1 label columns, the index."""
    for start, stop in shards:
        for index in range(start, stop):
            face = make_face(seed, split, index, setting)
            buffer = io.BytesIO()
            face.image.save(buffer, format="JPEG", quality=92)
            yield {
                "image": {"bytes": buffer.getvalue(), "path": f"synthetic_{split}_{index:06d}.jpg"},
                "index": index,
                **face.labels,
            }
