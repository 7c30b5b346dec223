#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Attention maps as a PNG grid: each face, the model's attention over it, and the predicted attributes.

    python scripts/attention_maps.py --model outputs/synthetic --images faces/ --output attention.png
    python scripts/attention_maps.py --model outputs/synthetic --dataset_name synthetic --split test --num_images 4
    python scripts/attention_maps.py --model outputs/synthetic --score   # pointing game and energy per attribute
"""

import argparse

from transformers import AutoImageProcessor, AutoModelForImageClassification

from face_attributes.predictions import expand_inputs
from face_attributes.visualize import attention_map_figure


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A folder written by run_classification.py (or a Hub id).")
    parser.add_argument("--images", nargs="*", default=[], help="Image files, folders or glob patterns.")
    parser.add_argument("--dataset_name", help="Or take images from a dataset (see run_classification.py).")
    parser.add_argument("--data_dir", help="Original CelebA release / Kaggle layout for --dataset_name.")
    parser.add_argument("--split", default="validation", help="Dataset split to take images from.")
    parser.add_argument("--num_images", type=int, help="How many images: 4 rows by default, 256 faces with --score.")
    parser.add_argument("--attributes", nargs="*", help="Attributes to map (attribute_queries pooling).")
    parser.add_argument("--output", default="attention_maps.png", help="PNG to write.")
    parser.add_argument("--score", action="store_true",
                        help="Instead of a picture, score the maps on synthetic faces whose attribute boxes are known "
                             "(--num_images faces of --split, default 256; --dataset_config_name hard for the hard "
                             "setting) and print a table; --score_output writes it as JSON too.")  # fmt: skip
    parser.add_argument("--dataset_config_name", default="default", help="Synthetic setting for --score.")
    parser.add_argument("--score_output", help="JSON file for the --score numbers.")
    args = parser.parse_args(argv)
    if args.score:
        return score(args)

    from PIL import Image

    if args.images:
        images = [Image.open(path) for path in expand_inputs(args.images)[: args.num_images or 4]]
    elif args.dataset_name or args.data_dir:
        from face_attributes.data import load_source

        split = load_source(args.dataset_name, data_dir=args.data_dir)[args.split]
        images = [split[i]["image"] for i in range(min(args.num_images or 4, len(split)))]
    else:
        parser.error("pass --images or --dataset_name/--data_dir")
    model = AutoModelForImageClassification.from_pretrained(args.model, trust_remote_code=True).eval()
    processor = AutoImageProcessor.from_pretrained(args.model)
    width, height = attention_map_figure(model, processor, images, args.output, args.attributes)
    print(f"Wrote {args.output} ({width}×{height} px, {len(images)} image(s))")


def score(args) -> dict:
    import json

    from face_attributes.synthetic import make_face
    from face_attributes.visualize import attention_score_table, score_attention

    model = AutoModelForImageClassification.from_pretrained(args.model, trust_remote_code=True).eval()
    processor = AutoImageProcessor.from_pretrained(args.model)
    count = args.num_images or 256
    faces = [make_face(0, args.split, i, args.dataset_config_name) for i in range(count)]
    scores = score_attention(model, processor, faces, args.attributes)
    print(f"Attention of {args.model} on {count} synthetic {args.split} faces ({args.dataset_config_name}):")
    print(attention_score_table(scores))
    if args.score_output:
        with open(args.score_output, "w") as f:
            json.dump(scores, f, indent=2)
    return scores


if __name__ == "__main__":
    main()
