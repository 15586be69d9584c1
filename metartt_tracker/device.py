"""Where tensors live: one resolver for every `device` setting ('auto', 'cpu', 'cuda', 'cuda:N').

'auto' is CUDA when torch sees a GPU, else the CPU. A CUDA request on a machine without one is a
`DeviceError` (the CLI prints its one line), never a traceback from deep inside torch.
"""
from __future__ import annotations

import argparse

import torch

DEVICE_CHOICES = "'auto' (CUDA when available, else CPU), 'cpu', 'cuda' or 'cuda:N'"


class DeviceError(ValueError):
    """A device that does not exist here (or is not spelt as torch spells it)."""


def resolve_device(name: str | torch.device | None = 'auto') -> torch.device:
    """The torch device a setting means on this machine."""
    if isinstance(name, torch.device):
        name = str(name)
    text = (name or 'auto').strip().lower()
    if text == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        device = torch.device(text)
    except RuntimeError:
        raise DeviceError(f'unknown device {name!r}; use {DEVICE_CHOICES}') from None
    if device.type == 'cpu':
        return device
    if device.type != 'cuda':
        raise DeviceError(f'device {name!r} is not supported; use {DEVICE_CHOICES}')
    if not torch.cuda.is_available():
        why = 'this torch was built without CUDA' if torch.version.cuda is None else 'no CUDA GPU is visible'
        raise DeviceError(f'device {name!r} requested but {why} (torch {torch.__version__}); use --device cpu or auto')
    index = 0 if device.index is None else device.index
    if index >= torch.cuda.device_count():
        raise DeviceError(f'device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist')
    return torch.device('cuda', index)


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (honest wall-clock timings on a GPU; nothing on the CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def describe(device: torch.device) -> str:
    """'cpu' or 'cuda:0 (NVIDIA H200)': what logs and provenance files record."""
    if device.type == 'cuda':
        return f'{device} ({torch.cuda.get_device_name(device)})'
    return str(device)


def add_device_arg(parser: argparse.ArgumentParser) -> None:
    """`--device`: where the model runs (every command that runs one has it)."""
    parser.add_argument('--device', default='auto', help=f'where the model runs: {DEVICE_CHOICES} (default auto)')
