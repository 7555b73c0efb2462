/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the gpu-vfio.conf(5) parser, rule matching, decisions and policy loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "policy.h"
#include "rootfs.h"
#include "variants.h"

static struct policy parse(const char *text)
{
	struct policy p;

	memset(&p, 0, sizeof(p));
	policy_parse_text(&p, "test.conf", text, strlen(text));
	return p;
}

/* Parse, expect no error and n rules. */
static struct policy parse_ok(const char *text, size_t n_rules)
{
	struct policy p = parse(text);
	size_t i;

	for (i = 0; i < p.n_errors; i++)
		print_error("unexpected error for [%s]: %s\n", text, p.errors[i]);
	assert_int_equal(p.n_errors, 0);
	assert_int_equal(p.n_rules, n_rules);
	return p;
}

static void assert_prefix(const char *got, const char *want)
{
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("error message\n  got:  %s\n  want: %s...", got, want);
}

/* The policy text must be rejected with exactly one error starting with want. */
static void expect_error(const char *text, const char *want)
{
	struct policy p = parse(text);
	size_t i;

	if (p.n_errors != 1) {
		for (i = 0; i < p.n_errors; i++)
			print_error("[%s] -> %s\n", text, p.errors[i]);
		fail_msg("[%s]: %zu errors, want 1 (%s)", text, p.n_errors, want);
	}
	assert_prefix(p.errors[0], want);
	assert_int_equal(p.n_rules, 0);
	policy_free(&p);
}

static struct match_target dev(const char *address, uint16_t vendor, uint16_t device,
			       uint32_t class)
{
	return (struct match_target){
		.address = address, .vendor = vendor, .device = device,
		.subvendor = vendor, .subdevice = 0x1234, .class = class, .numa_node = -1,
	};
}

static bool matches1(const char *text, const struct match_target *t)
{
	struct policy p = parse_ok(text, 1);
	bool r = rule_matches(&p.rules[0], t);

	policy_free(&p);
	return r;
}

static void test_id_keys(void **state)
{
	struct match_target gpu = dev("0000:01:00.0", 0x10de, 0x1e87, 0x030000);
	struct match_target other = dev("0000:01:00.0", 0x8086, 0x1e87, 0x030000);

	(void)state;
	gpu.subvendor = 0x1462;
	gpu.subdevice = 0x3727;
	assert_true(matches1("claim vendor=10de", &gpu));
	assert_false(matches1("claim vendor=10de", &other));
	assert_true(matches1("claim device=1e87", &gpu));
	assert_false(matches1("claim device=1e88", &gpu));
	assert_true(matches1("claim subvendor=1462", &gpu));
	assert_false(matches1("claim subvendor=10de", &gpu));
	assert_true(matches1("claim subdevice=3727", &gpu));
	assert_false(matches1("claim subdevice=3728", &gpu));
	/* All keys of a rule must match. */
	assert_true(matches1("claim vendor=10de device=1e87 subvendor=1462 subdevice=3727 class=03",
			     &gpu));
	assert_false(matches1("claim vendor=10de device=1e87 subvendor=1462 subdevice=3727 class=02",
			      &gpu));
	assert_false(matches1("claim vendor=10de device=1e88", &gpu));
}

static void test_comma_lists_hex_forms(void **state)
{
	struct match_target a = dev("0000:01:00.0", 0x10de, 0x0fc6, 0x030000);
	struct match_target b = dev("0000:01:00.1", 0x10de, 0x0e1b, 0x040300);
	struct match_target c = dev("0000:02:00.0", 0x10de, 0x1e87, 0x030000);

	(void)state;
	assert_true(matches1("claim device=0fc6,0e1b", &a));
	assert_true(matches1("claim device=0fc6,0e1b", &b));
	assert_false(matches1("claim device=0fc6,0e1b", &c));
	assert_true(matches1("claim vendor=0x10de", &a));
	assert_true(matches1("claim vendor=0X10DE", &a));
	assert_true(matches1("claim vendor=10De device=0x0FC6", &a));
	assert_true(matches1("claim vendor=1002,0x10DE", &a));
	assert_true(matches1("claim class=0x0300", &a));
}

static void test_class_prefixes(void **state)
{
	struct match_target vga = dev("0000:01:00.0", 0x10de, 1, 0x030000);
	struct match_target gpu3d = dev("0000:01:00.0", 0x10de, 1, 0x030200);
	struct match_target audio = dev("0000:01:00.1", 0x10de, 1, 0x040300);
	struct match_target nvswitch = dev("0000:0b:00.0", 0x10de, 0x22a3, 0x068000);

	(void)state;
	assert_true(matches1("claim class=03", &vga));
	assert_true(matches1("claim class=03", &gpu3d));
	assert_false(matches1("claim class=03", &audio));
	assert_true(matches1("claim class=0302", &gpu3d));
	assert_false(matches1("claim class=0302", &vga));
	assert_true(matches1("claim class=030000", &vga));
	assert_false(matches1("claim class=030000", &gpu3d));
	assert_true(matches1("claim class=0300,0302", &vga));
	assert_true(matches1("claim class=0300,0302", &gpu3d));
	assert_true(matches1("claim class=06", &nvswitch));
	assert_true(matches1("claim class=0680", &nvswitch));
	assert_true(matches1("claim class=068000", &nvswitch));
	assert_false(matches1("claim class=0604", &nvswitch));
	/* A prefix is of the whole code, not a substring elsewhere. */
	assert_false(matches1("claim class=80", &nvswitch));
	assert_false(matches1("claim class=0000", &vga));
}

static void test_addresses(void **state)
{
	struct match_target a = dev("0000:0a:00.0", 0x10de, 1, 0x030000);
	struct match_target a1 = dev("0000:0a:00.1", 0x10de, 1, 0x040300);
	struct match_target d1 = dev("0001:0a:00.0", 0x10de, 1, 0x030000);
	struct match_target far = dev("0000:1a:00.0", 0x10de, 1, 0x030000);

	(void)state;
	assert_true(matches1("claim address=0a:00.0", &a));
	assert_false(matches1("claim address=0a:00.0", &d1));
	assert_true(matches1("claim address=0000:0a:00.0", &a));
	assert_true(matches1("claim address=0000:0A:00.0", &a));
	assert_true(matches1("claim address=0001:0A:00.0", &d1));
	assert_false(matches1("claim address=0000:0a:00.0", &a1));
	assert_true(matches1("claim address=0000:0?:00.*", &a));
	assert_true(matches1("claim address=0000:0?:00.*", &a1));
	assert_false(matches1("claim address=0000:0?:00.*", &far));
	assert_true(matches1("claim address=*:0a:00.0", &d1));
	assert_true(matches1("claim address=000?:0A:00.?", &d1));
	assert_true(matches1("claim address=*:*:*.*", &far));
	assert_true(matches1("claim address=0000:?a:00.0", &far));
	assert_true(matches1("claim address=01:00.0,0000:0a:00.1", &a1));
	assert_false(matches1("claim address=01:00.0,0000:0a:00.1", &a));
}

static void test_boot_vga_numa(void **state)
{
	struct match_target boot = dev("0000:00:02.0", 0x8086, 0x3e92, 0x030000);
	struct match_target plain = dev("0000:01:00.0", 0x10de, 0x1e87, 0x030000);

	(void)state;
	boot.boot_vga = true;
	plain.numa_node = 1;
	assert_true(matches1("claim class=03 boot-vga=yes", &boot));
	assert_false(matches1("claim class=03 boot-vga=yes", &plain));
	assert_true(matches1("claim class=03 boot-vga=no", &plain));
	assert_false(matches1("claim class=03 boot-vga=no", &boot));
	assert_true(matches1("keep boot-vga=yes", &boot));
	assert_true(matches1("claim vendor=10de numa-node=1", &plain));
	assert_false(matches1("claim vendor=10de numa-node=0", &plain));
	/* A missing numa_node is -1. */
	assert_true(matches1("claim class=03 numa-node=-1", &boot));
	assert_true(matches1("keep numa-node=-1", &boot));
}

static void test_name_and_actions(void **state)
{
	struct policy p = parse_ok("claim vendor=10de name=rtx_2080-a\nkeep address=01:00.0\n"
				   "claim vendor=10de name=0123456789abcdef0123456789abcdef\n", 3);

	(void)state;
	assert_int_equal(p.rules[0].action, RULE_CLAIM);
	assert_string_equal(p.rules[0].name, "rtx_2080-a");
	assert_int_equal(p.rules[1].action, RULE_KEEP);
	assert_string_equal(p.rules[1].name, "");
	assert_string_equal(p.rules[2].name, "0123456789abcdef0123456789abcdef");
	assert_string_equal(p.rules[0].file, "test.conf");
	assert_int_equal(p.rules[0].line, 1);
	assert_int_equal(p.rules[2].line, 3);
	assert_true(policy_has_claim(&p));
	policy_free(&p);
	p = parse_ok("keep vendor=10de\n", 1);
	assert_false(policy_has_claim(&p));
	policy_free(&p);
}

static void test_last_match_wins(void **state)
{
	struct policy p = parse_ok("# GPUs to VMs, but not the one the host uses\n"
				   "claim vendor=10de class=0300,0302 name=gpu\n"
				   "keep  address=0000:65:00.0\n"
				   "claim address=0000:65:00.0 device=2330\n", 3);
	struct match_target other = dev("0000:17:00.0", 0x10de, 0x1e87, 0x030000);
	struct match_target kept = dev("0000:65:00.0", 0x10de, 0x1e87, 0x030000);
	struct match_target back = dev("0000:65:00.0", 0x10de, 0x2330, 0x030200);
	struct match_target intel = dev("0000:00:02.0", 0x8086, 0x3e92, 0x030000);

	(void)state;
	assert_int_equal(policy_decide(&p, &other), 0);
	assert_int_equal(policy_decide(&p, &kept), 1);
	assert_int_equal(p.rules[policy_decide(&p, &kept)].action, RULE_KEEP);
	assert_int_equal(policy_decide(&p, &back), 2);
	assert_int_equal(policy_decide(&p, &intel), -1);
	policy_free(&p);
}

/* The nova-* keys: values kept for `gpu-vfio nova`, errors with file and line, not match keys. */
static void test_nova_keys(void **state)
{
	struct policy p = parse_ok(
		"claim vendor=10de name=a nova-resource-class=CUSTOM_A100 nova-traits=CUSTOM_X,HW_GPU_API_CUDA_V8_0 "
		"nova-numa-policy=socket nova-live-migratable=no nova-one-time-use=yes\n"
		"claim device=1eb8 nova-numa-policy=preferred\n", 2);

	(void)state;
	assert_string_equal(p.rules[0].nova.resource_class, "CUSTOM_A100");
	assert_string_equal(p.rules[0].nova.traits, "CUSTOM_X,HW_GPU_API_CUDA_V8_0");
	assert_string_equal(p.rules[0].nova.numa_policy, "socket");
	assert_string_equal(p.rules[0].nova.live_migratable, "no");
	assert_string_equal(p.rules[0].nova.one_time_use, "yes");
	assert_string_equal(p.rules[1].nova.numa_policy, "preferred");
	assert_string_equal(p.rules[1].nova.resource_class, "");
	policy_free(&p);
	expect_error("claim nova-traits=CUSTOM_X\n", "test.conf:1: rule has no match key");
	expect_error("keep vendor=10de nova-numa-policy=socket\n",
		     "test.conf:1: 'nova-numa-policy' is only allowed on a claim rule");
	expect_error("claim vendor=10de nova-resource-class=A100\n",
		     "test.conf:1: nova-resource-class must be CUSTOM_ and");
	expect_error("claim vendor=10de nova-resource-class=CUSTOM_\n",
		     "test.conf:1: nova-resource-class must be CUSTOM_ and");
	expect_error("claim vendor=10de nova-resource-class=CUSTOM_a\n",
		     "test.conf:1: nova-resource-class must be CUSTOM_ and");
	expect_error("claim vendor=10de nova-traits=CUSTOM_X,,Y\n",
		     "test.conf:1: invalid trait '' in nova-traits");
	expect_error("claim vendor=10de nova-traits=custom_x\n",
		     "test.conf:1: invalid trait 'custom_x' in nova-traits");
	expect_error("claim vendor=10de nova-numa-policy=strict\n",
		     "test.conf:1: nova-numa-policy must be required, legacy, preferred or socket, got 'strict'");
	expect_error("claim vendor=10de nova-live-migratable=true\n",
		     "test.conf:1: nova-live-migratable must be 'yes' or 'no', got 'true'");
	expect_error("claim vendor=10de nova-one-time-use=1\n",
		     "test.conf:1: nova-one-time-use must be 'yes' or 'no', got '1'");
	expect_error("claim vendor=10de nova-one-time-use=yes nova-one-time-use=no\n",
		     "test.conf:1: key 'nova-one-time-use' given twice in one rule");
}

static void test_rule_names_address(void **state)
{
	struct policy p = parse_ok("claim address=0000:01:00.0,0000:0?:00.1,02:00.0\n"
				   "claim address=0000:01:00.*\n", 2);

	(void)state;
	assert_true(rule_names_address(&p.rules[0], "0000:01:00.0"));
	assert_true(rule_names_address(&p.rules[0], "0000:02:00.0"));
	assert_false(rule_names_address(&p.rules[0], "0000:01:00.1"));
	assert_false(rule_names_address(&p.rules[0], "0000:03:00.0"));
	assert_false(rule_names_address(&p.rules[1], "0000:01:00.0"));
	policy_free(&p);
	p = parse_ok("claim vendor=10de\n", 1);
	assert_false(rule_names_address(&p.rules[0], "0000:01:00.0"));
	policy_free(&p);
}

static void test_comments_blank_cr_tabs(void **state)
{
	struct policy p;

	(void)state;
	p = parse_ok("", 0);
	policy_free(&p);
	p = parse_ok("# only comments\n\n   \n\t# indented comment\n", 0);
	policy_free(&p);
	p = parse_ok("claim vendor=10de # give them all\r\n"
		     "\tkeep\taddress=01:00.0\t#\tthe console\r\n"
		     "\r\n"
		     "claim  \t device=1e87   class=03\r\n"
		     "keep vendor=10de\n", 4);
	policy_free(&p);

	p = parse("claim vendor=10de # c\r\n\tkeep\taddress=01:00.0\n\nclaim vendor=10de#x\nkeep x\n");
	assert_int_equal(p.n_errors, 2);
	assert_prefix(p.errors[0], "test.conf:4: invalid vendor '10de#x'");
	assert_prefix(p.errors[1], "test.conf:5: expected KEY=VALUE, got 'x'");
	assert_int_equal(p.n_rules, 2);
	assert_int_equal(p.rules[1].line, 2);
	assert_int_equal(p.rules[1].action, RULE_KEEP);
	policy_free(&p);

	/* The CR of the last line, without a newline, is stripped too. */
	p = parse_ok("claim vendor=10de\r", 1);
	policy_free(&p);
}

static void test_error_messages(void **state)
{
	(void)state;
	expect_error("give vendor=10de\n", "test.conf:1: unknown action 'give'");
	expect_error("\n\nCLAIM vendor=10de\n", "test.conf:3: unknown action 'CLAIM'");
	expect_error("Keep vendor=10de\n", "test.conf:1: unknown action 'Keep'");
	expect_error("claim\n", "test.conf:1: rule has no match key");
	expect_error("keep   # nothing\n", "test.conf:1: rule has no match key");
	expect_error("claim name=gpu\n", "test.conf:1: rule has no match key");
	expect_error("claim boot-vga=yes\n",
		     "test.conf:1: a claim rule needs a match key besides boot-vga and numa-node");
	expect_error("claim numa-node=0 boot-vga=no\n",
		     "test.conf:1: a claim rule needs a match key besides boot-vga and numa-node");
	expect_error("claim vendorid=10de\n", "test.conf:1: unknown key 'vendorid'");
	expect_error("claim VENDOR=10de\n", "test.conf:1: unknown key 'VENDOR'");
	expect_error("claim vendor\n", "test.conf:1: expected KEY=VALUE, got 'vendor'");
	expect_error("claim vendor=10de vendor=1002\n",
		     "test.conf:1: key 'vendor' given twice in one rule");
	expect_error("claim vendor=\n", "test.conf:1: empty value for 'vendor'");
	expect_error("claim vendor=10de class=\n", "test.conf:1: empty value for 'class'");
	expect_error("claim vendor=10de,\n", "test.conf:1: empty item in 'vendor'");
	expect_error("claim vendor=,10de\n", "test.conf:1: empty item in 'vendor'");
	expect_error("claim device=1e87,,1e88\n", "test.conf:1: empty item in 'device'");
	expect_error("claim address=01:00.0,\n", "test.conf:1: empty item in 'address'");
	expect_error("claim vendor=10d\n", "test.conf:1: invalid vendor '10d'");
	expect_error("claim vendor=10dex\n", "test.conf:1: invalid vendor '10dex'");
	expect_error("claim vendor=0x\n", "test.conf:1: invalid vendor '0x'");
	expect_error("claim device=gggg\n", "test.conf:1: invalid device 'gggg'");
	expect_error("claim subvendor=0x010de\n", "test.conf:1: invalid subvendor '0x010de'");
	expect_error("claim vendor=10de subdevice=123\n", "test.conf:1: invalid subdevice '123'");
	expect_error("claim class=0\n", "test.conf:1: invalid class '0'");
	expect_error("claim class=030\n", "test.conf:1: invalid class '030'");
	expect_error("claim class=03000\n", "test.conf:1: invalid class '03000'");
	expect_error("claim class=03000000\n", "test.conf:1: invalid class '03000000'");
	expect_error("claim class=0x3\n", "test.conf:1: invalid class '0x3'");
	expect_error("claim address=01:00\n", "test.conf:1: invalid address '01:00'");
	expect_error("claim address=0000:01:20.0\n", "test.conf:1: invalid address '0000:01:20.0'");
	expect_error("claim address=01:00.8\n", "test.conf:1: invalid address '01:00.8'");
	expect_error("claim address=0000:1:00.0\n", "test.conf:1: invalid address '0000:1:00.0'");
	expect_error("claim address=0000:001:00.0\n", "test.conf:1: invalid address '0000:001:00.0'");
	expect_error("claim address=0000:0[1]:00.0\n", "test.conf:1: invalid address '0000:0[1]:00.0'");
	expect_error("claim address=0000:0[12]:00.0\n",
		     "test.conf:1: invalid address '0000:0[12]:00.0'");
	expect_error("claim address=0000:01:00.0-1\n", "test.conf:1: invalid address '0000:01:00.0-1'");
	expect_error("claim address=0000:01*00.0\n", "test.conf:1: invalid address '0000:01*00.0'");
	expect_error("claim address=*.0\n", "test.conf:1: invalid address '*.0'");
	expect_error("claim address=0000:0g:00.0\n", "test.conf:1: invalid address '0000:0g:00.0'");
	expect_error("claim address=0000:01:00.0.1\n", "test.conf:1: invalid address '0000:01:00.0.1'");
	expect_error("claim class=03 boot-vga=YES\n",
		     "test.conf:1: boot-vga must be 'yes' or 'no', got 'YES'");
	expect_error("claim class=03 boot-vga=1\n",
		     "test.conf:1: boot-vga must be 'yes' or 'no', got '1'");
	expect_error("claim class=03 numa-node=x\n",
		     "test.conf:1: numa-node must be a node number or -1, got 'x'");
	expect_error("claim class=03 numa-node=-2\n",
		     "test.conf:1: numa-node must be a node number or -1, got '-2'");
	expect_error("claim class=03 numa-node=1.5\n",
		     "test.conf:1: numa-node must be a node number or -1, got '1.5'");
	expect_error("claim class=03 numa-node=-\n",
		     "test.conf:1: numa-node must be a node number or -1, got '-'");
	expect_error("keep vendor=10de name=gpu\n",
		     "test.conf:1: 'name' is only allowed on a claim rule");
	expect_error("claim vendor=10de name=GPU\n", "test.conf:1: invalid name 'GPU'");
	expect_error("claim vendor=10de name=a.b\n", "test.conf:1: invalid name 'a.b'");
	expect_error("claim vendor=10de name=0123456789abcdef0123456789abcdefx\n",
		     "test.conf:1: invalid name '0123456789abcdef0123456789abcdefx'");
	expect_error("claim vendor=10de name=\n", "test.conf:1: empty value for 'name'");
	/* A Kubernetes resource name part starts and ends with a letter or digit. */
	expect_error("claim vendor=10de name=--\n", "test.conf:1: invalid name '--'");
	expect_error("claim vendor=10de name=-gpu\n", "test.conf:1: invalid name '-gpu'");
	expect_error("claim vendor=10de name=gpu_\n", "test.conf:1: invalid name 'gpu_'");
	expect_error("claim vendor=10de name=_\n", "test.conf:1: invalid name '_'");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "claim vendor=10de\nkeep\0 address=01:00.0\nclaim device=1e87\n";
	struct policy p;

	(void)state;
	memset(&p, 0, sizeof(p));
	policy_parse_text(&p, "test.conf", text, sizeof(text) - 1);
	assert_int_equal(p.n_errors, 1);
	assert_prefix(p.errors[0], "test.conf:2: contains a NUL byte");
	policy_free(&p);
}

static void test_every_error_reported(void **state)
{
	struct policy p = parse("# header\n"
				"claim vendor=10d\n"
				"claim vendor=10de name=ok\n"
				"kep address=01:00.0\n"
				"claim class=030 address=0000:01:20.0 color=red\n"
				"claim boot-vga=yes\n");

	(void)state;
	assert_int_equal(p.n_errors, 6);
	assert_prefix(p.errors[0], "test.conf:2: invalid vendor '10d'");
	assert_prefix(p.errors[1], "test.conf:4: unknown action 'kep'");
	assert_prefix(p.errors[2], "test.conf:5: invalid class '030'");
	assert_prefix(p.errors[3], "test.conf:5: invalid address '0000:01:20.0'");
	assert_prefix(p.errors[4], "test.conf:5: unknown key 'color'");
	assert_prefix(p.errors[5], "test.conf:6: a claim rule needs a match key");
	/* The one good rule is parsed; the errors make callers reject the whole policy. */
	assert_int_equal(p.n_rules, 1);
	policy_free(&p);

	p = parse("claim vendor=10d\nclaim boot-vga=yes\nkeep name=x vendor=10de\n");
	assert_int_equal(p.n_errors, 3);
	assert_prefix(p.errors[0], "test.conf:1: ");
	assert_prefix(p.errors[1], "test.conf:2: ");
	assert_prefix(p.errors[2], "test.conf:3: ");
	policy_free(&p);
}

static void test_address_normalise(void **state)
{
	char buf[32];

	(void)state;
	assert_true(pci_address_normalise("01:00.0", buf, sizeof(buf)));
	assert_string_equal(buf, "0000:01:00.0");
	assert_true(pci_address_normalise("0000:0A:1F.7", buf, sizeof(buf)));
	assert_string_equal(buf, "0000:0a:1f.7");
	assert_true(pci_address_normalise("0001:00:00.0", buf, sizeof(buf)));
	assert_string_equal(buf, "0001:00:00.0");
	assert_false(pci_address_normalise("01:00.8", buf, sizeof(buf)));
	assert_false(pci_address_normalise("01:20.0", buf, sizeof(buf)));
	assert_false(pci_address_normalise("0000:01:00", buf, sizeof(buf)));
	assert_false(pci_address_normalise("0000:01:00.*", buf, sizeof(buf)));
	assert_false(pci_address_normalise("0000:0?:00.0", buf, sizeof(buf)));
	assert_false(pci_address_normalise("../../x", buf, sizeof(buf)));
	assert_false(pci_address_normalise("", buf, sizeof(buf)));
}

/* Intel VMD puts devices in PCI domain 10000 and up: sysfs names them with 5 digits
 * ("%04x"), and such a device must still be addressable. */
static void test_address_normalise_wide_domain(void **state)
{
	char buf[32];

	(void)state;
	assert_true(pci_address_normalise("10000:e1:00.0", buf, sizeof(buf)));
	assert_string_equal(buf, "10000:e1:00.0");
}

/* --- policy_load ------------------------------------------------------------------------ */

static void test_load_sources_in_order(void **state)
{
	struct policy p;
	char root[256];
	int rootfd, r;

	(void)state;
	mk_tempdir(root, sizeof(root));
	write_file(root, "etc/gpu-vfio.conf", "claim vendor=10de\n", 0644);
	write_file(root, "etc/gpu-vfio.d/20-b.conf", "# b\nkeep address=01:00.0\n", 0644);
	write_file(root, "etc/gpu-vfio.d/10-a.conf", "claim device=1e87\n", 0644);
	write_file(root, "etc/gpu-vfio.d/Z-upper.conf", "claim device=2330\n", 0644);
	write_file(root, "etc/gpu-vfio.d/.hidden.conf", "garbage here\n", 0644);
	write_file(root, "etc/gpu-vfio.d/notes.txt", "garbage here\n", 0644);
	write_file(root, "etc/gpu-vfio.d/20-b.conf.dpkg-old", "garbage here\n", 0644);
	write_file(root, "etc/gpu-vfio.d/dir.conf/x.conf", "garbage here\n", 0644);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	r = policy_load(&p, rootfd, NULL);
	assert_int_equal(r, 0);
	assert_int_equal(p.n_errors, 0);
	assert_int_equal(p.n_files, 4);
	assert_string_equal(p.files[0], "/etc/gpu-vfio.conf");
	/* strcmp order: digits sort before upper case. */
	assert_string_equal(p.files[1], "/etc/gpu-vfio.d/10-a.conf");
	assert_string_equal(p.files[2], "/etc/gpu-vfio.d/20-b.conf");
	assert_string_equal(p.files[3], "/etc/gpu-vfio.d/Z-upper.conf");
	assert_int_equal(p.n_rules, 4);
	assert_string_equal(p.rules[0].file, "/etc/gpu-vfio.conf");
	assert_string_equal(p.rules[1].file, "/etc/gpu-vfio.d/10-a.conf");
	assert_string_equal(p.rules[2].file, "/etc/gpu-vfio.d/20-b.conf");
	assert_int_equal(p.rules[2].line, 2);
	assert_int_equal(p.rules[2].action, RULE_KEEP);
	assert_string_equal(p.rules[3].file, "/etc/gpu-vfio.d/Z-upper.conf");
	policy_free(&p);
	close(rootfd);
	rm_tree(root);
}

static void test_load_dropin_only_and_errors(void **state)
{
	struct policy p;
	char root[256];
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	write_file(root, "etc/gpu-vfio.d/a.conf", "claim vendor=10de\nclaim vendor=1\n", 0644);
	write_file(root, "etc/gpu-vfio.d/b.conf", "kept vendor=10de\n", 0644);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	assert_int_equal(policy_load(&p, rootfd, NULL), -EINVAL);
	assert_int_equal(p.n_errors, 2);
	assert_prefix(p.errors[0], "/etc/gpu-vfio.d/a.conf:2: invalid vendor '1'");
	assert_prefix(p.errors[1], "/etc/gpu-vfio.d/b.conf:1: unknown action 'kept'");
	policy_free(&p);
	close(rootfd);
	rm_tree(root);
}

static void test_load_missing_is_empty(void **state)
{
	struct policy p;
	char root[256];
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	assert_int_equal(policy_load(&p, rootfd, NULL), 0);
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(p.n_errors, 0);
	assert_false(policy_has_claim(&p));
	policy_free(&p);
	close(rootfd);
	rm_tree(root);
}

static void test_load_policy_option(void **state)
{
	char root[256], file[300];
	struct policy p;
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	write_file(root, "etc/gpu-vfio.conf", "claim vendor=10de\n", 0644);
	write_file(root, "host.conf", "\nkeep vendor=10de\n", 0644);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);

	/* --policy FILE is a host path, and replaces the root's /etc. */
	snprintf(file, sizeof(file), "%s/host.conf", root);
	assert_int_equal(policy_load(&p, rootfd, file), 0);
	assert_int_equal(p.n_rules, 1);
	assert_int_equal(p.rules[0].action, RULE_KEEP);
	assert_string_equal(p.rules[0].file, file);
	assert_int_equal(p.rules[0].line, 2);
	policy_free(&p);

	/* A missing --policy file is an error naming it. */
	snprintf(file, sizeof(file), "%s/missing.conf", root);
	assert_true(policy_load(&p, rootfd, file) < 0);
	assert_int_equal(p.n_errors, 1);
	assert_prefix(p.errors[0], file);
	assert_non_null(strstr(p.errors[0], "cannot read policy"));
	policy_free(&p);
	close(rootfd);
	rm_tree(root);
}

static void test_load_strict_owner(void **state)
{
	char root[256], path[300], file[300];
	struct policy p;
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	write_file(root, "etc/gpu-vfio.conf", "claim vendor=10de\n", 0664);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);

	/* Refused by every command (one judgement), and still parsed for its other errors. */
	assert_int_equal(policy_load(&p, rootfd, NULL), -EPERM);
	assert_int_equal(p.n_errors, 1);
	assert_prefix(p.errors[0], "/etc/gpu-vfio.conf: refusing policy");
	assert_non_null(strstr(p.errors[0], "writable by group or others"));
	policy_free(&p);

	/* World-writable --policy file. */
	snprintf(file, sizeof(file), "%s/etc/gpu-vfio.conf", root);
	assert_int_equal(chmod(file, 0646), 0);
	assert_true(policy_load(&p, rootfd, file) < 0);
	assert_prefix(p.errors[0], file);
	assert_non_null(strstr(p.errors[0], "refusing policy"));
	policy_free(&p);

	/* A group-writable drop-in directory. */
	assert_int_equal(chmod(file, 0644), 0);
	write_file(root, "etc/gpu-vfio.d/a.conf", "claim device=1e87\n", 0644);
	snprintf(path, sizeof(path), "%s/etc/gpu-vfio.d", root);
	assert_int_equal(chmod(path, 0775), 0);
	assert_true(policy_load(&p, rootfd, NULL) < 0);
	assert_true(p.n_errors >= 1);
	assert_prefix(p.errors[p.n_errors - 1], "/etc/gpu-vfio.d: refusing policy");
	policy_free(&p);

	/* Fixed modes: accepted. */
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(policy_load(&p, rootfd, NULL), 0);
	assert_int_equal(p.n_rules, 2);
	policy_free(&p);

	/* A group-writable drop-in file. */
	snprintf(file, sizeof(file), "%s/etc/gpu-vfio.d/a.conf", root);
	assert_int_equal(chmod(file, 0620), 0);
	assert_true(policy_load(&p, rootfd, NULL) < 0);
	assert_prefix(p.errors[p.n_errors - 1], "/etc/gpu-vfio.d/a.conf: refusing policy");
	policy_free(&p);

	/* Owned by another user (under --root: not the effective user). */
	if (geteuid() == 0) {
		assert_int_equal(chmod(file, 0644), 0);
		assert_int_equal(chown(file, 1234, 0), 0);
		assert_true(policy_load(&p, rootfd, NULL) < 0);
		assert_prefix(p.errors[p.n_errors - 1], "/etc/gpu-vfio.d/a.conf: refusing policy");
		assert_non_null(strstr(p.errors[p.n_errors - 1], "1234"));
		policy_free(&p);
	}
	close(rootfd);
	rm_tree(root);
}

/* A refused drop-in (mode, owner) does not hide the errors of the files after it. */
static void test_load_reports_every_file(void **state)
{
	char root[256], path[300];
	struct policy p;
	int rootfd;

	(void)state;
	mk_tempdir(root, sizeof(root));
	write_file(root, "etc/gpu-vfio.conf", "claim vendor=10de\n", 0666);
	write_file(root, "etc/gpu-vfio.d/10-a.conf", "claim vendor=10de name=-x\n", 0666);
	write_file(root, "etc/gpu-vfio.d/20-b.conf", "kept vendor=10de\n", 0644);
	snprintf(path, sizeof(path), "%s/etc/gpu-vfio.d", root);
	assert_int_equal(chmod(path, 0777), 0);
	rootfd = root_open(root);
	assert_true(rootfd >= 0);
	assert_int_equal(policy_load(&p, rootfd, NULL), -EPERM);
	assert_int_equal(p.n_errors, 5);
	assert_prefix(p.errors[0], "/etc/gpu-vfio.conf: refusing policy");
	assert_prefix(p.errors[1], "/etc/gpu-vfio.d: refusing policy");
	assert_prefix(p.errors[2], "/etc/gpu-vfio.d/10-a.conf: refusing policy");
	assert_prefix(p.errors[3], "/etc/gpu-vfio.d/10-a.conf:1: invalid name '-x'");
	assert_prefix(p.errors[4], "/etc/gpu-vfio.d/20-b.conf:1: unknown action 'kept'");
	policy_free(&p);
	close(rootfd);
	rm_tree(root);
}

/* Could a device of the (single) rule have a modalias the vfio_pci: pattern matches? */
static bool may_need(const char *rule, const char *pattern)
{
	struct policy p = parse_ok(rule, 1);
	bool r = rule_may_match_vfio_alias(&p.rules[0], pattern);

	policy_free(&p);
	return r;
}

static void test_variant_alias_compatibility(void **state)
{
	const char *nvgrace = "vfio_pci:v000010DEd00002342sv*sd*bc*sc*i*";
	const char *stand_in = "vfio_pci:v00001234d00001111sv*sd*bc03sc80i*";

	(void)state;
	assert_true(may_need("claim vendor=10de", nvgrace));
	assert_true(may_need("claim vendor=10DE device=0x2342,2345", nvgrace));
	assert_false(may_need("claim vendor=10de device=2330", nvgrace));
	assert_false(may_need("claim vendor=1002", nvgrace));
	/* Keys a pattern cannot tell: any device may match. */
	assert_true(may_need("claim address=0009:01:00.0", nvgrace));
	assert_true(may_need("claim address=0000:00:0?.0 boot-vga=no numa-node=1", stand_in));
	/* Class prefixes against the bc, sc and i fields. */
	assert_true(may_need("claim class=03", stand_in));
	assert_true(may_need("claim class=0380", stand_in));
	assert_true(may_need("claim class=038000", stand_in));
	assert_true(may_need("claim class=0300,0380", stand_in));
	assert_false(may_need("claim class=0300", stand_in));
	assert_false(may_need("claim class=04", stand_in));
	assert_true(may_need("claim class=0c03", nvgrace));
	assert_true(may_need("claim subvendor=10de subdevice=16eb", nvgrace));
	assert_false(may_need("claim subvendor=10de",
			      "vfio_pci:v000010DEd00002345sv000015B3sd*bc*sc*i*"));
	/* Not a vfio_pci: pci pattern: never. */
	assert_false(may_need("claim vendor=10de", "pci:v000010DEd*sv*sd*bc*sc*i*"));
	assert_false(may_need("claim vendor=10de", "vfio_pci:v000010DEd00002342"));
	assert_false(may_need("claim vendor=10de", "vfio_pci:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_keys),
		cmocka_unit_test(test_comma_lists_hex_forms),
		cmocka_unit_test(test_class_prefixes),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_boot_vga_numa),
		cmocka_unit_test(test_name_and_actions),
		cmocka_unit_test(test_nova_keys),
		cmocka_unit_test(test_last_match_wins),
		cmocka_unit_test(test_rule_names_address),
		cmocka_unit_test(test_variant_alias_compatibility),
		cmocka_unit_test(test_comments_blank_cr_tabs),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_address_normalise),
		cmocka_unit_test(test_address_normalise_wide_domain),
		cmocka_unit_test(test_load_sources_in_order),
		cmocka_unit_test(test_load_dropin_only_and_errors),
		cmocka_unit_test(test_load_missing_is_empty),
		cmocka_unit_test(test_load_policy_option),
		cmocka_unit_test(test_load_strict_owner),
		cmocka_unit_test(test_load_reports_every_file),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
