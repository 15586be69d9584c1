"""Tests for metartt_tracker.importers on synthetic files with the official layouts."""

from __future__ import annotations

import copyreg
import io
import pickle
import types
from collections import OrderedDict

import numpy as np
import pytest
import scipy.io
import torch

from metartt_tracker.importers import (
    PARAM_SHAPES,
    RTMDNET_PTH_KEYS,
    WeightsError,
    load_rtmdnet_pth,
    load_vggm_mat,
)

# ----------------------------------------------------------------------------- builders

OFFICIAL_SHAPES = OrderedDict(
    [
        ("conv1.0.weight", (96, 3, 7, 7)),
        ("conv1.0.bias", (96,)),
        ("conv2.0.weight", (256, 96, 5, 5)),
        ("conv2.0.bias", (256,)),
        ("conv3.0.weight", (512, 256, 3, 3)),
        ("conv3.0.bias", (512,)),
        ("fc4.0.weight", (512, 4608)),
        ("fc4.0.bias", (512,)),
        ("fc5.1.weight", (512, 512)),
        ("fc5.1.bias", (512,)),
    ]
)


@pytest.fixture(scope="module")
def official_sd() -> OrderedDict:
    g = torch.Generator().manual_seed(0)
    return OrderedDict((k, torch.randn(s, generator=g)) for k, s in OFFICIAL_SHAPES.items())


@pytest.fixture(scope="module")
def official_pth(tmp_path_factory, official_sd):
    """The official layout, saved once and shared by the read-only tests."""
    return _save({"shared_layers": official_sd}, tmp_path_factory.mktemp("pth") / "rt-mdnet.pth")


@pytest.fixture(scope="module")
def py2_bytes(official_sd) -> dict:
    return {latin1: _legacy_py2_bytes(official_sd, latin1) for latin1 in (False, True)}


def _save(obj, path, **kw):
    torch.save(obj, path, **kw)
    return path


def _assert_matches(out: dict, sd: dict) -> None:
    assert list(out) == [RTMDNET_PTH_KEYS[k] for k in OFFICIAL_SHAPES]
    for src, dst in RTMDNET_PTH_KEYS.items():
        assert out[dst].dtype == torch.float32
        assert tuple(out[dst].shape) == PARAM_SHAPES[dst]
        assert torch.equal(out[dst], sd[src]), dst


def _legacy_py2_bytes(sd: OrderedDict, extra_latin1: bool = False) -> bytes:
    """Mimic a Python 2 / torch 0.3 GPU checkpoint: legacy (non-zip) format, pickle protocol 2,
    tensors via torch._utils._rebuild_tensor (v1), OrderedDict pickled as a list of [k, v],
    keys as py2 byte strings (SHORT_BINSTRING) and cuda storages at 'cuda:0'."""
    sd = OrderedDict((k, v.clone()) for k, v in sd.items())
    if extra_latin1:  # a non-UTF-8 py2 str somewhere in the pickle -> needs encoding='latin1'
        sd._metadata = OrderedDict([("", {"version": 1, "note": "caf\xe9"})])

    def red_tensor(t):
        st = torch.storage.TypedStorage(
            wrap_storage=t.untyped_storage(), dtype=t.dtype, _internal=True
        )
        return (torch._utils._rebuild_tensor, (st, t.storage_offset(), tuple(t.size()), t.stride()))

    def red_od(o):
        items = [[k, o[k]] for k in o]
        inst = vars(o).copy()
        return (OrderedDict, (items,), inst) if inst else (OrderedDict, (items,))

    class Py2Pickler(pickle.Pickler):
        dispatch_table = copyreg.dispatch_table.copy()
        dispatch_table[torch.Tensor] = red_tensor
        dispatch_table[OrderedDict] = red_od

    mod = types.SimpleNamespace(
        __name__="py2pickle", Pickler=Py2Pickler, dump=pickle.dump,
        Unpickler=pickle.Unpickler, load=pickle.load,
    )
    buf = io.BytesIO()
    torch.save({"shared_layers": sd}, buf, pickle_module=mod, pickle_protocol=2,
               _use_new_zipfile_serialization=False)
    data = buf.getvalue()
    assert b"_rebuild_tensor\n" in data and b"_rebuild_tensor_v2" not in data

    def py2_str(s: str, enc: str = "ascii") -> tuple[bytes, bytes]:
        u = s.encode("utf-8")
        b = s.encode(enc)
        return b"X" + len(u).to_bytes(4, "little") + u, b"U" + bytes([len(b)]) + b

    for s in ["shared_layers", *OFFICIAL_SHAPES]:
        old, new = py2_str(s)
        assert data.count(old) == 1, s
        data = data.replace(old, new)
    if extra_latin1:
        old, new = py2_str("caf\xe9", "latin1")
        assert data.count(old) == 1
        data = data.replace(old, new)
    for old, new in [(b"ctorch\nFloatStorage\n", b"ctorch.cuda\nFloatStorage\n"),
                     (b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")]:
        assert old in data
        data = data.replace(old, new)
    return data


VGGM_CONVS = [("conv1", (7, 7, 3, 96)), ("conv2", (5, 5, 96, 256)), ("conv3", (3, 3, 256, 512))]


def _struct(**fields) -> np.ndarray:
    """A 1x1 MATLAB struct (structured ndarray with object fields), as loadmat returns it."""
    s = np.empty((1, 1), dtype=[(k, object) for k in fields])
    for k, v in fields.items():
        s[0, 0][k] = v
    return s


def _cell(*items) -> np.ndarray:
    c = np.empty((1, len(items)), dtype=object)
    for i, v in enumerate(items):
        c[0, i] = v
    return c


def _conv_layer(name, filters, biases, old_format=False, with_name=True):
    extra = dict(stride=np.array([[1.0, 1.0]]), pad=np.array([[0.0, 0.0, 0.0, 0.0]]))
    named = dict(name=name) if with_name else {}
    if old_format:
        return _struct(type="conv", **named, filters=filters, biases=biases, **extra)
    return _struct(type="conv", **named, weights=_cell(filters, biases), **extra)


def _vggm_layers(convs: dict, old_format=False, with_name=True, seed=1):
    """MatConvNet SimpleNN VGG-M layer list: conv/relu/norm/pool x2, conv3, relu3, then later
    conv layers (conv4, fc6-as-conv) that the importer must ignore."""
    rng = np.random.default_rng(seed)

    def other(typ, name, **kw):
        named = dict(name=name) if with_name else {}
        return _struct(type=typ, **named, **kw)

    def conv(name):
        f, b = convs[name]
        return _conv_layer(name, f, b, old_format, with_name)

    small = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    layers = [
        conv("conv1"), other("relu", "relu1"),
        other("lrn", "norm1", param=np.array([[5.0, 2.0, 1e-4, 0.75]])),
        other("pool", "pool1", method="max", pool=np.array([[3.0, 3.0]])),
        conv("conv2"), other("relu", "relu2"),
        other("lrn", "norm2", param=np.array([[5.0, 2.0, 1e-4, 0.75]])),
        other("pool", "pool2", method="max", pool=np.array([[3.0, 3.0]])),
        conv("conv3"), other("relu", "relu3"),
        _conv_layer("conv4", small(3, 3, 512, 8), small(8, 1), old_format, with_name),
        other("relu", "relu4"),
        _conv_layer("fc6", small(6, 6, 8, 4), small(1, 4), old_format, with_name),
        other("softmax", "prob"),
    ]
    return _cell(*layers)


@pytest.fixture(scope="module")
def vggm_convs() -> dict:
    rng = np.random.default_rng(0)
    out = {}
    for i, (name, shape) in enumerate(VGGM_CONVS):
        f = np.asfortranarray(rng.standard_normal(shape).astype(np.float32))
        cout = shape[3]
        # conv1/conv3: Cout x 1 (what RT-MDNet's bias[:, 0] expects); conv2: 1 x Cout.
        b = rng.standard_normal((cout, 1) if i != 1 else (1, cout)).astype(np.float32)
        out[name] = (f, b)
    return out


def _save_mat(path, layers, compress=False):
    """Save like MatConvNet (`layers` + `meta`); the real files are zlib-compressed (-v7), but
    compression is slow, so only the main round-trip tests use it."""
    meta = _struct(classes=_struct(name=_cell("a", "b")),
                   normalization=_struct(averageImage=np.zeros((1, 3))))
    scipy.io.savemat(str(path), {"layers": layers, "meta": meta}, do_compression=compress)
    return path


def _assert_vggm(out: dict, convs: dict) -> None:
    assert list(out) == [f"{n}.{p}" for n, _ in VGGM_CONVS for p in ("weight", "bias")]
    for name, (f, b) in convs.items():
        w = out[f"{name}.weight"]
        assert w.dtype == torch.float32 and tuple(w.shape) == PARAM_SHAPES[f"{name}.weight"]
        # weight[o, i, y, x] == filters[y, x, i, o], checked by value.
        o, i, y, x = (s - 1 for s in w.shape)
        assert w[o, i, y, x].item() == f[y, x, i, o]
        assert w[1, 2, 0, 1].item() == f[0, 1, 2, 1]
        assert np.array_equal(w.numpy(), f.transpose(3, 2, 0, 1))
        assert np.array_equal(out[f"{name}.bias"].numpy(), b.reshape(-1))


def _raises(fn, path, *needles):
    with pytest.raises(WeightsError) as ei:
        fn(path)
    msg = str(ei.value)
    assert str(path) in msg, msg
    for n in needles:
        assert n in msg, msg
    return msg


# ----------------------------------------------------------------------------- .pth


def test_pth_official_format(official_pth, official_sd):
    _assert_matches(load_rtmdnet_pth(official_pth), official_sd)
    _assert_matches(load_rtmdnet_pth(str(official_pth)), official_sd)


def test_pth_bare_state_dict(tmp_path, official_sd):
    p = _save(OrderedDict(official_sd), tmp_path / "bare.pth")
    _assert_matches(load_rtmdnet_pth(p), official_sd)


def test_pth_legacy_python2_torch0x(tmp_path, official_sd, py2_bytes):
    p = tmp_path / "rt-mdnet.pth"
    p.write_bytes(py2_bytes[False])
    _assert_matches(load_rtmdnet_pth(p), official_sd)


def test_pth_legacy_latin1_fallback(tmp_path, official_sd, py2_bytes):
    p = tmp_path / "rt-mdnet.pth"
    p.write_bytes(py2_bytes[True])
    with pytest.raises(UnicodeDecodeError):  # plain utf-8 weights-only load fails on the py2 str
        torch.load(p, map_location="cpu", weights_only=True)
    _assert_matches(load_rtmdnet_pth(p), official_sd)


def test_pth_result_is_independent_copy(official_pth, official_sd):
    out = load_rtmdnet_pth(official_pth)
    out["conv1.weight"].zero_()
    again = load_rtmdnet_pth(official_pth)["conv1.weight"]
    assert torch.equal(again, official_sd["conv1.0.weight"])
    assert all(t.is_contiguous() and not t.requires_grad for t in out.values())


def test_pth_missing_file(tmp_path):
    _raises(load_rtmdnet_pth, tmp_path / "nope.pth", "not found")


def test_pth_directory(tmp_path):
    _raises(load_rtmdnet_pth, tmp_path, "not a regular file")


def test_pth_empty_file(tmp_path):
    p = tmp_path / "empty.pth"
    p.write_bytes(b"")
    _raises(load_rtmdnet_pth, p, "empty")


GARBAGE = [bytes(range(256)) * 8, b"hello world\n" * 40, b"PK\x03\x04junk" * 30]


@pytest.mark.parametrize("data", GARBAGE)
def test_pth_garbage(tmp_path, data):
    p = tmp_path / "garbage.pth"
    p.write_bytes(data)
    _raises(load_rtmdnet_pth, p, "not a loadable PyTorch checkpoint")


@pytest.mark.parametrize("fmt", ["zip", "legacy", "py2", "py2-latin1"])
def test_pth_truncated(tmp_path, official_sd, official_pth, py2_bytes, fmt):
    p = tmp_path / "rt-mdnet.pth"
    if fmt.startswith("py2"):
        data = py2_bytes[fmt.endswith("latin1")]
    elif fmt == "zip":
        data = official_pth.read_bytes()
    else:
        _save({"shared_layers": official_sd}, p, _use_new_zipfile_serialization=False)
        data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    _raises(load_rtmdnet_pth, p, "not a loadable PyTorch checkpoint", "truncated or corrupt")


def test_pth_wrong_shape(tmp_path, official_sd):
    sd = OrderedDict(official_sd)
    sd["conv2.0.weight"] = torch.randn(256, 96, 3, 3)
    p = _save({"shared_layers": sd}, tmp_path / "rt-mdnet.pth")
    msg = _raises(load_rtmdnet_pth, p)
    assert msg == f"{p}: 'conv2.0.weight' has shape (256, 96, 3, 3), expected (256, 96, 5, 5)"


def test_pth_missing_keys(tmp_path, official_sd):
    sd = OrderedDict((k, v) for k, v in official_sd.items() if not k.startswith("fc5"))
    p = _save({"shared_layers": sd}, tmp_path / "rt-mdnet.pth")
    _raises(load_rtmdnet_pth, p, "missing keys", "'fc5.1.weight'", "'fc5.1.bias'")


def test_pth_unexpected_keys(tmp_path, official_sd):
    sd = OrderedDict(official_sd)
    sd["conv1.1.running_mean"] = torch.zeros(96)
    p = _save({"shared_layers": sd}, tmp_path / "rt-mdnet.pth")
    _raises(load_rtmdnet_pth, p, "unexpected keys", "conv1.1.running_mean")


def test_pth_unrelated_dict(tmp_path):
    p = _save({"model": {"w": torch.zeros(2)}}, tmp_path / "other.pth")
    _raises(load_rtmdnet_pth, p, "not an RT-MDNet checkpoint", "'model'")


def test_pth_not_a_dict(tmp_path):
    p = _save(torch.zeros(3), tmp_path / "tensor.pth")
    _raises(load_rtmdnet_pth, p, "expected a dict", "Tensor")


def test_pth_shared_layers_not_a_dict(tmp_path):
    p = _save({"shared_layers": [1, 2]}, tmp_path / "rt-mdnet.pth")
    _raises(load_rtmdnet_pth, p, "'shared_layers' is a list")


def test_pth_pickled_module_rejected(tmp_path):
    p = _save(torch.nn.Linear(2, 2), tmp_path / "module.pth")
    _raises(load_rtmdnet_pth, p, "not a plain state_dict", "Unsupported global",
            "torch.nn.modules.linear.Linear")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_pth_non_finite(tmp_path, official_sd, bad):
    sd = OrderedDict(official_sd)
    sd["fc4.0.weight"] = sd["fc4.0.weight"].clone()
    sd["fc4.0.weight"][3, 7] = bad
    p = _save({"shared_layers": sd}, tmp_path / "rt-mdnet.pth")
    _raises(load_rtmdnet_pth, p, "'fc4.0.weight'", "1 NaN/inf")


def test_pth_integer_dtype(tmp_path, official_sd):
    sd = OrderedDict(official_sd)
    sd["fc5.1.bias"] = torch.zeros(512, dtype=torch.int64)
    p = _save({"shared_layers": sd}, tmp_path / "rt-mdnet.pth")
    _raises(load_rtmdnet_pth, p, "'fc5.1.bias'", "torch.int64")


def test_pth_given_a_mat_file(tmp_path, vggm_convs):
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(vggm_convs))
    _raises(load_rtmdnet_pth, p, "not a loadable PyTorch checkpoint")


# ----------------------------------------------------------------------------- .mat


def test_mat_synthetic_mirrors_matconvnet_nesting(tmp_path, vggm_convs):
    """The synthetic file must satisfy RT-MDNet's own load_mat_model access pattern."""
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(vggm_convs))
    mat = scipy.io.loadmat(str(p))
    mat_layers = list(mat["layers"])[0]
    for i, (name, _) in enumerate(VGGM_CONVS):
        assert mat_layers[i * 4]["name"].item()[0] == name
        weight, bias = mat_layers[i * 4]["weights"].item()[0]
        assert np.array_equal(weight, vggm_convs[name][0])
        assert bias.size == weight.shape[3]


@pytest.mark.parametrize("compress", [True, False])
def test_mat_weights_format(tmp_path, vggm_convs, compress):
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(vggm_convs), compress)
    _assert_vggm(load_vggm_mat(p), vggm_convs)


def test_mat_old_filters_biases_format(tmp_path, vggm_convs):
    layers = _vggm_layers(vggm_convs, old_format=True)
    p = _save_mat(tmp_path / "imagenet-vgg-m-conv1-3.mat", layers, compress=True)
    _assert_vggm(load_vggm_mat(p), vggm_convs)


def test_mat_nameless_layers_use_conv_order(tmp_path, vggm_convs):
    p = _save_mat(tmp_path / "nameless.mat", _vggm_layers(vggm_convs, with_name=False))
    _assert_vggm(load_vggm_mat(p), vggm_convs)


def test_mat_missing_file(tmp_path):
    _raises(load_vggm_mat, tmp_path / "imagenet-vgg-m.mat", "not found")


@pytest.mark.parametrize("data", [bytes(range(256)) * 8, b"MATLAB 5.0 MAT-file" + b"\x00" * 30])
def test_mat_garbage(tmp_path, data):
    p = tmp_path / "imagenet-vgg-m.mat"
    p.write_bytes(data)
    _raises(load_vggm_mat, p, "not a readable MAT file")


@pytest.mark.parametrize("compress", [True, False])
def test_mat_truncated(tmp_path, vggm_convs, compress):
    p = tmp_path / "imagenet-vgg-m.mat"
    scipy.io.savemat(str(p), {"layers": _vggm_layers(vggm_convs), "meta": np.zeros((1, 1))},
                     do_compression=compress)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    _raises(load_vggm_mat, p, "not a readable MAT file")


def test_mat_given_a_pth_file(official_pth):
    _raises(load_vggm_mat, official_pth, "not a readable MAT file")


def test_mat_wrong_shape(tmp_path, vggm_convs):
    convs = dict(vggm_convs)
    convs["conv2"] = (np.zeros((3, 3, 96, 256), np.float32), convs["conv2"][1])
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(convs))
    msg = _raises(load_vggm_mat, p)
    assert msg == (f"{p}: layer 'conv2' filters have shape (3, 3, 96, 256) (H, W, Cin, Cout), "
                   "expected (5, 5, 96, 256)")


def test_mat_wrong_bias_size(tmp_path, vggm_convs):
    convs = dict(vggm_convs)
    convs["conv1"] = (convs["conv1"][0], np.zeros((95, 1), np.float32))
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(convs))
    _raises(load_vggm_mat, p, "layer 'conv1' biases have shape (95, 1)", "expected 96 values")


def test_mat_missing_conv_layer(tmp_path, vggm_convs):
    layers = _vggm_layers(vggm_convs)
    keep = [layers[0, i] for i in range(layers.shape[1]) if i != 8]  # drop conv3
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _cell(*keep))
    _raises(load_vggm_mat, p, "missing conv layers ['conv3']")


def test_mat_missing_layers_variable(tmp_path):
    p = tmp_path / "imagenet-vgg-m.mat"
    scipy.io.savemat(str(p), {"net": np.zeros((2, 2))})
    _raises(load_vggm_mat, p, "no 'layers' variable", "'net'")


def test_mat_layers_not_a_cell(tmp_path):
    p = tmp_path / "dagnn.mat"
    scipy.io.savemat(str(p), {"layers": np.zeros((1, 3))})
    _raises(load_vggm_mat, p, "'layers' is not a cell array")


def test_mat_weights_cell_without_biases(tmp_path, vggm_convs):
    layers = _vggm_layers(vggm_convs)
    layers[0, 4] = _struct(type="conv", name="conv2", weights=_cell(vggm_convs["conv2"][0]))
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", layers)
    _raises(load_vggm_mat, p, "layer 'conv2' 'weights' has 1 entries")


def test_mat_non_finite(tmp_path, vggm_convs):
    convs = dict(vggm_convs)
    f = convs["conv3"][0].copy()
    f[0, 1, 2, 3] = np.nan
    convs["conv3"] = (f, convs["conv3"][1])
    p = _save_mat(tmp_path / "imagenet-vgg-m.mat", _vggm_layers(convs))
    _raises(load_vggm_mat, p, "layer 'conv3' weight", "NaN/inf")
