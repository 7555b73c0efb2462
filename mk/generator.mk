# SPDX-License-Identifier: GPL-2.0-or-later
# gpu-vfio-generator(8): the static generator, its unit tests and golden tests.
#
#   make build/gpu-vfio-generator   the static (musl) generator
#   make install-generator          -> $(LIBDIR_SYSTEMD)/system-generators/
#   make check-generator            cmocka unit tests + golden trees -> build/results/generator
#   make check-generator GOLDEN_UPDATE=1  rewrite the expected trees (review the diff!)

GEN_SRCS := $(sort $(wildcard generator/*.c))
GEN_OBJS := $(patsubst %.c,$(B)/static/%.o,$(GEN_SRCS))
# systemd provides systemd-analyze, which the golden tests use to verify generated units.
GEN_TEST_PKGS := libcmocka-dev systemd
DEPS_PKGS += $(GEN_TEST_PKGS)

# Unit tests that check-generator runs; mk/unit.mk builds them.
GEN_UNIT_TESTS := $(B)/unit/test-grubcfg $(B)/unit/test-iommucfg

CHECK_TARGETS   += check-generator
INSTALL_TARGETS += install-generator

.PHONY: install-generator check-generator

all: $(B)/gpu-vfio-generator

# More specific than the program's $(B)/static/%.o: no hook/ header, no libkmod.
$(B)/static/generator/%.o: generator/%.c $(LIB_HDRS) $(wildcard generator/*.h)
	@mkdir -p $(@D)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) -c $< -o $@

$(B)/gpu-vfio-generator: $(GEN_OBJS) $(LIB_STATIC)
	@mkdir -p $(@D)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) -o $@.unstripped $^ $(STATIC_LDFLAGS)
	$(STRIP) -o $@ $@.unstripped

install-generator: $(B)/gpu-vfio-generator
	install -d $(DESTDIR)$(LIBDIR_SYSTEMD)/system-generators
	install -m 0755 $(B)/gpu-vfio-generator \
		$(DESTDIR)$(LIBDIR_SYSTEMD)/system-generators/gpu-vfio-generator

check-generator: $(B)/gpu-vfio-generator $(GEN_UNIT_TESTS)
	@scripts/ensure-deps.sh $(GEN_TEST_PKGS)
	@mkdir -p $(B)/results
	@tests/generator/run.sh $(B)/gpu-vfio-generator $(B)/generator-tests \
		$(B)/results/generator $(GEN_UNIT_TESTS)
