"""The package version, and the version string (version + git commit) stamped on checkpoints and results."""
from __future__ import annotations

import subprocess
from pathlib import Path

__version__ = '0.1.0'


def code_version() -> str:
    """Package version plus the git commit of the working tree, when there is one."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ''
    return f'{__version__}+{commit}' if commit else __version__
