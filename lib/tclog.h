/*
 * tclog.h - the helper library shared by the tclog commands.
 *
 * The commands are streaming filters over JSON-lines tool-call logs.
 * This header is what they call; what only lib/ calls is declared in
 * lib/internal.h, under the same sections (tests/lib-deps.test keeps
 * the commands off it).
 * Each section below is one file of lib/, each after those it builds on:
 *   buf.c        memory: allocation checked for overflow, arrays
 *                that grow, byte buffers (tclog_x*, tclog_grow,
 *                tclog_buf_*, TCLOG_BUFS_FREE)
 *   output.c     diagnostics and checked output (tclog_diag,
 *                tclog_write, tclog_close_output, tclog_finish_output)
 *   clock.c      milliseconds of a monotonic clock (tclog_now_ms)
 *   cmdline.c    command-line plumbing: option values, --help, the
 *                input operands, files that options name
 *                (tclog_getopt, tclog_help_requested, tclog_inputs_*)
 *   utf8.c       strict UTF-8 (tclog_utf8_invalid), text made safe
 *                for a terminal (tclog_visible)
 *   keyset.c     a set of keys, to find duplicates (tclog_keyset_*)
 *   json.c       small tools for JSON text already validated by yajl:
 *                decoding, walking, comparing, escaping (tclog_json_*)
 *   jsonout.c    JSON written again, compact or as Python writes it
 *   digest.c     recognising repeats by a 128-bit digest (tclog_digest*)
 *   reader.c     the record reader for JSON lines (tclog_reader_*), and
 *                the rules files of -q and -f (tclog_rules_*)
 *   record.c     a SAX-style record parser over yajl that hands back
 *                the raw text of every top-level field without
 *                building a tree (tclog_record_*)
 *   entry.c      log entries read, parsed, diagnosed and viewed
 *                (tclog_entries_*, tclog_entry_view)
 *   message.c    the calls of a chat message's tool_calls
 *                (tclog_tool_calls_*)
 *   call.c       a response's calls as the response reader and the
 *                example builder hold them (tclog_call), and the
 *                pairing rule: a response's call and an entry's
 *                compared by their keys (tclog_call_*)
 *   review.c     the review view of an entry, for people
 *                (tclog_review_*)
 *   response.c   where one model response ends (tclog_response_*)
 *   example.c    fine-tuning examples gathered from entries
 *                (tclog_examples_*)
 *   prompt.c     the prompt of every example: -s, -S, -t
 *                (tclog_prompt_*)
 *   template.c   the Qwen2.5 chat template's rendering
 *                (tclog_prompt_text, tclog_example_text,
 *                tclog_example_digest)
 *   writer.c     writing examples in a format (tclog_writer_*)
 *   prefer.c     the preference formats, kto and dpo (tclog_prefer_*)
 *   format.c     the output formats: the writers and their table
 *                (tclog_formats, tclog_format_find)
 *   tokenizer.c  the tokenizer of a Hugging Face tokenizer.json
 *                (tclog_tokenizer_*)
 *   exopts.c     the options of the commands that write or count
 *                examples: -k -o -P -u -s -S -t -T -M (tclog_exopts_*)
 *   eval.c       a served model's calls scored against the logged
 *                ones (tclog_completion_*, tclog_eval_*, tclog_sign_test)
 * The exit statuses and the default -L come first: every file uses them.
 *
 * Memory: the buffers grow to the size of the largest record (or, where
 * entries are gathered into examples, response) seen and are reused.
 * What grows with the input is kept by four commands, by design, each
 * documented in its manual: tclog-qwen (-u: a digest per distinct
 * example, tclog_keyset; -f dpo and its forms: the best and worst
 * response per distinct prompt), tclog-stats (-u as tclog-qwen's; -T:
 * a count per distinct token length), tclog-rate (an index of the
 * entries of the file it rates) and tclog-eval (-c: the results of the
 * earlier run, 24 bytes each).
 */

#ifndef TCLOG_H
#define TCLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- the toolkit's conventions ---- */

/* Exit statuses of every command. */
enum {
	TCLOG_EXIT_OK = 0,	/* every record was good */
	TCLOG_EXIT_BAD = 1,	/* some records were bad: diagnosed, skipped */
	TCLOG_EXIT_FATAL = 2	/* usage error or I/O error */
};

/* Raises *status to at least to: a worse outcome is never forgotten. */
static inline void
tclog_status_raise(int *status, int to)
{
	if (*status < to)
		*status = to;
}

/* Default for -L: the longest record accepted, in bytes. */
#define TCLOG_DEFAULT_LIMIT ((size_t)64 << 20)

/* ---- lib/buf.c: memory and buffers ---- */

/* "out of memory" and exit 2: the one way every allocation fails. */
void tclog_out_of_memory(void) __attribute__((noreturn));
void *tclog_xmalloc(size_t n);
void *tclog_xrealloc(void *p, size_t n);
char *tclog_xstrdup(const char *s);
/* An array of n elements of size bytes, as reallocarray(3): n * size
 * that overflows is out of memory too. */
void *tclog_xreallocarray(void *p, size_t n, size_t size);
/* n zeroed elements of size bytes (calloc, checked). */
void *tclog_xcalloc(size_t n, size_t size);
/*
 * The growth of every array: p (of *cap elements of size bytes) with
 * room for at least need, its capacity doubled as often as it takes
 * (from 8). Returns the array, *cap updated; unchanged when need <= *cap.
 * The new elements are left unset (a buffer's pages untouched), or zeroed
 * by tclog_grow_zeroed.
 *
 *	a->item = tclog_grow(a->item, &a->cap, a->n + 1, sizeof(*a->item));
 */
void *tclog_grow(void *p, size_t *cap, size_t need, size_t size);
void *tclog_grow_zeroed(void *p, size_t *cap, size_t need, size_t size);

struct tclog_buf {
	char *data;
	size_t len, cap;
};

void tclog_buf_grow(struct tclog_buf *b, size_t extra);
void tclog_buf_add(struct tclog_buf *b, const void *p, size_t n);
void tclog_buf_adds(struct tclog_buf *b, const char *s);
void tclog_buf_addc(struct tclog_buf *b, char c);
void tclog_buf_printf(struct tclog_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make data a NUL-terminated string (the NUL is not counted in len). */
const char *tclog_buf_str(struct tclog_buf *b);
void tclog_buf_free(struct tclog_buf *b);
/*
 * A structure's teardown, one line for its many buffers and pointers:
 *	TCLOG_BUFS_FREE(&r->query, &r->text, &r->err);
 *	TCLOG_FREE_ALL(r->call, r->slot);
 */
void tclog_bufs_free(struct tclog_buf *const *b, size_t n);
void tclog_free_all(void *const *p, size_t n);
#define TCLOG_BUFS_FREE(...) tclog_bufs_free( \
	(struct tclog_buf *const[]){ __VA_ARGS__ }, \
	sizeof((struct tclog_buf *const[]){ __VA_ARGS__ }) / \
	sizeof(struct tclog_buf *))
#define TCLOG_FREE_ALL(...) tclog_free_all((void *const[]){ __VA_ARGS__ }, \
	sizeof((void *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* ---- lib/output.c: diagnostics and checked output ---- */

/* Set up a command: default SIGPIPE (so `| head` ends it quietly) and a
 * large stdout buffer. Call first in main. */
void tclog_start(void);

/* "tclog-x: FILE:LINE: message" on stderr. */
void tclog_diag(const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checked output to stdout. A failed write is fatal: a diagnostic and
 * exit status 2 (a closed pipe ends the command quietly instead). */
void tclog_write(const void *p, size_t n);
/* Writes out what stdout holds (checked like tclog_write). The reader
 * calls it before a read that would wait for input. */
void tclog_flush(void);
/* Flush and close stdout; on failure diagnose and return 2, else 0. */
int tclog_close_output(void);
/* The end of a command's run, whose input gave status: stdout closed,
 * and the worse of the two statuses. */
int tclog_finish_output(int status);
/* All of p written to fd (a file of the command's own, not stdout),
 * through EINTR and short writes: 0, or -1 with errno set. */
int tclog_write_all(int fd, const void *p, size_t n);

/* ---- lib/clock.c: the clock of waits ---- */

/* Milliseconds of the monotonic clock (CLOCK_MONOTONIC): for the time
 * between two calls, not the time of day. */
long long tclog_now_ms(void);

/* ---- lib/cmdline.c: options, --help, input operands ---- */

/* Parse a size for -L: digits with an optional k, M or G suffix, in
 * either case (powers of 1024). Returns 0, or -1 when arg is not a size
 * >= 1, and then TCLOG_SIZE_SYNTAX says what is. */
int tclog_parse_size(const char *arg, size_t *size);
#define TCLOG_SIZE_SYNTAX "a number of bytes >= 1, maybe ending in k, M or G"

/*
 * The command-line policy of every command (tclog(7)):
 *  - an option that takes one value may be given again, and the last
 *    one wins (each value is still checked);
 *  - --help anywhere before "--" prints the usage and exits 0:
 *
 *	if (tclog_help_requested(argc, argv, OPTIONS))
 *		return TCLOG_OPT_HELP;	(see tclog_options_failed)
 *
 * optstring is getopt's, so that an option's value (-s --help) is not
 * taken for the request. Called first, before getopt, it also makes
 * argv[0] its last component, so that getopt's messages name the
 * command (tclog-cat: invalid option -- 'z'), not the path it was run by.
 */
bool tclog_help_requested(int argc, char *argv[], const char *optstring);
/* -L size: sets *limit, or diagnoses "-L: not ...: arg" and returns -1
 * (a usage error). */
int tclog_option_limit(const char *arg, size_t *limit);

/*
 * What a command's option parser returns when the command is not to run:
 * --help, a usage error (diagnosed: tclog_usage_error, or a function
 * above that returned -1), a fatal error (diagnosed: a file an option
 * names cannot be read). The command then ends by the one path
 *
 *	if ((first = options(&me, argc, argv)) < 0)
 *		status = tclog_options_failed(first, usage);
 */
#define TCLOG_OPT_HELP	(-1)
#define TCLOG_OPT_USAGE	(-2)
#define TCLOG_OPT_FATAL	(-3)
/*
 * getopt(3) that takes -L itself (into *limit), as every command does:
 * the next of the command's own options, -1 at the end, or
 * TCLOG_OPT_USAGE after a diagnostic (-L's value, an unknown option, a
 * missing value).
 *
 *	while ((ch = tclog_getopt(argc, argv, OPTIONS, &limit)) >= 0)
 *		...the command's own option ch
 *	if (ch == TCLOG_OPT_USAGE)
 *		return ch;
 */
int tclog_getopt(int argc, char *argv[], const char *optstring,
    size_t *limit);
/* warnx(fmt, ...), and TCLOG_OPT_USAGE. */
int tclog_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* why's ending: --help: the usage on stdout, and the status of closing
 * it; a usage error: the usage on stderr, 2; a fatal error: 2. */
int tclog_options_failed(int why, void (*usage)(FILE *));

/* The name under which standard input is reported. */
#define TCLOG_STDIN_NAME "<stdin>"

/* Open an input operand ("-" is standard input). Returns the file
 * descriptor, or -1 after a diagnostic "tclog-x: FILE: reason". */
int tclog_open_input(const char *path);
/* Closes what tclog_open_input(path) opened; standard input stays open
 * (tested by path: with stdin closed, a file may have descriptor 0). */
void tclog_close_input(const char *path, int fd);
/* Name used in diagnostics for an operand. */
const char *tclog_input_name(const char *path);

/*
 * The input operands of a command, opened one after another: standard
 * input when there are none, and wherever "-" is given.
 *
 *	struct tclog_inputs in;
 *
 *	tclog_inputs_init(&in, argc, argv);
 *	while (tclog_inputs_next(&in, &status))
 *		work(in.fd, in.name);
 */
struct tclog_inputs {
	int fd;			/* the input opened last */
	const char *name;	/* its name in diagnostics */

	/* private */
	char *const *operand;
	int noperand, next;
};

void tclog_inputs_init(struct tclog_inputs *in, int argc, char *argv[]);
/* An option whose file is "-" (such as -S -) reads standard input, which
 * then must not be the log too. When the operands take it as well (there
 * are none, or "-" is among them) the option would read the log: this
 * diagnoses that ("-S -: ...") and returns -1, a usage error; else 0. */
int tclog_inputs_leave_stdin(char option, const char *path, int argc,
    char *argv[]);
/* Closes the previous input (standard input is never closed) and opens
 * the next. One that cannot be opened is diagnosed, raises *status to 2
 * and is passed over, so the others are still read. False when none is
 * left. */
bool tclog_inputs_next(struct tclog_inputs *in, int *status);

/* ---- lib/utf8.c: strict UTF-8 ---- */

/* The offset of the first byte of text that is not strict UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or len
 * when it all is. yajl accepts some such bytes; tclog refuses them. */
size_t tclog_utf8_invalid(const char *text, size_t len);
/* Appends text from a log as a terminal may show it (the review view and
 * every diagnostic that quotes a log): control characters as ^X, C1
 * controls and bidirectional overrides and isolates as <U+XXXX>. With an
 * indent, a newline starts a line that begins with it (a last newline is
 * dropped) and a tab stays; with NULL, they are ^J and ^I: one line. */
void tclog_visible(struct tclog_buf *b, const char *s, size_t n,
    const char *indent);

/* ---- lib/keyset.c: a set of keys, to find duplicates ---- */

struct tclog_keyset {
	struct tclog_buf names;	/* the keys, back to back */
	size_t *off, *len;	/* each key's place in names */
	size_t n, cap;
	size_t *slot;		/* hash table (index + 1), built past a few keys */
	size_t nslot;
};

void tclog_keyset_clear(struct tclog_keyset *s);
/* Adds a key; returns false when it was already there. */
bool tclog_keyset_add(struct tclog_keyset *s, const char *key, size_t len);
/* The index of key (in the order keys were added), or SIZE_MAX. */
size_t tclog_keyset_find(struct tclog_keyset *s, const char *key, size_t len);
/* Key i (of length len[i]); never NULL, even when every key is "". */
const char *tclog_keyset_key(const struct tclog_keyset *s, size_t i);
void tclog_keyset_free(struct tclog_keyset *s);

/* ---- lib/json.c: JSON text already validated by yajl ---- */

/* White space as yajl's lexer takes it: JSON's four, and \f and \v. */
static inline bool
tclog_json_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

enum tclog_json_type {
	TCLOG_JSON_NULL, TCLOG_JSON_BOOL, TCLOG_JSON_NUMBER,
	TCLOG_JSON_STRING, TCLOG_JSON_ARRAY, TCLOG_JSON_OBJECT
};

/* The type of a value that starts at value[0] (no white space first). */
enum tclog_json_type tclog_json_type(const char *value, size_t len);
/* Narrows text to the value it holds, without white space around it. */
void tclog_json_trim(const char **text, size_t *len);
/* Appends the decoded contents of a JSON string value (with its quotes)
 * to out as UTF-8. Returns -1 when value is not a string. */
int tclog_json_string(const char *value, size_t len, struct tclog_buf *out);
/* The styles of tclog_json_put_string and tclog_json_put_go_string. */
enum { TCLOG_JSON_STYLE_JSON = 1, TCLOG_JSON_STYLE_GO = 2 };
/* tclog_json_string, and in *styles those in which value is written as
 * that style's put writes it (tclog_json_string_is_canonical): found
 * while decoding, not in a second walk of its escapes. */
int tclog_json_string_styles(const char *value, size_t len,
    struct tclog_buf *out, unsigned *styles);
/* Sets *n when value is an integer written without fraction or
 * exponent that fits a long long. Returns 0, or -1. */
int tclog_json_integer(const char *value, size_t len, long long *n);

/* Appends the raw text of a value as a diagnostic shows it: past
 * TCLOG_EXCERPT_MAX bytes cut short, at a UTF-8 character boundary, and
 * "..." added; made visible as tclog_visible does. */
#define TCLOG_EXCERPT_MAX 40
void tclog_json_excerpt(struct tclog_buf *b, const char *value, size_t len);

/* yajl's lexer takes \f and \v for white space; JSON (RFC 8259) does
 * not, and tclog refuses them. In text that yajl accepted (which has no
 * raw control character inside a string) the offset of the first one,
 * or len when there is none; TCLOG_BAD_SPACE(c) says what it is. */
size_t tclog_json_bad_space(const char *text, size_t len);
#define TCLOG_BAD_SPACE(c) ((c) == '\f' ? \
	"lexical error: a form feed is not JSON white space" : \
	"lexical error: a vertical tab is not JSON white space")

/* Checks that text is one JSON value; with want_object, one object.
 * Returns 0, or -1 with a message in err (replaced). */
int tclog_json_check(const char *text, size_t len, bool want_object,
    struct tclog_buf *err);

/*
 * yajl 2.1 ends a parse well when what follows a complete value is a
 * string never closed ({}"x): its lexer waits for the rest of the
 * string, and yajl_complete_parse does not look at what it waits for.
 * So each parse checks what follows the value's end itself. The offset
 * of the first byte at or past end that is not white space; len when
 * there is none.
 */
size_t tclog_json_trailing(const char *text, size_t len, size_t end);
#define TCLOG_TRAILING_GARBAGE "parse error: trailing garbage"

/* Appends the message of yajl handle (a yajl_handle) for its failed
 * parse of text, without yajl's newline and full stop. */
void tclog_yajl_message(void *handle, const char *text, size_t len,
    struct tclog_buf *out);

/* Iterates over the elements of an array or the members of an object. */
struct tclog_json_iter {
	const char *p, *end;
};
/* it over the contents of value, which must be an array or object. */
void tclog_json_iter_init(struct tclog_json_iter *it, const char *value,
    size_t len);
/* Next array element: true and *value, *len set, or false at the end. */
bool tclog_json_next_element(struct tclog_json_iter *it, const char **value,
    size_t *len);
/* Next object member: key (raw, with quotes) and value. */
bool tclog_json_next_member(struct tclog_json_iter *it, const char **key,
    size_t *key_len, const char **value, size_t *value_len);

/* True when the raw key of a member (with its quotes and escapes, as
 * tclog_json_next_member gives it) is name once decoded. */
bool tclog_json_key_is(const char *key, size_t len, const char *name);

/* Appends s as a JSON string with quotes: \" \\ \b \f \n \r \t, other
 * control characters as \u00xx, everything else (UTF-8) as it is. */
void tclog_json_put_string(struct tclog_buf *b, const char *s, size_t n);
/* The same, as a diagnostic quotes a key of a log: C1 controls and
 * bidirectional overrides then shown as tclog_visible shows them. */
void tclog_json_put_visible_string(struct tclog_buf *b, const char *s,
    size_t n);
/* The same, as Go's encoding/json writes valid UTF-8 (the logger's way,
 * Go 1.22 on: \b and \f as such): also <, >, & and U+2028, U+2029 as
 * \u escapes. s must be valid UTF-8 (Go would write U+FFFD for the rest). */
void tclog_json_put_go_string(struct tclog_buf *b, const char *s,
    size_t n);
/* Appends what one of the two puts writes between the quotes. */
void tclog_json_put_string_text(struct tclog_buf *b, const char *s, size_t n,
    bool go_style);
/*
 * True when raw, a JSON string yajl accepted (its quotes included, so no
 * control character as it is), is what the put of that style writes for
 * its decoded text: every escape the one it makes, and in Go's style no
 * U+2028 or U+2029 as it is. The caller chooses Go's style only where
 * raw holds no <, > or & as they are. A string written so (as the
 * logger's Go writes them) can be copied between edits, not decoded and
 * escaped again.
 */
bool tclog_json_string_is_canonical(const char *raw, size_t n,
    bool go_style);
/* In the text of such a string (between its quotes), moves *p and *at,
 * the offset in the decoded text where *p stands, on to decoded offset
 * to (>= *at); false when to falls inside the bytes of one escape (the
 * three of \u2028). */
bool tclog_json_canonical_seek(const char **p, const char *end, size_t *at,
    size_t to);

/* ---- lib/jsonout.c: writing JSON again ---- */

enum tclog_json_style {
	TCLOG_JSON_COMPACT,	/* no white space; numbers as written */
	TCLOG_JSON_PYTHON	/* as Python's json.dumps(json.loads(text),
				 * ensure_ascii=False): ", " and ": ",
				 * numbers as Python prints them */
};

/* Deepest nesting of objects and arrays in validated JSON text (0 for a
 * scalar). The writer recurses: check values against a sane bound. */
size_t tclog_json_depth(const char *value, size_t len);
/* Appends a validated JSON value written again in style. Strings are
 * escaped as tclog_json_put_string does (which is also Python's way).
 * An object's repeated key keeps its first place and its last value, as
 * in the dict Python's json.loads builds. */
void tclog_json_write(struct tclog_buf *b, const char *value, size_t len,
    enum tclog_json_style style);

/* ---- lib/digest.c: recognising repeats ---- */

/* The 128-bit digest of p (never all zero) that the set below uses. */
void tclog_digest(const void *p, size_t n, unsigned long long d[2]);

/* A set of byte strings known by a 128-bit digest each: 16 bytes per
 * distinct string in a table kept between a quarter and half full. */
struct tclog_digestset {
	unsigned long long *slot;	/* pairs; all zero: empty */
	size_t n, nslot;
};

/* Adds the digest of p; returns false when it was already there. */
bool tclog_digestset_add(struct tclog_digestset *s, const void *p,
    size_t n);
/* Adds the digest d (from tclog_digest); false when it was there. */
bool tclog_digestset_put(struct tclog_digestset *s,
    const unsigned long long d[2]);
/* Whether the digest d is in the set. */
bool tclog_digestset_has(const struct tclog_digestset *s,
    const unsigned long long d[2]);
void tclog_digestset_free(struct tclog_digestset *s);

/* ---- lib/reader.c: the record reader ---- */

enum tclog_read_status {
	TCLOG_READ_EOF,		/* no more records */
	TCLOG_READ_RECORD,	/* a line; text and len set */
	TCLOG_READ_TOO_LONG,	/* a line over the limit was skipped */
	TCLOG_READ_ERROR	/* read(2) failed; errno set */
};

/*
 * Reads lines from a file descriptor into one growing buffer. A UTF-8
 * byte order mark at the start of a line is dropped (a file saved on
 * Windows, or such files joined with cat: the same at the start of the
 * input and inside it). A line ends at LF; a CR before it is dropped; a last line
 * without LF is still a line. Lines holding only white space are
 * skipped. A line longer than the limit is never stored whole: it is
 * skipped up to its newline and reported as TCLOG_READ_TOO_LONG. Before
 * a read that would wait (a pipe with nothing in it yet), stdout is
 * flushed, so that live pipelines show what came so far.
 */
struct tclog_reader {
	const char *name;	/* for diagnostics */
	unsigned long line;	/* number of the line last returned */
	const char *text;	/* that line, without its line end */
	size_t len;
	bool unterminated;	/* it was the last line and had no LF */
	unsigned long long offset;	/* where text begins in the input (past
					 * a byte order mark) */
	unsigned long too_long;	/* records tclog_reader_record skipped */

	/* private */
	unsigned long long base;	/* input offset of buf[0] */
	int fd;
	size_t limit;
	char *buf;
	size_t cap, head, tail, scanned;
	unsigned long next_line;
	bool eof;
};

void tclog_reader_init(struct tclog_reader *r, int fd, const char *name,
    size_t limit);
enum tclog_read_status tclog_reader_next(struct tclog_reader *r);
/* The next record, for commands that need nothing else of the reader:
 * an over-long record is diagnosed and skipped (*status raised to 1), a
 * read error reported (*status raised to 2). True with r->text and r->len
 * set; false at the end of input or after a read error. */
bool tclog_reader_record(struct tclog_reader *r, int *status);
/* Releases the buffer; does not close the descriptor. */
void tclog_reader_free(struct tclog_reader *r);
/* When text (a bad record) ends in NUL bytes, as a file cut while it was
 * written does (its unwritten end reads as zeros), appends a message
 * saying so to out and returns true; else false. */
bool tclog_nul_tail(const char *text, size_t len, struct tclog_buf *out);

/*
 * A rules file of KEY<TAB>VALUE lines (tclog-upgrade -q, tclog-scrub -f),
 * read a rule at a time. Blank lines and lines whose first character
 * other than white space is '#' are passed over; a line without a tab,
 * one over the limit or a read error is diagnosed ("FILE:LINE: malformed
 * rule: ...") and ends the reading.
 *
 *	if (tclog_rules_open(&f, path, limit, "WORD", "QUERY") != 0)
 *		return -1;
 *	while (tclog_rules_next(&f))
 *		if (f.value_len == 0)
 *			tclog_rules_bad(&f, "empty QUERY");
 *		else
 *			...
 *	return tclog_rules_close(&f);
 */
struct tclog_rules_file {
	struct tclog_reader in;	/* in.line, in.text and in.len: the line */
	const char *key, *value;	/* the rule read last */
	size_t key_len, value_len;

	/* private */
	const char *path, *key_name, *value_name;
	int fd;
	bool failed;
};

/* -1 when path cannot be opened (diagnosed), else 0. */
int tclog_rules_open(struct tclog_rules_file *f, const char *path,
    size_t limit, const char *key_name, const char *value_name);
/* True with the next rule; false at the end or after a diagnostic. */
bool tclog_rules_next(struct tclog_rules_file *f);
/* Diagnoses the rule read last as malformed and ends the reading. */
void tclog_rules_bad(struct tclog_rules_file *f, const char *why);
/* Closes the file: -1 when anything in it was diagnosed, else 0. */
int tclog_rules_close(struct tclog_rules_file *f);

/* A UTF-8 byte order mark, which Windows editors put first in a file. */
#define TCLOG_BOM "\xef\xbb\xbf"

/* ---- lib/record.c: the record parser ---- */

/* One top-level field of a record: its decoded key and the raw JSON
 * text of its value, exactly as in the input (escapes, number text). */
struct tclog_field {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

/*
 * Parses one record with yajl's callback API. Only the top-level keys
 * are decoded; values are located, not decoded, so that a command pays
 * for the fields it reads and no more.
 */
struct tclog_record {
	const char *text;	/* the record parsed last */
	size_t len;
	struct tclog_field *field;	/* its top-level fields, in order */
	size_t nfield;
	const char *error;	/* why the last parse failed */

	/* private */
	size_t field_cap;
	struct tclog_keyset keys;
	struct tclog_buf errbuf;
	void *yajl;
	int depth;
	size_t end;		/* just past the object */
	bool is_object, dup;
};

void tclog_record_init(struct tclog_record *rec);
/* Returns 0 when text is one JSON object in strict UTF-8 with no
 * duplicate top-level key, else -1 with rec->error set. "unterminated"
 * says the text was the unterminated last line of its input (a truncated
 * record). */
int tclog_record_parse(struct tclog_record *rec, const char *text,
    size_t len, bool unterminated);
/* True when field f is named name. */
static inline bool
tclog_field_is(const struct tclog_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->key_len == n && memcmp(f->key, name, n) == 0;
}
/* True when field f is present and a string other than "" (the test of a
 * new-format entry's user_query and model_response). */
static inline bool
tclog_field_filled(const struct tclog_field *f)
{
	return f != NULL && f->value_len > 2 && f->value[0] == '"';
}
/* Why a record that is a JSON array is refused: the likely cause is a
 * log turned into one array (jq -s), and the message says the cure. */
#define TCLOG_ARRAY_NOT_RECORD "a JSON array, not an object: a log holds " \
	"one object per line (jq -c '.[]' FILE writes an array as lines)"
/* The field named key, or NULL. */
const struct tclog_field *tclog_record_get(const struct tclog_record *rec,
    const char *key);
/* Appends the record parsed last to out with its "rating" member set to
 * rating (1-5), where the logger writes it: the value replaced, or a
 * member added right after "tools_enabled" (before what tclog-upgrade
 * adds after it), or last. Every other byte is kept. */
void tclog_record_set_rating(const struct tclog_record *rec, int rating,
    struct tclog_buf *out);
void tclog_record_free(struct tclog_record *rec);
/* The rating rule of every command that reads log entries (tclog(7)):
 * a "rating" absent, null or 0 is unrated, an integer from 1 to 5 is a
 * rating, anything else ("1", 4.0, 5e0, 7, -1, true) makes the record
 * bad. f is the record's "rating" field (tclog_record_get), or NULL.
 * Returns 0 to 5, or TCLOG_RATING_BAD with the message, the same in
 * every command, in why (replaced; why may be NULL). */
#define TCLOG_RATING_BAD (-1)
int tclog_field_rating(const struct tclog_field *f, struct tclog_buf *why);
/* The same for the record parsed last. */
static inline int
tclog_record_rating(const struct tclog_record *rec, struct tclog_buf *why)
{
	return tclog_field_rating(tclog_record_get(rec, "rating"), why);
}

/* The fields tclog-upgrade made up (tclog_entry's made_up), from the raw
 * value of an entry's "reconstructed" (NULL when absent): a list of field
 * names, or true (its earlier output) for both. 0 for anything else. */
#define TCLOG_MADE_UP_QUERY	1u	/* user_query */
#define TCLOG_MADE_UP_RESPONSE	2u	/* model_response */
/* Whether the entry ran without tool definitions: its "tools_enabled"
 * (f, or NULL) is false. Absent or anything else: the tools were on. */
static inline bool
tclog_tools_off(const struct tclog_field *f)
{
	return f != NULL && f->value_len == 5 &&
	    memcmp(f->value, "false", 5) == 0;
}
/* Why tclog-upgrade refuses to repair the entry rec (no tool_name, or
 * one that is no string; a user_query or model_response neither a
 * string nor null: not the logger's), or NULL when it does not. The
 * commands that send old entries to tclog-upgrade ask here first. */
const char *tclog_upgrade_refusal(const struct tclog_record *rec);

/* ---- lib/entry.c: log entries read and viewed ---- */

/*
 * The view of a log entry: each of the logger's fields (NULL when
 * absent), found in one pass over the record, and what every command
 * reads of them the same way. Borrowed from the record: valid until it
 * parses another.
 */
struct tclog_entry {
	const struct tclog_record *rec;
	const struct tclog_field *timestamp, *model, *query, *response,
	    *tool, *args, *status, *message, *output, *details,
	    *tools_enabled, *rating_field, *reconstructed;
	int rating;		/* tclog_field_rating: 0-5, TCLOG_RATING_BAD */
	const char *why;	/* TCLOG_RATING_BAD: the message; else NULL */
	bool tools_off;		/* tclog_tools_off(tools_enabled) */
	unsigned made_up;	/* TCLOG_MADE_UP_* of "reconstructed" */
};

/*
 * The records of the inputs of a command, each read, parsed and viewed;
 * what is no record (too long, no JSON object) is diagnosed and skipped
 * (*status raised to 1, counted in bad), a read error reported (*status
 * raised to 2), an input operand that cannot be opened diagnosed and
 * passed over (*status raised to 2, as tclog_inputs_next does).
 *
 *	tclog_entries_init(&es);
 *	tclog_entries_inputs(&es, argc, argv, limit);
 *	while (tclog_entries_next(&es, &status))
 *		work(&es.entry, es.in.name, es.in.line);
 *	tclog_entries_free(&es);
 *
 * A command that must not wait on input (tclog-eval) opens each input
 * itself (tclog_entries_open, tclog_entries_close) and hands the records
 * it reads to tclog_entries_parse.
 */
struct tclog_entries {
	struct tclog_reader in;	/* in.name, in.line, in.text: the record */
	struct tclog_record rec;	/* it parsed */
	struct tclog_entry entry;	/* its view */
	unsigned long bad;	/* records diagnosed and skipped so far */

	/* private */
	struct tclog_buf why;
	struct tclog_inputs files;	/* tclog_entries_inputs' */
	size_t limit;
	bool reading;		/* in is open */
};

void tclog_entries_init(struct tclog_entries *es);
/* The input operands (argv) that tclog_entries_next reads in turn, and
 * the -L limit of a record. */
void tclog_entries_inputs(struct tclog_entries *es, int argc, char *argv[],
    size_t limit);
/* The next good record of the inputs: true with in, rec and entry set;
 * false when every input is read. */
bool tclog_entries_next(struct tclog_entries *es, int *status);
/* One input, fd, read under name. */
void tclog_entries_open(struct tclog_entries *es, int fd, const char *name,
    size_t limit);
/* tclog_entries_next's second half, for a command that reads the record
 * itself (tclog_reader_record(&es->in, ...): it must not wait on input):
 * the record parsed and viewed, true, or diagnosed and counted, false. */
bool tclog_entries_parse(struct tclog_entries *es, int *status);
/* Ends the input (the descriptor stays open). */
void tclog_entries_close(struct tclog_entries *es);
void tclog_entries_free(struct tclog_entries *es);

/* ---- lib/message.c: a chat message's tool calls ---- */

/* Called by lib/ alone: internal.h. */

/* ---- lib/call.c: the pairing rule ---- */

/* Deepest arguments or tools the example writers take: they recurse. */
#define TCLOG_ARGS_DEPTH 512

/* A call of a model response, as the response reader (response.c) lists
 * it and an example (example.c) carries it, with what its entry brought
 * (examples only). */
struct tclog_call {
	struct tclog_buf id;	/* the response's, or call_N (N: its place) */
	struct tclog_buf name;	/* decoded */
	struct tclog_buf args;	/* as tclog_call_args gives them */
	bool args_json;
	bool logged;		/* an entry of the response executed it */
	int rating;		/* that entry's rating 1-5; 0: none */
	unsigned long line;	/* that entry's line */
	struct tclog_buf result;	/* that entry's tool message */

	/* private: the index of a response with many calls (response.c) */
	unsigned long long hash;	/* of its name and arguments */
	size_t next;		/* the next call of that hash (index + 1) */
};

/* ---- lib/review.c: the review view of an entry ---- */

/*
 * What tclog-cat -p shows of an entry and tclog-rate asks about: a
 * header, one labelled field a line, the response's calls (the executed
 * one marked), control characters made visible.
 *
 *	struct tclog_review rv;
 *
 *	tclog_review_init(&rv);
 *	if (tclog_review_entry(&rv, text, len, n, name, line) == 0)
 *		show(rv.view.data, rv.view.len);
 *	tclog_review_free(&rv);
 */
/* The colours of the view: escape sequences, or empty strings (so the
 * same code writes both). */
struct tclog_palette {
	const char *head, *label, *good, *bad, *warn, *dim, *off;
};

struct tclog_review {
	struct tclog_buf view;	/* the view written last */
	struct tclog_record rec;	/* the entry shown last */
	bool whole;		/* long outputs shown whole, not cut */

	/* private */
	struct tclog_palette pal;
	bool has_entry_call;	/* it has a tool_name and arguments: */
	struct tclog_buf entry_name, entry_args;	/* decoded */
	bool entry_args_json;
	struct tclog_buf call_name, call_args;	/* a response's call */
	bool call_args_json;
	struct tclog_buf text;
};

/* Starts without colour. */
void tclog_review_init(struct tclog_review *rv);
/* Colour on or off for the views that follow. */
void tclog_review_colour(struct tclog_review *rv, bool on);
/* Whether a view written to fd should be in colour: fd is a terminal
 * and NO_COLOR is not set to a non-empty value (no-color.org). */
bool tclog_review_wants_colour(int fd);
/* The view of the entry text (one JSON object) into rv->view, headed
 * "#number  name:line"; -1 when it is no good record (rv->rec.error). */
int tclog_review_entry(struct tclog_review *rv, const char *text, size_t len,
    unsigned long number, const char *name, unsigned long line);
void tclog_review_free(struct tclog_review *rv);

/* ---- lib/response.c: where one model response ends ---- */

struct tclog_response_slot;

enum tclog_response_step {
	TCLOG_RESPONSE_SAME,	/* the entry joins the response being read */
	TCLOG_RESPONSE_NEW,	/* the entry starts a response */
	TCLOG_RESPONSE_BAD	/* no user_query or model_response, or that is
				 * no JSON object, or its content no string
				 * (why says which): nothing changed */
};

/*
 * Where one model response ends, for every command that groups entries
 * (tclog_examples, tclog-filter -g). Consecutive entries with the same
 * user_query, model_response and model (JSON-equal) are one response
 * while each call of it has at most one entry. The calls of a response
 * are its tool_calls, or when it has none its content made only of
 * <tool_call>{"name":...,"arguments":...}</tool_call> blocks (listed):
 * an entry joins when its call (tclog_call_same) is one of them not yet
 * taken, and the response ends when all are taken, or at once when the
 * entry's call is none of them (stray). A response that lists no calls
 * (its calls written as prose, JSON or fenced JSON) takes its entries'
 * calls: an entry joins unless its call equals one already taken.
 * Memory holds one response.
 */
struct tclog_response {
	/* after tclog_response_entry, until the next call */
	bool listed;		/* the response lists its calls */
	struct tclog_call *call;	/* listed: the response's;
				 * else its entries' so far */
	size_t ncall;
	long taken;		/* the entry's call, or -1 (stray) */
	bool ended;		/* no further entry can join */
	struct tclog_buf content;	/* NEW: the content, decoded */
	struct tclog_buf name, args;	/* the entry's call */
	bool args_json;
	const char *why;	/* BAD: the reason */

	/* private */
	bool open, has_model;
	struct tclog_buf query, text, model, decoded, err;
	size_t call_cap, ntaken;
	/* Past a few calls they are found by their hash (tclog_json_hash
	 * of the arguments): a response of n calls costs O(n), not n^2. */
	struct tclog_response_slot *slot;
	size_t nslot, nused;
	unsigned gen;		/* a slot of another generation is empty */
	bool indexed, hashed;
	unsigned long long entry_hash;	/* the entry's call, once hashed */
};

/* Whether the entry e (tclog_entry_view) continues the response. */
enum tclog_response_step tclog_response_entry(struct tclog_response *r,
    const struct tclog_entry *e);
/* Ends the response being read: the next entry starts one. */
void tclog_response_end(struct tclog_response *r);
void tclog_response_free(struct tclog_response *r);

/* ---- lib/example.c: fine-tuning examples ---- */

enum tclog_example_kind {
	TCLOG_EXAMPLE_CALLS,	/* the calls of the response's tool_calls */
	TCLOG_EXAMPLE_TEXT,	/* the response lists no calls (the model
				 * wrote them as prose or JSON): its
				 * entries' calls */
	TCLOG_EXAMPLE_STRAY	/* the entry's call is none of the response's
				 * calls: it stands alone */
};

/*
 * One model response and the entries that executed its calls. The
 * prompt is the user's query (with the system prompt and tools of a
 * struct tclog_prompt); the completion is the assistant's content and
 * calls. Writers take the calls that are logged, in the response's
 * order.
 */
struct tclog_example {
	enum tclog_example_kind kind;
	struct tclog_buf query;		/* user_query, decoded */
	struct tclog_buf content;	/* the assistant's prose, decoded */
	struct tclog_call *call;	/* in the response's order */
	size_t ncall;		/* the response's calls (TEXT: its entries';
				 * STRAY: 1) */
	size_t nlogged;		/* of them, those with an entry */
	const char *file;	/* where its entries are */
	unsigned long first_line;
	int min_rating;		/* lowest rating of its entries; 0: none */
	bool unrated;		/* some entry has no rating */
	bool made_up_query;	/* some entry's user_query was made up by
				 * tclog-upgrade (its "reconstructed") */
	bool tools_off;		/* some entry has "tools_enabled": false:
				 * the model saw no tool definitions */
	bool bad;		/* private: diagnosed, not delivered */
	size_t call_cap;	/* private */
};

/* Every call of the response has an entry (always so for TEXT: its
 * calls are those of its entries). */
static inline bool
tclog_example_whole(const struct tclog_example *ex)
{
	return ex->kind != TCLOG_EXAMPLE_STRAY && ex->nlogged == ex->ncall;
}

/*
 * Gathers log entries into examples, one per response as
 * tclog_response_entry ends them (the calls of <tool_call> blocks are
 * CALLS too); an example is delivered to done as soon as all its calls
 * have entries, else when the next one starts or at tclog_examples_end.
 * Memory holds one example.
 *
 *	struct tclog_examples xs = { .done = write, .ctx = &me };
 *
 *	tclog_examples_init(&xs);
 *	for each entry e (tclog_entries):
 *		tclog_examples_add(&xs, e, name, line, &status);
 *	tclog_examples_end(&xs);
 *	tclog_examples_free(&xs);
 */
struct tclog_examples {
	/* set before tclog_examples_init */
	bool keep_json;		/* keep content that is only JSON text (else
				 * "": the calls written out as text) */
	bool args_objects;	/* every call's arguments must be a JSON
				 * object: else the example is diagnosed */
	size_t result_max;	/* a longer tool result keeps its head and
				 * tail, and a line on the bytes cut (-O);
				 * 0: no limit */
	void (*done)(void *ctx, const struct tclog_example *ex);
	void *ctx;

	/* private */
	struct tclog_example ex;
	struct tclog_response resp;
	bool open;
	unsigned long bad_line;
	struct tclog_buf result, err;
	int rating;
	bool made_up, tools_off;
};

void tclog_examples_init(struct tclog_examples *xs);
/* One entry (tclog_entry_view) of file at line: a new-format entry
 * joins or starts an example; anything else is diagnosed (*status raised
 * to 1). */
void tclog_examples_add(struct tclog_examples *xs,
    const struct tclog_entry *e, const char *file, unsigned long line,
    int *status);
/* Delivers the open example, if any. */
void tclog_examples_end(struct tclog_examples *xs);
void tclog_examples_free(struct tclog_examples *xs);

/* ---- lib/prompt.c: the prompt of every example (-s, -S, -t) ---- */

/* What precedes each example's query: the system prompt and the tools
 * (from -s/-S and -t). */
struct tclog_prompt {
	bool has_system;
	struct tclog_buf system;	/* UTF-8 */
	bool has_tools;
	struct tclog_buf tools;	/* a JSON array checked by
				 * tclog_prompt_tools */
};

/* ---- lib/template.c: the Qwen2.5 chat template ---- */

/*
 * The Qwen2.5 chat template applied to an example, byte for byte as
 * transformers renders it (tojson as Python's json.dumps): appended to
 * out. The rendering of the prompt alone with add_generation_prompt is
 * out's first *completion bytes (relative to where it started); the
 * assistant's turn, the model's own output that training should teach,
 * runs from there to *completion_end, its "<|im_end|>\n" included; with
 * results, the tool results follow as a user turn. Either pointer may be
 * NULL. The example's calls must have JSON-object arguments: take it from
 * a struct tclog_examples with args_objects set.
 */
void tclog_example_text(const struct tclog_prompt *p,
    const struct tclog_example *ex, bool results, struct tclog_buf *out,
    size_t *completion, size_t *completion_end);
/*
 * What makes two examples the same (-u, and kto's contradictions): the
 * digest d of their tclog_example_text, with the same prompt and
 * results. Call ids, the arguments' white space and key order, and how
 * a format writes them play no part. Arguments that are no JSON (only
 * the openai form takes them) count as their text. prompt and output,
 * when not NULL, get the digests of the prompt's rendering and of the
 * model's output (the turn training teaches). scratch is replaced.
 */
void tclog_example_digest(const struct tclog_prompt *p,
    const struct tclog_example *ex, bool results, struct tclog_buf *scratch,
    unsigned long long d[2], unsigned long long prompt[2],
    unsigned long long output[2]);

/* ---- lib/writer.c: writing examples in a format ---- */

/*
 * The output formats, one row of tclog_formats (format.c) each. A
 * writer gets each example and emits its lines through
 * tclog_writer_emit; a format that needs the whole input (pairs of
 * examples) keeps its state in w->state and writes in its finish hook.
 */
enum tclog_args_form {
	TCLOG_ARGS_TEXT,	/* as the model wrote them, in a string */
	TCLOG_ARGS_OBJECT	/* as JSON objects: others make the example
				 * bad (tclog_examples.args_objects) */
};

struct tclog_writer;
struct tclog_prefer_form;

struct tclog_format {
	const char *name;
	enum tclog_args_form args;
	bool results;		/* can carry the tool results */
	void (*write)(struct tclog_writer *w, const struct tclog_example *ex);
	void (*finish)(struct tclog_writer *w);	/* NULL, or at the end */
	/* a preference form (prefer.c): its shape; else NULL */
	const struct tclog_prefer_form *prefer;
};

/* What the preference forms left out, and why (prefer.c), for the
 * command's summary. */
struct tclog_prefer_counts {
	bool pairs;		/* DPO: what is written is pairs */
	size_t prompts;		/* DPO: the distinct prompts */
	unsigned long made_up;	/* responses on a made-up query left out */
	unsigned long made_up_kept;	/* -m: written lines resting on one */
	unsigned long contradicting;	/* KTO: copies rated both ways */
	unsigned long unrated, middle;	/* responses unrated, rated 3 */
	unsigned long nopair, identical;	/* DPO: prompts without a pair */
};

struct tclog_writer {
	const struct tclog_format *format;
	const struct tclog_prompt *prompt;
	bool results;		/* write the tool results (-o) */
	bool unique;		/* leave out an example the same as an
				 * earlier one (-u, tclog_example_digest) */
	bool made_up;		/* preference forms: keep responses to a
				 * query made up by tclog-upgrade (-m) */
	/* receives each line, without its newline */
	void (*emit)(void *ctx, const char *line, size_t len);
	void *ctx;
	void *state;		/* the format's own: NULL until it sets it;
				 * its finish hook frees it */
	struct tclog_digestset seen;	/* the examples of unique */
	unsigned long written;		/* the lines emitted */
	unsigned long duplicates;	/* the examples unique left out */
	struct tclog_prefer_counts pref;	/* set by a preference form */
	struct tclog_buf line, nested, text, key;	/* scratch */
};

/* Writes the example, unless unique has seen it (formats without a
 * finish hook; the others call tclog_writer_unique when they decide). */
void tclog_writer_write(struct tclog_writer *w,
    const struct tclog_example *ex);
/* Ends the input: the format's finish hook; frees the scratch. */
void tclog_writer_finish(struct tclog_writer *w);

/* ---- lib/prefer.c: the preference formats ---- */

/* The preference formats (kto, dpo and their ms-swift and
 * LLaMA-Factory forms): the rated whole responses rearranged from the
 * line of a base format, KTO's as they come, DPO's pairs at the end.
 * A form is the shape of its row (tclog_format.prefer): */
enum tclog_prefer_kind { TCLOG_PREFER_KTO, TCLOG_PREFER_DPO };

struct tclog_prefer_form {
	enum tclog_prefer_kind kind;
	const struct tclog_format *base;	/* the format whose line is
				 * rearranged */
	const char *turns;	/* the base line's array of turns */
	const char *role, *user;	/* what marks a turn of the user */
	/* Where the turns go: the prompt's, the response's (chosen) and,
	 * for DPO, the rejected response's. NULL prompt: the turns stay
	 * whole where they are, the response with them. */
	const char *prompt, *chosen, *rejected;
	bool single;		/* a response is one turn, not an array */
	const char *label;	/* KTO: the label's member */
};

/* ---- lib/format.c: the output formats ---- */

/* The formats, one row each (a new format is a writer and a row); the
 * first is the default, a NULL name ends the table. */
extern const struct tclog_format tclog_formats[];
/* The format called name, or NULL. */
const struct tclog_format *tclog_format_find(const char *name);

/* ---- lib/tokenizer.c: counting tokens as a tokenizer.json says ---- */

/*
 * A byte-level BPE tokenizer (Qwen2, Qwen2.5, Qwen3) that counts tokens
 * as the Hugging Face tokenizers library does: added tokens first, NFC,
 * the Qwen2 split pattern, ByteLevel, BPE merges. Anything else in the
 * file (WordPiece, Unigram, other normalizers or pre-tokenizers) is
 * refused at load with a message naming it.
 */
struct tclog_tokenizer;

/* The tokens of a text. With keep, each token's id and the byte offset
 * in the text where it starts (for text that NFC changed, the start of
 * the changed stretch); without, only n is counted. */
struct tclog_tokens {
	unsigned *id;
	size_t *start;
	size_t n, cap;
	bool keep;
};

/* Appends the tokens of text (UTF-8, as special tokens are written in
 * it: "<|im_start|>" is one token) to out; returns how many. */
size_t tclog_tokenizer_encode(struct tclog_tokenizer *t, const char *text,
    size_t len, struct tclog_tokens *out);
size_t tclog_tokenizer_count(struct tclog_tokenizer *t, const char *text,
    size_t len);
void tclog_tokens_free(struct tclog_tokens *tk);

/* ---- lib/exopts.c: the options of the commands that write examples ---- */

/*
 * What tclog-qwen, tclog-stats and tclog-eval take alike (each the ones
 * its getopt string names), parsed and loaded in one place; each command
 * adds its own options and checks:
 *
 *	struct tclog_exopts o = { .limit = TCLOG_DEFAULT_LIMIT };
 *
 *	while ((ch = tclog_exopts_getopt(&o, argc, argv, OPTIONS)) >= 0)
 *		...the command's own option ch
 *	if (ch == TCLOG_OPT_USAGE)
 *		return ch;
 *	...the command's checks, then:
 *	if ((why = tclog_exopts_load(&o, argc, argv)) != 0)
 *		return why;
 */
struct tclog_exopts {
	size_t limit;		/* -L */
	bool keep_json;		/* -k */
	bool results;		/* -o */
	bool partial;		/* -P */
	bool unique;		/* -u */
	const char *system_text, *system_file;	/* -s, -S */
	const char *tools_file;			/* -t */
	const char *tokenizer_path;		/* -T */
	size_t max_tokens;	/* -M; 0: not given */

	/* tclog_exopts_load's */
	struct tclog_prompt prompt;
	struct tclog_tokenizer *tok;	/* -T; NULL: none */
};

/* tclog_getopt that takes these options too (those optstring names). */
int tclog_exopts_getopt(struct tclog_exopts *o, int argc, char *argv[],
    const char *optstring);
/* Reads the prompt's files and the tokenizer: 0, TCLOG_OPT_USAGE (-s
 * and -S both, standard input asked for twice) or TCLOG_OPT_FATAL (a
 * file not read or not right), after a diagnostic. argv: the operands. */
int tclog_exopts_load(struct tclog_exopts *o, int argc, char *argv[]);
/* What -k -o -u -s -S -t ask of the example builder and the writer. */
void tclog_exopts_apply(const struct tclog_exopts *o,
    struct tclog_examples *xs, struct tclog_writer *w);
void tclog_exopts_free(struct tclog_exopts *o);

/* ---- lib/eval.c: a served model's calls scored (tclog-eval) ---- */

/* The result of an example, best first; the order is the comparison's
 * (error apart: it says nothing of the model). */
enum tclog_eval_result {
	TCLOG_EVAL_EXACT,	/* the logged calls, as a multiset */
	TCLOG_EVAL_SAME_TOOLS,	/* the same names, some arguments differ */
	TCLOG_EVAL_WRONG_TOOL,	/* calls, but other names */
	TCLOG_EVAL_NO_CALL,	/* an answer without calls */
	TCLOG_EVAL_ERROR,	/* no usable answer */
	TCLOG_EVAL_NRESULT
};
/* "exact", "same-tools", "wrong-tool", "no-call", "error" */
extern const char *const tclog_eval_names[TCLOG_EVAL_NRESULT];
/* The result a raw JSON string names, or -1. */
int tclog_eval_result_find(const char *value, size_t len);

/* A call: its name decoded, its arguments as tclog_call_args gives them. */
struct tclog_eval_call {
	struct tclog_buf name, args;
	bool args_json;
};
struct tclog_eval_calls {
	struct tclog_eval_call *call;
	size_t n, cap;
};
void tclog_eval_calls_clear(struct tclog_eval_calls *c);
/* A new call at the end, empty. */
struct tclog_eval_call *tclog_eval_calls_add(struct tclog_eval_calls *c);
void tclog_eval_calls_free(struct tclog_eval_calls *c);
/* Arguments that are JSON written again compact (scratch used), as the
 * result line prints them: an object's repeated key keeps its last value,
 * as tclog-qwen -u reads it, so that the comparison agrees with what is
 * printed. */
void tclog_eval_call_compact(struct tclog_eval_call *call,
    struct tclog_buf *scratch);
/* Appends [{"name":...,"arguments":...},...]: arguments that are JSON as
 * a value, the others as a string. */
void tclog_eval_calls_write(struct tclog_buf *b,
    const struct tclog_eval_calls *c);

/* The answer of an OpenAI-style chat completions endpoint. */
struct tclog_completion {
	struct tclog_eval_calls calls;	/* choices[0].message's calls */
	const char *usage;	/* its "usage" object (raw, in the body), or
				 * NULL */
	size_t usage_len;

	/* private */
	struct tclog_buf content, scratch;
};
/* The calls of body: those of tool_calls, or when there are none the
 * content's <tool_call> blocks (tclog_tool_call_blocks), as a server
 * without a tool-call parser leaves them. No calls is no error. Returns
 * 0, or -1 with the reason appended to why when body is no chat
 * completion (no JSON object, no choices[0].message). */
int tclog_completion_parse(struct tclog_completion *c, const char *body,
    size_t len, struct tclog_buf *why);
/* Appends ": " and the reason an error body gives (its "error", its
 * message, or a "message" or "detail" member: see lib/eval.c), or of a
 * body that is no JSON its first line; either cut at 200 bytes, made
 * visible, as a JSON string. Nothing when body says nothing of the
 * kind. */
void tclog_completion_error(const char *body, size_t len,
    struct tclog_buf *out);
void tclog_completion_free(struct tclog_completion *c);

/* The result of got against expected (never TCLOG_EVAL_ERROR). Names
 * equal and arguments JSON-equal (tclog_json_equal, on arguments made
 * compact by tclog_eval_call_compact); arguments that are not JSON equal
 * nothing. */
enum tclog_eval_result tclog_eval_score(const struct tclog_eval_calls *expected,
    const struct tclog_eval_calls *got);

/* The one-sided sign test: the chance of at least better successes in
 * better + worse fair coin tosses, from the binomial (exact but for
 * floating point). 1 when better is 0. */
double tclog_sign_test(unsigned long better, unsigned long worse);

#endif
