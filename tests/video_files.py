"""Test videos made on the fly: a plain mp4, and a truncated one whose container announces more frames than decode.

OpenCV writes the mp4 index (``moov``) after the frame data (``mdat``), so cutting bytes off such a
file loses the index and nothing opens. A download or copy that stopped early is more often a
"fast start" file (index first, as streaming tools write them): there the index still announces
every frame while the data of the last ones is missing. `truncate_mp4` makes exactly that.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_CONTAINERS = {b'moov', b'trak', b'mdia', b'minf', b'stbl'}  # atoms on the way to each stco


def write_mp4(path: Path, n: int, size: tuple[int, int] = (96, 64)) -> list[np.ndarray]:
    """Write an n-frame mp4v video of a textured square moving right; returns the RGB frames."""
    import cv2
    w, h = size
    rng = np.random.default_rng(0)
    background = rng.integers(0, 80, (h, w, 3), dtype=np.uint8)
    patch = rng.integers(120, 256, (h // 3, w // 4, 3), dtype=np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10, (w, h))
    assert writer.isOpened()
    frames = []
    for i in range(n):
        frame = background.copy()
        x = 4 + 2 * i
        frame[h // 3:h // 3 + patch.shape[0], x:x + patch.shape[1]] = patch
        frames.append(frame)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return frames


def _atoms(data: bytes | bytearray, start: int, end: int):
    i = start
    while i < end:
        size, kind = struct.unpack('>I4s', data[i:i + 8])
        yield kind, i, size
        i += size


def _shift_chunk_offsets(moov: bytearray, start: int, end: int, delta: int) -> None:
    for kind, i, size in _atoms(moov, start, end):
        if kind in _CONTAINERS:
            _shift_chunk_offsets(moov, i + 8, i + size, delta)
        elif kind == b'stco':
            (count,) = struct.unpack('>I', moov[i + 12:i + 16])
            for k in range(count):
                p = i + 16 + 4 * k
                moov[p:p + 4] = struct.pack('>I', struct.unpack('>I', moov[p:p + 4])[0] + delta)


def truncate_mp4(path: Path, keep: float) -> None:
    """Rewrite an OpenCV mp4 as fast start (index first) and keep only a fraction `keep` of its frame data."""
    data = Path(path).read_bytes()
    top = {kind: (i, size) for kind, i, size in _atoms(data, 0, len(data))}
    (mi, ms), (di, ds) = top[b'moov'], top[b'mdat']
    assert di < mi, 'expected the index after the frame data'
    moov = bytearray(data[mi:mi + ms])
    _shift_chunk_offsets(moov, 0, len(moov), ms)
    cut = 8 + int((ds - 8) * keep)
    Path(path).write_bytes(data[:di] + bytes(moov) + data[di:di + cut])
