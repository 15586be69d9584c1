"""Issue 15's speed acceptance: today's code against the new default, in one run, on the bundled sample.

"Today's code" is an install of the commit before the backbone switch (its default, lite0), e.g.

    git worktree add /tmp/old15 517e65c && make -C /tmp/old15 install

Both `metartt bench` commands run in turn (old, new, old, new, ...), each with OpenCV's CSRT timed in
the same process as a yardstick. Per pair the script takes new/old of the first-frame time and of the
FPS over frames 2..N, and prints the median and range over pairs, so drift of the machine between
pairs does not enter a ratio.

    .venv/bin/python reports/2026-12-01-nano/bench_old_new.py /tmp/old15/.venv/bin/metartt \\
        .venv/bin/metartt --pairs 5 --threads 1 [--new-args '--backbones nano16'] > bench_old_new.txt
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import tempfile
from pathlib import Path


def bench_row(exe: str, sample: str, variant: str, frames: int, threads: int, extra: str) -> dict:
    """The tracker row and CSRT row of one `metartt bench` call."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'rows.json'
        cmd = [exe, 'bench', sample, '--variants', variant, '--frames', str(frames), '--threads', str(threads),
               '--json', str(out), *shlex.split(extra)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        rows = json.loads(out.read_text())
    rows = rows['rows'] if isinstance(rows, dict) else rows
    return {'tracker': rows[0], 'csrt': rows[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('old', help="today's metartt executable")
    ap.add_argument('new', help='the new metartt executable')
    ap.add_argument('--sample', default='samples/otb_Crossing')
    ap.add_argument('--variant', default='rtmdnet-5-5')
    ap.add_argument('--frames', type=int, default=0, help='frames per run (0 = all)')
    ap.add_argument('--pairs', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--old-args', default='--backbones lite0', help="extra bench flags for today's code")
    ap.add_argument('--new-args', default='', help='extra bench flags for the new code (default: its defaults)')
    a = ap.parse_args()
    pairs = []
    for i in range(a.pairs):
        old = bench_row(a.old, a.sample, a.variant, a.frames, a.threads, a.old_args)
        new = bench_row(a.new, a.sample, a.variant, a.frames, a.threads, a.new_args)
        pairs.append((old, new))
        o, n = old['tracker'], new['tracker']
        print(f"pair {i + 1}: old {o['backbone']} 1st {o['first_frame_ms']:.0f} ms, FPS>1 {o['fps_without_first']:.2f} "
              f"(CSRT {old['csrt']['fps_without_first']:.1f}) | new {n['backbone']} 1st {n['first_frame_ms']:.0f} ms, "
              f"FPS>1 {n['fps_without_first']:.2f} (CSRT {new['csrt']['fps_without_first']:.1f})", flush=True)

    def summary(label: str, values: list[float]) -> None:
        print(f'{label:<44} median {statistics.median(values):6.3f}  range {min(values):.3f}-{max(values):.3f}')

    print(f'\n{a.variant} on {a.sample}, {a.threads} thread(s), {len(pairs)} pairs; new/old per pair:')
    summary('first frame ms, new / old', [n['tracker']['first_frame_ms'] / o['tracker']['first_frame_ms'] for o, n in pairs])
    summary('update FPS (frames 2..N), new / old',
            [n['tracker']['fps_without_first'] / o['tracker']['fps_without_first'] for o, n in pairs])
    summary('FPS (all frames), new / old', [n['tracker']['fps'] / o['tracker']['fps'] for o, n in pairs])
    summary('CSRT FPS>1 in the new run / in the old run',
            [n['csrt']['fps_without_first'] / o['csrt']['fps_without_first'] for o, n in pairs])
    for side, k in (('old', 0), ('new', 1)):
        summary(f'{side}: first frame x CSRT first frame', [p[k]['tracker']['first_frame_x_ref'] for p in pairs])
        summary(f'{side}: FPS>1 x CSRT FPS>1', [p[k]['tracker']['fps_without_first_x_ref'] for p in pairs])


if __name__ == '__main__':
    main()
