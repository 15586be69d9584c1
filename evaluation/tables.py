"""Tables 1-4 as data, rendered (through pandas, `frames`) as text, CSV, Markdown and LaTeX with the paper's
numbers beside ours.

Our cells are `mean ± std` over repetitions (seeds; sample std), or the reason a row has no
number: 'missing weights', 'training failed: ...', 'incomplete (k/n runs)'. Paper cells come from
`paper_results.PAPER`, never from a measurement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import frames
from .paper_results import PAPER, TABLE1_CHECKS, TABLE1_COMPONENTS, TABLE2_ITERS
from .scoring import Scores


@dataclass(frozen=True)
class Column:
    """One measured quantity of a table."""

    metric: str  # key in Scores (auc, precision, fps, eao, prune_rate, ...)
    header: str  # as printed
    paper: str | None  # key in the paper's row, None if the paper has no such column
    scale: float = 100.0  # multiply (fractions -> %)
    digits: int = 1
    protocol: str = 'ope'  # which results it comes from: 'ope' or 'supervised'


SUCC = Column('auc', 'Succ%', 'succ')
PREC = Column('precision', 'Prec%', 'prec')
FPS = Column('fps', 'FPS', 'fps', 1.0)
FPS1 = Column('fps_wo_first', 'FPS>1', None, 1.0)
PR = Column('prune_rate', 'PR%', 'pr')
EAO = Column('eao', 'EAO', 'eao', 1.0, 3, 'supervised')
AO = Column('ao', 'AO%', None)
SR50 = Column('sr50', 'SR.50%', None)
SR75 = Column('sr75', 'SR.75%', None)
NPREC = Column('norm_precision', 'NPrec%', None)
ACC = Column('accuracy', 'Acc', None, 1.0, 3, 'supervised')
FAIL = Column('failures', 'Fail', None, 1.0, 2, 'supervised')


@dataclass(frozen=True)
class TableSpec:
    """A table: its rows (variant keys), columns, and fixed per-row columns printed before them."""

    name: str
    title: str
    rows: tuple[str, ...]
    columns: tuple[Column, ...]
    static: dict[str, dict[str, str]] = field(default_factory=dict)  # header -> {row: text}
    paper_dataset: str = 'OTB2015'
    paired_with: str | None = None  # row key: add a column of each row's per-seed success AUC difference to it

    @property
    def protocols(self) -> tuple[str, ...]:
        """Protocols whose results the table needs."""
        return tuple(dict.fromkeys(c.protocol for c in self.columns))


def _checks() -> dict[str, dict[str, str]]:
    return {c: {row: ('x' if c in marks else '') for row, marks in TABLE1_CHECKS.items()} for c in TABLE1_COMPONENTS}


TABLES: dict[str, TableSpec] = {
    'table1': TableSpec('table1', PAPER['table1']['where'], tuple(PAPER['table1']['rows']), (SUCC, PREC, FPS, FPS1),
                        _checks(), paired_with='metartt'),
    'table2': TableSpec('table2', PAPER['table2']['where'], tuple(PAPER['table2']['rows']), (SUCC, PREC, FPS, FPS1),
                        {'K_init': {k: str(v[0]) for k, v in TABLE2_ITERS.items()},
                         'K_on': {k: str(v[1]) for k, v in TABLE2_ITERS.items()}}, paired_with='metartt'),
    'table3': TableSpec('table3', PAPER['table3']['where'], tuple(PAPER['table3']['rows']), (SUCC, PREC, FPS, FPS1, PR),
                        paired_with='metartt'),
    'table4': TableSpec('table4', PAPER['table4']['where'], tuple(PAPER['table4']['rows']), (SUCC, PREC, EAO),
                        paper_dataset='UAV123 (Succ, Prec) / VOT2016 (EAO)'),
}


def comparison_table(name: str, title: str, rows: list[str], protocol: str = 'ope') -> TableSpec:
    """A table of arbitrary trackers (no paper numbers): OPE and GOT-10k scores, or VOT scores."""
    cols = (SUCC, PREC, NPREC, AO, SR50, SR75, FPS, FPS1) if protocol == 'ope' else (ACC, FAIL, EAO)
    return TableSpec(name, title, tuple(rows), cols, paper_dataset='')


@dataclass(frozen=True)
class Cell:
    """One measured number: mean and sample std over `n` repetitions."""

    mean: float
    std: float
    n: int
    partial: bool = False  # some runs of the requested repetitions are still missing


PARTIAL_NOTE = '* partial: not every requested repetition has finished (n in the CSV, missing runs in the sidecar).'


@dataclass
class Row:
    """A rendered row: label, fixed columns, and for each column our cell and the paper's."""

    key: str
    label: str
    static: dict[str, str]
    ours: dict[str, Cell | str]  # header -> our number, or why there is none
    paper: dict[str, Any]


def paired_header(spec: TableSpec, labels: dict[str, str]) -> str:
    """Header of the paired-difference column."""
    return f'dSucc vs {labels.get(spec.paired_with, spec.paired_with)}'


def paired_note(spec: TableSpec, labels: dict[str, str]) -> str:
    """What the paired column means (appended to the table's note)."""
    if not spec.paired_with:
        return ''
    return (f'{paired_header(spec, labels)}: per-seed difference of success AUC (points), mean ± standard error '
            f'over the seeds both rows ran with [seeds ahead / seeds].')


def _paired_cell(sc: Scores | None, ref: Scores | None, key: str, spec: TableSpec) -> str:
    if sc is None or ref is None or key == spec.paired_with:
        return ''
    mean, se, n, ahead = sc.paired(ref, SUCC.metric)
    if n < 2:
        return 'n/a'
    return f'{100 * mean:+.1f} ± {100 * se:.1f} [{ahead}/{n}]'


def build_rows(spec: TableSpec, scores: dict[str, dict[str, Scores]], labels: dict[str, str],
               reasons: dict[str, str], table_key: str | None = None) -> list[Row]:
    """Rows from per-protocol scores ({protocol: {row: Scores}}); `reasons` explain rows without numbers."""
    rows = []
    paper_rows = PAPER.get(table_key or spec.name, {}).get('rows', {})
    ref = scores.get('ope', {}).get(spec.paired_with) if spec.paired_with else None
    for key in spec.rows:
        ours: dict[str, Cell | str] = {}
        if spec.paired_with:
            ours[paired_header(spec, labels)] = _paired_cell(scores.get('ope', {}).get(key), ref, key, spec)
        for col in spec.columns:
            sc = scores.get(col.protocol, {}).get(key)
            if key in reasons:
                ours[col.header] = reasons[key]
            elif sc is None or not sc.reps:
                ours[col.header] = f'incomplete ({len(sc.missing)} runs to go)' if sc else 'not run'
            else:
                mean, std, n = sc.stat(col.metric)
                ours[col.header] = Cell(mean * col.scale, std * col.scale, n, bool(sc.missing)) if n else 'n/a'
        rows.append(Row(key, labels.get(key, key), {h: v.get(key, '') for h, v in spec.static.items()}, ours,
                        {c.header: paper_rows.get(key, {}).get(c.paper) for c in spec.columns if c.paper}))
    return rows


def _cell(value: Cell | str, digits: int) -> str:
    if isinstance(value, str):
        return value
    if not math.isfinite(value.mean):
        return 'n/a'
    text = f'{value.mean:.{digits}f}' + (f' ± {value.std:.{digits}f}' if math.isfinite(value.std) else '')
    return text + ('*' if value.partial else '')


def _with_partial_note(rows: list[Row], note: str) -> str:
    partial = any(isinstance(v, Cell) and v.partial for r in rows for v in r.ours.values())
    return ' '.join(x for x in (note, PARTIAL_NOTE if partial else '') if x)


def _grid(spec: TableSpec, rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    has_paper = any(v is not None for r in rows for v in r.paper.values())
    extra = [h for h in (rows[0].ours if rows else {}) if h not in {c.header for c in spec.columns}]
    head = ['Method', *spec.static]
    for c in spec.columns:
        head.append(c.header)
        if has_paper and c.paper:
            head.append('paper')
    head += extra
    body = []
    for r in rows:
        line = [r.label, *r.static.values()]
        for c in spec.columns:
            line.append(_cell(r.ours[c.header], c.digits))
            if has_paper and c.paper:
                p = r.paper.get(c.header)
                line.append('' if p is None else (f'{p:.{c.digits}f}' if isinstance(p, float) else str(p)))
        body.append(line + [str(r.ours[h]) for h in extra])
    return head, body


def _frame(spec: TableSpec, rows: list[Row]) -> pd.DataFrame:
    return frames.display(*_grid(spec, rows))


def render_text(spec: TableSpec, rows: list[Row], note: str = '') -> str:
    """An aligned plain-text table (what `metartt reproduce` prints)."""
    return frames.to_text(_frame(spec, rows), spec.title, _with_partial_note(rows, note))


def render_markdown(spec: TableSpec, rows: list[Row], note: str = '') -> str:
    """A GitHub-flavoured Markdown table."""
    return frames.to_markdown(_frame(spec, rows), spec.title, _with_partial_note(rows, note))


def render_latex(spec: TableSpec, rows: list[Row], note: str = '') -> str:
    """A booktabs LaTeX table (needs \\usepackage{booktabs})."""
    return frames.to_latex(_frame(spec, rows), spec.title, _with_partial_note(rows, note))


def render_csv(spec: TableSpec, rows: list[Row], note: str = '') -> str:
    """Machine-readable CSV: one line per (row, column) with mean, std, n, paper value, status (note: sidecar)."""
    head = ['table', 'row', 'label', *spec.static, 'metric', 'mean', 'std', 'n', 'paper', 'status']
    body = []
    for r in rows:
        for h in (h for h in r.ours if h not in {c.header for c in spec.columns}):
            body.append([spec.name, r.key, r.label, *r.static.values(), h, '', '', '', '', r.ours[h]])
        for c in spec.columns:
            v = r.ours[c.header]
            nums = ('', '', '', v) if isinstance(v, str) else \
                (f'{v.mean:.6g}', f'{v.std:.6g}', v.n, 'partial' if v.partial else 'ok')
            paper = r.paper.get(c.header, '')
            body.append([spec.name, r.key, r.label, *r.static.values(), c.header, *nums[:3],
                         '' if paper is None else paper, nums[3]])
    return frames.to_csv(frames.display(head, body))


RENDERERS = {'.txt': render_text, '.md': render_markdown, '.tex': render_latex, '.csv': render_csv}
