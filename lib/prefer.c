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

/* A response kept for DPO: the best or the worst to a prompt so far.
 * Only the response is kept, not its line: the prompt (system prompt
 * and tools included) is the same for every response to the query, and
 * is rendered again at the end. */
struct side {
	int rating;		/* 0: none yet */
	bool made_up;		/* its query was made up by tclog-upgrade */
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
	struct tclog_writer base;
	struct tclog_buf got, said;
	const char **turn;	/* the turns of a line */
	size_t *turn_len, nturn, turn_cap;
	/* DPO: the distinct prompts in order, with their sides */
	struct tclog_keyset prompts;
	struct sides *sides;
	size_t cap;
	struct tclog_buf line, rejected;
	/* the summary: written counts the lines -u did not drop, made_up
	 * those of them that rest on a made-up query */
	unsigned long written, made_up, middle, unrated, identical, nopair;
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
static bool
rearrange(struct tclog_writer *w, struct pref *p, const char *line,
    size_t len, const struct tclog_buf *rejected, const char *label)
{
	const struct pref_form *f = p->form;
	struct tclog_buf *b = &w->line;
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen, vlen, user = split(p, line, len);
	bool first = true;
	unsigned long duplicates = w->duplicates;

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
	tclog_writer_emit(w);
	return w->duplicates == duplicates;	/* else -u dropped it */
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
keep(struct side *s, struct pref *p, const struct tclog_example *ex)
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
	s->rating = ex->min_rating;
	s->made_up = ex->made_up_query;
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
	tclog_writer_write(&p->base, ex);
	said_of(&p->said, ex);
	if (ss->best.rating == 0) {	/* the first response */
		keep(&ss->best, p, ex);
		ss->worst.rating = r;
		ss->same = true;
	} else if (r > ss->best.rating) {
		if (ss->same)	/* the old best stays the worst */
			side_swap(&ss->best, &ss->worst);
		ss->same = false;
		keep(&ss->best, p, ex);
	} else {	/* r < worst */
		ss->same = false;
		keep(&ss->worst, p, ex);
	}
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
	if (rearrange(w, p, p->got.data, p->got.len, NULL,
	    ex->min_rating >= 4 ? "true" : "false")) {
		p->written++;
		p->made_up += ex->made_up_query;
	}
}

/* One line on standard error: what was written (after -u: a user
 * checks it against wc -l), what rests on made-up queries, what was
 * left out and why. */
static void
summary(const struct tclog_writer *w, const struct pref *p)
{
	const struct pref_form *f = p->form;
	unsigned long out = p->unrated + p->middle;

	fprintf(stderr, "%s: %s: %lu %s%s", program_invocation_short_name,
	    f->name, p->written, f->kind == PREF_KTO ? "example" : "pair",
	    p->written == 1 ? "" : "s");
	if (f->kind == PREF_DPO)
		fprintf(stderr, " from %zu prompt%s", p->prompts.n,
		    p->prompts.n == 1 ? "" : "s");
	if (w->unique)
		fprintf(stderr, " (and %lu identical to an earlier one, left "
		    "out: -u)", w->duplicates);
	if (p->made_up > 0)
		fprintf(stderr, "; %lu of them rest%s on a query made up by "
		    "tclog-upgrade (tclog-filter -x leaves such entries out)",
		    p->made_up, p->made_up == 1 ? "s" : "");
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
write_pair(struct tclog_writer *w, struct pref *p, size_t i,
    const struct side *best, const struct side *worst)
{
	struct tclog_example ex = { .kind = TCLOG_EXAMPLE_CALLS };
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen, vlen, user;
	bool first = true;

	/* borrowed, never written */
	ex.query.data = (char *)tclog_keyset_key(&p->prompts, i);
	ex.query.len = p->prompts.len[i];
	tclog_writer_write(&p->base, &ex);
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
	if (rearrange(w, p, p->line.data, p->line.len, &p->rejected, NULL)) {
		p->written++;
		p->made_up += best->made_up || worst->made_up;
	}
}

/* DPO writes its pairs at the end, in the order the prompts came. */
void
tclog_prefer_finish(struct tclog_writer *w)
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
	summary(w, p);
	tclog_writer_finish(&p->base);
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
