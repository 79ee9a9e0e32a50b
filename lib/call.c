/*
 * The pairing rule: a call of a response and the call a log entry
 * executed, each reduced to a key (its name decoded, its arguments as
 * tclog_call_args gives them), and the comparison of two keys. The
 * response reader (response.c) and the review view (review.c) both pair
 * by it, so that tclog-cat -p marks the call tclog-qwen pairs.
 */
#include <string.h>

#include "internal.h"

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
