#!/usr/bin/python3
"""Standalone PyTorch re-implementation of the HERO pre-training model.

HERO: Hierarchical Encoder for Video+Language Omni-representation Pre-training
(Li et al., EMNLP 2020).  This file is a reference for hero.h: it computes the
same numbers as the official release (fp32, the quirks of shared/HERO-SPEC.md
included), with the official state-dict names, and needs only torch + numpy
(no apex, no horovod, no safetensors package).

Usage (Debian's python has torch):
  /usr/bin/python3 bench/hero_torch.py check DIR
      DIR holds config.json, model.pt, <task>.safetensors, train.safetensors
      (e.g. tests/golden/tiny).  Compares every out.* / grad.* (and the batch
      builder against in.*, and the AdamW replay against traj.* / param*.*).
  /usr/bin/python3 bench/hero_torch.py dump DIR TASK OUT.safetensors
      writes every intermediate activation (act.*), its gradient (dact.*),
      the inputs (in.*), outputs (out.*) and parameter gradients (grad.*).
  /usr/bin/python3 bench/hero_torch.py bench [--threads N] [--videos B]
      [--frames T] [--iters K] [--tasks mlm,fom,...] [--device cpu|cuda]
      random-init model at the released shapes, synthetic batches, timings.
  /usr/bin/python3 bench/hero_torch.py bench --data FILE --case CASE
      [--threads N] [--iters K] [--warmup W] [--device cpu|cuda]
      [--precision fp32|tf32|bf16]
      times one case of bench/run.sh on exactly hero_bench's batches: FILE
      from `hero_bench --config C --dump FILE` (model dims, raw.* corpus,
      choice.* masking); CASE repr-fwd, mlm-step, mfm-nce-step, fom-step,
      vsm-step or update; prints one `CASE name=... side=torch ...` line.
      --device cuda: model and batch on the GPU (the sub2frames index lists
      stay on the host, like the official data loader's), eager mode;
      --precision bf16: forward under torch.autocast(bfloat16) (backward
      outside it, as usual), tf32: allow_tf32 for matmuls; timings end with
      torch.cuda.synchronize.
  /usr/bin/python3 bench/hero_torch.py lean --case repr|query|retrieve
      [--threads N] [--iters K] [--dtype f32|bf16] [--video-batch V]
      the inference cases of bench/lean.sh (bench/lean_bench.c) in PyTorch,
      random weights at the released shapes, eval mode, torch.no_grad, on
      lean_bench's corpus shapes: repr = the REPR forward of 2 videos (12
      and 20 frames, a subtitle of 6-20 words per 6 frames); query = 10
      queries of 16 tokens encoded; retrieve = 20 videos x 60 frames (REPR
      in batches of V videos), 10 queries encoded, VCMR scores of every
      query against every video, top-5 videos with their best span (q2c
      alpha 20, top 100 videos, spans of 2..15 frames). --dtype bf16: the
      forward under torch.autocast('cpu', bfloat16) (weights stay f32).
      Prints one `CASE <case> dtype=torch-<dtype> ... s=<median> ...
      rss_mb=<peak RSS>` line, the format of lean_bench's.
"""
import argparse
import json
import math
import os
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TASKS = ['repr', 'mlm', 'mfm-nce', 'mffr', 'fom', 'vsm']
CLS, PAD, SEP, UNK = 0, 1, 2, 3

# --------------------------------------------------------------------------
# safetensors (tiny reader / writer)
# --------------------------------------------------------------------------
_ST2NP = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16,
          'I64': np.int64, 'I32': np.int32, 'I16': np.int16, 'I8': np.int8,
          'U8': np.uint8, 'BOOL': np.bool_}
_NP2ST = {np.dtype(v): k for k, v in _ST2NP.items()}


def st_load(path):
    """-> (OrderedDict name -> numpy array, metadata dict)"""
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {}) or {}
    base = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        s, e = info['data_offsets']
        dt = np.dtype(_ST2NP[info['dtype']]).newbyteorder('<')
        arr = np.frombuffer(buf, dtype=dt, count=(e - s) // dt.itemsize,
                            offset=base + s)
        out[name] = arr.reshape(info['shape']).astype(dt.newbyteorder('='))
    return out, meta


def st_save(path, tensors, metadata=None):
    """tensors: dict name -> numpy array / torch tensor."""
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = {k: (v if isinstance(v, str) else
                                      json.dumps(v))
                                  for k, v in metadata.items()}
    for name, t in tensors.items():
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu()
            if t.dtype == torch.bfloat16:
                t = t.float()
            t = t.numpy()
        a = np.array(t, order='C', copy=False)   # keeps 0-d shapes
        dt = a.dtype.newbyteorder('<') if a.dtype.itemsize > 1 else a.dtype
        a = a.astype(dt, copy=False)
        b = a.tobytes()
        header[name] = {'dtype': _NP2ST[np.dtype(a.dtype.newbyteorder('='))],
                        'shape': list(a.shape),
                        'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# --------------------------------------------------------------------------
# activation recorder (for `dump`)
# --------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.acts = OrderedDict()
        self.trim = OrderedDict()     # name -> zero-pad rows to drop
        self.cur_trim = 0

    def __call__(self, name, x):
        if name in self.acts:           # keep names unique
            i = 1
            while f'{name}#{i}' in self.acts:
                i += 1
            name = f'{name}#{i}'
        if x.requires_grad:
            x.retain_grad()
        self.acts[name] = x
        self.trim[name] = self.cur_trim
        return x

    def get(self, name, grad=False):
        x = self.acts[name].grad if grad else self.acts[name].detach()
        n = self.trim[name]
        return x[:-n] if n and x is not None else x


_REC = None


def tap(name, x):
    if _REC is not None:
        _REC(name, x)
    return x


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------
def gelu(x):
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def pad_layer_unpad(x, layer, pad, pfx):
    """the official `_pad_layer_unpad`: 8 - H % 8 zero rows are appended to
    the input of a head and cut from its output.  Mathematically a no-op; we
    keep it because it changes the summation order of the head's bias
    gradients at the last-ulp level (bit-exactness with the golden files)."""
    n_pad = 8 - x.shape[-1] % 8
    x = torch.cat([x, pad[:n_pad]], dim=0)
    if _REC is not None:
        _REC.cur_trim = n_pad
    try:
        y = layer(x, pfx)
    finally:
        if _REC is not None:
            _REC.cur_trim = 0
    return y[:-n_pad] if n_pad else y


def mask_logits(x, m):
    return x * m + (1 - m) * -1e4


class Cfg:
    """A BERT/RoBERTa config block (f_config, c_config, q_config)."""
    def __init__(self, d, dropout=True):
        self.hidden_size = d['hidden_size']
        self.num_attention_heads = d['num_attention_heads']
        self.intermediate_size = d.get('intermediate_size',
                                       4 * d['hidden_size'])
        self.num_hidden_layers = d.get('num_hidden_layers', 0)
        self.max_position_embeddings = d.get('max_position_embeddings', 512)
        self.type_vocab_size = d.get('type_vocab_size', 2)
        self.vocab_size = d.get('vocab_size', 0)
        self.layer_norm_eps = d.get('layer_norm_eps', 1e-12)
        self.initializer_range = d.get('initializer_range', 0.02)
        self.hidden_act = d.get('hidden_act', 'gelu')
        assert self.hidden_act == 'gelu'
        self.p_hidden = d.get('hidden_dropout_prob', 0.1) if dropout else 0.0
        self.p_attn = (d.get('attention_probs_dropout_prob', 0.1)
                       if dropout else 0.0)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh = c.num_attention_heads
        self.dh = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.p = c.p_attn

    def split(self, x):
        return x.view(x.shape[:-1] + (self.nh, self.dh)).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask, pfx):
        q = tap(pfx + '.q', self.query(x))
        k = tap(pfx + '.k', self.key(x))
        v = tap(pfx + '.v', self.value(x))
        s = torch.matmul(self.split(q), self.split(k).transpose(-1, -2))
        s = s / math.sqrt(self.dh)
        s = tap(pfx + '.scores', s + ext_mask)
        p = tap(pfx + '.probs', torch.softmax(s, dim=-1))
        p = F.dropout(p, self.p, self.training)
        ctx = torch.matmul(p, self.split(v)).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.shape[:-2] + (self.nh * self.dh,))
        return tap(pfx + '.context', ctx)


class SelfOutput(nn.Module):
    def __init__(self, c, in_size=None):
        super().__init__()
        self.dense = nn.Linear(in_size or c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.p = c.p_hidden

    def forward(self, h, res, pfx):
        h = tap(pfx + '.dense', self.dense(h))
        h = F.dropout(h, self.p, self.training)
        return tap(pfx + '.out', self.LayerNorm(h + res))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = SelfOutput(c)

    def forward(self, x, ext_mask, pfx):
        ctx = self.self(x, ext_mask, pfx + '.attn')
        return self.output(ctx, x, pfx + '.attn_out')


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x, pfx):
        h = tap(pfx + '.inter_dense', self.dense(x))
        return tap(pfx + '.inter_gelu', gelu(h))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = SelfOutput(c, c.intermediate_size)

    def forward(self, x, ext_mask, pfx):
        a = self.attention(x, ext_mask, pfx)
        i = self.intermediate(a, pfx)
        return self.output(i, a, pfx + '.ffn_out')


def ext_attn_mask(mask, dtype):
    m = mask.unsqueeze(1).unsqueeze(2).to(dtype)
    return (1.0 - m) * -10000.0


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in
                                    range(c.num_hidden_layers)])

    def forward(self, x, mask, pfx):
        ext = ext_attn_mask(mask, x.dtype)
        for i, lay in enumerate(self.layer):
            x = lay(x, ext, f'{pfx}.layer{i}')
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class SubEmbeddings(nn.Module):
    def __init__(self, c, vocab_rows):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_rows, c.hidden_size,
                                            padding_idx=PAD)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings,
                                                c.hidden_size)
        self.token_type_embeddings = nn.Embedding(2, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=1e-5)
        self.p = c.p_hidden

    def forward(self, ids, pos_ids, pfx):
        w = tap(pfx + '.txt_emb.word', self.word_embeddings(ids))
        p = self.position_embeddings(pos_ids)
        t = self.token_type_embeddings(
            torch.ones(1, 1, dtype=torch.long, device=ids.device))
        e = tap(pfx + '.txt_emb.sum', w + p + t)
        e = tap(pfx + '.txt_emb.out', self.LayerNorm(e))
        return F.dropout(e, self.p, self.training)


class ImageEmbeddings(nn.Module):
    def __init__(self, c, vfeat_dim, max_frm):
        super().__init__()
        self.img_linear = nn.Linear(vfeat_dim, c.hidden_size)
        self.img_LayerNorm = nn.LayerNorm(vfeat_dim, eps=1e-5)
        self.position_embeddings = nn.Embedding(max_frm, c.hidden_size)
        self.mask_embedding = nn.Embedding(2, vfeat_dim, padding_idx=0)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=1e-5)
        self.p = c.p_hidden

    def forward(self, feat, type_emb, pos_ids, masks, pfx):
        if pos_ids is None:
            pos_ids = torch.arange(feat.shape[1], device=feat.device)
            pos_ids = pos_ids.unsqueeze(0).expand(feat.shape[:-1])
        if masks is not None:
            feat = feat + self.mask_embedding(masks.long())
            tap(pfx + '.img_emb.masked_feat', feat)
        h = tap(pfx + '.img_emb.img_ln', self.img_LayerNorm(feat))
        h = tap(pfx + '.img_emb.img_linear', self.img_linear(h))
        e = tap(pfx + '.img_emb.sum',
                h + self.position_embeddings(pos_ids) + type_emb)
        e = tap(pfx + '.img_emb.out', self.LayerNorm(e))
        return F.dropout(e, self.p, self.training)


class LMHead(nn.Module):
    def __init__(self, c, emb_weight):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=1e-5)
        self.decoder = nn.Linear(emb_weight.shape[1], emb_weight.shape[0],
                                 bias=False)
        self.decoder.weight = emb_weight          # tied
        self.bias = nn.Parameter(torch.zeros(emb_weight.shape[0]))

    def forward(self, x, pfx):
        h = tap(pfx + '.lm_head.dense', self.dense(x))
        h = tap(pfx + '.lm_head.gelu', gelu(h))
        h = tap(pfx + '.lm_head.ln', self.LayerNorm(h))
        return self.decoder(h) + self.bias


class CrossModalTrm(nn.Module):
    """v_encoder.f_encoder: per-subtitle frames + words."""
    def __init__(self, c, vfeat_dim, max_frm, vocab_rows):
        super().__init__()
        self.config = c
        self.encoder = Encoder(c)
        self.embeddings = SubEmbeddings(c, vocab_rows)
        self.img_embeddings = ImageEmbeddings(c, vfeat_dim, max_frm)
        self.pooler = Pooler(c)
        self.lm_head = LMHead(c, self.embeddings.word_embeddings.weight)
        self.register_buffer('pad', torch.zeros(8, c.hidden_size))
        self.vocab_pad = max(0, vocab_rows - c.vocab_size) \
            if c.vocab_size else 0

    def embed(self, ids, pos_ids, feat, feat_pos_ids, gather_index,
              img_masks, pfx):
        txt = img = None
        if ids is not None:
            txt = self.embeddings(ids, pos_ids, pfx)
        if feat is not None:
            t = self.embeddings.token_type_embeddings(
                torch.ones(1, 1, dtype=torch.long, device=feat.device))
            img = self.img_embeddings(feat, t, feat_pos_ids, img_masks, pfx)
        if txt is not None and img is not None:
            gi = gather_index.unsqueeze(-1).expand(-1, -1,
                                                   self.config.hidden_size)
            return tap(pfx + '.emb', torch.gather(torch.cat([img, txt], 1),
                                                  1, gi))
        return txt if txt is not None else img

    def forward_repr(self, ids, pos_ids, feat, feat_pos_ids, attn_masks,
                     gather_index, img_masks=None, pfx='f'):
        e = self.embed(ids, pos_ids, feat, feat_pos_ids, gather_index,
                       img_masks, pfx)
        seq = tap(pfx + '.sequence_output', self.encoder(e, attn_masks, pfx))
        pooled = tap(pfx + '.pooled_output', self.pooler(seq))
        return seq, pooled

    def forward_mlm(self, b, pfx='f_mlm'):
        e = self.embed(b['input_ids'], b['position_ids'], b['v_feat'],
                       b.get('f_pos_ids'), b['gather_index'], None, pfx)
        seq = tap(pfx + '.sequence_output',
                  self.encoder(e, b['attn_masks'], pfx))
        m = b['txt_mask_tgt'].unsqueeze(-1).expand_as(seq)
        masked = tap(pfx + '.masked_output',
                     seq[m].contiguous().view(-1, seq.shape[-1]))
        scores = pad_layer_unpad(masked, self.lm_head, self.pad, pfx)
        if self.vocab_pad:
            scores = scores[:, :-self.vocab_pad]
        scores = tap(pfx + '.prediction_scores', scores)
        loss_vec = F.cross_entropy(scores, b['txt_labels'], reduction='none')
        return {'prediction_scores': scores, 'loss_vec': loss_vec,
                'loss': loss_vec.mean()}


class LinearLayer(nn.Module):
    """LN -> dropout -> Linear -> ReLU  (`LayerNorm.*`, `net.1.*`)."""
    def __init__(self, n_in, n_out, p):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(n_in, eps=1e-5)
        self.net = nn.Sequential(nn.Dropout(p), nn.Linear(n_in, n_out))

    def forward(self, x, pfx):
        h = tap(pfx + '.ln', self.LayerNorm(x))
        h = tap(pfx + '.linear', self.net(h))
        return tap(pfx + '.out', F.relu(h))


class FrameEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.position_embeddings = nn.Embedding(c.max_position_embeddings,
                                                c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=1e-5)
        self.p = c.p_hidden

    def forward(self, x, pfx):
        pos = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
        e = self.LayerNorm(x + self.position_embeddings(pos))
        e = tap(pfx + '.emb', e)
        return F.dropout(e, self.p, self.training)


class TemporalTrm(nn.Module):
    """v_encoder.c_encoder."""
    def __init__(self, c):
        super().__init__()
        self.embeddings = FrameEmbeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, x, attn_masks, pfx='c'):
        return tap(pfx + '.sequence_output',
                   self.encoder(self.embeddings(x, pfx), attn_masks, pfx))


class GELU(nn.Module):
    def forward(self, x):
        return gelu(x)


class FrameFeatureRegression(nn.Module):
    def __init__(self, h, f):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(h, h), GELU(),
                                 nn.LayerNorm(h, eps=1e-5), nn.Linear(h, f))

    def forward(self, x, pfx):
        h = tap(pfx + '.dense', self.net[0](x))
        h = tap(pfx + '.gelu', self.net[1](h))
        h = tap(pfx + '.ln', self.net[2](h))
        return tap(pfx + '.out', self.net[3](h))


class MLPLayer(nn.Module):
    def __init__(self, h, n_out):
        super().__init__()
        self.linear_1 = nn.Linear(h, 2 * h)
        self.LayerNorm = nn.LayerNorm(2 * h, eps=1e-5)
        self.linear_2 = nn.Linear(2 * h, n_out)

    def forward(self, x, pfx):
        h = tap(pfx + '.linear_1', self.linear_1(x))
        h = tap(pfx + '.gelu', gelu(h))
        h = tap(pfx + '.ln', self.LayerNorm(h))
        return tap(pfx + '.logits', self.linear_2(h))


class HierarchicalVlModel(nn.Module):
    """v_encoder."""
    def __init__(self, fc, cc, vfeat_dim, max_frm, vocab_rows, fom_classes,
                 nce_temp=1.0):
        super().__init__()
        self.f_encoder = CrossModalTrm(fc, vfeat_dim, max_frm, vocab_rows)
        self.frame_transform = LinearLayer(vfeat_dim, fc.hidden_size,
                                           fc.p_hidden)
        self.c_encoder = TemporalTrm(cc)
        self.feat_regress = FrameFeatureRegression(fc.hidden_size, vfeat_dim)
        self.nce_temp = nce_temp
        self.mask_embedding = nn.Embedding(2, vfeat_dim, padding_idx=0)
        self.fom_output = MLPLayer(cc.hidden_size, fom_classes)
        self.register_buffer('pad', torch.zeros(8, cc.hidden_size))

    # -- sub -> frame scatter -------------------------------------------
    @staticmethod
    def s2f_index(b):
        """flattened sub2frames -> (row, col, vid, frame) index tensors"""
        key = '_s2f_index'
        if key in b:
            return b[key]
        num_subs = b['num_subs'].tolist()
        sub_idx = b['s2f_sub_idx'].tolist()
        nfr = b['s2f_nframes'].tolist()
        frames = b['s2f_frames'].tolist()
        rows, cols, vids, fidx = [], [], [], []
        j = pos = off = 0
        for v, ns in enumerate(num_subs):
            for _ in range(ns):
                n = nfr[j]
                for c in range(n):
                    rows.append(off + sub_idx[j])
                    cols.append(c)
                    vids.append(v)
                    fidx.append(frames[pos + c])
                pos += n
                j += 1
            off += ns
        dev = b['c_v_feats'].device
        out = tuple(torch.tensor(x, dtype=torch.long, device=dev)
                    for x in (rows, cols, vids, fidx))
        b[key] = out
        return out

    def collect_frame_outputs(self, shape, fso, b):
        rows, cols, vids, fidx = self.s2f_index(b)
        z = torch.zeros(*shape, dtype=fso.dtype, device=fso.device)
        return z.index_put((vids, fidx), fso[rows, cols], accumulate=True)

    def forward_repr(self, b, encode_clip=True, c_v_feats=None, pfx='v'):
        fpfx = pfx + '.f'
        seq, pooled = self.f_encoder.forward_repr(
            b['f_sub_input_ids'], b['f_sub_pos_ids'], b['f_v_feats'],
            b['f_v_pos_ids'], b['f_attn_masks'], b['f_gather_index'],
            b.get('f_v_masks'), fpfx)
        if c_v_feats is None:
            c_v_feats = b['c_v_feats']
        shape = list(c_v_feats.shape[:2]) + [seq.shape[-1]]
        matched = tap(pfx + '.matched_v_feats',
                      self.collect_frame_outputs(shape, seq, b))
        t = self.frame_transform(c_v_feats, pfx + '.frame_transform')
        t = tap(pfx + '.transformed_c_v_feats', t + matched)
        out = {'f_sequence_output': seq, 'f_pooled_output': pooled,
               'transformed_c_v_feats': t}
        if encode_clip:
            out['c_sequence_output'] = self.c_encoder(t, b['c_attn_masks'],
                                                      pfx + '.c')
        return out

    def forward_mfm(self, b, loss='nce', pfx='v'):
        mask = b['c_v_masks']
        feats = b['c_v_feats'].masked_fill(mask.unsqueeze(-1), 0)
        feats = tap(pfx + '.c_v_feats_masked',
                    feats + self.mask_embedding(mask.long()))
        clip = self.forward_repr(b, c_v_feats=feats,
                                 pfx=pfx)['c_sequence_output']
        H = clip.shape[-1]
        masked = tap(pfx + '.mfm_masked_hidden',
                     clip[mask.unsqueeze(-1).expand_as(clip)].view(-1, H))
        pred = pad_layer_unpad(masked, self.feat_regress, self.pad,
                               pfx + '.feat_regress_pos')
        out = {'prediction_feat': pred}
        tgt = b['feat_targets']
        if loss == 'nce':
            neg = tap(pfx + '.mfm_neg_hidden',
                      clip[(~mask).unsqueeze(-1).expand_as(clip)].view(-1, H))
            neg_pred = pad_layer_unpad(neg, self.feat_regress, self.pad,
                                       pfx + '.feat_regress_neg')
            logits = torch.cat([pred.matmul(tgt.t()),
                                pred.matmul(neg_pred.t())], dim=1)
            logits = tap(pfx + '.nce_logits', logits)
            tg = torch.arange(pred.shape[0], device=pred.device)
            lv = F.cross_entropy(logits / self.nce_temp, tg, reduction='none')
            out.update(neg_pred_feat=neg_pred, loss_vec=lv, loss=lv.mean())
        else:
            lv = F.mse_loss(pred, tgt, reduction='none')
            out.update(loss_vec=lv, loss=torch.sqrt(lv.sum(dim=1)).mean())
        return out

    def forward_fom(self, b, pfx='v'):
        t = self.forward_repr(b, encode_clip=False,
                              pfx=pfx)['transformed_c_v_feats']
        orders = b['shuffled_orders'].unsqueeze(-1).expand_as(t)
        shuf = tap(pfx + '.fom_shuffled',
                   torch.zeros_like(t).scatter(1, orders, t))
        enc = self.c_encoder(shuf, b['c_attn_masks'], pfx + '.c')
        B, L, H = enc.shape
        logits = self.fom_output(enc.view(B * L, H), pfx + '.fom_output')
        loss = F.cross_entropy(logits, b['targets'].view(-1), ignore_index=-1,
                               reduction='mean')
        return {'logits': logits, 'loss': loss}


class QueryFeatEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.position_embeddings = nn.Embedding(c.max_position_embeddings,
                                                c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=1e-5)
        self.p = c.p_hidden

    def forward(self, x, pfx):
        pos = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
        e = tap(pfx + '.pos_embed',
                self.LayerNorm(x + self.position_embeddings(pos)))
        return F.dropout(e, self.p, self.training)


class QueryFeatEncoder(nn.Module):
    """q_feat_attn."""
    def __init__(self, qc, qfeat_dim):
        super().__init__()
        self.query_input_proj = LinearLayer(qfeat_dim, qc.hidden_size,
                                            qc.p_hidden)
        self.query_pos_embed = QueryFeatEmbeddings(qc)
        self.query_self_attention = Attention(qc)
        self.modular_vector_mapping = nn.Linear(qc.hidden_size, 1, bias=False)

    def forward(self, feat, attn_mask, pfx='q'):
        x = self.query_input_proj(feat, pfx + '.input_proj')
        x = self.query_pos_embed(x, pfx)
        m = attn_mask.to(x.dtype)
        x = self.query_self_attention(x, ext_attn_mask(m, x.dtype),
                                      pfx + '.self_attention')
        s = tap(pfx + '.modular_scores', self.modular_vector_mapping(x))
        a = tap(pfx + '.modular_attn',
                torch.softmax(mask_logits(s, m.unsqueeze(2)), dim=1))
        return tap(pfx + '.modularized_query',
                   torch.einsum('blm,bld->bmd', a, x)[:, 0])


class HeroForPretraining(nn.Module):
    def __init__(self, model_config, vfeat_dim=4352, max_frm_seq_len=100,
                 vocab_rows=None, fom_classes=100, conv_kernel_size=5,
                 dropout=False, lw_st_ed=0.01, lw_neg_ctx=8.0, lw_neg_q=8.0,
                 ranking_loss_type='hinge', margin=0.1,
                 use_hard_negative=False, hard_pool_size=20,
                 hard_neg_weight=10, use_all_neg=True, nce_temp=1.0,
                 drop_svmr_prob=0.0):
        super().__init__()
        fc = Cfg(model_config['f_config'], dropout)
        cc = Cfg(model_config['c_config'], dropout)
        qc = Cfg(model_config['q_config'], dropout)
        if vocab_rows is None:
            vocab_rows = (fc.vocab_size + 7) // 8 * 8
        self.fc, self.cc, self.qc = fc, cc, qc
        self.v_encoder = HierarchicalVlModel(fc, cc, vfeat_dim,
                                             max_frm_seq_len, vocab_rows,
                                             fom_classes, nce_temp)
        self.video_query_linear = nn.Linear(qc.hidden_size, cc.hidden_size)
        self.video_st_predictor = nn.Conv1d(1, 1, conv_kernel_size,
                                            padding=conv_kernel_size // 2,
                                            bias=False)
        self.video_ed_predictor = nn.Conv1d(1, 1, conv_kernel_size,
                                            padding=conv_kernel_size // 2,
                                            bias=False)
        self.q_feat_attn = QueryFeatEncoder(qc, fc.hidden_size)
        self.lw_st_ed, self.lw_neg_ctx, self.lw_neg_q = \
            lw_st_ed, lw_neg_ctx, lw_neg_q
        self.ranking_loss_type, self.margin = ranking_loss_type, margin
        self.use_hard_negative = use_hard_negative
        self.hard_pool_size = hard_pool_size
        self.hard_neg_weight = hard_neg_weight
        self.use_all_neg = use_all_neg
        self.drop_svmr_prob = drop_svmr_prob

    # -- construction -----------------------------------------------------
    @classmethod
    def from_checkpoint(cls, model_config, state_dict, dropout=False,
                        **loss_kw):
        """Shapes (F, frame table, vocab rows, FOM classes, conv kernel)
        come from the checkpoint; the rest from the model-config JSON."""
        sd = {k: v for k, v in state_dict.items()
              if isinstance(v, torch.Tensor)}
        pre = 'v_encoder.f_encoder.'
        m = cls(model_config,
                vfeat_dim=sd[pre + 'img_embeddings.img_linear.weight'
                             ].shape[1],
                max_frm_seq_len=sd[pre + 'img_embeddings.position_embeddings.'
                                   'weight'].shape[0],
                vocab_rows=sd[pre + 'embeddings.word_embeddings.weight'
                              ].shape[0],
                fom_classes=sd['v_encoder.fom_output.linear_2.weight'
                               ].shape[0],
                conv_kernel_size=sd['video_st_predictor.weight'].shape[-1],
                dropout=dropout, **loss_kw)
        m.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
        return m

    def init_weights(self, std=0.02, seed=0):
        """the official random init (normal(0, std) for Linear/Embedding,
        LayerNorm 1/0, biases 0, v_encoder.mask_embedding row 0 = 0)."""
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for mod in self.modules():
                if isinstance(mod, (nn.Linear, nn.Embedding)):
                    mod.weight.copy_(torch.randn(mod.weight.shape,
                                                 generator=g) * std)
                    if isinstance(mod, nn.Linear) and mod.bias is not None:
                        mod.bias.zero_()
                elif isinstance(mod, nn.LayerNorm):
                    mod.weight.fill_(1.0)
                    mod.bias.zero_()
                elif isinstance(mod, nn.Conv1d):
                    mod.weight.copy_(torch.randn(mod.weight.shape,
                                                 generator=g) * 0.2)
            self.v_encoder.mask_embedding.weight[0].zero_()
            self.v_encoder.f_encoder.lm_head.bias.zero_()
        return self

    # -- forward ------------------------------------------------------------
    def forward(self, batch, task, infer=True):
        b = dict(batch)
        if task == 'repr':
            out = self.v_encoder.forward_repr(b)
            if 'probe' in b:
                out['loss'] = (out['c_sequence_output'] * b['probe']).sum()
            return out
        if task == 'mlm':
            return self.v_encoder.f_encoder.forward_mlm(b)
        if task == 'mfm-nce':
            return self.v_encoder.forward_mfm(b, 'nce')
        if task == 'mffr':
            return self.v_encoder.forward_mfm(b, 'regression')
        if task == 'fom':
            return self.v_encoder.forward_fom(b)
        if task == 'vsm':
            out = self.forward_vsm(b)
            if infer:
                out.update(self.vsm_inference(b))
            return out
        raise ValueError(task)

    def encode_query(self, b, pfx='query'):
        seq, _ = self.v_encoder.f_encoder.forward_repr(
            b['query_input_ids'], b['query_pos_ids'], None, None,
            b['query_attn_masks'], None, None, pfx + '.f')
        return self.q_feat_attn(seq, b['query_attn_masks'], pfx + '.q')

    def st_ed_prob(self, q, frames, c_mask, cross, pfx):
        query = tap(pfx + '.video_query', self.video_query_linear(q))
        if cross:
            sim = torch.einsum('md,nld->mnl', query, frames)
            nq, nv, L = sim.shape
            sim = tap(pfx + '.st_ed_similarity', sim)
            s = sim.reshape(nq * nv, 1, L)
            st = self.video_st_predictor(s).view(nq, nv, L)
            ed = self.video_ed_predictor(s).view(nq, nv, L)
            c_mask = c_mask.unsqueeze(0)
        else:
            sim = tap(pfx + '.st_ed_similarity',
                      torch.einsum('bd,bld->bl', query, frames))
            st = self.video_st_predictor(sim.unsqueeze(1)).squeeze()
            ed = self.video_ed_predictor(sim.unsqueeze(1)).squeeze()
        tap(pfx + '.st_conv', st)
        tap(pfx + '.ed_conv', ed)
        c_mask = c_mask.to(st.dtype)
        return (tap(pfx + '.st_prob', mask_logits(st, c_mask)),
                tap(pfx + '.ed_prob', mask_logits(ed, c_mask)))

    def video_level_scores(self, q, frames, c_mask, pfx):
        qn = tap(pfx + '.query_normalized', F.normalize(q, dim=-1, eps=1e-5))
        fn = tap(pfx + '.frames_normalized',
                 F.normalize(frames, dim=-1, eps=1e-5))
        s = torch.einsum('md,nld->mln', qn, fn)
        m = c_mask.transpose(0, 1).unsqueeze(0).to(s.dtype)
        s = tap(pfx + '.q2frame_scores_masked', mask_logits(s, m))
        return tap(pfx + '.q2video_scores', torch.max(s, dim=1)[0])

    def ranking_loss(self, pos, neg):
        if self.ranking_loss_type == 'hinge':
            return torch.clamp(self.margin + neg - pos, min=0)
        if self.ranking_loss_type == 'lse':
            return torch.log1p(torch.exp(neg - pos))
        raise NotImplementedError(self.ranking_loss_type)

    def _hard_weight(self, x):
        w = torch.ones_like(x)
        w[:, self.hard_pool_size:] = .1
        w[:, :self.hard_pool_size] = self.hard_neg_weight
        return w * x

    def _sampled_neg(self, masked, min_idx):
        n, size = masked.shape
        idx = torch.sort(masked, descending=True, dim=1)[1]
        mx = min(min_idx + self.hard_pool_size, size) \
            if self.use_hard_negative else size
        r = torch.arange(n, device=masked.device)
        pick = idx[r, torch.randint(min_idx, mx, (n,)).to(masked.device)]
        return masked[r, pick]

    def video_level_loss(self, scores, pfx):
        """-> (loss_neg_ctx_mat [Nq, Nv-1], loss_neg_q_mat [Nq, Nq-k]) or
        None when there is one video (both losses are then 0)."""
        nq, nv = scores.shape
        k = int(nq / nv)
        if nv == 1:
            return None
        qv = torch.arange(nq, device=scores.device) // k
        pos_q = scores[torch.arange(nq, device=scores.device), qv]  # (Nq,)
        posmask = torch.zeros_like(scores, dtype=torch.bool)
        posmask[torch.arange(nq, device=scores.device), qv] = True
        masked = torch.where(posmask, torch.full_like(scores, 999.), scores)
        tap(pfx + '.q2video_scores_999', masked)
        pos_v = pos_q.view(nv, k)
        if self.use_all_neg:
            neg_ctx = torch.sort(masked, descending=True, dim=1)[0][:, 1:]
            tap(pfx + '.neg_ctx_sorted', neg_ctx)
            l_ctx = self.ranking_loss(pos_q.view(nq, 1), neg_ctx)
            if self.use_hard_negative:
                l_ctx = self._hard_weight(l_ctx)
            neg_q = torch.sort(masked.t(), descending=True, dim=1)[0][:, k:]
            tap(pfx + '.neg_q_sorted', neg_q)
            l_q = self.ranking_loss(pos_v.unsqueeze(-1), neg_q.unsqueeze(1))
            l_q = l_q.reshape(-1, l_q.shape[2])
            if self.use_hard_negative:
                l_q = self._hard_weight(l_q)
        else:
            neg_ctx = self._sampled_neg(masked, 1).unsqueeze(-1)
            l_ctx = self.ranking_loss(pos_q.view(nq, 1), neg_ctx)
            neg_q = self._sampled_neg(masked.t(), k).unsqueeze(-1)
            l_q = self.ranking_loss(pos_v, neg_q)
        return l_ctx, l_q

    def forward_vsm(self, b):
        frames = self.v_encoder.forward_repr(b)['c_sequence_output']
        q = self.encode_query(b)
        c_mask = b['c_attn_masks']
        dev, dt = frames.device, frames.dtype
        out = {'modularized_query': q}
        zero = torch.zeros((), dtype=dt, device=dev)
        loss_st_ed = loss_neg_ctx = loss_neg_q = zero
        red = 'mean' if self.training else 'sum'
        if self.lw_st_ed != 0 and (np.random.rand() > self.drop_svmr_prob
                                   or not self.training):
            cross = frames.shape[0] != q.shape[0]
            st, ed = self.st_ed_prob(q, frames, c_mask, cross, 'vsm')
            out['st_prob'], out['ed_prob'] = st, ed
            if st.dim() == 3:
                r = torch.arange(st.shape[0], device=dev)
                st, ed = st[r, b['q_vidx']], ed[r, b['q_vidx']]
            t = b['targets']
            loss_st_ed = (F.cross_entropy(st, t[:, 0], reduction=red,
                                          ignore_index=-1) +
                          F.cross_entropy(ed, t[:, 1], reduction=red,
                                          ignore_index=-1))
        if self.lw_neg_ctx != 0 or self.lw_neg_q != 0:
            s = self.video_level_scores(q, frames, c_mask, 'vsm')
            out['q2video_scores'] = s
            mats = self.video_level_loss(s, 'vsm')
            if mats is not None:
                out['loss_neg_ctx_mat'], out['loss_neg_q_mat'] = mats
                loss_neg_ctx = mats[0].mean(1)
                loss_neg_q = mats[1].mean(1)
                if red == 'mean':
                    loss_neg_ctx, loss_neg_q = (loss_neg_ctx.mean(0),
                                                loss_neg_q.mean(0))
        out['loss_st_ed'] = self.lw_st_ed * loss_st_ed
        out['loss_neg_ctx'] = self.lw_neg_ctx * loss_neg_ctx
        out['loss_neg_q'] = self.lw_neg_q * loss_neg_q
        out['loss'] = out['loss_st_ed'] + out['loss_neg_ctx'] + \
            out['loss_neg_q']
        return out

    @torch.no_grad()
    def vsm_inference(self, b):
        """eval mode, every query against every video (single process)."""
        was = self.training
        self.eval()
        try:
            frames = self.v_encoder.forward_repr(
                b, pfx='infer.v')['c_sequence_output']
            q = self.encode_query(b, 'infer.query')
            st, ed = self.st_ed_prob(q, frames, b['c_attn_masks'], True,
                                     'infer.vsm')
            s = self.video_level_scores(q, frames, b['c_attn_masks'],
                                        'infer.vsm')
        finally:
            self.train(was)
        return {'infer_frame_embeddings': frames, 'infer_q2video_scores': s,
                'infer_st_prob': st, 'infer_ed_prob': ed}


def task_loss(task, out):
    """the scalar that is back-propagated (golden loss_definition)."""
    if task in ('mlm', 'mfm-nce'):
        return out['loss_vec'].mean()
    if task == 'mffr':
        return torch.sqrt(out['loss_vec'].sum(dim=1)).mean()
    return out['loss']


# --------------------------------------------------------------------------
# official AdamW + training step rule
# --------------------------------------------------------------------------
class OfficialAdamW:
    """optim/adamw.py of the release: bias correction on, decoupled weight
    decay applied AFTER the Adam update, parameters whose .grad is None are
    skipped (no state)."""
    def __init__(self, groups, lr, betas=(0.9, 0.98), eps=1e-6):
        self.groups = groups          # list of (params, weight_decay)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state = {}

    def params(self):
        return [p for ps, _ in self.groups for p in ps]

    @torch.no_grad()
    def step(self):
        b1, b2 = self.betas
        for ps, wd in self.groups:
            for p in ps:
                if p.grad is None:
                    continue
                g = p.grad
                st = self.state.setdefault(id(p), {
                    'step': 0, 'm': torch.zeros_like(p),
                    'v': torch.zeros_like(p)})
                st['step'] += 1
                st['m'].mul_(b1).add_(g, alpha=1.0 - b1)
                st['v'].mul_(b2).addcmul_(g, g, value=1.0 - b2)
                denom = st['v'].sqrt().add_(self.eps)
                step_size = (self.lr * math.sqrt(1.0 - b2 ** st['step'])
                             / (1.0 - b1 ** st['step']))
                p.addcdiv_(st['m'], denom, value=-step_size)
                if wd > 0.0:
                    p.add_(p, alpha=-self.lr * wd)

    def zero_grad(self):              # torch 1.13 default: zero, keep
        for p in self.params():
            if p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()


def build_official_optimizer(model, lr, weight_decay=0.01, betas=(0.9, 0.98),
                             eps=1e-6):
    named = list(model.named_parameters())
    nd = ['bias', 'LayerNorm.bias', 'LayerNorm.weight']
    top = [(n, p) for n, p in named if 'v_encoder' not in n]
    ven = [(n, p) for n, p in named if 'v_encoder' in n]
    groups = [([p for n, p in top if not any(x in n for x in nd)],
               weight_decay),
              ([p for n, p in top if any(x in n for x in nd)], 0.0),
              ([p for n, p in ven if not any(x in n for x in nd)],
               weight_decay),
              ([p for n, p in ven if any(x in n for x in nd)], 0.0)]
    return OfficialAdamW(groups, lr, betas, eps)


def warmup_linear(step, warmup, total):
    if step < warmup:
        return step / warmup
    return max(0, (total - step) / (total - warmup))


# --------------------------------------------------------------------------
# batch building (the official dataset + collate logic, explicit choices)
# --------------------------------------------------------------------------
def _pad_seq(seqs, value, dtype=torch.long):
    n = max((len(s) for s in seqs), default=0)
    out = torch.full((len(seqs), n), value, dtype=dtype)
    for i, s in enumerate(seqs):
        if len(s):
            out[i, :len(s)] = torch.as_tensor(np.asarray(s)).to(dtype)
    return out


def _pad_feats(feats):
    n = max(f.shape[0] for f in feats)
    out = torch.zeros(len(feats), n, feats[0].shape[1])
    for i, f in enumerate(feats):
        out[i, :f.shape[0]] = torch.as_tensor(f)
    return out


def _gather_index(txt_lens, v_lens, max_vl, out_size):
    gi = torch.arange(out_size).unsqueeze(0).repeat(len(txt_lens), 1)
    for i, (tl, nv) in enumerate(zip(txt_lens, v_lens)):
        gi[i, nv:nv + tl] = torch.arange(max_vl, max_vl + tl)
    return gi


def corpus_from_raw(raw):
    """golden raw.* arrays -> list of videos {feats, subs, s2f}"""
    vids, fo, so, to, jo, po = [], 0, 0, 0, 0, 0
    for nf, ns in zip(raw['raw.nframes'].tolist(),
                      raw['raw.num_subs'].tolist()):
        feats = raw['raw.v_feats'][fo:fo + nf]
        fo += nf
        subs = []
        for L in raw['raw.sub_len'][so:so + ns].tolist():
            subs.append(raw['raw.sub_tokens'][to:to + L].tolist())
            to += L
        so += ns
        s2f = []
        for _ in range(ns):
            sid = int(raw['raw.s2f_sub_idx'][jo])
            n = int(raw['raw.s2f_nframes'][jo])
            s2f.append((sid, raw['raw.s2f_frames'][po:po + n].tolist()))
            jo += 1
            po += n
        vids.append({'feats': np.asarray(feats, np.float32), 'subs': subs,
                     's2f': s2f})
    return vids


def _video_collate(items, videos):
    """items: per video (sub_input_ids list, sub_feats list, sub_attn list)"""
    ids, feats, attn = [], [], []
    for it in items:
        ids += it[0]
        feats += it[1]
        attn += it[2]
    txt_lens = [len(x) for x in ids]
    v_lens = [f.shape[0] for f in feats]
    b = {}
    b['f_sub_input_ids'] = _pad_seq(ids, PAD)
    b['f_sub_pos_ids'] = torch.arange(b['f_sub_input_ids'].shape[1]
                                      ).clamp(max=511).unsqueeze(0)
    b['f_v_feats'] = _pad_feats(feats)
    b['f_v_pos_ids'] = torch.arange(b['f_v_feats'].shape[1]).unsqueeze(0)
    b['f_attn_masks'] = _pad_seq(attn, 0)
    b['f_gather_index'] = _gather_index(txt_lens, v_lens,
                                        b['f_v_feats'].shape[1],
                                        b['f_attn_masks'].shape[1])
    b['f_sub_input_attn_masks'] = _pad_seq([[1] * t for t in txt_lens], 0)
    cf = [v['feats'] for v in videos]
    b['c_v_feats'] = _pad_feats(cf)
    b['c_pos_ids'] = torch.arange(b['c_v_feats'].shape[1]
                                  ).unsqueeze(0).repeat(len(cf), 1)
    b['c_attn_masks'] = _pad_seq([[1] * f.shape[0] for f in cf], 0)
    b['num_subs'] = torch.tensor([len(v['s2f']) for v in videos])
    b['s2f_sub_idx'] = torch.tensor([s for v in videos for s, _ in v['s2f']])
    b['s2f_nframes'] = torch.tensor([len(f) for v in videos
                                     for _, f in v['s2f']])
    b['s2f_frames'] = torch.tensor([x for v in videos for _, f in v['s2f']
                                    for x in f], dtype=torch.long)
    return b


def _ctx_item(v, max_txt_len=60, exclude=()):
    ids, feats, attn = [], [], []
    F_ = v['feats'].shape[1]
    for sid, frames in v['s2f']:
        toks = [] if sid in exclude else v['subs'][sid][:max_txt_len]
        x = [SEP] + list(toks)
        frames = [f for f in frames if f < v['feats'].shape[0]]
        if frames:
            feats.append(v['feats'][frames])
            attn.append([1] * (len(x) + len(frames)))
        else:
            feats.append(np.zeros((1, F_), np.float32))
            attn.append([0] + [1] * len(x))
        ids.append(x)
    return ids, feats, attn


def collate_repr(videos, max_txt_len=60):
    return _video_collate([_ctx_item(v, max_txt_len) for v in videos], videos)


def collate_mlm(videos, masked_ids, labels, max_txt_len=60):
    """masked_ids / labels: per video, per s2f entry, the token list after
    masking and the label list (-1 = not picked)."""
    ids, feats, attn, tgt, lab = [], [], [], [], []
    for v, mv, lv in zip(videos, masked_ids, labels):
        for (sid, frames), m, l in zip(v['s2f'], mv, lv):
            x = [CLS] + list(m)
            l = [-1] + list(l)
            n = len(frames)
            if n:
                feats.append(v['feats'][frames])
                attn.append([1] * (len(x) + n))
            else:
                feats.append(np.zeros((1, v['feats'].shape[1]), np.float32))
                attn.append([0] + [1] * len(x))
            tgt.append([0] * max(n, 1) + [int(y != -1) for y in l])
            ids.append(x)
            lab.append(l)
    b = {}
    b['input_ids'] = _pad_seq(ids, PAD)
    b['position_ids'] = torch.arange(b['input_ids'].shape[1]).unsqueeze(0)
    b['v_feat'] = _pad_feats(feats)
    b['attn_masks'] = _pad_seq(attn, 0)
    b['gather_index'] = _gather_index([len(x) for x in ids],
                                      [f.shape[0] for f in feats],
                                      b['v_feat'].shape[1],
                                      b['attn_masks'].shape[1])
    b['txt_mask_tgt'] = _pad_seq(tgt, 0, torch.bool)
    la = _pad_seq(lab, -1)
    b['txt_labels'] = la[la != -1]
    return b


def collate_mfm(videos, frame_masks, max_txt_len=60):
    """frame_masks: per video a bool array [T]."""
    b = collate_repr(videos, max_txt_len)
    fm = []
    for v, m in zip(videos, frame_masks):
        for _, frames in v['s2f']:
            fm.append([bool(m[f]) for f in frames] if frames else [False])
    fm = _pad_seq(fm, 0, torch.bool)
    cm = _pad_seq([list(map(bool, m)) for m in frame_masks], 0, torch.bool)
    b['f_v_feats'] = b['f_v_feats'].masked_fill(fm.unsqueeze(-1), 0)
    c = b['c_v_feats']
    b['feat_targets'] = c[cm.unsqueeze(-1).expand_as(c)].view(-1, c.shape[-1])
    b['c_v_feats'] = c.masked_fill(cm.unsqueeze(-1), 0)
    b['f_v_masks'] = fm
    b['c_v_masks'] = cm
    return b


def collate_fom(videos, orders, targets, max_txt_len=60):
    b = collate_repr(videos, max_txt_len)
    B, L = b['c_v_feats'].shape[:2]
    ao = torch.arange(L).unsqueeze(0).repeat(B, 1)
    at = torch.full((B, L), -1, dtype=torch.long)
    for i, (o, t) in enumerate(zip(orders, targets)):
        ao[i, :len(o)] = torch.as_tensor(np.asarray(o))
        at[i, :len(t)] = torch.as_tensor(np.asarray(t))
    idx, bt = [], []
    for c, o in enumerate(orders):
        n = len(o)
        for i in range(n):
            if at[c, i] == -1:
                continue
            for j in range(i + 1, n):
                if at[c, j] == -1:
                    continue
                idx += [c * L + i, c * L + j]
                bt.append(0 if at[c, i] > at[c, j] else 1)
                idx += [c * L + j, c * L + i]
                bt.append(0 if at[c, j] > at[c, i] else 1)
    b['shuffled_orders'] = ao
    b['targets'] = at
    b['reordered_frame_idx'] = torch.tensor(idx, dtype=torch.long)
    b['binary_targets'] = torch.tensor(bt, dtype=torch.long)
    return b


def collate_vsm(videos, query_sets, max_txt_len=60, q_per_video=5):
    """query_sets: per video the set of subtitle ids used as queries."""
    items, q_ids, q_vid, q_tgt = [], [], [], []
    for vi, (v, qs) in enumerate(zip(videos, query_sets)):
        items.append(_ctx_item(v, max_txt_len, exclude=set(qs)))
        T = v['feats'].shape[0]
        qv = []
        for sid, frames in v['s2f']:
            if frames and sid in qs:
                st = frames[0]
                ed = min(max(frames[0] + 1, frames[-1]), T - 1)
                qv.append(([CLS] + v['subs'][sid][:max_txt_len], [st, ed]))
        while len(qv) < q_per_video:
            qv.append(qv[-1])
        for x, t in qv:
            q_ids.append(x)
            q_vid.append(vi)
            q_tgt.append(t)
    b = _video_collate(items, videos)
    b['q_vidx'] = torch.tensor(q_vid, dtype=torch.long)
    b['query_input_ids'] = _pad_seq(q_ids, PAD)
    b['query_pos_ids'] = torch.arange(b['query_input_ids'].shape[1]
                                      ).clamp(max=511).unsqueeze(0)
    b['query_attn_masks'] = _pad_seq([[1] * len(x) for x in q_ids], 0)
    b['targets'] = _pad_seq(q_tgt, -1)
    b['vids'] = torch.arange(len(videos))
    return b


def batch_from_golden(task, t, md):
    """rebuild the in.* batch from the golden raw.* + choice.* tensors."""
    videos = corpus_from_raw(t)
    ds = json.loads(md.get('data_settings', '{}') or '{}')
    mtl = ds.get('max_txt_len', 60)
    if task == 'repr':
        return collate_repr(videos, mtl)
    if task == 'mlm':
        lens = t['choice.mlm_len'].tolist()
        ids, labs, o, j = [], [], 0, 0
        for v in videos:
            mi, ml = [], []
            for _ in v['s2f']:
                mi.append(t['choice.mlm_input_ids'][o:o + lens[j]].tolist())
                ml.append(t['choice.mlm_labels'][o:o + lens[j]].tolist())
                o += lens[j]
                j += 1
            ids.append(mi)
            labs.append(ml)
        return collate_mlm(videos, ids, labs, mtl)
    if task in ('mfm-nce', 'mffr'):
        fm, o = [], 0
        for v in videos:
            T = v['feats'].shape[0]
            fm.append(t['choice.frame_mask'][o:o + T])
            o += T
        return collate_mfm(videos, fm, mtl)
    if task == 'fom':
        ords, tgts, o = [], [], 0
        for v in videos:
            T = v['feats'].shape[0]
            ords.append(t['choice.fom_orders'][o:o + T])
            tgts.append(t['choice.fom_targets'][o:o + T])
            o += T
        return collate_fom(videos, ords, tgts, mtl)
    if task == 'vsm':
        qs, o = [], 0
        for n in t['choice.vsm_n_sampled'].tolist():
            qs.append(set(t['choice.vsm_sampled_sub_idx'][o:o + n].tolist()))
            o += n
        return collate_vsm(videos, qs, mtl, ds.get('query_per_video', 5))
    raise ValueError(task)


# -- random choices (the official 15% rules) for synthetic batches ---------
def random_mlm_choice(videos, rng, vocab_range, mask_id, p=0.15,
                      max_txt_len=60):
    ids, labs = [], []
    for v in videos:
        mi, ml = [], []
        for sid, _ in v['s2f']:
            toks = list(v['subs'][sid][:max_txt_len])
            lab = []
            for i, tok in enumerate(toks):
                r = rng.random()
                if r < p:
                    r /= p
                    if r < 0.8:
                        toks[i] = mask_id
                    elif r < 0.9:
                        toks[i] = int(rng.integers(*vocab_range))
                    lab.append(tok)
                else:
                    lab.append(-1)
            if toks and all(x == -1 for x in lab):
                lab[0] = toks[0]
                toks[0] = mask_id
            mi.append(toks)
            ml.append(lab)
        ids.append(mi)
        labs.append(ml)
    return ids, labs


def random_frame_mask(videos, rng, p=0.15):
    out = []
    for v in videos:
        T = v['feats'].shape[0]
        m = rng.random(T) < p
        if not m.any():
            m[rng.integers(T)] = True
        out.append(m)
    return out


def random_fom_choice(videos, rng, p=0.15):
    ords, tgts = [], []
    for v in videos:
        T = v['feats'].shape[0]
        sel = [i for i in range(T) if rng.random() < p]
        shuf = list(sel)
        rng.shuffle(shuf)
        o, t = list(range(T)), [-1] * T
        for i, pos in enumerate(sel):
            o[pos] = shuf[i]
            t[shuf[i]] = pos
        ords.append(o)
        tgts.append(t)
    return ords, tgts


def random_vsm_choice(videos, rng, q_per_video=5):
    out = []
    for v in videos:
        cand = [s for s, f in v['s2f'] if f]
        n = min(len(cand), q_per_video)
        out.append(set(rng.choice(cand, n, replace=False).tolist()))
    return out


def synthetic_corpus(n_videos, n_frames, vfeat_dim, vocab, rng,
                     frames_per_sub=(2, 5), words_per_sub=(6, 20)):
    """B videos of T frames; consecutive subtitles of 2-5 frames, each
    frame claimed by exactly one subtitle; 6-20 random word ids."""
    videos = []
    for _ in range(n_videos):
        T = n_frames
        feats = rng.standard_normal((T, vfeat_dim)).astype(np.float32)
        subs, s2f, f = [], [], 0
        while f < T:
            n = int(rng.integers(frames_per_sub[0], frames_per_sub[1] + 1))
            frames = list(range(f, min(T, f + n)))
            f += n
            s2f.append((len(subs), frames))
            nw = int(rng.integers(words_per_sub[0], words_per_sub[1] + 1))
            subs.append(rng.integers(4, vocab - 1, nw).tolist())
        videos.append({'feats': feats, 'subs': subs, 's2f': s2f})
    return videos


def synthetic_batches(videos, vocab, rng, tasks=TASKS):
    out = {}
    for task in tasks:
        if task == 'repr':
            out[task] = collate_repr(videos)
        elif task == 'mlm':
            ids, labs = random_mlm_choice(videos, rng, (4, vocab - 1),
                                          vocab - 1)
            out[task] = collate_mlm(videos, ids, labs)
        elif task in ('mfm-nce', 'mffr'):
            out[task] = collate_mfm(videos, random_frame_mask(videos, rng))
        elif task == 'fom':
            out[task] = collate_fom(videos, *random_fom_choice(videos, rng))
        elif task == 'vsm':
            out[task] = collate_vsm(videos, random_vsm_choice(videos, rng))
    return out


# --------------------------------------------------------------------------
# model construction helpers
# --------------------------------------------------------------------------
def load_checkpoint(path):
    sd = torch.load(path, map_location='cpu')
    if isinstance(sd, dict) and 'model' in sd and not any(
            k.startswith('v_encoder') for k in sd):
        sd = sd['model']
    return sd


def hero_loss_kwargs(cfg):
    h = cfg.get('hero', {})
    keys = ['lw_st_ed', 'lw_neg_ctx', 'lw_neg_q', 'ranking_loss_type',
            'margin', 'use_hard_negative', 'hard_pool_size',
            'hard_neg_weight', 'use_all_neg', 'nce_temp']
    return {k: h[k] for k in keys if k in h}


def load_model(dirpath):
    cfg = json.load(open(os.path.join(dirpath, 'config.json')))
    sd = load_checkpoint(os.path.join(dirpath, 'model.pt'))
    m = HeroForPretraining.from_checkpoint(cfg, sd, **hero_loss_kwargs(cfg))
    m.train()
    return m


RELEASED_CONFIG = {
    'f_config': {'hidden_size': 768, 'num_attention_heads': 12,
                 'intermediate_size': 3072, 'num_hidden_layers': 6,
                 'max_position_embeddings': 514, 'type_vocab_size': 1,
                 'vocab_size': 50265, 'hidden_act': 'gelu',
                 'hidden_dropout_prob': 0.1,
                 'attention_probs_dropout_prob': 0.1,
                 'initializer_range': 0.02},
    'c_config': {'hidden_size': 768, 'num_attention_heads': 12,
                 'intermediate_size': 3072, 'num_hidden_layers': 3,
                 'max_position_embeddings': 514, 'type_vocab_size': 2,
                 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1,
                 'attention_probs_dropout_prob': 0.1,
                 'initializer_range': 0.02},
    'q_config': {'hidden_size': 768, 'num_attention_heads': 12,
                 'intermediate_size': 3072, 'num_hidden_layers': 0,
                 'max_position_embeddings': 514, 'type_vocab_size': 1,
                 'vocab_size': 50265, 'hidden_act': 'gelu',
                 'hidden_dropout_prob': 0.1,
                 'attention_probs_dropout_prob': 0.1,
                 'initializer_range': 0.02},
}


def build_released_model(dropout=False, seed=0, model_config=None):
    """random init at the released shapes: H 768, 12 heads, I 3072, 6 + 3
    layers, vocab 50265 padded to 50272, F 4352, 100 frame positions, 100
    FOM classes."""
    m = HeroForPretraining(model_config or RELEASED_CONFIG, vfeat_dim=4352,
                           max_frm_seq_len=100, vocab_rows=50272,
                           fom_classes=100, dropout=dropout)
    return m.init_weights(seed=seed)


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------
TOL = 1e-5
STRICT = False
REF_BLAS = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'


def rel_err(x, ref):
    x = np.asarray(x, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if x.shape != ref.shape:
        return float('inf')
    if ref.size == 0:
        return 0.0
    return float(np.max(np.abs(x - ref)) / max(np.max(np.abs(ref)), 1e-6))


class Tally:
    def __init__(self):
        self.ok = self.bad = 0
        self.worst = {}

    def __call__(self, task, name, err, note=''):
        good = err <= TOL
        self.ok += good
        self.bad += not good
        if not (name.startswith('collate.')):
            self.worst[task] = max(self.worst.get(task, 0.0), err)
        print(f'{task} {name} {err:.3e} {"OK" if good else "FAIL"}{note}')


def to_batch(t):
    return {k[3:]: torch.from_numpy(np.array(v)) for k, v in t.items()
            if k.startswith('in.')}


def check_task(model, task, t, md, tally):
    batch = to_batch(t)
    # 1. the batch builder against the official collate output
    try:
        mine = batch_from_golden(task, t, md)
        for k in sorted(batch):
            if k == 'probe':
                continue
            if k not in mine:
                tally(task, f'collate.in.{k}', float('inf'), ' (missing)')
                continue
            a, r = mine[k].numpy(), batch[k].numpy()
            if a.shape != r.shape:
                tally(task, f'collate.in.{k}', float('inf'),
                      f' (shape {a.shape} vs {r.shape})')
            elif a.dtype == np.bool_ or np.issubdtype(r.dtype, np.integer):
                tally(task, f'collate.in.{k}',
                      0.0 if np.array_equal(a.astype(r.dtype), r)
                      else float('inf'))
            else:
                tally(task, f'collate.in.{k}', rel_err(a, r))
    except Exception as e:  # noqa
        tally(task, 'collate', float('inf'), f' ({type(e).__name__}: {e})')
    # 2. forward + backward
    model.zero_grad(set_to_none=True)
    out = model(batch, task)
    loss = task_loss(task, out)
    loss.backward()
    for k in [k for k in t if k.startswith('out.')]:
        name = k[4:]
        if name not in out:
            tally(task, k, float('inf'), ' (not computed)')
            continue
        tally(task, k, rel_err(out[name].detach().numpy(), t[k]))
    params = dict(model.named_parameters())
    for k in [k for k in t if k.startswith('grad.')]:
        p = params.get(k[5:])
        if p is None or p.grad is None:
            tally(task, k, float('inf'), ' (no grad)')
            continue
        g = p.grad.numpy()
        err = rel_err(g, t[k])
        sib = k[:-len('key.bias')] + 'key.weight'
        if k.endswith('attention.self.key.bias') and sib in t and \
                not STRICT and err > TOL:
            # d loss / d key bias is analytically 0 (softmax is invariant
            # to the per-query constant q.b_k): both sides are rounding
            # noise; judge it on the scale of the key weight's gradient.
            scale = float(np.max(np.abs(t[sib])))
            e2 = float(np.max(np.abs(g.astype(np.float64) - t[k]))
                       ) / max(scale, 1e-6)
            tally(task, k, e2, f' (analytically zero; raw err {err:.2e}, '
                  f'|ref| {np.max(np.abs(t[k])):.1e}, |ours| '
                  f'{np.max(np.abs(g)):.1e}, err taken vs key.weight grad '
                  f'scale {scale:.1e}; --strict to count raw)')
            continue
        tally(task, k, err)
    nog = set(json.loads(md.get('params_without_grad', '[]')))
    extra = [n for n, p in params.items()
             if p.grad is not None and 'grad.' + n not in t]
    wrong = [n for n in nog if params[n].grad is not None]
    tally(task, 'params_without_grad', 0.0 if not (extra or wrong)
          else float('inf'), f' ({len(nog)} listed)' if not (extra or wrong)
          else f' (unexpected grads: {extra + wrong})')


def check_train(dirpath, t, md, tally):
    model = load_model(dirpath)
    sched = json.loads(md['schedule'])
    opt_md = json.loads(md['optimizer'])
    lr0 = opt_md['learning_rate']
    betas = tuple(opt_md['betas'])
    wd = opt_md['weight_decay']
    ws = 2
    tot = 8
    import re
    m = re.search(r'warmup_steps=(\d+), num_train_steps=(\d+)',
                  opt_md.get('schedule', ''))
    if m:
        ws, tot = int(m.group(1)), int(m.group(2))
    accum = opt_md.get('gradient_accumulation_steps', 2)
    clip = opt_md.get('grad_norm_clip', 1.0)
    opt = build_official_optimizer(model, lr0, wd, betas, opt_md['eps'])
    # the metadata lists the decayed params: check our grouping
    decayed = set(json.loads(md.get('weight_decay_params', '[]')))
    names = {id(p): n for n, p in model.named_parameters()}
    mine = {names[id(p)] for ps, w in opt.groups if w > 0 for p in ps}
    if decayed:
        tally('train', 'weight_decay_params', 0.0 if mine == decayed
              else float('inf'))
    batches = {}
    for task in set(sched):
        tt, _ = st_load(os.path.join(dirpath, f'{task}.safetensors'))
        batches[task] = to_batch(tt)
    micro, gn, lrs = [], [], []
    params = dict(model.named_parameters())
    p0 = {n: p.detach().clone() for n, p in params.items()}
    for step, task in enumerate(sched, 1):
        for _ in range(accum):
            out = model(batches[task], task, infer=False)
            loss = task_loss(task, out)
            loss.backward()
            micro.append(loss.item())
        lr = lr0 * warmup_linear(step, ws, tot)
        if lr <= 0:
            lr = 1e-8
        opt.lr = lr
        lrs.append(lr)
        ps = [p for p in opt.params() if p.grad is not None]
        gn.append(float(torch.nn.utils.clip_grad_norm_(ps, clip)))
        opt.step()
        opt.zero_grad()
        if step == 1:
            for k in [k for k in t if k.startswith('param1.')]:
                tally('train', k, rel_err(params[k[7:]].detach().numpy(),
                                          t[k]))
    tally('train', 'traj.micro_loss', rel_err(np.array(micro, np.float32),
                                              t['traj.micro_loss']))
    tally('train', 'traj.grad_norm', rel_err(np.array(gn, np.float32),
                                             t['traj.grad_norm']))
    tally('train', 'traj.lr', rel_err(np.array(lrs, np.float32),
                                      t['traj.lr']))
    for k in [k for k in t if k.startswith('param.')]:
        tally('train', k, rel_err(params[k[6:]].detach().numpy(), t[k]))
    # stricter, informational (not counted): the update p - p0 against the
    # reference update (param err above is relative to |p|, which hides
    # e.g. a missing weight decay of lr*wd*p = 5e-6 relative)
    worst = {True: (0.0, ''), False: (0.0, '')}
    for k in [k for k in t if k.startswith('param.')]:
        n = k[6:]
        base = p0[n].numpy().astype(np.float64)
        e = rel_err(params[n].detach().numpy().astype(np.float64) - base,
                    t[k].astype(np.float64) - base)
        kb = n.endswith('attention.self.key.bias')
        if e > worst[kb][0]:
            worst[kb] = (e, n)
    print('train info (not counted): max err of the 6-step update p - p0 '
          'vs the reference update: %.3e (%s); key biases (zero-gradient '
          'noise amplified by Adam): %.3e' % (worst[False] + worst[True][:1]))


def cmd_check(args):
    global STRICT
    STRICT = args.strict
    if args.ref_blas and os.environ.get('HERO_REF_BLAS') != '1':
        # re-run under the netlib reference BLAS the golden files were made
        # with (Debian libblas3): the results are then bit-exact.
        if not os.path.exists(REF_BLAS):
            print(f'{REF_BLAS} not found; running with the default BLAS')
        else:
            env = dict(os.environ, HERO_REF_BLAS='1', LD_PRELOAD=REF_BLAS)
            os.execve(sys.executable, [sys.executable] + sys.argv, env)
    torch.set_num_threads(args.threads)
    tally = Tally()
    model = load_model(args.dir)
    for task in TASKS:
        p = os.path.join(args.dir, f'{task}.safetensors')
        if not os.path.exists(p):
            continue
        t, md = st_load(p)
        check_task(model, task, t, md, tally)
    p = os.path.join(args.dir, 'train.safetensors')
    if os.path.exists(p) and not args.no_train:
        t, md = st_load(p)
        check_train(args.dir, t, md, tally)
    print('max err per task: ' + ', '.join(f'{k} {v:.3e}'
                                          for k, v in tally.worst.items()))
    print(f'{tally.ok} passed, {tally.bad} failed')
    return 0 if tally.bad == 0 else 1


def cmd_dump(args):
    global _REC
    torch.set_num_threads(args.threads)
    model = load_model(args.dir)
    t, md = st_load(os.path.join(args.dir, f'{args.task}.safetensors'))
    batch = to_batch(t)
    _REC = Recorder()
    try:
        model.zero_grad(set_to_none=True)
        out = model(batch, args.task)
        loss = task_loss(args.task, out)
        loss.backward()
    finally:
        rec, _REC = _REC, None
    tensors = OrderedDict()
    for k, v in batch.items():
        if isinstance(v, torch.Tensor):
            tensors['in.' + k] = v
    for k in rec.acts:
        tensors['act.' + k] = rec.get(k)
    for k in rec.acts:
        g = rec.get(k, grad=True)
        if g is not None:
            tensors['dact.' + k] = g
    for k, v in out.items():
        tensors['out.' + k] = v.detach()
    tensors['out.backprop_loss'] = loss.detach()
    if not args.no_param_grads:
        for n, p in model.named_parameters():
            if p.grad is not None:
                tensors['grad.' + n] = p.grad
    meta = {'task': args.task, 'source': 'bench/hero_torch.py dump',
            'naming': 'act.<name>: activation; dact.<name>: d loss / d '
                      'activation; grad.<param>: d loss / d parameter; '
                      'prefixes v.f = cross-modal encoder (context), '
                      'v.c = temporal encoder, query.f / query.q = query '
                      'cross-modal encoder / query encoder, infer.* = vsm '
                      'inference (eval mode, no grad); layer{i}.attn.* '
                      'scores include the -10000 mask, probs after softmax',
            'loss': 'backprop loss = golden loss_definition'}
    st_save(args.out, tensors, meta)
    print(f'wrote {len(tensors)} tensors to {args.out} '
          f'(loss {loss.item():.6g})')
    return 0


def _sync(dev):
    if dev.startswith('cuda'):
        torch.cuda.synchronize()


BENCH_CASES = ['repr-fwd', 'mlm-step', 'mfm-nce-step', 'fom-step',
               'vsm-step', 'update']


def _bench_shape(b):
    """the batch dims, in hero_bench's `shape=` notation"""
    mlm = 'input_ids' in b
    ids = b['input_ids' if mlm else 'f_sub_input_ids']
    fv = b['v_feat' if mlm else 'f_v_feats']
    am = b['attn_masks' if mlm else 'f_attn_masks']
    B, L = (0, 0) if mlm else tuple(b['c_v_feats'].shape[:2])
    n = lambda k: int(b[k].shape[0]) if k in b else 0  # noqa: E731
    return (f'S{ids.shape[0]},Lt{ids.shape[1]},Lv{fv.shape[1]},'
            f'Lg{am.shape[1]},B{B},L{L},mlm{n("txt_labels")},'
            f'msk{n("feat_targets")},q{n("query_input_ids")}')


def cmd_bench_case(args):
    """one case of bench/run.sh: the same model dims, batch and timing rule
    as hero_bench (warm-up, then the median of --iters runs; gradients
    zeroed untimed before each step; update = clip_grad_norm_ + the
    official AdamW + zero_grad with every parameter holding a gradient)."""
    import resource
    torch.set_num_threads(args.threads)
    dev, prec = args.device, args.precision
    if prec not in ('fp32', 'tf32', 'bf16'):
        sys.exit('--precision must be fp32, tf32 or bf16')
    if not dev.startswith('cuda') and prec != 'fp32':
        sys.exit('--precision tf32 / bf16 need --device cuda')
    if dev.startswith('cuda'):
        torch.backends.cuda.matmul.allow_tf32 = prec == 'tf32'
        torch.backends.cudnn.allow_tf32 = prec == 'tf32'
    amp = dev.startswith('cuda') and prec == 'bf16'

    def autocast():                   # bf16 autocast on the GPU, else nothing
        import contextlib
        return (torch.autocast('cuda', torch.bfloat16) if amp
                else contextlib.nullcontext())
    t, md = st_load(args.data)
    dims = json.loads(md['bench_dims'])
    case = args.case
    if case not in BENCH_CASES:
        sys.exit(f'--case must be one of {BENCH_CASES}')
    iters = args.iters if args.iters > 0 else dims['iters']
    warmup = args.warmup if args.warmup >= 0 else dims['warmup']
    model = HeroForPretraining(json.loads(md['model_config']),
                               vfeat_dim=dims['vfeat_dim'],
                               max_frm_seq_len=dims['max_frm_seq_len'],
                               vocab_rows=dims['vocab_rows'],
                               fom_classes=dims['fom_classes'])
    model.init_weights(seed=args.seed).train()
    model.to(dev)
    params = list(model.parameters())
    if case == 'update':
        opt = build_official_optimizer(model, 3e-5, 0.01, (0.9, 0.98), 1e-6)
        g = torch.Generator().manual_seed(99)
        for p in params:
            p.grad = (torch.randn(p.shape, generator=g) * 1e-3).to(dev)
        ps = [p for p in opt.params() if p.grad is not None]
        shape = f'params={sum(p.numel() for p in params)}'
        state = {'step': 0}

        def run():
            state['step'] += 1
            opt.lr = 3e-5 * warmup_linear(state['step'], 10000, 100000)
            torch.nn.utils.clip_grad_norm_(ps, 1.0)
            opt.step()
            opt.zero_grad()
            return 0.0
    else:
        task = 'repr' if case == 'repr-fwd' else case[:-len('-step')]
        b = batch_from_golden(task, t, md)
        shape = _bench_shape(b)
        host_keys = ('num_subs', 's2f_sub_idx', 's2f_nframes', 's2f_frames')
        b = {k: (v.to(dev) if isinstance(v, torch.Tensor) and k not in host_keys
                 else v) for k, v in b.items()}

        def run():
            if task == 'repr':
                with torch.no_grad(), autocast():
                    model(b, 'repr')
                return 0.0
            with autocast():
                out = model(b, task, infer=False)
                loss = task_loss(task, out)
            loss.backward()
            return loss.item()
    times, loss = [], 0.0
    for i in range(warmup + iters):
        if case not in ('update', 'repr-fwd'):
            for p in params:            # official zero_grad: zero, keep
                if p.grad is not None:
                    p.grad.zero_()
        _sync(dev)
        s = time.perf_counter()
        loss = run()
        _sync(dev)
        if i >= warmup:
            times.append(time.perf_counter() - s)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    gpu = (torch.cuda.max_memory_allocated() / 1048576.0
           if dev.startswith('cuda') else 0.0)
    print(f'CASE name={dims["prefix"]}-{case} side=torch '
          f'time={np.median(times):.6f} min={min(times):.6f} iters={iters} '
          f'warmup={warmup} threads={torch.get_num_threads()} '
          f'maxrss_mb={rss:.1f} gpu_mb={gpu:.1f} loss={loss:.6g} '
          f'device={"cuda" if dev.startswith("cuda") else "cpu"} prec={prec} '
          f'shape={shape}')
    return 0


def cmd_bench(args):
    if args.data:
        return cmd_bench_case(args)
    torch.set_num_threads(args.threads)
    dev = args.device
    if not 1 <= args.frames <= 100:
        sys.exit('--frames must be in 1..100 (frame-order head: 100 classes)')
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    model = build_released_model(dropout=args.dropout, seed=args.seed)
    model.to(dev).train()
    print(f'model: {sum(p.numel() for p in model.parameters())/1e6:.1f}M '
          f'params, built in {time.time()-t0:.1f}s; threads '
          f'{torch.get_num_threads()}, device {dev}')
    videos = synthetic_corpus(args.videos, args.frames, 4352, 50265, rng)
    tasks = args.tasks.split(',')
    batches = synthetic_batches(videos, 50265, rng, tasks)
    for task in tasks:
        b = {k: v.to(dev) for k, v in batches[task].items()}
        sh = {k: tuple(v.shape) for k, v in b.items()
              if k in ('f_sub_input_ids', 'f_attn_masks', 'c_v_feats',
                       'input_ids', 'query_input_ids')}
        # forward only
        fw, fb = [], []
        for i in range(args.iters + 1):
            with torch.no_grad():
                _sync(dev)
                s = time.perf_counter()
                model(b, task, infer=False)
                _sync(dev)
                if i:
                    fw.append(time.perf_counter() - s)
            model.zero_grad(set_to_none=True)
            _sync(dev)
            s = time.perf_counter()
            out = model(b, task, infer=False)
            if task == 'repr':
                loss = out['c_sequence_output'].float().pow(2).mean()
            else:
                loss = task_loss(task, out)
            loss.backward()
            _sync(dev)
            if i:
                fb.append(time.perf_counter() - s)
        print(f'{task:8s} fwd {1e3*np.median(fw):9.1f} ms   fwd+bwd '
              f'{1e3*np.median(fb):9.1f} ms   loss {loss.item():.4f}   {sh}')
    return 0


def _lean_corpus(n, T, rng, vocab=50265, vfeat_dim=4352):
    """lean_bench's corpus: n videos of T frames, a subtitle of 6-20 word
    ids for each 6 consecutive frames"""
    videos = []
    for _ in range(n):
        feats = rng.standard_normal((T, vfeat_dim)).astype(np.float32)
        subs, s2f = [], []
        for s in range((T + 5) // 6):
            nw = int(rng.integers(6, 21))
            subs.append(rng.integers(4, vocab - 1, nw).tolist())
            s2f.append((s, list(range(6 * s, min(T, 6 * s + 6)))))
        videos.append({'feats': feats, 'subs': subs, 's2f': s2f})
    return videos


def _lean_queries(videos, nq, Lq, rng):
    """CLS + up to Lq - 1 word ids of a subtitle of the corpus"""
    ids = np.full((nq, Lq), PAD, dtype=np.int64)
    mask = np.zeros((nq, Lq), dtype=np.int64)
    for q in range(nq):
        v = videos[q % len(videos)]
        w = v['subs'][int(rng.integers(len(v['subs'])))][:Lq - 1]
        ids[q, 0], mask[q, 0] = CLS, 1
        ids[q, 1:1 + len(w)] = w
        mask[q, 1:1 + len(w)] = 1
    return {'query_input_ids': torch.from_numpy(ids),
            'query_pos_ids': torch.arange(Lq).unsqueeze(0),
            'query_attn_masks': torch.from_numpy(mask)}


def _lean_rank(q2v, st, ed, k=5, top_videos=100, alpha=20.0, lmin=2,
               lmax=15):
    """top-k videos per query and each one's best span (VCMR rule)"""
    nq, B, L = st.shape
    vi = torch.topk(q2v, min(top_videos, B), dim=1).indices
    sp = torch.softmax(st.float(), -1).gather(
        1, vi[..., None].expand(-1, -1, L))
    ep = torch.softmax(ed.float(), -1).gather(
        1, vi[..., None].expand(-1, -1, L))
    ones = torch.ones(L, L)
    band = torch.triu(ones, lmin - 1) - torch.triu(ones, lmax)
    s = (sp[..., :, None] * ep[..., None, :] * band *
         torch.exp(alpha * q2v.float().gather(1, vi))[..., None, None])
    best, at = s.flatten(2).max(-1)
    top = torch.topk(best, min(k, vi.shape[1]), dim=1)
    return vi.gather(1, top.indices), at.gather(1, top.indices)


def cmd_lean(args):
    """bench/lean.sh's inference cases in PyTorch (see the module doc)"""
    import contextlib
    import resource
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    model = build_released_model(seed=args.seed).eval()
    if args.dtype not in ('f32', 'bf16'):
        sys.exit('--dtype: f32 or bf16')

    def ctx():
        return (torch.autocast('cpu', dtype=torch.bfloat16)
                if args.dtype == 'bf16' else contextlib.nullcontext())
    nq, Lq = 10, 16
    if args.case == 'repr':
        videos = [_lean_corpus(1, 12, rng)[0], _lean_corpus(1, 20, rng)[0]]
        b = collate_repr(videos)

        def run():
            model(b, 'repr')
    elif args.case == 'query':
        videos = [_lean_corpus(1, 12, rng)[0], _lean_corpus(1, 20, rng)[0]]
        qb = _lean_queries(videos, nq, Lq, rng)

        def run():
            model.encode_query(qb, 'q')
    elif args.case == 'retrieve':
        videos = _lean_corpus(20, 60, rng)
        qb = _lean_queries(videos, nq, Lq, rng)
        vb = args.video_batch

        def run():
            frames, masks = [], []
            for v0 in range(0, len(videos), vb):
                b = collate_repr(videos[v0:v0 + vb])
                frames.append(model.v_encoder.forward_repr(
                    b, pfx='v')['c_sequence_output'].float())
                masks.append(b['c_attn_masks'])
            fr, cm = torch.cat(frames), torch.cat(masks)
            q = model.encode_query(qb, 'q')
            st, ed = model.st_ed_prob(q, fr, cm, True, 'vsm')
            q2v = model.video_level_scores(q, fr, cm, 'vsm')
            _lean_rank(q2v, st, ed)
    else:
        sys.exit('--case: repr, query or retrieve')
    times = []
    with torch.no_grad(), ctx():
        for i in range(args.iters + (0 if args.case == 'retrieve' else 1)):
            s = time.perf_counter()
            run()
            if args.case == 'retrieve' or i:
                times.append(time.perf_counter() - s)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f'CASE {args.case} dtype=torch-{args.dtype} load_s=0 '
          f's={float(np.median(times)):.4f} min={min(times):.4f} '
          f'rss_mb={rss:.1f} threads={torch.get_num_threads()} '
          f'torch={torch.__version__}')
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('check')
    a.add_argument('dir')
    a.add_argument('--threads', type=int, default=1)
    a.add_argument('--no-train', action='store_true')
    a.add_argument('--strict', action='store_true',
                   help='raw err also for the analytically-zero key biases')
    a.add_argument('--ref-blas', action='store_true',
                   help='re-exec with LD_PRELOAD of the netlib reference '
                   'BLAS (what the golden files were computed with)')
    a = sub.add_parser('dump')
    a.add_argument('dir')
    a.add_argument('task', choices=TASKS)
    a.add_argument('out')
    a.add_argument('--threads', type=int, default=1)
    a.add_argument('--no-param-grads', action='store_true')
    a = sub.add_parser('bench')
    a.add_argument('--threads', type=int, default=os.cpu_count())
    a.add_argument('--videos', type=int, default=8)
    a.add_argument('--frames', type=int, default=60)
    a.add_argument('--iters', type=int, default=3)
    a.add_argument('--tasks', default=','.join(TASKS))
    a.add_argument('--device', default='cpu')
    a.add_argument('--precision', default='fp32',
                   help='with --data: fp32, tf32 or bf16 (autocast; cuda)')
    a.add_argument('--dropout', action='store_true',
                   help='dropout 0.1 as in training (default off)')
    a.add_argument('--seed', type=int, default=0)
    a.add_argument('--data', help='hero_bench --dump file: time one case '
                   'of bench/run.sh on its batches (see --case)')
    a.add_argument('--case', default='mlm-step', help='with --data: ' +
                   ', '.join(BENCH_CASES))
    a.add_argument('--warmup', type=int, default=-1,
                   help='with --data: warm-up runs (default: the config\'s)')
    a = sub.add_parser('lean')
    a.add_argument('--case', default='repr')
    a.add_argument('--threads', type=int, default=os.cpu_count())
    a.add_argument('--iters', type=int, default=3)
    a.add_argument('--dtype', default='f32')
    a.add_argument('--video-batch', type=int, default=20)
    a.add_argument('--seed', type=int, default=0)
    args = ap.parse_args(argv)
    if getattr(args, 'data', None) and '--iters' not in (argv or sys.argv):
        args.iters = 0                # the config's default
    return {'check': cmd_check, 'dump': cmd_dump, 'bench': cmd_bench,
            'lean': cmd_lean}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
