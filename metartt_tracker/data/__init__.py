"""Data access for MetaRTT: tracking-sequence readers (videos, GOT-10k, OTB, image folders) and benchmark readers."""

from .benchmarks import Benchmark, open_benchmark

from .sequences import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    Box,
    FirstFrames,
    FrameSource,
    ImageFolderFrames,
    Sequence,
    TruncatedVideoWarning,
    VideoFrames,
    detect_layout,
    list_images,
    open_sequence,
    parse_box,
    read_boxes,
    read_labels,
)

__all__ = [
    "Benchmark",
    "open_benchmark",
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Box",
    "FirstFrames",
    "FrameSource",
    "ImageFolderFrames",
    "Sequence",
    "TruncatedVideoWarning",
    "VideoFrames",
    "detect_layout",
    "list_images",
    "open_sequence",
    "parse_box",
    "read_boxes",
    "read_labels",
]
