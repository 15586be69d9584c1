"""Configs round-trip; checkpoints round-trip, import official weights, and fail loudly when wrong."""
from collections import OrderedDict

import pytest
import torch

from metartt_tracker.adaptation import constant_alphas
from metartt_tracker.checkpoint import SHARED, Checkpoint, import_official, load_checkpoint, save_checkpoint
from metartt_tracker.tracker import MetaRTTTracker
from metartt_tracker.config import OverrideError, TrackerConfig, parse_override, variant_config
from metartt_tracker.importers import WeightsError
from metartt_tracker.model import init_head_params


def test_config_round_trip_and_overrides():
    cfg = variant_config('rtmdnet-5-5', backbone='vggm')
    assert TrackerConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(**{'sampling.n_candidates': 64}).sampling.n_candidates == 64
    with pytest.raises(KeyError, match='nope'):
        cfg.replace(**{'sampling.nope': 1})
    with pytest.raises(ValueError, match='unknown variant'):
        variant_config('mdnet')


def test_one_override_parser_for_every_command():
    """--override (run, reproduce, harnesses) and --set (train) read values alike."""
    assert parse_override('geometry.n_aug_crops=8') == ('geometry.n_aug_crops', 8)
    assert parse_override('prune_scale=false') == parse_override('prune_scale=False') == ('prune_scale', False)
    assert parse_override(' alpha_init =3e-2') == ('alpha_init', 0.03)
    assert parse_override('lr_mult={"fc6": 10}') == ('lr_mult', {'fc6': 10})
    assert parse_override('backbone=vggm') == ('backbone', 'vggm')
    for bad in ('n_aug_crops', '=3'):
        with pytest.raises(OverrideError, match='KEY=VALUE'):
            parse_override(bad)
    assert issubclass(OverrideError, ValueError)


def _meta_checkpoint():
    cfg = variant_config('metartt', backbone='lite0')
    theta = init_head_params(112 * 9, 512, torch.Generator().manual_seed(0))
    return Checkpoint(cfg, theta, alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3),
                      recipe={'name': 'test'}, data=['a', 'b'])


def test_checkpoint_round_trip(tmp_path):
    ck = _meta_checkpoint()
    path = save_checkpoint(ck, tmp_path / 'm.pt')
    back = load_checkpoint(path)
    assert back.config == ck.config and back.data == ['a', 'b'] and back.recipe == {'name': 'test'}
    assert all(torch.equal(back.head_params[k], ck.head_params[k]) for k in ck.head_params)
    assert torch.equal(back.alphas['update'][4]['fc6.bias'], ck.alphas['update'][4]['fc6.bias'])
    assert back.code_version.startswith('0.1.0') and back.created
    compact = load_checkpoint(save_checkpoint(ck, tmp_path / 'c.pt', compact=True))
    assert compact.head_params['fc4.weight'].dtype == torch.float32
    assert torch.allclose(compact.head_params['fc4.weight'], ck.head_params['fc4.weight'], atol=1e-3)
    assert (tmp_path / 'c.pt').stat().st_size < (tmp_path / 'm.pt').stat().st_size * 0.6
    assert MetaRTTTracker.from_checkpoint(path).alphas is not None


def test_checkpoint_errors_name_the_file_and_the_mismatch(tmp_path):
    good = save_checkpoint(_meta_checkpoint(), tmp_path / 'good.pt')
    trunc = tmp_path / 'trunc.pt'
    trunc.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(WeightsError, match='trunc.pt: not a readable checkpoint'):
        load_checkpoint(trunc)
    with pytest.raises(FileNotFoundError, match='missing.pt'):
        load_checkpoint(tmp_path / 'missing.pt')
    other = tmp_path / 'other.pt'
    torch.save({'state_dict': {}}, other)
    with pytest.raises(WeightsError, match='other.pt: not a MetaRTT checkpoint'):
        load_checkpoint(other)
    ck = _meta_checkpoint()
    ck.head_params['fc5.weight'] = torch.zeros(512, 256)
    with pytest.raises(WeightsError, match=r"bad.pt: head_params\['fc5.weight'\] has shape \(512, 256\), expected \(512, 512\)"):
        load_checkpoint(save_checkpoint(ck, tmp_path / 'bad.pt'))
    ck = _meta_checkpoint()
    ck.alphas['init'] = ck.alphas['init'][:3]
    with pytest.raises(WeightsError, match=r"short.pt: alphas\['init'\] holds 3 steps, the config runs 5"):
        load_checkpoint(save_checkpoint(ck, tmp_path / 'short.pt'))


def test_official_rtmdnet_pth_imports_into_a_working_tracker(tmp_path):
    """A synthetic file with the exact structure of rt-mdnet.pth becomes a vggm checkpoint."""
    shapes = {'conv1.0.weight': (96, 3, 7, 7), 'conv1.0.bias': (96,), 'conv2.0.weight': (256, 96, 5, 5),
              'conv2.0.bias': (256,), 'conv3.0.weight': (512, 256, 3, 3), 'conv3.0.bias': (512,),
              'fc4.0.weight': (512, 4608), 'fc4.0.bias': (512,), 'fc5.1.weight': (512, 512), 'fc5.1.bias': (512,)}
    g = torch.Generator().manual_seed(0)
    sd = OrderedDict((k, torch.randn(s, generator=g) * 0.01) for k, s in shapes.items())
    torch.save({'shared_layers': sd}, tmp_path / 'rt-mdnet.pth')
    ck = import_official(tmp_path / 'rt-mdnet.pth', variant_config('rtmdnet'))
    assert ck.config.backbone == 'vggm'
    assert torch.equal(ck.backbone_state['conv2.weight'], sd['conv2.0.weight'])
    assert torch.equal(ck.head_params['fc5.weight'], sd['fc5.1.weight'])
    tracker = MetaRTTTracker.from_checkpoint(save_checkpoint(ck, tmp_path / 'vggm.pt'))
    assert torch.equal(tracker.backbone.conv3.weight, sd['conv3.0.weight'])
    assert tracker.theta0['fc4.weight'].shape[1] == 4608  # 512 channels x 3 x 3 RoI cells


def test_published_weights_load_by_name_and_are_checksum_verified(tmp_path, monkeypatch):
    import metartt_tracker.shipped as C
    from metartt_tracker import MissingWeightsError
    src = save_checkpoint(_meta_checkpoint(), tmp_path / 'src.pt')
    monkeypatch.setattr(C, 'weights_dir', lambda: tmp_path / 'w')
    (tmp_path / 'w').mkdir()
    out = C.publish(src, 'metartt')
    assert out.stat().st_size < src.stat().st_size * 0.6  # float16
    assert MetaRTTTracker.from_pretrained('metartt').alphas is not None
    with pytest.raises(MissingWeightsError, match="no shipped weights named 'metartt-prune'"):
        MetaRTTTracker.from_pretrained('metartt-prune')
    data = bytearray(out.read_bytes())
    data[-100] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match='sha256 .* does not match the manifest'):
        MetaRTTTracker.from_pretrained('metartt')


def test_delta_checkpoint_shares_its_base_and_refuses_a_replaced_one(tmp_path, monkeypatch):
    """metartt-prune published with base='metartt' stores only what differs, loads the same tensors
    as a whole copy, and names the base when the base is missing, replaced or different."""
    import metartt_tracker.shipped as C
    from metartt_tracker.backbones import build_backbone
    from metartt_tracker.fileio import sha256_file
    from metartt_tracker.pruning import PruningNetwork, network_to_dict, widths_for
    monkeypatch.setattr(C, 'weights_dir', lambda: tmp_path / 'w')
    (tmp_path / 'w').mkdir()
    meta = _meta_checkpoint()
    meta.backbone_state = {k: v + 0.01 if v.is_floating_point() else v
                           for k, v in build_backbone('lite0', pretrained=False).state_dict().items()}
    C.publish(save_checkpoint(meta, tmp_path / 'meta.pt'), 'metartt')
    widths = widths_for(112, 512)
    prune = _meta_checkpoint()
    prune.backbone_state = meta.backbone_state
    prune.config = prune.config.replace(variant='metartt-prune', **{'pruning.enabled': True})
    prune.pruning = network_to_dict(PruningNetwork(widths), widths, 128, 0.2)
    src = save_checkpoint(prune, tmp_path / 'prune.pt')
    whole = C.publish(src, 'whole', folder=tmp_path / 'whole')
    delta = C.publish(src, 'metartt-prune', base='metartt')
    assert delta.stat().st_size < whole.stat().st_size / 5
    a, b = load_checkpoint(delta), load_checkpoint(whole)
    for k in SHARED:
        assert C._same_in_fp16(getattr(a, k), getattr(b, k)), k
    assert a.config == b.config and a.pruning['widths'] == widths
    assert MetaRTTTracker.from_pretrained('metartt-prune').pruner is not None
    with pytest.raises(ValueError, match="differ from the shipped 'metartt'"):
        other = _meta_checkpoint()  # same theta, default (None) backbone: not metartt's backbone
        other.config, other.pruning = prune.config, prune.pruning
        C.publish(save_checkpoint(other, tmp_path / 'other.pt'), 'metartt-prune2', base='metartt')
    with pytest.raises(ValueError, match="not another shipped checkpoint"):
        C.publish(src, 'metartt-prune', base='nope')
    meta.head_params = {k: v * 2 for k, v in meta.head_params.items()}
    with pytest.warns(UserWarning, match=r"\['metartt-prune'\] share the weights"):
        C.publish(save_checkpoint(meta, tmp_path / 'meta2.pt'), 'metartt')
    with pytest.raises(WeightsError, match=r'metartt-prune.pt: its base .*metartt.pt has sha256 .* replaced'):
        load_checkpoint(delta)
    (tmp_path / 'w' / 'metartt.pt').unlink()
    with pytest.raises(WeightsError, match='shares its weights with metartt.pt, which is not in'):
        load_checkpoint(delta)
    (tmp_path / 'w' / 'metartt.pt').write_bytes(delta.read_bytes())  # a base that is itself a delta
    save_checkpoint(load_checkpoint(whole), tmp_path / 'w' / 'base2.pt', compact=True,
                    base={'file': 'metartt.pt', 'sha256': sha256_file(tmp_path / 'w' / 'metartt.pt')})
    with pytest.raises(WeightsError, match='base2.pt: its base .*metartt.pt is itself a delta checkpoint'):
        load_checkpoint(tmp_path / 'w' / 'base2.pt')


def test_configs_older_than_the_nano16_default_keep_lite0():
    """Schema <= 2 dicts that do not name a backbone were written when lite0 was the default."""
    from metartt_tracker.config import DEFAULT_BACKBONE
    d = variant_config('rtmdnet').to_dict()
    assert d['backbone'] == DEFAULT_BACKBONE == 'nano16' and d['schema'] == 3
    del d['backbone']
    assert TrackerConfig.from_dict({**d, 'schema': 2}).backbone == 'lite0'
    assert TrackerConfig.from_dict({**d, 'schema': 3}).backbone == DEFAULT_BACKBONE  # schema 3 omits nothing
    assert TrackerConfig.from_dict({**d, 'schema': 2, 'backbone': 'nano'}).backbone == 'nano'


def test_schema_1_configs_migrate_retired_keys_dropped_and_prune_fields_grouped(caplog):
    """Checkpoints written before the schema was versioned (all shipped ones) still load."""
    import logging
    from metartt_tracker.config import SCHEMA_VERSION, migrate_config
    old = variant_config('metartt-prune').to_dict()
    old.pop('schema')
    pruning = old.pop('pruning')
    old.update(threads=2, needs_meta_weights=True, prune=pruning['enabled'], prune_threshold=0.2,
               prune_scale=False)
    migrated, notes = migrate_config(old)
    assert migrated['pruning'] == {'enabled': True, 'threshold': 0.2, 'scale': False}
    assert len(notes) == 5 and any("dropped retired key 'threads'=2" in n for n in notes)
    with caplog.at_level(logging.INFO, logger='metartt_tracker.config'):
        cfg = TrackerConfig.from_dict(old)
    assert "moved 'prune_scale' to 'pruning.scale'" in caplog.text
    assert cfg.pruning.threshold == 0.2 and not cfg.pruning.scale and cfg.needs_meta_weights
    assert cfg.to_dict()['schema'] == SCHEMA_VERSION and TrackerConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(KeyError, match='unknown config fields'):
        TrackerConfig.from_dict({**cfg.to_dict(), 'nope': 1})
    with pytest.raises(KeyError, match='schema 99 is not supported'):
        TrackerConfig.from_dict({**cfg.to_dict(), 'schema': 99})
    assert cfg.replace(prune_scale=True).pruning.scale  # old override paths still work
    with pytest.raises(KeyError, match="'threads' was retired: torch threads are a process setting"):
        cfg.replace(threads=2)
    with pytest.raises(KeyError, match="unknown config field 'schema'"):
        cfg.replace(schema=1)


def test_needs_meta_weights_is_derived():
    assert [variant_config(v).needs_meta_weights for v in ('rtmdnet', 'rtmdnet-5-5', 'metartt', 'metartt-prune',
                                                           'metatracker')] == [False, False, True, True, True]
    assert variant_config('rtmdnet').replace(**{'pruning.enabled': True}).needs_meta_weights


def test_shipped_checkpoints_are_current_and_match_the_manifest():
    """The shipped files (issue 16: nano16) hold a current-schema config and their manifest sha256."""
    import json
    from metartt_tracker.config import DEFAULT_BACKBONE, SCHEMA_VERSION
    from metartt_tracker.fileio import sha256_file
    from metartt_tracker.shipped import pretrained_path, weights_dir
    manifest = json.loads((weights_dir() / 'MANIFEST.json').read_text())
    for name in ('metartt', 'metartt-prune', 'metartt-coco'):
        path = pretrained_path(name)
        raw = torch.load(path, map_location='cpu', weights_only=True)
        assert raw['config']['schema'] == SCHEMA_VERSION and sha256_file(path) == manifest[name]['sha256']
        cfg = load_checkpoint(path).config
        assert cfg.variant == {'metartt-coco': 'metartt'}.get(name, name) and cfg.backbone == DEFAULT_BACKBONE
        assert cfg.pruning.enabled == (name == 'metartt-prune')


def test_configs_of_the_lite0_files_shipped_before_issue_16_still_migrate():
    """Their schema-1 configs (kept in tests/shipped_lite0_configs.json) load as lite0 trackers."""
    import json
    from pathlib import Path
    old = json.loads((Path(__file__).parent / 'shipped_lite0_configs.json').read_text())
    for name, raw in old.items():
        assert 'schema' not in raw
        cfg = TrackerConfig.from_dict(raw)
        assert cfg.variant == name and cfg.backbone == 'lite0' and cfg.pruning.enabled == (name == 'metartt-prune')
        assert cfg.pruning.threshold == raw['prune_threshold']


def test_every_way_to_build_a_tracker_agrees():
    """from_variant, from_pretrained, build_tracker and TrackerSpec resolve the same weights."""
    from metartt_tracker import TrackerSpec, build_tracker
    from metartt_tracker.config import DEFAULT_BACKBONE
    from metartt_tracker.shipped import pretrained_path

    def same(a, b):
        assert a.cfg == b.cfg and a.seed == b.seed
        assert all(torch.equal(a.theta0[k], b.theta0[k]) for k in a.theta0)  # copies of one file's tensors, or of one seeded init
        assert (a.alphas is None) == (b.alphas is None) and (a.pruner is None) == (b.pruner is None)

    for name in ('rtmdnet', 'metartt', 'metartt-prune'):
        ref = build_tracker(name, DEFAULT_BACKBONE, None, 3)
        same(ref, MetaRTTTracker.from_variant(name, seed=3))
        same(ref, MetaRTTTracker.from_spec(TrackerSpec(name, seed=3)))
        if name != 'rtmdnet':
            same(ref, MetaRTTTracker.from_pretrained(name, seed=3))
            same(ref, MetaRTTTracker.from_checkpoint(pretrained_path(name), seed=3))
            same(ref, build_tracker('rtmdnet', 'lite0', pretrained_path(name), 3))
    from metartt_tracker import MissingWeightsError
    with pytest.raises(MissingWeightsError, match="no shipped weights named 'rtmdnet'"):
        MetaRTTTracker.from_pretrained('rtmdnet')
