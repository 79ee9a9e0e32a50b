/*
 * Command-line plumbing shared by the commands: option values (-L and
 * other sizes), --help, the input operands and the rule that standard
 * input is read once, and the small files options name (-S, -t).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

/* How much tclog_read_text asks read(2) for at a time. */
enum { READ_SIZE = 1 << 16 };

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
	char *slash;

	/* getopt names argv[0] in its messages: the command's name, as
	 * err(3) gives it, not the path it was run by */
	if (argc > 0 && (slash = strrchr(argv[0], '/')) != NULL &&
	    slash[1] != '\0')
		argv[0] = slash + 1;
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

int
tclog_option_tokens(const char *arg, size_t *max)
{
	/* digits only: a count of tokens has no k, M or G (-L's sizes);
	 * counted in unsigned long, as the commands report them */
	if (arg[strspn(arg, "0123456789")] == '\0' &&
	    tclog_parse_size(arg, max) == 0 && *max <= ULONG_MAX)
		return 0;
	warnx("-M: not a number of tokens >= 1: %s", arg);
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

int
tclog_read_text(const char *path, struct tclog_buf *b, size_t limit)
{
	const char *name = tclog_input_name(path);
	int fd = tclog_open_input(path);
	size_t from = 0, to = 0;
	ssize_t n;

	if (fd == -1)
		return -1;
	b->len = 0;
	for (;;) {
		tclog_buf_grow(b, READ_SIZE);
		n = read(fd, b->data + b->len, READ_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->len += (size_t)n;
		if (b->len > limit) {
			warnx("%s: longer than the -L limit (%zu bytes)", name,
			    limit);
			break;
		}
	}
	if (n == -1)
		warn("%s", name);
	tclog_close_input(path, fd);
	if (n == -1 || b->len > limit)
		return -1;
	if (b->len >= 3 && memcmp(b->data, TCLOG_BOM, 3) == 0)
		from = 3;
	for (; from < b->len; from++)	/* CR LF as LF, in place */
		if (b->data[from] != '\r' || from + 1 == b->len ||
		    b->data[from + 1] != '\n')
			b->data[to++] = b->data[from];
	b->len = to;
	return 0;
}
