# SPDX-License-Identifier: GPL-2.0-or-later
# Static analysis of the C sources: cppcheck and clang-tidy (.clang-tidy), zero findings; the
# include graph has no cycle and lib/ includes nothing of the programs.
#
#   make check-lint   -> build/results/lint; fails on any finding
#   make graph        the include graph of hook/, lib/ and generator/ (GRAPH=dot: as dot)

LINT_PKGS := cppcheck clang-tidy
DEPS_PKGS += $(LINT_PKGS)
LINT_SRCS = $(wildcard hook/*.c lib/*.c generator/*.c)

CHECK_TARGETS += check-lint

GRAPH_DIRS := hook lib generator

.PHONY: check-lint graph

graph:
	@scripts/include-graph.py $(if $(filter dot,$(GRAPH)),--dot) $(GRAPH_DIRS)

check-lint: $(KMOD_HDR)
	@scripts/ensure-deps.sh $(LINT_PKGS)
	@mkdir -p $(B)/results
	@p=0; f=0; \
	if cppcheck --quiet --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE \
		-Ilib -Ihook --inline-suppr --error-exitcode=1 hook lib generator; then \
		echo "ok - cppcheck: no findings"; p=$$((p + 1)); \
	else echo "not ok - cppcheck"; f=$$((f + 1)); fi; \
	for s in $(LINT_SRCS); do \
		if clang-tidy --quiet $$s -- -std=gnu11 -D_GNU_SOURCE -Ilib -Ihook $(KMOD_CFLAGS) \
			>$(B)/lint.out 2>&1; then p=$$((p + 1)); \
		else echo "not ok - clang-tidy $$s"; grep -E 'warning|error' $(B)/lint.out; \
			f=$$((f + 1)); fi; \
	done; \
	if scripts/include-graph.py --check $(GRAPH_DIRS); then \
		echo "ok - include graph"; p=$$((p + 1)); \
	else echo "not ok - include graph"; f=$$((f + 1)); fi; \
	echo "lint: $$p passed, $$f failed"; echo "$$p $$f" >$(B)/results/lint; \
	[ $$f -eq 0 ]
