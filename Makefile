# hero.h build: `make` builds every program into build/, `make test` runs the suite,
# `make demo` trains a small HERO on built-in toy data, `make test-mpi` checks data-parallel
# training over MPI (2 processes; needs mpicc + mpirun: apt-get install libopenmpi-dev openmpi-bin).
#
#   make HERO_BLAS=0      force the portable GEMM (no OpenBLAS)
#   make CC=clang         any C99 compiler

CC      ?= cc
CXX     ?= g++
CLANG   ?= clang
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g -std=c99 -Wall -Wextra -Wpedantic
LDLIBS  ?= -lm
BUILD   ?= build
HERO_BLAS ?= auto

# ---- OpenBLAS detection: pkg-config, else a link test; otherwise the portable path ----
ifeq ($(HERO_BLAS),0)
  BLAS_CFLAGS :=
  BLAS_LIBS   :=
  BLAS_NOTE   := portable GEMM (HERO_BLAS=0)
else
  BLAS_PC := $(shell pkg-config --exists openblas 2>/dev/null && echo yes)
  ifeq ($(BLAS_PC),yes)
    BLAS_CFLAGS := -DHERO_USE_CBLAS $(shell pkg-config --cflags openblas)
    BLAS_LIBS   := $(shell pkg-config --libs openblas)
    BLAS_NOTE   := OpenBLAS (pkg-config)
  else
    BLAS_LINK := $(shell printf '\043include <cblas.h>\nint main(void){float a=1,b=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.f,&a,1,&b,1,0.f,&c,1);return c!=1.f;}\n' | $(CC) -x c - -o /dev/null -lopenblas 2>/dev/null && echo yes)
    ifeq ($(BLAS_LINK),yes)
      BLAS_CFLAGS := -DHERO_USE_CBLAS
      BLAS_LIBS   := -lopenblas
      BLAS_NOTE   := OpenBLAS (-lopenblas)
    else
      BLAS_CFLAGS :=
      BLAS_LIBS   :=
      BLAS_NOTE   := portable GEMM (OpenBLAS not found: apt-get install libopenblas-dev for speed)
    endif
  endif
endif

ALL_CFLAGS = $(CFLAGS) $(BLAS_CFLAGS)
ALL_LIBS   = $(BLAS_LIBS) $(LDLIBS)

# ---- the LMDB importer (tools/hero_lmdb_import.c): liblmdb + msgpack-c + lz4, found by pkg-config
#      (msgpack-c's .pc is "msgpack" on Debian 12, "msgpack-c" on newer systems), else a link test;
#      without them the importer and its test are skipped, with a one-line note ----
IMPORT_MSGPACK := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || { pkg-config --exists msgpack 2>/dev/null && echo msgpack; })
ifneq ($(and $(IMPORT_MSGPACK),$(shell pkg-config --exists lmdb liblz4 2>/dev/null && echo yes)),)
  IMPORT_CFLAGS := $(shell pkg-config --cflags lmdb liblz4 $(IMPORT_MSGPACK))
  IMPORT_LIBS   := $(shell pkg-config --libs lmdb liblz4 $(IMPORT_MSGPACK))
else
  IMPORT_LINK := $(shell printf '\043include <lmdb.h>\n\043include <lz4frame.h>\n\043include <msgpack.h>\nint main(void){msgpack_sbuffer b;msgpack_sbuffer_init(&b);msgpack_sbuffer_destroy(&b);return (int)LZ4F_getVersion()==0||mdb_version(0,0,0)==0;}\n' | $(CC) -x c - -o /dev/null -llmdb -lmsgpackc -llz4 2>/dev/null && echo yes)
  IMPORT_CFLAGS :=
  IMPORT_LIBS   := $(if $(IMPORT_LINK),-llmdb -lmsgpackc -llz4)
endif
ifneq ($(IMPORT_LIBS),)
  IMPORT_PROGRAMS := $(BUILD)/hero_lmdb_import $(BUILD)/test_lmdb_import
  IMPORT_NOTE :=
else
  IMPORT_PROGRAMS :=
  IMPORT_NOTE := hero_lmdb_import: skipped (needs liblmdb, msgpack-c and lz4: apt-get install liblmdb-dev libmsgpack-dev liblz4-dev)
endif

TOOLS    = $(BUILD)/hero_golden $(BUILD)/hero_tokenize $(BUILD)/hero_inspect $(BUILD)/hero_convert $(BUILD)/train_toy $(BUILD)/retrieve \
           $(BUILD)/finetune_toy $(BUILD)/videoqa
TESTS    = $(BUILD)/test_ops $(BUILD)/test_batch $(BUILD)/test_formats $(BUILD)/test_train $(BUILD)/test_tokenizer_unit \
           $(BUILD)/test_init $(BUILD)/test_media $(BUILD)/hero_golden_poison $(BUILD)/test_eval $(BUILD)/test_threads \
           $(BUILD)/test_bigfile $(BUILD)/test_savefail $(BUILD)/test_lean $(BUILD)/test_index $(BUILD)/test_finetune
PROGRAMS = $(TOOLS) $(TESTS)
HDR = hero.h

.PHONY: all test demo demo-finetune bench bench-lean clean blas-note test-mpi mpi-check

all: blas-note $(PROGRAMS) $(IMPORT_PROGRAMS)

blas-note:
	@echo "hero.h: GEMM backend: $(BLAS_NOTE)"
	$(if $(IMPORT_NOTE),@echo "$(IMPORT_NOTE)")

$(BUILD):
	@mkdir -p $(BUILD)

$(BUILD)/%: examples/%.c $(HDR) examples/example_cli.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ALL_LIBS)

$(BUILD)/%: tests/%.c $(HDR) tests/golden_io.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ALL_LIBS)

# hero_golden's downstream part (tests/golden/tiny-downstream) is a second source file it includes
$(BUILD)/hero_golden $(BUILD)/hero_golden_poison $(CUDA_BUILD)/hero_golden $(CUDA_EMU_BUILD)/hero_golden: tests/golden_downstream.c tests/ds_batch.h
$(BUILD)/test_ops: tests/ds_batch.h

# the LMDB importer and its test (they need IMPORT_LIBS; `make all` leaves them out otherwise)
$(BUILD)/hero_lmdb_import: tools/hero_lmdb_import.c $(HDR) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(IMPORT_CFLAGS) $< -o $@ $(IMPORT_LIBS) $(ALL_LIBS)

$(BUILD)/test_lmdb_import: tests/test_lmdb_import.c $(HDR) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(IMPORT_CFLAGS) $< -o $@ $(IMPORT_LIBS) $(ALL_LIBS)

# hero_golden with the activations that are not zeroed filled with NaN first (HERO_ARENA_POISON):
# every op must write them completely before they are read
$(BUILD)/hero_golden_poison: tests/hero_golden.c $(HDR) tests/golden_io.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) -DHERO_ARENA_POISON $< -o $@ $(ALL_LIBS)

test: all
	@bash tests/run_tests.sh $(BUILD)

# the README's first command: pre-train a small HERO on built-in toy data
demo: blas-note $(BUILD)/train_toy
	$(BUILD)/train_toy

# fine-tune VCMR and video QA on built-in toy data (hero_ft_trainer; about 20 s)
demo-finetune: blas-note $(BUILD)/finetune_toy
	OPENBLAS_NUM_THREADS=1 $(BUILD)/finetune_toy

# hero.h vs the PyTorch reference (bench/run.sh: BENCH_CASES=all adds the 32-video batch)
bench: blas-note $(BUILD)/hero_bench
	bash bench/run.sh $(BUILD)

# lean inference per weight format at the released shapes (bench/lean.sh; random weights)
bench-lean: blas-note $(BUILD)/lean_bench $(BUILD)/hero_convert
	bash bench/lean.sh $(BUILD)

$(BUILD)/lean_bench: bench/lean_bench.c $(HDR) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ALL_LIBS)

$(BUILD)/hero_bench: bench/hero_bench.c $(HDR) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -O3 $< -o $@ $(ALL_LIBS)

clean:
	rm -rf $(BUILD)

# ---- install: hero.h and a pkg-config file (hero.pc) with the BLAS flags this build found ----
#   make install PREFIX=/usr/local [DESTDIR=...]; make uninstall PREFIX=...; make test-install
#   (out-of-tree consumers: pkg-config after make install, CMake add_subdirectory / FetchContent)
PREFIX  ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
HERO_VERSION := $(shell sed -n 's/^\#define HERO_VERSION "\(.*\)"/\1/p' hero.h)

.PHONY: install uninstall test-install

install: blas-note
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 hero.h $(DESTDIR)$(INCLUDEDIR)/hero.h
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' '' 'Name: hero' \
	    'Description: HERO video+language encoder in one C header (define HERO_IMPLEMENTATION in one file)' \
	    'Version: $(HERO_VERSION)' 'Cflags: -I$${includedir} $(strip $(BLAS_CFLAGS))' 'Libs: $(strip $(BLAS_LIBS) -lm)' \
	    > $(DESTDIR)$(PKGCONFIGDIR)/hero.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/hero.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/hero.h $(DESTDIR)$(PKGCONFIGDIR)/hero.pc

test-install:
	@bash tests/test_install.sh

# ---- compile-outs: the header without the tokenizer / the media code / the torch.save readers, each
#   alone and all three, warning-free (-Werror) in C and C++; each program runs (tests/compile_outs.c)
COMPILE_OUTS = HERO_NO_TOKENIZER HERO_NO_MEDIA HERO_NO_TORCH
.PHONY: test-compile-outs
test-compile-outs: | $(BUILD)
	@set -e; for o in NONE $(COMPILE_OUTS) ALL; do \
	    d=$$( [ $$o = ALL ] && echo "$(foreach x,$(COMPILE_OUTS),-D$(x))" || { [ $$o = NONE ] || echo -D$$o; } ); \
	    $(CC) $(CFLAGS) -Werror $(BLAS_CFLAGS) $$d tests/compile_outs.c -o $(BUILD)/compile_out_$$o $(ALL_LIBS); \
	    $(CXX) -x c++ -O0 -Wall -Wextra -Wpedantic -Werror $(BLAS_CFLAGS) $$d -c tests/compile_outs.c -o $(BUILD)/compile_out_$$o.cpp.o; \
	    if command -v $(CLANG) >/dev/null 2>&1; then $(CLANG) -std=c99 -Wall -Wextra -Wpedantic -Werror $(BLAS_CFLAGS) $$d -fsyntax-only tests/compile_outs.c; fi; \
	    echo "== $$o ($$d): C and C++ warning-free (gcc, g++$$(command -v $(CLANG) >/dev/null 2>&1 && echo ', clang')); text $$(size -A $(BUILD)/compile_out_$$o | awk '$$1 == ".text" {print $$2}') bytes"; \
	    $(BUILD)/compile_out_$$o; done
	@if [ -n "$(NVCC)" ] && "$(NVCC)" --version >/dev/null 2>&1; then \
	    "$(NVCC)" -std=c++17 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra $(CUDA_WERROR) -DHERO_CUDA $(foreach x,$(COMPILE_OUTS),-D$(x)) \
	        -x cu -c tests/compile_outs.c -o $(BUILD)/compile_out_cuda_ALL.o && \
	    echo "== ALL + HERO_CUDA: nvcc (CUDA C++) warning-free"; \
	else echo "== ALL + HERO_CUDA: SKIPPED (no nvcc)"; fi

# ---- many machines: HERO_MPI (section 20 of hero.h) ----
#   make test-mpi      build/test_mpi under mpirun with MPI_NP (2) processes on this machine
#   make build/train_toy_mpi   the demo, data-parallel (mpirun -np N build/train_toy_mpi ...)
MPICC   ?= mpicc
MPIRUN  ?= mpirun
MPI_NP  ?= 2
MPI_RUN_FLAGS ?= --oversubscribe
# CI runs as root, which OpenMPI refuses unless told otherwise; containers often forbid the
# cross-process memory copy (CMA) of OpenMPI's shared-memory transport
MPI_ENV ?= OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none

mpi-check:
	@command -v $(MPICC) >/dev/null 2>&1 && command -v $(MPIRUN) >/dev/null 2>&1 || { \
	    echo "make test-mpi: needs $(MPICC) and $(MPIRUN) (OpenMPI): apt-get install libopenmpi-dev openmpi-bin"; exit 1; }

$(BUILD)/test_mpi: tests/test_mpi.c $(HDR) | mpi-check $(BUILD)
	$(MPICC) $(ALL_CFLAGS) $< -o $@ $(ALL_LIBS)

$(BUILD)/train_toy_mpi: examples/train_toy.c $(HDR) | mpi-check $(BUILD)
	$(MPICC) $(ALL_CFLAGS) -DHERO_MPI $< -o $@ $(ALL_LIBS)

test-mpi: mpi-check blas-note $(BUILD)/test_mpi
	@flags=$$($(MPICC) --showme:compile 2>/dev/null); \
	if [ -n "$$flags" ] && command -v $(CXX) >/dev/null 2>&1; then \
	    $(CXX) -x c++ -fsyntax-only -Wall -Wextra -Wpedantic -Werror $(BLAS_CFLAGS) $$flags tests/test_mpi.c || exit 1; \
	    echo "hero.h with HERO_MPI: warning-free as C++ ($(CXX))"; fi
	$(MPI_ENV) OPENBLAS_NUM_THREADS=1 timeout 900 $(MPIRUN) -np $(MPI_NP) $(MPI_RUN_FLAGS) $(BUILD)/test_mpi

# ---- CUDA (HERO_CUDA): `make cuda` builds into build-cuda/ with nvcc (CUDA C++) --------------------
#   build-cuda/libhero_cuda.a (hero.o: the implementation with HERO_CUDA; link with -lcublas -lcudart),
#   build-cuda/hero_golden and every example (each its own HERO_CUDA translation unit). No GPU is
#   needed to build; the programs need one to run (they say so otherwise). Warnings are errors.
#   make cuda NVCC=/path/to/nvcc CUDA_ARCH="-gencode ..."   (default: sm_90 code + compute_90 PTX)
NVCC      ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
CUDA_BUILD ?= build-cuda
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CUDA_WERROR ?= -Werror all-warnings -Xcompiler -Werror
NVCCFLAGS ?= -O3 -std=c++17 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra $(CUDA_WERROR)
CUDA_LIBS ?= -lcublas -lm
CUDA_EXAMPLES = $(patsubst examples/%.c,$(CUDA_BUILD)/%,$(wildcard examples/*.c)) $(CUDA_BUILD)/hero_golden

.PHONY: cuda cuda-check

cuda: cuda-check $(CUDA_BUILD)/libhero_cuda.a $(CUDA_EXAMPLES)

cuda-check:
	@if [ -z "$(NVCC)" ] || ! "$(NVCC)" --version >/dev/null 2>&1; then \
	    echo "make cuda: nvcc not found: install the CUDA toolkit (PATH or /usr/local/cuda/bin) or pass NVCC=/path/to/nvcc" >&2; exit 1; fi
	@echo "hero.h: CUDA build with $(NVCC) ($$("$(NVCC)" --version | tail -n 1)), $(CUDA_ARCH)"

$(CUDA_BUILD):
	@mkdir -p $(CUDA_BUILD)

$(CUDA_BUILD)/hero.o: $(HDR) | $(CUDA_BUILD)
	printf '#define HERO_IMPLEMENTATION\n#include "../hero.h"\n' > $(CUDA_BUILD)/hero_cuda.cu
	$(NVCC) $(NVCCFLAGS) -DHERO_CUDA -c $(CUDA_BUILD)/hero_cuda.cu -o $@

$(CUDA_BUILD)/libhero_cuda.a: $(CUDA_BUILD)/hero.o
	rm -f $@ && ar rcs $@ $<

$(CUDA_BUILD)/%: examples/%.c $(HDR) examples/example_cli.h | $(CUDA_BUILD)
	$(NVCC) $(NVCCFLAGS) -DHERO_CUDA -x cu $< -o $@ $(CUDA_LIBS)

$(CUDA_BUILD)/hero_golden: tests/hero_golden.c $(HDR) tests/golden_io.h | $(CUDA_BUILD)
	$(NVCC) $(NVCCFLAGS) -DHERO_CUDA -x cu $< -o $@ $(CUDA_LIBS)

$(CUDA_BUILD)/hero_bench: bench/hero_bench.c $(HDR) | $(CUDA_BUILD)
	$(NVCC) $(NVCCFLAGS) -DHERO_CUDA -x cu $< -o $@ $(CUDA_LIBS)

# ---- the CUDA code path on the CPU: `make test-cuda-emu` (no GPU, no nvcc needed) ----------------
#   tests/cuda_emu.h emulates the CUDA runtime and cuBLAS; programs built with it run every kernel
#   and cuBLAS call of hero.h's HERO_CUDA section (tests/run_cuda_emu.sh: golden parity in fp32 /
#   tf32 / bf16, training, retrieval, the no-GPU error), device memory guarded from the host.
CUDA_EMU_BUILD ?= build-cuda-emu
CUDA_EMU_FLAGS ?= -std=c++17 -O2 -g -Wall -Wextra -x c++ -DHERO_CUDA -DHERO_CUDA_EMU -include tests/cuda_emu.h
CUDA_EMU_PROGRAMS = $(CUDA_EMU_BUILD)/hero_golden $(CUDA_EMU_BUILD)/test_train $(CUDA_EMU_BUILD)/retrieve $(CUDA_EMU_BUILD)/test_media \
                    $(CUDA_EMU_BUILD)/test_index $(CUDA_EMU_BUILD)/hero_convert

.PHONY: test-cuda-emu

$(CUDA_EMU_BUILD):
	@mkdir -p $(CUDA_EMU_BUILD)

$(CUDA_EMU_BUILD)/%: examples/%.c $(HDR) examples/example_cli.h tests/cuda_emu.h | $(CUDA_EMU_BUILD)
	$(CXX) $(CUDA_EMU_FLAGS) $< -o $@ -lm

$(CUDA_EMU_BUILD)/%: tests/%.c $(HDR) tests/cuda_emu.h tests/golden_io.h | $(CUDA_EMU_BUILD)
	$(CXX) $(CUDA_EMU_FLAGS) $< -o $@ -lm

$(CUDA_EMU_BUILD)/hero_bench: bench/hero_bench.c $(HDR) tests/cuda_emu.h | $(CUDA_EMU_BUILD)
	$(CXX) $(CUDA_EMU_FLAGS) $< -o $@ -lm

# the same golden programs at the real launch sizes (256 threads a block, grids up to 1 << 20)
$(CUDA_EMU_BUILD)-real/hero_golden: tests/hero_golden.c $(HDR) tests/cuda_emu.h tests/golden_io.h tests/golden_downstream.c tests/ds_batch.h
	@mkdir -p $(@D)
	$(CXX) $(CUDA_EMU_FLAGS) -DHERO__CU_T=256 -DHERO_CUDA_MAX_GRID=1048576u $< -o $@ -lm

test-cuda-emu: $(CUDA_EMU_PROGRAMS) $(CUDA_EMU_BUILD)-real/hero_golden $(BUILD)/retrieve
	@bash tests/run_cuda_emu.sh $(CUDA_EMU_BUILD) $(BUILD)

# ---- MPI with CUDA: the collectives of GPU memory through NCCL (hero.h section 20) ---------------
#   make cuda-mpi            build-cuda/train_toy_mpi: HERO_MPI + HERO_CUDA with nvcc, OpenMPI and NCCL
#                            (nccl.h + libnccl: the CUDA toolkit's, or NVIDIA's libnccl-dev); build only
#   make test-mpi-cuda-emu   build-cuda-emu/test_mpi under mpirun with MPI_NP processes: test_mpi on
#                            GPU models, the CUDA runtime emulated on the CPU and NCCL done over MPI
#                            (tests/cuda_emu.h), every device buffer checked
MPICXX    ?= mpicxx
NCCL_LIBS ?= -lnccl
# OpenMPI's wrapper flags, with what nvcc does not take itself handed to the host compiler
MPI_NVCC_FLAGS = $(foreach f,$(shell $(MPICC) --showme:compile 2>/dev/null),$(if $(filter -I% -D%,$(f)),$(f),-Xcompiler $(f)))
MPI_NVCC_LIBS  = $(foreach f,$(shell $(MPICC) --showme:link 2>/dev/null),$(if $(filter -L% -l%,$(f)),$(f),-Xcompiler $(f)))

.PHONY: cuda-mpi nccl-check test-mpi-cuda-emu

nccl-check: cuda-check mpi-check | $(CUDA_BUILD)
	@printf '#include <nccl.h>\n' > $(CUDA_BUILD)/nccl_probe.cu; \
	if ! "$(NVCC)" -E $(CUDA_BUILD)/nccl_probe.cu -o /dev/null 2>/dev/null; then \
	    echo "make cuda-mpi: nccl.h not found: install NCCL (NVIDIA's libnccl-dev, or the CUDA toolkit's) or pass NVCCFLAGS with -I" >&2; exit 1; fi
	@if [ -z "$$($(MPICC) --showme:compile 2>/dev/null)" ]; then \
	    echo "make cuda-mpi: '$(MPICC) --showme:compile' gave nothing (OpenMPI's wrapper expected)" >&2; exit 1; fi

cuda-mpi: nccl-check $(CUDA_BUILD)/train_toy_mpi

$(CUDA_BUILD)/train_toy_mpi: examples/train_toy.c $(HDR) | nccl-check $(CUDA_BUILD)
	$(NVCC) $(NVCCFLAGS) -DHERO_CUDA -DHERO_MPI $(MPI_NVCC_FLAGS) -x cu $< -o $@ $(CUDA_LIBS) $(NCCL_LIBS) $(MPI_NVCC_LIBS)

$(CUDA_EMU_BUILD)/test_mpi: tests/test_mpi.c $(HDR) tests/cuda_emu.h | mpi-check $(CUDA_EMU_BUILD)
	$(MPICXX) $(CUDA_EMU_FLAGS) -DHERO_MPI $< -o $@ -lm

test-mpi-cuda-emu: mpi-check $(CUDA_EMU_BUILD)/test_mpi
	@mkdir -p build
	$(MPI_ENV) timeout 1800 $(MPIRUN) -np $(MPI_NP) $(MPI_RUN_FLAGS) $(CUDA_EMU_BUILD)/test_mpi

# ---- hostile inputs (tests/fuzz, tests/test_crash.c): fuzzing, sanitizers, valgrind, crash safety ----
#   make fuzz          builds every libFuzzer target into build-fuzz/, replays the regression inputs,
#                      then fuzzes each target for FUZZ_SECONDS (needs clang + libclang-rt-dev)
#   make fuzz-replay   only the regression inputs and seed corpora, through the plain replay programs
#   make asan          tools + tests with ASan/UBSan into build-asan/, then the test suite there
#   make valgrind      build/hero_golden on the golden tiny model under valgrind (leaks are errors)
#   make test-crash    a checkpoint writer SIGKILLed at random moments: the file always loads
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_RUNS    ?=
FUZZ_BUILD   ?= build-fuzz
FUZZ_TARGETS  = zip torchzip legacy safetensors json npy npz vocab merges tokenize srt jsonl ann index items
FUZZ_SAN      = -g -O1 -std=c99 -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_HDR      = $(HDR) $(wildcard tests/fuzz/*.h)
ASAN_BUILD   ?= build-asan
ASAN_CFLAGS  ?= -O1 -g -std=c99 -Wall -Wextra -Wpedantic -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: fuzz fuzz-build fuzz-replay asan valgrind test-crash

$(FUZZ_BUILD):
	@mkdir -p $(FUZZ_BUILD)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) tests/fuzz/coverage_ignore.txt | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer,address,undefined -fsanitize-coverage-ignorelist=tests/fuzz/coverage_ignore.txt $< -o $@ -lm

$(FUZZ_BUILD)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=address,undefined $< tests/fuzz/replay.c -o $@ -lm

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/fuzz_$(t))

fuzz-replay: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/replay_$(t))
	@bash tests/fuzz/run_fuzz.sh --replay-only $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) bash tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

asan:
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC="$(CC)" CFLAGS="$(ASAN_CFLAGS)" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 TEST_OPS_STRIDE=12 HERO_TEST_SET=sanitize \
	    bash tests/run_tests.sh $(ASAN_BUILD)

# one OpenBLAS thread: its worker threads only slow valgrind down (the parity checks are the same)
valgrind: $(BUILD)/hero_golden
	OPENBLAS_NUM_THREADS=1 valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
	    $(BUILD)/hero_golden tests/golden/tiny

test-crash: $(BUILD)/test_crash
	$(BUILD)/test_crash

# ---- static analysis: `make analyze-lib` and `make analyze` (clang --analyze) --------------------
#   make analyze-lib: the library itself, every function of hero.h analysed as an entry point
#   (one translation unit, HERO_IMPLEMENTATION + hero.h, -analyzer-opt-analyze-headers), in each
#   configuration that changes code paths: OpenBLAS (when found), the portable GEMM, HERO_NO_TOKENIZER
#   + HERO_NO_MEDIA + HERO_NO_TORCH, and HERO_MPI (when mpicc is there). One report each in
#   build-analyze/lib_*.txt; warnings located in system headers (clang's own intrinsics headers)
#   are left out; fails on any other warning or a compile error. CI (.ci/hostile.sh).
#   make analyze: analyze-lib, then hero.h through every program: every example, test, bench and
#   fuzz program (the analyzer follows hero.h from each program's calls), hero_golden once more with
#   the portable GEMM (no HERO_USE_CBLAS) and test_mpi with HERO_MPI when mpicc is there; one report
#   per program in build-analyze/, then the distinct warnings. Fails on any warning. Not in CI.
ANALYZE_CC    ?= clang
ANALYZE_BUILD ?= build-analyze
ANALYZE_FLAGS ?= --analyze --analyzer-output text -fno-caret-diagnostics -std=c99 -Wno-unused-command-line-argument
ANALYZE_SRCS   = $(wildcard examples/*.c) $(filter-out tests/test_mpi.c,$(wildcard tests/*.c)) \
                 bench/hero_bench.c $(wildcard tests/fuzz/fuzz_*.c)
ANALYZE_MPI    = $(shell $(MPICC) --showme:compile 2>/dev/null)
ANALYZE_OUT    = $(patsubst %.c,$(ANALYZE_BUILD)/%.txt,$(subst /,_,$(ANALYZE_SRCS))) \
                 $(ANALYZE_BUILD)/hero_golden_portable.txt $(if $(ANALYZE_MPI),$(ANALYZE_BUILD)/test_mpi.txt)

.PHONY: analyze analyze-lib analyze-check

analyze-check:
	@command -v $(ANALYZE_CC) >/dev/null 2>&1 || { echo "make analyze: needs $(ANALYZE_CC) (apt-get install clang)" >&2; exit 1; }

$(ANALYZE_BUILD):
	@mkdir -p $(ANALYZE_BUILD)

# each report ends with clang's exit status ("exit 0"): a program that does not compile fails too
$(ANALYZE_BUILD)/%.txt: $(HDR) $(ANALYZE_SRCS) $(wildcard tests/*.h tests/fuzz/*.h) | analyze-check $(ANALYZE_BUILD)
	@src=$$(echo $* | sed 's|^examples_|examples/|; s|^tests_fuzz_|tests/fuzz/|; s|^tests_|tests/|; s|^bench_|bench/|').c; \
	echo "clang --analyze $$src"; \
	$(ANALYZE_CC) $(ANALYZE_FLAGS) $(BLAS_CFLAGS) $$src -o /dev/null > $@.tmp 2>&1; echo "exit $$?" >> $@.tmp; mv $@.tmp $@

$(ANALYZE_BUILD)/hero_golden_portable.txt: tests/hero_golden.c $(HDR) tests/golden_io.h | analyze-check $(ANALYZE_BUILD)
	@echo "clang --analyze $< (portable GEMM)"
	@$(ANALYZE_CC) $(ANALYZE_FLAGS) $< -o /dev/null > $@.tmp 2>&1; echo "exit $$?" >> $@.tmp; mv $@.tmp $@

$(ANALYZE_BUILD)/test_mpi.txt: tests/test_mpi.c $(HDR) | analyze-check $(ANALYZE_BUILD)
	@echo "clang --analyze $< (HERO_MPI)"
	@$(ANALYZE_CC) $(ANALYZE_FLAGS) $(BLAS_CFLAGS) $(ANALYZE_MPI) $< -o /dev/null > $@.tmp 2>&1; echo "exit $$?" >> $@.tmp; mv $@.tmp $@

ANALYZE_LIB_CONFIGS = $(if $(BLAS_CFLAGS),cblas) portable lean $(if $(ANALYZE_MPI),mpi)
ANALYZE_LIB_OUT     = $(patsubst %,$(ANALYZE_BUILD)/lib_%.txt,$(ANALYZE_LIB_CONFIGS))
ANALYZE_LIB_cblas    = $(BLAS_CFLAGS)
ANALYZE_LIB_portable =
ANALYZE_LIB_lean     = -DHERO_NO_TOKENIZER -DHERO_NO_MEDIA -DHERO_NO_TORCH
ANALYZE_LIB_mpi      = $(BLAS_CFLAGS) $(ANALYZE_MPI) -DHERO_MPI

$(ANALYZE_BUILD)/hero_lib.c: | $(ANALYZE_BUILD)
	@printf '#define HERO_IMPLEMENTATION\n#include "hero.h"\n' > $@

# as the per-program reports: each ends with clang's exit status
$(ANALYZE_BUILD)/lib_%.txt: $(HDR) $(ANALYZE_BUILD)/hero_lib.c | analyze-check $(ANALYZE_BUILD)
	@echo "clang --analyze hero.h ($*: $(or $(strip $(ANALYZE_LIB_$*)),no defines))"
	@$(ANALYZE_CC) $(ANALYZE_FLAGS) -Xclang -analyzer-opt-analyze-headers -I. $(ANALYZE_LIB_$*) $(ANALYZE_BUILD)/hero_lib.c \
	    -o /dev/null > $@.tmp 2>&1; echo "exit $$?" >> $@.tmp; mv $@.tmp $@

# a warning counts unless its location is an absolute path (a system header: clang's cetintrin.h
# has two); any error counts
analyze-lib: $(ANALYZE_LIB_OUT)
	@bad=0; for f in $(ANALYZE_LIB_OUT); do [ "$$(tail -n 1 $$f)" = "exit 0" ] || { echo "$$f: clang failed: $$(grep -m1 error $$f)" >&2; bad=$$((bad + 1)); }; done; \
	n=$$(cat $(ANALYZE_LIB_OUT) | grep -E '^[^/][^:]*:[0-9]+:[0-9]+: warning:|: (error|fatal error):' | sort -u | tee /dev/stderr | wc -l); \
	echo "make analyze-lib: $(words $(ANALYZE_LIB_OUT)) configurations ($(ANALYZE_LIB_CONFIGS)), $$n distinct warnings in hero.h, $$bad failed to compile"; \
	[ "$$n" -eq 0 ] && [ "$$bad" -eq 0 ]

analyze: analyze-lib $(ANALYZE_OUT)
	@bad=0; for f in $(ANALYZE_OUT); do [ "$$(tail -n 1 $$f)" = "exit 0" ] || { echo "$$f: clang failed: $$(grep -m1 error $$f)" >&2; bad=$$((bad + 1)); }; done; \
	n=$$(cat $(ANALYZE_OUT) | grep -E ': (warning|error|fatal error):' | sort -u | tee /dev/stderr | wc -l); \
	echo "make analyze: $(words $(ANALYZE_OUT)) programs, $$n distinct warnings, $$bad failed to compile"; [ "$$n" -eq 0 ] && [ "$$bad" -eq 0 ]

# ---- other CPUs: `make test-cross` (aarch64 + 32-bit armhf, Debian's cross compilers + qemu-user) ----
#   apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user
#   Per architecture into build-cross/<arch>/ (warnings are errors): hero_golden (static, portable
#   GEMM) on tests/golden/tiny with both checkpoints, the file-format tests and every fuzz target's
#   regression inputs + seed corpus (sanitized: ASan + UBSan on aarch64, UBSan on armhf, where
#   ASan's 32-bit shadow layout does not fit qemu-arm's address space), and the > 2 GiB file test.
CROSS_BUILD ?= build-cross
CROSS_ARCHS ?= aarch64 armhf
CROSS_CC_aarch64 ?= aarch64-linux-gnu-gcc
CROSS_CC_armhf   ?= arm-linux-gnueabihf-gcc
CROSS_WARN  = -std=c99 -Wall -Wextra -Wpedantic -Werror
CROSS_SAN   = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
CROSS_SAN_aarch64 = -fsanitize=address,undefined
CROSS_SAN_armhf   = -fsanitize=undefined
CROSS_PROGS = hero_golden test_formats test_bigfile
# the architectures whose fuzz replays run (CI: armhf only, the 32-bit one where sizes overflow
# first; each replay program is a full build of hero.h)
CROSS_REPLAY ?= $(CROSS_ARCHS)

define HERO_CROSS_RULES
$(CROSS_BUILD)/$(1)/hero_golden: tests/hero_golden.c $(HDR) tests/golden_io.h
	@mkdir -p $$(@D)
	$(CROSS_CC_$(1)) $(CROSS_WARN) -O2 -static $$< -o $$@ -lm
$(CROSS_BUILD)/$(1)/test_bigfile: tests/test_bigfile.c $(HDR)
	@mkdir -p $$(@D)
	$(CROSS_CC_$(1)) $(CROSS_WARN) -O1 -static $$< -o $$@ -lm
$(CROSS_BUILD)/$(1)/test_formats: tests/test_formats.c $(HDR)
	@mkdir -p $$(@D)
	$(CROSS_CC_$(1)) $(CROSS_WARN) $(CROSS_SAN) $(CROSS_SAN_$(1)) $$< -o $$@ -lm
$(CROSS_BUILD)/$(1)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR)
	@mkdir -p $$(@D)
	$(CROSS_CC_$(1)) $(CROSS_WARN) $(CROSS_SAN) $(CROSS_SAN_$(1)) $$< tests/fuzz/replay.c -o $$@ -lm
endef
$(foreach a,$(CROSS_ARCHS),$(eval $(call HERO_CROSS_RULES,$(a))))

.PHONY: test-cross cross-check
cross-check:
	@for a in $(CROSS_ARCHS); do case $$a in aarch64) c=$(CROSS_CC_aarch64) q=qemu-aarch64;; armhf) c=$(CROSS_CC_armhf) q=qemu-arm;; esac; \
	    command -v $$c >/dev/null 2>&1 && command -v $$q >/dev/null 2>&1 || { echo "make test-cross: needs $$c and $$q: apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user" >&2; exit 1; }; done

test-cross: cross-check $(foreach a,$(CROSS_ARCHS),$(addprefix $(CROSS_BUILD)/$(a)/,$(CROSS_PROGS))) \
            $(foreach a,$(filter $(CROSS_REPLAY),$(CROSS_ARCHS)),$(foreach t,$(FUZZ_TARGETS),$(CROSS_BUILD)/$(a)/replay_$(t)))
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" CROSS_REPLAY="$(CROSS_REPLAY)" bash tests/run_cross.sh $(CROSS_BUILD) $(CROSS_ARCHS)

# ---- Windows: `make test-windows` (mingw-w64 cross build, run under wine64) ----
#   apt-get install mingw-w64 wine64
#   Static .exe files into build-win/ (warnings are errors: mingw's printf is the C99 one, hero.h
#   asks for it): hero_golden on tests/golden/tiny with both checkpoints, the file-format tests,
#   every fuzz target's regression inputs + seed corpus, and the > 2 GiB file test, under wine64.
WIN_BUILD ?= build-win
WIN_CC    ?= x86_64-w64-mingw32-gcc
WIN_PROGS  = hero_golden test_formats test_bigfile $(foreach t,$(FUZZ_TARGETS),replay_$(t))

$(WIN_BUILD)/hero_golden.exe: tests/hero_golden.c $(HDR) tests/golden_io.h
	@mkdir -p $(@D)
	$(WIN_CC) $(CROSS_WARN) -O2 -static $< -o $@ -lm
$(WIN_BUILD)/test_%.exe: tests/test_%.c $(HDR)
	@mkdir -p $(@D)
	$(WIN_CC) $(CROSS_WARN) -O1 -g -static $< -o $@ -lm
$(WIN_BUILD)/replay_%.exe: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR)
	@mkdir -p $(@D)
	$(WIN_CC) $(CROSS_WARN) -O1 -g -static $< tests/fuzz/replay.c -o $@ -lm

.PHONY: test-windows win-check
win-check:
	@command -v $(WIN_CC) >/dev/null 2>&1 && { command -v wine64 >/dev/null 2>&1 || test -x /usr/lib/wine/wine64; } || { \
	    echo "make test-windows: needs $(WIN_CC) and wine64: apt-get install mingw-w64 wine64" >&2; exit 1; }

test-windows: win-check $(foreach p,$(WIN_PROGS),$(WIN_BUILD)/$(p).exe)
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/run_cross.sh $(WIN_BUILD) windows

# ---- allocation failures: `make test-oom` (tests/test_oom.c) ----
#   Every HERO_MALLOC / HERO_REALLOC of a scenario fails in turn (the k-th, for every k it reaches):
#   loading each checkpoint format, the tokenizer, subtitles + features + alignment, one update of
#   every task, save + resume, retrieval over a small folder, the retrieval index (add, search,
#   save). Built with ASan + UBSan + LeakSanitizer (clang, or CC=gcc OOM_CC=gcc); OOM_STRIDE=S
#   tests every S-th k (plus each site's first and last).
OOM_BUILD ?= build-oom
OOM_CC    ?= $(FUZZ_CC)

$(OOM_BUILD)/test_oom: tests/test_oom.c $(HDR)
	@mkdir -p $(@D)
	$(OOM_CC) -O1 -g -std=c99 -Wall -Wextra -Wpedantic -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all $< -o $@ -lm
$(OOM_BUILD)/test_media: tests/test_media.c $(HDR)
	@mkdir -p $(@D)
	$(CC) -O1 -std=c99 -Wall -Wextra -Wpedantic $< -o $@ -lm

.PHONY: test-oom
test-oom: $(OOM_BUILD)/test_oom $(OOM_BUILD)/test_media
	@bash tests/run_oom.sh $(OOM_BUILD)

# ---- long runs: `make soak` (tests/soak.sh) ----
#   train_toy for SOAK_STEPS updates (20000) in one process (resident memory sampled: first / last /
#   max), then the same run saved, SIGKILLed and resumed every SOAK_EVERY (1000) updates: the final
#   state and loss log must equal the uninterrupted run's byte for byte. `make soak-short`: 300
#   updates, every 100 (CI).
SOAK_STEPS ?= 20000
SOAK_EVERY ?= 1000
.PHONY: soak soak-short
soak: $(BUILD)/train_toy
	SOAK_STEPS=$(SOAK_STEPS) SOAK_EVERY=$(SOAK_EVERY) bash tests/soak.sh $(BUILD)
soak-short: $(BUILD)/train_toy
	SOAK_STEPS=300 SOAK_EVERY=100 bash tests/soak.sh $(BUILD)
