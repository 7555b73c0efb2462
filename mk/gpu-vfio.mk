# SPDX-License-Identifier: GPL-2.0-or-later
# The gpu-vfio program: a static musl binary with libkmod linked in.

VERSION := $(shell cat VERSION 2>/dev/null || echo 0)

# hook/ is the program's own; lib/ comes from its archive (mk/lib.mk).
GPU_VFIO_SRCS := $(sort $(wildcard hook/*.c))
GPU_VFIO_OBJS := $(patsubst %.c,$(B)/static/%.o,$(GPU_VFIO_SRCS))

all: $(B)/gpu-vfio

$(B)/static/%.o: %.c $(wildcard lib/*.h hook/*.h) | $(KMOD_HDR)
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) $(KMOD_CFLAGS) -Ihook -DVERSION='"$(VERSION)"' -c $< -o $@

$(B)/gpu-vfio.unstripped: $(GPU_VFIO_OBJS) $(LIB_STATIC) $(KMOD_OBJ)
	$(MUSL_CC) $(CFLAGS) $(STATIC_CFLAGS) -o $@ $^ $(STATIC_LDFLAGS)

$(B)/gpu-vfio: $(B)/gpu-vfio.unstripped
	$(STRIP) -o $@ $<

install-gpu-vfio: $(B)/gpu-vfio
	install -D -m 0755 $(B)/gpu-vfio $(DESTDIR)$(SBINDIR)/gpu-vfio

INSTALL_TARGETS += install-gpu-vfio
.PHONY: install-gpu-vfio
