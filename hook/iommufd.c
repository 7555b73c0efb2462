/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommufd and the VFIO device cdev (Linux 6.6+): the interface beside /dev/vfio/GROUP. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommufd.h"
#include "rootfs.h"

bool iommufd_present(int rootfd)
{
	return root_exists(rootfd, "dev/iommu") || root_exists(rootfd, "sys/class/misc/iommu");
}

/* "vfio" followed by decimal digits only, short enough for a node path. */
static bool is_vfio_index(const char *name)
{
	size_t n;

	if (strncmp(name, "vfio", 4) != 0)
		return false;
	n = strspn(name + 4, "0123456789");
	return n > 0 && name[4 + n] == '\0' && 4 + n < VFIO_CDEV_MAX;
}

int vfio_cdev_of(int rootfd, const char *address, char *ret, size_t size)
{
	char path[96];
	struct dirent *de;
	int fd, r = -ENOENT;
	DIR *dir;

	(void)snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/vfio-dev", address);
	fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOENT;
	}
	/* A device has one vfio_device; its dev attribute exists only when the kernel gave it
	 * a char device number (device_add() creates "dev" for a non-zero major). */
	while ((de = readdir(dir))) {
		char dev[NAME_MAX + 8];
		struct stat st;
		bool chr;

		if (!is_vfio_index(de->d_name))
			continue;
		(void)snprintf(dev, sizeof(dev), "%s/dev", de->d_name);
		chr = fstatat(dirfd(dir), dev, &st, AT_SYMLINK_NOFOLLOW) == 0;
		if (r < 0 || chr) {
			(void)snprintf(ret, size, "%s", de->d_name);
			r = chr;
		}
		if (chr)
			break;
	}
	closedir(dir);
	return r;
}

char kconfig_value(const char *text, const char *option)
{
	size_t len = strlen(option);
	const char *p = text;

	for (; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		if (strncmp(p, option, len) == 0 && p[len] == '=')
			return p[len + 1] == 'y' || p[len + 1] == 'm' ? p[len + 1] : 'n';
		if (strncmp(p, "# ", 2) == 0 && strncmp(p + 2, option, len) == 0 &&
		    strncmp(p + 2 + len, " is not set", 11) == 0)
			return 'n';
	}
	return 0;
}
