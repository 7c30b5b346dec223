#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Attention maps as a PNG grid: each face, the model's attention over it, and the predicted attributes.

    python scripts/attention_maps.py --model outputs/synthetic --images faces/ --output attention.png
    python scripts/attention_maps.py --model outputs/synthetic --dataset_name synthetic --split test --num_images 4
    python scripts/attention_maps.py --model outputs/synthetic --score   # pointing game and energy per attribute
    python scripts/attention_maps.py --model outputs/celeba --score --data_dir celeba --split test --deletion \\
        --landmarks outputs/celeba-test-landmarks.json   # real CelebA crops, regions from detected landmarks
    python scripts/attention_maps.py --model outputs/plain --score --method grad_cam ...   # a model without attention
    python scripts/attention_maps.py --model outputs/synthetic --probe Mustache   # where it can be read, row by row

With `--score` on synthetic faces every attribute's box is known; on real CelebA crops (`--data_dir`) five landmarks
are detected on each crop (MTCNN, `pip install -e ".[faces]"`) and each attribute's region derived from them
(`face_attributes.interpretability.FACE_PART_OF`); attributes of the whole face have no region and are not scored.
"""

import argparse
import functools
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from face_attributes.data.labels import config_label_names
from face_attributes.inference.pipeline import load_saved_model
from face_attributes.inference.predictions import expand_inputs
from face_attributes.interpretability import DELETION_FILLS, RegionFace
from face_attributes.visualize import attention_map_figure


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A folder written by run_classification.py (or a Hub id).")
    parser.add_argument("--images", nargs="*", default=[], help="Image files, folders or glob patterns.")
    parser.add_argument("--dataset_name", help="Or take images from a dataset (see run_classification.py).")
    parser.add_argument("--data_dir", help="Original CelebA release / Kaggle layout for --dataset_name.")
    parser.add_argument("--split", default="validation", help="Dataset split to take images from.")
    parser.add_argument("--num_images", type=int, help="How many images: 4 rows by default, 256 faces with --score.")
    parser.add_argument("--attributes", nargs="*", help="Attributes to map (attribute_queries pooling).")
    parser.add_argument("--output", default="attention_maps.png", help="PNG to write.")
    parser.add_argument(
        "--compare", nargs="*", default=[], metavar="MODEL", help="More models: their pictures of the same faces below."
    )
    parser.add_argument("--titles", nargs="*", help="With --compare: a title per model (default: the folders).")
    parser.add_argument("--colors", type=int, help="Save the picture with a palette of this many colours (smaller).")
    parser.add_argument(
        "--score",
        action="store_true",
        help="Instead of a picture, score the maps on synthetic faces whose attribute boxes are known "
        "(--num_images faces of --split, default 256; --dataset_config_name hard for the hard "
        "setting) and print a table; --score_output writes it as JSON too.",
    )
    parser.add_argument("--dataset_config_name", default="default", help="Synthetic setting for --score.")
    parser.add_argument("--score_output", help="JSON file for the --score numbers.")
    parser.add_argument(
        "--method",
        default="attention",
        help="Maps to score: `attention` (the model's own weights), `contribution` (each position's share of "
        "the evidence for the prediction: weight × what its value says about the attribute), or `grad_cam` (any "
        "model, the plain ResNet too; on the token stage, or `grad_cam:stage3` on another backbone stage).",
    )
    parser.add_argument(
        "--deletion",
        action="store_true",
        help="With --score, also hide each map's most-attended 10 %% and three controls (deletion test) "
        "on the first --deletion_faces faces.",
    )
    parser.add_argument("--deletion_faces", type=int, default=500, help="Faces for the deletion test.")
    parser.add_argument(
        "--deletion_fill",
        choices=DELETION_FILLS,
        default="mean",
        help="How the deletion test hides pixels: the image's mean colour, or a blur of the image.",
    )
    parser.add_argument(
        "--correlates",
        action="store_true",
        help="With --deletion on real crops, also report each attribute's deletion test within the faces where its "
        "most correlated other label (in the train split) is 0 and where it is 1: specificity that a correlate "
        "elsewhere on the face explains does not count.",
    )
    parser.add_argument("--landmarks", help="JSON cache of the detected landmarks of real faces (read, or written).")
    parser.add_argument(
        "--probe",
        metavar="ATTRIBUTE",
        help="Instead of a picture, fit a linear probe for ATTRIBUTE on the values the attention reads at each "
        "position of its grid (--probe_train_faces train faces) and print, row by row, its best ROC-AUC on "
        "--num_images faces of --split (synthetic: default 256; real crops with --data_dir: all, regions from "
        "landmarks as for --score) next to the attention's mass on the row.",
    )
    parser.add_argument("--probe_train_faces", type=int, default=768, help="Train faces for the --probe's fit.")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.score:
        return score(args)
    if args.probe:
        return probe(args)
    if not (args.images or args.dataset_name or args.data_dir):
        parser.error("pass --images or --dataset_name/--data_dir")
    draw(args)


def draw(args) -> None:
    """The picture: the maps of the first --num_images (4) images over them."""
    if args.images:
        images = [Image.open(path) for path in expand_inputs(args.images)[: args.num_images or 4]]
    else:
        from face_attributes.data.sources import load_source

        split = load_source(args.dataset_name, data_dir=args.data_dir)[args.split]
        images = [split[i]["image"] for i in range(min(args.num_images or 4, len(split)))]
    models = [args.model, *args.compare]
    parts = []
    for index, folder in enumerate(models):
        model, processor = load_saved_model(folder)
        target = args.output if len(models) == 1 else f"{args.output}.{index}.png"
        attention_map_figure(model, processor, images, target, args.attributes, args.method)
        parts.append(target)
    titles = args.titles or models
    if len(titles) != len(models):
        raise SystemExit(f"--titles: one per model ({len(models)}), got {len(titles)}.")
    picture = stack_pictures(parts, titles if len(models) > 1 else None)
    if args.colors:  # a palette keeps a picture of many faces small enough for a README
        picture = picture.quantize(colors=args.colors, method=Image.Quantize.MEDIANCUT)
    picture.save(args.output, optimize=True)
    if len(models) > 1:
        for part in parts:
            os.remove(part)
    print(f"Wrote {args.output} ({picture.width}×{picture.height} px, {len(images)} image(s), {len(models)} model(s))")


def stack_pictures(paths: list[str], titles: list[str] | None) -> Image.Image:
    """The pictures one above the other, each under a line naming its model (when `titles`)."""
    from PIL import ImageDraw

    pictures = [Image.open(path).convert("RGB") for path in paths]
    band = 24 if titles else 0
    stacked = Image.new("RGB", (max(p.width for p in pictures), sum(p.height + band for p in pictures)), "white")
    top = 0
    for index, picture in enumerate(pictures):
        if titles:
            ImageDraw.Draw(stacked).text((8, top + 6), titles[index], fill="black")
        stacked.paste(picture, (0, top + band))
        top += picture.height + band
    return stacked


def reads_real_faces(args) -> bool:
    """Whether --score/--probe take real crops (a dataset or --data_dir) rather than synthetic faces."""
    return bool(args.data_dir or (args.dataset_name and args.dataset_name != "synthetic"))


def score(args) -> dict:
    from face_attributes.interpretability import attention_score_table, deletion_table, deletion_test, score_attention

    model, processor = load_saved_model(args.model)
    correlates = None
    if reads_real_faces(args):
        names = config_label_names(model.config)
        if args.correlates:
            correlates = train_correlates(args, names, args.attributes or names)
        faces, where = real_faces(args, names), f"real {args.split} faces"
    else:
        from face_attributes.data.synthetic import make_face

        count = args.num_images or 256
        faces = [make_face(0, args.split, i, args.dataset_config_name) for i in range(count)]
        where = f"synthetic {args.split} faces ({args.dataset_config_name})"
    scores = {"regions": score_attention(model, processor, faces, args.attributes, method=args.method)}
    print(f"{args.method} maps of {args.model} on {len(faces)} {where}:")
    print(attention_score_table(scores["regions"]))
    if args.deletion:
        subset = faces[: args.deletion_faces]
        scores["deletion"] = deletion_test(
            model,
            processor,
            subset,
            args.attributes,
            method=args.method,
            fill=args.deletion_fill,
            correlates=correlates,
        )
        print(
            f"\nDeletion test ({args.deletion_fill} fill) on {len(subset)} faces (mean |change| of the attribute's "
            "probability):"
        )
        print(deletion_table(scores["deletion"]))
    if args.score_output:
        Path(args.score_output).write_text(json.dumps(scores, indent=2))
    return scores


def train_correlates(args, names: list[str], attributes: list[str]) -> dict[str, str]:
    """Each attribute → the label most correlated with it over the train split's labels (printed)."""
    from face_attributes.interpretability import most_correlated

    rows = split_images(args, "train", None, names)
    labels = np.array([[row_labels[n] for n in names] for _, row_labels in rows])  # (N, L)
    correlates = most_correlated(labels, names, attributes)
    print("Conditioned on: " + ", ".join(f"{a} ← {c}" for a, c in correlates.items()))
    return correlates


def probe(args) -> dict:
    from face_attributes.interpretability.probe import check_probe_attribute, probe_attention_grid, probe_table

    model, processor = load_saved_model(args.model)
    check_probe_attribute(model, args.probe)
    if reads_real_faces(args):
        train_faces = [
            RegionFace(Image.open(path).convert("RGB"), {}, labels)
            for path, labels in split_images(args, "train", args.probe_train_faces, [args.probe])
        ]
        eval_faces, where = real_faces(args, [args.probe]), "real"
    else:
        from face_attributes.data.synthetic import make_face

        train_faces = [make_face(0, "train", i, args.dataset_config_name) for i in range(args.probe_train_faces)]
        eval_faces = [make_face(0, args.split, i, args.dataset_config_name) for i in range(args.num_images or 256)]
        where = "synthetic"
    result = probe_attention_grid(model, processor, train_faces, eval_faces, args.probe)
    print(f"{args.model}, {len(train_faces)} train / {len(eval_faces)} {args.split} {where} faces:")
    print(probe_table(result))
    return result


@functools.cache
def load_splits(dataset_name: str | None, data_dir: str | None):
    """The dataset's splits, loaded once per run (the probe reads train and the evaluated split)."""
    from face_attributes.data.sources import load_source

    return load_source(dataset_name, data_dir=data_dir)


def split_images(args, split_name: str, count: int | None, attributes: list[str]) -> list[tuple[str, dict]]:
    """(path, labels) of the split's first `count` images (default all) that are on disk (a partial release lacks
    some files); labels as 0/1 for the `attributes` the dataset has."""
    from datasets import DatasetDict
    from datasets import Image as ImageFeature

    from face_attributes.data.labels import normalize_labels

    split = load_splits(args.dataset_name, args.data_dir)[split_name]
    columns = [a for a in attributes if a in split.column_names]
    split = normalize_labels(DatasetDict({split_name: split}), columns)[split_name]
    paths = [item["path"] for item in split.cast_column("image", ImageFeature(decode=False))["image"]]
    values = {column: split[column] for column in columns}
    on_disk = [i for i, path in enumerate(paths) if path and os.path.exists(path)][:count]
    return [(paths[i], {column: int(values[column][i]) for column in columns}) for i in on_disk]


def real_faces(args, attributes: list[str]) -> list:
    """The split's images (the first --num_images, default all) with their labels and each attribute's region from
    five landmarks found on the crop; crops where no face is found are left out (counted in a line)."""
    from face_attributes.data.landmarks import largest_face_landmarks
    from face_attributes.inference.faces import FaceDetector
    from face_attributes.interpretability import landmark_regions

    images = split_images(args, args.split, args.num_images, attributes)
    cache = json.loads(Path(args.landmarks).read_text()) if args.landmarks and Path(args.landmarks).exists() else {}
    detector = None
    faces, missed = [], 0
    for path, labels in images:
        name = os.path.basename(path)
        image = Image.open(path).convert("RGB")
        if name not in cache:
            detector = detector or FaceDetector(min_score=0.9)
            points = largest_face_landmarks(detector, image)
            cache[name] = points.tolist() if points is not None else None
        if cache[name] is None:
            missed += 1
            continue
        faces.append(landmark_regions(image, np.array(cache[name]), attributes, labels))
    if args.landmarks:
        Path(args.landmarks).write_text(json.dumps(cache))
    print(f"Landmarks found on {len(faces)} of {len(images)} crops ({missed} without a detected face, left out).")
    return faces


if __name__ == "__main__":
    main()
