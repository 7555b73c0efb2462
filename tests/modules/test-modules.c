/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module seam (hook/modules.c) with the real static libkmod 34 and its xz, zstd and zlib
 * decoders, on module trees of the host kernel's real vfio modules (tests/modules/run.sh).
 *
 * Usage: test-modules DIR    DIR holds the roots plain, xz, zstd, gzip, corrupt, builtin,
 *                            variant, nvgrace (tests/fixtures/realmodules.sh), empty and
 *                            the file kver
 * Prints "ok N - ..." / "not ok N - ..." and the closing "N passed, N failed" line. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"
#include "rootfs.h"

static int passed, failed;
static char kver[128];
static const char *dir;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", passed + failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

static struct modules *open_root(const char *name, int *rootfd)
{
	char path[PATH_MAX];
	struct modules *m = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*rootfd = root_open(path);
	if (*rootfd < 0) {
		check(false, "%s: open the root: %s", name, strerror(-*rootfd));
		return NULL;
	}
	r = modules_new(*rootfd, false, &m);
	check(r == 0 && m, "%s: modules_new", name);
	return r == 0 ? m : NULL;
}

static void expect_ensure(struct modules *m, const char *root, const char *name, bool load)
{
	bool would_load = !load;
	int r = modules_ensure(m, name, &would_load);

	check(r == 0 && would_load == load, "%s: modules_ensure(%s) = %d, would load: %s (want %s)",
	      root, name, r, would_load ? "yes" : "no", load ? "yes" : "no");
}

static void expect_modinfo(struct modules *m, const char *root, const char *path,
			   const char *name)
{
	struct module_info info;
	size_t n = strlen(kver);
	int r = modules_modinfo(m, path, &info);

	check(r == 0 && strcmp(info.name, name) == 0 && strncmp(info.vermagic, kver, n) == 0 &&
		      info.vermagic[n] == ' ',
	      "%s: modinfo %s: %d, name \"%s\", vermagic \"%s\"", root, path, r, info.name,
	      info.vermagic);
}

/* One compressed format: libkmod finds the modules through the depmod-built index, and the
 * decoder really decompresses both files (their modinfo is in the ELF image). */
static void test_format(const char *root, const char *ext, enum module_compression comp)
{
	char path[256];
	struct modules *m;
	int rootfd;

	m = open_root(root, &rootfd);
	if (!m)
		return;
	check(modules_can_decompress(comp), "%s: this binary decompresses the format", root);
	expect_ensure(m, root, "vfio-pci", true);
	expect_ensure(m, root, "vfio_iommu_type1", true);
	snprintf(path, sizeof(path), "kernel/drivers/vfio/pci/vfio-pci.ko%s", ext);
	expect_modinfo(m, root, path, "vfio_pci");
	snprintf(path, sizeof(path), "kernel/drivers/vfio/vfio_iommu_type1.ko%s", ext);
	expect_modinfo(m, root, path, "vfio_iommu_type1");
	modules_free(m);
	close(rootfd);
}

static void test_corrupt(void)
{
	struct module_info info;
	struct modules *m;
	int rootfd, r;

	m = open_root("corrupt", &rootfd);
	if (!m)
		return;
	r = modules_modinfo(m, "kernel/drivers/vfio/pci/vfio-pci.ko.xz", &info);
	check(r < 0 && r != -ENOENT, "corrupt: modinfo of the damaged vfio-pci.ko.xz fails: %d", r);
	expect_modinfo(m, "corrupt", "kernel/drivers/vfio/vfio_iommu_type1.ko.xz",
		       "vfio_iommu_type1");
	r = modules_modinfo(m, "kernel/drivers/vfio/pci/no-such.ko.xz", &info);
	check(r == -ENOENT, "corrupt: modinfo of a missing file: %d (want -ENOENT)", r);
	modules_free(m);
	close(rootfd);
}

/* vfio-pci in modules.builtin (modules.builtin.bin after depmod): present, nothing to load. */
static void test_builtin(void)
{
	struct modules *m;
	int rootfd;

	m = open_root("builtin", &rootfd);
	if (!m)
		return;
	expect_ensure(m, "builtin", "vfio-pci", false);
	expect_ensure(m, "builtin", "vfio_pci", false);
	expect_ensure(m, "builtin", "vfio_iommu_type1", true);
	modules_free(m);
	close(rootfd);
}

/* The variant lookup through modules.alias.bin: the H100 gets nvgrace_test, a Turing GPU
 * vfio-pci (only vfio-pci's own catch-all alias matches). */
static void test_variant(void)
{
	static const char h100[] = "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00";
	static const char tu104[] = "pci:v000010DEd00001E87sv00001462sd00003727bc03sc00i00";
	char buf[64] = "";
	struct modules *m;
	int rootfd, r;

	m = open_root("variant", &rootfd);
	if (!m)
		return;
	r = modules_vfio_variant(m, h100, buf, sizeof(buf));
	check(r == 0 && strcmp(buf, "nvgrace_test") == 0, "variant: H100 -> %d \"%s\"", r, buf);
	r = modules_vfio_variant(m, tu104, buf, sizeof(buf));
	check(r == -ENOENT, "variant: TU104 -> %d (want -ENOENT: vfio-pci)", r);
	r = modules_vfio_variant(m, "usb:v1D6Bp0002", buf, sizeof(buf));
	check(r == -ENOENT, "variant: not a PCI modalias -> %d", r);
	expect_modinfo(m, "variant", "kernel/drivers/vfio/pci/nvgrace_test.ko.xz", "nvgrace_test");
	expect_ensure(m, "variant", "nvgrace_test", true);
	modules_free(m);
	close(rootfd);
}

static void expect_variant(struct modules *m, const char *what, const char *modalias,
			   const char *want)
{
	char buf[64] = "";
	int r = modules_vfio_variant(m, modalias, buf, sizeof(buf));

	if (want)
		check(r == 0 && strcmp(buf, want) == 0, "nvgrace: %s -> %d \"%s\" (want %s)", what, r,
		      buf, want);
	else
		check(r == -ENOENT, "nvgrace: %s -> %d \"%s\" (want -ENOENT: vfio-pci)", what, r, buf);
}

/* Several vfio_pci: aliases match: libvirt's rule, the fewest wildcards wins, a tie goes to
 * the name first in byte order. nvgrace_gpu_vfio_pci has the real ids of Linux 6.12; the
 * competitors are in realmodules.sh (display_vfio_test: class 03 of any vendor, 6
 * wildcards; gb200_twin_test: 10de:2941, 5; zz_subsys_test: 10de:2345 subvendor 10de, 4). */
static void test_nvgrace(void)
{
	static const struct {
		const char *what, *modalias, *want;
	} cases[] = {
		/* 3D controllers (class 0302): the display catch-all (6) loses to nvgrace (5). */
		{ "GH200 120GB 10de:2342", "pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00",
		  "nvgrace_gpu_vfio_pci" },
		{ "GH200 10de:2348", "pci:v000010DEd00002348sv000010DEsd000018FEbc03sc02i00",
		  "nvgrace_gpu_vfio_pci" },
		{ "GB300 10de:31c2", "pci:v000010DEd000031C2sv000010DEsd00002100bc03sc02i00",
		  "nvgrace_gpu_vfio_pci" },
		/* zz_subsys_test matches the subvendor too (4): fewer wildcards beat name order. */
		{ "GH200 480GB 10de:2345 of NVIDIA", "pci:v000010DEd00002345sv000010DEsd00001809bc03sc02i00",
		  "zz_subsys_test" },
		{ "GH200 480GB 10de:2345 of another vendor",
		  "pci:v000010DEd00002345sv000015D9sd00001809bc03sc02i00", "nvgrace_gpu_vfio_pci" },
		/* A tie (5 and 5): the name first in byte order, whatever order the index gives. */
		{ "GB200 10de:2941", "pci:v000010DEd00002941sv000010DEsd00002046bc03sc02i00",
		  "gb200_twin_test" },
		/* Only the catch-all matches: it is still a variant driver. */
		{ "a VGA card 1002:73bf", "pci:v00001002d000073BFsv00001002sd00000E3Abc03sc00i00",
		  "display_vfio_test" },
		/* Only vfio_pci's own alias: plain vfio-pci. */
		{ "a NIC 8086:1521", "pci:v00008086d00001521sv00008086sd00000001bc02sc00i00", NULL },
	};
	struct modules *m;
	size_t i;
	int rootfd;

	m = open_root("nvgrace", &rootfd);
	if (!m)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		expect_variant(m, cases[i].what, cases[i].modalias, cases[i].want);
	expect_modinfo(m, "nvgrace", "kernel/drivers/vfio/pci/nvgrace-gpu/nvgrace-gpu-vfio-pci.ko.xz",
		       "nvgrace_gpu_vfio_pci");
	expect_ensure(m, "nvgrace", "nvgrace_gpu_vfio_pci", true);
	modules_free(m);
	close(rootfd);
}

/* nvgrace_gpu_vfio_pci indexed (modules.dep, modules.alias) but its file removed: the
 * lookup still names it, ensuring it fails with -ENOENT, vfio-pci is still fine. */
static void test_nomodule(void)
{
	static const char gh200[] = "pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00";
	char buf[64] = "";
	struct modules *m;
	bool would = false;
	int rootfd, r;

	m = open_root("nomodule", &rootfd);
	if (!m)
		return;
	r = modules_vfio_variant(m, gh200, buf, sizeof(buf));
	check(r == 0 && strcmp(buf, "nvgrace_gpu_vfio_pci") == 0, "nomodule: GH200 -> %d \"%s\"", r,
	      buf);
	r = modules_ensure(m, "nvgrace_gpu_vfio_pci", &would);
	check(r == -ENOENT && would, "nomodule: modules_ensure(nvgrace_gpu_vfio_pci) = %d (want -ENOENT)",
	      r);
	expect_ensure(m, "nomodule", "vfio-pci", true);
	modules_free(m);
	close(rootfd);
}

/* A root without a module directory for its kernel: nothing is found, nothing crashes. */
static void test_no_moduledir(void)
{
	struct module_info info;
	char buf[64];
	struct modules *m;
	int rootfd;

	m = open_root("empty", &rootfd);
	if (!m)
		return;
	check(modules_modinfo(m, "kernel/drivers/vfio/pci/vfio-pci.ko", &info) == -ENOENT,
	      "empty: modinfo without a module directory: -ENOENT");
	check(modules_vfio_variant(m, "pci:v000010DEd00002330sv*", buf, sizeof(buf)) == -ENOENT,
	      "empty: no variant without a module directory");
	expect_ensure(m, "empty", "vfio-pci", true);
	modules_free(m);
	close(rootfd);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	snprintf(path, sizeof(path), "%s/kver", dir);
	f = fopen(path, "r");
	if (!f || !fgets(kver, sizeof(kver), f)) {
		fprintf(stderr, "test-modules: cannot read %s\n", path);
		return 2;
	}
	fclose(f);
	kver[strcspn(kver, "\n")] = '\0';

	check(modules_can_decompress(MODULE_COMP_NONE),
	      "the seam reads module files (MODULE_COMP_NONE)");
	test_format("plain", "", MODULE_COMP_NONE);
	test_format("xz", ".xz", MODULE_COMP_XZ);
	test_format("zstd", ".zst", MODULE_COMP_ZSTD);
	test_format("gzip", ".gz", MODULE_COMP_GZIP);
	test_corrupt();
	test_builtin();
	test_variant();
	test_nvgrace();
	test_nomodule();
	test_no_moduledir();
	printf("modules: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
