"""The fc heads (fc4 -> fc5 -> fc6) as a functional forward over an explicit parameter dict.

RT-MDNet (modules/model.py): fc4 = Linear(C*9, 512) + ReLU; fc5 = Dropout(0.5) + Linear(512, 512)
+ ReLU; fc6 = Dropout(0.5) + Linear(512, 2). Output column 1 is the target logit, column 0 the
background logit. Taking the parameters as a dict lets the same code run plain SGD, learned
per-parameter steps, and (in meta-training) differentiate through those steps.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

HEAD_LAYERS = ('fc4', 'fc5', 'fc6')
Params = dict[str, Tensor]


def init_head_params(in_dim: int, width: int = 512, generator: torch.Generator | None = None) -> Params:
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)); RT-MDNet adds no custom init."""
    shapes = {'fc4': (width, in_dim), 'fc5': (width, width), 'fc6': (2, width)}
    params: Params = {}
    for name, (out_f, in_f) in shapes.items():
        bound = 1.0 / math.sqrt(in_f)
        params[name + '.weight'] = (torch.rand(out_f, in_f, generator=generator) * 2 - 1) * bound
        params[name + '.bias'] = (torch.rand(out_f, generator=generator) * 2 - 1) * bound
    return params


def _dropout(x: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout with an explicit generator, so training is reproducible per tracker."""
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= p
    return x * keep / (1.0 - p)


def head_forward(x: Tensor, params: Params, dropout: float = 0.0,
                 generator: torch.Generator | None = None, in_layer: str = 'fc4') -> Tensor:
    """Logits (N, 2) from RoI features (N, C*9); dropout > 0 only while training."""
    if in_layer == 'fc4':
        x = F.relu(F.linear(x, params['fc4.weight'], params['fc4.bias']))
    if dropout > 0:
        x = _dropout(x, dropout, generator)
    x = F.relu(F.linear(x, params['fc5.weight'], params['fc5.bias']))
    if dropout > 0:
        x = _dropout(x, dropout, generator)
    return F.linear(x, params['fc6.weight'], params['fc6.bias'])


def binary_loss(pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
    """RT-MDNet BinaryLoss: mean over positives and negatives of -log softmax (pos -> 1, neg -> 0)."""
    pos = -F.log_softmax(pos_logits, dim=1)[:, 1]
    neg = -F.log_softmax(neg_logits, dim=1)[:, 0]
    return (pos.sum() + neg.sum()) / (pos.numel() + neg.numel())
