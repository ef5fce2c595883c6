#!/usr/bin/env python3
"""Regenerates the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
small test files in tests/data and tests/golden, plus handmade samples. Python 3 stdlib only:
    python3 tests/fuzz/make_corpus.py
The corpora are committed; `make fuzz` copies them into a scratch directory before fuzzing,
so a campaign never writes into the source tree."""
import io, json, os, shutil, struct, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
DATA = os.path.join(ROOT, "tests", "data")
TINY = os.path.join(ROOT, "tests", "golden", "tiny")


def rd(*p):
    with open(os.path.join(*p), "rb") as f:
        return f.read()


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(descr, shape, payload, version=1):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    hs = 10 if version == 1 else 12
    pad = (64 - (hs + len(hdr) + 1) % 64) % 64
    hdr = hdr + " " * pad + "\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode("latin1") + payload
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(hdr)) + hdr.encode("latin1") + payload


def st(tensors, meta=None):
    """safetensors from [(name, dtype, shape, bytes)]"""
    h, off, body = {}, 0, b""
    if meta is not None:
        h["__metadata__"] = meta
    for name, dt, shape, b in tensors:
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        off += len(b)
        body += b
    hj = json.dumps(h).encode()
    return struct.pack("<Q", len(hj)) + hj + body


def deflate(raw, level=9, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(raw) + c.flush()


def zip_members(path):
    z = zipfile.ZipFile(path)
    return {i.filename: z.read(i.filename) for i in z.infolist()}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    f32 = struct.pack("<6f", 1.5, -2.0, 0.0, 3.25, 1e-3, -7.0)

    # ---- zip: npz and torch zip files as they are
    for f in ["s.npz", "z64.npz", "c.npz", "ckpt.pt", "ckpt_p4.pt", "ckpt_little.pt", "ckpt_big.pt"]:
        put("zip", f, rd(DATA, f))
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        z.writestr("w.npy", npy("<f4", "(2, 3)", f32))
    put("zip", "one_stored.npz", b.getvalue())
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("w.npy", npy("<f4", "(2, 3)", f32))
        z.writestr("e.npy", npy("<i8", "(0,)", b""))
    put("zip", "two_deflated.npz", b.getvalue())
    put("zip", "empty.zip", b"PK\x05\x06" + b"\0" * 18)

    # ---- torchzip: [count][flags] [u16 len + bytes]*count [data.pkl] (see fuzz_torchzip.c)
    for f in ["ckpt.pt", "ckpt_p4.pt", "ckpt_little.pt"]:
        m = zip_members(os.path.join(DATA, f))
        pkl = [v for k, v in m.items() if k.endswith("/data.pkl")][0]
        data = {k.split("/data/")[1]: v for k, v in m.items() if "/data/" in k}
        n = len(data)
        assert sorted(data, key=int) == [str(i) for i in range(n)]
        bo = [v for k, v in m.items() if k.endswith("/byteorder")]
        flags = (1 if bo else 0) | (2 if bo and bo[0] == b"big" else 0)
        out = bytes([n, flags])
        for i in range(n):
            out += struct.pack("<H", len(data[str(i)])) + data[str(i)]
        put("torchzip", f, out + pkl)

    # ---- legacy torch.save
    for f in ["ckpt_legacy.pt", "ckpt_legacy_p4.pt"]:
        put("legacy", f, rd(DATA, f))

    # ---- safetensors
    for f in ["dtypes.safetensors", "ref.safetensors"]:
        put("safetensors", f, rd(DATA, f))
    put("safetensors", "meta.safetensors", st([("a", "F32", [2, 3], f32), ("b", "I64", [], struct.pack("<q", -5)),
                                                ("c", "BF16", [0, 4], b""), ("d", "U8", [3], b"\1\2\3")],
                                               {"format": "pt", "step": "12"}))
    put("safetensors", "empty.safetensors", st([]))
    put("safetensors", "scalar_f16.safetensors", st([("x", "F16", [1, 1, 1, 1, 1, 1, 1, 1], b"\x00\x3c")]))

    # ---- json: the model config, safetensors headers, odd values
    put("json", "config.json", rd(TINY, "config.json"))
    put("json", "config_hero.json", json.dumps({
        "f_config": {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16, "num_hidden_layers": 1,
                     "max_position_embeddings": 20, "vocab_size": 50, "layer_norm_eps": 1e-5},
        "c_config": {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16, "num_hidden_layers": 1,
                     "max_position_embeddings": 20},
        "q_config": {"hidden_size": 8, "num_attention_heads": 2, "max_position_embeddings": 20},
        "hero": {"vfeat_dim": 12, "max_frm_seq_len": 10, "ranking_loss_type": "lse", "use_hard_negative": True,
                 "margin": 0.2}}))
    put("json", "header.json", rd(DATA, "dtypes.safetensors")[8:8 + struct.unpack("<Q", rd(DATA, "dtypes.safetensors")[:8])[0]])
    put("json", "values.json", '[0, -0, 1.5e300, -2E-7, 123456789012345678901234567890, true, false, null, "", {}, []]')
    put("json", "escapes.json", '{"a\\u0000b": "\\ud83d\\ude00 \\u00e9 \\n\\t\\"\\\\\\/", "a": 1, "a": 2}')
    put("json", "nested.json", "[" * 30 + "{}" + "]" * 30)
    put("json", "bom.json", b"\xef\xbb\xbf {\"k\" : [1 , 2]}\r\n")

    # ---- npy (the harness prepends the 6-byte magic)
    for f in ["a.npy", "fortran.npy"]:
        put("npy", f, rd(DATA, f)[6:])
    for k, v in zip_members(os.path.join(DATA, "s.npz")).items():
        put("npy", "s_" + k.replace("/", "_"), v[6:])
    put("npy", "v2.npy", npy("<f4", "(3, 2)", f32, 2)[6:])
    put("npy", "v3_scalar.npy", npy("<f8", "()", struct.pack("<d", 2.5), 3)[6:])
    put("npy", "bool.npy", npy("|b1", "(2, 2)", b"\0\1\1\0")[6:])
    put("npy", "long.npy", npy("<i8", "(1L, 2L)", struct.pack("<2q", 1, -1))[6:])

    # ---- npz: byte 0 even + an npz file; byte 0 odd + u32 size + raw deflate stream
    put("npz", "c.npz", b"\0" + rd(DATA, "c.npz"))
    put("npz", "s.npz", b"\0" + rd(DATA, "s.npz"))
    rep = npy("<f4", "(64,)", struct.pack("<64f", *([0.5] * 32 + list(range(32)))))
    for name, raw, lvl, strat in [("stored", rep, 0, zlib.Z_DEFAULT_STRATEGY), ("fixed", rep, 9, zlib.Z_FIXED),
                                  ("dynamic", rep, 9, zlib.Z_DEFAULT_STRATEGY), ("rle", rep, 9, zlib.Z_RLE),
                                  ("huffman", npy("<i2", "(5,)", b"abcdefghij"), 9, zlib.Z_HUFFMAN_ONLY),
                                  ("empty", b"", 6, zlib.Z_DEFAULT_STRATEGY)]:
        put("npz", "deflate_" + name, b"\1" + struct.pack("<I", len(raw)) + deflate(raw, lvl, strat))
    text = b"".join(b"line %d: the quick brown fox %d\n" % (i, i * i % 97) for i in range(40))
    put("npz", "deflate_text", b"\1" + struct.pack("<I", len(text)) + deflate(text))

    # ---- tokenizer: vocab.json / merges.txt / text
    syms = ["a", "b", "c", ",", "\u0120"]
    byte_chars = []
    n = 0
    for b_ in range(256):
        if 0x21 <= b_ <= 0x7E or 0xA1 <= b_ <= 0xAC or 0xAE <= b_ <= 0xFF:
            byte_chars.append(chr(b_))
        else:
            byte_chars.append(chr(256 + n))
            n += 1
    vocab = {c: i for i, c in enumerate(byte_chars)}
    for s in ["<s>", "</s>", "<pad>", "<unk>", "<mask>"]:
        vocab[s] = len(vocab)
    merges = ["#version: 0.2"]
    for x in syms:
        for y in syms:
            vocab[x + y] = len(vocab)
            merges.append(x + " " + y)
    put("vocab", "small.json", json.dumps(vocab))
    put("vocab", "ascii.json", json.dumps(vocab, ensure_ascii=True, indent=1))
    put("vocab", "tiny.json", '{"a": 0, "b": 1, "ab": 2, "\\u0120": 3, "<mask>": 7}')
    put("vocab", "odd.json", b'\xef\xbb\xbf{ "\\ud83d\\ude00" : 5 , "x\\ty":2147483647, "\\u00c4\\u00a0":  0 }')
    put("merges", "merges.txt", "\n".join(merges) + "\n")
    put("merges", "crlf.txt", "#version: 0.2\r\na b\r\nab c\r\n\r\n, ,\r\n\u0120 a")
    put("merges", "commas.txt", "a ,\n, b\n,b ,\na, b\n, ,\n,, ,\n")
    put("merges", "bad.txt", "a b c\nzz q\n")
    put("tokenize", "special.txt", rd(DATA, "tokenizer_special.txt")[:2048])
    corpus = rd(DATA, "tokenizer_corpus.txt")
    for i in range(4):
        put("tokenize", "corpus_%d.txt" % i, corpus[i * 1500:(i + 1) * 1500])
    put("tokenize", "mixed.txt", b"abc, cab <mask> <s>x</s>  \xc2\x85 \xef\xbb\xbf\xff\xfe ca,b 12'll 'S \xf0\x9f\x98\x80\xe2\x80\x8b")

    # ---- subtitles (bytes 0-1 of each input choose the alignment settings)
    srt = [
        b"\xEF\xBB\xBF1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there \r\n  second line\r\n\r\n"
        b"2\r\n00:00:03.250 --> 00:00:04.000\r\nWORLD\r\n",
        b"1\n00:01,000 --> 00:02,000 X1:10 X2:20\n{\\an8}<font color=\"#ff0000\">red</font> <B>bold</b>\n"
        b"2\n00:00:02,000 --> 00:00:03,000\ntwo\n00:00:04,000 --> 00:00:05,5\nthree <x> & <3\n",
        b"1\n00:00:05,000 --> 00:00:06,000\nlate\n\nmore late\n\n2\n\n00:00:01,000 --> 00:00:02,000\nearly\n",
        b"7\r00:00:00,001 --> 123:04:06,000\rold mac\r\r8\r00:00:00,0015 --> 00:00:00,2\rx",
        b"1\n00:00:00,000 --> 00:00:30,000\nA LONG ONE &amp; &#x41; &eacute; &notit;\n\n"
        b"2\n00:00:10,000 --> 00:00:09,000\nend before start\n",
    ]
    for i, s in enumerate(srt):
        put("srt", "s%d.srt" % i, bytes([i * 37 % 256, i]) + s)
    jl = [
        b'{"vid_name": "v", "sub": [{"text": "THE DOOR", "start": 0.0, "end": 2.9}, '
        b'{"text": "the man &amp; a door", "start": 3.0, "end": 7.4}, {"text": "late", "start": 20.0, "end": 21.0}]}\n',
        b'{"vid_name":"a","sub":[]}\n\n{"vid_name":"b","sub":[{"text":"x","start":5,"end":6,"extra":1},'
        b'{"text":"y","start":1,"end":2}]}\r\n{"vid_name":"a","sub":[{"text":"\\u00c9T\\u00c9","start":-1,"end":1e3}]}',
        b'{"vid_name": "long", "sub": [{"text": "one", "start": 0, "end": 40}, {"text": "two", "start": 0.5, "end": 1.5}]}',
    ]
    for i, s in enumerate(jl):
        put("jsonl", "j%d.jsonl" % i, bytes([i * 53 % 256, i]) + s)
    # ---- items: hero_lmdb_import's query layout (byte 0 task, byte 1 corpus size, then the file)
    def i64(v):
        return struct.pack("<%dq" % len(v), *v)

    def f64(v):
        return struct.pack("<%dd" % len(v), *v)

    base = [("raw.q_len", "I64", [3], i64([2, 1, 2])), ("raw.q_tokens", "I64", [5], i64([11, 12, 13, 14, 15])),
            ("raw.q_vid", "I64", [3], i64([0, -1, 1])), ("raw.target", "I64", [3], i64([1, 0, -1])),
            ("raw.a_len", "I64", [3, 5], i64([1] * 15)), ("raw.a_tokens", "I64", [15], i64(list(range(20, 35)))),
            ("raw.q_n_ts", "I64", [3], i64([1, 0, 2])),
            ("raw.q_ts", "F64", [3, 2, 2], f64([1.5, 3, 0, 0, 0, 4.5, 0, 0, 6, 7.5, 9, 10.5])),
            ("raw.q_type", "I64", [3], i64([0, 1, 2]))]
    for t in range(4):
        put("items", "queries_task%d.safetensors" % t, bytes([t, 2]) + st(base, {"qids": '["a", "b", "c"]'}))
    golden2d = [("raw.q_len", "I64", [2], i64([1, 2])), ("raw.q_tokens", "I64", [3], i64([5, 6, 7])),
                ("raw.q_vid", "I64", [2], i64([1, 0])), ("raw.q_ts", "F64", [2, 2], f64([0.5, 2.0, float("nan"), float("nan")]))]
    put("items", "golden_2d_ts.safetensors", bytes([0, 1]) + st(golden2d))
    total = 0
    for dp, _, fs in os.walk(OUT):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    print("corpus: %d bytes in %s" % (total, OUT))


if __name__ == "__main__":
    main()
