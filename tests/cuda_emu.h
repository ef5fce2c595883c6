/* cuda_emu.h: the subset of the CUDA runtime and cuBLAS that hero.h's HERO_CUDA backend uses,
   emulated on the CPU, so that the whole GPU code path (host orchestration, every kernel, the
   cuBLAS calls) runs and is checked without a GPU. Tests only; C++17 (g++ / clang++).

     g++ -std=c++17 -x c++ -DHERO_CUDA -DHERO_CUDA_EMU -include tests/cuda_emu.h prog.c -lm

   What it checks beyond the numbers:
   - device memory is mapped PROT_NONE except while a device operation (kernel, copy, memset,
     cuBLAS call) runs: a host dereference of a device pointer faults, reported as such;
   - every pointer argument of a kernel is NULL or device memory (not host memory);
   - copies: the source / destination kinds match cudaMemcpyKind; cuBLAS: the leading-dimension
     rules of cublasGemmStridedBatchedEx;
   - barrier discipline: a block whose threads wait at different barriers forever is a deadlock
     (reported).
   Threads of a block are fibers (ucontext), switched at __syncthreads and at warp shuffles
   (warp-level barriers among the 32 lanes); blocks run one after the other. Shared memory
   (__shared__) becomes a static local: fine since one block runs at a time. atomicAdd is a
   plain add (no preemption between fibers). Products accumulate in fp32; for the TF32 and
   BF16 compute types the inputs are first rounded to TF32 / bf16 (round to nearest even).
   HERO_EMU_NO_GPU=1 in the environment: cudaGetDeviceCount fails (the "no GPU" path).
   With HERO_MPI: the NCCL calls hero.h makes (communicator, all-reduce, all-gather,
   broadcast), done with MPI on the emulated device memory (pointers checked as above). */
#ifndef HERO_CUDA_EMU_H
#define HERO_CUDA_EMU_H

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* small grids and blocks: every kernel of hero.h is a grid-stride loop (fewer fibers, same results) */
#ifndef HERO_CUDA_MAX_GRID
#define HERO_CUDA_MAX_GRID 3u
#endif
#ifndef HERO__CU_T
#define HERO__CU_T 64
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

/* ---------------- errors ---------------- */
typedef int cudaError_t;
enum {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDeviceFunction = 98
};
static cudaError_t hero_emu_last_error = cudaSuccess;
static inline const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected (emulated)";
    default: return "unknown error";
    }
}
static inline const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorUnknown";
    }
}
static inline cudaError_t cudaGetLastError(void) {
    cudaError_t e = hero_emu_last_error;
    hero_emu_last_error = cudaSuccess;
    return e;
}
static inline void hero_emu_fail(const char *fmt, const char *a = "", long b = 0) {
    fprintf(stderr, "cuda_emu: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    abort();
}

/* ---------------- device memory: page-aligned mappings, PROT_NONE outside device operations ---------------- */
struct hero_emu_region {
    size_t size, mapped; /* requested, mapped (one guard page more, never accessible) */
};
static std::map<uintptr_t, hero_emu_region> &hero_emu_regions() {
    static std::map<uintptr_t, hero_emu_region> r;
    return r;
}
static int hero_emu_open_depth = 0;
static size_t hero_emu_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }
/* the region holding p (device pointer), or end() */
static std::map<uintptr_t, hero_emu_region>::iterator hero_emu_find(const void *p) {
    auto &r = hero_emu_regions();
    uintptr_t a = (uintptr_t)p;
    auto it = r.upper_bound(a);
    if (it == r.begin()) return r.end();
    --it;
    if (a >= it->first && a < it->first + (it->second.size ? it->second.size : 1)) return it;
    return r.end();
}
static bool hero_emu_is_dev(const void *p) { return hero_emu_find(p) != hero_emu_regions().end(); }
static int hero_emu_noprotect(void) {
    static int off = -1;
    if (off < 0) off = getenv("HERO_EMU_NOPROTECT") != NULL;
    return off;
}
static void hero_emu_protect(int prot) {
    if (hero_emu_noprotect()) return;
    for (auto &kv : hero_emu_regions())
        if (mprotect((void *)kv.first, kv.second.mapped - hero_emu_page(), prot) != 0) hero_emu_fail("mprotect failed%s", "");
}
/* device operations run between open and close */
static void hero_emu_open(void) {
    if (hero_emu_open_depth++ == 0) hero_emu_protect(PROT_READ | PROT_WRITE);
}
static void hero_emu_close(void) {
    if (--hero_emu_open_depth == 0) hero_emu_protect(PROT_NONE);
}
static void hero_emu_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if (hero_emu_open_depth == 0 && hero_emu_is_dev(si->si_addr))
        fprintf(stderr, "cuda_emu: the host dereferenced device memory at %p\n", si->si_addr);
    else if (hero_emu_open_depth > 0)
        fprintf(stderr, "cuda_emu: segmentation fault inside a device operation at %p (out of bounds?)\n", si->si_addr);
    else
        fprintf(stderr, "cuda_emu: segmentation fault at %p\n", si->si_addr);
    signal(sig, SIG_DFL);
    raise(sig);
}
static void hero_emu_install(void) {
    static int done = 0;
    if (done) return;
    done = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = hero_emu_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}
static inline cudaError_t cudaMalloc(void **p, size_t size) {
    size_t pg = hero_emu_page(), mapped = ((size ? size : 1) + pg - 1) / pg * pg + pg;
    void *m;
    hero_emu_install();
    if (getenv("HERO_EMU_NO_GPU")) return hero_emu_last_error = cudaErrorNoDevice;
    m = mmap(NULL, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) { *p = NULL; return cudaErrorMemoryAllocation; }
    hero_emu_regions()[(uintptr_t)m] = hero_emu_region{size, mapped};
    if ((hero_emu_open_depth > 0 || hero_emu_noprotect()) && mprotect(m, mapped - pg, PROT_READ | PROT_WRITE) != 0)
        hero_emu_fail("mprotect failed%s", "");
    *p = m;
    return cudaSuccess;
}
template <class T> static inline cudaError_t cudaMalloc(T **p, size_t size) { return cudaMalloc((void **)p, size); }
static inline cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    auto &r = hero_emu_regions();
    auto it = r.find((uintptr_t)p);
    if (it == r.end()) hero_emu_fail("cudaFree of a pointer cudaMalloc did not return%s", "");
    munmap(p, it->second.mapped);
    r.erase(it);
    return cudaSuccess;
}
static inline cudaError_t cudaHostAlloc(void **p, size_t size, unsigned flags) {
    (void)flags;
    *p = malloc(size ? size : 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
#define cudaHostAllocDefault 0u
static inline cudaError_t cudaFreeHost(void *p) {
    free(p);
    return cudaSuccess;
}

/* ---------------- device, streams ---------------- */
struct cudaDeviceProp {
    char name[256];
    int major, minor;
};
struct cudaFuncAttributes {
    int numRegs;
};
typedef struct hero_emu_stream *cudaStream_t;
#define cudaStreamNonBlocking 1u
static inline cudaError_t cudaGetDeviceCount(int *n) {
    hero_emu_install();
    if (getenv("HERO_EMU_NO_GPU")) { *n = 0; return cudaErrorNoDevice; }
    *n = 1;
    return cudaSuccess;
}
static inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidValue; } /* one emulated GPU */
static inline cudaError_t cudaGetDevice(int *d) {
    *d = 0;
    return cudaSuccess;
}
static inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d) {
    (void)d;
    snprintf(p->name, sizeof(p->name), "CPU emulation (tests/cuda_emu.h)");
    p->major = 9;
    p->minor = 0;
    return cudaSuccess;
}
template <class F> static inline cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, F f) {
    (void)f;
    a->numRegs = 0;
    return cudaSuccess;
}
static inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags) {
    (void)flags;
    *s = (cudaStream_t)malloc(1);
    return cudaSuccess;
}
static inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
    free(s);
    return cudaSuccess;
}
static inline cudaError_t cudaStreamSynchronize(cudaStream_t s) {
    (void)s;
    return cudaSuccess;
}
static inline cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
/* the bytes [p, p + n) lie in one device allocation */
static void hero_emu_check_dev_range(const void *p, size_t n, const char *what) {
    auto it = hero_emu_find(p);
    if (it == hero_emu_regions().end()) hero_emu_fail("%s: not device memory", what);
    if ((uintptr_t)p + n > it->first + it->second.size) hero_emu_fail("%s: past the end of its allocation (%ld bytes over)", what,
                                                                      (long)((uintptr_t)p + n - it->first - it->second.size));
}
static inline cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind k, cudaStream_t s) {
    (void)s;
    if (!n) return cudaSuccess;
    if (k == cudaMemcpyHostToDevice || k == cudaMemcpyDeviceToDevice) hero_emu_check_dev_range(dst, n, "cudaMemcpy destination");
    if (k == cudaMemcpyDeviceToHost || k == cudaMemcpyDeviceToDevice) hero_emu_check_dev_range(src, n, "cudaMemcpy source");
    if (k == cudaMemcpyHostToDevice && hero_emu_is_dev(src)) hero_emu_fail("cudaMemcpyHostToDevice from device memory%s", "");
    if (k == cudaMemcpyDeviceToHost && hero_emu_is_dev(dst)) hero_emu_fail("cudaMemcpyDeviceToHost into device memory%s", "");
    hero_emu_open();
    memmove(dst, src, n);
    hero_emu_close();
    return cudaSuccess;
}
static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind k) { return cudaMemcpyAsync(dst, src, n, k, NULL); }
static inline cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t s) {
    (void)s;
    if (!n) return cudaSuccess;
    hero_emu_check_dev_range(p, n, "cudaMemset");
    hero_emu_open();
    memset(p, v, n);
    hero_emu_close();
    return cudaSuccess;
}

/* ---------------- bf16 ---------------- */
struct __nv_bfloat16 {
    uint16_t x;
};
static inline __nv_bfloat16 __float2bfloat16(float f) {
    uint32_t u;
    __nv_bfloat16 b;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) b.x = (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
    else b.x = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    return b;
}
static inline float hero_emu_bf2f(__nv_bfloat16 b) {
    uint32_t u = (uint32_t)b.x << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
/* TF32: 10 explicit mantissa bits, round to nearest even */
static inline float hero_emu_tf32(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
    memcpy(&f, &u, 4);
    return f;
}

/* ---------------- kernels: blocks one after the other, threads as fibers ---------------- */
/* fiber switch: x86-64 needs no system call (glibc's swapcontext saves the signal mask: one per switch) */
#if defined(__x86_64__) && !defined(HERO_EMU_UCONTEXT)
extern "C" void hero_emu_swap(void **save_sp, void *load_sp);
__asm__(".text\n"
        ".globl hero_emu_swap\n"
        ".type hero_emu_swap,@function\n"
        "hero_emu_swap:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n");
struct hero_emu_ctx {
    void *sp;
};
static void hero_emu_ctx_switch(hero_emu_ctx *from, hero_emu_ctx *to) { hero_emu_swap(&from->sp, to->sp); }
/* a fresh fiber on stack [stk, stk + size) that starts in fn (which never returns) */
static void hero_emu_ctx_make(hero_emu_ctx *c, char *stk, size_t size, void (*fn)(void)) {
    uintptr_t top = ((uintptr_t)stk + size) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = NULL;          /* fn's return address slot: fn is entered with rsp = 8 mod 16 */
    *--sp = (void *)fn;    /* popped by ret */
    for (int i = 0; i < 6; i++) *--sp = NULL; /* rbp rbx r12..r15 */
    c->sp = sp;
}
#else
struct hero_emu_ctx {
    ucontext_t uc;
};
static void hero_emu_ctx_switch(hero_emu_ctx *from, hero_emu_ctx *to) { swapcontext(&from->uc, &to->uc); }
static void hero_emu_ctx_make(hero_emu_ctx *c, char *stk, size_t size, void (*fn)(void)) {
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = stk;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, fn, 0);
}
#endif
struct hero_emu_thread {
    hero_emu_ctx ctx;
    dim3 tid;
    int state; /* 0 ready, 1 waits at __syncthreads, 2 waits at a warp barrier, 3 done */
};
struct hero_emu_state {
    dim3 grid, block, bid;
    int cur, n;
    std::vector<hero_emu_thread> th;
    std::vector<char *> stacks;
    std::vector<unsigned char> dyn;
    std::vector<double> lanes; /* shuffle slots, one per thread */
    std::function<void()> body;
    hero_emu_ctx sched;
    const char *name;
};
static hero_emu_state &hero_emu_s() {
    static hero_emu_state s;
    return s;
}
#define threadIdx (hero_emu_s().th[hero_emu_s().cur].tid)
#define blockIdx (hero_emu_s().bid)
#define blockDim (hero_emu_s().block)
#define gridDim (hero_emu_s().grid)
enum { HERO_EMU_STACK = 128 * 1024 };

static void *hero_emu_dyn_shared(void) { return hero_emu_s().dyn.data(); }

static void hero_emu_yield(int state) {
    hero_emu_state &s = hero_emu_s();
    s.th[s.cur].state = state;
    hero_emu_ctx_switch(&s.th[s.cur].ctx, &s.sched);
}
static inline void __syncthreads(void) { hero_emu_yield(1); }
template <class T> static inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
    hero_emu_state &s = hero_emu_s();
    int me = s.cur, partner = (me & ~31) | ((me & 31) ^ lane_mask);
    T r;
    (void)mask;
    static_assert(sizeof(T) <= sizeof(double), "shuffle of a type larger than 8 bytes");
    memcpy(&s.lanes[(size_t)me], &v, sizeof(T));
    hero_emu_yield(2);
    if (partner >= s.n) hero_emu_fail("%s: shuffle with a lane outside the block", s.name);
    memcpy(&r, &s.lanes[(size_t)partner], sizeof(T));
    hero_emu_yield(2);
    return r;
}
static inline float atomicAdd(float *p, float v) {
    float o = *p;
    *p = o + v;
    return o;
}
static inline double atomicAdd(double *p, double v) {
    double o = *p;
    *p = o + v;
    return o;
}
static void hero_emu_entry(void) {
    hero_emu_state &s = hero_emu_s();
    s.body();
    s.th[s.cur].state = 3;
    hero_emu_ctx_switch(&s.th[s.cur].ctx, &s.sched);
    abort(); /* never resumed */
}
static void hero_emu_run_block(void) {
    hero_emu_state &s = hero_emu_s();
    int t, w;
    for (t = 0; t < s.n; t++) {
        hero_emu_thread &h = s.th[t];
        h.tid = dim3((unsigned)t % s.block.x, ((unsigned)t / s.block.x) % s.block.y, (unsigned)t / (s.block.x * s.block.y));
        h.state = 0;
        hero_emu_ctx_make(&h.ctx, s.stacks[(size_t)t], HERO_EMU_STACK, hero_emu_entry);
    }
    for (;;) {
        int ran = 0, live = 0, at_block = 0;
        for (t = 0; t < s.n; t++)
            if (s.th[t].state == 0) {
                s.cur = t;
                hero_emu_ctx_switch(&s.sched, &s.th[t].ctx);
                ran = 1;
            }
        for (t = 0; t < s.n; t++) {
            live += s.th[t].state != 3;
            at_block += s.th[t].state == 1;
        }
        if (!live) return;
        if (ran) continue;
        /* nobody runnable: release a barrier */
        if (at_block == live) { /* __syncthreads (exited threads count as arrived) */
            for (t = 0; t < s.n; t++) if (s.th[t].state == 1) s.th[t].state = 0;
            continue;
        }
        for (w = 0; w * 32 < s.n; w++) { /* a warp whose live lanes all wait at a shuffle */
            int lv = 0, at = 0;
            for (t = w * 32; t < s.n && t < w * 32 + 32; t++) {
                lv += s.th[t].state != 3;
                at += s.th[t].state == 2;
            }
            if (lv && at == lv) {
                for (t = w * 32; t < s.n && t < w * 32 + 32; t++) if (s.th[t].state == 2) s.th[t].state = 0;
                ran = 1;
            }
        }
        if (!ran) hero_emu_fail("%s: deadlock (threads wait at different barriers)", s.name);
    }
}
/* kernel pointer arguments: NULL or device memory */
static void hero_emu_check_args(const char *name, int i) {
    (void)name;
    (void)i;
}
template <class A, class... R> static void hero_emu_check_args(const char *name, int i, A a, R... rest) {
    if constexpr (std::is_pointer<A>::value) {
        if (a && !hero_emu_is_dev((const void *)a)) hero_emu_fail("kernel %s: pointer argument %ld is not device memory", name, (long)i);
    }
    hero_emu_check_args(name, i + 1, rest...);
}
/* HERO_EMU_COVERAGE=FILE: the names of the kernels that ran, appended to FILE at exit */
static std::map<std::string, long> &hero_emu_ran() {
    static std::map<std::string, long> r;
    return r;
}
static void hero_emu_coverage_dump(void) {
    const char *f = getenv("HERO_EMU_COVERAGE");
    FILE *fp = f ? fopen(f, "a") : NULL;
    if (!fp) return;
    for (auto &kv : hero_emu_ran()) fprintf(fp, "%s %ld\n", kv.first.c_str(), kv.second);
    fclose(fp);
}
template <class F, class... A>
static void hero_emu_launch(const char *name, dim3 grid, dim3 block, size_t shmem, F body, A... args) {
    hero_emu_state &s = hero_emu_s();
    unsigned bx, by, bz;
    int n = (int)(block.x * block.y * block.z);
    hero_emu_install();
    if (hero_emu_ran().empty() && getenv("HERO_EMU_COVERAGE")) atexit(hero_emu_coverage_dump);
    hero_emu_ran()[name]++;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || n <= 0 || n > 1024 || grid.y > 65535 || grid.z > 65535) {
        hero_emu_last_error = cudaErrorInvalidValue;
        return;
    }
    if (shmem > 48 * 1024) {
        hero_emu_last_error = cudaErrorInvalidValue;
        return;
    }
    hero_emu_check_args(name, 0, args...);
    s.name = name;
    s.grid = grid;
    s.block = block;
    s.n = n;
    s.th.resize((size_t)n);
    s.lanes.assign((size_t)n, 0.0);
    s.dyn.assign(shmem ? shmem : 1, 0xcd);
    while (s.stacks.size() < (size_t)n) s.stacks.push_back((char *)malloc(HERO_EMU_STACK));
    s.body = body;
    hero_emu_open();
    for (bz = 0; bz < grid.z; bz++)
        for (by = 0; by < grid.y; by++)
            for (bx = 0; bx < grid.x; bx++) {
                s.bid = dim3(bx, by, bz);
                hero_emu_run_block();
            }
    hero_emu_close();
}

/* ---------------- cuBLAS: cublasGemmStridedBatchedEx ---------------- */
typedef struct hero_emu_blas *cublasHandle_t;
typedef enum { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_INVALID_VALUE = 7 } cublasStatus_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 } cublasOperation_t;
typedef enum { CUDA_R_32F = 0, CUDA_R_16BF = 14 } cudaDataType_t;
typedef enum { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_16BF = 75, CUBLAS_COMPUTE_32F_FAST_TF32 = 77 } cublasComputeType_t;
typedef enum { CUBLAS_GEMM_DEFAULT = -1 } cublasGemmAlgo_t;
static inline cublasStatus_t cublasCreate(cublasHandle_t *h) {
    *h = (cublasHandle_t)malloc(1);
    return CUBLAS_STATUS_SUCCESS;
}
static inline cublasStatus_t cublasDestroy(cublasHandle_t h) {
    free(h);
    return CUBLAS_STATUS_SUCCESS;
}
static inline cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
    (void)h;
    (void)s;
    return CUBLAS_STATUS_SUCCESS;
}
/* element i of an operand as the tensor cores see it: round 1 TF32, 2 bf16 (round to nearest even) */
static inline float hero_emu_elem(const void *p, cudaDataType_t t, size_t i, int round) {
    float v = t == CUDA_R_16BF ? hero_emu_bf2f(((const __nv_bfloat16 *)p)[i]) : ((const float *)p)[i];
    return round == 1 ? hero_emu_tf32(v) : round == 2 ? hero_emu_bf2f(__float2bfloat16(v)) : v;
}
/* column-major C[m,n] = alpha op(A)[m,k] op(B)[k,n] + beta C, per batch */
static inline cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                                        int k, const void *alpha, const void *A, cudaDataType_t at, int lda,
                                                        long long sA, const void *B, cudaDataType_t bt, int ldb, long long sB,
                                                        const void *beta, void *C, cudaDataType_t ct, int ldc, long long sC,
                                                        int batch, cublasComputeType_t comp, cublasGemmAlgo_t algo) {
    float al = *(const float *)alpha, be = *(const float *)beta;
    int tf32 = comp == CUBLAS_COMPUTE_32F_FAST_TF32 ? 1 : comp == CUBLAS_COMPUTE_32F_FAST_16BF ? 2 : 0, b, i, j, l;
    (void)h;
    (void)algo;
    if (m < 0 || n < 0 || k < 0 || batch < 0 || ct != CUDA_R_32F || at != bt) return CUBLAS_STATUS_INVALID_VALUE;
    if (lda < (ta == CUBLAS_OP_N ? (m > 1 ? m : 1) : (k > 1 ? k : 1))) hero_emu_fail("cublasGemm: lda %ld too small%s", "", lda);
    if (ldb < (tb == CUBLAS_OP_N ? (k > 1 ? k : 1) : (n > 1 ? n : 1))) hero_emu_fail("cublasGemm: ldb %ld too small%s", "", ldb);
    if (ldc < (m > 1 ? m : 1)) hero_emu_fail("cublasGemm: ldc %ld too small%s", "", ldc);
    if (!m || !n || !batch) return CUBLAS_STATUS_SUCCESS;
    {
        size_t ea = at == CUDA_R_16BF ? 2 : 4;
        size_t spanA = (size_t)(batch - 1) * (size_t)sA + (size_t)((ta == CUBLAS_OP_N ? k : m) - 1) * lda + (ta == CUBLAS_OP_N ? m : k);
        size_t spanB = (size_t)(batch - 1) * (size_t)sB + (size_t)((tb == CUBLAS_OP_N ? n : k) - 1) * ldb + (tb == CUBLAS_OP_N ? k : n);
        size_t spanC = (size_t)(batch - 1) * (size_t)sC + (size_t)(n - 1) * ldc + m;
        if (k > 0) {
            hero_emu_check_dev_range(A, spanA * ea, "cublasGemm A");
            hero_emu_check_dev_range(B, spanB * ea, "cublasGemm B");
        }
        hero_emu_check_dev_range(C, spanC * 4, "cublasGemm C");
    }
    hero_emu_open();
    for (b = 0; b < batch; b++) {
        const char *Ab = (const char *)A + (size_t)b * sA * (at == CUDA_R_16BF ? 2 : 4);
        const char *Bb = (const char *)B + (size_t)b * sB * (bt == CUDA_R_16BF ? 2 : 4);
        float *Cb = (float *)C + (size_t)b * sC;
        for (j = 0; j < n; j++)
            for (i = 0; i < m; i++) {
                float acc = 0.0f;
                for (l = 0; l < k; l++) {
                    float a = hero_emu_elem(Ab, at, ta == CUBLAS_OP_N ? (size_t)l * lda + i : (size_t)i * lda + l, tf32);
                    float bb = hero_emu_elem(Bb, bt, tb == CUBLAS_OP_N ? (size_t)j * ldb + l : (size_t)l * ldb + j, tf32);
                    acc += a * bb;
                }
                Cb[(size_t)j * ldc + i] = be == 0.0f ? al * acc : al * acc + be * Cb[(size_t)j * ldc + i];
            }
    }
    hero_emu_close();
    return CUBLAS_STATUS_SUCCESS;
}

/* ---------------- NCCL (with HERO_MPI): the collectives over MPI, in emulated device memory ---------------- */
#ifdef HERO_MPI
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#include <mpi.h>
typedef enum { ncclSuccess = 0, ncclUnhandledCudaError = 1, ncclSystemError = 2, ncclInternalError = 3, ncclInvalidArgument = 4 } ncclResult_t;
typedef enum { ncclInt32 = 2, ncclFloat = 7 } ncclDataType_t;
typedef enum { ncclSum = 0 } ncclRedOp_t;
typedef struct { char internal[128]; } ncclUniqueId;
struct hero_emu_nccl { MPI_Comm comm; int rank, n; };
typedef struct hero_emu_nccl *ncclComm_t;
static inline const char *ncclGetErrorString(ncclResult_t r) {
    switch (r) {
    case ncclSuccess: return "no error";
    case ncclInvalidArgument: return "invalid argument (emulated NCCL)";
    case ncclSystemError: return "system error (emulated NCCL: an MPI call failed)";
    default: return "internal error (emulated NCCL)";
    }
}
/* a fresh id: rank 0 draws it, the caller sends it to the others (as with real NCCL) */
static inline ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
    static unsigned counter = 0;
    memset(id, 0, sizeof(*id));
    snprintf(id->internal, sizeof(id->internal), "hero_emu_nccl %ld %u", (long)getpid(), ++counter);
    return ncclSuccess;
}
/* the ranks of MPI_COMM_WORLD that pass the same id form the communicator (every process of
   the tests calls it together) */
static inline ncclResult_t ncclCommInitRank(ncclComm_t *c, int nranks, ncclUniqueId id, int rank) {
    unsigned h = 2166136261u;
    int i, n = 0;
    hero_emu_nccl *x = new hero_emu_nccl;
    for (i = 0; i < (int)sizeof(id.internal); i++) h = (h ^ (unsigned char)id.internal[i]) * 16777619u;
    if (MPI_Comm_split(MPI_COMM_WORLD, (int)(h & 0x7fffffff), rank, &x->comm) != MPI_SUCCESS) { delete x; return ncclSystemError; }
    MPI_Comm_size(x->comm, &n);
    if (n != nranks) { MPI_Comm_free(&x->comm); delete x; return ncclInvalidArgument; }
    x->rank = rank; x->n = nranks;
    *c = x;
    return ncclSuccess;
}
static inline ncclResult_t ncclCommDestroy(ncclComm_t c) {
    if (!c) return ncclInvalidArgument;
    MPI_Comm_free(&c->comm);
    delete c;
    return ncclSuccess;
}
static size_t hero_emu_nccl_size(ncclDataType_t t) { return t == ncclFloat || t == ncclInt32 ? 4 : 0; }
static MPI_Datatype hero_emu_nccl_mpi(ncclDataType_t t) { return t == ncclFloat ? MPI_FLOAT : MPI_INT32_T; }
static inline ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count, ncclDataType_t t, ncclRedOp_t op, ncclComm_t c,
                                         cudaStream_t s) {
    int rc;
    (void)s;
    if (!c || !hero_emu_nccl_size(t) || op != ncclSum || count > (size_t)INT32_MAX) return ncclInvalidArgument;
    hero_emu_check_dev_range(send, count * 4, "ncclAllReduce send buffer");
    hero_emu_check_dev_range(recv, count * 4, "ncclAllReduce receive buffer");
    hero_emu_open();
    rc = MPI_Allreduce(send == recv ? MPI_IN_PLACE : send, recv, (int)count, hero_emu_nccl_mpi(t), MPI_SUM, c->comm);
    hero_emu_close();
    return rc == MPI_SUCCESS ? ncclSuccess : ncclSystemError;
}
static inline ncclResult_t ncclAllGather(const void *send, void *recv, size_t count, ncclDataType_t t, ncclComm_t c, cudaStream_t s) {
    int rc;
    (void)s;
    if (!c || !hero_emu_nccl_size(t) || count > (size_t)INT32_MAX) return ncclInvalidArgument;
    hero_emu_check_dev_range(send, count * 4, "ncclAllGather send buffer");
    hero_emu_check_dev_range(recv, count * 4 * (size_t)c->n, "ncclAllGather receive buffer");
    hero_emu_open();
    rc = MPI_Allgather(send, (int)count, hero_emu_nccl_mpi(t), recv, (int)count, hero_emu_nccl_mpi(t), c->comm);
    hero_emu_close();
    return rc == MPI_SUCCESS ? ncclSuccess : ncclSystemError;
}
static inline ncclResult_t ncclBroadcast(const void *send, void *recv, size_t count, ncclDataType_t t, int root, ncclComm_t c,
                                         cudaStream_t s) {
    int rc;
    (void)s;
    if (!c || !hero_emu_nccl_size(t) || count > (size_t)INT32_MAX || root < 0 || root >= c->n) return ncclInvalidArgument;
    hero_emu_check_dev_range(recv, count * 4, "ncclBroadcast buffer");
    hero_emu_open();
    if (c->rank == root && send != recv) memmove(recv, send, count * 4);
    rc = MPI_Bcast(recv, (int)count, hero_emu_nccl_mpi(t), root, c->comm);
    hero_emu_close();
    return rc == MPI_SUCCESS ? ncclSuccess : ncclSystemError;
}
#endif /* HERO_MPI */

#endif /* HERO_CUDA_EMU_H */
