/*
 * tclog-scrub - take secrets and personal data out of tool-call logs.
 *
 * One file a concern, as OpenBSD lays out usr.bin/sort: rules.c, the
 * table of built-in rules (a row: kind, expression, check, Vectorscan's
 * detection, a probe); engine.c, the rules compiled and run (Vectorscan
 * says which rules match a string, PCRE2 where); checks.c, whether a
 * candidate is a secret; main.c, the walk of a record and the options;
 * dbgen.c, the build's generator of the database of the built-in rules.
 *
 * Every string of an entry is searched, and a string that holds JSON
 * (arguments, model_response, a call's arguments inside it) is walked as
 * JSON in its turn, so that a secret is found in the decoded text of the
 * innermost string and replaced there; the JSON around it is copied as
 * it was written. A finding becomes "[REDACTED:kind]". An entry with
 * nothing found is written byte for byte.
 *
 * Two engines, chosen by measurement (bench/README.md): Vectorscan scans
 * each string once for every rule together and only says which rules
 * match; PCRE2 is then run, for those rules only, on the few
 * strings that matched, to find where the secret is (a rule's first
 * capture group, or its whole match). Vectorscan cannot report capture
 * groups, and PCRE2 alone, one rule after another, was 5x slower.
 *
 * The rules re-express the shapes of gitleaks' rule set (config
 * gitleaks.toml, commit b58d3f1, July 2026) and the lessons of
 * detect-secrets' keyword plugin (detect_secrets/plugins/keyword.py,
 * commits 6cf2d66 and 010e929): a keyword rule needs a value beside it;
 * in code only a quoted value is a secret (the plugin requires quotes
 * in source files; a log does not say which file a line came from, so
 * an unquoted value that reads as code, such as str, await, cfg.Password
 * or f(), is taken for code); and a value that is a reference ($VAR,
 * ${VAR}, {{ var }}, <password>), a mask (***), a placeholder (dummy,
 * your-key-here) or a path is no secret.
 */
#ifndef TCLOG_SCRUB_H
#define TCLOG_SCRUB_H

#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include "tclog.h"

/* How a rule's candidate value is checked before it counts. */
enum check {
	CHECK_NONE,
	CHECK_VALUE,	/* no reference, placeholder or path */
	CHECK_KEYWORD,	/* CHECK_VALUE, and not only digits or a stopword */
	CHECK_EMAIL,	/* not git@host: nor an image name@2x.png */
	CHECK_DISCORD,	/* the first part is a user id in base64 */
	CHECK_RANDOM,	/* many different characters: no SK000... */
	CHECK_TOKEN,	/* CHECK_RANDOM, and not a documented example
			 * (AKIAIOSFODNN7EXAMPLE) nor ghp_XXXX... */
	CHECK_PROSE,	/* a password stated in words: CHECK_KEYWORD,
			 * and no word of the sentence */
	CHECK_PGPASS,	/* a .pgpass line, not a MAC address */
	CHECK_OPTION	/* CHECK_VALUE, and not podman's --secret NAME */
};

/* A rule: its kind (the placeholder's name), its expression (PCRE
 * syntax that Vectorscan also takes) and the check of its value. When
 * the expression has a capture group, the first group is the secret;
 * else the whole match. Earlier rules win where findings overlap.
 * Bounded repeats make Vectorscan's compilation slow (tens of
 * milliseconds a rule, paid at every start): the detect expressions
 * leave them to PCRE2. */
struct rule {
	const char *kind, *re;
	enum check check;
	const char *detect;	/* for Vectorscan, when not re: a cheaper
				 * expression that matches wherever re does */
	const char *probe;	/* a secret the rule finds: see rules.c */
};

/* The kind of a string value whose object key names a secret. */
#define KEY_KIND "secret"

#define PLACEHOLDER "[REDACTED:"
#define PLACEHOLDER_LEN (sizeof(PLACEHOLDER) - 1)
#define KIND_MAX 64		/* longest name of a user's rule */
#define SUBJECT_PAD 64		/* zeros after the text PCRE2 reads */
#define DEPTH_MAX 256		/* deepest nesting walked (objects, arrays,
				 * JSON inside strings) */

/* A word of -w and its replacement. */
struct word {
	const char *word, *repl;
	size_t word_len, repl_len;
};

/* The compiled rules: built-in ones, then the user's. */
struct rules {
	struct rule *rule;
	size_t n, cap;
	char *text;		/* the rules file, names and expressions */
	pcre2_code **re;
	bool *grouped;		/* has a capture group */
	bool *spans;		/* a match may start on a line before the
				 * one where its detection ends (a user's
				 * rule: its own expression) */
	bool blind;		/* Vectorscan missed a probe: PCRE2 alone */
	size_t key_rank;	/* the first "secret" rule: a keyed string
				 * ranks there (KEY_KIND) */
	size_t min_width;	/* no rule matches a shorter text */
	hs_database_t *db;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mc;	/* the limits of a match */
};

/*
 * Where PCRE2 looks for a rule: a line on which Vectorscan's detection
 * of the rule ended, from the line's start up to the last end there
 * (its offset limit). A rule's match starts on a line where its
 * detection ends (rules.c), so the lines between are not searched: a
 * rule detected at the top and the bottom of a 5 KB output was searched
 * over all of it. A rule that spans lines has one window, from the
 * text's start; past WINDOWS_MAX a rule's last window grows instead.
 */
struct window {
	size_t start, limit;
	size_t next;		/* the rule's next window, or NO_WINDOW */
};
#define NO_WINDOW SIZE_MAX
#define WINDOWS_MAX 4096	/* in one string, for every rule */

/* A span of decoded text to replace. */
struct finding {
	size_t start, end;
	size_t rule;		/* index in rules, or SIZE_MAX - word index
				 * for a word of -w, KEY_RULE for a key */
};
#define KEY_RULE (SIZE_MAX / 2)
#define UNSCANNED_RULE (KEY_RULE + 1)	/* a string PCRE2 could not finish */
#define UNSCANNED_KIND "unscanned"

/* The buffers of one nesting level of JSON inside strings. */
struct level {
	struct tclog_buf decoded;	/* a string's text */
	struct tclog_buf json;		/* the JSON it holds, scrubbed */
	struct tclog_buf text;		/* its text, replaced */
};

struct scrub {
	bool drop;		/* -d */
	bool list;		/* -l */
	const char *rules_file;	/* -f: the last one counts */
	size_t limit;		/* -L */
	struct word *word;	/* -w */
	size_t nword;
	struct rules rules;
	struct tclog_reader in;
	struct tclog_record rec;
	struct tclog_buf out;	/* the record scrubbed */
	struct tclog_buf path;	/* the field being walked, for -l */
	struct tclog_buf err;
	struct level *level[DEPTH_MAX + 1];
	struct finding *find;	/* findings in one string */
	size_t nfind, find_cap;
	struct finding *merge;	/* merge_findings' scratch */
	size_t merge_cap;
	unsigned char *hit;	/* rules Vectorscan matched in a string */
	size_t *hits;		/* their indexes */
	size_t nhits;
	struct window *win;	/* where PCRE2 looks, for the rules hit */
	size_t nwin, win_cap;
	size_t *win_first, *win_last;	/* each rule's windows, a list */
	const char *scan;	/* the text Vectorscan scans */
	size_t line, line_to;	/* the last end it reported, its line */
	struct tclog_buf subject;	/* the text PCRE2 reads, padded */
	size_t nfound;		/* findings in every record */
	size_t nsecret;		/* findings of rules in the record (-d) */
	struct tclog_buf fail;	/* why the record could not be searched */
	struct tclog_buf unscanned;	/* why a string could not be: it is
					 * then redacted whole */
	struct tclog_buf key;	/* a member's key, decoded */
	int status;
};

/* rules.c */
extern const struct rule builtin[];
extern const size_t nbuiltin;
bool rule_spans(const char *);

/* checks.c */
bool is_word_byte(unsigned char);
bool whole_word(const char *, size_t, size_t, size_t);
bool in_placeholder(const char *, size_t, size_t);
bool name_has(const char *, size_t, const char *);
bool is_reference(const char *, size_t, char);
bool check_ok(enum check, const char *, size_t, size_t, size_t);

/* engine.c */
void add_rule(struct rules *, const char *, const char *, enum check);
int compile_db(struct rules *, const hs_platform_info_t *, size_t *,
    struct tclog_buf *);
void *aligned_alloc64(size_t);
int load_rules(struct rules *, const char *, size_t);
void free_rules(struct rules *);
void find_all(struct scrub *, const char *, size_t, bool, bool);

#endif
