/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gpu-vfio.conf(5) policy: rules, their parser, and matching a rule against a device. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POLICY_MAIN "/etc/gpu-vfio.conf"
#define POLICY_DROPIN_DIR "/etc/gpu-vfio.d"

enum rule_action {
	RULE_CLAIM,
	RULE_KEEP,
};

enum rule_key {
	KEY_VENDOR,
	KEY_DEVICE,
	KEY_SUBVENDOR,
	KEY_SUBDEVICE,
	KEY_CLASS,
	KEY_ADDRESS,
	KEY_BOOT_VGA,
	KEY_NUMA_NODE,
	KEY_NAME,
	/* nova's placement and alias settings of a claim rule's devices (not match keys) */
	KEY_NOVA_RESOURCE_CLASS,
	KEY_NOVA_TRAITS,
	KEY_NOVA_NUMA_POLICY,
	KEY_NOVA_LIVE_MIGRATABLE,
	KEY_NOVA_ONE_TIME_USE,
	_KEY_MAX,
};

struct class_item {
	uint32_t value; /* the prefix, right-aligned */
	unsigned digits; /* 2, 4 or 6 */
};

/* An address pattern, normalised to lower case, split into its four fields. */
struct addr_item {
	/* A field with '*' may be up to twice its width ("0*" for a bus is 2, "*1*" is 3). */
	char domain[17], bus[5], slot[5], func[3];
	bool wildcard;
	char text[36]; /* "dddd:bb:ss.f" as normalised, for naming */
};

struct rule {
	enum rule_action action;
	unsigned keys; /* bit (1u << KEY_x) for each key present */
	const char *file; /* as shown in messages; owned by struct policy */
	unsigned line;

	uint16_t *vendor, *device, *subvendor, *subdevice;
	size_t n_vendor, n_device, n_subvendor, n_subdevice;
	struct class_item *class;
	size_t n_class;
	struct addr_item *address;
	size_t n_address;
	bool boot_vga;
	int numa_node;
	char name[33];
	struct rule_nova {
		char resource_class[64]; /* nova-resource-class=, "" when absent */
		char traits[256]; /* nova-traits=, comma list as written */
		char numa_policy[12]; /* nova-numa-policy= */
		char live_migratable[4]; /* nova-live-migratable=: "yes", "no" or "" */
		char one_time_use[4]; /* nova-one-time-use= */
	} nova;
};

struct policy {
	struct rule *rules;
	size_t n_rules;
	char **files; /* every file read, in order (names as shown) */
	size_t n_files;
	char **errors; /* "FILE:LINE: message", every error found */
	size_t n_errors;
};

/* What a rule is matched against: the identity of one PCI function. */
struct match_target {
	const char *address; /* "dddd:bb:ss.f", lower case */
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;
	bool boot_vga;
	int numa_node;
};

/* Load the policy. policy_file NULL: POLICY_MAIN then POLICY_DROPIN_DIR/ *.conf below rootfd;
 * otherwise that single host path (not below rootfd; a missing file is an error).
 * Every command judges a policy the same way: a file or directory not owned by root (under
 * another root: by the effective user) or writable by group or others is refused, and the
 * files are still parsed so that every error is reported.
 * All errors are collected in p->errors; returns 0 if the policy is valid, -EINVAL if it has
 * errors, -EPERM if a source was refused, other -errno if a source could not be read (also
 * recorded in p->errors). */
int policy_load(struct policy *p, int rootfd, const char *policy_file);

/* Parse one file's text; errors are appended to p->errors. Used by policy_load and tests. */
void policy_parse_text(struct policy *p, const char *file, const char *text, size_t len);

void policy_free(struct policy *p);

bool policy_has_claim(const struct policy *p);

bool rule_matches(const struct rule *r, const struct match_target *t);

/* Does the rule name this address (an item without wildcards equal to it)? */
bool rule_names_address(const struct rule *r, const char *address);

/* The index of the last rule that matches t, or -1. */
ssize_t policy_decide(const struct policy *p, const struct match_target *t);

/* Normalise a PCI address ("BB:DD.F" or "DDDD:BB:DD.F", any case) to "dddd:bb:dd.f".
 * Returns false if it is not a valid address (no wildcards allowed). */
bool pci_address_normalise(const char *in, char *out, size_t size);
