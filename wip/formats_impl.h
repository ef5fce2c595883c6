/* ==== File formats: JSON, half floats, tensor files (safetensors, torch.save, npy/npz) ==== */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* fsync for atomic writes: POSIX fsync, Windows _commit, elsewhere nothing. */
#if defined(_WIN32)
#include <io.h>
#define hero__fsync_file(f) _commit(_fileno(f))
#elif defined(__unix__) || defined(__APPLE__)
#if defined(__cplusplus)
#include <unistd.h>
#else
#ifndef fileno
extern int fileno(FILE *);
#endif
extern int fsync(int);
#endif
#define hero__fsync_file(f) fsync(fileno(f))
#else
#define hero__fsync_file(f) 0
#endif

/* ---------------- small helpers ---------------- */
static uint16_t hero__u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t hero__u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t hero__u64(const unsigned char *p) { return (uint64_t)hero__u32(p) | ((uint64_t)hero__u32(p + 4) << 32); }

static char *hero__strndup(const char *s, size_t n) {
    char *r = (char *)HERO_MALLOC(n + 1);
    if (!r) return NULL;
    if (n) memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* Appending to an array of n items: returns a block with room for item n (reallocated when
   n is 0 or a power of two), or NULL when out of memory (p is then still valid). */
static void *hero__grow(void *p, int n, size_t elsize) {
    size_t cap;
    if (n > 0 && (n & (n - 1)) != 0) return p;
    if (n >= INT_MAX / 2) return NULL;
    cap = n ? (size_t)n * 2 : 1;
    if (cap > SIZE_MAX / elsize) return NULL;
    return HERO_REALLOC(p, cap * elsize);
}

/* *r = a * b for a, b >= 0; returns 0 on overflow. */
static int hero__mul64(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) return 0;
    *r = a * b;
    return 1;
}

static int hero__host_le(void) {
    uint16_t x = 1;
    unsigned char c;
    memcpy(&c, &x, 1);
    return c == 1;
}

/* growable NUL-terminated string */
typedef struct hero__sb { char *s; size_t n, cap; int oom; } hero__sb;

static void hero__sb_put(hero__sb *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        char *q;
        while (c < b->n + n + 1) c *= 2;
        q = (char *)HERO_REALLOC(b->s, c);
        if (!q) { b->oom = 1; return; }
        b->s = q;
        b->cap = c;
    }
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void hero__sb_str(hero__sb *b, const char *s) { hero__sb_put(b, s, strlen(s)); }
static void hero__sb_i64(hero__sb *b, int64_t v) {
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)v);
    hero__sb_str(b, t);
}
static void hero__sb_cut(hero__sb *b, size_t n) { if (b->s && n <= b->n) { b->n = n; b->s[n] = 0; } }

/* Read a whole file into a HERO_MALLOC'd buffer (NUL-terminated for convenience). */
static int hero__read_file(const char *path, unsigned char **out, size_t *size, hero_error *err) {
    FILE *f;
    long end;
    unsigned char *buf;
    size_t n;
    *out = NULL;
    *size = 0;
    if (!path) return hero__fail(err, HERO_EINVAL, "read: NULL path");
    f = fopen(path, "rb");
    if (!f) return hero__fail(err, HERO_EIO, "%s: cannot open for reading", path);
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return hero__fail(err, HERO_EIO, "%s: cannot determine the file size", path);
    }
    if ((unsigned long)end >= (unsigned long)(SIZE_MAX / 2)) {
        fclose(f);
        return hero__fail(err, HERO_ELIMIT, "%s: implausible size %ld (a directory?)", path, end);
    }
    buf = (unsigned char *)HERO_MALLOC((size_t)end + 1);
    if (!buf) {
        fclose(f);
        return hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %ld bytes", path, end);
    }
    n = fread(buf, 1, (size_t)end, f);
    if (n != (size_t)end || ferror(f)) {
        fclose(f);
        HERO_FREE(buf);
        return hero__fail(err, HERO_EIO, "%s: read %zu of %ld bytes", path, n, end);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    *size = n;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static int hero__utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c < 0xE0) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) return 0;
        return 3;
    }
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
    if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) return 0;
    return 4;
}

static int hero__utf8_valid(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        int k = hero__utf8_seq((const unsigned char *)s + i, n - i);
        if (!k) return 0;
        i += (size_t)k;
    }
    return 1;
}

/* Prefix err->msg with "prefix: " (after a failure in a nested parser). */
static int hero__reprefix(hero_error *err, int code, const char *prefix) {
    char tmp[sizeof(err->msg)];
    if (!err) return code;
    memcpy(tmp, err->msg, sizeof tmp);
    tmp[sizeof tmp - 1] = 0;
    return hero__fail(err, code, "%s: %s", prefix, tmp);
}

/* ================= JSON ================= */
typedef struct hero__jp { const char *s; size_t n, i; int depth; hero_error *err; } hero__jp;

static int hero__jfail(hero__jp *p, int code, const char *what) {
    size_t k, line = 1, col = 1;
    char found[24];
    for (k = 0; k < p->i && k < p->n; k++) {
        if (p->s[k] == '\n') { line++; col = 1; } else col++;
    }
    if (p->i >= p->n) snprintf(found, sizeof found, "end of input");
    else {
        unsigned c = (unsigned char)p->s[p->i];
        if (c >= 0x20 && c < 0x7f) snprintf(found, sizeof found, "'%c'", (char)c);
        else snprintf(found, sizeof found, "byte 0x%02x", c);
    }
    return hero__fail(p->err, code, "json: line %zu, column %zu: %s (found %s)", line, col, what, found);
}

static void hero__jws(hero__jp *p) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static int hero__hex4(const char *s, unsigned *v) {
    int k;
    *v = 0;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return 0;
        *v = *v * 16 + d;
    }
    return 1;
}

static size_t hero__utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX (and a following low surrogate) at p->s[p->i]; appends UTF-8 to o. */
static int hero__jescape_u(hero__jp *p, size_t end, char *o, size_t *k) {
    unsigned cp, lo;
    if (end - p->i < 6 || !hero__hex4(p->s + p->i + 2, &cp)) return hero__jfail(p, HERO_EFORMAT, "bad \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return hero__jfail(p, HERO_EFORMAT, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p->i < 12 || p->s[p->i + 6] != '\\' || p->s[p->i + 7] != 'u' || !hero__hex4(p->s + p->i + 8, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return hero__jfail(p, HERO_EFORMAT, "high surrogate not followed by a low surrogate escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p->i += 6;
    }
    p->i += 6;
    *k += hero__utf8_put(o + *k, cp);
    return 0;
}

static int hero__jstring(hero__jp *p, char **out, size_t *outlen) {
    size_t j = p->i + 1, k = 0;
    char *o;
    while (j < p->n && p->s[j] != '"') j += (p->s[j] == '\\') ? 2 : 1;
    if (j >= p->n) return hero__jfail(p, HERO_EFORMAT, "unterminated string");
    o = (char *)HERO_MALLOC(j - p->i);
    if (!o) return hero__fail(p->err, HERO_ENOMEM, "json: out of memory");
    p->i++;
    while (p->i < j) {
        unsigned char c = (unsigned char)p->s[p->i];
        int rc = 0;
        if (c < 0x20) rc = hero__jfail(p, HERO_EFORMAT, "unescaped control character in string");
        else if (c == '\\') {
            char e = p->s[p->i + 1], r = 0;
            switch (e) {
            case '"': case '\\': case '/': r = e; break;
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            case 'n': r = '\n'; break;
            case 'r': r = '\r'; break;
            case 't': r = '\t'; break;
            case 'u': rc = hero__jescape_u(p, j, o, &k); break;
            default: rc = hero__jfail(p, HERO_EFORMAT, "invalid escape in string");
            }
            if (r) { o[k++] = r; p->i += 2; }
        } else {
            int m = hero__utf8_seq((const unsigned char *)p->s + p->i, j - p->i);
            if (!m) rc = hero__jfail(p, HERO_EFORMAT, "invalid UTF-8 in string");
            else { memcpy(o + k, p->s + p->i, (size_t)m); k += (size_t)m; p->i += (size_t)m; }
        }
        if (rc) { HERO_FREE(o); return rc; }
    }
    p->i = j + 1;
    o[k] = 0;
    *out = o;
    *outlen = k;
    return 0;
}

static int hero__jdigits(hero__jp *p) {
    size_t b = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    return p->i > b;
}

static int hero__jnumber(hero__jp *p, double *out) {
    size_t b = p->i, len, k;
    char tmp[512], *end;
    const char *dp = localeconv()->decimal_point;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i < p->n && p->s[p->i] == '0') p->i++;
    else if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "invalid number");
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "digit expected after '.'");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "digit expected in exponent");
    }
    len = p->i - b;
    if (len >= sizeof tmp) { p->i = b; return hero__jfail(p, HERO_ELIMIT, "number longer than 511 characters"); }
    memcpy(tmp, p->s + b, len);
    tmp[len] = 0;
    for (k = 0; k < len && dp && dp[0] && dp[0] != '.' && !dp[1]; k++)
        if (tmp[k] == '.') tmp[k] = dp[0]; /* strtod follows the C locale's decimal point */
    *out = strtod(tmp, &end);
    if (end != tmp + len) { p->i = b; return hero__jfail(p, HERO_EFORMAT, "invalid number"); }
    if (*out > DBL_MAX || *out < -DBL_MAX) { p->i = b; return hero__jfail(p, HERO_ELIMIT, "number out of double range"); }
    return 0;
}

static int hero__jvalue(hero__jp *p, hero_json *v);

/* Append item (and key for objects) to container v; on failure frees item and key. */
static int hero__jappend(hero__jp *p, hero_json *v, hero_json *item, char *key) {
    void *q = hero__grow(v->items, v->n, sizeof(hero_json));
    if (q) v->items = (hero_json *)q;
    if (q && key) {
        q = hero__grow(v->keys, v->n, sizeof(char *));
        if (q) v->keys = (char **)q;
    }
    if (!q) {
        hero_json_free(item);
        HERO_FREE(key);
        return hero__fail(p->err, HERO_ENOMEM, "json: out of memory");
    }
    v->items[v->n] = *item;
    if (key) v->keys[v->n] = key;
    v->n++;
    return 0;
}

static int hero__jcontainer(hero__jp *p, hero_json *v, int is_obj) {
    char close = is_obj ? '}' : ']';
    v->type = is_obj ? HERO_JSON_OBJECT : HERO_JSON_ARRAY;
    p->i++;
    hero__jws(p);
    if (p->i < p->n && p->s[p->i] == close) { p->i++; return 0; }
    for (;;) {
        hero_json item;
        char *key = NULL;
        size_t klen;
        int rc;
        memset(&item, 0, sizeof item);
        hero__jws(p);
        if (is_obj) {
            if (p->i >= p->n || p->s[p->i] != '"') return hero__jfail(p, HERO_EFORMAT, "expected a string key");
            if ((rc = hero__jstring(p, &key, &klen)) != 0) return rc;
            hero__jws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { HERO_FREE(key); return hero__jfail(p, HERO_EFORMAT, "expected ':'"); }
            p->i++;
            hero__jws(p);
        }
        if ((rc = hero__jvalue(p, &item)) != 0) { hero_json_free(&item); HERO_FREE(key); return rc; }
        if ((rc = hero__jappend(p, v, &item, key)) != 0) return rc;
        hero__jws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == close) { p->i++; return 0; }
        return hero__jfail(p, HERO_EFORMAT, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int hero__jlit(hero__jp *p, const char *lit) {
    size_t l = strlen(lit);
    if (p->n - p->i < l || memcmp(p->s + p->i, lit, l) != 0) return hero__jfail(p, HERO_EFORMAT, "invalid literal");
    p->i += l;
    return 0;
}

static int hero__jvalue(hero__jp *p, hero_json *v) {
    char c;
    int rc;
    if (p->i >= p->n) return hero__jfail(p, HERO_EFORMAT, "expected a value");
    c = p->s[p->i];
    switch (c) {
    case '{': case '[':
        if (++p->depth > HERO_JSON_MAX_DEPTH) return hero__jfail(p, HERO_ELIMIT, "nesting deeper than HERO_JSON_MAX_DEPTH");
        rc = hero__jcontainer(p, v, c == '{');
        p->depth--;
        return rc;
    case '"': v->type = HERO_JSON_STRING; return hero__jstring(p, &v->string, &v->len);
    case 't': v->type = HERO_JSON_BOOL; v->boolean = 1; return hero__jlit(p, "true");
    case 'f': v->type = HERO_JSON_BOOL; return hero__jlit(p, "false");
    case 'n': return hero__jlit(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) { v->type = HERO_JSON_NUMBER; return hero__jnumber(p, &v->number); }
        return hero__jfail(p, HERO_EFORMAT, "unexpected character");
    }
}

/* Free a parsed JSON tree and reset it to null. */
HERODEF void hero_json_free(hero_json *j) {
    int i;
    if (!j) return;
    for (i = 0; i < j->n; i++) {
        if (j->items) hero_json_free(&j->items[i]);
        if (j->keys) HERO_FREE(j->keys[i]);
    }
    HERO_FREE(j->items);
    HERO_FREE(j->keys);
    HERO_FREE(j->string);
    memset(j, 0, sizeof *j);
}

/* Parse JSON text (RFC 8259, depth <= HERO_JSON_MAX_DEPTH) into a DOM. */
HERODEF int hero_json_parse(const char *text, size_t len, hero_json *out, hero_error *err) {
    hero__jp p;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "json: NULL output");
    memset(out, 0, sizeof *out);
    if (!text && len) return hero__fail(err, HERO_EINVAL, "json: NULL text");
    memset(&p, 0, sizeof p);
    p.s = text;
    p.n = len;
    p.err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.i = 3; /* tolerate a UTF-8 BOM */
    hero__jws(&p);
    rc = hero__jvalue(&p, out);
    if (!rc) {
        hero__jws(&p);
        if (p.i != p.n) rc = hero__jfail(&p, HERO_EFORMAT, "unexpected data after the JSON value");
    }
    if (rc) hero_json_free(out);
    return rc;
}

/* First member named key of an object, or NULL. */
HERODEF const hero_json *hero_json_get(const hero_json *obj, const char *key) {
    int i;
    if (!obj || obj->type != HERO_JSON_OBJECT || !key) return NULL;
    for (i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

/* Read a file and parse it as JSON. */
HERODEF int hero_json_read_file(const char *path, hero_json *out, hero_error *err) {
    unsigned char *buf;
    size_t size;
    int rc;
    if (out) memset(out, 0, sizeof *out);
    if (!out) return hero__fail(err, HERO_EINVAL, "json: NULL output");
    if ((rc = hero__read_file(path, &buf, &size, err)) != 0) return rc;
    rc = hero_json_parse((const char *)buf, size, out, err);
    HERO_FREE(buf);
    return rc ? hero__reprefix(err, rc, path) : 0;
}

/* ================= half-precision floats ================= */
static float hero__bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t hero__f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double hero__f64(const unsigned char *p) { uint64_t u = hero__u64(p); double v; memcpy(&v, &u, 8); return v; }

/* binary16 bits -> float (exact). */
HERODEF float hero_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f) return hero__bits_f32(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        if (m == 0) return hero__bits_f32(sign);
        e = 113; /* subnormal: normalise */
        while (!(m & 0x400)) { m <<= 1; e--; }
        return hero__bits_f32(sign | (e << 23) | ((m & 0x3ff) << 13));
    }
    return hero__bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

/* bfloat16 bits -> float (exact). */
HERODEF float hero_bf16_to_f32(uint16_t h) { return hero__bits_f32((uint32_t)h << 16); }

/* float -> binary16 bits, round to nearest even. */
HERODEF uint16_t hero_f32_to_f16(float f) {
    uint32_t x = hero__f32_bits(f), sign = (x >> 16) & 0x8000, a = x & 0x7fffffffu, m, r, rem, half;
    int shift;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff)); /* NaN stays NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);                    /* >= 65520: inf */
    if (a >= 0x38800000u) {                                                     /* normal half */
        r = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ff);
        rem = a & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    if (a < 0x33000000u) return (uint16_t)sign; /* below half the smallest subnormal */
    m = (a & 0x7fffff) | 0x800000;
    shift = 126 - (int)(a >> 23);
    r = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
}

/* float -> bfloat16 bits, round to nearest even. */
HERODEF uint16_t hero_f32_to_bf16(float f) {
    uint32_t x = hero__f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* Array float -> binary16; returns the number of finite values that overflowed. */
HERODEF int64_t hero_f32_to_f16_buf(const float *src, uint16_t *dst, int64_t n) {
    int64_t i, over = 0;
    for (i = 0; i < n; i++) {
        dst[i] = hero_f32_to_f16(src[i]);
        over += (dst[i] & 0x7fff) == 0x7c00 && (hero__f32_bits(src[i]) & 0x7fffffffu) < 0x7f800000u;
    }
    return over;
}

/* Array float -> bfloat16; returns the number of finite values that overflowed. */
HERODEF int64_t hero_f32_to_bf16_buf(const float *src, uint16_t *dst, int64_t n) {
    int64_t i, over = 0;
    for (i = 0; i < n; i++) {
        dst[i] = hero_f32_to_bf16(src[i]);
        over += (dst[i] & 0x7fff) == 0x7f80 && (hero__f32_bits(src[i]) & 0x7fffffffu) < 0x7f800000u;
    }
    return over;
}

/* ================= tensor info: validation and reading ================= */

/* Element count of a tensor, -1 if its shape is invalid. */
HERODEF int64_t hero_tensor_numel(const hero_tensor_info *t) {
    int64_t n = 1;
    int i;
    if (!t || t->ndim < 0 || t->ndim > HERO_MAX_DIMS) return -1;
    for (i = 0; i < t->ndim; i++)
        if (!hero__mul64(n, t->shape[i], &n)) return -1;
    return n;
}

/* Check dtype, shape, strides and that every element lies inside the storage. */
static int hero__tensor_check(const hero_tensor_info *t, const char *file, hero_error *err) {
    const char *nm = t->name ? t->name : "?", *f = file ? file : "tensor";
    int64_t es = hero_dtype_size(t->dtype), n = hero_tensor_numel(t), last = t->offset, x, have;
    int i;
    if (es <= 0) return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': invalid dtype %d", f, nm, (int)t->dtype);
    if (t->ndim < 0 || t->ndim > HERO_MAX_DIMS)
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': %d dimensions, at most %d supported", f, nm, t->ndim, HERO_MAX_DIMS);
    if (n < 0 || !hero__mul64(n, es, &x))
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': shape is negative or its size overflows", f, nm);
    if (t->offset < 0 || t->storage_nbytes < 0)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': negative offset or storage size", f, nm);
    if (n == 0) return 0;
    for (i = 0; i < t->ndim; i++) {
        if (t->stride[i] < 0 || !hero__mul64(t->shape[i] - 1, t->stride[i], &x) || x > INT64_MAX - last)
            return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': invalid stride %lld in dimension %d", f, nm,
                              (long long)t->stride[i], i);
        last += x;
    }
    have = t->storage_nbytes / es;
    if (last >= have || !t->storage)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s' (%s): needs storage element %lld but the storage holds %lld",
                          f, nm, hero_dtype_name(t->dtype), (long long)last, (long long)have);
    return 0;
}

/* n elements at s, step bytes apart, of dtype dt -> d[0..n) (switch outside the loops) */
#define HERO__RUN(expr) for (i = 0; i < n; i++) { const unsigned char *p = s + i * step; d[i] = (expr); } break
static void hero__run_f32(float *d, const unsigned char *s, int64_t n, int64_t step, hero_dtype dt) {
    int64_t i;
    switch (dt) {
    case HERO_F32: HERO__RUN(hero__bits_f32(hero__u32(p)));
    case HERO_F16: HERO__RUN(hero_f16_to_f32(hero__u16(p)));
    case HERO_BF16: HERO__RUN(hero_bf16_to_f32(hero__u16(p)));
    case HERO_F64: HERO__RUN((float)hero__f64(p));
    case HERO_I64: HERO__RUN((float)(int64_t)hero__u64(p));
    case HERO_I32: HERO__RUN((float)(int32_t)hero__u32(p));
    case HERO_I16: HERO__RUN((float)(int16_t)hero__u16(p));
    case HERO_I8: HERO__RUN((float)(signed char)p[0]);
    case HERO_U8: HERO__RUN((float)p[0]);
    default: HERO__RUN(p[0] ? 1.0f : 0.0f);
    }
}

static void hero__run_i64(int64_t *d, const unsigned char *s, int64_t n, int64_t step, hero_dtype dt) {
    int64_t i;
    switch (dt) {
    case HERO_I64: HERO__RUN((int64_t)hero__u64(p));
    case HERO_I32: HERO__RUN((int32_t)hero__u32(p));
    case HERO_I16: HERO__RUN((int16_t)hero__u16(p));
    case HERO_I8: HERO__RUN((signed char)p[0]);
    case HERO_U8: HERO__RUN(p[0]);
    default: HERO__RUN(p[0] != 0);
    }
}
#undef HERO__RUN

static int hero__is_contig(const hero_tensor_info *t) {
    int64_t expect = 1;
    int i;
    for (i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != expect) return 0;
        expect *= t->shape[i];
    }
    return 1;
}

static int hero__tensor_read(const hero_tensor_info *t, void *dst, int64_t n, int as_i64, hero_error *err) {
    int64_t numel, es, idx[HERO_MAX_DIMS], outer, o, off, run, step;
    int k, inner, rc;
    if (!t) return hero__fail(err, HERO_EINVAL, "tensor read: NULL tensor");
    if ((rc = hero__tensor_check(t, NULL, err)) != 0) return rc;
    numel = hero_tensor_numel(t);
    if (n != numel)
        return hero__fail(err, HERO_ESHAPE, "tensor '%s': destination holds %lld elements, tensor has %lld",
                          t->name ? t->name : "?", (long long)n, (long long)numel);
    if (as_i64 && (t->dtype == HERO_F32 || t->dtype == HERO_F16 || t->dtype == HERO_BF16 || t->dtype == HERO_F64))
        return hero__fail(err, HERO_ESHAPE, "tensor '%s': dtype %s is not an integer type", t->name ? t->name : "?",
                          hero_dtype_name(t->dtype));
    if (numel == 0) return 0;
    if (!dst) return hero__fail(err, HERO_EINVAL, "tensor '%s': NULL destination", t->name ? t->name : "?");
    es = hero_dtype_size(t->dtype);
    if (hero__is_contig(t)) {
        if (as_i64) hero__run_i64((int64_t *)dst, t->storage + t->offset * es, numel, es, t->dtype);
        else hero__run_f32((float *)dst, t->storage + t->offset * es, numel, es, t->dtype);
        return 0;
    }
    inner = t->ndim - 1;
    run = t->shape[inner];
    step = run > 1 ? t->stride[inner] * es : 0;
    outer = numel / run;
    memset(idx, 0, sizeof idx);
    for (o = 0; o < outer; o++) {
        off = t->offset;
        for (k = 0; k < inner; k++) off += idx[k] * t->stride[k];
        if (as_i64) hero__run_i64((int64_t *)dst + o * run, t->storage + off * es, run, step, t->dtype);
        else hero__run_f32((float *)dst + o * run, t->storage + off * es, run, step, t->dtype);
        for (k = inner - 1; k >= 0; k--) {
            if (++idx[k] < t->shape[k]) break;
            idx[k] = 0;
        }
    }
    return 0;
}

/* Tensor (any dtype, any strides) -> contiguous float. */
HERODEF int hero_tensor_read_f32(const hero_tensor_info *t, float *dst, int64_t n, hero_error *err) {
    return hero__tensor_read(t, dst, n, 0, err);
}

/* Integer/bool tensor (any strides) -> contiguous int64. */
HERODEF int hero_tensor_read_i64(const hero_tensor_info *t, int64_t *dst, int64_t n, hero_error *err) {
    return hero__tensor_read(t, dst, n, 1, err);
}

/* ================= tensor files: common ================= */
static int hero__tf_add_tensor(hero_tensorfile *tf, const char *name, size_t nlen, hero_tensor_info **out, hero_error *err) {
    void *q = hero__grow(tf->tensors, tf->n_tensors, sizeof(hero_tensor_info));
    hero_tensor_info *t;
    if (!q) return hero__fail(err, HERO_ENOMEM, "%s: out of memory for the tensor list", tf->path);
    tf->tensors = (hero_tensor_info *)q;
    t = &tf->tensors[tf->n_tensors];
    memset(t, 0, sizeof *t);
    if (!(t->name = hero__strndup(name, nlen))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    tf->n_tensors++;
    *out = t;
    return 0;
}

static int hero__tf_add_entry(hero_tensorfile *tf, const char *name, const char *kind, const char *val, size_t vlen,
                              hero_error *err) {
    void *q = hero__grow(tf->entries, tf->n_entries, sizeof(hero_entry_info));
    hero_entry_info *e;
    if (!q) return hero__fail(err, HERO_ENOMEM, "%s: out of memory for the entry list", tf->path);
    tf->entries = (hero_entry_info *)q;
    e = &tf->entries[tf->n_entries++];
    e->name = hero__strndup(name, strlen(name));
    e->kind = hero__strndup(kind, strlen(kind));
    e->value = hero__strndup(val, vlen);
    if (!e->name || !e->kind || !e->value) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    return 0;
}

/* Keep a decompressed buffer alive until close (takes ownership; frees it on failure). */
static int hero__tf_add_blob(hero_tensorfile *tf, unsigned char *blob, hero_error *err) {
    void *q = hero__grow(tf->blobs, tf->n_blobs, sizeof(unsigned char *));
    if (!q) { HERO_FREE(blob); return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path); }
    tf->blobs = (unsigned char **)q;
    tf->blobs[tf->n_blobs++] = blob;
    return 0;
}

static int hero__cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Validate every tensor against its storage and reject duplicate names. */
static int hero__tf_check_all(hero_tensorfile *tf, hero_error *err) {
    char **names;
    int i, rc = 0, n = tf->n_tensors;
    for (i = 0; i < n; i++)
        if ((rc = hero__tensor_check(&tf->tensors[i], tf->path, err)) != 0) return rc;
    if (n < 2) return 0;
    names = (char **)HERO_MALLOC((size_t)n * sizeof(char *));
    if (!names) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i < n; i++) names[i] = tf->tensors[i].name;
    qsort(names, (size_t)n, sizeof(char *), hero__cmp_strp);
    for (i = 1; i < n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0) rc = hero__fail(err, HERO_EFORMAT, "%s: duplicate tensor name '%s'", tf->path, names[i]);
    HERO_FREE(names);
    return rc;
}

/* Release an opened tensor file. */
HERODEF void hero_tensorfile_close(hero_tensorfile *tf) {
    int i;
    if (!tf) return;
    for (i = 0; i < tf->n_tensors; i++) HERO_FREE(tf->tensors[i].name);
    for (i = 0; i < tf->n_entries; i++) {
        HERO_FREE(tf->entries[i].name);
        HERO_FREE(tf->entries[i].kind);
        HERO_FREE(tf->entries[i].value);
    }
    for (i = 0; i < tf->n_blobs; i++) HERO_FREE(tf->blobs[i]);
    HERO_FREE(tf->tensors);
    HERO_FREE(tf->entries);
    HERO_FREE(tf->blobs);
    HERO_FREE(tf->buf);
    HERO_FREE(tf->path);
    hero_json_free(&tf->meta);
    memset(tf, 0, sizeof *tf);
}

/* Tensor by name, or NULL. */
HERODEF const hero_tensor_info *hero_tensorfile_find(const hero_tensorfile *tf, const char *name) {
    int i;
    if (!tf || !name) return NULL;
    for (i = 0; i < tf->n_tensors; i++)
        if (strcmp(tf->tensors[i].name, name) == 0) return &tf->tensors[i];
    return NULL;
}

/* Non-tensor entry by name, or NULL. */
HERODEF const hero_entry_info *hero_tensorfile_entry(const hero_tensorfile *tf, const char *name) {
    int i;
    if (!tf || !name) return NULL;
    for (i = 0; i < tf->n_entries; i++)
        if (strcmp(tf->entries[i].name, name) == 0) return &tf->entries[i];
    return NULL;
}

/* safetensors __metadata__ string, or NULL. */
HERODEF const char *hero_tensorfile_meta(const hero_tensorfile *tf, const char *key) {
    const hero_json *v = tf ? hero_json_get(&tf->meta, key) : NULL;
    return (v && v->type == HERO_JSON_STRING) ? v->string : NULL;
}

/* ================= safetensors ================= */
static const char *const hero__st_names[HERO_DTYPE_COUNT] = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};

/* Exact non-negative integer (<= 2^53) from a JSON number. */
static int hero__json_i64(const hero_json *j, int64_t *v) {
    if (!j || j->type != HERO_JSON_NUMBER || !(j->number >= 0 && j->number <= 9007199254740992.0)) return 0;
    *v = (int64_t)j->number;
    return (double)*v == j->number;
}

static int hero__st_meta(hero_tensorfile *tf, hero_json *v, hero_error *err) {
    int i;
    if (tf->meta.type != HERO_JSON_NULL) return hero__fail(err, HERO_EFORMAT, "%s: duplicate __metadata__", tf->path);
    if (v->type != HERO_JSON_OBJECT) return hero__fail(err, HERO_EFORMAT, "%s: __metadata__ is not a JSON object", tf->path);
    for (i = 0; i < v->n; i++)
        if (v->items[i].type != HERO_JSON_STRING)
            return hero__fail(err, HERO_EFORMAT, "%s: __metadata__ value '%s' is not a string", tf->path, v->keys[i]);
    tf->meta = *v;
    memset(v, 0, sizeof *v);
    return 0;
}

static int hero__st_tensor(hero_tensorfile *tf, const char *key, const hero_json *v, const unsigned char *data,
                           int64_t dsize, int id, hero_error *err) {
    const hero_json *dt = hero_json_get(v, "dtype"), *sh = hero_json_get(v, "shape"), *off = hero_json_get(v, "data_offsets");
    hero_tensor_info *t;
    int64_t b, e, nbytes, numel = 1;
    int i, rc, d = -1;
    if (v->type != HERO_JSON_OBJECT || !dt || dt->type != HERO_JSON_STRING || !sh || sh->type != HERO_JSON_ARRAY || !off ||
        off->type != HERO_JSON_ARRAY)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': header entry needs \"dtype\", \"shape\" and \"data_offsets\"", tf->path, key);
    for (i = 0; i < HERO_DTYPE_COUNT; i++)
        if (strcmp(dt->string, hero__st_names[i]) == 0) d = i;
    if (d < 0) return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': unsupported dtype '%s'", tf->path, key, dt->string);
    if (sh->n > HERO_MAX_DIMS)
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': %d dimensions, at most %d supported", tf->path, key, sh->n, HERO_MAX_DIMS);
    if (off->n != 2 || !hero__json_i64(&off->items[0], &b) || !hero__json_i64(&off->items[1], &e) || b > e || e > dsize)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': data_offsets must be [begin, end] with begin <= end <= %lld",
                          tf->path, key, (long long)dsize);
    if ((rc = hero__tf_add_tensor(tf, key, strlen(key), &t, err)) != 0) return rc;
    t->dtype = (hero_dtype)d;
    t->ndim = sh->n;
    for (i = sh->n - 1; i >= 0; i--) {
        if (!hero__json_i64(&sh->items[i], &t->shape[i]))
            return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': shape[%d] is not a non-negative integer", tf->path, key, i);
        t->stride[i] = numel;
        if (!hero__mul64(numel, t->shape[i], &numel))
            return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': element count overflows", tf->path, key);
    }
    if (!hero__mul64(numel, hero_dtype_size(t->dtype), &nbytes))
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': byte size overflows", tf->path, key);
    if (nbytes != e - b)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] hold %lld bytes, shape and dtype %s need %lld",
                          tf->path, key, (long long)b, (long long)e, (long long)(e - b), dt->string, (long long)nbytes);
    t->storage = data + b;
    t->storage_nbytes = nbytes;
    t->storage_id = id;
    return 0;
}

typedef struct hero__range { int64_t b, e; int i; } hero__range;
static int hero__cmp_range(const void *x, const void *y) {
    const hero__range *a = (const hero__range *)x, *b = (const hero__range *)y;
    return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->e > b->e) - (a->e < b->e);
}

/* Tensor data regions must not overlap. */
static int hero__st_overlap(hero_tensorfile *tf, const unsigned char *data, hero_error *err) {
    hero__range *r;
    int i, rc = 0;
    if (tf->n_tensors < 2) return 0;
    r = (hero__range *)HERO_MALLOC((size_t)tf->n_tensors * sizeof *r);
    if (!r) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i < tf->n_tensors; i++) {
        r[i].b = tf->tensors[i].storage - data;
        r[i].e = r[i].b + tf->tensors[i].storage_nbytes;
        r[i].i = i;
    }
    qsort(r, (size_t)tf->n_tensors, sizeof *r, hero__cmp_range);
    for (i = 1; i < tf->n_tensors && !rc; i++)
        if (r[i].b < r[i - 1].e)
            rc = hero__fail(err, HERO_EFORMAT, "%s: data of tensors '%s' [%lld, %lld) and '%s' [%lld, %lld) overlap", tf->path,
                            tf->tensors[r[i - 1].i].name, (long long)r[i - 1].b, (long long)r[i - 1].e, tf->tensors[r[i].i].name,
                            (long long)r[i].b, (long long)r[i].e);
    HERO_FREE(r);
    return rc;
}

#define HERO__ST_MAX_HEADER (100u << 20)

static int hero__st_open(hero_tensorfile *tf, hero_error *err) {
    hero_json root;
    uint64_t hlen;
    const unsigned char *data;
    int i, rc = 0;
    if (tf->size < 8)
        return hero__fail(err, HERO_EFORMAT, "%s: not a tensor file (%zu bytes; a safetensors file has at least 8)", tf->path, tf->size);
    hlen = hero__u64(tf->buf);
    if (hlen > tf->size - 8)
        return hero__fail(err, HERO_EFORMAT, "%s: not a recognised tensor file (as safetensors: header length %llu exceeds the %zu bytes that follow)",
                          tf->path, (unsigned long long)hlen, tf->size - 8);
    if (hlen > HERO__ST_MAX_HEADER)
        return hero__fail(err, HERO_ELIMIT, "%s: safetensors header of %llu bytes exceeds the %u byte limit", tf->path,
                          (unsigned long long)hlen, HERO__ST_MAX_HEADER);
    tf->format = HERO_FMT_SAFETENSORS;
    if ((rc = hero_json_parse((const char *)tf->buf + 8, (size_t)hlen, &root, err)) != 0) {
        char pre[300];
        snprintf(pre, sizeof pre, "%.200s: safetensors header", tf->path);
        return hero__reprefix(err, rc, pre);
    }
    data = tf->buf + 8 + hlen;
    if (root.type != HERO_JSON_OBJECT) rc = hero__fail(err, HERO_EFORMAT, "%s: safetensors header is not a JSON object", tf->path);
    for (i = 0; i < root.n && !rc; i++) {
        if (strcmp(root.keys[i], "__metadata__") == 0) rc = hero__st_meta(tf, &root.items[i], err);
        else rc = hero__st_tensor(tf, root.keys[i], &root.items[i], data, (int64_t)(tf->size - 8 - hlen), i, err);
    }
    if (!rc) rc = hero__st_overlap(tf, data, err);
    if (!rc) rc = hero__tf_check_all(tf, err);
    hero_json_free(&root);
    return rc;
}

/* JSON string literal with escapes */
static void hero__sb_jstr(hero__sb *b, const char *s) {
    hero__sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { hero__sb_put(b, "\\", 1); hero__sb_put(b, s, 1); }
        else if (c < 0x20) { char t[8]; snprintf(t, sizeof t, "\\u%04x", c); hero__sb_str(b, t); }
        else hero__sb_put(b, s, 1);
    }
    hero__sb_put(b, "\"", 1);
}

/* Write bytes as little-endian elements of es bytes. */
static int hero__write_le(FILE *f, const unsigned char *p, int64_t nbytes, int es) {
    unsigned char tmp[4096];
    int64_t done = 0;
    if (nbytes == 0) return 1;
    if (es == 1 || hero__host_le()) return fwrite(p, 1, (size_t)nbytes, f) == (size_t)nbytes;
    while (done < nbytes) {
        size_t n = (size_t)(nbytes - done < (int64_t)sizeof tmp ? nbytes - done : (int64_t)sizeof tmp), i;
        for (i = 0; i < n; i++) { /* byte j of element e goes to byte es-1-j */
            size_t j = i % (size_t)es;
            tmp[i] = p[done + (int64_t)(i - j + (size_t)es - 1 - j)];
        }
        if (fwrite(tmp, 1, n, f) != n) return 0;
        done += (int64_t)n;
    }
    return 1;
}

static int hero__st_check_items(const char *path, const hero_st_item *items, int n, int64_t *total, hero_error *err) {
    const char **names;
    int i, k, rc = 0;
    *total = 0;
    for (i = 0; i < n; i++) {
        const hero_st_item *it = &items[i];
        int64_t numel = 1, nb;
        if (!it->name || !it->name[0] || !hero__utf8_valid(it->name, strlen(it->name)) || strcmp(it->name, "__metadata__") == 0)
            return hero__fail(err, HERO_EINVAL, "%s: item %d: name must be a non-empty UTF-8 string other than __metadata__", path, i);
        if ((int)it->dtype < 0 || it->dtype >= HERO_DTYPE_COUNT || it->ndim < 0 || it->ndim > HERO_MAX_DIMS || (it->ndim && !it->shape))
            return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': bad dtype or ndim %d", path, it->name, it->ndim);
        for (k = 0; k < it->ndim; k++)
            if (!hero__mul64(numel, it->shape[k], &numel))
                return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': shape[%d] = %lld is negative or overflows", path, it->name, k,
                                  (long long)it->shape[k]);
        if (!hero__mul64(numel, hero_dtype_size(it->dtype), &nb) || nb > INT64_MAX - *total || (nb && !it->data))
            return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': size overflows or data is NULL", path, it->name);
        *total += nb;
    }
    if (n < 2) return 0;
    if (!(names = (const char **)HERO_MALLOC((size_t)n * sizeof(char *)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    for (i = 0; i < n; i++) names[i] = items[i].name;
    qsort(names, (size_t)n, sizeof(char *), hero__cmp_strp);
    for (i = 1; i < n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0) rc = hero__fail(err, HERO_EINVAL, "%s: duplicate tensor name '%s'", path, names[i]);
    HERO_FREE(names);
    return rc;
}

static void hero__st_header(hero__sb *h, const hero_st_item *items, int n, const char *const *kv) {
    int64_t pos = 0;
    int i, k, first = 1;
    hero__sb_put(h, "{", 1);
    if (kv && kv[0]) {
        hero__sb_str(h, "\"__metadata__\":{");
        for (i = 0; kv[i]; i += 2) {
            if (i) hero__sb_put(h, ",", 1);
            hero__sb_jstr(h, kv[i]);
            hero__sb_put(h, ":", 1);
            hero__sb_jstr(h, kv[i + 1]);
        }
        hero__sb_put(h, "}", 1);
        first = 0;
    }
    for (i = 0; i < n; i++) {
        int64_t numel = 1;
        if (!first) hero__sb_put(h, ",", 1);
        first = 0;
        hero__sb_jstr(h, items[i].name);
        hero__sb_str(h, ":{\"dtype\":\"");
        hero__sb_str(h, hero__st_names[items[i].dtype]);
        hero__sb_str(h, "\",\"shape\":[");
        for (k = 0; k < items[i].ndim; k++) {
            if (k) hero__sb_put(h, ",", 1);
            hero__sb_i64(h, items[i].shape[k]);
            numel *= items[i].shape[k];
        }
        hero__sb_str(h, "],\"data_offsets\":[");
        hero__sb_i64(h, pos);
        hero__sb_put(h, ",", 1);
        pos += numel * hero_dtype_size(items[i].dtype);
        hero__sb_i64(h, pos);
        hero__sb_str(h, "]}");
    }
    hero__sb_put(h, "}", 1);
    while ((h->n + 8) % 8) hero__sb_put(h, " ", 1);
}

/* Write tensors + metadata as safetensors, atomically (tmp file, fsync, rename). */
HERODEF int hero_safetensors_write(const char *path, const hero_st_item *items, int n, const char *const *meta_kv,
                                   hero_error *err) {
    hero__sb h, tmp;
    unsigned char len8[8];
    int64_t total;
    FILE *f = NULL;
    int i, j, rc = 0;
    if (!path || n < 0 || (n && !items)) return hero__fail(err, HERO_EINVAL, "safetensors write: bad arguments");
    for (i = 0; meta_kv && meta_kv[i]; i += 2) {
        if (!meta_kv[i + 1]) return hero__fail(err, HERO_EINVAL, "%s: metadata key '%s' has no value", path, meta_kv[i]);
        if (!hero__utf8_valid(meta_kv[i], strlen(meta_kv[i])) || !hero__utf8_valid(meta_kv[i + 1], strlen(meta_kv[i + 1])))
            return hero__fail(err, HERO_EINVAL, "%s: metadata '%s' is not valid UTF-8", path, meta_kv[i]);
        for (j = 0; j < i; j += 2)
            if (strcmp(meta_kv[j], meta_kv[i]) == 0) return hero__fail(err, HERO_EINVAL, "%s: duplicate metadata key '%s'", path, meta_kv[i]);
    }
    if ((rc = hero__st_check_items(path, items, n, &total, err)) != 0) return rc;
    memset(&h, 0, sizeof h);
    memset(&tmp, 0, sizeof tmp);
    hero__st_header(&h, items, n, meta_kv);
    hero__sb_str(&tmp, path);
    hero__sb_str(&tmp, ".tmp");
    if (h.oom || tmp.oom) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path); goto done; }
    for (i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    if (!(f = fopen(tmp.s, "wb"))) { rc = hero__fail(err, HERO_EIO, "%s: cannot open for writing", tmp.s); goto done; }
    rc = fwrite(len8, 1, 8, f) != 8 || fwrite(h.s, 1, h.n, f) != h.n;
    for (i = 0; i < n && !rc; i++) {
        int es = hero_dtype_size(items[i].dtype);
        int64_t nb = es, k;
        for (k = 0; k < items[i].ndim; k++) nb *= items[i].shape[k];
        rc = !hero__write_le(f, (const unsigned char *)items[i].data, nb, es);
    }
    if (!rc) rc = fflush(f) != 0 || hero__fsync_file(f) != 0;
    if (fclose(f) != 0) rc = 1;
    if (rc) { remove(tmp.s); rc = hero__fail(err, HERO_EIO, "%s: write failed (disk full?)", tmp.s); goto done; }
#if defined(_WIN32)
    remove(path); /* Windows rename does not replace */
#endif
    if (rename(tmp.s, path) != 0) { remove(tmp.s); rc = hero__fail(err, HERO_EIO, "%s: cannot rename %s over it", path, tmp.s); }
done:
    HERO_FREE(h.s);
    HERO_FREE(tmp.s);
    return rc;
}

/* ================= inflate (RFC 1951) ================= */
typedef struct hero__inf {
    const unsigned char *in;
    size_t inlen, inpos;
    unsigned char *out;
    size_t outlen, outpos;
    uint32_t bitbuf;
    int bitcnt, bad;
} hero__inf;

typedef struct hero__huff { short count[16]; short symbol[288]; } hero__huff;

static int hero__ibits(hero__inf *s, int need) {
    uint32_t v = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->inpos >= s->inlen) { s->bad = 1; return 0; }
        v |= (uint32_t)s->in[s->inpos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = v >> need;
    s->bitcnt -= need;
    return (int)(v & ((1u << need) - 1));
}

/* Canonical Huffman table from code lengths: 0 complete, < 0 over-subscribed, > 0 incomplete. */
static int hero__huff_build(hero__huff *h, const short *len, int n) {
    short offs[16];
    int sym, l, left = 1;
    memset(h->count, 0, sizeof h->count);
    for (sym = 0; sym < n; sym++) h->count[len[sym]]++;
    if (h->count[0] == n) return 0;
    for (l = 1; l < 16; l++) {
        left = left * 2 - h->count[l];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (l = 1; l < 15; l++) offs[l + 1] = (short)(offs[l] + h->count[l]);
    for (sym = 0; sym < n; sym++)
        if (len[sym]) h->symbol[offs[len[sym]]++] = (short)sym;
    return left;
}

static int hero__huff_decode(hero__inf *s, const hero__huff *h) {
    int code = 0, first = 0, index = 0, len, count;
    for (len = 1; len < 16; len++) {
        code |= hero__ibits(s, 1);
        if (s->bad) return -1;
        count = h->count[len];
        if (code - count < first) return h->symbol[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

static const char *hero__inf_codes(hero__inf *s, const hero__huff *lc, const hero__huff *dc) {
    static const short lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                    4097, 6145, 8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = hero__huff_decode(s, lc), len;
        size_t dist;
        if (sym < 0) return s->bad ? "truncated deflate data" : "invalid literal/length code";
        if (sym < 256) {
            if (s->outpos >= s->outlen) return "inflated data larger than declared";
            s->out[s->outpos++] = (unsigned char)sym;
            continue;
        }
        if (sym == 256) return NULL;
        if ((sym -= 257) >= 29) return "invalid length symbol";
        len = lbase[sym] + hero__ibits(s, lext[sym]);
        sym = hero__huff_decode(s, dc);
        if (sym < 0 || sym >= 30) return s->bad ? "truncated deflate data" : "invalid distance code";
        dist = (size_t)(dbase[sym] + hero__ibits(s, dext[sym]));
        if (s->bad) return "truncated deflate data";
        if (dist > s->outpos) return "distance too far back";
        if ((size_t)len > s->outlen - s->outpos) return "inflated data larger than declared";
        for (; len > 0; len--, s->outpos++) s->out[s->outpos] = s->out[s->outpos - dist];
    }
}

static const char *hero__inf_stored(hero__inf *s) {
    size_t len;
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inlen - s->inpos < 4) return "truncated stored block";
    len = hero__u16(s->in + s->inpos);
    if (hero__u16(s->in + s->inpos + 2) != (~len & 0xffff)) return "stored block length check failed";
    s->inpos += 4;
    if (s->inlen - s->inpos < len) return "truncated stored block";
    if (s->outlen - s->outpos < len) return "inflated data larger than declared";
    memcpy(s->out + s->outpos, s->in + s->inpos, len);
    s->inpos += len;
    s->outpos += len;
    return NULL;
}

static const char *hero__inf_fixed(hero__inf *s) {
    hero__huff lc, dc;
    short len[288];
    int i;
    for (i = 0; i < 288; i++) len[i] = (short)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    hero__huff_build(&lc, len, 288);
    for (i = 0; i < 30; i++) len[i] = 5;
    hero__huff_build(&dc, len, 30);
    return hero__inf_codes(s, &lc, &dc);
}

static const char *hero__inf_dynamic(hero__inf *s) {
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short len[320];
    hero__huff lc, dc;
    int nlen = hero__ibits(s, 5) + 257, ndist = hero__ibits(s, 5) + 1, ncode = hero__ibits(s, 4) + 4, idx, sym, rep, l, e;
    if (nlen > 286 || ndist > 30) return "bad dynamic block counts";
    for (idx = 0; idx < 19; idx++) len[order[idx]] = (short)(idx < ncode ? hero__ibits(s, 3) : 0);
    if (s->bad) return "truncated deflate data";
    if (hero__huff_build(&lc, len, 19) != 0) return "incomplete code-length code";
    for (idx = 0; idx < nlen + ndist;) {
        sym = hero__huff_decode(s, &lc);
        if (sym < 0) return s->bad ? "truncated deflate data" : "invalid code-length code";
        if (sym < 16) { len[idx++] = (short)sym; continue; }
        l = 0;
        if (sym == 16) {
            if (idx == 0) return "length repeat with no previous length";
            l = len[idx - 1];
            rep = 3 + hero__ibits(s, 2);
        } else rep = sym == 17 ? 3 + hero__ibits(s, 3) : 11 + hero__ibits(s, 7);
        if (s->bad) return "truncated deflate data";
        if (idx + rep > nlen + ndist) return "too many code lengths";
        while (rep--) len[idx++] = (short)l;
    }
    if (len[256] == 0) return "no end-of-block code";
    e = hero__huff_build(&lc, len, nlen);
    if (e && (e < 0 || nlen != lc.count[0] + lc.count[1])) return "bad literal/length code lengths";
    e = hero__huff_build(&dc, len + nlen, ndist);
    if (e && (e < 0 || ndist != dc.count[0] + dc.count[1])) return "bad distance code lengths";
    return hero__inf_codes(s, &lc, &dc);
}

/* Inflate raw deflate data into exactly outlen bytes; returns NULL or a reason. */
static const char *hero__inflate(const unsigned char *in, size_t inlen, unsigned char *out, size_t outlen) {
    hero__inf s;
    const char *e = NULL;
    int last, type;
    memset(&s, 0, sizeof s);
    s.in = in;
    s.inlen = inlen;
    s.out = out;
    s.outlen = outlen;
    do {
        last = hero__ibits(&s, 1);
        type = hero__ibits(&s, 2);
        if (s.bad) return "truncated deflate data";
        e = type == 0 ? hero__inf_stored(&s) : type == 1 ? hero__inf_fixed(&s) : type == 2 ? hero__inf_dynamic(&s) : "invalid block type";
    } while (!e && !last);
    if (!e && s.outpos != outlen) e = "inflated data smaller than declared";
    return e;
}

static uint32_t hero__crc32(const unsigned char *p, size_t n) {
    uint32_t t[256], c;
    size_t i;
    int k;
    for (i = 0; i < 256; i++) {
        c = (uint32_t)i;
        for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    c = 0xffffffffu;
    for (i = 0; i < n; i++) c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ================= zip ================= */
typedef struct hero__zent {
    const char *name;
    size_t nlen;
    unsigned method, flags;
    uint32_t crc;
    uint64_t csize, usize, lho;
} hero__zent;

static int hero__zname_ends(const hero__zent *z, const char *s) {
    size_t l = strlen(s);
    return z->nlen >= l && memcmp(z->name + z->nlen - l, s, l) == 0;
}

/* zip64 extended information extra field: replaces saturated 32-bit values. */
static int hero__zip64_extra(const unsigned char *x, size_t xl, hero__zent *z) {
    size_t q = 0;
    while (q + 4 <= xl) {
        size_t id = hero__u16(x + q), sz = hero__u16(x + q + 2), r = q + 4;
        if (sz > xl - q - 4) return 0;
        if (id == 1) {
            uint64_t *f[3];
            int k, nf = 0;
            if (z->usize == 0xffffffffu) f[nf++] = &z->usize;
            if (z->csize == 0xffffffffu) f[nf++] = &z->csize;
            if (z->lho == 0xffffffffu) f[nf++] = &z->lho;
            for (k = 0; k < nf; k++, r += 8) {
                if (r + 8 > q + 4 + sz) return 0;
                *f[k] = hero__u64(x + r);
            }
            return 1;
        }
        q += 4 + sz;
    }
    return 0;
}

/* Parse the central directory (zip64 aware) into *out (names point into b). */
static int hero__zip_dir(const unsigned char *b, size_t size, const char *P, hero__zent **out, int *nout, hero_error *err) {
    size_t e, lo;
    uint64_t cnt, cdsize, cdoff, p, end, i;
    hero__zent *z;
    *out = NULL;
    *nout = 0;
    if (size < 22) return hero__fail(err, HERO_EFORMAT, "%s: zip: file too small for an end-of-central-directory record", P);
    lo = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (e = size - 22;; e--) {
        if (hero__u32(b + e) == 0x06054b50u && e + 22 + hero__u16(b + e + 20) <= size) break;
        if (e == lo) return hero__fail(err, HERO_EFORMAT, "%s: zip end-of-central-directory record not found (truncated file?)", P);
    }
    if (hero__u16(b + e + 4) != 0 || hero__u16(b + e + 6) != 0) return hero__fail(err, HERO_EFORMAT, "%s: multi-disk zip not supported", P);
    cnt = hero__u16(b + e + 10);
    cdsize = hero__u32(b + e + 12);
    cdoff = hero__u32(b + e + 16);
    if (e >= 20 && hero__u32(b + e - 20) == 0x07064b50u) { /* zip64 locator */
        uint64_t r = hero__u64(b + e - 20 + 8);
        if (r > size || size - r < 56 || hero__u32(b + r) != 0x06064b50u)
            return hero__fail(err, HERO_EFORMAT, "%s: bad zip64 end-of-central-directory record at %llu", P, (unsigned long long)r);
        cnt = hero__u64(b + r + 32);
        cdsize = hero__u64(b + r + 40);
        cdoff = hero__u64(b + r + 48);
    }
    if (cdoff > size || cdsize > size - cdoff)
        return hero__fail(err, HERO_EFORMAT, "%s: zip central directory [%llu, +%llu] lies outside the file (%zu bytes)", P,
                          (unsigned long long)cdoff, (unsigned long long)cdsize, size);
    if (cnt > cdsize / 46 || cnt > (uint64_t)(INT_MAX / 2))
        return hero__fail(err, HERO_EFORMAT, "%s: zip claims %llu entries but its directory has room for %llu", P,
                          (unsigned long long)cnt, (unsigned long long)(cdsize / 46));
    z = (hero__zent *)HERO_MALLOC((size_t)(cnt ? cnt : 1) * sizeof *z);
    if (!z) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", P);
    for (p = cdoff, end = cdoff + cdsize, i = 0; i < cnt; i++) {
        const unsigned char *c = b + p;
        size_t nl, xl, cl;
        if (end - p < 46 || hero__u32(c) != 0x02014b50u) break;
        z[i].flags = hero__u16(c + 8);
        z[i].method = hero__u16(c + 10);
        z[i].crc = hero__u32(c + 16);
        z[i].csize = hero__u32(c + 20);
        z[i].usize = hero__u32(c + 24);
        nl = hero__u16(c + 28);
        xl = hero__u16(c + 30);
        cl = hero__u16(c + 32);
        z[i].lho = hero__u32(c + 42);
        if (end - p - 46 < nl + xl + cl) break;
        z[i].name = (const char *)c + 46;
        z[i].nlen = nl;
        if ((z[i].usize == 0xffffffffu || z[i].csize == 0xffffffffu || z[i].lho == 0xffffffffu) && !hero__zip64_extra(c + 46 + nl, xl, &z[i]))
            break;
        p += 46 + nl + xl + cl;
    }
    if (i < cnt) {
        HERO_FREE(z);
        return hero__fail(err, HERO_EFORMAT, "%s: zip central directory entry %llu is corrupt", P, (unsigned long long)i);
    }
    *out = z;
    *nout = (int)cnt;
    return 0;
}

/* Bytes of member z: stored members point into the file; deflated ones are inflated into a
   blob owned by tf (after checking the claimed size against the maximum deflate ratio). */
static int hero__zip_get(hero_tensorfile *tf, const hero__zent *z, const unsigned char **out, uint64_t *outlen, hero_error *err) {
    const unsigned char *b = tf->buf;
    uint64_t o = z->lho, d;
    int nl = (int)z->nlen;
    *out = NULL;
    *outlen = 0;
    if (z->flags & 1) return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s' is encrypted", tf->path, nl, z->name);
    if (o > tf->size || tf->size - o < 30 || hero__u32(b + o) != 0x04034b50u)
        return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': bad local header at offset %llu", tf->path, nl, z->name, (unsigned long long)o);
    d = o + 30 + hero__u16(b + o + 26) + hero__u16(b + o + 28); /* the local extra length may differ from the central one */
    if (d > tf->size || z->csize > tf->size - d)
        return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': data [%llu, +%llu] lies outside the file (%zu bytes)", tf->path, nl,
                          z->name, (unsigned long long)d, (unsigned long long)z->csize, tf->size);
    if (z->method == 0) {
        if (z->csize != z->usize)
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': stored sizes differ (%llu vs %llu)", tf->path, nl, z->name,
                              (unsigned long long)z->csize, (unsigned long long)z->usize);
        *out = b + d;
        *outlen = z->csize;
        return 0;
    }
    if (z->method == 8) {
        unsigned char *blob;
        const char *why;
        if (z->usize / 1032 > z->csize + 1 || z->usize >= (uint64_t)(SIZE_MAX / 2))
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s' claims %llu bytes from %llu compressed (impossible for deflate)",
                              tf->path, nl, z->name, (unsigned long long)z->usize, (unsigned long long)z->csize);
        if (!(blob = (unsigned char *)HERO_MALLOC((size_t)z->usize + 1)))
            return hero__fail(err, HERO_ENOMEM, "%s: out of memory inflating '%.*s'", tf->path, nl, z->name);
        why = hero__inflate(b + d, (size_t)z->csize, blob, (size_t)z->usize);
        if (!why && hero__crc32(blob, (size_t)z->usize) != z->crc) why = "CRC-32 mismatch";
        if (why) {
            HERO_FREE(blob);
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': %s", tf->path, nl, z->name, why);
        }
        if (hero__tf_add_blob(tf, blob, err) != 0) return HERO_ENOMEM;
        *out = blob;
        *outlen = z->usize;
        return 0;
    }
    return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': compression method %u not supported (only stored and deflate)", tf->path,
                      nl, z->name, z->method);
}

static int hero__cmp_zent(const void *x, const void *y) {
    const hero__zent *a = (const hero__zent *)x, *b = (const hero__zent *)y;
    int c = memcmp(a->name, b->name, a->nlen < b->nlen ? a->nlen : b->nlen);
    return c ? c : (a->nlen > b->nlen) - (a->nlen < b->nlen);
}

/* Member by exact name in a directory sorted with hero__cmp_zent. */
static const hero__zent *hero__zip_find(const hero__zent *z, int n, const char *name, size_t nlen) {
    hero__zent key;
    memset(&key, 0, sizeof key);
    key.name = name;
    key.nlen = nlen;
    return (const hero__zent *)bsearch(&key, z, (size_t)n, sizeof *z, hero__cmp_zent);
}

/* ================= pickle (no code execution: a whitelisted subset) ================= */
enum {
    HERO__PK_NONE, HERO__PK_BOOL, HERO__PK_INT, HERO__PK_FLOAT, HERO__PK_STR, HERO__PK_BYTES,
    HERO__PK_TUPLE, HERO__PK_LIST, HERO__PK_DICT, HERO__PK_GLOBAL, HERO__PK_STORAGE, HERO__PK_TENSOR
};
enum { HERO__G_ODICT = 1, HERO__G_REBUILD, HERO__G_PARAM, HERO__G_STORAGE };

#define HERO__PK_MAX_STACK (1 << 20)
#define HERO__PK_MAX_MARKS (1 << 16)
#define HERO__PK_MAX_MEMO (1 << 22)
#define HERO__PK_MAX_OBJS (1 << 23)
#define HERO__PK_MAX_DEPTH 32
#define HERO__PK_MAX_LEAVES (1 << 22)

/* the only globals a checkpoint may reference */
static const struct { const char *mod, *name; int id; hero_dtype dt; } hero__pk_globals[] = {
    {"collections", "OrderedDict", HERO__G_ODICT, HERO_F32},
    {"torch._utils", "_rebuild_tensor", HERO__G_REBUILD, HERO_F32},
    {"torch._utils", "_rebuild_tensor_v2", HERO__G_REBUILD, HERO_F32},
    {"torch._utils", "_rebuild_parameter", HERO__G_PARAM, HERO_F32},
    {"torch._utils", "_rebuild_parameter_with_state", HERO__G_PARAM, HERO_F32},
    {"torch", "FloatStorage", HERO__G_STORAGE, HERO_F32},
    {"torch", "HalfStorage", HERO__G_STORAGE, HERO_F16},
    {"torch", "BFloat16Storage", HERO__G_STORAGE, HERO_BF16},
    {"torch", "DoubleStorage", HERO__G_STORAGE, HERO_F64},
    {"torch", "LongStorage", HERO__G_STORAGE, HERO_I64},
    {"torch", "IntStorage", HERO__G_STORAGE, HERO_I32},
    {"torch", "ShortStorage", HERO__G_STORAGE, HERO_I16},
    {"torch", "CharStorage", HERO__G_STORAGE, HERO_I8},
    {"torch", "ByteStorage", HERO__G_STORAGE, HERO_U8},
    {"torch", "BoolStorage", HERO__G_STORAGE, HERO_BOOL},
};

typedef struct hero__pobj {
    int kind, n;        /* n: container items (dict: key, value, key, value, ...) */
    int *items;
    int64_t i;          /* int / bool value; global, storage or tensor index */
    double f;
    const char *s;      /* str / bytes: points into the pickle */
    size_t slen;
} hero__pobj;

typedef struct hero__pstor {
    const char *key;
    size_t klen;
    hero_dtype dtype;
    int64_t numel;
    int id;
    const unsigned char *data;
} hero__pstor;

typedef struct hero__pten { int stor, ndim; int64_t offset, shape[HERO_MAX_DIMS], stride[HERO_MAX_DIMS]; } hero__pten;

typedef struct hero__pvm {
    const char *path;
    hero_error *err;
    int rc;
    const unsigned char *p;
    size_t n, pos;
    hero__pobj *obj;
    int nobj;
    int *stack, sp, stack_cap;
    int *marks, nmarks, marks_cap;
    int *memo;
    size_t memo_cap, memo_len;
    hero__pstor *stor;
    int nstor;
    hero__pten *ten;
    int nten;
} hero__pvm;

static int hero__pk_err(hero__pvm *vm, int code, const char *what) {
    if (!vm->rc) vm->rc = hero__fail(vm->err, code, "%s: pickle byte %zu: %s", vm->path, vm->pos, what);
    return -1;
}

static void hero__pk_free(hero__pvm *vm) {
    int i;
    for (i = 0; i < vm->nobj; i++) HERO_FREE(vm->obj[i].items);
    HERO_FREE(vm->obj);
    HERO_FREE(vm->stack);
    HERO_FREE(vm->marks);
    HERO_FREE(vm->memo);
    HERO_FREE(vm->stor);
    HERO_FREE(vm->ten);
}

/* Make sure an int array has room for `need` items (bounded by lim). */
static int hero__pk_room(hero__pvm *vm, int **a, int *cap, int need, int lim, const char *what) {
    int c;
    int *q;
    if (need <= *cap) return 0;
    if (need > lim) return hero__pk_err(vm, HERO_ELIMIT, what);
    c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    if (!(q = (int *)HERO_REALLOC(*a, (size_t)c * sizeof(int)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    *a = q;
    *cap = c;
    return 0;
}

static int hero__pk_new(hero__pvm *vm, int kind) {
    void *q;
    if (vm->nobj >= HERO__PK_MAX_OBJS) return hero__pk_err(vm, HERO_ELIMIT, "too many objects");
    if (!(q = hero__grow(vm->obj, vm->nobj, sizeof(hero__pobj)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->obj = (hero__pobj *)q;
    memset(&vm->obj[vm->nobj], 0, sizeof(hero__pobj));
    vm->obj[vm->nobj].kind = kind;
    return vm->nobj++;
}

static int hero__pk_push(hero__pvm *vm, int o) {
    if (o < 0 || hero__pk_room(vm, &vm->stack, &vm->stack_cap, vm->sp + 1, HERO__PK_MAX_STACK, "stack too deep")) return -1;
    vm->stack[vm->sp++] = o;
    return 0;
}

static int hero__pk_floor(const hero__pvm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

static int hero__pk_pop(hero__pvm *vm) {
    if (vm->sp <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return vm->stack[--vm->sp];
}

static int hero__pk_top(hero__pvm *vm) {
    if (vm->sp <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return vm->stack[vm->sp - 1];
}

/* Pop the topmost MARK; returns the stack index where it was. */
static int hero__pk_popmark(hero__pvm *vm) {
    if (!vm->nmarks) return hero__pk_err(vm, HERO_EFORMAT, "no MARK on the stack");
    return vm->marks[--vm->nmarks];
}

static int hero__pk_add(hero__pvm *vm, int c, int item) {
    void *q = hero__grow(vm->obj[c].items, vm->obj[c].n, sizeof(int));
    if (!q) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->obj[c].items = (int *)q;
    vm->obj[c].items[vm->obj[c].n++] = item;
    return 0;
}

/* New container of `kind` holding stack[from..sp); pops them and pushes the container. */
static int hero__pk_collect(hero__pvm *vm, int kind, int from) {
    int o = hero__pk_new(vm, kind), k;
    if (o < 0) return -1;
    if (kind == HERO__PK_DICT && (vm->sp - from) % 2) return hero__pk_err(vm, HERO_EFORMAT, "odd number of items for a dict");
    for (k = from; k < vm->sp; k++)
        if (hero__pk_add(vm, o, vm->stack[k])) return -1;
    vm->sp = from;
    return hero__pk_push(vm, o);
}

/* Append stack[from..sp) to the list or dict just below `from`. */
static int hero__pk_extend(hero__pvm *vm, int from, int kind) {
    int c, k;
    if (from <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    c = vm->stack[from - 1];
    if (vm->obj[c].kind != kind) return hero__pk_err(vm, HERO_EFORMAT, kind == HERO__PK_DICT ? "SETITEM(S) on a non-dict" : "APPEND(S) on a non-list");
    if (kind == HERO__PK_DICT && (vm->sp - from) % 2) return hero__pk_err(vm, HERO_EFORMAT, "odd number of items for SETITEMS");
    for (k = from; k < vm->sp; k++)
        if (hero__pk_add(vm, c, vm->stack[k])) return -1;
    vm->sp = from;
    return 0;
}

static const unsigned char *hero__pk_take(hero__pvm *vm, uint64_t k) {
    const unsigned char *r;
    if (k > vm->n - vm->pos) { hero__pk_err(vm, HERO_EFORMAT, "truncated (an opcode needs more bytes than remain)"); return NULL; }
    r = vm->p + vm->pos;
    vm->pos += (size_t)k;
    return r;
}

static int hero__pk_scalar(hero__pvm *vm, int kind, int64_t i, double f, const unsigned char *s, size_t slen) {
    int o = hero__pk_new(vm, kind);
    if (o < 0) return -1;
    vm->obj[o].i = i;
    vm->obj[o].f = f;
    vm->obj[o].s = (const char *)s;
    vm->obj[o].slen = slen;
    return hero__pk_push(vm, o);
}

/* str / bytes whose length is stored in nb little-endian bytes */
static int hero__pk_sized(hero__pvm *vm, int kind, int nb) {
    const unsigned char *a = hero__pk_take(vm, (uint64_t)nb), *s;
    uint64_t len;
    if (!a) return -1;
    len = nb == 1 ? a[0] : nb == 4 ? hero__u32(a) : hero__u64(a);
    if (!(s = hero__pk_take(vm, len))) return -1;
    return hero__pk_scalar(vm, kind, 0, 0, s, (size_t)len);
}

static int hero__pk_long(hero__pvm *vm, int nb) {
    const unsigned char *a = hero__pk_take(vm, (uint64_t)nb), *d;
    uint64_t len, u = 0;
    int k;
    if (!a) return -1;
    len = nb == 1 ? a[0] : hero__u32(a);
    if (len > 8) return hero__pk_err(vm, HERO_EFORMAT, "integer wider than 64 bits");
    if (!(d = hero__pk_take(vm, len))) return -1;
    for (k = 0; k < (int)len; k++) u |= (uint64_t)d[k] << (8 * k);
    if (len > 0 && len < 8 && (d[len - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * len);
    return hero__pk_scalar(vm, HERO__PK_INT, (int64_t)u, 0, NULL, 0);
}

static int hero__pk_memo_put(hero__pvm *vm, uint64_t key) {
    int top = hero__pk_top(vm);
    if (top < 0) return -1;
    if (key >= HERO__PK_MAX_MEMO) return hero__pk_err(vm, HERO_ELIMIT, "memo key too large");
    if (key >= vm->memo_cap) {
        size_t c = vm->memo_cap ? vm->memo_cap : 64, k;
        int *q;
        while (c <= key) c *= 2;
        if (!(q = (int *)HERO_REALLOC(vm->memo, c * sizeof(int)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
        for (k = vm->memo_cap; k < c; k++) q[k] = -1;
        vm->memo = q;
        vm->memo_cap = c;
    }
    if (vm->memo[key] < 0) vm->memo_len++;
    vm->memo[key] = top;
    return 0;
}

static int hero__pk_memo_get(hero__pvm *vm, uint64_t key) {
    if (key >= vm->memo_cap || vm->memo[key] < 0) return hero__pk_err(vm, HERO_EFORMAT, "memo key not defined");
    return hero__pk_push(vm, vm->memo[key]);
}

static int hero__pk_global(hero__pvm *vm, const char *m, size_t ml, const char *nm, size_t nl) {
    int k, o;
    for (k = 0; k < (int)(sizeof hero__pk_globals / sizeof hero__pk_globals[0]); k++)
        if (strlen(hero__pk_globals[k].mod) == ml && memcmp(hero__pk_globals[k].mod, m, ml) == 0 &&
            strlen(hero__pk_globals[k].name) == nl && memcmp(hero__pk_globals[k].name, nm, nl) == 0) {
            if ((o = hero__pk_new(vm, HERO__PK_GLOBAL)) < 0) return -1;
            vm->obj[o].i = k;
            return hero__pk_push(vm, o);
        }
    if (!vm->rc)
        vm->rc = hero__fail(vm->err, HERO_EFORMAT,
                            "%s: pickle global '%.*s.%.*s' is not allowed (only tensors, storages, OrderedDict and plain values can be loaded)",
                            vm->path, (int)(ml > 100 ? 100 : ml), m, (int)(nl > 100 ? 100 : nl), nm);
    return -1;
}

static int hero__pk_op_global(hero__pvm *vm) {
    const char *s = (const char *)vm->p + vm->pos, *e1, *e2;
    size_t left = vm->n - vm->pos;
    if (!(e1 = (const char *)memchr(s, '\n', left)) || !(e2 = (const char *)memchr(e1 + 1, '\n', left - (size_t)(e1 + 1 - s))))
        return hero__pk_err(vm, HERO_EFORMAT, "truncated GLOBAL");
    vm->pos += (size_t)(e2 + 1 - s);
    return hero__pk_global(vm, s, (size_t)(e1 - s), e1 + 1, (size_t)(e2 - e1 - 1));
}

static int hero__pk_op_stack_global(hero__pvm *vm) {
    int nm = hero__pk_pop(vm), m = nm < 0 ? -1 : hero__pk_pop(vm);
    if (m < 0) return -1;
    if (vm->obj[m].kind != HERO__PK_STR || vm->obj[nm].kind != HERO__PK_STR)
        return hero__pk_err(vm, HERO_EFORMAT, "STACK_GLOBAL needs two strings");
    return hero__pk_global(vm, vm->obj[m].s, vm->obj[m].slen, vm->obj[nm].s, vm->obj[nm].slen);
}

static int hero__pk_is(const hero__pvm *vm, int o, int kind) { return vm->obj[o].kind == kind; }

/* _rebuild_tensor[_v2](storage, storage_offset, size, stride, ...) */
static int hero__pk_tensor(hero__pvm *vm, int args) {
    const hero__pobj *a = &vm->obj[args];
    hero__pten t;
    void *q;
    int k, o;
    if (a->n < 4 || !hero__pk_is(vm, a->items[0], HERO__PK_STORAGE) || !hero__pk_is(vm, a->items[1], HERO__PK_INT) ||
        !hero__pk_is(vm, a->items[2], HERO__PK_TUPLE) || !hero__pk_is(vm, a->items[3], HERO__PK_TUPLE))
        return hero__pk_err(vm, HERO_EFORMAT, "_rebuild_tensor expects (storage, offset, size tuple, stride tuple, ...)");
    memset(&t, 0, sizeof t);
    t.stor = (int)vm->obj[a->items[0]].i;
    t.offset = vm->obj[a->items[1]].i;
    t.ndim = vm->obj[a->items[2]].n;
    if (t.ndim > HERO_MAX_DIMS || vm->obj[a->items[3]].n != t.ndim)
        return hero__pk_err(vm, HERO_EFORMAT, "tensor size/stride tuples are too long or differ in length");
    for (k = 0; k < t.ndim; k++) {
        int sz = vm->obj[a->items[2]].items[k], st = vm->obj[a->items[3]].items[k];
        if (!hero__pk_is(vm, sz, HERO__PK_INT) || !hero__pk_is(vm, st, HERO__PK_INT))
            return hero__pk_err(vm, HERO_EFORMAT, "tensor size/stride entries must be integers");
        t.shape[k] = vm->obj[sz].i;
        t.stride[k] = vm->obj[st].i;
    }
    if (!(q = hero__grow(vm->ten, vm->nten, sizeof t))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->ten = (hero__pten *)q;
    vm->ten[vm->nten] = t;
    if ((o = hero__pk_new(vm, HERO__PK_TENSOR)) < 0) return -1;
    vm->obj[o].i = vm->nten++;
    return hero__pk_push(vm, o);
}

static int hero__pk_op_reduce(hero__pvm *vm) {
    int args = hero__pk_pop(vm), fn = args < 0 ? -1 : hero__pk_pop(vm), id;
    if (fn < 0) return -1;
    if (!hero__pk_is(vm, fn, HERO__PK_GLOBAL) || !hero__pk_is(vm, args, HERO__PK_TUPLE))
        return hero__pk_err(vm, HERO_EFORMAT, "REDUCE needs a global and an argument tuple");
    id = hero__pk_globals[vm->obj[fn].i].id;
    if (id == HERO__G_ODICT) {
        if (vm->obj[args].n != 0) return hero__pk_err(vm, HERO_EFORMAT, "OrderedDict with constructor arguments not supported");
        return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_DICT));
    }
    if (id == HERO__G_REBUILD) return hero__pk_tensor(vm, args);
    if (id == HERO__G_PARAM) {
        if (vm->obj[args].n < 1 || !hero__pk_is(vm, vm->obj[args].items[0], HERO__PK_TENSOR))
            return hero__pk_err(vm, HERO_EFORMAT, "_rebuild_parameter expects a tensor");
        return hero__pk_push(vm, vm->obj[args].items[0]);
    }
    return hero__pk_err(vm, HERO_EFORMAT, "a storage class cannot be called");
}

/* persistent id ('storage', storage_type, key, location, numel[, view_metadata]) */
static int hero__pk_op_persid(hero__pvm *vm) {
    int pid = hero__pk_pop(vm), o, *it;
    hero__pstor s;
    void *q;
    int64_t nb;
    if (pid < 0) return -1;
    it = vm->obj[pid].items;
    if (!hero__pk_is(vm, pid, HERO__PK_TUPLE) || vm->obj[pid].n < 5 || !hero__pk_is(vm, it[0], HERO__PK_STR) ||
        vm->obj[it[0]].slen != 7 || memcmp(vm->obj[it[0]].s, "storage", 7) != 0 || !hero__pk_is(vm, it[1], HERO__PK_GLOBAL) ||
        hero__pk_globals[vm->obj[it[1]].i].id != HERO__G_STORAGE || !hero__pk_is(vm, it[2], HERO__PK_STR) ||
        !hero__pk_is(vm, it[4], HERO__PK_INT))
        return hero__pk_err(vm, HERO_EFORMAT, "persistent id is not ('storage', <torch storage type>, key, location, numel)");
    if (vm->obj[pid].n > 5 && !hero__pk_is(vm, it[5], HERO__PK_NONE))
        return hero__pk_err(vm, HERO_EFORMAT, "legacy storage views are not supported");
    memset(&s, 0, sizeof s);
    s.dtype = hero__pk_globals[vm->obj[it[1]].i].dt;
    s.key = vm->obj[it[2]].s;
    s.klen = vm->obj[it[2]].slen;
    s.numel = vm->obj[it[4]].i;
    if (!hero__mul64(s.numel, hero_dtype_size(s.dtype), &nb)) return hero__pk_err(vm, HERO_EFORMAT, "storage size is negative or overflows");
    if (!(q = hero__grow(vm->stor, vm->nstor, sizeof s))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->stor = (hero__pstor *)q;
    vm->stor[vm->nstor] = s;
    if ((o = hero__pk_new(vm, HERO__PK_STORAGE)) < 0) return -1;
    vm->obj[o].i = vm->nstor++;
    return hero__pk_push(vm, o);
}

static int hero__pk_op_tuple(hero__pvm *vm, int k) {
    if (vm->sp - hero__pk_floor(vm) < k) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return hero__pk_collect(vm, HERO__PK_TUPLE, vm->sp - k);
}

static int hero__pk_step(hero__pvm *vm, int op) {
    const unsigned char *a;
    int x, y;
    switch (op) {
    case 0x80: return (a = hero__pk_take(vm, 1)) == NULL ? -1 : a[0] > 5 ? hero__pk_err(vm, HERO_EFORMAT, "pickle protocol > 5") : 0;
    case 0x95: return hero__pk_take(vm, 8) ? 0 : -1; /* FRAME: a size hint only */
    case '(':
        if (hero__pk_room(vm, &vm->marks, &vm->marks_cap, vm->nmarks + 1, HERO__PK_MAX_MARKS, "too many MARKs")) return -1;
        vm->marks[vm->nmarks++] = vm->sp;
        return 0;
    case '}': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_DICT));
    case ']': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_LIST));
    case ')': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_TUPLE));
    case 'N': return hero__pk_scalar(vm, HERO__PK_NONE, 0, 0, NULL, 0);
    case 0x88: return hero__pk_scalar(vm, HERO__PK_BOOL, 1, 0, NULL, 0);
    case 0x89: return hero__pk_scalar(vm, HERO__PK_BOOL, 0, 0, NULL, 0);
    case 'J': return (a = hero__pk_take(vm, 4)) ? hero__pk_scalar(vm, HERO__PK_INT, (int32_t)hero__u32(a), 0, NULL, 0) : -1;
    case 'K': return (a = hero__pk_take(vm, 1)) ? hero__pk_scalar(vm, HERO__PK_INT, a[0], 0, NULL, 0) : -1;
    case 'M': return (a = hero__pk_take(vm, 2)) ? hero__pk_scalar(vm, HERO__PK_INT, hero__u16(a), 0, NULL, 0) : -1;
    case 0x8a: return hero__pk_long(vm, 1);
    case 0x8b: return hero__pk_long(vm, 4);
    case 'G': {
        uint64_t u = 0;
        double d;
        if (!(a = hero__pk_take(vm, 8))) return -1;
        for (x = 0; x < 8; x++) u = (u << 8) | a[x]; /* big-endian */
        memcpy(&d, &u, 8);
        return hero__pk_scalar(vm, HERO__PK_FLOAT, 0, d, NULL, 0);
    }
    case 'X': case 'T': return hero__pk_sized(vm, HERO__PK_STR, 4);
    case 0x8c: case 'U': return hero__pk_sized(vm, HERO__PK_STR, 1);
    case 0x8d: return hero__pk_sized(vm, HERO__PK_STR, 8);
    case 'B': return hero__pk_sized(vm, HERO__PK_BYTES, 4);
    case 'C': return hero__pk_sized(vm, HERO__PK_BYTES, 1);
    case 0x8e: return hero__pk_sized(vm, HERO__PK_BYTES, 8);
    case 'q': return (a = hero__pk_take(vm, 1)) ? hero__pk_memo_put(vm, a[0]) : -1;
    case 'r': return (a = hero__pk_take(vm, 4)) ? hero__pk_memo_put(vm, hero__u32(a)) : -1;
    case 0x94: return hero__pk_memo_put(vm, vm->memo_len);
    case 'h': return (a = hero__pk_take(vm, 1)) ? hero__pk_memo_get(vm, a[0]) : -1;
    case 'j': return (a = hero__pk_take(vm, 4)) ? hero__pk_memo_get(vm, hero__u32(a)) : -1;
    case 't': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_TUPLE, x);
    case 'l': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_LIST, x);
    case 'd': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_DICT, x);
    case 0x85: return hero__pk_op_tuple(vm, 1);
    case 0x86: return hero__pk_op_tuple(vm, 2);
    case 0x87: return hero__pk_op_tuple(vm, 3);
    case 's': return vm->sp - hero__pk_floor(vm) < 3 ? hero__pk_err(vm, HERO_EFORMAT, "stack underflow") : hero__pk_extend(vm, vm->sp - 2, HERO__PK_DICT);
    case 'u': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_extend(vm, x, HERO__PK_DICT);
    case 'a': return vm->sp - hero__pk_floor(vm) < 2 ? hero__pk_err(vm, HERO_EFORMAT, "stack underflow") : hero__pk_extend(vm, vm->sp - 1, HERO__PK_LIST);
    case 'e': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_extend(vm, x, HERO__PK_LIST);
    case 'c': return hero__pk_op_global(vm);
    case 0x93: return hero__pk_op_stack_global(vm);
    case 'R': return hero__pk_op_reduce(vm);
    case 'Q': return hero__pk_op_persid(vm);
    case 'b': return (hero__pk_pop(vm) < 0 || hero__pk_top(vm) < 0) ? -1 : 0; /* BUILD: object state (e.g. _metadata) ignored */
    case '0': return hero__pk_pop(vm) < 0 ? -1 : 0;
    case '1': /* POP_MARK */
        if ((x = hero__pk_popmark(vm)) < 0) return -1;
        vm->sp = x;
        return 0;
    case '2': return (y = hero__pk_top(vm)) < 0 ? -1 : hero__pk_push(vm, y);
    default: {
        char what[64];
        snprintf(what, sizeof what, "unsupported pickle opcode 0x%02x", (unsigned)op);
        vm->pos--;
        return hero__pk_err(vm, HERO_EFORMAT, what);
    }
    }
}

/* Run one pickle starting at p (n bytes); *result = the object, vm->pos = bytes consumed. */
static int hero__pk_run(hero__pvm *vm, const unsigned char *p, size_t n, int *result) {
    vm->p = p;
    vm->n = n;
    vm->pos = 0;
    vm->sp = 0;
    vm->nmarks = 0;
    vm->memo_len = 0;
    HERO_FREE(vm->memo);
    vm->memo = NULL;
    vm->memo_cap = 0;
    while (!vm->rc) {
        const unsigned char *a = hero__pk_take(vm, 1);
        if (!a) break;
        if (a[0] == '.') { /* STOP */
            *result = hero__pk_pop(vm);
            break;
        }
        hero__pk_step(vm, a[0]);
    }
    return vm->rc;
}

/* ---- flattening the unpickled object into tensors and entries ---- */
static int hero__pk_keytext(hero__pvm *vm, hero_tensorfile *tf, int o, hero__sb *name, hero_error *err) {
    const hero__pobj *k = &vm->obj[o];
    char t[40];
    switch (k->kind) {
    case HERO__PK_STR:
        if (memchr(k->s, 0, k->slen)) return hero__fail(err, HERO_EFORMAT, "%s: dict key contains a NUL byte", tf->path);
        hero__sb_put(name, k->s, k->slen);
        return 0;
    case HERO__PK_INT: hero__sb_i64(name, k->i); return 0;
    case HERO__PK_BOOL: hero__sb_str(name, k->i ? "True" : "False"); return 0;
    case HERO__PK_NONE: hero__sb_str(name, "None"); return 0;
    case HERO__PK_FLOAT: snprintf(t, sizeof t, "%.17g", k->f); hero__sb_str(name, t); return 0;
    default: return hero__fail(err, HERO_EFORMAT, "%s: unsupported dict key type under '%s'", tf->path, name->s);
    }
}

static int hero__pk_leaf(hero__pvm *vm, hero_tensorfile *tf, int o, const char *name, hero_error *err) {
    const hero__pobj *x = &vm->obj[o];
    char t[48];
    const char *kind = "object", *v = t;
    size_t vl;
    t[0] = 0;
    switch (x->kind) {
    case HERO__PK_NONE: kind = "none"; v = "None"; break;
    case HERO__PK_BOOL: kind = "bool"; v = x->i ? "True" : "False"; break;
    case HERO__PK_INT: kind = "int"; snprintf(t, sizeof t, "%lld", (long long)x->i); break;
    case HERO__PK_FLOAT: kind = "float"; snprintf(t, sizeof t, "%.17g", x->f); break;
    case HERO__PK_STR: return hero__tf_add_entry(tf, name, "str", x->s, x->slen, err);
    case HERO__PK_BYTES: kind = "bytes"; snprintf(t, sizeof t, "<%zu bytes>", x->slen); break;
    case HERO__PK_DICT: kind = "dict"; v = "{}"; break;
    case HERO__PK_LIST: kind = "list"; v = "[]"; break;
    case HERO__PK_TUPLE: kind = "tuple"; v = "()"; break;
    case HERO__PK_STORAGE: return hero__tf_add_entry(tf, name, "storage", vm->stor[x->i].key, vm->stor[x->i].klen, err);
    case HERO__PK_GLOBAL: snprintf(t, sizeof t, "%s.%s", hero__pk_globals[x->i].mod, hero__pk_globals[x->i].name); break;
    default: break;
    }
    vl = strlen(v);
    return hero__tf_add_entry(tf, name, kind, v, vl, err);
}

static int hero__pk_add_tensor(hero__pvm *vm, hero_tensorfile *tf, const hero__pten *pt, const char *name, hero_error *err) {
    const hero__pstor *s = &vm->stor[pt->stor];
    hero_tensor_info *t;
    int rc = hero__tf_add_tensor(tf, name, strlen(name), &t, err);
    if (rc) return rc;
    t->dtype = s->dtype;
    t->ndim = pt->ndim;
    memcpy(t->shape, pt->shape, sizeof t->shape);
    memcpy(t->stride, pt->stride, sizeof t->stride);
    t->offset = pt->offset;
    t->storage = s->data;
    t->storage_nbytes = s->numel * hero_dtype_size(s->dtype);
    t->storage_id = s->id;
    return 0;
}

static int hero__pk_flat(hero__pvm *vm, hero_tensorfile *tf, int o, hero__sb *name, int depth, hero_error *err) {
    const hero__pobj *x = &vm->obj[o];
    size_t keep = name->n;
    int k, rc = 0, step = x->kind == HERO__PK_DICT ? 2 : 1;
    if (name->oom) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    if (tf->n_tensors + tf->n_entries >= HERO__PK_MAX_LEAVES || tf->n_tensors + tf->n_entries > 4 * vm->nobj + 1024)
        return hero__fail(err, HERO_ELIMIT, "%s: too many tensors and entries (shared containers?)", tf->path);
    if (x->kind == HERO__PK_TENSOR) return hero__pk_add_tensor(vm, tf, &vm->ten[x->i], name->n ? name->s : "-", err);
    if ((x->kind != HERO__PK_DICT && x->kind != HERO__PK_LIST && x->kind != HERO__PK_TUPLE) || x->n == 0)
        return hero__pk_leaf(vm, tf, o, name->n ? name->s : "-", err);
    if (depth >= HERO__PK_MAX_DEPTH) return hero__fail(err, HERO_ELIMIT, "%s: '%s': nested deeper than %d", tf->path, name->s, HERO__PK_MAX_DEPTH);
    for (k = 0; k + step <= x->n && !rc; k += step) {
        if (name->n) hero__sb_put(name, ".", 1);
        if (step == 2) rc = hero__pk_keytext(vm, tf, x->items[k], name, err);
        else hero__sb_i64(name, k);
        if (!rc) rc = hero__pk_flat(vm, tf, x->items[k + step - 1], name, depth + 1, err);
        hero__sb_cut(name, keep);
    }
    return rc;
}

static int hero__pk_flatten(hero__pvm *vm, hero_tensorfile *tf, int root, hero_error *err) {
    hero__sb name;
    int rc;
    memset(&name, 0, sizeof name);
    hero__sb_put(&name, "", 0);
    rc = hero__pk_flat(vm, tf, root, &name, 0, err);
    HERO_FREE(name.s);
    return rc ? rc : hero__tf_check_all(tf, err);
}

static int hero__cmp_pstor(const void *x, const void *y) {
    const hero__pstor *a = *(const hero__pstor *const *)x, *b = *(const hero__pstor *const *)y;
    int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Sort storage records by key and give records with the same key the same id. Returns the
   sorted pointer array (caller frees) and the number of distinct storages. */
static int hero__pk_group(hero__pvm *vm, hero__pstor ***out, int *nuniq, hero_error *err) {
    hero__pstor **ps;
    int i, id = -1;
    *out = NULL;
    *nuniq = 0;
    if (!vm->nstor) return 0;
    if (!(ps = (hero__pstor **)HERO_MALLOC((size_t)vm->nstor * sizeof *ps))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", vm->path);
    for (i = 0; i < vm->nstor; i++) ps[i] = &vm->stor[i];
    qsort(ps, (size_t)vm->nstor, sizeof *ps, hero__cmp_pstor);
    for (i = 0; i < vm->nstor; i++) {
        if (i == 0 || hero__cmp_pstor(&ps[i - 1], &ps[i]) != 0) id++;
        else if (ps[i]->dtype != ps[i - 1]->dtype || ps[i]->numel != ps[i - 1]->numel) {
            int rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' is used with different dtypes or sizes", vm->path,
                                (int)(ps[i]->klen > 100 ? 100 : ps[i]->klen), ps[i]->key);
            HERO_FREE(ps);
            return rc;
        }
        ps[i]->id = id;
    }
    *out = ps;
    *nuniq = id + 1;
    return 0;
}

/* ---- torch.save zip format (torch >= 1.6) ---- */
static int hero__torchzip_open(hero_tensorfile *tf, hero__zent *z, int nz, hero_error *err) {
    hero__pvm vm;
    hero__pstor **ps = NULL;
    hero__sb nm;
    const hero__zent *pk = NULL, *m;
    const unsigned char *pkl, *d;
    uint64_t pklen, dlen;
    size_t plen;
    int i, j, nuniq, root = -1, rc;
    for (i = 0; i < nz && !pk; i++)
        if (hero__zname_ends(&z[i], "data.pkl") && (z[i].nlen == 8 || z[i].name[z[i].nlen - 9] == '/')) pk = &z[i];
    if (!pk) return hero__fail(err, HERO_EFORMAT, "%s: zip has no data.pkl member (not a torch checkpoint)", tf->path);
    tf->format = HERO_FMT_TORCH_ZIP;
    if ((rc = hero__zip_get(tf, pk, &pkl, &pklen, err)) != 0) return rc;
    plen = pk->nlen - 8; /* archive prefix, e.g. "model/" */
    memset(&vm, 0, sizeof vm);
    memset(&nm, 0, sizeof nm);
    hero__sb_put(&nm, pk->name, plen);
    vm.path = tf->path;
    vm.err = err;
    qsort(z, (size_t)nz, sizeof *z, hero__cmp_zent); /* pk is no longer valid */
    hero__sb_str(&nm, "byteorder");
    if ((m = hero__zip_find(z, nz, nm.s ? nm.s : "", nm.n)) != NULL) {
        if ((rc = hero__zip_get(tf, m, &d, &dlen, err)) != 0) goto done;
        if (dlen != 6 || memcmp(d, "little", 6) != 0) { rc = hero__fail(err, HERO_EFORMAT, "%s: big-endian checkpoints are not supported", tf->path); goto done; }
    }
    if ((rc = hero__pk_run(&vm, pkl, (size_t)pklen, &root)) != 0) goto done;
    if ((rc = hero__pk_group(&vm, &ps, &nuniq, err)) != 0) goto done;
    for (i = 0; i < vm.nstor; i = j) {
        int64_t need = ps[i]->numel * hero_dtype_size(ps[i]->dtype);
        hero__sb_cut(&nm, plen);
        hero__sb_str(&nm, "data/");
        hero__sb_put(&nm, ps[i]->key, ps[i]->klen);
        if (nm.oom) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path); goto done; }
        if (!(m = hero__zip_find(z, nz, nm.s, nm.n))) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage member '%s' is missing", tf->path, nm.s); goto done; }
        if ((rc = hero__zip_get(tf, m, &d, &dlen, err)) != 0) goto done;
        if (dlen != (uint64_t)need) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%s' has %llu bytes, expected %lld (%lld x %s)", tf->path, nm.s,
                            (unsigned long long)dlen, (long long)need, (long long)ps[i]->numel, hero_dtype_name(ps[i]->dtype));
            goto done;
        }
        for (j = i; j < vm.nstor && ps[j]->id == ps[i]->id; j++) ps[j]->data = d;
    }
    rc = hero__pk_flatten(&vm, tf, root, err);
done:
    HERO_FREE(ps);
    HERO_FREE(nm.s);
    hero__pk_free(&vm);
    return rc;
}

/* ---- legacy torch.save format (torch < 1.6) ---- */
static const unsigned char hero__legacy_magic[15] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

/* If b starts with the pickled legacy magic number (any protocol 2..5, optionally framed),
   returns the offset just after it, else 0. */
static size_t hero__legacy_start(const unsigned char *b, size_t n) {
    size_t p = 2;
    if (n < 24 || b[0] != 0x80 || b[1] < 2 || b[1] > 5) return 0;
    if (b[p] == 0x95) p += 9; /* FRAME */
    if (memcmp(b + p, hero__legacy_magic + 2, 12) != 0 || b[p + 12] != '.') return 0;
    return p + 13;
}

/* dict lookup by string key (for sys_info) */
static int hero__pk_dict_get(const hero__pvm *vm, int d, const char *key) {
    const hero__pobj *x = &vm->obj[d];
    int k;
    if (x->kind != HERO__PK_DICT) return -1;
    for (k = 0; k + 1 < x->n; k += 2) {
        const hero__pobj *kk = &vm->obj[x->items[k]];
        if (kk->kind == HERO__PK_STR && kk->slen == strlen(key) && memcmp(kk->s, key, kk->slen) == 0) return x->items[k + 1];
    }
    return -1;
}

static int hero__legacy_open(hero_tensorfile *tf, hero_error *err) {
    hero__pvm vm;
    hero__pstor **ps = NULL;
    size_t pos = hero__legacy_start(tf->buf, tf->size);
    int proto = -1, info = -1, root = -1, keys = -1, i, k, nuniq, rc, le;
    tf->format = HERO_FMT_TORCH_LEGACY;
    memset(&vm, 0, sizeof vm);
    vm.path = tf->path;
    vm.err = err;
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &proto)) != 0) goto done;
    pos += vm.pos;
    if (vm.obj[proto].kind != HERO__PK_INT || vm.obj[proto].i != 1001) {
        rc = hero__fail(err, HERO_EFORMAT, "%s: legacy torch protocol version is not 1001", tf->path);
        goto done;
    }
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &info)) != 0) goto done;
    pos += vm.pos;
    le = hero__pk_dict_get(&vm, info, "little_endian");
    if (le < 0 || vm.obj[le].kind != HERO__PK_BOOL || !vm.obj[le].i) {
        rc = hero__fail(err, HERO_EFORMAT, "%s: legacy checkpoint is not little-endian (or has no sys_info)", tf->path);
        goto done;
    }
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &root)) != 0) goto done;
    pos += vm.pos;
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &keys)) != 0) goto done;
    pos += vm.pos;
    if (vm.obj[keys].kind != HERO__PK_LIST) { rc = hero__fail(err, HERO_EFORMAT, "%s: legacy storage key list missing", tf->path); goto done; }
    if ((rc = hero__pk_group(&vm, &ps, &nuniq, err)) != 0) goto done;
    for (k = 0; k < vm.obj[keys].n; k++) {
        const hero__pobj *key = &vm.obj[vm.obj[keys].items[k]];
        hero__pstor probe, *pp = &probe, **hit;
        int64_t cnt, nb;
        int lk = (int)(key->slen > 100 ? 100 : key->slen);
        if (key->kind != HERO__PK_STR) { rc = hero__fail(err, HERO_EFORMAT, "%s: legacy storage key %d is not a string", tf->path, k); goto done; }
        probe.key = key->s;
        probe.klen = key->slen;
        hit = ps ? (hero__pstor **)bsearch(&pp, ps, (size_t)vm.nstor, sizeof *ps, hero__cmp_pstor) : NULL;
        if (!hit) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' listed but never referenced", tf->path, lk, key->s); goto done; }
        if ((*hit)->data) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' listed twice", tf->path, lk, key->s); goto done; }
        if (tf->size - pos < 8) { rc = hero__fail(err, HERO_EFORMAT, "%s: truncated before storage '%.*s'", tf->path, lk, key->s); goto done; }
        cnt = (int64_t)hero__u64(tf->buf + pos);
        pos += 8;
        if (cnt != (*hit)->numel || !hero__mul64(cnt, hero_dtype_size((*hit)->dtype), &nb) || (uint64_t)nb > tf->size - pos) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s': %lld elements recorded, %lld expected, %zu bytes left", tf->path, lk,
                            key->s, (long long)cnt, (long long)(*hit)->numel, tf->size - pos);
            goto done;
        }
        for (i = (int)(hit - ps); i > 0 && ps[i - 1]->id == (*hit)->id; i--) {}
        for (; i < vm.nstor && ps[i]->id == (*hit)->id; i++) ps[i]->data = tf->buf + pos;
        pos += (size_t)nb;
    }
    for (i = 0; i < vm.nstor && !rc; i++)
        if (!vm.stor[i].data)
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' has no data", tf->path, (int)(vm.stor[i].klen > 100 ? 100 : vm.stor[i].klen), vm.stor[i].key);
    if (!rc) rc = hero__pk_flatten(&vm, tf, root, err);
done:
    HERO_FREE(ps);
    hero__pk_free(&vm);
    return rc;
}

/* ================= .npy / .npz ================= */
typedef struct hero__lit { const char *s; size_t n, i; } hero__lit;

static void hero__lit_ws(hero__lit *L) {
    while (L->i < L->n && (L->s[L->i] == ' ' || L->s[L->i] == '\t' || L->s[L->i] == '\n' || L->s[L->i] == '\r')) L->i++;
}
static int hero__lit_ch(hero__lit *L, char c) {
    hero__lit_ws(L);
    if (L->i < L->n && L->s[L->i] == c) { L->i++; return 1; }
    return 0;
}
static int hero__lit_str(hero__lit *L, const char **v, size_t *vl) {
    char q;
    size_t b;
    hero__lit_ws(L);
    if (L->i >= L->n || (L->s[L->i] != '\'' && L->s[L->i] != '"')) return 0;
    q = L->s[L->i++];
    for (b = L->i; L->i < L->n && L->s[L->i] != q; L->i++)
        if (L->s[L->i] == '\\') return 0;
    if (L->i >= L->n) return 0;
    *v = L->s + b;
    *vl = L->i++ - b;
    return 1;
}
static int hero__lit_word(hero__lit *L, const char *w) {
    size_t l = strlen(w);
    hero__lit_ws(L);
    if (L->n - L->i < l || memcmp(L->s + L->i, w, l) != 0) return 0;
    L->i += l;
    return 1;
}

static int hero__npy_dtype(const char *d, size_t l, hero_dtype *dt) {
    static const char *const codes[] = {"f4", "f2", "", "f8", "i8", "i4", "i2", "i1", "u1", "b1"};
    int k;
    if (l != 3 || (d[0] != '<' && d[0] != '|' && !(d[0] == '=' && hero__host_le()) && !(d[0] == '>' && d[2] == '1'))) return 0;
    for (k = 0; k < HERO_DTYPE_COUNT; k++)
        if (codes[k][0] && memcmp(d + 1, codes[k], 2) == 0) { *dt = (hero_dtype)k; return 1; }
    return 0;
}

/* Parse the python-literal header {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
static int hero__npy_header(hero__lit *L, hero_tensor_info *t, const char *what, hero_error *err) {
    const char *k, *v;
    size_t kl, vl;
    int got = 0;
    if (!hero__lit_ch(L, '{')) return hero__fail(err, HERO_EFORMAT, "%s: npy header is not a dict", what);
    while (!hero__lit_ch(L, '}')) {
        if (!hero__lit_str(L, &k, &kl) || !hero__lit_ch(L, ':')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad key", what);
        if (kl == 5 && memcmp(k, "descr", 5) == 0) {
            if (!hero__lit_str(L, &v, &vl) || !hero__npy_dtype(v, vl, &t->dtype))
                return hero__fail(err, HERO_EFORMAT, "%s: npy dtype not supported (need little-endian f2 f4 f8 i1 i2 i4 i8 u1 b1)", what);
            got |= 1;
        } else if (kl == 13 && memcmp(k, "fortran_order", 13) == 0) {
            if (hero__lit_word(L, "True")) return hero__fail(err, HERO_EFORMAT, "%s: fortran_order arrays are not supported (save in C order)", what);
            if (!hero__lit_word(L, "False")) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad fortran_order", what);
            got |= 2;
        } else if (kl == 5 && memcmp(k, "shape", 5) == 0) {
            if (!hero__lit_ch(L, '(')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: shape is not a tuple", what);
            while (!hero__lit_ch(L, ')')) {
                int64_t x = 0;
                int digits = 0;
                hero__lit_ws(L);
                if (t->ndim >= HERO_MAX_DIMS) return hero__fail(err, HERO_ELIMIT, "%s: more than %d dimensions", what, HERO_MAX_DIMS);
                for (; L->i < L->n && L->s[L->i] >= '0' && L->s[L->i] <= '9'; L->i++, digits++)
                    if (x > (INT64_MAX - 9) / 10) return hero__fail(err, HERO_ELIMIT, "%s: npy shape overflows", what);
                    else x = x * 10 + (L->s[L->i] - '0');
                if (!digits) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad shape", what);
                if (L->i < L->n && L->s[L->i] == 'L') L->i++;
                t->shape[t->ndim++] = x;
                if (!hero__lit_ch(L, ',')) {
                    if (!hero__lit_ch(L, ')')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad shape", what);
                    break;
                }
            }
            got |= 4;
        } else return hero__fail(err, HERO_EFORMAT, "%s: npy header: unknown key '%.*s'", what, (int)(kl > 40 ? 40 : kl), k);
        if (!hero__lit_ch(L, ',')) {
            if (!hero__lit_ch(L, '}')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: expected ',' or '}'", what);
            break;
        }
    }
    hero__lit_ws(L);
    if (L->i != L->n || got != 7) return hero__fail(err, HERO_EFORMAT, "%s: npy header needs exactly descr, fortran_order and shape", what);
    return 0;
}

/* One .npy image (p, n bytes) -> tensor `name`. */
static int hero__npy_parse(hero_tensorfile *tf, const unsigned char *p, uint64_t n, const char *name, size_t nlen, int sid,
                           hero_error *err) {
    hero_tensor_info t, *out;
    hero__lit L;
    char what[300];
    uint64_t hl, hs;
    int64_t numel = 1, nb;
    int i, rc;
    snprintf(what, sizeof what, "%.200s%s%.*s", tf->path, tf->format == HERO_FMT_NPZ ? ": " : "",
             tf->format == HERO_FMT_NPZ ? (int)(nlen > 80 ? 80 : nlen) : 0, name);
    if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0) return hero__fail(err, HERO_EFORMAT, "%s: not a .npy image", what);
    if (p[6] == 1) { hl = hero__u16(p + 8); hs = 10; }
    else if ((p[6] == 2 || p[6] == 3) && n >= 12) { hl = hero__u32(p + 8); hs = 12; }
    else return hero__fail(err, HERO_EFORMAT, "%s: npy version %d not supported", what, p[6]);
    if (hl > n - hs) return hero__fail(err, HERO_EFORMAT, "%s: npy header length %llu exceeds the file", what, (unsigned long long)hl);
    memset(&t, 0, sizeof t);
    L.s = (const char *)p + hs;
    L.n = (size_t)hl;
    L.i = 0;
    if ((rc = hero__npy_header(&L, &t, what, err)) != 0) return rc;
    for (i = t.ndim - 1; i >= 0; i--) {
        t.stride[i] = numel;
        if (!hero__mul64(numel, t.shape[i], &numel)) return hero__fail(err, HERO_ELIMIT, "%s: element count overflows", what);
    }
    if (!hero__mul64(numel, hero_dtype_size(t.dtype), &nb)) return hero__fail(err, HERO_ELIMIT, "%s: byte size overflows", what);
    if ((uint64_t)nb != n - hs - hl)
        return hero__fail(err, HERO_EFORMAT, "%s: npy data has %llu bytes, shape and dtype need %lld", what,
                          (unsigned long long)(n - hs - hl), (long long)nb);
    if ((rc = hero__tf_add_tensor(tf, name, nlen, &out, err)) != 0) return rc;
    t.name = out->name;
    t.storage = p + hs + hl;
    t.storage_nbytes = nb;
    t.storage_id = sid;
    *out = t;
    return 0;
}

static int hero__npz_open(hero_tensorfile *tf, const hero__zent *z, int nz, hero_error *err) {
    int i, rc;
    tf->format = HERO_FMT_NPZ;
    for (i = 0; i < nz; i++) {
        const unsigned char *d;
        uint64_t dl;
        if (!hero__zname_ends(&z[i], ".npy")) continue;
        if ((rc = hero__zip_get(tf, &z[i], &d, &dl, err)) != 0) return rc;
        if ((rc = hero__npy_parse(tf, d, dl, z[i].name, z[i].nlen - 4, i, err)) != 0) return rc;
    }
    if (!tf->n_tensors) return hero__fail(err, HERO_EFORMAT, "%s: zip has no .npy members (not an .npz)", tf->path);
    return hero__tf_check_all(tf, err);
}

/* ================= opening ================= */
static int hero__tf_dispatch(hero_tensorfile *tf, int npz_only, hero_error *err) {
    const unsigned char *b = tf->buf;
    if (tf->size >= 4 && (memcmp(b, "PK\3\4", 4) == 0 || memcmp(b, "PK\5\6", 4) == 0)) {
        hero__zent *z;
        int nz, i, pkl = 0, rc;
        if ((rc = hero__zip_dir(b, tf->size, tf->path, &z, &nz, err)) != 0) return rc;
        for (i = 0; i < nz; i++) pkl |= hero__zname_ends(&z[i], "data.pkl");
        rc = pkl && !npz_only ? hero__torchzip_open(tf, z, nz, err) : hero__npz_open(tf, z, nz, err);
        HERO_FREE(z);
        return rc;
    }
    if (tf->size >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) {
        int rc;
        tf->format = HERO_FMT_NPY;
        rc = hero__npy_parse(tf, b, tf->size, "-", 1, 0, err);
        return rc ? rc : hero__tf_check_all(tf, err);
    }
    if (npz_only) return hero__fail(err, HERO_EFORMAT, "%s: not a .npy or .npz file", tf->path);
    if (hero__legacy_start(b, tf->size)) return hero__legacy_open(tf, err);
    return hero__st_open(tf, err);
}

/* Renumber storage ids 0, 1, 2, ... in order of first use (so equal files give equal ids). */
static int hero__tf_renumber(hero_tensorfile *tf, hero_error *err) {
    int i, maxid = -1, next = 0, *map;
    for (i = 0; i < tf->n_tensors; i++)
        if (tf->tensors[i].storage_id > maxid) maxid = tf->tensors[i].storage_id;
    if (maxid < 0) return 0;
    if (!(map = (int *)HERO_MALLOC(((size_t)maxid + 1) * sizeof(int)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i <= maxid; i++) map[i] = -1;
    for (i = 0; i < tf->n_tensors; i++) {
        int *id = &tf->tensors[i].storage_id;
        if (*id < 0) continue;
        if (map[*id] < 0) map[*id] = next++;
        *id = map[*id];
    }
    HERO_FREE(map);
    return 0;
}

static int hero__tf_open(hero_tensorfile *tf, const char *path, const void *data, size_t size, int npz_only, hero_error *err) {
    int rc;
    if (!tf) return hero__fail(err, HERO_EINVAL, "tensor file: NULL handle");
    memset(tf, 0, sizeof *tf);
    if (!path || (!data && size)) return hero__fail(err, HERO_EINVAL, "tensor file: NULL path or data");
    if (!(tf->path = hero__strndup(path, strlen(path)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    if (data) {
        if (size >= SIZE_MAX / 2 || !(tf->buf = (unsigned char *)HERO_MALLOC(size + 1))) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
        else { if (size) memcpy(tf->buf, data, size); tf->buf[size] = 0; tf->size = size; rc = 0; }
    } else rc = hero__read_file(path, &tf->buf, &tf->size, err);
    if (!rc) rc = hero__tf_dispatch(tf, npz_only, err);
    if (!rc) rc = hero__tf_renumber(tf, err);
    if (rc) hero_tensorfile_close(tf);
    return rc;
}

/* Open a tensor file of any supported format (detected from content). */
HERODEF int hero_tensorfile_open(hero_tensorfile *tf, const char *path, hero_error *err) {
    return hero__tf_open(tf, path, NULL, 0, 0, err);
}

/* Open a tensor file image held in memory (copied). */
HERODEF int hero_tensorfile_open_memory(hero_tensorfile *tf, const void *data, size_t size, const char *name, hero_error *err) {
    static const unsigned char empty[1] = {0};
    if (!data && size) {
        if (tf) memset(tf, 0, sizeof *tf);
        return hero__fail(err, HERO_EINVAL, "tensor file: NULL data");
    }
    return hero__tf_open(tf, name ? name : "<memory>", data ? data : (const void *)empty, size, 0, err);
}

/* Open a .npy or .npz file. */
HERODEF int hero_npz_open(hero_tensorfile *tf, const char *path, hero_error *err) {
    return hero__tf_open(tf, path, NULL, 0, 1, err);
}
