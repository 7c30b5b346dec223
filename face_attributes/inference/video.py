# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Videos frame by frame: every Nth frame decoded with PyAV (which ships its own FFmpeg), and an annotated video
written back. Needs `pip install -e ".[video]"`."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


class VideoError(ValueError):
    """A video that cannot be read: the message names the file and what is wrong."""


def is_video_path(path: str) -> bool:
    return str(path).lower().endswith(VIDEO_SUFFIXES)


def require_av():
    """PyAV, or an ImportError naming the extra that installs it."""
    try:
        import av
    except ImportError as error:
        raise ImportError('Reading videos needs PyAV: pip install -e ".[video]" (or pip install av).') from error
    return av


@dataclass
class Frame:
    """One decoded frame: its index in the video, its time in seconds, the picture."""

    index: int
    time_s: float
    image: Image.Image


def read_frames(path: str, every: int = 1) -> Iterator[Frame]:
    """Every `every`-th frame of the video's first video stream (frames 0, every, 2·every, …), as RGB pictures.

    A file that is not a video, or one damaged before its first frame, raises VideoError naming it; one damaged
    later ends early (FFmpeg's decoders skip what they cannot read), after a VideoError only if no frame came.
    """
    if every < 1:
        raise ValueError(f"--every must be at least 1, got {every}.")
    av = require_av()
    frames = 0
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise VideoError(f"{path} has no video stream.")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 0) or None
            for index, frame in enumerate(container.decode(stream)):
                if index % every:
                    continue
                time_s = float(frame.time) if frame.time is not None else (index / rate if rate else 0.0)
                frames += 1
                yield Frame(index, time_s, frame.to_image())
    except av.FFmpegError as error:
        if frames == 0:
            raise VideoError(f"{path} cannot be read as a video ({type(error).__name__}: {error}).") from error
    if frames == 0:
        raise VideoError(f"{path} has no frames that can be decoded.")


def frame_rate(path: str) -> float:
    """The video's average frames per second (25 where the file does not say)."""
    av = require_av()
    with av.open(path) as container:
        stream = container.streams.video[0]
        return float(stream.average_rate or stream.guessed_rate or 25)


class VideoWriter:
    """An H.264 MP4 written picture by picture (odd sizes lose their last row or column: H.264 needs even sides)."""

    def __init__(self, path: str, fps: float):
        self.path, self.fps = path, fps
        self.container = self.stream = None

    def write(self, image: Image.Image) -> None:
        av = require_av()
        if self.container is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.container = av.open(self.path, mode="w")
            self.stream = self.container.add_stream("libx264", rate=max(1, round(self.fps)))
            self.stream.width, self.stream.height = image.width // 2 * 2, image.height // 2 * 2
            self.stream.pix_fmt = "yuv420p"
        image = image.crop((0, 0, self.stream.width, self.stream.height))
        for packet in self.stream.encode(av.VideoFrame.from_image(image)):
            self.container.mux(packet)

    def close(self) -> None:
        if self.container is not None:
            for packet in self.stream.encode():  # flush the encoder
                self.container.mux(packet)
            self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
