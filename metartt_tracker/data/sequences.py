"""Readers for single-object tracking sequences (videos, GOT-10k, OTB, image folders).

`open_sequence` auto-detects the layout of a path and returns a `Sequence`:
frames decoded lazily as RGB uint8 arrays plus 0-based ``x,y,w,h`` ground truth.

Supported layouts:

- a video file (.mp4/.avi/.mov/.mkv/.webm), optionally with ``groundtruth.txt`` beside it;
- a *packed* folder: ``video.mp4`` + ``groundtruth.txt`` (+ GOT-10k ``absence.label``),
  the format of ``/work/shared/data/sot/<name>/``;
- a GOT-10k folder: ``00000001.jpg ...`` + ``groundtruth.txt`` (0-based, comma separated);
- an OTB folder: ``img/0001.jpg ...`` + ``groundtruth_rect.txt`` (1-based);
- a plain image folder (or ``img/`` folder) without ground truth; needs an explicit box.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Box",
    "FrameSource",
    "ImageFolderFrames",
    "VideoFrames",
    "Sequence",
    "detect_layout",
    "list_images",
    "open_sequence",
    "parse_box",
    "read_boxes",
    "read_labels",
]

Box = tuple[float, float, float, float]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})

GOT_GT = "groundtruth.txt"
OTB_GT = "groundtruth_rect.txt"
ABSENCE = "absence.label"
PACKED_VIDEO = "video.mp4"

_SEPARATORS = re.compile(r"[,;\s]+")
_DIGITS = re.compile(r"(\d+)")
_BOX_HINT = "pass an initial box with --box x,y,w,h"


# --------------------------------------------------------------------------- text parsing


def _split_numbers(text: str) -> list[str]:
    """Split a line on commas, semicolons, tabs or spaces, dropping empty fields."""
    return [tok for tok in _SEPARATORS.split(text.strip()) if tok]


def _check_box(values: Box, what: str) -> Box:
    """Validate an init box (finite, positive size) and return it as floats."""
    box = tuple(float(v) for v in values)
    if len(box) != 4:
        raise ValueError(f"{what}: expected 4 numbers x,y,w,h, got {len(box)}")
    if not all(math.isfinite(v) for v in box):
        raise ValueError(f"{what}: box values must be finite, got {box}")
    if box[2] <= 0 or box[3] <= 0:
        raise ValueError(f"{what}: box width and height must be positive, got {box}")
    return box  # type: ignore[return-value]


def parse_box(text: str) -> Box:
    """Parse a CLI box string such as ``"10,20,30,40"`` or ``"10 20 30 40"`` into floats.

    Raises ValueError quoting the text if it is not 4 finite numbers with positive w, h.
    """
    tokens = _split_numbers(text)
    try:
        values = tuple(float(tok) for tok in tokens)
    except ValueError:
        raise ValueError(f"invalid box {text!r}: expected 4 numbers x,y,w,h") from None
    if len(values) != 4:
        raise ValueError(f"invalid box {text!r}: expected 4 numbers x,y,w,h, got {len(values)}")
    return _check_box(values, f"invalid box {text!r}")  # type: ignore[arg-type]


def _parse_row(text: str, where: str) -> list[float]:
    """Parse one ground-truth line into 4 floats (any 'nan' makes the whole row NaN)."""
    tokens = _split_numbers(text)
    try:
        row = [float(tok) for tok in tokens]
    except ValueError:
        row = []
    if len(row) != 4 or any(math.isinf(v) for v in row):
        raise ValueError(f"{where}: expected 4 numbers, got {text.strip()!r}")
    return [math.nan] * 4 if any(math.isnan(v) for v in row) else row


def _content_lines(path: Path) -> list[str]:
    """Read a text file's lines (BOM and trailing blank lines removed)."""
    if not path.is_file():
        raise FileNotFoundError(f"ground-truth file not found: {path}")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def read_boxes(path: str | Path) -> np.ndarray:
    """Read an ``x,y,w,h`` box file into a float64 (N, 4) array, as written (no offsets).

    Separators may be commas, tabs or spaces; trailing blank lines are ignored; rows with
    'nan' become all-NaN. A malformed line raises ValueError as ``<file>:<line>: ...``.
    """
    path = Path(path)
    rows = [_parse_row(line, f"{path}:{n}") for n, line in enumerate(_content_lines(path), 1)]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def read_labels(path: str | Path) -> np.ndarray:
    """Read a GOT-10k per-frame integer label file (e.g. ``absence.label``) into an int array."""
    path = Path(path)
    values = []
    for n, line in enumerate(_content_lines(path), 1):
        try:
            values.append(int(float(line.strip())))
        except ValueError:
            raise ValueError(f"{path}:{n}: expected an integer label, got {line.strip()!r}") from None
    return np.asarray(values, dtype=np.int64)


def _apply_absence(boxes: np.ndarray, label_path: Path) -> np.ndarray:
    """Set rows flagged 1 in a GOT-10k ``absence.label`` to NaN (no-op if the file is missing)."""
    if not label_path.is_file():
        return boxes
    absent = read_labels(label_path)
    if len(absent) != len(boxes):
        raise ValueError(
            f"{label_path}: {len(absent)} labels but {len(boxes)} ground-truth rows"
        )
    boxes = boxes.copy()
    boxes[absent == 1] = np.nan
    return boxes


def _otb_to_zero_based(boxes: np.ndarray) -> np.ndarray:
    """Shift 1-based OTB boxes to 0-based and mark rows with w<=0 or h<=0 as NaN."""
    boxes = boxes.copy()
    boxes[:, :2] -= 1.0
    with np.errstate(invalid="ignore"):
        invalid = (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    boxes[invalid] = np.nan
    return boxes


# --------------------------------------------------------------------------- frame sources


def _natural_key(path: Path) -> list[Any]:
    """Sort key comparing digit runs numerically, so ``2.jpg`` < ``10.jpg``."""
    parts = _DIGITS.split(path.name.lower())
    return [int(p) if p.isdigit() else p for p in parts]


def list_images(folder: str | Path) -> list[Path]:
    """Return the image files (jpg/jpeg/png/bmp, any case) of a folder sorted by name."""
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(files, key=_natural_key)


class FrameSource(ABC):
    """Lazy sequence of RGB uint8 frames (H, W, 3); supports len, indexing and iteration."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of frames."""

    @abstractmethod
    def __getitem__(self, index: int) -> np.ndarray:
        """Decode frame ``index`` (negative indices count from the end)."""

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield frames in order; subclasses override this with a faster sequential path."""
        for i in range(len(self)):
            yield self[i]

    @property
    @abstractmethod
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the first frame."""

    def _normalise_index(self, index: int) -> int:
        """Turn a possibly negative index into a non-negative one, raising IndexError."""
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"frame index must be an int, got {type(index).__name__}")
        n = len(self)
        i = int(index) + n if index < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"frame index {index} out of range for {n} frames")
        return i


class ImageFolderFrames(FrameSource):
    """Frames stored as individual image files, decoded with PIL on access."""

    def __init__(self, paths: list[str | Path]) -> None:
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("ImageFolderFrames needs at least one image path")

    @classmethod
    def from_folder(cls, folder: str | Path) -> ImageFolderFrames:
        """Build from all images of ``folder`` sorted by name; ValueError if there are none."""
        paths = list_images(folder)
        if not paths:
            raise ValueError(f"no images (jpg/jpeg/png/bmp) in folder {folder}")
        return cls(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        from PIL import Image

        path = self.paths[self._normalise_index(index)]
        with Image.open(path) as img:
            return np.array(img.convert("RGB"), dtype=np.uint8)

    @property
    def size(self) -> tuple[int, int]:
        from PIL import Image

        with Image.open(self.paths[0]) as img:
            return img.size

    def __repr__(self) -> str:
        return f"ImageFolderFrames({len(self)} frames from {self.paths[0].parent})"


class VideoFrames(FrameSource):
    """Frames of a video file decoded with OpenCV; sequential reads are cheap.

    Random access keeps one open capture: reading forward skips frames, reading backward
    re-opens the file. ``len`` decodes the whole video once (container frame counts can
    be wrong) and is cached; a complete iteration also fills the cache.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video not found: {self.path}")
        self._cap: Any = None
        self._pos = 0  # index of the next frame the open capture will return
        self._last: tuple[int, np.ndarray] | None = None
        self._len: int | None = None
        first = self._read_first()
        self._size = (int(first.shape[1]), int(first.shape[0]))

    # -- capture handling
    def _open(self) -> Any:
        """Open a fresh cv2.VideoCapture, raising ValueError if OpenCV cannot read the file."""
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise ValueError(f"cannot open video {self.path} (unsupported codec or corrupt file)")
        return cap

    def _read_first(self) -> np.ndarray:
        """Decode frame 0 to validate the file and learn its size."""
        try:
            frame = self[0]
        except IndexError:
            self.close()
            raise ValueError(f"video {self.path} contains no decodable frames") from None
        return frame

    def close(self) -> None:
        """Release the capture used for random access (it is re-opened on demand)."""
        if self._cap is not None:
            self._cap.release()
        self._cap, self._pos = None, 0

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __getstate__(self) -> dict[str, Any]:
        """Drop the open capture so the object can be pickled (e.g. for worker processes)."""
        state = self.__dict__.copy()
        state.update(_cap=None, _pos=0, _last=None)
        return state

    @staticmethod
    def _to_rgb(frame: np.ndarray) -> np.ndarray:
        """Convert an OpenCV BGR (or grey) frame to RGB uint8."""
        import cv2

        if frame.ndim == 2:
            return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    # -- FrameSource API
    def __len__(self) -> int:
        if self._len is None:
            cap = self._open()
            count = 0
            while cap.grab():
                count += 1
            cap.release()
            self._len = count
        return self._len

    def _seek(self, index: int) -> None:
        """Position the random-access capture so that the next read returns ``index``."""
        if self._cap is None or index < self._pos:
            self.close()
            self._cap = self._open()
        while self._pos < index:
            if not self._cap.grab():
                raise IndexError(f"frame index {index} out of range for video {self.path}")
            self._pos += 1

    def __getitem__(self, index: int) -> np.ndarray:
        if isinstance(index, (int, np.integer)) and index >= 0:
            index = int(index)  # avoid counting frames for forward access
        else:
            index = self._normalise_index(index)
        if self._last is not None and self._last[0] == index:
            return self._last[1].copy()
        self._seek(index)
        ok, frame = self._cap.read()
        if not ok:
            raise IndexError(f"frame index {index} out of range for video {self.path}")
        self._pos += 1
        rgb = self._to_rgb(frame)
        self._last = (index, rgb)
        return rgb.copy()

    def __iter__(self) -> Iterator[np.ndarray]:
        """Decode all frames in order with a dedicated capture."""
        cap = self._open()
        count = 0
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                count += 1
                yield self._to_rgb(frame)
        finally:
            cap.release()
        self._len = count

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def __repr__(self) -> str:
        return f"VideoFrames({str(self.path)!r})"


# --------------------------------------------------------------------------- sequence


@dataclass(frozen=True, eq=False)
class Sequence:
    """A tracking sequence: lazily decoded frames plus optional 0-based x,y,w,h ground truth.

    ``boxes`` is a read-only float64 (N, 4) array with all-NaN rows where the target is
    absent or unannotated, or None when there is no ground truth. For dataset folders N
    equals the frame count; for a loose video with ``groundtruth.txt`` beside it N may be
    smaller (frames past N are unannotated). ``override_box`` (from ``box=``) replaces the
    first ground-truth row as the initial box without changing ``boxes``.
    """

    name: str
    frames: FrameSource
    boxes: np.ndarray | None
    source: Path
    override_box: Box | None = None

    def __post_init__(self) -> None:
        if self.boxes is not None:
            boxes = np.array(self.boxes, dtype=np.float64).reshape(-1, 4)
            boxes.setflags(write=False)
            object.__setattr__(self, "boxes", boxes)
        if self.override_box is not None:
            object.__setattr__(self, "override_box", _check_box(self.override_box, "box"))
        object.__setattr__(self, "source", Path(self.source))

    @property
    def init_box(self) -> Box:
        """Initial target box: ``override_box`` if given, else the first ground-truth row."""
        if self.override_box is not None:
            return self.override_box
        if self.boxes is None or len(self.boxes) == 0:
            raise ValueError(f"sequence {self.name!r} has no ground truth; {_BOX_HINT}")
        first = self.boxes[0]
        if not np.all(np.isfinite(first)) or first[2] <= 0 or first[3] <= 0:
            raise ValueError(
                f"sequence {self.name!r}: target not annotated in the first frame; {_BOX_HINT}"
            )
        return tuple(float(v) for v in first)  # type: ignore[return-value]

    @property
    def has_groundtruth(self) -> bool:
        """True when ground-truth boxes are available (for evaluation)."""
        return self.boxes is not None

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        n_gt = "none" if self.boxes is None else len(self.boxes)
        return f"Sequence(name={self.name!r}, frames={self.frames!r}, gt_rows={n_gt})"


# --------------------------------------------------------------------------- layouts


def _has_images(folder: Path) -> bool:
    """True if ``folder`` is a directory containing at least one image file."""
    return folder.is_dir() and bool(list_images(folder))


def detect_layout(source: str | Path) -> str:
    """Name the layout of ``source``: 'video', 'packed', 'got10k', 'otb' or 'images'.

    Raises FileNotFoundError for a missing path and ValueError for anything unreadable.
    """
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"sequence path not found: {path}")
    if path.is_file():
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            return "video"
        raise ValueError(
            f"unsupported file {path}: expected a video ({', '.join(sorted(VIDEO_EXTENSIONS))})"
            " or a folder of frames"
        )
    if (path / PACKED_VIDEO).is_file():
        return "packed"
    if (path / OTB_GT).is_file() and _has_images(path / "img"):
        return "otb"
    if _has_images(path):
        return "got10k" if (path / GOT_GT).is_file() else "images"
    if _has_images(path / "img"):
        return "images"
    raise ValueError(
        f"folder {path} is empty: no video.mp4 and no images (jpg/jpeg/png/bmp) in it or in img/"
    )


def _check_count(gt_path: Path, boxes: np.ndarray, frames: FrameSource, where: Path) -> None:
    """Raise ValueError if the number of ground-truth rows differs from the frame count."""
    if len(boxes) != len(frames):
        raise ValueError(
            f"{gt_path}: {len(boxes)} ground-truth rows but {len(frames)} frames in {where}"
        )


def _read_got_boxes(gt_path: Path) -> np.ndarray:
    """Read a GOT-10k style ``groundtruth.txt`` and apply ``absence.label`` if present."""
    return _apply_absence(read_boxes(gt_path), gt_path.parent / ABSENCE)


def _open_packed(folder: Path) -> tuple[FrameSource, np.ndarray | None]:
    """Packed folder: ``video.mp4`` with GOT-10k labels; row count must match frame count."""
    frames = VideoFrames(folder / PACKED_VIDEO)
    gt_path = folder / GOT_GT
    if not gt_path.is_file():
        return frames, None
    boxes = _read_got_boxes(gt_path)
    _check_count(gt_path, boxes, frames, frames.path)
    return frames, boxes


def _open_video(path: Path) -> tuple[FrameSource, np.ndarray | None]:
    """Loose video file; ``groundtruth.txt`` beside it may cover fewer frames but not more."""
    frames = VideoFrames(path)
    gt_path = path.parent / GOT_GT
    if not gt_path.is_file():
        return frames, None
    boxes = _read_got_boxes(gt_path)
    if len(boxes) > len(frames):
        _check_count(gt_path, boxes, frames, path)
    return frames, boxes


def _open_got10k(folder: Path) -> tuple[FrameSource, np.ndarray | None]:
    """GOT-10k folder: numbered images + 0-based ``groundtruth.txt`` (+ ``absence.label``)."""
    frames = ImageFolderFrames.from_folder(folder)
    gt_path = folder / GOT_GT
    boxes = _read_got_boxes(gt_path)
    _check_count(gt_path, boxes, frames, folder)
    return frames, boxes


def _open_otb(folder: Path) -> tuple[FrameSource, np.ndarray | None]:
    """OTB folder: ``img/`` frames + 1-based ``groundtruth_rect.txt`` (w,h<=0 rows invalid)."""
    frames = ImageFolderFrames.from_folder(folder / "img")
    gt_path = folder / OTB_GT
    boxes = _otb_to_zero_based(read_boxes(gt_path))
    _check_count(gt_path, boxes, frames, folder / "img")
    return frames, boxes


def _open_images(folder: Path) -> tuple[FrameSource, np.ndarray | None]:
    """Plain image folder (or its ``img/`` subfolder) without ground truth."""
    inner = folder if _has_images(folder) else folder / "img"
    return ImageFolderFrames.from_folder(inner), None


_OPENERS = {
    "video": _open_video,
    "packed": _open_packed,
    "got10k": _open_got10k,
    "otb": _open_otb,
    "images": _open_images,
}


def _sequence_name(path: Path, layout: str) -> str:
    """Folder name for folders (and packed ``video.mp4``), file stem for loose videos."""
    if layout == "video":
        return path.stem
    return path.resolve().name


def open_sequence(source: str | Path, box: Box | str | None = None) -> Sequence:
    """Open a video, packed, GOT-10k, OTB or image-folder sequence (layout auto-detected).

    ``box`` (x,y,w,h, 0-based; a tuple or a "x,y,w,h" string) overrides the first
    ground-truth row as the initial box and is required when there is no ground truth.
    """
    path = Path(source)
    layout = detect_layout(path)
    if layout == "video" and path.name == PACKED_VIDEO and (path.parent / GOT_GT).is_file():
        path, layout = path.parent, "packed"  # a packed folder's own video: same strict checks
    override = parse_box(box) if isinstance(box, str) else box
    if override is not None:
        override = _check_box(override, "box")
    frames, boxes = _OPENERS[layout](path)
    if boxes is None and override is None:
        raise ValueError(f"{path} has no ground truth to initialise from; {_BOX_HINT}")
    return Sequence(_sequence_name(path, layout), frames, boxes, path, override)
