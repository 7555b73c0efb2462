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

$(B)/valgrind/gpu-vfio: $(GPU_VFIO_SRCS) $(wildcard lib/*.h hook/*.h)
	@scripts/ensure-deps.sh $(VALGRIND_PKGS)
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -g -O1 $(WARN) -Ilib -Ihook -DVERSION='"$(VERSION)"' \
		-o $@ $(GPU_VFIO_SRCS) -lkmod

$(B)/valgrind/gpu-vfio-vg: $(B)/valgrind/gpu-vfio
	printf '%s\n' '#!/bin/sh' \
		'exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "$$(dirname "$$0")/gpu-vfio" "$$@"' >$@
	chmod 0755 $@

check-valgrind: $(B)/valgrind/gpu-vfio-vg $(B)/fakekernel
	@mkdir -p $(B)/results
	@sh tests/golden/run.sh $(B)/valgrind/gpu-vfio-vg $(B)/fakekernel $(B)/results/valgrind
