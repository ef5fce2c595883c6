/* ---- Tokenizer: RoBERTa / GPT-2 byte-level BPE ------------------------------------------
   Loads `vocab.json` (token string -> id) and `merges.txt` ("a b" per line, optional
   "#version" first line). hero_tokenize() reproduces the npm package gpt-3-encoder@1.1.4
   encode() exactly by default (same pre-tokenisation regex, same Unicode tables as Node,
   same merge-rank lookup), and HuggingFace's RoBERTa tokenizer with the flags below.

   Flags for hero_tokenize()'s `flags` argument (0 = gpt-3-encoder exactly):
   HERO_TOKENIZE_SPECIAL: split the text on the special tokens <s> </s> <pad> <unk> <mask>
       first (those present in the vocab) and emit their ids, as HF RoBERTa does; <mask>
       absorbs the Unicode White_Space before it (HF's lstrip=True). Without this flag,
       "<mask>" is ordinary text ("<", "mask", ">").
   HERO_TOKENIZE_HF: HF tokenizers' semantics where they differ from gpt-3-encoder's:
       (1) the regex's \s is Oniguruma's = Unicode White_Space (has U+0085, lacks U+FEFF)
       instead of JS's \s (has U+FEFF, lacks U+0085); (2) merges are looked up by the
       (left, right) token pair, not like gpt-3-encoder by the string `left + "," + right`
       (with which e.g. the pair ("\",", "\"") also gets the rank of the merge ("\"", ",\""):
       the real GPT-2/RoBERTa merges have 11 such aliases, all among punctuation).
   HERO_TOKENIZE_ROBERTA = both: what HF's (fast) RoBERTa tokenizer produces (checked
       against HF tokenizers 0.22.2), without the <s> ... </s> wrapping, which the caller
       adds. \p{L} / \p{N} are Node v20.20.2's (Unicode 17.0) in both modes; HF's Oniguruma
       has older tables, so code points assigned in recent Unicode versions may differ.

   Text is UTF-8; invalid bytes are replaced by U+FFFD (each maximal invalid subpart,
   exactly like Node's / WHATWG's UTF-8 decoder), as Node does when it decodes the input,
   so the replacement character's tokens are emitted for them. */
typedef struct hero_tokenizer hero_tokenizer; /* opaque */

#define HERO_TOKENIZE_SPECIAL 1
#define HERO_TOKENIZE_HF 2
#define HERO_TOKENIZE_ROBERTA 3

/* Load from files. On success *tok is set (free with hero_tokenizer_free) and 0 returned;
   on failure *tok is NULL and a negative HERO_E* code is returned (err filled). */
HERODEF int hero_tokenizer_load(hero_tokenizer **tok, const char *vocab_json_path,
                                const char *merges_path, hero_error *err);
/* Same from memory buffers (only read during the call; need not be NUL-terminated). */
HERODEF int hero_tokenizer_load_memory(hero_tokenizer **tok, const char *vocab_json, size_t vocab_len,
                                       const char *merges_txt, size_t merges_len, hero_error *err);
HERODEF void hero_tokenizer_free(hero_tokenizer *tok);

/* Encode `len` bytes of UTF-8 `text`. Writes at most max_ids ids to `ids` (may be NULL when
   max_ids is 0) and returns the total number of ids, which may be > max_ids: then call again
   with a bigger buffer. Negative HERO_E* on error. `flags`: HERO_TOKENIZE_* (0 = plain). */
HERODEF int hero_tokenize(const hero_tokenizer *tok, const char *text, size_t len, int flags,
                          int32_t *ids, int max_ids, hero_error *err);

/* Decode ids to UTF-8 text (invalid byte sequences become U+FFFD, like Node's TextDecoder
   and HF's errors="replace"; a leading U+FEFF is kept, which gpt-3-encoder's decode() drops).
   A token that is not made of the 256 byte characters only is copied as is (HF's ByteLevel
   decoder; gpt-3-encoder would write a 0 byte per UTF-16 unit of such characters). Like snprintf: writes at most out_size-1 bytes plus a NUL
   (out may be NULL when out_size is 0) and returns the full length in bytes, excluding the
   NUL; if that is >= out_size, call again with a bigger buffer. An id that is not in the
   vocab is an error (HERO_EINVAL). */
HERODEF int hero_detokenize(const hero_tokenizer *tok, const int32_t *ids, int n, char *out,
                            size_t out_size, hero_error *err);

/* Id of a vocab token given as its vocab.json string (UTF-8, byte-level form such as
   "\xC4\xA0the" for " the"), or -1 if absent. */
HERODEF int hero_token_id(const hero_tokenizer *tok, const char *token);
/* The vocab.json string of an id (NUL-terminated, owned by tok), or NULL if absent. */
HERODEF const char *hero_token_str(const hero_tokenizer *tok, int32_t id);
/* Number of tokens in the vocab. */
HERODEF int hero_tokenizer_vocab_size(const hero_tokenizer *tok);
