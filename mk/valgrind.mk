# SPDX-License-Identifier: GPL-2.0-or-later
# The golden tests again, with gpu-vfio under valgrind's memcheck: no invalid access, no use
# of uninitialised memory, no definite leak. The static musl binary hides its heap from
# valgrind, so this variant is the same sources built with glibc and Debian's libkmod.
#
#   make check-valgrind   -> build/results/valgrind

VALGRIND_PKGS := valgrind libkmod-dev
DEPS_PKGS += $(VALGRIND_PKGS)
CHECK_TARGETS += check-valgrind

.PHONY: check-valgrind

# The decompressors of the system's libkmod (Debian 12's kmod 30: +ZSTD +XZ -ZLIB), as
# `kmod --version` lists them, for hook/modules.c.
VALGRIND_KMOD_DEFS = $(shell kmod --version 2>/dev/null | tr ' ' '\n' | sed -n \
	-e 's/^+XZ$$/-DMODULES_DECOMPRESS_XZ=1/p' -e 's/^+ZSTD$$/-DMODULES_DECOMPRESS_ZSTD=1/p' \
	-e 's/^+ZLIB$$/-DMODULES_DECOMPRESS_GZIP=1/p')

$(B)/valgrind/gpu-vfio: $(GPU_VFIO_SRCS) $(LIB_VALGRIND) $(wildcard lib/*.h hook/*.h)
	@scripts/ensure-deps.sh $(VALGRIND_PKGS)
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -g -O1 $(WARN) -Ilib -Ihook -DVERSION='"$(VERSION)"' \
		$(VALGRIND_KMOD_DEFS) -o $@ $(GPU_VFIO_SRCS) $(LIB_VALGRIND) -lkmod

$(B)/valgrind/gpu-vfio-vg: $(B)/valgrind/gpu-vfio
	printf '%s\n' '#!/bin/sh' \
		'exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "$$(dirname "$$0")/gpu-vfio" "$$@"' >$@
	chmod 0755 $@

# Every golden case but those whose modules the system's libkmod cannot decompress (its
# gzip case: Debian 12's kmod 30 has no zlib), which would print another check.
VALGRIND_CASES = $(filter-out $(if $(filter -DMODULES_DECOMPRESS_GZIP=1,$(VALGRIND_KMOD_DEFS)),,\
	tests/golden/23-modules-gzip/),$(sort $(wildcard tests/golden/[0-9]*/)))

check-valgrind: $(B)/valgrind/gpu-vfio-vg $(B)/fakekernel $(KMOD_DEPMOD)
	@scripts/ensure-deps.sh $(GOLDEN_PKGS)
	@mkdir -p $(B)/results
	@$(GOLDEN_ENV) sh tests/golden/run.sh $(B)/valgrind/gpu-vfio-vg $(B)/fakekernel \
		$(B)/results/valgrind $(VALGRIND_CASES)
