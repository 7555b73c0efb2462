# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the gpu-vfio engine: cmocka programs built with the sanitizers on the host compiler.
#
#   make check-unit   build and run every test below -> build/results/unit ("PASSED FAILED")
#
# libkmod is replaced by tests/unit/mock-modules.c (the one seam, hook/modules.h); the claim
# tests drive the fake kernel of tests/support/.

UNIT_PKGS := libcmocka-dev
DEPS_PKGS += $(UNIT_PKGS)

UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -Ilib -Ihook -Igenerator -Itests/support -Itests/unit \
	-DSRCDIR='"$(CURDIR)"'
UNIT_LIBS := -lcmocka
UNIT_ENV := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1

# lib/ comes from $(LIB_UNIT) (mk/lib.mk), built with UNIT_CFLAGS.
UNIT_HELPER_SRCS := tests/unit/helpers.c tests/unit/mock-modules.c
UNIT_ENGINE_SRCS := hook/pci.c hook/plan.c hook/claim.c hook/bind.c hook/deadline.c hook/restore.c \
	hook/state.c hook/json.c hook/log.c \
	hook/journal.c hook/lock.c hook/groupprobe.c hook/variants.c
UNIT_HDRS := $(wildcard lib/*.h hook/*.h generator/*.h) tests/unit/helpers.h \
	tests/support/fakekernel.h

# Explicit lists: other test programs in tests/unit/ belong to other fragments.
UNIT_TESTS := $(B)/unit/test-policy $(B)/unit/test-plan $(B)/unit/test-claim \
	$(B)/unit/test-state $(B)/unit/test-esp $(B)/unit/test-dirlist

$(B)/unit/test-policy: tests/unit/test-policy.c $(UNIT_HELPER_SRCS) $(UNIT_ENGINE_SRCS)
$(B)/unit/test-plan: tests/unit/test-plan.c $(UNIT_HELPER_SRCS) $(UNIT_ENGINE_SRCS)
$(B)/unit/test-claim: tests/unit/test-claim.c $(UNIT_HELPER_SRCS) $(UNIT_ENGINE_SRCS) \
	tests/support/fakekernel.c
$(B)/unit/test-state: tests/unit/test-state.c $(UNIT_HELPER_SRCS) $(UNIT_ENGINE_SRCS)
# The UEFI boot-loader check of `gpu-vfio check`; it files its findings in a findings list.
$(B)/unit/test-esp: tests/unit/test-esp.c hook/esp.c hook/blockdev.c $(UNIT_HELPER_SRCS) \
	$(UNIT_ENGINE_SRCS)

# The one directory listing of lib/.
$(B)/unit/test-dirlist: tests/unit/test-dirlist.c

# Run by check-generator (mk/generator.mk: GEN_UNIT_TESTS), built here like the others.
# test-iommucfg also covers `gpu-vfio check` (hook/cmd-check.c), which shares the analysis,
# and the generator's choice to write its unit (generator/needs-unit.c).
$(B)/unit/test-grubcfg: tests/unit/test-grubcfg.c
$(B)/unit/test-iommucfg: tests/unit/test-iommucfg.c hook/cmd-check.c hook/modfiles.c \
	hook/esp.c hook/blockdev.c hook/isolation.c hook/json.c hook/pci.c hook/plan.c \
	hook/iommufd.c generator/needs-unit.c tests/unit/mock-modules.c

$(UNIT_TESTS) $(GEN_UNIT_TESTS): $(UNIT_HDRS) $(LIB_UNIT)
	@scripts/ensure-deps.sh $(UNIT_PKGS)
	@mkdir -p $(@D)
	$(HOST_CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(LIB_UNIT) $(UNIT_LIBS)

unit-tests: $(UNIT_TESTS) $(GEN_UNIT_TESTS)

# Runs every program even when one fails; counts cmocka's summary lines.
check-unit: $(UNIT_TESTS)
	@mkdir -p $(B)/results $(B)/unit-logs
	@passed=0; failed=0; \
	for t in $(UNIT_TESTS); do \
		log=$(B)/unit-logs/$${t##*/}.log; \
		$(UNIT_ENV) $$t >$$log 2>&1; rc=$$?; \
		cat $$log; \
		p=$$(awk '/^\[  PASSED  \] [0-9]+ test/ { n += $$4 } END { print n + 0 }' $$log); \
		f=$$(awk '/^\[  FAILED  \] [0-9]+ test/ { n += $$4 } END { print n + 0 }' $$log); \
		passed=$$((passed + p)); failed=$$((failed + f)); \
		if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then \
			echo "$$t: exited with status $$rc before cmocka's summary"; \
			failed=$$((failed + 1)); \
		fi; \
	done; \
	echo "$$passed $$failed" >$(B)/results/unit; \
	echo "unit: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

CHECK_TARGETS += check-unit
.PHONY: check-unit unit-tests
