# SPDX-License-Identifier: GPL-2.0-or-later
# Boot integration: initramfs-tools hook and init-top script, dracut module, man pages, example policy, Debian package, and their tests.
#
#   make man          build/man/*.5, *.8 from man/*.scd (scdoc)
#   make install-boot install the boot integration, man pages and example (part of install)
#   make check-shell  boot scripts under busybox sh + shellcheck   -> build/results/shell
#   make check-image  real mkinitramfs and dracut images           -> build/results/image
#   make check-deb    dpkg-buildpackage + lintian + file list      -> build/results/deb

# Where the distributions' tools look for hooks and modules; not under PREFIX, since
# initramfs-tools and dracut read only these directories.
INITRAMFS_TOOLS_DIR ?= /usr/share/initramfs-tools
DRACUT_MODULES_DIR  ?= /usr/lib/dracut/modules.d
DOCDIR              ?= $(DATADIR)/doc/gpu-vfio

BOOT_MAN_PKGS   := scdoc
BOOT_SHELL_PKGS := busybox-static shellcheck dracut-core initramfs-tools
BOOT_IMAGE_PKGS := initramfs-tools dracut-core linux-image-amd64 busybox-static cpio zstd kmod
BOOT_DEB_PKGS   := debhelper lintian fakeroot dpkg-dev $(BOOT_MAN_PKGS)
DEPS_PKGS       += $(BOOT_MAN_PKGS) $(BOOT_SHELL_PKGS) $(BOOT_IMAGE_PKGS) $(BOOT_DEB_PKGS)

BOOT_MAN := $(patsubst man/%.scd,$(B)/man/%,$(wildcard man/*.scd))

# Every shell script of the boot integration and its tests: shellcheck -s dash.
BOOT_SH := initramfs-tools/hooks/gpu-vfio initramfs-tools/scripts/init-top/gpu-vfio \
	$(wildcard dracut-module/50gpu-vfio/*.sh tests/shell/*.sh tests/image/*.sh tests/support/*.sh) \
	$(wildcard debian/*.postinst debian/*.postrm debian/postinst debian/postrm qemu-test/*.sh)

CHECK_TARGETS   += check-shell check-image check-deb
INSTALL_TARGETS += install-boot

.PHONY: man install-boot check-shell check-image check-deb

all: man
man: $(BOOT_MAN)

$(B)/man/%: man/%.scd
	@scripts/ensure-deps.sh $(BOOT_MAN_PKGS)
	@mkdir -p $(@D)
	scdoc <$< >$@.tmp || { rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

# The build-time hook and the dracut module look for the program where this install
# puts it ($(SBINDIR)); inside the image it is always /usr/sbin/gpu-vfio.
install-boot: $(BOOT_MAN)
	install -d $(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/scripts/init-top \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/50gpu-vfio \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples
	sed 's|GPU_VFIO_BIN:-/usr/sbin/gpu-vfio|GPU_VFIO_BIN:-$(SBINDIR)/gpu-vfio|' \
		initramfs-tools/hooks/gpu-vfio >$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks/gpu-vfio
	chmod 0755 $(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks/gpu-vfio
	install -m 0755 initramfs-tools/scripts/init-top/gpu-vfio \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/scripts/init-top/gpu-vfio
	sed 's|GPU_VFIO_BIN:-/usr/sbin/gpu-vfio|GPU_VFIO_BIN:-$(SBINDIR)/gpu-vfio|' \
		dracut-module/50gpu-vfio/module-setup.sh \
		>$(DESTDIR)$(DRACUT_MODULES_DIR)/50gpu-vfio/module-setup.sh
	chmod 0755 $(DESTDIR)$(DRACUT_MODULES_DIR)/50gpu-vfio/module-setup.sh
	install -m 0755 dracut-module/50gpu-vfio/gpu-vfio-pre-udev.sh \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/50gpu-vfio/gpu-vfio-pre-udev.sh
	install -m 0644 $(filter %.5,$(BOOT_MAN)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(filter %.8,$(BOOT_MAN)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 examples/gpu-vfio.conf $(DESTDIR)$(DOCDIR)/examples/gpu-vfio.conf

check-shell: $(B)/gpu-vfio
	@scripts/ensure-deps.sh $(BOOT_SHELL_PKGS)
	@mkdir -p $(B)/results
	@tests/shell/run.sh $(B)/gpu-vfio $(B)/shell $(B)/results/shell $(BOOT_SH)

check-image: $(B)/gpu-vfio
	@scripts/ensure-deps.sh $(BOOT_IMAGE_PKGS)
	@mkdir -p $(B)/results
	@tests/image/run.sh $(B)/gpu-vfio $(B)/image $(B)/results/image

# Builds the package from a copy of the tree under build/deb (dpkg-buildpackage writes
# into debian/ and the parent directory), reusing the kmod source this tree fetched.
check-deb: $(B)/gpu-vfio
	@scripts/ensure-deps.sh $(BOOT_DEB_PKGS)
	@mkdir -p $(B)/results
	@tests/image/deb.sh $(B)/deb $(B)/results/deb
