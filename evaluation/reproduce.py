"""`metartt reproduce tableN`: run what is missing, score it, print and write the table and its plots.

Rows whose checkpoint is missing are trained first when a meta-training recipe is named
(`metartt_tracker.meta.train(recipe, out_path, **spec.train)`), otherwise reported as missing —
never filled in. Other trackers' result folders (`--compare LABEL=DIR`) join every table and plot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metartt_tracker.data.benchmarks import Benchmark
from metartt_tracker.fileio import atomic_write
from metartt_tracker.meta import train as train_checkpoint

from . import plots, tables
from .metrics import CONVENTIONS
from .provenance import provenance, write_sidecar
from .scoring import ResultSource, Scores, score_ope, score_supervised
from .rows import Row


def train_missing(spec: Row, recipe: str, weights_dir: Path, train_kwargs: dict[str, Any] | None = None) -> str | None:
    """Train a row's checkpoint with the named recipe; None on success, else why it stays missing.

    `train_kwargs` (training data, split, validation split, threads) go to `metartt_tracker.meta.train`."""
    if spec.train is None:
        return f'{spec.key} cannot be trained by the meta-training recipes'
    out = spec.checkpoint_path(weights_dir)
    try:
        train_checkpoint(recipe, out, **spec.train, **(train_kwargs or {}))
    except Exception as e:  # noqa: BLE001 - report the row, keep the table
        return f'training failed: {type(e).__name__}: {e}'
    return None if out and out.is_file() else f'training wrote no checkpoint at {out}'


def availability(specs: list[Row], weights_dir: Path, recipe: str | None,
                 train_kwargs: dict[str, Any] | None = None) -> dict[str, str]:
    """{row key: reason} for rows that cannot run (missing weights, failed training)."""
    from metartt_tracker import MissingWeightsError
    reasons = {}
    for spec in specs:
        try:
            spec.resolve_checkpoint(weights_dir)
            continue
        except MissingWeightsError:
            pass
        reason = train_missing(spec, recipe, weights_dir, train_kwargs) if recipe else 'missing weights'
        if reason:
            reasons[spec.key.split('@')[0]] = reason
    return reasons


@dataclass
class Measured:
    """Scores of a table's rows and of the compared trackers, per protocol."""

    rows: dict[str, dict[str, Scores]] = field(default_factory=dict)  # protocol -> row key -> scores
    compare: dict[str, dict[str, Scores]] = field(default_factory=dict)  # protocol -> label -> scores


def measure(specs: list[Row], sources: list[ResultSource], benches: dict[str, Benchmark],
            roots: dict[str, Path], repetitions: int, convention: str, eao_range: tuple[int, int],
            skip: dict[str, str]) -> Measured:
    """Score every runnable row on each protocol's benchmark, plus the compared result folders."""
    out = Measured()
    for protocol, bench in benches.items():
        out.rows[protocol], out.compare[protocol] = {}, {}
        for spec in specs:
            row = spec.key.split('@')[0]
            if row in skip:
                continue
            src = ResultSource(spec.label, roots[protocol] / spec.key, 'got10k' if protocol == 'ope' else 'vot')
            reps = 1 if spec.deterministic else repetitions
            out.rows[protocol][row] = _score(protocol, bench, src, reps, convention, eao_range)
        for src in sources:
            if (src.layout == 'vot') == (protocol == 'supervised'):
                out.compare[protocol][src.label] = _score(protocol, bench, src, None, convention, eao_range)
    return out


def _score(protocol: str, bench: Benchmark, src: ResultSource, reps: int | None, convention: str,
           eao_range: tuple[int, int]) -> Scores:
    if not src.path.is_dir():
        return Scores(src.label, missing=[f'{s.name}#1' for s in bench])
    if protocol == 'ope':
        return score_ope(bench, src, convention, reps)
    return score_supervised(bench, src, reps, eao_range)


def measured_title(spec: tables.TableSpec, benches: dict[str, Benchmark]) -> str:
    """The paper's caption, naming the data actually measured when it is not the paper's."""
    ours = ', '.join(dict.fromkeys(b.name for b in benches.values()))
    where = f'on {spec.paper_dataset}'
    if not spec.paper_dataset or where not in spec.title or spec.paper_dataset.lower() in ours.lower():
        return spec.title
    return spec.title.replace(where, f'on {ours} (paper: {spec.paper_dataset})')


def write_table(spec: tables.TableSpec, measured: Measured, labels: dict[str, str], reasons: dict[str, str],
                out_dir: Path, benches: dict[str, Benchmark], note: str, extra: dict[str, Any]) -> tuple[str, list[Path]]:
    """Render one table (with compared trackers appended) to text, CSV, Markdown, LaTeX + sidecar."""
    compare_labels = sorted({k for v in measured.compare.values() for k in v})
    merged = {p: {**measured.rows.get(p, {}), **{f'cmp:{k}': s for k, s in measured.compare.get(p, {}).items()}}
              for p in measured.rows}
    rows_spec = tables.TableSpec(spec.name, measured_title(spec, benches), spec.rows + tuple(f'cmp:{k}' for k in compare_labels),
                                 spec.columns, spec.static, spec.paper_dataset, spec.paired_with)
    all_labels = {**labels, **{f'cmp:{k}': k for k in compare_labels}}
    rows = tables.build_rows(rows_spec, merged, all_labels, reasons, spec.name)
    note = ' '.join(x for x in (note, tables.paired_note(rows_spec, all_labels)) if x)
    stem = out_dir / spec.name
    files = [atomic_write(stem.with_suffix(ext), render(rows_spec, rows, note))
             for ext, render in tables.RENDERERS.items()]
    tag = (lambda p: f' [{p}]') if len(measured.rows) > 1 else (lambda p: '')  # noqa: E731
    scored = {f'{labels.get(k, k)}{tag(p)}': s for p, group in measured.rows.items() for k, s in group.items()}
    scored.update({f'{k}{tag(p)}': s for p, group in measured.compare.items() for k, s in group.items()})
    files.append(write_sidecar(stem, provenance(spec.name, benches, scored, table=spec.title, note=note, **extra)))
    return tables.render_text(rows_spec, rows, note), files


def write_plots(name: str, measured: Measured, labels: dict[str, str], out_dir: Path, benches: dict[str, Benchmark],
                eao_range: tuple[int, int], realtime_fps: float, extra: dict[str, Any]) -> list[Path]:
    """Success / precision / accuracy-vs-FPS plots (OPE) and EAO curve / score plots (reset-based)."""
    files: list[Path] = []
    for protocol in measured.rows:
        scored = {labels.get(k, k): s for k, s in measured.rows[protocol].items()}
        scored.update(measured.compare.get(protocol, {}))
        scored = {k: s for k, s in scored.items() if s.reps}
        if not scored:
            continue
        entries = [plots.Entry(k, s.curves, s.stat('fps')[0], s.stat('auc')[0], s.stat('eao')[0], s.eao_curve)
                   for k, s in scored.items()]
        bench = benches[protocol]
        if protocol == 'ope':
            on = f'on {bench.name}'
            figures = {'success': lambda st: plots.success_plot(entries, st, f'Success plots of OPE {on}', realtime_fps),
                       'precision': lambda st: plots.precision_plot(entries, st, f'Precision plots of OPE {on}',
                                                                    realtime_fps),
                       'speed': lambda st: plots.speed_plot(entries, st, f'Accuracy vs speed {on}',
                                                            realtime_fps=realtime_fps)}
        else:
            figures = {'eao_curve': lambda st: plots.eao_curve_plot(entries, st, eao_range,
                                                                    f'Expected overlap on {bench.name}'),
                       'eao': lambda st: plots.eao_score_plot(entries, st, f'EAO on {bench.name}')}
        for what, draw in figures.items():
            stem = out_dir / f'{name}_{what}'
            files += draw(stem)
            files.append(write_sidecar(stem, provenance(f'{name} {what} plot', {protocol: bench}, scored, **extra)))
    return files


def convention_note(convention: str, eao_range: tuple[int, int], benches: dict[str, Benchmark],
                    paper_dataset: str = '') -> str:
    """The footnote saying on what and how the numbers were computed."""
    protocols = tuple(benches)
    data = ', '.join(dict.fromkeys(f'{b.name} ({len(b)} sequences, {b.frames()} frames)' for b in benches.values()))
    parts = [f'Ours on {data}' + (f'; paper on {paper_dataset}' if paper_dataset else '')]
    if 'ope' in protocols:
        parts.append(f'OPE scored with convention {convention!r}: {CONVENTIONS[convention].source}; '
                     f'FPS = frames / tracking seconds (decoding excluded), this machine')
    if 'supervised' in protocols:
        parts.append(f'EAO: VOT reset-based protocol (skip 5, burn-in 10), lengths {list(eao_range)}, '
                     f'vot-toolkit 0.7.4 definitions')
    return 'Ours: mean ± std over repetitions (seeds). ' + '. '.join(parts) + '.'


def speed_summary(measured: Measured) -> dict[str, Any]:
    """FPS with and without the first frame per row (for the sidecar)."""
    return {k: {'fps': s.stat('fps')[0], 'fps_wo_first': s.stat('fps_wo_first')[0]}
            for k, s in measured.rows.get('ope', {}).items() if s.reps and np.isfinite(s.stat('fps')[0])}
