/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GRUB's own files: the grubenv block, the linux line of grub.cfg, words of GRUB script. */
#pragma once

#include <stddef.h>

/* in with $name and ${name} replaced by their values in the GRUB environment block env
 * ("key=value" lines; NULL: none), unknown names by nothing, as GRUB's blscfg expands a BLS
 * options line. Malloc'ed, or NULL on ENOMEM. */
char *grubenv_expand(const char *in, const char *env);

/* The parameters of the first "linux" (linuxefi, linux16) line of a grub.cfg, after the
 * kernel image: what the default entry boots. Malloc'ed; NULL when there is none. */
char *grub_cfg_first_linux(const char *text);

/* Split one line of GRUB script into at most max words, in place: blanks separate words,
 * quotes group and are removed, a backslash escapes the next character, and '#' at the start
 * of a word or a ';' ends what is read of the line. Returns the number of words. */
size_t grub_script_words(char *line, char **words, size_t max);
