/*
 * The review view of an entry, for people: tclog-cat -p and tclog-rate.
 *
 * One labelled field a line, the response's calls with the executed one
 * marked, arguments pretty-printed, control characters shown as ^X so
 * that a log cannot drive the terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "tclog.h"

void
tclog_review_init(struct tclog_review *c)
{
	memset(c, 0, sizeof(*c));
	tclog_record_init(&c->rec);
}

void
tclog_review_free(struct tclog_review *c)
{
	tclog_record_free(&c->rec);
	tclog_buf_free(&c->view);
	tclog_buf_free(&c->text);
	tclog_buf_free(&c->entry_name);
	tclog_buf_free(&c->entry_args);
	tclog_buf_free(&c->call_name);
	tclog_buf_free(&c->call_args);
}

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
view_field(struct tclog_review *c, const char *label, const char *value, size_t len)
{
	tclog_buf_printf(&c->view, "  %-8s ", label);
	c->text.len = 0;
	if (tclog_json_string(value, len, &c->text) == 0)
		view_text(&c->view, c->text.data, c->text.len, INDENT);
	else
		view_text(&c->view, value, len, INDENT);
}

static void
view_named(struct tclog_review *c, const char *label, const char *key)
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
view_json(struct tclog_review *c, const char *s, size_t n)
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
view_call(struct tclog_review *c, const char *label, const char *name,
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
is_entry_call(struct tclog_review *c, const struct tclog_tool_calls *tc)
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
view_response_calls(struct tclog_review *c, const char *value, size_t len,
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
view_rating(struct tclog_review *c)
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

int
tclog_review_entry(struct tclog_review *c, const char *json, size_t len,
    unsigned long number, const char *name, unsigned long line)
{
	const struct tclog_field *f, *args;
	bool reconstructed, has_calls = false;

	if (tclog_record_parse(&c->rec, json, len, false) != 0)
		return -1;
	c->view.len = 0;
	tclog_buf_printf(&c->view, "#%lu  %s:%lu\n", number, name, line);
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
	return 0;
}
