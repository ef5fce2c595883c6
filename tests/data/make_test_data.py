"""Regenerates the small test files used by tests/test_formats.c.

Run with Debian's torch:  /usr/bin/python3 tests/data/make_test_data.py
Outputs (all a few KB): ckpt.pt (torch zip), ckpt_legacy.pt (legacy torch.save), ckpt_little.pt /
ckpt_big.pt (ckpt.pt plus a byteorder member), ckpt_p4.pt / ckpt_legacy_p4.pt (pickle protocol 4),
dtypes.safetensors
(every dtype, written by hand), a.npy, fortran.npy, s.npz (stored), c.npz (deflated), z64.npz
(zip64 records), ref.safetensors (contiguous F32 / I64 reference copies of everything above),
deflate.bin (raw deflate streams: stored, fixed and dynamic blocks).
"""
import collections, io, json, os, struct, zipfile, zlib
import numpy as np
import torch

OUT = os.path.dirname(os.path.abspath(__file__))


def vals(n):
    return torch.arange(n, dtype=torch.float64) * 0.37 - 1.5


def checkpoint():
    base = vals(24).reshape(4, 6).float()
    big = vals(60).reshape(6, 10).float()
    sd = collections.OrderedDict()
    sd["f32"] = base.clone()
    sd["f16"] = (base * 1000).half()
    sd["bf16"] = (base * 1e30).bfloat16()
    sd["f64"] = vals(5) * 1e-310  # subnormal doubles
    sd["i64"] = torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4)
    sd["i32"] = torch.tensor([-2**31, 2**31 - 1, 5], dtype=torch.int32)
    sd["i16"] = torch.tensor([-32768, 32767, 1], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["view_base"] = big
    sd["view_slice"] = big[1:4, 2:7]      # storage offset 12, strides (10, 1)
    sd["view_t"] = big.t()                # strides (1, 10)
    sd["view_step"] = big[::2, ::3]       # strides (20, 3)
    sd["expanded"] = torch.arange(3).expand(4, 3)  # stride 0
    sd["param"] = torch.nn.Parameter(vals(6).float())
    sd["half_special"] = torch.tensor([65504.0, -0.0, 6e-8, 1e-5, float("inf"), -float("inf"), float("nan")]).half()
    return {"model": sd, "epoch": 3, "lr": 0.5, "name": "tiny", "none": None, "flag": False,
            "lists": [torch.ones(2), 7, "x"], "empty_dict": {}, "tuple": (1, 2.5), "opt": {0: torch.full((2,), 3.0)}}


def flatten(obj, prefix=""):
    if torch.is_tensor(obj):
        yield (prefix or "-"), obj
    elif isinstance(obj, dict) and obj:
        for k, v in obj.items():
            yield from flatten(v, (prefix + "." if prefix else "") + str(k))
    elif isinstance(obj, (list, tuple)) and obj:
        for i, v in enumerate(obj):
            yield from flatten(v, (prefix + "." if prefix else "") + str(i))


ST = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64",
      torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def write_st(path, tensors, meta=None):
    header, blobs, pos = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors:
        t = t.detach().contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": ST[t.dtype], "shape": list(t.shape), "data_offsets": [pos, pos + len(raw)]}
        blobs.append(raw)
        pos += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def ref_of(t):
    t = t.detach()
    return t.float().contiguous() if t.is_floating_point() else t.long().contiguous()


def zip64_npz(path, members):
    """Stored zip whose central directory uses zip64 extras and a zip64 end record."""
    out, cd = io.BytesIO(), []
    for name, data in members:
        n = name.encode()
        off = out.tell()
        crc = zlib.crc32(data)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0, crc, len(data), len(data), len(n), 4) + n)
        out.write(struct.pack("<HH", 0xCAFE, 0))  # local extra differs from the central one
        out.write(data)
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
        cd.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n),
                              len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + n + extra)
    cdoff = out.tell()
    cdb = b"".join(cd)
    out.write(cdb)
    z64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(members), len(members), len(cdb), cdoff))
    out.write(struct.pack("<IIQI", 0x07064b50, 0, z64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    open(path, "wb").write(out.getvalue())


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def main():
    obj = checkpoint()
    torch.save(obj, os.path.join(OUT, "ckpt.pt"))
    torch.save(obj, os.path.join(OUT, "ckpt_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(obj, os.path.join(OUT, "ckpt_p4.pt"), pickle_protocol=4)  # FRAME, MEMOIZE, STACK_GLOBAL...
    torch.save(obj, os.path.join(OUT, "ckpt_legacy_p4.pt"), pickle_protocol=4, _use_new_zipfile_serialization=False)
    for order in ("little", "big"):  # torch >= 2.1 adds <archive>/byteorder
        src = zipfile.ZipFile(os.path.join(OUT, "ckpt.pt"))
        with zipfile.ZipFile(os.path.join(OUT, "ckpt_%s.pt" % order), "w", zipfile.ZIP_STORED) as dst:
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info))
            dst.writestr("ckpt/byteorder", order)
    flat = list(flatten(obj))
    write_st(os.path.join(OUT, "dtypes.safetensors"), [(n, t) for n, t in flat], {"source": "make_test_data.py", "quote\"key": "line\nbreak"})
    ref = [("pt/" + n, ref_of(t)) for n, t in flat]

    a = (np.arange(12, dtype="<f4") * 0.5).reshape(3, 4)
    np.save(os.path.join(OUT, "a.npy"), a)
    np.save(os.path.join(OUT, "fortran.npy"), np.asfortranarray(a))
    ref.append(("npy/-", torch.from_numpy(a)))
    s = {"h": (np.arange(10, dtype="<f2") - 4) / 3, "i": np.arange(-5, 5, dtype="<i8").reshape(2, 5),
         "b": np.array([True, False, False]), "sub/x": np.linspace(0, 1, 7), "z": np.zeros((2, 0), "<f4"),
         "s0": np.array(4.25, "<f4"), "u": np.array([1, 2, 250], "|u1"), "i2": np.array([-7, 300], "<i2")}
    np.savez(os.path.join(OUT, "s.npz"), **s)
    rng = np.random.RandomState(0)
    c = {"tiny": np.array([1.5, -2.0, 3.25], "<f4"), "rand": rng.randint(0, 256, 400).astype("|u1"),
         "rep": np.tile(np.arange(50, dtype="<f4"), 12) * 0.25, "mixed": (rng.randn(300) * 3).round(1).astype("<f4")}
    np.savez_compressed(os.path.join(OUT, "c.npz"), **c)
    zip64_npz(os.path.join(OUT, "z64.npz"), [("p.npy", npy_bytes(a)), ("q.npy", npy_bytes(s["i"]))])
    for pre, d in (("s/", s), ("c/", c)):
        for k, v in d.items():
            ref.append((pre + k, ref_of(torch.from_numpy(v.copy()))))
    write_st(os.path.join(OUT, "ref.safetensors"), ref)
    deflate_cases(os.path.join(OUT, "deflate.bin"))


def deflate_cases(path):
    """Raw deflate streams: records of <u32 raw length><u32 compressed length><compressed><raw>."""
    text = b"".join(b"line %d: the quick brown fox %d\n" % (i, i * i % 97) for i in range(60))
    rnd = np.random.RandomState(1).randint(0, 256, 700).astype(np.uint8).tobytes()
    cases = [(b"", 6, zlib.Z_DEFAULT_STRATEGY), (text, 0, zlib.Z_DEFAULT_STRATEGY), (text, 9, zlib.Z_FIXED),
             (text, 9, zlib.Z_DEFAULT_STRATEGY), (rnd, 9, zlib.Z_DEFAULT_STRATEGY), (b"a" * 1000, 9, zlib.Z_RLE)]
    out = b""
    for raw, level, strategy in cases:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
        comp = c.compress(raw) + c.flush()
        out += struct.pack("<II", len(raw), len(comp)) + comp + raw
    open(path, "wb").write(out)


if __name__ == "__main__":
    main()
