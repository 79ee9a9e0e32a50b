/*
 * internal.h - the part of the helper library that only lib/ itself (and
 * the test tools and fuzz harnesses, which reach inside) calls: what no
 * command calls. Commands include tclog.h alone; tests/lib-deps.test
 * checks that none calls what is declared here.
 *
 * Its sections are tclog.h's, in tclog.h's order, for the files that have
 * something internal; a type is here when only these functions take it.
 */
#ifndef TCLOG_INTERNAL_H
#define TCLOG_INTERNAL_H

#include <stdint.h>

#include "tclog.h"

/* ---- inline, no file's ---- */

/* A 64-bit finaliser (splitmix64's): every input bit moves every output
 * bit. The hashes of lib/json.c and lib/digest.c end with it. */
static inline uint64_t
tclog_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

/* ---- lib/cmdline.c: options, --help, input operands ---- */

/* -M tokens (tclog-qwen, tclog-stats): sets *max, or diagnoses "-M: not
 * a number of tokens >= 1: arg" and returns -1, as tclog_option_limit. */
int tclog_option_tokens(const char *arg, size_t *max);

/*
 * Reads a whole small file ("-": standard input) of at most limit bytes
 * into b, as text: a leading byte order mark dropped, CR LF read as LF,
 * so that a file saved on Windows means what it says. Returns 0, or -1
 * after a diagnostic ("tclog-x: FILE: reason").
 */
int tclog_read_text(const char *path, struct tclog_buf *b, size_t limit);

/* ---- lib/json.c: JSON text already validated by yajl ---- */

/* True when text is one or more JSON objects or arrays (white space
 * between them and around) and nothing else. */
bool tclog_json_containers(const char *text, size_t len);

/* True when value is true. */
bool tclog_json_is_true(const char *value, size_t len);

/* True when value is the string "" (or not a string at all: false). */
bool tclog_json_is_empty_string(const char *value, size_t len);
/* The value of the last member of object obj named key (as Python keeps
 * it), *vlen its length; NULL when there is none. */
const char *tclog_json_member(const char *obj, size_t len, const char *key,
    size_t *vlen);

/* Equal as JSON values: objects compared member by member whatever their
 * order, strings by their decoded contents, numbers by value. Both must
 * be valid JSON. Objects with a duplicate key, and values nested deeper
 * than TCLOG_JSON_EQUAL_DEPTH, are equal only when their text is. */
#define TCLOG_JSON_EQUAL_DEPTH 256
bool tclog_json_equal(const char *a, size_t alen, const char *b,
    size_t blen);
/* A 64-bit hash of a validated JSON value, the same for any two values
 * tclog_json_equal finds equal (so a table can find equal values). */
unsigned long long tclog_json_hash(const char *value, size_t len);
/* A 64-bit hash of bytes. */
unsigned long long tclog_hash_bytes(const void *p, size_t n);

/* ---- lib/record.c: the record parser ---- */

/* TCLOG_MADE_UP_* of the raw value of an entry's "reconstructed". */
unsigned tclog_made_up(const char *value, size_t len);

/* ---- lib/entry.c: log entries read and viewed ---- */

/* Views the parsed record rec; a bad rating's message goes into why
 * (replaced; NULL: no message, e->why NULL too). */
void tclog_entry_view(struct tclog_entry *e, const struct tclog_record *rec,
    struct tclog_buf *why);

/* ---- lib/message.c: a chat message's tool calls ---- */

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

/* ---- lib/call.c: the pairing rule ---- */

/* The arguments of a call as a log entry ("arguments") or a response's
 * tool_calls hold them, replacing out: the contents of a JSON string
 * (the usual form), else the value itself (some servers write the
 * object), without white space around; NULL (absent or null) as {}.
 * *json says whether out is JSON no deeper than TCLOG_ARGS_DEPTH. */
void tclog_call_args(struct tclog_buf *out, bool *json, const char *value,
    size_t len);

/* A call as the pairing rule sees it: borrowed, not owned. */
struct tclog_call_key {
	const char *name;	/* decoded */
	size_t name_len;
	const char *args;	/* as tclog_call_args gives them */
	size_t args_len;
	bool args_json;
};

/* The key of a call held in buffers. */
static inline struct tclog_call_key
tclog_call_key(const struct tclog_buf *name, const struct tclog_buf *args,
    bool args_json)
{
	struct tclog_call_key k = { name->data, name->len, args->data,
	    args->len, args_json };

	return k;
}

/* Adds a call to an array of them, *n calls of *cap, and returns it:
 * empty, its buffers those of the call that was there before, if any. */
struct tclog_call *tclog_call_add(struct tclog_call **call, size_t *n,
    size_t *cap);
/* Frees the buffers over 64 KiB of the cap calls of an array, before it
 * is filled again: its slots are reused, and large buffers kept would
 * add up to the largest each slot ever held, which grows with the
 * input, not with a record. */
void tclog_calls_shrink(struct tclog_call *call, size_t cap);
/* Frees the cap calls of an array, and the array. */
void tclog_calls_free(struct tclog_call *call, size_t cap);

/* The pairing rule: whether a call of a response is the call an entry
 * executed. Names are compared decoded; arguments as JSON values when
 * both are JSON (key order, white space, escapes and number spelling do
 * not matter), else as text. */
bool tclog_call_same(const struct tclog_call_key *a,
    const struct tclog_call_key *b);

/* ---- lib/response.c: where one model response ends ---- */

/* True when s, trimmed, is one or more <tool_call>...</tool_call> blocks
 * with only white space between them (the form in which Qwen writes its
 * calls as text) and each(ctx, block, len) takes the inside of every
 * one; it is called block by block until it returns false. */
bool tclog_tool_call_blocks(const char *s, size_t n,
    bool (*each)(void *ctx, const char *block, size_t len), void *ctx);

/* ---- lib/example.c: fine-tuning examples ---- */

/* tclog_examples_add for a parsed record, viewed here. */
void tclog_examples_entry(struct tclog_examples *xs,
    const struct tclog_record *rec, const char *file, unsigned long line,
    int *status);

/* ---- lib/prompt.c: the prompt of every example (-s, -S, -t) ---- */

/* -s text: 0, or -1 after a diagnostic (not UTF-8). */
int tclog_prompt_system(struct tclog_prompt *p, const char *text);
/* -S file ("-": standard input) of at most limit bytes, less one newline
 * at its end: 0, or -1 after a diagnostic. */
int tclog_prompt_system_file(struct tclog_prompt *p, const char *path,
    size_t limit);
/* -t file: a JSON array of {"type": "function", "function": {"name":
 * ...}} objects: 0, or -1 after a diagnostic. */
int tclog_prompt_tools(struct tclog_prompt *p, const char *path,
    size_t limit);
void tclog_prompt_free(struct tclog_prompt *p);
/* Whether the example is shown the tools: -t gave them and none of its
 * entries says "tools_enabled": false (the model then saw none, and an
 * example shows the prompt it saw). Every format asks this. */
bool tclog_prompt_tools_for(const struct tclog_prompt *p,
    const struct tclog_example *ex);
/* The prompt of the options -s, -S and -t (NULL when not given), the log
 * being the operands argv: 0; -1 after a diagnostic when -s and -S are
 * both given or standard input is asked for twice (a usage error); -2
 * after one when a file cannot be read or is not right. */
int tclog_prompt_options(struct tclog_prompt *p, const char *system_text,
    const char *system_file, const char *tools_file, size_t limit, int argc,
    char *argv[]);

/* ---- lib/template.c: the Qwen2.5 chat template ---- */

/* The Qwen2.5 template's rendering of the prompt of query (UTF-8) with
 * add_generation_prompt, appended to out: the system turn (with p's tools
 * when tools is true and -t gave some), the user's turn, and the opening
 * of the assistant's. Pass tclog_prompt_tools_for(p, ex) as tools for an
 * example's prompt, or !tclog_tools_off(field) for an entry's. */
void tclog_prompt_text(const struct tclog_prompt *p, const char *query,
    size_t len, bool tools, struct tclog_buf *out);

/* ---- lib/writer.c: writing examples in a format ---- */

/* With unique: false, counted in duplicates, when the example is the
 * same as one seen before; else true (and it is seen now). */
bool tclog_writer_unique(struct tclog_writer *w,
    const struct tclog_example *ex);

/* Emits w->line (counted in written) and empties it. */
void tclog_writer_emit(struct tclog_writer *w);

/* ---- lib/prefer.c: the preference formats ---- */

/* The write and finish hooks of every preference form's row. */
void tclog_prefer_write(struct tclog_writer *w,
    const struct tclog_example *ex);
void tclog_prefer_finish(struct tclog_writer *w);

/* ---- lib/tokenizer.c: counting tokens as a tokenizer.json says ---- */

/* Loads path; NULL with the reason in err (appended) when it cannot be
 * read or is not a tokenizer this supports. */
struct tclog_tokenizer *tclog_tokenizer_load(const char *path,
    struct tclog_buf *err);
void tclog_tokenizer_free(struct tclog_tokenizer *t);

#endif
