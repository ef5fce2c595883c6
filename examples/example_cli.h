/* examples/example_cli.h: the small command-line helpers that the example programs share (not part
   of the library: hero.h's code never exits; these do, since a command-line tool may). Include it
   after <stdio.h> and friends, with EXAMPLE_NAME defined as the program's name for its messages:
       #define EXAMPLE_NAME "retrieve"
       #include "example_cli.h"
   Unused helpers cost nothing (static inline). POSIX: stat, opendir. */
#ifndef HERO_EXAMPLE_CLI_H
#define HERO_EXAMPLE_CLI_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef EXAMPLE_NAME
#error "define EXAMPLE_NAME (the program's name) before including example_cli.h"
#endif

/* "NAME: message" on stderr, exit status 1 */
#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 1, 2)))
#endif
static void die(const char *fmt, ...);
static void die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, EXAMPLE_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static inline void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static inline char *xstrdup(const char *s) {
    size_t n = strlen(s);
    char *p = (char *)xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* "a/b", allocated */
static inline char *joinpath(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = (char *)xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static inline int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static inline int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static inline int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* sorted names of the entries of dir ending with suffix (and longer than it); NULL, *n = 0 when
   the dir does not exist */
static inline char **list_dir(const char *dir, const char *suffix, int *n) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    int cap = 0;
    *n = 0;
    if (!d) return NULL;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix) || strlen(e->d_name) == strlen(suffix)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            v = (char **)realloc(v, (size_t)cap * sizeof(char *));
            if (!v) die("out of memory");
        }
        v[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof(char *), cmp_str);
    return v;
}

/* s without its suffix suf (which it ends with), allocated */
static inline char *strip_suffix(const char *s, const char *suf) {
    char *p = xstrdup(s);
    p[strlen(s) - strlen(suf)] = 0;
    return p;
}

/* the value of option opt: an integer in [lo, hi], or exit with a message */
static inline long parse_int(const char *opt, const char *v, long lo, long hi) {
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) die("%s: expected an integer in [%ld, %ld], found \"%s\"", opt, lo, hi, v);
    return x;
}

/* the value of option opt: a finite number, or exit with a message */
static inline double parse_num(const char *opt, const char *v) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x == x) || x > 1e30 || x < -1e30) die("%s: expected a number, found \"%s\"", opt, v);
    return x;
}

#endif /* HERO_EXAMPLE_CLI_H */
