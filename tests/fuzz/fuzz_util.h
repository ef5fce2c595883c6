/* Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c). Include after hero.h.
   Every target parses its input through the public API, then uses what it got the way a
   program would (reads every tensor, walks every JSON value, tokenizes with the vocab, ...),
   so that a parser that accepts an inconsistent file is caught where the data is used. */
#ifndef HERO_FUZZ_UTIL_H
#define HERO_FUZZ_UTIL_H
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define FUZZ_UNUSED __attribute__((unused))
#else
#define FUZZ_UNUSED
#endif

/* largest tensor the harness reads (elements); larger ones are only validated: a caller
   checks a tensor's shape against what it expects before allocating for it */
#define FUZZ_MAX_READ ((int64_t)1 << 22)

/* touch every byte of a buffer so that ASan / MSan see uninitialised or freed memory */
static volatile unsigned fuzz_sink;
static FUZZ_UNUSED void fuzz_touch(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    unsigned h = 0;
    size_t i;
    for (i = 0; i < n; i++) h = h * 31u + b[i];
    fuzz_sink += h;
}
static FUZZ_UNUSED void fuzz_touch_str(const char *s) { if (s) fuzz_touch(s, strlen(s) + 1); }

/* Use everything an opened tensor file offers. */
static FUZZ_UNUSED void fuzz_use_tensorfile(const hero_tensorfile *tf) {
    int i;
    hero_error err;
    fuzz_touch_str(tf->path);
    for (i = 0; i < tf->n_tensors; i++) {
        const hero_tensor_info *t = &tf->tensors[i];
        int64_t n = hero_tensor_numel(t);
        fuzz_touch_str(t->name);
        if (hero_tensorfile_find(tf, t->name) == NULL) abort(); /* every listed name must be found */
        if (n < 0) abort();                                     /* accepted tensors have valid shapes */
        if (t->storage_nbytes > 0 && t->storage) fuzz_touch(t->storage, (size_t)t->storage_nbytes);
        if (n <= FUZZ_MAX_READ) {
            float *f = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
            int64_t *q = (int64_t *)malloc((size_t)(n ? n : 1) * sizeof(int64_t));
            if (!f || !q) abort();
            if (hero_tensor_read_f32(t, f, n, &err) != 0) abort(); /* an accepted tensor must be readable */
            fuzz_touch(f, (size_t)n * sizeof(float));
            if (hero_tensor_read_i64(t, q, n, &err) == 0) fuzz_touch(q, (size_t)n * sizeof(int64_t));
            (void)hero_tensor_read_f32(t, f, n + 1, &err); /* wrong count: an error, no overflow */
            free(f);
            free(q);
        }
    }
    for (i = 0; i < tf->n_entries; i++) {
        const hero_entry_info *e = &tf->entries[i];
        fuzz_touch_str(e->name);
        fuzz_touch_str(e->kind);
        fuzz_touch_str(e->value);
        if (hero_tensorfile_entry(tf, e->name) == NULL) abort();
    }
    if (tf->meta.type == HERO_JSON_OBJECT)
        for (i = 0; i < tf->meta.n; i++) fuzz_touch_str(hero_tensorfile_meta(tf, tf->meta.keys[i]));
    (void)hero_tensorfile_find(tf, "");
    (void)hero_tensorfile_entry(tf, "");
}

/* Open an in-memory tensor file, use it, close it (twice: close must be idempotent). */
static FUZZ_UNUSED void fuzz_tensorfile_bytes(const uint8_t *data, size_t size) {
    hero_tensorfile tf;
    hero_error err;
    err.code = 0;
    err.msg[0] = 0;
    if (hero_tensorfile_open_memory(&tf, data, size, "fuzz", &err) == 0) {
#ifdef FUZZ_DEBUG
        fprintf(stderr, "open ok: format %d, %d tensors, %d entries\n", (int)tf.format, tf.n_tensors, tf.n_entries);
#endif
        fuzz_use_tensorfile(&tf);
    } else {
#ifdef FUZZ_DEBUG
        fprintf(stderr, "open failed: %s\n", err.msg);
#endif
        if (err.code >= 0 || !err.msg[0]) abort(); /* a failure must say why */
        fuzz_touch_str(err.msg);
    }
    hero_tensorfile_close(&tf);
    hero_tensorfile_close(&tf);
}

/* Walk a JSON tree (bounded by HERO_JSON_MAX_DEPTH, so recursion here is bounded too). */
static FUZZ_UNUSED void fuzz_walk_json(const hero_json *j, int depth) {
    int i;
    if (depth > HERO_JSON_MAX_DEPTH + 1) abort();
    switch (j->type) {
    case HERO_JSON_STRING:
        if (!j->string || j->string[j->len] != 0) abort();
        fuzz_touch(j->string, j->len + 1);
        break;
    case HERO_JSON_ARRAY:
    case HERO_JSON_OBJECT:
        if (j->n < 0 || (j->n > 0 && !j->items)) abort();
        for (i = 0; i < j->n; i++) {
            if (j->type == HERO_JSON_OBJECT) {
                fuzz_touch_str(j->keys[i]);
                if (hero_json_get(j, j->keys[i]) == NULL) abort();
            }
            fuzz_walk_json(&j->items[i], depth + 1);
        }
        break;
    default:
        fuzz_sink += (unsigned)j->boolean;
        break;
    }
}

/* a little-endian writer for building containers around fuzz input */
typedef struct fuzz_buf { unsigned char *p; size_t n, cap; } fuzz_buf;
static FUZZ_UNUSED void fuzz_put(fuzz_buf *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n) c *= 2;
        b->p = (unsigned char *)realloc(b->p, c);
        if (!b->p) abort();
        b->cap = c;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}
static FUZZ_UNUSED void fuzz_u16(fuzz_buf *b, unsigned v) { unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)}; fuzz_put(b, x, 2); }
static FUZZ_UNUSED void fuzz_u32(fuzz_buf *b, uint32_t v) { fuzz_u16(b, v & 0xffff); fuzz_u16(b, v >> 16); }

/* A zip archive of stored (or, with method 8, already deflated) members, built in memory. */
typedef struct fuzz_zip { fuzz_buf file, dir; int n; } fuzz_zip;
static FUZZ_UNUSED void fuzz_zip_add(fuzz_zip *z, const char *name, const void *data, size_t csize, size_t usize, uint32_t crc,
                         unsigned method) {
    size_t nl = strlen(name), off = z->file.n;
    fuzz_u32(&z->file, 0x04034b50u); fuzz_u16(&z->file, 20); fuzz_u16(&z->file, 0); fuzz_u16(&z->file, method);
    fuzz_u32(&z->file, 0); fuzz_u32(&z->file, crc); fuzz_u32(&z->file, (uint32_t)csize); fuzz_u32(&z->file, (uint32_t)usize);
    fuzz_u16(&z->file, (unsigned)nl); fuzz_u16(&z->file, 0);
    fuzz_put(&z->file, name, nl);
    fuzz_put(&z->file, data, csize);
    fuzz_u32(&z->dir, 0x02014b50u); fuzz_u16(&z->dir, 20); fuzz_u16(&z->dir, 20); fuzz_u16(&z->dir, 0);
    fuzz_u16(&z->dir, method); fuzz_u32(&z->dir, 0); fuzz_u32(&z->dir, crc); fuzz_u32(&z->dir, (uint32_t)csize);
    fuzz_u32(&z->dir, (uint32_t)usize); fuzz_u16(&z->dir, (unsigned)nl); fuzz_u16(&z->dir, 0); fuzz_u16(&z->dir, 0);
    fuzz_u16(&z->dir, 0); fuzz_u16(&z->dir, 0); fuzz_u32(&z->dir, 0); fuzz_u32(&z->dir, (uint32_t)off);
    fuzz_put(&z->dir, name, nl);
    z->n++;
}
/* Finish: appends the directory and the end record to z->file (the caller frees z->file.p). */
static FUZZ_UNUSED void fuzz_zip_end(fuzz_zip *z) {
    size_t cd = z->file.n;
    fuzz_put(&z->file, z->dir.p, z->dir.n);
    fuzz_u32(&z->file, 0x06054b50u); fuzz_u16(&z->file, 0); fuzz_u16(&z->file, 0);
    fuzz_u16(&z->file, (unsigned)z->n); fuzz_u16(&z->file, (unsigned)z->n);
    fuzz_u32(&z->file, (uint32_t)z->dir.n); fuzz_u32(&z->file, (uint32_t)cd); fuzz_u16(&z->file, 0);
    free(z->dir.p);
    z->dir.p = NULL;
}
static FUZZ_UNUSED uint32_t fuzz_crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}
#endif
