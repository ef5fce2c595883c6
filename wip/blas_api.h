/* ---- GEMM backend check (declared only with HERO_USE_CBLAS) ---- goes into the API section,
   next to the GEMM notes. */
#ifdef HERO_USE_CBLAS
/* Is the BLAS running kernels that suit this CPU? Returns NULL when fine, or when it cannot
   tell (the BLAS is not OpenBLAS, not an x86 CPU, not gcc/clang on ELF); otherwise writes a
   one-line advice into buf[n] and returns buf, e.g.
     "OpenBLAS runs its 'Prescott' kernels on a CPU with AVX-512: export OPENBLAS_CORETYPE=SKYLAKEX (2.5-6x faster sgemm)"
   (Debian 12's OpenBLAS 0.3.21 takes recent Xeons for a Prescott). Cheap: call it once at startup. */
HERODEF const char *hero_blas_check(char *buf, size_t n);
#endif
