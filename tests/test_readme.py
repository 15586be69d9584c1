"""Every `metartt ...` command in README.md and the model card names a subcommand and flags that exist
(parsed by the CLI's own parser, nothing run), so the documentation cannot drift from the CLI."""
import re
import shlex
from pathlib import Path

import pytest

from metartt_tracker.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md', ROOT / 'weights' / 'MODEL_CARD.md', ROOT / 'weights' / 'README.md']


def commands(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of every `metartt` command in the file's sh code blocks, continuations joined,
    comments and `cd ... &&` prefixes dropped."""
    out, block, pending = [], False, None
    for no, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith('```'):
            block = line.strip() in ('```sh', '```bash')
            continue
        if not block:
            continue
        text = re.sub(r'\s+#.*$', '', line).strip()
        if pending is not None:
            pending = (pending[0], pending[1] + ' ' + text.rstrip('\\').strip())
        elif re.match(r'^(\S+/)?metartt\s', text.split('&&')[-1].strip()):
            pending = (no, text.split('&&')[-1].strip().rstrip('\\').strip())
        if pending is not None and not text.endswith('\\'):
            out.append(pending)
            pending = None
    return out


CASES = [(p.name, no, cmd) for p in DOCS if p.is_file() for no, cmd in commands(p)]


def test_the_docs_have_commands_to_check():
    assert len(CASES) > 20


@pytest.mark.parametrize('doc, line, command', CASES, ids=[f'{d}:{n}' for d, n, _ in CASES])
def test_documented_command_parses(doc, line, command):
    argv = shlex.split(command)[1:]
    try:
        build_parser().parse_args(argv)
    except SystemExit as e:
        pytest.fail(f'{doc}:{line}: `{command}` does not parse (exit {e.code})')
