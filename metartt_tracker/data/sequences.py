"""One sequence type for every reader: `Sequence`, lazily decoded frames plus ground truth.

Every reader of the package returns a `Sequence`: `open_sequence` (the track command), the
benchmark readers of `benchmarks.py`, the toolkit harness readers of ``integrations/layouts.py``
and meta-training's video loaders. Frames come from a `FrameSource` (`ImageFolderFrames`,
`VideoFrames`, `FirstFrames` for the first n of another source) that decodes on access, so
listing sequences decodes nothing. Ground truth is 0-based ``x,y,w,h`` (NaN rows where the
target is absent), with optional per-frame visibility, VOT polygons, metadata image size and
the annotation file that errors name.

A video that stops decoding before the frame count its container announces (a truncated file)
is read as far as it decodes: `VideoFrames` records ``decoded`` against ``announced``, warns
with a `TruncatedVideoWarning` naming the file, and indexing past the decoded end is an
IndexError that says so.

`open_sequence` auto-detects the layout of a path. Supported layouts:

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
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Box",
    "FirstFrames",
    "FrameSource",
    "ImageFolderFrames",
    "VideoFrames",
    "Sequence",
    "TruncatedVideoWarning",
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


class TruncatedVideoWarning(UserWarning):
    """A video decoded fewer frames than its container announces (a truncated file)."""


class FrameSource(ABC):
    """Lazy sequence of RGB uint8 frames (H, W, 3); supports len, indexing and iteration.

    ``paths`` lists the image files when the frames are files (None otherwise); ``decoded`` and
    ``announced`` are a video's decodable and container-announced frame counts (None when not
    known or not a video), and ``truncated`` says the first fell short of the second.
    """

    paths: list[Path] | None = None

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

    @property
    def decoded(self) -> int | None:
        """Frames the decoder delivered once it reached the end (None: not a video, or unknown)."""
        return None

    @property
    def announced(self) -> int | None:
        """Frames the container announces (None: not a video or no count in the container)."""
        return None

    @property
    def where(self) -> Path | None:
        """The file or folder the frames come from (for messages)."""
        return None

    def close(self) -> None:
        """Release any open decoder or cached image (reading again re-opens it)."""

    def shortfall(self) -> str:
        """``"decoded D of A frames the container announces"`` when truncated, else ''."""
        if not self.truncated:
            return ""
        return f"decoded {self.decoded} of {self.announced} frames the container announces"

    @property
    def truncated(self) -> bool:
        """True when decoding stopped before the announced frame count."""
        decoded = self.decoded
        if decoded is None:
            return False
        announced = self.announced
        return announced is not None and decoded < announced

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

    @property
    def where(self) -> Path:
        return self.paths[0].parent

    def __repr__(self) -> str:
        return f"ImageFolderFrames({len(self)} frames from {self.paths[0].parent})"


class VideoFrames(FrameSource):
    """Frames of a video file decoded with OpenCV; sequential reads are cheap.

    Random access keeps one open capture: reading forward skips frames, reading backward
    re-opens the file. ``len`` decodes the whole video once (container frame counts can
    be wrong) and is cached; a complete iteration also fills the cache. ``lazy=True`` defers
    every decode (the first-frame check included) to the first access, for cheap listings.
    When decoding ends before the container's announced count, the frames that decoded are
    the video: ``len`` counts them, iteration stops after them, a `TruncatedVideoWarning`
    names the file, and indexing past them raises IndexError saying so.
    """

    def __init__(self, path: str | Path, lazy: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video not found: {self.path}")
        self._cap: Any = None
        self._pos = 0  # index of the next frame the open capture will return
        self._last: tuple[int, np.ndarray] | None = None
        self._len: int | None = None
        self._announced: int | None = None
        self._probed = False  # whether the container's frame count has been read
        self._size: tuple[int, int] | None = None
        if not lazy:
            self._size = self._first_size()

    # -- capture handling
    def _open(self) -> Any:
        """Open a fresh cv2.VideoCapture, raising ValueError if OpenCV cannot read the file."""
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise ValueError(f"cannot open video {self.path} (unsupported codec or corrupt file)")
        if not self._probed:
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            self._announced, self._probed = (count if count > 0 else None), True
        return cap

    def _first_size(self) -> tuple[int, int]:
        """Decode frame 0 to validate the file; returns its ``(width, height)``."""
        try:
            frame = self[0]
        except IndexError:
            self.close()
            raise ValueError(f"video {self.path} contains no decodable frames") from None
        return int(frame.shape[1]), int(frame.shape[0])

    def close(self) -> None:
        """Release the capture used for random access and the cached frame (re-opened on demand)."""
        if self._cap is not None:
            self._cap.release()
        self._cap, self._pos, self._last = None, 0, None

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

    # -- decoded against announced
    @property
    def decoded(self) -> int | None:
        return self._len

    @property
    def announced(self) -> int | None:
        if not self._probed:
            self._open().release()
        return self._announced

    @property
    def where(self) -> Path:
        return self.path

    def _ended(self, count: int) -> None:
        """Record that decoding stops after ``count`` frames; warn once if the file is truncated."""
        first = self._len is None
        self._len = count
        if first and self.truncated:
            message = f"{self.path}: {self.shortfall()} (a truncated file?); reading the {count}"
            warnings.warn(message, TruncatedVideoWarning, stacklevel=3)

    def _out_of_range(self, index: int) -> IndexError:
        """The IndexError for a frame past the end, saying when the file is truncated."""
        if self.truncated:
            end = f"{self.path}: {self.shortfall()}"
            return IndexError(f"frame index {index} is past the decodable end of {end}")
        return IndexError(f"frame index {index} out of range for video {self.path}")

    # -- FrameSource API
    def __len__(self) -> int:
        if self._len is None:
            cap = self._open()
            count = 0
            while cap.grab():
                count += 1
            cap.release()
            self._ended(count)
        return self._len  # type: ignore[return-value]

    def _seek(self, index: int) -> None:
        """Position the random-access capture so that the next read returns ``index``."""
        if self._len is not None and index >= self._len:
            raise self._out_of_range(index)
        if self._cap is None or index < self._pos:
            self.close()
            self._cap = self._open()
        while self._pos < index:
            if not self._cap.grab():
                self._ended(self._pos)
                raise self._out_of_range(index)
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
            self._ended(index)
            raise self._out_of_range(index)
        self._pos += 1
        rgb = self._to_rgb(frame)
        self._last = (index, rgb)
        return rgb.copy()

    def __iter__(self) -> Iterator[np.ndarray]:
        """Decode all frames in order with a dedicated capture (stops where decoding stops)."""
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
        self._ended(count)

    @property
    def size(self) -> tuple[int, int]:
        if self._size is None:
            self._size = self._first_size()
        return self._size

    def __repr__(self) -> str:
        return f"VideoFrames({str(self.path)!r})"


class FirstFrames(FrameSource):
    """The first ``n`` frames of another source (quick runs, ``--max-frames``, CI)."""

    def __init__(self, source: FrameSource, n: int) -> None:
        if n < 0:
            raise ValueError(f"FirstFrames needs n >= 0, got {n}")
        self.source, self.n = source, int(n)

    def __len__(self) -> int:
        return min(self.n, len(self.source))

    def __getitem__(self, index: int) -> np.ndarray:
        return self.source[self._normalise_index(index)]

    def __iter__(self) -> Iterator[np.ndarray]:
        return (frame for frame, _ in zip(self.source, range(self.n)))

    @property
    def size(self) -> tuple[int, int]:
        return self.source.size

    @property
    def paths(self) -> list[Path] | None:  # type: ignore[override]
        paths = self.source.paths
        return None if paths is None else paths[: self.n]

    @property
    def where(self) -> Path | None:
        return self.source.where

    def close(self) -> None:
        self.source.close()

    @property
    def decoded(self) -> int | None:
        return self.source.decoded

    @property
    def announced(self) -> int | None:
        return self.source.announced

    def __repr__(self) -> str:
        return f"FirstFrames({self.source!r}, {self.n})"


# --------------------------------------------------------------------------- sequence


def _read_only(values: Any, dtype: Any, width: int | None = None) -> np.ndarray | None:
    """A read-only copy of ``values``, reshaped to ``(-1, width)`` if given; None stays None."""
    if values is None:
        return None
    array = np.array(values, dtype=dtype)
    if width is not None:
        array = array.reshape(-1, width)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Sequence:
    """A tracking sequence: lazily decoded frames plus optional 0-based x,y,w,h ground truth.

    The one sequence type of the package (track command, benchmark and harness readers,
    meta-training). ``boxes`` is a read-only float64 (N, 4) array with all-NaN rows where the
    target is absent or unannotated, or None when there is no ground truth. For dataset
    folders N equals the frame count; for a loose video with ``groundtruth.txt`` beside it N
    may be smaller (frames past N are unannotated), and for a truncated video N may exceed
    the frames that decode. ``len`` is N when there is ground truth (no decoding), else the
    frame count. ``override_box`` (from ``box=``) replaces the first ground-truth row as the
    initial box without changing ``boxes``. Optional: ``annotation`` (the ground-truth file,
    named in errors), ``visible`` (N,) bools (GOT-10k cover > 0, LaSOT not occluded or out of
    view), ``polygons`` (N, 8) VOT polygons as written, ``size`` (W, H) from metadata.
    """

    name: str
    frames: FrameSource
    boxes: np.ndarray | None
    source: Path
    override_box: Box | None = None
    annotation: Path | None = None
    visible: np.ndarray | None = None
    polygons: np.ndarray | None = None
    size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _read_only(self.boxes, np.float64, 4))
        object.__setattr__(self, "visible", _read_only(self.visible, bool))
        object.__setattr__(self, "polygons", _read_only(self.polygons, np.float64, 8))
        if self.override_box is not None:
            object.__setattr__(self, "override_box", _check_box(self.override_box, "box"))
        object.__setattr__(self, "source", Path(self.source))
        if self.annotation is not None:
            object.__setattr__(self, "annotation", Path(self.annotation))
        if self.size is not None:
            object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))

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

    @property
    def regions(self) -> np.ndarray:
        """What VOT overlaps are computed against: the polygons, else the boxes."""
        if self.polygons is not None:
            return self.polygons
        if self.boxes is None:
            raise ValueError(f"sequence {self.name!r} has no ground truth")
        return self.boxes

    @property
    def paths(self) -> list[Path] | None:
        """The frames' image files, when the frames are files (None for a video)."""
        return self.frames.paths

    @property
    def truncated(self) -> bool:
        """True when the video stopped decoding before the frame count its container announces."""
        return self.frames.truncated

    def image_size(self) -> tuple[int, int]:
        """``(W, H)``: the metadata's, else read from the first frame."""
        return self.size if self.size is not None else self.frames.size

    def head(self, n: int | None) -> Sequence:
        """The first ``n`` frames and their annotations; the whole sequence for None or n <= 0."""
        if n is None or n <= 0:
            return self

        def cut(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[:n]

        return replace(self, frames=FirstFrames(self.frames, n), boxes=cut(self.boxes),
                       visible=cut(self.visible), polygons=cut(self.polygons))

    def check(self) -> Sequence:
        """Count the frames (a video decodes once) against the ground-truth rows; returns self.

        Strict, for evaluation: every annotated frame must decode, so a truncated video is a
        ValueError naming the annotation file and the decoded and announced counts.
        """
        if self.boxes is not None:
            gt = self.annotation or self.source
            where = self.frames.where or self.source
            _check_count(gt, self.boxes, self.frames, where, allow_truncated=False)
        return self

    def __len__(self) -> int:
        return len(self.boxes) if self.boxes is not None else len(self.frames)

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


def _check_count(
    gt_path: Path, boxes: np.ndarray, frames: FrameSource, where: Path, allow_truncated: bool = True
) -> None:
    """Raise ValueError if the number of ground-truth rows differs from the frame count.

    A truncated video whose container announces one frame per row passes when
    ``allow_truncated`` (it is read as far as it decodes, and has warned so).
    """
    n = len(frames)
    if len(boxes) == n:
        return
    if frames.truncated and allow_truncated and len(boxes) == frames.announced:
        return
    note = f" ({frames.shortfall()})" if frames.truncated else ""
    raise ValueError(f"{gt_path}: {len(boxes)} ground-truth rows but {n} frames in {where}{note}")


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


def _annotation(path: Path, layout: str) -> Path | None:
    """The ground-truth file a layout reads (None for a plain image folder)."""
    return {
        "video": path.parent / GOT_GT,
        "packed": path / GOT_GT,
        "got10k": path / GOT_GT,
        "otb": path / OTB_GT,
    }.get(layout)


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
    annotation = _annotation(path, layout) if boxes is not None else None
    return Sequence(_sequence_name(path, layout), frames, boxes, path, override, annotation)
