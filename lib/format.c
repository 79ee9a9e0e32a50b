/*
 * The output formats of examples, one table entry each, and the prompt
 * they share (system prompt, tools). Nested JSON inside strings is
 * written as the chat templates' Python tojson writes it.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

static const char default_system[] =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

/* ---- the prompt ---- */

/* Whether s is valid UTF-8 (so that it can go into JSON strings). */
static bool
is_utf8(const struct tclog_buf *b)
{
	return tclog_utf8_invalid(b->data, b->len) == b->len;
}

int
tclog_prompt_system(struct tclog_prompt *p, const char *text)
{
	p->has_system = true;
	p->system.len = 0;
	tclog_buf_adds(&p->system, text);
	if (!is_utf8(&p->system)) {
		warnx("-s: not valid UTF-8");
		return -1;
	}
	return 0;
}

int
tclog_prompt_system_file(struct tclog_prompt *p, const char *path,
    size_t limit)
{
	p->has_system = true;
	if (tclog_read_text(path, &p->system, limit) != 0)
		return -1;
	/* A file's last line ends in a newline that is not part of the
	 * prompt. */
	if (p->system.len > 0 && p->system.data[p->system.len - 1] == '\n')
		p->system.len--;
	if (!is_utf8(&p->system)) {
		warnx("%s: not valid UTF-8", tclog_input_name(path));
		return -1;
	}
	return 0;
}

/* The last member of object obj named key (as Python keeps), or NULL. */
static const char *
member(const char *obj, size_t len, const char *key, size_t *vlen)
{
	struct tclog_json_iter it;
	const char *k, *v, *found = NULL;
	size_t klen, n;

	tclog_json_iter_init(&it, obj, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &n))
		if (tclog_json_key_is(k, klen, key)) {
			found = v;
			*vlen = n;
		}
	return found;
}

int
tclog_prompt_tools(struct tclog_prompt *p, const char *path, size_t limit)
{
	struct tclog_buf err = { 0 };
	struct tclog_json_iter it;
	const char *tool, *type, *fn, *name;
	size_t len, type_len, fn_len, name_len, n = 0;
	const char *file = tclog_input_name(path);
	int ret = -1;

	p->has_tools = true;
	if (tclog_read_text(path, &p->tools, limit) != 0)
		return -1;
	if (tclog_json_check(p->tools.data, p->tools.len, false, &err) != 0) {
		warnx("%s: invalid JSON: %s (-t takes a JSON array of tools)",
		    file, tclog_buf_str(&err));
		goto done;
	}
	tool = p->tools.data;
	len = p->tools.len;
	tclog_json_trim(&tool, &len);
	memmove(p->tools.data, tool, len);
	p->tools.len = len;
	if (tclog_json_type(p->tools.data, p->tools.len) != TCLOG_JSON_ARRAY) {
		warnx("%s: not a JSON array of tools", file);
		goto done;
	}
	if (tclog_json_depth(p->tools.data, p->tools.len) > TCLOG_ARGS_DEPTH) {
		warnx("%s: nested deeper than %d levels", file,
		    TCLOG_ARGS_DEPTH);
		goto done;
	}
	tclog_json_iter_init(&it, p->tools.data, p->tools.len);
	while (tclog_json_next_element(&it, &tool, &len)) {
		n++;
		if (tclog_json_type(tool, len) != TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: not a JSON object", file, n);
			goto done;
		}
		type = member(tool, len, "type", &type_len);
		if (type == NULL || !tclog_json_equal(type, type_len,
		    "\"function\"", 10)) {
			warnx("%s: tool %zu: \"type\" is not \"function\"", file,
			    n);
			goto done;
		}
		fn = member(tool, len, "function", &fn_len);
		if (fn == NULL || tclog_json_type(fn, fn_len) !=
		    TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: no \"function\" object", file, n);
			goto done;
		}
		name = member(fn, fn_len, "name", &name_len);
		if (name == NULL || tclog_json_type(name, name_len) !=
		    TCLOG_JSON_STRING) {
			warnx("%s: tool %zu: the function has no \"name\" string",
			    file, n);
			goto done;
		}
	}
	ret = 0;
done:
	tclog_buf_free(&err);
	return ret;
}

void
tclog_prompt_free(struct tclog_prompt *p)
{
	tclog_buf_free(&p->system);
	tclog_buf_free(&p->tools);
}

int
tclog_prompt_options(struct tclog_prompt *p, const char *system_text,
    const char *system_file, const char *tools_file, size_t limit, int argc,
    char *argv[])
{
	if (system_text != NULL && system_file != NULL) {
		warnx("-s and -S exclude each other");
		return -1;
	}
	/* standard input feeds one of the log, -S and -t */
	if (system_file != NULL && tools_file != NULL &&
	    strcmp(system_file, "-") == 0 && strcmp(tools_file, "-") == 0) {
		warnx("-S - and -t - cannot both read standard input");
		return -1;
	}
	if ((system_file != NULL &&
	    tclog_inputs_leave_stdin('S', system_file, argc, argv) != 0) ||
	    (tools_file != NULL &&
	    tclog_inputs_leave_stdin('t', tools_file, argc, argv) != 0))
		return -1;
	if ((system_text != NULL && tclog_prompt_system(p, system_text) != 0) ||
	    (system_file != NULL &&
	    tclog_prompt_system_file(p, system_file, limit) != 0) ||
	    (tools_file != NULL && tclog_prompt_tools(p, tools_file, limit) != 0)) {
		tclog_prompt_free(p);
		return -2;
	}
	return 0;
}

bool
tclog_prompt_tools_for(const struct tclog_prompt *p,
    const struct tclog_example *ex)
{
	return p->has_tools && !ex->tools_off;
}

/* ---- pieces the writers share ---- */

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
put_python_call(struct tclog_buf *b, const struct tclog_call *c)
{
	tclog_buf_adds(b, "{\"name\": ");
	put_string(b, &c->name);
	tclog_buf_adds(b, ", \"arguments\": ");
	tclog_json_write(b, c->args.data, c->args.len, TCLOG_JSON_PYTHON);
	tclog_buf_addc(b, '}');
}

/* The tools as a JSON string of Python-style JSON, as the templates'
 * tojson writes each: the Qwen2.5 template's rendering of them. */
static void
put_tools_string(struct tclog_writer *w)
{
	w->nested.len = 0;
	tclog_json_write(&w->nested, w->prompt->tools.data,
	    w->prompt->tools.len, TCLOG_JSON_PYTHON);
	put_string(&w->line, &w->nested);
}

/* ---- the writers ---- */

/* The system message when there is one, and the user's. */
static void
put_prompt(struct tclog_buf *b, const struct tclog_prompt *p,
    const struct tclog_example *ex)
{
	if (p->has_system) {
		put_message(b, "system", &p->system);
		tclog_buf_addc(b, ',');
	}
	put_message(b, "user", &ex->query);
}

/* The assistant message with its calls; arguments as objects (as the
 * Hugging Face chat templates take them) or, as_text, in a string. */
static void
put_assistant(struct tclog_buf *b, const struct tclog_example *ex,
    bool as_text)
{
	bool first = true;

	tclog_buf_adds(b, "{\"role\":\"assistant\",\"content\":");
	put_string(b, &ex->content);
	tclog_buf_adds(b, ",\"tool_calls\":[");
	for (size_t i = 0; i < ex->ncall; i++) {
		const struct tclog_call *c = &ex->call[i];

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
		if (as_text)
			put_string(b, &c->args);
		else
			tclog_json_write(b, c->args.data, c->args.len,
			    TCLOG_JSON_COMPACT);
		tclog_buf_adds(b, "}}");
	}
	tclog_buf_adds(b, "]}");
}

/* The chat messages of OpenAI's API; hf: as the Hugging Face chat
 * templates take them (arguments as objects, tools as a JSON string). */
static void
write_messages(struct tclog_writer *w, const struct tclog_example *ex,
    bool hf)
{
	const struct tclog_prompt *p = w->prompt;
	struct tclog_buf *b = &w->line;

	tclog_buf_adds(b, "{\"messages\":[");
	put_prompt(b, p, ex);
	tclog_buf_addc(b, ',');
	put_assistant(b, ex, !hf);
	for (size_t i = 0; i < ex->ncall && w->results; i++) {
		const struct tclog_call *c = &ex->call[i];

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
	if (tclog_prompt_tools_for(p, ex)) {
		tclog_buf_adds(b, ",\"tools\":");
		if (hf)
			put_tools_string(w);
		else
			tclog_json_write(b, p->tools.data, p->tools.len,
			    TCLOG_JSON_COMPACT);
	}
	tclog_buf_addc(b, '}');
	tclog_writer_emit(w);
}

static void
write_openai(struct tclog_writer *w, const struct tclog_example *ex)
{
	write_messages(w, ex, false);
}

static void
write_hf(struct tclog_writer *w, const struct tclog_example *ex)
{
	write_messages(w, ex, true);
}

/* TRL's conversational prompt-completion form: TRL trains the
 * completion only, the assistant's message. */
static void
write_trl(struct tclog_writer *w, const struct tclog_example *ex)
{
	struct tclog_buf *b = &w->line;

	tclog_buf_adds(b, "{\"prompt\":[");
	put_prompt(b, w->prompt, ex);
	tclog_buf_adds(b, "],\"completion\":[");
	put_assistant(b, ex, false);
	tclog_buf_addc(b, ']');
	if (tclog_prompt_tools_for(w->prompt, ex)) {
		tclog_buf_adds(b, ",\"tools\":");
		put_tools_string(w);
	}
	tclog_buf_addc(b, '}');
	tclog_writer_emit(w);
}

static void
write_swift(struct tclog_writer *w, const struct tclog_example *ex)
{
	const struct tclog_prompt *p = w->prompt;
	struct tclog_buf *b = &w->line;

	tclog_buf_addc(b, '{');
	if (tclog_prompt_tools_for(p, ex)) {
		tclog_buf_adds(b, "\"tools\":");
		put_tools_string(w);
		tclog_buf_addc(b, ',');
	}
	tclog_buf_adds(b, "\"messages\":[");
	if (p->has_system) {
		put_message(b, "system", &p->system);
		tclog_buf_addc(b, ',');
	}
	put_message(b, "user", &ex->query);
	/* ms-swift joins this message and the calls (merged into one
	 * message of <tool_call> blocks) with nothing between: the newline
	 * the Qwen2.5 template writes after the prose is the message's. */
	if (ex->content.len > 0) {
		tclog_buf_adds(b, ",{\"role\":\"assistant\",\"content\":");
		w->nested.len = 0;
		tclog_buf_add(&w->nested, ex->content.data, ex->content.len);
		tclog_buf_addc(&w->nested, '\n');
		put_string(b, &w->nested);
		tclog_buf_addc(b, '}');
	}
	for (size_t i = 0; i < ex->ncall; i++)
		if (ex->call[i].logged) {
			w->nested.len = 0;
			put_python_call(&w->nested, &ex->call[i]);
			tclog_buf_addc(b, ',');
			put_message(b, "tool_call", &w->nested);
		}
	for (size_t i = 0; i < ex->ncall && w->results; i++)
		if (ex->call[i].logged) {
			tclog_buf_addc(b, ',');
			put_message(b, "tool_response", &ex->call[i].result);
		}
	tclog_buf_adds(b, "]}");
	tclog_writer_emit(w);
}

/*
 * LLaMA-Factory's sharegpt form: turns that alternate and end on the
 * model's, so the example ends on the calls, never on their results.
 * Its function formatter (0.9.4 on) takes prose before the calls when
 * they are inside <tool_call></tool_call>, and writes it, then each call
 * as the Qwen2.5 template does; "<" is escaped in the calls' JSON so that
 * no string in the arguments can end that block or start a <think> one.
 */
static void
write_sharegpt(struct tclog_writer *w, const struct tclog_example *ex)
{
	const struct tclog_prompt *p = w->prompt;
	struct tclog_buf *b = &w->line, *v = &w->text;
	bool first = true;
	size_t mark;

	tclog_buf_adds(b, "{\"conversations\":[{\"from\":\"human\",\"value\":");
	put_string(b, &ex->query);
	tclog_buf_adds(b, "},{\"from\":\"function_call\",\"value\":");
	v->len = 0;
	if (ex->content.len > 0) {
		tclog_buf_add(v, ex->content.data, ex->content.len);
		tclog_buf_adds(v, "\n<tool_call>");
	}
	if (ex->nlogged > 1)
		tclog_buf_addc(v, '[');
	for (size_t i = 0; i < ex->ncall; i++)
		if (ex->call[i].logged) {
			if (!first)
				tclog_buf_adds(v, ", ");
			first = false;
			w->nested.len = 0;
			put_python_call(&w->nested, &ex->call[i]);
			/* "<" is only ever inside a JSON string here */
			mark = 0;
			for (size_t j = 0; j < w->nested.len; j++)
				if (w->nested.data[j] == '<') {
					tclog_buf_add(v, w->nested.data + mark,
					    j - mark);
					tclog_buf_adds(v, "\\u003c");
					mark = j + 1;
				}
			tclog_buf_add(v, w->nested.data + mark,
			    w->nested.len - mark);
		}
	if (ex->nlogged > 1)
		tclog_buf_addc(v, ']');
	if (ex->content.len > 0)
		tclog_buf_adds(v, "</tool_call>");
	put_string(b, v);
	/* Both columns always, so that one dataset_info.json entry maps
	 * them for every file; "" is LLaMA-Factory's none. */
	tclog_buf_adds(b, "}],\"system\":");
	if (p->has_system)
		put_string(b, &p->system);
	else
		tclog_buf_adds(b, "\"\"");
	tclog_buf_adds(b, ",\"tools\":");
	if (tclog_prompt_tools_for(p, ex))
		put_tools_string(w);
	else
		tclog_buf_adds(b, "\"\"");
	tclog_buf_addc(b, '}');
	tclog_writer_emit(w);
}

/* The Qwen2.5 chat template by hand: the system turn, with the tools. */
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

/* The Qwen2.5 chat template applied, as transformers renders it for the
 * hf form of the example. */
static void
write_text(struct tclog_writer *w, const struct tclog_example *ex)
{
	w->text.len = 0;
	tclog_example_text(w->prompt, ex, w->results, &w->text, NULL, NULL);
	tclog_buf_adds(&w->line, "{\"text\":");
	put_string(&w->line, &w->text);
	tclog_buf_addc(&w->line, '}');
	tclog_writer_emit(w);
}

const struct tclog_format tclog_formats[] = {
	{ "openai", TCLOG_ARGS_TEXT, true, write_openai, NULL },
	{ "hf", TCLOG_ARGS_OBJECT, true, write_hf, NULL },
	{ "swift", TCLOG_ARGS_OBJECT, true, write_swift, NULL },
	{ "sharegpt", TCLOG_ARGS_OBJECT, false, write_sharegpt, NULL },
	{ "text", TCLOG_ARGS_OBJECT, true, write_text, NULL },
	{ "trl", TCLOG_ARGS_OBJECT, false, write_trl, NULL },
	/* preference data (prefer.c): the rated responses */
	{ "kto", TCLOG_ARGS_OBJECT, false, tclog_prefer_write, tclog_prefer_finish },
	{ "dpo", TCLOG_ARGS_OBJECT, false, tclog_prefer_write, tclog_prefer_finish },
	{ "swift-kto", TCLOG_ARGS_OBJECT, false, tclog_prefer_write,
	    tclog_prefer_finish },
	{ "swift-dpo", TCLOG_ARGS_OBJECT, false, tclog_prefer_write,
	    tclog_prefer_finish },
	{ "sharegpt-kto", TCLOG_ARGS_OBJECT, false, tclog_prefer_write,
	    tclog_prefer_finish },
	{ "sharegpt-dpo", TCLOG_ARGS_OBJECT, false, tclog_prefer_write,
	    tclog_prefer_finish },
	{ NULL, 0, false, NULL, NULL }
};

const struct tclog_format *
tclog_format_find(const char *name)
{
	for (const struct tclog_format *f = tclog_formats; f->name != NULL;
	    f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

bool
tclog_writer_unique(struct tclog_writer *w, const struct tclog_example *ex)
{
	unsigned long long d[2];

	if (!w->unique)
		return true;
	tclog_example_digest(w->prompt, ex, w->results, &w->key, d, NULL,
	    NULL);
	if (tclog_digestset_put(&w->seen, d))
		return true;
	w->duplicates++;
	return false;
}

void
tclog_writer_write(struct tclog_writer *w, const struct tclog_example *ex)
{
	w->line.len = 0;
	/* the preference forms judge first, then ask tclog_writer_unique */
	if (w->format->finish == NULL && !tclog_writer_unique(w, ex))
		return;
	w->format->write(w, ex);
}

void
tclog_writer_emit(struct tclog_writer *w)
{
	w->written++;
	w->emit(w->ctx, w->line.data, w->line.len);
	w->line.len = 0;
}

void
tclog_writer_finish(struct tclog_writer *w)
{
	if (w->format->finish != NULL)
		w->format->finish(w);
	tclog_buf_free(&w->line);
	tclog_buf_free(&w->nested);
	tclog_buf_free(&w->text);
	tclog_buf_free(&w->key);
	tclog_digestset_free(&w->seen);
}
