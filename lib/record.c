/*
 * The record parser: one JSON object per call, over yajl's callback API.
 *
 * No string callback is registered: with one, yajl decodes every string
 * it meets, which costs more than the parse itself. Instead the top-level
 * keys come from the map-key callback and each value's raw text is
 * located from yajl's byte offsets: a value starts after its key's colon
 * and ends before the comma ahead of the next key (or the closing brace).
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "tclog.h"

/* Position just past the value that ends before *stop (a key's opening
 * quote or the closing brace): back over white space and one comma. */
static size_t
value_end(const char *text, size_t stop, bool before_key)
{
	while (stop > 0 && tclog_json_is_space(text[stop - 1]))
		stop--;
	if (before_key) {
		stop--;		/* the comma */
		while (stop > 0 && tclog_json_is_space(text[stop - 1]))
			stop--;
	}
	return stop;
}

/* The opening quote of the string whose closing quote is at close. In
 * valid JSON every quote inside a string follows an odd number of
 * backslashes, so the first quote behind an even number is the opening. */
static size_t
string_start(const char *text, size_t close)
{
	size_t i = close;

	for (;;) {
		size_t bs = 0;

		i--;
		while (text[i] != '"')
			i--;
		while (i - bs > 0 && text[i - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return i;
	}
}

static void
close_field(struct tclog_record *rec, size_t end)
{
	struct tclog_field *f;

	if (rec->nfield == 0)
		return;
	f = &rec->field[rec->nfield - 1];
	f->value_len = end - (size_t)(f->value - rec->text);
}

static size_t
offset(struct tclog_record *rec)
{
	return yajl_get_bytes_consumed(rec->yajl);
}

static int
on_start_map(void *ctx)
{
	struct tclog_record *rec = ctx;

	if (rec->depth++ == 0)
		rec->is_object = true;
	return 1;
}

static int
on_end_map(void *ctx)
{
	struct tclog_record *rec = ctx;

	if (--rec->depth == 0) {
		rec->end = offset(rec);
		close_field(rec, value_end(rec->text, rec->end - 1, false));
	}
	return 1;
}

static int
on_start_array(void *ctx)
{
	struct tclog_record *rec = ctx;

	return rec->depth++ > 0;	/* an array at the top: not a record */
}

static int
on_end_array(void *ctx)
{
	struct tclog_record *rec = ctx;

	rec->depth--;
	return 1;
}

static int
on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct tclog_record *rec = ctx;
	size_t after, start;
	struct tclog_field *f;

	if (rec->depth != 1)
		return 1;
	after = offset(rec);	/* just past the key's closing quote */
	start = string_start(rec->text, after - 1);
	close_field(rec, value_end(rec->text, start, true));

	if (!tclog_keyset_add(&rec->keys, (const char *)key, len)) {
		tclog_buf_adds(&rec->errbuf, "duplicate key ");
		tclog_json_put_visible_string(&rec->errbuf, (const char *)key,
		    len);
		rec->dup = true;
		return 0;
	}
	if (rec->nfield == rec->field_cap) {
		rec->field_cap = rec->field_cap ? rec->field_cap * 2 : 16;
		rec->field = tclog_xrealloc(rec->field,
		    rec->field_cap * sizeof(*rec->field));
	}
	f = &rec->field[rec->nfield++];
	f->key = NULL;		/* set once the key set stops moving */
	f->key_len = len;
	/* The value follows the colon. yajl checks that colon only after
	 * this callback, so the text may end first. */
	while (after < rec->len && tclog_json_is_space(rec->text[after]))
		after++;
	if (after < rec->len)
		after++;
	while (after < rec->len && tclog_json_is_space(rec->text[after]))
		after++;
	f->value = rec->text + after;
	f->value_len = 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

void
tclog_record_init(struct tclog_record *rec)
{
	memset(rec, 0, sizeof(*rec));
}

/* Sets rec->error from yajl's message, with where it happened. */
static void
yajl_failure(struct tclog_record *rec, yajl_handle h, bool at_end,
    bool unterminated)
{
	const char *t = rec->text;
	size_t n = rec->len;

	rec->errbuf.len = 0;
	if (at_end && unterminated) {
		/* A writer cut short: say so, as tclog-cat does. */
		tclog_buf_adds(&rec->errbuf, "truncated record at end of input");
		return;
	}
	tclog_json_trim(&t, &n);
	if (at_end && n == 1 && t[0] == '{') {
		/* the first line of a pretty-printed record: say the cure
		 * once, rather than leave it to the next lines' errors */
		tclog_buf_adds(&rec->errbuf, "a record spread over lines "
		    "(pretty-printed?): tclog-cat writes each on one line");
		return;
	}
	if (at_end)
		tclog_buf_adds(&rec->errbuf, "invalid JSON at end of line: ");
	else
		tclog_buf_printf(&rec->errbuf, "invalid JSON at column %zu: ",
		    offset(rec) ? offset(rec) : 1);
	tclog_yajl_message(h, rec->text, rec->len, &rec->errbuf);
}

int
tclog_record_parse(struct tclog_record *rec, const char *text, size_t len,
    bool unterminated)
{
	yajl_handle h;
	yajl_status st;
	bool at_end = false;
	size_t bad;

	rec->text = text;
	rec->len = len;
	rec->nfield = 0;
	rec->depth = 0;
	rec->end = 0;
	rec->is_object = rec->dup = false;
	rec->error = NULL;
	rec->errbuf.len = 0;
	tclog_keyset_clear(&rec->keys);

	h = yajl_alloc(&callbacks, NULL, rec);
	if (h == NULL)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	rec->yajl = h;
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at_end = true;
	}

	if (st == yajl_status_client_canceled) {
		if (rec->dup)
			;	/* on_map_key said which key */
		else if (rec->depth > 0)	/* on_start_array at the top */
			tclog_buf_adds(&rec->errbuf, TCLOG_ARRAY_NOT_RECORD);
		else
			tclog_buf_adds(&rec->errbuf, "not a JSON object");
	} else if (st != yajl_status_ok) {
		if (!tclog_nul_tail(text, len, &rec->errbuf))
			yajl_failure(rec, h, at_end, unterminated);
	} else if ((bad = tclog_json_bad_space(text, len)) < len) {
		tclog_buf_printf(&rec->errbuf, "invalid JSON at column %zu: %s",
		    bad + 1, TCLOG_BAD_SPACE(text[bad]));
	} else if (!rec->is_object) {
		tclog_buf_adds(&rec->errbuf, "not a JSON object");
	} else if ((bad = tclog_json_trailing(text, len, rec->end)) < len) {
		tclog_buf_printf(&rec->errbuf, "invalid JSON at column %zu: "
		    TCLOG_TRAILING_GARBAGE, bad + 1);
	} else if ((bad = tclog_utf8_invalid(text, len)) < len) {
		/* what yajl's looser check let through */
		tclog_buf_printf(&rec->errbuf,
		    "invalid JSON at column %zu: invalid UTF-8", bad + 1);
	}
	yajl_free(h);
	rec->yajl = NULL;
	if (rec->errbuf.len > 0) {
		rec->error = tclog_buf_str(&rec->errbuf);
		return -1;
	}
	for (size_t i = 0; i < rec->nfield; i++)
		rec->field[i].key = tclog_keyset_key(&rec->keys, i);
	return 0;
}

const struct tclog_field *
tclog_record_get(const struct tclog_record *rec, const char *key)
{
	size_t len = strlen(key);

	for (size_t i = 0; i < rec->nfield; i++)
		if (rec->field[i].key_len == len &&
		    memcmp(rec->field[i].key, key, len) == 0)
			return &rec->field[i];
	return NULL;
}

void
tclog_record_set_rating(const struct tclog_record *rec, int rating,
    struct tclog_buf *out)
{
	const char *text = rec->text;
	const struct tclog_field *f;
	char digit = (char)('0' + rating);
	size_t at;

	if ((f = tclog_record_get(rec, "rating")) != NULL) {
		at = (size_t)(f->value - text);
		tclog_buf_add(out, text, at);
		tclog_buf_addc(out, digit);
		at += f->value_len;
		tclog_buf_add(out, text + at, rec->len - at);
		return;
	}
	f = tclog_record_get(rec, "tools_enabled");
	if (f != NULL && f != &rec->field[rec->nfield - 1])
		at = (size_t)(f->value - text) + f->value_len;
	else
		at = rec->end - 1;	/* the closing brace */
	tclog_buf_add(out, text, at);
	if (rec->nfield > 0)
		tclog_buf_addc(out, ',');
	tclog_buf_printf(out, "\"rating\":%c", digit);
	tclog_buf_add(out, text + at, rec->len - at);
}

int
tclog_field_rating(const struct tclog_field *f, struct tclog_buf *why)
{
	long long n;

	if (f == NULL || tclog_json_type(f->value, f->value_len) ==
	    TCLOG_JSON_NULL)
		return 0;
	if (tclog_json_integer(f->value, f->value_len, &n) == 0 && n >= 0 &&
	    n <= 5)
		return (int)n;
	if (why != NULL) {
		why->len = 0;
		tclog_buf_adds(why, "rating ");
		tclog_json_excerpt(why, f->value, f->value_len);
		tclog_buf_adds(why, " is not an integer from 0 to 5");
	}
	return TCLOG_RATING_BAD;
}

void
tclog_record_free(struct tclog_record *rec)
{
	free(rec->field);
	tclog_keyset_free(&rec->keys);
	tclog_buf_free(&rec->errbuf);
	memset(rec, 0, sizeof(*rec));
}

unsigned
tclog_made_up(const char *value, size_t len)
{
	struct tclog_json_iter it;
	const char *e;
	size_t elen;
	unsigned made_up = 0;

	if (value == NULL)
		return 0;
	if (tclog_json_is_true(value, len))	/* earlier output: both */
		return TCLOG_MADE_UP_QUERY | TCLOG_MADE_UP_RESPONSE;
	if (tclog_json_type(value, len) != TCLOG_JSON_ARRAY)
		return 0;
	tclog_json_iter_init(&it, value, len);
	while (tclog_json_next_element(&it, &e, &elen)) {
		if (tclog_json_type(e, elen) != TCLOG_JSON_STRING)
			continue;
		if (tclog_json_key_is(e, elen, "user_query"))
			made_up |= TCLOG_MADE_UP_QUERY;
		else if (tclog_json_key_is(e, elen, "model_response"))
			made_up |= TCLOG_MADE_UP_RESPONSE;
	}
	return made_up;
}

/* Absent, null or a string: the values the logger can have written. */
static bool
string_or_null(const struct tclog_field *f)
{
	enum tclog_json_type type;

	if (f == NULL)
		return true;
	type = tclog_json_type(f->value, f->value_len);
	return type == TCLOG_JSON_STRING || type == TCLOG_JSON_NULL;
}

const char *
tclog_upgrade_refusal(const struct tclog_record *rec)
{
	const struct tclog_field *tool = tclog_record_get(rec, "tool_name");

	if (tool == NULL)
		return "no tool_name";
	if (tclog_json_type(tool->value, tool->value_len) != TCLOG_JSON_STRING)
		return "tool_name is not a string";
	/* Not the logger's: replacing it would lose data. */
	if (!string_or_null(tclog_record_get(rec, "user_query")))
		return "user_query is not a string";
	if (!string_or_null(tclog_record_get(rec, "model_response")))
		return "model_response is not a string";
	return NULL;
}
