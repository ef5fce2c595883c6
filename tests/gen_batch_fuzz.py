"""Differential cases for tests/test_batch.c: random corpora run through the OFFICIAL HERO
data code (data/data.py, mlm.py, mfm.py, fom.py, vsm.py of linjieli222/HERO, read from a
git mirror; its heavy imports are stubbed), recording the random choices it made and the
batch it built, in the golden layout (raw.*, choice.*, in.*) plus opt.* (the options).

Usage: /usr/bin/python3 tests/gen_batch_fuzz.py OUT_DIR [N_PER_TASK] [SEED] [HERO_GIT_DIR]
Needs torch + numpy. Writes OUT_DIR/<task>-<k>.safetensors. Exercises what the tiny golden
files do not: the max-frames cut of videos and sub2frames, sub_ctx_len > 0, subtitles
longer than max_txt_len, subtitles without text or frames.
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch

OUT = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 1234
GIT = sys.argv[4] if len(sys.argv) > 4 else "/work/.mirror/linjieli222+HERO/repo"
TASKS = ["repr", "mlm", "mfm-nce", "mffr", "fom", "vsm"]
VOCAB = 107


def stub_modules(tmp):
    """Import the official data modules with their third-party imports stubbed."""
    def mod(name, **kw):
        m = types.ModuleType(name)
        m.__dict__.update(kw)
        sys.modules[name] = m
        return m

    def _size():
        raise ValueError("no horovod")
    hvd = mod("horovod.torch", size=_size, local_size=_size, rank=lambda: 0)
    mod("horovod", torch=hvd)
    mod("lmdb")
    lz4 = mod("lz4")
    lz4.frame = mod("lz4.frame", compress=None, decompress=None)
    mod("msgpack")
    mod("msgpack_numpy", patch=lambda: None)
    mod("tqdm", tqdm=lambda x, **k: x)
    toolz = mod("toolz")

    def unzip(seq):
        seq = list(seq)
        return tuple(zip(*seq)) if seq else ()
    toolz.sandbox = mod("toolz.sandbox", unzip=unzip)

    def concat(seqs):
        for s in seqs:
            for x in s:
                yield x
    mod("cytoolz", concat=concat)
    utils = mod("utils")
    utils.basic_utils = mod("utils.basic_utils", load_jsonl=None)
    pkg = os.path.join(tmp, "data")
    os.makedirs(pkg, exist_ok=True)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    for f in ["data", "mlm", "mfm", "fom", "vsm"]:
        src = subprocess.check_output(["git", "-C", GIT, "show", "HEAD:data/%s.py" % f])
        open(os.path.join(pkg, f + ".py"), "wb").write(src)
    sys.path.insert(0, tmp)
    import data.data as D
    import data.mlm as MLM
    import data.mfm as MFM
    import data.fom as FOM
    import data.vsm as VSM
    return D, MLM, MFM, FOM, VSM


def write_safetensors(path, tensors):
    hdr, blobs, off = {}, [], 0
    for k, a in tensors.items():
        a = np.ascontiguousarray(a)
        dt = {np.dtype(np.int64): "I64", np.dtype(np.float32): "F32", np.dtype(np.bool_): "BOOL"}[a.dtype]
        b = a.tobytes()
        hdr[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make_corpus(rng, task, F=6):
    """Random videos: subtitles with ascending, disjoint frame lists (some empty)."""
    while True:
        B = rng.randint(1, 4)
        opt = dict(max_txt_len=rng.choice([3, 5, 60]), max_frames=rng.choice([4, 6, 9, 100]),
                   sub_ctx_len=rng.choice([0, 0, 1, 2]), query_per_video=rng.choice([2, 5]),
                   mask_prob=0.15)
        vids = []
        for _ in range(B):
            T = rng.randint(1, 13)
            nsub = rng.randint(1, 6)
            frames, subs = [], []
            pos = 0
            for i in range(nsub):
                if rng.random() < 0.25 or pos >= T:
                    fr = []
                else:
                    n = rng.randint(1, max(1, min(4, T - pos)))
                    if rng.random() < 0.3:
                        pos += rng.randint(0, 2)  # unmatched frames in between
                    fr = [f for f in range(pos, pos + n) if f < T]
                    pos += n
                frames.append(fr)
                lo = 1 if task == "mlm" else 0
                subs.append([rng.randint(4, VOCAB - 2) for _ in range(rng.randint(lo, 8))])
            feats = np.array([[rng.uniform(-1, 1) for _ in range(F)] for _ in range(T)], np.float32)
            vids.append(dict(T=T, frames=frames, subs=subs, feats=feats))
        ok = True
        for v in vids:  # official SubTokLmdb cut, to reject unusable cases
            Tc = min(v["T"], opt["max_frames"])
            kept = []
            for i, fr in enumerate(v["frames"]):
                inr = [f for f in fr if f < Tc]
                if inr or not fr:
                    kept.append(inr)
                if len(inr) < len(fr):
                    break
            if not kept:
                ok = False
            if task == "vsm" and not any(kept):
                ok = False
        if ok:
            return opt, vids


def run_case(mods, rng, task, path):
    D, MLM, MFM, FOM, VSM = mods
    opt, vids = make_corpus(rng, task)
    random.seed(rng.random())

    class Img(D.VideoFeatLmdb):
        def __init__(self):
            self.max_clip_len = opt["max_frames"]
            self.name2nframe = {str(i): v["T"] for i, v in enumerate(vids)}

        def __getitem__(self, name):
            n = self.name2nframe[name]
            n = n if n < self.max_clip_len else self.max_clip_len
            return torch.tensor(vids[int(name)]["feats"][:n]).float()

        def __del__(self):
            pass

    class Txt(D.SubTokLmdb):
        def __init__(self):
            self.max_clip_len = opt["max_frames"]
            self.cls_, self.pad, self.sep, self.mask = 0, 1, 2, VOCAB - 1
            self.v_range = [4, VOCAB - 1]
            self.vid2dur, self.vid2idx = {}, {}
            self.id2len = {str(i): v["T"] for i, v in enumerate(vids)}
            self.db = {str(i): {"input_ids": v["subs"],
                                "unique_sub2frames": [[j, fr] for j, fr in enumerate(v["frames"])]}
                       for i, v in enumerate(vids)}
            self.vid_sub2frame, self.vid2vonly_frames = self.compute_sub2frames()

        def __getitem__(self, k):
            return self.db[k]

        def __del__(self):
            pass

    txt, img = Txt(), Img()
    ds = D.VideoFeatSubTokDataset(txt, img, max_txt_len=opt["max_txt_len"], sub_ctx_len=opt["sub_ctx_len"])
    ids = [str(i) for i in range(len(vids))]
    rec = []
    if task == "repr":
        batch = D.video_collate([ds[i] for i in ids])
    elif task == "mlm":
        orig = MLM.random_word

        def rw(tokens, vr, mask, p):
            t, l = orig(tokens, vr, mask, p)
            rec.append((list(t), list(l)))
            return t, l
        MLM.random_word = rw
        d = MLM.VideoMlmDataset(ids, ds, mask_prob=opt["mask_prob"], sub_ctx_len=opt["sub_ctx_len"])
        batch = MLM.mlm_collate([d[i] for i in range(len(ids))])
        MLM.random_word = orig
    elif task in ("mfm-nce", "mffr"):
        orig = MFM._get_img_mask

        def gm(p, n):
            m = orig(p, n)
            rec.append(m.tolist())
            return m
        MFM._get_img_mask = gm
        d = MFM.MfmDataset(ids, ds, mask_prob=opt["mask_prob"])
        batch = MFM.mfm_collate([d[i] for i in range(len(ids))])
        MFM._get_img_mask = orig
    elif task == "fom":
        orig = FOM.random_reorder

        def rr(pos, p):
            o, t = orig(pos, p)
            rec.append((list(o), list(t)))
            return o, t
        FOM.random_reorder = rr
        d = FOM.FomDataset(ids, ds, random_reorder_p=opt["mask_prob"])
        batch = FOM.fom_collate([d[i] for i in range(len(ids))])
        FOM.random_reorder = orig
    else:
        def sample(pop, n):
            s = random.sample(pop, n)
            rec.append(list(s))
            return s
        VSM.random = types.SimpleNamespace(sample=sample)
        d = VSM.VsmDataset(ids, ds, query_per_video=opt["query_per_video"], sub_ctx_len=opt["sub_ctx_len"])
        batch = VSM.vsm_collate([d[i] for i in range(len(ids))])
        VSM.random = random

    t = {}
    i64 = lambda x: np.asarray(x, np.int64).reshape(-1)
    t["raw.nframes"] = i64([v["T"] for v in vids])
    t["raw.v_feats"] = np.concatenate([v["feats"] for v in vids]).astype(np.float32)
    t["raw.num_subs"] = i64([len(v["subs"]) for v in vids])
    t["raw.sub_len"] = i64([len(s) for v in vids for s in v["subs"]])
    t["raw.sub_tokens"] = i64([w for v in vids for s in v["subs"] for w in s])
    t["raw.s2f_sub_idx"] = i64([j for v in vids for j in range(len(v["subs"]))])
    t["raw.s2f_nframes"] = i64([len(fr) for v in vids for fr in v["frames"]])
    t["raw.s2f_frames"] = i64([f for v in vids for fr in v["frames"] for f in fr])
    for k in ["max_txt_len", "max_frames", "sub_ctx_len", "query_per_video"]:
        t["opt." + k] = i64([opt[k]])
    if task == "mlm":
        t["choice.mlm_len"] = i64([len(a) for a, _ in rec])
        t["choice.mlm_input_ids"] = i64([x for a, _ in rec for x in a])
        t["choice.mlm_labels"] = i64([x for _, b in rec for x in b])
    elif task in ("mfm-nce", "mffr"):
        t["choice.frame_mask"] = np.asarray([x for m in rec for x in m], np.bool_)
    elif task == "fom":
        t["choice.fom_orders"] = i64([x for o, _ in rec for x in o])
        t["choice.fom_targets"] = i64([x for _, g in rec for x in g])
    elif task == "vsm":
        t["choice.vsm_n_sampled"] = i64([len(s) for s in rec])
        t["choice.vsm_sampled_sub_idx"] = i64([x for s in rec for x in s])
    for k, v in batch.items():
        if isinstance(v, torch.Tensor):
            a = v.numpy()
            t["in." + k] = a.astype(np.int64) if a.dtype not in (np.float32, np.bool_) else a
    if task != "mlm":
        t["in.num_subs"] = i64(batch["num_subs"])
        s2f = [x for per in batch["sub_idx2frame_idx"] for x in per]
        t["in.s2f_sub_idx"] = i64([j for j, _ in s2f])
        t["in.s2f_nframes"] = i64([len(fr) for _, fr in s2f])
        t["in.s2f_frames"] = i64([f for _, fr in s2f for f in fr])
    write_safetensors(path, t)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        mods = stub_modules(tmp)
        for task in TASKS:
            for k in range(N):
                run_case(mods, rng, task, os.path.join(OUT, "%s-%03d.safetensors" % (task, k)))
    print("wrote %d cases to %s" % (N * len(TASKS), OUT))


if __name__ == "__main__":
    main()
