/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PCI devices and IOMMU groups of a machine, as sysfs shows them below the root fd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_ADDR_MAX 20 /* "dddddddd:bb:ss.f" + NUL, domains wider than 4 digits included */
#define DRIVER_MAX 64

/* pci_dev.unknown: what a device cannot be told by, as the scan could not read it. */
enum {
	PCI_UNKNOWN_VENDOR = 1u << 0,
	PCI_UNKNOWN_DEVICE = 1u << 1,
	PCI_UNKNOWN_CLASS = 1u << 2,
};

struct pci_dev {
	char address[PCI_ADDR_MAX];
	uint64_t key; /* domain, bus, slot, function as one number: the sort order */
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;
	uint8_t header_type; /* config byte 0x0e & 0x7f; 0xff if unreadable */
	bool has_boot_vga;
	bool boot_vga; /* also true when boot_vga is there but unreadable (fail safe) */
	bool boot_vga_unknown; /* boot_vga could not be read */
	int numa_node;
	char driver[DRIVER_MAX]; /* "" when unbound */
	char override[DRIVER_MAX]; /* "" when "(null)" */
	int iommu_group; /* -1 without one */
	bool noiommu; /* the group is a vfio-noiommu group: set by the planner */
	bool is_vf;
	bool maybe_vf; /* config space reads vendor 0xffff (or could not be read) */
	bool subsys_pending; /* a bridge: subsystem ids not read yet (pci_read_subsys) */
	int sriov_numvfs; /* -1 when not SR-IOV capable */
	char modalias[128]; /* read on demand: pci_read_details() */
	char bad[128]; /* the attributes the scan could not read and why, or "" */
	unsigned unknown; /* PCI_UNKNOWN_*: the identity the scan could not read */
};

struct pci_machine {
	struct pci_dev *devs; /* sorted by address */
	size_t n_devs;
};

/* Read every device below sys/bus/pci/devices whose name is a canonical address. A device
 * directory that cannot be opened is skipped (it went away); a device with an attribute that
 * cannot be read stays, with bad_attr and unknown set. A missing bus directory is an
 * empty machine. Returns 0 or -errno. */
int pci_scan(int rootfd, struct pci_machine *ret);

/* Sort (key, index) pairs by key, stably. Returns 0 or -ENOMEM. */
struct pci_key_idx {
	uint64_t key;
	size_t idx;
};
int pci_sort_keys(struct pci_key_idx *a, size_t n);

/* Read a bridge's subsystem ids (in a capability, not in its config header), which only
 * rules with subvendor=/subdevice= and reports of listed devices need. */
void pci_read_subsys(int rootfd, struct pci_dev *d);

/* Read is_vf and sriov_numvfs, and make modalias, which only devices a claim rule decided
 * need (the scan leaves them false, -1 and ""). */
void pci_read_details(int rootfd, struct pci_dev *d);

/* Is an IOMMU registered (sys/class/iommu has an entry)? */
bool pci_iommu_active(int rootfd);

/* Is IOMMU group g a vfio-noiommu group (no DMA isolation)? */
bool pci_group_is_noiommu(int rootfd, int g);

/* Read numa_node (the scan leaves it -1: only rules with numa-node= need it). */
void pci_read_numa(int rootfd, struct pci_dev *d);

/* Re-read the mutable state of one device (driver, override, group). -ENODEV if gone. */
int pci_refresh(int rootfd, struct pci_dev *d);

void pci_machine_free(struct pci_machine *m);

struct pci_dev *pci_find(const struct pci_machine *m, const char *address);

/* Bridges by header type (1: PCI-PCI, 2: CardBus), never by class; only when config space
 * could not be read does the class (0604, 0607) decide. */
static inline bool pci_is_bridge(const struct pci_dev *d)
{
	if (d->header_type == 0xff)
		return (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0607;
	return d->header_type == 1 || d->header_type == 2;
}

/* "not a regular file", "not a valid value", or strerror() of an attribute read's error. */
const char *pci_attr_strerror(int err);

/* Same domain:bus:device, i.e. another function of the same slot. */
bool pci_same_slot(const struct pci_dev *a, const struct pci_dev *b);

/* Same domain:bus. */
bool pci_same_bus(const struct pci_dev *a, const struct pci_dev *b);

/* Is this driver a VFIO driver: vfio-pci, or a module that depends on vfio_pci_core? */
bool pci_driver_is_vfio(int rootfd, const char *driver);

/* The sort key of a normalised address ("dddd:bb:ss.f"); false if it is not one. */
bool pci_address_key(const char *address, uint64_t *ret);
