/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the state record: write/read round trip, malformed input, unsafe names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "rootfs.h"
#include "state.h"

static void fill(struct state_entry *e, const char *address, const char *action)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->address, sizeof(e->address), "%s", address);
	snprintf(e->action, sizeof(e->action), "%s", action);
	e->iommu_group = -1;
}

static void test_round_trip(void **state)
{
	struct state s = { 0 }, back;
	struct state_entry e, *g;
	char root[256];
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	assert_int_equal(state_read(rootfd, &back), -ENOENT);

	snprintf(s.kernel, sizeof(s.kernel), "6.1.0-28-amd64");
	s.disabled = false;
	fill(&e, "0000:01:00.0", "claimed");
	snprintf(e.vendor, sizeof(e.vendor), "10de");
	snprintf(e.device, sizeof(e.device), "1e87");
	e.iommu_group = 1;
	snprintf(e.driver, sizeof(e.driver), "vfio-pci");
	snprintf(e.previous_driver, sizeof(e.previous_driver), "nouveau");
	snprintf(e.rule, sizeof(e.rule), "/etc/gpu-vfio.d/10 \"gpu\".conf:3");
	snprintf(e.reason, sizeof(e.reason), "a \"quoted\" reason with \\ and\nnewline\tand tab");
	assert_int_equal(state_put(&s, &e), 0);
	fill(&e, "0000:01:00.1", "claimed");
	snprintf(e.via, sizeof(e.via), "0000:01:00.0");
	snprintf(e.driver, sizeof(e.driver), "vfio-pci");
	snprintf(e.previous_driver, sizeof(e.previous_driver), "snd_hda_intel");
	snprintf(e.previous_override, sizeof(e.previous_override), "pci-stub");
	assert_int_equal(state_put(&s, &e), 0);
	fill(&e, "0001:00:00.0", "blocked");
	snprintf(e.reason, sizeof(e.reason), "no IOMMU group");
	assert_int_equal(state_put(&s, &e), 0);
	/* Putting an address again replaces its entry. */
	fill(&e, "0001:00:00.0", "blocked");
	snprintf(e.reason, sizeof(e.reason), "still no IOMMU group");
	assert_int_equal(state_put(&s, &e), 0);
	assert_int_equal(s.n, 3);

	assert_int_equal(state_write(rootfd, &s), 0);
	assert_int_equal(state_read(rootfd, &back), 0);
	assert_string_equal(back.kernel, "6.1.0-28-amd64");
	assert_false(back.disabled);
	assert_int_equal(back.n, 3);
	g = state_find(&back, "0000:01:00.0");
	assert_non_null(g);
	assert_string_equal(g->vendor, "10de");
	assert_string_equal(g->device, "1e87");
	assert_int_equal(g->iommu_group, 1);
	assert_string_equal(g->action, "claimed");
	assert_string_equal(g->driver, "vfio-pci");
	assert_string_equal(g->previous_driver, "nouveau");
	assert_string_equal(g->previous_override, "");
	assert_string_equal(g->rule, "/etc/gpu-vfio.d/10 \"gpu\".conf:3");
	assert_string_equal(g->reason, "a \"quoted\" reason with \\ and\nnewline\tand tab");
	assert_string_equal(g->via, "");
	g = state_find(&back, "0000:01:00.1");
	assert_non_null(g);
	assert_string_equal(g->via, "0000:01:00.0");
	assert_string_equal(g->previous_override, "pci-stub");
	assert_int_equal(g->iommu_group, -1);
	g = state_find(&back, "0001:00:00.0");
	assert_non_null(g);
	assert_string_equal(g->reason, "still no IOMMU group");
	assert_string_equal(g->driver, "");
	state_free(&back);

	/* gpu-vfio=off is recorded too. */
	s.disabled = true;
	assert_int_equal(state_write(rootfd, &s), 0);
	assert_int_equal(state_read(rootfd, &back), 0);
	assert_true(back.disabled);
	state_free(&back);

	state_free(&s);
	close(rootfd);
	rm_tree(root);
}

static void test_malformed_rejected(void **state)
{
	static const char *const bad[] = {
		"{\"devices\": [{\"address\": \"0000:01:00.0\"",
		"{\"devices\": [{\"address\": \"0000:01:00.0\" \"action\": \"claimed\"}]}",
		"{\"devices\": [{\"address\": \"0000:01:00.0\", \"action\": \"claimed}]}",
		"{\"devices\": [{\"address\": \"0000:01:00.0\", \"action\": }]}",
		"{\"devices\": [{\"address\": \"0000:01:00.0\", \"action\" \"claimed\"}]}",
		"{\"devices\": [{\"address\": \"0000:01:00.0\"}, ",
		"{\"devices\": [{\"address\": \"\\u00",
		"{\"devices\": [{\"address\"",
		"{\"devices\": [{\"address\": \"0000:01:00.0\"}]",
	};
	struct state s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = state_parse(bad[i], strlen(bad[i]), &s);

		if (r >= 0) {
			state_free(&s);
			fail_msg("accepted malformed record: %s", bad[i]);
		}
	}
}

/* A bare value that is no JSON literal or number. */
static void test_malformed_literal_rejected(void **state)
{
	static const char text[] =
		"{\"devices\": [{\"address\": \"0000:01:00.0\", \"iommu_group\": 1x}]}";
	struct state s;

	(void)state;
	if (state_parse(text, strlen(text), &s) >= 0) {
		state_free(&s);
		fail_msg("accepted malformed record: %s", text);
	}
}

static void test_garbage_does_not_crash(void **state)
{
	static const char *const junk[] = {
		"", "not json", "{", "}", "[]", "{\"devices\": 5}", "{\"devices\": \"x\"}",
		"{\"devices\": [1, 2, [3]]}", "{\"devices\": [{\"address\": {\"a\": [1]}}]}",
		"{\"devices\": [{\"address\": \"0000:01:00.0\", \"reason\": \"\\ud800\"}]}",
	};
	char big[8192];
	struct state s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (state_parse(junk[i], strlen(junk[i]), &s) == 0) {
			size_t j;

			/* Whatever is accepted must still be safe to use as names. */
			for (j = 0; j < s.n; j++) {
				char norm[32];

				assert_true(pci_address_normalise(s.e[j].address, norm, sizeof(norm)));
			}
			state_free(&s);
		}
	}
	/* An over-long value is cut or refused, never overflows. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"devices\": [{\"address\": \"0000:01:00.0\", \"reason\": \"", 53);
	memcpy(big + sizeof(big) - 6, "\"}]}", 5);
	if (state_parse(big, strlen(big), &s) == 0) {
		if (s.n)
			assert_true(strlen(s.e[0].reason) < sizeof(s.e[0].reason));
		state_free(&s);
	}
}

static void test_unsafe_names_dropped(void **state)
{
	static const char text[] =
		"{\"version\": 1, \"kernel\": \"6.1.0\", \"disabled\": false, \"devices\": [\n"
		" {\"address\": \"../../x\", \"action\": \"claimed\", \"driver\": \"vfio-pci\"},\n"
		" {\"address\": \"0000:01:00.0/../../..\", \"action\": \"claimed\"},\n"
		" {\"address\": \"0000:01:20.0\", \"action\": \"claimed\"},\n"
		" {\"address\": \"0000:02:00.0\", \"action\": \"claimed\", \"driver\": \"../../x\"},\n"
		" {\"address\": \"0000:03:00.0\", \"action\": \"claimed\", \"previous_driver\": \"a/b\"},\n"
		" {\"address\": \"0000:04:00.0\", \"action\": \"claimed\", \"previous_override\": \"..\"},\n"
		" {\"address\": \"0000:05:00.0\", \"action\": \"claimed\", \"driver\": \"vfio-pci\","
		" \"previous_driver\": \"nouveau\", \"via\": \"../..\"},\n"
		" {\"address\": \"06:00.1\", \"action\": \"claimed\", \"driver\": \"vfio-pci\"}\n"
		"]}\n";
	struct state s;
	struct state_entry *e;

	(void)state;
	assert_int_equal(state_parse(text, strlen(text), &s), 0);
	assert_int_equal(s.n, 2);
	e = state_find(&s, "0000:05:00.0");
	assert_non_null(e);
	assert_string_equal(e->previous_driver, "nouveau");
	assert_string_equal(e->via, "");
	/* Addresses are normalised. */
	assert_non_null(state_find(&s, "0000:06:00.1"));
	assert_null(state_find(&s, "0000:02:00.0"));
	assert_null(state_find(&s, "0000:03:00.0"));
	assert_null(state_find(&s, "0000:04:00.0"));
	state_free(&s);

	assert_false(driver_name_valid("../../x"));
	assert_false(driver_name_valid(".."));
	assert_false(driver_name_valid(""));
	assert_false(driver_name_valid("a/b"));
	assert_true(driver_name_valid("vfio-pci"));
	assert_true(driver_name_valid("nvgrace_gpu_vfio_pci"));
}

/* A truncated record is an error of its own (-EBADMSG), not "no record" (-ENOENT).
 * Before: state_read returned -EINVAL, which every caller ignored. */
static void test_truncated_is_badmsg(void **state)
{
	static const char text[] = "{\n  \"version\": 1,\n  \"devices\": [\n    {\"address\": \"0000:01:00.0\", \"action\": \"clai";
	struct state s;
	char root[256];
	int rootfd;

	(void)state;
	assert_int_equal(state_parse(text, strlen(text), &s), -EBADMSG);
	mk_tempdir(root, sizeof(root));
	write_file(root, "run/gpu-vfio/state.json", text, 0644);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	assert_int_equal(state_read(rootfd, &s), -EBADMSG);
	close(rootfd);
	rm_tree(root);
}

static unsigned long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 30k entries parse in well under a second and lookups are by bisection. Before: every
 * entry was looked up linearly on insertion (60k: 16.6 s). The last duplicate wins. */
static void test_large_record_is_fast(void **state)
{
	const size_t n = 30000;
	size_t cap = n * 64 + 256, len = 0, i;
	unsigned long long t0, elapsed;
	char *text = malloc(cap);
	struct state s;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{\"devices\": [");
	/* Written in reverse order, so sorting has work to do. */
	for (i = 0; i < n; i++) {
		size_t k = n - 1 - i;

		len += (size_t)snprintf(text + len, cap - len,
					"%s{\"address\": \"0000:%02zx:%02zx.%zu\", \"action\": \"claimed\"}",
					i ? "," : "", k >> 8, (k >> 3) & 0x1f, k & 7);
	}
	len += (size_t)snprintf(text + len, cap - len,
				",{\"address\": \"0000:00:00.0\", \"action\": \"keep\"}]}");
	t0 = mono_ms();
	assert_int_equal(state_parse(text, len, &s), 0);
	for (i = 0; i < n; i += 7) {
		char addr[PCI_ADDR_MAX];

		snprintf(addr, sizeof(addr), "0000:%02zx:%02zx.%zu", i >> 8, (i >> 3) & 0x1f, i & 7);
		if (!state_find(&s, addr))
			fail_msg("%s not found", addr);
	}
	elapsed = mono_ms() - t0;
	print_message("parsed %zu entries and looked up %zu in %llu ms\n", s.n, n / 7, elapsed);
	/* Before, 30k took ~4 s unsanitised; now ~0.3 s (1.5 s with the sanitizers, loaded). */
	assert_true(elapsed < 4000);
	assert_string_equal(state_find(&s, "0000:00:00.0")->action, "keep");
	for (i = 1; i < s.n; i++)
		assert_true(strcmp(s.e[i - 1].address, s.e[i].address) < 0);
	state_free(&s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_malformed_literal_rejected),
		cmocka_unit_test(test_garbage_does_not_crash),
		cmocka_unit_test(test_unsafe_names_dropped),
		cmocka_unit_test(test_truncated_is_badmsg),
		cmocka_unit_test(test_large_record_is_fast),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
