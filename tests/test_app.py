# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The web demo (app.py), served on 127.0.0.1 and driven through gradio_client and a real headless Chromium."""

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from face_attributes.inference.thresholds import save_thresholds

from testing_utils import LABELS, save_tiny_model, slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """app.py on a free local port with a tiny model; stopped (its whole process group) after the tests."""
    root = tmp_path_factory.mktemp("app")
    model = save_tiny_model(root / "model", pooling="attribute_queries")
    # Thresholds that decide every face: Male and Eyeglasses always 1, Smiling never (the app reads them).
    save_thresholds(str(model), LABELS, np.array([0.0, 1.01, 0.0]))
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(
        [
            sys.executable,
            "app.py",
            "--model",
            str(model),
            "--port",
            str(port),
            "--examples_dir",
            str(root / "examples"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        assert server.poll() is None, server.stdout.read()[-3000:]
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            assert time.time() < deadline, "app.py did not start serving in 180 s"
            time.sleep(0.5)
    yield url, root / "examples"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@slow
def test_predict_api_through_gradio_client(app, tmp_path):
    from gradio_client import Client, handle_file

    url, examples = app
    client = Client(url, verbose=False)
    annotated, table, message = client.predict(handle_file(str(examples / "group_photo.jpg")), api_name="/predict")
    assert message == "5 face(s) found." and len(table["data"]) == 5
    assert table["headers"][-3:] == LABELS and all(row[-3:] == [1, 0, 1] for row in table["data"])  # saved thresholds
    assert table["headers"][:5] == ["face", "x0", "y0", "x1", "y1"] and "Smiling p" in table["headers"]
    assert Image.open(annotated).size == (1400, 900)
    (tmp_path / "notes.jpg").write_text("not a photo")
    with pytest.raises(Exception, match="not an image that can be read"):
        client.predict(handle_file(str(tmp_path / "notes.jpg")), api_name="/predict")
    Image.new("RGB", (320, 240), (90, 140, 200)).save(tmp_path / "sky.png")
    with pytest.raises(Exception, match="No face found"):
        client.predict(handle_file(str(tmp_path / "sky.png")), api_name="/predict")
    Image.new("L", (8000, 7000)).save(tmp_path / "huge.png")  # 56 megapixels, a few kB on disk
    with pytest.raises(Exception, match="8000×7000 pixels.*up to 50 megapixels"):
        client.predict(handle_file(str(tmp_path / "huge.png")), api_name="/predict")
    assert client.predict(handle_file(str(examples / "grace_hopper.jpg")), api_name="/predict")[2] == "1 face(s) found."


@slow
def test_without_a_model_it_says_which_command_makes_one(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "FACE_ATTRIBUTES_MODEL": ""},
        timeout=120,
    )
    assert result.returncode != 0
    assert (
        "pass --model DIR" in result.stderr and "python run_classification.py --dataset_name synthetic" in result.stderr
    )


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(condition, seconds: float = 90):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out waiting for the page"
        time.sleep(0.3)


@pytest.mark.skipif(
    (not CHROMIUM or not CHROMEDRIVER) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
def test_a_real_browser_uploads_photos_sees_faces_boxes_and_errors(app, tmp_path):
    from selenium.webdriver.common.by import By

    url, examples = app
    driver = browser()
    try:
        driver.get(url)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#photo input[type=file]"))

        def run(path: Path):
            clear = driver.find_elements(By.CSS_SELECTOR, "#photo button[aria-label=Clear]")
            if clear:
                clear[0].click()
                wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#photo input[type=file]"))
            driver.find_element(By.CSS_SELECTOR, "#photo input[type=file]").send_keys(str(path))
            wait_for(lambda: path.stem in driver.find_element(By.ID, "photo").text)  # shown as stem + suffix
            driver.find_element(By.ID, "run").click()

        run(examples / "group_photo.jpg")
        wait_for(lambda: "5 face(s) found." in driver.find_element(By.ID, "message").text)
        rows = driver.find_elements(By.CSS_SELECTOR, "#faces [role=row]")
        assert len(rows) == 1 + 5  # the header and one row per face
        source = driver.find_element(By.CSS_SELECTOR, "#annotated img").get_attribute("src")
        drawn = np.asarray(Image.open(io.BytesIO(urllib.request.urlopen(source).read())).convert("RGB"))
        yellow = (np.abs(drawn.astype(int) - (255, 215, 0)).sum(axis=-1) < 60).sum()
        assert yellow > 500  # the boxes (and their labels) are drawn
        driver.save_screenshot(str(tmp_path / "faces.png"))
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(name.startswith(url) or name.startswith("data:") for name in loaded), loaded

        (tmp_path / "not_a_photo.jpg").write_text("a text file, not a photo")
        run(tmp_path / "not_a_photo.jpg")
        wait_for(lambda: "This file is not an image that can be read" in driver.page_source)
        driver.save_screenshot(str(tmp_path / "error.png"))

        run(examples / "grace_hopper.jpg")
        wait_for(lambda: "1 face(s) found." in driver.find_element(By.ID, "message").text)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#faces [role=row]")) == 1 + 1
    finally:
        driver.quit()
    assert (tmp_path / "faces.png").stat().st_size > 10_000


@pytest.mark.skipif(
    (not CHROMIUM or not CHROMEDRIVER) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
def test_screenshot_script_shows_the_demo_after_a_run(tmp_path):
    # The command beside README's web demo picture.
    from testing_utils import script

    model = save_tiny_model(tmp_path / "model", pooling="attribute_queries")
    output = tmp_path / "web_demo.png"
    script("web_demo_screenshot").main(["--model", str(model), "--output", str(output), "--height", "1200"])
    with Image.open(output) as picture:
        assert picture.width == 1400 and picture.height > 900  # the window, less what headless keeps for itself
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    assert (np.abs(pixels - (255, 215, 0)).sum(axis=-1) < 60).sum() > 500  # the photo came back with its boxes


@slow
def test_load_test_script_serves_each_configuration_and_counts_every_answer(tmp_path):
    model = save_tiny_model(tmp_path / "model", pooling="attribute_queries")
    command = [
        sys.executable,
        "scripts/load_test_demo.py",
        "--model",
        str(model),
        *("--configs", "one at a time=", "two at a time=--concurrency 2"),
        *("--clients", "2", "--requests", "4"),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    expected = [["| one at a time", "2", "4 of 4"], ["| two at a time", "2", "4 of 4"]]
    assert [row.split(" | ")[:3] for row in rows] == expected
    assert all(float(row.split(" | ")[3]) > 0 for row in rows)  # requests/s


def test_the_page_offers_the_contribution_read_out_beside_the_attention(tmp_path):
    import torch

    import app as web_app
    from face_attributes.data.synthetic import make_face
    from face_attributes.inference.pipeline import FaceAttributePipeline
    from face_attributes.interpretability import attribute_maps

    model = save_tiny_model(tmp_path / "model", attention_keys="local", attention_grid="value_stage")
    pipeline = FaceAttributePipeline(str(model), faces="aligned")
    face = make_face(0, "test", 0).image
    assert web_app.has_contributions(pipeline.model)
    pictures = {
        kind: np.asarray(web_app.attention_picture(pipeline, face, "Smiling", kind))
        for kind in web_app.MAP_KINDS.values()
    }
    assert pictures["attention"].shape == pictures["contribution"].shape == (face.height, face.width, 3)
    with torch.no_grad():
        attention, _ = attribute_maps(pipeline.model, pipeline.pixel_values([face]), ["Smiling"], "attention")
        contribution, _ = attribute_maps(pipeline.model, pipeline.pixel_values([face]), ["Smiling"], "contribution")
    assert not torch.allclose(attention, contribution)  # two different maps, so two different pictures
    assert not np.array_equal(pictures["attention"], pictures["contribution"])
