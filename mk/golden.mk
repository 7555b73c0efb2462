# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests: the real gpu-vfio binary on fake roots, output compared with tests/golden/NN-name/.
#
#   make check-golden                  -> build/results/golden ("PASSED FAILED")
#   make check-golden GOLDEN_UPDATE=1  rewrite the expected files (review the diff!)

GOLDEN_PKGS := diffutils
DEPS_PKGS += $(GOLDEN_PKGS)

check-golden: $(B)/gpu-vfio $(B)/fakekernel
	@mkdir -p $(B)/results
	@GOLDEN_UPDATE=$(GOLDEN_UPDATE) sh tests/golden/run.sh $(B)/gpu-vfio $(B)/fakekernel \
		$(B)/results/golden

CHECK_TARGETS += check-golden
.PHONY: check-golden
