/*
 * tclog-cat - read tool-call logs and write them as compact JSON lines,
 * or as a review view for people (-p).
 *
 * Input may be JSON lines or any stream of white-space separated JSON
 * objects (pretty-printed entries, concatenated objects). yajl parses it
 * line by line with callbacks writing straight into a generator; a
 * record reaches stdout only once it is complete and good.
 */
#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "tclog.h"

struct cat {
	bool review;		/* -p */
	size_t limit;		/* -L */
	struct tclog_reader in;
	yajl_handle parser;	/* NULL between records after an error */
	yajl_gen gen;		/* holds the record being read */
	int depth;
	size_t value_end;	/* offset in the line just past its last record */
	struct tclog_keyset keys;	/* top-level keys of that record */
	struct tclog_buf why;	/* why a callback stopped the parse */
	unsigned long record_line;
	size_t record_col;	/* the column of its '{' (from 0) */
	size_t record_bytes;
	unsigned long nrecord;	/* records written */
	/* Records completed on the current line: written only once the
	 * whole line parses, since a line holding an error is bad as a
	 * whole. Each record ends with LF; start_line says where it began. */
	struct tclog_buf done;
	unsigned long *start_line;
	size_t ndone, start_line_cap;
	/* After an error inside an object, the lines up to the next one
	 * that starts a record (starts_record) are the rest of that bad
	 * record: skipped, so that none of its inner objects passes for a
	 * record. */
	bool skipping;
	unsigned long skip_first, skip_last;
	struct tclog_review rv;	/* -p: the view */
	struct tclog_buf text;
	int status;
};

#define OPTIONS "pwL:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-cat [-pw] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -p       write a review view for people, not JSON\n"
		    "  -w       with -p, show long outputs whole\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n");
}


/* ---- parsing ---- */

#define LONE_SURROGATE "a string holds a lone UTF-16 surrogate"
/* bytes yajl's looser check lets through: overlong forms, surrogates
 * written as UTF-8, code points past U+10FFFF */
#define BAD_UTF8 "a string holds invalid UTF-8"

/* Stops the parse with a reason (returns 0 for the callback). */
static int
stop(struct cat *c, const char *why)
{
	c->why.len = 0;
	tclog_buf_adds(&c->why, why);
	return 0;
}

static int
gen_status(struct cat *c, yajl_gen_status st)
{
	switch (st) {
	case yajl_gen_status_ok:
		return 1;
	case yajl_max_depth_exceeded:
		return stop(c, "nested deeper than 127 levels");
	case yajl_gen_invalid_string:
		return stop(c, LONE_SURROGATE);
	default:
		return stop(c, "cannot regenerate the record");
	}
}

/* A value at the top of the stream must be an object. */
#define TOP_MUST_BE_OBJECT(c) do { \
	if ((c)->depth == 0) \
		return stop((c), "not a JSON object"); \
} while (0)

static int
on_null(void *ctx)
{
	struct cat *c = ctx;

	TOP_MUST_BE_OBJECT(c);
	return gen_status(c, yajl_gen_null(c->gen));
}

static int
on_boolean(void *ctx, int b)
{
	struct cat *c = ctx;

	TOP_MUST_BE_OBJECT(c);
	return gen_status(c, yajl_gen_bool(c->gen, b));
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	struct cat *c = ctx;

	TOP_MUST_BE_OBJECT(c);
	return gen_status(c, yajl_gen_number(c->gen, s, n));
}

/*
 * yajl's decoder mangles UTF-16 surrogates that are not in pairs: a lone
 * high one becomes '?', a lone low one three bytes that are no UTF-8, a
 * high one before another \u escape a wrong character. Such strings are
 * refused. Only a string yajl decoded (it had escapes) is looked at: one
 * without escapes comes straight from the line.
 */
static bool
decoded(const struct cat *c, const unsigned char *s)
{
	uintptr_t p = (uintptr_t)s, text = (uintptr_t)c->in.text;

	return p < text || p >= text + c->in.len;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned)(p[i] <= '9' ? p[i] - '0' :
		    (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* True when the string token yajl has just read holds a \u escape of a
 * lone surrogate. The token lies whole in the current line (a string
 * cannot cross a line end) and ends where yajl stands. */
static bool
lone_surrogate(struct cat *c)
{
	const char *text = c->in.text, *p, *end;
	size_t close = yajl_get_bytes_consumed(c->parser), open = 0, i, bs;

	if (close == 0 || close > c->in.len || text[close - 1] != '"')
		return false;
	/* its opening quote: the first behind an even number of \ */
	for (i = close - 1;; i = open) {
		const char *q = memrchr(text, '"', i);

		if (q == NULL)
			return false;
		open = (size_t)(q - text);
		for (bs = 0; open - bs > 0 && text[open - bs - 1] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			break;
	}
	p = text + open + 1;
	end = text + close - 1;
	while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		unsigned cp, low;

		if (p[1] != 'u') {
			p += 2;
			continue;
		}
		cp = hex4(p + 2);
		p += 6;
		if (cp >= 0xdc00 && cp < 0xe000)
			return true;
		if (cp < 0xd800 || cp >= 0xdc00)
			continue;
		if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
			return true;
		low = hex4(p + 2);
		if (low < 0xdc00 || low >= 0xe000)
			return true;
		p += 6;
	}
	return false;
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct cat *c = ctx;

	TOP_MUST_BE_OBJECT(c);
	if (decoded(c, s) && lone_surrogate(c))
		return stop(c, LONE_SURROGATE);
	if (tclog_utf8_invalid((const char *)s, n) < n)
		return stop(c, BAD_UTF8);
	return gen_status(c, yajl_gen_string(c->gen, s, n));
}

static int
on_start_array(void *ctx)
{
	struct cat *c = ctx;

	if (c->depth == 0)
		return stop(c, TCLOG_ARRAY_NOT_RECORD);
	c->depth++;
	return gen_status(c, yajl_gen_array_open(c->gen));
}

static int
on_end_array(void *ctx)
{
	struct cat *c = ctx;

	c->depth--;
	return gen_status(c, yajl_gen_array_close(c->gen));
}

static int
on_start_map(void *ctx)
{
	struct cat *c = ctx;

	if (c->depth++ == 0) {
		c->record_line = c->in.line;
		c->record_col = yajl_get_bytes_consumed(c->parser) - 1;
		tclog_keyset_clear(&c->keys);
	}
	return gen_status(c, yajl_gen_map_open(c->gen));
}

static int
on_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct cat *c = ctx;

	if (decoded(c, key) && lone_surrogate(c))
		return stop(c, LONE_SURROGATE);
	if (tclog_utf8_invalid((const char *)key, n) < n)
		return stop(c, BAD_UTF8);
	if (c->depth == 1 && !tclog_keyset_add(&c->keys, (const char *)key,
	    n)) {
		c->why.len = 0;
		tclog_buf_adds(&c->why, "duplicate key ");
		tclog_json_put_visible_string(&c->why, (const char *)key, n);
		return 0;
	}
	return gen_status(c, yajl_gen_string(c->gen, key, n));
}

static int
on_end_map(void *ctx)
{
	struct cat *c = ctx;
	const unsigned char *out;
	size_t len;

	if (!gen_status(c, yajl_gen_map_close(c->gen)))
		return 0;
	if (--c->depth > 0)
		return 1;
	/* A whole record: it waits for the end of its line. */
	c->value_end = yajl_get_bytes_consumed(c->parser);
	yajl_gen_get_buf(c->gen, &out, &len);
	tclog_buf_add(&c->done, out, len);
	tclog_buf_addc(&c->done, '\n');
	c->start_line = tclog_grow(c->start_line, &c->start_line_cap,
	    c->ndone + 1, sizeof(*c->start_line));
	c->start_line[c->ndone++] = c->record_line;
	yajl_gen_clear(c->gen);
	yajl_gen_reset(c->gen, NULL);
	c->record_bytes = 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

/* Writes the records completed on the line just parsed. */
static void
write_done(struct cat *c)
{
	const char *p = c->done.data;

	if (!c->review)
		tclog_write(c->done.data, c->done.len);
	else
		for (size_t i = 0; i < c->ndone; i++) {
			const char *nl = memchr(p, '\n', c->done.len -
			    (size_t)(p - c->done.data));

			c->nrecord++;
			if (tclog_review_entry(&c->rv, p, (size_t)(nl - p),
			    c->nrecord, c->in.name, c->start_line[i]) != 0)
				errx(TCLOG_EXIT_FATAL, "cannot reread a record: %s",
				    c->rv.rec.error);
			tclog_write(c->rv.view.data, c->rv.view.len);
			p = nl + 1;
		}
	c->done.len = 0;
	c->ndone = 0;
}

/* Forgets the record being read. */
static void
drop_record(struct cat *c)
{
	if (c->parser != NULL)
		yajl_free(c->parser);
	c->parser = NULL;
	c->depth = 0;
	c->record_bytes = 0;
	c->done.len = 0;
	c->ndone = 0;
	yajl_gen_clear(c->gen);
	yajl_gen_reset(c->gen, NULL);
}

/* Diagnoses a bad record at line and drops it. Parsing resumes with a
 * new parser at the next line, or past the rest of the record when the
 * error struck inside an object begun on an earlier line. */
static void
bad_record(struct cat *c, unsigned long line, const char *fmt,
    const char *msg)
{
	tclog_diag(c->in.name, line, fmt, msg);
	tclog_status_raise(&c->status, TCLOG_EXIT_BAD);
	/* Only a record spread over lines has a rest to skip: in JSON
	 * lines, the next line is the next record. */
	c->skipping = c->depth > 0 && c->record_line < c->in.line;
	c->skip_first = 0;
	drop_record(c);
}

/* Counts a line as part of a bad record being skipped. */
static void
skip_line(struct cat *c)
{
	if (c->skip_first == 0)
		c->skip_first = c->in.line;
	c->skip_last = c->in.line;
}

/* Ends the skipping of a bad record's lines, saying which were skipped. */
static void
stop_skipping(struct cat *c)
{
	if (c->skipping && c->skip_first != 0)
		tclog_diag(c->in.name, c->skip_first, "skipped lines %lu-%lu, "
		    "the rest of the bad record", c->skip_first, c->skip_last);
	c->skipping = false;
}

static void
too_long(struct cat *c, unsigned long line)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "longer than the -L limit (%zu bytes)",
	    c->limit);
	bad_record(c, line, "record %s, skipped", msg);
}

/*
 * Whether a line starts a record while one is open (or being skipped):
 * its first character other than a blank is '{', indented no deeper
 * than the '{' of the open record. Pretty-printers indent nested
 * objects deeper than the record's own brace; a log whose every line
 * is indented (pasted, or quoted) has its records at the same depth.
 */
static bool
starts_record(const struct cat *c, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	return i < len && text[i] == '{' && i <= c->record_col;
}

/*
 * A line that starts a record while one is open: the open one was cut
 * short, as when a log read while its writer rewrote it is joined to
 * the next by cat(1). It is diagnosed and dropped wherever the cut
 * fell, and the line is read afresh.
 */
static void
cut_short(struct cat *c)
{
	c->text.len = 0;
	tclog_buf_printf(&c->text, "truncated record: line %lu starts the "
	    "next one", c->in.line);
	bad_record(c, c->record_line, "%s", tclog_buf_str(&c->text));
	c->skipping = false;
}

static void
parse_line(struct cat *c)
{
	const char *text = c->in.text;
	size_t len = c->in.len;
	bool at_line_end = false;
	yajl_status st;
	size_t col;

	if (c->skipping) {
		if (!starts_record(c, text, len)) {
			skip_line(c);
			return;
		}
		stop_skipping(c);
	}
	if (c->depth > 0 && starts_record(c, text, len))
		cut_short(c);
	if (c->parser == NULL) {
		c->parser = yajl_alloc(&callbacks, NULL, c);
		if (c->parser == NULL)
			tclog_out_of_memory();
		yajl_config(c->parser, yajl_allow_multiple_values, 1);
	}
	if (c->depth > 0) {
		c->record_bytes += len + 1;
		if (c->record_bytes > c->limit) {
			too_long(c, c->record_line);
			return;
		}
	} else
		c->record_bytes = len + 1;
	c->why.len = 0;
	c->value_end = 0;
	st = yajl_parse(c->parser, (const unsigned char *)text, len);
	/* The line end the reader took away still ends a token: without it
	 * "12" LF "34" would read as 1234. */
	if (st == yajl_status_ok && c->depth > 0 && !c->in.unterminated) {
		st = yajl_parse(c->parser, (const unsigned char *)"\n", 1);
		at_line_end = true;
	}
	/* Between records: finish this parser, so that a value the line
	 * ends with (a number) is seen now, not on a later line. */
	if (st == yajl_status_ok && c->depth == 0)
		st = yajl_complete_parse(c->parser);
	if (st == yajl_status_ok &&
	    (col = tclog_json_bad_space(text, len)) < len) {
		c->text.len = 0;
		tclog_buf_printf(&c->text, "invalid JSON at column %zu: %s",
		    col + 1, TCLOG_BAD_SPACE(text[col]));
		bad_record(c, c->in.line, "%s", tclog_buf_str(&c->text));
	} else if (st == yajl_status_ok && c->depth == 0 &&
	    (col = tclog_json_trailing(text, len, c->value_end)) < len) {
		c->text.len = 0;
		tclog_buf_printf(&c->text, "invalid JSON at column %zu: "
		    TCLOG_TRAILING_GARBAGE, col + 1);
		bad_record(c, c->in.line, "%s", tclog_buf_str(&c->text));
	} else if (st == yajl_status_ok) {
		write_done(c);
		if (c->depth == 0)
			drop_record(c);
	} else if (st == yajl_status_client_canceled) {
		bad_record(c, c->in.line, "%s", tclog_buf_str(&c->why));
		/* A line of just "[" opens a pretty-printed array (jq -s):
		 * its elements are the rest of the bad record too. */
		tclog_json_trim(&text, &len);
		if (!c->skipping && len == 1 && text[0] == '[') {
			c->skipping = true;
			c->record_col = (size_t)(text - c->in.text);
		}
	}
	else {
		col = yajl_get_bytes_consumed(c->parser);
		c->text.len = 0;
		if (!tclog_nul_tail(text, len, &c->text)) {
			if (at_line_end)
				tclog_buf_adds(&c->text,
				    "invalid JSON at end of line: ");
			else
				tclog_buf_printf(&c->text,
				    "invalid JSON at column %zu: ", col ? col : 1);
			tclog_yajl_message(c->parser, text, len, &c->text);
		}
		bad_record(c, c->in.line, "%s", tclog_buf_str(&c->text));
	}
}

/* At the end of a file: a record still open was cut short. */
static void
finish_file(struct cat *c)
{
	if (c->parser != NULL)	/* kept only inside a record */
		bad_record(c, c->record_line, "%s",
		    "truncated record at end of input");
	stop_skipping(c);
}

static void
cat_file(struct cat *c, int fd, const char *name)
{
	enum tclog_read_status st;

	tclog_reader_init(&c->in, fd, name, c->limit);
	while ((st = tclog_reader_next(&c->in)) != TCLOG_READ_EOF) {
		if (st == TCLOG_READ_RECORD)
			parse_line(c);
		else if (st == TCLOG_READ_TOO_LONG && c->skipping)
			skip_line(c);
		else if (st == TCLOG_READ_TOO_LONG)
			too_long(c, c->parser ? c->record_line : c->in.line);
		else {
			warn("%s: read error", name);
			tclog_status_raise(&c->status, TCLOG_EXIT_FATAL);
			break;
		}
	}
	finish_file(c);
	tclog_reader_free(&c->in);
}

/* Sets c up from the options: optind, or TCLOG_OPT_* (diagnosed). */
static int
options(struct cat *c, int argc, char *argv[])
{
	int ch;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	while ((ch = tclog_getopt(argc, argv, OPTIONS, &c->limit)) >= 0) {
		switch (ch) {
		case 'p':
			c->review = true;
			break;
		case 'w':
			c->rv.whole = true;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	return optind;
}

/* Copies the inputs (argv: the operands); the exit status. */
static int
run(struct cat *c, int argc, char *argv[])
{
	struct tclog_inputs in;

	if (c->review)
		tclog_review_colour(&c->rv,
		    tclog_review_wants_colour(STDOUT_FILENO));
	c->gen = yajl_gen_alloc(NULL);
	if (c->gen == NULL)
		tclog_out_of_memory();
	yajl_gen_config(c->gen, yajl_gen_validate_utf8, 1);
	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &c->status))
		cat_file(c, in.fd, in.name);
	yajl_gen_free(c->gen);
	return tclog_finish_output(c->status);
}

int
main(int argc, char *argv[])
{
	struct cat c = { .limit = TCLOG_DEFAULT_LIMIT };
	int first, status;

	tclog_start();
	tclog_review_init(&c.rv);
	if ((first = options(&c, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&c, argc - first, argv + first);
	tclog_keyset_free(&c.keys);
	tclog_buf_free(&c.why);
	tclog_review_free(&c.rv);
	TCLOG_BUFS_FREE(&c.text, &c.done);
	free(c.start_line);
	return status;
}
