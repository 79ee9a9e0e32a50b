/*
 * Fuzz harness of a whole command: cmd/<command>.c is compiled with
 * -Dmain=tclog_command_main and linked with this file, which runs it on
 * the fuzz input as standard input, once for every option set listed in
 * fuzz/<command>.args (one set a line, words split at spaces; no file:
 * the command without options).
 *
 * Standard input is a memfd holding the input (dup2'd onto fd 0, so the
 * record reader sees it as a file). Standard output is a stream made with
 * fopencookie that keeps what the command writes: the command closes it
 * (tclog_close_output); its output must be strict UTF-8, and JSON lines
 * for a set whose line does not start with '!'. getopt is reset with
 * optind = 0 (glibc).
 *
 * Fatal paths: a command that calls exit() (err, errx: out of memory,
 * a write error, an impossible state) ends the fuzzer with "fuzz target
 * exited", which is reported as a crash: on good options no input may
 * stop a command, it must diagnose the record and go on. Diagnostics go
 * to stderr: run with -close_fd_mask=2 to silence them (fuzz/run does).
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tclog.h"

int tclog_command_main(int argc, char *argv[]);

struct option_set {
	char **argv;
	int argc;
	bool json;		/* the output must be JSON lines */
};

struct harness {
	struct option_set *sets;
	size_t nset;
	int input;		/* the memfd */
	struct tclog_buf out;	/* what the command wrote */
	bool closed;
	FILE *report;		/* stderr as it was, for our own messages */
};

static struct harness h;

static ssize_t
out_write(void *cookie, const char *p, size_t n)
{
	(void)cookie;
	tclog_buf_add(&h.out, p, n);
	return (ssize_t)n;
}

static int
out_close(void *cookie)
{
	(void)cookie;
	h.closed = true;
	return 0;
}

static void
add_set(const char *name, char *line)
{
	struct option_set *s;
	char *word, *save = NULL;

	h.sets = realloc(h.sets, (h.nset + 1) * sizeof(*h.sets));
	s = &h.sets[h.nset++];
	s->json = line[0] != '!';
	if (line[0] == '!')
		line++;
	s->argv = calloc(strlen(line) + 2, sizeof(*s->argv));
	s->argc = 0;
	s->argv[s->argc++] = strdup(name);
	for (word = strtok_r(line, " \t\n", &save); word != NULL;
	    word = strtok_r(NULL, " \t\n", &save))
		s->argv[s->argc++] = strdup(word);
	s->argv[s->argc] = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *fp = fopen(ARGS_FILE, "r");
	char *line = NULL;
	size_t cap = 0;

	(void)argc;
	(void)argv;
	if (fp != NULL) {
		while (getline(&line, &cap, fp) != -1)
			if (line[0] != '#' && line[0] != '\n')
				add_set(COMMAND, line);
		fclose(fp);
	}
	if (h.nset == 0) {
		char none[] = "";

		add_set(COMMAND, none);
	}
	free(line);
	/* before libFuzzer's -close_fd_mask=2 sends fd 2 to /dev/null */
	h.report = fdopen(dup(STDERR_FILENO), "w");
	if (h.report == NULL)
		h.report = stderr;
	setvbuf(h.report, NULL, _IONBF, 0);
	h.input = memfd_create("fuzz-input", 0);
	if (h.input == -1)
		err(1, "memfd_create");
	return 0;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * past U+10FFFF. yajl lets encoded surrogates through; we must not. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf, more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;
		if (n - i <= more || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (unsigned k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

/* Each output line must be one JSON value (an object, for records). */
static void
check_json_lines(const struct option_set *s)
{
	struct tclog_buf err = { 0 };
	size_t start = 0;

	while (start < h.out.len) {
		const char *nl = memchr(h.out.data + start, '\n',
		    h.out.len - start);

		if (nl == NULL) {
			fprintf(h.report, "harness: %s %s: output does not end with a "
			    "newline\n", COMMAND, s->argc > 1 ? s->argv[1] : "");
			abort();
		}
		if (tclog_json_check(h.out.data + start,
		    (size_t)(nl - h.out.data) - start, true, &err) != 0) {
			fprintf(h.report, "harness: %s: output line not a JSON object: "
			    "%s\n", COMMAND, tclog_buf_str(&err));
			abort();
		}
		start = (size_t)(nl - h.out.data) + 1;
	}
	tclog_buf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const cookie_io_functions_t out_io = {
		.write = out_write, .close = out_close
	};

	for (size_t i = 0; i < h.nset; i++) {
		struct option_set *s = &h.sets[i];
		char **argv = calloc((size_t)s->argc + 1, sizeof(*argv));
		int status;

		if (ftruncate(h.input, 0) == -1 ||
		    pwrite(h.input, data, size, 0) != (ssize_t)size ||
		    lseek(h.input, 0, SEEK_SET) == -1 ||
		    dup2(h.input, STDIN_FILENO) == -1)
			err(1, "memfd");
		clearerr(stdin);
		h.out.len = 0;
		h.closed = false;
		stdout = fopencookie(NULL, "w", out_io);
		if (stdout == NULL)
			err(1, "fopencookie");
		/* main may permute its argv: give it a copy */
		memcpy(argv, s->argv, (size_t)s->argc * sizeof(*argv));
		optind = 0;
		status = tclog_command_main(s->argc, argv);
		free(argv);
		if (!h.closed) {
			fprintf(h.report, "harness: %s: main returned %d without closing "
			    "its output\n", COMMAND, status);
			abort();
		}
		if (status < 0 || status > 2) {
			fprintf(h.report, "harness: %s: exit status %d\n",
			    COMMAND, status);
			abort();
		}
		if (!utf8_valid((const unsigned char *)h.out.data,
		    h.out.len)) {
			fprintf(h.report, "harness: %s: output is not "
			    "UTF-8\n", COMMAND);
			abort();
		}
		if (s->json && status != 2)
			check_json_lines(s);
	}
	return 0;
}
