/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sorted listing of one directory below the root fd, with a filter (after systemd's
 * conf_files_list_at()). */
#pragma once

#include <stddef.h>

enum dir_list_flags {
	DIR_LIST_REGULAR = 1 << 0, /* only regular files, a symlink followed as open() does */
	DIR_LIST_VERSION_DESC = 1 << 1, /* newest first by strverscmp(), not in strcmp() order */
};

/* The names in the open directory dfd (not consumed, its offset untouched), hidden ones left
 * out, those not ending in suffix too (NULL: any), sorted in strcmp() order; an entry that
 * vanishes while it is examined is left out as well. On success *ret is a NULL-terminated
 * array (free with dir_list_free()) and the number of names is returned; on failure *ret is
 * untouched and -errno is returned. */
int dir_list_fd(int dfd, const char *suffix, unsigned flags, char ***ret);

/* The same for the directory dir below rootfd (a leading '/' is ignored). */
int dir_list_at(int rootfd, const char *dir, const char *suffix, unsigned flags, char ***ret);

void dir_list_free(char **names);
