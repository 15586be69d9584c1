"""Meta-training end to end on the bundled samples: resume == uninterrupted, 2-process DDP, pruning."""
import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from conftest import SAMPLES
from metartt_tracker.meta.config import recipe
from metartt_tracker.meta.videos import sequence_videos

TINY = dict(episodes=8, meta_batch=2, frames_per_video=6, n_pos_init=32, n_neg_init=128, n_candidates=32,
            n_pos_test=16, n_neg_test=32, n_hard=8, ckpt_every=1, val_every=2, val_episodes=2, max_scene=256,
            prune_iters=4, threads=1)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    split = tmp_path_factory.mktemp('split') / 'all.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    return sequence_videos(SAMPLES, split)


def _leaves(trainer):
    return [p.detach().clone() for g in trainer.opt.param_groups for p in g['params']]


def test_resume_after_interruption_reaches_the_uninterrupted_state(videos, tmp_path):
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **TINY)
    straight = MetaTrainer(cfg, videos, videos[:1], tmp_path / 'a')
    straight.run()
    interrupted = MetaTrainer(cfg, videos, videos[:1], tmp_path / 'b')
    interrupted.val_log.append({'iteration': 0, 'episodes': 0, **interrupted.validate()})
    interrupted.train_step()
    interrupted.train_step()  # (checkpoint every step) ... and the process dies here
    resumed = MetaTrainer(cfg, videos, videos[:1], tmp_path / 'b')
    assert resumed.iteration == 2
    path = resumed.run()
    assert all(torch.equal(a, b) for a, b in zip(_leaves(straight), _leaves(resumed)))
    assert [r['loss'] for r in straight.log] == [r['loss'] for r in resumed.log]
    assert [r['loss'] for r in straight.val_log] == [r['loss'] for r in resumed.val_log]
    assert path.name == 'metartt.pt' and (tmp_path / 'b' / 'log.csv').is_file()
    with pytest.raises(ValueError, match='different settings'):
        MetaTrainer(cfg.replace(seed=5), videos, [], tmp_path / 'b')


def _ddp_worker(rank, world, init_file, out_dir, videos_split, result_file):
    import torch.distributed as dist
    from metartt_tracker.meta.trainer import MetaTrainer
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world)
    try:
        trainer = MetaTrainer(recipe('compact', **TINY), sequence_videos(SAMPLES, videos_split), [], out_dir)
        trainer.run()
        if rank == 0:
            torch.save(_leaves(trainer), result_file)
    finally:
        dist.destroy_process_group()


def test_meta_tracker_export_keeps_its_online_sgd_schedule(videos, tmp_path):
    """The Meta-Tracker baseline learns the first frame only; its checkpoint must keep the variant's
    15 online SGD iterations instead of MetaRTT's K_on = 5 learned ones."""
    from metartt_tracker.checkpoint import load_checkpoint
    from metartt_tracker.config import variant_config
    from metartt_tracker.meta.trainer import MetaTrainer
    trainer = MetaTrainer(recipe('compact', 'metatracker', **{**TINY, 'episodes': 2}), videos, [], tmp_path / 'mt')
    a = load_checkpoint(trainer.export()).config
    assert a.adaptation.iters_update == variant_config('metatracker').adaptation.iters_update == 15
    assert (a.variant, a.adaptation.mode, a.adaptation.iters_init) == ('metatracker', 'meta-init', 5)
    ck = load_checkpoint(MetaTrainer(recipe('compact', **{**TINY, 'episodes': 2}), videos, [], tmp_path / 'm').export())
    m = ck.config
    assert (m.variant, m.adaptation.mode, m.adaptation.iters_update) == ('metartt', 'meta', 5)
    # the export records what the step sizes did: untrained, every one is still alpha_init
    assert ck.recipe['step_size_median_change'] == pytest.approx(0.0, abs=1e-6) and len(ck.recipe['step_sizes']) == 2 * 5 * 6


def test_two_process_ddp_on_cpu_trains_like_one_process(videos, tmp_path):
    from metartt_tracker.meta.trainer import MetaTrainer
    split = tmp_path / 'all.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    mp.spawn(_ddp_worker, args=(2, str(tmp_path / 'init'), str(tmp_path / 'ddp'), str(split), str(tmp_path / 'r.pt')),
             nprocs=2, join=True)
    ddp = torch.load(tmp_path / 'r.pt')
    single = MetaTrainer(recipe('compact', **TINY), videos, [], tmp_path / 'single')
    start = _leaves(single)
    single.run()
    for a, b, s in zip(ddp, _leaves(single), start):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)
    assert any(not torch.equal(b, s) for b, s in zip(_leaves(single), start))  # it did train


def test_prune_training_writes_a_working_prune_checkpoint(videos, tmp_path, car_frames, car_shadow):
    from metartt_tracker.checkpoint import load_checkpoint
    from metartt_tracker.tracker import MetaRTTTracker
    from metartt_tracker.meta.prune_trainer import PruneTrainer
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **TINY)
    meta = MetaTrainer(cfg.replace(episodes=2), videos, [], tmp_path / 'meta').run()
    trainer = PruneTrainer(cfg, videos, meta, tmp_path / 'prune')
    path = trainer.run()
    assert len(trainer.log) == 4 and all(np.isfinite(r['loss']) for r in trainer.log)
    ck = load_checkpoint(path)
    assert ck.config.variant == 'metartt-prune' and ck.config.pruning.enabled and ck.recipe['pruning']['iterations'] == 4
    tracker = MetaRTTTracker.from_checkpoint(path, **{'geometry.n_aug_crops': 4})
    assert np.isfinite(tracker.track(car_frames[:3], car_shadow.init_box).boxes).all()


def test_per_layer_lambdas_are_steered_separately(videos, tmp_path):
    """prune_per_layer: one lambda per masked layer, each moved by its own layer's prune rate."""
    import math
    from metartt_tracker.meta.prune_trainer import LAMBDA_GAIN, PruneTrainer
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **{**TINY, 'prune_per_layer': True, 'prune_iters': 1, 'prune_layer_targets': None})
    meta = MetaTrainer(cfg.replace(episodes=2), videos, [], tmp_path / 'meta').run()
    trainer = PruneTrainer(cfg, videos, meta, tmp_path / 'prune')
    calibrated = {}
    real = trainer._steer
    trainer._steer = lambda lam, rate, rates: calibrated.update(lam) or real(lam, rate, rates)
    row = trainer.step()
    trainer._steer = real
    assert set(row['lambda']) == {'conv', 'fc4', 'fc5'}
    assert len(set(calibrated.values())) == 3  # each layer starts at its own calibrated value
    for k, rate in row['layer_rates'].items():  # masks start at "keep all": rate 0, every lambda grows alike
        assert row['lambda'][k] == pytest.approx(calibrated[k] * math.exp(LAMBDA_GAIN * (cfg.prune_target - rate)))
    trainer.lam = {'conv': 1.0, 'fc4': 1.0, 'fc5': 1.0}
    steered = trainer._steer(trainer.lam, 0.1, {'conv': 1.0, 'fc4': 0.0, 'fc5': 0.0})
    assert steered['conv'] < 1.0 < steered['fc4'] == steered['fc5']  # conv over-pruned, fc4/fc5 under-pruned
    path = trainer.run()
    from metartt_tracker.checkpoint import load_checkpoint
    assert isinstance(load_checkpoint(path).recipe['pruning']['final_lambda'], dict)


def test_layer_targets_fix_named_layers_and_keep_the_total():
    """conv fixed at 25 %: fc4 / fc5 share (0.5 * 1136 - 0.25 * 112) / 1024, so the whole net still prunes 50 %."""
    from metartt_tracker.meta.prune_trainer import layer_targets
    widths = {'conv': 112, 'fc4': 512, 'fc5': 512}
    t = layer_targets(widths, 0.5, {'conv': 0.25})
    assert t == {'conv': 0.25, 'fc4': pytest.approx(540 / 1024), 'fc5': pytest.approx(540 / 1024)}
    assert sum(t[k] * w for k, w in widths.items()) / sum(widths.values()) == pytest.approx(0.5)
    assert layer_targets(widths, 0.5, None) == dict.fromkeys(widths, 0.5)
    with pytest.raises(ValueError, match=r"names \['fc9'\]"):
        layer_targets(widths, 0.5, {'fc9': 0.1})
    with pytest.raises(ValueError, match='outside'):
        layer_targets({'conv': 900, 'fc4': 100}, 0.5, {'conv': 0.0})  # fc4 would need 450 % of its channels
    with pytest.raises(ValueError, match='every layer'):
        layer_targets(widths, 0.5, dict.fromkeys(widths, 0.5))
    with pytest.raises(ValueError, match='number in'):
        layer_targets(widths, 0.5, {'conv': 1.5})


def test_compact_recipe_prunes_half_of_the_shipped_network():
    """The shipped split on nano16 (48 conv channels): conv 25 %, fc5 85 %, fc4 what is left,
    (0.5 * 1072 - 12 - 435.2) / 512 = 17.3 %."""
    from metartt_tracker.meta.prune_trainer import layer_targets
    from metartt_tracker.pruning import widths_for
    widths, compact = widths_for(48, 512), recipe('compact')
    t = layer_targets(widths, compact.prune_target, compact.prune_layer_targets)
    assert t == {'conv': 0.25, 'fc4': pytest.approx((536 - 12 - 435.2) / 512), 'fc5': 0.85}
    assert sum(t[k] * w for k, w in widths.items()) / sum(widths.values()) == pytest.approx(0.5)


def test_per_layer_targets_steer_each_lambda_to_its_own_rate(videos, tmp_path):
    from metartt_tracker.meta.prune_trainer import PruneTrainer
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **{**TINY, 'prune_iters': 1, 'prune_layer_targets': {'conv': 0.2}})
    meta = MetaTrainer(cfg.replace(episodes=2), videos, [], tmp_path / 'meta').run()
    trainer = PruneTrainer(cfg, videos, meta, tmp_path / 'prune')
    trainer.lam = {'conv': 1.0, 'fc4': 1.0, 'fc5': 1.0}
    fc = trainer.layer_targets['fc4']
    steered = trainer._steer(trainer.lam, 0.5, {'conv': 0.2, 'fc4': fc, 'fc5': fc + 0.1})
    assert steered['conv'] == pytest.approx(1.0) and steered['fc4'] == pytest.approx(1.0)
    assert steered['fc5'] < 1.0  # only fc5 is above its target
    path = trainer.run()
    from metartt_tracker.checkpoint import load_checkpoint
    assert load_checkpoint(path).recipe['pruning']['layer_targets']['conv'] == 0.2
    with pytest.raises(ValueError, match='needs prune_per_layer'):
        PruneTrainer(cfg.replace(prune_per_layer=False), [], tmp_path / 'missing.pt', tmp_path / 'out')


def test_unknown_reconstruction_is_refused_before_any_work(tmp_path):
    from metartt_tracker.meta.prune_trainer import PruneTrainer
    with pytest.raises(ValueError, match="prune_recon='l1'"):
        PruneTrainer(recipe('compact', prune_recon='l1'), [], tmp_path / 'missing.pt', tmp_path / 'out')
    with pytest.raises(ValueError, match='prune_per_layer needs prune_target'):
        PruneTrainer(recipe('compact', prune_target=None), [], tmp_path / 'missing.pt', tmp_path / 'out')


def test_first_frame_only_pruning_objective_ignores_the_rest_of_the_episode():
    from metartt_tracker.meta.episodes import TestSet, Trajectory
    from metartt_tracker.meta.prune_trainer import episode_loss
    from metartt_tracker.model import init_head_params
    g = torch.Generator().manual_seed(0)
    theta = init_head_params(18, 4, g)
    feats = lambda n: torch.randn(n, 18, generator=g)  # noqa: E731
    tau = Trajectory((feats(4), feats(4)), theta, (feats(4), feats(4)), [theta, theta], TestSet(feats(2), feats(2), feats(2)), 1.0)
    masks = {'conv': torch.full((2,), 0.5), 'fc4': torch.ones(4), 'fc5': torch.ones(4)}
    first = episode_loss(tau, masks, 0.1, False, np.random.default_rng(0))
    whole = episode_loss(tau, masks, 0.1, True, np.random.default_rng(0))
    assert whole > first * 2


def test_step_sizes_stay_non_negative_and_best_and_snapshots_are_kept(videos, tmp_path):
    """alpha_min=0 projects every step size after each Adam step; the lowest-validation state and the
    periodic snapshots are written as loadable tracker checkpoints."""
    from metartt_tracker.checkpoint import load_checkpoint
    from metartt_tracker.meta.trainer import BEST, MetaTrainer, alpha_leaves
    cfg = recipe('compact', **{**TINY, 'alpha_init': 0.0, 'snapshot_every': 2})
    trainer = MetaTrainer(cfg, videos, videos[:1], tmp_path)
    trainer.run()
    alphas = torch.cat([a.detach().flatten() for a in alpha_leaves(trainer.alphas)])
    assert (alphas >= 0).all() and (alphas == 0).any() and (alphas > 0).any()  # Adam's first step is +-lr
    assert sorted(p.name for p in (tmp_path / 'snapshots').iterdir()) == ['metartt_000004.pt', 'metartt_000008.pt']
    best_row = min(trainer.val_log, key=lambda r: r['loss'])
    best = load_checkpoint(tmp_path / BEST)
    assert best.recipe['iterations'] == best_row['iteration']


def test_metartt_coco_row_trains_on_videos_plus_still_frame_pseudo_videos(tmp_path):
    """The MetaRTT+COCO row (ablation 'coco') used to fail; without COCO its pseudo-videos are still
    frames of the training videos, resized and shifted over 6 frames with the box following."""
    from metartt_tracker import meta
    from metartt_tracker.checkpoint import load_checkpoint
    from metartt_tracker.evaluation.rows import row
    from metartt_tracker.meta.videos import frame_pseudo_videos, sequence_videos
    split = tmp_path / 'split.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    videos = sequence_videos(SAMPLES, split)
    pseudo = frame_pseudo_videos(videos, 3, seed=1)
    for p in pseudo:
        assert len(p.frames) == 6 and p.boxes.shape == (6, 4) and np.isfinite(p.boxes).all()
        assert p.frames[3].shape[:2] == p.frames[0].shape[:2]
        s = p.boxes[1:, 2] / p.boxes[0, 2]  # resize 1.1^U(-1,1) about the centre
        assert ((s > 1 / 1.1 - 1e-9) & (s < 1.1 + 1e-9)).all() and np.allclose(p.boxes[:, 2] / p.boxes[:, 3], p.boxes[0, 2] / p.boxes[0, 3])
    assert [p.name for p in frame_pseudo_videos(videos, 3, seed=1)] == [p.name for p in pseudo]  # seeded
    spec = row('metartt-coco')
    out = meta.train('compact', tmp_path / 'w' / spec.weights, data=SAMPLES, split=split,
                     **spec.train, **{**{k: v for k, v in TINY.items() if k != 'threads'}, 'pseudo_videos': 4})
    ck = load_checkpoint(out)
    assert ck.config.variant == 'metartt' and ck.recipe['pseudo_videos'] == 4 and len(ck.data) == 2 + 4


def test_reproduce_training_hook_writes_loadable_meta_and_prune_rows(tmp_path):
    """`metartt_tracker.meta.train` (called by `reproduce --train`): a pruning row first trains the
    `metartt` checkpoint beside it, keeps the lowest-validation state, then trains psi."""
    from metartt_tracker import meta
    from metartt_tracker.checkpoint import load_checkpoint
    split = tmp_path / 'split.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    val = tmp_path / 'val.txt'
    val.write_text('otb_Crossing\n')
    out = meta.train('compact', tmp_path / 'w' / 'metartt-prune.pt', 'metartt-prune', 'prune', data=SAMPLES,
                     split=split, val_split=val, **{k: v for k, v in TINY.items() if k != 'threads'})
    assert out.is_file() and (tmp_path / 'w' / 'metartt.pt').is_file()
    pruned, base = load_checkpoint(out), load_checkpoint(tmp_path / 'w' / 'metartt.pt')
    assert pruned.config.pruning.enabled and pruned.pruning is not None and not base.config.pruning.enabled
    import json
    val_log = json.loads((tmp_path / 'w' / 'metartt.run' / 'val_log.json').read_text())
    assert base.recipe['iterations'] == min(val_log, key=lambda r: r['loss'])['iteration']
    with pytest.raises(ValueError, match='unknown pruning ablation'):
        meta.train('compact', tmp_path / 'x.pt', 'metartt-prune', 'nope', data=SAMPLES, split=split)


def test_frame_cache_picks_spread_frames_or_every_visible_frame(videos):
    from metartt_tracker.meta.features import pick_frames
    from metartt_tracker.meta.videos import visible_frames
    v = videos[0]
    vis = visible_frames(v).tolist()
    rng = np.random.default_rng(0)
    six = pick_frames(v, 6, rng)
    assert len(six) == 6 and set(six) <= set(vis) and six == sorted(six)
    # one pick per sixth of the visible frames (random phase, even spacing)
    assert [vis.index(i) * 6 // len(vis) for i in six] == list(range(6))
    assert pick_frames(v, 0, rng) == vis  # frames_per_video = 0: the whole video
