/*
 * tclog-scrub: the walk of each record (every string, the JSON inside
 * strings, a secret's key), the output and the options. See scrub.h.
 */
#include "scrub.h"

#define OPTIONS "df:lL:w:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-scrub [-dl] [-f rules] "
	    "[-w word=replacement]... [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -d       drop every entry in which a rule found something\n"
		    "  -f rules add the rules of a file: KIND<TAB>REGEX lines\n"
		    "  -l       list the findings as FILE:LINE: kind in field\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n"
		    "  -w word=replacement\n"
		    "           replace a whole word everywhere\n");
}

/* Keys that name a secret, compared with the end of a key in lower case
 * without '_', '-' and '.': "DB_PASSWORD", "clientSecret". */
struct name {
	const char *name;
	size_t len;
};
#define NAME(s) { s, sizeof(s) - 1 }
static const struct name secret_keys[] = {
	NAME("password"), NAME("passwd"), NAME("pwd"), NAME("secret"),
	NAME("token"), NAME("apikey"), NAME("accesskey"), NAME("privatekey"),
	NAME("authkey"), NAME("credentials"),
	NAME("clientkeydata"),	/* kubeconfig */
};
/* Keys that name a secret only as a whole: Docker's config.json holds
 * base64 of USER:PASSWORD under "auth". */
static const struct name secret_whole_keys[] = { NAME("auth") };
#undef NAME

static const char *
finding_kind(const struct scrub *s, size_t rule)
{
	if (rule == KEY_RULE)
		return KEY_KIND;
	if (rule == UNSCANNED_RULE)
		return UNSCANNED_KIND;
	if (rule > UNSCANNED_RULE)
		return "word";
	return s->rules.rule[rule].kind;
}

/* -l: one line for each finding of the string at s->path. */
static void
list_findings(struct scrub *s)
{
	struct tclog_buf line = { 0 };

	for (size_t i = 0; i < s->nfind; i++) {
		line.len = 0;
		tclog_buf_printf(&line, "%s:%lu: %s in %s\n", s->in.name,
		    s->in.line, finding_kind(s, s->find[i].rule),
		    tclog_buf_str(&s->path));
		tclog_write(line.data, line.len);
	}
	tclog_buf_free(&line);
}

/* ---- the walk ---- */

static struct level *
level(struct scrub *s, int depth)
{
	if (s->level[depth] == NULL) {
		s->level[depth] = tclog_xcalloc(1, sizeof(struct level));
	}
	return s->level[depth];
}

/* The style in which a string is written again: Go's (<, >, & as
 * \u003c...) unless the string had them as they are. */
static bool
go_style(const char *raw, size_t raw_len)
{
	return memchr(raw, '<', raw_len) == NULL &&
	    memchr(raw, '>', raw_len) == NULL &&
	    memchr(raw, '&', raw_len) == NULL;
}

/* Appends the text that replaces finding f, unescaped. */
static void
add_replacement(const struct scrub *s, struct tclog_buf *b,
    const struct finding *f)
{
	if (f->rule > UNSCANNED_RULE) {
		const struct word *w = &s->word[SIZE_MAX - f->rule];

		tclog_buf_add(b, w->repl, w->repl_len);
	} else {
		tclog_buf_adds(b, PLACEHOLDER);
		tclog_buf_adds(b, finding_kind(s, f->rule));
		tclog_buf_addc(b, ']');
	}
}

/* Appends text, its findings replaced, as a JSON string in the style of
 * raw, the string it came from. */
static void
put_replaced(struct scrub *s, struct tclog_buf *out, const char *text,
    size_t n, const char *raw, size_t raw_len, struct tclog_buf *scratch)
{
	size_t at = 0;

	scratch->len = 0;
	for (size_t i = 0; i < s->nfind; i++) {
		const struct finding *f = &s->find[i];

		tclog_buf_add(scratch, text + at, f->start - at);
		add_replacement(s, scratch, f);
		at = f->end;
	}
	tclog_buf_add(scratch, text + at, n - at);
	if (go_style(raw, raw_len))
		tclog_json_put_go_string(out, scratch->data, scratch->len);
	else
		tclog_json_put_string(out, scratch->data, scratch->len);
}

/*
 * put_replaced for text decoded from raw: where raw is written as that
 * put writes strings (as the logger's Go does), its text between the
 * findings is copied, escapes and all, and only the replacements are
 * escaped: decoding a long output and escaping it again was a tenth of
 * the time on a log dense with secrets. The same bytes either way.
 * styles: raw's (tclog_json_string_styles), when it was decoded.
 */
static void
put_found(struct scrub *s, struct tclog_buf *out, const char *text,
    size_t n, const char *raw, size_t raw_len, const unsigned *styles,
    struct tclog_buf *scratch)
{
	bool go = go_style(raw, raw_len);
	const char *p = raw + 1, *end = raw + raw_len - 1, *from;
	size_t at = 0, mark = out->len;
	bool copied = styles != NULL ? (*styles & (go ? TCLOG_JSON_STYLE_GO :
	    TCLOG_JSON_STYLE_JSON)) != 0 :
	    tclog_json_string_is_canonical(raw, raw_len, go);

	if (copied)
		tclog_buf_addc(out, '"');
	for (size_t i = 0; i < s->nfind && copied; i++) {
		const struct finding *f = &s->find[i];

		/* false where a finding's edge falls inside the bytes of one
		 * escape (\u2028): a user's rule may cut a character */
		from = p;
		copied = tclog_json_canonical_seek(&p, end, &at, f->start);
		tclog_buf_add(out, from, (size_t)(p - from));
		scratch->len = 0;
		add_replacement(s, scratch, f);
		tclog_json_put_string_text(out, scratch->data, scratch->len,
		    go);
		copied = copied &&
		    tclog_json_canonical_seek(&p, end, &at, f->end);
	}
	if (!copied) {
		out->len = mark;
		put_replaced(s, out, text, n, raw, raw_len, scratch);
		return;
	}
	tclog_buf_add(out, p, (size_t)(end - p));
	tclog_buf_addc(out, '"');
}

static size_t scrub_value(struct scrub *, const char *, size_t,
    struct tclog_buf *, int, bool);

/* A string value: its JSON walked when it holds some, else its text
 * searched. Appends the value scrubbed; returns the findings. */
static size_t
scrub_string(struct scrub *s, const char *raw, size_t n,
    struct tclog_buf *out, int depth, bool keyed)
{
	struct level *lv = level(s, depth);
	const char *text = raw + 1, *j;
	size_t len = n - 2, jlen, found;
	bool decoded = memchr(text, '\\', len) != NULL;
	unsigned styles;	/* of raw, when decoded */

	if (decoded) {
		/* with the zeros PCRE2 reads past it: find_all copies it not */
		lv->decoded.len = 0;
		tclog_json_string_styles(raw, n, &lv->decoded, &styles);
		tclog_buf_grow(&lv->decoded, SUBJECT_PAD);
		memset(lv->decoded.data + lv->decoded.len, 0, SUBJECT_PAD);
		text = lv->decoded.data;
		len = lv->decoded.len;
	}
	j = text;
	jlen = len;
	tclog_json_trim(&j, &jlen);
	if (jlen > 1 && (*j == '{' || *j == '[') && depth < DEPTH_MAX &&
	    tclog_json_check(j, jlen, false, &s->err) == 0) {
		if (out == NULL)
			return scrub_value(s, j, jlen, NULL, depth + 1, false);
		lv->json.len = 0;
		tclog_buf_add(&lv->json, text, (size_t)(j - text));
		found = scrub_value(s, j, jlen, &lv->json, depth + 1, false);
		if (found == 0) {
			tclog_buf_add(out, raw, n);
			return 0;
		}
		tclog_buf_add(&lv->json, j + jlen, len - (size_t)(j - text) -
		    jlen);
		s->nfind = 0;
		put_replaced(s, out, lv->json.data, lv->json.len, raw, n,
		    &lv->text);
		return found;
	}
	find_all(s, text, len, keyed, decoded);
	if (s->unscanned.len > 0) {
		tclog_diag(s->in.name, s->in.line, "%s in %s: redacted whole "
		    "as " PLACEHOLDER UNSCANNED_KIND "]",
		    tclog_buf_str(&s->unscanned), tclog_buf_str(&s->path));
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
	}
	if (s->list)
		list_findings(s);
	for (size_t i = 0; i < s->nfind; i++)
		s->nsecret += s->find[i].rule <= UNSCANNED_RULE;
	if (out == NULL)
		return s->nfind;
	if (s->nfind == 0) {
		tclog_buf_add(out, raw, n);
		return 0;
	}
	found = s->nfind;
	put_found(s, out, text, len, raw, n, decoded ? &styles : NULL,
	    &lv->text);
	return found;
}

/* True when a key, lowered and without _ - . (low, n), names a secret. */
static bool
names_secret(const char *low, size_t n)
{
	for (size_t i = 0; i < sizeof(secret_whole_keys) /
	    sizeof(secret_whole_keys[0]); i++)
		if (n == secret_whole_keys[i].len &&
		    memcmp(low, secret_whole_keys[i].name, n) == 0)
			return true;
	for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]);
	    i++) {
		size_t k = secret_keys[i].len;

		/* the last letters first: most keys end in none */
		if (n >= k && low[n - 1] == secret_keys[i].name[k - 1] &&
		    memcmp(low + n - k, secret_keys[i].name, k) == 0)
			return true;
	}
	return false;
}

/* True when a member key, decoded (the end of s->path), names a secret
 * (secret_keys); it is then kept in s->key. */
static bool
key_is_secret(struct scrub *s, const char *key, size_t len)
{
	char low[64];
	size_t n = 0;

	for (size_t i = 0; i < len && n < sizeof(low); i++) {
		char c = key[i];

		if (c == '_' || c == '-' || c == '.')
			continue;
		low[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (n == sizeof(low) || !names_secret(low, n))
		return false;
	s->key.len = 0;
	tclog_buf_add(&s->key, key, len);
	return true;
}

/* Appends the decoded key to s->path: ".key" (no dot first). */
static void
path_key(struct scrub *s, const char *key, size_t len)
{
	if (s->path.len > 0)
		tclog_buf_addc(&s->path, '.');
	tclog_json_string(key, len, &s->path);
}

/*
 * A container being walked: its members or elements, or the record's
 * fields, those that tclog_record_parse found rather than found again (a
 * long value was skipped twice).
 */
struct walk {
	bool fields;
	enum tclog_json_type type;
	struct tclog_json_iter it;
	size_t next;		/* the next field's, or element's, index */
};

/*
 * The next part of w into e and elen, after the text copied to out, its
 * key or index appended to s->path. *key_at: where a key, decoded, starts
 * there; SIZE_MAX for an element. Keys are decoded as scrub_value decodes
 * strings (yajl's own decoding differs on lone surrogates).
 */
static bool
next_part(struct scrub *s, struct walk *w, const char *copied,
    const char **e, size_t *elen, size_t *key_at)
{
	const char *k;
	size_t klen;

	*key_at = s->path.len + (s->path.len > 0);
	if (w->fields) {
		const struct tclog_field *f;
		size_t gap;	/* , "key": */

		if (w->next == s->rec.nfield)
			return false;
		f = &s->rec.field[w->next++];
		gap = (size_t)(f->value - copied);
		k = memchr(copied, '"', gap);
		klen = (size_t)((const char *)memrchr(copied, '"', gap) + 1 - k);
		*e = f->value;
		*elen = f->value_len;
	} else if (w->type == TCLOG_JSON_OBJECT) {
		if (!tclog_json_next_member(&w->it, &k, &klen, e, elen))
			return false;
	} else {
		if (!tclog_json_next_element(&w->it, e, elen))
			return false;
		tclog_buf_printf(&s->path, "[%zu]", w->next++);
		*key_at = SIZE_MAX;
		return true;
	}
	path_key(s, k, klen);
	return true;
}

/* Appends the container v, walked by w, scrubbed to out (NULL: -l), the
 * text between its parts copied as written; returns the findings. A
 * string value whose key names a secret is one. */
static size_t
scrub_parts(struct scrub *s, struct walk *w, const char *v, size_t n,
    struct tclog_buf *out, int depth)
{
	const char *e, *copied = v;
	size_t elen, key_at, found = 0, mark = s->path.len;

	while (next_part(s, w, copied, &e, &elen, &key_at)) {
		bool secret = key_at != SIZE_MAX &&
		    tclog_json_type(e, elen) == TCLOG_JSON_STRING &&
		    key_is_secret(s, s->path.data + key_at,
		    s->path.len - key_at);

		if (out != NULL)
			tclog_buf_add(out, copied, (size_t)(e - copied));
		found += scrub_value(s, e, elen, out, depth + 1, secret);
		copied = e + elen;
		s->path.len = mark;
		if (s->fail.len > 0)
			return 0;
	}
	if (out != NULL)
		tclog_buf_add(out, copied, (size_t)(v + n - copied));
	return found;
}

/* A JSON value, validated: appends it scrubbed to out. Returns the
 * findings (and lists them for -l, where out is NULL). One walk: a
 * record with findings was walked twice, to count and to write, and each
 * string searched twice. */
static size_t
scrub_value(struct scrub *s, const char *v, size_t n, struct tclog_buf *out,
    int depth, bool keyed)
{
	struct walk w = { .type = tclog_json_type(v, n) };

	if (depth >= DEPTH_MAX) {
		s->fail.len = 0;
		tclog_buf_printf(&s->fail, "nested deeper than %d levels",
		    DEPTH_MAX);
		return 0;
	}
	if (w.type == TCLOG_JSON_STRING)
		return scrub_string(s, v, n, out, depth, keyed);
	if (w.type != TCLOG_JSON_OBJECT && w.type != TCLOG_JSON_ARRAY) {
		if (out != NULL)
			tclog_buf_add(out, v, n);
		return 0;
	}
	tclog_json_iter_init(&w.it, v, n);
	return scrub_parts(s, &w, v, n, out, depth);
}

/* The bad rating's diagnostic, in the words of every command, but a
 * string, array or object is not shown: it may hold a secret, and the
 * scrubber prints none. */
static void
rating_diag(struct scrub *s)
{
	const struct tclog_field *f = tclog_record_get(&s->rec, "rating");
	const char *what = NULL;

	switch (tclog_json_type(f->value, f->value_len)) {
	case TCLOG_JSON_STRING:
		what = "a string";
		break;
	case TCLOG_JSON_ARRAY:
		what = "an array";
		break;
	case TCLOG_JSON_OBJECT:
		what = "an object";
		break;
	default:
		break;
	}
	if (what != NULL)
		tclog_diag(s->in.name, s->in.line, "rating (%s, not shown) is "
		    "not an integer from 0 to 5", what);
	else
		tclog_diag(s->in.name, s->in.line, "%s",
		    tclog_buf_str(&s->err));
}

static void
scrub_record(struct scrub *s)
{
	const char *text = s->in.text;
	size_t n = s->in.len, found;

	if (tclog_record_parse(&s->rec, text, n, s->in.unterminated) != 0) {
		tclog_diag(s->in.name, s->in.line, "%s", s->rec.error);
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	/* bad in every command (tclog(7)), so not copied as an entry */
	if (tclog_record_rating(&s->rec, &s->err) == TCLOG_RATING_BAD) {
		rating_diag(s);
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	tclog_json_trim(&text, &n);
	s->path.len = 0;
	s->fail.len = 0;
	s->nsecret = 0;
	/* One walk finds, counts and writes (-l: finds and lists): a
	 * record with nothing found is then written as it came. */
	s->out.len = 0;
	found = scrub_parts(s, &(struct walk){ .fields = true }, text, n,
	    s->list ? NULL : &s->out, 0);
	if (s->fail.len > 0) {
		tclog_diag(s->in.name, s->in.line, "%s",
		    tclog_buf_str(&s->fail));
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	s->nfound += found;
	if (s->list || (s->nsecret > 0 && s->drop))
		return;
	if (found == 0)
		tclog_write(s->in.text, s->in.len);
	else
		tclog_write(s->out.data, s->out.len);
	tclog_write("\n", 1);
}

static void
scrub_file(struct scrub *s, int fd, const char *name)
{
	tclog_reader_init(&s->in, fd, name, s->limit);
	while (tclog_reader_record(&s->in, &s->status))
		scrub_record(s);
	tclog_reader_free(&s->in);
}

/* ---- options ---- */

/* True when text holds word as a whole word. */
static bool
holds_word(const char *text, size_t n, const char *word, size_t len)
{
	for (const char *p = text; (p = memmem(p, n - (size_t)(p - text),
	    word, len)) != NULL; p++)
		if (whole_word(text, n, (size_t)(p - text), len))
			return true;
	return false;
}

/* Adds a word=replacement of -w; -1 after a diagnostic. The argument is
 * left as it is (the word is known by its length): main may be run again
 * on the same argv (fuzz/command.c). */
static int
add_word(struct scrub *s, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct word w;

	if (eq == NULL || eq == arg) {
		warnx("-w: not word=replacement: %s", arg);
		return -1;
	}
	w = (struct word){ arg, eq + 1, (size_t)(eq - arg), strlen(eq + 1) };
	if (tclog_utf8_invalid(arg, strlen(arg)) < strlen(arg)) {
		warnx("-w: not UTF-8: %s", arg);
		return -1;
	}
	/* Replaced again on a second run, the output would not settle. */
	if (holds_word(w.repl, w.repl_len, w.word, w.word_len)) {
		warnx("-w: the replacement holds the word: %s", arg);
		return -1;
	}
	s->word[s->nword++] = w;
	return 0;
}

/* The same across pairs: with cal=bob and bob=cal, a second run would
 * undo the first. -1 after a diagnostic naming both. */
static int
check_words(const struct scrub *s)
{
	for (size_t i = 0; i < s->nword; i++)
		for (size_t j = 0; j < s->nword; j++) {
			const struct word *a = &s->word[i], *b = &s->word[j];

			if (i != j && holds_word(a->repl, a->repl_len,
			    b->word, b->word_len)) {
				warnx("-w: the replacement of %.*s=%s holds the "
				    "word of %.*s=%s", (int)a->word_len, a->word,
				    a->repl, (int)b->word_len, b->word, b->repl);
				return -1;
			}
		}
	return 0;
}

static void
scrub_free(struct scrub *s)
{
	tclog_buf_free(&s->subject);
	TCLOG_FREE_ALL(s->word, s->find, s->merge, s->hit, s->hits,
	    s->win, s->win_first, s->win_last);
	free_rules(&s->rules);
	tclog_record_free(&s->rec);
	TCLOG_BUFS_FREE(&s->out, &s->path, &s->err, &s->fail, &s->unscanned,
	    &s->key);
	for (int i = 0; i <= DEPTH_MAX; i++)
		if (s->level[i] != NULL) {
			TCLOG_BUFS_FREE(&s->level[i]->decoded,
			    &s->level[i]->json, &s->level[i]->text);
			free(s->level[i]);
		}
}

/* Sets s up from the options: optind, or TCLOG_OPT_* (diagnosed). */
static int
options(struct scrub *s, int argc, char *argv[])
{
	int ch;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	s->word = tclog_xreallocarray(NULL, (size_t)argc, sizeof(*s->word));
	while ((ch = tclog_getopt(argc, argv, OPTIONS, &s->limit)) >= 0) {
		switch (ch) {
		case 'd':
			s->drop = true;
			break;
		case 'f':
			s->rules_file = optarg;
			break;
		case 'l':
			s->list = true;
			break;
		case 'w':
			if (add_word(s, optarg) != 0)
				return TCLOG_OPT_USAGE;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE || check_words(s) != 0)
		return TCLOG_OPT_USAGE;
	if (s->rules_file != NULL && tclog_inputs_leave_stdin('f',
	    s->rules_file, argc - optind, argv + optind) != 0)
		return TCLOG_OPT_USAGE;
	return optind;
}

static int
run(struct scrub *s, int argc, char *argv[])
{
	struct tclog_inputs in;

	if (load_rules(&s->rules, s->rules_file, s->limit) != 0)
		return tclog_finish_output(TCLOG_EXIT_FATAL);
	s->hit = tclog_xcalloc(s->rules.n, 1);
	s->hits = tclog_xreallocarray(NULL, s->rules.n, sizeof(*s->hits));
	s->win_first = tclog_xreallocarray(NULL, s->rules.n,
	    sizeof(*s->win_first));
	s->win_last = tclog_xreallocarray(NULL, s->rules.n,
	    sizeof(*s->win_last));
	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &s->status))
		scrub_file(s, in.fd, in.name);
	/* -l is a check: anything found makes the log not clean. */
	if (s->list && s->nfound > 0)
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
	return tclog_finish_output(s->status);
}

int
main(int argc, char *argv[])
{
	struct scrub s = { .limit = TCLOG_DEFAULT_LIMIT };
	int first, status;

	tclog_start();
	tclog_record_init(&s.rec);
	hs_set_allocator(aligned_alloc64, free);
	if ((first = options(&s, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&s, argc - first, argv + first);
	scrub_free(&s);
	return status;
}
