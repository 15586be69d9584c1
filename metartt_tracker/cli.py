"""`metartt` command line: track a video or sequence, benchmark the per-frame path, import weights."""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence as Seq

import numpy as np

from .backbones import BACKBONES, save_nano_weights
from .config import DEFAULT_BACKBONE, VARIANTS
from .device import add_device_arg
from .fileio import atomic_path, atomic_write, sha256_file
from .importers import load_nanotrack_onnx
from .results import format_rows, track_sequence
from .tracker import build_tracker


def _set_threads(n: int) -> None:
    import torch
    if n > 0:
        torch.set_num_threads(n)


@contextmanager
def _video_out(path: Path, size: tuple[int, int], fps: float = 20.0) -> Iterator[Callable[..., None]]:
    """Annotated mp4 writer: yields `write(frame, box, gt, text)`; the file appears at `path` (atomically)
    only when the block ends without an error."""
    import cv2
    with atomic_path(path, keep_suffix=True) as tmp:  # OpenCV picks the container by extension
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
        if not writer.isOpened():
            writer.release()
            raise OSError(f'{path}: cannot open a video writer')
        try:
            yield lambda frame, box, gt, text: writer.write(_annotated(cv2, frame, box, gt, text))
        finally:
            writer.release()


def _annotated(cv2: Any, frame: np.ndarray, box: np.ndarray, gt: np.ndarray | None, text: str) -> np.ndarray:
    """The frame in BGR with the tracker's box in red, the ground truth (when known) in green, and a caption."""
    img = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    if gt is not None and np.all(np.isfinite(gt)):
        x, y, w, h = gt
        cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), (0, 200, 0), 2)
    x, y, w, h = box
    cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), (0, 0, 255), 2)
    cv2.putText(img, text, (5, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return img


def cmd_track(args: argparse.Namespace) -> int:
    from .data import TruncatedVideoWarning
    _set_threads(args.threads)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', TruncatedVideoWarning)  # reported once below, with what was tracked
        seq, result = _track(args)
    if args.output:
        atomic_write(Path(args.output), format_rows(result.boxes))
    if seq.truncated:
        print(_shortfall_line(seq, len(result.boxes)), file=sys.stderr)
    print(json.dumps(_summary(seq, result.boxes, result.times)))
    if args.plot:
        label = Path(args.checkpoint).stem if args.checkpoint else args.variant
        for path in _plot(seq, result, label, Path(args.plot)):
            print(f'wrote {path}')
    return 0


def _track(args: argparse.Namespace) -> tuple[Any, Any]:
    """Open the source and track it (a truncated video as far as it decodes), with progress bar and video."""
    from tqdm import tqdm

    from .data import open_sequence, parse_box
    seq = open_sequence(args.source, parse_box(args.box) if args.box else None)
    tracker = build_tracker(args.variant, args.backbone, args.checkpoint, args.seed, device=args.device)
    n = len(seq.frames) if args.max_frames <= 0 else min(len(seq.frames), args.max_frames)
    spent: list[float] = []

    def on_frame(i: int, frame: np.ndarray, box: np.ndarray, score: float, seconds: float) -> None:
        spent.append(seconds)
        if i > 0:
            bar.set_postfix(fps=f'{i / sum(spent[1:]):.1f}', score=f'{score:.2f}')
        bar.update(1)
        if video is not None:
            gt = seq.boxes[i] if seq.boxes is not None and i < len(seq.boxes) else None
            video(frame, box, gt, f'{i + 1}/{n} score {score:.2f}')

    with ExitStack() as stack:  # the video file appears only when tracking finished
        video = stack.enter_context(_video_out(Path(args.video), seq.frames.size)) if args.video else None
        bar = stack.enter_context(tqdm(total=n, desc=seq.name, unit='frame', disable=args.quiet))
        result = track_sequence(tracker, (f for f, _ in zip(seq.frames, range(n))), seq.init_box, seq.name, on_frame)
    return seq, result


def _shortfall_line(seq: Any, tracked: int) -> str:
    """'VIDEO: decoded 57 of 120 frames the container announces; tracked the 57' for a truncated video."""
    frames = seq.frames
    what = f'the {tracked}' if tracked == frames.decoded else f'{tracked}'
    return f'{frames.where}: {frames.shortfall()}; tracked {what}'


def _plot(seq: Any, result: Any, label: str, stem: Path) -> list[Path]:
    """Success and precision plots of this run next to a box that never moves (needs ground truth)."""
    from .evaluation.metrics import ope_curves
    from .evaluation.plots import Entry, precision_plot, success_plot
    if seq.boxes is None:
        raise ValueError(f'{seq.source}: --plot needs ground truth to compare with')
    gt = np.asarray(seq.boxes)[:len(result.boxes)]
    static = np.repeat(result.boxes[:1], len(result.boxes), axis=0)
    entries = [Entry(label, ope_curves(result.boxes, gt), fps=result.fps()), Entry('static box', ope_curves(static, gt))]
    return (success_plot(entries, stem.with_name(stem.name + '_success'), f'{seq.name}: success') +
            precision_plot(entries, stem.with_name(stem.name + '_precision'), f'{seq.name}: precision'))


def _summary(seq: Any, boxes: np.ndarray, times: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {'sequence': seq.name, 'frames': len(boxes),
                           'first_frame_s': round(float(times[0]), 3),
                           'fps': round(len(times) / float(times.sum()), 2)}
    if len(times) > 1:
        out['fps_without_first'] = round((len(times) - 1) / float(times[1:].sum()), 2)
    if seq.truncated:  # the video decoded fewer frames than its container announces
        out.update(frames_decoded=seq.frames.decoded, frames_announced=seq.frames.announced)
    if seq.boxes is not None and len(boxes) > 1:
        from .evaluation.metrics import ope_scores
        gt = np.asarray(seq.boxes)[:len(boxes)]
        out.update({k: round(v, 4) if isinstance(v, float) else v for k, v in ope_scores(boxes, gt).items()})
        static = np.repeat(boxes[:1], len(boxes), axis=0)
        out['static_box_auc'] = round(ope_scores(static, gt)['auc'], 4)
    return out


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench, format_bench
    _set_threads(args.threads)
    rows = bench(args.sequence, args.variants.split(','), args.backbones.split(','), args.frames,
                 args.seed, args.size, args.weights, args.reference, args.device)
    print(format_bench(rows, args.threads))
    if args.json:
        atomic_write(Path(args.json), json.dumps(rows, indent=2))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .checkpoint import import_official, save_checkpoint
    from .config import variant_config
    if args.source_format == 'nanotrack-onnx':
        return _import_nanotrack(args.source, args.output)
    ckpt = import_official(args.source, variant_config(args.variant))
    save_checkpoint(ckpt, args.output)
    print(f'wrote {args.output} (variant {ckpt.config.variant}, backbone vggm)')
    return 0


def _import_nanotrack(source: str, output: str) -> int:
    """NanoTrack v2's backbone ONNX -> the float16 `nano` backbone file (what weights/ ships)."""
    state = load_nanotrack_onnx(source)
    out = save_nano_weights(state, output, f'{Path(source).name} (sha256 {sha256_file(source)})')
    print(f'wrote {out} (nano backbone, {len(state)} tensors, float16, sha256 {sha256_file(out)})')
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from .shipped import publish
    out = publish(args.checkpoint, args.name, args.folder, base=args.base)
    print(f'wrote {out} and its sha256 in {out.parent / "MANIFEST.json"}')
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='metartt', description=__doc__)
    sub = p.add_subparsers(dest='command', required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument('--seed', type=int, default=0, help='seed of every random choice (default 0)')
        sp.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
        add_device_arg(sp)

    t = sub.add_parser('track', help='track one target through a video, image folder or sequence folder')
    t.add_argument('source', help='video file, image folder, or GOT-10k / OTB / packed sequence folder')
    t.add_argument('--box', help='initial box x,y,w,h (0-based px); default: first ground-truth row')
    t.add_argument('--variant', default='rtmdnet', choices=sorted(VARIANTS))
    t.add_argument('--backbone', default=DEFAULT_BACKBONE, choices=sorted(BACKBONES),
                   help=f'backbone when no checkpoint is given (default {DEFAULT_BACKBONE})')
    t.add_argument('--checkpoint', help='MetaRTT checkpoint file (overrides --variant/--backbone)')
    t.add_argument('--output', help='write boxes here: one x,y,w,h row per frame, the first the initial box')
    t.add_argument('--video', help='write an annotated mp4 here')
    t.add_argument('--plot', help='write success / precision plots (PNG + PDF) to STEM_success.*, STEM_precision.*')
    t.add_argument('--max-frames', type=int, default=0, help='stop after this many frames (0 = all)')
    t.add_argument('--quiet', action='store_true', help='no progress bar')
    common(t)
    t.set_defaults(func=cmd_track)

    b = sub.add_parser('bench', help='per-stage timings and FPS of variants on one sequence')
    b.add_argument('sequence', help='sequence to run (frames are resized to --size)')
    b.add_argument('--variants', default='rtmdnet,rtmdnet-5-5')
    b.add_argument('--backbones', default=f'{DEFAULT_BACKBONE},lite0',
                   help=f'comma-separated backbones for variants without a checkpoint (default {DEFAULT_BACKBONE},lite0)')
    b.add_argument('--frames', type=int, default=0, help='frames to run (0 = all)')
    b.add_argument('--size', default='640x360', help='frame size WxH the sequence is resized to')
    b.add_argument('--json', help='also write the rows as JSON here')
    b.add_argument('--weights', help='folder with <variant>.pt for metartt / metartt-prune (default: shipped weights)')
    b.add_argument('--reference', default='csrt', choices=['csrt', 'kcf', 'nanotrack', ''],
                   help="OpenCV tracker timed on the same frames; every row's speed is also given as a "
                        "multiple of its ('' = none; default csrt)")
    common(b)
    b.set_defaults(func=cmd_bench)

    im = sub.add_parser('import-weights', help='convert rt-mdnet.pth / imagenet-vgg-m.mat to a MetaRTT checkpoint, '
                                                'or NanoTrack v2\'s backbone ONNX to the nano backbone file')
    im.add_argument('source')
    im.add_argument('output')
    im.add_argument('--from', dest='source_format', default='rtmdnet', choices=['rtmdnet', 'nanotrack-onnx'],
                    help='rtmdnet: rt-mdnet.pth or imagenet-vgg-m.mat (default); nanotrack-onnx: '
                         'nanotrack_backbone_sim.onnx (needs the onnx package)')
    im.add_argument('--variant', default='rtmdnet', choices=['rtmdnet', 'rtmdnet-5-5'])
    im.set_defaults(func=cmd_import)

    pub = sub.add_parser('publish-weights', help='ship a checkpoint (float16) under a variant name, with its sha256')
    pub.add_argument('checkpoint')
    pub.add_argument('name', help="variant name it will be loaded by, e.g. 'metartt-prune'")
    pub.add_argument('--folder', help='weights folder (default: the package\'s weights/)')
    pub.add_argument('--base', help="shipped checkpoint with the same backbone, theta_0 and step sizes "
                                    "(e.g. 'metartt' for 'metartt-prune'): only the rest is written")
    pub.set_defaults(func=cmd_publish)
    _register_subcommands(sub)
    return p


def _register_subcommands(sub: Any) -> None:
    """`train` (meta), `run | reproduce | score | export-results` (evaluation) and the toolkit commands
    (integrations): wired here, and only here, so the library never imports them."""
    from .evaluation.commands import register as register_evaluation
    from .integrations.commands import register as register_integrations
    from .meta.commands import register as register_meta
    for register in (register_meta, register_evaluation, register_integrations):
        register(sub)


def main(argv: Seq[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError, KeyError) as e:
        print(f'metartt {args.command}: error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
