/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the /etc/default/grub shell-subset reader (lib/grubcfg.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "grubcfg.h"
#include "rootfs.h"

static const char *final_value(const struct grub_defaults *g, enum grub_cmdline_var var)
{
	const struct grub_assignment *a = grub_defaults_final(g, var);

	return a ? a->value : NULL;
}

static void parse(struct grub_defaults *g, const char *file, const char *text)
{
	assert_int_equal(grub_defaults_parse_text(g, file, text), 0);
}

/* Ubuntu cloud images: a grub.d file assigns GRUB_CMDLINE_LINUX_DEFAULT again. */
static void test_cloudimg_override(void **state)
{
	struct grub_defaults g = { 0 };
	const struct grub_assignment *a;
	char *cmdline;

	parse(&g, "/etc/default/grub",
	      "GRUB_DEFAULT=0\n"
	      "GRUB_TIMEOUT_STYLE=hidden\n"
	      "GRUB_TIMEOUT=0\n"
	      "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash intel_iommu=on\"\n"
	      "GRUB_CMDLINE_LINUX=\"\"\n");
	parse(&g, "/etc/default/grub.d/50-cloudimg-settings.cfg",
	      "# Cloud Image specific Grub settings for Generic Cloud Images\n"
	      "# CLOUD_IMG: This file was created/modified by the Cloud Image build process\n"
	      "\n"
	      "# Set the recordfail timeout\n"
	      "GRUB_RECORDFAIL_TIMEOUT=0\n"
	      "\n"
	      "# Do not wait on grub prompt\n"
	      "GRUB_TIMEOUT=0\n"
	      "\n"
	      "# Set the default commandline\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=\"console=tty1 console=ttyS0\"\n"
	      "\n"
	      "# Set the grub console type\n"
	      "GRUB_TERMINAL=console\n");
	a = grub_defaults_final(&g, GRUB_LINUX_DEFAULT);
	assert_non_null(a);
	assert_string_equal(a->value, "console=tty1 console=ttyS0");
	assert_string_equal(a->file, "/etc/default/grub.d/50-cloudimg-settings.cfg");
	assert_int_equal(a->line, 11);
	a = grub_defaults_final(&g, GRUB_LINUX);
	assert_string_equal(a->value, "");
	assert_string_equal(a->file, "/etc/default/grub");
	assert_int_equal(a->line, 6);
	/* Both assignments of GRUB_CMDLINE_LINUX_DEFAULT are kept, in order. */
	assert_int_equal(g.n_assignments, 3);
	assert_string_equal(g.assignments[0].value, "quiet splash intel_iommu=on");
	assert_int_equal(g.assignments[0].line, 5);
	cmdline = grub_defaults_cmdline(&g);
	assert_string_equal(cmdline, "console=tty1 console=ttyS0");
	free(cmdline);
	grub_defaults_free(&g);
}

static void test_quotes_and_escapes(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "f", "GRUB_CMDLINE_LINUX='a \"b\" $HOME \\n'\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "a \"b\" $HOME \\n");
	parse(&g, "f", "GRUB_CMDLINE_LINUX=\"x \\\"y\\\" \\$z \\\\ \\a\"\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "x \"y\" $z \\ \\a");
	parse(&g, "f", "GRUB_CMDLINE_LINUX=one\\ two\"three four\"'five'\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "one twothree fourfive");
	parse(&g, "f", "GRUB_CMDLINE_LINUX=\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "");
	grub_defaults_free(&g);
}

static void test_expansion(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "/etc/default/grub",
	      "IOMMU=\"intel_iommu=on iommu=pt\"\n"
	      "GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n"
	      "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX $IOMMU\"\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=${GRUB_CMDLINE_LINUX_DEFAULT}quiet\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT $UNDEFINED$ 5$\"\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "console=ttyS0 intel_iommu=on iommu=pt");
	assert_string_equal(final_value(&g, GRUB_LINUX_DEFAULT), "quiet $ 5$");
	grub_defaults_free(&g);
}

/* Self-reference across files, as config management drop-ins do it. */
static void test_self_reference_dropin(void **state)
{
	struct grub_defaults g = { 0 };
	char *cmdline;

	parse(&g, "/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
	parse(&g, "/etc/default/grub.d/90-iommu.cfg",
	      "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX intel_iommu=on\"\n");
	cmdline = grub_defaults_cmdline(&g);
	assert_string_equal(cmdline, " intel_iommu=on quiet");
	free(cmdline);
	assert_string_equal(grub_defaults_final(&g, GRUB_LINUX)->file,
			    "/etc/default/grub.d/90-iommu.cfg");
	grub_defaults_free(&g);
}

static void test_comments(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "f",
	      "# GRUB_CMDLINE_LINUX=\"commented\"\n"
	      "   #GRUB_CMDLINE_LINUX_DEFAULT=\"also commented\"\n"
	      "GRUB_CMDLINE_LINUX=\"a#b\" # a comment with GRUB_CMDLINE_LINUX=\"c\"\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=x#y\n");
	assert_int_equal(g.n_assignments, 2);
	assert_string_equal(final_value(&g, GRUB_LINUX), "a#b");
	assert_string_equal(final_value(&g, GRUB_LINUX_DEFAULT), "x#y");
	grub_defaults_free(&g);
}

/* Commands are skipped; so are assignments that prefix a command. */
static void test_commands_skipped(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "f",
	      "GRUB_CMDLINE_LINUX=\"first\"\n"
	      "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
	      "GRUB_DISTRIBUTOR=\"$(sed 's, release .*$,,g' /etc/system-release)\"\n"
	      "if [ -e /etc/foo ]; then GRUB_CMDLINE_LINUX_DEFAULT=\"never\"; fi\n"
	      "GRUB_CMDLINE_LINUX=\"prefix\" some-command --flag\n"
	      ". /etc/default/grub.d/other\n"
	      "unset GRUB_HIDDEN_TIMEOUT\n"
	      "GRUB_CMDLINE_LINUX=$(cat /proc/cmdline)\n"
	      "echo \"GRUB_CMDLINE_LINUX=\\\"echoed\\\"\" >&2\n"
	      "export GRUB_CMDLINE_LINUX_DEFAULT=\"exported\"\n"
	      "GRUB_TIMEOUT=5; GRUB_CMDLINE_LINUX=\"after;semicolon\"\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "after;semicolon");
	assert_int_equal(grub_defaults_final(&g, GRUB_LINUX)->line, 11);
	assert_string_equal(final_value(&g, GRUB_LINUX_DEFAULT), "exported");
	assert_int_equal(g.n_assignments, 3);
	grub_defaults_free(&g);
}

static void test_multiline_and_continuation(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "f",
	      "GRUB_CMDLINE_LINUX=\"a\n"
	      "b\"\n"
	      "GRUB_CMDLINE_LINUX_DEFAULT=quiet\\\n"
	      "splash\n"
	      "GRUB_SKIP=\"x\n"
	      "GRUB_CMDLINE_LINUX=inside-a-quote\" cmd\n"
	      "GRUB_CMDLINE_LINUX=\"last\"\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "last");
	assert_int_equal(grub_defaults_final(&g, GRUB_LINUX)->line, 7);
	assert_string_equal(final_value(&g, GRUB_LINUX_DEFAULT), "quietsplash");
	assert_int_equal(grub_defaults_final(&g, GRUB_LINUX_DEFAULT)->line, 3);
	assert_string_equal(g.assignments[0].value, "a\nb");
	grub_defaults_free(&g);
}

static void test_crlf_and_unterminated(void **state)
{
	struct grub_defaults g = { 0 };

	parse(&g, "f", "GRUB_CMDLINE_LINUX=\"crlf\"\r\nGRUB_CMDLINE_LINUX_DEFAULT=plain\r\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "crlf");
	assert_string_equal(final_value(&g, GRUB_LINUX_DEFAULT), "plain");
	/* An unterminated quote is a shell syntax error: nothing is assigned. */
	parse(&g, "f", "GRUB_CMDLINE_LINUX=\"never closed\n");
	assert_string_equal(final_value(&g, GRUB_LINUX), "crlf");
	grub_defaults_free(&g);
}

static void test_unassigned(void **state)
{
	struct grub_defaults g = { 0 };
	char *cmdline;

	parse(&g, "f", "GRUB_TIMEOUT=5\n");
	assert_null(grub_defaults_final(&g, GRUB_LINUX));
	assert_null(grub_defaults_final(&g, GRUB_LINUX_DEFAULT));
	cmdline = grub_defaults_cmdline(&g);
	assert_string_equal(cmdline, "");
	free(cmdline);
	grub_defaults_free(&g);
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* grub_defaults_load reads the main file, then grub.d/ *.cfg in strcmp order. */
static void test_load_order(void **state)
{
	char dir[] = "/tmp/test-grubcfg.XXXXXX", path[4096];
	struct grub_defaults g = { 0 };
	const struct grub_assignment *a;
	int rootfd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/etc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/default", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/default/grub.d", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(dir, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"main\"\n");
	write_file(dir, "etc/default/grub.d/50-b.cfg",
		   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT b\"\n");
	write_file(dir, "etc/default/grub.d/10-a.cfg",
		   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT a\"\n");
	write_file(dir, "etc/default/grub.d/99-ignored.cfg.dpkg-old",
		   "GRUB_CMDLINE_LINUX_DEFAULT=\"ignored\"\n");
	write_file(dir, "etc/default/grub.d/.hidden.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"hidden\"\n");

	rootfd = root_open(dir);
	assert_true(rootfd >= 0);
	assert_int_equal(grub_defaults_load(&g, rootfd), 3);
	a = grub_defaults_final(&g, GRUB_LINUX_DEFAULT);
	assert_string_equal(a->value, "main a b");
	assert_string_equal(a->file, "/etc/default/grub.d/50-b.cfg");
	assert_int_equal(g.n_files, 3);
	assert_string_equal(g.files[1], "/etc/default/grub.d/10-a.cfg");
	grub_defaults_free(&g);

	/* No GRUB at all: nothing read, not an error. */
	snprintf(path, sizeof(path), "rm -rf '%s/etc'", dir);
	assert_int_equal(system(path), 0);
	assert_int_equal(grub_defaults_load(&g, rootfd), 0);
	assert_int_equal(g.n_assignments, 0);
	grub_defaults_free(&g);
	close(rootfd);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* Only regular files of grub.d are sourced (a link to one counts): a directory, a FIFO (which
 * would block the reader) and a dangling link named *.cfg are left out. */
static void test_load_regular_only(void **state)
{
	char dir[] = "/tmp/test-grubcfg.XXXXXX", path[4096];
	struct grub_defaults g = { 0 };
	int rootfd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "mkdir -p '%s/etc/default/grub.d/20-dir.cfg'", dir);
	assert_int_equal(system(path), 0);
	write_file(dir, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"main\"\n");
	write_file(dir, "etc/default/grub.d/10-a.cfg",
		   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT a\"\n");
	write_file(dir, "etc/default/target",
		   "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT link\"\n");
	snprintf(path, sizeof(path), "%s/etc/default/grub.d/30-fifo.cfg", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/etc/default/grub.d/40-dangling.cfg", dir);
	assert_int_equal(symlink("../nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/etc/default/grub.d/60-link.cfg", dir);
	assert_int_equal(symlink("../target", path), 0);

	rootfd = root_open(dir);
	assert_true(rootfd >= 0);
	assert_int_equal(grub_defaults_load(&g, rootfd), 3);
	assert_string_equal(grub_defaults_final(&g, GRUB_LINUX_DEFAULT)->value, "main a link");
	grub_defaults_free(&g);
	close(rootfd);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cloudimg_override),
		cmocka_unit_test(test_quotes_and_escapes),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_self_reference_dropin),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_commands_skipped),
		cmocka_unit_test(test_multiline_and_continuation),
		cmocka_unit_test(test_crlf_and_unterminated),
		cmocka_unit_test(test_unassigned),
		cmocka_unit_test(test_load_order),
		cmocka_unit_test(test_load_regular_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
