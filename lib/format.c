/*
 * The output formats, one row of tclog_formats each: the supervised
 * forms written here, the preference forms (prefer.c) as the shape of a
 * base form's line rearranged. A new format is a writer and a row here.
 * Nested JSON inside strings is written as the chat templates' Python
 * tojson writes it.
 */
#include <string.h>

#include "internal.h"

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

/* The rows the preference forms name as their base. */
enum { FORMAT_OPENAI, FORMAT_HF, FORMAT_SWIFT, FORMAT_SHAREGPT };

/* The trainers' preference forms, read in TRL 1.9.0 (f2cd577,
 * trl/trainer/kto_trainer.py, dpo_trainer.py), ms-swift 4.4.3 (3602360,
 * swift/template/template_inputs.py) and LLaMA-Factory 0.9.5 (ff6d4d1,
 * src/llamafactory/data/converter.py). */
static const struct tclog_prefer_form kto = {
	TCLOG_PREFER_KTO, &tclog_formats[FORMAT_HF], "messages", "role",
	"user", "prompt", "completion", NULL, false, "label"
}, dpo = {
	TCLOG_PREFER_DPO, &tclog_formats[FORMAT_HF], "messages", "role",
	"user", "prompt", "chosen", "rejected", false, NULL
}, swift_kto = {
	TCLOG_PREFER_KTO, &tclog_formats[FORMAT_SWIFT], "messages", "role",
	"user", NULL, NULL, NULL, false, "label"
}, swift_dpo = {
	TCLOG_PREFER_DPO, &tclog_formats[FORMAT_SWIFT], "messages", "role",
	"user", NULL, NULL, "rejected_response", false, NULL
}, sharegpt_kto = {
	TCLOG_PREFER_KTO, &tclog_formats[FORMAT_SHAREGPT], "conversations",
	"from", "human", NULL, NULL, NULL, false, "kto_tag"
}, sharegpt_dpo = {
	TCLOG_PREFER_DPO, &tclog_formats[FORMAT_SHAREGPT], "conversations",
	"from", "human", "conversations", "chosen", "rejected", true, NULL
};

/* A preference form's row (prefer.c writes it). */
#define PREFER(name, form) \
	{ name, TCLOG_ARGS_OBJECT, false, tclog_prefer_write, \
	    tclog_prefer_finish, &form }

const struct tclog_format tclog_formats[] = {
	[FORMAT_OPENAI] = { "openai", TCLOG_ARGS_TEXT, true, write_openai,
	    NULL, NULL },
	[FORMAT_HF] = { "hf", TCLOG_ARGS_OBJECT, true, write_hf, NULL, NULL },
	[FORMAT_SWIFT] = { "swift", TCLOG_ARGS_OBJECT, true, write_swift,
	    NULL, NULL },
	[FORMAT_SHAREGPT] = { "sharegpt", TCLOG_ARGS_OBJECT, false,
	    write_sharegpt, NULL, NULL },
	{ "text", TCLOG_ARGS_OBJECT, true, write_text, NULL, NULL },
	{ "trl", TCLOG_ARGS_OBJECT, false, write_trl, NULL, NULL },
	/* preference data: the rated responses */
	PREFER("kto", kto),
	PREFER("dpo", dpo),
	PREFER("swift-kto", swift_kto),
	PREFER("swift-dpo", swift_dpo),
	PREFER("sharegpt-kto", sharegpt_kto),
	PREFER("sharegpt-dpo", sharegpt_dpo),
	{ NULL, 0, false, NULL, NULL, NULL }
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
