# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""What the tests share: tiny configs and model folders, data written in CelebA's on-disk formats, the README demo
command, a Python that cannot import this package, and the `slow` mark of the end-to-end tests."""

import csv
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from transformers import ResNetConfig

from face_attributes.data.synthetic import SPLIT_CODES, SYNTHETIC_ATTRIBUTES, make_face

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["Male", "Smiling", "Eyeglasses"]


def slow(test):
    """An end-to-end test (training, a browser, a subprocess): runs when RUN_SLOW=1, as transformers' @slow does."""
    run_slow = os.environ.get("RUN_SLOW", "0").lower() in ("1", "true", "yes")
    return pytest.mark.skipif(not run_slow, reason="slow end-to-end test: set RUN_SLOW=1")(test)


# ---------------------------------------------------------------- tiny models

# Prepended to scripts run in a separate process: any import of face_attributes fails there, as on a
# machine that only has the saved checkpoint folder.
BLOCK_PACKAGE = textwrap.dedent(
    """
    import importlib.abc, sys
    class _BlockFaceAttributes(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "face_attributes" or name.startswith("face_attributes."):
                raise ImportError("face_attributes is blocked in this test")
    sys.meta_path.insert(0, _BlockFaceAttributes())
    """
)


def tiny_backbone(out_features=("stage4",)) -> ResNetConfig:
    return ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=list(out_features),
    )


def tiny_config(**overrides):
    from face_attributes import ResNetLstmAttentionConfig

    kwargs = dict(
        backbone_config=tiny_backbone(),
        lstm_hidden_size=8,
        num_attention_heads=2,
        num_labels=3,
        problem_type="multi_label_classification",
        image_size=64,
    )
    kwargs.update(overrides)
    return ResNetLstmAttentionConfig(**kwargs)


def run_without_package(script: str, cwd) -> dict:
    """Run `script` in a fresh Python that cannot import face_attributes; it must print one JSON line last."""
    env = {**os.environ, "PYTHONPATH": "", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PACKAGE + textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def save_tiny_model(folder, labels=tuple(LABELS), **overrides):
    """A tiny model folder as run_classification.py writes it (weights, config, code files, image processor)."""
    import torch

    from face_attributes import ResNetLstmAttentionForImageClassification
    from face_attributes.data.images import build_image_processor

    torch.manual_seed(0)
    config = tiny_config(
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)},
        **overrides,
    )
    ResNetLstmAttentionForImageClassification(config).eval().save_pretrained(folder)
    build_image_processor(config.image_size).save_pretrained(folder)
    return folder


# ---------------------------------------------------------------- the scripts and the README demo

TINY = shlex.split(
    "--dataset_name synthetic --label_columns all --backbone_name_or_path none --backbone_embedding_size "
    "8 --backbone_hidden_sizes 8 16 16 32 --backbone_depths 1 1 1 1 --lstm_hidden_size 16 "
    "--num_attention_heads 2 --image_size 64 --per_device_train_batch_size 16 --learning_rate 3e-3 "
    "--max_eval_samples 64 --max_predict_samples 32 --report_to none --disable_tqdm true "
    "--dataloader_num_workers 0 --dataloader_persistent_workers false --seed 0"
)


def readme_demo_command() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```bash\n(python run_classification\.py[^`]*?)```", readme).group(1)
    return command.replace("\\\n", " ").split()[2:]


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- CelebA's on-disk formats, from synthetic faces
# Every writer returns the folder it wrote. Labels in the files follow each format's own convention
# (-1/1 in the original release and Kaggle CSVs, bools on the Hub copy).


def _faces(sizes: dict[str, int], image_size: tuple[int, int] | None, seed: int):
    """(file name, split, face, image) in CelebA order: train files first, then validation, then test."""
    number = 0
    for split, count in sizes.items():
        for index in range(count):
            number += 1
            face = make_face(seed, split, index)
            image = face.image.resize(image_size) if image_size else face.image
            yield f"{number:06d}.jpg", split, face, image


def write_celeba_release(
    root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0, kaggle: bool = False
) -> Path:
    """The original release (space-padded .txt files) or, with `kaggle`, the Kaggle CSV layout."""
    root = Path(root)
    images = root / "img_align_celeba" / ("img_align_celeba" if kaggle else "")
    images.mkdir(parents=True, exist_ok=True)
    rows, partitions = [], []
    for name, split, face, image in _faces(sizes, image_size, seed):
        image.save(images / name, quality=90)
        rows.append((name, [1 if face.labels[a] else -1 for a in SYNTHETIC_ATTRIBUTES]))
        partitions.append((name, SPLIT_CODES[split]))
    if kaggle:
        with open(root / "list_attr_celeba.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", *SYNTHETIC_ATTRIBUTES], *([n, *v] for n, v in rows)])
        with open(root / "list_eval_partition.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", "partition"], *partitions])
        return root
    with open(root / "list_attr_celeba.txt", "w") as f:
        # As in the release: a count line, a names line, then values right-aligned in runs of spaces.
        f.write(f"{len(rows)}\n{' '.join(SYNTHETIC_ATTRIBUTES)} \n")
        f.writelines(f"{n} " + " ".join(f"{v:2d}" for v in values) + "\n" for n, values in rows)
    with open(root / "list_eval_partition.txt", "w") as f:
        f.writelines(f"{n} {code}\n" for n, code in partitions)
    # Other annotation files of the release sit beside them and must be ignored.
    (root / "identity_CelebA.txt").write_text("".join(f"{n} 1\n" for n, _ in rows))
    (root / "list_bbox_celeba.txt").write_text(f"{len(rows)}\nimage_id x_1 y_1 width height\n")
    return root


def write_hub_parquet(root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0) -> Path:
    """The Hub copy's layout (flwrlabs/celeba): parquet shards, splits train/valid/test, bool attributes."""
    from datasets import Dataset, Features, Image, Value

    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    features = Features(
        {"image": Image(), "celeb_id": Value("int64"), **{a: Value("bool") for a in SYNTHETIC_ATTRIBUTES}}
    )
    configs = []
    for split, count in sizes.items():
        hub_split = "valid" if split == "validation" else split
        records = {"image": [], "celeb_id": [], **{a: [] for a in SYNTHETIC_ATTRIBUTES}}
        for index in range(count):
            face = make_face(seed, split, index)
            records["image"].append(face.image.resize(image_size) if image_size else face.image)
            records["celeb_id"].append(index % 7)
            for a in SYNTHETIC_ATTRIBUTES:
                records[a].append(bool(face.labels[a]))
        Dataset.from_dict(records, features=features).to_parquet(
            str(root / "data" / f"{hub_split}-00000-of-00001.parquet")
        )
        configs.append(f"  - split: {hub_split}\n    path: data/{hub_split}-*")
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n" + "\n".join(configs) + "\n---\n"
    )
    return root


def write_image_folder(
    root,
    count: int,
    image_size: tuple[int, int] | None = None,
    seed: int = 0,
    split: str = "train",
    label_format: str = "int",
) -> Path:
    """An imagefolder with metadata.csv (file_name + label columns as int 0/1, "True"/"False" or -1/1)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    encode = {"int": lambda v: int(v), "str": lambda v: str(bool(v)), "pm1": lambda v: 1 if v else -1}[label_format]
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file_name", *SYNTHETIC_ATTRIBUTES])
        for index in range(count):
            face = make_face(seed, split, index)
            name = f"face_{index:05d}.jpg"
            (face.image.resize(image_size) if image_size else face.image).save(os.path.join(root, name))
            writer.writerow([name, *(encode(face.labels[a]) for a in SYNTHETIC_ATTRIBUTES)])
    return root
