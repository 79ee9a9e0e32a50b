/* Pieces of OpenAI-style chat messages, as model_response holds them. */
#include "internal.h"

void
tclog_tool_calls_init(struct tclog_tool_calls *tc, const char *calls,
    size_t len)
{
	tclog_json_iter_init(&tc->it, calls, len);
	tc->place = 0;
}

bool
tclog_tool_calls_next(struct tclog_tool_calls *tc)
{
	const char *call, *fn, *k, *v;
	size_t call_len, fn_len, klen, vlen;
	struct tclog_json_iter it;

	while (tclog_json_next_element(&tc->it, &call, &call_len)) {
		tc->place++;
		if (tclog_json_type(call, call_len) != TCLOG_JSON_OBJECT)
			continue;
		tc->id = fn = NULL;
		tc->id_len = fn_len = 0;
		tclog_json_iter_init(&it, call, call_len);
		while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
			enum tclog_json_type type = tclog_json_type(v, vlen);

			if (tclog_json_key_is(k, klen, "id") &&
			    type == TCLOG_JSON_STRING &&
			    !tclog_json_is_empty_string(v, vlen)) {
				tc->id = v;
				tc->id_len = vlen;
			} else if (tclog_json_key_is(k, klen, "function") &&
			    type == TCLOG_JSON_OBJECT) {
				fn = v;
				fn_len = vlen;
			}
		}
		if (fn == NULL)
			continue;
		tc->name = tc->args = NULL;
		tc->name_len = tc->args_len = 0;
		tclog_json_iter_init(&it, fn, fn_len);
		while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
			enum tclog_json_type type = tclog_json_type(v, vlen);

			if (tclog_json_key_is(k, klen, "name") &&
			    type == TCLOG_JSON_STRING) {
				tc->name = v;
				tc->name_len = vlen;
			} else if (tclog_json_key_is(k, klen, "arguments") &&
			    type != TCLOG_JSON_NULL) {
				tc->args = v;
				tc->args_len = vlen;
			}
		}
		if (tc->name != NULL)
			return true;
	}
	return false;
}
