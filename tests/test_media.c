/* Tests of the media part of hero.h: SRT / JSONL subtitles (incl. hostile input), text
   normalisation (html.unescape, str.isupper, str.lower), subtitle -> frame alignment,
   video features (ResNet + SlowFast .npz, fp16, cuts, wrong dims, NaN), hero_video_prepare,
   hero_vcmr_rank.

   The expected values of the normalisation and alignment cases were produced by running
   Python 3.11 (html.unescape, str.isupper, str.lower) and the official HERO code
   (scripts/prepro_sub.py process_single_vid_sub + process_tv_subtitles, data/data.py
   SubTokLmdb.compute_sub2frames, numpy 1.24) on the same inputs.

   Build: gcc -std=c99 -O2 -Wall -Wextra -Wpedantic tests/test_media.c -o build/test_media -lm
   Run:   build/test_media [TMPDIR]       (TMPDIR, default /tmp: scratch feature files)
   Prints PASS name / FAIL name: why, and last "N passed, M failed"; exit 1 on any failure.

   Also the fixture writer of tests/test_retrieve.sh:
     build/test_media --fixture VIDEODIR TOKDIR   (VIDEODIR/{resnet,slowfast}_features exist)
     build/test_media --nan-npy PATH T F          (an .npy [T, F] f32 with a NaN) */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;
static const char *g_tmp = "/tmp";

static void check(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("PASS %s\n", name);
        g_pass++;
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        g_fail++;
    }
}

static char *tmppath(const char *name) {
    static char buf[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/hero_test_media_%s", g_tmp, name);
    return buf[k];
}

static int contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* ======================================================================================
   .npy / .npz writers (stored members, or "deflate" made of stored blocks)
   ====================================================================================== */

static uint32_t crc32_of(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

typedef struct { unsigned char *p; size_t n, cap; } bytes;
static void put(bytes *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = (unsigned char *)realloc(b->p, b->cap);
        if (!b->p) { printf("FAIL oom\n"); exit(1); }
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void put16(bytes *b, unsigned v) { unsigned char c[2]; c[0] = (unsigned char)v; c[1] = (unsigned char)(v >> 8); put(b, c, 2); }
static void put32(bytes *b, uint32_t v) { put16(b, v & 0xFFFF); put16(b, v >> 16); }

/* npy bytes of a [T, D] array: dtype "<f4" (floats) or "<f2" (converted) or "<i4" */
static bytes npy_bytes(const float *x, int T, int D, const char *descr) {
    bytes b = {NULL, 0, 0};
    char hdr[256];
    int hl, i;
    size_t n = (size_t)T * (size_t)D;
    hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, T, D);
    while ((10 + hl + 1) % 64) hdr[hl++] = ' ';
    hdr[hl++] = '\n';
    put(&b, "\x93NUMPY\x01\x00", 8);
    put16(&b, (unsigned)hl);
    put(&b, hdr, (size_t)hl);
    for (i = 0; i < (int)n; i++) {
        if (strcmp(descr, "<f2") == 0) put16(&b, hero_f32_to_f16(x[i]));
        else if (strcmp(descr, "<i4") == 0) put32(&b, (uint32_t)(int32_t)x[i]);
        else { uint32_t u; memcpy(&u, &x[i], 4); put32(&b, u); }
    }
    return b;
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) { printf("FAIL cannot write %s\n", path); exit(1); }
    fclose(f);
}

static void write_npy(const char *path, const float *x, int T, int D, const char *descr) {
    bytes b = npy_bytes(x, T, D, descr);
    write_file(path, b.p, b.n);
    free(b.p);
}

/* zip of members name[i] (".npy" appended) with the npy bytes; deflate != 0: method 8 */
static void write_npz(const char *path, int n, const char *const *names, bytes *members, int deflate) {
    bytes z = {NULL, 0, 0}, cd = {NULL, 0, 0};
    int i;
    for (i = 0; i < n; i++) {
        bytes data = {NULL, 0, 0};
        char nm[256];
        size_t nl, off = z.n, k;
        uint32_t crc = crc32_of(members[i].p, members[i].n);
        snprintf(nm, sizeof nm, "%s.npy", names[i]);
        nl = strlen(nm);
        if (deflate) {
            for (k = 0; k < members[i].n || k == 0; k += 65535) {
                size_t m = members[i].n - k < 65535 ? members[i].n - k : 65535;
                unsigned char h = (unsigned char)(k + m >= members[i].n ? 1 : 0);
                put(&data, &h, 1);
                put16(&data, (unsigned)m);
                put16(&data, (unsigned)(~m & 0xFFFF));
                put(&data, members[i].p + k, m);
                if (k + m >= members[i].n) break;
            }
        } else {
            put(&data, members[i].p, members[i].n);
        }
        put32(&z, 0x04034b50u); put16(&z, 20); put16(&z, 0); put16(&z, deflate ? 8 : 0); put16(&z, 0); put16(&z, 0x21);
        put32(&z, crc); put32(&z, (uint32_t)data.n); put32(&z, (uint32_t)members[i].n); put16(&z, (unsigned)nl); put16(&z, 0);
        put(&z, nm, nl);
        put(&z, data.p, data.n);
        put32(&cd, 0x02014b50u); put16(&cd, 20); put16(&cd, 20); put16(&cd, 0); put16(&cd, deflate ? 8 : 0); put16(&cd, 0);
        put16(&cd, 0x21); put32(&cd, crc); put32(&cd, (uint32_t)data.n); put32(&cd, (uint32_t)members[i].n); put16(&cd, (unsigned)nl);
        put16(&cd, 0); put16(&cd, 0); put16(&cd, 0); put16(&cd, 0); put32(&cd, 0); put32(&cd, (uint32_t)off);
        put(&cd, nm, nl);
        free(data.p);
    }
    {
        size_t cdoff = z.n;
        put(&z, cd.p, cd.n);
        put32(&z, 0x06054b50u); put16(&z, 0); put16(&z, 0); put16(&z, (unsigned)n); put16(&z, (unsigned)n);
        put32(&z, (uint32_t)cd.n); put32(&z, (uint32_t)cdoff); put16(&z, 0);
    }
    write_file(path, z.p, z.n);
    free(z.p);
    free(cd.p);
}

static void write_feat_npz(const char *path, const float *x, int T, int D, const char *descr, int deflate) {
    bytes m = npy_bytes(x, T, D, descr);
    const char *nm = "features";
    write_npz(path, 1, &nm, &m, deflate);
    free(m.p);
}

/* deterministic values, exact in fp16: multiples of 1/64 in [-2, 2) */
static float *pattern(int T, int D, int seed) {
    float *x = (float *)malloc((size_t)T * (size_t)D * sizeof(float));
    uint32_t s = 2463534242u + (uint32_t)seed * 7919u;
    int i;
    for (i = 0; i < T * D; i++) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5;
        x[i] = (float)((int)(s % 256u) - 128) / 64.0f;
    }
    return x;
}

/* ======================================================================================
   a tiny byte-level BPE vocabulary (ids < 107, the golden tiny model's vocabulary)
   ====================================================================================== */

#define G "\xC4\xA0" /* the byte-level form of a space */
static const char *const tiny_merges[] = {
    G " t", "h e", G "t he", G " a", "o o", G " d", G "d oo", G "doo r", "a n", G " m", G "m an", "i n", G " o", "e r", G " h", "l l",
    G " w", "a t"};
#undef G

static char *tiny_vocab_json(void) {
    bytes b = {NULL, 0, 0};
    char t[64];
    int id = 0, c;
    size_t i;
    put(&b, "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3", strlen("{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3"));
    id = 4;
    for (c = 'a'; c <= 'z'; c++) { snprintf(t, sizeof t, ", \"%c\": %d", c, id++); put(&b, t, strlen(t)); }
    snprintf(t, sizeof t, ", \"\\u0120\": %d", id++); put(&b, t, strlen(t));
    for (i = 0; i < 6; i++) { snprintf(t, sizeof t, ", \"%c\": %d", ".,?!'&"[i], id++); put(&b, t, strlen(t)); }
    for (i = 0; i < sizeof tiny_merges / sizeof tiny_merges[0]; i++) {
        const char *m = tiny_merges[i], *sp = strchr(m, ' ');
        put(&b, ", \"", 3);
        put(&b, m, (size_t)(sp - m));
        put(&b, sp + 1, strlen(sp + 1));
        snprintf(t, sizeof t, "\": %d", id++);
        put(&b, t, strlen(t));
    }
    put(&b, ", \"<mask>\": 106}", strlen(", \"<mask>\": 106}") + 1);
    return (char *)b.p;
}

static char *tiny_merges_txt(void) {
    bytes b = {NULL, 0, 0};
    size_t i;
    put(&b, "#version: 0.2\n", 14);
    for (i = 0; i < sizeof tiny_merges / sizeof tiny_merges[0]; i++) {
        put(&b, tiny_merges[i], strlen(tiny_merges[i]));
        put(&b, "\n", 1);
    }
    put(&b, "", 1);
    return (char *)b.p;
}

static hero_tokenizer *tiny_tokenizer(void) {
    char *v = tiny_vocab_json(), *m = tiny_merges_txt();
    hero_tokenizer *t = NULL;
    hero_error err;
    if (hero_tokenizer_load_memory(&t, v, strlen(v), m, strlen(m), &err)) { printf("FAIL tiny tokenizer: %s\n", err.msg); exit(1); }
    free(v);
    free(m);
    return t;
}

/* ======================================================================================
   SRT
   ====================================================================================== */

static int sub_is(const hero_subtitles *s, int i, double st, double ed, const char *text) {
    return i < s->n && fabs(s->subs[i].start - st) < 1e-12 && fabs(s->subs[i].end - ed) < 1e-12 && strcmp(s->subs[i].text, text) == 0;
}

static void show_subs(const hero_subtitles *s, char *buf, size_t n) {
    int i, o = 0;
    buf[0] = 0;
    for (i = 0; i < s->n && (size_t)o < n; i++)
        o += snprintf(buf + o, n - (size_t)o, "[%.17g, %.17g, \"%s\"] ", s->subs[i].start, s->subs[i].end, s->subs[i].text);
}

static void test_srt(void) {
    hero_subtitles s;
    hero_error err;
    char shown[1024];
    int rc;
    static const char srt1[] =
        "\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there \r\n  second line\r\n\r\n"
        "2\r\n00:00:03.250 --> 00:00:04.000\r\nWORLD\r\n";
    static const char srt2[] =
        "1\n00:01,000 --> 00:02,000 X1:10 X2:20\n{\\an8}<font color=\"#ff0000\">red</font> <B>bold</b>\n"
        "2\n00:00:02,000 --> 00:00:03,000\ntwo\n"
        "00:00:04,000 --> 00:00:05,5\nthree <x> & <3\n";
    static const char srt3[] =
        "1\n00:00:05,000 --> 00:00:06,000\nlate\n\nmore late\n\n2\n\n00:00:01,000 --> 00:00:02,000\nearly\n";
    static const char srt4[] = "7\r00:00:00,001 --> 123:04:06,000\rold mac\r\r8\r00:00:00,0015 --> 00:00:00,2\rx";

    rc = hero_subs_parse_srt(&s, srt1, sizeof srt1 - 1, "a.srt", &err);
    show_subs(&s, shown, sizeof shown);
    check(rc == 0 && s.n == 2 && sub_is(&s, 0, 1.0, 2.5, "Hello there second line") && sub_is(&s, 1, 3.25, 4.0, "WORLD") &&
              strcmp(s.name, "a.srt") == 0,
          "srt: BOM, CRLF, <i> tags, two text lines, '.' millis", "rc %d n %d: %s", rc, s.n, shown);
    hero_subtitles_free(&s);

    rc = hero_subs_parse_srt(&s, srt2, sizeof srt2 - 1, "b.srt", &err);
    show_subs(&s, shown, sizeof shown);
    check(rc == 0 && s.n == 3 && sub_is(&s, 0, 1.0, 2.0, "red bold") && sub_is(&s, 1, 2.0, 3.0, "two") &&
              sub_is(&s, 2, 4.0, 5.5, "three <x> & <3"),
          "srt: no blank lines, no cue number, MM:SS, cue settings, font/ASS tags", "rc %d n %d: %s", rc, s.n, shown);
    hero_subtitles_free(&s);

    rc = hero_subs_parse_srt(&s, srt3, sizeof srt3 - 1, "c.srt", &err);
    show_subs(&s, shown, sizeof shown);
    check(rc == 0 && s.n == 2 && sub_is(&s, 0, 1.0, 2.0, "early") && sub_is(&s, 1, 5.0, 6.0, "late more late"),
          "srt: out of order (sorted), text after a blank line, blank line after the number", "rc %d n %d: %s", rc, s.n, shown);
    hero_subtitles_free(&s);

    rc = hero_subs_parse_srt(&s, srt4, sizeof srt4 - 1, "d.srt", &err);
    show_subs(&s, shown, sizeof shown);
    check(rc == 0 && s.n == 2 && sub_is(&s, 0, 0.001, 443046.0, "old mac") && sub_is(&s, 1, 0.0015, 0.2, "x"),
          "srt: CR line ends, 3-digit hours, 4-digit fraction, no final newline", "rc %d n %d: %s", rc, s.n, shown);
    hero_subtitles_free(&s);

    rc = hero_subs_parse_srt(&s, "", 0, "e.srt", &err);
    check(rc == 0 && s.n == 0, "srt: empty file -> no subtitles", "rc %d n %d", rc, s.n);
    hero_subtitles_free(&s);
    rc = hero_subs_parse_srt(&s, "\n\r\n  \n", 6, "e.srt", &err);
    check(rc == 0 && s.n == 0, "srt: blank lines only", "rc %d n %d", rc, s.n);
    hero_subtitles_free(&s);
    rc = hero_subs_parse_srt(&s, "1\n00:00:01,000 --> 00:00:02,000", 31, "f.srt", &err);
    check(rc == 0 && s.n == 1 && sub_is(&s, 0, 1.0, 2.0, ""), "srt: cue without text at EOF", "rc %d n %d", rc, s.n);
    hero_subtitles_free(&s);

    /* errors: name the file and the line, and what was expected */
    rc = hero_subs_parse_srt(&s, "hello world\n", 12, "g.srt", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "g.srt:1:") && contains(err.msg, "timing line") && contains(err.msg, "hello world"),
          "srt: not an SRT -> error naming file:line", "rc %d: %s", rc, err.msg);
    rc = hero_subs_parse_srt(&s, "1\n\nnot a time\nx\n", 15, "h.srt", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "h.srt:3:") && contains(err.msg, "not a time"),
          "srt: cue number without timing line -> error", "rc %d: %s", rc, err.msg);
    rc = hero_subs_parse_srt(&s, "1\n00:00:01,000 --> \nx\n", 22, "i.srt", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "i.srt:2:"), "srt: half a timing line -> error", "rc %d: %s", rc, err.msg);
    rc = hero_subs_parse_srt(&s, "1\n99999999999:00:00,000 --> 99999999999:00:01,000\nx\n", 53, "j.srt", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "j.srt:2:"), "srt: absurd hours -> error", "rc %d: %s", rc, err.msg);
    rc = hero_subs_parse_srt(&s, "1\n00:00:0", 9, "k.srt", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "k.srt:2:"), "srt: truncated timing -> error", "rc %d: %s", rc, err.msg);
    rc = hero_subs_parse_srt(&s, "1\n00:00:01 --> 00:00:02\nno millis\n", 34, "l.srt", &err);
    check(rc == 0 && s.n == 1 && sub_is(&s, 0, 1.0, 2.0, "no millis"), "srt: times without millis", "rc %d: %s", rc, err.msg);
    hero_subtitles_free(&s);
    {
        /* binary garbage and random mutations of a valid file: an error or a result, never a crash */
        unsigned char bin[512];
        char mut[sizeof srt2];
        int i, k, ok = 1, n_ok = 0;
        uint32_t r = 12345;
        for (i = 0; i < 512; i++) bin[i] = (unsigned char)(i * 37 + 11);
        rc = hero_subs_parse_srt(&s, (const char *)bin, sizeof bin, "bin.srt", &err);
        if (rc == 0) hero_subtitles_free(&s);
        ok = rc == HERO_EFORMAT;
        for (k = 0; k < 3000; k++) {
            memcpy(mut, srt2, sizeof srt2);
            for (i = 0; i < 4; i++) {
                r = r * 1103515245u + 12345u;
                mut[(r >> 8) % (sizeof srt2 - 1)] = (char)(r >> 24);
            }
            r = r * 1103515245u + 12345u;
            rc = hero_subs_parse_srt(&s, mut, (r >> 8) % sizeof srt2, "mut.srt", &err);
            if (rc == 0) { n_ok++; hero_subtitles_free(&s); }
            else if (rc != HERO_EFORMAT && rc != HERO_ELIMIT) ok = 0;
        }
        check(ok, "srt: hostile bytes / 3000 mutations: errors or results, no crash", "unexpected code (ok results: %d)", n_ok);
    }
    {
        /* many cues, one long line */
        size_t cap = 3000 * 64 + 300000, o = 0;
        char *big = (char *)malloc(cap);
        int i;
        for (i = 0; i < 3000; i++)
            o += (size_t)snprintf(big + o, cap - o, "%d\n00:%02d:%02d,000 --> 00:%02d:%02d,500\nline %d\n\n", i + 1, i / 60 % 60, i % 60,
                                  i / 60 % 60, i % 60, i);
        o += (size_t)snprintf(big + o, cap - o, "3001\n01:00:00,000 --> 01:00:01,000\n");
        memset(big + o, 'x', 200000);
        o += 200000;
        rc = hero_subs_parse_srt(&s, big, o, "big.srt", &err);
        check(rc == 0 && s.n == 3001 && strlen(s.subs[3000].text) == 200000 && sub_is(&s, 2999, 49.0 * 60 + 59, 49.0 * 60 + 59.5, "line 2999"),
              "srt: 3001 cues, a 200000-byte line", "rc %d n %d", rc, s.n);
        hero_subtitles_free(&s);
        free(big);
    }
    {
        /* 200000 continuation lines after blank lines: linear time, one cue */
        size_t n = 200000, o = 0, i;
        char *big = (char *)malloc(40 + 3 * n);
        o += (size_t)snprintf(big, 40, "1\n00:00:01,000 --> 00:00:02,000\n");
        for (i = 0; i < n; i++) { big[o++] = 'x'; big[o++] = '\n'; big[o++] = '\n'; }
        rc = hero_subs_parse_srt(&s, big, o, "cont.srt", &err);
        check(rc == 0 && s.n == 1 && strlen(s.subs[0].text) == 2 * n - 1, "srt: 200000 continuation lines (linear time)", "rc %d n %d", rc, s.n);
        hero_subtitles_free(&s);
        free(big);
    }
    {
        /* from a file: the name is the file's stem */
        const char *p = tmppath("clip_07.srt");
        write_file(p, srt1, sizeof srt1 - 1);
        rc = hero_subs_read_srt(&s, p, &err);
        check(rc == 0 && s.n == 2 && strcmp(s.name, "hero_test_media_clip_07") == 0, "srt: read file, name = stem", "rc %d name %s", rc,
              s.name ? s.name : "(null)");
        hero_subtitles_free(&s);
        rc = hero_subs_read_srt(&s, tmppath("does_not_exist.srt"), &err);
        check(rc == HERO_EIO && contains(err.msg, "does_not_exist.srt"), "srt: missing file -> EIO naming it", "rc %d: %s", rc, err.msg);
        remove(p);
    }
}

/* ======================================================================================
   JSONL
   ====================================================================================== */

static int parse_jsonl_str(hero_subtitles **l, int *n, const char *text, const char *name, hero_error *err) {
    return hero_subs_parse_jsonl(l, n, text, strlen(text), name, err);
}

static void test_jsonl(void) {
    hero_subtitles *l = NULL;
    const hero_subtitles *f;
    hero_error err;
    int n = 0, rc;
    static const char good[] =
        "{\"vid_name\": \"a\", \"sub\": [{\"text\": \"Hi &amp; bye\", \"start\": 0.862, \"end\": 1.862}, {\"text\": \"X\", \"start\": 2, \"end\": 3}]}\n"
        "\n"
        "{\"vid_name\": \"b\", \"sub\": [], \"extra\": {\"k\": [1, 2]}}\r\n"
        "{\"vid_name\": \"a\", \"sub\": [{\"text\": \"late\", \"start\": 5, \"end\": 6}, {\"text\": \"again\", \"start\": 0, \"end\": 1e0}]}";
    rc = hero_subs_parse_jsonl(&l, &n, good, sizeof good - 1, "subs.jsonl", &err);
    check(rc == 0 && n == 3 && l[0].n == 2 && sub_is(&l[0], 0, 0.862, 1.862, "Hi &amp; bye") && sub_is(&l[0], 1, 2, 3, "X") && l[1].n == 0,
          "jsonl: videos, blank line, CRLF, extra keys, raw text kept", "rc %d n %d: %s", rc, n, err.msg);
    f = hero_subs_find(l, n, "a");
    check(f == &l[2] && f->n == 2 && sub_is(f, 0, 0, 1, "again") && sub_is(f, 1, 5, 6, "late"),
          "jsonl: a repeated name -> the last one (official dict); sorted by start", "found %p", (const void *)f);
    check(hero_subs_find(l, n, "zz") == NULL && hero_subs_find(l, n, "b") == &l[1], "jsonl: find", "wrong entry");
    hero_subs_list_free(l, n);

    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":\"a\",\"sub\":[]}\n{oops}\n", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && l == NULL && n == 0 && contains(err.msg, "s.jsonl:2:"), "jsonl: bad JSON line -> error naming file:line",
          "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":\"a\"}", "s.jsonl", &err);
    check(rc == HERO_EMISSING && contains(err.msg, "s.jsonl:1:") && contains(err.msg, "\"sub\"") && contains(err.msg, "expected an array"),
          "jsonl: missing \"sub\" -> error naming the key", "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "\n{\"vid_name\":\"a\",\"sub\":[{\"text\":\"x\",\"start\":\"1\",\"end\":2}]}", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "s.jsonl:2:") && contains(err.msg, "sub[0].start") && contains(err.msg, "expected numbers"),
          "jsonl: start as a string -> error", "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":\"a\",\"sub\":[{\"text\":1,\"start\":1,\"end\":2}]}", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "sub[0].text") && contains(err.msg, "expected a string"), "jsonl: text not a string -> error",
          "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":7,\"sub\":[]}", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "vid_name"), "jsonl: vid_name not a string -> error", "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "[1,2]", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "expected an object"), "jsonl: not an object -> error", "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":\"a\",\"sub\":[{\"text\":\"x\",\"start\":1e300,\"end\":2}]}", "s.jsonl", &err);
    check(rc == HERO_EFORMAT && contains(err.msg, "sub[0].start"), "jsonl: absurd time -> error", "rc %d: %s", rc, err.msg);
    rc = parse_jsonl_str(&l, &n, "{\"vid_name\":\"a\",\"sub\":[{\"start\":1,\"end\":2}]}", "s.jsonl", &err);
    check(rc == HERO_EMISSING && contains(err.msg, "sub[0].text"), "jsonl: missing text -> error", "rc %d: %s", rc, err.msg);
    {
        char deep[600];
        int i, o = 0;
        o += snprintf(deep, sizeof deep, "{\"vid_name\":\"a\",\"sub\":");
        for (i = 0; i < 200; i++) deep[o++] = '[';
        for (i = 0; i < 200; i++) deep[o++] = ']';
        deep[o++] = '}';
        rc = hero_subs_parse_jsonl(&l, &n, deep, (size_t)o, "deep.jsonl", &err);
        check(rc != 0 && contains(err.msg, "deep.jsonl:1:"), "jsonl: 200-deep nesting -> error, no crash", "rc %d: %s", rc, err.msg);
    }
    rc = parse_jsonl_str(&l, &n, "", "empty.jsonl", &err);
    check(rc == 0 && n == 0, "jsonl: empty file -> no videos", "rc %d n %d", rc, n);
    rc = hero_subs_read_jsonl(&l, &n, tmppath("missing.jsonl"), &err);
    check(rc == HERO_EIO && contains(err.msg, "missing.jsonl"), "jsonl: missing file -> EIO naming it", "rc %d: %s", rc, err.msg);
}

/* ======================================================================================
   Normalisation (expected values: Python 3.11)
   ====================================================================================== */

typedef struct { const char *in, *out; } spair;

static const spair unescape_cases[] = {
    {"Tom &amp; Jerry", "Tom & Jerry"},
    {"&lt;i&gt;hi&lt;/i&gt;", "<i>hi</i>"},
    {"&#39;quoted&#39;", "'quoted'"},
    {"&#x27;&#X41;", "'A"},
    {"&#0;", "\xEF\xBF\xBD"},
    {"&#128;", "\xE2\x82\xAC"},
    {"&#129;", "\xC2\x81"},
    {"&#xD800;", "\xEF\xBF\xBD"},
    {"&#1114112;", "\xEF\xBF\xBD"},
    {"&#99999999999999999999;", "\xEF\xBF\xBD"},
    {"&#1;", ""},
    {"&#x7f;", ""},
    {"&#65", "A"},
    {"&#65x", "Ax"},
    {"&#;", "&#;"},
    {"&#x;", "&#x;"},
    {"&ampx", "&x"},
    {"&amp", "&"},
    {"&notit;", "\xC2\xACit;"},
    {"&notin;", "\xE2\x88\x89"},
    {"&nbsp;", "\xC2\xA0"},
    {"&hellip;", "\xE2\x80\xA6"},
    {"&unknown;", "&unknown;"},
    {"& amp;", "& amp;"},
    {"&AMP;", "&"},
    {"&Amp;", "&Amp;"},
    {"&copy2020", "\xC2\xA9" "2020"},
    {"&aacute", "\xC3\xA1"},
    {"&#x1F600;", "\xF0\x9F\x98\x80"},
    {"a&b", "a&b"},
    {"&&amp;", "&&"},
    {"&\xC3\xA9" "acute;", "&\xC3\xA9" "acute;"},
    {"&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;"},
    {"&ltxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "<xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {"&#13;", "\x0D"},
    {"&#x80;&#x9f;", "\xE2\x82\xAC\xC5\xB8"},
    {"&#xFFFE;&#x10FFFF;&#xFDD0;", ""},
    {"&#9;&#10;", "\x09\x0A"},
    {"&ltx;", "<x;"},
    {"&gt&lt", "><"},
    {"x&#", "x&#"},
    {"&", "&"},
    {"&amp;amp;", "&amp;"},
    {"&quot;&apos;", "\x22'"},
    {"&euro;&trade;&mdash;", "\xE2\x82\xAC\xE2\x84\xA2\xE2\x80\x94"},
};

typedef struct { const char *in; int up; } supper;
static const supper isupper_cases[] = {
    {"HELLO", 1}, {"Hello", 0}, {"HELLO 123!", 1}, {"123", 0}, {"", 0}, {"\xC3\x89" "COLE", 1}, {"\xC3\x89" "COLe", 0},
    {"\xC7\x85", 0}, {"\xCE\x91\xCE\x92\xCE\x93", 1}, {"\xC3\x9F", 0}, {"\xE2\x85\xAB", 1}, {"I'M HOME!", 1},
    {"\xE2\x92\xB6\xE2\x92\xB7", 1}, {"\xCA\xB0" "A", 0}, {"A\xCD\x85", 0},
    {"AB\xFF" "C", 1}, /* an invalid byte counts as uncased (Python would not decode it) */
};

static const spair lower_cases[] = {
    {"HELLO World", "hello world"},
    {"\xC3\x89" "COLE", "\xC3\xA9" "cole"},
    {"\xC4\xB0STANBUL", "i\xCC\x87stanbul"},
    {"\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3", "\xCE\xBF\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x82"},
    {"\xCE\xA3", "\xCF\x83"},
    {"\xCE\x91\xCE\xA3.", "\xCE\xB1\xCF\x82."},
    {"\xC7\x84\xC7\x85\xC7\x86", "\xC7\x86\xC7\x86\xC7\x86"},
    {"\xCE\xA3\xCE\x91", "\xCF\x83\xCE\xB1"},
    {"\xCE\x91\xCE\xA3\xCE\x91", "\xCE\xB1\xCF\x83\xCE\xB1"},
    {"\xCE\x91\xCE\xA3 \xCE\x92", "\xCE\xB1\xCF\x82 \xCE\xB2"},
    {"\xD0\x90\xD0\x91\xD0\x92", "\xD0\xB0\xD0\xB1\xD0\xB2"},
    {"\xE2\x85\xA0\xE2\x92\xB7", "\xE2\x85\xB0\xE2\x93\x91"},
    {"\xEF\xBC\xA1\xEF\xBC\xA2", "\xEF\xBD\x81\xEF\xBD\x82"},
    {"\xF0\x90\x90\x80", "\xF0\x90\x90\xA8"},
};

typedef struct { const char *in; int unescape; const char *out; } snorm;
static const snorm normalize_cases[] = {
    {"I&#39;M HOME!", 1, "i'm home!"},
    {"&AMP; AND", 1, "& and"},
    {"Tom &AMP; Jerry", 1, "Tom & Jerry"},
    {"&LT;B&GT;", 1, "<b>"},
    {"I&#39;M HOME", 0, "i&#39;m home"},
    {" Chase : That's all this is\x3F", 1, " Chase : That's all this is\x3F"},
    {"WHAT\x3F! &quot;NO&quot;", 1, "what\x3F! \x22no\x22"},
    {"&Eacute;T&Eacute;", 1, "\xC3\xA9t\xC3\xA9"},
    {"\xC3\x89T\xC3\x89 &eacute;", 1, "\xC3\x89T\xC3\x89 \xC3\xA9"},
    {"A &amp; b", 1, "A & b"},
};

static void test_text(void) {
    size_t i;
    int bad = 0;
    char why[512] = "";
    hero_error err;
    for (i = 0; i < sizeof unescape_cases / sizeof unescape_cases[0]; i++) {
        char *o = NULL;
        size_t ol = 0;
        int rc = hero_html_unescape(unescape_cases[i].in, strlen(unescape_cases[i].in), &o, &ol, &err);
        if (rc || ol != strlen(unescape_cases[i].out) || memcmp(o, unescape_cases[i].out, ol) != 0) {
            if (!bad) snprintf(why, sizeof why, "\"%s\" -> \"%s\", Python \"%s\"", unescape_cases[i].in, o ? o : "(error)", unescape_cases[i].out);
            bad++;
        }
        free(o);
    }
    check(!bad, "text: html.unescape, 45 cases as Python", "%d wrong, first: %s", bad, why);
    {
        /* a name outside the table (HTML5-only) stays as written: documented difference */
        char *o = NULL;
        hero_html_unescape("&NotEqualTilde;", 15, &o, NULL, &err);
        check(o && strcmp(o, "&NotEqualTilde;") == 0, "text: unescape of an HTML5-only name keeps it (documented)", "got %s", o ? o : "(null)");
        free(o);
    }
    bad = 0;
    for (i = 0; i < sizeof isupper_cases / sizeof isupper_cases[0]; i++)
        if (hero_text_isupper(isupper_cases[i].in, strlen(isupper_cases[i].in)) != isupper_cases[i].up) {
            if (!bad) snprintf(why, sizeof why, "\"%s\": expected %d", isupper_cases[i].in, isupper_cases[i].up);
            bad++;
        }
    check(!bad, "text: str.isupper, 16 cases as Python", "%d wrong, first: %s", bad, why);
    bad = 0;
    for (i = 0; i < sizeof lower_cases / sizeof lower_cases[0]; i++) {
        char *o = NULL;
        size_t ol = 0;
        int rc = hero_text_lower(lower_cases[i].in, strlen(lower_cases[i].in), &o, &ol, &err);
        if (rc || ol != strlen(lower_cases[i].out) || memcmp(o, lower_cases[i].out, ol) != 0) {
            if (!bad) snprintf(why, sizeof why, "\"%s\" -> \"%s\", Python \"%s\"", lower_cases[i].in, o ? o : "(error)", lower_cases[i].out);
            bad++;
        }
        free(o);
    }
    check(!bad, "text: str.lower (final sigma, U+0130, titlecase, non-BMP), 14 cases as Python", "%d wrong, first: %s", bad, why);
    bad = 0;
    for (i = 0; i < sizeof normalize_cases / sizeof normalize_cases[0]; i++) {
        char *o = NULL;
        size_t ol = 0;
        int rc = hero_text_normalize(normalize_cases[i].in, strlen(normalize_cases[i].in), normalize_cases[i].unescape, &o, &ol, &err);
        if (rc || ol != strlen(normalize_cases[i].out) || memcmp(o, normalize_cases[i].out, ol) != 0) {
            if (!bad) snprintf(why, sizeof why, "\"%s\" -> \"%s\", official \"%s\"", normalize_cases[i].in, o ? o : "(error)", normalize_cases[i].out);
            bad++;
        }
        free(o);
    }
    check(!bad, "text: official normalisation (unescape, then lower if isupper), 10 cases", "%d wrong, first: %s", bad, why);
    {
        /* hostile: invalid UTF-8, embedded NUL, many '&' */
        static const char junk[] = "\xFF\xFE&\xC3&#x&#xFFFFFFFFFFFFFFFFFFFF;\0&amp\xE2\x82";
        char *o = NULL, *o2 = NULL;
        size_t ol = 0, ol2 = 0;
        int rc = hero_html_unescape(junk, sizeof junk - 1, &o, &ol, &err);
        int rc2 = hero_text_lower(junk, sizeof junk - 1, &o2, &ol2, &err);
        check(rc == 0 && rc2 == 0 && o && o2 && ol2 == sizeof junk - 1 && ol == 14 && memcmp(o, "\xFF\xFE&\xC3&#x\xEF\xBF\xBD\0&\xE2\x82", ol) == 0,
              "text: invalid UTF-8 and NUL pass through", "rc %d %d, len %zu %zu", rc, rc2, ol, ol2);
        free(o);
        free(o2);
    }
}

/* ======================================================================================
   Alignment (expected values: the official code, see the header)
   ====================================================================================== */

typedef struct {
    const char *name;
    int n_subs;
    double times[28];       /* start, end per subtitle */
    int T;
    double fl;
    int max;
    const char *expect;     /* rows as the official sub2frames: "0|1,2,3|" ... */
} align_case;

static const align_case align_cases[] = {
    {"tvr-like", 4, {0.862, 1.862, 2.0, 5.5, 5.2, 9.8, 10.0, 12.3}, 10, 1.5, 100, "0|1,2,3|4,5|6,7,8"},
    {"tie-first", 2, {1.5, 3.0, 1.5, 3.0}, 4, 1.5, 100, "1|"},
    {"drop-at-end", 2, {0.0, 2.0, 6.0, 7.0}, 4, 1.5, 100, "0,1|"},
    {"last-long-11", 2, {0.0, 1.0, 1.5, 30.0}, 30, 1.5, 100, "0|1,2,3,4,5,6,7,8,9,10,11"},
    {"last-long-clipped", 2, {0.0, 1.0, 1.5, 30.0}, 10, 1.5, 100, "0|1,2,3,4,5,6,7,8,9"},
    {"last-16-float32", 2, {0.0, 1.0, 0.6, 16.6}, 20, 1.5, 100, "0|1,2,3,4,5,6,7,8,9,10,11"}, /* float32 duration 16: kept */
    {"last-16.1", 2, {0.0, 1.0, 0.6, 16.7}, 20, 1.5, 100, "0|1,2,3,4,5,6,7,8,9,10"},
    {"zero-iou-to-sub0", 2, {0.0, 1.0, 3.1, 3.1}, 4, 1.5, 100, "0,2|"},
    {"gaps", 2, {0.0, 1.4, 6.0, 7.0}, 8, 1.5, 100, "0|4"},
    {"cut", 4, {0.0, 3.0, 3.0, 7.5, 7.5, 12.0, 12.0, 18.0}, 12, 1.5, 6, "0,1|2,3,4|5"},
    {"cut-drop-row", 3, {0.0, 3.0, 6.5, 9.0, 9.0, 10.0}, 12, 1.5, 4, "0,1"},
    {"pseudo-13", 0, {0}, 13, 1.5, 100, "0,1,2,3,4|5,6,7,8,9|10,11,12"},
    {"pseudo-103", 0, {0}, 103, 1.5, 100, "@20x5"},
    {"pseudo-cut-7-6", 0, {0}, 7, 1.5, 6, "0,1,2,3,4|5"},
    {"fl-2", 2, {0.5, 3.9, 4.0, 8.1}, 5, 2.0, 100, "0,1|2,3,4"},
    {"float32-iou", 2, {-0.608, 1.582, -0.232, 1.958}, 8, 1.5, 100, "0|1"},
    {"negative-duration", 2, {2.5, 2.4, 3.0, 4.0}, 4, 1.5, 100, "1|2"},
    {"long-not-last", 2, {0.0, 20.0, 1.0, 2.0}, 5, 1.5, 100, "2,3,4|0,1"},
    {"overlap-iou", 4, {0.0, 2.0, 1.0, 4.6, 4.4, 4.5, 4.5, 9.0}, 7, 1.5, 100, "0|1,2||3,4,5"},
    /* random cases (tests/ gen: seed 99) */
    {"random-1", 9, {0.146, 1.6603945401675684, 2.300516520793327, 4.836135876055632, 7.0, 11.097, 10.0, 13.177009839694882, 11.61, 11.61,
                     14.0, 17.636999677580413, 14.863293229115767, 31.36329322911577, 18.63893560932937, 18.639, 21.918, 22.443253158331217},
     98, 2.0, 100, "0|1,2|3,4|5,6||7,8|9,10,12,13,14,15||11"},
    {"random-2", 7, {0.75, 2.8793130455069327, 1.2737077694700383, 5.759563398922623, 1.66, 17.6600001, 5.25, 6.661, 6.6968103702650055,
                     6.7735898515739, 8.25, 10.571780487077314, 8.975, 14.119277258943718},
     15, 1.5, 100, "0,1|2|10,11|3,4||5,6|7,8,9"},
    {"random-3", 13, {6.3, 10.572161396287662, 8.052501480326242, 10.584945360714396, 8.810680231818996, 11.678, 10.534, 15.494,
                      13.247400918372765, 17.539, 14.038, 15.817453681247223, 16.709267305960026, 16.292554584202314, 18.342250688319332,
                      18.37392408695464, 20.4748515163054, 26.417673189851268, 24.207, 26.71385480738779, 27.278445513716196,
                      29.0105923997796, 30.504, 30.504, 35.3288637120677, 38.783},
     80, 0.7, 100, "9,10,11,43|12,13,14|15,16|17,18|19,23,24,25|20,21,22||26|29,30,31,32,33,34|35,36,37,38|39,40,41||50,51,52,53,54,55"},
    {"random-4", 5, {-0.458, 4.6448321702844755, 3.359, 3.08542203075318, 4.889617033948439, 7.769866258112456, 6.75, 8.771147966120708,
                     6.795, 6.795},
     68, 1.5, 7, "0,1,2||3,4|5|"},
    {"random-5", 4, {0.0, 0.0, 0.9198234544773625, 17.42, 1.838, 3.4820806168331995, 6.350841963689324, 22.350841863689325}, 82, 1.6, 7,
     "|0,2,3|1|4,5,6"},
    {"random-6", 2, {4.544, 6.825678483245651, 5.470226038187265, 6.445267671786892}, 33, 0.7, 100, "6,7,9|8"},
};

/* rows as "a,b|c|" text */
static void rows_text(const hero_sub_frames *a, char *buf, size_t n) {
    int r, k, off = 0, o = 0;
    buf[0] = 0;
    for (r = 0; r < a->n_rows; r++) {
        if (r) o += snprintf(buf + o, n - (size_t)o, "|");
        for (k = 0; k < a->nframes[r]; k++) o += snprintf(buf + o, n - (size_t)o, "%s%d", k ? "," : "", a->frames[off + k]);
        off += a->nframes[r];
        if ((size_t)o >= n) break;
    }
}

static void test_align(void) {
    size_t c;
    hero_error err;
    char got[4096], want[4096];
    for (c = 0; c < sizeof align_cases / sizeof align_cases[0]; c++) {
        const align_case *ac = &align_cases[c];
        hero_subtitles s;
        hero_sub_frames a;
        hero_sub subs[14];
        char name[96];
        int i, rc;
        for (i = 0; i < ac->n_subs; i++) {
            subs[i].start = ac->times[2 * i];
            subs[i].end = ac->times[2 * i + 1];
            subs[i].text = (char *)"x";
        }
        s.name = (char *)"v";
        s.n = ac->n_subs;
        s.subs = subs;
        rc = hero_subs_align(&s, ac->T, ac->fl, ac->max, &a, &err);
        if (ac->expect[0] == '@') { /* "@RxK": R rows of K consecutive frames */
            int R = atoi(ac->expect + 1), K = atoi(strchr(ac->expect, 'x') + 1), r, k, o = 0;
            want[0] = 0;
            for (r = 0; r < R; r++) {
                if (r) o += snprintf(want + o, sizeof want - (size_t)o, "|");
                for (k = 0; k < K; k++) o += snprintf(want + o, sizeof want - (size_t)o, "%s%d", k ? "," : "", r * K + k);
            }
        } else {
            snprintf(want, sizeof want, "%s", ac->expect);
        }
        if (rc == 0) rows_text(&a, got, sizeof got);
        else snprintf(got, sizeof got, "error %d: %s", rc, err.msg);
        snprintf(name, sizeof name, "align: %s (T %d, fl %g, max %d) as the official code", ac->name, ac->T, ac->fl, ac->max);
        check(rc == 0 && strcmp(got, want) == 0 && a.T == (ac->max > 0 && ac->T > ac->max ? ac->max : ac->T) && a.pseudo == (ac->n_subs == 0),
              name, "got \"%s\", expected \"%s\"", got, want);
        hero_sub_frames_free(&a);
    }
    {
        hero_sub_frames a;
        int rc = hero_subs_align(NULL, 0, 1.5, 100, &a, &err);
        check(rc == HERO_EINVAL, "align: 0 frames -> error", "rc %d", rc);
        rc = hero_subs_align(NULL, 10, 0.0, 100, &a, &err);
        check(rc == HERO_EINVAL, "align: frame_len 0 -> error", "rc %d", rc);
        {
            hero_sub bad[2];
            hero_subtitles s;
            bad[0].start = 0; bad[0].end = 1; bad[0].text = (char *)"";
            bad[1].start = 2; bad[1].end = NAN; bad[1].text = (char *)"";
            s.name = (char *)"nan_video"; s.n = 2; s.subs = bad;
            rc = hero_subs_align(&s, 10, 1.5, 100, &a, &err);
            check(rc == HERO_EINVAL && contains(err.msg, "nan_video: subtitle 1"), "align: NaN time -> error naming the video and subtitle",
                  "rc %d: %s", rc, err.msg);
            bad[1].end = 1e30;
            rc = hero_subs_align(&s, 10, 1.5, 100, &a, &err);
            check(rc == HERO_EINVAL, "align: absurd time -> error", "rc %d", rc);
            bad[1].end = 2e6; /* within limits, far past the video: clamped */
            rc = hero_subs_align(&s, 10, 1.5, 100, &a, &err);
            check(rc == 0 && a.n_rows == 2 && a.nframes[1] == 9, "align: a subtitle far past the end is clamped", "rc %d", rc);
            hero_sub_frames_free(&a);
        }
    }
    {
        /* hostile: 20000 subtitles each spanning the whole of a 200000-frame video */
        hero_subtitles s;
        hero_sub_frames a;
        int i, rc;
        s.name = (char *)"huge";
        s.n = 20000;
        s.subs = (hero_sub *)malloc(20000 * sizeof(hero_sub));
        for (i = 0; i < 20000; i++) { s.subs[i].start = 0; s.subs[i].end = 3e5; s.subs[i].text = (char *)""; }
        rc = hero_subs_align(&s, 200000, 1.5, 100, &a, &err);
        check(rc == HERO_ELIMIT && contains(err.msg, "huge"), "align: quadratic hostile input -> ELIMIT", "rc %d: %s", rc, err.msg);
        free(s.subs);
    }
}

/* ======================================================================================
   Features
   ====================================================================================== */

static void test_feats(void) {
    hero_feats f;
    hero_error err;
    float *r = pattern(5, 3, 1), *s = pattern(7, 2, 2), *j = pattern(6, 5, 3);
    const char *rp = tmppath("r.npz"), *sp = tmppath("s.npz");
    int rc, t, k, ok;
    write_feat_npz(rp, r, 5, 3, "<f4", 0);
    write_feat_npz(sp, s, 7, 2, "<f2", 1);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
    ok = rc == 0 && f.T == 5 && f.T_full == 5 && f.F == 5;
    for (t = 0; ok && t < 5; t++)
        for (k = 0; k < 5; k++)
            if (f.data[t * 5 + k] != (k < 3 ? r[t * 3 + k] : s[t * 2 + k - 3])) ok = 0;
    check(ok, "feats: resnet f32 [5,3] ++ slowfast f16 [7,2] (deflate) -> [5,5], shorter length", "rc %d T %d F %d: %s", rc, f.T, f.F, err.msg);
    hero_feats_free(&f);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 3, &err);
    check(rc == 0 && f.T == 3 && f.T_full == 5 && f.data[2 * 5 + 4] == s[2 * 2 + 1], "feats: max_frames 3 cuts", "rc %d T %d", rc, f.T);
    hero_feats_free(&f);
    rc = hero_feats_read_pair(&f, rp, sp, 4, 2, 100, &err);
    check(rc == HERO_ESHAPE && contains(err.msg, rp) && contains(err.msg, "[5, 3]") && contains(err.msg, "expected [T >= 1, 4]") && !f.data,
          "feats: wrong resnet width -> error naming the file, expected vs found", "rc %d: %s", rc, err.msg);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2304, 100, &err);
    check(rc == HERO_ESHAPE && contains(err.msg, sp) && contains(err.msg, "2304"), "feats: wrong slowfast width -> error naming the file",
          "rc %d: %s", rc, err.msg);
    /* NaN in a used row, NaN past the cut, Inf */
    s[1 * 2 + 1] = NAN;
    write_feat_npz(sp, s, 7, 2, "<f4", 0);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
    check(rc == HERO_ENUMERIC && contains(err.msg, sp) && contains(err.msg, "features[1][1] is NaN"), "feats: NaN -> error naming the file and the value",
          "rc %d: %s", rc, err.msg);
    s[1 * 2 + 1] = 0;
    s[6 * 2 + 0] = NAN;
    write_feat_npz(sp, s, 7, 2, "<f2", 0);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
    check(rc == 0 && f.T == 5, "feats: NaN in a frame past the shorter length is not read", "rc %d: %s", rc, err.msg);
    hero_feats_free(&f);
    r[4 * 3 + 2] = INFINITY;
    write_feat_npz(rp, r, 5, 3, "<f2", 0);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
    check(rc == HERO_ENUMERIC && contains(err.msg, rp) && contains(err.msg, "features[4][2] is Inf"), "feats: Inf (fp16 overflow) -> error",
          "rc %d: %s", rc, err.msg);
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 4, &err);
    check(rc == 0 && f.T == 4, "feats: Inf past max_frames is not used", "rc %d: %s", rc, err.msg);
    hero_feats_free(&f);
    {
        /* missing member, 3-D, int dtype, corrupt, missing file */
        bytes m = npy_bytes(r, 5, 3, "<f4");
        const char *nm = "feats", *two[2] = {"a", "b"};
        bytes mm[2];
        write_npz(rp, 1, &nm, &m, 0);
        rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
        check(rc == HERO_EMISSING && contains(err.msg, rp) && contains(err.msg, "features") && contains(err.msg, "feats"),
              "feats: no member \"features\" -> error", "rc %d: %s", rc, err.msg);
        rc = hero_feats_read(&f, rp, 3, 4, &err);
        check(rc == 0 && f.T == 4 && f.T_full == 5 && f.F == 3, "feats: pre-joined npz with one other member is accepted", "rc %d: %s", rc, err.msg);
        hero_feats_free(&f);
        mm[0] = m;
        mm[1] = m;
        write_npz(rp, 2, two, mm, 0);
        rc = hero_feats_read(&f, rp, 3, 100, &err);
        check(rc == HERO_EMISSING && contains(err.msg, "2 arrays"), "feats: pre-joined npz with two other members -> error", "rc %d: %s", rc, err.msg);
        free(m.p);
    }
    {
        bytes m = npy_bytes(r, 5, 3, "<i4");
        const char *nm = "features";
        write_npz(rp, 1, &nm, &m, 0);
        free(m.p);
        rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
        check(rc == HERO_ESHAPE && contains(err.msg, rp) && contains(err.msg, "i32"), "feats: int32 features -> error", "rc %d: %s", rc, err.msg);
    }
    {
        /* a 3-D array: header by hand */
        bytes b = {NULL, 0, 0};
        char hdr[128];
        int hl = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3), }");
        const char *nm = "features";
        while ((10 + hl + 1) % 64) hdr[hl++] = ' ';
        hdr[hl++] = '\n';
        put(&b, "\x93NUMPY\x01\x00", 8);
        put16(&b, (unsigned)hl);
        put(&b, hdr, (size_t)hl);
        put(&b, r, 6 * sizeof(float));
        write_npz(rp, 1, &nm, &b, 0);
        free(b.p);
        rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
        check(rc == HERO_ESHAPE && contains(err.msg, "[2, 1, 3]"), "feats: 3-D features -> error with the shape", "rc %d: %s", rc, err.msg);
    }
    {
        static const char junk[] = "PK\x03\x04garbage garbage garbage";
        write_file(rp, junk, sizeof junk - 1);
    }
    rc = hero_feats_read_pair(&f, rp, sp, 3, 2, 100, &err);
    check(rc != 0 && contains(err.msg, rp), "feats: corrupt npz -> error naming the file", "rc %d: %s", rc, err.msg);
    rc = hero_feats_read_pair(&f, tmppath("nope.npz"), sp, 3, 2, 100, &err);
    check(rc == HERO_EIO && contains(err.msg, "nope.npz"), "feats: missing file -> EIO naming it", "rc %d: %s", rc, err.msg);
    {
        const char *jp = tmppath("j.npy");
        write_npy(jp, j, 6, 5, "<f2");
        rc = hero_feats_read(&f, jp, 5, 4, &err);
        check(rc == 0 && f.T == 4 && f.T_full == 6 && f.F == 5 && f.data[3 * 5 + 4] == j[3 * 5 + 4], "feats: pre-joined f16 .npy, cut to 4",
              "rc %d: %s", rc, err.msg);
        hero_feats_free(&f);
        rc = hero_feats_read(&f, jp, 4352, 100, &err);
        check(rc == HERO_ESHAPE && contains(err.msg, jp) && contains(err.msg, "4352"), "feats: pre-joined width != F -> error", "rc %d: %s", rc, err.msg);
        remove(jp);
    }
    remove(rp);
    remove(sp);
    free(r);
    free(s);
    free(j);
}

/* ======================================================================================
   hero_video_prepare -> hero_build_batch(REPR)
   ====================================================================================== */

static void test_prepare(void) {
    hero_tokenizer *tok = tiny_tokenizer();
    hero_feats f;
    hero_subtitles *l;
    hero_video_data v;
    hero_media_options o = hero_media_options_default();
    hero_batch_options bo = hero_batch_options_default(107);
    hero_batch b;
    hero_error err;
    int n, rc;
    int32_t ids[8];
    static const char js[] =
        "{\"vid_name\": \"v\", \"sub\": [{\"text\": \"THE DOOR\", \"start\": 0.0, \"end\": 2.9}, "
        "{\"text\": \"the man &amp; a door\", \"start\": 3.0, \"end\": 7.4}, {\"text\": \"late\", \"start\": 20.0, \"end\": 21.0}]}";
    f.T = 6; f.T_full = 6; f.F = 4;
    f.data = pattern(6, 4, 9);
    rc = hero_subs_parse_jsonl(&l, &n, js, sizeof js - 1, "p.jsonl", &err);
    rc = rc ? rc : hero_video_prepare(&v, &f, &l[0], tok, &o, &err);
    n = hero_tokenize(tok, " door", 5, HERO_TOKENIZE_ROBERTA, ids, 8, &err);
    check(rc == 0 && n == 1 && ids[0] == 44 && v.video.n_subs == 3 && v.sub_len[0] == 3 && v.sub_tokens[0] == 23 && v.sub_tokens[1] == 38 &&
              v.sub_tokens[2] == 44 && v.sub_len[1] == 7 && v.sub_nframes[0] == 2 && v.sub_nframes[1] == 3 && v.sub_nframes[2] == 0 &&
              v.sub_frames[0] == 0 && v.sub_frames[4] == 4 && v.video.T == 6 && !v.pseudo,
          "prepare: all-caps subtitle lower-cased, &amp; unescaped, BPE ids, frames", "rc %d: %s", rc, err.msg);
    if (rc == 0) {
        rc = hero_build_batch(&b, HERO_TASK_REPR, &v.video, 1, &bo, NULL, NULL, &err);
        check(rc == 0 && b.S == 3 && b.B == 1 && b.L == 6 && b.txt_ids[0] == 2 && b.txt_ids[1] == 23, "prepare: the video builds a REPR batch ([SEP] + words)",
              "rc %d: %s", rc, err.msg);
        if (rc == 0) hero_batch_free(&b);
    }
    hero_video_data_free(&v);
    o.max_sub_tokens = 2;
    rc = hero_video_prepare(&v, &f, &l[0], tok, &o, &err);
    check(rc == 0 && v.sub_len[0] == 2 && v.sub_len[1] == 2 && v.sub_len[2] == 2 && v.n_tokens_cut == 3, "prepare: max_sub_tokens cut",
          "rc %d: %s", rc, err.msg);
    hero_video_data_free(&v);
    o = hero_media_options_default();
    o.max_frames = 4;
    rc = hero_video_prepare(&v, &f, &l[0], tok, &o, &err);
    check(rc == HERO_EINVAL, "prepare: features not cut like the options -> error", "rc %d", rc);
    f.T = 4;
    rc = hero_video_prepare(&v, &f, &l[0], tok, &o, &err);
    check(rc == 0 && v.video.T == 4 && v.video.n_subs == 2 && v.sub_nframes[1] == 2, "prepare: 4-frame cut drops the row reaching past it",
          "rc %d n_subs %d: %s", rc, v.video.n_subs, err.msg);
    hero_video_data_free(&v);
    rc = hero_video_prepare(&v, &f, NULL, NULL, &o, &err);
    check(rc == 0 && v.pseudo && v.video.n_subs == 1 && v.sub_len[0] == 0 && v.sub_nframes[0] == 4, "prepare: no subtitles -> pseudo-subtitle rows",
          "rc %d: %s", rc, err.msg);
    hero_video_data_free(&v);
    hero_subs_list_free(l, 1);
    free(f.data);
    hero_tokenizer_free(tok);
}

/* ======================================================================================
   VCMR ranking
   ====================================================================================== */

static void test_rank(void) {
    const float M = -1e4f;
    float q2v[3] = {0.1f, 0.5f, 0.3f};
    float st[15] = {0, 0, 0, 0, 0, /* v1 */ 0, 0, M, M, M, /* v2 */ M, 0, M, M, M};
    float ed[15] = {0, 0, 0, 0, 0, /* v1 */ M, M, M, 0, 0, /* v2 */ M, M, M, 0, M};
    hero_vcmr_options o = hero_vcmr_options_default();
    hero_moment mo[10];
    hero_error err;
    float top = 0.25f * expf(10.0f);
    int n;
    o.max_vcmr_video = 2;
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 1, mo, 10, &err);
    check(n == 2 && mo[0].video == 1 && mo[0].st == 0 && mo[0].ed == 3 && fabsf(mo[0].score - top) < 1e-3f * top && mo[1].video == 2 &&
              mo[1].st == 1 && mo[1].ed == 3 && fabsf(mo[1].score - expf(6.0f)) < 1e-3f * expf(6.0f) && mo[0].video_score == 0.5f,
          "rank: best moment per video, top max_vcmr_video videos only", "n %d", n);
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 0, mo, 10, &err);
    check(n == 5 && mo[0].video == 1 && mo[1].video == 1 && mo[1].st == 0 && mo[1].ed == 4 && mo[2].st == 1 && mo[2].ed == 3 && mo[3].ed == 4 &&
              mo[4].video == 2,
          "rank: the official flat moment list (ties by st, ed)", "n %d", n);
    ed[13] = M;
    ed[12] = 0; /* video 2: only (1, 2) has weight: ed - st = 1 < min_pred_l */
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 1, mo, 10, &err);
    check(n == 1 && mo[0].video == 1, "rank: spans shorter than min_pred_l score 0 and are dropped", "n %d", n);
    o.max_pred_l = 3;
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 0, mo, 10, &err);
    check(n == 1 && mo[0].st == 1 && mo[0].ed == 3, "rank: ed - st < max_pred_l", "n %d", n);
    o = hero_vcmr_options_default();
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 1, mo, 1, &err);
    check(n == 1 && mo[0].video == 1, "rank: max_out", "n %d", n);
    o.max_pred_l = 2;
    n = hero_vcmr_rank(q2v, st, ed, 3, 5, &o, 1, mo, 1, &err);
    check(n == HERO_EINVAL, "rank: max_pred_l <= min_pred_l -> error", "n %d", n);
}

/* ======================================================================================
   fixture for tests/test_retrieve.sh
   ====================================================================================== */

static void fixture(const char *dir, const char *tokdir) {
    char p[1024];
    float *x;
    char *v = tiny_vocab_json(), *m = tiny_merges_txt();
    FILE *f;
    snprintf(p, sizeof p, "%s/vocab.json", tokdir);
    write_file(p, v, strlen(v));
    snprintf(p, sizeof p, "%s/merges.txt", tokdir);
    write_file(p, m, strlen(m));
    free(v);
    free(m);
    /* vid_a: resnet f32 [12, 8] (deflate) + slowfast f16 [14, 12]; subtitles in subs.jsonl */
    x = pattern(12, 8, 11); snprintf(p, sizeof p, "%s/resnet_features/vid_a.npz", dir); write_feat_npz(p, x, 12, 8, "<f4", 1); free(x);
    x = pattern(14, 12, 12); snprintf(p, sizeof p, "%s/slowfast_features/vid_a.npz", dir); write_feat_npz(p, x, 14, 12, "<f2", 0); free(x);
    /* vid_b: pre-joined .npy [10, 20], subtitles in vid_b.srt */
    x = pattern(10, 20, 13); snprintf(p, sizeof p, "%s/vid_b.npy", dir); write_npy(p, x, 10, 20, "<f4"); free(x);
    /* vid_c: no subtitles (pseudo-subtitles) */
    x = pattern(9, 8, 14); snprintf(p, sizeof p, "%s/resnet_features/vid_c.npz", dir); write_feat_npz(p, x, 9, 8, "<f2", 0); free(x);
    x = pattern(9, 12, 15); snprintf(p, sizeof p, "%s/slowfast_features/vid_c.npz", dir); write_feat_npz(p, x, 9, 12, "<f4", 0); free(x);
    /* vid_d: 16 frames, subtitles with entities / all caps in subs.jsonl */
    x = pattern(16, 8, 16); snprintf(p, sizeof p, "%s/resnet_features/vid_d.npz", dir); write_feat_npz(p, x, 16, 8, "<f4", 0); free(x);
    x = pattern(16, 12, 17); snprintf(p, sizeof p, "%s/slowfast_features/vid_d.npz", dir); write_feat_npz(p, x, 16, 12, "<f4", 1); free(x);
    snprintf(p, sizeof p, "%s/vid_b.srt", dir);
    {
        static const char srt[] = "1\r\n00:00:00,500 --> 00:00:03,000\r\n<i>the man in the hall</i>\r\n\r\n"
                                  "2\r\n00:00:04,000 --> 00:00:09,900\r\nWHAT A DOOR!\r\n";
        write_file(p, srt, sizeof srt - 1);
    }
    snprintf(p, sizeof p, "%s/subs.jsonl", dir);
    f = fopen(p, "wb");
    if (!f) { printf("FAIL cannot write %s\n", p); exit(1); }
    fprintf(f, "{\"vid_name\": \"vid_a\", \"sub\": [{\"text\": \"the door &amp; the hall\", \"start\": 0.2, \"end\": 4.1}, "
               "{\"text\": \"a man walks in\", \"start\": 4.5, \"end\": 9.0}, {\"text\": \"he will wait\", \"start\": 9.5, \"end\": 16.0}]}\n");
    fprintf(f, "{\"vid_name\": \"vid_x\", \"sub\": [{\"text\": \"no features for this one\", \"start\": 0, \"end\": 1}]}\n");
    fprintf(f, "{\"vid_name\": \"vid_d\", \"sub\": [{\"text\": \"OH &quot;THE OTHER&quot; DOOR\", \"start\": 1.0, \"end\": 6.2}, "
               "{\"text\": \"at the hall\", \"start\": 7.0, \"end\": 12.5}, {\"text\": \"wow\", \"start\": 13.0, \"end\": 24.0}]}\n");
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "--fixture") == 0) {
        fixture(argv[2], argv[3]);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "--nan-npy") == 0) {
        int T = atoi(argv[3]), D = atoi(argv[4]);
        float *x;
        if (T < 1 || D < 1 || T > 100000 || D > 100000) return 1;
        x = pattern(T, D, 5);
        x[(T - 1) * D + D / 2] = NAN;
        write_npy(argv[2], x, T, D, "<f4");
        free(x);
        return 0;
    }
    if (argc >= 2) g_tmp = argv[1];
    test_srt();
    test_jsonl();
    test_text();
    test_align();
    test_feats();
    test_prepare();
    test_rank();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
