/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel modules: the one seam where gpu-vfio talks to libkmod (tests replace this file). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libkmod.h>

#include "modules.h"
#include "rootfs.h"

#ifndef MODULES_DECOMPRESS_XZ
#define MODULES_DECOMPRESS_XZ 0
#endif
#ifndef MODULES_DECOMPRESS_ZSTD
#define MODULES_DECOMPRESS_ZSTD 0
#endif
#ifndef MODULES_DECOMPRESS_GZIP
#define MODULES_DECOMPRESS_GZIP 0
#endif

struct vfio_alias;

struct modules {
	int rootfd;
	bool live;
	struct kmod_ctx *ctx; /* NULL when the root has no module directory for its kernel */
	struct vfio_alias *aliases; /* modules.alias's vfio_pci: lines, once asked for */
	size_t n_aliases;
	bool aliases_loaded;
};

int modules_new(int rootfd, bool live, struct modules **ret)
{
	char kver[128], dir[PATH_MAX], path[PATH_MAX];
	struct modules *m;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->rootfd = rootfd;
	m->live = live;
	if (root_read(rootfd, "proc/sys/kernel/osrelease", kver, sizeof(kver)) > 0 &&
	    !strchr(kver, '/')) {
		snprintf(path, sizeof(path), "lib/modules/%s", kver);
		if (root_exists(rootfd, path)) {
			/* libkmod takes a path; the root fd's own path is /proc/self/fd/N. */
			snprintf(dir, sizeof(dir), "/proc/self/fd/%d/%.200s", rootfd, path);
			if (live)
				snprintf(dir, sizeof(dir), "/%.200s", path);
			m->ctx = kmod_new(dir, NULL);
			if (m->ctx) {
				kmod_set_log_priority(m->ctx, 0);
				(void)kmod_load_resources(m->ctx);
			}
		}
	}
	*ret = m;
	return 0;
}

static void vfio_aliases_free(struct modules *m);

void modules_free(struct modules *m)
{
	if (!m)
		return;
	if (m->ctx)
		kmod_unref(m->ctx);
	vfio_aliases_free(m);
	free(m);
}

static bool module_present(struct modules *m, const char *name)
{
	char path[PATH_MAX], norm[64];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(norm); i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	/* Loaded modules and built-in ones with parameters both have /sys/module/NAME. */
	snprintf(path, sizeof(path), "sys/module/%s", norm);
	if (root_exists(m->rootfd, path))
		return true;
	if (m->ctx) {
		struct kmod_module *mod;
		bool builtin = false;

		if (kmod_module_new_from_name(m->ctx, norm, &mod) == 0) {
			builtin = kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
			kmod_module_unref(mod);
		}
		return builtin;
	}
	return false;
}

/* Under a root, nothing is loaded; but a module the index names whose file is gone (a
 * trimmed image, a half-removed package) could not be loaded either: -ENOENT. */
static int module_files_present(struct modules *m, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int r = 0;

	if (!m->ctx || kmod_module_new_from_lookup(m->ctx, name, &list) < 0 || !list)
		return 0; /* not indexed: nothing to tell */
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *path = kmod_module_get_path(mod);

		if (r == 0 && path && access(path, F_OK) < 0)
			r = -errno;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return r;
}

int modules_ensure(struct modules *m, const char *name, bool *ret_would_load)
{
	struct kmod_list *list = NULL, *l;
	int r;

	*ret_would_load = false;
	if (module_present(m, name))
		return 0;
	*ret_would_load = true;
	if (!m->live)
		return module_files_present(m, name);
	if (!m->ctx)
		return -ENOENT;
	r = kmod_module_new_from_lookup(m->ctx, name, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL,
						    NULL, NULL);
		kmod_module_unref(mod);
		if (r == -EEXIST)
			r = 0;
		if (r > 0) /* blacklisted: the operator said no */
			r = -EPERM;
		if (r < 0)
			break;
	}
	kmod_module_unref_list(list);
	return r;
}

/* One "alias vfio_pci:PATTERN MODULE" line of modules.alias. */
struct vfio_alias {
	char *pattern; /* "vfio_pci:v...", as depmod wrote it */
	char *module;
};

static void vfio_aliases_free(struct modules *m)
{
	size_t i;

	for (i = 0; i < m->n_aliases; i++) {
		free(m->aliases[i].pattern);
		free(m->aliases[i].module);
	}
	free(m->aliases);
	m->aliases = NULL;
	m->n_aliases = 0;
}

/* The vfio_pci: lines of modules.alias, read once. libkmod's lookup (modules.alias.bin)
 * names the modules that match, not the pattern that matched: the text beside it has both. */
static void vfio_aliases_load(struct modules *m)
{
	char path[PATH_MAX], line[512], pattern[384], module[128];
	size_t cap = 0;
	FILE *f;

	if (m->aliases_loaded)
		return;
	m->aliases_loaded = true;
	if ((size_t)snprintf(path, sizeof(path), "%s/modules.alias", kmod_get_dirname(m->ctx)) >=
	    sizeof(path))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct vfio_alias *a;

		if (strncmp(line, "alias vfio_pci:", 15) != 0 ||
		    sscanf(line, "alias %383s %127s", pattern, module) != 2)
			continue;
		if (m->n_aliases == cap) {
			cap = cap ? cap * 2 : 16;
			a = realloc(m->aliases, cap * sizeof(*a));
			if (!a)
				break;
			m->aliases = a;
		}
		a = &m->aliases[m->n_aliases];
		a->pattern = strdup(pattern);
		a->module = strdup(module);
		if (!a->pattern || !a->module) {
			free(a->pattern);
			free(a->module);
			break;
		}
		m->n_aliases++;
	}
	fclose(f);
}

/* How unspecific a pattern is: its wildcards, '*' and '?' (libvirt's measure). */
static int alias_wildcards(const char *pattern)
{
	int n = 0;

	for (; *pattern; pattern++)
		n += *pattern == '*' || *pattern == '?';
	return n;
}

/* The fewest wildcards among module's vfio_pci: patterns that match alias; INT_MAX when
 * modules.alias has none (libkmod found it, the text does not say how). */
static int module_best_wildcards(struct modules *m, const char *module, const char *alias)
{
	int best = INT_MAX;
	size_t i;

	for (i = 0; i < m->n_aliases; i++) {
		const struct vfio_alias *a = &m->aliases[i];
		int w;

		if (strcmp(a->module, module) != 0 || fnmatch(a->pattern, alias, 0) != 0)
			continue;
		w = alias_wildcards(a->pattern);
		if (w < best)
			best = w;
	}
	return best;
}

int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size)
{
	struct kmod_list *list = NULL, *l;
	char alias[192], best[64] = "";
	int best_w = 0;

	if (!m->ctx || strncmp(modalias, "pci:", 4) != 0)
		return -ENOENT;
	snprintf(alias, sizeof(alias), "vfio_%s", modalias);
	if (kmod_module_new_from_lookup(m->ctx, alias, &list) < 0 || !list)
		return -ENOENT;
	vfio_aliases_load(m);
	/* libvirt's rule: the alias with the fewest wildcards is the most specific driver;
	 * a tie goes to the module name first in byte order, whatever order the index lists. */
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		int w;

		/* vfio_pci itself matches every device; a variant is anything else. */
		if (strcmp(name, "vfio_pci") != 0 && strlen(name) < sizeof(best)) {
			w = module_best_wildcards(m, name, alias);
			if (!best[0] || w < best_w || (w == best_w && strcmp(name, best) < 0)) {
				strcpy(best, name);
				best_w = w;
			}
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	if (!best[0])
		return -ENOENT;
	if (strlen(best) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, best);
	return 0;
}

/* The decoders linked into libkmod: mk/kmod.mk (static kmod 34) and mk/valgrind.mk (the
 * system's libkmod) say which with MODULES_DECOMPRESS_{XZ,ZSTD,GZIP}=1. */
bool modules_can_decompress(enum module_compression c)
{
	static const bool have[] = {
		[MODULE_COMP_NONE] = true,
		[MODULE_COMP_XZ] = MODULES_DECOMPRESS_XZ,
		[MODULE_COMP_ZSTD] = MODULES_DECOMPRESS_ZSTD,
		[MODULE_COMP_GZIP] = MODULES_DECOMPRESS_GZIP,
	};

	return (size_t)c < sizeof(have) / sizeof(*have) && have[c];
}

int modules_modinfo(struct modules *m, const char *path, struct module_info *ret)
{
	struct kmod_list *info = NULL, *l;
	struct kmod_module *mod;
	char full[PATH_MAX];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!m->ctx)
		return -ENOENT;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", kmod_get_dirname(m->ctx), path) >=
	    sizeof(full))
		return -ENAMETOOLONG;
	if (access(full, F_OK) < 0)
		return -errno;
	r = kmod_module_new_from_path(m->ctx, full, &mod);
	if (r < 0)
		return r;
	snprintf(ret->name, sizeof(ret->name), "%s", kmod_module_get_name(mod));
	r = kmod_module_get_info(mod, &info);
	if (r >= 0) {
		kmod_list_foreach(l, info) {
			const char *key = kmod_module_info_get_key(l);
			const char *value = kmod_module_info_get_value(l);

			if (!value)
				continue;
			if (strcmp(key, "vermagic") == 0)
				snprintf(ret->vermagic, sizeof(ret->vermagic), "%s", value);
			else if (strcmp(key, "name") == 0)
				snprintf(ret->name, sizeof(ret->name), "%s", value);
		}
		kmod_module_info_free_list(info);
		r = 0;
	}
	kmod_module_unref(mod);
	return r;
}
