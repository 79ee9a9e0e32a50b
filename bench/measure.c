/*
 * measure - run a command and report its wall time and peak memory.
 *
 *   measure REPORT command [arg ...]
 *
 * Runs the command with this process's standard input, output and error,
 * then writes one line "SECONDS PEAK-RSS-KB STATUS CPU-SECONDS" to the
 * file REPORT (CPU: user and system time of the same processes, which
 * a busy machine disturbs less than the wall time).
 * The peak is the largest resident set of the command and of every
 * process it waited for (getrusage RUSAGE_CHILDREN), so a shell running
 * a pipeline reports its largest stage. Wall time comes from the
 * monotonic clock, to the microsecond. Exits with the command's status.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct rusage ru;
	double start, wall;
	pid_t pid;
	int status, code;
	FILE *report;

	if (argc < 3) {
		fprintf(stderr, "usage: measure REPORT command [arg ...]\n");
		return 2;
	}
	start = now();
	pid = fork();
	if (pid == -1)
		err(2, "fork");
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		err(127, "%s", argv[2]);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(2, "waitpid");
	wall = now() - start;
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		err(2, "getrusage");
	code = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	if ((report = fopen(argv[1], "w")) == NULL)
		err(2, "%s", argv[1]);
	fprintf(report, "%.6f %ld %d %.6f\n", wall, ru.ru_maxrss, code,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (fclose(report) != 0)
		err(2, "%s", argv[1]);
	return code;
}
