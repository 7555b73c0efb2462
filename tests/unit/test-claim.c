/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the claimer against the fake kernel: binding, ordering, failures, restoring. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "bind.h"
#include "claim.h"
#include "deadline.h"
#include "fakekernel.h"
#include "groupprobe.h"
#include "helpers.h"
#include "journal.h"
#include "modules.h"
#include "rootfs.h"
#include "state.h"

static const char *const gpu_fns[] = {
	"0000:01:00.0", "0000:01:00.1", "0000:01:00.2", "0000:01:00.3",
};
static const char *const native[] = { "nouveau", "snd_hda_intel", "xhci_hcd", "nvidia-gpu" };

static const char *const vfio_loaded[] = { "vfio-pci:vfio_pci", NULL };

struct claim_test {
	char root[256];
	pid_t fk;
	struct planned pl;
	struct modules *mods;
	struct state st;
	struct claim_opts o;
};

/* The fake kernel of the running test, stopped by the teardown even when an assertion
 * ends the test early. */
static pid_t running_fk;
static char running_root[256];

static int teardown_fk(void **state)
{
	(void)state;
	if (running_fk > 0)
		(void)fakekernel_stop(running_fk);
	running_fk = 0;
	if (running_root[0])
		rm_tree(running_root);
	running_root[0] = '\0';
	return 0;
}

static void start(struct claim_test *t, const struct fk_opts *fo)
{
	memset(t, 0, sizeof(*t));
	mock_modules_reset();
	mkroot_machine("turing-4fn", t->root, sizeof(t->root));
	snprintf(running_root, sizeof(running_root), "%s", t->root);
	assert_int_equal(fakekernel_start(t->root, fo, &t->fk), 0);
	running_fk = t->fk;
	/* Small deadlines so a hang costs the test little time. */
	t->o = (struct claim_opts){
		.live = false, .unbind_timeout_ms = 300, .run_timeout_ms = 10000,
		.verify_timeout_ms = 500,
	};
}

static void run_claim(struct claim_test *t, const char *policy)
{
	plan_machine(&t->pl, t->root, policy);
	assert_int_equal(modules_new(t->pl.rootfd, false, &t->mods), 0);
	assert_int_equal(claim_apply(t->pl.rootfd, &t->pl.m, &t->pl.p, &t->pl.plan, t->mods, &t->o,
				     &t->st),
			 0);
}

static void finish_run(struct claim_test *t)
{
	modules_free(t->mods);
	t->mods = NULL;
	planned_free(&t->pl);
}

static void stop(struct claim_test *t)
{
	finish_run(t);
	state_free(&t->st);
	running_fk = 0;
	assert_int_equal(fakekernel_stop(t->fk), 0);
}

/* The driver a device is bound to now ("" when unbound), read from the tree. */
static const char *driver_of(const char *root, const char *address)
{
	static char buf[256];
	char path[512];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, address);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/* driver_override as the kernel shows it: the fake kernel leaves a cleared one empty. */
static const char *override_of(const char *root, const char *address)
{
	char rel[128];
	const char *v;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", address);
	v = read_file_text(root, rel);
	return v[0] ? v : "(null)";
}

/* The fake kernel sees writes asynchronously; give it a moment. */
static void expect_override(const char *root, const char *address, const char *want)
{
	unsigned long long end = now_ms() + 2000;

	while (strcmp(override_of(root, address), want) != 0) {
		if (now_ms() > end)
			fail_msg("%s: driver_override \"%s\", want \"%s\"", address,
				 override_of(root, address), want);
		usleep(5000);
	}
}

static char *fake_log(const char *root)
{
	return strdup(read_file_text(root, ".fake/log"));
}

/* The offset of the first log line that starts with prefix, or -1. */
static long log_pos(const char *log, const char *prefix)
{
	const char *p = log;
	size_t len = strlen(prefix);

	while (p && *p) {
		if (strncmp(p, prefix, len) == 0)
			return p - log;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void expect_native(const char *root)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(driver_of(root, gpu_fns[i]), native[i]) != 0)
			fail_msg("%s: driver %s, want %s back", gpu_fns[i], driver_of(root, gpu_fns[i]),
				 native[i]);
		expect_override(root, gpu_fns[i], "(null)");
	}
}

/* Every function of the card claimed, on vfio-pci, its driver_override vfio-pci. */
static void expect_claimed(struct claim_test *t)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		struct plan_entry *e = entry_of(&t->pl, gpu_fns[i]);

		if (e->action != ACT_CLAIMED)
			fail_msg("%s: %s (%s)", gpu_fns[i], action_name(e->action), e->reason);
		assert_string_equal(driver_of(t->root, gpu_fns[i]), "vfio-pci");
		expect_override(t->root, gpu_fns[i], "vfio-pci");
	}
}

static void test_claim_binds_all_functions(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct state_entry *se;
	struct claim_test t;
	long first_unbind;
	char *log;
	size_t i;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300 name=rtx2080\n");
	expect_claimed(&t);
	assert_false(plan_has_problems(&t.pl.plan));
	/* The iGPU and the chipset stay where they were. */
	assert_string_equal(driver_of(t.root, "0000:00:02.0"), "i915");
	assert_string_equal(driver_of(t.root, "0000:00:1f.3"), "snd_hda_intel");

	/* Every driver_override is written before the first unbind. */
	log = fake_log(t.root);
	first_unbind = log_pos(log, "unbind ");
	assert_true(first_unbind >= 0);
	for (i = 0; i < 4; i++) {
		char want[128];
		long pos;

		snprintf(want, sizeof(want), "driver_override %s vfio-pci", gpu_fns[i]);
		pos = log_pos(log, want);
		if (pos < 0 || pos > first_unbind)
			fail_msg("\"%s\" missing or after the first unbind in:\n%s", want, log);
		snprintf(want, sizeof(want), "unbind %s %s", gpu_fns[i], native[i]);
		assert_true(log_pos(log, want) >= 0);
	}
	free(log);

	/* The state records what was done and what to return to. */
	se = state_find(&t.st, "0000:01:00.0");
	assert_non_null(se);
	assert_string_equal(se->action, "claimed");
	assert_string_equal(se->driver, "vfio-pci");
	assert_string_equal(se->previous_driver, "nouveau");
	assert_string_equal(se->rule, "test.conf:1");
	assert_int_equal(se->iommu_group, 1);
	se = state_find(&t.st, "0000:01:00.3");
	assert_non_null(se);
	assert_string_equal(se->action, "claimed");
	assert_string_equal(se->previous_driver, "nvidia-gpu");
	assert_string_equal(se->via, "0000:01:00.0");
	assert_null(state_find(&t.st, "0000:00:02.0"));
	stop(&t);
}

/* The run's deadlines are for the writes it can abandon: a slow module load (a variant
 * driver and its dependencies, 10-20 s in a loaded TCG guest) is not taken out of them. */
static void test_slow_module_load_keeps_the_run_budget(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;

	(void)state;
	start(&t, &fo);
	t.o.run_timeout_ms = 900; /* claims end by 600 ms after the start */
	mock_modules_delay_ms = 400; /* vfio_pci and vfio_iommu_type1: 800 ms */
	run_claim(&t, "claim vendor=10de class=0300 name=rtx2080\n");
	expect_claimed(&t);
	stop(&t);
}

static void test_second_run_is_idempotent(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct state_entry *se;
	struct claim_test t;
	char *before, *after;
	size_t i;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++)
		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_CLAIMED);
	finish_run(&t);
	usleep(100 * 1000);
	before = fake_log(t.root);

	/* A second boot stage (or an operator) runs claim again, with the earlier state. */
	run_claim(&t, "claim vendor=10de class=0300\n");
	expect_claimed(&t);
	usleep(100 * 1000);
	after = fake_log(t.root);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* What the first run found is not forgotten. */
	se = state_find(&t.st, "0000:01:00.1");
	assert_non_null(se);
	assert_string_equal(se->previous_driver, "snd_hda_intel");
	stop(&t);
}

static void test_hanging_unbind(void **state)
{
	static const char *const hang[] = { "0000:01:00.1", NULL };
	struct fk_opts fo = { .load_drivers = vfio_loaded, .hang_unbind = hang };
	unsigned long long t0, elapsed;
	struct claim_test t;
	struct plan_entry *e;
	size_t i;

	(void)state;
	start(&t, &fo);
	t0 = now_ms();
	/* Group 1 (the GPU) and group 3 (the chipset's USB controller, named). */
	run_claim(&t, "claim vendor=10de class=0300\nclaim address=0000:00:14.0\n");
	elapsed = now_ms() - t0;
	print_message("claim took %llu ms\n", elapsed);
	assert_true(elapsed < 5000);
	for (i = 0; i < 4; i++) {
		e = entry_of(&t.pl, gpu_fns[i]);
		if (e->action != ACT_FAILED)
			fail_msg("%s: %s, want failed", gpu_fns[i], action_name(e->action));
	}
	e = entry_of(&t.pl, "0000:01:00.1");
	assert_non_null(strstr(e->reason, "0000:01:00.1"));
	assert_non_null(strstr(e->reason, "abandoned"));
	assert_true(plan_has_problems(&t.pl.plan));
	/* Restored as found... */
	assert_string_equal(driver_of(t.root, "0000:01:00.0"), "nouveau");
	assert_string_equal(driver_of(t.root, "0000:01:00.2"), "xhci_hcd");
	assert_string_equal(driver_of(t.root, "0000:01:00.3"), "nvidia-gpu");
	for (i = 0; i < 4; i++)
		expect_override(t.root, gpu_fns[i], "(null)");
	/* ...and the other group went on. */
	assert_int_equal(entry_of(&t.pl, "0000:00:14.0")->action, ACT_CLAIMED);
	assert_string_equal(driver_of(t.root, "0000:00:14.0"), "vfio-pci");
	assert_string_equal(state_find(&t.st, "0000:01:00.0")->action, "failed");
	assert_string_equal(state_find(&t.st, "0000:00:14.0")->action, "claimed");
	stop(&t);
}

static void test_override_write_fails(void **state)
{
	static const char *const fail_write[] = { "0000:01:00.2:driver_override:EISDIR", NULL };
	struct fk_opts fo = { .load_drivers = vfio_loaded, .fail_write = fail_write };
	struct claim_test t;
	struct plan_entry *e;
	size_t i;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++)
		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_FAILED);
	e = entry_of(&t.pl, "0000:01:00.0");
	assert_non_null(strstr(e->reason, "driver_override of 0000:01:00.2"));
	/* Nothing was unbound, and the overrides written before are cleared again. */
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		expect_override(t.root, gpu_fns[i], "(null)");
		assert_string_equal(driver_of(t.root, gpu_fns[i]), native[i]);
	}
	assert_string_equal(driver_of(t.root, "0000:01:00.2"), "xhci_hcd");
	assert_int_equal(log_pos(read_file_text(t.root, ".fake/log"), "unbind "), -1);
	stop(&t);
}

static void test_probe_fails(void **state)
{
	static const char *const fail_probe[] = { "0000:01:00.3", NULL };
	struct fk_opts fo = { .load_drivers = vfio_loaded, .fail_probe = fail_probe };
	struct claim_test t;
	size_t i;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++)
		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_FAILED);
	assert_non_null(strstr(entry_of(&t.pl, "0000:01:00.0")->reason, "0000:01:00.3"));
	expect_native(t.root);
	stop(&t);
}

static void test_vfio_not_loaded(void **state)
{
	struct claim_test t;
	struct plan_entry *e;
	size_t i;

	(void)state;
	start(&t, NULL);
	/* Under a root other than "/" no module is loaded, so vfio-pci never appears. */
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++) {
		e = entry_of(&t.pl, gpu_fns[i]);
		assert_int_equal(e->action, ACT_FAILED);
		assert_true(e->reason[0] != '\0');
	}
	e = entry_of(&t.pl, "0000:01:00.0");
	assert_non_null(strstr(e->reason, "vfio-pci"));
	assert_non_null(strstr(mock_modules_calls, "vfio_pci"));
	expect_native(t.root);
	assert_string_equal(state_find(&t.st, "0000:01:00.2")->action, "failed");
	stop(&t);
}

static void test_state_written_and_read(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;
	struct state back;
	struct state_entry *se;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300 name=gpu\n");
	assert_int_equal(state_write(t.pl.rootfd, &t.st), 0);
	assert_int_equal(state_read(t.pl.rootfd, &back), 0);
	assert_int_equal(back.n, t.st.n);
	se = state_find(&back, "0000:01:00.2");
	assert_non_null(se);
	assert_string_equal(se->action, "claimed");
	assert_string_equal(se->driver, "vfio-pci");
	assert_string_equal(se->previous_driver, "xhci_hcd");
	assert_string_equal(se->via, "0000:01:00.0");
	state_free(&back);
	stop(&t);
}

/* Plan, then let the machine change under the claimer (hotplug, remove/rescan, a new
 * device in the group), then claim. */
static void claim_after(struct claim_test *t, const char *policy, void (*change)(const char *root))
{
	plan_machine(&t->pl, t->root, policy);
	change(t->root);
	assert_int_equal(modules_new(t->pl.rootfd, false, &t->mods), 0);
	assert_int_equal(claim_apply(t->pl.rootfd, &t->pl.m, &t->pl.p, &t->pl.plan, t->mods, &t->o,
				     &t->st),
			 0);
}

static void root_path(const char *root, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", root, rel);
}

static void remove_fn3(const char *root)
{
	char path[512];

	root_path(root, "sys/bus/pci/devices/0000:01:00.3", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
}

static void usb_joins_gpu_group(const char *root)
{
	char path[512];

	root_path(root, "sys/kernel/iommu_groups/1/devices/0000:00:14.0", path, sizeof(path));
	assert_int_equal(symlink("../../../../devices/pci0000:00/0000:00:14.0", path), 0);
}

static void audio_moves_to_group_8(const char *root)
{
	char path[512], target[512];
	ssize_t n;

	root_path(root, "sys/bus/pci/devices/0000:01:00.1/iommu_group", path, sizeof(path));
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 2 && target[n - 1] == '1' && target[n - 2] == '/');
	target[n - 1] = '8';
	target[n] = '\0';
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

/* The group was judged without a device that is now in it: nothing of it is touched. */
static void expect_group_untouched(struct claim_test *t, const char *reason, size_t n_fns)
{
	struct plan_entry *e;
	size_t i;

	for (i = 0; i < n_fns; i++) {
		e = entry_of(&t->pl, gpu_fns[i]);
		if (e->action != ACT_FAILED)
			fail_msg("%s: %s, want failed", gpu_fns[i], action_name(e->action));
		if (!strstr(e->reason, reason))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", gpu_fns[i], e->reason, reason);
		assert_string_equal(driver_of(t->root, gpu_fns[i]), native[i]);
		expect_override(t->root, gpu_fns[i], "(null)");
	}
	assert_int_equal(log_pos(read_file_text(t->root, ".fake/log"), "unbind 0000:01"), -1);
	assert_true(plan_has_problems(&t->pl.plan));
}

static void test_device_gone_before_claim(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;

	(void)state;
	start(&t, &fo);
	claim_after(&t, "claim vendor=10de class=0300\nclaim address=0000:00:14.0\n", remove_fn3);
	expect_group_untouched(&t, "0000:01:00.3 disappeared since the scan", 3);
	/* The other group goes on. */
	assert_int_equal(entry_of(&t.pl, "0000:00:14.0")->action, ACT_CLAIMED);
	assert_string_equal(driver_of(t.root, "0000:00:14.0"), "vfio-pci");
	stop(&t);
}

static void test_group_gained_device_before_claim(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;

	(void)state;
	start(&t, &fo);
	claim_after(&t, "claim vendor=10de class=0300\n", usb_joins_gpu_group);
	expect_group_untouched(&t, "IOMMU group 1 changed since the scan: it now holds 0000:00:14.0",
			       4);
	assert_string_equal(driver_of(t.root, "0000:00:14.0"), "xhci_hcd");
	stop(&t);
}

static void test_device_moved_group_before_claim(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;

	(void)state;
	start(&t, &fo);
	claim_after(&t, "claim vendor=10de class=0300\n", audio_moves_to_group_8);
	expect_group_untouched(&t, "0000:01:00.1 moved from IOMMU group 1 to 8 since the scan", 4);
	stop(&t);
}

/* No line of the fake kernel's log names a write to one of the GPU's functions. */
static void expect_no_write(const char *root)
{
	char *log = fake_log(root);
	size_t i;

	for (i = 0; i < 4; i++) {
		static const char *const kinds[] = { "driver_override ", "unbind ", "bind " };
		size_t k;

		for (k = 0; k < 3; k++) {
			char want[96];

			snprintf(want, sizeof(want), "%s%s", kinds[k], gpu_fns[i]);
			if (log_pos(log, want) >= 0)
				fail_msg("\"%s\" written, want no write at all:\n%s", want, log);
		}
	}
	free(log);
}

/* The VFIO modules cannot be loaded: nothing is written to any device (a rebind of live
 * qxl/xhci on such a kernel panicked it). Before: overrides and unbinds, then the load. */
static void test_modules_fail_nothing_written(void **state)
{
	struct claim_test t;
	struct plan_entry *e;
	size_t i;

	(void)state;
	start(&t, NULL);
	mock_modules_ensure_error = -ENOENT;
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++) {
		e = entry_of(&t.pl, gpu_fns[i]);
		assert_int_equal(e->action, ACT_FAILED);
		if (!strstr(e->reason, "cannot load module vfio_pci") ||
		    !strstr(e->reason, "nothing was written"))
			fail_msg("%s: reason \"%s\"", gpu_fns[i], e->reason);
	}
	usleep(100 * 1000);
	expect_no_write(t.root);
	expect_native(t.root);
	/* The journal was not even started: there is nothing to undo. */
	assert_false(root_exists(t.pl.rootfd, JOURNAL_FILE));
	stop(&t);
}

/* vfio_iommu_type1 is needed as much as the driver: failing to load it fails untouched. */
static void test_iommu_module_fails_nothing_written(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;
	size_t i;

	(void)state;
	start(&t, &fo);
	/* vfio_pci loads (is there); vfio_iommu_type1 is blacklisted. */
	mock_modules_ensure_error = -EPERM;
	mock_modules_fail_only = "vfio_iommu_type1";
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++)
		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_FAILED);
	usleep(100 * 1000);
	expect_no_write(t.root);
	expect_native(t.root);
	stop(&t);
}

/* A driver_override that blocks (ENXIO: a FIFO nobody reads) ends within the write's
 * deadline, and the overrides already written are cleared. Before: claim hung for good. */
static void test_override_write_blocks(void **state)
{
	static const char *const fail_write[] = { "0000:01:00.2:driver_override:ENXIO", NULL };
	struct fk_opts fo = { .load_drivers = vfio_loaded, .fail_write = fail_write };
	unsigned long long t0, elapsed;
	struct claim_test t;
	size_t i;

	(void)state;
	start(&t, &fo);
	t0 = now_ms();
	run_claim(&t, "claim vendor=10de class=0300\n");
	elapsed = now_ms() - t0;
	print_message("claim took %llu ms\n", elapsed);
	assert_true(elapsed < 3000);
	for (i = 0; i < 4; i++)
		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_FAILED);
	assert_non_null(strstr(entry_of(&t.pl, "0000:01:00.0")->reason,
			       "driver_override of 0000:01:00.2 abandoned"));
	for (i = 0; i < 4; i++) {
		assert_string_equal(driver_of(t.root, gpu_fns[i]), native[i]);
		if (i != 2)
			expect_override(t.root, gpu_fns[i], "(null)");
	}
	stop(&t);
}

/* Restoring is bounded by the run deadline too, and a group that could not be put back is
 * reported as such (not "restored"). Before: every restore write had its own 1 s on top of
 * the run (4.5 s here), and the log said "group restored" before trying. */
static void test_restore_bounded_and_reported(void **state)
{
	/* 00:14.0 starts on vfio-pci, so vfio-pci's unbind hangs; fn 3 cannot bind to it. */
	static const char *const hang[] = { "0000:00:14.0", NULL };
	static const char *const fail_probe[] = { "0000:01:00.3", NULL };
	struct fk_opts fo = { .hang_unbind = hang, .fail_probe = fail_probe };
	unsigned long long t0, elapsed;
	struct claim_test t;
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	mock_modules_reset();
	mkroot_text("vfio loaded\n"
		    "dev 00:01.0 8086:1901 060400 bus=01 drv=pcieport group=1\n"
		    "dev 00:14.0 8086:a36d 0c0330 drv=vfio-pci group=3\n"
		    "dev 01:00.0 10de:1e87 030000 drv=nouveau group=1\n"
		    "dev 01:00.1 10de:10f8 040300 drv=snd_hda_intel group=1\n"
		    "dev 01:00.2 10de:1ad8 0c0330 drv=xhci_hcd group=1\n"
		    "dev 01:00.3 10de:1ad9 0c8000 drv=nvidia-gpu group=1\n",
		    t.root, sizeof(t.root));
	strncat(t.root, "/root", sizeof(t.root) - strlen(t.root) - 1);
	snprintf(running_root, sizeof(running_root), "%.*s", (int)(strlen(t.root) - 5), t.root);
	assert_int_equal(fakekernel_start(t.root, &fo, &t.fk), 0);
	running_fk = t.fk;
	t.o = (struct claim_opts){
		.live = false, .unbind_timeout_ms = 1000, .run_timeout_ms = 3000,
		.verify_timeout_ms = 500,
	};
	t0 = now_ms();
	run_claim(&t, "claim vendor=10de class=0300\n");
	elapsed = now_ms() - t0;
	print_message("claim with a hanging restore took %llu ms (run deadline 3000)\n", elapsed);
	assert_true(elapsed < 3400);
	for (i = 0; i < 4; i++) {
		struct plan_entry *e = entry_of(&t.pl, gpu_fns[i]);

		assert_int_equal(e->action, ACT_FAILED);
		if (i < 3 && !strstr(e->reason, "not restored"))
			fail_msg("%s: reason \"%s\" does not say it was not restored", gpu_fns[i],
				 e->reason);
	}
	/* The overrides came back first, before the unbinds that hang. */
	for (i = 0; i < 4; i++)
		expect_override(t.root, gpu_fns[i], "(null)");
	/* What is left half-done stays in the journal for the next run. */
	assert_true(root_exists(t.pl.rootfd, JOURNAL_FILE));
	stop(&t);
}

/* An override of vfio-pci found on a device (a run that kept no record) is not recorded as
 * what to return to. Before: previous_override "vfio-pci", and release put it back there. */
static void test_own_override_not_previous(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct claim_test t;
	char rel[128];
	size_t i;

	(void)state;
	start(&t, &fo);
	for (i = 0; i < 4; i++) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", gpu_fns[i]);
		write_file(t.root, rel, "vfio-pci\n", 0644);
	}
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++) {
		struct state_entry *se = state_find(&t.st, gpu_fns[i]);

		assert_int_equal(entry_of(&t.pl, gpu_fns[i])->action, ACT_CLAIMED);
		assert_non_null(se);
		assert_string_equal(se->previous_driver, native[i]);
		assert_string_equal(se->previous_override, "");
	}
	stop(&t);
}

/* A claim killed after its group bound (no state written) leaves the journal; recovery
 * puts every device back on its previous driver with its override cleared. */
static void test_journal_recovers_interrupted_claim(void **state)
{
	struct fk_opts fo = { .load_drivers = vfio_loaded };
	struct state empty = { 0 };
	struct claim_test t;
	size_t i;

	(void)state;
	start(&t, &fo);
	run_claim(&t, "claim vendor=10de class=0300\n");
	for (i = 0; i < 4; i++)
		assert_string_equal(driver_of(t.root, gpu_fns[i]), "vfio-pci");
	/* The journal is there until the outcome is recorded; "killed" here. */
	assert_true(root_exists(t.pl.rootfd, JOURNAL_FILE));
	assert_int_equal(journal_recover(t.pl.rootfd, &empty), 0);
	for (i = 0; i < 4; i++) {
		struct state_entry *se = state_find(&empty, gpu_fns[i]);

		assert_non_null(se);
		assert_string_equal(se->action, "released");
	}
	expect_native(t.root);
	assert_false(root_exists(t.pl.rootfd, JOURNAL_FILE));
	state_free(&empty);

	/* Once the outcome is recorded, settling removes the journal. */
	finish_run(&t);
	state_free(&t.st);
	run_claim(&t, "claim vendor=10de class=0300\n");
	assert_true(root_exists(t.pl.rootfd, JOURNAL_FILE));
	assert_int_equal(journal_settle(t.pl.rootfd, &t.st), 0);
	assert_false(root_exists(t.pl.rootfd, JOURNAL_FILE));
	stop(&t);
}

/* A probe is not an unbind: nvgrace_gpu_vfio_pci gets 40 s (its probe polls for up to
 * 30 s), any other driver the default; a default above the table's entry wins. */
static void test_probe_budget_per_driver(void **state)
{
	(void)state;
	assert_int_equal(claim_probe_budget_ms("nvgrace_gpu_vfio_pci", 2000), 40000);
	assert_int_equal(claim_probe_budget_ms("vfio-pci", 2000), 2000);
	assert_int_equal(claim_probe_budget_ms("nvgrace_test", 2000), 2000);
	assert_int_equal(claim_probe_budget_ms("nvgrace_gpu_vfio_pci", 60000), 60000);
}

/* The run's budget follows the plan, with the defaults cmd_claim uses (5 s unbind, 2 s
 * probe and verify): plain vfio-pci on the 4-function Turing card fits today's 30 s floor
 * or a little above; the same functions on nvgrace_gpu_vfio_pci need 4 x (5 + 40) s for
 * the claims plus half that for restoring; the 8 H100s of an HGX on it are capped. */
static void test_run_budget_sized_to_plan(void **state)
{
	const struct claim_opts o = {
		.unbind_timeout_ms = 5000, .run_timeout_ms = 0, .verify_timeout_ms = 2000,
	};
	struct planned pl;
	char root[256];
	size_t i;

	(void)state;
	mock_modules_reset();
	mkroot_machine("turing-4fn", root, sizeof(root));
	plan_machine(&pl, root, "claim vendor=10de class=0300 name=rtx2080\n");
	plan_pick_drivers(pl.rootfd, &pl.plan, &pl.m, NULL);
	/* 4 bound functions x (5 s + 2 s) = 28 s of claims, x 3/2 = 42 s. */
	assert_int_equal(claim_run_budget_ms(&pl.m, &pl.plan, &o), 42000);
	for (i = 0; i < pl.plan.n; i++)
		if (pl.plan.e[i].action == ACT_CLAIM)
			snprintf(pl.plan.e[i].vfio_driver, sizeof(pl.plan.e[i].vfio_driver),
				 "nvgrace_gpu_vfio_pci");
	/* 4 x (5 s + 40 s) = 180 s, x 3/2 = 270 s. */
	assert_int_equal(claim_run_budget_ms(&pl.m, &pl.plan, &o), 270000);
	planned_free(&pl);
	/* Nothing to claim: the floor. */
	plan_machine(&pl, root, "claim vendor=abcd name=none\n");
	assert_int_equal(claim_run_budget_ms(&pl.m, &pl.plan, &o), CLAIM_RUN_MIN_MS);
	planned_free(&pl);
	rm_tree(root);

	mkroot_machine("hgx-h100", root, sizeof(root));
	mock_variant_modalias = "pci:v000010DEd00002330";
	mock_variant_driver = "nvgrace_gpu_vfio_pci";
	plan_machine(&pl, root, "claim vendor=10de device=2330 name=h100\n");
	plan_pick_drivers(pl.rootfd, &pl.plan, &pl.m, NULL);
	assert_string_equal(entry_of(&pl, "0000:03:00.0")->vfio_driver, "nvgrace_gpu_vfio_pci");
	/* 8 x 45 s x 3/2 = 540 s: never more than the cap. */
	assert_int_equal(claim_run_budget_ms(&pl.m, &pl.plan, &o), CLAIM_RUN_MAX_MS);
	planned_free(&pl);
	rm_tree(root);
	mock_modules_reset();
}

/* arm64 (issue 16): groups given at the first probe. The GPU and its audio get theirs from a
 * pci-stub probe that leaves them as found, and so does the audio of a card whose GPU a host
 * driver probed; a groupless device of another slot on the root bus (it cannot share the
 * GPU's group) and one with someone else's override are untouched. */
static const char virt_machine[] =
	"kernel 6.12.117+deb13-arm64\n"
	"cpu ARM\n"
	"iommu smmu3.0x0000000009050000\n"
	"dev 00:05.0 1234:1111 038000 probegroup=3 native=bochs-drm\n"
	"dev 00:05.1 8086:293e 040300 probegroup=3 native=snd_hda_intel\n"
	"dev 00:07.0 8086:10d3 020000 probegroup=2 native=e1000e\n"
	"dev 00:06.0 1b36:000e 060400 bus=01 drv=shpchp\n"
	"dev 00:08.0 1af4:1001 010000 drv=virtio-pci group=1\n"
	"dev 00:09.0 1234:1111 038000 drv=bochs-drm group=9\n"
	"dev 00:09.1 8086:293e 040300 probegroup=9 native=snd_hda_intel\n"
	"dev 01:05.0 1234:1111 038000 probegroup=5 override=nouveau\n";

static const char *const stub_loaded[] = { "vfio-pci:vfio_pci", "pci-stub:pci_stub", NULL };

static void test_group_probe(void **state)
{
	struct fk_opts fo = { .load_drivers = stub_loaded };
	struct claim_test t = { 0 };
	char *log;
	int n;

	(void)state;
	mock_modules_reset();
	mkroot_text(virt_machine, running_root, sizeof(running_root));
	snprintf(t.root, sizeof(t.root), "%.200s/root", running_root);
	assert_int_equal(fakekernel_start(t.root, &fo, &t.fk), 0);
	running_fk = t.fk;
	plan_machine(&t.pl, t.root, "claim vendor=1234 device=1111 name=gpu\n");
	assert_int_equal(entry_of(&t.pl, "0000:00:05.0")->action, ACT_BLOCKED);
	assert_non_null(strstr(entry_of(&t.pl, "0000:00:05.0")->reason, "no IOMMU group yet"));
	assert_int_equal(modules_new(t.pl.rootfd, false, &t.mods), 0);
	/* 00:09.0 was probed by its host driver, so it has its group; its audio has none yet
	 * and would join the group later: it is probed too. */
	assert_int_equal(entry_of(&t.pl, "0000:00:09.0")->action, ACT_CLAIM);
	n = group_probe(t.pl.rootfd, &t.pl.m, &t.pl.plan, t.mods, false, 500, 500);
	assert_int_equal(n, 3);
	assert_non_null(strstr(mock_modules_calls, "pci_stub"));
	/* Back as found: unbound, no override; the kernel kept the groups. */
	assert_string_equal(driver_of(t.root, "0000:00:05.0"), "");
	assert_string_equal(driver_of(t.root, "0000:00:05.1"), "");
	expect_override(t.root, "0000:00:05.0", "(null)");
	expect_override(t.root, "0000:00:05.1", "(null)");
	finish_run(&t);
	plan_machine(&t.pl, t.root, "claim vendor=1234 device=1111 name=gpu\n");
	assert_int_equal(t.pl.m.devs[0].iommu_group >= 0, 1);
	assert_int_equal(entry_of(&t.pl, "0000:00:05.0")->action, ACT_CLAIM);
	assert_int_equal(entry_of(&t.pl, "0000:00:05.1")->action, ACT_CLAIM);
	assert_int_equal(entry_of(&t.pl, "0000:01:05.0")->action, ACT_BLOCKED);
	assert_int_equal(entry_of(&t.pl, "0000:00:09.1")->action, ACT_CLAIM);
	assert_int_equal(entry_of(&t.pl, "0000:00:09.1")->via >= 0, 1);
	log = fake_log(t.root);
	assert_true(log_pos(log, "bind 0000:00:05.0 pci-stub") >= 0);
	assert_true(log_pos(log, "unbind 0000:00:05.0 pci-stub") >= 0);
	assert_true(log_pos(log, "unbind 0000:00:05.1 pci-stub") >= 0);
	if (strstr(log, "0000:00:07.0") || strstr(log, "0000:01:05.0"))
		fail_msg("a device that cannot share the group, or with another's override, was touched:\n%s",
			 log);
	free(log);
	/* Nothing more to probe: a second call does nothing. */
	assert_int_equal(modules_new(t.pl.rootfd, false, &t.mods), 0);
	assert_int_equal(group_probe(t.pl.rootfd, &t.pl.m, &t.pl.plan, t.mods, false, 500, 500), 0);
	stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_claim_binds_all_functions, teardown_fk),
		cmocka_unit_test_teardown(test_slow_module_load_keeps_the_run_budget, teardown_fk),
		cmocka_unit_test_teardown(test_second_run_is_idempotent, teardown_fk),
		cmocka_unit_test_teardown(test_hanging_unbind, teardown_fk),
		cmocka_unit_test_teardown(test_override_write_fails, teardown_fk),
		cmocka_unit_test_teardown(test_probe_fails, teardown_fk),
		cmocka_unit_test_teardown(test_vfio_not_loaded, teardown_fk),
		cmocka_unit_test_teardown(test_state_written_and_read, teardown_fk),
		cmocka_unit_test_teardown(test_device_gone_before_claim, teardown_fk),
		cmocka_unit_test_teardown(test_group_gained_device_before_claim, teardown_fk),
		cmocka_unit_test_teardown(test_device_moved_group_before_claim, teardown_fk),
		cmocka_unit_test_teardown(test_modules_fail_nothing_written, teardown_fk),
		cmocka_unit_test_teardown(test_iommu_module_fails_nothing_written, teardown_fk),
		cmocka_unit_test_teardown(test_override_write_blocks, teardown_fk),
		cmocka_unit_test_teardown(test_restore_bounded_and_reported, teardown_fk),
		cmocka_unit_test_teardown(test_own_override_not_previous, teardown_fk),
		cmocka_unit_test_teardown(test_journal_recovers_interrupted_claim, teardown_fk),
		cmocka_unit_test(test_probe_budget_per_driver),
		cmocka_unit_test(test_run_budget_sized_to_plan),
		cmocka_unit_test_teardown(test_group_probe, teardown_fk),
	};

	return cmocka_run_group_tests_name("claim", tests, NULL, NULL);
}
