/*
 * tclog-qwen - turn new-format log entries into fine-tuning examples for
 * Qwen2.5 models, one JSON line each, in the form a trainer reads.
 *
 * Entries are read into one example model (system prompt, user query,
 * the assistant's content and calls, the calls' results); one writer per
 * format turns that model into a line. A response with parallel calls is
 * logged as consecutive entries: they are gathered into one example, so
 * memory holds one example at most.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "tclog.h"

/* Deepest arguments or tools accepted: the JSON writer recurses. */
#define MAX_DEPTH 512

static const char default_system[] =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

enum format { FORMAT_OPENAI, FORMAT_HF, FORMAT_SWIFT, FORMAT_SHAREGPT,
    FORMAT_TEXT };

static const char *const format_names[] = { "openai", "hf", "swift",
    "sharegpt", "text" };

/* One call of the example: from the response, or the entry's own. */
struct call {
	struct tclog_buf id, name;
	struct tclog_buf args;	/* JSON text, or what the log holds */
	bool args_json;		/* args is a JSON value we can rewrite */
	bool logged;		/* an entry executed it */
	struct tclog_buf result;	/* the tool message's content */
};

struct example {
	bool open;		/* being gathered */
	bool more;		/* later entries may still join it */
	bool bad;		/* diagnosed: not to be written */
	unsigned long first_line;	/* of its first entry */
	unsigned long bad_line;	/* of the entry that made it bad */
	/* What joining entries must repeat: raw field values. */
	struct tclog_buf key_query, key_response, key_model;
	bool has_model;
	struct tclog_buf query, content;
	struct call *call;	/* in the response's order */
	size_t ncall, call_cap, nlogged;
};

struct qwen {
	/* options */
	enum format format;
	bool keep_json, no_results, unique;
	bool has_system;
	struct tclog_buf system;
	bool has_tools;
	struct tclog_buf tools;	/* the -t array, validated */
	size_t limit;

	struct tclog_reader in;
	struct tclog_record rec;
	struct example ex;
	struct tclog_buf response;	/* the entry's decoded model_response */
	struct tclog_buf args;		/* the entry's arguments */
	bool args_json;
	struct tclog_buf result;	/* the entry's tool message */
	struct tclog_buf line, text, nested, err;
	struct tclog_digestset seen;	/* -u */
	int status;
};

#define OPTIONS "f:knuS:s:t:L:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-qwen [-knu] [-f format] [-s text | -S file] "
	    "[-t tools.json] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -f format      openai (default), hf, swift, sharegpt "
		    "or text\n"
		    "  -k             keep assistant content that is only the "
		    "calls as JSON text\n"
		    "  -n             leave the tool results out\n"
		    "  -u             drop examples identical to an earlier "
		    "one\n"
		    "  -s text        system prompt\n"
		    "  -S file        system prompt read from file\n"
		    "  -t tools.json  tool definitions (JSON array, OpenAI "
		    "form)\n"
		    "  -L size        longest record accepted (k, M, G; "
		    "default 64M)\n");
}

/* Trims white space off both ends of a buffer. */
static void
trim(struct tclog_buf *b)
{
	const char *text = b->data;
	size_t len = b->len;

	if (len == 0)
		return;
	tclog_json_trim(&text, &len);
	memmove(b->data, text, len);
	b->len = len;
}

/* ---- JSON-only content ---- */

struct only_containers {
	int depth;
};

static int
scalar_value(void *ctx)
{
	return ((struct only_containers *)ctx)->depth > 0;
}

static int
on_bool(void *ctx, int b)
{
	(void)b;
	return scalar_value(ctx);
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	(void)s;
	(void)n;
	return scalar_value(ctx);
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	(void)s;
	(void)n;
	return scalar_value(ctx);
}

static int
on_open(void *ctx)
{
	((struct only_containers *)ctx)->depth++;
	return 1;
}

static int
on_key(void *ctx, const unsigned char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 1;
}

static int
on_close(void *ctx)
{
	((struct only_containers *)ctx)->depth--;
	return 1;
}

static const yajl_callbacks only_containers_callbacks = {
	.yajl_null = scalar_value,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_open,
	.yajl_map_key = on_key,
	.yajl_end_map = on_close,
	.yajl_start_array = on_open,
	.yajl_end_array = on_close,
};

/* True when s is one or more JSON objects or arrays and nothing else. */
static bool
is_json_containers(const char *s, size_t n)
{
	struct only_containers ctx = { 0 };
	yajl_handle h;
	yajl_status st;
	size_t i = 0;

	while (i < n && tclog_json_is_space(s[i]))
		i++;
	if (i == n)
		return false;
	h = yajl_alloc(&only_containers_callbacks, NULL, &ctx);
	if (h == NULL)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	yajl_config(h, yajl_allow_multiple_values, 1);
	st = yajl_parse(h, (const unsigned char *)s, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok;
}

/*
 * True when the assistant's content is nothing but JSON text, maybe in
 * a ``` or ```json fence: the call written out as text, which the
 * example already carries as a structured call.
 */
static bool
is_json_only(const char *s, size_t n)
{
	tclog_json_trim(&s, &n);
	if (n >= 6 && memcmp(s, "```", 3) == 0) {
		if (memcmp(s + n - 3, "```", 3) != 0)
			return false;
		s += 3;
		n -= 6;
		if (n >= 4 && strncasecmp(s, "json", 4) == 0) {
			s += 4;
			n -= 4;
		}
		if (n > 0 && !tclog_json_is_space(s[0]) && s[0] != '{' &&
		    s[0] != '[')
			return false;	/* another language's fence */
	}
	return is_json_containers(s, n);
}

/* ---- reading entries ---- */

static void
bad_record(struct qwen *q, const char *why)
{
	tclog_diag(q->in.name, q->in.line, "%s", why);
	tclog_status_raise(&q->status, TCLOG_EXIT_BAD);
}

/* A field that must be a string when present (null counts as absent). */
static const struct tclog_field *
string_field(struct qwen *q, const char *key, bool required, bool *ok)
{
	const struct tclog_field *f = tclog_record_get(&q->rec, key);

	*ok = true;
	if (f != NULL && tclog_json_type(f->value, f->value_len) ==
	    TCLOG_JSON_NULL)
		f = NULL;
	if (f == NULL && required) {
		q->err.len = 0;
		tclog_buf_printf(&q->err, "no %s", key);
		bad_record(q, tclog_buf_str(&q->err));
		*ok = false;
	} else if (f != NULL && tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_STRING) {
		q->err.len = 0;
		tclog_buf_printf(&q->err, "%s is not a string", key);
		bad_record(q, tclog_buf_str(&q->err));
		*ok = false;
		f = NULL;
	}
	return f;
}

/* Sets b to the decoded string value of f ("" when f is NULL). */
static void
decode(struct tclog_buf *b, const struct tclog_field *f)
{
	b->len = 0;
	if (f != NULL)
		tclog_json_string(f->value, f->value_len, b);
}

/* Whether text (trimmed in place) is JSON the writers can handle. */
static bool
usable_json(struct qwen *q, struct tclog_buf *text)
{
	trim(text);
	return tclog_json_check(text->data, text->len, false, &q->err) == 0 &&
	    tclog_json_depth(text->data, text->len) <= MAX_DEPTH;
}

/* The tool message of the entry: status, error and output. */
static void
entry_result(struct qwen *q, const struct tclog_field *status,
    const struct tclog_field *message, const struct tclog_field *output,
    const struct tclog_field *details)
{
	struct tclog_buf *r = &q->result;
	size_t mark;

	r->len = 0;
	tclog_buf_adds(r, "Tool execution result:\nStatus: ");
	mark = r->len;
	tclog_json_string(status->value, status->value_len, r);
	if (r->len - mark != 7 || memcmp(r->data + mark, "success", 7) != 0) {
		const struct tclog_field *why = details != NULL &&
		    !tclog_json_is_empty_string(details->value,
		    details->value_len) ? details : message;

		if (why != NULL && !tclog_json_is_empty_string(why->value,
		    why->value_len)) {
			tclog_buf_adds(r, "\nError: ");
			tclog_json_string(why->value, why->value_len, r);
		}
	}
	if (output != NULL && !tclog_json_is_empty_string(output->value,
	    output->value_len)) {
		tclog_buf_adds(r, "\nOutput: ");
		tclog_json_string(output->value, output->value_len, r);
	}
}

/* Whether the entry repeats the open example's query, response, model. */
static bool
same_turn(struct qwen *q, const struct tclog_field *query,
    const struct tclog_field *response, const struct tclog_field *model)
{
	struct example *ex = &q->ex;

	if ((model != NULL) != ex->has_model)
		return false;
	return tclog_json_equal(query->value, query->value_len,
	    ex->key_query.data, ex->key_query.len) &&
	    tclog_json_equal(response->value, response->value_len,
	    ex->key_response.data, ex->key_response.len) &&
	    (model == NULL || tclog_json_equal(model->value, model->value_len,
	    ex->key_model.data, ex->key_model.len));
}

static bool
same_args(const char *a, size_t alen, bool a_json, const char *b,
    size_t blen, bool b_json)
{
	if (a_json && b_json)
		return tclog_json_equal(a, alen, b, blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The first call of the open example not yet logged that the entry
 * executed, or -1. */
static long
find_call(struct qwen *q, const struct tclog_field *tool)
{
	struct example *ex = &q->ex;

	q->text.len = 0;
	tclog_json_string(tool->value, tool->value_len, &q->text);
	for (size_t i = 0; i < ex->ncall; i++) {
		struct call *c = &ex->call[i];

		if (!c->logged && c->name.len == q->text.len &&
		    memcmp(c->name.data, q->text.data, q->text.len) == 0 &&
		    same_args(c->args.data, c->args.len, c->args_json,
		    q->args.data, q->args.len, q->args_json))
			return (long)i;
	}
	return -1;
}

static struct call *
new_call(struct example *ex)
{
	struct call *c;

	if (ex->ncall == ex->call_cap) {
		size_t cap = ex->call_cap ? ex->call_cap * 2 : 4;

		ex->call = tclog_xrealloc(ex->call, cap * sizeof(*ex->call));
		memset(ex->call + ex->call_cap, 0,
		    (cap - ex->call_cap) * sizeof(*ex->call));
		ex->call_cap = cap;
	}
	c = &ex->call[ex->ncall++];
	c->id.len = c->name.len = c->args.len = c->result.len = 0;
	c->args_json = c->logged = false;
	return c;
}

/* The call's arguments as the response holds them: a JSON string
 * holding JSON, or (some servers) the JSON object itself. */
static void
call_args(struct qwen *q, struct call *c, const char *v, size_t n)
{
	if (v == NULL) {
		tclog_buf_adds(&c->args, "{}");
		c->args_json = true;
		return;
	}
	if (tclog_json_string(v, n, &c->args) != 0)
		tclog_buf_add(&c->args, v, n);
	c->args_json = usable_json(q, &c->args);
}

/* Adds the response's calls (tool_calls) to the example. */
static void
response_calls(struct qwen *q, const char *calls, size_t calls_len)
{
	struct tclog_tool_calls tc;

	tclog_tool_calls_init(&tc, calls, calls_len);
	while (tclog_tool_calls_next(&tc)) {
		struct call *c = new_call(&q->ex);

		if (tc.id != NULL)
			tclog_json_string(tc.id, tc.id_len, &c->id);
		else
			tclog_buf_printf(&c->id, "call_%zu", tc.place);
		tclog_json_string(tc.name, tc.name_len, &c->name);
		call_args(q, c, tc.args, tc.args_len);
	}
}

static void write_example(struct qwen *q);

/* Past this capacity a call's buffer is not kept for the next example:
 * kept per call slot, large buffers would add up to the largest result
 * each slot ever held, which grows with the input, not with a record. */
#define KEEP_CAPACITY ((size_t)64 << 10)

/* Writes the open example, if any, and closes it. */
static void
finish_example(struct qwen *q)
{
	if (q->ex.open && !q->ex.bad)
		write_example(q);
	q->ex.open = false;
	for (size_t i = 0; i < q->ex.call_cap; i++) {
		struct call *c = &q->ex.call[i];

		if (c->args.cap > KEEP_CAPACITY)
			tclog_buf_free(&c->args);
		if (c->result.cap > KEEP_CAPACITY)
			tclog_buf_free(&c->result);
	}
}

/* Marks call i of the open example as executed by the entry. */
static void
log_call(struct qwen *q, size_t i)
{
	struct call *c = &q->ex.call[i];

	c->logged = true;
	tclog_buf_add(&c->result, q->result.data, q->result.len);
	q->ex.nlogged++;
	if (q->ex.bad) {	/* no entry is dropped without a word */
		tclog_diag(q->in.name, q->in.line, "entry of the example "
		    "skipped at line %lu", q->ex.bad_line);
		return;
	}
	if (q->format == FORMAT_OPENAI)
		return;
	/* The other formats write arguments as an object. */
	if (!c->args_json || c->args.data[0] != '{') {
		q->err.len = 0;
		tclog_buf_adds(&q->err, "arguments ");
		if (c->args_json || tclog_json_check(c->args.data, c->args.len,
		    false, &q->text) != 0)
			tclog_buf_adds(&q->err, "is not a JSON object");
		else
			tclog_buf_printf(&q->err, "nested deeper than %d levels",
			    MAX_DEPTH);
		tclog_buf_adds(&q->err, ", example skipped");
		if (q->ex.first_line != q->in.line)
			tclog_buf_printf(&q->err, " with its entries from line "
			    "%lu", q->ex.first_line);
		bad_record(q, tclog_buf_str(&q->err));
		q->ex.bad = true;
		q->ex.bad_line = q->in.line;
	}
}

/* Starts an example with the entry, its response in q->response. */
static void
start_example(struct qwen *q, const struct tclog_field *query,
    const struct tclog_field *response, const struct tclog_field *model,
    const struct tclog_field *tool, const char *content, size_t content_len,
    const char *calls, size_t calls_len)
{
	struct example *ex = &q->ex;
	long i = -1;

	ex->open = true;
	ex->bad = false;
	ex->first_line = q->in.line;
	ex->ncall = ex->nlogged = 0;
	ex->key_query.len = ex->key_response.len = ex->key_model.len = 0;
	tclog_buf_add(&ex->key_query, query->value, query->value_len);
	tclog_buf_add(&ex->key_response, response->value, response->value_len);
	ex->has_model = model != NULL;
	if (model != NULL)
		tclog_buf_add(&ex->key_model, model->value, model->value_len);
	ex->query.len = 0;
	tclog_json_string(query->value, query->value_len, &ex->query);
	ex->content.len = 0;
	if (content != NULL)
		tclog_json_string(content, content_len, &ex->content);
	if (!q->keep_json && is_json_only(ex->content.data, ex->content.len))
		ex->content.len = 0;

	if (calls != NULL) {
		response_calls(q, calls, calls_len);
		i = find_call(q, tool);
	}
	if (i >= 0) {
		ex->more = true;
		log_call(q, (size_t)i);
		return;
	}
	/* The call was parsed out of the reply's text, or the response
	 * does not hold it: the entry's own call stands alone. */
	ex->ncall = 0;
	ex->more = false;
	{
		struct call *c = new_call(ex);

		tclog_buf_adds(&c->id, "call_1");
		tclog_json_string(tool->value, tool->value_len, &c->name);
		tclog_buf_add(&c->args, q->args.data, q->args.len);
		c->args_json = q->args_json;
	}
	log_call(q, 0);
}

static void
read_entry(struct qwen *q)
{
	const struct tclog_field *query, *response, *model, *tool, *args;
	const struct tclog_field *status, *message, *output, *details;
	struct tclog_json_iter it;
	const char *k, *v, *content = NULL, *calls = NULL;
	size_t klen, vlen, content_len = 0, calls_len = 0;
	bool ok, all_ok = true;
	long i;

	if (tclog_record_parse(&q->rec, q->in.text, q->in.len,
	    q->in.unterminated) != 0) {
		bad_record(q, q->rec.error);
		return;
	}
	/* Without a tool name it is no log entry, old or new: saying
	 * "old-format" would send the user to tclog-upgrade for nothing. */
	tool = string_field(q, "tool_name", true, &ok);
	if (!ok)
		return;
	query = tclog_record_get(&q->rec, "user_query");
	response = tclog_record_get(&q->rec, "model_response");
	if (query == NULL || response == NULL ||
	    tclog_json_is_empty_string(query->value, query->value_len) ||
	    tclog_json_is_empty_string(response->value, response->value_len)) {
		bad_record(q, "old-format entry, run tclog-upgrade first");
		return;
	}
	query = string_field(q, "user_query", true, &ok);
	if (!ok)
		return;
	if (tclog_json_type(response->value, response->value_len) !=
	    TCLOG_JSON_STRING) {
		bad_record(q, "model_response is not a string");
		return;
	}
	model = string_field(q, "model", false, &ok);
	all_ok = all_ok && ok;
	status = string_field(q, "status", true, &ok);
	all_ok = all_ok && ok;
	message = string_field(q, "message", false, &ok);
	all_ok = all_ok && ok;
	output = string_field(q, "output", false, &ok);
	all_ok = all_ok && ok;
	details = string_field(q, "error_details", false, &ok);
	all_ok = all_ok && ok;
	args = tclog_record_get(&q->rec, "arguments");
	if (all_ok && args == NULL) {
		bad_record(q, "no arguments");
		all_ok = false;
	}
	if (!all_ok)
		return;

	/* The arguments: a JSON string holding JSON (or the JSON itself). */
	q->args.len = 0;
	if (tclog_json_string(args->value, args->value_len, &q->args) != 0)
		tclog_buf_add(&q->args, args->value, args->value_len);
	q->args_json = usable_json(q, &q->args);
	entry_result(q, status, message, output, details);

	if (q->ex.open && same_turn(q, query, response, model)) {
		/* The same response: known good, no need to read it again. */
		if (q->ex.more && (i = find_call(q, tool)) >= 0) {
			log_call(q, (size_t)i);
			goto joined;
		}
		decode(&q->response, response);
	} else {
		decode(&q->response, response);
		if (tclog_json_check(q->response.data, q->response.len, true,
		    &q->err) != 0) {
			bad_record(q, "model_response is not a JSON object");
			return;
		}
	}
	tclog_json_iter_init(&it, q->response.data, q->response.len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		enum tclog_json_type type = tclog_json_type(v, vlen);

		if (tclog_json_key_is(k, klen, "content") &&
		    type == TCLOG_JSON_STRING) {
			content = v;
			content_len = vlen;
		} else if (tclog_json_key_is(k, klen, "content") &&
		    type != TCLOG_JSON_NULL) {
			bad_record(q, "model_response content is not a string");
			return;
		} else if (tclog_json_key_is(k, klen, "tool_calls") &&
		    type == TCLOG_JSON_ARRAY) {
			calls = v;
			calls_len = vlen;
		}
	}
	finish_example(q);
	start_example(q, query, response, model, tool, content, content_len,
	    calls, calls_len);
joined:
	if (!q->ex.more || q->ex.nlogged == q->ex.ncall)
		finish_example(q);
}

/* ---- the writers ---- */

static void
put_string(struct tclog_buf *b, const struct tclog_buf *s)
{
	tclog_json_put_string(b, s->data, s->len);
}

static void
put_message(struct tclog_buf *b, const char *role, const struct tclog_buf *s)
{
	tclog_buf_printf(b, "{\"role\":\"%s\",\"content\":", role);
	put_string(b, s);
	tclog_buf_addc(b, '}');
}

/* {"name": N, "arguments": A} as Python writes it, for swift and
 * sharegpt. */
static void
put_python_call(struct tclog_buf *b, const struct call *c)
{
	tclog_buf_adds(b, "{\"name\": ");
	put_string(b, &c->name);
	tclog_buf_adds(b, ", \"arguments\": ");
	tclog_json_write(b, c->args.data, c->args.len, TCLOG_JSON_PYTHON);
	tclog_buf_addc(b, '}');
}

/* The tools as a JSON string of Python-style JSON; bare, the function
 * objects only (LLaMA-Factory). */
static void
put_tools_string(struct qwen *q, struct tclog_buf *b, bool bare)
{
	struct tclog_json_iter it, tit;
	const char *tool, *k, *v;
	size_t len, klen, vlen;
	bool first = true;

	q->nested.len = 0;
	if (!bare)
		tclog_json_write(&q->nested, q->tools.data, q->tools.len,
		    TCLOG_JSON_PYTHON);
	else {
		tclog_buf_addc(&q->nested, '[');
		tclog_json_iter_init(&it, q->tools.data, q->tools.len);
		while (tclog_json_next_element(&it, &tool, &len)) {
			const char *fn = NULL;
			size_t fn_len = 0;

			/* The last "function" member, as Python keeps. */
			tclog_json_iter_init(&tit, tool, len);
			while (tclog_json_next_member(&tit, &k, &klen, &v,
			    &vlen))
				if (tclog_json_key_is(k, klen, "function")) {
					fn = v;
					fn_len = vlen;
				}
			if (!first)
				tclog_buf_adds(&q->nested, ", ");
			first = false;
			tclog_json_write(&q->nested, fn, fn_len,
			    TCLOG_JSON_PYTHON);
		}
		tclog_buf_addc(&q->nested, ']');
	}
	put_string(b, &q->nested);
}

static void
write_openai_or_hf(struct qwen *q, bool hf)
{
	struct example *ex = &q->ex;
	struct tclog_buf *b = &q->line;
	bool first = true;

	tclog_buf_adds(b, "{\"messages\":[");
	if (q->has_system) {
		put_message(b, "system", &q->system);
		tclog_buf_addc(b, ',');
	}
	put_message(b, "user", &ex->query);
	tclog_buf_adds(b, ",{\"role\":\"assistant\",\"content\":");
	put_string(b, &ex->content);
	tclog_buf_adds(b, ",\"tool_calls\":[");
	for (size_t i = 0; i < ex->ncall; i++) {
		const struct call *c = &ex->call[i];

		if (!c->logged)
			continue;
		if (!first)
			tclog_buf_addc(b, ',');
		first = false;
		tclog_buf_adds(b, "{\"id\":");
		put_string(b, &c->id);
		tclog_buf_adds(b, ",\"type\":\"function\",\"function\":"
		    "{\"name\":");
		put_string(b, &c->name);
		tclog_buf_adds(b, ",\"arguments\":");
		if (hf)
			tclog_json_write(b, c->args.data, c->args.len,
			    TCLOG_JSON_COMPACT);
		else
			put_string(b, &c->args);
		tclog_buf_adds(b, "}}");
	}
	tclog_buf_adds(b, "]}");
	for (size_t i = 0; i < ex->ncall && !q->no_results; i++) {
		const struct call *c = &ex->call[i];

		if (!c->logged)
			continue;
		tclog_buf_adds(b, ",{\"role\":\"tool\",\"tool_call_id\":");
		put_string(b, &c->id);
		if (hf) {
			tclog_buf_adds(b, ",\"name\":");
			put_string(b, &c->name);
		}
		tclog_buf_adds(b, ",\"content\":");
		put_string(b, &c->result);
		tclog_buf_addc(b, '}');
	}
	tclog_buf_addc(b, ']');
	if (q->has_tools) {
		tclog_buf_adds(b, ",\"tools\":");
		if (hf)
			put_tools_string(q, b, false);
		else
			tclog_json_write(b, q->tools.data, q->tools.len,
			    TCLOG_JSON_COMPACT);
	}
	tclog_buf_addc(b, '}');
}

static void
write_swift(struct qwen *q)
{
	struct example *ex = &q->ex;
	struct tclog_buf *b = &q->line;

	tclog_buf_addc(b, '{');
	if (q->has_tools) {
		tclog_buf_adds(b, "\"tools\":");
		put_tools_string(q, b, false);
		tclog_buf_addc(b, ',');
	}
	tclog_buf_adds(b, "\"messages\":[");
	if (q->has_system) {
		put_message(b, "system", &q->system);
		tclog_buf_addc(b, ',');
	}
	put_message(b, "user", &ex->query);
	if (ex->content.len > 0) {
		tclog_buf_addc(b, ',');
		put_message(b, "assistant", &ex->content);
	}
	for (size_t i = 0; i < ex->ncall; i++)
		if (ex->call[i].logged) {
			q->nested.len = 0;
			put_python_call(&q->nested, &ex->call[i]);
			tclog_buf_addc(b, ',');
			put_message(b, "tool_call", &q->nested);
		}
	for (size_t i = 0; i < ex->ncall && !q->no_results; i++)
		if (ex->call[i].logged) {
			tclog_buf_addc(b, ',');
			put_message(b, "tool_response", &ex->call[i].result);
		}
	tclog_buf_adds(b, "]}");
}

/* LLaMA-Factory wants turns that alternate and end on the model's: the
 * example ends on the calls, never on their results. */
static void
write_sharegpt(struct qwen *q)
{
	struct example *ex = &q->ex;
	struct tclog_buf *b = &q->line;
	bool first = true;

	tclog_buf_adds(b, "{\"conversations\":[{\"from\":\"human\",\"value\":");
	put_string(b, &ex->query);
	tclog_buf_adds(b, "},{\"from\":\"function_call\",\"value\":");
	q->nested.len = 0;
	if (ex->nlogged > 1)
		tclog_buf_addc(&q->nested, '[');
	for (size_t i = 0; i < ex->ncall; i++)
		if (ex->call[i].logged) {
			if (!first)
				tclog_buf_adds(&q->nested, ", ");
			first = false;
			put_python_call(&q->nested, &ex->call[i]);
		}
	if (ex->nlogged > 1)
		tclog_buf_addc(&q->nested, ']');
	put_string(b, &q->nested);
	tclog_buf_adds(b, "}]");
	if (q->has_system) {
		tclog_buf_adds(b, ",\"system\":");
		put_string(b, &q->system);
	}
	if (q->has_tools) {
		tclog_buf_adds(b, ",\"tools\":");
		put_tools_string(q, b, true);
	}
	tclog_buf_addc(b, '}');
}

/* The Qwen2.5 chat template applied by hand, as transformers renders it
 * for the hf form of the example (tojson is Python's json.dumps). */
static void
write_text(struct qwen *q)
{
	struct example *ex = &q->ex;
	struct tclog_buf *t = &q->text;
	struct tclog_json_iter it;
	const char *tool;
	size_t len;
	bool any_tool = false;

	t->len = 0;
	tclog_buf_adds(t, "<|im_start|>system\n");
	if (q->has_system)
		tclog_buf_add(t, q->system.data, q->system.len);
	else
		tclog_buf_adds(t, default_system);
	if (q->has_tools) {
		tclog_json_iter_init(&it, q->tools.data, q->tools.len);
		while (tclog_json_next_element(&it, &tool, &len)) {
			if (!any_tool)
				tclog_buf_adds(t, "\n\n# Tools\n\nYou may call "
				    "one or more functions to assist with the "
				    "user query.\n\nYou are provided with "
				    "function signatures within <tools></tools>"
				    " XML tags:\n<tools>");
			any_tool = true;
			tclog_buf_addc(t, '\n');
			tclog_json_write(t, tool, len, TCLOG_JSON_PYTHON);
		}
	}
	if (any_tool)
		tclog_buf_adds(t, "\n</tools>\n\nFor each function call, "
		    "return a json object with function name and arguments "
		    "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
		    "{\"name\": <function-name>, \"arguments\": "
		    "<args-json-object>}\n</tool_call>");
	tclog_buf_adds(t, "<|im_end|>\n<|im_start|>user\n");
	tclog_buf_add(t, ex->query.data, ex->query.len);
	tclog_buf_adds(t, "<|im_end|>\n<|im_start|>assistant");
	if (ex->content.len > 0) {
		tclog_buf_addc(t, '\n');
		tclog_buf_add(t, ex->content.data, ex->content.len);
	}
	for (size_t i = 0; i < ex->ncall; i++) {
		const struct call *c = &ex->call[i];

		if (!c->logged)
			continue;
		tclog_buf_adds(t, "\n<tool_call>\n{\"name\": \"");
		tclog_buf_add(t, c->name.data, c->name.len);
		tclog_buf_adds(t, "\", \"arguments\": ");
		tclog_json_write(t, c->args.data, c->args.len,
		    TCLOG_JSON_PYTHON);
		tclog_buf_adds(t, "}\n</tool_call>");
	}
	tclog_buf_adds(t, "<|im_end|>\n");
	if (!q->no_results) {
		tclog_buf_adds(t, "<|im_start|>user");
		for (size_t i = 0; i < ex->ncall; i++)
			if (ex->call[i].logged) {
				tclog_buf_adds(t, "\n<tool_response>\n");
				tclog_buf_add(t, ex->call[i].result.data,
				    ex->call[i].result.len);
				tclog_buf_adds(t, "\n</tool_response>");
			}
		tclog_buf_adds(t, "<|im_end|>\n");
	}
	tclog_buf_adds(&q->line, "{\"text\":");
	put_string(&q->line, t);
	tclog_buf_addc(&q->line, '}');
}

static void
write_example(struct qwen *q)
{
	q->line.len = 0;
	switch (q->format) {
	case FORMAT_OPENAI:
		write_openai_or_hf(q, false);
		break;
	case FORMAT_HF:
		write_openai_or_hf(q, true);
		break;
	case FORMAT_SWIFT:
		write_swift(q);
		break;
	case FORMAT_SHAREGPT:
		write_sharegpt(q);
		break;
	case FORMAT_TEXT:
		write_text(q);
		break;
	}
	if (q->unique && !tclog_digestset_add(&q->seen, q->line.data,
	    q->line.len))
		return;
	tclog_buf_addc(&q->line, '\n');
	tclog_write(q->line.data, q->line.len);
}

/* ---- options ---- */

/* Whether s is valid UTF-8 (so that it can go into JSON strings). */
static bool
is_utf8(const char *s, size_t n)
{
	return tclog_utf8_invalid(s, n) == n;
}

/* Loads and checks -t: an array of {"type":"function","function":
 * {"name":...}} objects. -1 after a diagnostic. */
static int
load_tools(struct qwen *q, const char *path)
{
	struct tclog_json_iter it, tit;
	const char *tool, *k, *v;
	size_t len, klen, vlen, n = 0;
	const char *file = tclog_input_name(path);

	if (tclog_read_text(path, &q->tools, q->limit) != 0)
		return -1;
	if (tclog_json_check(q->tools.data, q->tools.len, false, &q->err) != 0) {
		warnx("%s: invalid JSON: %s", file, tclog_buf_str(&q->err));
		return -1;
	}
	trim(&q->tools);
	if (tclog_json_type(q->tools.data, q->tools.len) != TCLOG_JSON_ARRAY) {
		warnx("%s: not a JSON array of tools", file);
		return -1;
	}
	if (tclog_json_depth(q->tools.data, q->tools.len) > MAX_DEPTH) {
		warnx("%s: nested deeper than %d levels", file, MAX_DEPTH);
		return -1;
	}
	tclog_json_iter_init(&it, q->tools.data, q->tools.len);
	while (tclog_json_next_element(&it, &tool, &len)) {
		const char *type = NULL, *fn = NULL, *name = NULL;
		size_t type_len = 0, fn_len = 0;

		n++;
		if (tclog_json_type(tool, len) != TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: not a JSON object", file, n);
			return -1;
		}
		tclog_json_iter_init(&tit, tool, len);
		while (tclog_json_next_member(&tit, &k, &klen, &v, &vlen)) {
			if (tclog_json_key_is(k, klen, "type")) {
				type = v;
				type_len = vlen;
			} else if (tclog_json_key_is(k, klen, "function")) {
				fn = v;
				fn_len = vlen;
			}
		}
		if (type == NULL || !tclog_json_equal(type, type_len,
		    "\"function\"", 10)) {
			warnx("%s: tool %zu: \"type\" is not \"function\"", file,
			    n);
			return -1;
		}
		if (fn == NULL || tclog_json_type(fn, fn_len) !=
		    TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: no \"function\" object", file, n);
			return -1;
		}
		tclog_json_iter_init(&tit, fn, fn_len);
		while (tclog_json_next_member(&tit, &k, &klen, &v, &vlen))
			if (tclog_json_key_is(k, klen, "name") &&
			    tclog_json_type(v, vlen) == TCLOG_JSON_STRING)
				name = v;
		if (name == NULL) {
			warnx("%s: tool %zu: the function has no \"name\" string",
			    path, n);
			return -1;
		}
	}
	return 0;
}

static int
parse_format(const char *name, enum format *format)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	    i++)
		if (strcmp(name, format_names[i]) == 0) {
			*format = (enum format)i;
			return 0;
		}
	return -1;
}

static void
convert_file(struct qwen *q, int fd, const char *name)
{
	tclog_reader_init(&q->in, fd, name, q->limit);
	while (tclog_reader_record(&q->in, &q->status))
		read_entry(q);
	tclog_reader_free(&q->in);
}

static void
free_all(struct qwen *q)
{
	for (size_t i = 0; i < q->ex.call_cap; i++) {
		tclog_buf_free(&q->ex.call[i].id);
		tclog_buf_free(&q->ex.call[i].name);
		tclog_buf_free(&q->ex.call[i].args);
		tclog_buf_free(&q->ex.call[i].result);
	}
	free(q->ex.call);
	tclog_buf_free(&q->ex.key_query);
	tclog_buf_free(&q->ex.key_response);
	tclog_buf_free(&q->ex.key_model);
	tclog_buf_free(&q->ex.query);
	tclog_buf_free(&q->ex.content);
	tclog_buf_free(&q->system);
	tclog_buf_free(&q->tools);
	tclog_buf_free(&q->response);
	tclog_buf_free(&q->args);
	tclog_buf_free(&q->result);
	tclog_buf_free(&q->line);
	tclog_buf_free(&q->text);
	tclog_buf_free(&q->nested);
	tclog_buf_free(&q->err);
	tclog_record_free(&q->rec);
	tclog_digestset_free(&q->seen);
}

/* Standard input can feed one of the log, -S and -t: -1 after a
 * diagnostic when the options ask it for two. */
static int
stdin_wanted_twice(const char *system_file, const char *tools_file, int argc,
    char *argv[])
{
	if (system_file != NULL && tools_file != NULL &&
	    strcmp(system_file, "-") == 0 && strcmp(tools_file, "-") == 0) {
		warnx("-S - and -t - cannot both read standard input");
		return -1;
	}
	if (system_file != NULL &&
	    tclog_inputs_leave_stdin('S', system_file, argc, argv) != 0)
		return -1;
	if (tools_file != NULL &&
	    tclog_inputs_leave_stdin('t', tools_file, argc, argv) != 0)
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct qwen q = { .limit = TCLOG_DEFAULT_LIMIT };
	struct tclog_inputs in;
	const char *system_text = NULL, *system_file = NULL;
	const char *tools_file = NULL;
	int ch, status;

	tclog_start();
	if (tclog_help_requested(argc, argv, OPTIONS)) {
		usage(stdout);
		return tclog_close_output();
	}
	while ((ch = getopt(argc, argv, OPTIONS)) != -1) {
		switch (ch) {
		case 'f':
			if (parse_format(optarg, &q.format) != 0) {
				warnx("-f: unknown format: %s", optarg);
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		case 'k':
			q.keep_json = true;
			break;
		case 'n':
			q.no_results = true;
			break;
		case 'u':
			q.unique = true;
			break;
		case 's':
			system_text = optarg;
			break;
		case 'S':
			system_file = optarg;
			break;
		case 't':
			tools_file = optarg;
			break;
		case 'L':
			if (tclog_option_limit(optarg, &q.limit) != 0) {
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

	if (system_text != NULL && system_file != NULL) {
		warnx("-s and -S exclude each other");
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	if (stdin_wanted_twice(system_file, tools_file, argc, argv) != 0) {
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	if (system_text != NULL) {
		q.has_system = true;
		tclog_buf_adds(&q.system, system_text);
		if (!is_utf8(q.system.data, q.system.len)) {
			warnx("-s: not valid UTF-8");
			tclog_status_raise(&q.status, TCLOG_EXIT_FATAL);
		}
	} else if (system_file != NULL) {
		q.has_system = true;
		if (tclog_read_text(system_file, &q.system, q.limit) != 0)
			tclog_status_raise(&q.status, TCLOG_EXIT_FATAL);
		/* A file's last line ends in a newline that is not part of
		 * the prompt. */
		else if (q.system.len > 0 &&
		    q.system.data[q.system.len - 1] == '\n')
			q.system.len--;
		if (q.status == 0 && !is_utf8(q.system.data, q.system.len)) {
			warnx("%s: not valid UTF-8", tclog_input_name(system_file));
			tclog_status_raise(&q.status, TCLOG_EXIT_FATAL);
		}
	}
	if (q.status == 0 && tools_file != NULL) {
		q.has_tools = true;
		if (load_tools(&q, tools_file) != 0)
			tclog_status_raise(&q.status, TCLOG_EXIT_FATAL);
	}
	if (q.status != 0) {
		free_all(&q);
		return q.status;
	}
	tclog_record_init(&q.rec);

	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &q.status))
		convert_file(&q, in.fd, in.name);
	finish_example(&q);

	free_all(&q);
	status = tclog_close_output();
	return status > q.status ? status : q.status;
}
