/*
 * A response's calls, held alike by the response reader (response.c)
 * and the example builder (example.c), which copies them. And the
 * pairing rule: a call of a response and the call a log entry executed,
 * each reduced to a key (its name decoded, its arguments as
 * tclog_call_args gives them), and the comparison of two keys. The
 * response reader and the review view (review.c) both pair by it, so
 * that tclog-cat -p marks the call tclog-qwen pairs.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Past this capacity a call's buffer is not kept (tclog_calls_shrink). */
#define KEEP_CAPACITY ((size_t)64 << 10)

struct tclog_call *
tclog_call_add(struct tclog_call **call, size_t *n, size_t *cap)
{
	struct tclog_call *c;

	*call = tclog_grow_zeroed(*call, cap, *n + 1, sizeof(**call));
	c = &(*call)[(*n)++];
	c->id.len = c->name.len = c->args.len = c->result.len = 0;
	c->args_json = c->logged = false;
	c->rating = 0;
	c->line = 0;
	return c;
}

void
tclog_calls_shrink(struct tclog_call *call, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if (call[i].args.cap > KEEP_CAPACITY)
			tclog_buf_free(&call[i].args);
		if (call[i].result.cap > KEEP_CAPACITY)
			tclog_buf_free(&call[i].result);
	}
}

void
tclog_calls_free(struct tclog_call *call, size_t cap)
{
	for (size_t i = 0; i < cap; i++)
		TCLOG_BUFS_FREE(&call[i].id, &call[i].name, &call[i].args,
		    &call[i].result);
	free(call);
}

void
tclog_call_args(struct tclog_buf *out, bool *json, const char *value,
    size_t len)
{
	struct tclog_buf err = { 0 };
	const char *text;
	size_t n;

	out->len = 0;
	if (value == NULL) {
		tclog_buf_adds(out, "{}");
		*json = true;
		return;
	}
	if (tclog_json_string(value, len, out) != 0)
		tclog_buf_add(out, value, len);
	text = out->data;
	n = out->len;
	if (n > 0) {
		tclog_json_trim(&text, &n);
		memmove(out->data, text, n);
		out->len = n;
	}
	*json = tclog_json_check(out->data, out->len, false, &err) == 0 &&
	    tclog_json_depth(out->data, out->len) <= TCLOG_ARGS_DEPTH;
	tclog_buf_free(&err);
}

bool
tclog_call_same(const struct tclog_call_key *a, const struct tclog_call_key *b)
{
	if (a->name_len != b->name_len ||
	    memcmp(a->name, b->name, a->name_len) != 0)
		return false;
	if (a->args_json && b->args_json)
		return tclog_json_equal(a->args, a->args_len, b->args,
		    b->args_len);
	return a->args_len == b->args_len &&
	    memcmp(a->args, b->args, a->args_len) == 0;
}
