"""Minimal safetensors reader/writer (F32; save_typed also F16, BF16, F64) with no dependency beyond torch/numpy.

Format (huggingface/safetensors): 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
(padded with spaces to a multiple of 8), then the data buffer. Each tensor entry is
{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} relative to the buffer start.
Tensors are written contiguously in the order given, with no holes. An optional
"__metadata__" maps str -> str.

The reader validates the file strictly (it is used to check files written by the C# side):
header size bound, JSON object, dtype, shape/offset consistency, no holes/overlaps, no
trailing bytes, metadata string-only.
"""
import json
import struct
from collections import OrderedDict

import numpy as np

MAX_HEADER = 100_000_000


def _to_f32_array(t):
    try:
        import torch
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().contiguous().to(torch.float32).numpy()
    except ImportError:  # pragma: no cover
        pass
    a = np.ascontiguousarray(np.asarray(t, dtype=np.float32))
    return a.astype('<f4', copy=False)


def save(path, tensors, metadata=None):
    """tensors: ordered mapping name -> torch.Tensor / ndarray (written as F32, in order)."""
    header = OrderedDict()
    if metadata:
        md = OrderedDict()
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must be str -> str, got {k!r}: {v!r}")
            md[k] = v
        header["__metadata__"] = md
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("reserved name")
        a = _to_f32_array(t)
        b = a.tobytes(order='C')
        header[name] = OrderedDict([
            ("dtype", "F32"),
            ("shape", [int(s) for s in a.shape]),
            ("data_offsets", [offset, offset + len(b)]),
        ])
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


_TYPED = {"F32": ("float32", "<f4"), "F16": ("float16", "<f2"), "F64": ("float64", "<f8"), "BF16": ("bfloat16", None)}


def save_typed(path, tensors, dtype, metadata=None, sort_by_name=False):
    """tensors: ordered mapping name -> torch.Tensor, written as dtype ("F32", "F16", "BF16" or "F64"), each converted by
    torch's own .to(). sort_by_name=True lists them sorted by name, as huggingface's safetensors writer does (it sorts by
    dtype, then by name: with one dtype, by name), with "__metadata__" first; otherwise in the order given."""
    import torch
    torch_dtype, numpy_dtype = _TYPED[dtype]
    names = sorted(tensors) if sort_by_name else list(tensors)
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict((k, v) for k, v in metadata.items())
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().cpu().contiguous().to(getattr(torch, torch_dtype))
        # numpy has no bfloat16: its bits, as int16, little-endian like every other dtype here.
        b = (t.view(torch.int16).numpy().astype("<i2") if numpy_dtype is None else t.numpy().astype(numpy_dtype)).tobytes(order="C")
        header[name] = OrderedDict([("dtype", dtype), ("shape", [int(s) for s in t.shape]), ("data_offsets", [offset, offset + len(b)])])
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_typed(path):
    """Returns an OrderedDict name -> torch.Tensor in the file's dtype (F32, F16, BF16, F64), in file order. Checks only what
    reading needs: the committed files are checked strictly by the C# tests."""
    import torch
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = OrderedDict()
    for name, e in header.items():
        b, en = e["data_offsets"]
        torch_dtype, numpy_dtype = _TYPED[e["dtype"]]
        if numpy_dtype is None:
            t = torch.from_numpy(np.frombuffer(data[b:en], dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[b:en], dtype=numpy_dtype).copy())
        out[name] = t.reshape(e["shape"])
    return out


def load(path):
    """Returns (OrderedDict name -> np.ndarray float32 (in file order), metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER:
        raise ValueError(f"header length {n} exceeds {MAX_HEADER}")
    if 8 + n > len(raw):
        raise ValueError(f"header length {n} runs past end of file ({len(raw)} bytes)")
    hbytes = raw[8:8 + n]
    if not hbytes.startswith(b"{"):
        raise ValueError("header does not start with '{'")

    def hook(pairs):
        d = OrderedDict()
        for k, v in pairs:
            if k in d:
                raise ValueError(f"duplicate key {k!r}")
            d[k] = v
        return d

    header = json.loads(hbytes.decode("utf-8"), object_pairs_hook=hook)
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise ValueError("__metadata__ is not a JSON object")
    for k, v in metadata.items():
        if not isinstance(v, str):
            raise ValueError(f"metadata value for {k!r} is not a string")
    data = raw[8 + n:]
    spans = []
    out = OrderedDict()
    for name, e in header.items():
        if not isinstance(e, dict) or set(e.keys()) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"bad entry for {name!r}: {e!r}")
        if e["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {e['dtype']} (only F32 supported)")
        shape = e["shape"]
        if not (isinstance(e["data_offsets"], list) and len(e["data_offsets"]) == 2
                and all(isinstance(v, int) and v >= 0 for v in e["data_offsets"])):
            raise ValueError(f"{name}: bad data_offsets {e['data_offsets']!r}")
        if not isinstance(shape, list):
            raise ValueError(f"{name}: bad shape {shape!r}")
        b, en = e["data_offsets"]
        count = 1
        for s in shape:
            if not isinstance(s, int) or s < 0:
                raise ValueError(f"{name}: bad shape {shape}")
            count *= s
        if en < b or en - b != 4 * count:
            raise ValueError(f"{name}: offsets {b},{en} do not match shape {shape}")
        if en > len(data):
            raise ValueError(f"{name}: offsets {b},{en} run past the data buffer ({len(data)} bytes)")
        spans.append((b, en, name))
        out[name] = np.frombuffer(data[b:en], dtype="<f4").reshape(shape).astype(np.float32)
    pos = 0
    for b, en, name in sorted(spans):
        if b != pos:
            raise ValueError(f"{name}: hole or overlap at {pos} (starts at {b})")
        pos = en
    if pos != len(data):
        raise ValueError(f"data buffer is {len(data)} bytes, tensors cover {pos}")
    return out, dict(metadata)


def load_torch(path):
    import torch
    t, md = load(path)
    return OrderedDict((k, torch.from_numpy(v.copy())) for k, v in t.items()), md
