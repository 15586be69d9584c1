"""Every tracking hyperparameter in one place, as dataclasses with a comment per field.

Defaults are RT-MDNet's (`options.py` and `tracker.py` of the official code; see
`research/rtmdnet-and-toolkits-reference.md` §1.5). Named variants (`rtmdnet`, `rtmdnet-5-5`,
`metartt`, `metartt-prune`) are small functions that override fields; they are not code forks.

Checkpoints embed `TrackerConfig.to_dict()`, so the dict carries a `schema` number and
`migrate_config` upgrades older dicts (retired keys are dropped with a note, renamed keys
moved): fields can change without breaking weights already shipped.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

DEFAULT_BACKBONE = 'nano16'  # backbone of every variant built without a checkpoint (chosen on val: weights/MODEL_CARD.md)

SCHEMA_VERSION = 3  # version of TrackerConfig.to_dict(); bump it and extend migrate_config on every field change


@dataclass
class SamplerSpec:
    """One RT-MDNet `SampleGenerator` + `gen_samples` call."""

    kind: str  # 'gaussian' | 'uniform' | 'whole' (RT-MDNet sample_generator.py)
    trans: float  # centre offset, in units of mean(w, h) of the reference box
    scale: float  # size factor base: size *= scale ** r, r in [-1, 1]
    aspect: float | None = None  # aspect jitter base (w *= a**r, h /= a**r); None = no jitter
    n: int = 0  # number of boxes wanted (rejection sampling may return fewer)
    iou: tuple[float, float] | None = None  # keep boxes whose IoU with the reference lies in range
    area: tuple[float, float] | None = None  # keep boxes whose area ratio to the reference lies in range


@dataclass
class SamplingConfig:
    """Training-data and candidate sampling (RT-MDNet `options.py` / `tracker.py`)."""

    pos_init: SamplerSpec = field(default_factory=lambda: SamplerSpec('gaussian', 0.1, 1.2, None, 500, (0.7, 1.0)))  # first-frame positives
    neg_init: SamplerSpec = field(default_factory=lambda: SamplerSpec('uniform', 1.0, 2.0, 1.1, 5000, (0.0, 0.5)))  # first-frame negatives
    bbreg: SamplerSpec = field(default_factory=lambda: SamplerSpec('uniform', 0.3, 1.5, 1.1, 1000, (0.6, 1.0), (1.0, 2.0)))  # bbox-regression training boxes
    neg_aug: SamplerSpec = field(default_factory=lambda: SamplerSpec('uniform', 0.3, 2.0, 1.1, 0, (0.0, 0.5)))  # negatives of the extra first-frame crops (n set per crop)
    pos_update: SamplerSpec = field(default_factory=lambda: SamplerSpec('gaussian', 0.1, 1.2, None, 50, (0.7, 1.0)))  # positives collected per successful frame
    neg_update: SamplerSpec = field(default_factory=lambda: SamplerSpec('uniform', 1.5, 1.2, None, 200, (0.0, 0.3)))  # negatives collected per successful frame
    n_candidates: int = 256  # candidate boxes scored per frame
    trans_candidates: float = 0.6  # candidate centre spread (x mean(w, h)) after a success
    trans_candidates_expand: float = 1.4  # candidate centre spread after a failure (expanded search)
    scale_candidates: float = 1.05  # candidate scale spread
    min_box_size: float = 5.0  # generated boxes are clipped to [min, image - min] per side (RT-MDNet: 5)
    top_k: int = 5  # the target is the mean of the top-k scoring candidates
    success_thr: float = 0.0  # a frame succeeds when the mean top-k target score exceeds this
    score: str = 'logit'  # target score: 'logit' (RT-MDNet: positive-class logit) | 'margin' (positive minus negative logit, the quantity the softmax loss trains)


@dataclass
class GeometryConfig:
    """How boxes map onto the shared feature map (RT-MDNet `samples2maskroi`, `imgCropper`)."""

    patch_size: int = 107  # the current target is resampled to patch_size x patch_size pixels
    roi_padding: float = 1.2  # every sample box is enlarged by this factor (0.1 w per side) before RoIAlign
    max_scene_size: int = 800  # cap on a scene crop side (px) so tiny, elongated targets cannot blow up memory
    init_jitter: bool = True  # first frame: 7 scene crops (shift -4 px in x / y, scale 1.1^+-1, 1.1^+-2)
    online_jitter: bool = False  # also jitter the scene when collecting online samples (RT-MDNet: off)
    n_aug_crops: int = 100  # first frame: extra target-centred crops for augmentation (RT-MDNet: 100)
    aug_crop_factor: float = 1.8  # extra crops cover this multiple of the target size
    aug_max_shift: float = 4.0  # extra crops: centre shift clip(2 randn, +-4) px
    aug_scale_base: float = 1.1  # extra crops: size factor 1.1 ** clip(randn, +-2)


@dataclass
class AdaptationConfig:
    """Online learning of the fc layers: RT-MDNet's SGD or MetaRTT's learned steps."""

    mode: str = 'sgd'  # 'sgd' (RT-MDNet) | 'meta' (MetaRTT: learned steps in both stages) | 'meta-init' (Meta-Tracker: learned initial steps, SGD online)
    iters_init: int = 50  # first-frame iterations (RT-MDNet maxiter_init=50; MetaRTT K_init=5)
    iters_update: int = 15  # online iterations per update (RT-MDNet maxiter_update=15; MetaRTT K_on=5)
    lr_init: float = 1e-4  # SGD: first-frame learning rate
    lr_update: float = 3e-4  # SGD: online learning rate
    lr_mult: dict[str, float] = field(default_factory=lambda: {'fc6': 10.0})  # SGD: per-layer lr multipliers
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 5e-4  # SGD weight decay
    grad_clip: float = 10.0  # clip the global gradient norm to this (RT-MDNet clip_grad_norm)
    batch_pos: int = 32  # positives per minibatch
    batch_neg: int = 96  # negatives per minibatch (after hard mining)
    batch_neg_cand: int = 1024  # negative candidates scored for hard-negative mining
    batch_test: int = 1024  # chunk size when scoring mining candidates (memory only; RT-MDNet's GPU used 256)
    dropout: float = 0.5  # dropout before fc5 and fc6 while training (RT-MDNet: 0.5)
    adapted: tuple[str, ...] = ('fc4', 'fc5', 'fc6')  # layers whose parameters are adapted
    n_frames_long: int = 100  # positive memory: at most this many frames
    n_frames_short: int = 20  # negative memory (and short-term positive window): frames
    long_interval: int = 10  # long-term update every this many frames (on success)
    init_pos_memory: int = 50  # first-frame positives kept in the update memory
    init_neg_memory: int = 200  # first-frame negatives kept in the update memory


@dataclass
class BBRegConfig:
    """Ridge bounding-box regression on RoI features (RT-MDNet `bbreg.py`)."""

    enabled: bool = True  # refine the box on successful frames
    alpha: float = 1000.0  # ridge penalty
    gate_iou: float = 0.6  # keep the input box when IoU(input, prediction) is below this
    gate_area: tuple[float, float] = (1.0, 2.0)  # ...or when area(input)/area(prediction) leaves this range


@dataclass
class PruningConfig:
    """One-shot channel pruning at frame 1 (paper §4)."""

    enabled: bool = False  # predict channel masks at frame 1 and remove channels (needs a trained pruning network)
    threshold: float = 0.1  # channels whose predicted mask is <= this are removed
    scale: bool = True  # kept channels are scaled by their mask value (paper Eq. 10); False: selection only


@dataclass
class TrackerConfig:
    """Everything a `MetaRTTTracker` needs besides weights."""

    variant: str = 'rtmdnet'  # name of the variant this config came from
    backbone: str = DEFAULT_BACKBONE  # registry key in metartt_tracker.backbones ('nano16' | 'nano' | 'lite0' | 'vggm')
    fc_width: int = 512  # width of fc4 and fc5
    sampling: SamplingConfig = field(default_factory=SamplingConfig)  # sampling numbers
    geometry: GeometryConfig = field(default_factory=GeometryConfig)  # crop / RoI geometry
    adaptation: AdaptationConfig = field(default_factory=AdaptationConfig)  # online learning
    bbreg: BBRegConfig = field(default_factory=BBRegConfig)  # bounding-box regression
    pruning: PruningConfig = field(default_factory=PruningConfig)  # one-shot channel pruning
    device: str = 'auto'  # where the tracker runs: 'auto' (CUDA when available), 'cpu', 'cuda', 'cuda:N'; a
    #   property of this process, not of the model: checkpoints never store it, so they load on any device

    @property
    def needs_meta_weights(self) -> bool:
        """True when the config cannot track without trained weights (learned step sizes or a pruning network)."""
        return self.adaptation.mode != 'sgd' or self.pruning.enabled

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict with its schema number (for checkpoints and provenance files); `device` is left
        out (where a model runs is not part of it)."""
        d = dataclasses.asdict(self)
        d.pop('device')
        return {'schema': SCHEMA_VERSION, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> 'TrackerConfig':
        """Inverse of `to_dict`, after `migrate_config`; unknown keys raise so stale checkpoints are noticed."""
        d, notes = migrate_config(d)
        for note in notes:
            _log.info('config migration: %s', note)
        return _build(cls, d)

    def replace(self, **overrides: Any) -> 'TrackerConfig':
        """Copy with dotted-path overrides, e.g. replace(**{'adaptation.iters_init': 5}); renamed
        paths of older schemas (e.g. 'prune_scale' -> 'pruning.scale') are accepted."""
        overrides = dict(overrides)
        device = str(overrides.pop('device', self.device))
        d = self.to_dict()
        for path, value in overrides.items():
            if path in RETIRED:
                raise KeyError(f'config field {path!r} was retired: {RETIRED[path]}')
            node = d
            *parents, leaf = RENAMED.get(path, path).split('.')
            for p in parents:
                if not isinstance(node.get(p), dict):
                    raise KeyError(f'unknown config field {path!r}')
                node = node[p]
            if leaf not in node or leaf == 'schema':
                raise KeyError(f'unknown config field {path!r}')
            node[leaf] = value
        return dataclasses.replace(TrackerConfig.from_dict(d), device=device)


_log = logging.getLogger(__name__)

RETIRED = {  # schema-1 keys that no longer exist -> why they are dropped
    'threads': 'torch threads are a process setting (--threads), not part of a tracker',
    'needs_meta_weights': 'derived from adaptation.mode and pruning.enabled',
}
RENAMED = {  # schema-1 dotted paths -> their schema-2 paths
    'prune': 'pruning.enabled', 'prune_threshold': 'pruning.threshold', 'prune_scale': 'pruning.scale',
}


def migrate_config(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Upgrade a `TrackerConfig` dict of any known schema to SCHEMA_VERSION; returns it and notes
    on what changed. A dict without `schema` is schema 1 (checkpoints written before versioning)."""
    d = dict(d)
    version = d.pop('schema', 1)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise KeyError(f'config schema {version!r} is not supported (this MetaRTT reads 1..{SCHEMA_VERSION}); '
                       f'a newer MetaRTT wrote it')
    notes: list[str] = []
    if version < 2:
        for key, why in RETIRED.items():
            if key in d:
                notes.append(f'dropped retired key {key!r}={d.pop(key)!r} ({why})')
        pruning = dict(d.get('pruning') or {})
        for old, new in RENAMED.items():
            if old in d:
                pruning[new.split('.')[1]] = d.pop(old)
                notes.append(f'moved {old!r} to {new!r}')
        if pruning:
            d['pruning'] = pruning
    if version < 3 and 'backbone' not in d:
        d['backbone'] = 'lite0'  # the default until schema 3
        notes.append("no 'backbone': set to 'lite0', the default when this config was written")
    return d, notes


def _build(cls: type, d: dict[str, Any]) -> Any:
    """Recursively turn nested dicts back into the dataclasses above."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(d) - set(fields)
    if unknown:
        raise KeyError(f'{cls.__name__}: unknown config fields {sorted(unknown)}')
    kwargs = {}
    for name, value in d.items():
        ftype = fields[name].type
        sub = _NESTED.get(ftype) if isinstance(ftype, str) else None
        if sub is not None and isinstance(value, dict):
            value = _build(sub, value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


_NESTED = {
    'SamplerSpec': SamplerSpec, 'SamplingConfig': SamplingConfig, 'GeometryConfig': GeometryConfig,
    'AdaptationConfig': AdaptationConfig, 'BBRegConfig': BBRegConfig, 'PruningConfig': PruningConfig,
}


def _rtmdnet(**kw: Any) -> TrackerConfig:
    return TrackerConfig(variant='rtmdnet', **kw)


def _rtmdnet_5_5(**kw: Any) -> TrackerConfig:
    cfg = TrackerConfig(variant='rtmdnet-5-5', **kw)
    cfg.adaptation.iters_init = 5
    cfg.adaptation.iters_update = 5
    return cfg


def _metartt(**kw: Any) -> TrackerConfig:
    cfg = TrackerConfig(variant='metartt', **kw)
    cfg.adaptation.mode = 'meta'
    cfg.adaptation.iters_init = 5  # paper §5: K_init = 5
    cfg.adaptation.iters_update = 5  # paper §5: K_on = 5
    return cfg


def _metartt_prune(**kw: Any) -> TrackerConfig:
    cfg = _metartt(**kw)
    cfg.variant = 'metartt-prune'
    cfg.pruning.enabled = True
    return cfg


def _metatracker(**kw: Any) -> TrackerConfig:
    cfg = TrackerConfig(variant='metatracker', **kw)
    cfg.adaptation.mode = 'meta-init'  # Meta-Tracker (Park & Berg 2018): meta-learned first frame only
    cfg.adaptation.iters_init = 5
    return cfg


VARIANTS: dict[str, Callable[..., TrackerConfig]] = {
    'rtmdnet': _rtmdnet,  # RT-MDNet: SGD, 50 initial / 15 online iterations
    'rtmdnet-5-5': _rtmdnet_5_5,  # RT-MDNet with MetaRTT's iteration budget (Table 2 row)
    'metartt': _metartt,  # meta-learned init and step sizes, K_init = K_on = 5
    'metartt-prune': _metartt_prune,  # MetaRTT + one-shot channel pruning
    'metatracker': _metatracker,  # Table 1 baseline: learned initial adaptation, RT-MDNet SGD online
}


def variant_config(name: str, **kw: Any) -> TrackerConfig:
    """Config of a named variant; `kw` sets top-level fields such as backbone."""
    if name not in VARIANTS:
        raise ValueError(f'unknown variant {name!r}; choose one of {sorted(VARIANTS)}')
    return VARIANTS[name](**kw)


class OverrideError(ValueError, argparse.ArgumentTypeError):
    """A malformed KEY=VALUE override (argparse prints its message as is)."""


def parse_override(text: str) -> tuple[str, Any]:
    """'key=value' for `--override` / `--set`: the value read as JSON, else as a Python literal, else a string.

    'geometry.n_aug_crops=8' -> ('geometry.n_aug_crops', 8); 'pruning.scale=false' -> ('pruning.scale', False).
    """
    key, sep, raw = text.partition('=')
    if not sep or not key.strip():
        raise OverrideError(f'an override is KEY=VALUE (e.g. geometry.n_aug_crops=8), got {text!r}')
    try:
        return key.strip(), json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return key.strip(), ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return key.strip(), raw
