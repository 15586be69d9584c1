"""Meta-training settings: one dataclass, two recipes (`full`, `compact`), ablations as switches.

Paper §5 fixes: 6-frame episodes (1 -> D_init, 2-5 -> D_on, 6 -> D_test^std), K_init = K_on = 5,
Adam with lr 1e-4, 40K episodes; pruning network trained with Adam 5e-5 for 30K iterations.
The paper gives no values for gamma, xi, the meta-batch size, the initial step sizes or the
sample counts inside episodes: those fields say "our choice" and follow RT-MDNet where it has one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..config import DEFAULT_BACKBONE


@dataclass
class MetaConfig:
    """Everything `metartt train meta` / `train prune` needs besides data paths."""

    recipe: str = 'compact'  # 'compact' (this CPU: frozen backbone, cached maps) | 'full' (paper scale; GPU)
    backbone: str = DEFAULT_BACKBONE  # backbone registry key (the trackers' default)
    seed: int = 0  # every episode's randomness derives from (seed, episode index)
    # --- schedule
    episodes: int = 1600  # simulated episodes in total (paper: 40K)
    meta_batch: int = 4  # episodes per Adam step (our choice; Meta-Tracker used 8)
    lr: float = 1e-4  # Adam learning rate of the meta-parameters (paper)
    alpha_lr: float = 1e-4  # Adam learning rate of the step sizes (paper: one lr for all of M; Meta-SGD: a larger one)
    alpha_init: float = 3e-2  # initial value of every step size (our choice; chosen on val.txt, see the model card)
    alpha_min: float | None = 0.0  # step sizes are clipped to >= this after every Adam step (None = free, as in Meta-SGD; our choice: a negative step is gradient ascent)
    k_init: int = 5  # initial-adaptation steps (paper: 5)
    k_on: int = 5  # online-adaptation steps (paper: 5)
    # --- episode contents (RT-MDNet sampling rules; counts are our choice for CPU)
    frames_per_video: int = 24  # compact: cached frames per video to draw the 6 episode frames from (0 = every visible frame)
    pseudo_videos: int = 0  # extra 6-frame pseudo-videos from still annotated frames (MetaRTT+COCO; paper: COCO
    #   images; without COCO, frames of the training videos): random resize and shift of one still (paper §5)
    n_pos_init: int = 128  # D_init positives (RT-MDNet tracking: 500)
    n_neg_init: int = 1024  # D_init negatives (RT-MDNet tracking: 5000)
    n_candidates: int = 256  # candidates scored to estimate the target in frames 2-5
    n_pos_test: int = 64  # D_test^std positives (frame 6)
    n_neg_test: int = 256  # D_test^std negatives (frame 6)
    n_hard: int = 64  # D_test^hard: ground-truth patches of other videos, all negative
    gamma: float = 1.0  # weight of the triplet loss in L_test (Eq. 4; our choice)
    margin: float = 0.5  # triplet margin xi (Eq. 5; our choice)
    context: float = 2.0  # cached scene: target plus this many mean(w, h) on each side
    max_scene: int = 448  # cap on a cached scene side (px)
    # --- what is meta-learned
    meta_backbone: bool = False  # also meta-learn the backbone's initial weights (paper: yes; compact: frozen)
    # --- ablations (Table 1)
    use_estimated_targets: bool = True  # D_on from targets estimated by theta_init (False: ground truth)
    use_hard_examples: bool = True  # triplet term with D_test^hard (False: CE on D_test^std only)
    lr_shape: str = 'per-param'  # 'per-param' (alpha per parameter and iteration) | 'scalar' (one learned scalar)
    online_stage: bool = True  # simulate online adaptation (False: Meta-Tracker-style initial adaptation only)
    # --- bookkeeping
    ckpt_every: int = 25  # Adam steps between resumable checkpoints
    val_every: int = 25  # Adam steps between validation passes (each keeps metartt_best.pt if it is the lowest)
    val_episodes: int = 32  # fixed episodes per validation pass
    snapshot_every: int = 0  # Adam steps between kept tracker checkpoints snapshots/metartt_EEEEEE.pt (0 = none)
    threads: int = 0  # torch threads (0 = torch's default)
    device: str = 'auto'  # where training runs: 'auto' (CUDA when available), 'cpu', 'cuda', 'cuda:N'; under torchrun
    #   a CUDA run takes cuda:LOCAL_RANK
    dist_backend: str = 'auto'  # torchrun process group: 'auto' (nccl on CUDA, gloo on the CPU) | 'nccl' | 'gloo'
    #   (gloo also for several ranks on one GPU, which NCCL refuses)
    workers: int = 2  # full recipe: DataLoader processes decoding episode frames ahead of the device (0 = inline)
    stop_after: int = 0  # leave (state saved) after this many Adam steps of this session; 0 = run to the end. A
    #   long run split over sessions (job time limits) resumes with the same command
    # --- pruning (paper §4)
    prune_iters: int = 3000  # pruning-network Adam steps (paper: 30K)
    prune_lr: float = 5e-4  # pruning-network Adam lr (paper: 5e-5 over 30K steps; 10x for 10x fewer steps)
    prune_lambda: float = 0.1  # initial LASSO weight lambda (Eq. 9; our choice; steered towards prune_target)
    prune_hidden: int = 128  # hidden width of each per-layer MLP (our choice)
    prune_dropout: float = 0.2  # dropout inside the MLP (paper: "dropout regularization")
    prune_threshold: float = 0.1  # |beta| below this is a removed channel at tracking time (our choice)
    prune_target: float = 0.5  # lambda is steered towards this prune rate (paper reports 50 +- 5 %)
    prune_per_layer: bool = False  # one lambda per masked layer, started where removing channels one at a time would prune that layer's target (prune_target, or its prune_layer_targets entry), each steered to it (our choice)
    prune_recon: str = 'norm'  # Eq. 9 error per layer: 'norm' |F - F_B|_2 (as printed) | 'squared' |F - F_B|_2^2 (He et al. 2017 LASSO) | 'relative' (squared / the layer's mean |F|^2)
    prune_layer_targets: dict[str, float] | None = None  # per-layer mode only: fixed prune rates for named layers, e.g. {"conv": 0.25}; the other layers share one rate chosen so the whole network still prunes prune_target of its channels
    prune_straight_through: bool = False  # the mask's clamp at zero passes gradients, so a removed channel can return (with a plain ReLU, as in the paper's MLP, a mask that reached zero stays dead)
    prune_meta: bool = True  # whole-episode objective Eq. 11 (False: first frame only, Table 3 ablation)
    prune_static: bool = False  # one video-independent mask (Table 3 "no adaptive pruning")
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes stored with the checkpoint

    def replace(self, **kw: Any) -> 'MetaConfig':
        """Copy with fields changed; unknown names raise."""
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


RECIPES: dict[str, MetaConfig] = {
    # paper scale: 40K episodes, backbone initial weights meta-learned too, RT-MDNet sample counts
    'full': MetaConfig(recipe='full', episodes=40000, meta_batch=8, meta_backbone=True, n_pos_init=500,
                       n_neg_init=5000, n_pos_test=128, n_neg_test=512, prune_iters=30000, prune_lr=5e-5, max_scene=800,
                       ckpt_every=200, val_every=1000),
    # this CPU, about 25 min on one core: frozen backbone, feature maps cached once; step sizes on their own
    # Adam lr (Meta-SGD practice; 1e-3 chosen on val); pruning with one lambda per layer on the relative
    # squared error, conv 25 % / fc5 85 % / fc4 17 % (nano16's 48 conv channels), 1500 steps (why: model card)
    'compact': MetaConfig(alpha_lr=1e-3, prune_iters=1500, prune_per_layer=True, prune_recon='relative',
                          prune_straight_through=True, prune_layer_targets={'conv': 0.25, 'fc5': 0.85}),
}

ABLATIONS: dict[str, dict[str, Any]] = {
    'metartt': {},
    'no-estimated-targets': {'use_estimated_targets': False},
    'no-hard-examples': {'use_hard_examples': False},
    'scalar-lr': {'lr_shape': 'scalar'},
    'metatracker': {'online_stage': False, 'use_hard_examples': False},
    'metatracker-hard': {'online_stage': False},
    'coco': {'pseudo_videos': 400},  # MetaRTT+COCO: the videos plus still-image pseudo-videos (our count)
}


def recipe(name: str, ablation: str = 'metartt', **overrides: Any) -> MetaConfig:
    """A named recipe with a named Table 1 ablation and field overrides applied (overrides win)."""
    if name not in RECIPES:
        raise ValueError(f'unknown recipe {name!r}; choose one of {sorted(RECIPES)}')
    if ablation not in ABLATIONS:
        raise ValueError(f'unknown ablation {ablation!r}; choose one of {sorted(ABLATIONS)}')
    return RECIPES[name].replace(**{**ABLATIONS[ablation], **overrides})
