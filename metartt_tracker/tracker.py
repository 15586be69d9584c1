"""`MetaRTTTracker`: RT-MDNet's tracking loop with SGD or meta-learned adaptation.

Per frame (RT-MDNet tracker.py): score 256 Gaussian candidates around the last target on one
scene crop, take the mean of the top-5 boxes, call it a success if their mean target logit is
> 0, refine with bbox regression on success, collect 50 positives / 200 negatives on success,
update on failure (short-term memory) or every 10 frames (long-term memory). The first frame
trains on 500 positives / 5000 negatives drawn from 7 jittered scene crops plus 100 augmented
target crops, then fits the bbox regressor.

Frames are RGB (PIL images or H x W x 3 uint8 arrays; gray and RGBA are converted); boxes are
(x, y, w, h) in 0-based pixels.

Device (`TrackerConfig.device`): weights, the frame (sent once, as uint8), scene crops, backbone maps,
RoI features, scores, hard-negative mining, online updates and bbox-regression features stay on it;
box sampling is numpy on the host. `update()` reads the device once per frame (the chosen candidates,
their score and confidence, and the regression offsets, in one transfer); a non-finite online update is
undone on the device without reading it. Stage timers synchronise only when `profile` is set.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import torch
from torch import Tensor

from .adaptation import Adapter, steps_for
from .backbones import Backbone, build_backbone
from .bbreg import BBoxRegressor
from .config import DEFAULT_BACKBONE, TrackerConfig, variant_config
from .device import resolve_device, synchronize
from .errors import MissingWeightsError
from .factory import TrackerParts, TrackerSpec, parts_from_checkpoint
from .model import Params, head_forward, init_head_params
from .pruning import (PruningNetwork, feature_index, fold_scales, kept, pooled_inputs, prune_backbone, prune_heads,
                      prune_rate, slice_like_heads)
from .results import SequenceResult, track_sequence
from .roi_align import POOLED, boxes_to_rois, roi_features
from .sampling import candidates, sample
from .scene import Scene, crop, scene_for, to_tensor, union_box
from .shipped import pretrained_path
from .timing import StageTimer

ROI_CHUNK = 1024  # RoIs gathered at once; bounds the memory of first-frame feature extraction


def _on(tree: Any, device: torch.device) -> Any:
    """Tensors of nested dicts / lists moved to `device` (the same objects where they are there already)."""
    if isinstance(tree, Tensor):
        return tree.to(device)
    if isinstance(tree, dict):
        return {k: _on(v, device) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_on(v, device) for v in tree]
    return tree


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


@dataclass
class SequenceState:
    """Everything `init()` learns about one sequence (the tracker itself keeps only the weights).

    Made anew by every `init()`, so nothing of one sequence leaks into the next; the pruned
    backbone and step sizes live here because pruning is decided per sequence (paper §4).
    """

    rng: np.random.Generator  # every sampling choice of this sequence, seeded by the tracker's seed
    generator: torch.Generator  # dropout masks of the online updates
    image_size: tuple[int, int]  # (W, H) of the sequence's frames
    backbone: Backbone  # the tracker's backbone, or its pruned copy
    alphas: dict[str, list[Params]] | None  # step sizes, sliced like the pruned heads
    target: np.ndarray  # last estimated target box (x, y, w, h)
    trans: float  # candidate centre spread for the next frame
    params: Params = field(default_factory=dict)  # fc parameters, adapted at init and online
    adapter: Adapter | None = None  # the update rule (SGD or learned steps) over `params`, set once samples are drawn
    bbreg: BBoxRegressor | None = None  # bounding-box regressor fitted at frame 1
    pos_memory: list[Tensor] = field(default_factory=list)  # positive features per remembered frame
    neg_memory: list[Tensor] = field(default_factory=list)  # negative features per remembered frame
    frame: int = 0  # index of the last frame processed (0 = the initial frame)
    prune_rate: float = 0.0  # fraction of masked channels removed at frame 1
    rejected: Tensor | int = 0  # online updates undone because they produced non-finite weights (on the device)

    @property
    def rejected_updates(self) -> int:
        """How many online updates were undone (reads the device)."""
        return int(self.rejected)

    @property
    def feat_dim(self) -> int:
        """Length of one RoI feature vector of the (possibly pruned) backbone."""
        return self.backbone.out_channels * POOLED * POOLED


class MetaRTTTracker:
    """got10k-style tracker: `init(image, box)`, then `update(image) -> box` (raw target score in `.score`, the
    classifier's target probability in [0, 1] in `.confidence`: what result files and toolkits get).

    Build one with `MetaRTTTracker.from_spec` / `from_variant` / `from_pretrained` /
    `from_checkpoint` (or `build_tracker`): they resolve weights through `factory.py` and agree.
    """

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
        if self.cfg.pruning.enabled and pruner is None:
            raise MissingWeightsError(
                f"variant {self.cfg.variant!r} prunes channels with a trained pruning network, but none was given: "
                f"pass a checkpoint made by `metartt train prune` (--checkpoint FILE)")
        self.device = resolve_device(self.cfg.device)  # where every tensor of this tracker lives
        if self.device.type == 'cuda':  # same seed, same boxes on a GPU too: no run-to-run choice of conv algorithm
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        backbone = backbone if backbone is not None else build_backbone(self.cfg.backbone)
        self.backbone = backbone.to(self.device)  # nn.Module.to moves the given backbone itself
        self.seed = seed  # seed of the next init(); every random choice of a sequence derives from it
        self.alphas = _on(alphas, self.device)
        self.pruner = pruner.eval().to(self.device) if pruner is not None else None
        feat_dim = self.backbone.out_channels * POOLED * POOLED
        theta0 = head_params if head_params is not None else init_head_params(  # drawn on the CPU: same on any device
            feat_dim, self.cfg.fc_width, torch.Generator().manual_seed(seed))
        self.theta0 = _on(theta0, self.device)
        self.profile = False  # True: stage timers wait for the device (honest per-stage times; costs speed on a GPU)
        self.timer = StageTimer(lambda: synchronize(self.device) if self.profile else None)
        self.score = float('nan')  # target score of the last update() (NaN on the initial frame)
        self.confidence = float('nan')  # in [0, 1]: the classifier's target probability of the chosen candidates
        self.state: SequenceState | None = None  # set by init()

    @classmethod
    def from_parts(cls, parts: TrackerParts, seed: int = 0) -> 'MetaRTTTracker':
        """A tracker over resolved config and weights."""
        return cls(parts.config, parts.backbone, parts.head_params, parts.alphas, seed, parts.pruner)

    @classmethod
    def from_spec(cls, spec: TrackerSpec) -> 'MetaRTTTracker':
        """The tracker a `TrackerSpec` describes (sets torch's thread count when the spec has one)."""
        if spec.threads > 0:
            torch.set_num_threads(spec.threads)
        return cls.from_parts(spec.parts(), spec.seed)

    @classmethod
    def from_variant(cls, name: str, seed: int = 0, backbone: str = DEFAULT_BACKBONE, **overrides: Any) -> 'MetaRTTTracker':
        """A named variant; one that needs trained weights loads its shipped, sha256-verified checkpoint."""
        return cls.from_spec(TrackerSpec(name, backbone, None, seed, dict(overrides)))

    @classmethod
    def from_pretrained(cls, name: str, seed: int = 0, **overrides: Any) -> 'MetaRTTTracker':
        """The shipped weights named `name` ('metartt', 'metartt-prune'), sha256-verified; an error
        when none are shipped under that name."""
        return cls.from_checkpoint(pretrained_path(name), seed, **overrides)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, seed: int = 0, **overrides: Any) -> 'MetaRTTTracker':
        """A tracker from a checkpoint file (its config, backbone and weights; overrides applied)."""
        return cls.from_parts(parts_from_checkpoint(path, **overrides), seed)

    @property
    def prune_rate(self) -> float:
        """Fraction of masked channels the current sequence's pruning removed (0 without pruning)."""
        return self.state.prune_rate if self.state is not None else 0.0

    # ----------------------------------------------------------------- features
    def _feature_maps(self, image: Tensor, scenes: list[Scene]) -> Tensor:
        """Backbone maps (B, C, h, w) of same-size scene crops."""
        with self.timer('crop'):
            crops = crop(image, scenes).contiguous(memory_format=torch.channels_last)
        with self.timer('backbone'):
            bb = self.state.backbone
            return bb(bb.normalize(crops))

    def _roi_feats(self, fmaps: Tensor, scenes: list[Scene], boxes: np.ndarray, which: np.ndarray | None = None) -> Tensor:
        """RoI features (N, C*9) of image boxes; `which[i]` picks the scene / map of box i."""
        bb = self.state.backbone
        which = np.zeros(len(boxes), dtype=np.int64) if which is None else which
        xy = np.stack([s.box[:2] for s in scenes])[which]
        sc = np.stack([s.scale for s in scenes])[which]
        with self.timer('roi_align'):
            host = torch.from_numpy(np.concatenate([boxes, xy, sc], axis=1).astype(np.float32))
            geo = host.to(fmaps.device, non_blocking=True)  # one copy (see scene.to_tensor)
            rois = boxes_to_rois(geo[:, :4], geo[:, 4:6], geo[:, 6:8], self.cfg.geometry.roi_padding,
                                 bb.receptive_field, bb.origin)
            idx = torch.from_numpy(which).to(fmaps.device, non_blocking=True)
            out = [roi_features(fmaps, rois[s:s + ROI_CHUNK], 1.0 / bb.stride, idx[s:s + ROI_CHUNK])
                   for s in range(0, len(boxes), ROI_CHUNK)]
        return torch.cat(out) if out else torch.zeros(0, self.state.feat_dim, device=fmaps.device)

    def _scene_feats(self, image: Tensor, scene: Scene, boxes: np.ndarray) -> Tensor:
        return self._roi_feats(self._feature_maps(image, [scene]), [scene], boxes)

    def _scores(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        """Target score per candidate (`sampling.score`: the positive logit or the logit margin) and the
        classifier's target probability softmax(logits)[1] = sigmoid(margin)."""
        with self.timer('heads'):
            out = head_forward(feats, self.state.params)
        margin = out[:, 1] - out[:, 0]
        return (out[:, 1] if self.cfg.sampling.score == 'logit' else margin), margin

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
            flat = self.state.rng.permutation(n * j)[:n]
            picks.append((boxes[flat % n], flat // n))
        feats: list[list[Tensor]] = [[] for _ in groups]
        for k, scene in enumerate(scenes):
            fmap = self._feature_maps(image, [scene])
            for gi, (boxes, which) in enumerate(picks):
                sel = which == k
                feats[gi].append(self._roi_feats(fmap, [scene], boxes[sel]))
        order = [np.argsort(np.concatenate([np.flatnonzero(w == k) for k in range(len(scenes))]), kind='stable')
                 for _, w in picks]
        return ([torch.cat(f)[torch.from_numpy(o).to(self.device, non_blocking=True)] for f, o in zip(feats, order)],
                [b for b, _ in picks])

    def _augmented_feats(self, image: Tensor, target: np.ndarray) -> tuple[Tensor, Tensor, Tensor, np.ndarray]:
        """RT-MDNet's extra first-frame crops: target-centred, 1.8x target, shifted and rescaled."""
        g, sp, rng = self.cfg.geometry, self.cfg.sampling, self.state.rng
        n = g.n_aug_crops
        if n <= 0:
            empty = torch.zeros(0, self.state.feat_dim, device=self.device)
            return empty, empty, empty, np.zeros((0, 4))
        size = self.state.image_size
        centre = target[:2] + target[2:] / 2
        shift = np.clip(2 * rng.standard_normal((n, 2)), -g.aug_max_shift, g.aug_max_shift)
        scale = g.aug_scale_base ** np.clip(rng.standard_normal(n), -2, 2)
        per = (max(sp.pos_init.n // n, 1), max(sp.neg_init.n // n // 4, 1), max(sp.bbreg.n // n // 4, 1))
        out_px = g.patch_size * g.aug_crop_factor
        pos, neg, reg, reg_boxes = [], [], [], []
        for s0 in range(0, n, 25):  # 25 crops per backbone batch
            scenes, groups = [], ([], [], [])
            for k in range(s0, min(n, s0 + 25)):
                wh = target[2:] * g.aug_crop_factor * scale[k]
                box = np.concatenate([centre + shift[k] - wh / 2, wh])
                scenes.append(Scene(box, out_px / wh))
                groups[0].append(sample(sp.pos_init, target, size, rng, per[0], sp.min_box_size))
                groups[1].append(sample(sp.neg_aug, target, size, rng, per[1], sp.min_box_size))
                groups[2].append(sample(sp.bbreg, target, size, rng, per[2], sp.min_box_size))
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
        try:
            with self.timer('first_frame'):
                self._init(image, box)
        except BaseException:
            self.state = None  # no half-built sequence: update() asks for init() again
            raise

    def _init(self, image: object, box: object) -> None:
        img = to_tensor(image, self.device)
        image_size = (img.shape[2], img.shape[1])
        target = validate_box(box, image_size)
        self.state = s = self._new_state(image_size, target)
        pos, neg, reg, reg_boxes = self._first_frame_samples(img, target)
        s.params = {k: v.detach().clone() for k, v in self.theta0.items()}
        s.adapter = Adapter(self.cfg.adaptation, steps_for(self.cfg.adaptation, s.alphas), s.rng, s.generator)
        with self.timer('update'):
            s.params = s.adapter.adapt(s.params, pos, neg, 'init')
        if self.pruner is not None:
            with self.timer('prune'):
                cols = self._prune(torch.cat([pos, neg]))
            pos, neg, reg = pos[:, cols], neg[:, cols], reg[:, cols]
        with self.timer('bbreg'):
            b = self.cfg.bbreg
            s.bbreg = BBoxRegressor(b.alpha, (b.gate_iou, 1.0), b.gate_area)
            if b.enabled:
                s.bbreg.fit(reg, reg_boxes, target)
        a = self.cfg.adaptation
        s.pos_memory = [pos[torch.from_numpy(s.rng.permutation(len(pos))[:a.init_pos_memory]).to(self.device)]]
        s.neg_memory = [neg[torch.from_numpy(s.rng.permutation(len(neg))[:a.init_neg_memory]).to(self.device)]]
        self.score = float('nan')  # no score on the given frame
        self.confidence = float('nan')

    def _new_state(self, image_size: tuple[int, int], target: np.ndarray) -> SequenceState:
        """A fresh per-sequence state over the full weights (the adapter is set once samples are drawn)."""
        generator = torch.Generator(device=self.device).manual_seed(self.seed)  # dropout masks are drawn on the device
        return SequenceState(rng=np.random.default_rng(self.seed), generator=generator,
                             image_size=image_size, backbone=self.backbone, alphas=self.alphas, target=target,
                             trans=self.cfg.sampling.trans_candidates)

    def _first_frame_samples(self, img: Tensor, target: np.ndarray) -> tuple[Tensor, Tensor, Tensor, np.ndarray]:
        """First-frame training features: positives, negatives, bbox-regression features and their boxes."""
        sp, size, rng = self.cfg.sampling, self.state.image_size, self.state.rng
        with torch.inference_mode():
            pos_boxes = sample(sp.pos_init, target, size, rng, min_size=sp.min_box_size)
            neg_boxes = sample(sp.neg_init, target, size, rng, min_size=sp.min_box_size)
            neg_boxes = neg_boxes[rng.permutation(len(neg_boxes))]
            reg_boxes = sample(sp.bbreg, target, size, rng, min_size=sp.min_box_size)
            scene_box = union_box(neg_boxes if len(neg_boxes) else target[None], self.cfg.geometry.roi_padding)
            scenes = self._jitter_scenes(scene_box, target)
            (pos, neg, reg), (pos_boxes, neg_boxes, reg_boxes) = self._jittered_feats(
                img, scenes, [pos_boxes, neg_boxes, reg_boxes])
            apos, aneg, areg, areg_boxes = self._augmented_feats(img, target)
        pos, neg = torch.cat([pos, apos]).clone(), torch.cat([neg, aneg]).clone()
        return pos, neg, torch.cat([reg, areg]).clone(), np.concatenate([reg_boxes, areg_boxes])

    def _prune(self, d_init: Tensor) -> Tensor:
        """Predict masks from D_init once, then shrink backbone, heads and step sizes (paper §4)."""
        s, pc = self.state, self.cfg.pruning
        with torch.no_grad():
            params = {k: v.detach() for k, v in s.params.items()}
            masks = self.pruner(pooled_inputs(d_init, params))
        keep = kept(masks, pc.threshold)
        s.prune_rate = prune_rate(masks, pc.threshold)
        if not pc.scale:  # selection only: kept channels keep their unpruned weights
            masks = {k: torch.ones_like(m) for k, m in masks.items()}
        s.backbone = copy.deepcopy(self.backbone)
        prune_backbone(s.backbone, keep['conv'])
        s.params = prune_heads(params, masks, keep)
        if self.alphas is not None:
            s.alphas = {stage: [slice_like_heads(a, keep) for a in steps] for stage, steps in self.alphas.items()}
        s.adapter = Adapter(self.cfg.adaptation, steps_for(self.cfg.adaptation, s.alphas), s.rng, s.generator,
                            grad_scale=fold_scales(masks, keep))  # = steps on the masked full network
        return feature_index(keep['conv'])

    # ----------------------------------------------------------- later frames
    def update(self, image: object) -> np.ndarray:
        """Locate the target in the next frame; returns (x, y, w, h) and sets `.score` and `.confidence`."""
        s = self.state
        if s is None:
            raise RuntimeError('call init(image, box) before update(image)')
        img = to_tensor(image, self.device)
        if (img.shape[2], img.shape[1]) != s.image_size:
            raise ValueError(f'frame size changed from {s.image_size[0]}x{s.image_size[1]} to '
                             f'{img.shape[2]}x{img.shape[1]} within one sequence')
        s.frame += 1
        with torch.inference_mode():
            result, success, collected = self._locate(img)
        if collected is not None:
            self._remember(*collected)
        a = self.cfg.adaptation
        if not success:
            n = min(a.n_frames_short, len(s.pos_memory))
            self._adapt(torch.cat(s.pos_memory[-n:]), torch.cat(s.neg_memory))
        elif s.frame % a.long_interval == 0:
            self._adapt(torch.cat(s.pos_memory), torch.cat(s.neg_memory))
        return result

    def _locate(self, img: Tensor) -> tuple[np.ndarray, bool, tuple[Tensor, Tensor] | None]:
        s, sp, g = self.state, self.cfg.sampling, self.cfg.geometry
        with self.timer('sampling'):
            boxes = candidates(s.target, sp.n_candidates, s.image_size, s.rng, s.trans,
                               sp.scale_candidates, sp.min_box_size)
            scene = scene_for(union_box(boxes), s.target[2:], g.patch_size, g.max_scene_size)
        feats = self._scene_feats(img, scene, boxes)
        scores, margin = self._scores(feats)
        top = scores.topk(min(sp.top_k, len(scores))).indices
        refine = self.cfg.bbreg.enabled and s.bbreg.fitted
        # offsets of the top k (k x 4, cheap) computed before success is known, so one read-back carries everything
        deltas = s.bbreg.deltas(feats[top]) if refine else scores.new_zeros(0)
        with self.timer('readback'):  # the frame's one device-to-host transfer
            host = torch.cat([top.double(), scores[top].mean().double()[None],
                              torch.sigmoid(margin[top]).mean().double()[None], deltas.flatten()]).cpu().numpy()
        k = len(top)
        top_np = host[:k].astype(np.int64)
        self.score, self.confidence = float(host[k]), float(host[k + 1])
        s.target = boxes[top_np].mean(axis=0)
        success = self.score > sp.success_thr
        s.trans = sp.trans_candidates if success else sp.trans_candidates_expand
        result = s.target.copy()
        if success and refine:
            with self.timer('bbreg'):
                result = s.bbreg.refine(boxes[top_np], host[k + 2:].reshape(k, 4), s.image_size).mean(axis=0)
        collected = self._collect(img) if success else None
        return result, success, collected

    def _collect(self, img: Tensor) -> tuple[Tensor, Tensor]:
        """Online training data around the new target (RT-MDNet: 50 pos IoU >= 0.7, 200 neg IoU <= 0.3)."""
        s, sp, g = self.state, self.cfg.sampling, self.cfg.geometry
        with self.timer('sampling'):
            pos_boxes = sample(sp.pos_update, s.target, s.image_size, s.rng, min_size=sp.min_box_size)
            neg_boxes = sample(sp.neg_update, s.target, s.image_size, s.rng, min_size=sp.min_box_size)
            scene_box = union_box(neg_boxes if len(neg_boxes) else s.target[None])
        if g.online_jitter:
            scenes = self._jitter_scenes(scene_box, s.target)
            (pos, neg), _ = self._jittered_feats(img, scenes, [pos_boxes, neg_boxes])
        else:
            scene = scene_for(scene_box, s.target[2:], g.patch_size, g.max_scene_size)
            feats = self._scene_feats(img, scene, np.concatenate([pos_boxes, neg_boxes]))
            pos, neg = feats[:len(pos_boxes)], feats[len(pos_boxes):]
        return pos, neg

    def _remember(self, pos: Tensor, neg: Tensor) -> None:
        s, a = self.state, self.cfg.adaptation
        s.pos_memory.append(pos.clone())
        s.neg_memory.append(neg.clone())
        del s.pos_memory[:-a.n_frames_long]
        del s.neg_memory[:-a.n_frames_short]

    def _adapt(self, pos: Tensor, neg: Tensor) -> None:
        """One online update; a step that leaves any weight non-finite is undone (the model keeps
        tracking with its last good weights instead of reporting NaN boxes for the rest of the video)."""
        s = self.state
        with self.timer('update'):
            in_place = getattr(s.adapter.steps['update'], 'in_place', True)
            before = {k: v.detach().clone() for k, v in s.params.items()} if in_place else dict(s.params)
            after = s.adapter.adapt(s.params, pos, neg, 'update')
            with torch.no_grad():  # chosen on the device: no read-back of the check
                finite = torch.stack([torch.isfinite(v).all() for v in after.values()]).all()
                s.params = {k: torch.where(finite, after[k], before[k]).detach() for k in after}
            s.rejected = s.rejected + (~finite).long()

    # ------------------------------------------------------------ convenience
    def track(self, frames: Iterable[object], box: object) -> SequenceResult:
        """Run over an iterable of frames; boxes, scores and seconds per frame in one result."""
        return track_sequence(self, frames, box)


def build_tracker(variant: str = 'rtmdnet', backbone: str = DEFAULT_BACKBONE, checkpoint: str | os.PathLike | None = None,
                  seed: int = 0, /, **overrides: Any) -> MetaRTTTracker:
    """`MetaRTTTracker.from_spec(TrackerSpec(...))` in one call: a checkpoint file if given, else a named
    variant (one that needs trained weights loads its shipped, sha256-verified checkpoint).

    `overrides` are dotted config paths, e.g. {'adaptation.iters_init': 5}; a 'backbone' override
    (`--override backbone=vggm`) stands for the `backbone` argument (hence positional-only arguments),
    and `device='cuda'` places the tracker.
    """
    ckpt = str(checkpoint) if checkpoint else None
    overrides = dict(overrides)
    device = str(overrides.pop('device', 'auto'))
    return MetaRTTTracker.from_spec(TrackerSpec(variant, backbone, ckpt, seed, overrides, device=device))
