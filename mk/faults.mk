# SPDX-License-Identifier: GPL-2.0-or-later
# Fault suite of the write side (claim, release, state record, lock, journal): the real binary
# on fake roots, faults injected by the fake kernel, every device's end state asserted.
#
#   make check-faults   tests/faults/run.sh -> build/results/faults ("PASSED FAILED")

FAULTS_PKGS := util-linux procps
DEPS_PKGS += $(FAULTS_PKGS)

check-faults: $(B)/gpu-vfio $(B)/fakekernel
	@scripts/ensure-deps.sh $(FAULTS_PKGS)
	@mkdir -p $(B)/results
	@sh tests/faults/run.sh $(B)/gpu-vfio $(B)/fakekernel $(B)/results/faults

CHECK_TARGETS += check-faults
.PHONY: check-faults
