/* Diagnostics, option values, input operands and checked output. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

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

int
tclog_parse_size(const char *arg, size_t *size)
{
	unsigned long long n;
	unsigned shift = 0;
	char *end;

	if (*arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || n == 0 || n > (SIZE_MAX >> shift))
		return -1;
	*size = (size_t)(n << shift);
	return 0;
}

bool
tclog_help_requested(int argc, char *argv[], const char *optstring)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--help") == 0)
			return true;
		if (a[0] != '-' || a[1] == '-')
			continue;	/* an operand (getopt permutes them) */
		for (int j = 1; a[j] != '\0'; j++) {
			const char *o = strchr(optstring, a[j]);

			if (o != NULL && a[j] != ':' && o[1] == ':') {
				if (a[j + 1] == '\0')
					i++;	/* the value is the next word */
				break;
			}
		}
	}
	return false;
}

int
tclog_option_limit(const char *arg, size_t *limit)
{
	if (tclog_parse_size(arg, limit) == 0)
		return 0;
	warnx("-L: not " TCLOG_SIZE_SYNTAX ": %s", arg);
	return -1;
}

const char *
tclog_input_name(const char *path)
{
	return strcmp(path, "-") == 0 ? TCLOG_STDIN_NAME : path;
}

int
tclog_open_input(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	fd = open(path, O_RDONLY);
	if (fd == -1)
		warn("%s", path);
	return fd;
}

void
tclog_inputs_init(struct tclog_inputs *in, int argc, char *argv[])
{
	static char *const standard_input[] = { "-" };

	in->fd = -1;
	in->name = NULL;
	in->operand = argc > 0 ? argv : standard_input;
	in->noperand = argc > 0 ? argc : 1;
	in->next = 0;
}

int
tclog_inputs_leave_stdin(char option, const char *path, int argc,
    char *argv[])
{
	bool log_on_stdin = argc == 0;

	if (strcmp(path, "-") != 0)
		return 0;
	for (int i = 0; i < argc; i++)
		log_on_stdin = log_on_stdin || strcmp(argv[i], "-") == 0;
	if (!log_on_stdin)
		return 0;
	warnx("-%c -: standard input is the log too; name the log files",
	    option);
	return -1;
}

bool
tclog_inputs_next(struct tclog_inputs *in, int *status)
{
	if (in->fd != -1)
		tclog_close_input(in->operand[in->next - 1], in->fd);
	in->fd = -1;
	in->name = NULL;
	while (in->next < in->noperand) {
		const char *path = in->operand[in->next++];

		in->fd = tclog_open_input(path);
		if (in->fd != -1) {
			in->name = tclog_input_name(path);
			return true;
		}
		tclog_status_raise(status, TCLOG_EXIT_FATAL);
	}
	return false;
}

void
tclog_close_input(const char *path, int fd)
{
	if (strcmp(path, "-") != 0)
		close(fd);
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

void
tclog_puts(const char *s)
{
	tclog_write(s, strlen(s));
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
