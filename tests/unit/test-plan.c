/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the planner: the safety rules of gpu-vfio.conf(5) on the fixture machines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "plan.h"

/* One fake root per machine, built once for the whole program. */
static const char *const machines[] = {
	"turing-4fn", "hgx-h100", "two-identical", "shared-sata", "azure-nv-noiommu",
	"sriov-vgpu", "pcistub-group",
};
#define N_MACHINES (sizeof(machines) / sizeof(machines[0]))
static char roots[N_MACHINES][256];

static const char *root_of(const char *name)
{
	size_t i;

	for (i = 0; i < N_MACHINES; i++)
		if (strcmp(machines[i], name) == 0)
			return roots[i];
	fail_msg("no machine %s", name);
	return NULL;
}

static int setup_roots(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_MACHINES; i++)
		mkroot_machine(machines[i], roots[i], sizeof(roots[i]));
	return 0;
}

static int teardown_roots(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_MACHINES; i++)
		rm_tree(roots[i]);
	return 0;
}

/* Assert the action of a device, and that its reason contains want (if not NULL). */
static void expect(struct planned *pl, const char *address, enum action action, const char *want)
{
	struct plan_entry *e = entry_of(pl, address);

	if (e->action != action)
		fail_msg("%s: action %s, want %s (reason: %s)", address, action_name(e->action),
			 action_name(action), e->reason);
	if (want && !strstr(e->reason, want))
		fail_msg("%s: reason \"%s\" does not contain \"%s\"", address, e->reason, want);
}

static void expect_via(struct planned *pl, const char *address, const char *via)
{
	struct plan_entry *e = entry_of(pl, address);

	if (!via) {
		assert_int_equal(e->via, -1);
		return;
	}
	assert_true(e->via >= 0);
	assert_string_equal(pl->m.devs[e->via].address, via);
}

static size_t count(struct planned *pl, enum action action)
{
	size_t i, n = 0;

	for (i = 0; i < pl->plan.n; i++)
		n += pl->plan.e[i].action == action;
	return n;
}

static void test_turing_all_functions(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("turing-4fn"), "claim vendor=10de class=0300 name=rtx2080\n");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	assert_int_equal(entry_of(&pl, "0000:01:00.0")->rule, 0);
	expect_via(&pl, "0000:01:00.0", NULL);
	/* Audio, USB and UCSI go with the GPU, or the group is not viable. */
	expect(&pl, "0000:01:00.1", ACT_CLAIM, NULL);
	expect(&pl, "0000:01:00.2", ACT_CLAIM, NULL);
	expect(&pl, "0000:01:00.3", ACT_CLAIM, NULL);
	expect_via(&pl, "0000:01:00.1", "0000:01:00.0");
	expect_via(&pl, "0000:01:00.2", "0000:01:00.0");
	expect_via(&pl, "0000:01:00.3", "0000:01:00.0");
	assert_int_equal(entry_of(&pl, "0000:01:00.3")->rule, -1);
	/* The root port shares group 1: listed, kept, never in the way. */
	expect(&pl, "0000:00:01.0", ACT_KEEP, "bridge");
	assert_true(entry_of(&pl, "0000:00:01.0")->listed);
	/* Everything else is not considered and not listed. */
	expect(&pl, "0000:00:02.0", ACT_NONE, NULL);
	assert_false(entry_of(&pl, "0000:00:02.0")->listed);
	assert_false(entry_of(&pl, "0000:00:1f.6")->listed);
	assert_int_equal(count(&pl, ACT_CLAIM), 4);
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_boot_vga(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("turing-4fn"), "claim class=0300\n");
	expect(&pl, "0000:00:02.0", ACT_KEEP, "boot VGA");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	/* Kept by a safety rule is not a problem (exit 0). */
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);

	plan_machine(&pl, root_of("turing-4fn"), "claim class=0300 boot-vga=yes\n");
	expect(&pl, "0000:00:02.0", ACT_CLAIM, NULL);
	expect(&pl, "0000:01:00.0", ACT_NONE, NULL);
	planned_free(&pl);

	plan_machine(&pl, root_of("turing-4fn"), "claim address=0000:00:02.0\n");
	expect(&pl, "0000:00:02.0", ACT_CLAIM, NULL);
	planned_free(&pl);

	/* A wildcard does not name it. */
	plan_machine(&pl, root_of("turing-4fn"), "claim address=0000:00:0?.0 class=03\n");
	expect(&pl, "0000:00:02.0", ACT_KEEP, "boot VGA");
	planned_free(&pl);

	/* The first of two identical cards is the console. */
	plan_machine(&pl, root_of("two-identical"), "claim device=24b0\n");
	expect(&pl, "0000:01:00.0", ACT_KEEP, "boot VGA");
	expect(&pl, "0000:02:00.0", ACT_CLAIM, NULL);
	expect(&pl, "0000:02:00.1", ACT_CLAIM, NULL);
	expect(&pl, "0000:01:00.1", ACT_NONE, NULL);
	planned_free(&pl);
}

static void test_boot_vga_is_no_companion(void **state)
{
	struct planned pl;

	(void)state;
	/* The boot GPU's audio function: the boot GPU itself is in the way. */
	plan_machine(&pl, root_of("two-identical"), "claim address=01:00.1\n");
	expect(&pl, "0000:01:00.1", ACT_BLOCKED, "0000:01:00.0");
	expect(&pl, "0000:01:00.0", ACT_KEEP, NULL);
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_bridges_by_header_type(void **state)
{
	struct planned pl;
	struct pci_dev *sw;

	(void)state;
	plan_machine(&pl, root_of("hgx-h100"), "claim vendor=1000\nclaim device=22a3\n");
	/* PCIe switch ports (header type 1) are kept even when a rule claims them. */
	expect(&pl, "0000:01:00.0", ACT_KEEP, "bridge");
	expect(&pl, "0000:82:02.0", ACT_KEEP, "bridge");
	/* The NVSwitch is class 0680 with header type 0: not a bridge. */
	sw = pci_find(&pl.m, "0000:0b:00.0");
	assert_non_null(sw);
	assert_int_equal(sw->header_type, 0);
	assert_false(pci_is_bridge(sw));
	expect(&pl, "0000:0b:00.0", ACT_CLAIM, NULL);
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

/* A bridge keeps its subsystem ids in a capability, not in its config header: they are
 * read from sysfs when a rule asks for them and for every device a report lists. */
static void test_bridge_subsystem_ids(void **state)
{
	char root[256], path[512];
	struct planned pl;
	struct pci_dev *rp;
	FILE *f;

	(void)state;
	mkroot_machine("turing-4fn", root, sizeof(root));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:01.0/subsystem_vendor", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0x1462\n", f);
	fclose(f);

	/* The keep rule decides only if the bridge's subsystem vendor was read. */
	plan_machine(&pl, root, "claim vendor=10de class=0300\nkeep subvendor=1462 class=0604\n");
	rp = pci_find(&pl.m, "0000:00:01.0");
	assert_non_null(rp);
	assert_int_equal(rp->subvendor, 0x1462);
	assert_int_equal(entry_of(&pl, "0000:00:01.0")->rule, 1);
	planned_free(&pl);

	/* No rule asks, but the bridge is listed (it shares the GPU's group): read for reports. */
	plan_machine(&pl, root, "claim vendor=10de class=0300\n");
	rp = pci_find(&pl.m, "0000:00:01.0");
	assert_true(entry_of(&pl, "0000:00:01.0")->listed);
	assert_int_equal(rp->subvendor, 0x1462);
	planned_free(&pl);
	rm_tree(root);
}

static void test_hgx_broad_rule(void **state)
{
	static const char *const gpus[] = {
		"0000:03:00.0", "0000:04:00.0", "0000:09:00.0", "0000:0a:00.0",
		"0000:83:00.0", "0000:84:00.0", "0000:88:00.0", "0000:89:00.0",
	};
	static const char *const switches[] = {
		"0000:0b:00.0", "0000:0c:00.0", "0000:8a:00.0", "0000:8b:00.0",
	};
	struct planned pl;
	size_t i;

	(void)state;
	plan_machine(&pl, root_of("hgx-h100"), "claim vendor=10de name=h100\n");
	for (i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++)
		expect(&pl, gpus[i], ACT_CLAIM, NULL);
	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++)
		expect(&pl, switches[i], ACT_KEEP, "NVSwitch");
	assert_int_equal(count(&pl, ACT_CLAIM), 8);
	/* NICs, NVMe and the BMC are not NVIDIA: not considered at all. */
	expect(&pl, "0000:05:00.0", ACT_NONE, NULL);
	expect(&pl, "0000:06:00.0", ACT_NONE, NULL);
	expect(&pl, "0000:0e:00.0", ACT_NONE, NULL);
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_nvswitch_named(void **state)
{
	static const char *const named[] = {
		"claim address=0000:0b:00.0\n",
		"claim vendor=10de device=22a3\n",
		"claim vendor=10de class=06\n",
		"claim vendor=10de class=0680\n",
		"claim vendor=10de class=068000\n",
		"claim vendor=10de class=0302,0680\n",
	};
	struct planned pl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		print_message("policy: %s", named[i]);
		plan_machine(&pl, root_of("hgx-h100"), named[i]);
		expect(&pl, "0000:0b:00.0", ACT_CLAIM, NULL);
		planned_free(&pl);
	}
	/* A wildcard address does not name it. */
	plan_machine(&pl, root_of("hgx-h100"), "claim address=0000:0?:00.0 vendor=10de\n");
	expect(&pl, "0000:0b:00.0", ACT_KEEP, "NVSwitch");
	expect(&pl, "0000:03:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
}

static void test_storage_network(void **state)
{
	static const char *const named[] = {
		"claim class=01\n", "claim class=0108\n", "claim vendor=144d device=a80a\n",
		"claim address=06:00.0\n",
	};
	struct planned pl;
	size_t i;

	(void)state;
	plan_machine(&pl, root_of("hgx-h100"), "claim vendor=15b3,144d,10de\n");
	expect(&pl, "0000:05:00.0", ACT_KEEP, "network");
	expect(&pl, "0000:85:00.0", ACT_KEEP, "network");
	expect(&pl, "0000:06:00.0", ACT_KEEP, "storage");
	expect(&pl, "0000:03:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		print_message("policy: %s", named[i]);
		plan_machine(&pl, root_of("hgx-h100"), named[i]);
		expect(&pl, "0000:06:00.0", ACT_CLAIM, NULL);
		planned_free(&pl);
	}
	plan_machine(&pl, root_of("hgx-h100"), "claim class=02\n");
	expect(&pl, "0000:05:00.0", ACT_CLAIM, NULL);
	expect(&pl, "0000:85:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
}

static void test_no_iommu(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("azure-nv-noiommu"), "claim vendor=10de name=m60\n");
	expect(&pl, "0001:00:00.0", ACT_BLOCKED, "no IOMMU");
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_vfio_noiommu_group(void **state)
{
	struct planned pl;
	char dir[256], root[300];

	(void)state;
	mkroot_text("vfio available\n"
		    "group 7 name=vfio-noiommu\n"
		    "dev 00:02.0 8086:3e92 030000 drv=i915 bootvga=1\n"
		    "dev 01:00.0 10de:1e87 030000 drv=nouveau group=7\n",
		    dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	plan_machine(&pl, root, "claim vendor=10de\n");
	expect(&pl, "0000:01:00.0", ACT_BLOCKED, "noiommu");
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);
	rm_tree(dir);
}

/* Intel VMD domains have 5 hex digits (10000:e1:00.0): such devices must be seen. */
static void test_vmd_domain_scanned(void **state)
{
	struct planned pl;
	char dir[256], root[300];

	(void)state;
	mkroot_text("dev 0000:00:0e.0 8086:467f 010400 drv=vmd group=1\n"
		    "dev 10000:e1:00.0 10de:2330 030200 drv=nvidia group=9\n",
		    dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	plan_machine(&pl, root, "claim vendor=10de\n");
	assert_int_equal(pl.m.n_devs, 2);
	assert_non_null(pci_find(&pl.m, "10000:e1:00.0"));
	expect(&pl, "10000:e1:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
	rm_tree(dir);
}

static void test_sriov(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("sriov-vgpu"), "claim vendor=10de class=0302 name=gpu\n");
	expect(&pl, "0000:41:00.0", ACT_BLOCKED, "physical function");
	expect(&pl, "0000:41:00.4", ACT_BLOCKED, "virtual function");
	expect(&pl, "0000:41:00.7", ACT_BLOCKED, "virtual function");
	expect(&pl, "0000:c1:00.0", ACT_CLAIM, NULL);
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);

	plan_machine(&pl, root_of("sriov-vgpu"), "claim address=41:00.5\n");
	expect(&pl, "0000:41:00.5", ACT_CLAIM, NULL);
	expect(&pl, "0000:41:00.4", ACT_NONE, NULL);
	planned_free(&pl);

	plan_machine(&pl, root_of("sriov-vgpu"), "claim address=0000:41:00.0\n");
	expect(&pl, "0000:41:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);

	/* Naming the device id is not naming the address. */
	plan_machine(&pl, root_of("sriov-vgpu"), "claim device=20f1\n");
	expect(&pl, "0000:41:00.0", ACT_BLOCKED, "SR-IOV");
	expect(&pl, "0000:41:00.6", ACT_BLOCKED, "SR-IOV");
	planned_free(&pl);
}

static void test_companion_via_lowest_target(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("turing-4fn"), "claim address=01:00.0,01:00.2\n");
	expect(&pl, "0000:01:00.2", ACT_CLAIM, NULL);
	expect_via(&pl, "0000:01:00.2", NULL);
	expect_via(&pl, "0000:01:00.1", "0000:01:00.0");
	expect_via(&pl, "0000:01:00.3", "0000:01:00.0");
	planned_free(&pl);

	/* A target that is not function 0: the VGA function is its companion. */
	plan_machine(&pl, root_of("turing-4fn"), "claim address=01:00.2\n");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	expect_via(&pl, "0000:01:00.0", "0000:01:00.2");
	expect_via(&pl, "0000:01:00.3", "0000:01:00.2");
	expect_via(&pl, "0000:01:00.2", NULL);
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_keep_rule_on_companion_blocks(void **state)
{
	struct planned pl;
	const char *way = "0000:01:00.1 (10de:10f8, class 040300, driver snd_hda_intel)";

	(void)state;
	plan_machine(&pl, root_of("turing-4fn"),
		     "claim vendor=10de class=0300\nkeep address=0000:01:00.1\n");
	expect(&pl, "0000:01:00.1", ACT_KEEP, "keep rule");
	expect(&pl, "0000:01:00.0", ACT_BLOCKED, way);
	expect(&pl, "0000:01:00.2", ACT_BLOCKED, way);
	expect(&pl, "0000:01:00.3", ACT_BLOCKED, way);
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);

	/* A broad keep decides the companion too, so it is in the way. */
	plan_machine(&pl, root_of("two-identical"), "keep vendor=10de\nclaim address=02:00.0\n");
	expect(&pl, "0000:02:00.0", ACT_BLOCKED, "0000:02:00.1");
	expect(&pl, "0000:02:00.1", ACT_KEEP, NULL);
	planned_free(&pl);
}

static void test_pci_stub_in_group(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("pcistub-group"), "claim vendor=10de class=0300 name=gpu\n");
	expect(&pl, "0000:01:00.0", ACT_BLOCKED,
	       "0000:02:00.0 (1912:0014, class 0c0330, driver pci-stub)");
	expect(&pl, "0000:01:00.1", ACT_BLOCKED, "0000:02:00.0");
	expect(&pl, "0000:02:00.0", ACT_KEEP, NULL);
	assert_true(entry_of(&pl, "0000:02:00.0")->listed);
	/* The root ports in group 1 never block. */
	expect(&pl, "0000:00:01.1", ACT_KEEP, "bridge");
	/* The GT 710 is already on vfio-pci, with its audio function. */
	expect(&pl, "0000:04:00.0", ACT_CLAIMED, NULL);
	expect(&pl, "0000:04:00.1", ACT_CLAIMED, NULL);
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);

	/* Naming the USB card on pci-stub by address makes the group viable. */
	plan_machine(&pl, root_of("pcistub-group"), "claim vendor=10de class=0300\n"
						     "claim address=02:00.0\n");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	expect(&pl, "0000:01:00.1", ACT_CLAIM, NULL);
	expect(&pl, "0000:02:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
}

static void test_device_in_the_way(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("shared-sata"), "claim vendor=10de name=gtx1060\n");
	expect(&pl, "0000:1e:00.0", ACT_BLOCKED, "IOMMU group 13");
	expect(&pl, "0000:1e:00.1", ACT_BLOCKED, "IOMMU group 13");
	/* The reason names the host's SATA controller, the device that makes it unsafe. */
	expect(&pl, "0000:1e:00.0", ACT_BLOCKED,
	       "0000:03:00.1 (1022:43b7, class 010601, driver ahci)");
	expect(&pl, "0000:03:00.1", ACT_KEEP, "shares IOMMU group 13");
	expect(&pl, "0000:1f:00.0", ACT_KEEP, "shares IOMMU group 13");
	expect(&pl, "0000:03:00.2", ACT_KEEP, "bridge");
	/* The host disk on its own group is not listed. */
	assert_false(entry_of(&pl, "0000:01:00.0")->listed);
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

static void test_only_device_in_the_way_named(void **state)
{
	struct planned pl;

	(void)state;
	/* No disk or NIC in the way: the one device there is named, with no "other devices". */
	plan_machine(&pl, root_of("pcistub-group"), "claim vendor=10de class=0300\n");
	expect(&pl, "0000:01:00.0", ACT_BLOCKED,
	       "it also holds 0000:02:00.0 (1912:0014, class 0c0330, driver pci-stub), which stays");
	expect(&pl, "0000:01:00.1", ACT_BLOCKED, "driver pci-stub");
	planned_free(&pl);
}

static void test_already_vfio(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("pcistub-group"), "claim vendor=10de device=128b\n");
	expect(&pl, "0000:04:00.0", ACT_CLAIMED, NULL);
	expect(&pl, "0000:04:00.1", ACT_CLAIMED, NULL);
	assert_true(entry_of(&pl, "0000:04:00.0")->on_vfio);
	assert_false(plan_has_problems(&pl.plan));
	assert_int_equal(count(&pl, ACT_CLAIM), 0);
	planned_free(&pl);
}

static void test_last_match_wins(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("two-identical"),
		     "claim vendor=10de class=0300\nkeep address=02:00.0\n");
	expect(&pl, "0000:02:00.0", ACT_KEEP, "keep rule");
	assert_int_equal(entry_of(&pl, "0000:02:00.0")->rule, 1);
	expect(&pl, "0000:01:00.0", ACT_KEEP, "boot VGA");
	assert_int_equal(count(&pl, ACT_CLAIM), 0);
	planned_free(&pl);

	plan_machine(&pl, root_of("two-identical"),
		     "keep address=02:00.0\nclaim vendor=10de class=0300\n");
	expect(&pl, "0000:02:00.0", ACT_CLAIM, NULL);
	assert_int_equal(entry_of(&pl, "0000:02:00.0")->rule, 1);
	planned_free(&pl);
}

static void test_identical_by_address(void **state)
{
	struct planned pl;

	(void)state;
	plan_machine(&pl, root_of("two-identical"), "claim address=0000:02:00.0 name=a4000\n");
	expect(&pl, "0000:02:00.0", ACT_CLAIM, NULL);
	expect(&pl, "0000:02:00.1", ACT_CLAIM, NULL);
	expect_via(&pl, "0000:02:00.1", "0000:02:00.0");
	expect(&pl, "0000:01:00.0", ACT_NONE, NULL);
	expect(&pl, "0000:01:00.1", ACT_NONE, NULL);
	assert_false(entry_of(&pl, "0000:01:00.0")->listed);
	assert_int_equal(count(&pl, ACT_CLAIM), 2);
	planned_free(&pl);
}

static void test_nothing_matches(void **state)
{
	struct planned pl;
	size_t i;

	(void)state;
	plan_machine(&pl, root_of("turing-4fn"), "claim vendor=1002\n");
	for (i = 0; i < pl.plan.n; i++)
		assert_false(pl.plan.e[i].listed);
	assert_false(plan_has_problems(&pl.plan));
	planned_free(&pl);
}

/* A GPU and its audio function in one group, for the attribute faults below. */
static const char *const fault_machine =
	"dev 0000:00:01.0 8086:1901 060400 bus=01 drv=pcieport group=1\n"
	"dev 0000:01:00.0 10de:1e87 030000 drv=nouveau group=1\n"
	"dev 0000:01:00.1 10de:10f8 040300 drv=snd_hda_intel group=1\n";

static void dev_path(char *buf, size_t size, const char *dir, const char *address,
		     const char *attr)
{
	snprintf(buf, size, "%s/root/sys/bus/pci/devices/%s/%s", dir, address, attr);
}

/* A garbage class: the device stays, is never a target, and blocks its group. */
static void test_unreadable_class(void **state)
{
	struct planned pl;
	char dir[256], root[300];

	(void)state;
	mkroot_text(fault_machine, dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	write_file(root, "sys/bus/pci/devices/0000:01:00.1/class", "zzz\n", 0444);
	plan_machine(&pl, root, "claim vendor=10de class=0300,0403\n");
	assert_int_equal(pl.m.n_devs, 3);
	assert_non_null(strstr(pci_find(&pl.m, "0000:01:00.1")->bad, "class: not a valid value"));
	expect(&pl, "0000:01:00.1", ACT_BLOCKED, "cannot read class");
	assert_true(entry_of(&pl, "0000:01:00.1")->listed);
	expect(&pl, "0000:01:00.0", ACT_BLOCKED, "0000:01:00.1");
	assert_true(plan_has_problems(&pl.plan));
	planned_free(&pl);

	/* No rule could want it: not listed, but the reason is there for status. */
	plan_machine(&pl, root, "claim vendor=8086 class=0300\n");
	expect(&pl, "0000:01:00.1", ACT_NONE, "cannot read class");
	assert_false(entry_of(&pl, "0000:01:00.1")->listed);
	planned_free(&pl);

	/* A keep rule that could match it keeps it. */
	plan_machine(&pl, root, "keep vendor=10de class=0403\n");
	expect(&pl, "0000:01:00.1", ACT_KEEP, "cannot read class");
	planned_free(&pl);
	rm_tree(dir);
}

/* boot_vga there but unreadable: the device is taken for the boot VGA device. */
static void test_unreadable_boot_vga(void **state)
{
	struct planned pl;
	char dir[256], root[300], path[600];

	(void)state;
	mkroot_text(fault_machine, dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	dev_path(path, sizeof(path), dir, "0000:01:00.0", "boot_vga");
	unlink(path);
	/* Missing: not the boot VGA device (the kernel has it only for some devices). */
	plan_machine(&pl, root, "claim vendor=10de class=0300\n");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);

	assert_int_equal(mkdir(path, 0755), 0);
	plan_machine(&pl, root, "claim vendor=10de class=0300\n");
	assert_true(pci_find(&pl.m, "0000:01:00.0")->boot_vga);
	expect(&pl, "0000:01:00.0", ACT_KEEP, "boot_vga cannot be read");
	planned_free(&pl);
	/* boot-vga=no does not match it either. */
	plan_machine(&pl, root, "claim vendor=10de class=0300 boot-vga=no\n");
	expect(&pl, "0000:01:00.0", ACT_NONE, NULL);
	planned_free(&pl);
	/* Naming its address claims it, as for the boot GPU. */
	plan_machine(&pl, root, "claim address=0000:01:00.0\n");
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
	rm_tree(dir);
}

/* FIFOs where sysfs has regular files: the scan neither blocks nor trusts them. */
static void test_fifo_attributes(void **state)
{
	struct planned pl;
	char dir[256], root[300], path[600];

	(void)state;
	mkroot_text(fault_machine, dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	dev_path(path, sizeof(path), dir, "0000:01:00.0", "config");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	dev_path(path, sizeof(path), dir, "0000:01:00.1", "class");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(20); /* a blocking read fails the test instead of hanging it */
	plan_machine(&pl, root, "claim vendor=10de\n");
	alarm(0);
	/* Config unreadable: the ids come from the attribute files. */
	assert_int_equal(pci_find(&pl.m, "0000:01:00.0")->device, 0x1e87);
	assert_non_null(strstr(pci_find(&pl.m, "0000:01:00.0")->bad, "config: not a regular file"));
	expect(&pl, "0000:01:00.1", ACT_BLOCKED, "class: not a regular file");
	expect(&pl, "0000:01:00.0", ACT_BLOCKED, "0000:01:00.1");
	planned_free(&pl);
	rm_tree(dir);
}

/* Only the kernel's canonical names are devices. */
static void test_noncanonical_names(void **state)
{
	struct planned pl;
	char dir[256], root[300], path[600], target[600];
	ssize_t n;

	(void)state;
	mkroot_text(fault_machine, dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	dev_path(path, sizeof(path), dir, "0000:01:00.0", "");
	path[strlen(path) - 1] = '\0';
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	dev_path(path, sizeof(path), dir, "01:00.0", "");
	path[strlen(path) - 1] = '\0';
	assert_int_equal(symlink(target, path), 0);
	dev_path(path, sizeof(path), dir, "0000:0A:00.0", "");
	path[strlen(path) - 1] = '\0';
	assert_int_equal(symlink(target, path), 0);
	plan_machine(&pl, root, "claim vendor=10de\n");
	assert_int_equal(pl.m.n_devs, 3);
	assert_null(pci_find(&pl.m, "0000:0a:00.0"));
	expect(&pl, "0000:01:00.0", ACT_CLAIM, NULL);
	planned_free(&pl);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turing_all_functions),
		cmocka_unit_test(test_boot_vga),
		cmocka_unit_test(test_boot_vga_is_no_companion),
		cmocka_unit_test(test_bridges_by_header_type),
		cmocka_unit_test(test_bridge_subsystem_ids),
		cmocka_unit_test(test_hgx_broad_rule),
		cmocka_unit_test(test_nvswitch_named),
		cmocka_unit_test(test_storage_network),
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_vfio_noiommu_group),
		cmocka_unit_test(test_vmd_domain_scanned),
		cmocka_unit_test(test_sriov),
		cmocka_unit_test(test_companion_via_lowest_target),
		cmocka_unit_test(test_keep_rule_on_companion_blocks),
		cmocka_unit_test(test_pci_stub_in_group),
		cmocka_unit_test(test_device_in_the_way),
		cmocka_unit_test(test_only_device_in_the_way_named),
		cmocka_unit_test(test_already_vfio),
		cmocka_unit_test(test_last_match_wins),
		cmocka_unit_test(test_identical_by_address),
		cmocka_unit_test(test_nothing_matches),
		cmocka_unit_test(test_unreadable_class),
		cmocka_unit_test(test_unreadable_boot_vga),
		cmocka_unit_test(test_fifo_attributes),
		cmocka_unit_test(test_noncanonical_names),
	};

	return cmocka_run_group_tests_name("plan", tests, setup_roots, teardown_roots);
}
