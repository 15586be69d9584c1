"""Attribute-wise scores: success / precision per challenge attribute (OPE), accuracy / failures per VOT tag.

Per-sequence attributes (OTB, UAV123, LaSOT, TempleColor) average the curves of the sequences that have
the attribute, as the OTB / LaSOT toolkits and pysot do. Per-frame ones (VOT tags, GOT-10k labels) pool
the frames that carry the tag over all sequences: OPE success / precision over those frames under the
chosen convention; VOT accuracy = mean overlap of the tagged frames VOT's accuracy counts (burn-in
excluded), failures = failures on tagged frames summed over sequences. Every number is computed per
repetition; tables show mean ± std over repetitions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from metartt_tracker.data.attributes import Attributes
from metartt_tracker.data.benchmarks import Benchmark

from . import metrics as M
from .scoring import ResultSource, _complete_reps, _size
from .vot_protocol import read_supervised

OPE_METRICS = ('auc', 'precision', 'norm_precision')
VOT_METRICS = ('accuracy', 'failures')


@dataclass
class AttributeScores:
    """One tracker's numbers per attribute."""

    label: str
    values: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # attr -> repetition -> metric
    curves: dict[str, M.Curves] = field(default_factory=dict)  # attr -> OPE curves, mean over repetitions
    missing: list[str] = field(default_factory=list)  # 'seq#rep' without a result


def _ope_rep(bench: Benchmark, source: ResultSource, attrs: Attributes, conv: str, rep: int) -> dict[str, M.Curves]:
    passes = {}
    for seq in bench:
        boxes, _ = source.read_ope(seq.name, rep)
        if len(boxes) != len(seq):
            raise ValueError(f'{source.path}: {seq.name} repetition {rep} has {len(boxes)} boxes but the ground truth '
                             f'({seq.annotation}) has {len(seq)} rows')
        passes[seq.name] = M.frame_passes(boxes, seq.boxes, conv, seq.visible)
    out = {}
    for attr in attrs.names:
        if attrs.per_frame:
            pooled = M.FramePasses.concat(passes.values(), (attrs.mask(s, attr) for s in bench))
            curves = pooled.curves()
        else:
            per_seq = [c for s in bench if attr in attrs.sequences.get(s.name, ())
                       for c in [passes[s.name].curves()] if c is not None]
            curves = M.mean_curves(per_seq) if per_seq else None
        if curves is not None:
            out[attr] = curves
    return out


def score_ope_attributes(bench: Benchmark, source: ResultSource, attrs: Attributes, conv: str = 'metartt',
                         repetitions: int | None = None) -> AttributeScores:
    """Success AUC, precision@20 and normalised precision per attribute and complete repetition."""
    reps, missing = _complete_reps(bench, source, repetitions)
    out = AttributeScores(source.label, missing=missing)
    per_rep = [_ope_rep(bench, source, attrs, conv, r) for r in reps]
    for attr in attrs.names:
        got = [(r, c[attr]) for r, c in zip(reps, per_rep) if attr in c]
        if got:
            out.values[attr] = {r: {k: v for k, v in c.scores().items() if k in OPE_METRICS} for r, c in got}
            out.curves[attr] = M.mean_curves(c for _, c in got)
    return out


def score_supervised_attributes(bench: Benchmark, source: ResultSource, attrs: Attributes,
                                repetitions: int | None = None, burnin: int = 10) -> AttributeScores:
    """VOT accuracy and failures on the frames carrying each tag, per complete repetition."""
    if not attrs.per_frame:
        raise ValueError(f'VOT accuracy / failures per attribute need per-frame tags; {attrs.source} has '
                         f'per-sequence attributes (score them with --protocol ope)')
    reps, missing = _complete_reps(bench, source, repetitions)
    out = AttributeScores(source.label, missing=missing)
    sums = {a: {r: [0.0, 0, 0] for r in reps} for a in attrs.names}  # overlap sum, accuracy frames, failures
    for seq in bench:
        for r in reps:
            run = M.with_vot_overlaps(read_supervised(source.path.parent, source.path.name, seq.name, r),
                                      seq.regions, _size(seq))
            if len(run.states) != len(seq):
                raise ValueError(f'{source.path}: {seq.name} repetition {r} has {len(run.states)} frames, ground '
                                 f'truth {len(seq)}')
            counted, failed = M.accuracy_frames(run, burnin), run.states == M.FrameState.FAILURE
            for attr in attrs.names:
                tagged = attrs.mask(seq, attr)
                acc = sums[attr][r]
                acc[0] += float(run.overlaps[counted & tagged].sum())
                acc[1] += int((counted & tagged).sum())
                acc[2] += int((failed & tagged).sum())
    for attr, by_rep in sums.items():
        if any(n or f for _, n, f in by_rep.values()):
            out.values[attr] = {r: {'accuracy': s / n if n else float('nan'), 'failures': float(f)}
                                for r, (s, n, f) in by_rep.items()}
    return out


def score_attributes(bench: Benchmark, sources: list[ResultSource], attrs: Attributes, protocol: str = 'ope',
                     conv: str = 'metartt', repetitions: int | None = None) -> list[AttributeScores]:
    """Every source's per-attribute scores under a protocol ('ope' or 'supervised')."""
    if protocol == 'ope':
        return [score_ope_attributes(bench, s, attrs, conv, repetitions) for s in sources]
    return [score_supervised_attributes(bench, s, attrs, repetitions) for s in sources]
