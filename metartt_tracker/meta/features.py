"""Where episodes get RoI features: a frozen-backbone cache (compact recipe) or live crops (full).

Both crop one scene per frame around the ground truth, resampled like the tracker does (target
-> 107 px, `scene.scene_for`), wide enough (`context` x mean(w, h) per side) for every sample an
episode draws, and hand out RoI features of arbitrary boxes on it (`roi_align.roi_features`).

- `FeatureCache`: maps of `frames_per_video` frames per video, computed once, kept as float16.
  Hard examples are the ground-truth RoI features of the other videos' cached frames.
- `LiveFeatures`: decodes and runs the backbone per episode with explicit (meta-learned) backbone
  parameters, so gradients reach the backbone's initial weights (paper: theta_0 on both sides of
  RoIAlign). Hard examples come from a bank of recent ground-truth features of other videos.
  `prefetch` decodes coming episodes' frames in DataLoader workers (`EpisodeFrames`), so the device
  does not wait for the video decoder; the frames are the ones the episode would decode itself.

Maps, features and hard examples live on the backbone's device.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import Tensor
from torch.func import functional_call
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ..backbones import Backbone
from ..data import Sequence
from ..roi_align import boxes_to_rois, roi_features
from ..scene import Scene, crop, scene_for, to_tensor
from .videos import load_frames, visible_frames


@dataclass
class FrameFeatures:
    """One frame's feature map over a scene around its ground-truth box."""

    fmap: Tensor  # (1, C, h, w)
    scene: Scene
    box: np.ndarray  # ground truth (x, y, w, h)
    size: tuple[int, int]  # image (width, height)


def scene_around(box: np.ndarray, context: float, patch_size: int, max_scene: int) -> Scene:
    """Scene of the target plus `context` x mean(w, h) on each side, target at patch_size px."""
    box = np.array(box, dtype=np.float64)  # a writable copy (sequence boxes are read-only)
    m = context * box[2:].mean()
    return scene_for(np.array([box[0] - m, box[1] - m, box[2] + 2 * m, box[3] + 2 * m]), box[2:], patch_size, max_scene)


def roi(backbone: Backbone, ff: FrameFeatures, boxes: np.ndarray, padding: float = 1.2) -> Tensor:
    """RoI features (N, C*9) of image boxes on a frame's map (its dtype, differentiable in the map)."""
    n, dev = len(boxes), ff.fmap.device
    rois = boxes_to_rois(torch.from_numpy(boxes).float().to(dev),
                         torch.from_numpy(ff.scene.box[:2]).float().to(dev).expand(n, 2),
                         torch.from_numpy(ff.scene.scale).float().to(dev).expand(n, 2), padding,
                         backbone.receptive_field, backbone.origin)
    return roi_features(ff.fmap, rois, 1.0 / backbone.stride)


def pick_frames(video: Sequence, k: int, rng: np.random.Generator) -> list[int]:
    """k visible frames spread evenly over the video, with a random phase (k <= 0: all of them)."""
    vis = visible_frames(video)
    if k <= 0 or len(vis) <= k:
        return vis.tolist()
    pos = (rng.random() + np.arange(k)) * len(vis) / k
    return sorted(set(vis[pos.astype(int)].tolist()))


def _device(backbone: Backbone) -> torch.device:
    return next(backbone.parameters()).device


def episode_frame_indices(video: Sequence, rng: np.random.Generator, k: int = 6) -> list[int]:
    """The k visible frames an episode of `video` uses (the episode's first draw from its rng)."""
    return sorted(rng.choice(visible_frames(video), k, replace=False).tolist())


def _float(ff: FrameFeatures) -> FrameFeatures:
    return FrameFeatures(ff.fmap.float(), ff.scene, ff.box, ff.size)


def _map(backbone: Backbone, image: np.ndarray, scene: Scene, params: dict[str, Tensor] | None) -> Tensor:
    crops = crop(to_tensor(image, _device(backbone)), [scene]).contiguous(memory_format=torch.channels_last)
    x = backbone.normalize(crops)
    return backbone(x) if params is None else functional_call(backbone, params, (x,))


class FeatureCache:
    """Compact recipe: frozen-backbone maps of a fixed set of frames per video, in float16."""

    def __init__(self, videos: list[Sequence], backbone: Backbone, frames_per_video: int, context: float,
                 max_scene: int, seed: int, patch_size: int = 107, desc: str = 'caching') -> None:
        self.backbone, self.videos = backbone, videos
        self.frames: list[list[FrameFeatures]] = []
        self.gt: list[Tensor] = []
        rng = np.random.default_rng(seed)
        with torch.inference_mode():
            for v in tqdm(videos, desc=desc, unit='video'):
                idx = pick_frames(v, frames_per_video, rng)
                entries = []
                for i, image in zip(idx, load_frames(v, idx)):
                    box = np.array(v.boxes[i])
                    scene = scene_around(box, context, patch_size, max_scene)
                    fmap = _map(backbone, image, scene, None).half()
                    entries.append(FrameFeatures(fmap, scene, box, (image.shape[1], image.shape[0])))
                self.frames.append(entries)
                self.gt.append(torch.cat([roi(backbone, _float(f), f.box[None]) for f in entries]) if entries
                               else torch.zeros(0, backbone.out_channels * 9, device=_device(backbone)))
        self.usable = [i for i, f in enumerate(self.frames) if len(f) >= 6]
        if not self.usable:
            raise ValueError('no video has 6 frames with a visible target')

    def episode_frames(self, vi: int, rng: np.random.Generator, k: int = 6,
                       params: dict[str, Tensor] | None = None) -> list[FrameFeatures]:
        """k cached frames of video vi in temporal order (maps back in float32)."""
        cached = self.frames[vi]
        return [_float(cached[j]) for j in sorted(rng.choice(len(cached), k, replace=False))]

    def hard_examples(self, vi: int, n: int, rng: np.random.Generator) -> Tensor:
        """Ground-truth RoI features of n random cached frames of other videos."""
        others = [i for i in range(len(self.videos)) if i != vi and len(self.gt[i])]
        if not others or n <= 0:
            return torch.zeros(0, self.backbone.out_channels * 9, device=_device(self.backbone))
        vids = rng.choice(others, n)
        return torch.stack([self.gt[v][rng.integers(len(self.gt[v]))] for v in vids]).float()


class LiveFeatures:
    """Full recipe: crops and backbone per episode, with explicit (meta-learned) backbone weights."""

    def __init__(self, videos: list[Sequence], backbone: Backbone, context: float, max_scene: int,
                 patch_size: int = 107, bank_size: int = 4096) -> None:
        self.backbone, self.videos = backbone, videos
        self.context, self.max_scene, self.patch_size = context, max_scene, patch_size
        self.bank: deque[tuple[int, Tensor]] = deque(maxlen=bank_size)
        self._coming: Iterator[tuple[int, list[int], list[np.ndarray]]] | None = None  # prefetched episodes
        self.usable = [i for i, v in enumerate(videos) if len(visible_frames(v)) >= 6]
        if not self.usable:
            raise ValueError('no video has 6 frames with a visible target')

    def episode_frames(self, vi: int, rng: np.random.Generator, k: int = 6,
                       params: dict[str, Tensor] | None = None) -> list[FrameFeatures]:
        """k random visible frames of video vi, in temporal order, featurised now."""
        v = self.videos[vi]
        idx = episode_frame_indices(v, rng, k)
        out = []
        for i, image in zip(idx, self._decoded(vi, idx)):
            box = np.array(v.boxes[i])
            scene = scene_around(box, self.context, self.patch_size, self.max_scene)
            ff = FrameFeatures(_map(self.backbone, image, scene, params), scene, box, (image.shape[1], image.shape[0]))
            self.bank.append((vi, roi(self.backbone, ff, ff.box[None])[0].detach()))
            out.append(ff)
        return out

    def hard_examples(self, vi: int, n: int, rng: np.random.Generator) -> Tensor:
        """n ground-truth features of other videos from the bank of recent episodes."""
        pool = [f for v, f in self.bank if v != vi]
        if not pool or n <= 0:
            return torch.zeros(0, self.backbone.out_channels * 9, device=_device(self.backbone))
        return torch.stack([pool[j] for j in rng.integers(len(pool), size=n)])

    def prefetch(self, episodes: 'EpisodeFrames', workers: int) -> None:
        """Decode the frames of `episodes` (in order) in `workers` DataLoader processes from now on."""
        loader = DataLoader(episodes, batch_size=None, num_workers=workers, collate_fn=_as_is,
                            prefetch_factor=2 if workers > 0 else None,
                            multiprocessing_context='spawn' if workers > 0 else None)  # no fork of a process holding
        #   a process group's or OpenMP's threads
        self._coming = iter(loader)

    def _decoded(self, vi: int, idx: list[int]) -> list[np.ndarray]:
        """The frames of the next prefetched episode when it is this one, else decoded here."""
        if self._coming is not None:
            got = next(self._coming, None)
            if got is not None and got[0] == vi and got[1] == idx:
                return got[2]
            self._coming = None  # out of step (e.g. a validation episode): decode inline from now on
        return list(load_frames(self.videos[vi], idx))


def _as_is(item: object) -> object:
    return item


class EpisodeFrames(Dataset):
    """Episode j of a list -> (video, frame indices, decoded frames), replaying the trainer's draws for that
    episode (`MetaTrainer._episode`: rng (seed, e), the video first, then `episode_frame_indices`)."""

    def __init__(self, source: LiveFeatures, seed: int, episodes: list[int]) -> None:
        self.videos, self.usable, self.seed, self.episodes = source.videos, source.usable, seed, episodes

    def __len__(self) -> int:
        return len(self.episodes)

    def __getitem__(self, j: int) -> tuple[int, list[int], list[np.ndarray]]:
        rng = np.random.default_rng((self.seed, self.episodes[j]))
        vi = self.usable[int(rng.integers(len(self.usable)))]
        idx = episode_frame_indices(self.videos[vi], rng)
        return vi, idx, list(load_frames(self.videos[vi], idx))
