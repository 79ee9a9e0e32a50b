/*
 * The Qwen2.5 chat template by hand: the rendering of an example (or of
 * a prompt alone) byte for byte as transformers renders it, with tojson
 * as Python's json.dumps. The text format writes it, tclog-stats counts
 * its tokens, and the digest of it is what makes two examples the same.
 */
#include "internal.h"

static const char default_system[] =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

/* The system turn, with the tools. */
static void
text_system(const struct tclog_prompt *p, bool tools, struct tclog_buf *t)
{
	struct tclog_json_iter it;
	const char *tool;
	size_t len;
	bool any_tool = false;

	tclog_buf_adds(t, "<|im_start|>system\n");
	if (p->has_system)
		tclog_buf_add(t, p->system.data, p->system.len);
	else
		tclog_buf_adds(t, default_system);
	if (tools) {
		tclog_json_iter_init(&it, p->tools.data, p->tools.len);
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
	tclog_buf_adds(t, "<|im_end|>\n");
}

void
tclog_prompt_text(const struct tclog_prompt *p, const char *query,
    size_t len, bool tools, struct tclog_buf *t)
{
	text_system(p, tools && p->has_tools, t);
	tclog_buf_adds(t, "<|im_start|>user\n");
	tclog_buf_add(t, query, len);
	/* The template opens the assistant's turn with "assistant" and
	 * writes "\n" before its content and before each call: the prompt
	 * rendered with add_generation_prompt ends at that "\n". */
	tclog_buf_adds(t, "<|im_end|>\n<|im_start|>assistant\n");
}

/* The rendering of tclog_example_text; as_key: arguments that are no
 * JSON (which -f text never takes, -f openai does) follow a \x01 as
 * they are, where a JSON rendering cannot have that byte. */
static void
render(const struct tclog_prompt *p, const struct tclog_example *ex,
    bool results, struct tclog_buf *t, size_t *completion,
    size_t *completion_end, bool as_key)
{
	size_t start = t->len;

	tclog_prompt_text(p, ex->query.data, ex->query.len,
	    tclog_prompt_tools_for(p, ex), t);
	if (completion != NULL)
		*completion = t->len - start;
	tclog_buf_add(t, ex->content.data, ex->content.len);
	for (size_t i = 0, n = 0; i < ex->ncall; i++) {
		const struct tclog_call *c = &ex->call[i];

		if (!c->logged)
			continue;
		tclog_buf_adds(t, ex->content.len > 0 || n > 0 ?
		    "\n<tool_call>\n{\"name\": \"" : "<tool_call>\n{\"name\": \"");
		n++;
		tclog_buf_add(t, c->name.data, c->name.len);
		tclog_buf_adds(t, "\", \"arguments\": ");
		if (as_key && !c->args_json) {
			tclog_buf_addc(t, '\x01');
			tclog_buf_add(t, c->args.data, c->args.len);
		} else
			tclog_json_write(t, c->args.data, c->args.len,
			    TCLOG_JSON_PYTHON);
		tclog_buf_adds(t, "}\n</tool_call>");
	}
	tclog_buf_adds(t, "<|im_end|>\n");
	if (completion_end != NULL)
		*completion_end = t->len - start;
	if (results) {
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
}

void
tclog_example_text(const struct tclog_prompt *p,
    const struct tclog_example *ex, bool results, struct tclog_buf *t,
    size_t *completion, size_t *completion_end)
{
	render(p, ex, results, t, completion, completion_end, false);
}

void
tclog_example_digest(const struct tclog_prompt *p,
    const struct tclog_example *ex, bool results, struct tclog_buf *scratch,
    unsigned long long d[2], unsigned long long prompt[2],
    unsigned long long output[2])
{
	size_t completion, end;

	scratch->len = 0;
	render(p, ex, results, scratch, &completion, &end, true);
	tclog_digest(scratch->data, scratch->len, d);
	if (prompt != NULL)
		tclog_digest(scratch->data, completion, prompt);
	if (output != NULL)
		tclog_digest(scratch->data + completion, end - completion,
		    output);
}
