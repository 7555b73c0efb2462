# SPDX-License-Identifier: GPL-2.0-or-later
# gpu-vfio-generator(8): the static generator, its unit tests and golden tests.
#
#   make build/gpu-vfio-generator   the static (musl) generator
#   make install-generator          -> $(LIBDIR_SYSTEMD)/system-generators/
#   make check-generator            cmocka unit tests + golden trees -> build/results/generator
#   make check-generator GOLDEN_UPDATE=1  rewrite the expected trees (review the diff!)

GEN_SRCS := generator/gpu-vfio-generator.c lib/iommucfg.c lib/grubcfg.c lib/cmdline.c \
	lib/rootfs.c lib/policy.c
GEN_HDRS := lib/iommucfg.h lib/grubcfg.h lib/cmdline.h lib/rootfs.h lib/policy.h
# systemd provides systemd-analyze, which the golden tests use to verify generated units.
GEN_TEST_PKGS := libcmocka-dev systemd
DEPS_PKGS += $(GEN_TEST_PKGS)

# Unit tests run on the host compiler with the sanitizers.
GEN_UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Ilib -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
GEN_UNIT_TESTS := $(B)/unit/test-grubcfg $(B)/unit/test-iommucfg

CHECK_TARGETS   += check-generator
INSTALL_TARGETS += install-generator

.PHONY: install-generator check-generator

all: $(B)/gpu-vfio-generator

$(B)/gpu-vfio-generator: $(GEN_SRCS) $(GEN_HDRS)
	@mkdir -p $(@D)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) -o $@.unstripped $(GEN_SRCS) $(STATIC_LDFLAGS)
	$(STRIP) -o $@ $@.unstripped

$(B)/unit/test-grubcfg: tests/unit/test-grubcfg.c lib/grubcfg.c lib/rootfs.c lib/grubcfg.h lib/rootfs.h
	@scripts/ensure-deps.sh libcmocka-dev
	@mkdir -p $(@D)
	$(HOST_CC) $(GEN_UNIT_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

# Also covers `gpu-vfio check` (hook/cmd-check.c), which shares the analysis.
$(B)/unit/test-iommucfg: tests/unit/test-iommucfg.c lib/iommucfg.c lib/grubcfg.c lib/cmdline.c \
		lib/rootfs.c lib/policy.c hook/cmd-check.c hook/esp.c hook/isolation.c hook/json.c \
		hook/pci.c hook/plan.c hook/iommufd.c tests/unit/mock-modules.c $(GEN_HDRS) \
		hook/cmd-check.h hook/esp.h hook/isolation.h hook/json.h hook/iommufd.h
	@scripts/ensure-deps.sh libcmocka-dev
	@mkdir -p $(@D)
	$(HOST_CC) $(GEN_UNIT_CFLAGS) -Ihook -o $@ $(filter %.c,$^) -lcmocka

install-generator: $(B)/gpu-vfio-generator
	install -d $(DESTDIR)$(LIBDIR_SYSTEMD)/system-generators
	install -m 0755 $(B)/gpu-vfio-generator \
		$(DESTDIR)$(LIBDIR_SYSTEMD)/system-generators/gpu-vfio-generator

check-generator: $(B)/gpu-vfio-generator $(GEN_UNIT_TESTS)
	@scripts/ensure-deps.sh $(GEN_TEST_PKGS)
	@mkdir -p $(B)/results
	@tests/generator/run.sh $(B)/gpu-vfio-generator $(B)/generator-tests \
		$(B)/results/generator $(GEN_UNIT_TESTS)
