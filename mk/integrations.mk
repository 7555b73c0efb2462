# SPDX-License-Identifier: GPL-2.0-or-later
# Integrations: nova and KubeVirt output checked with their own parsers, the hotplug unit and
# udev rule, status --prometheus, claim --device, and the Ansible example role.
#
#   make install-integrations  systemd units, the udev rule, the Ansible example (part of install)
#   make check-integrations    tests/integrations/run.sh -> build/results/integrations

SYSTEMD_UNIT_DIR ?= $(LIBDIR_SYSTEMD)/system
UDEV_RULES_DIR   ?= /usr/lib/udev/rules.d
TMPFILES_DIR     ?= /usr/lib/tmpfiles.d

# python3-nova is Debian's nova (Zed in Debian 12): its own parsers judge `gpu-vfio nova`;
# Debian 13's (2025.1) runs in a Debian 13 root that mmdebstrap makes once and
# scripts/nova-root.sh caches in NOVA_CACHE (outside the clone).
INTEGRATIONS_PKGS := python3-nova python3-yaml python3-prometheus-client prometheus \
	ansible-core systemd udev util-linux shellcheck mmdebstrap
NOVA_CACHE ?= /var/cache/gpu-vfio-nova
DEPS_PKGS += $(INTEGRATIONS_PKGS)

INTEGRATIONS_UNITS := systemd/gpu-vfio.service systemd/gpu-vfio@.service \
	systemd/gpu-vfio-metrics.service systemd/gpu-vfio-metrics.timer
INTEGRATIONS_RULES := systemd/60-gpu-vfio.rules
INTEGRATIONS_ANSIBLE := $(sort $(wildcard examples/ansible/*.* examples/ansible/roles/*/*/*))

CHECK_TARGETS   += check-integrations
INSTALL_TARGETS += install-integrations
.PHONY: check-integrations install-integrations

install-integrations:
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(UDEV_RULES_DIR) $(DESTDIR)$(TMPFILES_DIR)
	for f in $(INTEGRATIONS_UNITS); do \
		sed 's|/usr/sbin/gpu-vfio|$(SBINDIR)/gpu-vfio|' $$f \
			>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f#systemd/} || exit 1; \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f#systemd/}; \
	done
	install -m 0644 $(INTEGRATIONS_RULES) $(DESTDIR)$(UDEV_RULES_DIR)/
	install -m 0644 systemd/gpu-vfio.tmpfiles $(DESTDIR)$(TMPFILES_DIR)/gpu-vfio.conf
	for f in $(INTEGRATIONS_ANSIBLE); do \
		install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; \
	done

check-integrations: $(B)/gpu-vfio $(B)/fakekernel
	@scripts/ensure-deps.sh $(INTEGRATIONS_PKGS)
	@mkdir -p $(B)/results
	@NOVA_ROOT_TAR=$$(scripts/nova-root.sh $(NOVA_CACHE)); export NOVA_ROOT_TAR; \
		tests/integrations/run.sh $(B)/gpu-vfio $(B)/fakekernel $(B)/integrations \
		$(B)/results/integrations
