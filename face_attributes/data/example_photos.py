# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Real example photos without network: the portraits that ship inside installed packages, and a group photo.

matplotlib (a dependency) ships Grace Hopper's portrait; scikit-image (a dev dependency) ships the astronaut
Eileen Collins. `group_photo()` pastes them at several sizes, one turned by 15°, into one picture.

    python -m face_attributes.data.example_photos photos/   # writes group_photo.jpg and the portraits
"""

import os
import sys
from dataclasses import dataclass

from PIL import Image


def grace_hopper() -> Image.Image:
    import matplotlib

    return Image.open(os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")).convert("RGB")


def astronaut() -> Image.Image | None:
    try:
        import skimage.data
    except ImportError:
        return None
    return Image.fromarray(skimage.data.astronaut())


@dataclass
class Placement:
    """Where a portrait went in the group photo: scaled by `scale`, turned by `angle` (PIL's sense, degrees)
    about its centre, then pasted with its top-left corner at `offset`."""

    source: str
    scale: float
    angle: float
    offset: tuple[int, int]
    size: tuple[int, int]  # of the pasted (scaled, turned) portrait


def group_photo(size: tuple[int, int] = (1400, 900)) -> tuple[Image.Image, list[Placement]]:
    """Several faces of different sizes (one turned by 15°) on a plain background, and where each one went."""
    portraits = {"grace_hopper": grace_hopper()}
    if (photo := astronaut()) is not None:
        portraits["astronaut"] = photo
    layout = [
        ("grace_hopper", 0.75, 0.0, (40, 60)),
        ("astronaut", 0.9, 0.0, (470, 40)),
        ("grace_hopper", 0.35, 0.0, (1000, 80)),
        ("astronaut", 0.45, 0.0, (1010, 520)),
        ("grace_hopper", 0.55, 15.0, (480, 520)),
    ]
    canvas = Image.new("RGB", size, (200, 205, 210))
    placements = []
    for source, scale, angle, offset in layout:
        if source not in portraits:
            source = "grace_hopper"
        image = portraits[source]
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        if angle:
            image = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(200, 205, 210))
        canvas.paste(image, offset)
        placements.append(Placement(source, scale, angle, offset, image.size))
    return canvas, placements


def write_example_photos(folder: str) -> str:
    """group_photo.jpg and the portraits (astronaut.jpg only with scikit-image) in `folder`; returns `folder`."""
    os.makedirs(folder, exist_ok=True)
    group_photo()[0].save(os.path.join(folder, "group_photo.jpg"), quality=92)
    grace_hopper().save(os.path.join(folder, "grace_hopper.jpg"), quality=92)
    if (photo := astronaut()) is not None:
        photo.save(os.path.join(folder, "astronaut.jpg"), quality=92)
    return folder


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    folder = write_example_photos(argv[0] if argv else "photos")
    print(f"Wrote example photos to {folder}")


if __name__ == "__main__":
    main()
