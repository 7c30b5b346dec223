#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Attention maps as a PNG grid: each face, the model's attention over it, and the predicted attributes.

    python scripts/attention_maps.py --model outputs/synthetic --images faces/ --output attention.png
    python scripts/attention_maps.py --model outputs/synthetic --dataset_name synthetic --split test --num_images 4
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
    parser.add_argument("--num_images", type=int, default=4, help="How many images (rows).")
    parser.add_argument("--attributes", nargs="*", help="Attributes to map (attribute_queries pooling).")
    parser.add_argument("--output", default="attention_maps.png", help="PNG to write.")
    args = parser.parse_args(argv)

    from PIL import Image

    if args.images:
        images = [Image.open(path) for path in expand_inputs(args.images)[: args.num_images]]
    elif args.dataset_name or args.data_dir:
        from face_attributes.data import load_source

        split = load_source(args.dataset_name, data_dir=args.data_dir)[args.split]
        images = [split[i]["image"] for i in range(min(args.num_images, len(split)))]
    else:
        parser.error("pass --images or --dataset_name/--data_dir")
    model = AutoModelForImageClassification.from_pretrained(args.model, trust_remote_code=True).eval()
    processor = AutoImageProcessor.from_pretrained(args.model)
    width, height = attention_map_figure(model, processor, images, args.output, args.attributes)
    print(f"Wrote {args.output} ({width}×{height} px, {len(images)} image(s))")


if __name__ == "__main__":
    main()
