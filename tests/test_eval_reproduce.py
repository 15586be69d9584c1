"""`metartt reproduce` end to end on the bundled sample (cheap tracker settings), tables, plots, provenance."""
import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from metartt_tracker.cli import main
from metartt_tracker.evaluation import reproduce as rp
from metartt_tracker.evaluation.metrics import ope_scores
from metartt_tracker.evaluation.rows import ROWS

SAMPLES = Path(__file__).resolve().parents[1] / 'samples'
CHEAP = ['geometry.n_aug_crops=4', 'geometry.init_jitter=false', 'sampling.neg_init.n=500', 'sampling.pos_init.n=100',
         'sampling.bbreg.n=100', 'adaptation.batch_neg_cand=256', 'sampling.n_candidates=64']


@pytest.fixture(scope='module')
def reproduced(tmp_path_factory):
    """`metartt reproduce all`: rows without weights, the cheapest RT-MDNet row (5/5) in every table, and KCF."""
    import metartt_tracker.shipped as shipped
    out = tmp_path_factory.mktemp('reproduce')
    argv = ['reproduce', 'all', '--dataset', str(SAMPLES), '--sequences', 'otb_Crossing', '--max-frames', '6',
            '--rows', 'rtmdnet-5-5,metartt,metartt-prune', '--add-rows', 'rtmdnet-5-5,kcf', '--repetitions', '2',
            '--threads', '2', '--results', str(out / 'results'), '--weights', str(out / 'weights'), '--out', str(out / 'tables'),
            '--eao-range', '1,4', '--quiet'] + [x for o in CHEAP for x in ('--override', o)]
    with pytest.MonkeyPatch.context() as mp:  # rows without weights: hide the shipped ones
        mp.setattr(shipped, 'weights_dir', lambda: out / 'no-shipped-weights')
        assert main(argv) == 0
    return out


def test_reproduce_writes_every_table_with_paper_numbers_and_missing_rows(reproduced):
    tables = reproduced / 'tables'
    for name in ('table1', 'table2', 'table3', 'table4'):
        for ext in ('txt', 'md', 'tex', 'csv', 'json'):
            assert (tables / f'{name}.{ext}').is_file(), f'{name}.{ext}'
    rows = list(csv.DictReader((tables / 'table2.csv').open()))
    by = {(r['row'], r['metric']): r for r in rows}
    ours = by[('rtmdnet-5-5', 'Succ%')]
    assert ours['status'] == 'ok' and ours['n'] == '2' and 0 <= float(ours['mean']) <= 100 and ours['std'] != ''
    assert ours['paper'] == '57.8' and ours['K_init'] == '5' and ours['K_on'] == '5'
    assert not any(r['row'] == 'rtmdnet' for r in rows)  # --rows keeps only the rows asked for
    assert by[('metartt', 'Succ%')]['status'] == 'missing weights' and by[('metartt', 'Succ%')]['mean'] == ''
    assert by[('rtmdnet-5-5', 'FPS')]['paper'] == '55' and float(by[('rtmdnet-5-5', 'FPS')]['mean']) > 0
    assert by[('kcf', 'Succ%')]['status'] == 'ok' and by[('kcf', 'Succ%')]['n'] == '1' and by[('kcf', 'Succ%')]['paper'] == ''
    md = (tables / 'table2.md').read_text()
    assert re.search(r'\| RT-MDNet \(5/5\) +\| +5 \| +5 \|', md) and 'missing weights' in md and ' ± ' in md
    assert '\\toprule' in (tables / 'table2.tex').read_text() and '$\\pm$' in (tables / 'table2.tex').read_text()
    t4 = {(r['row'], r['metric']): r for r in csv.DictReader((tables / 'table4.csv').open())}
    assert t4[('rtmdnet-5-5', 'EAO')]['status'] == 'ok' and 0 <= float(t4[('rtmdnet-5-5', 'EAO')]['mean']) <= 1
    assert t4[('metartt', 'EAO')]['paper'] == '0.346' and t4[('kcf', 'EAO')]['n'] == '1'
    t3 = {(r['row'], r['metric']): r for r in csv.DictReader((tables / 'table3.csv').open())}
    assert t3[('metartt-prune', 'PR%')]['paper'] == '50 ± 5' and t3[('metartt-prune', 'PR%')]['status'] == 'missing weights'


def test_reproduce_writes_plots_with_provenance_sidecars(reproduced):
    tables = reproduced / 'tables'
    for stem in ('table2_success', 'table2_precision', 'table2_speed', 'table4_eao_curve', 'table4_eao'):
        for ext in ('png', 'pdf', 'json'):
            path = tables / f'{stem}.{ext}'
            assert path.is_file(), path
            assert ext == 'json' or path.stat().st_size > 1000, path
    prov = json.loads((tables / 'table2.json').read_text())
    assert prov['code_version'].startswith('0.') and prov['created'] and prov['command']
    data = prov['datasets']['ope']
    assert data['sequences'] == 1 and len(data['sequence_list_sha256']) == 16 and data['kind'] == 'packed'
    rt = prov['trackers']['RT-MDNet (5/5)']
    assert rt['seeds'] == [0, 1] and rt['repetitions'] == [1, 2] and rt['machines'][0]['threads'] == 2
    assert prov['made_on']['cpus'] >= 1 and prov['convention'] == 'metartt'


def test_rerun_skips_finished_runs_and_scores_compared_results(reproduced, capsys):
    """A second call tracks nothing; a flat (OTB / pysot style) result folder joins the table."""
    src = reproduced / 'results' / 'samples' / 'ope'
    key = next(p.name for p in src.iterdir() if p.name.startswith('rtmdnet-5-5@'))
    flat = reproduced / 'flat'
    flat.mkdir()
    boxes = np.loadtxt(src / key / 'otb_Crossing' / 'otb_Crossing_001.txt', delimiter=',')
    np.savetxt(flat / 'otb_Crossing.txt', boxes, fmt='%.2f', delimiter='\t')
    argv = ['reproduce', 'table2', '--dataset', str(SAMPLES), '--sequences', 'otb_Crossing', '--max-frames', '6',
            '--rows', 'rtmdnet-5-5', '--repetitions', '2', '--results', str(reproduced / 'results'),
            '--out', str(reproduced / 'again'), '--compare', f'Theirs={flat}', '--quiet'] + \
        [x for o in CHEAP for x in ('--override', o)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert 'frames to track' not in captured.err
    rows = {r['label']: r for r in csv.DictReader((reproduced / 'again' / 'table2.csv').open()) if r['metric'] == 'Succ%'}
    assert rows['Theirs']['status'] == 'ok' and rows['Theirs']['paper'] == ''
    ours = rows['RT-MDNet (5/5)']
    gt = np.loadtxt(SAMPLES / 'otb_Crossing' / 'groundtruth.txt', delimiter=',')[:6]
    auc = [100 * ope_scores(np.loadtxt(src / key / 'otb_Crossing' / f'otb_Crossing_00{r}.txt', delimiter=','), gt)['auc']
           for r in (1, 2)]
    theirs_boxes = np.loadtxt(flat / 'otb_Crossing.txt')
    assert float(rows['Theirs']['mean']) == pytest.approx(100 * ope_scores(theirs_boxes, gt)['auc'], abs=0.01)  # CSV: 2 decimals
    assert float(ours['mean']) == pytest.approx(np.mean(auc), abs=0.01)  # mean over the two repetitions
    argv[0:2] = ['score', '--trackers', 'rtmdnet-5-5,csrt', '--name', 'cmp']
    argv = [a for a in argv if a not in ('--rows', 'rtmdnet-5-5')]
    assert main(argv) == 0
    cmp = {(r['label'], r['metric']): r for r in csv.DictReader((reproduced / 'again' / 'cmp.csv').open())}
    assert cmp[('RT-MDNet (5/5)', 'AO%')]['status'] == 'ok'
    assert cmp[('CSRT (OpenCV)', 'AO%')]['status'].startswith('incomplete')
    assert cmp[('Theirs', 'Succ%')]['mean'] == rows['Theirs']['mean']
    assert (reproduced / 'again' / 'cmp_success.png').is_file()


def test_training_hook_fills_rows_or_says_why(tmp_path, monkeypatch, no_shipped_weights):
    spec = ROWS['metartt']
    calls = []
    fake = lambda recipe, out, **kw: calls.append((recipe, out, kw)) or Path(out).write_bytes(b'x')  # noqa: E731
    monkeypatch.setattr(rp, 'train_checkpoint', fake)
    assert rp.availability([spec, ROWS['rtmdnet']], tmp_path, 'compact') == {}
    assert calls == [('compact', tmp_path / 'metartt.pt', {'variant': 'metartt', 'ablation': 'metartt'})]
    monkeypatch.setattr(rp, 'train_checkpoint', lambda recipe, out, **kw: None)
    assert rp.train_missing(ROWS['metartt-scalar-lr'], 'compact', tmp_path) == \
        f"training wrote no checkpoint at {tmp_path / 'metartt-scalar-lr.pt'}"
    monkeypatch.setattr(rp, 'train_checkpoint', lambda recipe, out, **kw: 1 / 0)
    assert rp.availability([ROWS['metartt-no-don']], tmp_path, 'compact') == {
        'metartt-no-don': 'training failed: ZeroDivisionError: division by zero'}
    assert rp.availability([ROWS['metartt-no-hard']], tmp_path, None) == {'metartt-no-hard': 'missing weights'}


def test_citation_file_cites_the_paper():
    from metartt_tracker.evaluation.paper_results import SOURCE
    text = (Path(__file__).resolve().parents[1] / 'CITATION.cff').read_text()
    assert text.startswith('cff-version: 1.2.0') and 'preferred-citation:' in text
    assert 'Real-Time Object Tracking via Meta-Learning' in text and 'Real-Time Object Tracking via Meta-Learning' in SOURCE


def test_train_flag_needs_training_data(tmp_path, capsys):
    argv = ['reproduce', 'table2', '--dataset', str(SAMPLES), '--sequences', 'otb_Crossing', '--max-frames', '3',
            '--results', str(tmp_path), '--weights', str(tmp_path / 'w'), '--train', 'compact', '--quiet']
    assert main(argv) == 2
    assert '--train RECIPE needs --train-data DIR' in capsys.readouterr().err


def test_table_title_names_the_measured_data_when_it_is_not_the_papers():
    from types import SimpleNamespace
    from metartt_tracker.evaluation.tables import TABLES
    spec = TABLES['table2']
    assert rp.measured_title(spec, {'ope': SimpleNamespace(name='sot/val')}).endswith('on sot/val (paper: OTB2015)')
    assert rp.measured_title(spec, {'ope': SimpleNamespace(name='OTB2015')}) == spec.title


def test_paired_column_pairs_by_seed_and_says_what_it_is():
    """dSucc = per-seed AUC difference to the reference row, hand-computed: repetitions are matched through
    the seed in each run's info (here they ran with different --seed starts), seeds only one row has are left
    out, and a row with fewer than two paired seeds says n/a."""
    from metartt_tracker.evaluation import tables
    from metartt_tracker.evaluation.scoring import Scores

    def scores(label, start_seed, aucs):
        return Scores(label, reps={r + 1: {'auc': a} for r, a in enumerate(aucs)},
                      infos=[{'repetition': r + 1, 'seed': start_seed + r} for r in range(len(aucs))])
    ref = scores('ref', 0, [0.50, 0.40, 0.60, 0.55])  # seeds 0-3
    row = scores('row', 1, [0.45, 0.70, 0.60, 0.99])  # seeds 1-4: pairs with seeds 1, 2, 3
    mean, se, n, ahead = row.paired(ref, 'auc')
    d = np.array([0.45 - 0.40, 0.70 - 0.60, 0.60 - 0.55])
    assert n == 3 and ahead == 3
    assert mean == pytest.approx(d.mean()) and se == pytest.approx(d.std(ddof=1) / np.sqrt(3))
    lonely = scores('one', 0, [0.3])
    spec = tables.TableSpec('t', 'title', ('ref', 'row', 'one'), (tables.SUCC,), paired_with='ref')
    rows = tables.build_rows(spec, {'ope': {'ref': ref, 'row': row, 'one': lonely}}, {'ref': 'Ref'}, {})
    head = tables.paired_header(spec, {'ref': 'Ref'})
    assert head == 'dSucc vs Ref' and [r.ours[head] for r in rows] == ['', f'+{100 * d.mean():.1f} ± '
                                                                        f'{100 * d.std(ddof=1) / np.sqrt(3):.1f} [3/3]', 'n/a']
    text = tables.render_text(spec, rows, tables.paired_note(spec, {'ref': 'Ref'}))
    assert head in text.splitlines()[1] and 'standard error' in text
    assert f'{head},,,,,n/a' in tables.render_csv(spec, rows)
