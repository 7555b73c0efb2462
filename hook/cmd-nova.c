/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nova: OpenStack nova's [pci] device_spec and alias for the devices this node gives to VMs. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "commands.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"

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
#define RELEASE_PLACEMENT 27 /* 2023.1: [pci] report_in_placement, resource_class, traits */
#define RELEASE_MANAGED 31 /* 2025.1 added "managed" and "live_migratable" */
#define RELEASE_ONE_TIME_USE 32 /* 2025.2 added "one_time_use" (with placement only) */

static const char misplaced[] = "--release, --placement, --part and --host are options of nova only";

static const struct command_option options[] = {
	{ "--release", true, misplaced },
	{ "--placement", false, misplaced },
	{ "--part", true, misplaced },
	{ "--host", true, misplaced },
	{ NULL },
};

static const char *release; /* --release: the OpenStack release, newest when not given */
static bool placement; /* --placement: PCI in Placement (2023.1 and later) */
static const char *part; /* --part compute|api: kolla-ansible's per-host or global file */
static const char *host; /* --host: the node's inventory name, for kolla-ansible's path */

static int nova_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
		      char **args, int n_args)
{
	size_t i;

	for (i = 0; i < n_opts; i++) {
		if (opts[i].opt == &options[0])
			release = opts[i].value;
		else if (opts[i].opt == &options[1])
			placement = true;
		else if (opts[i].opt == &options[2])
			part = opts[i].value;
		else
			host = opts[i].value;
	}
	return 0;
}

static int release_lookup(const char *s)
{
	size_t i;

	for (i = 0; i < N_RELEASES; i++)
		if (strcasecmp(s, releases[i].name) == 0 || strcmp(s, releases[i].version) == 0)
			return (int)i;
	return -1;
}

static bool seen_before(const struct cloud_device *w, size_t i, bool by_name)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (w[j].d->vendor == w[i].d->vendor && w[j].d->device == w[i].d->device &&
		    (!by_name || strcmp(w[j].name, w[i].name) == 0))
			return true;
	return false;
}

static bool name_seen_before(const struct cloud_device *w, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(w[j].name, w[i].name) == 0)
			return true;
	return false;
}

/* nova wants one device_type per alias name (Zed refuses a mix): when name= covers both
 * SR-IOV capable and plain devices, the SR-IOV capable ones get the alias NAME-pf. */
static void split_mixed_aliases(struct cloud_device *w, size_t n)
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

/* Placement: one resource class per alias name (nova refuses an alias of several specs when
 * pci_in_placement is on). nova-resource-class= of the rule, else CUSTOM_ and the name in
 * upper case ("h100" -> CUSTOM_H100). Every nova-* setting of the alias must agree across
 * the rules that give it its devices. */
static int placement_classes(struct cloud_device *w, size_t n)
{
	size_t i, j;
	int r = 0;

	for (i = 0; i < n; i++) {
		char *s;

		if (w[i].nova->resource_class[0]) {
			snprintf(w[i].rc, sizeof(w[i].rc), "%s", w[i].nova->resource_class);
			continue;
		}
		snprintf(w[i].rc, sizeof(w[i].rc), "CUSTOM_%s", w[i].name);
		for (s = w[i].rc + 7; *s; s++)
			*s = *s == '-' ? '_' : *s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			if (strcmp(w[i].name, w[j].name) == 0 && strcmp(w[i].rc, w[j].rc) != 0) {
				fprintf(stderr,
					"gpu-vfio: name=%s has two resource classes (%s for %s, %s for %s): nova's placement mode needs one per alias\n",
					w[i].name, w[j].rc, w[j].d->address, w[i].rc, w[i].d->address);
				r = EXIT_ERROR;
				break;
			}
			if (strcmp(w[i].name, w[j].name) != 0 && strcmp(w[i].rc, w[j].rc) == 0) {
				fprintf(stderr,
					"gpu-vfio: resource class %s is given to name=%s and name=%s: an alias could get the other's devices\n",
					w[i].rc, w[j].name, w[i].name);
				r = EXIT_ERROR;
				break;
			}
		}
	return r;
}

static int alias_settings_agree(const struct cloud_device *w, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(w[i].name, w[j].name) == 0 &&
			    strcmp(w[i].nova->numa_policy, w[j].nova->numa_policy) != 0) {
				fprintf(stderr,
					"gpu-vfio: name=%s has two nova-numa-policy values ('%s' for %s, '%s' for %s): one alias has one\n",
					w[i].name, w[j].nova->numa_policy, w[j].d->address,
					w[i].nova->numa_policy, w[i].d->address);
				return EXIT_ERROR;
			}
	return 0;
}

/* nova-* keys the release cannot express: a warning each, the setting left out. */
static int release_settings(const struct cloud_device *w, size_t n, int rel)
{
	size_t i;
	int number = releases[rel].number;

	for (i = 0; i < n; i++) {
		const struct rule_nova *k = w[i].nova;

		if (k->one_time_use[0] && strcmp(k->one_time_use, "yes") == 0 && !placement) {
			fprintf(stderr, "gpu-vfio: %s: nova-one-time-use=yes needs --placement (nova refuses one_time_use without report_in_placement)\n",
				w[i].d->address);
			return EXIT_ERROR;
		}
		if (k->one_time_use[0] && number < RELEASE_ONE_TIME_USE)
			fprintf(stderr, "gpu-vfio: %s: nova %s has no one_time_use (2025.2 and later): left out\n",
				w[i].d->address, releases[rel].name);
		if (k->live_migratable[0] && number < RELEASE_MANAGED)
			fprintf(stderr, "gpu-vfio: %s: nova %s has no live_migratable (2025.1 and later): left out\n",
				w[i].d->address, releases[rel].name);
		if (!placement && (k->resource_class[0] || k->traits[0]))
			fprintf(stderr, "gpu-vfio: %s: nova-resource-class and nova-traits take effect with --placement only\n",
				w[i].d->address);
	}
	return 0;
}

static void print_nova_header( int rel, size_t n)
{
	printf("# Written by gpu-vfio nova --release %s (%s)%s%s%s: %zu device%s of this node for VMs.\n",
	       releases[rel].name, releases[rel].version, placement ? " --placement" : "",
	       part ? " --part " : "", part ? part : "", n, n == 1 ? "" : "s");
}

/* The per-host part: this node's addresses, for its nova-compute only. */
static void print_nova_compute(const struct cloud_device *w, size_t n, int rel, const char *key)
{
	int number = releases[rel].number;
	size_t i;

	printf("# [pci] %s names this node's addresses: it belongs to this node's nova-compute\n"
	       "# only (kolla-ansible: /etc/kolla/config/nova/%s/nova.conf, the inventory name).\n",
	       key, host ? host : "INVENTORY_HOSTNAME");
	printf("[pci]\n");
	for (i = 0; i < n; i++) {
		const struct rule_nova *k = w[i].nova;

		printf("%s = {\"address\": \"%s\", \"vendor_id\": \"%04x\", \"product_id\": \"%04x\"",
		       key, w[i].d->address, w[i].d->vendor, w[i].d->device);
		if (number >= RELEASE_MANAGED)
			printf(", \"managed\": \"no\"");
		if (placement) {
			printf(", \"resource_class\": \"%s\"", w[i].rc);
			if (k->traits[0])
				printf(", \"traits\": \"%s\"", k->traits);
		}
		if (k->live_migratable[0] && number >= RELEASE_MANAGED)
			printf(", \"live_migratable\": \"%s\"", k->live_migratable);
		if (k->one_time_use[0] && number >= RELEASE_ONE_TIME_USE)
			printf(", \"one_time_use\": \"%s\"", k->one_time_use);
		printf("}\n");
	}
	if (placement)
		printf("report_in_placement = True\n");
}

/* The global part: aliases, for nova-api and every nova-compute that offers the devices. */
static void print_nova_api(const struct cloud_device *w, size_t n)
{
	bool consumer = false;
	size_t i, j;

	printf("# The alias lines are needed by nova-api and every nova-compute that offers the\n"
	       "# devices (kolla-ansible: /etc/kolla/config/nova.conf, for every host).\n"
	       "# Scheduler: add PciPassthroughFilter to [filter_scheduler] enabled_filters.\n");
	printf("[pci]\n");
	for (i = 0; i < n; i++) {
		const char *numa = w[i].nova->numa_policy;

		/* VGA-class NVIDIA boards are GeForce/RTX: their driver checks for a hypervisor. */
		consumer |= w[i].d->vendor == 0x10de && (w[i].d->class >> 8) == 0x0300;
		if (placement) {
			/* One alias per name: the resource class selects the devices; a
			 * device_type only when every device of the name has the same. */
			bool one_type = true;

			if (name_seen_before(w, i))
				continue;
			for (j = 0; j < n; j++)
				one_type &= strcmp(w[j].name, w[i].name) != 0 || w[j].sriov == w[i].sriov;
			printf("alias = {\"name\": \"%s\", \"resource_class\": \"%s\"", w[i].name, w[i].rc);
			if (one_type)
				printf(", \"device_type\": \"%s\"", w[i].sriov ? "type-PF" : "type-PCI");
		} else {
			if (seen_before(w, i, true))
				continue;
			printf("alias = {\"name\": \"%s\", \"vendor_id\": \"%04x\", \"product_id\": \"%04x\", "
			       "\"device_type\": \"%s\"",
			       w[i].name, w[i].d->vendor, w[i].d->device, w[i].sriov ? "type-PF" : "type-PCI");
		}
		if (numa[0])
			printf(", \"numa_policy\": \"%s\"", numa);
		printf("}\n");
	}
	if (placement)
		printf("[filter_scheduler]\npci_in_placement = True\n");
	for (i = 0; i < n; i++) {
		if (name_seen_before(w, i))
			continue;
		printf("# openstack flavor create --vcpus 8 --ram 32768 --disk 80 "
		       "--property \"pci_passthrough:alias\"=\"%s:1\" gpu.%s\n", w[i].name, w[i].name);
	}
	if (consumer)
		printf("# GeForce cards also need: openstack image set --property img_hide_hypervisor_id=true IMAGE\n");
}

static int nova_run(struct ctx *c)
{
	struct cloud_device *w = NULL;
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p;
	int rel = (int)N_RELEASES - 1, r;
	size_t n = 0;
	const char *key;

	if (release && (rel = release_lookup(release)) < 0) {
		fprintf(stderr, "gpu-vfio: unknown OpenStack release '%s' (e.g. zed, 2024.1, 2025.1)\n",
			release);
		return EXIT_USAGE;
	}
	if (placement && releases[rel].number < RELEASE_PLACEMENT) {
		fprintf(stderr, "gpu-vfio: --placement needs nova 2023.1 (antelope) or later, not %s\n",
			releases[rel].name);
		return EXIT_USAGE;
	}
	if (part && strcmp(part, "compute") != 0 && strcmp(part, "api") != 0) {
		fprintf(stderr, "gpu-vfio: --part is 'compute' (per host) or 'api' (global), not '%s'\n",
			part);
		return EXIT_USAGE;
	}
	r = cloud_collect(c, &p, &m, &plan, &w, &n);
	if (r)
		goto out;
	if (placement)
		r = placement_classes(w, n);
	else
		split_mixed_aliases(w, n);
	if (!r)
		r = alias_settings_agree(w, n);
	if (!r)
		r = release_settings(w, n, rel);
	if (r)
		goto out;
	key = releases[rel].number >= RELEASE_DEVICE_SPEC ? "device_spec" : "passthrough_whitelist";
	print_nova_header(rel, n);
	if (!part || strcmp(part, "compute") == 0)
		print_nova_compute(w, n, rel, key);
	if (!part || strcmp(part, "api") == 0)
		print_nova_api(w, n);
out:
	free(w);
	plan_free(&plan);
	pci_machine_free(&m);
	policy_free(&p);
	return r;
}

const struct command command_nova = {
	.name = "nova",
	.help = "  nova [--release R] [--placement] [--part compute|api] [--host NAME]\n"
		"                      OpenStack nova [pci] device_spec and alias for this node;\n"
		"                      kolla-ansible's per-host (compute) or global (api) part\n",
	.options = options,
	.parse = nova_parse,
	.run = nova_run,
};
