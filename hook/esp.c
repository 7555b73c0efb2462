/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UEFI boot path: does the ESP's GRUB stub load the grub.cfg that update-grub edits? */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "dirlist.h"
#include "esp.h"
#include "findings.h"
#include "grubscript.h"
#include "rootfs.h"

#define STUB_MAX_WORDS 16
#define STUB_MAX_LINE 1024

/* `--set VAR UUID` and `--hint-efi HINT UUID`: the option's argument is the next word. */
static bool option_with_argument(char **w, size_t i, size_t n)
{
	if (i + 2 >= n || w[i + 1][0] == '-')
		return false;
	return strcmp(w[i], "--set") == 0 || strcmp(w[i], "-s") == 0 ||
	       (strncmp(w[i], "--hint", 6) == 0 && !strchr(w[i], '='));
}

/* `search.fs_uuid UUID [VAR [HINT...]]`, or `search [OPTIONS] --fs-uuid ... UUID [HINT...]`
 * with `--set=VAR` or `--set VAR`. Returns the UUID word, or NULL. */
static const char *search_uuid(char **w, size_t n)
{
	const char *uuid = NULL;
	bool by_uuid = false;
	size_t i;

	if (strcmp(w[0], "search.fs_uuid") == 0)
		return n > 1 ? w[1] : NULL;
	if (strcmp(w[0], "search") != 0)
		return NULL;
	for (i = 1; i < n; i++) {
		if (strcmp(w[i], "--fs-uuid") == 0 || strcmp(w[i], "-u") == 0)
			by_uuid = true;
		else if (option_with_argument(w, i, n))
			i++;
		else if (w[i][0] != '-' && !uuid)
			uuid = w[i];
	}
	return by_uuid ? uuid : NULL;
}

/* Collapse repeated slashes and drop a trailing one; the root directory stays "/". */
static void normalise_path(char *path)
{
	char *in = path, *out = path;

	for (; *in; in++)
		if (*in != '/' || out == path || out[-1] != '/')
			*out++ = *in;
	if (out > path + 1 && out[-1] == '/')
		out--;
	*out = '\0';
	if (!*path)
		strcpy(path, "/");
}

/* `set prefix=($root)'/boot/grub'` (quotes already removed), `($dev)/grub2`, `$root/grub`:
 * the path on the device the search found. Leaves ret alone when there is no usable path. */
static void parse_prefix(const char *value, char *ret, size_t size)
{
	const char *v = value;

	if (*v == '(') {
		v = strchr(v, ')');
		if (!v)
			return;
		v++;
	} else if (*v == '$') {
		v += strcspn(v, "/");
	}
	if (*v && *v != '/')
		return;
	if (strlen(v) + 2 > size)
		return;
	(void)snprintf(ret, size, "%s", *v ? v : "/");
	normalise_path(ret);
}

static bool is_menu_command(const char *w)
{
	return strcmp(w, "menuentry") == 0 || strcmp(w, "submenu") == 0 ||
	       strcmp(w, "blscfg") == 0;
}

int esp_stub_parse(const char *text, struct esp_stub *ret)
{
	struct esp_stub s = { .uuid = "" };
	bool configfile = false;
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n"), n;
		char line[STUB_MAX_LINE], *w[STUB_MAX_WORDS] = { NULL };
		const char *uuid;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			n = grub_script_words(line, w, STUB_MAX_WORDS);
			if (n > 0 && is_menu_command(w[0]))
				return 0; /* a whole grub.cfg, not a stub */
			if (n > 0 && !s.uuid[0] && (uuid = search_uuid(w, n)) && valid_uuid(uuid))
				strcpy(s.uuid, uuid);
			if (n > 0 && strcmp(w[0], "configfile") == 0)
				configfile = true;
			if (n > 1 && w[1] && strcmp(w[0], "set") == 0 &&
			    strncmp(w[1], "prefix=", 7) == 0)
				parse_prefix(w[1] + 7, s.prefix, sizeof(s.prefix));
		}
		p += len;
		if (*p)
			p++;
	}
	if (!s.uuid[0] || !configfile)
		return 0;
	*ret = s;
	return 1;
}

/* What was found about one stub, for the messages. */
struct esp_target {
	const char *stub_path; /* /boot/efi/EFI/debian/grub.cfg */
	const struct esp_stub *stub;
	const char *grub_dir; /* /boot/grub or /boot/grub2 */
	bool grub2; /* the RHEL family's grub2-mkconfig layout */
};

static void fix_text(const struct esp_target *t, const char *uuid, char *buf, size_t size)
{
	char point[ESP_UUID_MAX + 64] = "";

	if (*uuid)
		(void)snprintf(point, sizeof(point), "; or point the stub's search at UUID %s", uuid);
	if (t->grub2)
		(void)snprintf(buf, size,
			       "rewrite the stub for the disk that holds %s: remove %s, then dnf reinstall grub2-common 'grub2-efi-*' and grub2-mkconfig -o %s/grub.cfg%s",
			       t->grub_dir, t->stub_path, t->grub_dir, point);
	else
		(void)snprintf(buf, size,
			       "reinstall GRUB for the disk that holds %s: grub-install, then update-grub%s",
			       t->grub_dir, point);
}

static void report_stub(struct findings *r, int rootfd, const struct esp_target *t)
{
	const char *tool = t->grub2 ? "grub2-mkconfig" : "update-grub";
	char uuid_dev[NAME_MAX + 1], grub_dev[NAME_MAX + 1], want[PATH_MAX];
	char grub_uuid[ESP_UUID_MAX], fix[PATH_MAX * 2 + 256];
	struct mount_info *m;
	dev_t uuid_num, grub_num;
	int q;

	m = malloc(sizeof(*m));
	if (!m) {
		r->oom = true;
		return;
	}
	if (find_mount(rootfd, t->grub_dir, m) < 0 ||
	    mount_block(rootfd, m, grub_dev, sizeof(grub_dev), &grub_num) < 0) {
		findings_add(r, "esp", SEV_WARN, NULL,
			     "cannot tell which block device holds %s (/proc/self/mountinfo): the firmware's GRUB (%s) searches UUID %s",
			     t->grub_dir, t->stub_path, t->stub->uuid);
		goto out;
	}
	if (find_uuid_of(rootfd, grub_num, grub_uuid, sizeof(grub_uuid)) < 0) {
		r->oom = true;
		goto out;
	}
	fix_text(t, grub_uuid, fix, sizeof(fix));

	q = uuid_block_name(rootfd, t->stub->uuid, uuid_dev, sizeof(uuid_dev));
	if (q == -ENOENT) {
		findings_add(r, "esp", SEV_WARN, fix,
			     "the firmware's GRUB (%s) searches UUID %s, which no attached filesystem has (udev made no /dev/disk/by-uuid/%s): it cannot find %s/grub.cfg",
			     t->stub_path, t->stub->uuid, t->stub->uuid, t->grub_dir);
		goto out;
	}
	if (q < 0 || block_devnum(rootfd, uuid_dev, &uuid_num) < 0) {
		findings_add(r, "esp", SEV_WARN, NULL,
			     "the firmware's GRUB (%s) searches UUID %s, but /dev/disk/by-uuid/%s does not lead to a block device in /sys/class/block",
			     t->stub_path, t->stub->uuid, t->stub->uuid);
		goto out;
	}
	if (uuid_num != grub_num) {
		findings_add(r, "esp", SEV_FAIL, fix,
			     "the firmware's GRUB (%s) searches UUID %s (%s), but %s is on %s: %s edits a grub.cfg this machine does not boot",
			     t->stub_path, t->stub->uuid, uuid_dev, t->grub_dir, grub_dev, tool);
		goto out;
	}

	/* On the filesystem mounted on /boot, /boot/grub is /grub to GRUB. */
	q = snprintf(want, sizeof(want), "%s/%s", strcmp(m->fsroot, "/") == 0 ? "" : m->fsroot,
		     t->grub_dir + (strcmp(m->mountpoint, "/") == 0 ? 0 : strlen(m->mountpoint)));
	normalise_path(want);
	if (q < (int)sizeof(want) && t->stub->prefix[0] && strcmp(t->stub->prefix, want) != 0) {
		(void)snprintf(fix, sizeof(fix),
			       "set prefix=($root)'%s' in %s, or reinstall GRUB: %s", want,
			       t->stub_path,
			       t->grub2 ? "dnf reinstall grub2-common 'grub2-efi-*'"
					: "grub-install, then update-grub");
		findings_add(r, "esp", SEV_WARN, fix,
			     "the firmware's GRUB (%s) loads %s/grub.cfg from UUID %s (%s), but on %s (mounted on %s) the config %s edits is %s/grub.cfg",
			     t->stub_path, t->stub->prefix, t->stub->uuid, uuid_dev, uuid_dev,
			     m->mountpoint, tool, want);
		goto out;
	}
	findings_add(r, "esp", SEV_OK, NULL,
		     "%s loads %s/grub.cfg (UUID %s = %s, which holds %s)", t->stub_path,
		     t->grub_dir, t->stub->uuid, uuid_dev, m->mountpoint);
out:
	free(m);
}

/* The directory update-grub or grub2-mkconfig writes; the stub's prefix says which first. */
static const char *grub_dir_of(int rootfd, const struct esp_stub *s)
{
	size_t len = strlen(s->prefix);
	bool two = len >= 5 && strcmp(s->prefix + len - 5, "grub2") == 0;
	struct stat st;

	if (fstatat(rootfd, two ? "boot/grub2" : "boot/grub", &st, 0) == 0 && S_ISDIR(st.st_mode))
		return two ? "/boot/grub2" : "/boot/grub";
	if (fstatat(rootfd, two ? "boot/grub" : "boot/grub2", &st, 0) == 0 && S_ISDIR(st.st_mode))
		return two ? "/boot/grub" : "/boot/grub2";
	return NULL;
}

static void check_one(struct findings *r, int rootfd, const char *stub_path)
{
	struct esp_target t = { .stub_path = stub_path };
	struct esp_stub *s;
	char *text;

	if (root_read_alloc(rootfd, stub_path, &text, NULL) < 0)
		return;
	s = malloc(sizeof(*s));
	if (!s) {
		free(text);
		r->oom = true;
		return;
	}
	if (esp_stub_parse(text, s) == 1) {
		t.stub = s;
		t.grub_dir = grub_dir_of(rootfd, s);
		if (!t.grub_dir) {
			findings_add(r, "esp", SEV_WARN, NULL,
				     "the firmware's GRUB (%s) searches UUID %s for its grub.cfg, but there is neither /boot/grub nor /boot/grub2",
				     stub_path, s->uuid);
		} else {
			t.grub2 = strcmp(t.grub_dir, "/boot/grub2") == 0;
			report_stub(r, rootfd, &t);
		}
	}
	free(s);
	free(text);
}

/* Every EFI/NAME/grub.cfg below one ESP mount point, in name order. */
static void check_esp_dir(struct findings *r, int rootfd, const char *esp, struct stat *seen)
{
	char path[PATH_MAX], **names;
	struct stat st;
	int fd, n, i;

	(void)snprintf(path, sizeof(path), "%s/EFI", esp);
	fd = openat(rootfd, root_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* /efi and /boot/efi are often the same ESP. */
	if (fstat(fd, &st) < 0 || (seen->st_ino == st.st_ino && seen->st_dev == st.st_dev)) {
		close(fd);
		return;
	}
	*seen = st;
	n = dir_list_fd(fd, NULL, 0, &names);
	close(fd);
	if (n < 0) {
		if (n == -ENOMEM)
			r->oom = true;
		else
			findings_add(r, "esp", SEV_WARN, NULL, "cannot list %s: %s", path,
				     strerror(-n));
		return;
	}
	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/EFI/%s/grub.cfg", esp, names[i]) <
		    (int)sizeof(path))
			check_one(r, rootfd, path);
	}
	dir_list_free(names);
}

void esp_check(int rootfd, struct findings *r)
{
	struct stat seen = { .st_ino = 0 };

	if (!root_exists(rootfd, "/sys/firmware/efi"))
		return;
	check_esp_dir(r, rootfd, "/boot/efi", &seen);
	check_esp_dir(r, rootfd, "/efi", &seen);
}
