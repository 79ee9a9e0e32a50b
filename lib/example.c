/*
 * Fine-tuning examples from log entries. The assistant logs one entry per
 * executed call; a response with parallel calls is logged as consecutive
 * entries that share it. They are gathered here into one example (the
 * prompt: the user's query; the completion: the assistant's content and
 * calls; the calls' results and ratings), which a format then writes
 * (format.c). Where a response ends is response.c's rule, which
 * tclog-filter -g follows too. Memory holds one example at most.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* ---- content that is only JSON text ---- */

static bool
block_is_json(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	return tclog_json_containers(s, n);
}

/*
 * True when the assistant's content is nothing but the calls written out
 * as text, which the example already carries as structured calls: JSON
 * text, maybe in a ``` or ```json fence, or <tool_call> blocks.
 */
static bool
is_json_only(const char *s, size_t n)
{
	tclog_json_trim(&s, &n);
	if (tclog_tool_call_blocks(s, n, block_is_json, NULL))
		return true;
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
	return tclog_json_containers(s, n);
}

/* ---- gathering ---- */

static void
bad_record(const char *file, unsigned long line, int *status,
    const char *why)
{
	tclog_diag(file, line, "%s", why);
	tclog_status_raise(status, TCLOG_EXIT_BAD);
}

/* A field that must be a string when present (null counts as absent). */
static const struct tclog_field *
string_field(struct tclog_examples *xs, const struct tclog_field *f,
    const char *key, bool required, bool *ok, const char *file,
    unsigned long line, int *status)
{
	*ok = true;
	if (f != NULL && tclog_json_type(f->value, f->value_len) ==
	    TCLOG_JSON_NULL)
		f = NULL;
	if (f == NULL && required) {
		xs->err.len = 0;
		tclog_buf_printf(&xs->err, "no %s", key);
		bad_record(file, line, status, tclog_buf_str(&xs->err));
		*ok = false;
	} else if (f != NULL && tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_STRING) {
		xs->err.len = 0;
		tclog_buf_printf(&xs->err, "%s is not a string", key);
		bad_record(file, line, status, tclog_buf_str(&xs->err));
		*ok = false;
		f = NULL;
	}
	return f;
}

/* The tool message of the entry: status, error and output. */
static void
entry_result(struct tclog_buf *r, const struct tclog_field *status,
    const struct tclog_field *message, const struct tclog_field *output,
    const struct tclog_field *details)
{
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

/* A result over max bytes keeps its head and tail, max in all, with one
 * line between them saying how much was cut (unless that line would be
 * no shorter). Each cut moves inwards to a line boundary within max / 8
 * bytes, so that whole lines are kept; else it falls on a UTF-8
 * character boundary. */
static void
cut_result(struct tclog_buf *r, size_t max)
{
	size_t head = max / 2, tail, cut, near = max / 8, i;
	char note[64];
	int n;

	if (max == 0 || r->len <= max)
		return;
	tail = r->len - (max - head);
	for (i = head; i > 0 && head - i <= near; i--)
		if (r->data[i - 1] == '\n')
			break;
	if (i > 0 && head - i <= near)
		head = i;	/* just past a newline */
	else
		while (head > 0 && ((unsigned char)r->data[head] & 0xc0) ==
		    0x80)
			head--;
	for (i = tail; i < r->len && i - tail < near; i++)
		if (r->data[i] == '\n')
			break;
	if (i > tail && i < r->len && i - tail < near)
		tail = i + 1;	/* the line after the newline */
	else if (tail > 0 && r->data[tail - 1] == '\n')
		;	/* at a line's start already */
	else
		while (tail < r->len &&
		    ((unsigned char)r->data[tail] & 0xc0) == 0x80)
			tail++;
	cut = tail - head;
	/* the note is a line of its own: no newline before it when the
	 * head ends one */
	n = snprintf(note, sizeof note, "%s[... %zu bytes cut ...]\n",
	    head > 0 && r->data[head - 1] == '\n' ? "" : "\n", cut);
	if ((size_t)n >= cut)	/* the note would be as long as the cut */
		return;
	memmove(r->data + head + (size_t)n, r->data + tail, r->len - tail);
	memcpy(r->data + head, note, (size_t)n);
	r->len = head + (size_t)n + (r->len - tail);
}

static struct tclog_call *
new_call(struct tclog_example *ex)
{
	return tclog_call_add(&ex->call, &ex->ncall, &ex->call_cap);
}

/* Delivers the open example, if any, and closes it. */
static void
finish_example(struct tclog_examples *xs)
{
	struct tclog_example *ex = &xs->ex;

	if (xs->open && !ex->bad)
		xs->done(xs->ctx, ex);
	xs->open = false;
	tclog_calls_shrink(ex->call, ex->call_cap);
}

/* Marks call i of the open example as executed by the entry. */
static void
log_call(struct tclog_examples *xs, size_t i, const char *file,
    unsigned long line, int *status)
{
	struct tclog_example *ex = &xs->ex;
	struct tclog_call *c = &ex->call[i];

	c->logged = true;
	c->rating = xs->rating;
	c->line = line;
	tclog_buf_add(&c->result, xs->result.data, xs->result.len);
	ex->nlogged++;
	if (xs->made_up)
		ex->made_up_query = true;
	if (xs->tools_off)
		ex->tools_off = true;
	if (xs->rating == 0)
		ex->unrated = true;
	else if (ex->min_rating == 0 || xs->rating < ex->min_rating)
		ex->min_rating = xs->rating;
	if (ex->bad) {	/* no entry is dropped without a word */
		tclog_diag(file, line, "entry of the example skipped at line %lu",
		    xs->bad_line);
		return;
	}
	if (!xs->args_objects || (c->args_json && c->args.data[0] == '{'))
		return;
	xs->err.len = 0;
	if (c->args_json || tclog_json_check(c->args.data, c->args.len, false,
	    &xs->err) != 0) {
		xs->err.len = 0;
		tclog_buf_adds(&xs->err, "arguments is not a JSON object");
	} else
		tclog_buf_printf(&xs->err, "arguments nested deeper than %d "
		    "levels", TCLOG_ARGS_DEPTH);
	tclog_buf_adds(&xs->err, ", example skipped");
	if (ex->first_line != line)
		tclog_buf_printf(&xs->err, " with its entries from line %lu",
		    ex->first_line);
	bad_record(file, line, status, tclog_buf_str(&xs->err));
	ex->bad = true;
	xs->bad_line = line;
}

/* Adds the entry's own call to the open example, with id call_N. */
static void
text_call(struct tclog_examples *xs, const char *file, unsigned long line,
    int *status)
{
	struct tclog_call *c = new_call(&xs->ex);

	tclog_buf_printf(&c->id, "call_%zu", xs->ex.ncall);
	tclog_buf_add(&c->name, xs->resp.name.data, xs->resp.name.len);
	tclog_buf_add(&c->args, xs->resp.args.data, xs->resp.args.len);
	c->args_json = xs->resp.args_json;
	log_call(xs, xs->ex.ncall - 1, file, line, status);
}

/* Starts an example with the entry, which started a response. */
static void
start_example(struct tclog_examples *xs, const struct tclog_field *query,
    const char *file, unsigned long line, int *status)
{
	struct tclog_example *ex = &xs->ex;
	const struct tclog_response *r = &xs->resp;

	xs->open = true;
	ex->bad = false;
	ex->file = file;
	ex->first_line = line;
	ex->ncall = ex->nlogged = 0;
	ex->min_rating = 0;
	ex->unrated = false;
	ex->made_up_query = false;
	ex->tools_off = false;
	ex->query.len = 0;
	tclog_json_string(query->value, query->value_len, &ex->query);
	ex->content.len = 0;
	tclog_buf_add(&ex->content, r->content.data, r->content.len);
	if (!xs->keep_json && is_json_only(ex->content.data, ex->content.len))
		ex->content.len = 0;

	if (r->listed && r->taken >= 0) {
		ex->kind = TCLOG_EXAMPLE_CALLS;
		for (size_t i = 0; i < r->ncall; i++) {
			struct tclog_call *c = new_call(ex);

			tclog_buf_add(&c->id, r->call[i].id.data,
			    r->call[i].id.len);
			tclog_buf_add(&c->name, r->call[i].name.data,
			    r->call[i].name.len);
			tclog_buf_add(&c->args, r->call[i].args.data,
			    r->call[i].args.len);
			c->args_json = r->call[i].args_json;
		}
		log_call(xs, (size_t)r->taken, file, line, status);
		return;
	}
	/* The calls were written as prose (the entries that follow with the
	 * same turn are its other calls), or the response does not hold
	 * the entry's call: the entry's own call stands alone. */
	ex->kind = r->listed ? TCLOG_EXAMPLE_STRAY : TCLOG_EXAMPLE_TEXT;
	text_call(xs, file, line, status);
}

void
tclog_examples_init(struct tclog_examples *xs)
{
	xs->open = false;
	tclog_response_end(&xs->resp);
}

void
tclog_examples_entry(struct tclog_examples *xs,
    const struct tclog_record *rec, const char *file, unsigned long line,
    int *status)
{
	struct tclog_entry e;

	tclog_entry_view(&e, rec, &xs->err);
	tclog_examples_add(xs, &e, file, line, status);
}

void
tclog_examples_add(struct tclog_examples *xs, const struct tclog_entry *e,
    const char *file, unsigned long line, int *status)
{
	const struct tclog_field *query, *response;
	const struct tclog_field *st, *message, *output, *details;
	bool ok, all_ok = true;

	/* The rule of every command: the same record is bad everywhere. */
	if ((xs->rating = e->rating) == TCLOG_RATING_BAD) {
		bad_record(file, line, status, e->why);
		return;
	}
	/* Without a tool name it is no log entry, old or new: saying
	 * "old-format" would send the user to tclog-upgrade for nothing.
	 * (It, model and the rest of the key are read by tclog_response.) */
	(void)string_field(xs, e->tool, "tool_name", true, &ok, file, line,
	    status);
	if (!ok)
		return;
	query = e->query;
	response = e->response;
	if (query == NULL || response == NULL ||
	    tclog_json_is_empty_string(query->value, query->value_len) ||
	    tclog_json_is_empty_string(response->value, response->value_len)) {
		const char *refusal = tclog_upgrade_refusal(e->rec);

		bad_record(file, line, status, refusal != NULL ? refusal :
		    "old-format entry, run tclog-upgrade first");
		return;
	}
	query = string_field(xs, e->query, "user_query", true, &ok, file,
	    line, status);
	if (!ok)
		return;
	if (tclog_json_type(response->value, response->value_len) !=
	    TCLOG_JSON_STRING) {
		bad_record(file, line, status, "model_response is not a string");
		return;
	}
#define FIELD(var, f, key, required) \
	var = string_field(xs, f, key, required, &ok, file, line, status); \
	all_ok = all_ok && ok
	(void)string_field(xs, e->model, "model", false, &ok, file, line,
	    status);
	all_ok = ok;
	FIELD(st, e->status, "status", true);
	FIELD(message, e->message, "message", false);
	FIELD(output, e->output, "output", false);
	FIELD(details, e->details, "error_details", false);
#undef FIELD
	if (all_ok && e->args == NULL) {
		bad_record(file, line, status, "no arguments");
		all_ok = false;
	}
	if (!all_ok)
		return;

	entry_result(&xs->result, st, message, output, details);
	cut_result(&xs->result, xs->result_max);
	xs->made_up = (e->made_up & TCLOG_MADE_UP_QUERY) != 0;
	xs->tools_off = e->tools_off;

	switch (tclog_response_entry(&xs->resp, e)) {
	case TCLOG_RESPONSE_BAD:
		bad_record(file, line, status, xs->resp.why);
		return;
	case TCLOG_RESPONSE_SAME:
		if (xs->ex.kind == TCLOG_EXAMPLE_TEXT)
			text_call(xs, file, line, status);
		else
			log_call(xs, (size_t)xs->resp.taken, file, line,
			    status);
		break;
	case TCLOG_RESPONSE_NEW:
		finish_example(xs);
		start_example(xs, query, file, line, status);
		break;
	}
	if (xs->resp.ended)
		finish_example(xs);
}

void
tclog_examples_end(struct tclog_examples *xs)
{
	finish_example(xs);
	tclog_response_end(&xs->resp);
}

void
tclog_examples_free(struct tclog_examples *xs)
{
	struct tclog_example *ex = &xs->ex;

	tclog_calls_free(ex->call, ex->call_cap);
	TCLOG_BUFS_FREE(&ex->query, &ex->content);
	tclog_response_free(&xs->resp);
	tclog_buf_free(&xs->result);
	tclog_buf_free(&xs->err);
}
