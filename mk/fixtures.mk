# SPDX-License-Identifier: GPL-2.0-or-later
# Test fixtures: fake machine roots (tests/fixtures) and the fake kernel that serves them.

FAKEKERNEL_SRCS := tests/support/fakekernel.c tests/support/fakekernel-main.c
FAKEKERNEL_DEPS := $(FAKEKERNEL_SRCS) tests/support/fakekernel.h

# The fake kernel runs on the build host next to the tests; it is never installed.
$(B)/fakekernel: $(FAKEKERNEL_DEPS)
	@mkdir -p $(B)
	$(HOST_CC) -std=gnu11 $(WARN) -O2 -g -o $@ $(FAKEKERNEL_SRCS)

CHECK_TARGETS += check-fixtures

.PHONY: check-fixtures
check-fixtures: $(B)/fakekernel
	@mkdir -p $(B)/results
	@FAKEKERNEL=$(B)/fakekernel sh tests/fixtures/selftest.sh \
		--results $(B)/results/fixtures >$(B)/fixtures.log 2>&1; rc=$$?; \
	 grep '^not ok' $(B)/fixtures.log || true; tail -n 1 $(B)/fixtures.log; exit $$rc
