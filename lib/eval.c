/*
 * Scoring a served model's calls against the logged ones (tclog-eval):
 * the calls of a chat completion, the result of an example, the sign
 * test of a before-and-after comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const tclog_eval_names[TCLOG_EVAL_NRESULT] = {
	"exact", "same-tools", "wrong-tool", "no-call", "error"
};

int
tclog_eval_result_find(const char *value, size_t len)
{
	for (int r = 0; r < TCLOG_EVAL_NRESULT; r++) {
		size_t n = strlen(tclog_eval_names[r]);

		/* the names need no escapes: compare the raw string */
		if (len == n + 2 && value[0] == '"' &&
		    memcmp(value + 1, tclog_eval_names[r], n) == 0)
			return r;
	}
	return -1;
}

/* ---- a list of calls ---- */

void
tclog_eval_calls_clear(struct tclog_eval_calls *c)
{
	c->n = 0;
}

struct tclog_eval_call *
tclog_eval_calls_add(struct tclog_eval_calls *c)
{
	struct tclog_eval_call *call;

	c->call = tclog_grow_zeroed(c->call, &c->cap, c->n + 1,
	    sizeof(*c->call));
	call = &c->call[c->n++];
	call->name.len = call->args.len = 0;
	call->args_json = false;
	return call;
}

void
tclog_eval_calls_free(struct tclog_eval_calls *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		tclog_buf_free(&c->call[i].name);
		tclog_buf_free(&c->call[i].args);
	}
	free(c->call);
	memset(c, 0, sizeof(*c));
}

void
tclog_eval_call_compact(struct tclog_eval_call *call, struct tclog_buf *scratch)
{
	struct tclog_buf t;

	if (!call->args_json)
		return;
	scratch->len = 0;
	tclog_json_write(scratch, call->args.data, call->args.len,
	    TCLOG_JSON_COMPACT);
	t = call->args;
	call->args = *scratch;
	*scratch = t;
}

void
tclog_eval_calls_write(struct tclog_buf *b, const struct tclog_eval_calls *c)
{
	tclog_buf_addc(b, '[');
	for (size_t i = 0; i < c->n; i++) {
		const struct tclog_eval_call *call = &c->call[i];

		if (i > 0)
			tclog_buf_addc(b, ',');
		tclog_buf_adds(b, "{\"name\":");
		tclog_json_put_string(b, call->name.data, call->name.len);
		tclog_buf_adds(b, ",\"arguments\":");
		if (call->args_json)
			tclog_json_write(b, call->args.data, call->args.len,
			    TCLOG_JSON_COMPACT);
		else	/* as the model wrote them: text that is no JSON */
			tclog_json_put_string(b, call->args.data,
			    call->args.len);
		tclog_buf_addc(b, '}');
	}
	tclog_buf_addc(b, ']');
}

/* ---- the calls of a chat completion ---- */

/* A <tool_call> block's {"name": ..., "arguments": ...}; false when the
 * block is not one (then the content is no calls at all). */
static bool
block_call(void *ctx, const char *s, size_t n)
{
	struct tclog_completion *c = ctx;
	struct tclog_eval_call *call;
	const char *name, *args;
	size_t name_len, args_len = 0;

	c->scratch.len = 0;
	if (tclog_json_check(s, n, true, &c->scratch) != 0)
		return false;
	tclog_json_trim(&s, &n);
	name = tclog_json_member(s, n, "name", &name_len);
	if (name == NULL || tclog_json_type(name, name_len) != TCLOG_JSON_STRING)
		return false;
	args = tclog_json_member(s, n, "arguments", &args_len);
	if (args != NULL && tclog_json_type(args, args_len) == TCLOG_JSON_NULL)
		args = NULL;
	call = tclog_eval_calls_add(&c->calls);
	tclog_json_string(name, name_len, &call->name);
	tclog_call_args(&call->args, &call->args_json, args, args_len);
	tclog_eval_call_compact(call, &c->scratch);
	return true;
}

int
tclog_completion_parse(struct tclog_completion *c, const char *body,
    size_t len, struct tclog_buf *why)
{
	struct tclog_tool_calls tc;
	struct tclog_json_iter it;
	const char *choices, *choice, *msg, *calls, *content, *usage;
	size_t choices_len, choice_len, msg_len, calls_len, content_len;
	size_t usage_len;

	tclog_eval_calls_clear(&c->calls);
	c->usage = NULL;
	c->usage_len = 0;
	c->scratch.len = 0;
	if (tclog_json_check(body, len, true, &c->scratch) != 0) {
		tclog_buf_printf(why, "not a chat completion: invalid JSON: %s",
		    tclog_buf_str(&c->scratch));
		return -1;
	}
	tclog_json_trim(&body, &len);
	choices = tclog_json_member(body, len, "choices", &choices_len);
	if (choices == NULL || tclog_json_type(choices, choices_len) !=
	    TCLOG_JSON_ARRAY) {
		tclog_buf_adds(why, "not a chat completion: no \"choices\"");
		tclog_completion_error(body, len, why);
		return -1;
	}
	tclog_json_iter_init(&it, choices, choices_len);
	if (!tclog_json_next_element(&it, &choice, &choice_len) ||
	    tclog_json_type(choice, choice_len) != TCLOG_JSON_OBJECT ||
	    (msg = tclog_json_member(choice, choice_len, "message",
	    &msg_len)) == NULL ||
	    tclog_json_type(msg, msg_len) != TCLOG_JSON_OBJECT) {
		tclog_buf_adds(why, "not a chat completion: no "
		    "choices[0].message object");
		return -1;
	}
	usage = tclog_json_member(body, len, "usage", &usage_len);
	if (usage != NULL && tclog_json_type(usage, usage_len) ==
	    TCLOG_JSON_OBJECT && tclog_json_depth(usage, usage_len) <=
	    TCLOG_ARGS_DEPTH) {
		c->usage = usage;
		c->usage_len = usage_len;
	}

	/* tool_calls that are not a list of named calls are a broken
	 * answer, not "no call": the model's calls are not known */
	calls = tclog_json_member(msg, msg_len, "tool_calls", &calls_len);
	if (calls != NULL && tclog_json_type(calls, calls_len) !=
	    TCLOG_JSON_ARRAY && tclog_json_type(calls, calls_len) !=
	    TCLOG_JSON_NULL) {
		tclog_buf_adds(why, "not a chat completion: \"tool_calls\" is "
		    "not an array");
		return -1;
	}
	if (calls != NULL && tclog_json_type(calls, calls_len) ==
	    TCLOG_JSON_ARRAY) {
		tclog_tool_calls_init(&tc, calls, calls_len);
		while (tclog_tool_calls_next(&tc) && tc.place == c->calls.n + 1 &&
		    !tclog_json_is_empty_string(tc.name, tc.name_len)) {
			struct tclog_eval_call *call =
			    tclog_eval_calls_add(&c->calls);

			tclog_json_string(tc.name, tc.name_len, &call->name);
			tclog_call_args(&call->args, &call->args_json, tc.args,
			    tc.args_len);
			tclog_eval_call_compact(call, &c->scratch);
		}
		/* the iterator passed over an element that was no call */
		if (tc.place > c->calls.n) {
			tclog_buf_printf(why, "not a chat completion: "
			    "tool_calls[%zu] is no call with a function name",
			    c->calls.n);
			tclog_eval_calls_clear(&c->calls);
			return -1;
		}
	}
	if (c->calls.n > 0)
		return 0;
	/* no tool_calls: the calls a server left as Qwen's text */
	content = tclog_json_member(msg, msg_len, "content", &content_len);
	if (content == NULL || tclog_json_type(content, content_len) !=
	    TCLOG_JSON_STRING)
		return 0;
	c->content.len = 0;
	tclog_json_string(content, content_len, &c->content);
	if (!tclog_tool_call_blocks(c->content.data, c->content.len,
	    block_call, c))
		tclog_eval_calls_clear(&c->calls);
	return 0;
}

/* The most of a text body's line an error shows, in bytes. */
#define ERROR_LINE_MAX 200

/* A body that is no JSON (a proxy's text/plain, an HTML page): its first
 * line, cut short (at a character, and before any byte that is not
 * UTF-8: the reason goes into a JSON line) and made visible. */
static void
error_text(const char *body, size_t len, struct tclog_buf *out)
{
	struct tclog_buf line = { 0 };
	size_t n, shown;

	while (len > 0 && tclog_json_is_space(*body)) {
		body++;
		len--;
	}
	for (n = 0; n < len && body[n] != '\n' && body[n] != '\r'; n++)
		continue;
	while (n > 0 && tclog_json_is_space(body[n - 1]))
		n--;
	if (n == 0)
		return;
	shown = tclog_utf8_invalid(body, n < ERROR_LINE_MAX ? n :
	    ERROR_LINE_MAX);
	tclog_buf_add(&line, body, shown);
	if (shown < n)
		tclog_buf_adds(&line, "...");
	tclog_buf_adds(out, ": ");
	tclog_json_put_visible_string(out, line.data, line.len);
	tclog_buf_free(&line);
}

/*
 * Where servers put the reason of an error: {"error": {"message": ...}}
 * (OpenAI's API, llama.cpp, vLLM since its ErrorInfo), {"error": "..."}
 * (Ollama), {"object": "error", "message": ...} (vLLM before), {"detail":
 * ...} (FastAPI's own answers: an unknown route, a request it could not
 * validate). The first of these keys that is there and not null.
 */
static const char *const error_keys[] = { "error", "message", "detail" };

void
tclog_completion_error(const char *body, size_t len, struct tclog_buf *out)
{
	struct tclog_buf err = { 0 }, text = { 0 };
	const char *e = NULL, *m;
	size_t e_len, m_len;

	if (tclog_json_check(body, len, true, &err) != 0) {
		error_text(body, len, out);
		goto done;
	}
	tclog_json_trim(&body, &len);
	for (size_t i = 0; i < sizeof(error_keys) / sizeof(error_keys[0]) &&
	    e == NULL; i++)
		if ((e = tclog_json_member(body, len, error_keys[i],
		    &e_len)) != NULL && tclog_json_type(e, e_len) ==
		    TCLOG_JSON_NULL)
			e = NULL;
	if (e == NULL)
		goto done;
	if (tclog_json_type(e, e_len) == TCLOG_JSON_OBJECT &&
	    (m = tclog_json_member(e, e_len, "message", &m_len)) != NULL) {
		e = m;
		e_len = m_len;
	}
	/* a string's text, anything else its JSON: the first line of it,
	 * as of a text body */
	if (tclog_json_string(e, e_len, &text) == 0)
		error_text(text.data, text.len, out);
	else
		error_text(e, e_len, out);
done:
	TCLOG_BUFS_FREE(&err, &text);
}

void
tclog_completion_free(struct tclog_completion *c)
{
	tclog_eval_calls_free(&c->calls);
	tclog_buf_free(&c->content);
	tclog_buf_free(&c->scratch);
}

/* ---- the result of an example ---- */

static bool
same_name(const struct tclog_eval_call *a, const struct tclog_eval_call *b)
{
	return a->name.len == b->name.len &&
	    memcmp(a->name.data, b->name.data, a->name.len) == 0;
}

/* Arguments that are no JSON never equal anything: the model's call
 * would not have run as logged. */
static bool
same_call(const struct tclog_eval_call *a, const struct tclog_eval_call *b)
{
	return same_name(a, b) && a->args_json && b->args_json &&
	    tclog_json_equal(a->args.data, a->args.len, b->args.data,
	    b->args.len);
}

/* Whether every call of want pairs off with one of got, by same: a
 * multiset comparison (both are equivalence relations, so taking the
 * first free match never misses a pairing). */
static bool
pairs_off(const struct tclog_eval_calls *want,
    const struct tclog_eval_calls *got,
    bool (*same)(const struct tclog_eval_call *,
    const struct tclog_eval_call *))
{
	bool *used, ok = true;

	if (want->n != got->n)
		return false;
	used = tclog_xmalloc(got->n + 1);
	memset(used, 0, got->n + 1);
	for (size_t i = 0; i < want->n && ok; i++) {
		size_t j;

		for (j = 0; j < got->n; j++)
			if (!used[j] && same(&want->call[i], &got->call[j]))
				break;
		if (j == got->n)
			ok = false;
		else
			used[j] = true;
	}
	free(used);
	return ok;
}

enum tclog_eval_result
tclog_eval_score(const struct tclog_eval_calls *expected,
    const struct tclog_eval_calls *got)
{
	if (got->n == 0)
		return TCLOG_EVAL_NO_CALL;
	if (pairs_off(expected, got, same_call))
		return TCLOG_EVAL_EXACT;
	if (pairs_off(expected, got, same_name))
		return TCLOG_EVAL_SAME_TOOLS;
	return TCLOG_EVAL_WRONG_TOOL;
}

/* ---- the sign test ---- */

double
tclog_sign_test(unsigned long better, unsigned long worse)
{
	unsigned long n = better + worse;
	double term = 1, sum = 0;
	long e = -(long)n;

	if (better == 0)
		return 1;
	/*
	 * P(X >= better) for X ~ Binomial(n, 1/2): the terms C(n, k) / 2^n
	 * from k = n down, each from the one before, with term and sum
	 * scaled by 2^e together (2^-n underflows a double past n = 1074;
	 * no libm, since every harness links this file).
	 */
	for (unsigned long k = n;; k--) {
		sum += term;
		if (k == better)
			break;
		term *= (double)k / (double)(n - k + 1);
		if (term > 0x1p500) {
			term *= 0x1p-500;
			sum *= 0x1p-500;
			e += 500;
		}
	}
	for (; e <= -500 && sum > 0; e += 500)
		sum *= 0x1p-500;
	for (; e < 0; e++)
		sum *= 0.5;
	return sum < 1 ? sum : 1;
}
