/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nova and kubevirt: the cloud's configuration for the devices this node gives to VMs. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "commands.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "rootfs.h"

/* OpenStack releases by number; names and "YYYY.N" both accepted. */
static const struct {
	const char *name, *version;
	int number;
} releases[] = {
	{ "ussuri", "21", 21 },	     { "victoria", "22", 22 },	 { "wallaby", "23", 23 },
	{ "xena", "24", 24 },	     { "yoga", "25", 25 },	 { "zed", "26", 26 },
	{ "antelope", "2023.1", 27 }, { "bobcat", "2023.2", 28 }, { "caracal", "2024.1", 29 },
	{ "dalmatian", "2024.2", 30 }, { "epoxy", "2025.1", 31 }, { "flamingo", "2025.2", 32 },
	{ "gazpacho", "2026.1", 33 },
};
#define N_RELEASES (sizeof(releases) / sizeof(releases[0]))
#define RELEASE_DEVICE_SPEC 26 /* zed renamed passthrough_whitelist */
#define RELEASE_MANAGED 31 /* 2025.1 added "managed" */

static int release_lookup(const char *s)
{
	size_t i;

	for (i = 0; i < N_RELEASES; i++)
		if (strcasecmp(s, releases[i].name) == 0 || strcmp(s, releases[i].version) == 0)
			return (int)i;
	return -1;
}

struct wanted {
	const struct pci_dev *d;
	char name[CLOUD_NAME_MAX];
	bool sriov; /* SR-IOV capable: nova calls it type-PF */
};

void cloud_name(const struct policy *p, const struct plan_entry *e, const struct pci_dev *d,
		char *buf, size_t size)
{
	if (e->rule < 0 || p->rules[e->rule].action != RULE_CLAIM || e->action == ACT_KEEP ||
	    e->action == ACT_NONE)
		snprintf(buf, size, "%s", "");
	else if (p->rules[e->rule].name[0])
		snprintf(buf, size, "%s", p->rules[e->rule].name);
	else if (d->vendor == 0x10de)
		snprintf(buf, size, "nvidia-%04x", d->device);
	else
		snprintf(buf, size, "pci-%04x-%04x", d->vendor, d->device);
}

/* The targets the policy gives to VMs (claimed now, or to be claimed at boot). */
static int collect(struct ctx *c, struct policy *p, struct pci_machine *m, struct plan *plan,
		   struct wanted **ret, size_t *ret_n)
{
	struct wanted *w;
	size_t i, n = 0;
	int r;

	r = load_policy(c, p, false);
	if (r)
		return r;
	if (pci_scan(c->rootfd, m) < 0 || plan_build(c->rootfd, m, p, plan) < 0) {
		fprintf(stderr, "gpu-vfio: cannot read the PCI devices below %s\n", c->root);
		return EXIT_ERROR;
	}
	w = calloc(m->n_devs + 1, sizeof(*w));
	if (!w)
		return EXIT_ERROR;
	for (i = 0; i < m->n_devs; i++) {
		const struct plan_entry *e = &plan->e[i];
		const struct pci_dev *d = &m->devs[i];

		if ((e->action != ACT_CLAIM && e->action != ACT_CLAIMED) || e->via >= 0 || e->rule < 0)
			continue;
		w[n].d = d;
		w[n].sriov = d->sriov_numvfs >= 0;
		cloud_name(p, e, d, w[n].name, sizeof(w[n].name));
		n++;
	}
	*ret = w;
	*ret_n = n;
	return 0;
}

static bool seen_before(const struct wanted *w, size_t i, bool by_name)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (w[j].d->vendor == w[i].d->vendor && w[j].d->device == w[i].d->device &&
		    (!by_name || strcmp(w[j].name, w[i].name) == 0))
			return true;
	return false;
}

/* nova wants one device_type per alias name (Zed refuses a mix): when name= covers both
 * SR-IOV capable and plain devices, the SR-IOV capable ones get the alias NAME-pf. */
static void split_mixed_aliases(struct wanted *w, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		bool mixed = false;

		if (!w[i].sriov)
			continue;
		for (j = 0; j < n && !mixed; j++)
			mixed = !w[j].sriov && strcmp(w[j].name, w[i].name) == 0;
		if (!mixed)
			continue;
		fprintf(stderr,
			"gpu-vfio: %s: name=%s also covers devices without SR-IOV; nova needs one device_type per alias, so its alias is %s-pf\n",
			w[i].d->address, w[i].name, w[i].name);
		for (j = n; j-- > i;)
			if (w[j].sriov && strcmp(w[j].name, w[i].name) == 0)
				strcat(w[j].name, "-pf");
	}
}

static void print_nova_comments(struct ctx *c, const char *key, int rel, size_t n)
{
	char host[256];

	if (root_read(c->rootfd, "proc/sys/kernel/hostname", host, sizeof(host)) <= 0)
		snprintf(host, sizeof(host), "HOSTNAME");
	printf("# Written by gpu-vfio nova --release %s (%s): %zu device%s of this node for VMs.\n",
	       releases[rel].name, releases[rel].version, n, n == 1 ? "" : "s");
	printf("# The %s lines name this node's addresses: they belong to this node's\n"
	       "# nova-compute only (kolla-ansible: /etc/kolla/config/nova/%s/nova.conf).\n"
	       "# The alias lines are needed by nova-api and every nova-compute that offers the\n"
	       "# devices (kolla-ansible: /etc/kolla/config/nova.conf).\n"
	       "# Scheduler: add PciPassthroughFilter to [filter_scheduler] enabled_filters.\n",
	       key, host);
}

int cmd_nova(struct ctx *c)
{
	struct wanted *w = NULL;
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p;
	int rel = (int)N_RELEASES - 1, r;
	bool consumer = false;
	size_t i, n = 0;
	const char *key;

	if (c->release && (rel = release_lookup(c->release)) < 0) {
		fprintf(stderr, "gpu-vfio: unknown OpenStack release '%s' (e.g. zed, 2024.1, 2025.1)\n",
			c->release);
		return EXIT_USAGE;
	}
	r = collect(c, &p, &m, &plan, &w, &n);
	if (r)
		goto out;
	split_mixed_aliases(w, n);
	key = releases[rel].number >= RELEASE_DEVICE_SPEC ? "device_spec" : "passthrough_whitelist";
	print_nova_comments(c, key, rel, n);
	printf("[pci]\n");
	for (i = 0; i < n; i++) {
		printf("%s = {\"address\": \"%s\", \"vendor_id\": \"%04x\", \"product_id\": \"%04x\"%s}\n",
		       key, w[i].d->address, w[i].d->vendor, w[i].d->device,
		       releases[rel].number >= RELEASE_MANAGED ? ", \"managed\": \"no\"" : "");
		/* VGA-class NVIDIA boards are GeForce/RTX: their driver checks for a hypervisor. */
		consumer |= w[i].d->vendor == 0x10de && (w[i].d->class >> 8) == 0x0300;
	}
	for (i = 0; i < n; i++) {
		if (seen_before(w, i, true))
			continue;
		printf("alias = {\"name\": \"%s\", \"vendor_id\": \"%04x\", \"product_id\": \"%04x\", "
		       "\"device_type\": \"%s\"}\n",
		       w[i].name, w[i].d->vendor, w[i].d->device, w[i].sriov ? "type-PF" : "type-PCI");
	}
	for (i = 0; i < n; i++) {
		size_t j;
		bool dup = false;

		for (j = 0; j < i; j++)
			dup |= strcmp(w[j].name, w[i].name) == 0;
		if (dup)
			continue;
		printf("# openstack flavor create --vcpus 8 --ram 32768 --disk 80 "
		       "--property \"pci_passthrough:alias\"=\"%s:1\" gpu.%s\n", w[i].name, w[i].name);
	}
	if (consumer)
		printf("# GeForce cards also need: openstack image set --property img_hide_hypervisor_id=true IMAGE\n");
out:
	free(w);
	plan_free(&plan);
	pci_machine_free(&m);
	policy_free(&p);
	return r;
}

int cmd_kubevirt(struct ctx *c)
{
	struct wanted *w = NULL;
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p;
	size_t i, n = 0;
	int r;

	r = collect(c, &p, &m, &plan, &w, &n);
	if (r)
		goto out;
	printf("# Written by gpu-vfio kubevirt: merge into spec.configuration of the KubeVirt CR.\n");
	printf("permittedHostDevices:\n  pciHostDevices:%s\n", n ? "" : " []");
	for (i = 0; i < n; i++) {
		if (seen_before(w, i, false)) {
			if (!seen_before(w, i, true))
				printf("    # %s (name=%s) is in the resource above: KubeVirt selects by vendor:device only\n",
				       w[i].d->address, w[i].name);
			continue;
		}
		printf("    - pciVendorSelector: \"%04X:%04X\"\n      resourceName: \"%s/%s\"\n",
		       w[i].d->vendor, w[i].d->device,
		       w[i].d->vendor == 0x10de ? "nvidia.com" : "devices.kubevirt.io", w[i].name);
	}
out:
	free(w);
	plan_free(&plan);
	pci_machine_free(&m);
	policy_free(&p);
	return r;
}
