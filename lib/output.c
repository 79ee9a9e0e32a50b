/*
 * Output and diagnostics: the setup of stdout, "tclog-x: FILE:LINE:"
 * messages, and writes to stdout that never fail silently.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
tclog_start(void)
{
	/* A closed pipe ends us quietly, like any Unix filter. */
	signal(SIGPIPE, SIG_DFL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

void
tclog_diag(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%lu: ", program_invocation_short_name, file,
	    line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
write_failed(void)
{
	if (errno == EPIPE)
		exit(TCLOG_EXIT_FATAL);	/* the reader went away: no noise */
	err(TCLOG_EXIT_FATAL, "<stdout>: write error");
}

void
tclog_write(const void *p, size_t n)
{
	if (n != 0 && fwrite(p, 1, n, stdout) != n)
		write_failed();
}

void
tclog_flush(void)
{
	if (fflush(stdout) == EOF)
		write_failed();
}

int
tclog_close_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE)
			return TCLOG_EXIT_FATAL;
		warn("<stdout>: write error");
		return TCLOG_EXIT_FATAL;
	}
	if (fclose(stdout) == EOF) {
		warn("<stdout>: close error");
		return TCLOG_EXIT_FATAL;
	}
	return TCLOG_EXIT_OK;
}

int
tclog_finish_output(int status)
{
	int out = tclog_close_output();

	return out > status ? out : status;
}

int
tclog_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
