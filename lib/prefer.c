/*
 * Preference data from rated responses: KTO (each response labelled
 * good or bad) and DPO (a good and a bad response to the same prompt),
 * for TRL, ms-swift and LLaMA-Factory.
 *
 * A preference form is the line of a base format, rearranged: the turns
 * up to the user's are the prompt, the rest the response. So each
 * trainer's preference data renders the prompt and the response exactly
 * as that trainer's supervised form does, and follows it when it
 * changes. A form is the shape its row of tclog_formats carries
 * (struct tclog_prefer_form): where the prompt, the response and the
 * rejected response go, and the label's name.
 *
 * KTO leaves out every copy of an example (tclog_example_digest) that
 * is labelled both good and bad: which copies those are is known at the
 * end only, so its lines wait in a temporary file (in TMPDIR, else
 * /tmp, unlinked at once) and memory holds two digests per distinct
 * example.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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
	const struct tclog_format *format;	/* the row written */
	const struct tclog_prefer_form *form;	/* its shape */
	struct tclog_writer base;
	struct tclog_buf got, said;
	const char **turn;	/* the turns of a line */
	size_t *turn_len, nturn, turn_cap;
	/* DPO: the distinct prompts in order, with their sides */
	struct tclog_keyset prompts;
	struct sides *sides;
	size_t cap;
	struct tclog_buf line, rejected, key;
	/* KTO: the lines held, each after a struct held; the examples
	 * labelled good and bad */
	FILE *held;
	struct tclog_digestset good, bad;
};

/* What precedes a KTO line in the temporary file. */
struct held {
	unsigned long long d[2];	/* the example's digest */
	size_t len;			/* the line's */
	bool made_up;			/* it rests on a made-up query */
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
	p->format = w->format;
	if ((p->form = w->format->prefer) == NULL)
		errx(TCLOG_EXIT_FATAL, "%s: no preference form", w->format->name);
	p->base.format = p->form->base;
	p->base.prompt = w->prompt;
	p->base.results = false;	/* the response is the model's turn */
	p->base.emit = capture;
	p->base.ctx = p;
	w->pref.pairs = p->form->kind == TCLOG_PREFER_DPO;
	return p;
}

/* Splits the turns of a line written by the base format; returns the
 * number of turns up to the user's last. */
static size_t
split(struct pref *p, const char *line, size_t len)
{
	const struct tclog_prefer_form *f = p->form;
	struct tclog_json_iter it;
	const char *turns, *t, *role;
	size_t turns_len, t_len, role_len, user = 0;
	char want[64];

	turns = tclog_json_member(line, len, f->turns, &turns_len);
	p->nturn = 0;
	if (turns == NULL)
		errx(TCLOG_EXIT_FATAL, "%s: no \"%s\" in a %s line",
		    p->format->name, f->turns, f->base->name);
	snprintf(want, sizeof(want), "\"%s\"", f->user);
	tclog_json_iter_init(&it, turns, turns_len);
	while (tclog_json_next_element(&it, &t, &t_len)) {
		if (p->nturn == p->turn_cap) {
			p->turn = tclog_grow(p->turn, &p->turn_cap,
			    p->nturn + 1, sizeof(*p->turn));
			p->turn_len = tclog_xreallocarray(p->turn_len,
			    p->turn_cap, sizeof(*p->turn_len));
		}
		p->turn[p->nturn] = t;
		p->turn_len[p->nturn++] = t_len;
		role = tclog_json_member(t, t_len, f->role, &role_len);
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
rearrange(struct tclog_writer *w, struct pref *p, const char *line,
    size_t len, const struct tclog_buf *rejected, const char *label)
{
	const struct tclog_prefer_form *f = p->form;
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
}

/* Whether the response can be judged: every entry rated. (Only whole
 * responses come here, unless tclog-qwen -P asks for the others.) */
static bool
judged(struct tclog_writer *w, const struct tclog_example *ex)
{
	if (ex->made_up_query && !w->made_up) {
		w->pref.made_up++;
		return false;
	}
	if (ex->unrated || ex->min_rating == 0) {
		w->pref.unrated++;
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
dpo_add(struct tclog_writer *w, struct pref *p,
    const struct tclog_example *ex)
{
	int r = ex->min_rating;
	struct sides *ss;

	/* The prompt: the query, and whether the tools are shown (the
	 * system prompt is the same for all), as one byte first. */
	p->key.len = 0;
	tclog_buf_addc(&p->key, tclog_prompt_tools_for(w->prompt, ex) ?
	    't' : 'n');
	tclog_buf_add(&p->key, ex->query.data, ex->query.len);
	if (tclog_keyset_add(&p->prompts, p->key.data, p->key.len))
		p->sides = tclog_grow_zeroed(p->sides, &p->cap, p->prompts.n,
		    sizeof(*p->sides));
	ss = &p->sides[tclog_keyset_find(&p->prompts, p->key.data,
	    p->key.len)];
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

/* Writes n bytes to the temporary file; a failure is fatal. */
static void
held_write(FILE *f, const void *data, size_t n)
{
	if (n > 0 && fwrite(data, 1, n, f) != n)
		err(TCLOG_EXIT_FATAL, "temporary file");
}

/* The temporary file of the KTO lines: in TMPDIR or /tmp, unlinked at
 * once, so that nothing is left behind whatever happens. */
static FILE *
held_open(void)
{
	const char *dir = getenv("TMPDIR");
	struct tclog_buf path = { 0 };
	FILE *f;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	tclog_buf_printf(&path, "%s/tclog-qwen.XXXXXX", dir);
	/* the directory is the user's setting: name it */
	if ((fd = mkstemp((char *)tclog_buf_str(&path))) == -1)
		err(TCLOG_EXIT_FATAL, "%s%s: cannot make a temporary file",
		    dir == getenv("TMPDIR") ? "TMPDIR=" : "", dir);
	unlink(path.data);
	if ((f = fdopen(fd, "w+")) == NULL)
		err(TCLOG_EXIT_FATAL, "%s", path.data);
	tclog_buf_free(&path);
	return f;
}

/* KTO: each response judged good (4, 5) or bad (1, 2), by its lowest
 * rated entry, and held until the end; one rated 3 says neither. DPO:
 * see dpo_add and tclog_prefer_finish. */
void
tclog_prefer_write(struct tclog_writer *w, const struct tclog_example *ex)
{
	struct pref *p = pref_state(w);
	struct held h;
	bool good = ex->min_rating >= 4;

	if (!judged(w, ex))
		return;
	if (p->form->kind == TCLOG_PREFER_DPO) {
		dpo_add(w, p, ex);
		return;
	}
	if (ex->min_rating == 3) {
		w->pref.middle++;
		return;
	}
	memset(&h, 0, sizeof h);	/* padding too: it is written */
	h.made_up = ex->made_up_query;
	tclog_example_digest(w->prompt, ex, false, &p->key, h.d, NULL, NULL);
	tclog_digestset_put(good ? &p->good : &p->bad, h.d);
	tclog_writer_write(&p->base, ex);
	w->line.len = 0;
	rearrange(w, p, p->got.data, p->got.len, NULL, good ? "true" :
	    "false");
	if (p->held == NULL)
		p->held = held_open();
	h.len = w->line.len;
	held_write(p->held, &h, sizeof h);
	held_write(p->held, w->line.data, w->line.len);
	w->line.len = 0;
}

/* KTO at the end: the lines held, but for those of an example labelled
 * both ways, and with -u those of an example written already. */
static void
kto_finish(struct tclog_writer *w, struct pref *p)
{
	struct held h;

	if (p->held == NULL)
		return;
	if (fflush(p->held) == EOF || fseek(p->held, 0, SEEK_SET) != 0)
		err(TCLOG_EXIT_FATAL, "temporary file");
	while (fread(&h, sizeof h, 1, p->held) == 1) {
		w->line.len = 0;
		tclog_buf_grow(&w->line, h.len);
		if (h.len > 0 && fread(w->line.data, 1, h.len, p->held) !=
		    h.len)
			errx(TCLOG_EXIT_FATAL, "temporary file: cut short");
		w->line.len = h.len;
		if (tclog_digestset_has(&p->good, h.d) &&
		    tclog_digestset_has(&p->bad, h.d))
			w->pref.contradicting++;
		else if (w->unique && !tclog_digestset_put(&w->seen, h.d))
			w->duplicates++;
		else {
			w->pref.made_up_kept += h.made_up;
			tclog_writer_emit(w);
		}
	}
	if (ferror(p->held))
		err(TCLOG_EXIT_FATAL, "temporary file");
	w->line.len = 0;
	fclose(p->held);
	p->held = NULL;
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
	ex.query.data = (char *)tclog_keyset_key(&p->prompts, i) + 1;
	ex.query.len = p->prompts.len[i] - 1;
	ex.tools_off = tclog_keyset_key(&p->prompts, i)[0] == 'n';
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
	w->line.len = 0;
	rearrange(w, p, p->line.data, p->line.len, &p->rejected, NULL);
	w->pref.made_up_kept += best->made_up || worst->made_up;
	tclog_writer_emit(w);
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
			w->pref.nopair++;
		else if (tclog_json_equal(bsaid, blen, wsaid, wlen))
			w->pref.identical++;
		else
			write_pair(w, p, i, &ss->best, &ss->worst);
		free(ss->best.data);
		free(ss->worst.data);
	}
	w->pref.prompts = p->prompts.n;
	kto_finish(w, p);
	tclog_writer_finish(&p->base);
	tclog_digestset_free(&p->good);
	tclog_digestset_free(&p->bad);
	tclog_buf_free(&p->key);
	tclog_keyset_free(&p->prompts);
	TCLOG_BUFS_FREE(&p->got, &p->said, &p->line, &p->rejected);
	TCLOG_FREE_ALL(p->sides, p->turn, p->turn_len, p);
	w->state = NULL;
}
