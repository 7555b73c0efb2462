/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the UEFI boot-loader check: ESP stub parsing and UUID resolution on fake roots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "esp.h"
#include "helpers.h"
#include "findings.h"
#include "rootfs.h"

#define UUID_ROOT "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
#define UUID_OTHER "77e3f6a0-1d2c-4b5a-9e8f-0a1b2c3d4e5f"

static const char debian_stub[] = "search.fs_uuid " UUID_ROOT " root hd0,gpt2\n"
				  "set prefix=($root)'/boot/grub'\n"
				  "configfile $prefix/grub.cfg\n";

/* / on sda2, the ESP on sda1. */
static const char mountinfo_root[] =
	"22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro\n"
	"23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"30 22 8:1 / /boot/efi rw,relatime shared:30 - vfat /dev/sda1 rw,fmask=0077\n";

static void mk_link(const char *dir, const char *rel, const char *target)
{
	char path[1024];

	/* write_file makes the parent directories; the placeholder then gives way to the link. */
	write_file(dir, rel, "", 0644);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

static void mk_dir(const char *dir, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/.keep", dir, rel);
	write_file(dir, path + strlen(dir) + 1, "", 0644);
}

/* A block device as udev and sysfs show it: /sys/class/block/NAME/dev and /sys/dev/block. */
static void mk_block(const char *dir, const char *name, const char *devnum)
{
	char rel[256], target[256], text[64];

	snprintf(rel, sizeof(rel), "sys/class/block/%s/dev", name);
	snprintf(text, sizeof(text), "%s\n", devnum);
	write_file(dir, rel, text, 0444);
	snprintf(rel, sizeof(rel), "sys/dev/block/%s", devnum);
	snprintf(target, sizeof(target), "../../class/block/%s", name);
	mk_link(dir, rel, target);
}

static void mk_uuid(const char *dir, const char *uuid, const char *target)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "dev/disk/by-uuid/%s", uuid);
	mk_link(dir, rel, target);
}

/* A UEFI Debian machine: the stub in EFI/debian, /boot/grub, sda1 (ESP) and sda2. */
static int mk_uefi(char *dir, size_t size, const char *stub, const char *mountinfo)
{
	mk_tempdir(dir, size);
	mk_dir(dir, "sys/firmware/efi/efivars");
	mk_dir(dir, "boot/grub");
	write_file(dir, "boot/grub/grub.cfg", "menuentry 'Debian' {\n}\n", 0644);
	if (stub)
		write_file(dir, "boot/efi/EFI/debian/grub.cfg", stub, 0644);
	write_file(dir, "proc/self/mountinfo", mountinfo, 0444);
	mk_block(dir, "sda1", "8:1");
	mk_block(dir, "sda2", "8:2");
	mk_uuid(dir, "4A3B-1C2D", "../../sda1");
	mk_uuid(dir, UUID_ROOT, "../../sda2");
	return root_open(dir);
}

/* Run the check and return its only finding (fails the test unless there is exactly one). */
static const struct finding *only_finding(struct findings *r, int rootfd)
{
	esp_check(rootfd, r);
	assert_false(r->oom);
	if (r->n_findings != 1) {
		size_t i;

		for (i = 0; i < r->n_findings; i++)
			print_message("finding: %s\n", r->findings[i].message);
		fail_msg("%zu findings, expected 1", r->n_findings);
	}
	assert_string_equal(r->findings[0].name, "esp");
	return &r->findings[0];
}

static void done(struct findings *r, int rootfd, const char *dir)
{
	findings_free(r);
	close(rootfd);
	rm_tree(dir);
}

static void test_debian_root_holds_grub(void **state)
{
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir), debian_stub, mountinfo_root);

	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_OK);
	assert_string_equal(f->message, "/boot/efi/EFI/debian/grub.cfg loads /boot/grub/grub.cfg "
					"(UUID " UUID_ROOT " = sda2, which holds /)");
	assert_null(f->fix);
	done(&r, rootfd, dir);
}

/* /boot is its own filesystem (sda3): GRUB sees /boot/grub as /grub on it. */
static const char mountinfo_boot[] =
	"22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
	"29 22 8:3 / /boot rw,relatime shared:29 - ext4 /dev/sda3 rw\n"
	"30 29 8:1 / /boot/efi rw,relatime shared:30 - vfat /dev/sda1 rw\n";

static void test_separate_boot(void **state)
{
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "search.fs_uuid " UUID_OTHER " root hd0,gpt3\n"
			     "set prefix=($root)'/grub'\n"
			     "configfile $prefix/grub.cfg\n",
			     mountinfo_boot);

	mk_block(dir, "sda3", "8:3");
	mk_uuid(dir, UUID_OTHER, "../../sda3");
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_OK);
	assert_string_equal(f->message, "/boot/efi/EFI/debian/grub.cfg loads /boot/grub/grub.cfg "
					"(UUID " UUID_OTHER " = sda3, which holds /boot)");
	done(&r, rootfd, dir);
}

/* The right filesystem, but the stub looks for /boot/grub on the /boot filesystem. */
static void test_prefix_mismatch(void **state)
{
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "search.fs_uuid " UUID_OTHER " root\n"
			     "set prefix=($root)'/boot/grub'\n"
			     "configfile $prefix/grub.cfg\n",
			     mountinfo_boot);

	mk_block(dir, "sda3", "8:3");
	mk_uuid(dir, UUID_OTHER, "../../sda3");
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_WARN);
	assert_string_equal(f->message,
			    "the firmware's GRUB (/boot/efi/EFI/debian/grub.cfg) loads "
			    "/boot/grub/grub.cfg from UUID " UUID_OTHER " (sda3), but on sda3 "
			    "(mounted on /boot) the config update-grub edits is /grub/grub.cfg");
	assert_non_null(f->fix);
	assert_non_null(strstr(f->fix, "set prefix=($root)'/grub'"));
	done(&r, rootfd, dir);
}

/* The stub names the old disk's filesystem; /boot/grub is on the new NVMe disk. */
static void test_mismatch_other_disk(void **state)
{
	static const char mountinfo[] =
		"22 1 259:5 / / rw,relatime shared:1 - ext4 /dev/nvme1n1p2 rw\n"
		"30 22 259:1 / /boot/efi rw,relatime shared:30 - vfat /dev/nvme0n1p1 rw\n";
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	char path[512];
	int rootfd = mk_uefi(dir, sizeof(dir), debian_stub, mountinfo);

	mk_block(dir, "nvme0n1p3", "259:3");
	mk_block(dir, "nvme1n1p2", "259:5");
	snprintf(path, sizeof(path), "%s/dev/disk/by-uuid/%s", dir, UUID_ROOT);
	assert_int_equal(unlink(path), 0);
	mk_uuid(dir, UUID_ROOT, "../../nvme0n1p3");
	mk_uuid(dir, UUID_OTHER, "../../nvme1n1p2");
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_FAIL);
	assert_string_equal(f->message,
			    "the firmware's GRUB (/boot/efi/EFI/debian/grub.cfg) searches UUID "
			    UUID_ROOT " (nvme0n1p3), but /boot/grub is on nvme1n1p2: update-grub "
			    "edits a grub.cfg this machine does not boot");
	assert_string_equal(f->fix, "reinstall GRUB for the disk that holds /boot/grub: "
				    "grub-install, then update-grub; or point the stub's search at "
				    "UUID " UUID_OTHER);
	assert_int_equal(findings_worst(&r), SEV_FAIL);
	done(&r, rootfd, dir);
}

static void test_uuid_unknown(void **state)
{
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "search.fs_uuid " UUID_OTHER " root\n"
			     "set prefix=($root)'/boot/grub'\n"
			     "configfile $prefix/grub.cfg\n",
			     mountinfo_root);

	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_WARN);
	assert_string_equal(f->message,
			    "the firmware's GRUB (/boot/efi/EFI/debian/grub.cfg) searches UUID "
			    UUID_OTHER ", which no attached filesystem has (udev made no "
			    "/dev/disk/by-uuid/" UUID_OTHER "): it cannot find /boot/grub/grub.cfg");
	assert_non_null(strstr(f->fix, "point the stub's search at UUID " UUID_ROOT));
	done(&r, rootfd, dir);
}

/* Rocky/RHEL: `search --fs-uuid --set=dev`, /boot on its own filesystem, /boot/grub2. */
static void test_rhel_stub(void **state)
{
	static const char mountinfo[] =
		"60 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rl-root rw\n"
		"61 60 252:2 / /boot rw,relatime shared:29 - xfs /dev/vda2 rw\n"
		"62 61 252:1 / /boot/efi rw,relatime shared:30 - vfat /dev/vda1 rw\n";
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd;

	mk_tempdir(dir, sizeof(dir));
	mk_dir(dir, "sys/firmware/efi");
	mk_dir(dir, "boot/grub2");
	write_file(dir, "boot/efi/EFI/rocky/grub.cfg",
		   "search --no-floppy --fs-uuid --set=dev " UUID_OTHER "\n"
		   "set prefix=($dev)/grub2\n"
		   "\n"
		   "export $prefix\n"
		   "configfile $prefix/grub.cfg\n",
		   0644);
	write_file(dir, "proc/self/mountinfo", mountinfo, 0444);
	mk_block(dir, "vda2", "252:2");
	mk_block(dir, "dm-0", "253:0");
	mk_uuid(dir, UUID_OTHER, "../../vda2");
	rootfd = root_open(dir);
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_OK);
	assert_string_equal(f->message, "/boot/efi/EFI/rocky/grub.cfg loads /boot/grub2/grub.cfg "
					"(UUID " UUID_OTHER " = vda2, which holds /boot)");
	findings_free(&r);

	/* The same stub pointing at the root filesystem: the grub2-mkconfig fix. */
	memset(&r, 0, sizeof(r));
	mk_uuid(dir, UUID_ROOT, "../../dm-0");
	write_file(dir, "boot/efi/EFI/rocky/grub.cfg",
		   "search --no-floppy --fs-uuid --set dev " UUID_ROOT "\n"
		   "set prefix=($dev)/grub2\nconfigfile $prefix/grub.cfg\n",
		   0644);
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_FAIL);
	assert_non_null(strstr(f->message, "searches UUID " UUID_ROOT " (dm-0), but /boot/grub2 "
					   "is on vda2: grub2-mkconfig edits"));
	assert_non_null(strstr(f->fix, "grub2-mkconfig -o /boot/grub2/grub.cfg; or point the "
				       "stub's search at UUID " UUID_OTHER));
	done(&r, rootfd, dir);
}

/* btrfs shows an anonymous device number and a subvolume as the mount's root. */
static void test_btrfs_subvolume(void **state)
{
	static const char mountinfo[] =
		"22 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/sda2 rw,subvol=/@\n"
		"30 22 8:1 / /boot/efi rw,relatime shared:30 - vfat /dev/sda1 rw\n";
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "search.fs_uuid " UUID_ROOT " root\n"
			     "set prefix=($root)'/@/boot/grub'\n"
			     "configfile $prefix/grub.cfg\n",
			     mountinfo);

	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_OK);
	assert_non_null(strstr(f->message, "(UUID " UUID_ROOT " = sda2, which holds /)"));
	done(&r, rootfd, dir);
}

/* BIOS boot: the same files, no /sys/firmware/efi, no line. */
static void test_not_uefi(void **state)
{
	struct findings r = { 0 };
	char dir[256], path[512];
	int rootfd = mk_uefi(dir, sizeof(dir), debian_stub, mountinfo_root);

	snprintf(path, sizeof(path), "rm -r '%s/sys/firmware/efi'", dir);
	assert_int_equal(system(path), 0);
	esp_check(rootfd, &r);
	assert_int_equal(r.n_findings, 0);
	done(&r, rootfd, dir);
}

/* A full grub.cfg on the ESP (no stub), systemd-boot, or no EFI directory: nothing to say. */
static void test_stubless_esp(void **state)
{
	struct findings r = { 0 };
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "set timeout=5\n"
			     "search --no-floppy --fs-uuid --set=root " UUID_OTHER "\n"
			     "configfile /boot/grub/custom.cfg\n"
			     "blscfg\n",
			     mountinfo_root);

	write_file(dir, "boot/efi/EFI/systemd/systemd-bootx64.efi", "MZ", 0644);
	write_file(dir, "boot/efi/EFI/ubuntu/grub.cfg",
		   "menuentry 'Ubuntu' {\n\tsearch.fs_uuid " UUID_OTHER " root\n"
		   "\tconfigfile /x.cfg\n}\n",
		   0644);
	esp_check(rootfd, &r);
	assert_int_equal(r.n_findings, 0);
	done(&r, rootfd, dir);
}

/* The by-uuid link's target is read, never followed: only a plain last component counts. */
static void test_link_games(void **state)
{
	static const char *const targets[] = { "../../../..", "../../sda9/", ".", "../../sda2/.." };
	char dir[256], path[512];
	struct findings r;
	const struct finding *f;
	size_t i;
	int rootfd = mk_uefi(dir, sizeof(dir), debian_stub, mountinfo_root);

	/* What following the links (or keeping "." or "..") would find: sda2's number. */
	write_file(dir, "sys/class/dev", "8:2\n", 0444);
	write_file(dir, "sys/class/block/dev", "8:2\n", 0444);
	for (i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(path, sizeof(path), "%s/dev/disk/by-uuid/%s", dir, UUID_ROOT);
		assert_int_equal(unlink(path), 0);
		assert_int_equal(symlink(targets[i], path), 0);
		f = only_finding(&r, rootfd);
		if (f->severity != SEV_WARN)
			fail_msg("link to %s: %s", targets[i], f->message);
		assert_non_null(strstr(f->message, "does not lead to a block device"));
		findings_free(&r);
	}
	/* A UUID that is a path is no UUID: the stub is not used at all. */
	memset(&r, 0, sizeof(r));
	write_file(dir, "boot/efi/EFI/debian/grub.cfg",
		   "search.fs_uuid ../../../sys/class root\nconfigfile $prefix/grub.cfg\n", 0644);
	esp_check(rootfd, &r);
	assert_int_equal(r.n_findings, 0);
	done(&r, rootfd, dir);
}

static void test_parse_forms(void **state)
{
	struct esp_stub s;

	assert_int_equal(esp_stub_parse(debian_stub, &s), 1);
	assert_string_equal(s.uuid, UUID_ROOT);
	assert_string_equal(s.prefix, "/boot/grub");

	assert_int_equal(esp_stub_parse("search --no-floppy --fs-uuid --set=dev ABCD-1234\r\n"
					"set prefix=($dev)/grub2\r\nexport $prefix\r\n"
					"configfile $prefix/grub.cfg\r\n",
					&s),
			 1);
	assert_string_equal(s.uuid, "ABCD-1234");
	assert_string_equal(s.prefix, "/grub2");

	assert_int_equal(esp_stub_parse("  search -u --set dev --hint-efi hd0,gpt2 " UUID_OTHER
					" # comment\nset prefix=\"($dev)/@/boot//grub/\"\n"
					"configfile \"$prefix/grub.cfg\"\n",
					&s),
			 1);
	assert_string_equal(s.uuid, UUID_OTHER);
	assert_string_equal(s.prefix, "/@/boot/grub");

	/* No prefix: the stub is used, the prefix is not compared. */
	assert_int_equal(esp_stub_parse("search.fs_uuid " UUID_ROOT "\nconfigfile ($root)/g.cfg\n",
					&s),
			 1);
	assert_string_equal(s.prefix, "");

	/* A label search is not a UUID search. */
	assert_int_equal(esp_stub_parse("search --label --set=root boot\nconfigfile x\n", &s), 0);
}

/* Broken stubs parse to "no stub" or a sane stub, never past a buffer (ASan watches). */
static void test_malformed(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n\n\n",
		"search.fs_uuid",
		"search.fs_uuid\nconfigfile",
		"search --fs-uuid\nconfigfile x",
		"search --fs-uuid --set\nconfigfile x",
		"search --set=dev --hint\nconfigfile",
		"set prefix=(\nsearch.fs_uuid 'A-1\nconfigfile",
		"set prefix=\nset\nset prefix=$\\",
		";;;;\n#\n'\n\"\n\\\n\\",
		"search.fs_uuid a\"b\\\"c\"d\nconfigfile",
		"search.fs_uuid A B C D E F G H I J K L M N O P Q R S T U V W\nconfigfile",
	};
	struct esp_stub s;
	char *big;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(*inputs); i++)
		(void)esp_stub_parse(inputs[i], &s);
	assert_int_equal(esp_stub_parse("search.fs_uuid\nconfigfile", &s), 0);
	assert_int_equal(esp_stub_parse("set prefix=(\nsearch.fs_uuid 'A-1\nconfigfile", &s), 1);
	assert_string_equal(s.uuid, "A-1");
	assert_string_equal(s.prefix, "");
	/* A quoted backslash-quote is a character of the word: no UUID. */
	assert_int_equal(esp_stub_parse("search.fs_uuid a\"b\\\"c\"d\nconfigfile", &s), 0);

	/* A line longer than any stub's line is ignored, with the prefix it sets. */
	big = malloc(3 * PATH_MAX);
	assert_non_null(big);
	strcpy(big, "search.fs_uuid B-2\nset prefix=($root)/");
	memset(big + strlen(big), 'a', 2 * PATH_MAX);
	strcpy(big + strlen(big) - 1, "\nconfigfile x\n");
	assert_int_equal(esp_stub_parse(big, &s), 1);
	assert_string_equal(s.uuid, "B-2");
	assert_string_equal(s.prefix, "");
	free(big);
}

/* UUIDs are compared without case, as GRUB does; a garbage stub file costs no finding. */
static void test_uuid_case_and_garbage_file(void **state)
{
	struct findings r = { 0 };
	const struct finding *f;
	char dir[256];
	int rootfd = mk_uefi(dir, sizeof(dir),
			     "search.fs_uuid 0B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D root\n"
			     "set prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n",
			     mountinfo_root);

	write_file(dir, "boot/efi/EFI/zz-garbage/grub.cfg", "\x01\xff\"'\\\n\n(", 0644);
	f = only_finding(&r, rootfd);
	assert_int_equal(f->severity, SEV_OK);
	assert_non_null(strstr(f->message, " = sda2, which holds /)"));
	done(&r, rootfd, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_root_holds_grub),
		cmocka_unit_test(test_separate_boot),
		cmocka_unit_test(test_prefix_mismatch),
		cmocka_unit_test(test_mismatch_other_disk),
		cmocka_unit_test(test_uuid_unknown),
		cmocka_unit_test(test_rhel_stub),
		cmocka_unit_test(test_btrfs_subvolume),
		cmocka_unit_test(test_not_uefi),
		cmocka_unit_test(test_stubless_esp),
		cmocka_unit_test(test_link_games),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_uuid_case_and_garbage_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
