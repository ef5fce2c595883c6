/* Crash safety of checkpoint writes: a child process saves a checkpoint over and over, the
   parent SIGKILLs it at a random moment (before, during or after a write, fsync or rename),
   then checks that the file at the path still loads completely and holds exactly one of the
   versions that were written (never a mix, never a truncated file).

     build/test_crash [golden_dir] [kills]

   Part 1: hero_safetensors_write of a ~6 MB payload (a 1.5 M-float tensor whose values encode
   the version, the version as an i64 tensor and as metadata), `kills` times (default 50).
   Part 2: hero_trainer_save of the tiny golden model's full training state (weights + AdamW
   moments), `kills / 5` times, checked with hero_trainer_load (skipped if golden_dir, default
   tests/golden/tiny, has no config.json / model.pt).
   Prints PASS / FAIL lines and ends with "N passed, M failed". POSIX only (fork, kill). */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *why) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why);
    fflush(stdout);
    if (ok) g_pass++;
    else g_fail++;
}

static double now_s(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static double urand(void) { /* [0, 1) */
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) * (1.0 / 9007199254740992.0);
}

static void sleep_s(double s) {
    struct timespec ts;
    if (s <= 0) return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* SIGKILL the child after `delay` seconds; returns how many saves it completed (reported
   through a pipe, one byte per save: a save counted here has returned 0). */
static int kill_after(pid_t pid, int rfd, double delay) {
    int status, saves = 0;
    char buf[256];
    ssize_t r;
    sleep_s(delay);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    while ((r = read(rfd, buf, sizeof buf)) > 0) saves += (int)r;
    close(rfd);
    return saves;
}

/* ---------------- part 1: hero_safetensors_write ---------------- */
#define CR_N (3 * 512 * 1024) /* floats: 6 MB */

static float cr_value(int64_t v, int64_t i) { return (float)((i * 2654435761u + (uint64_t)v * 40503u) % 1000003u) - 500000.0f; }

static int cr_write(const char *path, int64_t v, float *buf) {
    hero_st_item it[2];
    int64_t shape[2] = {CR_N / 512, 512}, one = 1, i;
    char vs[32];
    const char *meta[] = {"version", vs, "format", "test_crash", NULL};
    for (i = 0; i < CR_N; i++) buf[i] = cr_value(v, i);
    snprintf(vs, sizeof vs, "%lld", (long long)v);
    it[0].name = "payload"; it[0].dtype = HERO_F32; it[0].ndim = 2; it[0].shape = shape; it[0].data = buf;
    it[1].name = "version"; it[1].dtype = HERO_I64; it[1].ndim = 1; it[1].shape = &one; it[1].data = &v;
    return hero_safetensors_write(path, it, 2, meta, NULL);
}

/* The file must open, every tensor must read, and all of it must be version v for one v in
   [0, vmax]. Returns the version, or -1 with why filled. */
static int64_t cr_verify(const char *path, int64_t vmax, float *buf, char *why, size_t wn) {
    hero_tensorfile tf;
    hero_error err;
    const hero_tensor_info *p, *vt;
    const char *ms;
    int64_t v = -1, i;
    int k;
    if (hero_tensorfile_open(&tf, path, &err) != 0) { snprintf(why, wn, "does not open: %s", err.msg); return -1; }
    for (k = 0; k < tf.n_tensors; k++) { /* every tensor reads */
        int64_t n = hero_tensor_numel(&tf.tensors[k]);
        float *tmp = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
        int rc = tmp ? hero_tensor_read_f32(&tf.tensors[k], tmp, n, &err) : HERO_ENOMEM;
        free(tmp);
        if (rc) { snprintf(why, wn, "tensor %s does not read: %s", tf.tensors[k].name, err.msg); goto fail; }
    }
    p = hero_tensorfile_find(&tf, "payload");
    vt = hero_tensorfile_find(&tf, "version");
    ms = hero_tensorfile_meta(&tf, "version");
    if (tf.n_tensors != 2 || !p || !vt || !ms || hero_tensor_numel(p) != CR_N || hero_tensor_numel(vt) != 1) {
        snprintf(why, wn, "tensors / metadata missing or resized (%d tensors)", tf.n_tensors);
        goto fail;
    }
    if (hero_tensor_read_i64(vt, &v, 1, &err) != 0 || v < 0 || v > vmax || strtoll(ms, NULL, 10) != v) {
        snprintf(why, wn, "version tensor %lld / metadata '%s' (written: 0..%lld)", (long long)v, ms, (long long)vmax);
        v = -1;
        goto fail;
    }
    if (hero_tensor_read_f32(p, buf, CR_N, &err) != 0) { snprintf(why, wn, "payload: %s", err.msg); v = -1; goto fail; }
    for (i = 0; i < CR_N; i++)
        if (buf[i] != cr_value(v, i)) {
            snprintf(why, wn, "payload element %lld is not version %lld's (a mix of versions)", (long long)i, (long long)v);
            v = -1;
            goto fail;
        }
    hero_tensorfile_close(&tf);
    return v;
fail:
    hero_tensorfile_close(&tf);
    return -1;
}

static void part_safetensors(const char *path, int kills) {
    float *buf = (float *)malloc((size_t)CR_N * sizeof(float));
    int64_t base = 0, prev = 0; /* versions written so far: 0..base; the file held prev */
    double t0, save_s;
    int k;
    char why[700], name[128];
    if (!buf) { check(0, "safetensors: setup", "out of memory"); return; }
    t0 = now_s();
    if (cr_write(path, 0, buf) != 0) { check(0, "safetensors: first save", "failed"); free(buf); return; }
    save_s = now_s() - t0;
    printf("   one %d MB save takes %.1f ms\n", (int)((size_t)CR_N * 4 >> 20), save_s * 1e3);
    for (k = 0; k < kills; k++) {
        int fd[2], saves;
        pid_t pid;
        int64_t got, first = base + 1;
        double delay = urand() * 3.0 * save_s; /* anywhere within the first ~3 saves */
        if (pipe(fd) != 0) { check(0, "safetensors: pipe", strerror(errno)); break; }
        fflush(stdout);
        pid = fork();
        if (pid < 0) { check(0, "safetensors: fork", strerror(errno)); close(fd[0]); close(fd[1]); break; }
        if (pid == 0) { /* child: save versions first, first + 1, ... until killed */
            int64_t v;
            close(fd[0]);
            for (v = first;; v++) {
                if (cr_write(path, v, buf) != 0) _exit(3);
                if (write(fd[1], "s", 1) != 1) _exit(4);
            }
        }
        close(fd[1]);
        saves = kill_after(pid, fd[0], delay);
        /* the file holds the last save reported done (or, with none, what it held before), or
           the one after it (killed between its rename and its report) */
        base = first + saves;
        got = cr_verify(path, base, buf, why, sizeof why);
        if (got >= 0 && got != (saves ? first + saves - 1 : prev) && got != first + saves) {
            snprintf(why, sizeof why, "version %lld, expected %lld or %lld", (long long)got, (long long)(saves ? first + saves - 1 : prev),
                     (long long)(first + saves));
            got = -1;
        }
        prev = got;
        snprintf(name, sizeof name, "safetensors: kill %d after %.1f ms (%d saves done): file loads, version %lld", k + 1,
                 delay * 1e3, saves, (long long)got);
        check(got >= 0, name, why);
        if (got < 0) break; /* the file is broken: later checks would only repeat this */
    }
    free(buf);
}

/* ---------------- part 2: hero_trainer_save ---------------- */
static void part_trainer(const char *dir, const char *path, int kills) {
    hero_model m;
    hero_trainer t;
    hero_train_config cfg;
    hero_video dummy[2];
    hero_error err;
    char cfgp[512], ckp[512], why[700], name[160];
    double t0, save_s;
    int64_t base = 0, prev = 0;
    int k;
    struct stat st;
    snprintf(cfgp, sizeof cfgp, "%s/config.json", dir);
    snprintf(ckp, sizeof ckp, "%s/model.pt", dir);
    if (stat(cfgp, &st) != 0 || stat(ckp, &st) != 0) {
        printf("   trainer part skipped: no %s / %s\n", cfgp, ckp);
        return;
    }
    if (hero_model_load(&m, cfgp, ckp, NULL, &err) != 0) { check(0, "trainer: load the golden model", err.msg); return; }
    memset(dummy, 0, sizeof dummy); /* never read: no update is run */
    cfg = hero_train_config_default(m.cfg.V);
    if (hero_trainer_init(&t, &m, &cfg, dummy, 2, &err) != 0) { check(0, "trainer: init", err.msg); hero_model_free(&m); return; }
    /* version v: step v, first weight v, first AdamW moment v */
    t.opt.step = 0;
    m.table[0].data[0] = 0.0f;
    t.opt.m[0] = 0.0f;
    t0 = now_s();
    if (hero_trainer_save(&t, path, &err) != 0) { check(0, "trainer: first save", err.msg); goto done; }
    save_s = now_s() - t0;
    printf("   one training-state save takes %.1f ms\n", save_s * 1e3);
    for (k = 0; k < kills; k++) {
        int fd[2], saves, ok;
        pid_t pid;
        int64_t first = base + 1, got = -1;
        double delay = urand() * 3.0 * save_s;
        if (pipe(fd) != 0) { check(0, "trainer: pipe", strerror(errno)); break; }
        fflush(stdout);
        pid = fork();
        if (pid < 0) { check(0, "trainer: fork", strerror(errno)); close(fd[0]); close(fd[1]); break; }
        if (pid == 0) {
            int64_t v;
            close(fd[0]);
            for (v = first;; v++) {
                t.opt.step = v;
                m.table[0].data[0] = (float)v;
                t.opt.m[0] = (float)v;
                if (hero_trainer_save(&t, path, NULL) != 0) _exit(3);
                if (write(fd[1], "s", 1) != 1) _exit(4);
            }
        }
        close(fd[1]);
        saves = kill_after(pid, fd[0], delay);
        base = first + saves;
        /* load into the parent's trainer (its values are overwritten by what the file holds) */
        m.table[0].data[0] = -1.0f;
        t.opt.m[0] = -1.0f;
        t.opt.step = -1;
        ok = hero_trainer_load(&t, path, &err) == 0;
        if (!ok) snprintf(why, sizeof why, "hero_trainer_load: %s", err.msg);
        else {
            got = t.opt.step;
            int64_t done_v = saves ? first + saves - 1 : prev;
            if ((float)got != m.table[0].data[0] || (float)got != t.opt.m[0] || (got != done_v && got != first + saves)) {
                ok = 0;
                snprintf(why, sizeof why, "step %lld, weight %g, moment %g: not one version (expected %lld or %lld)", (long long)got,
                         (double)m.table[0].data[0], (double)t.opt.m[0], (long long)done_v, (long long)(first + saves));
            }
            prev = got;
        }
        snprintf(name, sizeof name, "trainer: kill %d after %.1f ms (%d saves done): state loads, step %lld", k + 1, delay * 1e3,
                 saves, (long long)got);
        check(ok, name, why);
        if (!ok) break;
    }
done:
    hero_trainer_free(&t);
    hero_model_free(&m);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/golden/tiny";
    int kills = argc > 2 ? atoi(argv[2]) : 50;
    char p1[256], p2[256], tmp[300];
    signal(SIGPIPE, SIG_IGN);
    g_rng ^= (uint64_t)time(NULL) * 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid();
    if (kills < 1) kills = 1;
    mkdir("build", 0755);
    snprintf(p1, sizeof p1, "build/test_crash_%ld.safetensors", (long)getpid());
    snprintf(p2, sizeof p2, "build/test_crash_state_%ld.safetensors", (long)getpid());
    part_safetensors(p1, kills);
    part_trainer(dir, p2, kills / 5 > 0 ? kills / 5 : 1);
    remove(p1);
    remove(p2);
    snprintf(tmp, sizeof tmp, "%s.tmp", p1);
    remove(tmp);
    snprintf(tmp, sizeof tmp, "%s.tmp", p2);
    remove(tmp);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
