/*
 * The review view of an entry, for people: tclog-cat -p and tclog-rate.
 *
 * One labelled field a line, the response's calls with the executed one
 * marked (paired by tclog_call_same, as tclog-qwen pairs them), string
 * arguments with line ends as indented text, long outputs cut, colour on
 * a terminal, and nothing of the log that could drive the terminal:
 * control characters shown as ^X, C1 controls and bidirectional
 * overrides as <U+XXXX>.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void
tclog_review_init(struct tclog_review *c)
{
	memset(c, 0, sizeof(*c));
	tclog_record_init(&c->rec);
	tclog_review_colour(c, false);
}

void
tclog_review_free(struct tclog_review *c)
{
	tclog_record_free(&c->rec);
	TCLOG_BUFS_FREE(&c->view, &c->text, &c->entry_name, &c->entry_args,
	    &c->call_name, &c->call_args);
}

/* Appends text as tclog_visible shows it, each line after the first
 * indented, and ends the line. */
static void
view_text(struct tclog_buf *b, const char *s, size_t n, const char *indent)
{
	tclog_visible(b, s, n, indent);
	tclog_buf_addc(b, '\n');
}

#define INDENT "           "

/* Colour only for a person at a terminal who has not asked for none
 * (https://no-color.org: NO_COLOR set and not empty). */
bool
tclog_review_wants_colour(int fd)
{
	const char *no = getenv("NO_COLOR");

	return (no == NULL || *no == '\0') && isatty(fd);
}

void
tclog_review_colour(struct tclog_review *c, bool on)
{
	if (!on)
		c->pal = (struct tclog_palette){ "", "", "", "", "", "", "" };
	else
		c->pal = (struct tclog_palette){ .head = "\033[1m",
		    .label = "\033[36m", .good = "\033[32m", .bad = "\033[31m",
		    .warn = "\033[33m", .dim = "\033[2m", .off = "\033[0m" };
}

/* The label that starts a line of a record, in colour (or not). */
static void
view_label(struct tclog_review *c, const char *label)
{
	tclog_buf_printf(&c->view, "  %s%-8s%s ", c->pal.label, label,
	    c->pal.off);
}

/* A labelled line: the field's string value, or its JSON text. */
static void
view_field(struct tclog_review *c, const char *label, const char *value, size_t len)
{
	view_label(c, label);
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

/* Appends n levels of the indentation of pretty(). */
static void
pretty_indent(struct tclog_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		tclog_buf_adds(b, "    ");
}

/*
 * A string holding line ends (a diff, a heredoc) as the lines it holds,
 * after a '|' and indented one level deeper, rather than as one line of
 * \n escapes. False for any other value.
 */
static bool
pretty_lines(struct tclog_buf *b, const char *v, size_t n, int level)
{
	struct tclog_buf text = { 0 };
	const char *p, *end;

	if (tclog_json_type(v, n) != TCLOG_JSON_STRING ||
	    memmem(v, n, "\\n", 2) == NULL ||
	    tclog_json_string(v, n, &text) != 0 ||
	    memchr(text.data, '\n', text.len) == NULL) {
		tclog_buf_free(&text);
		return false;
	}
	tclog_buf_addc(b, '|');
	p = text.data;
	end = p + text.len;
	if (end[-1] == '\n')	/* the last line's end ends the block */
		end--;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		tclog_buf_addc(b, '\n');
		pretty_indent(b, level + 1);
		tclog_buf_add(b, p, len);
		p += len + 1;
	}
	tclog_buf_free(&text);
	return true;
}

/* Appends a validated JSON value, objects and arrays one member a line,
 * strings with line ends as their lines (true then: no comma follows
 * such a block, whose text it would seem to end). Past a sane depth the
 * rest is written as it is. */
static bool
pretty(struct tclog_buf *b, const char *v, size_t n, int level)
{
	enum tclog_json_type type = tclog_json_type(v, n);
	struct tclog_json_iter it;
	const char *k, *e;
	size_t klen, elen;
	bool empty = true, block = false;

	if (pretty_lines(b, v, n, level))
		return true;
	if ((type != TCLOG_JSON_OBJECT && type != TCLOG_JSON_ARRAY) ||
	    level > 64) {
		tclog_buf_add(b, v, n);
		return false;
	}
	tclog_buf_addc(b, v[0]);
	tclog_json_iter_init(&it, v, n);
	while (type == TCLOG_JSON_OBJECT ?
	    tclog_json_next_member(&it, &k, &klen, &e, &elen) :
	    tclog_json_next_element(&it, &e, &elen)) {
		tclog_buf_adds(b, empty || block ? "\n" : ",\n");
		pretty_indent(b, level + 1);
		if (type == TCLOG_JSON_OBJECT) {
			tclog_buf_add(b, k, klen);
			tclog_buf_adds(b, ": ");
		}
		block = pretty(b, e, elen, level + 1);
		empty = false;
	}
	if (!empty) {
		tclog_buf_addc(b, '\n');
		pretty_indent(b, level);
	}
	tclog_buf_addc(b, type == TCLOG_JSON_OBJECT ? '}' : ']');
	return false;
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
	view_field(c, label, name, name_len);
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
	struct tclog_call_key call, entry;

	if (!c->has_entry_call)
		return false;
	c->call_name.len = 0;
	tclog_json_string(tc->name, tc->name_len, &c->call_name);
	tclog_call_args(&c->call_args, &c->call_args_json, tc->args,
	    tc->args_len);
	call = tclog_call_key(&c->call_name, &c->call_args,
	    c->call_args_json);
	entry = tclog_call_key(&c->entry_name, &c->entry_args,
	    c->entry_args_json);
	return tclog_call_same(&call, &entry);
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
	view_label(c, "rating");
	if (n == 0)
		tclog_buf_printf(&c->view, "%sunrated%s\n", c->pal.dim,
		    c->pal.off);
	else if (n >= 1 && n <= 5)
		tclog_buf_printf(&c->view, "%s%s%s %lld/5\n", c->pal.warn,
		    stars[n], c->pal.off, n);
	else {	/* any JSON value, as long as the record */
		tclog_buf_adds(&c->view, "not 1-5: ");
		view_text(&c->view, f->value, f->value_len, NULL);
	}
}

/* Appends text as view_text does, in colour. */
static void
view_coloured(struct tclog_review *c, const char *colour, const char *s, size_t n)
{
	tclog_buf_adds(&c->view, colour);
	view_text(&c->view, s, n, INDENT);
	c->view.len--;	/* the newline goes after the colour's end */
	tclog_buf_adds(&c->view, c->pal.off);
	tclog_buf_addc(&c->view, '\n');
}

/* The status, coloured by what it says. */
static void
view_status(struct tclog_review *c)
{
	const struct tclog_field *f = tclog_record_get(&c->rec, "status");
	const char *colour = "";

	if (f == NULL || tclog_json_is_empty_string(f->value, f->value_len))
		return;
	c->text.len = 0;
	if (tclog_json_string(f->value, f->value_len, &c->text) != 0)
		tclog_buf_add(&c->text, f->value, f->value_len);
	tclog_buf_str(&c->text);
	if (strcmp(c->text.data, "success") == 0)
		colour = c->pal.good;
	else if (strcmp(c->text.data, "error") == 0)
		colour = c->pal.bad;
	else if (strcmp(c->text.data, "denied") == 0)
		colour = c->pal.warn;
	view_label(c, "status");
	view_coloured(c, colour, c->text.data, c->text.len);
}

/* tools_enabled, shown only when false: the model then saw no tools. */
static void
view_tools_enabled(struct tclog_review *c)
{
	const struct tclog_field *f = tclog_record_get(&c->rec,
	    "tools_enabled");

	if (f == NULL || f->value_len != 5 || memcmp(f->value, "false", 5) != 0)
		return;
	view_label(c, "tools");
	tclog_buf_printf(&c->view, "%sdisabled (tools_enabled false)%s\n",
	    c->pal.warn, c->pal.off);
}

/* Lines of a long output shown unless -w: about a screenful. */
#define LONG_LINES 20

/* A string field that may be long (output, error details): its first
 * LONG_LINES lines, then how many more there are, unless -w. */
static void
view_long(struct tclog_review *c, const char *label, const char *key)
{
	const struct tclog_field *f = tclog_record_get(&c->rec, key);
	const char *s, *end, *p;
	size_t lines = 0, more = 0;

	if (f == NULL || tclog_json_is_empty_string(f->value, f->value_len))
		return;
	c->text.len = 0;
	if (c->whole || tclog_json_string(f->value, f->value_len,
	    &c->text) != 0) {
		view_field(c, label, f->value, f->value_len);
		return;
	}
	s = p = c->text.data;
	end = s + c->text.len;
	if (end > s && end[-1] == '\n')	/* a last line's end */
		end--;
	while (p < end && lines < LONG_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl != NULL ? nl + 1 : end;
		lines++;
	}
	for (const char *q = p; q < end; more++) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));

		q = nl != NULL ? nl + 1 : end;
	}
	view_label(c, label);
	view_text(&c->view, s, (size_t)(p - s), INDENT);
	if (more > 0)
		tclog_buf_printf(&c->view, INDENT "%s... %zu more line%s (-w "
		    "shows them)%s\n", c->pal.dim, more, more == 1 ? "" : "s",
		    c->pal.off);
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
	tclog_buf_printf(&c->view, "%s#%lu  %s:%lu%s\n", c->pal.head,
	    number, name, line, c->pal.off);
	view_named(c, "time", "timestamp");
	view_named(c, "model", "model");
	view_rating(c);
	view_status(c);
	view_named(c, "message", "message");
	view_tools_enabled(c);
	f = tclog_record_get(&c->rec, "reconstructed");
	reconstructed = f != NULL && (tclog_made_up(f->value, f->value_len) &
	    TCLOG_MADE_UP_QUERY);
	/* A made-up query must not pass for the user's words. */
	if ((f = tclog_record_get(&c->rec, "user_query")) != NULL &&
	    !tclog_json_is_empty_string(f->value, f->value_len))
		view_field(c, reconstructed ? "query*" : "query", f->value,
		    f->value_len);
	else {
		view_label(c, "query");
		tclog_buf_printf(&c->view, "%s(none: old-format entry)%s\n",
		    c->pal.dim, c->pal.off);
	}
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
			tclog_buf_printf(&c->view, "  %s%-8s not one of the "
			    "response's calls%s\n", c->pal.warn, "!",
			    c->pal.off);
	}
	view_long(c, "error", "error_details");
	view_long(c, "output", "output");
	if (reconstructed)
		tclog_buf_printf(&c->view, "  %s* made up by tclog-upgrade, not "
		    "the user's words%s\n", c->pal.warn, c->pal.off);
	tclog_buf_addc(&c->view, '\n');
	return 0;
}
