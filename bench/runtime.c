/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interleaved wall-clock timer: runs several commands in turn and prints each one's median. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: runtime ROUNDS WARMUP :LABEL CMD [ARGS...] [:LABEL CMD [ARGS...]]...
 *
 * Each round runs every command once, in the order given (a, b, c, a, b, c, ...), with
 * stdin, stdout and stderr on /dev/null; WARMUP untimed rounds come first. Prints one line
 * per command: "LABEL MEDIAN_NS MIN_NS MAX_NS EXIT_STATUS" (the exit status of its last run).
 */

struct cmd {
	const char *label;
	char **argv;
	long long *ns;
	int status;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int run(char **argv, long long *ret_ns)
{
	long long start = now_ns();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd < 0)
			_exit(127);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_ns = now_ns() - start;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct cmd *cmds;
	int rounds, warmup, n = 0, i, k;

	if (argc < 5 || argv[3][0] != ':') {
		fprintf(stderr, "usage: runtime ROUNDS WARMUP :LABEL CMD [ARGS...]...\n");
		return 2;
	}
	rounds = atoi(argv[1]);
	warmup = atoi(argv[2]);
	if (rounds < 1 || warmup < 0) {
		fprintf(stderr, "runtime: bad ROUNDS or WARMUP\n");
		return 2;
	}
	cmds = calloc(argc, sizeof(*cmds));
	if (!cmds)
		return 1;
	/* Split argv in place: each ":LABEL" ends the previous command's argv. */
	for (i = 3; i < argc; i++) {
		if (argv[i][0] != ':')
			continue;
		cmds[n].label = argv[i] + 1;
		cmds[n].argv = &argv[i + 1];
		argv[i] = NULL;
		if (i + 1 >= argc || argv[i + 1][0] == ':') {
			fprintf(stderr, "runtime: %s: no command\n", cmds[n].label);
			return 2;
		}
		cmds[n].ns = calloc(rounds, sizeof(*cmds[n].ns));
		if (!cmds[n].ns)
			return 1;
		n++;
	}

	for (i = -warmup; i < rounds; i++) {
		for (k = 0; k < n; k++) {
			long long ns = 0;
			int r = run(cmds[k].argv, &ns);

			if (r < 0) {
				fprintf(stderr, "runtime: %s: %s\n", cmds[k].label, strerror(-r));
				return 1;
			}
			cmds[k].status = r;
			if (i >= 0)
				cmds[k].ns[i] = ns;
		}
	}
	for (k = 0; k < n; k++) {
		qsort(cmds[k].ns, rounds, sizeof(*cmds[k].ns), cmp_ll);
		printf("%s %lld %lld %lld %d\n", cmds[k].label,
		       rounds % 2 ? cmds[k].ns[rounds / 2] :
				    (cmds[k].ns[rounds / 2 - 1] + cmds[k].ns[rounds / 2]) / 2,
		       cmds[k].ns[0], cmds[k].ns[rounds - 1], cmds[k].status);
	}
	return 0;
}
