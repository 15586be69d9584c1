"""Where training runs: the device of this process and the torchrun process group.

Under torchrun every process reads LOCAL_RANK; a CUDA run puts rank r on cuda:r (modulo the GPUs there
are). The process-group backend follows the device unless named: NCCL for CUDA tensors, gloo for CPU
tensors (NCCL cannot all-reduce CPU tensors: training on the CPU of a CUDA machine used to pick it and
fail at the first step). Several ranks on one GPU need gloo: NCCL refuses two ranks on one device.
"""
from __future__ import annotations

import os

import torch

from ..device import DeviceError, resolve_device

BACKENDS = ('auto', 'nccl', 'gloo')


def training_device(name: str = 'auto') -> torch.device:
    """This process's device: `name` resolved, with a bare CUDA request taking cuda:LOCAL_RANK under torchrun."""
    device = resolve_device(name)
    local = os.environ.get('LOCAL_RANK')
    if device.type == 'cuda' and local is not None and (name in ('auto', 'cuda') or name is None):
        device = torch.device('cuda', int(local) % torch.cuda.device_count())
    return device


def backend_for(device: torch.device, requested: str = 'auto') -> str:
    """The process-group backend for tensors on `device`."""
    if requested not in BACKENDS:
        raise ValueError(f'unknown distributed backend {requested!r}; choose one of {BACKENDS}')
    if requested == 'auto':
        return 'nccl' if device.type == 'cuda' else 'gloo'
    if requested == 'nccl' and device.type != 'cuda':
        raise DeviceError(f'--dist-backend nccl all-reduces CUDA tensors only, but training runs on {device}; '
                          f'use gloo (or auto)')
    return requested


def join_process_group(device: torch.device, requested: str = 'auto') -> str | None:
    """Join the torchrun job this process was started by (env:// rendezvous); None when not under torchrun."""
    if int(os.environ.get('WORLD_SIZE', '1')) <= 1:
        return None
    import torch.distributed as dist
    backend = backend_for(device, requested)
    if device.type == 'cuda':
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return dist.get_backend()
