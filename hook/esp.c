/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UEFI boot path: does the ESP's GRUB stub load the grub.cfg that update-grub edits? */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "esp.h"
#include "iommucfg.h"
#include "rootfs.h"

#define STUB_MAX_WORDS 16
#define STUB_MAX_LINE 1024
#define ESP_MAX_STUBS 16

/* Split one line of GRUB script into words, in place: blanks separate words, quotes group
 * and are removed, a backslash escapes the next character, and '#' at the start of a word
 * or a ';' ends what is read of the line. */
static size_t split_words(char *line, char **words, size_t max)
{
	char *in = line, *out = line;
	size_t n = 0;

	for (;;) {
		char c;

		while (*in == ' ' || *in == '\t' || *in == '\r')
			in++;
		if (!*in || *in == '#' || *in == ';' || n == max)
			return n;
		words[n++] = out;
		while (*in && *in != ' ' && *in != '\t' && *in != '\r' && *in != ';') {
			char q = *in;

			if (q == '\'' || q == '"') {
				for (in++; *in && *in != q; in++) {
					if (q == '"' && *in == '\\' && in[1])
						in++;
					*out++ = *in;
				}
				if (*in)
					in++;
			} else {
				if (q == '\\' && in[1])
					in++;
				*out++ = *in++;
			}
		}
		c = *in;
		if (c)
			in++;
		*out++ = '\0';
		if (!c || c == ';')
			return n;
	}
}

/* Only what a filesystem UUID looks like: it becomes a file name below /dev/disk/by-uuid. */
static bool valid_uuid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= ESP_UUID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-'))
			return false;
	return true;
}

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
			n = split_words(line, w, STUB_MAX_WORDS);
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

/* A block device's kernel name taken from the last component of a link's target, never
 * followed: "../../sda2" -> "sda2"; "", "." and ".." are refused. */
static int link_block_name(int rootfd, const char *path, char *buf, size_t size)
{
	int r = root_link_name(rootfd, path, buf, size);

	if (r < 0)
		return r;
	if (!buf[0] || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
		return -EINVAL;
	return 0;
}

static int parse_devnum(const char *s, dev_t *ret)
{
	unsigned long maj, min;
	char *end;

	errno = 0;
	maj = strtoul(s, &end, 10);
	if (end == s || *end != ':' || errno)
		return -EINVAL;
	s = end + 1;
	min = strtoul(s, &end, 10);
	if (end == s || *end || errno || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	*ret = makedev(maj, min);
	return 0;
}

/* The device number of a block device, from /sys/class/block/NAME/dev ("8:2"). */
static int block_devnum(int rootfd, const char *name, dev_t *ret)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;

	if (snprintf(path, sizeof(path), "/sys/class/block/%s/dev", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = root_read(rootfd, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return parse_devnum(buf, ret);
}

/* Resolve a UUID the way udev published it. -ENOENT: no filesystem with that UUID. GRUB
 * compares UUIDs without case; blkid prints them as the filesystem stores them, so the
 * stub's spelling is tried first, then all lower and all upper case. */
static int uuid_block_name(int rootfd, const char *uuid, char *buf, size_t size)
{
	static const char dir[] = "/dev/disk/by-uuid/";
	char path[sizeof(dir) + ESP_UUID_MAX];
	int r = -ENOENT, pass;

	for (pass = 0; pass < 3 && r == -ENOENT; pass++) {
		char *p = path + strlen(dir);

		(void)snprintf(path, sizeof(path), "%s%s", dir, uuid);
		for (; pass > 0 && *p; p++)
			if (pass == 1 && *p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
			else if (pass == 2 && *p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		r = link_block_name(rootfd, path, buf, size);
	}
	return r;
}

/* The mount that holds a path, from /proc/self/mountinfo. */
struct mount_info {
	dev_t devnum;
	char mountpoint[PATH_MAX];
	char fsroot[PATH_MAX]; /* the directory of the filesystem mounted there ("/", "/@") */
	char source[PATH_MAX]; /* "/dev/sda2", "rpool/ROOT/debian" */
};

/* Copy one space-separated field, undoing mountinfo's octal escapes (\040). */
static const char *mountinfo_field(const char *p, char *buf, size_t size)
{
	size_t len = 0;

	while (*p == ' ')
		p++;
	while (*p && *p != ' ') {
		char c = *p++;

		if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' &&
		    p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return p;
}

static bool path_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Parse one mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SOURCE". */
static int parse_mountinfo_line(const char *line, struct mount_info *ret)
{
	char field[PATH_MAX];
	const char *p = line;
	int i;

	for (i = 0; i < 2; i++)
		p = mountinfo_field(p, field, sizeof(field));
	p = mountinfo_field(p, field, sizeof(field));
	if (parse_devnum(field, &ret->devnum) < 0)
		return -EINVAL;
	p = mountinfo_field(p, ret->fsroot, sizeof(ret->fsroot));
	p = mountinfo_field(p, ret->mountpoint, sizeof(ret->mountpoint));
	if (ret->fsroot[0] != '/' || ret->mountpoint[0] != '/')
		return -EINVAL;
	do
		p = mountinfo_field(p, field, sizeof(field));
	while (field[0] && strcmp(field, "-") != 0);
	p = mountinfo_field(p, field, sizeof(field)); /* filesystem type */
	(void)mountinfo_field(p, ret->source, sizeof(ret->source));
	return 0;
}

/* The mount with the longest mount point above path; of equal ones the last, which covers
 * the others. */
static int find_mount(int rootfd, const char *path, struct mount_info *ret)
{
	struct mount_info *m = malloc(sizeof(*m));
	size_t best = 0;
	bool found = false;
	char *text, *line, *next;
	int r;

	if (!m)
		return -ENOMEM;
	r = root_read_alloc(rootfd, "/proc/self/mountinfo", &text, NULL);
	if (r < 0) {
		free(m);
		return r;
	}
	for (line = text; line && *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_mountinfo_line(line, m) < 0 || !path_under(path, m->mountpoint))
			continue;
		len = strlen(m->mountpoint);
		if (!found || len >= best) {
			*ret = *m;
			best = len;
			found = true;
		}
	}
	free(text);
	free(m);
	return found ? 0 : -ENOENT;
}

/* The kernel name of a mount's source: /dev/mapper/NAME is a link to ../dm-N, /dev/sda2 is
 * the node itself. */
static int source_block_name(int rootfd, const char *source, char *name, size_t size)
{
	const char *base;

	if (strncmp(source, "/dev/", 5) != 0)
		return -ENODEV;
	if (link_block_name(rootfd, source, name, size) == 0)
		return 0;
	base = strrchr(source, '/') + 1;
	if (!*base || strcmp(base, "..") == 0 || strlen(base) >= size)
		return -EINVAL;
	strcpy(name, base);
	return 0;
}

/* The block device of a mount. Filesystems such as btrfs report an anonymous device number
 * (major 0) in mountinfo, so then the source device is looked up instead. */
static int mount_block(int rootfd, const struct mount_info *m, char *name, size_t size,
		       dev_t *ret)
{
	char path[PATH_MAX];
	int r;

	if (major(m->devnum) != 0) {
		*ret = m->devnum;
		(void)snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(m->devnum),
			       minor(m->devnum));
		if (link_block_name(rootfd, path, name, size) < 0 &&
		    source_block_name(rootfd, m->source, name, size) < 0)
			(void)snprintf(name, size, "%u:%u", major(m->devnum), minor(m->devnum));
		return 0;
	}
	r = source_block_name(rootfd, m->source, name, size);
	if (r < 0)
		return r;
	return block_devnum(rootfd, name, ret);
}

/* The by-uuid name of a block device, for the fix; "" when udev lists none. */
static void find_uuid_of(int rootfd, dev_t devnum, char *buf, size_t size)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct dirent *de;
	dev_t d;
	DIR *dir;
	int fd;

	buf[0] = '\0';
	fd = openat(rootfd, "dev/disk/by-uuid", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !valid_uuid(de->d_name))
			continue;
		(void)snprintf(path, sizeof(path), "/dev/disk/by-uuid/%s", de->d_name);
		if (link_block_name(rootfd, path, name, sizeof(name)) == 0 &&
		    block_devnum(rootfd, name, &d) == 0 && d == devnum &&
		    strlen(de->d_name) < size) {
			strcpy(buf, de->d_name);
			break;
		}
	}
	closedir(dir);
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

static void report_stub(struct iommu_report *r, int rootfd, const struct esp_target *t)
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
		iommu_report_add(r, "esp", SEV_WARN, false, NULL,
				 "cannot tell which block device holds %s (/proc/self/mountinfo): the firmware's GRUB (%s) searches UUID %s",
				 t->grub_dir, t->stub_path, t->stub->uuid);
		goto out;
	}
	find_uuid_of(rootfd, grub_num, grub_uuid, sizeof(grub_uuid));
	fix_text(t, grub_uuid, fix, sizeof(fix));

	q = uuid_block_name(rootfd, t->stub->uuid, uuid_dev, sizeof(uuid_dev));
	if (q == -ENOENT) {
		iommu_report_add(r, "esp", SEV_WARN, false, fix,
				 "the firmware's GRUB (%s) searches UUID %s, which no attached filesystem has (udev made no /dev/disk/by-uuid/%s): it cannot find %s/grub.cfg",
				 t->stub_path, t->stub->uuid, t->stub->uuid, t->grub_dir);
		goto out;
	}
	if (q < 0 || block_devnum(rootfd, uuid_dev, &uuid_num) < 0) {
		iommu_report_add(r, "esp", SEV_WARN, false, NULL,
				 "the firmware's GRUB (%s) searches UUID %s, but /dev/disk/by-uuid/%s does not lead to a block device in /sys/class/block",
				 t->stub_path, t->stub->uuid, t->stub->uuid);
		goto out;
	}
	if (uuid_num != grub_num) {
		iommu_report_add(r, "esp", SEV_FAIL, false, fix,
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
		iommu_report_add(r, "esp", SEV_WARN, false, fix,
				 "the firmware's GRUB (%s) loads %s/grub.cfg from UUID %s (%s), but on %s (mounted on %s) the config %s edits is %s/grub.cfg",
				 t->stub_path, t->stub->prefix, t->stub->uuid, uuid_dev, uuid_dev,
				 m->mountpoint, tool, want);
		goto out;
	}
	iommu_report_add(r, "esp", SEV_OK, false, NULL,
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

static void check_one(struct iommu_report *r, int rootfd, const char *stub_path)
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
			iommu_report_add(r, "esp", SEV_WARN, false, NULL,
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

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every EFI/NAME/grub.cfg below one ESP mount point, in name order. */
static void check_esp_dir(struct iommu_report *r, int rootfd, const char *esp, struct stat *seen)
{
	char names[ESP_MAX_STUBS][NAME_MAX + 1], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t n = 0, i;
	DIR *d;
	int fd;

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
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && n < ESP_MAX_STUBS)
		if (de->d_name[0] != '.')
			strcpy(names[n++], de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/EFI/%s/grub.cfg", esp, names[i]) <
		    (int)sizeof(path))
			check_one(r, rootfd, path);
	}
}

void esp_check(int rootfd, struct iommu_report *r)
{
	struct stat seen = { .st_ino = 0 };

	if (!root_exists(rootfd, "/sys/firmware/efi"))
		return;
	check_esp_dir(r, rootfd, "/boot/efi", &seen);
	check_esp_dir(r, rootfd, "/efi", &seen);
}
