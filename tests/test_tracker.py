"""The tracking loop on real frames: inputs, bad inputs, determinism, and following the target."""
import numpy as np
import pytest
from PIL import Image

from metartt_tracker import MetaRTTTracker, MissingWeightsError
from metartt_tracker.backbones import build_backbone
from metartt_tracker.config import variant_config


def test_tracks_the_bundled_sample_clearly_better_than_a_static_box(car_shadow):
    """Acceptance: rtmdnet (lite0, fc layers trained online from default init) follows the car."""
    from metartt_tracker.evaluation.metrics import ope_scores
    tracker = MetaRTTTracker.from_variant('rtmdnet', backbone='lite0', seed=0)
    boxes = tracker.track(iter(car_shadow.frames), car_shadow.init_box).boxes
    gt = np.asarray(car_shadow.boxes)
    ours = ope_scores(boxes, gt)['auc']
    static = ope_scores(np.repeat(boxes[:1], len(boxes), axis=0), gt)['auc']
    assert boxes.shape == (40, 4) and np.isfinite(boxes).all()
    assert ours > static + 0.15, (ours, static)
    assert ours > 0.6


def test_same_seed_same_boxes_other_seed_other_boxes(fast_tracker, car_frames, car_shadow):
    runs = [fast_tracker(seed).track(car_frames, car_shadow.init_box).boxes for seed in (7, 7, 8)]
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_accepts_pil_gray_and_rgba(fast_tracker, car_frames, car_shadow):
    box = car_shadow.init_box
    rgb = fast_tracker(0).track(car_frames[:3], box).boxes
    pil = fast_tracker(0).track([Image.fromarray(f) for f in car_frames[:3]], box).boxes
    rgba = fast_tracker(0).track([np.dstack([f, np.full(f.shape[:2], 255, np.uint8)]) for f in car_frames[:3]], box).boxes
    gray = fast_tracker(0).track([np.asarray(Image.fromarray(f).convert('L')) for f in car_frames[:3]], box).boxes
    assert np.array_equal(rgb, pil) and np.array_equal(rgb, rgba)
    assert gray.shape == (3, 4) and np.isfinite(gray).all()


@pytest.mark.parametrize('box, match', [
    ((10, 10, float('nan'), 20), 'non-finite'),
    ((10, 10, float('inf'), 20), 'non-finite'),
    ((10, 10, 0, 20), 'non-positive'),
    ((10, 10, 20, -3), 'non-positive'),
    ((700, 10, 20, 20), 'outside'),
    ((-50, 10, 20, 20), 'outside'),
    ((10, 10, 20), '4 numbers'),
])
def test_bad_boxes_are_rejected(fast_tracker, car_frames, box, match):
    with pytest.raises(ValueError, match=match):
        fast_tracker().init(car_frames[0], box)


def test_frame_size_change_is_rejected(fast_tracker, car_frames, car_shadow):
    t = fast_tracker()
    t.init(car_frames[0], car_shadow.init_box)
    with pytest.raises(ValueError, match='frame size changed from 640x360 to 320x180'):
        t.update(car_frames[1][::2, ::2])


def test_update_before_init_is_an_error(fast_tracker, car_frames):
    with pytest.raises(RuntimeError, match='init'):
        fast_tracker().update(car_frames[0])


def test_an_init_that_fails_leaves_no_half_built_sequence(fast_tracker, car_frames, car_shadow, monkeypatch):
    t = fast_tracker()
    t.init(car_frames[0], car_shadow.init_box)
    monkeypatch.setattr(t, '_first_frame_samples', lambda *a: (_ for _ in ()).throw(MemoryError('no room')))
    with pytest.raises(MemoryError):
        t.init(car_frames[0], car_shadow.init_box)
    assert t.state is None
    with pytest.raises(RuntimeError, match=r'call init\(image, box\) before update'):
        t.update(car_frames[1])


@pytest.mark.parametrize('box', [
    (300.0, 150.0, 4.0, 4.0),  # tiny target
    (2.0, 2.0, 636.0, 356.0),  # near frame size
    (-20.0, 300.0, 60.0, 90.0),  # partly outside the frame
])
def test_extreme_targets_do_not_crash(fast_tracker, car_frames, box):
    boxes = fast_tracker().track(car_frames[:4], box).boxes
    assert boxes.shape == (4, 4) and np.isfinite(boxes).all()
    assert (boxes[1:, 2:] > 0).all()


def test_meta_variants_need_weights():
    with pytest.raises(MissingWeightsError, match='metartt train meta'):
        MetaRTTTracker(variant_config('metartt'))


def test_5_5_variant_runs_fewer_iterations():
    a, b = variant_config('rtmdnet').adaptation, variant_config('rtmdnet-5-5').adaptation
    assert (a.iters_init, a.iters_update, b.iters_init, b.iters_update) == (50, 15, 5, 5)
    assert variant_config('metartt').adaptation.mode == 'meta'


def test_meta_mode_tracks_with_given_step_sizes(fast_tracker, car_frames, car_shadow):
    from metartt_tracker.adaptation import constant_alphas
    from metartt_tracker.model import init_head_params
    cfg = variant_config('metartt').replace(**{'geometry.n_aug_crops': 8})
    theta = init_head_params(112 * 9, 512)
    t = MetaRTTTracker(cfg, backbone=build_backbone('lite0'), head_params=theta,
                       alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3))
    boxes = t.track(car_frames[:4], car_shadow.init_box).boxes
    assert boxes.shape == (4, 4) and np.isfinite(boxes).all()


def test_target_score_is_the_positive_logit_or_the_margin(fast_tracker, car_frames, car_shadow):
    import torch
    from metartt_tracker.model import head_forward
    feats = torch.randn(6, 112 * 9)
    for kind in ('logit', 'margin'):
        t = fast_tracker(**{'sampling.score': kind})
        t.init(car_frames[0], car_shadow.init_box)
        out = head_forward(feats, t.state.params)
        want = out[:, 1] if kind == 'logit' else out[:, 1] - out[:, 0]
        score, margin = t._scores(feats)
        assert torch.allclose(score, want) and torch.allclose(margin, out[:, 1] - out[:, 0])
        # the confidence's softmax probability of the target class equals sigmoid(margin)
        assert torch.allclose(torch.softmax(out, 1)[:, 1], torch.sigmoid(margin), atol=1e-6)
    with pytest.raises(ValueError, match="sampling.score must be 'logit' or 'margin', got 'prob'"):
        fast_tracker(**{'sampling.score': 'prob'})


@pytest.mark.parametrize('mode', ['sgd', 'meta'])
def test_an_online_update_that_overflows_is_undone(fast_tracker, car_frames, car_shadow, mode):
    """Non-finite weights after an update: keep the last good weights, count it, keep reporting boxes
    (SGD updates in place, so its old weights are copied; learned steps return new tensors)."""
    import torch
    from metartt_tracker.adaptation import constant_alphas
    from metartt_tracker.model import init_head_params
    if mode == 'sgd':
        t = fast_tracker()
    else:
        cfg = variant_config('metartt', backbone='lite0').replace(**{'geometry.n_aug_crops': 8})
        theta = init_head_params(112 * 9, 512)
        t = MetaRTTTracker(cfg, head_params=theta, alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3))
    t.init(car_frames[0], car_shadow.init_box)
    good = {k: v.clone() for k, v in t.state.params.items()}
    t.state.adapter.adapt = lambda params, pos, neg, stage: {k: torch.full_like(v, float('nan')) for k, v in params.items()}
    t._adapt(torch.cat(t.state.pos_memory), torch.cat(t.state.neg_memory))
    assert t.state.rejected_updates == 1
    assert all(torch.equal(good[k], t.state.params[k]) for k in good)
    assert np.isfinite(t.update(car_frames[1])).all()


def test_shipped_weights_load_by_name_verified_and_track(car_frames, car_shadow):
    """weights/ ships `metartt`, `metartt-prune` and `metartt-coco` (sha256 checked on load); the pruned one removes
    conv and fc channels at frame 1 and both follow the car over the first frames."""
    from metartt_tracker.fileio import sha256_file
    from metartt_tracker.shipped import pretrained_path
    import json
    manifest = json.loads((pretrained_path('metartt').parent / 'MANIFEST.json').read_text())
    gt = np.asarray(car_shadow.boxes)[:6]
    for name in ('metartt', 'metartt-prune', 'metartt-coco'):
        assert sha256_file(pretrained_path(name)) == manifest[name]['sha256']
        t = MetaRTTTracker.from_pretrained(name, seed=0, **{'geometry.n_aug_crops': 8})
        boxes = t.track(car_frames[:6], car_shadow.init_box).boxes
        centre_error = np.linalg.norm((boxes[:, :2] + boxes[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2), axis=1)
        assert np.isfinite(boxes).all() and centre_error.max() < 40, (name, centre_error)
        if name == 'metartt-prune':
            widths = t.state.params['fc4.weight'].shape[0] + t.state.params['fc5.weight'].shape[0]
            assert 0.4 < t.prune_rate < 0.6 and widths < 1024
            conv = t.state.backbone.out_channels  # the backbone's last conv loses channels too, and fc4's inputs with it
            full = build_backbone(t.cfg.backbone, pretrained=False).out_channels
            assert conv < full and t.state.params['fc4.weight'].shape[1] == conv * 9
