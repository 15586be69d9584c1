"""Importers of other projects' weight files: RT-MDNet's two official files and NanoTrack v2's ONNX backbone.

Source of truth is RT-MDNet's ``modules/model.py`` (Jung et al., ECCV 2018,
github.com/IlchaeJung/RT-MDNet):

* ``MDNet.load_model`` -- ``rt-mdnet.pth`` is ``torch.save({'shared_layers':
  model.layers.state_dict()})`` written by Python 2 / torch 0.x.  Its keys are
  ``conv{1,2,3}.0.{weight,bias}``, ``fc4.0.{weight,bias}`` and
  ``fc5.1.{weight,bias}`` (index 1 because ``fc5`` is ``Sequential(Dropout,
  Linear, ReLU)``); the per-domain ``fc6`` branches are not saved.
* ``MDNet.load_mat_model`` -- ``imagenet-vgg-m(-conv1-3).mat`` is a MatConvNet
  SimpleNN file read with ``scipy.io.loadmat``; ``mat['layers'][0]`` is a cell
  array of layer structs and, for conv1..conv3, ``weight, bias =
  layer['weights'].item()[0]`` with ``weight.transpose(3, 2, 0, 1)``
  (H x W x Cin x Cout -> Cout x Cin x H x W) and ``bias`` flattened.  RT-MDNet
  picks the layers by position (``i * 4``); we pick them by ``name`` (same
  layers in the real file, robust to other layer orders) and also accept the
  older ``filters``/``biases`` fields.

Both importers return a flat ``{our_name: float32 tensor}`` dict in MetaRTT's
naming (``conv1.weight``, ..., ``fc5.bias``) and raise :class:`WeightsError`
naming the file and the exact problem on any failure.

* ``load_nanotrack_onnx`` -- NanoTrack v2's ``nanotrack_backbone_sim.onnx``
  (HonglinChu/SiamTrackers, Apache-2.0): BatchNorm already folded by the
  exporter, so the Conv and Gemm initializers, read in graph order, are the
  parameters of ``backbones.Nano`` in registration order (shapes checked one
  by one). Needs the optional ``onnx`` package (``pip install 'metartt[onnx]'``).
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import torch

from .backbones import Nano

__all__ = [
    "WeightsError",
    "PARAM_SHAPES",
    "RTMDNET_PTH_KEYS",
    "VGGM_CONV_LAYERS",
    "load_nanotrack_onnx",
    "load_rtmdnet_pth",
    "load_vggm_mat",
]

# MetaRTT parameter names and shapes (torch layout).
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "conv1.weight": (96, 3, 7, 7),
    "conv1.bias": (96,),
    "conv2.weight": (256, 96, 5, 5),
    "conv2.bias": (256,),
    "conv3.weight": (512, 256, 3, 3),
    "conv3.bias": (512,),
    "fc4.weight": (512, 4608),
    "fc4.bias": (512,),
    "fc5.weight": (512, 512),
    "fc5.bias": (512,),
    "fc6.weight": (2, 512),
    "fc6.bias": (2,),
}

# Official rt-mdnet.pth 'shared_layers' key -> MetaRTT name.
RTMDNET_PTH_KEYS: dict[str, str] = {
    "conv1.0.weight": "conv1.weight",
    "conv1.0.bias": "conv1.bias",
    "conv2.0.weight": "conv2.weight",
    "conv2.0.bias": "conv2.bias",
    "conv3.0.weight": "conv3.weight",
    "conv3.0.bias": "conv3.bias",
    "fc4.0.weight": "fc4.weight",
    "fc4.0.bias": "fc4.bias",
    "fc5.1.weight": "fc5.weight",
    "fc5.1.bias": "fc5.bias",
}

# MatConvNet layer names imported from the VGG-M .mat file.
VGGM_CONV_LAYERS: tuple[str, ...] = ("conv1", "conv2", "conv3")


class WeightsError(ValueError):
    """A weight file is missing, unreadable, or does not match the expected layout."""


# --------------------------------------------------------------------------- helpers


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise WeightsError(f"{path}: file not found")
    if not os.path.isfile(path):
        raise WeightsError(f"{path}: not a regular file")
    if os.path.getsize(path) == 0:
        raise WeightsError(f"{path}: file is empty")


def _summarize(exc: BaseException) -> str:
    """One-line description of a loader exception (torch's messages are long)."""
    msg = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in msg:
        msg = msg.split(marker, 1)[1]
        msg = msg.strip().split(". ", 1)[0]
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _to_float32(path: str, what: str, value: Any, expected: tuple[int, ...]) -> torch.Tensor:
    """Validate shape/dtype/finiteness of one parameter; return a float32 copy."""
    if not isinstance(value, torch.Tensor):
        raise WeightsError(f"{path}: {what} is a {type(value).__name__}, expected a tensor")
    shape = tuple(value.shape)
    if shape != expected:
        raise WeightsError(f"{path}: {what} has shape {shape}, expected {expected}")
    if not (value.dtype.is_floating_point):
        raise WeightsError(f"{path}: {what} has dtype {value.dtype}, expected floating point")
    t = value.detach().to(device="cpu", dtype=torch.float32).contiguous().clone()
    finite = np.isfinite(t.numpy())  # numpy: much faster than torch.isfinite on CPU
    if not finite.all():
        n_bad = int(finite.size - np.count_nonzero(finite))
        raise WeightsError(f"{path}: {what} contains {n_bad} NaN/inf value(s)")
    return t


# --------------------------------------------------------------------------- .pth


def _torch_load(path: str) -> Any:
    def load(**extra: Any) -> Any:
        with warnings.catch_warnings():
            # torch warns that pickle args are ignored with weights_only, but it
            # does forward `encoding` to its weights-only unpickler.
            warnings.filterwarnings("ignore", message="pickle_load_args only works")
            warnings.filterwarnings("ignore", message="TypedStorage is deprecated")
            return torch.load(path, map_location="cpu", weights_only=True, **extra)

    try:
        return load()
    except (UnicodeDecodeError, pickle.UnpicklingError) as first:
        # Python 2 checkpoints may contain byte strings that are not UTF-8.
        try:
            return load(encoding="latin1")
        except Exception as second:
            exc = second if isinstance(first, UnicodeDecodeError) else first
    except Exception as other:
        exc = other
    summary = _summarize(exc)
    if "Unsupported global" in summary:
        raise WeightsError(
            f"{path}: not a plain state_dict checkpoint ({summary}); "
            "only tensors/dicts can be loaded safely with weights_only=True"
        ) from exc
    raise WeightsError(
        f"{path}: not a loadable PyTorch checkpoint, truncated or corrupt ({summary})"
    ) from exc


def load_rtmdnet_pth(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load RT-MDNet's official ``rt-mdnet.pth`` (``{'shared_layers': state_dict}``, or a bare
    state_dict with the same keys) into MetaRTT names conv1..fc5, so the tracker can start
    from the published offline-trained weights."""
    path = os.fspath(path)
    _check_file(path)
    obj = _torch_load(path)

    if not isinstance(obj, dict):
        raise WeightsError(
            f"{path}: expected a dict ({{'shared_layers': state_dict}} or a state_dict), "
            f"got {type(obj).__name__}"
        )
    if "shared_layers" in obj:
        sd = obj["shared_layers"]
        where = "'shared_layers'"
        if not isinstance(sd, dict):
            raise WeightsError(
                f"{path}: 'shared_layers' is a {type(sd).__name__}, expected a state_dict"
            )
    elif any(k in obj for k in RTMDNET_PTH_KEYS):
        sd = obj
        where = "state_dict"
    else:
        keys = sorted(map(str, obj))[:10]
        raise WeightsError(
            f"{path}: not an RT-MDNet checkpoint: no 'shared_layers' entry and none of the "
            f"expected keys {list(RTMDNET_PTH_KEYS)} (found keys: {keys})"
        )

    missing = [k for k in RTMDNET_PTH_KEYS if k not in sd]
    if missing:
        raise WeightsError(f"{path}: {where} is missing keys {missing}")
    unexpected = sorted(str(k) for k in sd if k not in RTMDNET_PTH_KEYS)
    if unexpected:
        raise WeightsError(
            f"{path}: {where} has unexpected keys {unexpected} (different architecture?)"
        )

    out: dict[str, torch.Tensor] = OrderedDict()
    for src, dst in RTMDNET_PTH_KEYS.items():
        out[dst] = _to_float32(path, repr(src), sd[src], PARAM_SHAPES[dst])
    return out


# --------------------------------------------------------------------------- .mat


def _unwrap(x: Any) -> Any:
    """Strip loadmat's 1x1 object-array wrappers."""
    while isinstance(x, np.ndarray) and x.dtype == object and x.size == 1:
        x = x.flat[0]
    return x


def _field(struct: np.ndarray, name: str) -> Any:
    return _unwrap(struct[name].flat[0]) if struct.size else None


def _mat_str(x: Any) -> str | None:
    x = _unwrap(x)
    if isinstance(x, str):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind == "U":
        return "".join(str(s) for s in x.flat)
    return None


def _mat_numeric(path: str, what: str, x: Any) -> np.ndarray:
    x = _unwrap(x)
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "fiub":
        raise WeightsError(f"{path}: {what} is not a numeric array ({type(x).__name__})")
    return x


def _mat_conv_params(path: str, name: str, layer: np.ndarray) -> tuple[Any, Any]:
    fields = layer.dtype.names or ()
    if "weights" in fields:
        w = _field(layer, "weights")
        cells = list(w.flat) if isinstance(w, np.ndarray) and w.dtype == object else [w]
        if len(cells) < 2:
            raise WeightsError(
                f"{path}: layer '{name}' 'weights' has {len(cells)} entries, "
                "expected 2 ({filters, biases})"
            )
        return cells[0], cells[1]
    if "filters" in fields and "biases" in fields:
        return _field(layer, "filters"), _field(layer, "biases")
    raise WeightsError(
        f"{path}: layer '{name}' has neither a 'weights' field nor 'filters'/'biases' "
        f"fields (fields: {list(fields)})"
    )


def load_vggm_mat(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load conv1..conv3 of MatConvNet's ``imagenet-vgg-m(-conv1-3).mat`` as RT-MDNet's
    ``load_mat_model`` does (filters H,W,Cin,Cout -> Cout,Cin,H,W; biases flattened), for
    initialising the backbone from ImageNet VGG-M before offline training."""
    from scipy.io import loadmat

    path = os.fspath(path)
    _check_file(path)
    try:
        mat = loadmat(path)
    except NotImplementedError as exc:  # MATLAB v7.3 (HDF5) files
        raise WeightsError(
            f"{path}: unsupported MAT file version ({_summarize(exc)}); "
            "re-save it in MATLAB with -v7"
        ) from exc
    except Exception as exc:
        raise WeightsError(
            f"{path}: not a readable MAT file, truncated or corrupt ({_summarize(exc)})"
        ) from exc

    if "layers" not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise WeightsError(f"{path}: no 'layers' variable (found variables: {found})")
    layers = mat["layers"]
    if not (isinstance(layers, np.ndarray) and layers.dtype == object):
        raise WeightsError(
            f"{path}: 'layers' is not a cell array of layer structs "
            "(MatConvNet DagNN files are not supported; expected the SimpleNN format)"
        )

    structs: list[np.ndarray] = []
    for i, cell in enumerate(layers.flat):
        s = cell if isinstance(cell, np.ndarray) and cell.dtype.names else _unwrap(cell)
        if not (isinstance(s, np.ndarray) and s.dtype.names):
            raise WeightsError(f"{path}: layers{{{i + 1}}} is not a struct")
        structs.append(s)

    have_names = all("name" in s.dtype.names for s in structs)
    by_name: dict[str, tuple[int, np.ndarray]] = {}
    if have_names:
        for i, s in enumerate(structs):
            n = _mat_str(_field(s, "name"))
            if n in VGGM_CONV_LAYERS:
                if n in by_name:
                    raise WeightsError(f"{path}: duplicate layer name '{n}'")
                by_name[n] = (i, s)
    else:  # nameless layers: take the conv layers in order, as RT-MDNet does
        convs = [
            (i, s)
            for i, s in enumerate(structs)
            if "type" in s.dtype.names and _mat_str(_field(s, "type")) == "conv"
        ]
        by_name = dict(zip(VGGM_CONV_LAYERS, convs))

    missing = [n for n in VGGM_CONV_LAYERS if n not in by_name]
    if missing:
        raise WeightsError(f"{path}: missing conv layers {missing}")

    out: dict[str, torch.Tensor] = OrderedDict()
    for name in VGGM_CONV_LAYERS:
        _, layer = by_name[name]
        if "type" in layer.dtype.names:
            typ = _mat_str(_field(layer, "type"))
            if typ != "conv":
                raise WeightsError(f"{path}: layer '{name}' has type {typ!r}, expected 'conv'")
        filters, biases = _mat_conv_params(path, name, layer)
        filters = _mat_numeric(path, f"layer '{name}' filters", filters)
        biases = _mat_numeric(path, f"layer '{name}' biases", biases)

        cout, cin, kh, kw = PARAM_SHAPES[f"{name}.weight"]
        expected_hwio = (kh, kw, cin, cout)
        if filters.ndim < 4:  # MATLAB drops trailing singleton dimensions
            filters = filters.reshape(filters.shape + (1,) * (4 - filters.ndim))
        if tuple(filters.shape) != expected_hwio:
            raise WeightsError(
                f"{path}: layer '{name}' filters have shape {tuple(filters.shape)} "
                f"(H, W, Cin, Cout), expected {expected_hwio}"
            )
        if biases.size != cout or sum(d != 1 for d in biases.shape) > 1:
            raise WeightsError(
                f"{path}: layer '{name}' biases have shape {tuple(biases.shape)}, "
                f"expected {cout} values ({cout}x1 or 1x{cout})"
            )
        weight = np.ascontiguousarray(filters.transpose(3, 2, 0, 1), dtype=np.float32)
        bias = np.ascontiguousarray(biases.reshape(-1), dtype=np.float32)
        out[f"{name}.weight"] = _to_float32(
            path, f"layer '{name}' weight", torch.from_numpy(weight), (cout, cin, kh, kw)
        )
        out[f"{name}.bias"] = _to_float32(
            path, f"layer '{name}' bias", torch.from_numpy(bias), (cout,)
        )
    return out


# --------------------------------------------------------------------------- NanoTrack v2 (ONNX)

NANO_OPS = {"Conv", "Gemm", "Relu", "HardSwish", "HardSigmoid", "GlobalAveragePool", "Reshape", "Mul", "Add"}


def load_nanotrack_onnx(path: str | os.PathLike) -> "OrderedDict[str, torch.Tensor]":
    """State dict of ``backbones.Nano`` from NanoTrack v2's backbone ONNX (float32, stride-independent)."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as e:
        raise WeightsError(f"{path}: reading ONNX needs the onnx package (pip install onnx)") from e
    try:
        graph = onnx.load(os.fspath(path)).graph
    except Exception as e:  # noqa: BLE001 - protobuf raises many types for corrupt files
        raise WeightsError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from e
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    tensors = []
    for node in graph.node:
        if node.op_type not in NANO_OPS:
            raise WeightsError(f"{path}: node {node.name!r} is a {node.op_type}, not in NanoTrack v2's backbone")
        if node.op_type in ("Conv", "Gemm"):
            tensors += [inits[name] for name in node.input[1:] if name in inits]
    shapes = {name: tuple(p.shape) for name, p in Nano().named_parameters()}  # in registration order
    if len(tensors) != len(shapes):
        raise WeightsError(f"{path}: {len(tensors)} Conv/Gemm tensors, NanoTrack v2's backbone has {len(shapes)}")
    return OrderedDict((name, _to_float32(path, name, torch.from_numpy(np.array(array, dtype=np.float32)), shape))
                       for (name, shape), array in zip(shapes.items(), tensors))
