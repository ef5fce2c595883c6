/* Test of tools/hero_lmdb_import: writes small databases in the official HERO layout with the
   same libraries the official code's Python bindings wrap (liblmdb; msgpack-c as msgpack /
   msgpack_numpy pack; liblz4's frame format as lz4.frame.compress), imports them, and checks
   every imported value against what was written. Then hostile records: each must make the
   importer fail with a message naming the database and the key (exit status 1, no crash).

   Databases written (TMPDIR/hero_lmdb_test/):
     video_db/tv/resnet_slowfast_1.5/             msgpack {"features": ndarray} per video: '<f4',
                                                  '<f2' and '>f8' arrays, keys as msgpack 1.x writes
                                                  them (bin b"nd" ...) and as 0.x did (str)
     video_db/tv/resnet_slowfast_1.5_compressed/  the same features as .npz bytes (stored zip)
     video_db/tv/id2nframe.json                   one video cut to fewer frames
     txt_db/tv_subtitles.db/                      lz4(msgpack) subtitle records (prepro_sub.py)
     txt_db/tvr_val.db/                           TVR / DiDeMo-style queries (prepro_query.py tvr)
     txt_db/tvqa_val.db/                          TVQA records (prepro_query.py tvqa)
     txt_db/tvc_val.db/                           a TVC caption record and a clip record (prepro_tvc.py)

   Build: make build/test_lmdb_import (needs liblmdb-dev libmsgpack-dev liblz4-dev)
   Run:   build/test_lmdb_import build/hero_lmdb_import [TMPDIR]
   The imports are then read back with hero_ft_items_read and compared with the items the JSONL
   annotations of the same records give (hero_ann_parse).
   Prints PASS / FAIL lines and "N passed, M failed"; exit 1 on any failure. */
#define _POSIX_C_SOURCE 200809L /* popen, getpid, mkdir */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <lmdb.h>
#include <lz4frame.h>
#include <msgpack.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_pass, g_fail;
static char g_dir[1024];
static const char *g_tool;

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

static const char *path(const char *rel) {
    static char buf[8][2048];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", g_dir, rel);
    return buf[k];
}

static void mkdirs(const char *p) {
    char b[2048];
    size_t i;
    snprintf(b, sizeof(b), "%s", p);
    for (i = 1; b[i]; i++)
        if (b[i] == '/') { b[i] = 0; mkdir(b, 0755); b[i] = '/'; }
    mkdir(b, 0755);
}

/* ---- an LMDB writer ---- */
typedef struct { MDB_env *env; MDB_txn *txn; MDB_dbi dbi; } wdb;

static int wdb_open(wdb *d, const char *dir) {
    mkdirs(dir);
    if (mdb_env_create(&d->env) || mdb_env_set_mapsize(d->env, (size_t)64 << 20) || mdb_env_open(d->env, dir, 0, 0644) ||
        mdb_txn_begin(d->env, NULL, 0, &d->txn) || mdb_dbi_open(d->txn, NULL, 0, &d->dbi))
        return -1;
    return 0;
}
static void wdb_put(wdb *d, const char *key, const void *v, size_t n) {
    MDB_val k, val;
    k.mv_data = (void *)key;
    k.mv_size = strlen(key);
    val.mv_data = (void *)v;
    val.mv_size = n;
    if (mdb_put(d->txn, d->dbi, &k, &val, 0)) { fprintf(stderr, "mdb_put failed\n"); exit(1); }
}
static void wdb_close(wdb *d) {
    mdb_txn_commit(d->txn);
    mdb_env_close(d->env);
}

/* the value TxtLmdb writes: lz4.frame.compress(msgpack.dumps(record)) */
static void put_lz4(wdb *d, const char *key, const msgpack_sbuffer *sb) {
    size_t cap = LZ4F_compressFrameBound(sb->size, NULL);
    void *out = malloc(cap);
    size_t n = LZ4F_compressFrame(out, cap, sb->data, sb->size, NULL);
    if (LZ4F_isError(n)) { fprintf(stderr, "lz4 failed\n"); exit(1); }
    wdb_put(d, key, out, n);
    free(out);
}

static void pk_str(msgpack_packer *p, const char *s) {
    msgpack_pack_str(p, strlen(s));
    msgpack_pack_str_body(p, s, strlen(s));
}
static void pk_key(msgpack_packer *p, const char *s, int as_bin) {
    if (as_bin) { msgpack_pack_bin(p, strlen(s)); msgpack_pack_bin_body(p, s, strlen(s)); }
    else pk_str(p, s);
}
static void pk_ints(msgpack_packer *p, const int *v, int n) {
    int i;
    msgpack_pack_array(p, (size_t)n);
    for (i = 0; i < n; i++) msgpack_pack_int(p, v[i]);
}

/* ---- the corpus ---- */
#define NV 3
#define FD 3
static const char *VIDS[NV] = {"v_b", "v_a", "v_c"};        /* insertion order; the DB orders them v_a, v_b, v_c */
static const int VT[NV] = {4, 3, 5};                        /* frames stored */
static const char *VTYPE[NV] = {"<f4", "<f2", ">f8"};       /* msgpack_numpy dtypes */
static float feat(int v, int t, int f) { return (float)(v * 100 + t * 10 + f) * 0.25f - 3.0f; } /* exact in f16 */

static void pack_features(msgpack_packer *p, int v, int bin_keys) {
    int t, f, es = VTYPE[v][2] - '0', T = VT[v];
    unsigned char *data = (unsigned char *)malloc((size_t)(T * FD * es));
    for (t = 0; t < T; t++)
        for (f = 0; f < FD; f++) {
            unsigned char *o = data + (size_t)((t * FD + f) * es);
            float x = feat(v, t, f);
            if (es == 2) { uint16_t h; hero_f32_to_f16_buf(&x, &h, 1); o[0] = (unsigned char)h; o[1] = (unsigned char)(h >> 8); }
            else if (es == 4) { uint32_t u; memcpy(&u, &x, 4); o[0] = (unsigned char)u; o[1] = (unsigned char)(u >> 8); o[2] = (unsigned char)(u >> 16); o[3] = (unsigned char)(u >> 24); }
            else { double d = x; uint64_t u; int i; memcpy(&u, &d, 8); for (i = 0; i < 8; i++) o[i] = (unsigned char)(u >> (56 - 8 * i)); } /* big-endian */
        }
    msgpack_pack_map(p, 1);
    pk_str(p, "features");
    msgpack_pack_map(p, 5);
    pk_key(p, "nd", bin_keys); msgpack_pack_true(p);
    pk_key(p, "type", bin_keys); pk_str(p, VTYPE[v]);
    pk_key(p, "kind", bin_keys); msgpack_pack_bin(p, 0);
    pk_key(p, "shape", bin_keys); msgpack_pack_array(p, 2); msgpack_pack_int(p, T); msgpack_pack_int(p, FD);
    pk_key(p, "data", bin_keys); msgpack_pack_bin(p, (size_t)(T * FD * es)); msgpack_pack_bin_body(p, data, (size_t)(T * FD * es));
    free(data);
}

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
static void le16(unsigned char *o, unsigned v) { o[0] = (unsigned char)v; o[1] = (unsigned char)(v >> 8); }
static void le32(unsigned char *o, uint32_t v) { le16(o, v & 0xffff); le16(o + 2, v >> 16); }

/* np.savez(features=<f4 [T, F]) bytes: a stored zip with features.npy */
static unsigned char *npz_bytes(int v, size_t *n) {
    char hdr[128];
    int T = VT[v], t, f, hl;
    size_t npy_n, off = 0;
    unsigned char *npy, *z;
    uint32_t crc;
    const char *name = "features.npy";
    size_t nl = strlen(name);
    hl = snprintf(hdr, sizeof(hdr), "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", T, FD);
    while ((10 + hl + 1) % 64) hdr[hl++] = ' ';
    hdr[hl++] = '\n';
    npy_n = 10 + (size_t)hl + (size_t)(T * FD * 4);
    npy = (unsigned char *)malloc(npy_n);
    memcpy(npy, "\x93NUMPY\x01\x00", 8);
    le16(npy + 8, (unsigned)hl);
    memcpy(npy + 10, hdr, (size_t)hl);
    for (t = 0; t < T; t++)
        for (f = 0; f < FD; f++) {
            float x = feat(v, t, f);
            uint32_t u;
            memcpy(&u, &x, 4);
            le32(npy + 10 + hl + (t * FD + f) * 4, u);
        }
    crc = crc32_of(npy, npy_n);
    z = (unsigned char *)calloc(1, 30 + nl + npy_n + 46 + nl + 22);
    le32(z, 0x04034b50); le16(z + 4, 20); le32(z + 14, crc); le32(z + 18, (uint32_t)npy_n); le32(z + 22, (uint32_t)npy_n);
    le16(z + 26, (unsigned)nl);
    memcpy(z + 30, name, nl);
    memcpy(z + 30 + nl, npy, npy_n);
    off = 30 + nl + npy_n;
    le32(z + off, 0x02014b50); le16(z + off + 4, 20); le16(z + off + 6, 20); le32(z + off + 16, crc);
    le32(z + off + 20, (uint32_t)npy_n); le32(z + off + 24, (uint32_t)npy_n); le16(z + off + 28, (unsigned)nl); le32(z + off + 42, 0);
    memcpy(z + off + 46, name, nl);
    le32(z + off + 46 + nl, 0x06054b50); le16(z + off + 46 + nl + 8, 1); le16(z + off + 46 + nl + 10, 1);
    le32(z + off + 46 + nl + 12, (uint32_t)(46 + nl)); le32(z + off + 46 + nl + 16, (uint32_t)off);
    *n = off + 46 + nl + 22;
    free(npy);
    return z;
}

/* subtitles: v_a two subtitles, v_b pseudo-rows (empty input_ids), v_c three with an unmatched frame */
static const int SUB_N[NV] = {2, 1, 3};
static const int SUB_TOK[NV][3][3] = {{{11, 12, 0}, {13, 0, 0}}, {{0}}, {{21, 0, 0}, {22, 23, 24}, {25, 0, 0}}};
static const int SUB_LEN[NV][3] = {{2, 1}, {0}, {1, 3, 1}};
static const int S2F_N[NV][3] = {{2, 2}, {3}, {1, 2, 0}};
static const int S2F_F[NV][3][3] = {{{0, 1}, {2, 3}}, {{0, 1, 2}}, {{0}, {1, 2}, {0}}};
static const int UNM_N[NV] = {0, 0, 2};
static const int UNM_F[NV][2] = {{0}, {0}, {3, 4}};

static void write_corpus(void) {
    wdb vd, cd, sd;
    int v, i;
    char id2n[256];
    FILE *f;
    if (wdb_open(&vd, path("video_db/tv/resnet_slowfast_1.5")) || wdb_open(&cd, path("video_db/tv/resnet_slowfast_1.5_compressed")) ||
        wdb_open(&sd, path("txt_db/tv_subtitles.db"))) {
        fprintf(stderr, "cannot create the test databases under %s\n", g_dir);
        exit(1);
    }
    for (v = 0; v < NV; v++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        unsigned char *z;
        size_t zn;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pack_features(&pk, v, v != 1); /* v_a with str keys (msgpack 0.x), the others bin (1.x) */
        wdb_put(&vd, VIDS[v], sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        z = npz_bytes(v, &zn);
        wdb_put(&cd, VIDS[v], z, zn);
        free(z);
        /* the subtitle record (process_tv_subtitles) */
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 5);
        pk_str(&pk, "vid_name"); pk_str(&pk, VIDS[v]);
        pk_str(&pk, "input_ids");
        msgpack_pack_array(&pk, (size_t)SUB_N[v]);
        for (i = 0; i < SUB_N[v]; i++) pk_ints(&pk, SUB_TOK[v][i], SUB_LEN[v][i]);
        pk_str(&pk, "unique_sub2frames");
        msgpack_pack_array(&pk, (size_t)SUB_N[v]);
        for (i = 0; i < SUB_N[v]; i++) {
            msgpack_pack_array(&pk, 2);
            msgpack_pack_int(&pk, i);
            pk_ints(&pk, S2F_F[v][i], S2F_N[v][i]);
        }
        pk_str(&pk, "unmatched_frames"); pk_ints(&pk, UNM_F[v], UNM_N[v]);
        pk_str(&pk, "duration"); msgpack_pack_int(&pk, VT[v]);
        put_lz4(&sd, VIDS[v], &sb);
        msgpack_sbuffer_destroy(&sb);
    }
    wdb_put(&vd, "__keys__", "[\"v_b\", \"v_a\", \"v_c\"]", 21); /* skipped by the importer */
    wdb_close(&vd);
    wdb_close(&cd);
    wdb_close(&sd);
    /* v_c keeps 4 of its 5 frames (VideoFeatLmdb: features[:name2nframe[vid]]) */
    snprintf(id2n, sizeof(id2n), "{\"v_a\": 3, \"v_b\": 4, \"v_c\": 4}");
    if ((f = fopen(path("video_db/tv/id2nframe.json"), "wb"))) { fputs(id2n, f); fclose(f); }
}

/* ---- queries ---- */
static void write_queries(void) {
    wdb qd, ad;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    static const int q0[] = {31, 32, 33}, q1[] = {34}, q2[] = {35, 36};
    int i;
    wdb_open(&qd, path("txt_db/tvr_val.db"));
    /* key "7001": TVR */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    pk_str(&pk, "desc_id"); msgpack_pack_int(&pk, 7001);
    pk_str(&pk, "desc"); pk_str(&pk, "someone opens a door");
    pk_str(&pk, "vid_name"); pk_str(&pk, "v_c");
    pk_str(&pk, "ts"); msgpack_pack_array(&pk, 2); msgpack_pack_double(&pk, 1.25); msgpack_pack_double(&pk, 4.5);
    pk_str(&pk, "type"); pk_str(&pk, "vt");
    pk_str(&pk, "input_ids"); pk_ints(&pk, q0, 3);
    pk_str(&pk, "target"); msgpack_pack_array(&pk, 2); msgpack_pack_double(&pk, 1.25); msgpack_pack_double(&pk, 4.5);
    pk_str(&pk, "qid"); pk_str(&pk, "7001");
    put_lz4(&qd, "7001", &sb);
    msgpack_sbuffer_destroy(&sb);
    /* key "7000": DiDeMo-style 4 windows, integer seconds, a video not in the corpus */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    pk_str(&pk, "desc_id"); msgpack_pack_int(&pk, 7000);
    pk_str(&pk, "vid_name"); pk_str(&pk, "elsewhere");
    pk_str(&pk, "ts");
    msgpack_pack_array(&pk, 4);
    for (i = 0; i < 4; i++) { msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 5 * i); msgpack_pack_int(&pk, 5 * i + 5); }
    pk_str(&pk, "input_ids"); pk_ints(&pk, q1, 1);
    put_lz4(&qd, "7000", &sb);
    msgpack_sbuffer_destroy(&sb);
    /* key "7002": a test-split query: no video, ts None */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "input_ids"); pk_ints(&pk, q2, 2);
    pk_str(&pk, "ts"); msgpack_pack_nil(&pk);
    pk_str(&pk, "target"); msgpack_pack_nil(&pk);
    put_lz4(&qd, "7002", &sb);
    msgpack_sbuffer_destroy(&sb);
    wdb_close(&qd);
    /* TVQA: input_ids [q, a0..a4], target answer_idx, ts "st-ed" */
    wdb_open(&ad, path("txt_db/tvqa_val.db"));
    for (i = 0; i < 2; i++) {
        static const int qa[6][2] = {{41, 42}, {51, 0}, {52, 53}, {54, 0}, {55, 0}, {56, 57}};
        static const int ql[6] = {2, 1, 2, 1, 1, 2};
        int a;
        char key[8];
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 4);
        pk_str(&pk, "vid_name"); pk_str(&pk, i ? "v_a" : "v_b");
        pk_str(&pk, "input_ids");
        msgpack_pack_array(&pk, 6);
        for (a = 0; a < 6; a++) pk_ints(&pk, qa[a], ql[a]);
        pk_str(&pk, "target");
        if (i) msgpack_pack_nil(&pk); else msgpack_pack_int(&pk, 3);
        pk_str(&pk, "ts"); pk_str(&pk, i ? "NaN-NaN" : "1.5-3.25");
        snprintf(key, sizeof(key), "%d", 10 + i);
        put_lz4(&ad, key, &sb);
        msgpack_sbuffer_destroy(&sb);
    }
    wdb_close(&ad);
    /* TVC (prepro_tvc.py): a caption record (clip_id as a string) and a clip record without input_ids */
    wdb_open(&ad, path("txt_db/tvc_val.db"));
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pk_str(&pk, "desc"); pk_str(&pk, "he leaves");
    pk_str(&pk, "input_ids"); pk_ints(&pk, q0, 3);
    pk_str(&pk, "vid_name"); pk_str(&pk, "v_b");
    pk_str(&pk, "clip_id"); pk_str(&pk, "77");
    pk_str(&pk, "ts"); msgpack_pack_array(&pk, 2); msgpack_pack_double(&pk, 0.5); msgpack_pack_double(&pk, 2.0);
    put_lz4(&ad, "5010", &sb);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "vid_name"); pk_str(&pk, "v_a");
    pk_str(&pk, "ts"); msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 1); msgpack_pack_int(&pk, 3);
    pk_str(&pk, "captions"); msgpack_pack_array(&pk, 0);
    put_lz4(&ad, "78", &sb);
    msgpack_sbuffer_destroy(&sb);
    wdb_close(&ad);
}

/* ---- reading the imports back ---- */
static int64_t *ints(const hero_tensorfile *tf, const char *name, int64_t *n) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t *v;
    hero_error err;
    *n = t ? hero_tensor_numel(t) : -1;
    if (!t || *n < 0) return NULL;
    v = (int64_t *)calloc((size_t)(*n ? *n : 1), sizeof(int64_t));
    if (!v || hero_tensor_read_i64(t, v, *n, &err)) { free(v); return NULL; }
    return v;
}
static int ints_eq(const hero_tensorfile *tf, const char *name, const int64_t *want, int64_t n) {
    int64_t got_n, i;
    int64_t *got = ints(tf, name, &got_n);
    int ok = got && got_n == n;
    for (i = 0; ok && i < n; i++) ok = got[i] == want[i];
    if (!ok) {
        printf("   %s: got", name);
        for (i = 0; got && i < got_n && i < 40; i++) printf(" %lld", (long long)got[i]);
        printf(" (%lld), want", (long long)got_n);
        for (i = 0; i < n && i < 40; i++) printf(" %lld", (long long)want[i]);
        printf("\n");
    }
    free(got);
    return ok;
}

static int run_tool(const char *args, char *out, size_t cap) {
    char cmd[4096];
    FILE *p;
    size_t n = 0;
    int st;
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", g_tool, args);
    if (!(p = popen(cmd, "r"))) return -1;
    n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_corpus(const char *db, int f16, const char *label) {
    char args[3072], out[4096], name[128];
    hero_tensorfile tf;
    hero_error err;
    const hero_tensor_info *t;
    int rc, v, ok;
    /* DB order: v_a (index 1 of VIDS), v_b (0), v_c (2); v_c cut to 4 frames by id2nframe.json */
    static const int order[NV] = {1, 0, 2}, keep[NV] = {3, 4, 4};
    snprintf(args, sizeof(args), "corpus %s %s %s%s", path(db), path("txt_db/tv_subtitles.db"), path("corpus.safetensors"), f16 ? " --f16" : "");
    rc = run_tool(args, out, sizeof(out));
    snprintf(name, sizeof(name), "corpus import (%s) runs", label);
    check(rc == 0, name, "exit %d: %s", rc, out);
    if (rc) return;
    if (hero_tensorfile_open(&tf, path("corpus.safetensors"), &err)) { check(0, "corpus opens", "%s", err.msg); return; }
    {
        int64_t nfr[NV], nsub[NV], slen[6], stok[9], ssi[6], s2n[6], s2f[11], un[NV], unf[2];
        int k = 0, s = 0, q = 0, u = 0, i, j;
        for (v = 0; v < NV; v++) {
            int o = order[v];
            nfr[v] = keep[v];
            nsub[v] = SUB_N[o];
            un[v] = UNM_N[o];
            for (i = 0; i < UNM_N[o]; i++) unf[u++] = UNM_F[o][i];
            for (i = 0; i < SUB_N[o]; i++, s++) {
                slen[s] = SUB_LEN[o][i];
                ssi[s] = i;
                s2n[s] = S2F_N[o][i];
                for (j = 0; j < SUB_LEN[o][i]; j++) stok[k++] = SUB_TOK[o][i][j];
                for (j = 0; j < S2F_N[o][i]; j++) s2f[q++] = S2F_F[o][i][j];
            }
        }
        snprintf(name, sizeof(name), "corpus (%s): nframes, subtitles, sub->frames, unmatched frames", label);
        ok = ints_eq(&tf, "raw.nframes", nfr, NV) & ints_eq(&tf, "raw.num_subs", nsub, NV) & ints_eq(&tf, "raw.sub_len", slen, s) &
             ints_eq(&tf, "raw.sub_tokens", stok, k) & ints_eq(&tf, "raw.s2f_sub_idx", ssi, s) & ints_eq(&tf, "raw.s2f_nframes", s2n, s) &
             ints_eq(&tf, "raw.s2f_frames", s2f, q) & ints_eq(&tf, "raw.unmatched_nframes", un, NV) &
             ints_eq(&tf, "raw.unmatched_frames", unf, u);
        check(ok, name, "see above");
    }
    t = hero_tensorfile_find(&tf, "raw.v_feats");
    {
        float got[11 * FD];
        int tt, f, row = 0, bad = 0;
        ok = t && t->ndim == 2 && t->shape[0] == 11 && t->shape[1] == FD && t->dtype == (f16 ? HERO_F16 : HERO_F32) &&
             !hero_tensor_read_f32(t, got, 11 * FD, &err);
        for (v = 0; ok && v < NV; v++)
            for (tt = 0; tt < keep[v]; tt++, row++)
                for (f = 0; f < FD; f++)
                    if (got[row * FD + f] != feat(order[v], tt, f)) bad++;
        snprintf(name, sizeof(name), "corpus (%s): every feature value (f32 / f16 / big-endian f64 sources)", label);
        check(ok && !bad, name, "shape or %d values differ", bad);
    }
    {
        const char *m = hero_tensorfile_meta(&tf, "vids");
        snprintf(name, sizeof(name), "corpus (%s): metadata vids in DB order", label);
        check(m && !strcmp(m, "[\"v_a\", \"v_b\", \"v_c\"]"), name, "%s", m ? m : "(none)");
    }
    hero_tensorfile_close(&tf);
}

static void test_queries(void) {
    char args[3072], out[4096];
    hero_tensorfile tf;
    hero_error err;
    const hero_tensor_info *t;
    int rc;
    snprintf(args, sizeof(args), "queries %s %s --corpus %s", path("txt_db/tvr_val.db"), path("queries.safetensors"), path("corpus.safetensors"));
    rc = run_tool(args, out, sizeof(out));
    check(rc == 0, "query import (TVR / DiDeMo records) runs", "exit %d: %s", rc, out);
    if (rc == 0 && !hero_tensorfile_open(&tf, path("queries.safetensors"), &err)) {
        /* DB order: 7000, 7001, 7002 */
        static const int64_t ql[3] = {1, 3, 2}, qt[6] = {34, 31, 32, 33, 35, 36}, qv[3] = {-1, 2, -1}, tg[3] = {-1, -1, -1},
                             nts[3] = {4, 1, 0}, ty[3] = {-1, 2, -1};
        static const double tsw[3 * 4 * 2] = {0, 5, 5, 10, 10, 15, 15, 20, 1.25, 4.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        double got[24];
        int ok = ints_eq(&tf, "raw.q_len", ql, 3) & ints_eq(&tf, "raw.q_tokens", qt, 6) & ints_eq(&tf, "raw.q_vid", qv, 3) &
                 ints_eq(&tf, "raw.target", tg, 3) & ints_eq(&tf, "raw.q_n_ts", nts, 3) & ints_eq(&tf, "raw.q_type", ty, 3);
        const char *m = hero_tensorfile_meta(&tf, "qids"), *vm = hero_tensorfile_meta(&tf, "videos");
        int i;
        t = hero_tensorfile_find(&tf, "raw.q_ts");
        ok = ok && t && t->dtype == HERO_F64 && t->ndim == 3 && t->shape[0] == 3 && t->shape[1] == 4 && t->shape[2] == 2 &&
             !hero_tensorfile_find(&tf, "raw.a_len");
        if (ok) {
            for (i = 0; i < 24; i++) {
                uint64_t u = 0;
                int b;
                for (b = 7; b >= 0; b--) u = (u << 8) | t->storage[(t->offset + i) * 8 + b];
                memcpy(&got[i], &u, 8);
                ok &= got[i] == tsw[i];
            }
        }
        check(ok && m && !strcmp(m, "[\"7000\", \"7001\", \"7002\"]") && vm && !strcmp(vm, "[\"elsewhere\", \"v_c\", null]"),
              "queries: tokens, corpus video index, targets, windows, types, ids", "qids %s videos %s", m ? m : "-", vm ? vm : "-");
        hero_tensorfile_close(&tf);
    }
    snprintf(args, sizeof(args), "queries %s %s", path("txt_db/tvqa_val.db"), path("qa.safetensors"));
    rc = run_tool(args, out, sizeof(out));
    check(rc == 0, "query import (TVQA records) runs", "exit %d: %s", rc, out);
    if (rc == 0 && !hero_tensorfile_open(&tf, path("qa.safetensors"), &err)) {
        static const int64_t ql[2] = {2, 2}, al[10] = {1, 2, 1, 1, 2, 1, 2, 1, 1, 2}, tg[2] = {3, -1}, nts[2] = {1, 0}, qv[2] = {-1, -1};
        static const int64_t at[14] = {51, 52, 53, 54, 55, 56, 57, 51, 52, 53, 54, 55, 56, 57};
        const char *ts = hero_tensorfile_meta(&tf, "ts_strings");
        int ok = ints_eq(&tf, "raw.q_len", ql, 2) & ints_eq(&tf, "raw.a_len", al, 10) & ints_eq(&tf, "raw.a_tokens", at, 14) &
                 ints_eq(&tf, "raw.target", tg, 2) & ints_eq(&tf, "raw.q_n_ts", nts, 2) & ints_eq(&tf, "raw.q_vid", qv, 2);
        t = hero_tensorfile_find(&tf, "raw.q_ts");
        check(ok && ts && !strcmp(ts, "[\"1.5-3.25\", \"NaN-NaN\"]") && t && t->shape[1] == 1,
              "TVQA: question + 5 answers, answer_idx / None, \"st-ed\" parsed, NaN-NaN none", "ts_strings %s", ts ? ts : "-");
        hero_tensorfile_close(&tf);
    }
    snprintf(args, sizeof(args), "queries %s %s --corpus %s", path("txt_db/tvc_val.db"), path("tvc.safetensors"), path("corpus.safetensors"));
    rc = run_tool(args, out, sizeof(out));
    check(rc == 0, "query import (TVC caption + clip records) runs", "exit %d: %s", rc, out);
    if (rc == 0 && !hero_tensorfile_open(&tf, path("tvc.safetensors"), &err)) {
        /* DB order: "5010" (caption), "78" (clip) */
        static const int64_t ql[2] = {3, 0}, qt[3] = {31, 32, 33}, qv[2] = {1, 0}, nts[2] = {1, 1};
        const char *cl = hero_tensorfile_meta(&tf, "clip_ids");
        double tsw[4];
        int ok = ints_eq(&tf, "raw.q_len", ql, 2) & ints_eq(&tf, "raw.q_tokens", qt, 3) & ints_eq(&tf, "raw.q_vid", qv, 2) &
                 ints_eq(&tf, "raw.q_n_ts", nts, 2);
        int i;
        t = hero_tensorfile_find(&tf, "raw.q_ts");
        for (i = 0; ok && t && i < 4; i++) {
            uint64_t u = 0;
            int b;
            for (b = 7; b >= 0; b--) u = (u << 8) | t->storage[(t->offset + i) * 8 + b];
            memcpy(&tsw[i], &u, 8);
        }
        check(ok && t && tsw[0] == 0.5 && tsw[1] == 2.0 && tsw[2] == 1 && tsw[3] == 3 && cl && !strcmp(cl, "[\"77\", null]"),
              "TVC: caption tokens, clip ids, a clip record without tokens", "clip_ids %s", cl ? cl : "-");
        hero_tensorfile_close(&tf);
    }
}

/* hero_ft_items_read on the imports: the same items as the JSONL annotations of the same records
   (hero_ann_parse: video, ts, type, label, candidates; word ids as written to the DB), and a batch */
static int ids_eq(const int32_t *a, const int *b, int n) {
    int i;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}
/* a video's index in the imported corpus (the DB orders the names), NV when absent */
static int corpus_index(const char *name) {
    static const char *NAMES[NV] = {"v_a", "v_b", "v_c"};
    int v;
    for (v = 0; v < NV && strcmp(NAMES[v], name); v++) {}
    return v;
}

static void test_items(void) {
    char args[3072], out[4096];
    hero_tensorfile tf, cf;
    hero_corpus cor;
    hero_ft_items x;
    hero_ann_list al;
    hero_batch b;
    hero_error err;
    hero_batch_options o = hero_batch_options_default(112);
    int rc, ok, v;
    memset(&cor, 0, sizeof(cor));
    if (hero_tensorfile_open(&cf, path("corpus.safetensors"), &err) || hero_corpus_read(&cor, &cf, &err)) {
        check(0, "items: the imported corpus reads", "%s", err.msg);
        return;
    }
    hero_tensorfile_close(&cf);
    /* TVR: 7000 (video not in the corpus), 7001 (v_c), 7002 (no video) */
    if (!hero_tensorfile_open(&tf, path("queries.safetensors"), &err)) {
        static const int q0[3] = {31, 32, 33};
        static const char J[] = "{\"desc_id\": 7001, \"desc\": \"someone opens a door\", \"vid_name\": \"v_c\", \"ts\": [1.25, 4.5], \"type\": \"vt\"}\n";
        rc = hero_ft_items_read(&x, &tf, HERO_TASK_VSM, cor.n_videos, &err);
        ok = rc == 0 && !hero_ann_parse(&al, HERO_ANN_TVR, J, sizeof(J) - 1, "tvr.jsonl", &err);
        if (ok) {
            const hero_ann *a = &al.items[0];
            const hero_ft_item *it = &x.items[0];
            v = corpus_index(a->video);
            ok = x.n == 1 && x.n_records == 3 && x.n_skipped == 2 && x.record[0] == 1 && x.max_ts == 4 && x.n_ts[0] == 1 &&
                 it->video == v && it->len == 3 && ids_eq(it->tokens, q0, 3) && it->has_ts && a->n_ts == 1 &&
                 it->ts[0] == a->ts[0][0] && it->ts[1] == a->ts[0][1] && x.type[0] == a->type && it->label == -1 && it->n_cand == 0;
            hero_ann_list_free(&al);
        }
        if (ok) {
            o.max_frames = 100;
            ok = !hero_build_ft_batch(&b, HERO_TASK_VSM, cor.videos, cor.n_videos, x.items, x.n, 1.5, &o, &err);
            /* v_c has 5 frames: st = floor(1.25 / 1.5) = 0, ed = min(max(ceil(4.5 / 1.5) - 1, 1), 4) = 2 */
            if (ok) { ok = b.Nq == 1 && b.q_ids[0] == 0 && b.q_ids[1] == 31 && b.vsm_targets[0] == 0 && b.vsm_targets[1] == 2; hero_batch_free(&b); }
        }
        check(ok, "items (VCMR): the imported TVR queries = the JSONL annotation's, records without a corpus video skipped, a batch builds",
              "%s", rc ? err.msg : "fields differ");
        if (rc == 0) hero_ft_items_free(&x);
        hero_tensorfile_close(&tf);
    }
    /* TVQA, imported with the corpus this time */
    snprintf(args, sizeof(args), "queries %s %s --corpus %s", path("txt_db/tvqa_val.db"), path("qa_c.safetensors"), path("corpus.safetensors"));
    rc = run_tool(args, out, sizeof(out));
    if (rc == 0 && !hero_tensorfile_open(&tf, path("qa_c.safetensors"), &err)) {
        static const int q[2] = {41, 42}, al5[5] = {1, 2, 1, 1, 2}, at[7] = {51, 52, 53, 54, 55, 56, 57};
        static const char J[] =
            "{\"qid\": 10, \"q\": \"what?\", \"a0\": \"x\", \"a1\": \"y\", \"a2\": \"z\", \"a3\": \"w\", \"a4\": \"u\", \"answer_idx\": 3, \"vid_name\": \"v_b\", \"ts\": \"1.5-3.25\"}\n"
            "{\"qid\": 11, \"q\": \"what?\", \"a0\": \"x\", \"a1\": \"y\", \"a2\": \"z\", \"a3\": \"w\", \"a4\": \"u\", \"vid_name\": \"v_a\", \"ts\": \"NaN-NaN\"}\n";
        rc = hero_ft_items_read(&x, &tf, HERO_TASK_VIDEOQA, cor.n_videos, &err);
        ok = rc == 0 && !hero_ann_parse(&al, HERO_ANN_TVQA, J, sizeof(J) - 1, "tvqa.jsonl", &err) && x.n == 2 && al.n == 2;
        for (v = 0; ok && v < 2; v++) {
            const hero_ann *a = &al.items[v];
            const hero_ft_item *it = &x.items[v];
            ok = it->video == corpus_index(a->video) && it->len == 2 && ids_eq(it->tokens, q, 2) && it->n_cand == a->n_cand && ids_eq(it->cand_len, al5, 5) &&
                 ids_eq(it->cand_tokens, at, 7) && it->label == a->label && it->has_ts == (a->n_ts > 0) &&
                 (!it->has_ts || (it->ts[0] == a->ts[0][0] && it->ts[1] == a->ts[0][1]));
        }
        if (rc == 0 && al.items) hero_ann_list_free(&al);
        if (ok) {
            ok = !hero_build_ft_batch(&b, HERO_TASK_VIDEOQA, cor.videos, cor.n_videos, x.items, x.n, 1.5, &o, &err);
            if (ok) { ok = b.n_cand == 5 && b.labels[0] == 3 && b.labels[1] == -1 && b.vsm_targets[2] == -1; hero_batch_free(&b); }
        }
        check(ok, "items (video QA): question, 5 candidates, answer, \"st-ed\" / NaN-NaN = the JSONL annotations', a batch builds",
              "%s", rc ? err.msg : "fields differ");
        if (rc == 0) hero_ft_items_free(&x);
        hero_tensorfile_close(&tf);
    } else {
        check(0, "items (video QA): import with --corpus", "exit %d: %s", rc, out);
    }
    /* TVC: the caption (v_b) and the clip (v_a) */
    if (!hero_tensorfile_open(&tf, path("tvc.safetensors"), &err)) {
        static const int q0[3] = {31, 32, 33};
        static const char J[] = "{\"clip_id\": 78, \"vid_name\": \"v_a\", \"ts\": [1, 3], \"duration\": 5, \"descs\": []}\n";
        rc = hero_ft_items_read(&x, &tf, HERO_TASK_TVC, cor.n_videos, &err);
        ok = rc == 0 && !hero_ann_parse(&al, HERO_ANN_TVC, J, sizeof(J) - 1, "tvc.jsonl", &err);
        if (ok) {
            const hero_ann *a = &al.items[0];
            ok = x.n == 2 && x.items[0].video == 1 && x.items[0].len == 3 && ids_eq(x.items[0].tokens, q0, 3) &&
                 x.items[0].ts[0] == 0.5 && x.items[0].ts[1] == 2.0 && x.items[1].video == 0 && !strcmp(a->video, "v_a") &&
                 x.items[1].len == 0 && x.items[1].ts[0] == a->ts[0][0] && x.items[1].ts[1] == a->ts[0][1];
            hero_ann_list_free(&al);
        }
        if (ok) {
            o.max_txt_len = 60;
            ok = !hero_build_ft_batch(&b, HERO_TASK_TVC, cor.videos, cor.n_videos, x.items, x.n, 1.5, &o, &err);
            if (ok) { ok = b.n_caps == 2 && b.cap_ids[0] == 0 && b.cap_ids[1] == 31 && b.clip_vidx[1] == 1; hero_batch_free(&b); }
        }
        check(ok, "items (TVC): caption and clip records = the JSONL clip's video and ts, a batch builds", "%s", rc ? err.msg : "fields differ");
        if (rc == 0) hero_ft_items_free(&x);
        hero_tensorfile_close(&tf);
    }
    hero_corpus_free(&cor);
}

/* hostile records: the importer must fail cleanly, naming the DB and the key */
static void test_hostile(void) {
    static const unsigned char huge_array[] = {0x81, 0xa9, 'i', 'n', 'p', 'u', 't', '_', 'i', 'd', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01};
    static const unsigned char deep[] = {0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
                                         0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
                                         0x91, 0x91, 0x91, 0x91, 0x01};
    static const unsigned char bad_lz4[] = {0x04, 0x22, 0x4D, 0x18, 0x64, 0x40, 0xa7, 0xff, 0xff, 0xff, 0x7f, 0x00};
    static const unsigned char not_map[] = {0x93, 0x01, 0x02, 0x03};
    static const unsigned char trunc[] = {0x82, 0xa9, 'i', 'n', 'p', 'u', 't', '_', 'i', 'd', 's', 0x92, 0x01};
    static const struct { const char *label; const unsigned char *v; size_t n; const char *needle; } cases[] = {
        {"an array claiming 2^31 items in 17 bytes", huge_array, sizeof(huge_array), "msgpack"},
        {"nesting deeper than the limit", deep, sizeof(deep), "msgpack"},
        {"a broken lz4 frame", bad_lz4, sizeof(bad_lz4), "lz4"},
        {"a record that is not a map", not_map, sizeof(not_map), "map"},
        {"a truncated msgpack record", trunc, sizeof(trunc), "msgpack"},
    };
    char args[3072], out[4096], dir[256], name[160];
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wdb d;
        int rc;
        snprintf(dir, sizeof(dir), "txt_db/hostile%d.db", (int)i);
        if (wdb_open(&d, path(dir))) { check(0, "hostile db", "cannot create"); return; }
        wdb_put(&d, "badkey", cases[i].v, cases[i].n);
        wdb_close(&d);
        snprintf(args, sizeof(args), "queries %s %s", path(dir), path("hostile.safetensors"));
        rc = run_tool(args, out, sizeof(out));
        snprintf(name, sizeof(name), "hostile record: %s", cases[i].label);
        check(rc == 1 && strstr(out, "badkey") && strstr(out, cases[i].needle) && strstr(out, dir), name, "exit %d: %s", rc, out);
    }
    /* a feature array whose bytes disagree with its shape */
    {
        wdb d;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        int rc;
        wdb_open(&d, path("video_db/bad/resnet_slowfast_1.5"));
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        pk_str(&pk, "features");
        msgpack_pack_map(&pk, 4);
        pk_str(&pk, "nd"); msgpack_pack_true(&pk);
        pk_str(&pk, "type"); pk_str(&pk, "<f4");
        pk_str(&pk, "shape"); msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 1000); msgpack_pack_int(&pk, 1000);
        pk_str(&pk, "data"); msgpack_pack_bin(&pk, 8); msgpack_pack_bin_body(&pk, "12345678", 8);
        wdb_put(&d, "v_a", sb.data, sb.size);
        wdb_put(&d, "v_b", sb.data, sb.size);
        wdb_put(&d, "v_c", sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        wdb_close(&d);
        snprintf(args, sizeof(args), "corpus %s %s %s", path("video_db/bad/resnet_slowfast_1.5"), path("txt_db/tv_subtitles.db"),
                 path("bad.safetensors"));
        rc = run_tool(args, out, sizeof(out));
        check(rc == 1 && strstr(out, "v_a") && strstr(out, "4000000 bytes"), "hostile features: shape vs bytes", "exit %d: %s", rc, out);
    }
    {
        int rc = run_tool("corpus /nonexistent/db /nonexistent/sub out.safetensors", out, sizeof(out));
        check(rc == 1 && strstr(out, "/nonexistent/db"), "a missing database is named", "exit %d: %s", rc, out);
        rc = run_tool("frobnicate", out, sizeof(out));
        check(rc == 2 && strstr(out, "usage"), "usage on bad arguments", "exit %d: %s", rc, out);
    }
}

int main(int argc, char **argv) {
    char cmd[1200];
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/hero_lmdb_import [TMPDIR]\n", argv[0]);
        return 2;
    }
    g_tool = argv[1];
    snprintf(g_dir, sizeof(g_dir), "%s/hero_lmdb_test_%d", argc > 2 ? argv[2] : "/tmp", (int)getpid());
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) return 1;
    mkdirs(g_dir);
    write_corpus();
    write_queries();
    test_corpus("video_db/tv/resnet_slowfast_1.5", 0, "msgpack features");
    test_corpus("video_db/tv/resnet_slowfast_1.5_compressed", 1, "compressed npz features, --f16");
    test_queries();
    test_items();
    test_hostile();
    if (system(cmd) != 0) printf("(could not remove %s)\n", g_dir);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
