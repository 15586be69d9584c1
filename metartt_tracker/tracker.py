"""`MetaRTTTracker`: RT-MDNet's tracking loop with SGD or meta-learned adaptation.

Per frame (RT-MDNet tracker.py): score 256 Gaussian candidates around the last target on one
scene crop, take the mean of the top-5 boxes, call it a success if their mean target logit is
> 0, refine with bbox regression on success, collect 50 positives / 200 negatives on success,
update on failure (short-term memory) or every 10 frames (long-term memory). The first frame
trains on 500 positives / 5000 negatives drawn from 7 jittered scene crops plus 100 augmented
target crops, then fits the bbox regressor.

Frames are RGB (PIL images or H x W x 3 uint8 arrays; gray and RGBA are converted); boxes are
(x, y, w, h) in 0-based pixels.
"""
from __future__ import annotations

import copy
from typing import Iterable

import numpy as np
import torch
from torch import Tensor

from .adaptation import Adapter, steps_for
from .backbones import Backbone, build_backbone
from .bbreg import BBoxRegressor
from .config import TrackerConfig, variant_config
from .errors import MissingWeightsError
from .model import Params, head_forward, init_head_params
from .pruning import (PruningNetwork, feature_index, kept, pooled_inputs, prune_backbone, prune_heads, prune_rate,
                      slice_like_heads)
from .results import SequenceResult, track_sequence
from .roi_align import POOLED, boxes_to_rois, roi_features
from .sampling import candidates, sample
from .scene import Scene, crop, scene_for, to_tensor, union_box
from .timing import StageTimer

ROI_CHUNK = 1024  # RoIs gathered at once; bounds the memory of first-frame feature extraction


def validate_box(box: object, image_size: tuple[int, int]) -> np.ndarray:
    """The box as float64 (4,), or ValueError if non-finite, non-positive or outside the frame."""
    b = np.asarray(box, dtype=np.float64).reshape(-1)
    if b.shape != (4,):
        raise ValueError(f'a box is 4 numbers x, y, w, h; got {box!r}')
    if not np.all(np.isfinite(b)):
        raise ValueError(f'box {b.tolist()} has non-finite values')
    if b[2] <= 0 or b[3] <= 0:
        raise ValueError(f'box {b.tolist()} has non-positive width or height')
    w, h = image_size
    if b[0] >= w or b[1] >= h or b[0] + b[2] <= 0 or b[1] + b[3] <= 0:
        raise ValueError(f'box {b.tolist()} lies entirely outside the {w}x{h} frame')
    return b


class MetaRTTTracker:
    """got10k-style tracker: `init(image, box)`, then `update(image) -> box` (score in `.score`)."""

    def __init__(self, config: TrackerConfig | None = None, backbone: Backbone | None = None,
                 head_params: Params | None = None, alphas: dict | None = None, seed: int = 0,
                 pruner: PruningNetwork | None = None) -> None:
        self.cfg = config or variant_config('rtmdnet')
        if self.cfg.sampling.score not in ('logit', 'margin'):
            raise ValueError(f"sampling.score must be 'logit' or 'margin', got {self.cfg.sampling.score!r}")
        if self.cfg.adaptation.mode != 'sgd' and alphas is None:
            raise MissingWeightsError(
                f"variant {self.cfg.variant!r} adapts with meta-learned step sizes, but no meta-parameters "
                f"were given: pass a checkpoint made by `metartt train meta` (--checkpoint FILE); "
                f"there is no silent fallback to untrained values")
        if self.cfg.prune and pruner is None:
            raise MissingWeightsError(
                f"variant {self.cfg.variant!r} prunes channels with a trained pruning network, but none was given: "
                f"pass a checkpoint made by `metartt train prune` (--checkpoint FILE)")
        self._full_backbone = backbone if backbone is not None else build_backbone(self.cfg.backbone)
        self.backbone = self._full_backbone
        self.feat_dim = self.backbone.out_channels * POOLED * POOLED
        self.seed = seed
        self._full_alphas = alphas
        self.alphas = alphas
        self.pruner = pruner.eval() if pruner is not None else None
        self.prune_rate = 0.0
        self._theta0 = head_params
        self.timer = StageTimer()
        self.score = float('nan')
        self.image_size: tuple[int, int] | None = None

    @classmethod
    def from_pretrained(cls, name: str, seed: int = 0, **overrides: object) -> 'MetaRTTTracker':
        """A tracker with the shipped weights of a variant ('metartt', 'metartt-prune'), checksum-verified."""
        from .checkpoint import pretrained_path, tracker_from_checkpoint
        return tracker_from_checkpoint(pretrained_path(name), seed=seed, **overrides)

    @classmethod
    def from_variant(cls, name: str, seed: int = 0, backbone: str = 'lite0', **overrides: object) -> 'MetaRTTTracker':
        """A tracker for a named variant with default weights; meta variants need a checkpoint."""
        cfg = variant_config(name, backbone=backbone)
        if overrides:
            cfg = cfg.replace(**overrides)
        return cls(cfg, seed=seed)

    # ----------------------------------------------------------------- features
    def _feature_maps(self, image: Tensor, scenes: list[Scene]) -> Tensor:
        """Backbone maps (B, C, h, w) of same-size scene crops."""
        with self.timer('crop'):
            crops = crop(image, scenes).contiguous(memory_format=torch.channels_last)
        with self.timer('backbone'):
            return self.backbone(self.backbone.normalize(crops))

    def _roi_feats(self, fmaps: Tensor, scenes: list[Scene], boxes: np.ndarray, which: np.ndarray | None = None) -> Tensor:
        """RoI features (N, C*9) of image boxes; `which[i]` picks the scene / map of box i."""
        bb = self.backbone
        which = np.zeros(len(boxes), dtype=np.int64) if which is None else which
        xy = np.stack([s.box[:2] for s in scenes])[which]
        sc = np.stack([s.scale for s in scenes])[which]
        with self.timer('roi_align'):
            rois = boxes_to_rois(torch.from_numpy(boxes).float(), torch.from_numpy(xy).float(),
                                 torch.from_numpy(sc).float(), self.cfg.geometry.roi_padding,
                                 bb.receptive_field, bb.origin)
            idx = torch.from_numpy(which)
            out = [roi_features(fmaps, rois[s:s + ROI_CHUNK], 1.0 / bb.stride, idx[s:s + ROI_CHUNK])
                   for s in range(0, len(boxes), ROI_CHUNK)]
        return torch.cat(out) if out else torch.zeros(0, self.feat_dim)

    def _scene_feats(self, image: Tensor, scene: Scene, boxes: np.ndarray) -> Tensor:
        return self._roi_feats(self._feature_maps(image, [scene]), [scene], boxes)

    def _scores(self, feats: Tensor) -> Tensor:
        """Target score per candidate (`sampling.score`): the positive logit or the logit margin."""
        with self.timer('heads'):
            out = head_forward(feats, self.params)
        return out[:, 1] if self.cfg.sampling.score == 'logit' else out[:, 1] - out[:, 0]

    # -------------------------------------------------------------- first frame
    def _jitter_scenes(self, scene_box: np.ndarray, target: np.ndarray) -> list[Scene]:
        """RT-MDNet first-frame jitter: original, x - 4 px, y - 4 px, scale 1.1^-1, 1.1, 1.1^-2, 1.1^2."""
        g = self.cfg.geometry
        shifts = [(0, 0, 1.0)]
        if g.init_jitter:
            shifts += [(-4, 0, 1.0), (0, -4, 1.0), (0, 0, 1.1 ** -1), (0, 0, 1.1), (0, 0, 1.1 ** -2), (0, 0, 1.1 ** 2)]
        return [scene_for(scene_box + np.array([dx, dy, 0, 0]), target[2:], g.patch_size, g.max_scene_size, s)
                for dx, dy, s in shifts]

    def _jittered_feats(self, image: Tensor, scenes: list[Scene],
                        groups: list[np.ndarray]) -> tuple[list[Tensor], list[np.ndarray]]:
        """Features of each box group, each box taken from a random jittered scene.

        RT-MDNet extracts every box from all scenes and then subsamples n of the J*n; drawing
        the scene of each kept box at random is the same distribution at 1/J of the cost.
        """
        picks = []
        for boxes in groups:
            n, j = len(boxes), len(scenes)
            flat = self.rng.permutation(n * j)[:n]
            picks.append((boxes[flat % n], flat // n))
        feats: list[list[Tensor]] = [[] for _ in groups]
        for k, scene in enumerate(scenes):
            fmap = self._feature_maps(image, [scene])
            for gi, (boxes, which) in enumerate(picks):
                sel = which == k
                feats[gi].append(self._roi_feats(fmap, [scene], boxes[sel]))
        order = [np.argsort(np.concatenate([np.flatnonzero(w == k) for k in range(len(scenes))]), kind='stable')
                 for _, w in picks]
        return [torch.cat(f)[torch.from_numpy(o)] for f, o in zip(feats, order)], [b for b, _ in picks]

    def _augmented_feats(self, image: Tensor, target: np.ndarray) -> tuple[Tensor, Tensor, Tensor, np.ndarray]:
        """RT-MDNet's extra first-frame crops: target-centred, 1.8x target, shifted and rescaled."""
        g, sp = self.cfg.geometry, self.cfg.sampling
        n = g.n_aug_crops
        if n <= 0:
            empty = torch.zeros(0, self.feat_dim)
            return empty, empty, empty, np.zeros((0, 4))
        size = self.image_size
        centre = target[:2] + target[2:] / 2
        shift = np.clip(2 * self.rng.standard_normal((n, 2)), -g.aug_max_shift, g.aug_max_shift)
        scale = g.aug_scale_base ** np.clip(self.rng.standard_normal(n), -2, 2)
        per = (max(sp.pos_init.n // n, 1), max(sp.neg_init.n // n // 4, 1), max(sp.bbreg.n // n // 4, 1))
        out_px = g.patch_size * g.aug_crop_factor
        pos, neg, reg, reg_boxes = [], [], [], []
        for s0 in range(0, n, 25):  # 25 crops per backbone batch
            scenes, groups = [], ([], [], [])
            for k in range(s0, min(n, s0 + 25)):
                wh = target[2:] * g.aug_crop_factor * scale[k]
                box = np.concatenate([centre + shift[k] - wh / 2, wh])
                scenes.append(Scene(box, out_px / wh))
                groups[0].append(sample(sp.pos_init, target, size, self.rng, per[0], sp.min_box_size))
                groups[1].append(sample(sp.neg_aug, target, size, self.rng, per[1], sp.min_box_size))
                groups[2].append(sample(sp.bbreg, target, size, self.rng, per[2], sp.min_box_size))
            fmaps = self._feature_maps(image, scenes)
            for dst, boxes_list in zip((pos, neg, reg), groups):
                boxes = np.concatenate(boxes_list)
                which = np.concatenate([np.full(len(b), i) for i, b in enumerate(boxes_list)]).astype(np.int64)
                dst.append(self._roi_feats(fmaps, scenes, boxes, which))
            reg_boxes.append(np.concatenate(groups[2]))
        return torch.cat(pos), torch.cat(neg), torch.cat(reg), np.concatenate(reg_boxes)

    def init(self, image: object, box: object) -> None:
        """Learn the target from the first frame: train the fc layers and the bbox regressor."""
        self.timer.reset()
        with self.timer('first_frame'):
            self._init(image, box)

    def _init(self, image: object, box: object) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.backbone, self.alphas = self._full_backbone, self._full_alphas
        self.feat_dim = self.backbone.out_channels * POOLED * POOLED
        img = to_tensor(image)
        self.image_size = (img.shape[2], img.shape[1])
        target = validate_box(box, self.image_size)
        sp, size = self.cfg.sampling, self.image_size
        with torch.inference_mode():
            pos_boxes = sample(sp.pos_init, target, size, self.rng, min_size=sp.min_box_size)
            neg_boxes = sample(sp.neg_init, target, size, self.rng, min_size=sp.min_box_size)
            neg_boxes = neg_boxes[self.rng.permutation(len(neg_boxes))]
            reg_boxes = sample(sp.bbreg, target, size, self.rng, min_size=sp.min_box_size)
            scene_box = union_box(neg_boxes if len(neg_boxes) else target[None], self.cfg.geometry.roi_padding)
            scenes = self._jitter_scenes(scene_box, target)
            (pos, neg, reg), (pos_boxes, neg_boxes, reg_boxes) = self._jittered_feats(
                img, scenes, [pos_boxes, neg_boxes, reg_boxes])
            apos, aneg, areg, areg_boxes = self._augmented_feats(img, target)
        pos, neg = torch.cat([pos, apos]).clone(), torch.cat([neg, aneg]).clone()
        reg, reg_boxes = torch.cat([reg, areg]).clone(), np.concatenate([reg_boxes, areg_boxes])
        self._init_params()
        with self.timer('update'):
            self.params = self.adapter.adapt(self.params, pos, neg, 'init')
        if self.pruner is not None:
            with self.timer('prune'):
                cols = self._prune(torch.cat([pos, neg]))
            pos, neg, reg = pos[:, cols], neg[:, cols], reg[:, cols]
        with self.timer('bbreg'):
            b = self.cfg.bbreg
            self.bbreg = BBoxRegressor(b.alpha, (b.gate_iou, 1.0), b.gate_area)
            if b.enabled:
                self.bbreg.fit(reg, reg_boxes, target)
        a = self.cfg.adaptation
        self.pos_memory = [pos[torch.from_numpy(self.rng.permutation(len(pos))[:a.init_pos_memory])]]
        self.neg_memory = [neg[torch.from_numpy(self.rng.permutation(len(neg))[:a.init_neg_memory])]]
        self.target = target
        self.trans = sp.trans_candidates
        self.frame = 0
        self.rejected_updates = 0  # online updates undone because they produced non-finite weights
        self.score = float('nan')  # no score on the given frame

    def _prune(self, d_init: Tensor) -> Tensor:
        """Predict masks from D_init once, then shrink backbone, heads and step sizes (paper §4)."""
        with torch.no_grad():
            params = {k: v.detach() for k, v in self.params.items()}
            masks = self.pruner(pooled_inputs(d_init, params))
        keep = kept(masks, self.cfg.prune_threshold)
        self.prune_rate = prune_rate(masks, self.cfg.prune_threshold)
        if not self.cfg.prune_scale:  # selection only: kept channels keep their unpruned weights
            masks = {k: torch.ones_like(m) for k, m in masks.items()}
        self.backbone = copy.deepcopy(self._full_backbone)
        prune_backbone(self.backbone, keep['conv'])
        self.feat_dim = self.backbone.out_channels * POOLED * POOLED
        self.params = prune_heads(params, masks, keep)
        if self._full_alphas is not None:
            self.alphas = {stage: [slice_like_heads(a, keep) for a in steps] for stage, steps in self._full_alphas.items()}
        self.adapter = Adapter(self.cfg.adaptation, steps_for(self.cfg.adaptation, self.alphas), self.rng, self.generator)
        return feature_index(keep['conv'])

    def _init_params(self) -> None:
        """Fresh copies of the initial fc parameters (theta_0) and a fresh optimiser state."""
        if self._theta0 is None:
            self._theta0 = init_head_params(self.feat_dim, self.cfg.fc_width, torch.Generator().manual_seed(self.seed))
        self.params = {k: v.detach().clone() for k, v in self._theta0.items()}
        self.adapter = Adapter(self.cfg.adaptation, steps_for(self.cfg.adaptation, self.alphas), self.rng, self.generator)

    # ----------------------------------------------------------- later frames
    def update(self, image: object) -> np.ndarray:
        """Locate the target in the next frame; returns (x, y, w, h) and sets `.score`."""
        if self.image_size is None:
            raise RuntimeError('call init(image, box) before update(image)')
        img = to_tensor(image)
        if (img.shape[2], img.shape[1]) != self.image_size:
            raise ValueError(f'frame size changed from {self.image_size[0]}x{self.image_size[1]} to '
                             f'{img.shape[2]}x{img.shape[1]} within one sequence')
        self.frame += 1
        with torch.inference_mode():
            result, success, collected = self._locate(img)
        if collected is not None:
            self._remember(*collected)
        a = self.cfg.adaptation
        if not success:
            n = min(a.n_frames_short, len(self.pos_memory))
            self._adapt(torch.cat(self.pos_memory[-n:]), torch.cat(self.neg_memory))
        elif self.frame % a.long_interval == 0:
            self._adapt(torch.cat(self.pos_memory), torch.cat(self.neg_memory))
        return result

    def _locate(self, img: Tensor) -> tuple[np.ndarray, bool, tuple[Tensor, Tensor] | None]:
        sp, g = self.cfg.sampling, self.cfg.geometry
        with self.timer('sampling'):
            boxes = candidates(self.target, sp.n_candidates, self.image_size, self.rng, self.trans,
                               sp.scale_candidates, sp.min_box_size)
            scene = scene_for(union_box(boxes), self.target[2:], g.patch_size, g.max_scene_size)
        feats = self._scene_feats(img, scene, boxes)
        scores = self._scores(feats)
        top = scores.topk(min(sp.top_k, len(scores))).indices.numpy()
        self.score = float(scores[top].mean())
        self.target = boxes[top].mean(axis=0)
        success = self.score > sp.success_thr
        self.trans = sp.trans_candidates if success else sp.trans_candidates_expand
        result = self.target.copy()
        if success and self.cfg.bbreg.enabled:
            with self.timer('bbreg'):
                result = self.bbreg.predict(feats[torch.from_numpy(top)], boxes[top], self.image_size).mean(axis=0)
        collected = self._collect(img) if success else None
        return result, success, collected

    def _collect(self, img: Tensor) -> tuple[Tensor, Tensor]:
        """Online training data around the new target (RT-MDNet: 50 pos IoU >= 0.7, 200 neg IoU <= 0.3)."""
        sp, g = self.cfg.sampling, self.cfg.geometry
        with self.timer('sampling'):
            pos_boxes = sample(sp.pos_update, self.target, self.image_size, self.rng, min_size=sp.min_box_size)
            neg_boxes = sample(sp.neg_update, self.target, self.image_size, self.rng, min_size=sp.min_box_size)
            scene_box = union_box(neg_boxes if len(neg_boxes) else self.target[None])
        if g.online_jitter:
            scenes = self._jitter_scenes(scene_box, self.target)
            (pos, neg), _ = self._jittered_feats(img, scenes, [pos_boxes, neg_boxes])
        else:
            scene = scene_for(scene_box, self.target[2:], g.patch_size, g.max_scene_size)
            feats = self._scene_feats(img, scene, np.concatenate([pos_boxes, neg_boxes]))
            pos, neg = feats[:len(pos_boxes)], feats[len(pos_boxes):]
        return pos, neg

    def _remember(self, pos: Tensor, neg: Tensor) -> None:
        a = self.cfg.adaptation
        self.pos_memory.append(pos.clone())
        self.neg_memory.append(neg.clone())
        del self.pos_memory[:-a.n_frames_long]
        del self.neg_memory[:-a.n_frames_short]

    def _adapt(self, pos: Tensor, neg: Tensor) -> None:
        """One online update; a step that leaves any weight non-finite is undone (the model keeps
        tracking with its last good weights instead of reporting NaN boxes for the rest of the video)."""
        with self.timer('update'):
            in_place = getattr(self.adapter.steps['update'], 'in_place', True)
            before = {k: v.detach().clone() for k, v in self.params.items()} if in_place else dict(self.params)
            after = self.adapter.adapt(self.params, pos, neg, 'update')
            finite = all(bool(torch.isfinite(v).all()) for v in after.values())
            self.params = after if finite else before
            self.rejected_updates += not finite

    # ------------------------------------------------------------ convenience
    def track(self, frames: Iterable[object], box: object) -> SequenceResult:
        """Run over an iterable of frames; boxes, scores and seconds per frame in one result."""
        return track_sequence(self, frames, box)
