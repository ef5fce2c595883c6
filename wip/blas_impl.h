/* ---- GEMM backend check: goes into the implementation's GEMM section (after #include <cblas.h>) ----
   OpenBLAS with DYNAMIC_ARCH picks its kernels from the CPUID; an OpenBLAS older than the CPU
   falls back to its oldest x86-64 kernels ("Prescott": SSE3, no AVX): sgemm about 6x slower
   than the AVX-512 ones on recent Xeons, 2.6x on an AMD EPYC Zen 4 (2 threads, 77 vs 200
   GFLOP/s). We compare the kernel set it reports with what the CPU supports. */
#if defined(HERO_USE_CBLAS) && !defined(HERO__BLAS_CHECK_DONE)
#define HERO__BLAS_CHECK_DONE

#if (defined(__GNUC__) || defined(__clang__)) && defined(__ELF__) && (defined(__x86_64__) || defined(__i386__))
#define HERO__BLAS_CAN_CHECK 1
/* OpenBLAS's own function, declared here (other cblas.h lack it); weak, so that another CBLAS
   (no such symbol) still links and the check just answers NULL. */
#ifdef __cplusplus
extern "C" {
#endif
char *openblas_get_corename(void) __attribute__((weak));
#ifdef __cplusplus
}
#endif
#else
#define HERO__BLAS_CAN_CHECK 0
#endif

#if HERO__BLAS_CAN_CHECK
/* 1 if name (any case) is one of the NULL-terminated list */
static int hero__name_in(const char *name, const char *const *list) {
    for (; *list; list++) {
        const char *a = name, *b = *list;
        while (*a && *b) {
            char ca = *a, cb = *b;
            if (ca >= 'A' && ca <= 'Z') ca = (char)(ca - 'A' + 'a');
            if (ca != cb) break;
            a++, b++;
        }
        if (!*a && !*b) return 1;
    }
    return 0;
}
#endif

HERODEF const char *hero_blas_check(char *buf, size_t n) {
#if HERO__BLAS_CAN_CHECK
    /* OpenBLAS core names whose sgemm kernels use AVX2+FMA (or better) */
    static const char *const avx2_cores[] = {"haswell", "zen", "excavator", "skylakex", "cooperlake",
                                             "sapphirerapids", NULL};
    const char *core, *want;
    int has512, has2;
    if (!buf || n == 0 || !openblas_get_corename) return NULL;
    core = openblas_get_corename();
    if (!core || !*core || hero__name_in(core, avx2_cores)) return NULL;
    __builtin_cpu_init();
    has512 = __builtin_cpu_supports("avx512f") != 0;
    has2 = __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
    if (!has512 && !has2) return NULL; /* an old CPU: whatever OpenBLAS chose suits it */
    want = has512 ? "SKYLAKEX" : "HASWELL";
    snprintf(buf, n, "OpenBLAS runs its '%s' kernels on a CPU with %s: export OPENBLAS_CORETYPE=%s (%s faster sgemm)",
             core, has512 ? "AVX-512" : "AVX2", want, has512 ? "2.5-6x" : "2-3x");
    return buf;
#else
    (void)buf;
    (void)n;
    return NULL;
#endif
}
#endif /* HERO_USE_CBLAS && !HERO__BLAS_CHECK_DONE */
