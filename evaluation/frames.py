"""Results as pandas DataFrames, and the one place tables are rendered (text, Markdown, LaTeX, CSV).

Python API (also what `metartt score` writes):

    from metartt_tracker.evaluation.frames import load_results, load_attribute_results
    df = load_results('../shared/data/sot', {'MetaRTT': 'results/sot/ope/metartt'}, split='val.txt')
    df.groupby(['tracker', 'repetition']).auc.mean()          # dataset AUC per seed
    att = load_attribute_results('OTB100', {'ours': 'results/OTB100/ope/metartt'}, attributes='anno/att')

A displayed table is a DataFrame of strings with unique column keys; `header` gives the printed names
(tables may repeat one, e.g. 'paper').
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metartt_tracker.data.attributes import Attributes, read_attributes
from metartt_tracker.data.benchmarks import Benchmark, open_benchmark

from .attributes import AttributeScores, score_attributes
from .scoring import ResultSource, Scores, score_ope

# --------------------------------------------------------------------------- rendering

_TEX = {'_': '\\_', '%': '\\%', '&': '\\&', '#': '\\#', '±': '$\\pm$', '>': '$>$', '<': '$<$'}


def tex(text: str) -> str:
    """Escape the characters LaTeX treats specially (or prints wrongly in text mode)."""
    return ''.join(_TEX.get(c, c) for c in str(text))


def display(header: list[str], body: list[list[str]], left: int = 1) -> pd.DataFrame:
    """A table of strings (unique column keys c0, c1, ...); `attrs` keep the printed `header` and how many
    leading (label) columns are left-aligned."""
    df = pd.DataFrame(body, columns=[f'c{i}' for i in range(len(header))], dtype=object)
    df.attrs.update(header=list(header), left=left)
    return df


def to_text(df: pd.DataFrame, title: str, note: str = '') -> str:
    """Aligned plain text: the leading label columns left, the others right, a rule under the header."""
    header, cells, left = df.attrs['header'], df.astype(str), df.attrs.get('left', 1)
    widths = [max([len(h), *cells[c].str.len()]) for h, c in zip(header, cells.columns)]

    def line(values: list[str]) -> str:
        return '  '.join(v.ljust(w) if i < left else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))

    lines = [title, line(header), '-' * (sum(widths) + 2 * (len(widths) - 1)),
             *(line(list(r)) for r in cells.itertuples(index=False))]
    return '\n'.join(lines + ([note] if note else [])) + '\n'


def to_markdown(df: pd.DataFrame, title: str, note: str = '') -> str:
    """A GitHub-flavoured Markdown table (pandas + tabulate, columns padded)."""
    header, left = [h.replace('|', '\\|') for h in df.attrs['header']], df.attrs.get('left', 1)
    body = df.map(lambda v: str(v).replace('|', '\\|'))
    table = body.to_markdown(index=False, headers=header, tablefmt='pipe', disable_numparse=True,
                             colalign=['left'] * left + ['right'] * (len(header) - left))
    return '\n'.join([f'**{title}**', '', table] + (['', note] if note else [])) + '\n'


def to_latex(df: pd.DataFrame, title: str, note: str = '') -> str:
    """A booktabs LaTeX table (needs \\usepackage{booktabs})."""
    header, left = [tex(h) for h in df.attrs['header']], df.attrs.get('left', 1)
    tabular = df.map(tex).to_latex(index=False, header=header, escape=False,
                                   column_format='l' * left + 'r' * (len(header) - left))
    lines = ['\\begin{table}[t]', '\\centering', f'\\caption{{{tex(title)}}}', tabular.rstrip('\n')]
    if note:
        lines.append(f'\\par\\smallskip{{\\footnotesize {tex(note)}}}')
    return '\n'.join(lines + ['\\end{table}']) + '\n'


def to_csv(df: pd.DataFrame) -> str:
    """CSV with the printed header names."""
    return df.to_csv(index=False, header=df.attrs.get('header', list(df.columns)), lineterminator='\n')


RENDERERS = {'.txt': to_text, '.md': to_markdown, '.tex': to_latex}


# --------------------------------------------------------------------------- per-sequence and per-attribute data


def sequence_frame(scores: list[Scores]) -> pd.DataFrame:
    """One row per (tracker, repetition, sequence): its seed (ours), OPE scores and FPS."""
    rows = []
    for sc in scores:
        seeds = sc.seeds()
        for rep, seqs in sc.sequences.items():
            for seq, values in seqs.items():
                rows.append({'tracker': sc.label, 'repetition': rep, 'seed': seeds.get(rep, np.nan),
                             'sequence': seq, **values})
    return pd.DataFrame(rows)


def attribute_frame(scores: list[AttributeScores], attrs: Attributes, counts: dict[str, int]) -> pd.DataFrame:
    """One row per (tracker, attribute, repetition) with the attribute's scores and how many sequences / frames
    carry it (`counts`)."""
    rows = []
    unit = 'frames' if attrs.per_frame else 'sequences'
    for sc in scores:
        for attr, by_rep in sc.values.items():
            for rep, values in by_rep.items():
                rows.append({'tracker': sc.label, 'attribute': attr, 'name': attrs.names[attr],
                             unit: counts[attr], 'repetition': rep, **values})
    return pd.DataFrame(rows)


def _sources(results: str | Path | dict[str, str | Path]) -> list[ResultSource]:
    if isinstance(results, dict):
        return [ResultSource.parse(f'{k}={v}') for k, v in results.items()]
    return [ResultSource.parse(f'{Path(results).name}={results}')]


def _bench(dataset: str | Path | Benchmark, options: dict[str, Any]) -> Benchmark:
    return dataset if isinstance(dataset, Benchmark) else open_benchmark(dataset, options.pop('kind', None), **options)


def load_results(dataset: str | Path | Benchmark, results: str | Path | dict[str, str | Path],
                 convention: str = 'metartt', repetitions: int | None = None, **benchmark: Any) -> pd.DataFrame:
    """Per-sequence OPE scores of result folders (any layout `metartt score --compare` reads; label -> folder)
    on a local benchmark (`benchmark` options go to `open_benchmark`, e.g. split='val.txt')."""
    bench = _bench(dataset, dict(benchmark))
    return sequence_frame([score_ope(bench, s, convention, repetitions) for s in _sources(results)])


def load_attribute_results(dataset: str | Path | Benchmark, results: str | Path | dict[str, str | Path],
                           attributes: str | Path | None = None, convention: str = 'metartt',
                           protocol: str = 'ope', repetitions: int | None = None, **benchmark: Any) -> pd.DataFrame:
    """Per-attribute scores (see `attribute_frame`); `attributes` as `metartt score --attributes PATH`."""
    bench = _bench(dataset, dict(benchmark))
    attrs = read_attributes(bench, attributes)
    scored = score_attributes(bench, _sources(results), attrs, protocol, convention, repetitions)
    return attribute_frame(scored, attrs, {a: attrs.count(bench, a) for a in attrs.names})
