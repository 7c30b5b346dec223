# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The `face-attributes` 🤗 pipeline: saved in every model folder, working there without this package, finding faces
in photos and placing each attribute's map over the photo, and the package's pipeline giving the same."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from transformers import pipeline

from face_attributes.data.example_photos import group_photo
from face_attributes.data.synthetic import make_face
from face_attributes.inference.pipeline import FaceAttributePipeline
from face_attributes.inference.thresholds import save_thresholds

from testing_utils import LABELS, import_blocker, run_without_package, save_tiny_model

ROOT = Path(__file__).resolve().parents[1]
BLOCK_FACENET = import_blocker("facenet_pytorch")  # a machine without the [faces] extra


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("photos")
    make_face(0, "test", 0).image.save(folder / "aligned.jpg")  # CelebA's 178×218 shape: taken as a crop
    group_photo()[0].save(folder / "group.jpg", quality=92)
    return {"aligned": str(folder / "aligned.jpg"), "group": str(folder / "group.jpg")}


def test_every_saved_folder_carries_the_pipeline(folder):
    assert (folder / "pipeline_face_attributes.py").is_file() and (folder / "face_geometry.py").is_file()
    custom = json.loads((folder / "config.json").read_text())["custom_pipelines"]
    assert custom["face-attributes"]["impl"] == "pipeline_face_attributes.FaceAttributesPipeline"


def test_the_folder_alone_answers_on_a_machine_without_the_package_or_facenet(folder, photos, tmp_path):
    result = run_without_package(
        BLOCK_FACENET
        + textwrap.dedent(
            f"""
        import json
        from transformers import pipeline
        classifier = pipeline("face-attributes", model={str(folder)!r}, trust_remote_code=True)
        faces = classifier({photos["aligned"]!r}, return_attention_maps=True)
        try:
            classifier({photos["group"]!r})
            detection = "no error"
        except ImportError as error:
            detection = str(error)
        print(json.dumps({{
            "probabilities": [f["probabilities"] for f in faces],
            "attributes": [f["attributes"] for f in faces],
            "maps": {{name: list(m.shape) for name, m in faces[0]["attention_maps"].items()}},
            "detection": detection,
        }}))
        """
        ),
        tmp_path,
    )
    package = FaceAttributePipeline(str(folder), faces="auto")
    from PIL import Image

    expected = package(Image.open(photos["aligned"]))
    assert len(result["probabilities"]) == 1
    for name in LABELS:
        assert result["probabilities"][0][name] == pytest.approx(expected[0].probabilities[name], abs=1e-6)
    assert result["attributes"][0] == expected[0].predicted
    assert result["maps"] == {name: [218, 178] for name in LABELS}
    assert 'pip install -e ".[faces]"' in result["detection"]


def test_faces_in_a_photo_with_maps_over_the_photo_equal_the_package_pipeline(folder, photos):
    from PIL import Image

    classifier = pipeline("face-attributes", model=str(folder), trust_remote_code=True)
    faces = classifier(photos["group"], return_attention_maps=True)
    package = FaceAttributePipeline(str(folder), faces="auto")(Image.open(photos["group"]), return_attention_maps=True)
    assert len(faces) == len(package) == 5
    assert [f["face"] for f in faces] == [0, 1, 2, 3, 4]
    assert [f["box"]["x0"] for f in faces] == sorted(f["box"]["x0"] for f in faces)  # left to right
    for hub, ours in zip(faces, package):
        assert hub["box"] == dict(zip(("x0", "y0", "x1", "y1"), ours.box))
        assert hub["probabilities"] == pytest.approx(ours.probabilities, abs=1e-6)
        for name in LABELS:
            heat = hub["attention_maps"][name]
            assert heat.shape == (900, 1400)
            np.testing.assert_allclose(heat, ours.attention_maps[name], atol=1e-6)
            # Over the face, nothing far from it: the map lives in the face's aligned crop, carried back.
            x0, y0, x1, y1 = hub["box"]["x0"], hub["box"]["y0"], hub["box"]["x1"], hub["box"]["y1"]
            ys, xs = np.nonzero(heat)
            centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
            assert abs(xs.mean() - centre_x) < (x1 - x0) and abs(ys.mean() - centre_y) < (y1 - y0)
            assert heat[int(centre_y), int(centre_x)] > 0


def test_thresholds_and_a_call_threshold_decide(folder, photos, tmp_path):
    import shutil

    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    save_thresholds(str(copy), LABELS, np.array([0.0, 1.01, 0.0]))
    classifier = pipeline("face-attributes", model=str(copy), trust_remote_code=True)
    assert classifier(photos["aligned"])[0]["attributes"] == {"Male": 1, "Smiling": 0, "Eyeglasses": 1}
    assert set(classifier(photos["aligned"], threshold=1.0)[0]["attributes"].values()) == {0}


def test_bad_options_are_clear_errors(folder, photos, tmp_path):
    classifier = pipeline("face-attributes", model=str(folder), trust_remote_code=True)
    with pytest.raises(ValueError, match="faces must be one of"):
        classifier(photos["aligned"], faces="sometimes")
    plain = save_tiny_model(tmp_path / "plain", pooling="global_average")
    with pytest.raises(ValueError, match="has no attention maps"):
        pipeline("face-attributes", model=str(plain), trust_remote_code=True)(
            photos["aligned"], return_attention_maps=True
        )


def test_a_folder_saved_before_the_pipeline_still_answers_through_the_package(photos):
    # The fixture folder predates custom_pipelines (and the saved image processor): the package's task serves it.
    from transformers import AutoConfig

    from face_attributes.data.images import image_processor_for

    old = ROOT / "tests" / "fixtures" / "previous_layout_model"
    config = AutoConfig.from_pretrained(old, trust_remote_code=True)
    assert not getattr(config, "custom_pipelines", None)
    classifier = pipeline("face-attributes", model=str(old), image_processor=image_processor_for(config))
    faces = classifier(photos["aligned"])
    assert len(faces) == 1 and len(faces[0]["probabilities"]) == config.num_labels
