"""The `nano` backbone: NanoTrack v2's ONNX converted to torch, checked against onnxruntime.

The ONNX fixture is built here with NanoTrack v2's op pattern (as `nanotrack_backbone_sim.onnx`
writes it: d-li14 MobileNetV3 blocks, SE as GlobalAveragePool -> Reshape -> Gemm -> Relu -> Gemm ->
HardSigmoid -> Reshape -> Mul, residual Adds) and random weights, so the test needs nothing from
outside the repository; onnxruntime executes that graph independently of our `forward`.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from metartt_tracker.backbones import _NANO_BLOCKS, Nano, build_backbone
from metartt_tracker.importers import WeightsError, load_nanotrack_onnx

onnx = pytest.importorskip('onnx')  # the 'onnx' extra (in the 'test' extra, so CI runs these)
ort = pytest.importorskip('onnxruntime')
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


class _Graph:
    """Emits NanoTrack v2's backbone ops with random (seeded) weights."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.rng, self.nodes, self.inits, self.size, self.n = np.random.default_rng(seed), [], [], size, 0

    def _name(self, kind: str) -> str:
        self.n += 1
        return f'{kind}_{self.n}'

    def _tensor(self, shape: tuple[int, ...], scale: float) -> str:
        name = self._name('w')
        self.inits.append(numpy_helper.from_array((self.rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs) -> str:
        out = self._name(kind)
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> str:
        # variance-preserving scale, so activations stay O(1-10) as in a trained network instead of
        # growing layer by layer (which would amplify float rounding far beyond a real model's)
        w = self._tensor((cout, cin // groups, k, k), 0.8 * (1.0 / (cin // groups * k * k)) ** 0.5)
        b = self._tensor((cout,), 0.01)
        p = (k - 1) // 2
        return self.op('Conv', [x, w, b], kernel_shape=[k, k], strides=[stride, stride], pads=[p] * 4,
                       group=groups, dilations=[1, 1])

    def se(self, x: str, c: int, hidden: int) -> str:
        s = self.op('GlobalAveragePool', [x])
        shape = self._name('shape')
        self.inits.append(numpy_helper.from_array(np.array([1, c], np.int64), shape))
        s = self.op('Reshape', [s, shape])
        s = self.op('Gemm', [s, self._tensor((hidden, c), c ** -0.5), self._tensor((hidden,), 0.1)], transB=1)
        s = self.op('Relu', [s])
        s = self.op('Gemm', [s, self._tensor((c, hidden), hidden ** -0.5), self._tensor((c,), 0.1)], transB=1)
        s = self.op('HardSigmoid', [s], alpha=1 / 6)
        shape4 = self._name('shape')
        self.inits.append(numpy_helper.from_array(np.array([1, c, 1, 1], np.int64), shape4))
        return self.op('Mul', [x, self.op('Reshape', [s, shape4])])

    def block(self, x: str, cin: int, hidden: int, cout: int, k: int, stride: int, se: int, hs: bool) -> str:
        act = 'HardSwish' if hs else 'Relu'
        y = x if hidden == cin else self.op(act, [self.conv(x, cin, hidden)])
        y = self.conv(y, hidden, hidden, k, stride, groups=hidden)
        if hidden == cin:  # d-li14 order without expansion: act, then SE
            y = self.op(act, [y])
            y = self.se(y, hidden, se) if se else y
        else:
            y = self.op(act, [self.se(y, hidden, se) if se else y])
        y = self.conv(y, hidden, cout)
        return self.op('Add', [x, y]) if stride == 1 and cin == cout else y

    def model(self) -> onnx.ModelProto:
        x, cin = self.op('HardSwish', [self.conv('input', 3, 16, 3, 2)]), 16
        for hidden, cout, k, stride, se, hs in _NANO_BLOCKS:
            x, cin = self.block(x, cin, hidden, cout, k, stride, se, hs), cout
        self.nodes[-1].output[0] = 'output'
        graph = helper.make_graph(self.nodes, 'nanotrack_like', [helper.make_tensor_value_info(
            'input', TensorProto.FLOAT, [1, 3, self.size, self.size])],
            [helper.make_tensor_value_info('output', TensorProto.FLOAT, None)], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])


@pytest.fixture(scope='module')
def nano_onnx(tmp_path_factory):
    path = tmp_path_factory.mktemp('onnx') / 'nanotrack_like.onnx'
    onnx.save(_Graph(127).model(), str(path))
    return path


def test_converted_onnx_equals_onnxruntime_at_stride_16(nano_onnx):
    model = Nano(16).eval()
    model.load_state_dict(load_nanotrack_onnx(nano_onnx))
    x = (np.random.default_rng(1).random((1, 3, 127, 127)) * 255).astype(np.float32)
    ref = ort.InferenceSession(str(nano_onnx), providers=['CPUExecutionProvider']).run(None, {'input': x})[0]
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    assert ours.shape == ref.shape == (1, 48, 8, 8)
    # same float32 arithmetic in another order (two engines, blocked convolutions): measured <= 9e-7 of the
    # map's magnitude over 20 inputs; a misplaced activation, SE or residual moves it by far more than 1e-5
    assert np.abs(ours - ref).max() <= 1e-5 * np.abs(ref).max()


def test_nano_is_batch_agnostic_and_stride_8_dilates_what_follows_the_last_stride(nano_onnx):
    state = load_nanotrack_onnx(nano_onnx)
    s8, s16 = Nano(8).eval(), Nano(16).eval()
    s8.load_state_dict(state)
    s16.load_state_dict(state)
    x = torch.rand(3, 3, 96, 96, generator=torch.Generator().manual_seed(0)) * 255
    with torch.no_grad():
        batch, single = s8(x), torch.cat([s8(x[i:i + 1]) for i in range(3)])
        assert s16(x).shape == (3, 48, 6, 6) and batch.shape == (3, 48, 12, 12)
    # batched vs one by one: the same sums in another order, measured <= 9e-7 of the map's magnitude
    assert (batch - single).abs().max() <= 1e-5 * batch.abs().max()
    assert [b.depthwise.dilation for b in s8.blocks] == [(1, 1)] * 4 + [(2, 2)] * 4
    assert s8.blocks[3].depthwise.stride == (1, 1) and s16.blocks[3].depthwise.stride == (2, 2)


def test_a_graph_that_is_not_nanotrack_v2_is_refused_with_the_file_named(tmp_path):
    g = _Graph(63)
    g.op('Sigmoid', [g.op('HardSwish', [g.conv('input', 3, 16, 3, 2)])])
    g.nodes[-1].output[0] = 'output'
    graph = helper.make_graph(g.nodes, 'other', [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, 63, 63])],
                              [helper.make_tensor_value_info('output', TensorProto.FLOAT, None)], g.inits)
    path = tmp_path / 'other.onnx'
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(WeightsError, match=r'other.onnx: node .* is a Sigmoid, not in NanoTrack v2'):
        load_nanotrack_onnx(path)
    (tmp_path / 'junk.onnx').write_bytes(b'not a model')
    with pytest.raises(WeightsError, match='junk.onnx: not a readable ONNX model'):
        load_nanotrack_onnx(tmp_path / 'junk.onnx')


def test_shipped_nano_weights_load_verified_and_take_bgr():
    bb = build_backbone('nano')
    assert (bb.stride, bb.out_channels, build_backbone('nano16').stride) == (8, 48, 16)
    rgb = torch.rand(1, 3, 8, 8) * 255
    assert torch.equal(bb.normalize(rgb), rgb[:, [2, 1, 0]])  # BGR, 0..255 as NanoTrack was trained


def test_a_tracker_runs_on_the_nano_backbone(car_frames, car_shadow):
    from metartt_tracker import MetaRTTTracker
    t = MetaRTTTracker.from_variant('rtmdnet-5-5', backbone='nano', **{'geometry.n_aug_crops': 8})
    boxes = t.track(car_frames[:4], car_shadow.init_box).boxes
    assert t.cfg.backbone == 'nano' and np.isfinite(boxes).all()
    gt = np.asarray(car_shadow.boxes)[:4]
    centre_error = np.linalg.norm((boxes[:, :2] + boxes[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2), axis=1)
    assert centre_error.max() < 40, centre_error
