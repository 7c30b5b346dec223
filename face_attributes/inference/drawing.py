# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Faces drawn on the photo: a box and the top attributes per face."""

from PIL import Image


def draw_faces(image: Image.Image, faces: list, top_k: int = 3) -> Image.Image:
    """A copy of the photo with a numbered box per face and its `top_k` most likely attributes above it."""
    from PIL import ImageDraw, ImageFont

    annotated = image.copy()
    draw = ImageDraw.Draw(annotated)
    width = max(2, round(min(image.size) / 250))
    font = ImageFont.load_default(size=max(12, round(min(image.size) / 40)))
    for face in faces:
        x0, y0, x1, y1 = face.box
        draw.rectangle((x0, y0, x1, y1), outline=(255, 215, 0), width=width)
        top = sorted(face.probabilities.items(), key=lambda item: -item[1])[:top_k]
        text = f"#{face.index} " + ", ".join(f"{name} {p:.2f}" for name, p in top)
        text_width = draw.textlength(text, font=font)
        left, bottom = max(0, min(x0, image.width - text_width)), max(font.size, y0 - width)  # inside the photo
        box = draw.textbbox((left, bottom), text, font=font, anchor="lb")
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((left, bottom), text, font=font, fill=(255, 215, 0), anchor="lb")
    return annotated
