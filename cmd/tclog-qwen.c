/*
 * tclog-qwen - turn new-format log entries into fine-tuning examples for
 * Qwen2.5 models, one JSON line each, in the form a trainer reads.
 *
 * The library gathers the entries of each model response into one
 * example (tclog_examples); this command writes it in the chosen format
 * (one entry of the table formats, below: the output formats are this
 * command's alone), reads the input and the options, and leaves out
 * what is not a whole response unless -P.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

/* ---- the output formats ---- */

/*
 * The output formats, one table entry each (formats, below). A writer
 * gets each example and emits its lines through writer_emit; a format
 * that needs the whole input (pairs of examples) keeps its state in
 * w->state and writes in its finish hook. Nested JSON inside strings is
 * written as the chat templates' Python tojson writes it.
 */
enum args_form {
	ARGS_TEXT,	/* as the model wrote them, in a string */
	ARGS_OBJECT	/* as JSON objects: others make the example
			 * bad (tclog_examples.args_objects) */
};

struct writer;

struct format {
	const char *name;
	enum args_form args;
	bool results;		/* can carry the tool results */
	void (*write)(struct writer *w, const struct tclog_example *ex);
	void (*finish)(struct writer *w);	/* NULL, or at the end */
};

struct writer {
	const struct format *format;
	const struct tclog_prompt *prompt;
	bool results;		/* write the tool results (-o) */
	/* receives each line, without its newline */
	void (*emit)(void *ctx, const char *line, size_t len);
	void *ctx;
	void *state;		/* the format's own: NULL until it sets it;
				 * its finish hook frees it */
	struct tclog_buf line, nested, text;	/* scratch */
};

static void
writer_write(struct writer *w, const struct tclog_example *ex)
{
	w->line.len = 0;
	w->format->write(w, ex);
}

/* Emits w->line and empties it. */
static void
writer_emit(struct writer *w)
{
	w->emit(w->ctx, w->line.data, w->line.len);
	w->line.len = 0;
}

/* Ends the input: the format's finish hook; frees the scratch. */
static void
writer_finish(struct writer *w)
{
	if (w->format->finish != NULL)
		w->format->finish(w);
	tclog_buf_free(&w->line);
	tclog_buf_free(&w->nested);
	tclog_buf_free(&w->text);
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
put_tools_string(struct writer *w)
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
write_messages(struct writer *w, const struct tclog_example *ex,
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
	if (p->has_tools) {
		tclog_buf_adds(b, ",\"tools\":");
		if (hf)
			put_tools_string(w);
		else
			tclog_json_write(b, p->tools.data, p->tools.len,
			    TCLOG_JSON_COMPACT);
	}
	tclog_buf_addc(b, '}');
	writer_emit(w);
}

static void
write_openai(struct writer *w, const struct tclog_example *ex)
{
	write_messages(w, ex, false);
}

static void
write_hf(struct writer *w, const struct tclog_example *ex)
{
	write_messages(w, ex, true);
}

/* TRL's conversational prompt-completion form: TRL trains the
 * completion only, the assistant's message. */
static void
write_trl(struct writer *w, const struct tclog_example *ex)
{
	struct tclog_buf *b = &w->line;

	tclog_buf_adds(b, "{\"prompt\":[");
	put_prompt(b, w->prompt, ex);
	tclog_buf_adds(b, "],\"completion\":[");
	put_assistant(b, ex, false);
	tclog_buf_addc(b, ']');
	if (w->prompt->has_tools) {
		tclog_buf_adds(b, ",\"tools\":");
		put_tools_string(w);
	}
	tclog_buf_addc(b, '}');
	writer_emit(w);
}

static void
write_swift(struct writer *w, const struct tclog_example *ex)
{
	const struct tclog_prompt *p = w->prompt;
	struct tclog_buf *b = &w->line;

	tclog_buf_addc(b, '{');
	if (p->has_tools) {
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
	writer_emit(w);
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
write_sharegpt(struct writer *w, const struct tclog_example *ex)
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
	if (p->has_tools)
		put_tools_string(w);
	else
		tclog_buf_adds(b, "\"\"");
	tclog_buf_addc(b, '}');
	writer_emit(w);
}

/* The Qwen2.5 chat template applied, as transformers renders it for the
 * hf form of the example. */
static void
write_text(struct writer *w, const struct tclog_example *ex)
{
	w->text.len = 0;
	tclog_example_text(w->prompt, ex, w->results, &w->text, NULL, NULL);
	tclog_buf_adds(&w->line, "{\"text\":");
	put_string(&w->line, &w->text);
	tclog_buf_addc(&w->line, '}');
	writer_emit(w);
}

/* The preference formats (below: kto, dpo and their ms-swift and
 * LLaMA-Factory forms): the rated whole responses rearranged from the
 * line of a base format, KTO's as they come, DPO's pairs at the end. */
static void prefer_write(struct writer *w, const struct tclog_example *ex);
static void prefer_finish(struct writer *w);

/* The formats; the first is the default, a NULL name ends the table. */
static const struct format formats[] = {
	{ "openai", ARGS_TEXT, true, write_openai, NULL },
	{ "hf", ARGS_OBJECT, true, write_hf, NULL },
	{ "swift", ARGS_OBJECT, true, write_swift, NULL },
	{ "sharegpt", ARGS_OBJECT, false, write_sharegpt, NULL },
	{ "text", ARGS_OBJECT, true, write_text, NULL },
	{ "trl", ARGS_OBJECT, false, write_trl, NULL },
	/* preference data (below): the rated responses */
	{ "kto", ARGS_OBJECT, false, prefer_write, prefer_finish },
	{ "dpo", ARGS_OBJECT, false, prefer_write, prefer_finish },
	{ "swift-kto", ARGS_OBJECT, false, prefer_write,
	    prefer_finish },
	{ "swift-dpo", ARGS_OBJECT, false, prefer_write,
	    prefer_finish },
	{ "sharegpt-kto", ARGS_OBJECT, false, prefer_write,
	    prefer_finish },
	{ "sharegpt-dpo", ARGS_OBJECT, false, prefer_write,
	    prefer_finish },
	{ NULL, 0, false, NULL, NULL }
};

/* The format called name, or NULL. */
static const struct format *
format_find(const char *name)
{
	for (const struct format *f = formats; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* ---- the preference formats ---- */

/*
 * Preference data from rated responses: KTO (each response labelled
 * good or bad) and DPO (a good and a bad response to the same prompt),
 * for TRL, ms-swift and LLaMA-Factory.
 *
 * A preference form is the line of a base format, rearranged: the turns
 * up to the user's are the prompt, the rest the response. So each
 * trainer's preference data renders the prompt and the response exactly
 * as that trainer's supervised form does, and follows it when it
 * changes. The forms are a table: where the prompt, the response and the
 * rejected response go, and the label's name.
 */

enum pref_kind { PREF_KTO, PREF_DPO };

struct pref_form {
	const char *name;	/* in formats */
	enum pref_kind kind;
	const char *base;	/* the format whose line is rearranged */
	const char *turns;	/* the base line's array of turns */
	const char *role, *user;	/* what marks a turn of the user */
	/* Where the turns go: the prompt's, the response's (chosen) and,
	 * for DPO, the rejected response's. NULL prompt: the turns stay
	 * whole where they are, the response with them. */
	const char *prompt, *chosen, *rejected;
	bool single;		/* a response is one turn, not an array */
	const char *label;	/* KTO: the label's member */
};

/* The trainers' forms, read in TRL 1.9.0 (f2cd577, trl/trainer/
 * kto_trainer.py, dpo_trainer.py), ms-swift 4.4.3 (3602360, swift/
 * template/template_inputs.py) and LLaMA-Factory 0.9.5 (ff6d4d1,
 * src/llamafactory/data/converter.py). */
static const struct pref_form forms[] = {
	{ "kto", PREF_KTO, "hf", "messages", "role", "user",
	    "prompt", "completion", NULL, false, "label" },
	{ "dpo", PREF_DPO, "hf", "messages", "role", "user",
	    "prompt", "chosen", "rejected", false, NULL },
	{ "swift-kto", PREF_KTO, "swift", "messages", "role", "user",
	    NULL, NULL, NULL, false, "label" },
	{ "swift-dpo", PREF_DPO, "swift", "messages", "role", "user",
	    NULL, NULL, "rejected_response", false, NULL },
	{ "sharegpt-kto", PREF_KTO, "sharegpt", "conversations", "from",
	    "human", NULL, NULL, NULL, false, "kto_tag" },
	{ "sharegpt-dpo", PREF_DPO, "sharegpt", "conversations", "from",
	    "human", "conversations", "chosen", "rejected", true, NULL },
};

/* A response kept for DPO: the best or the worst to a prompt so far.
 * Only the response is kept, not its line: the prompt (system prompt
 * and tools included) is the same for every response to the query, and
 * is rendered again at the end. */
struct side {
	int rating;		/* 0: none yet */
	size_t nturn;		/* its turns in the base format */
	char *data;		/* the turns back to back, commas between,
				 * then what it says (said_of), exactly */
	size_t turns_len, said_len;
};

/* The sides of a prompt; while best and worst are the same response
 * (one response so far, or a tie), it is kept once, as best. */
struct sides {
	struct side best, worst;
	bool same;
};

struct pref {
	const struct pref_form *form;
	struct writer base;
	struct tclog_buf got, said;
	const char **turn;	/* the turns of a line */
	size_t *turn_len, nturn, turn_cap;
	/* DPO: the distinct prompts in order, with their sides */
	struct tclog_keyset prompts;
	struct sides *sides;
	size_t cap;
	struct tclog_buf line, rejected;
	/* the summary */
	unsigned long written, middle, unrated, identical, nopair;
};

static void
capture(void *ctx, const char *line, size_t len)
{
	struct pref *p = ctx;

	p->got.len = 0;
	tclog_buf_add(&p->got, line, len);
}

static struct pref *
pref_state(struct writer *w)
{
	struct pref *p = w->state;

	if (p != NULL)
		return p;
	p = w->state = tclog_xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strcmp(forms[i].name, w->format->name) == 0)
			p->form = &forms[i];
	if (p->form == NULL)
		errx(TCLOG_EXIT_FATAL, "%s: no preference form", w->format->name);
	p->base.format = format_find(p->form->base);
	p->base.prompt = w->prompt;
	p->base.results = false;	/* the response is the model's turn */
	p->base.emit = capture;
	p->base.ctx = p;
	return p;
}

/* The value of member key of object obj, or NULL. */
static const char *
get(const char *obj, size_t len, const char *key, size_t *vlen)
{
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen;

	tclog_json_iter_init(&it, obj, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, vlen))
		if (tclog_json_key_is(k, klen, key))
			return v;
	return NULL;
}

/* Splits the turns of a line written by the base format; returns the
 * number of turns up to the user's last. */
static size_t
split(struct pref *p, const char *line, size_t len)
{
	const struct pref_form *f = p->form;
	struct tclog_json_iter it;
	const char *turns, *t, *role;
	size_t turns_len, t_len, role_len, user = 0;
	char want[64];

	turns = get(line, len, f->turns, &turns_len);
	p->nturn = 0;
	if (turns == NULL)
		errx(TCLOG_EXIT_FATAL, "%s: no \"%s\" in a %s line", f->name,
		    f->turns, f->base);
	snprintf(want, sizeof(want), "\"%s\"", f->user);
	tclog_json_iter_init(&it, turns, turns_len);
	while (tclog_json_next_element(&it, &t, &t_len)) {
		if (p->nturn == p->turn_cap) {
			p->turn_cap = p->turn_cap ? 2 * p->turn_cap : 8;
			p->turn = tclog_xrealloc(p->turn, p->turn_cap *
			    sizeof(*p->turn));
			p->turn_len = tclog_xrealloc(p->turn_len, p->turn_cap *
			    sizeof(*p->turn_len));
		}
		p->turn[p->nturn] = t;
		p->turn_len[p->nturn++] = t_len;
		role = get(t, t_len, f->role, &role_len);
		if (role != NULL && role_len == strlen(want) &&
		    memcmp(role, want, role_len) == 0)
			user = p->nturn;
	}
	return user;
}

/* Appends turns [from, to) of the last split, as an array or, for a
 * response of a single form, the one turn. */
static void
put_turns(struct tclog_buf *b, const struct pref *p, size_t from, size_t to,
    bool response)
{
	if (response && p->form->single && to == from + 1) {
		tclog_buf_add(b, p->turn[from], p->turn_len[from]);
		return;
	}
	tclog_buf_addc(b, '[');
	for (size_t i = from; i < to; i++) {
		if (i > from)
			tclog_buf_addc(b, ',');
		tclog_buf_add(b, p->turn[i], p->turn_len[i]);
	}
	tclog_buf_addc(b, ']');
}

/* Appends the kept response s as put_turns does. */
static void
put_side(struct tclog_buf *b, const struct pref *p, const struct side *s)
{
	bool one = p->form->single && s->nturn == 1;

	if (!one)
		tclog_buf_addc(b, '[');
	tclog_buf_add(b, s->data, s->turns_len);
	if (!one)
		tclog_buf_addc(b, ']');
}

/*
 * Writes line rearranged by the form into w->line: the prompt and the
 * response where they go; rejected (a response, or NULL) and the label
 * (KTO: label is "true" or "false") added.
 */
static void
rearrange(struct writer *w, struct pref *p, const char *line,
    size_t len, const struct tclog_buf *rejected, const char *label)
{
	const struct pref_form *f = p->form;
	struct tclog_buf *b = &w->line;
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen, vlen, user = split(p, line, len);
	bool first = true;

	tclog_buf_addc(b, '{');
	tclog_json_iter_init(&it, line, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (!first)
			tclog_buf_addc(b, ',');
		first = false;
		if (f->prompt == NULL || !tclog_json_key_is(k, klen, f->turns)) {
			tclog_buf_add(b, k, klen);
			tclog_buf_addc(b, ':');
			tclog_buf_add(b, v, vlen);
			continue;
		}
		tclog_buf_printf(b, "\"%s\":", f->prompt);
		put_turns(b, p, 0, user, false);
		tclog_buf_printf(b, ",\"%s\":", f->chosen);
		put_turns(b, p, user, p->nturn, true);
		if (rejected != NULL) {
			tclog_buf_printf(b, ",\"%s\":", f->rejected);
			tclog_buf_add(b, rejected->data, rejected->len);
			rejected = NULL;
		}
	}
	if (rejected != NULL) {
		tclog_buf_printf(b, ",\"%s\":", f->rejected);
		tclog_buf_add(b, rejected->data, rejected->len);
	}
	if (label != NULL)
		tclog_buf_printf(b, ",\"%s\":%s", f->label, label);
	tclog_buf_addc(b, '}');
	writer_emit(w);
}

/* Whether the response can be judged: every entry rated. (Only whole
 * responses come here, unless tclog-qwen -P asks for the others.) */
static bool
judged(struct pref *p, const struct tclog_example *ex)
{
	if (ex->unrated || ex->min_rating == 0) {
		p->unrated++;
		return false;
	}
	return true;
}

/* What a response says, to tell two apart: its content and its calls'
 * names and arguments (ids aside), as a JSON array for
 * tclog_json_equal. */
static void
said_of(struct tclog_buf *b, const struct tclog_example *ex)
{
	b->len = 0;
	tclog_buf_addc(b, '[');
	tclog_json_put_string(b, ex->content.data, ex->content.len);
	for (size_t i = 0; i < ex->ncall; i++) {
		const struct tclog_call *c = &ex->call[i];

		if (!c->logged)
			continue;
		tclog_buf_addc(b, ',');
		tclog_json_put_string(b, c->name.data, c->name.len);
		tclog_buf_addc(b, ',');
		if (c->args_json)
			tclog_buf_add(b, c->args.data, c->args.len);
		else
			tclog_json_put_string(b, c->args.data, c->args.len);
	}
	tclog_buf_addc(b, ']');
}

/* Keeps the response of the base line in p->got (said in p->said), in
 * memory of its exact size: there is one or two per prompt. */
static void
keep(struct side *s, struct pref *p, int rating)
{
	size_t user = split(p, p->got.data, p->got.len);
	struct tclog_buf *b = &p->line;

	b->len = 0;
	for (size_t i = user; i < p->nturn; i++) {
		if (i > user)
			tclog_buf_addc(b, ',');
		tclog_buf_add(b, p->turn[i], p->turn_len[i]);
	}
	s->turns_len = b->len;
	tclog_buf_add(b, p->said.data, p->said.len);
	s->said_len = p->said.len;
	s->data = tclog_xrealloc(s->data, b->len);
	memcpy(s->data, b->data, b->len);
	s->rating = rating;
	s->nturn = p->nturn - user;
}

static void
side_swap(struct side *a, struct side *b)
{
	struct side t = *a;

	*a = *b;
	*b = t;
}

/* What the kept response says. */
static const char *
side_said(const struct side *s, size_t *len)
{
	*len = s->said_len;
	return s->data != NULL ? s->data + s->turns_len : "";
}

/* DPO: keeps the best and the worst response to each prompt so far; an
 * earlier one stays on a tie. */
static void
dpo_add(struct pref *p, const struct tclog_example *ex)
{
	int r = ex->min_rating;
	struct sides *ss;

	if (tclog_keyset_add(&p->prompts, ex->query.data, ex->query.len) &&
	    p->prompts.n > p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		p->sides = tclog_xrealloc(p->sides, cap * sizeof(*p->sides));
		memset(p->sides + p->cap, 0, (cap - p->cap) *
		    sizeof(*p->sides));
		p->cap = cap;
	}
	ss = &p->sides[tclog_keyset_find(&p->prompts, ex->query.data,
	    ex->query.len)];
	if (ss->best.rating != 0 && r <= ss->best.rating &&
	    r >= ss->worst.rating)
		return;
	writer_write(&p->base, ex);
	said_of(&p->said, ex);
	if (ss->best.rating == 0) {	/* the first response */
		keep(&ss->best, p, r);
		ss->worst.rating = r;
		ss->same = true;
	} else if (r > ss->best.rating) {
		if (ss->same)	/* the old best stays the worst */
			side_swap(&ss->best, &ss->worst);
		ss->same = false;
		keep(&ss->best, p, r);
	} else {	/* r < worst */
		ss->same = false;
		keep(&ss->worst, p, r);
	}
}

/* KTO: each response judged good (4, 5) or bad (1, 2), by its lowest
 * rated entry, and written; one rated 3 says neither. DPO: see
 * dpo_add and prefer_finish. */
static void
prefer_write(struct writer *w, const struct tclog_example *ex)
{
	struct pref *p = pref_state(w);

	if (!judged(p, ex))
		return;
	if (p->form->kind == PREF_DPO) {
		dpo_add(p, ex);
		return;
	}
	if (ex->min_rating == 3) {
		p->middle++;
		return;
	}
	writer_write(&p->base, ex);
	rearrange(w, p, p->got.data, p->got.len, NULL,
	    ex->min_rating >= 4 ? "true" : "false");
	p->written++;
}

static void
summary(const struct pref *p)
{
	const struct pref_form *f = p->form;
	unsigned long out = p->unrated + p->middle;

	fprintf(stderr, "%s: %s: %lu %s%s", program_invocation_short_name,
	    f->name, p->written, f->kind == PREF_KTO ? "example" : "pair",
	    p->written == 1 ? "" : "s");
	if (f->kind == PREF_DPO)
		fprintf(stderr, " from %zu prompt%s", p->prompts.n,
		    p->prompts.n == 1 ? "" : "s");
	if (out > 0) {
		const char *sep = "";

		fprintf(stderr, "; %lu response%s left out (", out,
		    out == 1 ? "" : "s");
		if (p->unrated > 0)
			fprintf(stderr, "%s%lu with an unrated entry", sep,
			    p->unrated), sep = ", ";
		if (p->middle > 0)
			fprintf(stderr, "%s%lu rated 3", sep, p->middle);
		fputc(')', stderr);
	}
	if (p->nopair > 0)
		fprintf(stderr, "; %lu prompt%s without both a response rated "
		    "4 or 5 and one rated 1 or 2", p->nopair,
		    p->nopair == 1 ? "" : "s");
	if (p->identical > 0)
		fprintf(stderr, "; %lu prompt%s whose best and worst responses "
		    "say the same", p->identical, p->identical == 1 ? "" : "s");
	fputc('\n', stderr);
}

/*
 * Writes the pair of prompt i: its base line rendered again from the
 * query alone (an example with no calls), its response turns replaced by
 * best's, rearranged with worst's as the rejected response.
 */
static void
write_pair(struct writer *w, struct pref *p, size_t i,
    const struct side *best, const struct side *worst)
{
	struct tclog_example ex = { .kind = TCLOG_EXAMPLE_CALLS };
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen, vlen, user;
	bool first = true;

	ex.query.data = p->prompts.names.data + p->prompts.off[i];
	ex.query.len = p->prompts.len[i];
	writer_write(&p->base, &ex);
	user = split(p, p->got.data, p->got.len);
	p->line.len = 0;
	tclog_buf_addc(&p->line, '{');
	tclog_json_iter_init(&it, p->got.data, p->got.len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (!first)
			tclog_buf_addc(&p->line, ',');
		first = false;
		tclog_buf_add(&p->line, k, klen);
		tclog_buf_addc(&p->line, ':');
		if (!tclog_json_key_is(k, klen, p->form->turns)) {
			tclog_buf_add(&p->line, v, vlen);
			continue;
		}
		tclog_buf_addc(&p->line, '[');
		for (size_t j = 0; j < user; j++) {
			if (j > 0)
				tclog_buf_addc(&p->line, ',');
			tclog_buf_add(&p->line, p->turn[j], p->turn_len[j]);
		}
		if (user > 0 && best->nturn > 0)
			tclog_buf_addc(&p->line, ',');
		tclog_buf_add(&p->line, best->data, best->turns_len);
		tclog_buf_addc(&p->line, ']');
	}
	tclog_buf_addc(&p->line, '}');
	p->rejected.len = 0;
	put_side(&p->rejected, p, worst);
	rearrange(w, p, p->line.data, p->line.len, &p->rejected, NULL);
	p->written++;
}

/* DPO writes its pairs at the end, in the order the prompts came. */
static void
prefer_finish(struct writer *w)
{
	struct pref *p = pref_state(w);

	for (size_t i = 0; i < p->prompts.n; i++) {
		struct sides *ss = &p->sides[i];
		size_t blen, wlen;
		const char *bsaid = side_said(&ss->best, &blen);
		const char *wsaid = side_said(&ss->worst, &wlen);

		/* (while same, both have the one rating: no pair) */
		if (ss->best.rating < 4 || ss->worst.rating > 2)
			p->nopair++;
		else if (tclog_json_equal(bsaid, blen, wsaid, wlen))
			p->identical++;
		else
			write_pair(w, p, i, &ss->best, &ss->worst);
		free(ss->best.data);
		free(ss->worst.data);
	}
	summary(p);
	writer_finish(&p->base);
	tclog_keyset_free(&p->prompts);
	tclog_buf_free(&p->got);
	tclog_buf_free(&p->said);
	tclog_buf_free(&p->line);
	tclog_buf_free(&p->rejected);
	free(p->sides);
	free(p->turn);
	free(p->turn_len);
	free(p);
	w->state = NULL;
}

/* ---- the command ---- */

struct qwen {
	struct writer w;
	bool unique;			/* -u */
	bool partial;			/* -P */
	/* examples left out for not being whole responses */
	unsigned long missing, stray;
	/* -T, -M: examples left out for being longer than max tokens */
	struct tclog_tokenizer *tok;
	unsigned long max_tokens, too_long;
	struct tclog_buf text;
	struct tclog_digestset seen;
	struct tclog_reader in;
	struct tclog_record rec;
	struct tclog_examples xs;
	int status;
};

#define OPTIONS "f:knoPuS:s:t:T:M:O:L:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-qwen [-knoPu] [-f format] [-s text | -S file] "
	    "[-t tools.json] [-T tokenizer.json] [-M max] [-O size] [-L size] "
	    "[file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -f format      openai (default), hf, trl, swift, "
		    "sharegpt, text;\n"
		    "                 preference data: kto, dpo, swift-kto, "
		    "swift-dpo,\n"
		    "                 sharegpt-kto, sharegpt-dpo\n"
		    "  -k             keep assistant content that is only the "
		    "calls as JSON text\n"
		    "  -o             add the tool results after the calls "
		    "(not trl, sharegpt)\n"
		    "  -n             end each example on the calls (the "
		    "default)\n"
		    "  -P             write partial responses too: the calls "
		    "that have entries\n"
		    "  -u             drop examples identical to an earlier "
		    "one\n"
		    "  -s text        system prompt\n"
		    "  -S file        system prompt read from file\n"
		    "  -t tools.json  tool definitions (JSON array, OpenAI "
		    "form)\n"
		    "  -T tokenizer.json  with -M, the model's tokenizer\n"
		    "  -M max         leave out examples over max tokens "
		    "(their -f text)\n"
		    "  -O size        with -o, cut tool results over size "
		    "bytes in the middle\n"
		    "  -L size        longest record accepted (k, M, G; "
		    "default 64M)\n");
}

/* A line of the format: written, unless -u has seen it. */
static void
emit(void *ctx, const char *line, size_t len)
{
	struct qwen *q = ctx;

	if (q->unique && !tclog_digestset_add(&q->seen, line, len))
		return;
	tclog_write(line, len);
	tclog_write("\n", 1);
}

/* Longer than -M tokens, as its -f text (which -T's tokenizer counts). */
static bool
too_long(struct qwen *q, const struct tclog_example *ex)
{
	q->text.len = 0;
	tclog_example_text(q->w.prompt, ex, q->w.results, &q->text, NULL,
	    NULL);
	return tclog_tokenizer_count(q->tok, q->text.data, q->text.len) >
	    q->max_tokens;
}

/* An example is a whole response unless -P says any will do. */
static void
example_done(void *ctx, const struct tclog_example *ex)
{
	struct qwen *q = ctx;

	if (!q->partial && ex->kind == TCLOG_EXAMPLE_STRAY)
		q->stray++;
	else if (!q->partial && !tclog_example_whole(ex))
		q->missing++;
	else if (q->tok != NULL && too_long(q, ex))
		q->too_long++;
	else
		writer_write(&q->w, ex);
}

/* One line on what was left out: no bad record, so no exit status. */
static void
report_left_out(const struct qwen *q)
{
	unsigned long n = q->missing + q->stray;

	if (n == 0) {
		if (q->too_long > 0)
			fprintf(stderr, "tclog-qwen: left out %lu example%s "
			    "over %lu tokens (-M)\n", q->too_long,
			    q->too_long == 1 ? "" : "s", q->max_tokens);
		return;
	}
	if (n == 1)
		fprintf(stderr, "tclog-qwen: left out 1 example that is not a "
		    "whole response (-P writes it):");
	else
		fprintf(stderr, "tclog-qwen: left out %lu examples that are not "
		    "whole responses (-P writes them):", n);
	if (q->missing > 0)
		fprintf(stderr, " %lu response%s with calls that have no entry%s",
		    q->missing, q->missing == 1 ? "" : "s",
		    q->stray > 0 ? "," : "");
	if (q->stray > 0)
		fprintf(stderr, " %lu entr%s whose call is not among its "
		    "response's calls", q->stray, q->stray == 1 ? "y" : "ies");
	if (q->too_long > 0)
		fprintf(stderr, "; and %lu more over %lu tokens (-M)", q->too_long,
		    q->max_tokens);
	fputc('\n', stderr);
}

static void
convert_file(struct qwen *q, int fd, const char *name, size_t limit)
{
	tclog_reader_init(&q->in, fd, name, limit);
	while (tclog_reader_record(&q->in, &q->status)) {
		if (tclog_record_parse(&q->rec, q->in.text, q->in.len,
		    q->in.unterminated) != 0) {
			tclog_diag(q->in.name, q->in.line, "%s", q->rec.error);
			tclog_status_raise(&q->status, TCLOG_EXIT_BAD);
			continue;
		}
		tclog_examples_entry(&q->xs, &q->rec, q->in.name, q->in.line,
		    &q->status);
	}
	tclog_reader_free(&q->in);
}

int
main(int argc, char *argv[])
{
	struct qwen q = { .w = { .format = formats } };
	struct tclog_prompt prompt = { 0 };
	struct tclog_inputs in;
	const char *system_text = NULL, *system_file = NULL;
	const char *tools_file = NULL, *tokenizer = NULL;
	size_t limit = TCLOG_DEFAULT_LIMIT, max_tokens = 0;
	struct tclog_buf err = { 0 };
	int ch, status = 0;

	tclog_start();
	if (tclog_help_requested(argc, argv, OPTIONS)) {
		usage(stdout);
		return tclog_close_output();
	}
	while ((ch = getopt(argc, argv, OPTIONS)) != -1) {
		switch (ch) {
		case 'f':
			if ((q.w.format = format_find(optarg)) == NULL) {
				warnx("-f: unknown format: %s", optarg);
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		case 'k':
			q.xs.keep_json = true;
			break;
		case 'n':
			q.w.results = false;
			break;
		case 'o':
			q.w.results = true;
			break;
		case 'P':
			q.partial = true;
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
		case 'T':
			tokenizer = optarg;
			break;
		case 'M':
			if (tclog_parse_size(optarg, &max_tokens) != 0 ||
			    max_tokens > ULONG_MAX) {
				warnx("-M: not a number of tokens >= 1: %s",
				    optarg);
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		case 'O':
			if (tclog_parse_size(optarg, &q.xs.result_max) != 0) {
				warnx("-O: not " TCLOG_SIZE_SYNTAX ": %s",
				    optarg);
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		case 'L':
			if (tclog_option_limit(optarg, &limit) != 0) {
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

	if (q.w.results && !q.w.format->results) {
		warnx("-o: the %s format never carries tool results",
		    q.w.format->name);
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	if ((tokenizer == NULL) != (max_tokens == 0)) {
		warnx("-T and -M go together");
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	if (q.xs.result_max > 0 && !q.w.results) {
		warnx("-O cuts the tool results of -o");
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	switch (tclog_prompt_options(&prompt, system_text, system_file,
	    tools_file, limit, argc, argv)) {
	case -1:
		usage(stderr);
		/* FALLTHROUGH */
	case -2:
		return TCLOG_EXIT_FATAL;
	}

	if (tokenizer != NULL &&
	    (q.tok = tclog_tokenizer_load(tokenizer, &err)) == NULL) {
		warnx("%s: %s", tokenizer, tclog_buf_str(&err));
		tclog_buf_free(&err);
		tclog_prompt_free(&prompt);
		return TCLOG_EXIT_FATAL;
	}
	q.max_tokens = max_tokens;

	q.w.prompt = &prompt;
	q.w.emit = emit;
	q.w.ctx = &q;
	/* -M counts the text of -f text, which needs objects */
	q.xs.args_objects = q.w.format->args == ARGS_OBJECT ||
	    q.tok != NULL;
	q.xs.done = example_done;
	q.xs.ctx = &q;
	tclog_examples_init(&q.xs);
	tclog_record_init(&q.rec);
	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &q.status))
		convert_file(&q, in.fd, in.name, limit);
	tclog_examples_end(&q.xs);
	writer_finish(&q.w);
	report_left_out(&q);

	tclog_examples_free(&q.xs);
	tclog_record_free(&q.rec);
	tclog_digestset_free(&q.seen);
	tclog_prompt_free(&prompt);
	tclog_tokenizer_free(q.tok);
	tclog_buf_free(&q.text);
	status = tclog_close_output();
	return status > q.status ? status : q.status;
}
