/*
 * tclog.h - the helper library shared by the tclog commands.
 *
 * The commands are streaming filters over JSON-lines tool-call logs.
 * This library gives them:
 *   - growing byte buffers            (tclog_buf_*)
 *   - a record reader for JSON lines  (tclog_reader_*)
 *   - a SAX-style record parser over yajl that hands back the raw text
 *     of every top-level field without building a tree (tclog_record_*)
 *   - small tools for JSON text already validated by yajl
 *     (tclog_json_*): decoding strings, walking arrays and objects,
 *     writing escaped strings, writing JSON again in compact or Python
 *     style
 *   - the calls of a chat message's tool_calls (tclog_tool_calls_*)
 *   - the input operands (tclog_inputs_*), diagnostics, checked output
 *     and the toolkit's exit statuses.
 *
 * Memory: every structure grows to the size of the largest record seen
 * and is reused; nothing grows with the number of records.
 */
#ifndef TCLOG_H
#define TCLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/* ---- memory and buffers ---- */

void *tclog_xmalloc(size_t n);
void *tclog_xrealloc(void *p, size_t n);

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

/* ---- diagnostics, options, output ---- */

/* Set up a command: default SIGPIPE (so `| head` ends it quietly) and a
 * large stdout buffer. Call first in main. */
void tclog_start(void);

/* "tclog-x: FILE:LINE: message" on stderr. */
void tclog_diag(const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse a size for -L: digits with an optional k, M or G suffix, in
 * either case (powers of 1024). Returns 0, or -1 when arg is not a size
 * >= 1, and then TCLOG_SIZE_SYNTAX says what is. */
int tclog_parse_size(const char *arg, size_t *size);
#define TCLOG_SIZE_SYNTAX "a number of bytes >= 1, maybe ending in k, M or G"

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

/* Checked output to stdout. A failed write is fatal: a diagnostic and
 * exit status 2 (a closed pipe ends the command quietly instead). */
void tclog_write(const void *p, size_t n);
void tclog_puts(const char *s);
/* Flush and close stdout; on failure diagnose and return 2, else 0. */
int tclog_close_output(void);

/* ---- the record reader ---- */

enum tclog_read_status {
	TCLOG_READ_EOF,		/* no more records */
	TCLOG_READ_RECORD,	/* a line; text and len set */
	TCLOG_READ_TOO_LONG,	/* a line over the limit was skipped */
	TCLOG_READ_ERROR	/* read(2) failed; errno set */
};

/*
 * Reads lines from a file descriptor into one growing buffer. A line
 * ends at LF; a CR before it is dropped; a last line without LF is still
 * a line. Lines holding only white space are skipped. A line longer than
 * the limit is never stored whole: it is skipped up to its newline and
 * reported as TCLOG_READ_TOO_LONG.
 */
struct tclog_reader {
	const char *name;	/* for diagnostics */
	unsigned long line;	/* number of the line last returned */
	const char *text;	/* that line, without its line end */
	size_t len;
	bool unterminated;	/* it was the last line and had no LF */

	/* private */
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
/* The next rule of a rules file of WORD<TAB>REST lines (tclog-upgrade
 * -q, tclog-scrub -f): blank lines and lines whose first character other
 * than white space is '#' are passed over. True with r->text, r->len set
 * and *tab at the line's first tab, or NULL; false at the end, or with
 * *failed set after a diagnostic (a read error, a line over the limit:
 * a malformed rule). */
bool tclog_reader_rule(struct tclog_reader *r, const char **tab,
    bool *failed);
/* Releases the buffer; does not close the descriptor. */
void tclog_reader_free(struct tclog_reader *r);

/* ---- a set of keys, to find duplicates ---- */

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
void tclog_keyset_free(struct tclog_keyset *s);

/* ---- the record parser ---- */

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
/* Why a record that is a JSON array is refused: the likely cause is a
 * log turned into one array (jq -s), and the message says the cure. */
#define TCLOG_ARRAY_NOT_RECORD "a JSON array, not an object: a log holds " \
	"one object per line (jq -c '.[]' writes an array so)"
/* The field named key, or NULL. */
const struct tclog_field *tclog_record_get(const struct tclog_record *rec,
    const char *key);
void tclog_record_free(struct tclog_record *rec);

/* ---- JSON text already validated by yajl ---- */

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
bool tclog_json_is_true(const char *value, size_t len);
/* Appends the decoded contents of a JSON string value (with its quotes)
 * to out as UTF-8. Returns -1 when value is not a string. */
int tclog_json_string(const char *value, size_t len, struct tclog_buf *out);
/* True when value is the string "" (or not a string at all: false). */
bool tclog_json_is_empty_string(const char *value, size_t len);
/* Sets *n when value is an integer written without fraction or
 * exponent that fits a long long. Returns 0, or -1. */
int tclog_json_integer(const char *value, size_t len, long long *n);

/* Checks that text is one JSON value; with want_object, one object.
 * Returns 0, or -1 with a message in err (replaced). */
int tclog_json_check(const char *text, size_t len, bool want_object,
    struct tclog_buf *err);

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

/*
 * The calls in the tool_calls array of an OpenAI-style chat message
 * (lib/message.c). A call is an object whose "function" object holds a
 * string "name"; other elements are passed over. Values are raw JSON.
 * Of a key given twice (however its name is escaped), the last value of
 * the right type counts.
 */
struct tclog_tool_calls {
	size_t place;		/* the call's position in the array, from 1 */
	const char *id;		/* a string other than "", or NULL */
	const char *name;	/* a string */
	const char *args;	/* the arguments, NULL when absent or null */
	size_t id_len, name_len, args_len;

	/* private */
	struct tclog_json_iter it;
};

void tclog_tool_calls_init(struct tclog_tool_calls *tc, const char *calls,
    size_t len);
/* The next call: true with its fields set, false at the end. */
bool tclog_tool_calls_next(struct tclog_tool_calls *tc);

/* Equal as JSON values: objects compared member by member whatever their
 * order, strings by their decoded contents, numbers by value. Both must
 * be valid JSON. Objects with a duplicate key, and values nested deeper
 * than TCLOG_JSON_EQUAL_DEPTH, are equal only when their text is. */
#define TCLOG_JSON_EQUAL_DEPTH 256
bool tclog_json_equal(const char *a, size_t alen, const char *b,
    size_t blen);

/* Appends s as a JSON string with quotes: \" \\ \b \f \n \r \t, other
 * control characters as \u00xx, everything else (UTF-8) as it is. */
void tclog_json_put_string(struct tclog_buf *b, const char *s, size_t n);
/* The same, as Go's encoding/json writes valid UTF-8 (the logger's way,
 * Go 1.22 on: \b and \f as such): also <, >, & and U+2028, U+2029 as
 * \u escapes. s must be valid UTF-8 (Go would write U+FFFD for the rest). */
void tclog_json_put_go_string(struct tclog_buf *b, const char *s,
    size_t n);

/* ---- writing JSON again, recognising repeats (jsonout.c, digest.c) ---- */

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
/* Appends a JSON number as Python prints what json.loads makes of it:
 * an int exactly ("-0" as 0), else the repr of the float. */
void tclog_json_python_number(struct tclog_buf *b, const char *value,
    size_t len);
/* Appends Python's repr() of a double: the shortest text that reads
 * back as it, "1.0", "1e-05", "1e+16", "inf" as "Infinity". */
void tclog_python_float_repr(struct tclog_buf *b, double d);

/* A set of byte strings known by a 128-bit digest each: 16 bytes per
 * distinct string in a table kept between a quarter and half full. */
struct tclog_digestset {
	unsigned long long *slot;	/* pairs; all zero: empty */
	size_t n, nslot;
};

/* Adds the digest of p; returns false when it was already there. */
bool tclog_digestset_add(struct tclog_digestset *s, const void *p,
    size_t n);
void tclog_digestset_free(struct tclog_digestset *s);

/* ---- strict UTF-8 (lib/utf8.c) ---- */

/* The offset of the first byte of text that is not strict UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or len
 * when it all is. yajl accepts some such bytes; tclog refuses them. */
size_t tclog_utf8_invalid(const char *text, size_t len);

#endif
