/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kubevirt: KubeVirt's permittedHostDevices for this node, or the union of several nodes'. */
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

static const struct command_option options[] = {
	{ "--merge", false, "--merge is an option of kubevirt only" },
	{ NULL },
};

static bool merge; /* --merge FILE...: several nodes' status --json */
static char **files;
static int n_files;

static int kubevirt_parse(const struct ctx *c, const struct command_arg *opts, size_t n_opts,
			  char **args, int n_args)
{
	merge = n_opts > 0;
	files = args;
	n_files = n_args;
	return 0;
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

/* The targets of one node's `status --json`: as cloud_collect() chooses them. */
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

static int kv_merge_files(struct kv_list *l)
{
	int i;

	for (i = 0; i < n_files; i++) {
		void *ud[2] = { l, files[i] };
		FILE *f = fopen(files[i], "r");
		char *text = NULL;
		size_t len = 0, cap = 0, got;
		int r;

		if (!f) {
			fprintf(stderr, "gpu-vfio: cannot read %s: %s\n", files[i], strerror(errno));
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
				files[i]);
			return EXIT_ERROR;
		}
	}
	return 0;
}

static int kv_from_node(struct ctx *c, struct kv_list *l, struct policy *p,
			struct pci_machine *m, struct plan *plan)
{
	struct modules *mods;
	struct cloud_device *w = NULL;
	size_t i, n = 0;
	int r;

	r = cloud_collect(c, p, m, plan, &w, &n);
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

static int kubevirt_run(struct ctx *c)
{
	struct kv_list l = { 0 };
	struct pci_machine m = { 0 };
	struct plan plan = { 0 };
	struct policy p = { 0 };
	bool have_policy = false;
	int r;

	if (merge && !n_files) {
		fprintf(stderr, "gpu-vfio: kubevirt --merge needs FILE... (each node's status --json)\n");
		return EXIT_USAGE;
	}
	if (!merge && n_files) {
		fprintf(stderr, "gpu-vfio: kubevirt takes no arguments without --merge ('%s')\n",
			files[0]);
		return EXIT_USAGE;
	}
	/* The notes about entries precede the YAML list: collect first, print after. */
	if (merge) {
		r = kv_merge_files(&l);
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
		kv_print_yaml(&l, merge);
out:
	free(l.e);
	if (have_policy) {
		plan_free(&plan);
		pci_machine_free(&m);
		policy_free(&p);
	}
	return r;
}

const struct command command_kubevirt = {
	.name = "kubevirt",
	.help = "  kubevirt [--merge FILE...]\n"
		"                      KubeVirt permittedHostDevices for this node, or the union\n"
		"                      of several nodes' status --json\n",
	.options = options,
	.takes_args = true,
	.json = true,
	.parse = kubevirt_parse,
	.run = kubevirt_run,
};
