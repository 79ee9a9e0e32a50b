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
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tclog.h"

enum pref_kind { PREF_KTO, PREF_DPO };

struct pref_form {
	const char *name;	/* in tclog_formats */
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

/* A response kept for DPO: the best or the worst to a prompt so far. */
struct side {
	int rating;		/* 0: none yet */
	struct tclog_buf line;	/* its line in the base format */
	struct tclog_buf said;	/* what it says, to compare (ids aside) */
};

struct pref {
	const struct pref_form *form;
	struct tclog_writer base;
	struct tclog_buf got, said;
	const char **turn;	/* the turns of a line */
	size_t *turn_len, nturn, turn_cap;
	/* DPO: the distinct prompts in order, two sides each */
	struct tclog_keyset prompts;
	struct side *best, *worst;
	size_t cap;
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
pref_state(struct tclog_writer *w)
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
	p->base.format = tclog_format_find(p->form->base);
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

/* The response of line (the turns after the user's), into out. */
static void
response_of(struct pref *p, const char *line, size_t len,
    struct tclog_buf *out)
{
	size_t user = split(p, line, len);

	out->len = 0;
	put_turns(out, p, user, p->nturn, true);
}

/*
 * Writes line rearranged by the form into w->line: the prompt and the
 * response where they go; rejected (a response, or NULL) and the label
 * (KTO: label is "true" or "false") added.
 */
static void
rearrange(struct tclog_writer *w, struct pref *p, const char *line,
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
	if (rejected != NULL)
		tclog_buf_printf(b, ",\"%s\":%.*s", f->rejected,
		    (int)rejected->len, rejected->data);
	if (label != NULL)
		tclog_buf_printf(b, ",\"%s\":%s", f->label, label);
	tclog_buf_addc(b, '}');
	tclog_writer_emit(w);
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

static void
keep(struct side *s, const struct pref *p, int rating)
{
	s->rating = rating;
	s->line.len = 0;
	tclog_buf_add(&s->line, p->got.data, p->got.len);
	s->said.len = 0;
	tclog_buf_add(&s->said, p->said.data, p->said.len);
}

/* DPO: keeps the best and the worst response to each prompt so far; an
 * earlier one stays on a tie. */
static void
dpo_add(struct pref *p, const struct tclog_example *ex)
{
	int r = ex->min_rating;
	struct side *best, *worst;
	size_t i;

	if (tclog_keyset_add(&p->prompts, ex->query.data, ex->query.len) &&
	    p->prompts.n > p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		p->best = tclog_xrealloc(p->best, cap * sizeof(*p->best));
		p->worst = tclog_xrealloc(p->worst, cap * sizeof(*p->worst));
		memset(p->best + p->cap, 0, (cap - p->cap) * sizeof(*p->best));
		memset(p->worst + p->cap, 0, (cap - p->cap) *
		    sizeof(*p->worst));
		p->cap = cap;
	}
	i = tclog_keyset_find(&p->prompts, ex->query.data, ex->query.len);
	best = &p->best[i];
	worst = &p->worst[i];
	if (best->rating != 0 && r <= best->rating && r >= worst->rating)
		return;
	tclog_writer_write(&p->base, ex);
	said_of(&p->said, ex);
	if (best->rating == 0 || r > best->rating)
		keep(best, p, r);
	if (worst->rating == 0 || r < worst->rating)
		keep(worst, p, r);
}

/* KTO: each response judged good (4, 5) or bad (1, 2), by its lowest
 * rated entry, and written; one rated 3 says neither. DPO: see
 * dpo_add and tclog_prefer_finish. */
void
tclog_prefer_write(struct tclog_writer *w, const struct tclog_example *ex)
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
	tclog_writer_write(&p->base, ex);
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

/* DPO writes its pairs at the end, in the order the prompts came. */
void
tclog_prefer_finish(struct tclog_writer *w)
{
	struct pref *p = pref_state(w);

	for (size_t i = 0; i < p->prompts.n; i++) {
		struct side *best = &p->best[i], *worst = &p->worst[i];

		if (best->rating < 4 || worst->rating > 2)
			p->nopair++;
		else if (tclog_json_equal(best->said.data, best->said.len,
		    worst->said.data, worst->said.len))
			p->identical++;
		else {
			response_of(p, worst->line.data, worst->line.len,
			    &p->got);
			rearrange(w, p, best->line.data, best->line.len,
			    &p->got, NULL);
			p->written++;
		}
		tclog_buf_free(&best->line);
		tclog_buf_free(&best->said);
		tclog_buf_free(&worst->line);
		tclog_buf_free(&worst->said);
	}
	summary(p);
	tclog_writer_finish(&p->base);
	tclog_keyset_free(&p->prompts);
	tclog_buf_free(&p->got);
	tclog_buf_free(&p->said);
	free(p->best);
	free(p->worst);
	free(p->turn);
	free(p->turn_len);
	free(p);
	w->state = NULL;
}
