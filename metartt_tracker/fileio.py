"""The one atomic-write helper and the one sha256 helper of the package.

Every result, checkpoint, log and manifest is written through `atomic_write`: the data goes to a
temp file in the same folder, then one rename puts it in place, so a reader (or a resumed run)
sees the old file or the whole new one, never a half-written file left by a crash.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Union

Payload = Union[str, bytes, Callable[[Path], None]]  # text, bytes, or a function that writes the given path


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextmanager
def atomic_path(path: str | os.PathLike, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temp path beside `path` to write to; on normal exit it is renamed onto `path`.

    For writers that fill a file over time (a video, `torch.save`); on an exception the temp
    file is removed and `path` is left as it was. Temp names are hidden and end in `.tmp`, so a
    toolkit globbing `*.txt` never reads one; `keep_suffix` appends the real suffix for writers
    that choose a container by extension (OpenCV's VideoWriter).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = f'.tmp{path.suffix}' if keep_suffix else '.tmp'
    fd, name = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual file mode
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty hidden temp folder beside `path`; on normal exit it replaces `path` (a folder).

    A crash leaves the old folder (or none) and a hidden `.NAME.*.tmp` folder, never a half-filled
    `path`. The old folder is removed just before the rename, so the swap itself is not atomic on
    POSIX (a folder cannot be renamed over a non-empty one).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; give the usual folder mode
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write(path: str | os.PathLike, data: Payload) -> Path:
    """Write `data` to `path` through a temp file and a rename; returns the path.

    `data` is a str (UTF-8 text), bytes, or a callable that writes the temp path it is given
    (e.g. `lambda p: torch.save(obj, p)`).
    """
    with atomic_path(path) as tmp:
        if callable(data):
            data(tmp)
        else:
            tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    return Path(path)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text: str | bytes) -> str:
    """Hex sha256 of a string (UTF-8) or bytes: fingerprints of configs and sequence lists."""
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()
