/*
 * tclog-scrub's engine: the rules compiled (the built-in ones, a user's
 * file) into one Vectorscan database and a PCRE2 code each; a string
 * scanned by Vectorscan for every rule at once, then searched by PCRE2
 * for the rules that matched, where they matched; the findings checked,
 * merged by the rules' order.
 */
#include "scrub.h"

#ifdef TCLOG_SCRUB_DB
/* builtin_db[], builtin_min_width: the Vectorscan database of the
 * built-in rules, made at build time by dbgen.c (see the Makefile).
 * Compiling it here costs 40 ms at every start, loading it 20 us. */
#include "tclog-scrub-db.inc"
#endif

/*
 * The bounds of one PCRE2 match: its steps from one starting point
 * (PCRE2's default, and 16 a byte of the text, as a rule may walk a
 * long line once) and the memory of its backtracking frames. The rules
 * are written so that no realistic text comes near them (a long line
 * costs one frame, not one a byte); a text that does, on purpose or by
 * a user's rule, is redacted whole rather than written unsearched or
 * dropped.
 */
#define MATCH_LIMIT 10000000
#define MATCH_LIMIT_PER_BYTE 16
#define HEAP_LIMIT_KB (16 * 1024)

void
add_rule(struct rules *r, const char *kind, const char *re, enum check check)
{
	r->rule = tclog_grow(r->rule, &r->cap, r->n + 1, sizeof(*r->rule));
	r->rule[r->n++] = (struct rule){ kind, re, check, NULL, NULL };
}

/* Compiles rule i with both engines' checks; on failure puts why in
 * why and returns -1. */
static int
compile_rule(struct rules *r, size_t i, struct tclog_buf *why)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	uint32_t groups = 0;
	int code;

	r->re[i] = pcre2_compile((PCRE2_SPTR)r->rule[i].re,
	    PCRE2_ZERO_TERMINATED, PCRE2_USE_OFFSET_LIMIT, &code, &off, NULL);
	if (r->re[i] == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		tclog_buf_printf(why, "%s at offset %zu", (char *)msg,
		    (size_t)off);
		return -1;
	}
	/* The JIT (3x faster on a log dense with secrets) reads a little
	 * past the end of the text: locate's text is a padded copy. */
	pcre2_jit_compile(r->re[i], PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(r->re[i], PCRE2_INFO_CAPTURECOUNT, &groups);
	r->grouped[i] = groups > 0;
	return 0;
}

/* Compiles every rule into one Vectorscan database, for platform (NULL:
 * this machine). A user's rule that Vectorscan refuses is named by its
 * index in *bad. */
int
compile_db(struct rules *r, const hs_platform_info_t *platform, size_t *bad,
    struct tclog_buf *why)
{
	const char **re = tclog_xreallocarray(NULL, r->n, sizeof(*re));
	unsigned *flags = tclog_xreallocarray(NULL, r->n, sizeof(*flags));
	unsigned *ids = tclog_xreallocarray(NULL, r->n, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	int ret = 0;

	r->min_width = SIZE_MAX;
	for (size_t i = 0; i < r->n; i++) {
		hs_expr_info_t *info = NULL;

		re[i] = r->rule[i].detect ? r->rule[i].detect : r->rule[i].re;
		flags[i] = 0;	/* every end: where PCRE2 need look */
		ids[i] = (unsigned)i;
		/* Most strings of an entry are short (status, ids, names):
		 * those no rule can match are not scanned. */
		if (hs_expression_info(re[i], flags[i], &info, &ce) ==
		    HS_SUCCESS) {
			if (info->min_width < r->min_width)
				r->min_width = info->min_width;
			free(info);
		} else {
			hs_free_compile_error(ce);
			ce = NULL;
			r->min_width = 0;
		}
	}
	if (hs_compile_multi(re, flags, ids, (unsigned)r->n, HS_MODE_BLOCK,
	    platform, &r->db, &ce) != HS_SUCCESS) {
		*bad = ce->expression < 0 ? SIZE_MAX : (size_t)ce->expression;
		tclog_buf_adds(why, ce->message);
		hs_free_compile_error(ce);
		ret = -1;
	} else if (hs_alloc_scratch(r->db, &r->scratch) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	TCLOG_FREE_ALL(re, flags, ids);
	return ret;
}

#ifdef TCLOG_SCRUB_DB
static int
on_probe_none(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(void)ctx;
	return 0;
}
#endif

/*
 * Vectorscan's memory, aligned as it wants it: it aligns what malloc
 * gives by moving the pointer, and a pointer into a block makes what a
 * fatal exit leaves look possibly lost to valgrind, not reachable.
 */
void *
aligned_alloc64(size_t n)
{
	void *p;

	return posix_memalign(&p, 64, n ? n : 1) == 0 ? p : NULL;
}

/* Loads the database of the built-in rules made at build time; false
 * when there is none or it does not fit this machine, and then it is
 * compiled. The build's machine's database first, then one for any
 * x86-64 (a CPU without the build's features, valgrind's among them:
 * compiling costs 80 ms, and 7 s of valgrind's time at every start). */
static bool
load_db(struct rules *r)
{
#ifdef TCLOG_SCRUB_DB
	static const struct {
		const unsigned char *bytes;
		size_t len;
	} dbs[] = {
		{ builtin_db, sizeof(builtin_db) },
		{ builtin_db_generic, sizeof(builtin_db_generic) },
	};

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		if (hs_deserialize_database((const char *)dbs[i].bytes,
		    dbs[i].len, &r->db) != HS_SUCCESS)
			continue;
		if (hs_alloc_scratch(r->db, &r->scratch) == HS_SUCCESS &&
		    hs_scan(r->db, "probe", 5, 0, r->scratch, on_probe_none,
		    NULL) == HS_SUCCESS) {
			r->min_width = builtin_min_width;
			return true;
		}
		hs_free_scratch(r->scratch);
		hs_free_database(r->db);
		r->scratch = NULL;
		r->db = NULL;
	}
	return false;
#else
	(void)r;
	return false;
#endif
}

static bool
kind_ok(const char *s, size_t n)
{
	if (n == 0 || n > KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word_byte((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return false;
	return true;
}

/*
 * Reads the user's rules: KIND<TAB>REGEX lines, '#' comments and blank
 * lines. The text is kept in r->text; each line's number in lines (for
 * the errors of compiling). Returns -1 after a diagnostic.
 */
static int
read_rules(struct rules *r, const char *path, size_t limit,
    unsigned long **lines)
{
	struct tclog_rules_file f;
	struct tclog_buf text = { 0 };
	struct {
		size_t kind, re;
	} *at = NULL;
	size_t n = 0, cap = 0;
	int ret;

	if (tclog_rules_open(&f, path, limit, "KIND", "REGEX") != 0)
		return -1;
	while (tclog_rules_next(&f)) {
		if (!kind_ok(f.key, f.key_len))
			tclog_rules_bad(&f, "KIND is not 1 to 64 letters, "
			    "digits, '_', '-', '.'");
		else if (f.value_len == 0)
			tclog_rules_bad(&f, "empty REGEX");
		else if (memchr(f.in.text, '\0', f.in.len) != NULL)
			tclog_rules_bad(&f, "a NUL byte");
		else {
			if (n == cap) {
				at = tclog_grow(at, &cap, n + 1, sizeof(*at));
				*lines = tclog_xreallocarray(*lines, cap,
				    sizeof(**lines));
			}
			at[n].kind = text.len;
			tclog_buf_add(&text, f.key, f.key_len);
			tclog_buf_addc(&text, '\0');
			at[n].re = text.len;
			tclog_buf_add(&text, f.value, f.value_len);
			tclog_buf_addc(&text, '\0');
			(*lines)[n++] = f.in.line;
		}
	}
	ret = tclog_rules_close(&f);
	r->text = text.data;	/* pointers into it are taken once it is whole */
	for (size_t i = 0; i < n; i++)
		add_rule(r, text.data + at[i].kind, text.data + at[i].re,
		    CHECK_NONE);
	free(at);
	return ret;
}

static int
on_probe(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	((unsigned char *)ctx)[id] = 1;
	return 0;
}

/* Sets r->blind when Vectorscan misses a probe, alone or after 300 bytes
 * of text. */
static void
check_probes(struct rules *r)
{
	struct tclog_buf text = { 0 };
	unsigned char *hit = tclog_xmalloc(r->n);

	for (size_t i = 0; i < nbuiltin && !r->blind; i++)
		for (int far = 0; far < 2 && !r->blind; far++) {
			text.len = 0;
			for (int k = 0; far && k < 25; k++)
				tclog_buf_adds(&text, "ls -l 0123 ");
			tclog_buf_adds(&text, r->rule[i].probe);
			tclog_buf_adds(&text, " ok");
			memset(hit, 0, r->n);
			if (hs_scan(r->db, text.data, (unsigned)text.len, 0,
			    r->scratch, on_probe, hit) != HS_SUCCESS || !hit[i])
				r->blind = true;
		}
	if (r->blind)
		warnx("Vectorscan misses matches on this machine: every rule "
		    "runs with PCRE2 (slower)");
	free(hit);
	tclog_buf_free(&text);
}

/* Builds the rules: the built-in ones and those of file (or NULL).
 * Returns -1 after a diagnostic (a usage error). */
int
load_rules(struct rules *r, const char *file, size_t limit)
{
	struct tclog_buf why = { 0 };
	unsigned long *lines = NULL;
	size_t bad;
	int ret = 0;

	r->key_rank = SIZE_MAX;
	for (size_t i = 0; i < nbuiltin; i++) {
		add_rule(r, builtin[i].kind, builtin[i].re, builtin[i].check);
		r->rule[i].detect = builtin[i].detect;
		r->rule[i].probe = builtin[i].probe;
		if (r->key_rank == SIZE_MAX && strcmp(builtin[i].kind,
		    KEY_KIND) == 0)
			r->key_rank = i;
	}
	if (file != NULL && read_rules(r, file, limit, &lines) != 0) {
		free(lines);
		return -1;
	}
	r->re = tclog_xreallocarray(NULL, r->n, sizeof(*r->re));
	r->grouped = tclog_xreallocarray(NULL, r->n, sizeof(*r->grouped));
	r->spans = tclog_xreallocarray(NULL, r->n, sizeof(*r->spans));
	for (size_t i = 0; i < r->n; i++) {
		r->spans[i] = i >= nbuiltin || rule_spans(r->rule[i].kind);
	}
	memset(r->re, 0, r->n * sizeof(*r->re));
	for (size_t i = 0; i < r->n && ret == 0; i++)
		if (compile_rule(r, i, &why) != 0) {
			if (i < nbuiltin)
				errx(TCLOG_EXIT_FATAL, "rule %s: %s",
				    r->rule[i].kind, tclog_buf_str(&why));
			tclog_diag(tclog_input_name(file), lines[i - nbuiltin],
			    "bad REGEX: %s", tclog_buf_str(&why));
			ret = -1;
		}
	if (ret == 0 && !(file == NULL && load_db(r)) &&
	    compile_db(r, NULL, &bad, &why) != 0) {
		if (bad != SIZE_MAX && bad >= nbuiltin &&
		    strstr(tclog_buf_str(&why), "empty buffer") != NULL)
			tclog_diag(tclog_input_name(file),
			    lines[bad - nbuiltin], "REGEX matches the empty "
			    "string");
		else if (bad != SIZE_MAX && bad >= nbuiltin)
			tclog_diag(tclog_input_name(file),
			    lines[bad - nbuiltin], "REGEX not supported by "
			    "Vectorscan: %s", why.data);
		else
			errx(TCLOG_EXIT_FATAL, "rules: %s",
			    tclog_buf_str(&why));
		ret = -1;
	}
	if (ret == 0 && ((r->md = pcre2_match_data_create(2, NULL)) == NULL ||
	    (r->mc = pcre2_match_context_create(NULL)) == NULL))
		errx(TCLOG_EXIT_FATAL, "out of memory");
	if (ret == 0)
		pcre2_set_heap_limit(r->mc, HEAP_LIMIT_KB);
	if (ret == 0)
		check_probes(r);
	free(lines);
	tclog_buf_free(&why);
	return ret;
}

void
free_rules(struct rules *r)
{
	for (size_t i = 0; r->re != NULL && i < r->n; i++)
		pcre2_code_free(r->re[i]);
	TCLOG_FREE_ALL(r->re, r->grouped, r->spans, r->rule, r->text);
	hs_free_scratch(r->scratch);
	hs_free_database(r->db);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
}

static bool
is_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static void
add_finding(struct scrub *s, size_t start, size_t end, size_t rule)
{
	s->find = tclog_grow(s->find, &s->find_cap, s->nfind + 1,
	    sizeof(*s->find));
	s->find[s->nfind++] = (struct finding){ start, end, rule };
}

/* The start of the line that holds offset to, an end of a detection (the
 * line's last byte is before it): the line of the last end, or after the
 * last newline between that end and this one, as Vectorscan reports
 * ends in order. */
static size_t
line_of(struct scrub *s, size_t to)
{
	size_t from = to >= s->line_to ? s->line_to : 0;	/* back: all */
	const char *nl = memrchr(s->scan + from, '\n', to - from);

	if (nl != NULL)
		s->line = (size_t)(nl - s->scan) + 1;
	else if (from == 0)
		s->line = 0;
	s->line_to = to;
	return s->line;
}

/* A new window of rule id, after its others. */
static void
add_window(struct scrub *s, size_t id, size_t start, size_t limit)
{
	if (!s->hit[id]) {
		s->hit[id] = 1;
		s->hits[s->nhits++] = id;
		s->win_first[id] = s->nwin;
	} else
		s->win[s->win_last[id]].next = s->nwin;
	s->win = tclog_grow(s->win, &s->win_cap, s->nwin + 1,
	    sizeof(*s->win));
	s->win[s->nwin] = (struct window){ start, limit, NO_WINDOW };
	s->win_last[id] = s->nwin++;
}

static int
on_hit(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct scrub *s = ctx;
	size_t start = s->rules.spans[id] ? 0 : line_of(s, (size_t)to);
	struct window *w = s->hit[id] ? &s->win[s->win_last[id]] : NULL;

	(void)from;
	(void)flags;
	if (w == NULL || (start > w->start && s->nwin < WINDOWS_MAX)) {
		add_window(s, id, start, (size_t)to);
		return 0;
	}
	if (start < w->start) {
		/* out of order: one window over all of them */
		struct window *first = &s->win[s->win_first[id]];

		first->start = start < first->start ? start : first->start;
		first->limit = w->limit;
		first->next = NO_WINDOW;
		s->win_last[id] = s->win_first[id];
		w = first;
	}
	if ((size_t)to > w->limit)	/* the same line, or too many */
		w->limit = (size_t)to;
	return 0;
}

/*
 * Searches text with rule i's PCRE2 code from *off, the match's start at
 * most at the offset limit set: its findings, checked. Returns false
 * when a limit stopped PCRE2 (s->unscanned says which).
 */
static bool
search(struct scrub *s, size_t i, const char *text, size_t n, size_t *at)
{
	struct rules *r = &s->rules;
	PCRE2_SIZE off = *at, *ov = pcre2_get_ovector_pointer(r->md);

	while (off <= n) {
		int rc = pcre2_match(r->re[i], (PCRE2_SPTR)text, n, off, 0,
		    r->md, r->mc);
		size_t start, end;

		/* The JIT's stack and step count are not the interpreter's:
		 * its limits are those of the interpreter, asked again. */
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT ||
		    rc == PCRE2_ERROR_MATCHLIMIT)
			rc = pcre2_match(r->re[i], (PCRE2_SPTR)text, n, off,
			    PCRE2_NO_JIT, r->md, r->mc);
		start = ov[0];
		end = ov[1];

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {	/* a limit: not searched to its end */
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			tclog_buf_printf(&s->unscanned, "rule %s: %s",
			    r->rule[i].kind, (char *)msg);
			*at = off;
			return false;
		}

		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		if (in_placeholder(text, n, start)) {
			/* a keyword inside [REDACTED:mysql-password] is
			 * none: search on after the placeholder */
			const char *close = memchr(text + start, ']', n - start);

			off = close != NULL ? (size_t)(close - text) + 1 : n + 1;
			continue;
		}
		if (r->grouped[i]) {
			if (ov[2] == PCRE2_UNSET)
				continue;
			start = ov[2];
			end = ov[3];
		}
		/* A value holding a placeholder lost, on the run that made
		 * it, to the rule listed earlier (password="x ghp_..."): it
		 * is not found on the next run either. */
		/* The end of a sed expression: s/^api_key:.*\/api_key: KEY/ */
		if (r->rule[i].check == CHECK_KEYWORD && end - start > 1 &&
		    text[end - 1] == '/' && memchr(text + start, '/',
		    end - start - 1) == NULL)
			end--;
		if (end > start && !in_placeholder(text, n, start) &&
		    memmem(text + start, end - start, PLACEHOLDER,
		    PLACEHOLDER_LEN) == NULL &&
		    check_ok(r->rule[i].check, text, n, start, end)) {
			/* whole characters: a user's expression may start or
			 * end inside one (\x80\xa8), and the output must
			 * stay UTF-8 */
			while (start > 0 && is_continuation(text[start]))
				start--;
			while (end < n && is_continuation(text[end]))
				end++;
			add_finding(s, start, end, i);
		} else if (start > ov[0] && start < off)
			/* A value taken for no secret may hold the next
			 * keyword: sed 's/^api_key:.* /api_key: KEY/'. */
			off = start;
	}
	*at = off;
	return true;
}

/* Where rule i matches text, with PCRE2: its spans, checked. PCRE2 looks
 * only in the rule's windows. */
static void
locate(struct scrub *s, size_t i, const char *text, size_t n)
{
	struct rules *r = &s->rules;
	size_t off = 0;

	pcre2_set_match_limit(r->mc, n < (UINT32_MAX - MATCH_LIMIT) /
	    MATCH_LIMIT_PER_BYTE ? (uint32_t)(MATCH_LIMIT +
	    MATCH_LIMIT_PER_BYTE * n) : UINT32_MAX);
	for (size_t k = s->win_first[i]; k != NO_WINDOW; k = s->win[k].next) {
		const struct window *w = &s->win[k];

		if (w->limit < off)
			continue;	/* a match ran past it */
		if (w->start > off)
			off = w->start;
		pcre2_set_offset_limit(r->mc, w->limit);
		if (!search(s, i, text, n, &off))
			return;
	}
}

/* The whole words of word w of -w in text. */
static void
find_word(struct scrub *s, size_t w, const char *text, size_t n)
{
	const struct word *wd = &s->word[w];
	const char *p = text, *end = text + n, *q;

	while ((q = memmem(p, (size_t)(end - p), wd->word, wd->word_len)) !=
	    NULL) {
		size_t at = (size_t)(q - text), e = at + wd->word_len;

		p = q + 1;
		if (!whole_word(text, n, at, wd->word_len) ||
		    in_placeholder(text, n, at))
			continue;
		add_finding(s, at, e, SIZE_MAX - w);
		p = text + e;
	}
}

/*
 * Keeps, of the findings s->find[from, nfind) of one rule (sorted, apart),
 * those that overlap none of s->find[0, from) (sorted, apart, found by
 * rules listed earlier), and merges both: where two findings overlap,
 * the rule listed first wins.
 */
static void
merge_findings(struct scrub *s, size_t from)
{
	size_t kept = from, j = 0, a = 0, b = from, k = 0;

	for (size_t i = from; i < s->nfind; i++) {
		struct finding f = s->find[i];

		while (j < from && s->find[j].end <= f.start)
			j++;
		if (j < from && s->find[j].start < f.end)
			continue;
		s->find[kept++] = f;
	}
	s->nfind = kept;
	if (from == 0 || kept == from)
		return;
	if (s->merge_cap < kept) {
		s->merge_cap = s->find_cap;
		s->merge = tclog_xreallocarray(s->merge, s->merge_cap,
		    sizeof(*s->merge));
	}
	while (a < from || b < kept)
		s->merge[k++] = b == kept || (a < from &&
		    s->find[a].start < s->find[b].start) ?
		    s->find[a++] : s->find[b++];
	memcpy(s->find, s->merge, kept * sizeof(*s->find));
}

static int
by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The string value of a member whose key names a secret (in s->key):
 * a literal, so a secret unless a reference or a path; digits only
 * are one only under a password's key. */
static bool
keyed_ok(struct scrub *s, const char *text, size_t n)
{
	size_t digits = 0;

	/* A placeholder anywhere: a rule listed earlier (a webhook's path)
	 * found its secret on the first run; taken whole now, a second
	 * run would differ from the first. */
	if (n == 0 || is_reference(text, n, '"') || text[0] == '/' ||
	    text[0] == '~' || memmem(text, n, PLACEHOLDER,
	    PLACEHOLDER_LEN) != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		digits += text[i] >= '0' && text[i] <= '9';
	return digits < n || name_has(s->key.data, s->key.len, "pass") ||
	    name_has(s->key.data, s->key.len, "pwd");
}

/* Finds what text holds into s->find, sorted, without overlaps: the
 * rules in their order (a keyed string whole at the place of the
 * first "secret" rule), then the words of -w. padded: SUBJECT_PAD zeros
 * follow the text. */
void
find_all(struct scrub *s, const char *text, size_t n, bool keyed,
    bool padded)
{
	bool key = keyed && keyed_ok(s, text, n);
	size_t from;

	s->nfind = 0;
	s->nhits = 0;
	s->nwin = 0;
	s->scan = text;
	s->line = s->line_to = 0;
	s->unscanned.len = 0;
	if (s->rules.blind || n > UINT_MAX) {	/* hs_scan: an unsigned */
		for (size_t i = 0; i < s->rules.n; i++)
			add_window(s, i, 0, n);
	}
	else if (n >= s->rules.min_width && n > 0 && hs_scan(s->rules.db,
	    text, (unsigned)n, 0,
	    s->rules.scratch, on_hit, s) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "Vectorscan failed");
	if (s->nhits > 1)
		qsort(s->hits, s->nhits, sizeof(*s->hits), by_index);
	if (s->nhits > 0 && !padded) {
		/* PCRE2's JIT reads past the end of its text (harmless, but
		 * valgrind says so): it reads a copy with zeros after it. */
		s->subject.len = 0;
		tclog_buf_add(&s->subject, text, n);
		tclog_buf_grow(&s->subject, SUBJECT_PAD);
		memset(s->subject.data + n, 0, SUBJECT_PAD);
		text = s->subject.data;
	}
	for (size_t i = 0; i < s->nhits; i++) {
		s->hit[s->hits[i]] = 0;
		if (key && s->hits[i] >= s->rules.key_rank) {
			from = s->nfind;
			add_finding(s, 0, n, KEY_RULE);
			merge_findings(s, from);
			key = false;
		}
		if (s->unscanned.len > 0)
			continue;	/* the rest of s->hit is still cleared */
		from = s->nfind;
		locate(s, s->hits[i], text, n);
		merge_findings(s, from);
	}
	if (s->unscanned.len > 0) {
		/* What a rule could not search may hold anything. */
		s->nfind = 0;
		add_finding(s, 0, n, UNSCANNED_RULE);
		return;
	}
	if (key) {
		from = s->nfind;
		add_finding(s, 0, n, KEY_RULE);
		merge_findings(s, from);
	}
	for (size_t w = 0; w < s->nword; w++) {
		from = s->nfind;
		find_word(s, w, text, n);
		merge_findings(s, from);
	}
}
