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
	struct tclog_keyset keys;	/* top-level keys of that record */
	struct tclog_buf why;	/* why a callback stopped the parse */
	unsigned long record_line;
	size_t record_bytes;
	unsigned long nrecord;	/* records written */
	/* Records completed on the current line: written only once the
	 * whole line parses, since a line holding an error is bad as a
	 * whole. Each record ends with LF; start_line says where it began. */
	struct tclog_buf done;
	unsigned long *start_line;
	size_t ndone, start_line_cap;
	/* After an error inside an object, the lines up to the next one
	 * that begins with '{' are the rest of that bad record: skipped,
	 * so that none of its inner objects passes for a record. */
	bool skipping;
	unsigned long skip_first, skip_last;
	struct tclog_record rec;	/* -p: the record to show */
	bool has_entry_call;	/* it has a tool_name and arguments: */
	struct tclog_buf entry_name, entry_args;	/* decoded */
	bool entry_args_json;
	struct tclog_buf call_name, call_args;	/* a response's call */
	bool call_args_json;
	struct tclog_buf view, text;
	int status;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-cat [-p] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -p       write a review view for people, not JSON\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n");
}

/* ---- the review view (-p) ---- */

/* Appends text, each line after the first indented, control characters
 * shown as ^X so that a log cannot drive the terminal. */
static void
view_text(struct tclog_buf *b, const char *s, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && i + 1 < n) {
			tclog_buf_addc(b, '\n');
			tclog_buf_adds(b, indent);
		} else if (c == '\n' || c == '\t') {
			if (c == '\t')
				tclog_buf_addc(b, '\t');
		} else if (c < 0x20 || c == 0x7f) {
			tclog_buf_addc(b, '^');
			tclog_buf_addc(b, c == 0x7f ? '?' : (char)(c + '@'));
		} else
			tclog_buf_addc(b, (char)c);
	}
	tclog_buf_addc(b, '\n');
}

#define INDENT "           "

/* A labelled line: the field's string value, or its JSON text. */
static void
view_field(struct cat *c, const char *label, const char *value, size_t len)
{
	tclog_buf_printf(&c->view, "  %-8s ", label);
	c->text.len = 0;
	if (tclog_json_string(value, len, &c->text) == 0)
		view_text(&c->view, c->text.data, c->text.len, INDENT);
	else
		view_text(&c->view, value, len, INDENT);
}

static void
view_named(struct cat *c, const char *label, const char *key)
{
	const struct tclog_field *f = tclog_record_get(&c->rec, key);

	if (f != NULL && !tclog_json_is_empty_string(f->value, f->value_len))
		view_field(c, label, f->value, f->value_len);
}

/* Appends a validated JSON value, objects and arrays one member a line.
 * Past a sane depth the rest is written as it is. */
static void
pretty(struct tclog_buf *b, const char *v, size_t n, int level)
{
	enum tclog_json_type type = tclog_json_type(v, n);
	struct tclog_json_iter it;
	const char *k, *e;
	size_t klen, elen;
	bool empty = true;

	if ((type != TCLOG_JSON_OBJECT && type != TCLOG_JSON_ARRAY) ||
	    level > 64) {
		tclog_buf_add(b, v, n);
		return;
	}
	tclog_buf_addc(b, v[0]);
	tclog_json_iter_init(&it, v, n);
	while (type == TCLOG_JSON_OBJECT ?
	    tclog_json_next_member(&it, &k, &klen, &e, &elen) :
	    tclog_json_next_element(&it, &e, &elen)) {
		tclog_buf_adds(b, empty ? "\n" : ",\n");
		for (int i = 0; i <= level; i++)
			tclog_buf_adds(b, "    ");
		if (type == TCLOG_JSON_OBJECT) {
			tclog_buf_add(b, k, klen);
			tclog_buf_adds(b, ": ");
		}
		pretty(b, e, elen, level + 1);
		empty = false;
	}
	if (!empty) {
		tclog_buf_addc(b, '\n');
		for (int i = 0; i < level; i++)
			tclog_buf_adds(b, "    ");
	}
	tclog_buf_addc(b, type == TCLOG_JSON_OBJECT ? '}' : ']');
}

/* Shows arguments pretty-printed; text that is not JSON as it is. */
static void
view_json(struct cat *c, const char *s, size_t n)
{
	struct tclog_buf out = { 0 };

	if (tclog_json_check(s, n, false, &out) == 0) {
		out.len = 0;
		tclog_json_trim(&s, &n);
		pretty(&out, s, n, 0);
		view_text(&c->view, out.data, out.len, INDENT);
	} else
		view_text(&c->view, s, n, INDENT);
	tclog_buf_free(&out);
}

static void
view_call(struct cat *c, const char *label, const char *name,
    size_t name_len, const char *args, size_t args_len)
{
	tclog_buf_printf(&c->view, "  %-8s ", label);
	c->text.len = 0;
	if (tclog_json_string(name, name_len, &c->text) == 0)
		view_text(&c->view, c->text.data, c->text.len, INDENT);
	else
		view_text(&c->view, name, name_len, INDENT);
	tclog_buf_adds(&c->view, INDENT);
	c->text.len = 0;
	if (tclog_json_string(args, args_len, &c->text) == 0)
		view_json(c, c->text.data, c->text.len);
	else
		view_json(c, args, args_len);
}

/* Whether a call of the response is the entry's, by the rule that
 * tclog-qwen pairs them with. */
static bool
is_entry_call(struct cat *c, const struct tclog_tool_calls *tc)
{
	if (!c->has_entry_call)
		return false;
	c->call_name.len = 0;
	tclog_json_string(tc->name, tc->name_len, &c->call_name);
	tclog_call_args(&c->call_args, &c->call_args_json, tc->args,
	    tc->args_len);
	return tclog_call_same(c->call_name.data, c->call_name.len,
	    c->call_args.data, c->call_args.len, c->call_args_json,
	    c->entry_name.data, c->entry_name.len, c->entry_args.data,
	    c->entry_args.len, c->entry_args_json);
}

/* The calls of model_response, the executed one labelled "call" and the
 * others "parallel". *has_calls says whether it has any; false when none
 * is the executed one. */
static bool
view_response_calls(struct cat *c, const char *value, size_t len,
    bool *has_calls)
{
	struct tclog_buf resp = { 0 }, err = { 0 };
	struct tclog_json_iter it;
	struct tclog_tool_calls tc;
	const char *k, *v, *calls = NULL, *content = NULL;
	size_t klen, vlen, calls_len = 0, content_len = 0;
	bool shown = false;

	if (tclog_json_string(value, len, &resp) != 0 ||
	    tclog_json_check(resp.data, resp.len, true, &err) != 0)
		goto done;
	tclog_json_iter_init(&it, resp.data, resp.len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (tclog_json_key_is(k, klen, "tool_calls") &&
		    tclog_json_type(v, vlen) == TCLOG_JSON_ARRAY) {
			calls = v;
			calls_len = vlen;
		} else if (tclog_json_key_is(k, klen, "content")) {
			content = v;
			content_len = vlen;
		}
	}
	if (content != NULL && !tclog_json_is_empty_string(content,
	    content_len) && tclog_json_type(content, content_len) ==
	    TCLOG_JSON_STRING)
		view_field(c, "reply", content, content_len);
	if (calls == NULL)
		goto done;
	tclog_tool_calls_init(&tc, calls, calls_len);
	while (tclog_tool_calls_next(&tc)) {
		const char *args = tc.args ? tc.args : "{}";
		size_t args_len = tc.args ? tc.args_len : 2;
		bool mine = !shown && is_entry_call(c, &tc);

		*has_calls = true;
		view_call(c, mine ? "call" : "parallel", tc.name, tc.name_len,
		    args, args_len);
		shown = shown || mine;
	}
done:
	tclog_buf_free(&resp);
	tclog_buf_free(&err);
	return shown;
}

static void
view_rating(struct cat *c)
{
	static const char *const stars[] = { "", "★☆☆☆☆", "★★☆☆☆",
	    "★★★☆☆", "★★★★☆", "★★★★★" };
	const struct tclog_field *f = tclog_record_get(&c->rec, "rating");
	long long n = 0;

	if (f != NULL && tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_NULL && tclog_json_integer(f->value, f->value_len,
	    &n) != 0)
		n = -1;
	if (n == 0)
		tclog_buf_printf(&c->view, "  %-8s unrated\n", "rating");
	else if (n >= 1 && n <= 5)
		tclog_buf_printf(&c->view, "  %-8s %s %lld/5\n", "rating",
		    stars[n], n);
	else
		tclog_buf_printf(&c->view, "  %-8s not 1-5: %.*s\n", "rating",
		    (int)f->value_len, f->value);
}

static void
view_record(struct cat *c, const char *json, size_t len, unsigned long line)
{
	const struct tclog_field *f, *args;
	bool reconstructed, has_calls = false;

	if (tclog_record_parse(&c->rec, json, len, false) != 0)
		errx(TCLOG_EXIT_FATAL, "cannot reread a record: %s",
		    c->rec.error);
	c->view.len = 0;
	tclog_buf_printf(&c->view, "#%lu  %s:%lu\n", c->nrecord,
	    c->in.name, line);
	view_named(c, "time", "timestamp");
	view_named(c, "model", "model");
	view_rating(c);
	view_named(c, "status", "status");
	view_named(c, "message", "message");
	f = tclog_record_get(&c->rec, "reconstructed");
	reconstructed = f != NULL && tclog_json_is_true(f->value,
	    f->value_len);
	/* A made-up query must not pass for the user's words. */
	if ((f = tclog_record_get(&c->rec, "user_query")) != NULL &&
	    !tclog_json_is_empty_string(f->value, f->value_len))
		view_field(c, reconstructed ? "query*" : "query", f->value,
		    f->value_len);
	else
		tclog_buf_printf(&c->view, "  %-8s (none: old-format entry)\n",
		    "query");
	f = tclog_record_get(&c->rec, "tool_name");
	args = tclog_record_get(&c->rec, "arguments");
	c->has_entry_call = f != NULL && args != NULL;
	if (c->has_entry_call) {
		c->entry_name.len = 0;
		if (tclog_json_string(f->value, f->value_len,
		    &c->entry_name) != 0)
			c->has_entry_call = false;
		tclog_call_args(&c->entry_args, &c->entry_args_json,
		    args->value, args->value_len);
	}
	f = tclog_record_get(&c->rec, "model_response");
	if (f == NULL || !view_response_calls(c, f->value, f->value_len,
	    &has_calls)) {
		f = tclog_record_get(&c->rec, "tool_name");
		if (f != NULL)
			view_call(c, "call", f->value, f->value_len,
			    args ? args->value : "{}", args ? args->value_len : 2);
		if (f != NULL && has_calls)
			tclog_buf_printf(&c->view, "  %-8s not one of the "
			    "response's calls\n", "!");
	}
	view_named(c, "error", "error_details");
	view_named(c, "output", "output");
	if (reconstructed)
		tclog_buf_adds(&c->view, "  * made up by tclog-upgrade, not "
		    "the user's words\n");
	tclog_buf_addc(&c->view, '\n');
	tclog_write(c->view.data, c->view.len);
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
		tclog_json_put_string(&c->why, (const char *)key, n);
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
	yajl_gen_get_buf(c->gen, &out, &len);
	tclog_buf_add(&c->done, out, len);
	tclog_buf_addc(&c->done, '\n');
	if (c->ndone == c->start_line_cap) {
		c->start_line_cap = c->start_line_cap ? 2 * c->start_line_cap : 8;
		c->start_line = tclog_xrealloc(c->start_line,
		    c->start_line_cap * sizeof(*c->start_line));
	}
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
			view_record(c, p, (size_t)(nl - p), c->start_line[i]);
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

static void
parse_line(struct cat *c)
{
	const char *text = c->in.text;
	size_t len = c->in.len;
	bool at_line_end = false;
	yajl_status st;

	if (c->skipping) {
		if (text[0] != '{') {
			skip_line(c);
			return;
		}
		stop_skipping(c);
	}
	if (c->parser == NULL) {
		c->parser = yajl_alloc(&callbacks, NULL, c);
		if (c->parser == NULL)
			errx(TCLOG_EXIT_FATAL, "out of memory");
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
	if (st == yajl_status_ok) {
		write_done(c);
		if (c->depth == 0)
			drop_record(c);
	} else if (st == yajl_status_client_canceled) {
		bad_record(c, c->in.line, "%s", tclog_buf_str(&c->why));
		/* A line of just "[" opens a pretty-printed array (jq -s):
		 * its elements are the rest of the bad record too. */
		tclog_json_trim(&text, &len);
		c->skipping = c->skipping || (len == 1 && text[0] == '[');
	}
	else {
		size_t col = yajl_get_bytes_consumed(c->parser);

		if (col == 0 && !at_line_end && text[0] == '{' &&
		    c->depth == 1 && c->record_line < c->in.line) {
			/* A record begins where the open one wanted its next
			 * member: that one was cut short (a truncated log
			 * joined to the next one), and this line is read
			 * afresh. */
			c->text.len = 0;
			tclog_buf_printf(&c->text, "truncated record: line %lu "
			    "starts the next one", c->in.line);
			bad_record(c, c->record_line, "%s",
			    tclog_buf_str(&c->text));
			c->skipping = false;
			parse_line(c);
			return;
		}
		c->text.len = 0;
		if (at_line_end)
			tclog_buf_adds(&c->text, "invalid JSON at end of line: ");
		else
			tclog_buf_printf(&c->text,
			    "invalid JSON at column %zu: ", col ? col : 1);
		tclog_yajl_message(c->parser, text, len, &c->text);
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

int
main(int argc, char *argv[])
{
	struct cat c = { .limit = TCLOG_DEFAULT_LIMIT };
	struct tclog_inputs in;
	int ch, status;

	tclog_start();
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return tclog_close_output();
	}
	while ((ch = getopt(argc, argv, "pL:")) != -1) {
		switch (ch) {
		case 'p':
			c.review = true;
			break;
		case 'L':
			if (tclog_parse_size(optarg, &c.limit) != 0) {
				warnx("-L: not " TCLOG_SIZE_SYNTAX ": %s",
				    optarg);
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		default:
			usage(stderr);
			return TCLOG_EXIT_FATAL;
		}
	}
	argc -= optind;
	argv += optind;

	c.gen = yajl_gen_alloc(NULL);
	if (c.gen == NULL)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	yajl_gen_config(c.gen, yajl_gen_validate_utf8, 1);
	tclog_record_init(&c.rec);

	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &c.status))
		cat_file(&c, in.fd, in.name);

	yajl_gen_free(c.gen);
	tclog_keyset_free(&c.keys);
	tclog_record_free(&c.rec);
	tclog_buf_free(&c.why);
	tclog_buf_free(&c.view);
	tclog_buf_free(&c.text);
	tclog_buf_free(&c.done);
	tclog_buf_free(&c.entry_name);
	tclog_buf_free(&c.entry_args);
	tclog_buf_free(&c.call_name);
	tclog_buf_free(&c.call_args);
	free(c.start_line);
	status = tclog_close_output();
	return status > c.status ? status : c.status;
}
