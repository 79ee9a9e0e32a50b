/*
 * tclog-upgrade - repair old-format entries of tool-call logs into
 * new-format ones.
 *
 * An entry is new-format when user_query and model_response are both
 * non-empty strings: it is written as it came, byte for byte. Any other
 * entry gets the missing field(s) reconstructed from its tool call,
 * placed right after "model" where the logger writes them, and
 * "reconstructed" as its last field: the list of the names of the
 * fields made up. Every other field is copied
 * with its raw key and value text, so nothing else changes.
 *
 * The text written for the reconstructed fields is encoded the way the
 * Go logger encodes strings (<, >, & as \u003c, \u003e, \u0026), so a
 * reconstructed model_response is byte for byte what the logger would
 * have written for a single call.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

/* A rule of -q: the command's first word and the query it gives, the
 * query already encoded as a JSON string. Both live in rules.text. */
struct rule {
	size_t word, word_len;
	size_t query, query_len;
};

struct rules {
	struct tclog_buf text;
	struct rule *rule;
	size_t n, cap;
};

struct upgrade {
	bool count_only;	/* -c */
	size_t limit;		/* -L */
	struct rules rules;	/* -q */
	struct tclog_entries es;	/* the input, its record and view */
	struct tclog_buf out;	/* the record being rebuilt */
	struct tclog_buf tool;	/* tool_name, decoded */
	struct tclog_buf args;	/* A: the arguments as JSON text */
	struct tclog_buf word;	/* command or path, decoded */
	struct tclog_buf text;	/* scratch: a query, a response */
	struct tclog_buf query, response;	/* the two values, encoded */
	struct tclog_buf err;
	unsigned long nchanged;
	int status;
};

#define OPTIONS "cL:q:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-upgrade [-c] [-L size] [-q file] "
	    "[file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -c       write only how many records would be upgraded\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n"
		    "  -q file  add user_query rules: WORD<TAB>QUERY lines\n");
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
	    c == '\f' || c == '\r';
}

/* ---- the rules of -q ---- */

/* Reads a rules file into r; on a malformed line diagnoses it and
 * returns -1 (a usage error), as for a file that cannot be read. */
static int
read_rules(struct rules *r, const char *path, size_t limit)
{
	struct tclog_rules_file f;

	if (tclog_rules_open(&f, path, limit, "WORD", "QUERY") != 0)
		return -1;
	while (tclog_rules_next(&f)) {
		size_t i;
		struct rule *rule;

		for (i = 0; i < f.key_len && !is_blank(f.key[i]); i++)
			;
		if (f.key_len == 0)
			tclog_rules_bad(&f, "empty WORD");
		else if (i < f.key_len)
			tclog_rules_bad(&f, "white space in WORD");
		else if (f.value_len == 0)
			tclog_rules_bad(&f, "empty QUERY");
		/* The query goes into JSON output: it must be UTF-8. */
		else if (tclog_utf8_invalid(f.value, f.value_len) <
		    f.value_len)
			tclog_rules_bad(&f, "QUERY is not UTF-8");
		else {
			r->rule = tclog_grow(r->rule, &r->cap, r->n + 1,
			    sizeof(*r->rule));
			rule = &r->rule[r->n++];
			rule->word = r->text.len;
			rule->word_len = f.key_len;
			tclog_buf_add(&r->text, f.key, f.key_len);
			rule->query = r->text.len;
			tclog_json_put_go_string(&r->text, f.value,
			    f.value_len);
			rule->query_len = r->text.len - rule->query;
		}
	}
	return tclog_rules_close(&f);
}

/* The encoded query of the user's rule for word, or NULL. A word
 * defined again overrides: the last definition wins. */
static const struct rule *
find_rule(const struct rules *r, const char *word, size_t len)
{
	for (size_t i = r->n; i-- > 0;)
		if (r->rule[i].word_len == len &&
		    memcmp(r->text.data + r->rule[i].word, word, len) == 0)
			return &r->rule[i];
	return NULL;
}

/* ---- reconstruction ---- */

/* Appends value with the white space between its tokens removed. */
static void
put_compact(struct tclog_buf *b, const char *v, size_t n)
{
	bool in_string = false;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (in_string) {
			if (c == '\\') {
				tclog_buf_add(b, v + i, 2);
				i++;
				continue;
			}
			in_string = c != '"';
		} else if (c == '"')
			in_string = true;
		else if (is_blank(c))
			continue;
		tclog_buf_addc(b, c);
	}
}

/* Sets u->args to A, the call's arguments as JSON text: the entry's
 * arguments string, the compact text of any other value, "{}" when
 * there are none (missing or null). */
static void
call_arguments(struct upgrade *u)
{
	const struct tclog_field *f = u->es.entry.args;

	u->args.len = 0;
	if (f == NULL || tclog_json_type(f->value, f->value_len) ==
	    TCLOG_JSON_NULL)
		tclog_buf_adds(&u->args, "{}");
	else if (tclog_json_string(f->value, f->value_len, &u->args) != 0)
		put_compact(&u->args, f->value, f->value_len);
	tclog_buf_str(&u->args);	/* never NULL, even when empty */
}

/* Decodes into u->word the string member key of the object A; false
 * when A is no object or has no such string member. Of duplicate keys
 * the last counts, as with Go's and Python's decoders. */
static bool
argument(struct upgrade *u, const char *key)
{
	struct tclog_json_iter it;
	const char *a = u->args.data, *k, *v, *found = NULL;
	size_t n = u->args.len, klen, vlen, found_len = 0;

	u->word.len = 0;
	tclog_buf_str(&u->word);	/* never NULL, even when empty */
	if (tclog_json_check(a, n, true, &u->err) != 0)
		return false;
	tclog_json_trim(&a, &n);
	tclog_json_iter_init(&it, a, n);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen))
		if (tclog_json_key_is(k, klen, key)) {
			found = v;
			found_len = vlen;
		}
	u->word.len = 0;
	return found != NULL &&
	    tclog_json_string(found, found_len, &u->word) == 0;
}

static bool
word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

/* The built-in queries of run_commands, by the command's first word. */
static const struct {
	const char *word, *query;
} builtin[] = {
	{ "who", "Check current users" },
	{ "w", "Check current users" },
	{ "pwd", "What's the current directory?" },
	{ "ls", "List files in current directory" },
	{ "ps", "Show running processes" },
};

/* Sets u->text to the user_query of a run_commands call, or u->query
 * straight to the encoded one of a user's rule (returns true then). */
static bool
command_query(struct upgrade *u)
{
	const char *w, *end, *cmd;
	const struct rule *rule;
	size_t len;

	if (!argument(u, "command"))
		u->word.len = 0;	/* no command */
	cmd = u->word.data;
	end = cmd + u->word.len;
	for (w = cmd; w < end && is_blank(*w); w++)
		;
	for (len = 0; w + len < end && !is_blank(w[len]); len++)
		;
	if (len == 0) {
		tclog_buf_adds(&u->text, "Execute a command");
		return false;
	}
	if ((rule = find_rule(&u->rules, w, len)) != NULL) {
		u->query.len = 0;
		tclog_buf_add(&u->query, u->rules.text.data + rule->query,
		    rule->query_len);
		return true;
	}
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (word_is(w, len, builtin[i].word)) {
			tclog_buf_adds(&u->text, builtin[i].query);
			return false;
		}
	tclog_buf_adds(&u->text, "Execute: ");
	tclog_buf_add(&u->text, u->word.data, u->word.len);
	return false;
}

/* Sets u->query to the encoded user_query for the call. */
static void
reconstruct_query(struct upgrade *u)
{
	const char *tool = u->tool.data;
	size_t tool_len = u->tool.len;

	u->text.len = 0;
	if (word_is(tool, tool_len, "run_commands")) {
		if (command_query(u))
			return;
	} else if (word_is(tool, tool_len, "edit_files")) {
		if (argument(u, "path") && u->word.len > 0) {
			tclog_buf_adds(&u->text, "Edit file: ");
			tclog_buf_add(&u->text, u->word.data, u->word.len);
		} else
			tclog_buf_adds(&u->text, "Edit a file");
	} else {
		tclog_buf_adds(&u->text, "Use tool: ");
		tclog_buf_add(&u->text, tool, tool_len);
	}
	u->query.len = 0;
	tclog_json_put_go_string(&u->query, u->text.data, u->text.len);
}

/* Sets u->response to the encoded model_response the logger would have
 * written for this one call. */
static void
reconstruct_response(struct upgrade *u)
{
	u->text.len = 0;
	tclog_buf_adds(&u->text, "{\"role\":\"assistant\",\"content\":\"\","
	    "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
	    "\"function\":{\"name\":");
	tclog_json_put_go_string(&u->text, u->tool.data, u->tool.len);
	tclog_buf_adds(&u->text, ",\"arguments\":");
	tclog_json_put_go_string(&u->text, u->args.data, u->args.len);
	tclog_buf_adds(&u->text, "}}]}");
	u->response.len = 0;
	tclog_json_put_go_string(&u->response, u->text.data, u->text.len);
}

/* The mark: the names of the fields made up, now or by an earlier
 * run (made_up, TCLOG_MADE_UP_* bits). */
static void
put_made_up(struct tclog_buf *b, unsigned made_up)
{
	tclog_buf_adds(b, ",\"reconstructed\":[");
	if (made_up & TCLOG_MADE_UP_QUERY)
		tclog_buf_adds(b, "\"user_query\"");
	if (made_up == (TCLOG_MADE_UP_QUERY | TCLOG_MADE_UP_RESPONSE))
		tclog_buf_addc(b, ',');
	if (made_up & TCLOG_MADE_UP_RESPONSE)
		tclog_buf_adds(b, "\"model_response\"");
	tclog_buf_adds(b, "]}\n");
}

/* Writes the record with the two fields in place and the mark last. */
static void
write_upgraded(struct upgrade *u, unsigned made_up)
{
	const struct tclog_record *rec = &u->es.rec;
	const char *start = rec->text, *k, *v;
	struct tclog_json_iter it;
	size_t klen, vlen, anchor = 0, i = 0;
	bool first = true;

	/* The pair goes after field anchor - 1; 0: before every field. */
	for (size_t j = 0; j < rec->nfield; j++)
		if (tclog_field_is(&rec->field[j], "model"))
			anchor = j + 1;
	for (size_t j = 0; anchor == 0 && j < rec->nfield; j++)
		if (tclog_field_is(&rec->field[j], "timestamp"))
			anchor = j + 1;

	u->out.len = 0;
	tclog_buf_addc(&u->out, '{');
	if (anchor == 0) {
		tclog_buf_adds(&u->out, "\"user_query\":");
		tclog_buf_add(&u->out, u->query.data, u->query.len);
		tclog_buf_adds(&u->out, ",\"model_response\":");
		tclog_buf_add(&u->out, u->response.data, u->response.len);
		first = false;
	}
	while (is_blank(*start))
		start++;
	/* The members come in the order of rec->field: the raw keys are
	 * taken from the iterator, the decoded ones from the parser. */
	tclog_json_iter_init(&it, start, rec->len - (size_t)(start -
	    rec->text));
	while (i < rec->nfield &&
	    tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		const struct tclog_field *f = &rec->field[i++];

		if (tclog_field_is(f, "user_query") ||
		    tclog_field_is(f, "model_response") ||
		    tclog_field_is(f, "reconstructed"))
			continue;
		if (!first)
			tclog_buf_addc(&u->out, ',');
		first = false;
		tclog_buf_add(&u->out, k, klen);
		tclog_buf_addc(&u->out, ':');
		tclog_buf_add(&u->out, v, vlen);
		if (i == anchor) {
			tclog_buf_adds(&u->out, ",\"user_query\":");
			tclog_buf_add(&u->out, u->query.data, u->query.len);
			tclog_buf_adds(&u->out, ",\"model_response\":");
			tclog_buf_add(&u->out, u->response.data,
			    u->response.len);
		}
	}
	put_made_up(&u->out, made_up);
	tclog_write(u->out.data, u->out.len);
}


static void
upgrade_record(struct upgrade *u, const struct tclog_entry *e)
{
	const struct tclog_field *tool = e->tool, *query = e->query;
	const struct tclog_field *response = e->response;
	const char *refusal;
	unsigned made_up;
	const char *name = u->es.in.name;
	unsigned long line = u->es.in.line;

	/* Copied as it is, it would pass for a log entry: bad, as in
	 * every command (tclog(7)). */
	if (e->rating == TCLOG_RATING_BAD) {
		tclog_diag(name, line, "%s", e->why);
		tclog_status_raise(&u->status, TCLOG_EXIT_BAD);
		return;
	}
	if ((refusal = tclog_upgrade_refusal(e->rec)) != NULL) {
		tclog_diag(name, line, "%s", refusal);
		tclog_status_raise(&u->status, TCLOG_EXIT_BAD);
		return;
	}
	if (tclog_field_filled(query) && tclog_field_filled(response)) {
		if (!u->count_only) {
			tclog_write(u->es.in.text, u->es.in.len);
			tclog_write("\n", 1);
		}
		return;
	}
	u->nchanged++;
	if (u->count_only)
		return;

	u->tool.len = 0;
	tclog_json_string(tool->value, tool->value_len, &u->tool);
	tclog_buf_str(&u->tool);	/* never NULL, even when empty */
	call_arguments(u);
	/* what an earlier run made up and is kept stays marked */
	made_up = e->made_up;
	if (tclog_field_filled(query)) {
		u->query.len = 0;
		tclog_buf_add(&u->query, query->value, query->value_len);
	} else {
		reconstruct_query(u);
		made_up |= TCLOG_MADE_UP_QUERY;
	}
	if (!tclog_field_filled(response))
		made_up |= TCLOG_MADE_UP_RESPONSE;
	if (tclog_field_filled(response)) {
		u->response.len = 0;
		tclog_buf_add(&u->response, response->value,
		    response->value_len);
	} else
		reconstruct_response(u);
	write_upgraded(u, made_up);
}

/* Sets u up from the options, the rules files read: optind, or
 * TCLOG_OPT_* (diagnosed). */
static int
options(struct upgrade *u, int argc, char *argv[])
{
	const char **rule_files;
	size_t nrule_files = 0;
	int ch, first, why = 0;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	rule_files = tclog_xreallocarray(NULL, (size_t)argc,
	    sizeof(*rule_files));
	while ((ch = tclog_getopt(argc, argv, OPTIONS, &u->limit)) >= 0) {
		switch (ch) {
		case 'c':
			u->count_only = true;
			break;
		case 'q':
			rule_files[nrule_files++] = optarg;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		why = ch;
	first = optind;
	for (size_t i = 0; why == 0 && i < nrule_files; i++)
		if (tclog_inputs_leave_stdin('q', rule_files[i], argc - first,
		    argv + first) != 0)
			why = TCLOG_OPT_USAGE;
	/* Every rules file first: a bad one stops everything. */
	for (size_t i = 0; why == 0 && i < nrule_files; i++)
		if (read_rules(&u->rules, rule_files[i], u->limit) != 0)
			why = TCLOG_OPT_FATAL;
	free(rule_files);
	return why != 0 ? why : first;
}

/* Upgrades (or counts) the records of the inputs (argv: the operands);
 * the exit status. */
static int
run(struct upgrade *u, int argc, char *argv[])
{
	tclog_entries_inputs(&u->es, argc, argv, u->limit);
	while (tclog_entries_next(&u->es, &u->status))
		upgrade_record(u, &u->es.entry);
	if (u->count_only) {
		char n[32];

		snprintf(n, sizeof(n), "%lu\n", u->nchanged);
		tclog_write(n, strlen(n));
	}
	return tclog_finish_output(u->status);
}

int
main(int argc, char *argv[])
{
	struct upgrade u = { .limit = TCLOG_DEFAULT_LIMIT };
	int first, status;

	tclog_start();
	tclog_entries_init(&u.es);
	if ((first = options(&u, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&u, argc - first, argv + first);
	tclog_entries_free(&u.es);
	TCLOG_BUFS_FREE(&u.out, &u.tool, &u.args, &u.word, &u.text, &u.query,
	    &u.response, &u.err, &u.rules.text);
	free(u.rules.rule);
	return status;
}
