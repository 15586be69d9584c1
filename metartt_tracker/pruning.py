"""One-shot channel pruning (paper §4): masks, the pruning network, and physical channel removal.

Masked layers (B = {beta_l}): the last shared conv (its C output channels, seen through the
3x3 RoI features), fc4 and fc5 (their 512 outputs); the approximation set S is those three plus
fc6 (paper: "the final shared convolutional layer and all the fully connected layers").
Eq. 10: F_B^{l+1} = beta_{l+1} * sigma(W_l F_B^l). The pruning network predicts
beta_l = mean_i MLP_l(AvgPool(F^l(x_i; theta))) over D_init (2-layer MLP, LeakyReLU, dropout);
our MLP outputs relu(1 + mlp(.)) with a zero-initialised last layer, so training starts from
"keep everything" and the L1 term can reach exact zeros (the paper does not specify the output);
optionally the clamp is straight-through in the backward pass, so a zeroed mask can come back.

At tracking time the masks are predicted once at frame 1, folded into the weights (beta >= 0, so
beta * relu(z) = relu(beta * z)) and channels with beta <= threshold are removed physically:
conv rows (and the residual slice for lite0), fc4/fc5/fc6 rows and columns, the learned step
sizes and stored RoI features shrink with them. Masks that only multiply by zero save nothing.
Adapting the pruned heads takes the same steps as adapting the masked full network (with removed
channels' masks at 0): `fold_scales` gives the adapter the factors S of the fold, the clip sees the
masked network's gradient S * g and the update is S^2 * g (`adaptation.Adapter.grad_scale`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbones import Backbone, Lite0, Nano, VGGM
from .model import Params

LAYERS = ('conv', 'fc4', 'fc5')  # masked layers, in network order


def activations(feats: Tensor, params: Params) -> dict[str, Tensor]:
    """Unmasked F^l: RoI features (conv), fc4 and fc5 activations, fc6 logits."""
    a4 = F.relu(F.linear(feats, params['fc4.weight'], params['fc4.bias']))
    a5 = F.relu(F.linear(a4, params['fc5.weight'], params['fc5.bias']))
    return {'conv': feats, 'fc4': a4, 'fc5': a5, 'fc6': F.linear(a5, params['fc6.weight'], params['fc6.bias'])}


def masked_activations(feats: Tensor, params: Params, masks: dict[str, Tensor]) -> dict[str, Tensor]:
    """F_B^l (Eq. 10): each masked layer's output multiplied channel-wise by its mask."""
    c = masks['conv'].shape[-1]
    conv = (feats.view(len(feats), c, -1) * masks['conv'].view(1, c, 1)).view(len(feats), -1)
    a4 = masks['fc4'] * F.relu(F.linear(conv, params['fc4.weight'], params['fc4.bias']))
    a5 = masks['fc5'] * F.relu(F.linear(a4, params['fc5.weight'], params['fc5.bias']))
    return {'conv': conv, 'fc4': a4, 'fc5': a5, 'fc6': F.linear(a5, params['fc6.weight'], params['fc6.bias'])}


RECONSTRUCTIONS = ('norm', 'squared', 'relative')  # per-sample error of a layer: |d|_2, |d|_2^2, |d|_2^2 / mean |F|_2^2


def _layer_error(full: Tensor, pruned: Tensor, recon: str) -> Tensor:
    diff = full - pruned
    if recon == 'norm':
        return diff.norm(dim=1)
    if recon == 'squared':
        return diff.pow(2).sum(1)
    if recon == 'relative':
        return diff.pow(2).sum(1) / full.pow(2).sum(1).mean().clamp_min(1e-12)
    raise ValueError(f'unknown reconstruction {recon!r}; choose one of {RECONSTRUCTIONS}')


def lasso_loss(feats: Tensor, params: Params, masks: dict[str, Tensor], lam: float | dict[str, float],
               recon: str = 'norm') -> Tensor:
    """Eq. 9: lambda * sum_l |beta_l|_1 + mean over samples of sum_{l in S} |F^l - F_B^l|_2.

    `lam` is the paper's one weight, or one weight per masked layer (lambda_l |beta_l|_1).
    `recon='squared'` uses |F^l - F_B^l|_2^2, the LASSO regression of He et al. 2017 that the paper
    builds on; 'relative' divides that by the layer's mean |F^l|_2^2 over the samples, so a video
    with strong activations is not pruned less than one with weak activations.
    """
    with torch.no_grad():
        full = activations(feats, params)
    pruned = masked_activations(feats, params, masks)
    errors = sum(_layer_error(full[k], pruned[k], recon) for k in full).mean()
    lams = lam if isinstance(lam, dict) else dict.fromkeys(masks, lam)
    return sum(lams[k] * m.abs().sum() for k, m in masks.items()) + errors


def channel_costs(feats: Tensor, params: Params, recon: str = 'norm') -> dict[str, Tensor]:
    """Reconstruction term of Eq. 9 when one channel alone is removed (mask 0, all others 1), per layer."""
    widths = {'conv': params['fc4.weight'].shape[1] // 9, 'fc4': params['fc4.weight'].shape[0],
              'fc5': params['fc5.weight'].shape[0]}
    dev = feats.device
    ones = {k: torch.ones(w, device=dev) for k, w in widths.items()}
    out = {}
    with torch.no_grad():
        full = activations(feats, params)
        for k, w in widths.items():
            costs = torch.empty(w, device=dev)
            for j in range(w):
                masks = dict(ones, **{k: ones[k].clone()})
                masks[k][j] = 0.0
                pruned = masked_activations(feats, params, masks)
                costs[j] = sum(_layer_error(full[n], pruned[n], recon) for n in full).mean()
            out[k] = costs
    return out


def calibrated_lambdas(costs: dict[str, Tensor], rate: float | dict[str, float], threshold: float,
                       recon: str) -> dict[str, float]:
    """Per-layer lambda at which channels pruned one at a time would remove `rate` of each layer
    (one rate for all, or a rate per layer).

    One channel with removal cost I: the norm loss (1 - m) I + lambda m drops it (m = 0) once
    lambda > I; a squared loss (1 - m)^2 I + lambda m has its minimum at m = 1 - lambda / 2I,
    below `threshold` once lambda > 2 (1 - threshold) I.
    """
    scale = 1.0 if recon == 'norm' else 2.0 * (1.0 - threshold)
    rates = rate if isinstance(rate, dict) else dict.fromkeys(costs, rate)
    return {k: scale * float(torch.quantile(c, rates[k])) for k, c in costs.items()}


def pooled_inputs(feats: Tensor, params: Params) -> dict[str, Tensor]:
    """The pruning network's inputs: AvgPool(F^l(x)) per masked layer (fc outputs are already vectors)."""
    act = activations(feats, params)
    c = params['fc4.weight'].shape[1] // 9
    return {'conv': act['conv'].view(len(feats), c, 9).mean(2), 'fc4': act['fc4'], 'fc5': act['fc5']}


class PruningNetwork(nn.Module):
    """psi: one 2-layer MLP per masked layer; masks are the mean of its outputs over D_init.

    `straight_through`: the clamp at zero passes gradients as if it were the identity, so a mask
    that reached zero can come back when the reconstruction needs it (with a plain ReLU it is dead).
    """

    def __init__(self, widths: dict[str, int], hidden: int = 128, dropout: float = 0.2, static: bool = False,
                 straight_through: bool = False) -> None:
        super().__init__()
        self.static, self.straight_through = static, straight_through
        if static:  # Table 3 "no adaptive pruning": one learned mask for every video
            self.logits = nn.ParameterDict({k: nn.Parameter(torch.zeros(w)) for k, w in widths.items()})
        else:
            self.mlps = nn.ModuleDict({k: nn.Sequential(nn.Linear(w, hidden), nn.LeakyReLU(0.1), nn.Dropout(dropout),
                                                        nn.Linear(hidden, w)) for k, w in widths.items()})
            for mlp in self.mlps.values():
                nn.init.zeros_(mlp[-1].weight)
                nn.init.zeros_(mlp[-1].bias)

    def _clamp(self, z: Tensor) -> Tensor:
        if self.straight_through:
            return z + (F.relu(z) - z).detach()
        return F.relu(z)

    def forward(self, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        if self.static:
            return {k: self._clamp(1.0 + v) for k, v in self.logits.items()}
        return {k: self._clamp(1.0 + mlp(inputs[k])).mean(0) for k, mlp in self.mlps.items()}


def kept(masks: dict[str, Tensor], threshold: float) -> dict[str, Tensor]:
    """Indices of the channels that survive (mask above the threshold; at least one per layer)."""
    out = {}
    for k, m in masks.items():
        idx = torch.nonzero(m > threshold).flatten()
        out[k] = idx if len(idx) else m.argmax().view(1)
    return out


def prune_rate(masks: dict[str, Tensor], threshold: float) -> float:
    """Fraction of masked channels removed."""
    total = sum(m.numel() for m in masks.values())
    return 1.0 - sum(len(v) for v in kept(masks, threshold).values()) / total


def layer_prune_rates(masks: dict[str, Tensor], threshold: float) -> dict[str, float]:
    """Fraction of channels removed in each masked layer."""
    return {k: 1.0 - len(v) / masks[k].numel() for k, v in kept(masks, threshold).items()}


def feature_index(conv_kept: Tensor, bins: int = 9) -> Tensor:
    """Columns of a (C*9) RoI feature that belong to the kept conv channels."""
    return (conv_kept.view(-1, 1) * bins + torch.arange(bins, device=conv_kept.device)).flatten()


def prune_heads(params: Params, masks: dict[str, Tensor], keep: dict[str, Tensor]) -> Params:
    """Fold the masks into fc4-fc6 and drop removed rows / columns: smaller tensors, same outputs."""
    scales = fold_scales(masks, keep)
    return {k: (v * scales[k]).detach() for k, v in slice_like_heads(params, keep).items()}


def fold_scales(masks: dict[str, Tensor], keep: dict[str, Tensor]) -> Params:
    """Per-element factor S with which `prune_heads` folded the masks into each kept fc tensor
    (pruned = S * masked-network weight). A gradient of the masked network is S * the pruned one."""
    mc = masks['conv'][keep['conv']].repeat_interleave(9)
    m4, m5 = masks['fc4'][keep['fc4']], masks['fc5'][keep['fc5']]
    return {'fc4.weight': m4[:, None] * mc[None, :], 'fc4.bias': m4.clone(),
            'fc5.weight': m5[:, None].expand(-1, len(keep['fc4'])).clone(), 'fc5.bias': m5.clone(),
            'fc6.weight': torch.ones(2, len(keep['fc5']), device=m5.device), 'fc6.bias': torch.ones(2, device=m5.device)}


def slice_like_heads(tensors: dict[str, Tensor], keep: dict[str, Tensor]) -> dict[str, Tensor]:
    """The same row / column selection (without folding) for tensors shaped like fc4-fc6 (step sizes)."""
    cols = feature_index(keep['conv'])
    sel = {'fc4.weight': lambda t: t[keep['fc4']][:, cols], 'fc4.bias': lambda t: t[keep['fc4']],
           'fc5.weight': lambda t: t[keep['fc5']][:, keep['fc4']], 'fc5.bias': lambda t: t[keep['fc5']],
           'fc6.weight': lambda t: t[:, keep['fc5']], 'fc6.bias': lambda t: t}
    return {k: sel[k](v).clone() for k, v in tensors.items()}


def prune_backbone(backbone: Backbone, conv_kept: Tensor) -> None:
    """Remove the last conv's dropped output channels in place (they are never computed again)."""
    if isinstance(backbone, VGGM):
        conv = backbone.conv3
    elif isinstance(backbone, (Lite0, Nano)):
        block = backbone.blocks[-1]
        conv = block.project
        block.out_index = conv_kept  # the residual input is sliced the same way
    else:
        raise TypeError(f'no channel pruning for backbone {type(backbone).__name__}')
    fmt = torch.channels_last if conv.weight.data.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    # row selection returns a plain contiguous tensor; keep the layout the backbone was tuned for
    # (a channels_last map that turns NCHW after pruning costs a copy in RoIAlign every frame)
    conv.weight = nn.Parameter(conv.weight.data[conv_kept].contiguous(memory_format=fmt), requires_grad=False)
    conv.bias = nn.Parameter(conv.bias.data[conv_kept].clone(), requires_grad=False)
    conv.out_channels = len(conv_kept)
    backbone.out_channels = len(conv_kept)


def widths_for(channels: int, fc_width: int) -> dict[str, int]:
    """Mask sizes of the masked layers for a backbone width and fc width."""
    return {'conv': channels, 'fc4': fc_width, 'fc5': fc_width}


def network_to_dict(net: PruningNetwork, widths: dict[str, int], hidden: int, dropout: float) -> dict:
    """Checkpoint payload of a pruning network (rebuilt by `network_from_dict`)."""
    return {'widths': dict(widths), 'hidden': hidden, 'dropout': dropout, 'static': net.static,
            'straight_through': net.straight_through,
            'state': {k: v.detach().clone() for k, v in net.state_dict().items()}}


def network_from_dict(d: dict) -> PruningNetwork:
    """Rebuild a pruning network from its checkpoint payload."""
    net = PruningNetwork(d['widths'], d['hidden'], d['dropout'], d['static'], d.get('straight_through', False))
    net.load_state_dict(d['state'])
    return net.eval()
