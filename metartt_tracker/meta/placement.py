"""Where training runs: the device of this process and the torchrun process group.

Under torchrun every process reads LOCAL_RANK; a CUDA run puts rank r on cuda:r (modulo the GPUs there
are). The process-group backend follows the device unless named: NCCL for CUDA tensors, gloo for CPU
tensors (NCCL cannot all-reduce CPU tensors: training on the CPU of a CUDA machine used to pick it and
fail at the first step). Several ranks on one GPU need gloo: NCCL refuses two ranks on one device.
"""
from __future__ import annotations

import datetime
import os

import torch

from ..device import DeviceError, resolve_device

BACKENDS = ('auto', 'nccl', 'gloo')


def training_device(name: str | None = 'auto') -> torch.device:
    """This process's device: `name` resolved, with a bare CUDA request taking cuda:LOCAL_RANK under torchrun."""
    device = resolve_device(name)
    local = os.environ.get('LOCAL_RANK')
    if device.type == 'cuda' and local is not None and (name or 'auto').strip().lower() in ('auto', 'cuda'):
        device = torch.device('cuda', int(local) % torch.cuda.device_count())
    return device


def ranks_share_a_gpu() -> bool:
    """More torchrun processes on this machine than GPUs (or every rank told to use one): NCCL refuses that."""
    return torch.cuda.is_available() and int(os.environ.get('LOCAL_WORLD_SIZE', '1')) > torch.cuda.device_count()


def backend_for(device: torch.device, requested: str = 'auto', shared: bool = False) -> str:
    """The process-group backend for tensors on `device` (`shared`: several ranks use one GPU)."""
    if requested not in BACKENDS:
        raise ValueError(f'unknown distributed backend {requested!r}; choose one of {BACKENDS}')
    if requested == 'auto':
        return 'nccl' if device.type == 'cuda' and not shared else 'gloo'
    if requested == 'nccl' and device.type != 'cuda':
        raise DeviceError(f'--dist-backend nccl all-reduces CUDA tensors only, but training runs on {device}; '
                          f'use gloo (or auto)')
    if requested == 'nccl' and shared:
        raise DeviceError('--dist-backend nccl: several processes share one GPU here, which NCCL refuses; '
                          'use gloo (or auto), or one process per GPU')
    return requested


def join_process_group(name: str = 'auto', requested: str = 'auto') -> str | None:
    """Join the torchrun job this process was started by (env:// rendezvous) with the backend for the device
    `name` means here; None when not under torchrun. Every rank decides from the same facts, so they agree."""
    if int(os.environ.get('WORLD_SIZE', '1')) <= 1:
        return None
    import torch.distributed as dist
    device = training_device(name)
    pinned = device.type == 'cuda' and (name or '').strip().lower().startswith('cuda:')  # every rank on one index
    shared = device.type == 'cuda' and (ranks_share_a_gpu() or (pinned and int(os.environ.get('LOCAL_WORLD_SIZE', '1')) > 1))
    backend = backend_for(device, requested, shared)
    if device.type == 'cuda':
        torch.cuda.set_device(device)
    if not dist.is_initialized():  # rank 0 validates alone while the others wait in all_reduce: a long timeout
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=60))
    return dist.get_backend()
