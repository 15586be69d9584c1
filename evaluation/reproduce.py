"""`metartt reproduce tableN`: run what is missing, score it, print and write the table and its plots.

Rows whose checkpoint is missing are trained first when a meta-training recipe is named
(`metartt_tracker.meta.train(recipe, out_path, **spec.train)`), otherwise reported as missing —
never filled in. Other trackers' result folders (`--compare LABEL=DIR`) join every table and plot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metartt_tracker.data.attributes import Attributes
from metartt_tracker.data.benchmarks import Benchmark
from metartt_tracker.fileio import atomic_write
from metartt_tracker.meta import train as train_checkpoint

from . import frames, plots, tables
from .attributes import score_attributes
from .metrics import CONVENTIONS
from .provenance import provenance, write_sidecar
from .scoring import ResultSource, Scores, score_ope, score_supervised
from .rows import Row

if TYPE_CHECKING:
    import pandas as pd


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


ATTRIBUTE_TABLES = {'ope': (('auc', 'Success AUC %', 100.0, 1), ('precision', 'Precision@20 %', 100.0, 1)),
                    'supervised': (('accuracy', 'Accuracy', 1.0, 3), ('failures', 'Failures', 1.0, 1))}


def _attribute_cells(long: 'pd.DataFrame', metric: str, scale: float, digits: int, trackers: list[str],
                     attrs: Attributes, counts: dict[str, int]) -> tuple[list[str], list[list[str]]]:
    """Wide table: one row per attribute, one column per tracker, cells mean ± std over repetitions."""
    unit = 'frames' if attrs.per_frame else 'sequences'
    head = ['Attribute', 'Name', unit, *trackers]
    stats = long.groupby(['attribute', 'tracker'])[metric].agg(['mean', 'std', 'count']) if len(long) else None
    body = []
    for attr, name in attrs.names.items():
        cells = []
        for t in trackers:
            if stats is None or (attr, t) not in stats.index or not np.isfinite(stats.loc[(attr, t), 'mean']):
                cells.append('n/a')
                continue
            m, s, n = stats.loc[(attr, t)]
            cells.append(f'{m * scale:.{digits}f}' + (f' ± {s * scale:.{digits}f}' if n > 1 else ''))
        body.append([attr, name, str(counts[attr]), *cells])
    return head, body


def write_attribute_report(name: str, protocol: str, bench: Benchmark, sources: list[ResultSource],
                           attrs: Attributes, out_dir: Path, convention: str, extra: dict[str, Any]) -> tuple[str, list[Path]]:
    """Per-attribute tables (text, Markdown, LaTeX; long-form CSV of every repetition), a radar plot and,
    for OPE, one success plot per attribute."""
    scored = score_attributes(bench, sources, attrs, protocol, convention)
    counts = {a: attrs.count(bench, a) for a in attrs.names}  # sequences or frames with each attribute
    long = frames.attribute_frame(scored, attrs, counts)
    trackers = [s.label for s in sources]
    stem = out_dir / f'{name}_attributes'
    files = [atomic_write(stem.with_suffix('.csv'), long.to_csv(index=False, lineterminator='\n'))]
    how = (f'{"per-frame tags: frames pooled over sequences" if attrs.per_frame else "sequences averaged"}; '
           f'attributes from {attrs.source}; mean ± std over repetitions')
    texts = []
    for metric, title, scale, digits in ATTRIBUTE_TABLES[protocol]:
        df = frames.display(*_attribute_cells(long, metric, scale, digits, trackers, attrs, counts), left=2)
        caption = f'{bench.name}: {title} per attribute'
        for ext, render in frames.RENDERERS.items():
            files.append(atomic_write(out_dir / f'{name}_attributes_{metric}{ext}', render(df, caption, how)))
        texts.append(frames.to_text(df, caption, how))
    first, label, _, _ = ATTRIBUTE_TABLES[protocol][0]
    axis = {a: f'{a} ({n})' for a, n in counts.items() if n}  # attributes no sequence / frame has are left out
    radar = {sc.label: {axis[a]: float(np.mean([v[first] for v in by.values()])) for a, by in sc.values.items()
                        if a in axis} for sc in scored}
    files += plots.radar_plot(radar, list(axis.values()), out_dir / f'{name}_attributes_radar',
                              f'{bench.name} per attribute', label)
    if protocol == 'ope':
        for attr, full in attrs.names.items():
            entries = [plots.Entry(sc.label, sc.curves[attr]) for sc in scored if attr in sc.curves]
            if entries:
                files += plots.success_plot(entries, out_dir / f'{name}_success_{attr}',
                                            f'Success plots of OPE - {full} ({counts[attr]})')
    files.append(write_sidecar(stem, provenance(f'{name} attributes', {protocol: bench}, {}, attributes=attrs.source,
                                                result_folders={s.label: str(s.path) for s in sources}, **extra)))
    return '\n'.join(texts), files
