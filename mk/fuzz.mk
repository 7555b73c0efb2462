# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer harnesses of the parsers and the PCI scan (tests/fuzz/), built with clang.
#
#   make fuzz [FUZZ_SECONDS=60]   fuzz each harness for FUZZ_SECONDS (new inputs and crashes
#                                 go to build/fuzz/, never into the tree)
#   make check-fuzz               replay tests/fuzz/corpus/H and tests/fuzz/regressions/H
#                                 through each harness H, no new fuzzing -> build/results/fuzz
# A crash found by `make fuzz` is minimised into build/fuzz/artifacts/H/; copy it into
# tests/fuzz/regressions/H/ so that check-fuzz replays it from then on.

FUZZ_PKGS := clang libclang-rt-14-dev
DEPS_PKGS += $(FUZZ_PKGS)

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4096
FUZZ_CFLAGS  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 \
	-D_GNU_SOURCE -Ilib -Ihook -std=gnu11 -Wall -Wextra -Wno-unused-parameter
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The hook/ sources each harness needs besides lib/, which comes from $(LIB_FUZZ) (mk/lib.mk).
FUZZ_HARNESSES := policy cmdline state sysfs esp grubcfg
FUZZ_SRCS_policy  :=
FUZZ_SRCS_cmdline :=
FUZZ_SRCS_state   := hook/state.c hook/json.c
FUZZ_SRCS_sysfs   := tests/fuzz/stub-modules.c hook/pci.c hook/plan.c hook/json.c
FUZZ_SRCS_esp     := hook/esp.c hook/blockdev.c
FUZZ_SRCS_grubcfg :=

FUZZ_BINS := $(patsubst %,$(B)/fuzz/fuzz-%,$(FUZZ_HARNESSES))

# One rule per harness: tests/fuzz/fuzz-H.c linked with the sources it exercises.
define FUZZ_RULE
$(B)/fuzz/fuzz-$(1): tests/fuzz/fuzz-$(1).c $(FUZZ_SRCS_$(1)) $(LIB_FUZZ) \
		$(wildcard lib/*.h hook/*.h)
	@scripts/ensure-deps.sh $(FUZZ_PKGS)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ $$< $(FUZZ_SRCS_$(1)) $(LIB_FUZZ)
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_RULE,$(h))))

CHECK_TARGETS += check-fuzz
.PHONY: fuzz fuzz-harnesses check-fuzz

fuzz-harnesses: $(FUZZ_BINS)

# Each harness gets its own working corpus (seeded from the tree's corpus and regressions,
# which libFuzzer only reads). Runs every harness even when one crashes.
fuzz: $(FUZZ_BINS)
	@failed=0; \
	for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(B)/fuzz/work/$$h $(B)/fuzz/artifacts/$$h tests/fuzz/regressions/$$h; \
		echo "fuzz: $$h for $(FUZZ_SECONDS)s (log: $(B)/fuzz/$$h.log)"; \
		if $(FUZZ_ENV) $(B)/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/artifacts/$$h/ \
			$(B)/fuzz/work/$$h tests/fuzz/corpus/$$h tests/fuzz/regressions/$$h \
			>$(B)/fuzz/$$h.log 2>&1; then \
			grep -h 'stat::number_of_executed_units' $(B)/fuzz/$$h.log | \
				sed "s/^/fuzz: $$h: /"; \
		else \
			failed=$$((failed + 1)); \
			echo "fuzz: $$h: CRASH, see $(B)/fuzz/$$h.log and $(B)/fuzz/artifacts/$$h/"; \
			grep -h -m 3 -E 'ERROR|runtime error|SUMMARY' $(B)/fuzz/$$h.log; \
		fi; \
	done; \
	[ $$failed -eq 0 ]

# One test per harness: every file of its seed corpus and regressions runs once.
check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(B)/results $(B)/fuzz
	@passed=0; failed=0; \
	for h in $(FUZZ_HARNESSES); do \
		set -- $$(find tests/fuzz/corpus/$$h tests/fuzz/regressions/$$h -type f \
			2>/dev/null | sort); \
		if [ $$# -eq 0 ]; then \
			echo "FAIL: fuzz: $$h: no corpus in tests/fuzz/corpus/$$h"; \
			failed=$$((failed + 1)); continue; \
		fi; \
		if $(FUZZ_ENV) $(B)/fuzz/fuzz-$$h -runs=1 "$$@" >$(B)/fuzz/check-$$h.log 2>&1; then \
			echo "PASS: fuzz: $$h ($$# inputs)"; passed=$$((passed + 1)); \
		else \
			echo "FAIL: fuzz: $$h, see $(B)/fuzz/check-$$h.log"; \
			awk '/^Running:/ { last = $$0 } /ERROR|runtime error/ { print last; print; exit }' \
				$(B)/fuzz/check-$$h.log; \
			failed=$$((failed + 1)); \
		fi; \
	done; \
	echo "$$passed $$failed" >$(B)/results/fuzz; \
	echo "fuzz: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]
