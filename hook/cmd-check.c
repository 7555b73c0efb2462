/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpu-vfio check`: the doctor that reports every IOMMU, module, policy, initramfs and boot
 * loader problem. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd-check.h"
#include "commands.h"
#include "esp.h"
#include "findings.h"
#include "iommucfg.h"
#include "iommufd.h"
#include "isolation.h"
#include "json.h"
#include "modfiles.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "policy.h"
#include "rootfs.h"


/* One module file, as a load would read it: its compression, who decompresses it (the
 * kernel when /sys/module/compression names its format, else libkmod in this binary), and
 * its modinfo read through libkmod, which proves the decoder works. */
static void check_module_file(struct findings *r, int rootfd, struct modules *m,
			      const char *kver, const char *name, const char *dep_path,
			      enum module_compression kernel)
{
	enum module_compression comp = MODULE_COMP_NONE;
	char path[PATH_MAX], fix[PATH_MAX + 64], how[160];
	struct module_info info;
	size_t klen = strlen(kver);
	const char *cname;
	bool by_kernel;
	int q;

	(void)snprintf(path, sizeof(path), "/lib/modules/%s/%s", kver, dep_path);
	(void)snprintf(fix, sizeof(fix), "reinstall the modules package of %s, then run depmod -a %s",
		       kver, kver);
	q = module_head(rootfd, path, &comp);
	if (q < 0) {
		findings_add(r, "vfio-modules", SEV_FAIL, fix,
			     "%s: %s (listed in modules.dep) cannot be opened: %s", name, path,
			     strerror(-q));
		return;
	}
	cname = compression_name(comp);
	by_kernel = comp != MODULE_COMP_NONE && comp == kernel;
	if (comp == MODULE_COMP_NONE)
		(void)snprintf(how, sizeof(how), "not compressed");
	else if (by_kernel)
		(void)snprintf(how, sizeof(how), "%s-compressed, decompressed by the kernel (/sys/module/compression: %s)",
			       cname, cname);
	else
		(void)snprintf(how, sizeof(how), "%s-compressed, decompressed by this binary (the kernel decompresses %s)",
			       cname, kernel == MODULE_COMP_NONE ? "no module" : compression_name(kernel));

	if (!by_kernel && !modules_can_decompress(comp)) {
		(void)snprintf(fix, sizeof(fix), "decompress the modules of %s (unxz/unzstd/gunzip, then depmod -a %s), or use a gpu-vfio built with the %s decoder",
			       kver, kver, cname);
		findings_add(r, "vfio-modules", SEV_FAIL, fix,
			     "%s: %s is %s-compressed, the kernel decompresses %s and this binary has no %s decoder: loading it fails (Exec format error)",
			     name, path, cname,
			     kernel == MODULE_COMP_NONE ? "no module" : compression_name(kernel), cname);
		return;
	}
	if (by_kernel && !modules_can_decompress(comp)) {
		findings_add(r, "vfio-modules", SEV_OK, NULL,
			     "%s: %s is %s (this binary has no %s decoder, so its modinfo is not read)",
			     name, path, how, cname);
		return;
	}
	q = modules_modinfo(m, dep_path, &info);
	if (q < 0) {
		findings_add(r, "vfio-modules", SEV_FAIL, fix,
			     "%s: %s is %s, but libkmod cannot read it (%s): the file is damaged",
			     name, path, how, strerror(-q));
		return;
	}
	if (strncmp(info.vermagic, kver, klen) != 0 ||
	    (info.vermagic[klen] != ' ' && info.vermagic[klen] != '\0')) {
		findings_add(r, "vfio-modules", SEV_FAIL, fix,
			     "%s: %s is built for another kernel (vermagic \"%s\"): %s refuses it",
			     name, path, info.vermagic, kver);
		return;
	}
	findings_add(r, "vfio-modules", SEV_OK, NULL,
		     "%s: %s is %s; modinfo: name %s, vermagic matches %s", name, path, how,
		     info.name, kver);
}

static void check_modules(struct findings *r, int rootfd, const char *kver)
{
	static const struct {
		const char *name, *dash, *underscore, *config;
	} mods[] = {
		{ "vfio-pci", "vfio-pci.ko", "vfio_pci.ko", "CONFIG_VFIO_PCI" },
		{ "vfio_iommu_type1", "vfio_iommu_type1.ko", "vfio-iommu-type1.ko",
		  "CONFIG_VFIO_IOMMU_TYPE1" },
	};
	enum { N_MODS = sizeof(mods) / sizeof(*mods) };
	char dir[PATH_MAX], dep_path[N_MODS][256];
	enum module_compression kernel;
	struct modules *m = NULL;
	bool files = false;
	size_t i;

	if (!*kver) {
		findings_add(r, "vfio-modules", SEV_WARN, NULL,
			     "cannot tell the running kernel's version (/proc/sys/kernel/osrelease)");
		return;
	}
	(void)snprintf(dir, sizeof(dir), "/lib/modules/%s", kver);
	if (!root_exists(rootfd, dir)) {
		findings_add(r, "vfio-modules", SEV_FAIL, 
			     "install the modules package of the running kernel",
			     "%s does not exist: no module can be loaded", dir);
		return;
	}
	for (i = 0; i < N_MODS; i++) {
		int st = module_state(rootfd, kver, mods[i].dash, mods[i].underscore, dep_path[i],
				      sizeof(dep_path[i]));

		if (st == 2)
			findings_add(r, "vfio-modules", SEV_OK, NULL,
				     "%s is built into %s (gpu-vfio binds with driver_override, so modprobe options do not matter)",
				     mods[i].name, kver);
		else if (st == 1)
			findings_add(r, "vfio-modules", SEV_OK, NULL,
				     "%s is a module of %s", mods[i].name, kver);
		else if (st == 0)
			findings_add(r, "vfio-modules", SEV_FAIL, 
				     "use a kernel built with the option named in the message",
				     "%s is neither a module of %s nor built in (%s)", mods[i].name,
				     kver, mods[i].config);
		else
			findings_add(r, "vfio-modules", SEV_WARN, 
				     "run depmod -a for the running kernel",
				     "%s/modules.dep is missing: cannot tell whether %s is available",
				     dir, mods[i].name);
		if (st == 1 && dep_path[i][0])
			files = true;
		else
			dep_path[i][0] = '\0';
	}
	/* The module files, read as a load reads them; the test stand-ins of the module seam
	 * read no module file, and the files go unchecked there. */
	if (!files || !modules_can_decompress(MODULE_COMP_NONE) || modules_new(rootfd, false, &m) < 0)
		return;
	kernel = kernel_compression(rootfd);
	if (kernel == MODULE_COMP_NONE)
		findings_add(r, "vfio-modules", SEV_OK, NULL,
			     "the kernel decompresses no module itself (no /sys/module/compression): libkmod decompresses compressed ones");
	else
		findings_add(r, "vfio-modules", SEV_OK, NULL,
			     "the kernel decompresses %s modules itself (/sys/module/compression)",
			     compression_name(kernel));
	for (i = 0; i < N_MODS; i++)
		if (dep_path[i][0])
			check_module_file(r, rootfd, m, kver, mods[i].name, dep_path[i], kernel);
	modules_free(m);
}

/* Which device on a VFIO driver shows whether the kernel gives VFIO devices a char device:
 * 1 one has a cdev, 0 one has a vfio-dev entry without one, -1 none tells. */
static int cdev_evidence(int rootfd, char *addr, size_t addr_size, char *cdev, size_t cdev_size)
{
	struct pci_machine m;
	int found = -1;
	size_t i;

	if (pci_scan(rootfd, &m) < 0)
		return -1;
	for (i = 0; i < m.n_devs && found != 1; i++) {
		char name[VFIO_CDEV_MAX];
		int q = vfio_cdev_of(rootfd, m.devs[i].address, name, sizeof(name));

		if (q > found) {
			found = q;
			(void)snprintf(addr, addr_size, "%s", m.devs[i].address);
			(void)snprintf(cdev, cdev_size, "%s", name);
		}
	}
	pci_machine_free(&m);
	return found;
}

/* iommufd and the VFIO device cdevs (Linux 6.6+): information only. Without them VMs use the
 * /dev/vfio/GROUP interface, which every VFIO kernel has, so neither is ever a failure. */
static void check_iommufd(struct findings *r, int rootfd, const char *kver)
{
	char file[PATH_MAX], path[256], addr[PCI_ADDR_MAX], cdev[VFIO_CDEV_MAX], *config = NULL;
	char fd_opt = 0, cdev_opt = 0;
	int mod = -ENOENT, seen;

	if (*kver) {
		(void)snprintf(file, sizeof(file), "/boot/config-%s", kver);
		if (root_read_alloc(rootfd, file, &config, NULL) == 0) {
			fd_opt = kconfig_value(config, "CONFIG_IOMMUFD");
			cdev_opt = kconfig_value(config, "CONFIG_VFIO_DEVICE_CDEV");
			free(config);
		}
		mod = module_state(rootfd, kver, "iommufd.ko", "iommufd.ko", path, sizeof(path));
	}
	if (iommufd_present(rootfd))
		findings_add(r, "iommufd", SEV_OK, NULL,
			     "iommufd is available (/dev/iommu)");
	else if (mod == 2 || fd_opt == 'y')
		findings_add(r, "iommufd", SEV_OK, NULL,
			     "iommufd is built into %s, but /dev/iommu is missing (no devtmpfs?): VMs use the group interface (/dev/vfio/GROUP), which works",
			     kver);
	else if (mod == 1 || fd_opt == 'm')
		findings_add(r, "iommufd", SEV_OK, NULL,
			     "iommufd is a module of %s, not loaded (/dev/iommu missing; modprobe iommufd to offer it): VMs use the group interface (/dev/vfio/GROUP), which works",
			     kver);
	else
		findings_add(r, "iommufd", SEV_OK, NULL,
			     "iommufd is not available (/dev/iommu missing, no iommufd module%s%s%s): VMs use the group interface (/dev/vfio/GROUP), which works",
			     *kver ? " of " : "", kver,
			     fd_opt == 'n' ? ", CONFIG_IOMMUFD is not set" : "");

	seen = cdev_evidence(rootfd, addr, sizeof(addr), cdev, sizeof(cdev));
	if (seen == 1)
		findings_add(r, "vfio-cdev", SEV_OK, NULL,
			     "the kernel gives VFIO devices a cdev: %s has /dev/vfio/devices/%s",
			     addr, cdev);
	else if (seen == 0)
		findings_add(r, "vfio-cdev", SEV_OK, NULL,
			     "the kernel gives VFIO devices no cdev (%s has vfio-dev/%s but no char device: CONFIG_VFIO_DEVICE_CDEV not set): VMs use the group interface (/dev/vfio/GROUP), which works",
			     addr, cdev);
	else if (cdev_opt == 'n')
		findings_add(r, "vfio-cdev", SEV_OK, NULL,
			     "the kernel gives VFIO devices no cdev (CONFIG_VFIO_DEVICE_CDEV is not set in %s): VMs use the group interface (/dev/vfio/GROUP), which works",
			     file);
	else if (cdev_opt == 'y')
		findings_add(r, "vfio-cdev", SEV_OK, NULL,
			     "the kernel gives VFIO devices a cdev (/dev/vfio/devices/vfioN; CONFIG_VFIO_DEVICE_CDEV=y in %s)",
			     file);
	else
		findings_add(r, "vfio-cdev", SEV_OK, NULL,
			     "cannot tell whether the kernel gives VFIO devices a cdev (no device has a vfio-dev/vfioN entry, and no readable /boot/config-%s names CONFIG_VFIO_DEVICE_CDEV)",
			     kver);
}

static void check_policy(struct findings *r, const struct policy *p, int load_result)
{
	size_t i;

	if (load_result == 0) {
		if (p->n_files == 0)
			findings_add(r, "policy", SEV_WARN, 
				     "write " POLICY_MAIN " (see gpu-vfio.conf(5))",
				     "no policy file: nothing is claimed at boot");
		else
			findings_add(r, "policy", SEV_OK, NULL,
				     "the policy is valid: %zu rule%s in %zu file%s%s", p->n_rules,
				     p->n_rules == 1 ? "" : "s", p->n_files,
				     p->n_files == 1 ? "" : "s",
				     policy_has_claim(p) ? "" : ", none of them claims anything");
		return;
	}
	for (i = 0; i < p->n_errors; i++)
		findings_add(r, "policy", SEV_FAIL, 
			     "correct the policy; gpu-vfio validate lists every error", "%s",
			     p->errors[i]);
	if (p->n_errors == 0)
		findings_add(r, "policy", SEV_FAIL, NULL, "cannot read the policy: %s",
			     strerror(-load_result));
}

/* Isolation that is not real must be said out loud: each override of the IOMMU's isolation,
 * where it is set, and what it costs. Silent when there is none. */
static void check_isolation(struct findings *r, int rootfd, const char *cmdline)
{
	static const struct {
		const char *consequence, *fix;
	} what[ISO_KINDS] = {
		[ISO_ACS_OVERRIDE] = {
			"IOMMU groups are split by the kernel command line (an out-of-tree patch), not by the hardware's ACS isolation: devices in different groups can still reach each other with peer-to-peer DMA, so a VM can read or corrupt the memory of devices left to the host or to other VMs",
			"remove pcie_acs_override= and give the GPU a slot whose group holds only it (see gpu-vfio plan)" },
		[ISO_UNSAFE_INTERRUPTS] = {
			"VFIO accepts devices without interrupt remapping: a VM can forge MSI writes and inject interrupts into the host",
			"remove the option; enable interrupt remapping (firmware, intremap=on)" },
		[ISO_NOIOMMU] = {
			"VFIO offers vfio-noiommu groups, which have no DMA isolation at all: whoever uses such a device can read and write all host memory (gpu-vfio never claims them)",
			"remove the option and enable the IOMMU" },
		[ISO_DENYLIST_OFF] = {
			"vfio-pci binds devices that the kernel lists as unsafe or broken for device assignment",
			"remove the option" },
	};
	struct isolation iso;
	int k;

	isolation_gather(rootfd, cmdline, &iso);
	for (k = 0; k < ISO_KINDS; k++) {
		if (!iso.kind[k].on)
			continue;
		findings_add(r, "isolation", SEV_WARN, what[k].fix, "%s (%s, %s): %s",
			     iso.kind[k].setting, isolation_kind_name((enum iso_kind)k),
			     iso.kind[k].where, what[k].consequence);
	}
}

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* The initramfs must be built after every policy file, or boot applies an old policy. */
static void check_initramfs(struct findings *r, int rootfd, const char *kver,
			    const struct policy *p, const char *policy_file)
{
	char image[PATH_MAX], fix[PATH_MAX + 64];
	struct timespec newest = { 0 };
	const char *newest_name = NULL;
	struct stat st, img;
	bool dracut = false;
	size_t i;

	if (!*kver)
		return;
	(void)snprintf(image, sizeof(image), "/boot/initrd.img-%s", kver);
	if (fstatat(rootfd, root_rel(image), &img, 0) < 0) {
		(void)snprintf(image, sizeof(image), "/boot/initramfs-%s.img", kver);
		dracut = true;
		if (fstatat(rootfd, root_rel(image), &img, 0) < 0) {
			(void)snprintf(fix, sizeof(fix),
				       "build one with update-initramfs -c -k %s or dracut --kver %s",
				       kver, kver);
			findings_add(r, "initramfs", SEV_WARN, fix,
				     "no initramfs for %s (/boot/initrd.img-%s or /boot/initramfs-%s.img)",
				     kver, kver, kver);
			return;
		}
	}
	if (dracut)
		(void)snprintf(fix, sizeof(fix), "run dracut -f --kver %s", kver);
	else
		(void)snprintf(fix, sizeof(fix), "run update-initramfs -u -k %s", kver);

	for (i = 0; i < p->n_files; i++) {
		int q = policy_file ? stat(policy_file, &st)
				    : fstatat(rootfd, root_rel(p->files[i]), &st, 0);

		if (q == 0 && newer(&st.st_mtim, &newest)) {
			newest = st.st_mtim;
			newest_name = p->files[i];
		}
	}
	/* Removing a drop-in changes only the directory. */
	if (!policy_file && fstatat(rootfd, root_rel(POLICY_DROPIN_DIR), &st, 0) == 0 &&
	    newer(&st.st_mtim, &newest)) {
		newest = st.st_mtim;
		newest_name = POLICY_DROPIN_DIR;
	}
	if (!newest_name) {
		findings_add(r, "initramfs", SEV_OK, NULL, "%s exists; there is no policy file",
			     image);
		return;
	}
	if (newer(&newest, &img.st_mtim))
		findings_add(r, "initramfs", SEV_FAIL, fix,
			     "%s is older than %s: the boot applies an old policy", image,
			     newest_name);
	else
		findings_add(r, "initramfs", SEV_OK, NULL,
			     "%s was built after the last policy change", image);
}

static void print_text(const struct findings *r)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		printf("%-4s %s: %s", severity_label(f->severity), f->name, f->message);
		if (f->fix)
			printf(" (fix: %s)", f->fix);
		putchar('\n');
	}
}

static void print_json(const struct findings *r)
{
	size_t i;

	fputs("{\"checks\":[", stdout);
	for (i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		json_string(stdout, f->name);
		fputs(",\"status\":", stdout);
		json_string(stdout, severity_name(f->severity));
		fputs(",\"message\":", stdout);
		json_string(stdout, f->message);
		fputs(",\"fix\":", stdout);
		json_string_or_null(stdout, f->fix);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

/* The devices the policy wants: every one of them in a viable group, or what is in the way. */
static void check_devices(struct findings *r, int rootfd, const struct policy *p)
{
	size_t i, wanted = 0, problems = 0;
	struct pci_machine m;
	struct plan plan;

	if (pci_scan(rootfd, &m) < 0) {
		findings_add(r, "devices", SEV_FAIL, NULL, "cannot read the PCI devices");
		return;
	}
	if (plan_build(rootfd, &m, p, &plan) < 0) {
		pci_machine_free(&m);
		r->oom = true;
		return;
	}
	for (i = 0; i < m.n_devs; i++) {
		const struct plan_entry *e = &plan.e[i];

		if (e->action == ACT_CLAIM || e->action == ACT_CLAIMED)
			wanted++;
		if (e->action != ACT_BLOCKED)
			continue;
		problems++;
		findings_add(r, "devices", SEV_FAIL, 
			     "see gpu-vfio plan; move the card to another slot, or keep the device",
			     "%s (%04x:%04x) is blocked: %s", m.devs[i].address, m.devs[i].vendor,
			     m.devs[i].device, e->reason);
	}
	if (!problems && policy_has_claim(p) && wanted)
		findings_add(r, "devices", SEV_OK, NULL,
			     "%zu device%s wanted by the policy, every one in a viable IOMMU group",
			     wanted, wanted == 1 ? "" : "s");
	else if (!problems && policy_has_claim(p))
		findings_add(r, "devices", SEV_WARN, "check the ids with gpu-vfio status",
			     "no device matches the policy's claim rules");
	plan_free(&plan);
	pci_machine_free(&m);
}

int check_run(int rootfd, const char *policy_file, struct findings *report,
	      struct iommu_verdict *verdict)
{
	struct policy policy = { 0 };
	struct iommu_facts facts;
	int r, q;

	memset(report, 0, sizeof(*report));
	memset(verdict, 0, sizeof(*verdict));
	r = iommu_facts_gather(&facts, rootfd, NULL);
	if (r < 0)
		return r;
	iommu_analyse(&facts, report, verdict);
	check_modules(report, rootfd, facts.kver);
	check_iommufd(report, rootfd, facts.kver);
	check_isolation(report, rootfd, facts.effective);
	q = policy_load(&policy, rootfd, policy_file);
	check_policy(report, &policy, q);
	check_initramfs(report, rootfd, facts.kver, &policy, policy_file);
	esp_check(rootfd, report);
	if (q == 0)
		check_devices(report, rootfd, &policy);
	policy_free(&policy);
	iommu_facts_free(&facts);
	return report->oom ? -ENOMEM : 0;
}

int cmd_check(int rootfd, const char *policy_file, bool json)
{
	struct iommu_verdict verdict;
	struct findings report;
	int r;

	r = check_run(rootfd, policy_file, &report, &verdict);
	if (r < 0) {
		if (report.oom)
			fprintf(stderr, "gpu-vfio: check: out of memory\n");
		else
			fprintf(stderr, "gpu-vfio: check: cannot read the IOMMU setup: %s\n",
				strerror(-r));
		findings_free(&report);
		return 1;
	}
	if (json)
		print_json(&report);
	else
		print_text(&report);
	r = findings_worst(&report) == SEV_FAIL ? 1 : 0;
	findings_free(&report);
	if (fflush(stdout) != 0)
		return 1;
	return r;
}

static int check_command_run(struct ctx *c)
{
	return cmd_check(c->rootfd, c->policy_file, c->json);
}

const struct command command_check = {
	.name = "check",
	.help = "  check               diagnose the IOMMU, kernel command line, modules, policy\n"
		"                      and initramfs; say how to fix each problem\n",
	.json = true,
	.run = check_command_run,
};
