/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UEFI boot path: does the ESP's GRUB stub load the grub.cfg that update-grub edits? */
#pragma once

#include <limits.h>

#include "blockdev.h"

struct findings;

#define ESP_UUID_MAX BLOCKDEV_UUID_MAX

/* What a GRUB stub on the ESP says: find a filesystem by UUID, then load PREFIX/grub.cfg. */
struct esp_stub {
	char uuid[ESP_UUID_MAX]; /* [0-9A-Za-z-] only, so it can name a /dev/disk/by-uuid link */
	char prefix[PATH_MAX]; /* "/boot/grub", "/grub2", ...; "" when the stub sets none */
};

/* Parse the text of an ESP grub.cfg (Debian's `search.fs_uuid UUID root` or the RHEL
 * family's `search --no-floppy --fs-uuid --set=dev UUID`, then `configfile`). Returns 1 and
 * fills ret when it is such a stub; 0, leaving ret untouched, when it is not (a full
 * grub.cfg with menu entries, no search by UUID, no configfile, an unusable UUID). */
int esp_stub_parse(const char *text, struct esp_stub *ret);

/* On a UEFI machine (/sys/firmware/efi), check each GRUB stub /boot/efi/EFI/ * /grub.cfg and
 * /efi/EFI/ * /grub.cfg: its UUID, resolved through udev's /dev/disk/by-uuid links, must be
 * the filesystem that holds /boot/grub (or /boot/grub2), and its prefix that directory's path
 * on it. Appends one "esp" finding per stub; nothing on BIOS machines or without a stub. */
void esp_check(int rootfd, struct findings *r);
