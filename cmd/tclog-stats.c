/*
 * tclog-stats - what a log holds, and with -T how long each example is in
 * the model's own tokens: one screen to read before training (or with -j
 * one JSON object for scripts).
 *
 * Entries are counted as they come; the new-format ones are gathered into
 * examples by the library (tclog_examples) exactly as tclog-qwen gathers
 * them, and each example tclog-qwen would write is rendered as its -f text
 * (tclog_example_text) and tokenized (tclog_tokenizer). Only the counts
 * are kept: memory is the vocabulary, one example, and a table of the
 * distinct lengths seen.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "tclog.h"

/*
 * Counts by name (status, tool, model) in bounded memory: at most
 * TALLY_MAX names, each kept to its first NAME_KEEP bytes and known by
 * the digest of the whole. While a log has no more distinct names the
 * counts are exact. Past that, Space-Saving (Metwally, Agrawal and El
 * Abbadi, 2005): a new name takes the place of the least counted one and
 * its count plus one, so any name in more than 1/TALLY_MAX of the
 * entries is kept and each count is at most that many too high; the
 * counts still add up to the entries.
 */
#define TALLY_MAX 1000
#define NAME_KEEP 128		/* bytes; a longer name is cut, "..." added */
#define TALLY_SHOWN 12		/* names on the screen and in -j; then one
				 * count for the others */
#define NAME_COLUMNS 64		/* a longer name is cut on the screen */

struct counter {
	unsigned long long digest[2];
	char *name;		/* its first NAME_KEEP bytes at most */
	size_t len;
	bool cut;
	unsigned long n;
	unsigned long err;	/* n was at most this much when it came */
	size_t heap;		/* its place in the heap */
};

struct tally {
	struct counter *c;	/* TALLY_MAX, allocated at the first name */
	size_t n;		/* in use */
	size_t *heap;		/* counters by count, the least first */
	size_t *slot;		/* hash table: counter + 1; 0 empty */
	bool approximate;	/* a name was ever let go */
};

#define TALLY_SLOTS 2048	/* a power of two, over twice TALLY_MAX */

/* How many examples have each token length: exact percentiles without
 * keeping one number per example. */
struct lengths {
	size_t *len;		/* length + 1; 0: empty slot */
	unsigned long *n;
	size_t nslot, used;
};

struct stats {
	/* options */
	bool json;			/* -j */
	struct tclog_exopts o;		/* -k -o -P -u -s -S -t -T -M */
	struct tclog_writer w;		/* -u: its unique, on the lines of
					 * -f text, as tclog-qwen -u -f text */
	bool kept;			/* the writer emitted the example */

	/* what was seen */
	unsigned long entries, new_entries, old_entries, made_up, bad;
	unsigned long tools_off;	/* entries with tools_enabled false */
	struct tally status, tool, model;
	unsigned long rating[6];	/* [0]: unrated */
	unsigned long whole, missing, stray, examples;
	unsigned long *calls;		/* whole responses by number of calls */
	size_t ncalls;

	/* conflicts among the examples: digests of the distinct examples,
	 * prompts and (prompt, model output) pairs; of the examples rated
	 * good, bad, and both */
	struct tclog_digestset answers, prompts, several, rated_good, rated_bad,
	    both;
	unsigned long nseveral, nboth;

	/* tokens of the examples (-T) */
	struct lengths lengths;
	unsigned long long total, trained;
	unsigned long over;

	/* scratch */
	struct tclog_entries es;	/* its bad: records that are no entry */
	struct tclog_examples xs;
	struct tclog_buf text, name;
	struct tclog_tokens tokens;
	int status_code;
};

#define OPTIONS "jkoPuT:M:s:S:t:L:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-stats [-jkoPu] [-T tokenizer.json] [-M max] "
	    "[-s text | -S file] [-t tools.json] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -j                one JSON object instead of the screen\n"
		    "  -T tokenizer.json token lengths of the examples "
		    "(the text of tclog-qwen -f text)\n"
		    "  -M max            with -T, count the examples over max "
		    "tokens\n"
		    "  -o                examples with the tool results, as "
		    "tclog-qwen -o\n"
		    "  -k                as tclog-qwen -k\n"
		    "  -P                partial responses are examples too, as "
		    "tclog-qwen -P\n"
		    "  -u                drop examples identical to an earlier "
		    "one, as tclog-qwen -u\n"
		    "  -s text           system prompt, as tclog-qwen -s\n"
		    "  -S file           system prompt read from file\n"
		    "  -t tools.json     tool definitions, as tclog-qwen -t\n"
		    "  -L size           longest record accepted (k, M, G; "
		    "default 64M)\n");
}

/* ---- counting ---- */

static void
heap_swap(struct tally *t, size_t i, size_t j)
{
	size_t a = t->heap[i], b = t->heap[j];

	t->heap[i] = b;
	t->heap[j] = a;
	t->c[b].heap = i;
	t->c[a].heap = j;
}

/* The counter at heap place i grew: move it down below smaller ones. */
static void
heap_down(struct tally *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && t->c[t->heap[l]].n < t->c[t->heap[m]].n)
			m = l;
		if (r < t->n && t->c[t->heap[r]].n < t->c[t->heap[m]].n)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

/* A new counter at heap place i (count 1): up above larger ones. */
static void
heap_up(struct tally *t, size_t i)
{
	while (i > 0 && t->c[t->heap[(i - 1) / 2]].n > t->c[t->heap[i]].n) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static size_t
slot_of(const struct tally *t, const unsigned long long d[2])
{
	size_t i = (size_t)d[0] & (TALLY_SLOTS - 1);

	while (t->slot[i] != 0 && memcmp(t->c[t->slot[i] - 1].digest, d,
	    sizeof(t->c[0].digest)) != 0)
		i = (i + 1) & (TALLY_SLOTS - 1);
	return i;
}

/* Takes slot i out of the table, moving back those it displaced. */
static void
slot_remove(struct tally *t, size_t i)
{
	size_t j = i;

	t->slot[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & (TALLY_SLOTS - 1);
		if (t->slot[j] == 0)
			return;
		home = (size_t)t->c[t->slot[j] - 1].digest[0] &
		    (TALLY_SLOTS - 1);
		/* j's entry may fill the hole at i when its home is not in
		 * the cyclic range (i, j] */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && home <= i && home > j)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = 0;
			i = j;
		}
	}
}

static void
tally_add(struct tally *t, const char *s, size_t n)
{
	unsigned long long d[2];
	struct counter *c;
	size_t i, keep;

	if (t->c == NULL) {
		t->c = tclog_xreallocarray(NULL, TALLY_MAX, sizeof(*t->c));
		t->heap = tclog_xreallocarray(NULL, TALLY_MAX,
		    sizeof(*t->heap));
		t->slot = tclog_xcalloc(TALLY_SLOTS, sizeof(*t->slot));
	}
	tclog_digest(s, n, d);
	i = slot_of(t, d);
	if (t->slot[i] != 0) {
		c = &t->c[t->slot[i] - 1];
		c->n++;
		heap_down(t, c->heap);
		return;
	}
	if (t->n < TALLY_MAX) {
		c = &t->c[t->n];
		c->name = tclog_xmalloc(NAME_KEEP);
		c->heap = t->n;
		c->n = c->err = 0;
		t->heap[t->n++] = (size_t)(c - t->c);
	} else {
		/* the least counted name goes; the new one inherits its count */
		c = &t->c[t->heap[0]];
		slot_remove(t, slot_of(t, c->digest));
		i = slot_of(t, d);
		c->err = c->n;
		t->approximate = true;
	}
	memcpy(c->digest, d, sizeof(c->digest));
	keep = n;
	if (keep > NAME_KEEP) {	/* at a character's start */
		keep = NAME_KEEP;
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	memcpy(c->name, s, keep);
	c->len = keep;
	c->cut = keep < n;
	c->n++;
	t->slot[i] = (size_t)(c - t->c) + 1;
	if (c->n == 1)
		heap_up(t, c->heap);
	else
		heap_down(t, c->heap);
}

static void
tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->c[i].name);
	TCLOG_FREE_ALL(t->c, t->heap, t->slot);
}

struct row {
	const char *name;
	size_t len;
	bool cut;
	unsigned long n;
};

static int
by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (n > 0 && (c = memcmp(x->name, y->name, n)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * The rows of a tally, most frequent first (then by name): at most
 * TALLY_SHOWN, *nrow of them; *others the entries of the other names
 * and *nothers how many names they are (exact unless t->approximate).
 * Once names were let go, only those surely more frequent than any that
 * went are rows (what they had for sure, n - err, is over the least
 * count): the others' counts are mostly what they inherited.
 */
static struct row *
tally_rows(const struct tally *t, size_t *nrow, unsigned long *others,
    size_t *nothers)
{
	struct row *r = tclog_xreallocarray(NULL, t->n + 1, sizeof *r);
	unsigned long least = t->n > 0 ? t->c[t->heap[0]].n : 0;
	size_t n = 0;

	*others = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!t->approximate || t->c[i].n - t->c[i].err > least)
			r[n++] = (struct row){t->c[i].name, t->c[i].len,
			    t->c[i].cut, t->c[i].n};
		else
			*others += t->c[i].n;
	qsort(r, n, sizeof *r, by_count);
	*nrow = n < TALLY_SHOWN ? n : TALLY_SHOWN;
	for (size_t i = *nrow; i < n; i++)
		*others += r[i].n;
	*nothers = t->n - *nrow;
	return r;
}

static void
lengths_add(struct lengths *l, size_t len)
{
	size_t mask, i;

	if (2 * (l->used + 1) > l->nslot) {
		struct lengths big = {0};

		big.nslot = l->nslot ? 2 * l->nslot : 64;
		big.len = tclog_xcalloc(big.nslot, sizeof *big.len);
		big.n = tclog_xreallocarray(NULL, big.nslot, sizeof *big.n);
		for (i = 0; i < l->nslot; i++)
			if (l->len[i] != 0) {
				size_t j = (l->len[i] * 0x9e3779b97f4a7c15ULL) &
				    (big.nslot - 1);

				while (big.len[j] != 0)
					j = (j + 1) & (big.nslot - 1);
				big.len[j] = l->len[i];
				big.n[j] = l->n[i];
			}
		big.used = l->used;
		free(l->len);
		free(l->n);
		*l = big;
	}
	mask = l->nslot - 1;
	for (i = ((len + 1) * 0x9e3779b97f4a7c15ULL) & mask; l->len[i] != 0 &&
	    l->len[i] != len + 1; i = (i + 1) & mask)
		;
	if (l->len[i] == 0) {
		l->len[i] = len + 1;
		l->n[i] = 0;
		l->used++;
	}
	l->n[i]++;
}

/* ---- entries and examples ---- */

/* The decoded string value of field f, or "(none)". */
static void
field_name(struct stats *st, const struct tclog_field *f)
{
	st->name.len = 0;
	if (f == NULL || tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_STRING ||
	    tclog_json_string(f->value, f->value_len, &st->name) != 0)
		tclog_buf_adds(&st->name, "(none)");
}

/* The tokens of one example that tclog-qwen would write. */
static void
count_tokens(struct stats *st, const struct tclog_example *ex)
{
	size_t from, to, trained = 0;

	st->text.len = 0;
	tclog_example_text(&st->o.prompt, ex, st->o.results, &st->text, &from, &to);
	st->tokens.n = 0;
	tclog_tokenizer_encode(st->o.tok, st->text.data, st->text.len,
	    &st->tokens);
	for (size_t i = 0; i < st->tokens.n; i++)
		if (st->tokens.start[i] >= from && st->tokens.start[i] < to)
			trained++;
	st->total += st->tokens.n;
	st->trained += trained;
	lengths_add(&st->lengths, st->tokens.n);
	if (st->o.max_tokens > 0 && st->tokens.n > st->o.max_tokens)
		st->over++;
}

/*
 * What tclog-qwen's output would teach in contradiction: a prompt given
 * two distinct model outputs (the supervised data teaches both), and an
 * example rated 4-5 in one place and 1-2 in another (kto leaves it out;
 * as kto does, responses to made-up queries and unrated ones aside).
 */
static void
conflicts(struct stats *st, const struct tclog_example *ex)
{
	unsigned long long d[2], prompt[2], output[2], pair[4];
	bool good;

	tclog_example_digest(&st->o.prompt, ex, st->o.results, &st->text, d, prompt,
	    output);
	memcpy(pair, prompt, sizeof prompt);
	memcpy(pair + 2, output, sizeof output);
	if (tclog_digestset_add(&st->answers, pair, sizeof pair) &&
	    !tclog_digestset_put(&st->prompts, prompt) &&
	    tclog_digestset_put(&st->several, prompt))
		st->nseveral++;
	if (ex->made_up_query || ex->unrated || ex->min_rating == 0 ||
	    ex->min_rating == 3)
		return;
	good = ex->min_rating >= 4;
	tclog_digestset_put(good ? &st->rated_good : &st->rated_bad, d);
	if (tclog_digestset_has(good ? &st->rated_bad : &st->rated_good, d) &&
	    tclog_digestset_put(&st->both, d))
		st->nboth++;
}

/* The -f text line of an example that -u keeps. */
static void
kept(void *ctx, const char *line, size_t len)
{
	struct stats *st = ctx;

	(void)line;
	(void)len;
	st->kept = true;
}

static void
example_done(void *ctx, const struct tclog_example *ex)
{
	struct stats *st = ctx;

	if (ex->kind == TCLOG_EXAMPLE_STRAY)
		st->stray++;
	else if (!tclog_example_whole(ex))
		st->missing++;
	else {
		st->whole++;
		st->calls = tclog_grow_zeroed(st->calls, &st->ncalls,
		    ex->ncall + 1, sizeof *st->calls);
		st->calls[ex->ncall]++;
	}
	if (!st->o.partial && !tclog_example_whole(ex))
		return;
	conflicts(st, ex);
	if (st->w.unique) {
		st->kept = false;
		tclog_writer_write(&st->w, ex);
		if (!st->kept)
			return;
	}
	st->examples++;
	if (st->o.tok != NULL)
		count_tokens(st, ex);
}

/* A bad record is counted as bad and nowhere else: the entries are the
 * good records, and every tally adds up to them. */
static void
entry(struct stats *st, const struct tclog_entry *e)
{
	const char *why, *name = st->es.in.name;
	unsigned long line = st->es.in.line;
	int before = 0;

	if (e->rating == TCLOG_RATING_BAD) {
		tclog_diag(name, line, "%s", e->why);
		st->bad++;
		tclog_status_raise(&st->status_code, TCLOG_EXIT_BAD);
		return;
	}
	if (tclog_field_filled(e->query) && tclog_field_filled(e->response)) {
		tclog_examples_add(&st->xs, e, name, line, &before);
		if (before != 0) {
			st->bad++;
			tclog_status_raise(&st->status_code, before);
			return;
		}
		st->new_entries++;
	} else if ((why = tclog_upgrade_refusal(e->rec)) != NULL) {
		/* not an old entry tclog-upgrade repairs: bad, as there */
		tclog_diag(name, line, "%s", why);
		st->bad++;
		tclog_status_raise(&st->status_code, TCLOG_EXIT_BAD);
		return;
	} else
		st->old_entries++;
	st->entries++;
	st->rating[e->rating]++;
	field_name(st, e->status);
	tally_add(&st->status, st->name.data, st->name.len);
	field_name(st, e->tool);
	tally_add(&st->tool, st->name.data, st->name.len);
	field_name(st, e->model);
	tally_add(&st->model, st->name.data, st->name.len);
	if (e->made_up & TCLOG_MADE_UP_QUERY)
		st->made_up++;
	if (e->tools_off)
		st->tools_off++;
}

/* ---- percentiles and the histogram ---- */

struct summary {
	unsigned long n;
	size_t min, max, median, p90, p95, p99;
};

static int
by_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the p-th percentile is the smallest length that at least
 * p % of the examples do not exceed. */
static size_t
percentile(const size_t *len, const unsigned long *n, size_t k,
    unsigned long total, unsigned p)
{
	unsigned long want = (unsigned long)(((unsigned long long)total * p +
	    99) / 100), seen = 0;

	for (size_t i = 0; i < k; i++)
		if ((seen += n[i]) >= want)
			return len[i];
	return k ? len[k - 1] : 0;
}

static void
summarize(const struct lengths *l, struct summary *s)
{
	size_t k = 0, *len = tclog_xreallocarray(NULL, l->used + 1,
	    sizeof *len);
	unsigned long *n = tclog_xreallocarray(NULL, l->used + 1, sizeof *n);

	for (size_t i = 0; i < l->nslot; i++)
		if (l->len[i] != 0)
			len[k++] = l->len[i] - 1;
	qsort(len, k, sizeof *len, by_size);
	*s = (struct summary){0};
	for (size_t i = 0; i < k; i++) {
		size_t mask = l->nslot - 1, j;

		for (j = ((len[i] + 1) * 0x9e3779b97f4a7c15ULL) & mask;
		    l->len[j] != len[i] + 1; j = (j + 1) & mask)
			;
		n[i] = l->n[j];
		s->n += n[i];
	}
	if (k > 0) {
		s->min = len[0];
		s->max = len[k - 1];
		s->median = percentile(len, n, k, s->n, 50);
		s->p90 = percentile(len, n, k, s->n, 90);
		s->p95 = percentile(len, n, k, s->n, 95);
		s->p99 = percentile(len, n, k, s->n, 99);
	}
	free(len);
	free(n);
}

/* Buckets of the histogram: up to 128 tokens, 256, ... (the lengths
 * trainers cut at are powers of two); the last one is open. */
#define NBUCKET 14

static unsigned long
bucket_top(int b)
{
	return 128UL << b;
}

static void
buckets(const struct lengths *l, unsigned long *count)
{
	memset(count, 0, NBUCKET * sizeof *count);
	for (size_t i = 0; i < l->nslot; i++) {
		int b = 0;

		if (l->len[i] == 0)
			continue;
		while (b < NBUCKET - 1 && l->len[i] - 1 > bucket_top(b))
			b++;
		count[b] += l->n[i];
	}
}

/* ---- the screen ---- */

/* The screen's lines: at most WIDTH columns, a line that goes on
 * indented to where the values begin. */
#define WIDTH 80
#define VALUES 13

/* The bytes of the character that s starts with, and in *cols its
 * columns by utf8proc's widths (a byte that is no character: one byte,
 * one column). */
static size_t
character(const char *s, size_t n, size_t *cols)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)n, &cp);
	int cw;

	if (k <= 0) {
		*cols = 1;
		return 1;
	}
	cw = utf8proc_charwidth(cp);
	*cols = cw < 0 ? 0 : (size_t)cw;
	return (size_t)k;
}

/* The columns of the UTF-8 text s. */
static size_t
columns(const char *s, size_t n)
{
	size_t w = 0, cw, k;

	for (; n > 0; s += k, n -= k) {
		k = character(s, n, &cw);
		w += cw;
	}
	return w;
}

/* The bytes of the characters of s that fit in max columns. */
static size_t
fitting(const char *s, size_t n, size_t max)
{
	size_t used = 0, w = 0, cw, k;

	for (; used < n; used += k) {
		k = character(s + used, n - used, &cw);
		if ((w += cw) > max)
			break;
	}
	return used;
}

static void
new_line(struct tclog_buf *o, size_t *col)
{
	tclog_buf_printf(o, "\n%*s", VALUES, "");
	*col = VALUES;
}

/* Appends s at column *col, going on to a new line where it would pass
 * WIDTH (only a value longer than a whole line is cut). */
static void
put_wrapped(struct tclog_buf *o, size_t *col, const char *s, size_t n)
{
	size_t w, k;

	for (; n > 0; s += k, n -= k) {
		k = character(s, n, &w);
		if (*col + w > WIDTH && *col > VALUES)
			new_line(o, col);
		tclog_buf_add(o, s, k);
		*col += w;
	}
}

/* One item of a tally line. */
static void
put_item(struct tclog_buf *o, size_t *col, const struct tclog_buf *item,
    bool first)
{
	if (!first && *col + 1 + columns(item->data, item->len) > WIDTH)
		new_line(o, col);
	else {
		tclog_buf_addc(o, ' ');
		(*col)++;
	}
	put_wrapped(o, col, item->data, item->len);
}

/* "label  name n, name n, (k others) n": names as a terminal may show
 * them (tclog_visible), a value that does not fit on the line on the
 * next; counts past TALLY_MAX names marked "~", approximate. */
static void
put_tally(struct tclog_buf *o, const char *label, const struct tally *t,
    struct tclog_buf *item)
{
	const char *approx = t->approximate ? "~" : "";
	unsigned long others;
	size_t nrow, nothers, col = VALUES - 1;
	struct row *r = tally_rows(t, &nrow, &others, &nothers);

	tclog_buf_printf(o, "%-*s", VALUES - 1, label);
	if (nrow == 0 && nothers == 0)
		tclog_buf_adds(o, " -");
	for (size_t i = 0; i < nrow; i++) {
		bool cut = r[i].cut;

		item->len = 0;
		tclog_visible(item, r[i].name, r[i].len, NULL);
		if (columns(item->data, item->len) > NAME_COLUMNS) {
			item->len = fitting(item->data, item->len,
			    NAME_COLUMNS - 3);
			cut = true;
		}
		tclog_buf_printf(item, "%s %s%lu%s", cut ? "..." : "",
		    approx, r[i].n, i + 1 < nrow || nothers > 0 ? "," : "");
		put_item(o, &col, item, i == 0);
	}
	if (nothers > 0) {
		item->len = 0;
		if (t->approximate)
			tclog_buf_printf(item, "(others) ~%lu", others);
		else
			tclog_buf_printf(item, "(%zu others) %lu", nothers,
			    others);
		put_item(o, &col, item, nrow == 0);
	}
	tclog_buf_addc(o, '\n');
	free(r);
}

/* Whole responses by their number of calls: "1: 40, 2: 7". */
static void
put_calls(struct tclog_buf *o, const struct stats *st, const char *fmt)
{
	const char *sep = "";

	for (size_t n = 0; n < st->ncalls; n++)
		if (st->calls[n] > 0) {
			tclog_buf_adds(o, sep);
			tclog_buf_printf(o, fmt, n, st->calls[n]);
			sep = fmt[0] == '"' ? "," : ", ";
		}
}

static void
put_screen(struct stats *st, struct tclog_buf *o)
{
	static const char *const rating_name[] = { "unrated", "1", "2", "3",
	    "4", "5" };

	tclog_buf_printf(o, "%-12s %lu (new %lu, old %lu; made-up queries "
	    "%lu; without tools %lu)\n", "entries", st->entries,
	    st->new_entries, st->old_entries, st->made_up, st->tools_off);
	tclog_buf_printf(o, "%-12s %lu\n", "bad records", st->bad);
	put_tally(o, "status", &st->status, &st->name);
	put_tally(o, "tool", &st->tool, &st->name);
	put_tally(o, "model", &st->model, &st->name);
	tclog_buf_printf(o, "%-12s", "rating");
	for (int r = 5; r >= 0; r--)
		tclog_buf_printf(o, "%s %s: %lu", r < 5 ? "," : "",
		    rating_name[r], st->rating[r]);
	tclog_buf_printf(o, "\n%-12s %lu whole", "responses", st->whole);
	if (st->whole > 0) {
		tclog_buf_adds(o, " (calls in each: ");
		put_calls(o, st, "%zu: %lu");
		tclog_buf_addc(o, ')');
	}
	tclog_buf_printf(o, "\n%-12s %lu partial response%s, %lu stray "
	    "entr%s (%s)\n", st->o.partial ? "partial" : "left out",
	    st->missing, st->missing == 1 ? "" : "s", st->stray,
	    st->stray == 1 ? "y" : "ies", st->o.partial ? "written: -P" :
	    "tclog-qwen -P writes them");
	if (st->old_entries > 0)
		tclog_buf_printf(o, "%-12s %lu entr%s: no examples until "
		    "tclog-upgrade repairs %s\n", "old format", st->old_entries,
		    st->old_entries == 1 ? "y" : "ies",
		    st->old_entries == 1 ? "it" : "them");
	tclog_buf_printf(o, "%-12s %lu", "examples", st->examples);
	if (st->w.unique)
		tclog_buf_printf(o, " (and %lu identical to an earlier one, "
		    "left out: -u)", st->w.duplicates);
	tclog_buf_printf(o, "\n%-12s %lu prompt%s with several distinct "
	    "responses, %lu example%s rated both 4-5 and 1-2\n", "conflicts",
	    st->nseveral, st->nseveral == 1 ? "" : "s", st->nboth,
	    st->nboth == 1 ? "" : "s");
	if (st->o.tok == NULL)
		return;

	struct summary s;
	unsigned long count[NBUCKET], most = 0;
	int first = -1, last = -1;

	summarize(&st->lengths, &s);
	if (s.n == 0) {
		tclog_buf_printf(o, "%-12s no examples\n", "tokens");
		return;
	}
	tclog_buf_printf(o, "%-12s the text of tclog-qwen -f text%s, by %s\n",
	    "tokens", st->o.results ? " -o" : "", st->o.tokenizer_path);
	tclog_buf_printf(o, "  %-10s %llu, the model's own output %llu "
	    "(%.1f %%)\n", "total", st->total, st->trained,
	    st->total ? 100.0 * (double)st->trained / (double)st->total : 0.0);
	tclog_buf_printf(o, "  %-10s min %zu, median %zu, p90 %zu, p95 %zu, "
	    "p99 %zu, max %zu\n", "per example", s.min, s.median, s.p90, s.p95,
	    s.p99, s.max);
	if (st->o.max_tokens > 0)
		tclog_buf_printf(o, "  %-10s %lu of %lu examples (%.1f %%)\n",
		    "over -M", st->over, s.n, 100.0 * (double)st->over /
		    (double)s.n);
	buckets(&st->lengths, count);
	for (int b = 0; b < NBUCKET; b++)
		if (count[b] > 0) {
			if (first < 0)
				first = b;
			last = b;
			if (count[b] > most)
				most = count[b];
		}
	for (int b = first; b <= last; b++) {
		int w = (int)((count[b] * 40 + most - 1) / most);

		if (b < NBUCKET - 1)
			tclog_buf_printf(o, "  <= %7lu ", bucket_top(b));
		else
			tclog_buf_printf(o, "   > %7lu ", bucket_top(b - 1));
		for (int i = 0; i < 40; i++)
			tclog_buf_addc(o, i < w ? '#' : ' ');
		tclog_buf_printf(o, " %lu\n", count[b]);
	}
}

/* ---- -j ---- */

/* The names of the screen and their counts; name... when cut. */
static void
json_tally(struct tclog_buf *o, const char *key, const struct tally *t,
    struct tclog_buf *name)
{
	unsigned long others;
	size_t nrow, nothers;
	struct row *r = tally_rows(t, &nrow, &others, &nothers);

	tclog_buf_printf(o, ",\"%s\":{", key);
	for (size_t i = 0; i < nrow; i++) {
		if (i)
			tclog_buf_addc(o, ',');
		name->len = 0;
		tclog_buf_add(name, r[i].name, r[i].len);
		if (r[i].cut)
			tclog_buf_adds(name, "...");
		tclog_json_put_string(o, name->data, name->len);
		tclog_buf_printf(o, ":%lu", r[i].n);
	}
	tclog_buf_addc(o, '}');
	free(r);
}

/* The rest of a tally, as the screen's "(k others) n". */
static void
json_others(struct tclog_buf *o, const char *key, const struct tally *t)
{
	unsigned long others;
	size_t nrow, nothers;
	struct row *r = tally_rows(t, &nrow, &others, &nothers);

	tclog_buf_printf(o, "\"%s\":{\"names\":", key);
	if (t->approximate)
		tclog_buf_adds(o, "null");
	else
		tclog_buf_printf(o, "%zu", nothers);
	tclog_buf_printf(o, ",\"entries\":%lu,\"approximate\":%s}", others,
	    t->approximate ? "true" : "false");
	free(r);
}

static void
put_json(struct stats *st, struct tclog_buf *o)
{
	tclog_buf_printf(o, "{\"entries\":%lu,\"new\":%lu,\"old\":%lu,"
	    "\"made_up\":%lu,\"tools_off\":%lu,\"bad\":%lu", st->entries,
	    st->new_entries, st->old_entries, st->made_up, st->tools_off,
	    st->bad);
	json_tally(o, "status", &st->status, &st->name);
	json_tally(o, "tool", &st->tool, &st->name);
	json_tally(o, "model", &st->model, &st->name);
	/* only when some tally has more names than it lists */
	if (st->status.n > TALLY_SHOWN || st->tool.n > TALLY_SHOWN ||
	    st->model.n > TALLY_SHOWN || st->status.approximate ||
	    st->tool.approximate || st->model.approximate) {
		tclog_buf_adds(o, ",\"others\":{");
		json_others(o, "status", &st->status);
		tclog_buf_addc(o, ',');
		json_others(o, "tool", &st->tool);
		tclog_buf_addc(o, ',');
		json_others(o, "model", &st->model);
		tclog_buf_addc(o, '}');
	}
	tclog_buf_printf(o, ",\"rating\":{\"1\":%lu,\"2\":%lu,\"3\":%lu,"
	    "\"4\":%lu,\"5\":%lu,\"unrated\":%lu}", st->rating[1],
	    st->rating[2], st->rating[3], st->rating[4], st->rating[5],
	    st->rating[0]);
	tclog_buf_printf(o, ",\"responses\":{\"whole\":%lu,\"missing\":%lu,"
	    "\"stray\":%lu", st->whole, st->missing, st->stray);
	tclog_buf_adds(o, ",\"calls\":{");
	put_calls(o, st, "\"%zu\":%lu");
	tclog_buf_printf(o, "}},\"examples\":%lu", st->examples);
	if (st->w.unique)
		tclog_buf_printf(o, ",\"duplicates\":%lu", st->w.duplicates);
	else
		tclog_buf_adds(o, ",\"duplicates\":null");
	tclog_buf_printf(o, ",\"conflicts\":{\"prompts_with_several_responses\":"
	    "%lu,\"examples_rated_both\":%lu}", st->nseveral, st->nboth);
	if (st->o.tok != NULL) {
		struct summary s;
		unsigned long count[NBUCKET];

		summarize(&st->lengths, &s);
		tclog_buf_printf(o, ",\"tokens\":{\"total\":%llu,\"trained\":"
		    "%llu", st->total, st->trained);
		/* no examples, no lengths: null, never a 0 to cut at */
		if (s.n == 0)
			tclog_buf_adds(o, ",\"min\":null,\"median\":null,"
			    "\"p90\":null,\"p95\":null,\"p99\":null,"
			    "\"max\":null");
		else
			tclog_buf_printf(o, ",\"min\":%zu,\"median\":%zu,"
			    "\"p90\":%zu,\"p95\":%zu,\"p99\":%zu,\"max\":%zu",
			    s.min, s.median, s.p90, s.p95, s.p99, s.max);
		tclog_buf_adds(o, ",\"over\":");
		if (st->o.max_tokens > 0)
			tclog_buf_printf(o, "%lu,\"limit\":%zu", st->over,
			    st->o.max_tokens);
		else
			tclog_buf_adds(o, "null,\"limit\":null");
		buckets(&st->lengths, count);
		tclog_buf_adds(o, ",\"histogram\":{");
		for (int b = 0; b < NBUCKET - 1; b++)
			tclog_buf_printf(o, "%s\"%lu\":%lu", b ? "," : "",
			    bucket_top(b), count[b]);
		tclog_buf_printf(o, ",\"more\":%lu}}", count[NBUCKET - 1]);
	}
	tclog_buf_adds(o, "}\n");
}

/* ---- options ---- */

/* Sets st up from the options: optind, or TCLOG_OPT_* (diagnosed). */
static int
options(struct stats *st, int argc, char *argv[])
{
	int ch, why;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	while ((ch = tclog_exopts_getopt(&st->o, argc, argv, OPTIONS)) >= 0) {
		switch (ch) {
		case 'j':
			st->json = true;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	if (st->o.max_tokens > 0 && st->o.tokenizer_path == NULL)
		return tclog_usage_error("-M needs -T tokenizer.json");
	if ((why = tclog_exopts_load(&st->o, argc - optind,
	    argv + optind)) != 0)
		return why;
	return optind;
}

/* Reads the inputs (argv: the operands) and writes what they hold; the
 * exit status. */
static int
run(struct stats *st, int argc, char *argv[])
{
	struct tclog_buf out = { 0 };

	st->tokens.keep = true;
	st->w.format = tclog_format_find("text");
	tclog_exopts_apply(&st->o, &st->xs, &st->w);
	st->w.emit = kept;
	st->w.ctx = st;
	st->xs.args_objects = true;	/* the rule of -f text */
	st->xs.done = example_done;
	st->xs.ctx = st;
	tclog_examples_init(&st->xs);
	tclog_entries_inputs(&st->es, argc, argv, st->o.limit);
	while (tclog_entries_next(&st->es, &st->status_code))
		entry(st, &st->es.entry);
	tclog_examples_end(&st->xs);
	tclog_writer_finish(&st->w);
	st->bad += st->es.bad;	/* records that are no entry */

	if (st->json)
		put_json(st, &out);
	else
		put_screen(st, &out);
	tclog_write(out.data, out.len);
	tclog_buf_free(&out);
	return tclog_finish_output(st->status_code);
}

static void
stats_free(struct stats *st)
{
	tclog_examples_free(&st->xs);
	tclog_entries_free(&st->es);
	tclog_exopts_free(&st->o);
	tclog_tokens_free(&st->tokens);
	TCLOG_BUFS_FREE(&st->text, &st->name);
	tally_free(&st->status);
	tally_free(&st->tool);
	tally_free(&st->model);
	tclog_digestset_free(&st->answers);
	tclog_digestset_free(&st->prompts);
	tclog_digestset_free(&st->several);
	tclog_digestset_free(&st->rated_good);
	tclog_digestset_free(&st->rated_bad);
	tclog_digestset_free(&st->both);
	TCLOG_FREE_ALL(st->calls, st->lengths.len, st->lengths.n);
}

int
main(int argc, char *argv[])
{
	struct stats st = { .o = { .limit = TCLOG_DEFAULT_LIMIT } };
	int first, status;

	tclog_start();
	tclog_entries_init(&st.es);
	if ((first = options(&st, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&st, argc - first, argv + first);
	stats_free(&st);
	return status;
}
