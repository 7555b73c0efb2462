/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Matching the gpu-vfio.conf(5) rules against a PCI function: the last matching rule decides. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static bool addr_item_matches(const struct addr_item *a, const char *address)
{
	char dom[9], bus[3], slot[3], func[2];

	/* address is normalised already ("dddd:bb:ss.f"). */
	if (sscanf(address, "%8[0-9a-f]:%2[0-9a-f]:%2[0-9a-f].%1[0-7]", dom, bus, slot, func) != 4)
		return false;
	if (!a->wildcard)
		return strcmp(a->text, address) == 0;
	return fnmatch(a->domain, dom, 0) == 0 && fnmatch(a->bus, bus, 0) == 0 &&
	       fnmatch(a->slot, slot, 0) == 0 && fnmatch(a->func, func, 0) == 0;
}

static bool in16(const uint16_t *arr, size_t n, uint16_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (arr[i] == v)
			return true;
	return false;
}

bool rule_matches(const struct rule *r, const struct match_target *t)
{
	size_t i;

	if ((r->keys & (1u << KEY_VENDOR)) && !in16(r->vendor, r->n_vendor, t->vendor))
		return false;
	if ((r->keys & (1u << KEY_DEVICE)) && !in16(r->device, r->n_device, t->device))
		return false;
	if ((r->keys & (1u << KEY_SUBVENDOR)) && !in16(r->subvendor, r->n_subvendor, t->subvendor))
		return false;
	if ((r->keys & (1u << KEY_SUBDEVICE)) && !in16(r->subdevice, r->n_subdevice, t->subdevice))
		return false;
	if (r->keys & (1u << KEY_CLASS)) {
		bool any = false;

		for (i = 0; i < r->n_class && !any; i++)
			any = (t->class >> (24 - 4 * r->class[i].digits)) == r->class[i].value;
		if (!any)
			return false;
	}
	if (r->keys & (1u << KEY_ADDRESS)) {
		bool any = false;

		for (i = 0; i < r->n_address && !any; i++)
			any = addr_item_matches(&r->address[i], t->address);
		if (!any)
			return false;
	}
	if ((r->keys & (1u << KEY_BOOT_VGA)) && r->boot_vga != t->boot_vga)
		return false;
	if ((r->keys & (1u << KEY_NUMA_NODE)) && r->numa_node != t->numa_node)
		return false;
	return true;
}

bool rule_names_address(const struct rule *r, const char *address)
{
	size_t i;

	for (i = 0; i < r->n_address; i++)
		if (!r->address[i].wildcard && strcmp(r->address[i].text, address) == 0)
			return true;
	return false;
}

ssize_t policy_decide(const struct policy *p, const struct match_target *t)
{
	size_t i = p->n_rules;

	while (i-- > 0)
		if (rule_matches(&p->rules[i], t))
			return (ssize_t)i;
	return -1;
}
