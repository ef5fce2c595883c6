/* hero_lmdb_import: the official HERO release's preprocessed LMDB databases -> safetensors files
   that hero.h reads (hero_tensorfile_open; the corpus in the `raw.*` layout of the golden files).

   usage:
     hero_lmdb_import corpus VIDEO_DB SUB_DB OUT.safetensors [--f16]
     hero_lmdb_import queries TXT_DB OUT.safetensors [--corpus CORPUS.safetensors]

   The official layout (linjieli222/HERO: data/data.py, scripts/convert_videodb.py,
   scripts/prepro_sub.py, scripts/prepro_query.py, scripts/prepro_tvc.py):
     video_db/<set>/<feat_version>_<interval>[_compressed]/   LMDB, key = video name, value =
         msgpack {"features": ndarray [T, F]} (msgpack_numpy: {"nd": true, "type": "<f4", "kind",
         "shape", "data"}), or in a "_compressed" DB the bytes of np.savez_compressed(features=...)
         (an .npz). video_db/<set>/id2nframe.json (optional) gives the frames the official loader
         keeps (features[:nframes]).
     txt_db/<name>.db/   LMDB, key = id, value = lz4.frame(msgpack(record)) (+ meta.json etc.)
         subtitle DB records: {"input_ids": [[ids] per subtitle], "unique_sub2frames": [[sub_idx,
         [frames]] ...], "unmatched_frames": [...], ...}
         query DB records: {"input_ids": [ids] (TVQA: [q, a0, .., a4]), "vid_name" / "vid",
         "ts": [st, ed] | [[st, ed] x 4] | "st-ed" | null, "target", "type", "desc_id" / "qid", ...}
         TVC: the caption DB ({"input_ids", "vid_name", "clip_id", "ts", ...}) and the clip DB
         ({"vid_name", "ts", "captions", ...}, no input_ids) import the same way
   Either value encoding is detected from its bytes (a zip, a msgpack map, an lz4 frame).

   corpus: every video of SUB_DB (in DB order: LMDB's byte order of the keys) with its features
     from VIDEO_DB (a video missing there is an error). Writes
       raw.nframes [V] i64            frames (id2nframe.json's count when present, else stored)
       raw.v_feats [sum T, F] f32     (f16 with --f16)
       raw.num_subs [V], raw.sub_len [S], raw.sub_tokens [sum len]    input_ids
       raw.s2f_sub_idx [S], raw.s2f_nframes [S], raw.s2f_frames       unique_sub2frames, uncut
       raw.unmatched_nframes [V], raw.unmatched_frames
     metadata: vids (JSON list of names, in order), source.
     hero.h reads it with hero_tensorfile_open + the raw.* corpus reader (hero_corpus_read).
   queries: every record of TXT_DB in DB order:
       raw.q_len [Q], raw.q_tokens      input_ids (TVQA: the question; none: length 0)
       raw.a_len [Q, 5], raw.a_tokens   TVQA / How2QA candidates (only when some record has them)
       raw.q_vid [Q]                    index of the record's video in the corpus's vids (-1: not
                                        there, or no --corpus)
       raw.target [Q]                   an integer "target" (TVQA answer_idx, VIOLIN label), else -1
       raw.q_n_ts [Q], raw.q_ts [Q, W, 2] f64   the "ts" windows in seconds (TVQA's "st-ed" string
                                        split as the official float() parse; none: 0 windows)
       raw.q_type [Q]                   "type" v 0 / t 1 / vt 2, else -1
     metadata: qids (the DB keys), videos (each record's video name or null), ts_strings
     (TVQA's strings), clip_ids (TVC captions' clips), source.
   Every input is treated as hostile: sizes, counts and nesting are checked before use; an
   error names the database, the key and what was expected, and the exit status is 1. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <lmdb.h>
#include <lz4frame.h>
#include <msgpack.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define IMP_MAX_RECORD ((size_t)1 << 30) /* largest decompressed record */
#define IMP_MAX_DEPTH 32

#if defined(__GNUC__) || defined(__clang__)
#define IMP_NORETURN __attribute__((noreturn))
#else
#define IMP_NORETURN
#endif
#define V0 {NULL, 0, 0} /* an empty growable array */

static IMP_NORETURN void die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "hero_lmdb_import: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

/* ---- growable arrays ---- */
typedef struct { int64_t *v; size_t n, cap; } ivec;
typedef struct { double *v; size_t n, cap; } dvec;
typedef struct { float *v; size_t n, cap; } fvec;
typedef struct { char *v; size_t n, cap; } sbuf;

static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
    size_t c = *cap ? *cap : 64;
    if (need <= *cap) return p;
    while (c < need) {
        if (c > ((size_t)1 << 40) / elem) die("out of memory");
        c *= 2;
    }
    p = realloc(p, c * elem);
    if (!p) die("out of memory (%zu bytes)", c * elem);
    *cap = c;
    return p;
}
static void ipush(ivec *a, int64_t x) { a->v = (int64_t *)grow(a->v, &a->cap, a->n + 1, sizeof(int64_t)); a->v[a->n++] = x; }
static void dpush(dvec *a, double x) { a->v = (double *)grow(a->v, &a->cap, a->n + 1, sizeof(double)); a->v[a->n++] = x; }
static void sput(sbuf *b, const char *s, size_t n) {
    b->v = (char *)grow(b->v, &b->cap, b->n + n + 1, 1);
    memcpy(b->v + b->n, s, n);
    b->n += n;
    b->v[b->n] = 0;
}
static void sputs(sbuf *b, const char *s) { sput(b, s, strlen(s)); }
/* a JSON string literal */
static void sjson(sbuf *b, const char *s, size_t n) {
    size_t i;
    char u[8];
    sputs(b, "\"");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { sput(b, "\\", 1); sput(b, (const char *)&s[i], 1); }
        else if (c < 0x20) { snprintf(u, sizeof(u), "\\u%04x", c); sputs(b, u); }
        else sput(b, (const char *)&s[i], 1);
    }
    sputs(b, "\"");
}

/* ---- LMDB ---- */
typedef struct { MDB_env *env; MDB_txn *txn; MDB_dbi dbi; MDB_cursor *cur; const char *path; } db_t;

static void db_open(db_t *d, const char *path) {
    int rc;
    d->path = path;
    if ((rc = mdb_env_create(&d->env)) || (rc = mdb_env_set_mapsize(d->env, (size_t)1 << 30)) ||
        (rc = mdb_env_open(d->env, path, MDB_RDONLY | MDB_NOLOCK, 0644)) ||
        (rc = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &d->txn)) || (rc = mdb_dbi_open(d->txn, NULL, 0, &d->dbi)) ||
        (rc = mdb_cursor_open(d->txn, d->dbi, &d->cur)))
        die("%s: cannot open the LMDB database: %s", path, mdb_strerror(rc));
}
static void db_close(db_t *d) {
    mdb_cursor_close(d->cur);
    mdb_txn_abort(d->txn);
    mdb_env_close(d->env);
}
/* the next record (first with first = 1); 0 at the end. Keys starting "__" (e.g. __keys__) are skipped. */
static int db_next(db_t *d, int first, MDB_val *k, MDB_val *v) {
    int rc = mdb_cursor_get(d->cur, k, v, first ? MDB_FIRST : MDB_NEXT);
    while (rc == 0 && k->mv_size >= 2 && ((const char *)k->mv_data)[0] == '_' && ((const char *)k->mv_data)[1] == '_')
        rc = mdb_cursor_get(d->cur, k, v, MDB_NEXT);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) die("%s: reading the records: %s", d->path, mdb_strerror(rc));
    return 1;
}
static int db_get(db_t *d, const char *key, size_t klen, MDB_val *v) {
    MDB_val k;
    int rc;
    k.mv_size = klen;
    k.mv_data = (void *)key;
    rc = mdb_get(d->txn, d->dbi, &k, v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) die("%s: key \"%.*s\": %s", d->path, (int)klen, key, mdb_strerror(rc));
    return 1;
}

/* ---- lz4 frame ---- */
static int is_lz4(const unsigned char *p, size_t n) { return n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4D && p[3] == 0x18; }

static unsigned char *lz4_decompress(const unsigned char *src, size_t n, size_t *out_n, const char *where) {
    LZ4F_dctx *dc;
    size_t cap = n * 4 + 256, pos = 0, spos = 0, ret = 1;
    unsigned char *out;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION))) die("lz4: no decompression context");
    out = (unsigned char *)xmalloc(cap);
    while (spos < n && ret != 0) {
        size_t dn = cap - pos, sn = n - spos;
        ret = LZ4F_decompress(dc, out + pos, &dn, src + spos, &sn, NULL);
        if (LZ4F_isError(ret)) die("%s: not a valid lz4 frame (%s)", where, LZ4F_getErrorName(ret));
        pos += dn;
        spos += sn;
        if (pos == cap && ret != 0) {
            if (cap >= IMP_MAX_RECORD) die("%s: record larger than %zu bytes decompressed", where, IMP_MAX_RECORD);
            cap = cap * 2 > IMP_MAX_RECORD ? IMP_MAX_RECORD : cap * 2;
            out = (unsigned char *)realloc(out, cap);
            if (!out) die("out of memory");
        }
        if (dn == 0 && sn == 0) break;
    }
    LZ4F_freeDecompressionContext(dc);
    if (ret != 0) die("%s: truncated lz4 frame", where);
    *out_n = pos;
    return out;
}

/* ---- msgpack: structural check before msgpack-c builds its tree (every claimed count must
   fit in the bytes left: a small hostile record never makes a huge allocation) ---- */
static size_t be(const unsigned char *p, int n) {
    size_t v = 0;
    int i;
    for (i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}
/* returns the bytes of the object at p (0 on malformed input) */
static size_t mp_check(const unsigned char *p, size_t n, int depth) {
    size_t h = 1, cnt = 0, len = 0, i, used;
    unsigned c;
    if (!n || depth > IMP_MAX_DEPTH) return 0;
    c = p[0];
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) return 1;
    if ((c & 0xf0) == 0x80) { cnt = 2 * (c & 0x0f); goto items; }
    if ((c & 0xf0) == 0x90) { cnt = c & 0x0f; goto items; }
    if ((c & 0xe0) == 0xa0) { len = c & 0x1f; goto bytes; }
    switch (c) {
    case 0xcc: case 0xd0: return n >= 2 ? 2 : 0;
    case 0xcd: case 0xd1: return n >= 3 ? 3 : 0;
    case 0xca: case 0xce: case 0xd2: return n >= 5 ? 5 : 0;
    case 0xcb: case 0xcf: case 0xd3: return n >= 9 ? 9 : 0;
    case 0xd4: return n >= 3 ? 3 : 0;
    case 0xd5: return n >= 4 ? 4 : 0;
    case 0xd6: return n >= 6 ? 6 : 0;
    case 0xd7: return n >= 10 ? 10 : 0;
    case 0xd8: return n >= 18 ? 18 : 0;
    case 0xc4: case 0xd9: if (n < 2) return 0; h = 2; len = p[1]; goto bytes;
    case 0xc5: case 0xda: if (n < 3) return 0; h = 3; len = be(p + 1, 2); goto bytes;
    case 0xc6: case 0xdb: if (n < 5) return 0; h = 5; len = be(p + 1, 4); goto bytes;
    case 0xc7: if (n < 3) return 0; h = 3; len = p[1]; goto bytes;
    case 0xc8: if (n < 4) return 0; h = 4; len = be(p + 1, 2); goto bytes;
    case 0xc9: if (n < 6) return 0; h = 6; len = be(p + 1, 4); goto bytes;
    case 0xdc: if (n < 3) return 0; h = 3; cnt = be(p + 1, 2); goto items;
    case 0xdd: if (n < 5) return 0; h = 5; cnt = be(p + 1, 4); goto items;
    case 0xde: if (n < 3) return 0; h = 3; cnt = 2 * be(p + 1, 2); goto items;
    case 0xdf: if (n < 5) return 0; h = 5; cnt = 2 * be(p + 1, 4); goto items;
    default: return 0;
    }
bytes:
    return len <= n - h ? h + len : 0;
items:
    if (cnt > n - h) return 0;
    used = h;
    for (i = 0; i < cnt; i++) {
        size_t s = mp_check(p + used, n - used, depth + 1);
        if (!s) return 0;
        used += s;
    }
    return used;
}

typedef struct { msgpack_unpacked up; unsigned char *buf; } rec_t;

/* a record's bytes (lz4 frame or plain msgpack) -> its msgpack object */
static const msgpack_object *rec_parse(rec_t *r, const unsigned char *p, size_t n, const char *db, const MDB_val *key) {
    size_t off = 0, len = n;
    char where[512];
    snprintf(where, sizeof(where), "%s: key \"%.*s\"", db, (int)(key->mv_size > 200 ? 200 : key->mv_size), (const char *)key->mv_data);
    r->buf = NULL;
    if (is_lz4(p, n)) {
        r->buf = lz4_decompress(p, n, &len, where);
        p = r->buf;
    }
    if (mp_check(p, len, 0) != len) die("%s: not one well-formed msgpack object (%zu bytes)", where, len);
    msgpack_unpacked_init(&r->up);
    if (msgpack_unpack_next(&r->up, (const char *)p, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        die("%s: msgpack-c could not unpack the record", where);
    return &r->up.data;
}
static void rec_free(rec_t *r) {
    msgpack_unpacked_destroy(&r->up);
    free(r->buf);
}

/* str or bin bytes */
static int mp_bytes(const msgpack_object *o, const char **s, size_t *n) {
    if (o->type == MSGPACK_OBJECT_STR) { *s = o->via.str.ptr; *n = o->via.str.size; return 1; }
    if (o->type == MSGPACK_OBJECT_BIN) { *s = o->via.bin.ptr; *n = o->via.bin.size; return 1; }
    return 0;
}
static const msgpack_object *mp_get(const msgpack_object *m, const char *key) {
    uint32_t i;
    size_t kl = strlen(key);
    if (m->type != MSGPACK_OBJECT_MAP) return NULL;
    for (i = 0; i < m->via.map.size; i++) {
        const char *s;
        size_t n;
        if (mp_bytes(&m->via.map.ptr[i].key, &s, &n) && n == kl && !memcmp(s, key, kl)) return &m->via.map.ptr[i].val;
    }
    return NULL;
}
static int mp_int(const msgpack_object *o, int64_t *v) {
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX) { *v = (int64_t)o->via.u64; return 1; }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) { *v = o->via.i64; return 1; }
    return 0;
}
static int mp_num(const msgpack_object *o, double *v) {
    int64_t i;
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64) { *v = o->via.f64; return 1; }
    if (mp_int(o, &i)) { *v = (double)i; return 1; }
    return 0;
}
/* a list of ints in [lo, hi] appended to out; returns the count or -1 */
static long mp_ints(const msgpack_object *o, ivec *out, int64_t lo, int64_t hi) {
    uint32_t i;
    if (o->type != MSGPACK_OBJECT_ARRAY) return -1;
    for (i = 0; i < o->via.array.size; i++) {
        int64_t v;
        if (!mp_int(&o->via.array.ptr[i], &v) || v < lo || v > hi) return -1;
        ipush(out, v);
    }
    return (long)o->via.array.size;
}

/* ---- features ---- */
static float half_to_float(uint16_t h) { return hero_f16_to_f32(h); }

/* a msgpack_numpy ndarray (2-D float) -> floats [T*F]; returns 0 on malformed input */
static int np_from_msgpack(const msgpack_object *o, fvec *out, int64_t *T, int64_t *F, char *why, size_t wn) {
    const msgpack_object *nd = mp_get(o, "nd"), *ty = mp_get(o, "type"), *sh = mp_get(o, "shape"), *da = mp_get(o, "data");
    const char *ts, *d;
    size_t tn, dn, es, i, total;
    int big;
    char code;
    if (!nd || nd->type != MSGPACK_OBJECT_BOOLEAN || !nd->via.boolean || !ty || !mp_bytes(ty, &ts, &tn) || !sh ||
        sh->type != MSGPACK_OBJECT_ARRAY || sh->via.array.size != 2 || !da || !mp_bytes(da, &d, &dn)) {
        snprintf(why, wn, "\"features\" is not a msgpack_numpy 2-D array ({nd, type, shape, data})");
        return 0;
    }
    if (tn != 3 || (ts[0] != '<' && ts[0] != '>' && ts[0] != '=' && ts[0] != '|') || ts[1] != 'f' ||
        (ts[2] != '2' && ts[2] != '4' && ts[2] != '8')) {
        snprintf(why, wn, "\"features\" has dtype \"%.*s\" (expected <f2, <f4 or <f8)", (int)(tn > 16 ? 16 : tn), ts);
        return 0;
    }
    big = ts[0] == '>';
    code = ts[2];
    es = (size_t)(code - '0');
    if (!mp_int(&sh->via.array.ptr[0], T) || !mp_int(&sh->via.array.ptr[1], F) || *T < 1 || *F < 1 || *T > (1 << 24) || *F > (1 << 20)) {
        snprintf(why, wn, "\"features\" has a bad shape");
        return 0;
    }
    total = (size_t)*T * (size_t)*F;
    if (dn != total * es) {
        snprintf(why, wn, "\"features\" [%lld, %lld] %s needs %zu bytes, the record holds %zu", (long long)*T, (long long)*F,
                 code == '2' ? "f16" : code == '4' ? "f32" : "f64", total * es, dn);
        return 0;
    }
    out->v = (float *)grow(out->v, &out->cap, out->n + total, sizeof(float));
    for (i = 0; i < total; i++) {
        unsigned char b[8];
        size_t j;
        for (j = 0; j < es; j++) b[j] = (unsigned char)d[i * es + (big ? es - 1 - j : j)];
        if (code == '2') out->v[out->n + i] = half_to_float((uint16_t)(b[0] | (b[1] << 8)));
        else if (code == '4') {
            uint32_t u = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
            float f;
            memcpy(&f, &u, 4);
            out->v[out->n + i] = f;
        } else {
            uint64_t u = 0;
            double x;
            for (j = 8; j-- > 0;) u = (u << 8) | b[j];
            memcpy(&x, &u, 8);
            out->v[out->n + i] = (float)x;
        }
    }
    out->n += total;
    return 1;
}

/* one video's features appended to out (at most keep frames, keep < 0: all) */
static void video_features(db_t *vdb, const char *name, size_t nlen, int64_t keep, fvec *out, int64_t *T, int64_t *F) {
    MDB_val v;
    char why[256];
    size_t before = out->n;
    if (!db_get(vdb, name, nlen, &v)) die("%s: no features for video \"%.*s\"", vdb->path, (int)nlen, name);
    if (v.mv_size >= 4 && !memcmp(v.mv_data, "PK\x03\x04", 4)) { /* the _compressed DB: npz bytes */
        hero_tensorfile tf;
        hero_error err;
        const hero_tensor_info *t;
        if (hero_tensorfile_open_memory(&tf, v.mv_data, v.mv_size, name, &err)) die("%s: video \"%.*s\": %s", vdb->path, (int)nlen, name, err.msg);
        if (!(t = hero_tensorfile_find(&tf, "features")) || t->ndim != 2 || t->shape[0] < 1 || t->shape[1] < 1 || t->shape[0] > (1 << 24) ||
            t->shape[1] > (1 << 20))
            die("%s: video \"%.*s\": the npz has no 2-D \"features\"", vdb->path, (int)nlen, name);
        *T = t->shape[0];
        *F = t->shape[1];
        out->v = (float *)grow(out->v, &out->cap, out->n + (size_t)(*T * *F), sizeof(float));
        if (hero_tensor_read_f32(t, out->v + out->n, *T * *F, &err)) die("%s: video \"%.*s\": %s", vdb->path, (int)nlen, name, err.msg);
        out->n += (size_t)(*T * *F);
        hero_tensorfile_close(&tf);
    } else {
        rec_t r;
        MDB_val k;
        const msgpack_object *o, *f;
        k.mv_data = (void *)name;
        k.mv_size = nlen;
        o = rec_parse(&r, (const unsigned char *)v.mv_data, v.mv_size, vdb->path, &k);
        if (!(f = mp_get(o, "features"))) die("%s: video \"%.*s\": no \"features\"", vdb->path, (int)nlen, name);
        if (!np_from_msgpack(f, out, T, F, why, sizeof(why))) die("%s: video \"%.*s\": %s", vdb->path, (int)nlen, name, why);
        rec_free(&r);
    }
    if (keep >= 0 && keep < *T) { /* VideoFeatLmdb: features[:nframes] */
        out->n = before + (size_t)(keep * *F);
        *T = keep;
    }
}

/* id2nframe.json next to the feature DB folder: name -> frames (NULL when absent) */
static hero_json *load_id2nframe(const char *video_db) {
    char path[4096];
    const char *slash;
    size_t n;
    hero_json *j;
    hero_error err;
    FILE *f;
    n = strlen(video_db);
    while (n > 1 && video_db[n - 1] == '/') n--;
    slash = NULL;
    {
        size_t i;
        for (i = 0; i < n; i++) if (video_db[i] == '/') slash = video_db + i;
    }
    if (slash) snprintf(path, sizeof(path), "%.*s/id2nframe.json", (int)(slash - video_db), video_db);
    else snprintf(path, sizeof(path), "id2nframe.json");
    if (!(f = fopen(path, "rb"))) return NULL;
    fclose(f);
    j = (hero_json *)xmalloc(sizeof(hero_json));
    if (hero_json_read_file(path, j, &err)) die("%s", err.msg);
    if (j->type != HERO_JSON_OBJECT) die("%s: expected an object name -> frames", path);
    return j;
}

static void write_or_die(const char *path, const hero_st_item *items, int n, const char *const *meta) {
    hero_error err;
    if (hero_safetensors_write(path, items, n, meta, &err)) die("%s", err.msg);
}

static hero_st_item item(const char *name, hero_dtype dt, int ndim, const int64_t *shape, const void *data) {
    hero_st_item it;
    it.name = name;
    it.dtype = dt;
    it.ndim = ndim;
    it.shape = shape;
    it.data = data;
    return it;
}

/* ---- corpus: video_db + subtitle txt_db ---- */
static int run_corpus(const char *video_db, const char *sub_db, const char *out, int f16) {
    db_t vdb, sdb;
    MDB_val k, v;
    ivec nframes = V0, num_subs = V0, sub_len = V0, sub_tokens = V0, s2f_sub_idx = V0, s2f_nframes = V0, s2f_frames = V0;
    ivec un_n = V0, un_f = V0;
    fvec feats = V0;
    sbuf vids = V0;
    hero_json *id2n = load_id2nframe(video_db);
    int64_t F = -1, nv = 0;
    int first = 1;
    db_open(&vdb, video_db);
    db_open(&sdb, sub_db);
    sputs(&vids, "[");
    while (db_next(&sdb, first, &k, &v)) {
        rec_t r;
        const msgpack_object *o = rec_parse(&r, (const unsigned char *)v.mv_data, v.mv_size, sub_db, &k), *ids, *s2f, *un;
        const char *name = (const char *)k.mv_data;
        size_t nl = k.mv_size;
        int64_t T, Fv, keep = -1;
        uint32_t i;
        char nbuf[1024];
        first = 0;
        if (nl >= sizeof(nbuf)) die("%s: a key of %zu bytes", sub_db, nl);
        memcpy(nbuf, name, nl);
        nbuf[nl] = 0;
        if (id2n) {
            const hero_json *c = hero_json_get(id2n, nbuf);
            if (c && (c->type != HERO_JSON_NUMBER || c->number < 0 || c->number != floor(c->number) || c->number > (1 << 24)))
                die("id2nframe.json: \"%s\": expected a frame count", nbuf);
            if (c) keep = (int64_t)c->number;
        }
        video_features(&vdb, name, nl, keep, &feats, &T, &Fv);
        if (F < 0) F = Fv;
        if (Fv != F) die("%s: video \"%s\" has %lld floats per frame, the first video %lld", video_db, nbuf, (long long)Fv, (long long)F);
        ipush(&nframes, T);
        /* subtitles: input_ids [[ids]], unique_sub2frames [[sub_idx, [frames]]] (one pair per subtitle) */
        ids = mp_get(o, "input_ids");
        s2f = mp_get(o, "unique_sub2frames");
        if (!ids || ids->type != MSGPACK_OBJECT_ARRAY || !s2f || s2f->type != MSGPACK_OBJECT_ARRAY || s2f->via.array.size != ids->via.array.size)
            die("%s: video \"%s\": expected \"input_ids\" and \"unique_sub2frames\" lists of equal length", sub_db, nbuf);
        ipush(&num_subs, ids->via.array.size);
        for (i = 0; i < ids->via.array.size; i++) {
            const msgpack_object *pair = &s2f->via.array.ptr[i];
            long n = mp_ints(&ids->via.array.ptr[i], &sub_tokens, 0, INT32_MAX);
            int64_t si;
            if (n < 0) die("%s: video \"%s\": input_ids[%u]: expected token ids", sub_db, nbuf, i);
            ipush(&sub_len, n);
            if (pair->type != MSGPACK_OBJECT_ARRAY || pair->via.array.size != 2 || !mp_int(&pair->via.array.ptr[0], &si) || si < 0 ||
                si >= (int64_t)ids->via.array.size || (n = mp_ints(&pair->via.array.ptr[1], &s2f_frames, 0, (1 << 24) - 1)) < 0)
                die("%s: video \"%s\": unique_sub2frames[%u]: expected [sub_idx, [frames]]", sub_db, nbuf, i);
            ipush(&s2f_sub_idx, si);
            ipush(&s2f_nframes, n);
        }
        un = mp_get(o, "unmatched_frames");
        if (un && un->type != MSGPACK_OBJECT_NIL) {
            long n = mp_ints(un, &un_f, 0, (1 << 24) - 1);
            if (n < 0) die("%s: video \"%s\": unmatched_frames: expected frame indices", sub_db, nbuf);
            ipush(&un_n, n);
        } else {
            ipush(&un_n, 0);
        }
        if (nv) sputs(&vids, ", ");
        sjson(&vids, name, nl);
        nv++;
        rec_free(&r);
    }
    sputs(&vids, "]");
    if (!nv) die("%s: no videos", sub_db);
    {
        int64_t sh[10][2];
        hero_st_item it[12];
        uint16_t *h = NULL;
        const char *meta[] = {"vids", vids.v, "source", "hero_lmdb_import corpus (official video_db + subtitle txt_db)", NULL};
        int n = 0;
        sh[0][0] = nv;
        it[n++] = item("raw.nframes", HERO_I64, 1, sh[0], nframes.v);
        sh[1][0] = (int64_t)(feats.n / (size_t)F);
        sh[1][1] = F;
        if (f16) {
            h = (uint16_t *)xmalloc(feats.n * sizeof(uint16_t));
            hero_f32_to_f16_buf(feats.v, h, (int64_t)feats.n);
        }
        it[n++] = item("raw.v_feats", f16 ? HERO_F16 : HERO_F32, 2, sh[1], f16 ? (const void *)h : (const void *)feats.v);
        it[n++] = item("raw.num_subs", HERO_I64, 1, sh[0], num_subs.v);
        sh[2][0] = (int64_t)sub_len.n;
        it[n++] = item("raw.sub_len", HERO_I64, 1, sh[2], sub_len.v);
        sh[3][0] = (int64_t)sub_tokens.n;
        it[n++] = item("raw.sub_tokens", HERO_I64, 1, sh[3], sub_tokens.v);
        it[n++] = item("raw.s2f_sub_idx", HERO_I64, 1, sh[2], s2f_sub_idx.v);
        it[n++] = item("raw.s2f_nframes", HERO_I64, 1, sh[2], s2f_nframes.v);
        sh[4][0] = (int64_t)s2f_frames.n;
        it[n++] = item("raw.s2f_frames", HERO_I64, 1, sh[4], s2f_frames.v);
        it[n++] = item("raw.unmatched_nframes", HERO_I64, 1, sh[0], un_n.v);
        sh[5][0] = (int64_t)un_f.n;
        it[n++] = item("raw.unmatched_frames", HERO_I64, 1, sh[5], un_f.v);
        write_or_die(out, it, n, meta);
        free(h);
    }
    printf("hero_lmdb_import: %s: %lld videos, %zu frames of %lld features, %zu subtitles\n", out, (long long)nv, feats.n / (size_t)F,
           (long long)F, sub_len.n);
    db_close(&vdb);
    db_close(&sdb);
    if (id2n) { hero_json_free(id2n); free(id2n); }
    free(nframes.v); free(num_subs.v); free(sub_len.v); free(sub_tokens.v); free(s2f_sub_idx.v); free(s2f_nframes.v);
    free(s2f_frames.v); free(un_n.v); free(un_f.v); free(feats.v); free(vids.v);
    return 0;
}

/* ---- queries: a query / QA / statement / caption txt_db ---- */

/* one half of TVQA's "st-ed" as Python's float() (data/videoQA.py): 1 with a finite value */
static int py_float(const char *s, size_t n, double *out) {
    char buf[64], *end;
    size_t a = 0, b = n, i;
    while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n' || s[a] == '\r' || s[a] == '\f' || s[a] == '\v')) a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n' || s[b - 1] == '\r' || s[b - 1] == '\f' || s[b - 1] == '\v')) b--;
    if (a == b || b - a >= sizeof(buf)) return 0;
    for (i = a; i < b; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+')) return 0;
    memcpy(buf, s + a, b - a);
    buf[b - a] = 0;
    *out = strtod(buf, &end);
    return *end == 0 && isfinite(*out);
}

typedef struct { const char *name; size_t len; } vname;
static int vname_cmp(const void *a, const void *b) {
    const vname *x = (const vname *)a, *y = (const vname *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int run_queries(const char *txt_db, const char *out, const char *corpus) {
    db_t db;
    MDB_val k, v;
    ivec q_len = V0, q_tok = V0, a_len = V0, a_tok = V0, q_vid = V0, target = V0, n_ts = V0, q_type = V0;
    dvec ts = V0; /* per record: its windows, flattened */
    sbuf qids = V0, videos = V0, tstr = V0, clips = V0;
    hero_tensorfile ctf;
    hero_json cv;
    vname *idx = NULL;
    int nidx = 0, first = 1, any_answers = 0, any_tstr = 0, any_clip = 0;
    int64_t nq = 0, W = 1, i;
    hero_error err;
    memset(&ctf, 0, sizeof(ctf));
    memset(&cv, 0, sizeof(cv));
    if (corpus) { /* the corpus's video names, in its order */
        const char *m;
        int j;
        if (hero_tensorfile_open(&ctf, corpus, &err)) die("%s", err.msg);
        if (!(m = hero_tensorfile_meta(&ctf, "vids")) || hero_json_parse(m, strlen(m), &cv, &err) || cv.type != HERO_JSON_ARRAY)
            die("%s: no \"vids\" metadata list", corpus);
        idx = (vname *)xmalloc((size_t)(cv.n ? cv.n : 1) * sizeof(vname));
        for (j = 0; j < cv.n; j++) {
            if (cv.items[j].type != HERO_JSON_STRING) die("%s: vids[%d] is not a string", corpus, j);
            idx[j].name = cv.items[j].string;
            idx[j].len = cv.items[j].len;
        }
        nidx = cv.n;
    }
    db_open(&db, txt_db);
    sputs(&qids, "[");
    sputs(&videos, "[");
    sputs(&tstr, "[");
    sputs(&clips, "[");
    while (db_next(&db, first, &k, &v)) {
        rec_t r;
        const msgpack_object *o = rec_parse(&r, (const unsigned char *)v.mv_data, v.mv_size, txt_db, &k), *ids, *vid, *t, *ty;
        const char *vs = NULL, *cs;
        size_t vl = 0, cl;
        int64_t tv, nw = 0, a;
        long n;
        char key[256];
        first = 0;
        snprintf(key, sizeof(key), "%.*s", (int)(k.mv_size > 200 ? 200 : k.mv_size), (const char *)k.mv_data);
        if (o->type != MSGPACK_OBJECT_MAP) die("%s: key \"%s\": expected a map record", txt_db, key);
        /* tokens (a TVC clip record has none: its captions are in the caption DB) */
        ids = mp_get(o, "input_ids");
        if (ids && ids->type != MSGPACK_OBJECT_ARRAY) die("%s: key \"%s\": \"input_ids\" is not a list", txt_db, key);
        if (!ids) {
            ipush(&q_len, 0);
            for (a = 0; a < 5; a++) ipush(&a_len, 0);
        } else if (ids->via.array.size && ids->via.array.ptr[0].type == MSGPACK_OBJECT_ARRAY) { /* TVQA: [q, a0, .., a4] */
            if (ids->via.array.size > 6) die("%s: key \"%s\": %u input_ids lists (expected a question and <= 5 answers)", txt_db, key,
                                            ids->via.array.size);
            if ((n = mp_ints(&ids->via.array.ptr[0], &q_tok, 0, INT32_MAX)) < 0) die("%s: key \"%s\": input_ids[0]: expected token ids", txt_db, key);
            ipush(&q_len, n);
            for (a = 0; a < 5; a++) {
                n = a + 1 < (int64_t)ids->via.array.size ? mp_ints(&ids->via.array.ptr[a + 1], &a_tok, 0, INT32_MAX) : 0;
                if (n < 0) die("%s: key \"%s\": input_ids[%lld]: expected token ids", txt_db, key, (long long)a + 1);
                ipush(&a_len, n);
            }
            any_answers = 1;
        } else {
            if ((n = mp_ints(ids, &q_tok, 0, INT32_MAX)) < 0) die("%s: key \"%s\": input_ids: expected token ids", txt_db, key);
            ipush(&q_len, n);
            for (a = 0; a < 5; a++) ipush(&a_len, 0);
        }
        /* video */
        if (!(vid = mp_get(o, "vid_name")) || vid->type == MSGPACK_OBJECT_NIL) vid = mp_get(o, "vid");
        if (!vid || vid->type == MSGPACK_OBJECT_NIL) vid = mp_get(o, "clip_name");
        if (vid && vid->type != MSGPACK_OBJECT_NIL && !mp_bytes(vid, &vs, &vl)) die("%s: key \"%s\": the video name is not a string", txt_db, key);
        tv = -1;
        if (vs && nidx) {
            vname want, *hit;
            want.name = vs;
            want.len = vl;
            for (i = 0, hit = NULL; i < nidx; i++) if (!vname_cmp(&idx[i], &want)) { hit = &idx[i]; break; }
            tv = hit ? (int64_t)(hit - idx) : -1;
        }
        ipush(&q_vid, tv);
        if (nq) { sputs(&videos, ", "); sputs(&qids, ", "); sputs(&tstr, ", "); sputs(&clips, ", "); }
        if (vs) sjson(&videos, vs, vl);
        else sputs(&videos, "null");
        /* TVC: the clip a caption belongs to ("clip_id": a string, or an int in decimal) */
        t = mp_get(o, "clip_id");
        if (t && mp_bytes(t, &cs, &cl)) { sjson(&clips, cs, cl); any_clip = 1; }
        else if (t && mp_int(t, &tv)) { char nb[32]; snprintf(nb, sizeof(nb), "\"%lld\"", (long long)tv); sputs(&clips, nb); any_clip = 1; }
        else sputs(&clips, "null");
        sjson(&qids, (const char *)k.mv_data, k.mv_size);
        /* target: an integer (answer_idx, label) */
        t = mp_get(o, "target");
        if (t && t->type == MSGPACK_OBJECT_BOOLEAN) tv = t->via.boolean;
        else if (!t || !mp_int(t, &tv)) tv = -1;
        ipush(&target, tv);
        /* ts */
        t = mp_get(o, "ts");
        if (t && (t->type == MSGPACK_OBJECT_STR || t->type == MSGPACK_OBJECT_BIN)) {
            const char *s;
            size_t sl;
            double st, ed;
            const char *dash;
            mp_bytes(t, &s, &sl);
            sjson(&tstr, s, sl);
            any_tstr = 1;
            dash = (const char *)memchr(s, '-', sl);
            if (dash) {
                const char *p2 = dash + 1, *d2 = (const char *)memchr(p2, '-', sl - (size_t)(p2 - s));
                if (py_float(s, (size_t)(dash - s), &st) && py_float(p2, d2 ? (size_t)(d2 - p2) : sl - (size_t)(p2 - s), &ed)) {
                    dpush(&ts, st);
                    dpush(&ts, ed);
                    nw = 1;
                }
            }
        } else {
            sputs(&tstr, "null");
            if (t && t->type == MSGPACK_OBJECT_ARRAY && t->via.array.size) {
                uint32_t w, nwin = t->via.array.ptr[0].type == MSGPACK_OBJECT_ARRAY ? t->via.array.size : 1;
                if (nwin > 64) die("%s: key \"%s\": %u ts windows (limit 64)", txt_db, key, nwin);
                for (w = 0; w < nwin; w++) {
                    const msgpack_object *win = nwin == 1 && t->via.array.ptr[0].type != MSGPACK_OBJECT_ARRAY ? t : &t->via.array.ptr[w];
                    double st, ed;
                    if (win->type != MSGPACK_OBJECT_ARRAY || win->via.array.size != 2 || !mp_num(&win->via.array.ptr[0], &st) ||
                        !mp_num(&win->via.array.ptr[1], &ed))
                        die("%s: key \"%s\": ts[%u]: expected [st, ed] numbers", txt_db, key, w);
                    dpush(&ts, st);
                    dpush(&ts, ed);
                }
                nw = nwin;
            } else if (t && t->type != MSGPACK_OBJECT_NIL) {
                die("%s: key \"%s\": ts: expected [st, ed], a list of them, \"st-ed\" or null", txt_db, key);
            }
        }
        ipush(&n_ts, nw);
        if (nw > W) W = nw;
        /* type */
        ty = mp_get(o, "type");
        tv = -1;
        if (ty && ty->type == MSGPACK_OBJECT_STR) {
            const char *s = ty->via.str.ptr;
            size_t sl = ty->via.str.size;
            tv = sl == 1 && s[0] == 'v' ? 0 : sl == 1 && s[0] == 't' ? 1 : sl == 2 && s[0] == 'v' && s[1] == 't' ? 2 : -1;
        }
        ipush(&q_type, tv);
        nq++;
        rec_free(&r);
    }
    sputs(&qids, "]");
    sputs(&videos, "]");
    sputs(&tstr, "]");
    sputs(&clips, "]");
    if (!nq) die("%s: no records", txt_db);
    {
        int64_t sh[8][3];
        hero_st_item it[12];
        double *tsw = (double *)xmalloc((size_t)(nq * W * 2) * sizeof(double));
        size_t p = 0;
        int nit = 0;
        const char *meta[] = {"qids", qids.v, "videos", videos.v, "ts_strings", any_tstr ? tstr.v : "[]", "clip_ids",
                              any_clip ? clips.v : "[]", "source", "hero_lmdb_import queries (official txt_db)", NULL};
        for (i = 0; i < nq; i++) { /* windows into [Q, W, 2], zero rows past each query's n_ts */
            int64_t w;
            for (w = 0; w < W; w++) {
                tsw[(i * W + w) * 2] = w < n_ts.v[i] ? ts.v[p + (size_t)w * 2] : 0;
                tsw[(i * W + w) * 2 + 1] = w < n_ts.v[i] ? ts.v[p + (size_t)w * 2 + 1] : 0;
            }
            p += (size_t)n_ts.v[i] * 2;
        }
        sh[0][0] = nq;
        it[nit++] = item("raw.q_len", HERO_I64, 1, sh[0], q_len.v);
        sh[1][0] = (int64_t)q_tok.n;
        it[nit++] = item("raw.q_tokens", HERO_I64, 1, sh[1], q_tok.v);
        if (any_answers) {
            sh[2][0] = nq;
            sh[2][1] = 5;
            it[nit++] = item("raw.a_len", HERO_I64, 2, sh[2], a_len.v);
            sh[3][0] = (int64_t)a_tok.n;
            it[nit++] = item("raw.a_tokens", HERO_I64, 1, sh[3], a_tok.v);
        }
        it[nit++] = item("raw.q_vid", HERO_I64, 1, sh[0], q_vid.v);
        it[nit++] = item("raw.target", HERO_I64, 1, sh[0], target.v);
        it[nit++] = item("raw.q_n_ts", HERO_I64, 1, sh[0], n_ts.v);
        sh[4][0] = nq;
        sh[4][1] = W;
        sh[4][2] = 2;
        it[nit++] = item("raw.q_ts", HERO_F64, 3, sh[4], tsw);
        it[nit++] = item("raw.q_type", HERO_I64, 1, sh[0], q_type.v);
        write_or_die(out, it, nit, meta);
        free(tsw);
    }
    printf("hero_lmdb_import: %s: %lld records, %zu query tokens%s\n", out, (long long)nq, q_tok.n, any_answers ? " (+ answers)" : "");
    db_close(&db);
    free(idx);
    hero_json_free(&cv);
    hero_tensorfile_close(&ctf);
    free(q_len.v); free(q_tok.v); free(a_len.v); free(a_tok.v); free(q_vid.v); free(target.v); free(n_ts.v); free(q_type.v);
    free(ts.v); free(qids.v); free(videos.v); free(tstr.v); free(clips.v);
    return 0;
}

#define USAGE                                                                                \
    "usage: %s corpus VIDEO_DB SUB_DB OUT.safetensors [--f16]\n"                             \
    "       %s queries TXT_DB OUT.safetensors [--corpus CORPUS.safetensors]\n"

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "corpus") && (argc == 5 || (argc == 6 && !strcmp(argv[5], "--f16"))))
        return run_corpus(argv[2], argv[3], argv[4], argc == 6);
    if (argc >= 4 && !strcmp(argv[1], "queries") && (argc == 4 || (argc == 6 && !strcmp(argv[4], "--corpus"))))
        return run_queries(argv[2], argv[3], argc == 6 ? argv[5] : NULL);
    fprintf(stderr, USAGE, argv[0], argv[0]);
    return 2;
}
