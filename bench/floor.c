/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syscall floor of a PCI scan: vendor, class and iommu_group of every device, nothing else. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void read_attr(int devfd, const char *name)
{
	char buf[32];
	int fd;

	fd = openat(devfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)read(fd, buf, sizeof(buf));
	close(fd);
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	struct dirent *de;
	int rootfd, dfd;
	DIR *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: floor ROOT\n");
		return 2;
	}
	rootfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		perror(argv[1]);
		return 1;
	}
	dfd = openat(rootfd, "sys/bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		perror("sys/bus/pci/devices");
		return 1;
	}
	while ((de = readdir(dir))) {
		char link[256];
		int devfd;

		if (de->d_name[0] == '.')
			continue;
		devfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (devfd < 0)
			continue;
		read_attr(devfd, "vendor");
		read_attr(devfd, "class");
		(void)readlinkat(devfd, "iommu_group", link, sizeof(link));
		close(devfd);
		n++;
	}
	closedir(dir);
	close(rootfd);
	printf("%lu\n", n);
	return 0;
}
