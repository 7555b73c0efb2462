# SPDX-License-Identifier: GPL-2.0-or-later
# The module seam (hook/modules.c) with the real static libkmod 34 and its decoders, in one
# musl program, on trees of the installed kernel's real vfio modules (xz, zstd, gzip).
#
#   make check-modules   -> build/results/modules ("PASSED FAILED")

MODULES_TEST := $(B)/modules/test-modules
CHECK_TARGETS += check-modules
.PHONY: check-modules

$(MODULES_TEST): tests/modules/test-modules.c hook/modules.c hook/modules.h lib/rootfs.h \
		$(LIB_STATIC) $(KMOD_OBJ) | $(KMOD_HDR)
	@mkdir -p $(@D)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) $(KMOD_CFLAGS) -Ihook $(STATIC_LDFLAGS) -o $@ \
		$(filter %.c,$^) $(LIB_STATIC) $(KMOD_OBJ)

check-modules: $(MODULES_TEST) $(KMOD_DEPMOD)
	@scripts/ensure-deps.sh $(GOLDEN_PKGS)
	@mkdir -p $(B)/results
	@$(GOLDEN_ENV) sh tests/modules/run.sh $(MODULES_TEST) $(B)/results/modules
