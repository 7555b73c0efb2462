# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests: the real gpu-vfio binary on fake roots, output compared with tests/golden/NN-name/.
#
#   make check-golden                  -> build/results/golden ("PASSED FAILED")
#   make check-golden GOLDEN_UPDATE=1  rewrite the expected files (review the diff!)

# Cases 20-29 take the real vfio modules of the installed kernel (tests/fixtures/realmodules.sh).
GOLDEN_PKGS := diffutils linux-image-amd64 xz-utils zstd gzip binutils
DEPS_PKGS += $(GOLDEN_PKGS)
GOLDEN_ENV = DEPMOD=$(CURDIR)/$(KMOD_DEPMOD)

check-golden: $(B)/gpu-vfio $(B)/fakekernel $(KMOD_DEPMOD)
	@scripts/ensure-deps.sh $(GOLDEN_PKGS)
	@mkdir -p $(B)/results
	@GOLDEN_UPDATE=$(GOLDEN_UPDATE) $(GOLDEN_ENV) sh tests/golden/run.sh $(B)/gpu-vfio \
		$(B)/fakekernel $(B)/results/golden

CHECK_TARGETS += check-golden
.PHONY: check-golden
