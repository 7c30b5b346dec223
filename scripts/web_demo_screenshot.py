#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""A screenshot of the web demo: app.py on a free local port, a photo uploaded and run in headless Chromium.

    python scripts/web_demo_screenshot.py --model outputs/celeba-cpu/bilstm-queries/seed0 --output docs/web_demo.png

Needs Debian's `chromium` and `chromium-driver` and the demo extra (`pip install -e ".[demo]"`). Without
`--photo` it uploads the example group photo (`python -m face_attributes.data.example_photos`).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            raise SystemExit(f"Timed out after {seconds:.0f} s waiting for {what}.")
        time.sleep(0.3)


def serving(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except OSError:
        return False


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        raise SystemExit("Needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver.")
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def screenshot(url: str, photo: Path, output: str, width: int, height: int) -> None:
    from selenium.webdriver.common.by import By

    driver = browser(width, height)
    try:
        driver.get(url)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#photo input[type=file]"), 90, "the page")
        driver.find_element(By.CSS_SELECTOR, "#photo input[type=file]").send_keys(str(photo))
        wait_for(lambda: photo.stem in driver.find_element(By.ID, "photo").text, 60, "the upload")
        driver.find_element(By.ID, "run").click()
        wait_for(lambda: "face(s) found" in driver.find_element(By.ID, "message").text, 180, "the faces")
        time.sleep(2)  # let the attention picture and the table finish drawing
        driver.save_screenshot(output)
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Model folder (or .onnx file) for app.py.")
    parser.add_argument("--photo", help="Photo to upload (default: the example group photo).")
    parser.add_argument("--output", default="web_demo.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args(argv)
    examples = Path(tempfile.mkdtemp())
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(
        [sys.executable, "app.py", "--model", args.model, "--port", str(port), "--examples_dir", str(examples)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: server.poll() is not None or serving(url), 180, "app.py to serve")
        if server.poll() is not None:
            raise SystemExit(f"app.py stopped (exit {server.returncode}): run it by hand to see why.")
        photo = Path(args.photo).resolve() if args.photo else examples / "group_photo.jpg"
        screenshot(url, photo, args.output, args.width, args.height)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
