"""Tests for metartt_tracker.data.sequences: layout detection, box parsing, frame decoding."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metartt_tracker.data.sequences import (
    FirstFrames,
    ImageFolderFrames,
    Sequence,
    TruncatedVideoWarning,
    VideoFrames,
    detect_layout,
    open_sequence,
    parse_box,
    read_boxes,
)
from metartt_tracker.results import track_sequence
from video_files import truncate_mp4, write_mp4

W, H = 48, 32
# Distinct, well separated colours (R, G, B) so channel order and frame order survive mp4v.
COLOURS = [(220, 40, 40), (40, 220, 40), (40, 40, 220), (220, 220, 40), (40, 220, 220)]


# --------------------------------------------------------------------------- helpers


def make_frame(i: int) -> np.ndarray:
    """A deterministic RGB test frame: random-ish texture seeded by ``i``."""
    rng = np.random.default_rng(i)
    return rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)


def write_images(folder: Path, n: int, pattern: str = "{:08d}.png", start: int = 1) -> list[np.ndarray]:
    """Write ``n`` frames into ``folder`` and return their pixel arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = [make_frame(i) for i in range(n)]
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / pattern.format(i + start))
    return frames


def write_video(path: Path, n: int = len(COLOURS)) -> None:
    """Write an ``n``-frame mp4 whose frame i is filled with COLOURS[i % len(COLOURS)]."""
    cv2 = pytest.importorskip("cv2")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H))
    assert writer.isOpened()
    for i in range(n):
        rgb = np.full((H, W, 3), COLOURS[i % len(COLOURS)], dtype=np.uint8)
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` and return the path."""
    path.write_text(text)
    return path


GOT_ROWS = "1,2,10,12\n2.5,3,10,12\nnan,nan,nan,nan\n4,5,11,13\n"


# --------------------------------------------------------------------------- parse_box / read_boxes


@pytest.mark.parametrize("text", ["10,20,30,40", "10 20 30 40", " 10, 20,\t30 ,40 ", "10.0,20,3e1,40"])
def test_parse_box_accepts_commas_and_spaces(text: str) -> None:
    assert parse_box(text) == (10.0, 20.0, 30.0, 40.0)


@pytest.mark.parametrize("text", ["10,20,30", "a,b,c,d", "1,2,3,4,5", "", "1,2,0,4", "1,2,3,nan"])
def test_parse_box_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="invalid box"):
        parse_box(text)


def test_read_boxes_separators_nan_and_trailing_blank_lines(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gt.txt", "1,2,3,4\n5\t6\t7\t8\n9 10  11 12\nNaN,nan,nan,nan\n1,nan,3,4\n\n  \n")
    boxes = read_boxes(path)
    assert boxes.dtype == np.float64 and boxes.shape == (5, 4)
    np.testing.assert_array_equal(boxes[:3], [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    assert np.isnan(boxes[3:]).all()


def test_read_boxes_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gt.txt", "1,2,3,4\n1,2,3\n")
    with pytest.raises(ValueError, match=r"gt\.txt:2: expected 4 numbers, got '1,2,3'"):
        read_boxes(path)


def test_read_boxes_blank_line_inside_is_an_error(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gt.txt", "1,2,3,4\n\n1,2,3,4\n")
    with pytest.raises(ValueError, match=r"gt\.txt:2: expected 4 numbers, got ''"):
        read_boxes(path)


# --------------------------------------------------------------------------- layouts


def test_got10k_folder_with_absence_label(tmp_path: Path) -> None:
    folder = tmp_path / "GOT-10k_Val_000001"
    frames = write_images(folder, 4)
    write_text(folder / "groundtruth.txt", GOT_ROWS)
    write_text(folder / "absence.label", "0\n1\n0\n0\n")
    seq = open_sequence(folder)
    assert detect_layout(folder) == "got10k"
    assert isinstance(seq.frames, ImageFolderFrames)
    assert seq.name == "GOT-10k_Val_000001" and seq.source == folder and len(seq) == 4
    assert seq.init_box == (1.0, 2.0, 10.0, 12.0)
    assert np.isnan(seq.boxes[1]).all() and np.isnan(seq.boxes[2]).all()  # absent + 'nan' row
    np.testing.assert_array_equal(seq.boxes[3], [4, 5, 11, 13])
    # PNG round trip is exact, by index, by negative index and by iteration.
    np.testing.assert_array_equal(seq.frames[0], frames[0])
    np.testing.assert_array_equal(seq.frames[-1], frames[-1])
    for got, expected in zip(seq.frames, frames, strict=True):
        assert got.dtype == np.uint8 and got.shape == (H, W, 3)
        np.testing.assert_array_equal(got, expected)
    assert seq.frames.size == (W, H)


def test_otb_folder_is_converted_to_zero_based(tmp_path: Path) -> None:
    folder = tmp_path / "Basketball"
    write_images(folder / "img", 4, pattern="{:04d}.jpg")
    write_text(folder / "groundtruth_rect.txt", "11,21,30,40\n12\t22\t30\t40\n0,0,0,0\n5 6 -1 4\n")
    seq = open_sequence(folder)
    assert detect_layout(folder) == "otb" and seq.name == "Basketball" and len(seq) == 4
    np.testing.assert_array_equal(seq.boxes[:2], [[10, 20, 30, 40], [11, 21, 30, 40]])
    assert np.isnan(seq.boxes[2:]).all()  # 0,0,0,0 and w<=0 are invalid
    assert seq.init_box == (10.0, 20.0, 30.0, 40.0)
    assert seq.frames[0].shape == (H, W, 3)  # JPEG: shape only


def test_image_folder_sorted_by_name_and_filters_extensions(tmp_path: Path) -> None:
    folder = tmp_path / "clip"
    folder.mkdir()
    frames = [make_frame(i) for i in range(3)]
    for name, frame in zip(["2.PNG", "10.png", "1.bmp"], [frames[1], frames[2], frames[0]]):
        Image.fromarray(frame).save(folder / name)
    write_text(folder / "notes.txt", "not a frame")
    Image.fromarray(make_frame(9)).convert("L").save(folder / "0.gif")  # ignored extension
    seq = open_sequence(folder, box=(1, 2, 3, 4))
    assert detect_layout(folder) == "images" and seq.boxes is None and len(seq) == 3
    assert [p.name for p in seq.frames.paths] == ["1.bmp", "2.PNG", "10.png"]
    for got, expected in zip(seq.frames, frames, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert seq.init_box == (1.0, 2.0, 3.0, 4.0)


def test_grey_and_rgba_images_become_rgb(tmp_path: Path) -> None:
    Image.new("L", (W, H), 77).save(tmp_path / "a.png")
    Image.new("RGBA", (W, H), (1, 2, 3, 4)).save(tmp_path / "b.png")
    frames = ImageFolderFrames.from_folder(tmp_path)
    assert frames[0].shape == (H, W, 3) and (frames[0] == 77).all()
    assert frames[1].shape == (H, W, 3) and tuple(frames[1][0, 0]) == (1, 2, 3)


def test_packed_folder(tmp_path: Path) -> None:
    folder = tmp_path / "uav_x"
    folder.mkdir()
    write_video(folder / "video.mp4")
    write_text(folder / "groundtruth.txt", "1,2,3,4\n" * 4 + "nan,nan,nan,nan\n")
    write_text(folder / "absence.label", "0\n0\n1\n0\n1\n")
    seq = open_sequence(folder)
    assert detect_layout(folder) == "packed"
    assert isinstance(seq.frames, VideoFrames) and seq.name == "uav_x" and len(seq) == 5
    assert np.isnan(seq.boxes[[2, 4]]).all() and not np.isnan(seq.boxes[[0, 1, 3]]).any()
    # Passing the packed folder's own video.mp4 gives the same sequence.
    again = open_sequence(folder / "video.mp4")
    assert again.name == "uav_x" and again.source == folder
    np.testing.assert_array_equal(again.boxes, seq.boxes)


def test_video_frames_decode_in_order_as_rgb(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.mp4", n=7)
    frames = VideoFrames(tmp_path / "clip.mp4")
    assert len(frames) == 7 and frames.size == (W, H)
    expected = [COLOURS[i % len(COLOURS)] for i in range(7)]

    def colour(frame: np.ndarray) -> tuple[int, ...]:
        assert frame.dtype == np.uint8 and frame.shape == (H, W, 3)
        return tuple(frame.reshape(-1, 3).mean(axis=0))

    for got, want in zip(frames, expected, strict=True):
        np.testing.assert_allclose(colour(got), want, atol=12)
    # Random access: forward skip, backward (re-open), repeat, negative index.
    for i in [4, 1, 1, 6, 0, -2]:
        np.testing.assert_allclose(colour(frames[i]), expected[i], atol=12)
    with pytest.raises(IndexError):
        frames[7]
    with pytest.raises(IndexError):
        frames[-8]
    clone = pickle.loads(pickle.dumps(frames))
    np.testing.assert_allclose(colour(clone[2]), expected[2], atol=12)


def test_video_file_with_and_without_groundtruth(tmp_path: Path) -> None:
    video = tmp_path / "My Clip.MP4"
    write_video(video)
    assert detect_layout(video) == "video"
    with pytest.raises(ValueError, match="--box x,y,w,h"):
        open_sequence(video)
    seq = open_sequence(video, box="5,6,7,8")
    assert seq.name == "My Clip" and seq.boxes is None and seq.init_box == (5.0, 6.0, 7.0, 8.0)
    assert len(seq) == len(COLOURS)
    # A groundtruth.txt beside a loose video is used and may cover only the first frames.
    write_text(tmp_path / "groundtruth.txt", "1,2,3,4\n2,3,4,5\n")
    seq = open_sequence(video)
    assert seq.boxes.shape == (2, 4) and seq.init_box == (1.0, 2.0, 3.0, 4.0)


def test_box_overrides_first_groundtruth_row(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_images(folder, 4)
    write_text(folder / "groundtruth.txt", GOT_ROWS)
    seq = open_sequence(folder, box=(7, 8, 9, 10))
    assert seq.init_box == (7.0, 8.0, 9.0, 10.0)
    np.testing.assert_array_equal(seq.boxes[0], [1, 2, 10, 12])  # ground truth untouched
    with pytest.raises(ValueError):
        seq.boxes[0, 0] = 0.0  # read-only


def test_sequence_init_box_errors() -> None:
    frames = ImageFolderFrames([Path("unused.png")])
    with pytest.raises(ValueError, match="no ground truth"):
        Sequence("a", frames, None, Path(".")).init_box
    absent_first = np.array([[np.nan] * 4, [1, 2, 3, 4]])
    with pytest.raises(ValueError, match="not annotated in the first frame"):
        Sequence("b", frames, absent_first, Path(".")).init_box


# --------------------------------------------------------------------------- errors


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="nope"):
        open_sequence(missing)
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        VideoFrames(tmp_path / "nope.mp4")


def test_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty_seq"
    folder.mkdir()
    write_text(folder / "groundtruth.txt", "1,2,3,4\n")
    with pytest.raises(ValueError, match="empty_seq.*empty"):
        open_sequence(folder)


def test_unsupported_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "boxes.csv", "1,2,3,4\n")
    with pytest.raises(ValueError, match="boxes.csv"):
        open_sequence(path)


def test_no_box_and_no_groundtruth(tmp_path: Path) -> None:
    write_images(tmp_path / "frames", 2)
    with pytest.raises(ValueError, match=r"frames has no ground truth.*--box x,y,w,h"):
        open_sequence(tmp_path / "frames")


def test_malformed_groundtruth_in_sequence(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_images(folder, 3)
    write_text(folder / "groundtruth.txt", "1,2,3,4\n1,2,3,4\n1;2;x;4\n")
    with pytest.raises(ValueError, match=r"groundtruth\.txt:3: expected 4 numbers, got '1;2;x;4'"):
        open_sequence(folder)


def test_malformed_absence_label(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_images(folder, 2)
    write_text(folder / "groundtruth.txt", "1,2,3,4\n1,2,3,4\n")
    write_text(folder / "absence.label", "0\nyes\n")
    with pytest.raises(ValueError, match=r"absence\.label:2: expected an integer label"):
        open_sequence(folder)


@pytest.mark.parametrize("layout", ["got10k", "otb", "packed"])
def test_groundtruth_count_mismatch(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "seq"
    if layout == "got10k":
        write_images(folder, 3)
        gt = write_text(folder / "groundtruth.txt", "1,2,3,4\n" * 2)
    elif layout == "otb":
        write_images(folder / "img", 3, pattern="{:04d}.jpg")
        gt = write_text(folder / "groundtruth_rect.txt", "1,2,3,4\n" * 4)
    else:
        folder.mkdir()
        write_video(folder / "video.mp4", n=5)
        gt = write_text(folder / "groundtruth.txt", "1,2,3,4\n" * 3)
    n_gt = len(gt.read_text().splitlines())
    with pytest.raises(ValueError, match=rf"{gt.name}: {n_gt} ground-truth rows but \d frames") as err:
        open_sequence(folder)
    assert str(gt) in str(err.value)


def test_loose_video_with_too_many_groundtruth_rows(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.mp4", n=3)
    write_text(tmp_path / "groundtruth.txt", "1,2,3,4\n" * 4)
    with pytest.raises(ValueError, match=r"groundtruth\.txt: 4 ground-truth rows but 3 frames"):
        open_sequence(tmp_path / "clip.mp4")


def test_video_that_cannot_be_opened(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 50)
    with pytest.raises(ValueError, match="broken.mp4"):
        open_sequence(bad, box=(1, 2, 3, 4))


# --------------------------------------------------------------------------- one sequence type


def test_sequence_head_cuts_frames_and_every_annotation(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_images(folder, 4)
    polygons = np.arange(32, dtype=float).reshape(4, 8)
    seq = Sequence("s", ImageFolderFrames.from_folder(folder), np.ones((4, 4)), folder,
                   annotation=folder / "gt.txt", visible=[1, 0, 1, 1], polygons=polygons, size=(W, H))
    assert seq.regions is seq.polygons and seq.visible.dtype == bool and seq.image_size() == (W, H)
    two = seq.head(2)
    assert isinstance(two.frames, FirstFrames) and len(two) == len(two.frames) == 2
    assert [p.name for p in two.paths] == ["00000001.png", "00000002.png"]
    assert two.visible.tolist() == [True, False] and two.regions.shape == (2, 8) and len(list(two.frames)) == 2
    with pytest.raises(IndexError):
        two.frames[2]
    assert seq.head(0) is seq and seq.head(None) is seq
    back = pickle.loads(pickle.dumps(two))
    np.testing.assert_array_equal(back.frames[1], seq.frames[1])


def test_lazy_video_decodes_nothing_until_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_video(tmp_path / "clip.mp4", n=3)
    opened = []
    real_open = VideoFrames._open
    monkeypatch.setattr(VideoFrames, "_open", lambda self: opened.append(1) or real_open(self))
    frames = VideoFrames(tmp_path / "clip.mp4", lazy=True)
    seq = Sequence("clip", frames, np.ones((3, 4)), tmp_path)
    assert len(seq) == 3 and not seq.truncated and not opened
    assert frames.size == (W, H) and opened


# --------------------------------------------------------------------------- truncated videos


class StillTracker:
    """A stand-in tracker: the box never moves."""

    def init(self, frame: np.ndarray, box: object) -> None:
        self.box = np.asarray(box, dtype=float)

    def update(self, frame: np.ndarray) -> np.ndarray:
        return self.box


def truncated_video(path: Path, n: int = 20, keep: float = 0.3) -> list[np.ndarray]:
    """An n-frame mp4 whose container still announces n frames after its frame data was cut."""
    pytest.importorskip("cv2")
    frames = write_mp4(path, n)
    truncate_mp4(path, keep)
    return frames


def test_truncated_video_reads_what_decodes_and_says_so(tmp_path: Path) -> None:
    video = tmp_path / "cut.mp4"
    written = truncated_video(video)
    frames = VideoFrames(video)
    assert frames.announced == 20 and frames.decoded is None and not frames.truncated
    with pytest.warns(TruncatedVideoWarning, match=r"cut\.mp4: decoded \d+ of 20 frames the container announces"):
        got = list(frames)
    n = len(got)
    assert 0 < n < 20 and frames.decoded == len(frames) == n and frames.truncated
    assert frames.shortfall() == f"decoded {n} of 20 frames the container announces"
    for frame, want in zip(got, written):
        assert np.abs(frame.astype(int) - want).mean() < 20
    past_end = rf"frame index {n} is past the decodable end of .*cut\.mp4: decoded {n} of 20"
    with pytest.raises(IndexError, match=past_end):
        frames[n]
    fresh = VideoFrames(video)  # random access past the end finds it too
    with pytest.warns(TruncatedVideoWarning), pytest.raises(IndexError, match=rf"cut\.mp4: decoded {n} of 20"):
        fresh[19]
    assert fresh.decoded == n and pickle.loads(pickle.dumps(fresh)).decoded == n


def test_truncated_packed_video_is_tracked_over_the_frames_that_decode(tmp_path: Path) -> None:
    folder = tmp_path / "cut"
    folder.mkdir()
    truncated_video(folder / "video.mp4")
    gt = write_text(folder / "groundtruth.txt", "4,21,24,21\n" * 20)
    with pytest.warns(TruncatedVideoWarning, match=r"video\.mp4: decoded \d+ of 20"):
        seq = open_sequence(folder)
    n = len(seq.frames)
    assert seq.truncated and len(seq) == 20 and n < 20 and seq.annotation == gt
    result = track_sequence(StillTracker(), seq.frames, seq.init_box, seq.name)
    assert len(result.boxes) == n
    with pytest.raises(ValueError, match=rf"20 ground-truth rows but {n} frames .*\(decoded {n} of 20 frames"):
        seq.check()  # evaluation needs every annotated frame
    write_text(folder / "groundtruth.txt", "4,21,24,21\n" * 21)  # more rows than the container announces
    with pytest.warns(TruncatedVideoWarning), pytest.raises(ValueError, match=r"21 ground-truth rows but \d+ frames"):
        open_sequence(folder)
