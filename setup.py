# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
from setuptools import find_packages, setup

# Lower bounds are the versions the test suite was run with.
setup(
    name="face-attributes",
    version="0.1.0",
    description="CelebA facial attribute classification: ResNet-18 → BiLSTM → multi-head attention, 🤗-native",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["face_attributes", "face_attributes.*"]),
    package_data={"face_attributes": ["metrics/*.py"]},
    license="MIT",
    python_requires=">=3.10",
    install_requires=[
        "torch>=2.14",
        "torchvision>=0.29",
        "transformers>=5.24",
        "datasets>=5.2",
        "evaluate>=0.4.6",
        "accelerate>=1.15",
        "pillow>=11",
        "numpy>=2",
        "matplotlib>=3.9",
        # --group_columns: per-group metrics through fairlearn's MetricFrame (it brings scikit-learn).
        "fairlearn>=0.15",
        # Expected calibration error (binary_calibration_error), computed at every evaluation.
        "torchmetrics>=1.9",
    ],
    extras_require={
        # Face detection for your own photos: MTCNN weights ship inside the wheel. Not 2.6.0: it pins torch<2.3.
        "faces": ["facenet-pytorch==2.5.3"],
        # The web demo (app.py). gradio 6.31 pins pillow<13, which the bounds above allow.
        "demo": ["gradio>=6.31", "facenet-pytorch==2.5.3"],
        # ONNX export (torch's dynamo exporter writes through onnxscript) and ONNX Runtime with int8 quantization.
        "onnx": ["onnx>=1.23", "onnxscript>=0.7", "onnxruntime>=1.32"],
        # Tests: scikit-image ships the astronaut photo the face tests use; selenium drives Debian's chromium.
        "dev": [
            "pytest>=8",
            "ruff>=0.15",
            "facenet-pytorch==2.5.3",
            "scikit-image>=0.24",
            "gradio>=6.31",
            "selenium>=4.20",
            "onnx>=1.23",
            "onnxscript>=0.7",
            "onnxruntime>=1.32",
            "av>=14",
            # The sparse attention's reference implementation (tests/test_map_designs.py checks ours against it).
            "entmax>=1.3",
            # The walkthrough notebook (docs/walkthrough.ipynb), executed by tests/test_walkthrough.py.
            "nbformat>=5.10",
            "nbclient>=0.10",
            "ipykernel>=6.29",
        ],
        "tensorboard": ["tensorboard"],
        # Videos for scripts/predict.py: PyAV ships its own FFmpeg (decoding, and H.264 for annotated videos).
        "video": ["av>=14"],
    },
)
