#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The web demo under load: app.py served on 127.0.0.1 with each configuration in turn, many concurrent clients.

    python scripts/load_test_demo.py                                  # the default table (several minutes)
    python scripts/load_test_demo.py --configs "fp32=" "bf16=--bf16 --channels_last" --clients 16 64 --requests 64

Each configuration is app.py's flags (`NAME=FLAGS`); each client is a gradio_client thread calling the `/predict`
API with the photo, one request after another, until the requests are used up. Prints, per configuration and
client count: requests/s, the median and 95th-percentile latency, and how many were answered. Only loopback
traffic; the request loops are bounded by --requests, a server's start by --timeout.
"""

import argparse
import concurrent.futures
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CONFIGS = [
    "fp32, concurrency 1=",
    "bf16 + channels_last, concurrency 1=--bf16 --channels_last",
    "bf16 + channels_last, concurrency 2=--bf16 --channels_last --concurrency 2",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_model(folder: Path, image_size: int) -> str:
    """The default 40-attribute model with random weights (speed does not depend on the weights)."""
    from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
    from face_attributes.data.images import build_image_processor
    from face_attributes.data.sources import CELEBA_ATTRIBUTES

    labels = list(CELEBA_ATTRIBUTES)
    config = ResNetLstmAttentionConfig(
        image_size=image_size,
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
        problem_type="multi_label_classification",
    )
    ResNetLstmAttentionForImageClassification(config).eval().save_pretrained(folder)
    build_image_processor(image_size).save_pretrained(folder)
    return str(folder)


def serve(model: str, flags: list[str], examples: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "app.py", "--model", model, "--port", str(port), "--examples_dir", str(examples), *flags]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url, deadline = f"http://127.0.0.1:{port}/", time.time() + timeout
    while True:
        if server.poll() is not None:
            raise SystemExit(f"app.py {shlex.join(flags)} exited ({server.returncode}) before serving")
        try:
            urllib.request.urlopen(url, timeout=2)
            return server, url
        except OSError:
            if time.time() > deadline:
                os.killpg(server.pid, signal.SIGTERM)
                raise SystemExit(f"app.py {shlex.join(flags)} did not serve within {timeout:.0f} s") from None
            time.sleep(0.5)


def load(url: str, photo: str, clients: int, requests: int) -> dict:
    """`clients` threads share `requests` calls of /predict; latencies of the answered ones, and the wall time."""
    from gradio_client import Client, handle_file

    remaining = iter(range(requests))
    latencies, failures = [], []

    def client_loop():
        client = Client(url, verbose=False)
        for _ in remaining:  # a shared iterator: every request is made once, by whichever client is free
            start = time.perf_counter()
            try:
                client.predict(handle_file(photo), api_name="/predict")
                latencies.append(time.perf_counter() - start)
            except Exception as error:  # an unanswered request is counted, not raised
                failures.append(f"{type(error).__name__}: {error}")

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    seconds = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "answered": len(latencies),
        "failed": len(failures),
        "requests/s": len(latencies) / seconds,
        "p50": statistics.median(ordered) if ordered else float("nan"),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan"),
        "first failure": failures[0] if failures else "",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="A model folder or .onnx file (default: the default model, random weights).")
    parser.add_argument("--image_size", type=int, default=144, help="The default model's input size.")
    parser.add_argument("--photo", help="The photo every request sends (default: grace_hopper.jpg, one face).")
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help="NAME=app.py flags, in turn.")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--requests", type=int, default=64, help="Requests per client count (at least the clients).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds a server may take to start.")
    args = parser.parse_args(argv)
    from face_attributes.data.example_photos import grace_hopper
    from face_attributes.engine import describe_device

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        model = args.model or default_model(folder / "model", args.image_size)
        photo = args.photo
        if photo is None:
            photo = str(folder / "grace_hopper.jpg")
            grace_hopper().save(photo, quality=92)
        print(f"# {time.strftime('%Y-%m-%d')} · {describe_device('cpu')} · photo {Path(photo).name}")
        print("\n| configuration | clients | answered | requests/s | p50 (s) | p95 (s) |\n|---|---|---|---|---|---|")
        for config in args.configs:
            name, _, flags = config.partition("=")
            server, url = serve(model, shlex.split(flags), folder / "examples", args.timeout)
            try:
                load(url, photo, 2, 4)  # warm-up: the first requests load lazily
                for clients in args.clients:
                    row = load(url, photo, clients, max(args.requests, clients))
                    print(
                        f"| {name} | {clients} | {row['answered']} of {row['answered'] + row['failed']} | "
                        f"{row['requests/s']:.2f} | {row['p50']:.2f} | {row['p95']:.2f} |",
                        flush=True,
                    )
                    if row["failed"]:
                        print(f"first failure: {row['first failure']}", file=sys.stderr)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
