/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel modules: the one seam where gpu-vfio talks to libkmod (tests replace this file). */
#define _GNU_SOURCE 1
#include <errno.h>
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

struct modules {
	int rootfd;
	bool live;
	struct kmod_ctx *ctx; /* NULL when the root has no module directory for its kernel */
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

void modules_free(struct modules *m)
{
	if (!m)
		return;
	if (m->ctx)
		kmod_unref(m->ctx);
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

int modules_ensure(struct modules *m, const char *name, bool *ret_would_load)
{
	struct kmod_list *list = NULL, *l;
	int r;

	*ret_would_load = false;
	if (module_present(m, name))
		return 0;
	*ret_would_load = true;
	if (!m->live)
		return 0;
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

int modules_vfio_variant(struct modules *m, const char *modalias, char *buf, size_t size)
{
	struct kmod_list *list = NULL, *l;
	char alias[192];
	int r = -ENOENT;

	if (!m->ctx || strncmp(modalias, "pci:", 4) != 0)
		return -ENOENT;
	snprintf(alias, sizeof(alias), "vfio_%s", modalias);
	if (kmod_module_new_from_lookup(m->ctx, alias, &list) < 0 || !list)
		return -ENOENT;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);

		/* vfio_pci itself matches every device; a variant is anything else. */
		if (r == -ENOENT && strcmp(name, "vfio_pci") != 0 && strlen(name) < size) {
			strcpy(buf, name);
			r = 0;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return r;
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
