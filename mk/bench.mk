# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: gpu-vfio plan on a 4096-function machine against the syscall floor and the shell loop.
#
#   make bench    build the synthetic machine once (build/bench/root), then print the table
#                 (BENCH_ROUNDS=15, BENCH_GEN_RUNS=200; see bench/run.sh). Not part of check.

BENCH_PKGS := musl-tools valgrind time dash binutils
BENCH_GPUS ?= 512
BENCH_DEVICES ?= 4096

BENCH_DIR := $(B)/bench
BENCH_ROOT := $(BENCH_DIR)/root

$(BENCH_DIR)/floor: bench/floor.c
	@scripts/ensure-deps.sh musl-tools
	@mkdir -p $(@D)
	$(MUSL_CC) -static-pie -Os -std=gnu11 $(WARN) -o $@ $<

$(BENCH_DIR)/runtime: bench/runtime.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -O2 $(WARN) -o $@ $<

$(BENCH_DIR)/bench.machine: bench/mkmachine.sh
	@mkdir -p $(@D)
	sh bench/mkmachine.sh $(BENCH_GPUS) $(BENCH_DEVICES) >$@.tmp
	@mv $@.tmp $@

# mkroot.sh takes about a minute for 4096 functions: build once, then reuse.
$(BENCH_ROOT)/.fake/machine: $(BENCH_DIR)/bench.machine tests/fixtures/mkroot.sh
	rm -rf $(BENCH_ROOT) $(BENCH_ROOT).tmp
	sh tests/fixtures/mkroot.sh $< $(BENCH_ROOT).tmp
	mv $(BENCH_ROOT).tmp $(BENCH_ROOT)

# gpu-vfio linked with libkmod without each decoder (and without any): what each adds.
BENCH_KMOD_VARIANTS := $(filter-out all,$(KMOD_VARIANTS))
$(foreach v,$(BENCH_KMOD_VARIANTS),$(BENCH_DIR)/gpu-vfio-$(v)): \
$(BENCH_DIR)/gpu-vfio-%: $(B)/gpu-vfio.unstripped $(KMOD_DIR)/libkmod-%.o
	@mkdir -p $(@D)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) -o $@ $(GPU_VFIO_OBJS) $(LIB_STATIC) \
		$(KMOD_DIR)/libkmod-$*.o $(STATIC_LDFLAGS)

bench: $(B)/gpu-vfio $(foreach v,$(BENCH_KMOD_VARIANTS),$(BENCH_DIR)/gpu-vfio-$(v)) \
	$(BENCH_DIR)/floor $(BENCH_DIR)/runtime $(BENCH_ROOT)/.fake/machine
	@scripts/ensure-deps.sh $(BENCH_PKGS)
	@$(MAKE) --no-print-directory $(B)/gpu-vfio-generator >/dev/null 2>&1 || \
		echo "bench: gpu-vfio-generator does not build; its figures are skipped"
	@sh bench/run.sh $(B) $(BENCH_ROOT)
