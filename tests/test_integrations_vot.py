"""MetaRTT in the VOT toolkit: the TraX server driven directly, and a workspace made by
`metartt vot init` run by the real `vot evaluate` / `vot analysis` (vot-toolkit 0.7.4)."""
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from conftest import SAMPLES
from metartt_tracker.cli import main
from metartt_tracker.integrations.layouts import export_dataset, open_harness_sequence
from metartt_tracker.integrations.options import TrackerSpec
from metartt_tracker.integrations.vot_workspace import read_analysis

SPEC = TrackerSpec('rtmdnet-5-5', overrides={'geometry.n_aug_crops': 8})
N = 16


@pytest.fixture(scope='module')
def car():
    return open_harness_sequence(SAMPLES / 'davis_car-shadow', max_frames=N)


def _events(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_trax_server_is_one_process_across_reinitialisations_and_survives_bad_input(tmp_path, car):
    from trax.client import Client
    from trax.image import FileImage
    from trax.region import Polygon, Rectangle
    export_dataset([car], tmp_path, 'vot')
    frame = lambda i: {'color': FileImage.create(str(tmp_path / f'davis_car-shadow/color/{i:08d}.jpg'))}  # noqa: E731
    log = tmp_path / 'server.jsonl'
    with open(tmp_path / 'server.err', 'w') as err:
        proc = subprocess.Popen([sys.executable, '-m', 'metartt_tracker.integrations.vot_server', *SPEC.argv(),
                                 '--log', str(log)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    try:
        client = Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=lambda line: None)
        assert set(client.region_formats) >= {'rectangle', 'polygon'}
        client.initialize(frame(1), [(Rectangle.create(*car.regions[0]), {})], {})
        (region, props), = client.frame(frame(2), {}, [])[0]
        assert 'confidence' in props
        (after_bad, props), = client.frame({'color': FileImage.create(str(tmp_path / 'missing.jpg'))}, {}, [])[0]
        assert after_bad.bounds() == region.bounds() and float(props['confidence']) == 0.0
        x, y, w, h = car.regions[4]
        polygon = Polygon.create([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
        (init, _), = client.initialize(frame(5), [(polygon, {})], {})[0]
        assert np.allclose(init.bounds(), car.regions[4], atol=1e-3)
        client.frame(frame(6), {}, [])
        (zero, _), = client.initialize(frame(7), [(Rectangle.create(10, 10, 0, 0), {})], {})[0]
        (still, _), = client.frame(frame(8), {}, [])[0]
        assert zero.bounds() == still.bounds() == (10, 10, 0, 0)
        client.quit()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    events = _events(log)
    assert {e['pid'] for e in events} == {proc.pid}
    assert Counter(e['event'] for e in events) == {'start': 1, 'initialize': 2, 'error': 2, 'quit': 1}
    assert 'missing.jpg' in (tmp_path / 'server.err').read_text()


def test_vot_workspace_from_local_sequences_evaluates_to_an_eao(tmp_path, capsys, car, no_shipped_weights):
    teleport = car.regions.copy()
    teleport[8:] = [20, 280, 60, 60]  # the ground truth jumps away: a failure, then a re-initialisation
    export_dataset([car], tmp_path / 'src', 'got10k')  # GOT-10k and OTB layouts in, VOT layout out
    export_dataset([replace(car, name='jump', boxes=teleport)], tmp_path / 'src', 'otb')
    (tmp_path / 'src/list.txt').unlink()
    ws = tmp_path / 'ws'
    assert main(['vot', 'init', str(ws), '--sequences', str(tmp_path / 'src'), '--variants', 'rtmdnet-5-5,metartt',
                 '--override', 'geometry.n_aug_crops=8']) == 0
    assert 'vot evaluate rtmdnet-5-5' in capsys.readouterr().out
    ini = (ws / 'trackers.ini').read_text()
    assert 'timeout = 300' in ini and 'protocol = trax' in ini and '; [metartt] needs meta-trained weights' in ini
    stack = (ws / 'stack.yaml').read_text()
    assert 'low: 4' in stack and 'high: 15' in stack and 'dataset' not in stack
    assert (ws / 'sequences/list.txt').read_text() == 'davis_car-shadow\njump\n'
    assert (ws / 'sequences/jump/color/00000016.jpg').is_file()

    log = tmp_path / 'server.jsonl'
    env = {**os.environ, 'METARTT_VOT_LOG': str(log)}
    for command in (['evaluate', 'rtmdnet-5-5'], ['analysis', '--name', 'ci', 'rtmdnet-5-5']):
        done = subprocess.run([sys.executable, '-m', 'vot', command[0], '--workspace', str(ws), *command[1:]],
                              cwd=ws, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    numbers = read_analysis(ws / 'analysis/ci.json')['rtmdnet-5-5']['baseline']
    print('VOT short stack on the sample:', numbers)
    assert 0 < numbers['eao'] <= 1 and numbers['failures'] >= 0.5  # 'jump' fails once (mean over 2 sequences)

    inits = [e for e in _events(log) if e['event'] == 'initialize']
    by_sequence = {name: {e['pid'] for e in inits if f'/{name}/' in e['image']}
                   for name in ('davis_car-shadow', 'jump')}
    assert sum('/jump/' in e['image'] for e in inits) == 2  # initial frame + re-initialisation 5 frames after failure
    assert all(len(pids) == 1 for pids in by_sequence.values())  # the re-initialisation reached the same process


def test_vot_init_checks_inputs_before_writing(tmp_path, capsys, car):
    assert main(['vot', 'init', str(tmp_path / 'ws'), '--sequences', str(tmp_path / 'nothing')]) == 2
    assert 'nothing: sequences folder not found' in capsys.readouterr().err
    export_dataset([car], tmp_path / 'src', 'got10k')
    gt = tmp_path / 'src/davis_car-shadow/groundtruth.txt'
    gt.write_text(gt.read_text().replace(gt.read_text().splitlines()[9], '3,3,0,0'))
    assert main(['vot', 'init', str(tmp_path / 'ws'), '--sequences', str(tmp_path / 'src')]) == 2
    assert 'groundtruth.txt:10' in capsys.readouterr().err and not (tmp_path / 'ws').exists()
    (tmp_path / 'ws').mkdir()
    (tmp_path / 'ws/config.yaml').write_text('stack: x\n')
    assert main(['vot', 'init', str(tmp_path / 'ws'), '--sequences', str(SAMPLES)]) == 2
    assert 'already a workspace' in capsys.readouterr().err


def test_meta_variants_use_the_shipped_weights_when_the_package_has_them(tmp_path, monkeypatch):
    """With shipped weights `vot init --variants metartt` adds the entry; without, it is a commented hint."""
    import metartt_tracker.shipped as shipped
    from metartt_tracker.integrations.vot_workspace import plan_specs
    specs, skipped = plan_specs(TrackerSpec(), ['metartt', 'metartt-prune'], [])
    assert [s.label for s in specs] == ['metartt', 'metartt-prune'] and skipped == []
    monkeypatch.setattr(shipped, 'weights_dir', lambda: tmp_path / 'no-shipped-weights')
    assert plan_specs(TrackerSpec(), ['rtmdnet-5-5', 'metartt'], []) == ([TrackerSpec('rtmdnet-5-5')], ['metartt'])


def test_checkpoint_named_like_a_variant_replaces_its_entry_and_every_entry_keeps_the_device(tmp_path):
    """README: `vot init ws --checkpoint weights/metartt.pt` used to fail on 'tracker names collide'."""
    from metartt_tracker.integrations.vot_workspace import plan_specs
    from metartt_tracker.shipped import pretrained_path
    base = TrackerSpec(device='cpu', threads=1)
    specs, _ = plan_specs(base, ['rtmdnet', 'metartt'], [str(pretrained_path('metartt'))])
    assert [s.label for s in specs] == ['rtmdnet', 'metartt'] and specs[1].checkpoint
    assert all(s.device == 'cpu' and s.threads == 1 for s in specs)
    other = tmp_path / 'x' / 'metartt.pt'
    other.parent.mkdir()
    other.write_bytes(pretrained_path('metartt').read_bytes())
    with pytest.raises(ValueError, match="two checkpoints named 'metartt'"):
        plan_specs(base, [], [str(pretrained_path('metartt')), str(other)])
