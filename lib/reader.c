/*
 * The record reader: JSON lines from a file descriptor.
 *
 * Lines are returned in place from one buffer, so a record is copied at
 * most once (when it straddles a read). read(2) rather than stdio, so
 * that records arriving through a pipe are handled as they come.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum { READ_SIZE = 1 << 16 };

void
tclog_reader_init(struct tclog_reader *r, int fd, const char *name,
    size_t limit)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->limit = limit;
	r->next_line = 1;
}

void
tclog_reader_free(struct tclog_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* True when a read of fd would wait: nothing has arrived yet on a pipe,
 * a terminal or a socket (a file is always ready). */
static bool
would_block(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* Reads more input after buf[tail]; returns bytes read, 0 at EOF, -1.
 * Before a read that would wait, what was written so far goes out, so
 * that a live pipeline (tail -f log | tclog-filter | tclog-cat -p) shows
 * each record as it comes, while a file is read at full speed. */
static ssize_t
fill(struct tclog_reader *r)
{
	ssize_t n;

	if (r->head > 0) {	/* move the partial line to the front */
		memmove(r->buf, r->buf + r->head, r->tail - r->head);
		r->base += r->head;
		r->tail -= r->head;
		r->head = 0;
	}
	if (r->cap - r->tail < READ_SIZE)	/* 4 reads' room at first */
		r->buf = tclog_grow(r->buf, &r->cap, r->cap ? r->tail +
		    READ_SIZE : 4 * READ_SIZE, 1);
	if (would_block(r->fd))
		tclog_flush();
	do
		n = read(r->fd, r->buf + r->tail, r->cap - r->tail);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		r->tail += (size_t)n;
	else if (n == 0)
		r->eof = true;
	return n;
}

/* Drops input up to and including the next LF. Returns 0, or -1. */
static int
skip_line(struct tclog_reader *r)
{
	for (;;) {
		char *nl = memchr(r->buf + r->head, '\n', r->tail - r->head);

		if (nl != NULL) {
			r->head = (size_t)(nl - r->buf) + 1;
			return 0;
		}
		r->base += r->tail;
		r->head = r->tail = 0;	/* never keep an over-long line */
		if (r->eof)
			return 0;
		if (fill(r) < 0)
			return -1;
	}
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * The length of the byte order mark that starts a line of n bytes at s:
 * 3, or 0. Not only at the start of the input: logs joined with cat(1)
 * carry theirs to the start of a line inside, and a block of GNU
 * parallel --pipepart may begin at any line, so every line is read the
 * same way wherever it falls.
 */
static size_t
bom(const char *s, size_t n)
{
	return n >= 3 && memcmp(s, TCLOG_BOM, 3) == 0 ? 3 : 0;
}

enum tclog_read_status
tclog_reader_next(struct tclog_reader *r)
{
	if (r->buf == NULL && fill(r) < 0)	/* the first read */
		return TCLOG_READ_ERROR;
	for (;;) {
		/* no arithmetic on the NULL buffer of a reader never filled */
		char *start = r->buf != NULL ? r->buf + r->head : NULL;
		size_t avail = r->tail - r->head;
		char *nl = avail > r->scanned ?
		    memchr(start + r->scanned, '\n', avail - r->scanned) : NULL;
		size_t len, n;

		if (nl == NULL && !r->eof) {
			r->scanned = avail;
			/* One more than the limit: room for a CR that a
			 * following LF would drop (and a mark, dropped). */
			if (avail > r->limit && avail - r->limit > 1 +
			    bom(start, avail)) {
				r->line = r->next_line++;
				r->scanned = 0;
				if (skip_line(r) < 0)
					return TCLOG_READ_ERROR;
				return TCLOG_READ_TOO_LONG;
			}
			if (fill(r) < 0)
				return TCLOG_READ_ERROR;
			continue;
		}
		if (nl == NULL && avail == 0)
			return TCLOG_READ_EOF;

		r->scanned = 0;
		r->line = r->next_line++;
		r->unterminated = nl == NULL;
		len = nl != NULL ? (size_t)(nl - start) : avail;
		r->head += nl != NULL ? len + 1 : len;
		if (len > 0 && start[len - 1] == '\r')
			len--;
		n = bom(start, len);
		start += n;
		len -= n;
		r->offset = r->base + (size_t)(start - r->buf);
		/* the limit first: a long line is too long even when blank,
		 * as it is when found before its end arrives */
		if (len > r->limit)
			return TCLOG_READ_TOO_LONG;
		if (blank(start, len))
			continue;
		r->text = start;
		r->len = len;
		return TCLOG_READ_RECORD;
	}
}

bool
tclog_reader_record(struct tclog_reader *r, int *status)
{
	for (;;)
		switch (tclog_reader_next(r)) {
		case TCLOG_READ_RECORD:
			return true;
		case TCLOG_READ_TOO_LONG:
			tclog_diag(r->name, r->line, "record longer than the -L "
			    "limit (%zu bytes), skipped", r->limit);
			r->too_long++;
			tclog_status_raise(status, TCLOG_EXIT_BAD);
			break;
		case TCLOG_READ_ERROR:
			warn("%s: read error", r->name);
			tclog_status_raise(status, TCLOG_EXIT_FATAL);
			return false;
		case TCLOG_READ_EOF:
			return false;
		}
}

bool
tclog_nul_tail(const char *text, size_t len, struct tclog_buf *out)
{
	size_t n = 0;

	while (n < len && text[len - n - 1] == '\0')
		n++;
	if (n == 0)
		return false;
	if (n == len)
		tclog_buf_printf(out, "%zu NUL bytes, no record: the end of a "
		    "file cut while it was written", n);
	else
		tclog_buf_printf(out, "record cut short by %zu NUL bytes from "
		    "column %zu: the end of a file cut while it was written", n,
		    len - n + 1);
	return true;
}

/* ---- rules files ---- */

int
tclog_rules_open(struct tclog_rules_file *f, const char *path, size_t limit,
    const char *key_name, const char *value_name)
{
	*f = (struct tclog_rules_file){ .path = path, .key_name = key_name,
	    .value_name = value_name };
	f->fd = tclog_open_input(path);
	if (f->fd == -1)
		return -1;
	tclog_reader_init(&f->in, f->fd, tclog_input_name(path), limit);
	return 0;
}

void
tclog_rules_bad(struct tclog_rules_file *f, const char *why)
{
	tclog_diag(f->in.name, f->in.line, "malformed rule: %s", why);
	f->failed = true;
}

/* The next line that is not blank or a comment, or false. */
static bool
next_rule_line(struct tclog_rules_file *f)
{
	struct tclog_reader *r = &f->in;

	for (;;) {
		size_t i = 0;

		switch (tclog_reader_next(r)) {
		case TCLOG_READ_RECORD:
			break;
		case TCLOG_READ_TOO_LONG:
			tclog_diag(r->name, r->line, "malformed rule: longer "
			    "than the -L limit (%zu bytes)", r->limit);
			f->failed = true;
			return false;
		case TCLOG_READ_ERROR:
			warn("%s: read error", r->name);
			f->failed = true;
			return false;
		case TCLOG_READ_EOF:
			return false;
		}
		while (i < r->len && tclog_json_is_space(r->text[i]))
			i++;
		if (i < r->len && r->text[i] != '#')
			return true;
	}
}

bool
tclog_rules_next(struct tclog_rules_file *f)
{
	const char *tab;

	if (f->failed || !next_rule_line(f))
		return false;
	tab = memchr(f->in.text, '\t', f->in.len);
	if (tab == NULL) {
		tclog_diag(f->in.name, f->in.line, "malformed rule: no tab "
		    "between %s and %s", f->key_name, f->value_name);
		f->failed = true;
		return false;
	}
	f->key = f->in.text;
	f->key_len = (size_t)(tab - f->in.text);
	f->value = tab + 1;
	f->value_len = f->in.len - f->key_len - 1;
	return true;
}

int
tclog_rules_close(struct tclog_rules_file *f)
{
	tclog_reader_free(&f->in);
	tclog_close_input(f->path, f->fd);
	return f->failed ? -1 : 0;
}
