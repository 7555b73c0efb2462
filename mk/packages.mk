# SPDX-License-Identifier: GPL-2.0-or-later
# Source tarballs and the distribution packages built from them.
#
#   make dist            build/dist: gpu-vfio_VERSION.orig.tar.xz (git archive), one
#                        orig-COMPONENT.tar.xz per bundled Debian source tree (kmod,
#                        xz-utils, libzstd, zlib), their versions and gpu-vfio.spec
#   make check-packages  Debian source package built offline in clean Debian 12 and 13
#                        roots, lintian, install/rebuild/purge; rpmbuild, rpmlint, rpm --root
#                        -> build/results/packages
#
# The roots are cached in $(PKG_ROOT_CACHE) (keyed by suite, mirror and package list).
# PACKAGES_SUITES=bookworm limits the Debian part to one suite.

DIST_DIR        := $(B)/dist
PACKAGES_SUITES ?= bookworm trixie
PKG_ROOT_CACHE  ?= /var/cache/gpu-vfio-pkg/roots
PACKAGES_PKGS   := mmdebstrap rpm rpmlint python3 dpkg-dev xz-utils util-linux
DEPS_PKGS       += $(PACKAGES_PKGS)

# Not in `make check` (about 15 minutes with cached roots); .ci/run runs it after make check.
.PHONY: dist check-packages package-roots

dist: $(SRC_STAMP)
	@scripts/ensure-deps.sh dpkg-dev xz-utils
	scripts/dist.sh $(SRC_DIR) $(DIST_DIR)

# The clean roots alone, every suite at once (mmdebstrap waits on the network and dpkg, not
# the CPU): .ci/run builds them beside `make check`, which leaves a core idle.
package-roots:
	@scripts/ensure-deps.sh $(PACKAGES_PKGS)
	@pids=; for s in $(PACKAGES_SUITES); do \
		PKG_ROOT_CACHE=$(PKG_ROOT_CACHE) nice -n 10 tests/packages/root.sh $$s debian/control \
			>/dev/null & pids="$$pids $$!"; \
	done; rc=0; for p in $$pids; do wait $$p || rc=1; done; exit $$rc

check-packages: dist
	@scripts/ensure-deps.sh $(PACKAGES_PKGS)
	@mkdir -p $(B)/results
	@PKG_ROOT_CACHE=$(PKG_ROOT_CACHE) nice -n 10 tests/packages/run.sh $(DIST_DIR) \
		$(B)/packages-test $(B)/results/packages $(PACKAGES_SUITES)
BOOT_SH += $(wildcard tests/packages/*.sh) scripts/dist.sh
