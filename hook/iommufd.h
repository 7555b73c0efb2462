/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommufd and the VFIO device cdev (Linux 6.6+): the interface beside /dev/vfio/GROUP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define VFIO_CDEV_MAX 24 /* "vfio" + a decimal index + NUL */

/* Is iommufd there now: /dev/iommu, or its misc device in sysfs (sys/class/misc/iommu)? */
bool iommufd_present(int rootfd);

/* The VFIO device cdev of a PCI device: the entry vfioN of DEVICE/vfio-dev/ (there while the
 * device is on a VFIO driver, Linux 6.1+) that has a dev attribute, i.e. a char device
 * /dev/vfio/devices/vfioN (CONFIG_VFIO_DEVICE_CDEV, 6.6+). Returns 1 with the name in ret;
 * 0 when the device has a vfio-dev/vfioN without a char device (ret holds the name);
 * -ENOENT when it has no vfio-dev entry at all. */
int vfio_cdev_of(int rootfd, const char *address, char *ret, size_t size);

/* A kernel config option in the text of /boot/config-KVER: 'y', 'm', 'n' ("is not set"), or
 * 0 when the option is not mentioned. */
char kconfig_value(const char *text, const char *option);
