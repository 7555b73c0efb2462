/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nova and kubevirt: the cloud's configuration for the devices this node gives to VMs. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "commands.h"
#include "json.h"
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
#define RELEASE_PLACEMENT 27 /* 2023.1: [pci] report_in_placement, resource_class, traits */
#define RELEASE_MANAGED 31 /* 2025.1 added "managed" and "live_migratable" */
#define RELEASE_ONE_TIME_USE 32 /* 2025.2 added "one_time_use" (with placement only) */

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
	const struct rule_nova *nova; /* the deciding rule's nova-* keys */
	char name[CLOUD_NAME_MAX];
	char rc[64]; /* placement resource class */
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
	else
		cloud_default_name(d->vendor, d->device, buf, size);
}

void cloud_default_name(unsigned vendor, unsigned device, char *buf, size_t size)
{
	if (vendor == 0x10de)
		snprintf(buf, size, "nvidia-%04x", device);
	else
		snprintf(buf, size, "pci-%04x-%04x", vendor, device);
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
		w[n].nova = &p->rules[e->rule].nova;
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

static bool name_seen_before(const struct wanted *w, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(w[j].name, w[i].name) == 0)
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

/* Placement: one resource class per alias name (nova refuses an alias of several specs when
 * pci_in_placement is on). nova-resource-class= of the rule, else CUSTOM_ and the name in
 * upper case ("h100" -> CUSTOM_H100). Every nova-* setting of the alias must agree across
 * the rules that give it its devices. */
static int placement_classes(struct wanted *w, size_t n)
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

static int alias_settings_agree(const struct wanted *w, size_t n)
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
static int release_settings(const struct wanted *w, size_t n, int rel, bool placement)
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

static void print_nova_header(struct ctx *c, int rel, size_t n)
{
	printf("# Written by gpu-vfio nova --release %s (%s)%s%s%s: %zu device%s of this node for VMs.\n",
	       releases[rel].name, releases[rel].version, c->placement ? " --placement" : "",
	       c->part ? " --part " : "", c->part ? c->part : "", n, n == 1 ? "" : "s");
}

/* The per-host part: this node's addresses, for its nova-compute only. */
static void print_nova_compute(struct ctx *c, const struct wanted *w, size_t n, int rel,
			       const char *key)
{
	int number = releases[rel].number;
	size_t i;

	printf("# [pci] %s names this node's addresses: it belongs to this node's nova-compute\n"
	       "# only (kolla-ansible: /etc/kolla/config/nova/%s/nova.conf, the inventory name).\n",
	       key, c->host ? c->host : "INVENTORY_HOSTNAME");
	printf("[pci]\n");
	for (i = 0; i < n; i++) {
		const struct rule_nova *k = w[i].nova;

		printf("%s = {\"address\": \"%s\", \"vendor_id\": \"%04x\", \"product_id\": \"%04x\"",
		       key, w[i].d->address, w[i].d->vendor, w[i].d->device);
		if (number >= RELEASE_MANAGED)
			printf(", \"managed\": \"no\"");
		if (c->placement) {
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
	if (c->placement)
		printf("report_in_placement = True\n");
}

/* The global part: aliases, for nova-api and every nova-compute that offers the devices. */
static void print_nova_api(struct ctx *c, const struct wanted *w, size_t n)
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
		if (c->placement) {
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
	if (c->placement)
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

int cmd_nova(struct ctx *c)
{
	struct wanted *w = NULL;
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p;
	int rel = (int)N_RELEASES - 1, r;
	size_t n = 0;
	const char *key;

	if (c->release && (rel = release_lookup(c->release)) < 0) {
		fprintf(stderr, "gpu-vfio: unknown OpenStack release '%s' (e.g. zed, 2024.1, 2025.1)\n",
			c->release);
		return EXIT_USAGE;
	}
	if (c->placement && releases[rel].number < RELEASE_PLACEMENT) {
		fprintf(stderr, "gpu-vfio: --placement needs nova 2023.1 (antelope) or later, not %s\n",
			releases[rel].name);
		return EXIT_USAGE;
	}
	if (c->part && strcmp(c->part, "compute") != 0 && strcmp(c->part, "api") != 0) {
		fprintf(stderr, "gpu-vfio: --part is 'compute' (per host) or 'api' (global), not '%s'\n",
			c->part);
		return EXIT_USAGE;
	}
	r = collect(c, &p, &m, &plan, &w, &n);
	if (r)
		goto out;
	if (c->placement)
		r = placement_classes(w, n);
	else
		split_mixed_aliases(w, n);
	if (!r)
		r = alias_settings_agree(w, n);
	if (!r)
		r = release_settings(w, n, rel, c->placement);
	if (r)
		goto out;
	key = releases[rel].number >= RELEASE_DEVICE_SPEC ? "device_spec" : "passthrough_whitelist";
	print_nova_header(c, rel, n);
	if (!c->part || strcmp(c->part, "compute") == 0)
		print_nova_compute(c, w, n, rel, key);
	if (!c->part || strcmp(c->part, "api") == 0)
		print_nova_api(c, w, n);
out:
	free(w);
	plan_free(&plan);
	pci_machine_free(&m);
	policy_free(&p);
	return r;
}

/* One pciHostDevices entry: a vendor:device, its resource, and how it is served. */
struct kv_entry {
	unsigned vendor, device;
	char resource[64];
	char name[CLOUD_NAME_MAX];
	char address[32]; /* the first device of the entry, for notes */
	char variant[32]; /* a VFIO variant driver: served by an external device plugin */
	char origin[64]; /* file or "" */
};

struct kv_list {
	struct kv_entry *e;
	size_t n, cap;
	int error;
};

/* Resources other device plugins advertise: a VM resource of the same name would be counted
 * against theirs (NVIDIA's container device plugin, its MIG and time-sliced resources, AMD's
 * and Intel's GPU plugins, KubeVirt's own devices). */
static bool well_known_resource(const char *res)
{
	static const char *const names[] = {
		"nvidia.com/gpu", "nvidia.com/gpu.shared", "nvidia.com/pgpu", "nvidia.com/vgpu",
		"amd.com/gpu", "gpu.intel.com/i915", "gpu.intel.com/xe",
		"devices.kubevirt.io/kvm", "devices.kubevirt.io/tun", "devices.kubevirt.io/vhost-net",
		"devices.kubevirt.io/sev",
	};
	size_t i;

	if (strncmp(res, "nvidia.com/mig-", 15) == 0)
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(res, names[i]) == 0)
			return true;
	return false;
}

static void kv_add(struct kv_list *l, unsigned vendor, unsigned device, const char *name,
		   const char *address, const char *driver, const char *origin)
{
	struct kv_entry *e;
	size_t i;
	bool variant = driver && driver[0] && strcmp(driver, "vfio-pci") != 0;

	for (i = 0; i < l->n; i++) {
		e = &l->e[i];
		if (e->vendor != vendor || e->device != device)
			continue;
		if (strcmp(e->name, name) != 0)
			fprintf(stderr, "gpu-vfio: %s%s%s (name=%s) is in the resource of %04X:%04X (name=%s): KubeVirt selects by vendor:device only\n",
			       origin, origin[0] ? ": " : "", address, name, vendor, device, e->name);
		if (variant && !e->variant[0])
			snprintf(e->variant, sizeof(e->variant), "%s", driver);
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct kv_entry *ne = realloc(l->e, cap * sizeof(*ne));

		if (!ne) {
			l->error = -ENOMEM;
			return;
		}
		l->e = ne;
		l->cap = cap;
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->vendor = vendor;
	e->device = device;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->address, sizeof(e->address), "%s", address);
	snprintf(e->origin, sizeof(e->origin), "%s", origin);
	if (variant)
		snprintf(e->variant, sizeof(e->variant), "%s", driver);
	snprintf(e->resource, sizeof(e->resource), "%s/%s",
		 vendor == 0x10de ? "nvidia.com" : "devices.kubevirt.io", name);
	if (well_known_resource(e->resource)) {
		fprintf(stderr,
			"gpu-vfio: %s%s%s: resourceName %s is another device plugin's resource (pods would get it counted against theirs); choose another name= (e.g. name=%s-vm)\n",
			origin, origin[0] ? ": " : "", address, e->resource, name);
		l->error = EXIT_ERROR;
	}
}

/* The targets of one node's `status --json`: as collect() chooses them. */
static int kv_from_status(const struct json_object *o, void *userdata)
{
	struct kv_list *l = ((void **)userdata)[0];
	const char *file = ((void **)userdata)[1];
	const char *action = json_get(o, "action"), *name = json_get(o, "name");
	const char *vendor = json_get(o, "vendor"), *device = json_get(o, "device");
	const char *address = json_get(o, "address"), *drv = json_get(o, "vfio_driver");
	char def[CLOUD_NAME_MAX], *e1, *e2;
	unsigned long v, d;

	if (!action || (strcmp(action, "claim") != 0 && strcmp(action, "claimed") != 0) ||
	    json_get(o, "via") || !json_get(o, "rule"))
		return 0;
	if (!vendor || !device || !address)
		return -EINVAL;
	v = strtoul(vendor, &e1, 16);
	d = strtoul(device, &e2, 16);
	if (*e1 || *e2 || v > 0xffff || d > 0xffff)
		return -EINVAL;
	if (!drv && strcmp(action, "claimed") == 0)
		drv = json_get(o, "driver");
	if (!name || !name[0]) {
		cloud_default_name(v, d, def, sizeof(def));
		name = def;
	}
	kv_add(l, v, d, name, address, drv, file);
	return 0;
}

static int kv_merge_files(struct ctx *c, struct kv_list *l)
{
	int i;

	for (i = 0; i < c->n_args; i++) {
		void *ud[2] = { l, c->args[i] };
		FILE *f = fopen(c->args[i], "r");
		char *text = NULL;
		size_t len = 0, cap = 0, got;
		int r;

		if (!f) {
			fprintf(stderr, "gpu-vfio: cannot read %s: %s\n", c->args[i], strerror(errno));
			return EXIT_ERROR;
		}
		do {
			if (len + 4096 > cap) {
				char *t = realloc(text, cap = 2 * cap + 4096);

				if (!t) {
					free(text);
					fclose(f);
					return EXIT_ERROR;
				}
				text = t;
			}
			got = fread(text + len, 1, cap - len, f);
			len += got;
		} while (got);
		fclose(f);
		r = json_foreach_object(text ? text : "", len, "devices", kv_from_status, ud);
		free(text);
		if (r < 0 || l->error == -ENOMEM) {
			fprintf(stderr, "gpu-vfio: %s is not the output of gpu-vfio status --json\n",
				c->args[i]);
			return EXIT_ERROR;
		}
	}
	return 0;
}

static int kv_from_node(struct ctx *c, struct kv_list *l, struct policy *p,
			struct pci_machine *m, struct plan *plan)
{
	struct modules *mods;
	struct wanted *w = NULL;
	size_t i, n = 0;
	int r;

	r = collect(c, p, m, plan, &w, &n);
	if (r)
		return r;
	/* The driver claim will bind: vfio-pci or a variant driver modules.alias names. */
	if (modules_new(c->rootfd, false, &mods) == 0) {
		plan_pick_drivers(c->rootfd, plan, m, mods);
		modules_free(mods);
	}
	for (i = 0; i < n; i++) {
		const struct plan_entry *e = &plan->e[w[i].d - m->devs];
		const char *drv = e->action == ACT_CLAIMED ? w[i].d->driver : e->vfio_driver;

		kv_add(l, w[i].d->vendor, w[i].d->device, w[i].name, w[i].d->address, drv, "");
	}
	free(w);
	return 0;
}

static void kv_print_yaml(const struct kv_list *l, bool merged)
{
	size_t i;

	if (merged)
		printf("# Written by gpu-vfio kubevirt --merge: the union of the nodes' devices. pciHostDevices\n"
		       "# is one list for the cluster: merge it into spec.configuration of the KubeVirt CR.\n");
	else
		printf("# Written by gpu-vfio kubevirt: merge into spec.configuration of the KubeVirt CR.\n"
		       "# pciHostDevices is one list for the whole cluster: a merge replaces it, so give\n"
		       "# every node's `gpu-vfio status --json` to `gpu-vfio kubevirt --merge FILE...`.\n");
	printf("permittedHostDevices:\n  pciHostDevices:%s\n", l->n ? "" : " []");
	for (i = 0; i < l->n; i++) {
		const struct kv_entry *e = &l->e[i];

		if (e->variant[0])
			printf("    # %s%s%s is bound to %s, a VFIO variant driver: KubeVirt's device plugin\n"
			       "    # serves vfio-pci devices only, so an external device plugin must advertise %s.\n",
			       e->origin, e->origin[0] ? ": " : "", e->address, e->variant, e->resource);
		printf("    - pciVendorSelector: \"%04X:%04X\"\n      resourceName: \"%s\"\n", e->vendor,
		       e->device, e->resource);
		if (e->variant[0])
			printf("      externalResourceProvider: true\n");
	}
}

/* For kubectl patch kubevirt kubevirt -n kubevirt --type merge -p "$(gpu-vfio kubevirt --json)". */
static void kv_print_json(const struct kv_list *l)
{
	size_t i;

	printf("{\"spec\": {\"configuration\": {\"permittedHostDevices\": {\"pciHostDevices\": [");
	for (i = 0; i < l->n; i++) {
		printf("%s\n  {\"pciVendorSelector\": \"%04X:%04X\", \"resourceName\": ", i ? "," : "",
		       l->e[i].vendor, l->e[i].device);
		json_string(stdout, l->e[i].resource);
		if (l->e[i].variant[0])
			printf(", \"externalResourceProvider\": true");
		printf("}");
	}
	printf("%s]}}}}\n", l->n ? "\n" : "");
}

int cmd_kubevirt(struct ctx *c)
{
	struct kv_list l = { 0 };
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p = { 0 };
	bool have_policy = false;
	int r;

	if (c->merge && !c->n_args) {
		fprintf(stderr, "gpu-vfio: kubevirt --merge needs FILE... (each node's status --json)\n");
		return EXIT_USAGE;
	}
	if (!c->merge && c->n_args) {
		fprintf(stderr, "gpu-vfio: kubevirt takes no arguments without --merge ('%s')\n",
			c->args[0]);
		return EXIT_USAGE;
	}
	/* The notes about entries precede the YAML list: collect first, print after. */
	if (c->merge) {
		r = kv_merge_files(c, &l);
	} else {
		r = kv_from_node(c, &l, &p, &m, &plan);
		have_policy = true;
	}
	if (!r && l.error)
		r = l.error < 0 ? EXIT_ERROR : l.error;
	if (r)
		goto out;
	if (c->json)
		kv_print_json(&l);
	else
		kv_print_yaml(&l, c->merge);
out:
	free(l.e);
	if (have_policy) {
		plan_free(&plan);
		pci_machine_free(&m);
		policy_free(&p);
	}
	return r;
}
