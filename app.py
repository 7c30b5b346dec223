#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Web demo: upload a photo, see every face's attributes and where the model looked.

    pip install -e ".[demo]"
    python app.py --model outputs/synthetic [--host 127.0.0.1] [--port 7860]

As a Hugging Face Space, app.py sits at the root and the model folder (or Hub id) comes from the environment
variable FACE_ATTRIBUTES_MODEL. The main function is the API endpoint `/predict`:
`gradio_client.Client(url).predict(handle_file("photo.jpg"), api_name="/predict")`.
"""

import argparse
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing is sent anywhere

import gradio as gr
import numpy as np
import torch
from PIL import Image

from face_attributes.data.example_photos import write_example_photos
from face_attributes.data.images import UNREADABLE_IMAGE_ERRORS, open_rgb
from face_attributes.engine import Engine, add_engine_arguments
from face_attributes.inference.drawing import draw_faces
from face_attributes.inference.onnx_model import OnnxModelError
from face_attributes.inference.pipeline import FaceAttributePipeline
from face_attributes.inference.thresholds import has_saved_thresholds
from face_attributes.interpretability import attribute_maps, upsample_to_image

README_DEMO_OUTPUT = "outputs/synthetic"
MAX_PIXELS = 50_000_000  # larger uploads are refused with a message (PIL's own bomb limit is 179 M)


def open_upload(path: str | None) -> Image.Image:
    """The uploaded file as an upright RGB image, or a gr.Error saying what is wrong with it."""
    if not path:
        raise gr.Error("Upload a photo first (or pick one of the examples).")
    try:
        with Image.open(path) as image:  # the header only: refuse a huge image before decoding it
            width, height = image.size
        if width * height > MAX_PIXELS:
            raise gr.Error(
                f"This image is {width}×{height} pixels; the demo takes up to "
                f"{MAX_PIXELS // 1_000_000} megapixels. Scale it down and try again."
            )
        return open_rgb(path)
    except gr.Error:  # a ValueError too: let the size message through unchanged
        raise
    except UNREADABLE_IMAGE_ERRORS as error:
        raise gr.Error(
            f"This file is not an image that can be read ({type(error).__name__}). Upload a JPEG or PNG photo."
        ) from error


# The maps the page offers: the attention weights, and (PyTorch models with a map per attribute) each position's share
# of the evidence for the prediction (interpretability.contribution_maps).
MAP_KINDS = {"attention weights": "attention", "contribution to the prediction": "contribution"}


def attention_picture(
    pipeline: FaceAttributePipeline, face_image: Image.Image, attribute: str, method: str = "attention"
) -> Image.Image:
    """The aligned face with the model's map for `attribute` over it (red = where it looked, or with
    `method="contribution"`, where the evidence for its prediction came from)."""
    pixel_values = pipeline.pixel_values([face_image])
    with pipeline.engine.autocast(torch.device(pipeline.device).type):
        maps, _ = attribute_maps(pipeline.model, pixel_values, [attribute], method)
    heat = upsample_to_image(maps.cpu(), pixel_values.shape[-2:], face_image.size)[0, 0].numpy()  # (h, w)
    heat = (heat - heat.min()) / (heat.max() - heat.min() + 1e-12)
    base = np.asarray(face_image, dtype=np.float32)
    red = np.zeros_like(base)
    red[..., 0] = 255
    alpha = 0.6 * heat[..., None].astype(np.float32)
    return Image.fromarray((base * (1 - alpha) + red * alpha).astype(np.uint8))


def has_contributions(model) -> bool:
    """Whether the model offers the contribution read-out (a PyTorch model with a map per attribute; not ONNX)."""
    return hasattr(model, "logits_and_contributions") and model.per_label_attention_maps


def build_demo(pipeline: FaceAttributePipeline, examples_dir: str) -> gr.Blocks:
    names = pipeline.label_names
    has_maps = pipeline.model.has_attention_maps

    def predict(path: str | None):
        image = open_upload(path)
        faces = pipeline(image)
        if not faces:
            raise gr.Error("No face found in this photo. Try a photo where faces are at least 20 pixels wide.")
        rows = [
            [
                f.index,
                *(round(v) for v in f.box),
                *(round(f.probabilities[n], 3) for n in names),
                *(f.predicted[n] for n in names),
            ]
            for f in faces
        ]
        message = f"{len(faces)} face(s) found."
        return draw_faces(image, faces), rows, message, [f.aligned for f in faces]

    kinds = [k for k, method in MAP_KINDS.items() if method == "attention" or has_contributions(pipeline.model)]

    def explain(face_index: int | None, attribute: str, aligned: list, kind: str = kinds[0]):
        if not aligned:
            return None
        if not has_maps:
            raise gr.Error("This model has no attention (pooling='global_average'), so there is no map to show.")
        index = min(int(face_index or 0), len(aligned) - 1)
        return attention_picture(pipeline, aligned[index], attribute, MAP_KINDS[kind])

    headers = ["face", "x0", "y0", "x1", "y1", *(f"{n} p" for n in names), *names]
    local_font = gr.themes.Font("sans-serif")  # no web fonts: the page loads nothing from outside
    theme = gr.themes.Default(font=[local_font], font_mono=[gr.themes.Font("monospace")])
    with gr.Blocks(title="Face attributes", analytics_enabled=False, theme=theme) as demo:
        gr.Markdown("# Face attributes\nUpload a photo: every face is found, aligned the CelebA way and classified.")
        aligned_faces = gr.State([])
        with gr.Row():
            # A file input, not gr.Image: every upload reaches open_upload, which says what is wrong with a bad one.
            photo = gr.File(type="filepath", label="Photo (JPEG, PNG, …)", elem_id="photo")
            annotated = gr.Image(type="pil", label="Faces found", elem_id="annotated", interactive=False)
        run = gr.Button("Find faces and attributes", variant="primary", elem_id="run")
        message = gr.Markdown(elem_id="message")
        table = gr.Dataframe(headers=headers, label="One row per face", elem_id="faces", interactive=False)
        with gr.Row():
            face_index = gr.Number(value=0, precision=0, label="Face", minimum=0, elem_id="face_index")
            attribute = gr.Dropdown(names, value=names[0], label="Attribute", elem_id="attribute")
            kind = gr.Radio(kinds, value=kinds[0], label="Map", elem_id="map_kind", visible=len(kinds) > 1)
            attention = gr.Image(type="pil", label="Where the model looked", elem_id="attention", interactive=False)
        gr.Examples([os.path.join(examples_dir, n) for n in sorted(os.listdir(examples_dir))], inputs=photo)

        run.click(predict, inputs=photo, outputs=[annotated, table, message, aligned_faces], api_name="predict")
        for trigger in (face_index.change, attribute.change, aligned_faces.change, kind.change):
            trigger(explain, inputs=[face_index, attribute, aligned_faces, kind], outputs=attention, api_name=False)
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        default=os.environ.get("FACE_ATTRIBUTES_MODEL") or None,
        help="A folder written by run_classification.py, a Hub id, or a .onnx file from "
        "scripts/export_onnx.py (env FACE_ATTRIBUTES_MODEL).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--examples_dir", default=os.path.join("outputs", "demo_examples"))
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="Requests the model serves at once (gradio's queue concurrency); more wait in the queue.",
    )
    add_engine_arguments(parser)
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error(f"--concurrency must be at least 1, got {args.concurrency}.")
    model = args.model
    if model is None:
        if not os.path.isdir(README_DEMO_OUTPUT):
            sys.exit(
                f"No model: pass --model DIR (or set FACE_ATTRIBUTES_MODEL). The README demo command "
                f"(python run_classification.py --dataset_name synthetic ... --output_dir {README_DEMO_OUTPUT}) "
                "makes one."
            )
        model = README_DEMO_OUTPUT
    try:  # loaded once, shared by every request
        # The per-attribute thresholds chosen on validation (run_classification.py --do_eval) when the model has them.
        threshold = "saved" if has_saved_thresholds(model) else 0.5
        device = "cuda" if torch.cuda.is_available() else "cpu"
        engine = Engine.from_options(args.bf16, args.channels_last, device)
        pipeline = FaceAttributePipeline(model, faces="auto", threshold=threshold, device=device, engine=engine)
    except (OnnxModelError, ValueError) as error:
        sys.exit(f"error: {error}")
    demo = build_demo(pipeline, write_example_photos(args.examples_dir))
    demo.queue(default_concurrency_limit=args.concurrency).launch(
        server_name=args.host, server_port=args.port, show_error=True
    )


if __name__ == "__main__":
    main()
