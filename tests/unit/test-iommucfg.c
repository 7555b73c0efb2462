/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the kernel cmdline IOMMU semantics and the analysis (lib/iommucfg.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd-check.h"
#include "iommucfg.h"
#include "needs-unit.h"
#include "rootfs.h"

static void test_intel_left_to_right(void **state)
{
	struct iommu_switches s;

	iommu_switches_parse("root=/dev/sda1 intel_iommu=on,sm_on quiet", &s);
	assert_int_equal(s.intel, SWITCH_ON);
	assert_string_equal(s.intel_token, "intel_iommu=on,sm_on");
	iommu_switches_parse("intel_iommu=on intel_iommu=off", &s);
	assert_int_equal(s.intel, SWITCH_OFF);
	/* '-' and '_' are the same in keys; items apply left to right within one value. */
	iommu_switches_parse("intel_iommu=on intel-iommu=sm_on,off", &s);
	assert_int_equal(s.intel, SWITCH_OFF);
	assert_string_equal(s.intel_token, "intel-iommu=sm_on,off");
	iommu_switches_parse("intel_iommu=off,on", &s);
	assert_int_equal(s.intel, SWITCH_ON);
	/* An item that is neither on nor off leaves the switch and its token alone. */
	iommu_switches_parse("intel_iommu=on intel_iommu=igfx_off", &s);
	assert_int_equal(s.intel, SWITCH_ON);
	assert_string_equal(s.intel_token, "intel_iommu=on");
	iommu_switches_parse("quiet", &s);
	assert_int_equal(s.intel, SWITCH_UNSET);
	iommu_switches_parse("\"intel_iommu=on\"", &s);
	assert_int_equal(s.intel, SWITCH_ON);
	assert_int_equal(s.n_bogus, 0);
}

static void test_passthrough_last_wins(void **state)
{
	struct iommu_switches s;

	iommu_switches_parse("iommu=pt", &s);
	assert_int_equal(s.passthrough, SWITCH_ON);
	iommu_switches_parse("iommu=pt iommu=nopt", &s);
	assert_int_equal(s.passthrough, SWITCH_OFF);
	assert_string_equal(s.passthrough_token, "iommu=nopt");
	iommu_switches_parse("iommu=nopt iommu.passthrough=1", &s);
	assert_int_equal(s.passthrough, SWITCH_ON);
	assert_string_equal(s.passthrough_token, "iommu.passthrough=1");
	iommu_switches_parse("iommu=pt iommu.passthrough=off", &s);
	assert_int_equal(s.passthrough, SWITCH_OFF);
	iommu_switches_parse("iommu=force,pt", &s);
	assert_int_equal(s.passthrough, SWITCH_ON);
	iommu_switches_parse("iommu.strict=1", &s);
	assert_int_equal(s.passthrough, SWITCH_UNSET);
}

static void test_off_switches(void **state)
{
	struct iommu_switches s;

	iommu_switches_parse("iommu=off", &s);
	assert_true(s.iommu_off);
	assert_string_equal(s.iommu_off_token, "iommu=off");
	iommu_switches_parse("amd_iommu=fullflush,off", &s);
	assert_true(s.amd_off);
	assert_string_equal(s.amd_off_token, "amd_iommu=fullflush,off");
	iommu_switches_parse("intremap=off", &s);
	assert_true(s.intremap_off);
	iommu_switches_parse("amd_iommu=force_isolation", &s);
	assert_false(s.amd_off);
	assert_int_equal(s.n_bogus, 0);
}

static void test_meaningless_values(void **state)
{
	struct iommu_switches s;

	iommu_switches_parse("amd_iommu=on iommu=pt", &s);
	assert_int_equal(s.n_bogus, 1);
	assert_string_equal(s.bogus[0], "amd_iommu=on");
	assert_false(s.amd_off);
	iommu_switches_parse("intel_iommu=1 iommu=on iommu=1 iommu=on", &s);
	assert_int_equal(s.intel, SWITCH_UNSET);
	assert_int_equal(s.n_bogus, 3);
	assert_string_equal(s.bogus[0], "intel_iommu=1");
	assert_string_equal(s.bogus[1], "iommu=on");
	assert_string_equal(s.bogus[2], "iommu=1");
}

/* Facts as the analysis sees them, without any file. */
static void facts_init(struct iommu_facts *f, const char *effective, enum boot_kind kind,
		       const char *configured)
{
	memset(f, 0, sizeof(*f));
	f->effective = strdup(effective);
	strcpy(f->kver, "6.1.0-13-amd64");
	f->cpu = CPU_INTEL;
	f->dmar = true;
	f->n_iommus = 2;
	strcpy(f->iommu_names, "dmar0 dmar1");
	f->n_groups = 40;
	f->irq_remap = 1;
	f->boot.kind = kind;
	f->boot.tool = kind == BOOT_KERNEL_CMDLINE ? TOOL_PROXMOX_BOOT_TOOL : TOOL_KERNEL_INSTALL;
	strcpy(f->boot.entries[0].file, "/etc/kernel/cmdline");
	f->boot.entries[0].cmdline = strdup(configured);
	f->boot.n_entries = 1;
}

static const struct finding *find(const struct findings *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].name, name) == 0)
			return &r->findings[i];
	return NULL;
}

static void test_all_good(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;

	facts_init(&f, "root=x intel_iommu=on iommu=pt", BOOT_KERNEL_CMDLINE,
		   "root=x intel_iommu=on iommu=pt");
	iommu_analyse(&f, &r, &v);
	assert_false(r.oom);
	assert_false(generator_needs_unit(&r));
	assert_int_equal(findings_worst(&r), SEV_OK);
	assert_false(v.inactive_now);
	assert_false(v.inactive_next);
	assert_string_equal(v.source_path, "/etc/kernel/cmdline");
	findings_free(&r);
	iommu_facts_free(&f);
}

static void test_inactive_missing_switch(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init(&f, "root=x", BOOT_KERNEL_CMDLINE, "root=x iommu=pt");
	f.n_iommus = 0;
	f.n_groups = 0;
	f.iommu_names[0] = '\0';
	f.irq_remap = 0;
	iommu_analyse(&f, &r, &v);
	assert_true(v.inactive_now);
	assert_true(v.inactive_next);
	assert_true(generator_needs_unit(&r));
	fi = find(&r, "next-boot-switch");
	assert_non_null(fi);
	assert_int_equal(fi->severity, SEV_FAIL);
	assert_string_equal(fi->fix, "add \"intel_iommu=on\" to /etc/kernel/cmdline, then run "
				     "proxmox-boot-tool refresh and reboot");
	fi = find(&r, "interrupt-remapping");
	assert_non_null(fi);
	assert_int_equal(fi->severity, SEV_WARN);
	findings_free(&r);
	iommu_facts_free(&f);
}

/* VT-d on without intel_iommu=on (CONFIG_INTEL_IOMMU_DEFAULT_ON): warnings only. */
static void test_default_on_warns(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;

	facts_init(&f, "root=x iommu=pt", BOOT_KERNEL_CMDLINE, "root=x iommu=pt");
	iommu_analyse(&f, &r, &v);
	assert_false(v.inactive_now);
	assert_false(v.inactive_next);
	assert_true(generator_needs_unit(&r));
	assert_int_equal(find(&r, "kernel-switch")->severity, SEV_WARN);
	assert_int_equal(find(&r, "next-boot-switch")->severity, SEV_WARN);
	findings_free(&r);
	iommu_facts_free(&f);
}

/* The running kernel is fine, the configured line turns it off: fails for next boot. */
static void test_configured_off(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init(&f, "intel_iommu=on iommu=pt", BOOT_KERNEL_CMDLINE,
		   "intel_iommu=on iommu=pt intel_iommu=off");
	iommu_analyse(&f, &r, &v);
	assert_false(v.inactive_now);
	assert_true(v.inactive_next);
	fi = find(&r, "next-boot-switch");
	assert_int_equal(fi->severity, SEV_FAIL);
	assert_non_null(strstr(fi->fix, "remove \"intel_iommu=off\" from /etc/kernel/cmdline"));
	findings_free(&r);
	iommu_facts_free(&f);
}

/* IVRS needs no switch; amd_iommu=on alone is minor and writes no unit. */
static void test_amd_meaningless_is_minor(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init(&f, "amd_iommu=on iommu=pt", BOOT_KERNEL_CMDLINE, "amd_iommu=on iommu=pt");
	f.cpu = CPU_AMD;
	f.dmar = false;
	f.ivrs = true;
	iommu_analyse(&f, &r, &v);
	fi = find(&r, "cmdline-values");
	assert_non_null(fi);
	assert_true(generator_finding_minor(fi));
	assert_int_equal(fi->severity, SEV_WARN);
	assert_false(generator_needs_unit(&r));
	assert_int_equal(findings_worst(&r), SEV_WARN);
	findings_free(&r);
	iommu_facts_free(&f);

	/* amd_iommu=off is a real problem. */
	memset(&r, 0, sizeof(r));
	facts_init(&f, "iommu=pt", BOOT_KERNEL_CMDLINE, "amd_iommu=off iommu=pt");
	f.cpu = CPU_AMD;
	f.dmar = false;
	f.ivrs = true;
	iommu_analyse(&f, &r, &v);
	assert_true(v.inactive_next);
	findings_free(&r);
	iommu_facts_free(&f);
}

static void test_no_table(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init(&f, "intel_iommu=on iommu=pt", BOOT_KERNEL_CMDLINE, "intel_iommu=on iommu=pt");
	f.dmar = false;
	f.n_iommus = 0;
	f.n_groups = 0;
	iommu_analyse(&f, &r, &v);
	fi = find(&r, "firmware-table");
	assert_int_equal(fi->severity, SEV_FAIL);
	assert_non_null(strstr(fi->fix, "VT-d"));
	assert_true(v.inactive_now);
	findings_free(&r);
	iommu_facts_free(&f);
}

static void mkdirs(const char *root, const char *rel)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *root)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Precedence: BLS entries, then /etc/kernel/cmdline, then GRUB. */
static void test_gather_precedence(void **state)
{
	char dir[] = "/tmp/test-iommucfg.XXXXXX";
	struct iommu_facts f;
	int rootfd;

	assert_non_null(mkdtemp(dir));
	mkdirs(dir, "proc/sys/kernel");
	mkdirs(dir, "sys/firmware/acpi/tables");
	mkdirs(dir, "sys/class/iommu/dmar0");
	mkdirs(dir, "sys/kernel/iommu_groups/0");
	mkdirs(dir, "sys/kernel/iommu_groups/1");
	mkdirs(dir, "etc/default");
	mkdirs(dir, "etc/kernel");
	mkdirs(dir, "boot/grub");
	put(dir, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=x quiet\n");
	put(dir, "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n");
	put(dir, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n");
	put(dir, "proc/interrupts", "  0:  36  IR-IO-APIC    2-edge      timer\n");
	put(dir, "sys/firmware/acpi/tables/IVRS", "IVRS");
	put(dir, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"from-grub\"\n");
	put(dir, "boot/grub/grub.cfg", "menuentry 'Debian' {\n\tlinux\t/vmlinuz root=x from-grub-cfg\n}\n");
	put(dir, "etc/kernel/cmdline", "root=x from-kernel-cmdline\n");

	rootfd = root_open(dir);
	assert_true(rootfd >= 0);

	/* grub.cfg exists and no proxmox-boot-uuids: GRUB decides. */
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_string_equal(f.effective, "BOOT_IMAGE=/vmlinuz root=x quiet");
	assert_string_equal(f.kver, "6.1.0-13-amd64");
	assert_int_equal(f.cpu, CPU_AMD);
	assert_true(f.ivrs);
	assert_false(f.dmar);
	assert_int_equal(f.n_iommus, 1);
	assert_int_equal(f.n_groups, 2);
	assert_int_equal(f.irq_remap, 1);
	assert_int_equal(f.boot.kind, BOOT_GRUB);
	assert_int_equal(f.boot.tool, TOOL_UPDATE_GRUB);
	assert_string_equal(f.boot.entries[0].cmdline, "from-grub");
	assert_string_equal(f.boot.grub_cfg_cmdline, " root=x from-grub-cfg");
	iommu_facts_free(&f);

	/* Proxmox: /etc/kernel/cmdline wins over GRUB. */
	put(dir, "etc/kernel/proxmox-boot-uuids", "1A2B-3C4D\n");
	assert_int_equal(iommu_facts_gather(&f, rootfd, "override quiet"), 0);
	assert_string_equal(f.effective, "override quiet");
	assert_int_equal(f.boot.kind, BOOT_KERNEL_CMDLINE);
	assert_int_equal(f.boot.tool, TOOL_PROXMOX_BOOT_TOOL);
	assert_string_equal(f.boot.entries[0].file, "/etc/kernel/cmdline");
	iommu_facts_free(&f);

	/* BLS entries win over both; $kernelopts comes from grubenv; rescue is left out. */
	mkdirs(dir, "boot/loader/entries");
	mkdirs(dir, "boot/grub2");
	put(dir, "boot/loader/entries/abc-5.14.0-70.el9.x86_64.conf",
	    "title Old\noptions $kernelopts $tuned_params\n");
	put(dir, "boot/loader/entries/abc-5.14.0-362.el9.x86_64.conf",
	    "title New\noptions root=/dev/mapper/rl-root ro\noptions intel_iommu=on\n");
	put(dir, "boot/loader/entries/abc-0-rescue.conf", "title Rescue\noptions root=x\n");
	put(dir, "boot/grub2/grubenv",
	    "# GRUB Environment Block\nkernelopts=root=/dev/mapper/rl-root ro iommu=pt\n#####\n");
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_int_equal(f.boot.kind, BOOT_BLS);
	assert_int_equal(f.boot.tool, TOOL_GRUBBY);
	assert_int_equal(f.boot.n_entries, 2);
	assert_string_equal(f.boot.entries[0].file,
			    "/boot/loader/entries/abc-5.14.0-362.el9.x86_64.conf");
	assert_string_equal(f.boot.entries[0].cmdline, "root=/dev/mapper/rl-root ro intel_iommu=on");
	assert_string_equal(f.boot.entries[1].cmdline, "root=/dev/mapper/rl-root ro iommu=pt ");
	iommu_facts_free(&f);
	close(rootfd);
	rm_rf(dir);
}

/* kernel-install without any grub.cfg; nothing at all: the running cmdline stands in. */
static void test_gather_kernel_install_and_unknown(void **state)
{
	char dir[] = "/tmp/test-iommucfg.XXXXXX";
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	int rootfd;

	assert_non_null(mkdtemp(dir));
	mkdirs(dir, "proc");
	mkdirs(dir, "etc/kernel");
	put(dir, "proc/cmdline", "root=x\n");
	put(dir, "etc/kernel/cmdline", "root=x intel_iommu=on\n");
	rootfd = root_open(dir);
	assert_true(rootfd >= 0);
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_int_equal(f.boot.kind, BOOT_KERNEL_CMDLINE);
	assert_int_equal(f.boot.tool, TOOL_KERNEL_INSTALL);
	assert_int_equal(f.cpu, CPU_UNKNOWN);
	assert_int_equal(f.irq_remap, -1);
	iommu_facts_free(&f);

	rm_rf(dir);
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_int_equal(f.boot.kind, BOOT_UNKNOWN);
	assert_string_equal(f.effective, "");
	iommu_analyse(&f, &r, &v);
	assert_non_null(find(&r, "next-boot"));
	assert_true(generator_finding_minor(find(&r, "next-boot")));
	assert_true(v.inactive_now);
	findings_free(&r);
	iommu_facts_free(&f);
	close(rootfd);
}

/* A copy of the generator's all-good golden tree, with modules and an initramfs. */
static int check_root(char *dir, const char *modules_dep, const char *builtin)
{
	char cmd[8192];

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -a tests/generator/01-grub-all-good/. '%s/'", dir);
	assert_int_equal(system(cmd), 0);
	mkdirs(dir, "lib/modules/6.1.0-13-amd64");
	mkdirs(dir, "boot");
	if (modules_dep)
		put(dir, "lib/modules/6.1.0-13-amd64/modules.dep", modules_dep);
	if (builtin)
		put(dir, "lib/modules/6.1.0-13-amd64/modules.builtin", builtin);
	put(dir, "boot/initrd.img-6.1.0-13-amd64", "initramfs");
	return root_open(dir);
}

static void link_to(const char *root, const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* One GPU the policy claims, alone in IOMMU group 1, as sysfs shows it. */
static void add_gpu(const char *dir)
{
	static const unsigned char config[64] = { 0xde, 0x10, 0x87, 0x1e };
	char path[4096];
	FILE *f;

	mkdirs(dir, "sys/devices/pci0000:00/0000:01:00.0");
	mkdirs(dir, "sys/bus/pci/devices");
	mkdirs(dir, "sys/kernel/iommu_groups/1/devices");
	put(dir, "sys/devices/pci0000:00/0000:01:00.0/vendor", "0x10de\n");
	put(dir, "sys/devices/pci0000:00/0000:01:00.0/device", "0x1e87\n");
	put(dir, "sys/devices/pci0000:00/0000:01:00.0/class", "0x030000\n");
	put(dir, "sys/devices/pci0000:00/0000:01:00.0/driver_override", "(null)\n");
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:01:00.0/config", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(config, 1, sizeof(config), f), sizeof(config));
	fclose(f);
	link_to(dir, "../../../kernel/iommu_groups/1",
		"sys/devices/pci0000:00/0000:01:00.0/iommu_group");
	link_to(dir, "../../../devices/pci0000:00/0000:01:00.0", "sys/bus/pci/devices/0000:01:00.0");
	link_to(dir, "../../../../devices/pci0000:00/0000:01:00.0",
		"sys/kernel/iommu_groups/1/devices/0000:01:00.0");
}

static void set_mtime(const char *dir, const char *rel, time_t t)
{
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Run cmd_check with stdout captured into a malloc'ed string. */
static int run_check(int rootfd, const char *policy_file, bool json, char **ret)
{
	char tmpl[] = "/tmp/test-check-out.XXXXXX";
	int fd, saved, r;
	size_t len = 0;
	FILE *f;

	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	r = cmd_check(rootfd, policy_file, json);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	*ret = calloc(1, 65536);
	len = fread(*ret, 1, 65535, f);
	(*ret)[len] = '\0';
	fclose(f);
	unlink(tmpl);
	return r;
}

static const char dep_ok[] =
	"kernel/drivers/vfio/vfio_iommu_type1.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n"
	"kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n"
	"kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz\n";

static void test_check_all_ok(void **state)
{
	char dir[] = "/tmp/test-check.XXXXXX";
	char *out, *line;
	int rootfd = check_root(dir, dep_ok, NULL);

	add_gpu(dir);
	set_mtime(dir, "etc/gpu-vfio.conf", 1700000000);
	set_mtime(dir, "boot/initrd.img-6.1.0-13-amd64", 1700000100);
	assert_int_equal(run_check(rootfd, NULL, false, &out), 0);
	assert_non_null(strstr(out, "ok   devices: 1 device wanted by the policy, every one in a viable IOMMU group\n"));
	assert_non_null(strstr(out, "ok   vfio-modules: vfio-pci is a module of 6.1.0-13-amd64\n"));
	assert_non_null(strstr(out, "ok   initramfs: /boot/initrd.img-6.1.0-13-amd64 was built after"));
	assert_non_null(strstr(out, "ok   policy: the policy is valid: 2 rules in 1 file\n"));
	for (line = out; *line; line = strchr(line, '\n') + 1)
		if (strncmp(line, "ok   ", 5) != 0)
			fail_msg("not ok: %.*s", (int)strcspn(line, "\n"), line);
	free(out);
	close(rootfd);
	rm_rf(dir);
}

static void test_check_stale_initramfs_and_missing_module(void **state)
{
	char dir[] = "/tmp/test-check.XXXXXX";
	char *out;
	int rootfd = check_root(dir, "kernel/drivers/vfio/pci/nvgrace-gpu-vfio-pci.ko: \n", NULL);

	set_mtime(dir, "etc/gpu-vfio.conf", 1700000100);
	set_mtime(dir, "boot/initrd.img-6.1.0-13-amd64", 1700000000);
	assert_int_equal(run_check(rootfd, NULL, false, &out), 1);
	assert_non_null(strstr(out, "FAIL initramfs: /boot/initrd.img-6.1.0-13-amd64 is older than "
				    "/etc/gpu-vfio.conf: the boot applies an old policy (fix: run "
				    "update-initramfs -u -k 6.1.0-13-amd64)\n"));
	assert_non_null(strstr(out, "FAIL vfio-modules: vfio-pci is neither a module of 6.1.0-13-amd64 "
				    "nor built in (CONFIG_VFIO_PCI)"));
	free(out);
	close(rootfd);
	rm_rf(dir);
}

static void test_check_json_builtin_invalid_policy(void **state)
{
	char dir[] = "/tmp/test-check.XXXXXX", policy[4096];
	const char *prefix;
	char *out;
	int rootfd = check_root(dir, "", "kernel/drivers/vfio/pci/vfio-pci.ko\n"
					"kernel/drivers/vfio/vfio_iommu_type1.ko\n");

	/* --policy is a host path, not below the root. */
	snprintf(policy, sizeof(policy), "%s/host-policy.conf", dir);
	put(dir, "host-policy.conf", "claim vendor=\"10de\"\n");
	assert_int_equal(run_check(rootfd, policy, true, &out), 1);
	prefix = "{\"checks\":[{\"name\":\"firmware-table\",\"status\":\"ok\",";
	assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(out, "is built into 6.1.0-13-amd64"));
	assert_non_null(strstr(out, "{\"name\":\"policy\",\"status\":\"fail\",\"message\":\""));
	assert_non_null(strstr(out, "\"fix\":null}"));
	assert_string_equal(out + strlen(out) - 4, "}]}\n");
	free(out);
	close(rootfd);
	rm_rf(dir);
}

/* On UEFI, the ESP stub that searches another disk's filesystem fails the doctor. */
static void test_check_esp_stub_mismatch(void **state)
{
	char dir[] = "/tmp/test-check.XXXXXX";
	char *out;
	int rootfd = check_root(dir, dep_ok, NULL);

	set_mtime(dir, "etc/gpu-vfio.conf", 1700000000);
	set_mtime(dir, "boot/initrd.img-6.1.0-13-amd64", 1700000100);
	mkdirs(dir, "sys/firmware/efi");
	mkdirs(dir, "boot/grub");
	mkdirs(dir, "boot/efi/EFI/debian");
	mkdirs(dir, "proc/self");
	mkdirs(dir, "dev/disk/by-uuid");
	mkdirs(dir, "sys/class/block/sda2");
	mkdirs(dir, "sys/class/block/sdb1");
	put(dir, "boot/efi/EFI/debian/grub.cfg",
	    "search.fs_uuid 11111111-2222-3333-4444-555555555555 root hd0,gpt2\n"
	    "set prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n");
	put(dir, "proc/self/mountinfo", "22 1 8:17 / / rw - ext4 /dev/sdb1 rw\n");
	put(dir, "sys/class/block/sda2/dev", "8:2\n");
	put(dir, "sys/class/block/sdb1/dev", "8:17\n");
	link_to(dir, "../../sda2", "dev/disk/by-uuid/11111111-2222-3333-4444-555555555555");
	assert_int_equal(run_check(rootfd, NULL, false, &out), 1);
	assert_non_null(strstr(out, "FAIL esp: the firmware's GRUB (/boot/efi/EFI/debian/grub.cfg) "
				    "searches UUID 11111111-2222-3333-4444-555555555555 (sda2), but "
				    "/boot/grub is on sdb1: update-grub edits a grub.cfg this machine "
				    "does not boot (fix: reinstall GRUB for the disk that holds "
				    "/boot/grub: grub-install, then update-grub)\n"));
	free(out);
	assert_int_equal(run_check(rootfd, NULL, true, &out), 1);
	assert_non_null(strstr(out, "{\"name\":\"esp\",\"status\":\"fail\",\"message\":"));
	free(out);
	close(rootfd);
	rm_rf(dir);
}

/* ---- arm64: SMMUv3, IORT, iommu.passthrough= ---- */

/* A Grace-like host: IORT, two SMMUv3 instances, GIC ITS, iommu.passthrough=1. */
static void facts_init_arm(struct iommu_facts *f, const char *effective, const char *configured)
{
	facts_init(f, effective, BOOT_KERNEL_CMDLINE, configured);
	strcpy(f->kver, "6.1.0-28-arm64");
	f->cpu = CPU_ARM;
	f->dmar = false;
	f->iort = true;
	f->n_iommus = 2;
	f->n_smmus = 2;
	strcpy(f->iommu_names, "smmu3.0x0000000011000000 smmu3.0x0000000012000000");
	f->irq_remap = 0; /* arm64 has no IR- chips */
	f->gic_its = 1;
}

static void test_arm_switches(void **state)
{
	struct iommu_switches s;

	/* iommu.passthrough= is the generic switch; iommu=pt is x86's and recorded as such. */
	iommu_switches_parse("iommu=pt iommu.passthrough=0", &s);
	assert_int_equal(s.generic_passthrough, SWITCH_OFF);
	assert_string_equal(s.generic_passthrough_token, "iommu.passthrough=0");
	iommu_switches_parse("iommu.passthrough=1 iommu=pt", &s);
	assert_int_equal(s.generic_passthrough, SWITCH_ON);
	assert_string_equal(s.generic_passthrough_token, "iommu.passthrough=1");
	iommu_switches_parse("iommu=pt", &s);
	assert_int_equal(s.generic_passthrough, SWITCH_UNSET);
	assert_int_equal(s.passthrough, SWITCH_ON);
	iommu_switches_parse("intel_iommu=on iommu=pt intel_iommu=on intremap=off iommu.strict=1", &s);
	assert_int_equal(s.n_x86_only, 3);
	assert_string_equal(s.x86_only[0], "intel_iommu=on");
	assert_string_equal(s.x86_only[1], "iommu=pt");
	assert_string_equal(s.x86_only[2], "intremap=off");
}

static void test_arm_cpu_from_cpuinfo(void **state)
{
	char dir[] = "/tmp/test-iommucfg-arm.XXXXXX";
	struct iommu_facts f;
	int rootfd;

	assert_non_null(mkdtemp(dir));
	mkdirs(dir, "proc");
	mkdirs(dir, "sys/firmware/acpi/tables");
	mkdirs(dir, "sys/class/iommu/smmu3.0x0000000011000000");
	mkdirs(dir, "sys/class/iommu/smmu3.0x0000000012000000");
	put(dir, "sys/firmware/acpi/tables/IORT", "IORT");
	put(dir, "proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 2000.00\n"
				 "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n"
				 "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd4f\n");
	put(dir, "proc/interrupts", "           CPU0\n 12:  0  ITS-MSI 524288 Edge  nvme0q0\n");
	put(dir, "proc/cmdline", "root=x iommu.passthrough=1\n");
	rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(rootfd >= 0);
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_int_equal(f.cpu, CPU_ARM);
	assert_true(f.iort);
	assert_false(f.dmar);
	assert_int_equal(f.n_smmus, 2);
	assert_int_equal(f.gic_its, 1);
	assert_int_equal(f.irq_remap, 0);
	iommu_facts_free(&f);

	/* x86 cpuinfo: vendor_id decides, "CPU implementer" is not looked for. */
	put(dir, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
	assert_int_equal(iommu_facts_gather(&f, rootfd, NULL), 0);
	assert_int_equal(f.cpu, CPU_AMD);
	iommu_facts_free(&f);
	close(rootfd);
	rm_rf(dir);
}

/* Everything right on arm64: no x86 switch asked for, no interrupt remapping missed. */
static void test_arm_all_good(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init_arm(&f, "root=x iommu.passthrough=1", "root=x iommu.passthrough=1");
	iommu_analyse(&f, &r, &v);
	assert_false(r.oom);
	assert_int_equal(findings_worst(&r), SEV_OK);
	assert_false(generator_needs_unit(&r));
	assert_non_null(strstr(find(&r, "firmware-table")->message, "IORT"));
	fi = find(&r, "interrupt-remapping");
	assert_int_equal(fi->severity, SEV_OK);
	assert_non_null(strstr(fi->message, "GIC ITS"));
	assert_null(strstr(find(&r, "kernel-switch")->message, "without"));
	findings_free(&r);
	iommu_facts_free(&f);
}

/* IORT present, no SMMU active: a failure naming the firmware setting and the driver. */
static void test_arm_iort_no_smmu(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init_arm(&f, "root=x iommu.passthrough=1", "root=x iommu.passthrough=1");
	f.n_iommus = 0;
	f.n_smmus = 0;
	f.n_groups = 0;
	f.iommu_names[0] = '\0';
	f.gic_its = 0;
	iommu_analyse(&f, &r, &v);
	assert_true(v.inactive_now);
	assert_true(generator_needs_unit(&r));
	fi = find(&r, "iommu-active");
	assert_int_equal(fi->severity, SEV_FAIL);
	assert_non_null(strstr(fi->fix, "enable the SMMU (SMMUv3) in the firmware setup"));
	assert_non_null(strstr(fi->fix, "arm-smmu-v3"));
	/* Nothing about intel_iommu=on, and no x86 interrupt-remapping advice. */
	for (size_t i = 0; i < r.n_findings; i++) {
		assert_null(strstr(r.findings[i].message, "intel_iommu"));
		assert_true(r.findings[i].fix == NULL || !strstr(r.findings[i].fix, "intel_iommu"));
		assert_null(strstr(r.findings[i].message, "IR-"));
	}
	findings_free(&r);
	iommu_facts_free(&f);

	/* No IORT at all (ACPI, not device tree): the firmware table fails too. */
	memset(&r, 0, sizeof(r));
	facts_init_arm(&f, "root=x", "root=x iommu.passthrough=1");
	f.iort = false;
	f.n_iommus = 0;
	f.n_groups = 0;
	iommu_analyse(&f, &r, &v);
	fi = find(&r, "firmware-table");
	assert_int_equal(fi->severity, SEV_FAIL);
	assert_non_null(strstr(fi->message, "no ACPI IORT table"));
	assert_non_null(strstr(fi->fix, "SMMU"));
	findings_free(&r);
	iommu_facts_free(&f);
}

/* iommu.passthrough=0 configured: a warning whose fix appends iommu.passthrough=1 (on arm64
 * removing =0 would leave the translated default). iommu=pt counts for nothing. */
static void test_arm_passthrough(void **state)
{
	struct iommu_facts f;
	struct findings r = { 0 };
	struct iommu_verdict v;
	const struct finding *fi;

	facts_init_arm(&f, "root=x iommu.passthrough=1", "root=x iommu.passthrough=0");
	iommu_analyse(&f, &r, &v);
	fi = find(&r, "passthrough");
	assert_int_equal(fi->severity, SEV_WARN);
	assert_non_null(strstr(fi->message, "iommu.passthrough=0"));
	assert_string_equal(fi->fix, "add \"iommu.passthrough=1\" to /etc/kernel/cmdline, then run "
				     "proxmox-boot-tool refresh and reboot");
	assert_false(v.inactive_next);
	findings_free(&r);
	iommu_facts_free(&f);

	memset(&r, 0, sizeof(r));
	facts_init_arm(&f, "root=x iommu=pt", "root=x intel_iommu=on iommu=pt");
	iommu_analyse(&f, &r, &v);
	fi = find(&r, "passthrough");
	assert_int_equal(fi->severity, SEV_WARN);
	assert_non_null(strstr(fi->message, "iommu.passthrough=1 is not in"));
	/* x86 parameters: minor findings that say they do nothing on arm64. */
	fi = find(&r, "cmdline-values");
	assert_non_null(fi);
	assert_true(generator_finding_minor(fi));
	assert_non_null(strstr(fi->message, "intel_iommu=on in /etc/kernel/cmdline does nothing"));
	assert_non_null(strstr(fi->message, "arm64"));
	assert_int_equal(find(&r, "next-boot-switch")->severity, SEV_OK);
	assert_false(v.inactive_next);
	findings_free(&r);
	iommu_facts_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_left_to_right),
		cmocka_unit_test(test_passthrough_last_wins),
		cmocka_unit_test(test_off_switches),
		cmocka_unit_test(test_meaningless_values),
		cmocka_unit_test(test_all_good),
		cmocka_unit_test(test_inactive_missing_switch),
		cmocka_unit_test(test_default_on_warns),
		cmocka_unit_test(test_configured_off),
		cmocka_unit_test(test_amd_meaningless_is_minor),
		cmocka_unit_test(test_no_table),
		cmocka_unit_test(test_gather_precedence),
		cmocka_unit_test(test_gather_kernel_install_and_unknown),
		cmocka_unit_test(test_check_all_ok),
		cmocka_unit_test(test_check_stale_initramfs_and_missing_module),
		cmocka_unit_test(test_check_json_builtin_invalid_policy),
		cmocka_unit_test(test_check_esp_stub_mismatch),
		cmocka_unit_test(test_arm_switches),
		cmocka_unit_test(test_arm_cpu_from_cpuinfo),
		cmocka_unit_test(test_arm_all_good),
		cmocka_unit_test(test_arm_iort_no_smmu),
		cmocka_unit_test(test_arm_passthrough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
