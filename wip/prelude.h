/* Shared basics for parts that will be merged into hero.h (see wip/CONTRACT.md).
   In hero.h these sit at the top of the API section and the implementation section. */
#ifndef HERO_PRELUDE_H
#define HERO_PRELUDE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef HERODEF
#ifdef HERO_STATIC
#define HERODEF static
#else
#define HERODEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (negative). 0 = success. */
enum {
    HERO_OK = 0,
    HERO_EIO = -1,      /* cannot open / read / write a file */
    HERO_EFORMAT = -2,  /* malformed or unsupported file content */
    HERO_ESHAPE = -3,   /* shape / dtype mismatch */
    HERO_ENOMEM = -4,   /* allocation failed */
    HERO_EINVAL = -5,   /* bad argument */
    HERO_ELIMIT = -6,   /* input exceeds a safety limit */
    HERO_EMISSING = -7, /* a required key / tensor is missing */
    HERO_ENUMERIC = -8  /* NaN / Inf */
};

/* Failure reason: filled by any function that takes a hero_error* (may be NULL). */
typedef struct hero_error {
    int code;       /* HERO_E* or 0 */
    char msg[512];  /* human-readable: which file, which tensor, expected vs found */
} hero_error;

HERODEF const char *hero_strerror(int code);

/* Element types of tensors in files. */
typedef enum hero_dtype {
    HERO_F32 = 0, HERO_F16, HERO_BF16, HERO_F64,
    HERO_I64, HERO_I32, HERO_I16, HERO_I8, HERO_U8, HERO_BOOL,
    HERO_DTYPE_COUNT
} hero_dtype;

HERODEF const char *hero_dtype_name(hero_dtype t); /* "f32","f16","bf16","f64","i64","i32","i16","i8","u8","bool" */
HERODEF int hero_dtype_size(hero_dtype t);

#ifdef __cplusplus
}
#endif
#endif /* HERO_PRELUDE_H */

#if defined(HERO_IMPLEMENTATION) && !defined(HERO_PRELUDE_IMPL)
#define HERO_PRELUDE_IMPL
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if defined(HERO_MALLOC) && defined(HERO_FREE) && defined(HERO_REALLOC)
#elif !defined(HERO_MALLOC) && !defined(HERO_FREE) && !defined(HERO_REALLOC)
#define HERO_MALLOC(sz) malloc(sz)
#define HERO_REALLOC(p, sz) realloc(p, sz)
#define HERO_FREE(p) free(p)
#else
#error "Must define all or none of HERO_MALLOC, HERO_REALLOC, HERO_FREE."
#endif

static int hero__fail(hero_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int hero__fail(hero_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

HERODEF const char *hero_strerror(int code) {
    switch (code) {
    case HERO_OK: return "ok";
    case HERO_EIO: return "i/o error";
    case HERO_EFORMAT: return "malformed or unsupported file";
    case HERO_ESHAPE: return "shape or dtype mismatch";
    case HERO_ENOMEM: return "out of memory";
    case HERO_EINVAL: return "invalid argument";
    case HERO_ELIMIT: return "input exceeds a safety limit";
    case HERO_EMISSING: return "missing key or tensor";
    case HERO_ENUMERIC: return "non-finite value";
    default: return "unknown error";
    }
}

HERODEF const char *hero_dtype_name(hero_dtype t) {
    static const char *names[] = {"f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "u8", "bool"};
    return ((int)t >= 0 && t < HERO_DTYPE_COUNT) ? names[t] : "?";
}

HERODEF int hero_dtype_size(hero_dtype t) {
    static const int sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};
    return ((int)t >= 0 && t < HERO_DTYPE_COUNT) ? sizes[t] : 0;
}
#endif
