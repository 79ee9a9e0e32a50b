/*
 * tclog-eval - replay the queries of log entries on a served model and
 * score its tool calls against the logged ones; compare two runs.
 *
 * The library gathers each whole response (tclog_examples) and scores
 * the model's answer (lib/eval.c); this command sends the requests,
 * -j at a time through libcurl's multi interface, and writes one line
 * per example in input order. The examples read ahead are a window of
 * -j: one waiting for its answer holds back those after it, so memory
 * is bounded by -j requests and answers, whatever the log's length.
 *
 * The summary and the comparison (-c) are computed from the result
 * lines themselves, so that a results file read again (the offline
 * comparison) gives what the run gave.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tclog.h"

#define OPTIONS "c:e:J:j:L:m:S:s:t:W:"
#define DEFAULT_ENDPOINT "http://127.0.0.1:8080/v1"
#define DEFAULT_JOBS 4
#define MAX_JOBS 256
#define DEFAULT_WAIT 120

/* Attempts at one request: the first and three retries, after
 * BACKOFF_MS, twice that, four times that (or what Retry-After asks, up
 * to RETRY_AFTER_MAX seconds). A time-out is not retried: the model
 * would be as slow again. */
#define MAX_ATTEMPTS 4
#define BACKOFF_MS 500
#define RETRY_AFTER_MAX 300

#define PROGRESS_MS 250
/* Past this capacity an answer's buffer is freed once used. */
#define KEEP_BODY ((size_t)1 << 20)

/* The kinds of error the summary counts, by how the reason begins (the
 * reasons of job_finished, and tclog_completion_parse's); the last one
 * takes the rest: libcurl's words for a failed connection. */
#define WHY_HTTP "HTTP status "
#define WHY_TIMEOUT "no answer within "
#define WHY_LARGE "an answer over "
static const struct {
	const char *prefix, *name;
} error_kinds[] = {
	{ WHY_HTTP, "HTTP error" },
	{ WHY_TIMEOUT, "time-out" },
	{ "not a chat completion", "not a chat completion" },
	{ WHY_LARGE, "over -L" },
	{ "", "connection" },
};
#define NERROR_KINDS (sizeof(error_kinds) / sizeof(error_kinds[0]))

/* ---- latencies: a histogram, so that memory stays flat ---- */

/* Milliseconds below 1024 exactly, above in 512 steps per power of two
 * (within 0.2 %), up to 2^41 ms. */
#define HIST_EXACT 1024
#define HIST_OCTAVES 32
#define HIST_N (HIST_EXACT + HIST_OCTAVES * 512)

static size_t
hist_index(unsigned long long v)
{
	int e = 0;

	if (v < HIST_EXACT)
		return (size_t)v;
	if (v >= 1ULL << 41)
		v = (1ULL << 41) - 1;
	while ((v >> e) >= 1024)
		e++;
	return HIST_EXACT + (size_t)(e - 1) * 512 + (size_t)((v >> e) - 512);
}

static unsigned long long
hist_value(size_t i)
{
	size_t e;

	if (i < HIST_EXACT)
		return i;
	e = (i - HIST_EXACT) / 512 + 1;
	return (unsigned long long)((i - HIST_EXACT) % 512 + 512) << e;
}

/* ---- the summary, from the result lines ---- */

struct summary {
	unsigned long n, count[TCLOG_EVAL_NRESULT];
	struct tclog_keyset tools;	/* the expected calls' names */
	unsigned long (*by_tool)[TCLOG_EVAL_NRESULT];
	size_t by_tool_cap;
	unsigned long errors[NERROR_KINDS];
	unsigned long long *hist;	/* HIST_N, of the answers */
	unsigned long nlat;
	struct tclog_keyset seen;	/* one example's names */
	struct tclog_buf name;
};

/* The latency at percentile pc, nearest rank. */
static unsigned long long
quantile(const struct summary *s, unsigned pc)
{
	unsigned long long rank = ((unsigned long long)s->nlat * pc + 99) / 100;
	unsigned long long sum = 0;

	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < HIST_N; i++)
		if ((sum += s->hist[i]) >= rank)
			return hist_value(i);
	return 0;
}

/* ---- the comparison with an earlier run (-c) ---- */

struct before {
	unsigned long long d[2];	/* digest of query and expected */
	unsigned long seq;
	signed char result;
	bool used;
};

struct compare {
	const char *path;
	struct before *b;
	size_t n;
	unsigned long moved[TCLOG_EVAL_NRESULT][TCLOG_EVAL_NRESULT];
	unsigned long matched, only_now, regressions;
	FILE *regressed;	/* their lines, until the end */
	struct tclog_buf key;
};

/* ---- the requests ---- */

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	enum job_state state;
	CURL *curl;
	const char *file;
	unsigned long line;
	struct tclog_buf request, body, query, why, out;
	struct tclog_eval_calls expected;
	int attempts;
	long long not_before;	/* ms, monotonic */
	long retry_after;	/* seconds, or -1 */
	bool too_big;
	size_t limit;		/* -L, for the answer */
	long long latency;	/* ms, the last attempt's */
	enum tclog_eval_result result;
	char curl_error[CURL_ERROR_SIZE];
};

/* An entry read and not yet part of a delivered example: its model and
 * whether it ran without tools, for the example it starts. */
struct pending {
	const char *file;
	unsigned long line;
	bool no_tools;
	struct tclog_buf model;
};

enum mode { MODE_UNKNOWN, MODE_LOG, MODE_RESULTS };

struct eval {
	/* options */
	const char *url_base, *model, *json_file;	/* -e -m -J */
	unsigned jobs;
	long wait;
	struct tclog_exopts o;	/* -s -S -t -L */
	struct tclog_buf tools;	/* -t's array, compact */
	struct compare compare;	/* -c's, read */

	/* input */
	enum mode mode;
	struct tclog_inputs in;
	struct tclog_entries es;
	bool reading, eof;
	bool input_waits;	/* a pipe with nothing in it yet */
	struct tclog_examples xs;
	struct pending *pend;
	size_t npend, pend_cap;
	unsigned long examples;	/* whole responses read */
	unsigned long left_out;	/* not whole responses */
	unsigned long long bytes_total, bytes_before;	/* progress */

	/* requests: a ring of the examples read ahead, in input order */
	bool curl;		/* libcurl started */
	CURLM *multi;
	struct curl_slist *headers;
	struct tclog_buf url;	/* -e's, to chat/completions */
	struct tclog_buf url_shown;	/* the same, its password masked */
	struct job *job;
	size_t ring, head, njobs;
	unsigned running;
	struct tclog_completion comp;

	/* results */
	struct tclog_record line;
	struct summary sum;
	struct compare *cmp;	/* -c: &compare; else NULL */
	struct tclog_buf scratch;
	int status;

	/* the terminal */
	int sigpipe[2];
	bool interrupted, progress;
	bool progress_shown;	/* the line is on the terminal now */
	bool stdout_tty;	/* stdout a terminal too: lines clear it */
	unsigned long answered;	/* HTTP answers of any kind */
	bool unreachable;	/* never one, and a request gave up */
	long long started, last_progress;
};

/* The write end of the pipe SIGINT writes to: a signal handler can
 * reach nothing else. */
static int interrupt_fd = -1;

static void
on_interrupt(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(interrupt_fd, "", 1) == -1)
		errno = saved;
	errno = saved;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-eval [-e url] [-m model] [-j jobs] "
	    "[-s text | -S file] [-t tools.json] [-W seconds] "
	    "[-J summary.json] [-c before.jsonl] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -e url         the endpoint's base URL (default "
		    DEFAULT_ENDPOINT ")\n"
		    "  -m model       the model to ask (default: each entry's "
		    "model)\n"
		    "  -j jobs        requests in flight (default %d)\n"
		    "  -s text        system prompt\n"
		    "  -S file        system prompt read from file\n"
		    "  -t tools.json  tool definitions (JSON array, OpenAI "
		    "form)\n"
		    "  -W seconds     time-out of each request (default %d)\n"
		    "  -J file        write the summary to file as JSON\n"
		    "  -c before.jsonl  compare with an earlier run's results\n"
		    "  -L size        longest record and answer accepted (k, "
		    "M, G; default 64M)\n"
		    "The API key, if any, comes from OPENAI_API_KEY.\n",
		    DEFAULT_JOBS, DEFAULT_WAIT);
}

/* ---- the summary ---- */

static void
summary_init(struct summary *s)
{
	s->hist = tclog_xcalloc(HIST_N, sizeof(*s->hist));
}

static void
summary_free(struct summary *s)
{
	tclog_keyset_free(&s->tools);
	tclog_keyset_free(&s->seen);
	tclog_buf_free(&s->name);
	TCLOG_FREE_ALL(s->by_tool, s->hist);
}

/* Counts the example under each tool its expected calls name, once. */
static void
count_tools(struct summary *s, const char *expected, size_t len, int result)
{
	struct tclog_json_iter it;
	const char *call, *k, *v;
	size_t call_len, klen, vlen, i;

	tclog_keyset_clear(&s->seen);
	tclog_json_iter_init(&it, expected, len);
	while (tclog_json_next_element(&it, &call, &call_len)) {
		struct tclog_json_iter m;

		if (tclog_json_type(call, call_len) != TCLOG_JSON_OBJECT)
			continue;
		tclog_json_iter_init(&m, call, call_len);
		while (tclog_json_next_member(&m, &k, &klen, &v, &vlen)) {
			if (!tclog_json_key_is(k, klen, "name") ||
			    tclog_json_type(v, vlen) != TCLOG_JSON_STRING)
				continue;
			s->name.len = 0;
			tclog_json_string(v, vlen, &s->name);
			if (!tclog_keyset_add(&s->seen, s->name.data,
			    s->name.len))
				continue;
			tclog_keyset_add(&s->tools, s->name.data, s->name.len);
			i = tclog_keyset_find(&s->tools, s->name.data,
			    s->name.len);
			s->by_tool = tclog_grow_zeroed(s->by_tool,
			    &s->by_tool_cap, i + 1, sizeof(*s->by_tool));
			s->by_tool[i][result]++;
		}
	}
}

/* An error line's reason, by kind (no reason: the last kind). */
static void
count_error(struct summary *s, const struct tclog_field *why)
{
	size_t k = 0;

	s->name.len = 0;
	if (why != NULL)
		tclog_json_string(why->value, why->value_len, &s->name);
	for (; k < NERROR_KINDS - 1; k++) {
		size_t n = strlen(error_kinds[k].prefix);

		if (s->name.len >= n &&
		    memcmp(s->name.data, error_kinds[k].prefix, n) == 0)
			break;
	}
	s->errors[k]++;
}

static void
put_counts(struct tclog_buf *b, const unsigned long *count, unsigned long n)
{
	for (int r = 0; r < TCLOG_EVAL_NRESULT; r++) {
		tclog_buf_printf(b, "%s %s %lu", r == 0 ? "" : ",",
		    tclog_eval_names[r], count[r]);
		if (count[r] > 0)
			tclog_buf_printf(b, " (%.1f%%)",
			    100.0 * (double)count[r] / (double)n);
	}
}

static void
summary_text(const struct eval *e, struct tclog_buf *b)
{
	const struct summary *s = &e->sum;

	tclog_buf_printf(b, "tclog-eval: %lu example%s", s->n,
	    s->n == 1 ? "" : "s");
	if (e->left_out > 0)
		tclog_buf_printf(b, " (and %lu left out: not whole responses)",
		    e->left_out);
	tclog_buf_adds(b, "\n  results:");
	put_counts(b, s->count, s->n);
	tclog_buf_addc(b, '\n');
	for (size_t i = 0; i < s->tools.n; i++) {
		unsigned long n = 0;

		for (int r = 0; r < TCLOG_EVAL_NRESULT; r++)
			n += s->by_tool[i][r];
		tclog_buf_adds(b, "  tool ");
		tclog_visible(b, tclog_keyset_key(&s->tools, i),
		    s->tools.len[i], NULL);
		tclog_buf_printf(b, ": %lu:", n);
		put_counts(b, s->by_tool[i], n);
		tclog_buf_addc(b, '\n');
	}
	tclog_buf_printf(b, "  errors: %lu", s->count[TCLOG_EVAL_ERROR]);
	for (size_t k = 0, first = 1; k < NERROR_KINDS; k++)
		if (s->errors[k] > 0) {
			tclog_buf_printf(b, "%s%s %lu", first ? " (" : ", ",
			    error_kinds[k].name, s->errors[k]);
			first = 0;
		}
	if (s->count[TCLOG_EVAL_ERROR] > 0)
		tclog_buf_addc(b, ')');
	tclog_buf_addc(b, '\n');
	if (s->nlat > 0)
		tclog_buf_printf(b, "  latency: median %llu ms, p95 %llu ms\n",
		    quantile(s, 50), quantile(s, 95));
}

/* The comparison's share of -J, when -c. */
static void compare_json(const struct compare *c, struct tclog_buf *b);

/*
 * -J's file. A regular file (or a symbolic link to one: its target) is
 * replaced whole: written beside it and renamed over it, so that a
 * reader never sees half of it. Anything else that exists (a device, a
 * FIFO, /dev/stderr) cannot be renamed over: it is written in place, as
 * is a link to no file yet. A file replaced keeps its mode; a new one
 * has the mode a shell's > would give it (0666 less the umask).
 * 0, or -1 after a diagnostic.
 */
static int
json_file_write(const char *path, const char *p, size_t n)
{
	struct tclog_buf tmp = { 0 };
	struct stat st;
	char *target = NULL;
	int fd, ok, exists;
	mode_t mode, mask = umask(0);

	umask(mask);
	exists = stat(path, &st) == 0;
	mode = exists ? st.st_mode & 07777 : 0666 & ~mask;
	/* a device, a FIFO; or a link to nothing yet: the file it names is
	 * made, as a shell's > would (there is nothing to replace) */
	if ((exists && !S_ISREG(st.st_mode)) || (!exists && errno == ENOENT &&
	    lstat(path, &st) == 0 && S_ISLNK(st.st_mode))) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666)) == -1) {
			warn("-J: %s", path);
			return -1;
		}
		if (tclog_write_all(fd, p, n) != 0) {
			warn("-J: %s", path);
			close(fd);
			return -1;
		}
		if (close(fd) != 0) {
			warn("-J: %s", path);
			return -1;
		}
		return 0;
	}
	/* a link to a regular file: the file it names is replaced */
	if (exists && (target = realpath(path, NULL)) == NULL) {
		warn("-J: %s", path);
		return -1;
	}
	tclog_buf_printf(&tmp, "%s.XXXXXX", target != NULL ? target : path);
	if ((fd = mkstemp(tmp.data)) == -1) {
		warn("-J: %s", path);
		free(target);
		tclog_buf_free(&tmp);
		return -1;
	}
	ok = fchmod(fd, mode) == 0 && tclog_write_all(fd, p, n) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp.data, target != NULL ? target : path) != 0) {
		warn("-J: %s", path);
		unlink(tmp.data);
		ok = 0;
	}
	free(target);
	tclog_buf_free(&tmp);
	return ok ? 0 : -1;
}

/* -J: one JSON object. */
static int
summary_json(const struct eval *e, const char *path)
{
	const struct summary *s = &e->sum;
	struct tclog_buf b = { 0 };
	int ok;

	tclog_buf_printf(&b, "{\"examples\":%lu,\"results\":{", s->n);
	for (int r = 0; r < TCLOG_EVAL_NRESULT; r++)
		tclog_buf_printf(&b, "%s\"%s\":%lu", r ? "," : "",
		    tclog_eval_names[r], s->count[r]);
	tclog_buf_adds(&b, "},\"by_tool\":{");
	for (size_t i = 0; i < s->tools.n; i++) {
		if (i > 0)
			tclog_buf_addc(&b, ',');
		tclog_json_put_string(&b, tclog_keyset_key(&s->tools, i),
		    s->tools.len[i]);
		tclog_buf_adds(&b, ":{");
		for (int r = 0; r < TCLOG_EVAL_NRESULT; r++)
			tclog_buf_printf(&b, "%s\"%s\":%lu", r ? "," : "",
			    tclog_eval_names[r], s->by_tool[i][r]);
		tclog_buf_addc(&b, '}');
	}
	tclog_buf_adds(&b, "},\"latency_ms\":");
	if (s->nlat > 0)
		tclog_buf_printf(&b, "{\"median\":%llu,\"p95\":%llu}",
		    quantile(s, 50), quantile(s, 95));
	else
		tclog_buf_adds(&b, "{\"median\":null,\"p95\":null}");
	if (e->cmp != NULL)
		compare_json(e->cmp, &b);
	tclog_buf_adds(&b, "}\n");

	ok = json_file_write(path, b.data, b.len) == 0;
	tclog_buf_free(&b);
	return ok ? 0 : -1;
}

/* ---- the comparison ---- */

/* The key of a result line (one not_result_line passed): its query and
 * expected calls, compact. */
static void
line_key(struct tclog_buf *key, const struct tclog_record *rec,
    unsigned long long d[2])
{
	const struct tclog_field *q = tclog_record_get(rec, "query");
	const struct tclog_field *x = tclog_record_get(rec, "expected");

	key->len = 0;
	tclog_json_write(key, q->value, q->value_len, TCLOG_JSON_COMPACT);
	tclog_buf_addc(key, '\n');
	tclog_json_write(key, x->value, x->value_len, TCLOG_JSON_COMPACT);
	tclog_digest(key->data, key->len, d);
}

/* What makes a record a result line; NULL when it is one. */
static const char *
not_result_line(const struct tclog_record *rec)
{
	const struct tclog_field *f;

	f = tclog_record_get(rec, "query");
	if (f == NULL || tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_STRING)
		return "not a result line: no \"query\" string";
	f = tclog_record_get(rec, "expected");
	if (f == NULL || tclog_json_type(f->value, f->value_len) !=
	    TCLOG_JSON_ARRAY)
		return "not a result line: no \"expected\" array";
	if (tclog_json_depth(f->value, f->value_len) > TCLOG_ARGS_DEPTH)
		return "\"expected\" nested too deep";
	f = tclog_record_get(rec, "got");
	if (f != NULL && tclog_json_depth(f->value, f->value_len) >
	    TCLOG_ARGS_DEPTH)
		return "\"got\" nested too deep";
	f = tclog_record_get(rec, "result");
	if (f == NULL || tclog_eval_result_find(f->value, f->value_len) < 0)
		return "not a result line: \"result\" is none of exact, "
		    "same-tools, wrong-tool, no-call, error";
	return NULL;
}

static int
by_digest(const void *a, const void *b)
{
	const struct before *x = a, *y = b;

	if (x->d[0] != y->d[0])
		return x->d[0] < y->d[0] ? -1 : 1;
	if (x->d[1] != y->d[1])
		return x->d[1] < y->d[1] ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads the earlier results: 24 bytes an example. Returns 0, or -1
 * after a diagnostic when the file cannot be read. */
static int
compare_load(struct compare *c, size_t limit, int *status)
{
	struct tclog_reader rd;
	struct tclog_record rec;
	size_t cap = 0;
	const char *why;
	int fd, rstatus = 0;

	if ((fd = tclog_open_input(c->path)) == -1)
		return -1;
	tclog_record_init(&rec);
	tclog_reader_init(&rd, fd, tclog_input_name(c->path), limit);
	while (tclog_reader_record(&rd, &rstatus)) {
		bool parsed = tclog_record_parse(&rec, rd.text, rd.len,
		    rd.unterminated) == 0;

		why = parsed ? not_result_line(&rec) : rec.error;
		/* the log given for the results (tclog-eval -c tool_calls.log):
		 * one diagnostic, not one a line */
		if (parsed && why != NULL && c->n == 0 &&
		    tclog_record_get(&rec, "query") == NULL &&
		    tclog_record_get(&rec, "tool_name") != NULL) {
			tclog_diag(rd.name, rd.line, "-c: a log entry, not a "
			    "result line: -c takes what an earlier run of "
			    "tclog-eval wrote");
			/* stops, as a read error does */
			rstatus = TCLOG_EXIT_FATAL;
			break;
		}
		if (why != NULL) {
			tclog_diag(rd.name, rd.line, "%s", why);
			tclog_status_raise(status, TCLOG_EXIT_BAD);
			continue;
		}
		c->b = tclog_grow(c->b, &cap, c->n + 1, sizeof(*c->b));
		line_key(&c->key, &rec, c->b[c->n].d);
		c->b[c->n].seq = (unsigned long)c->n;
		c->b[c->n].result = (signed char)tclog_eval_result_find(
		    tclog_record_get(&rec, "result")->value,
		    tclog_record_get(&rec, "result")->value_len);
		c->b[c->n].used = false;
		c->n++;
	}
	tclog_reader_free(&rd);
	tclog_record_free(&rec);
	tclog_close_input(c->path, fd);
	if (rstatus == TCLOG_EXIT_FATAL)
		return -1;
	tclog_status_raise(status, rstatus);
	if (c->n > 0)
		qsort(c->b, c->n, sizeof(*c->b), by_digest);
	if ((c->regressed = tmpfile()) == NULL) {
		warn("-c: a temporary file");
		return -1;
	}
	return 0;
}

/* The first earlier example of that key not matched yet, or NULL: the
 * same example given twice is matched in order. */
static struct before *
compare_find(struct compare *c, const unsigned long long d[2])
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct before *b = &c->b[mid];

		if (b->d[0] < d[0] || (b->d[0] == d[0] && b->d[1] < d[1]))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && c->b[lo].d[0] == d[0] && c->b[lo].d[1] == d[1];
	    lo++)
		if (!c->b[lo].used)
			return &c->b[lo];
	return NULL;
}

static void
compare_line(struct compare *c, const struct tclog_record *rec, int result)
{
	unsigned long long d[2];
	struct before *b;
	const struct tclog_field *got;

	line_key(&c->key, rec, d);
	if ((b = compare_find(c, d)) == NULL) {
		c->only_now++;
		return;
	}
	b->used = true;
	c->matched++;
	c->moved[b->result][result]++;
	if (b->result != TCLOG_EVAL_EXACT || result == TCLOG_EVAL_EXACT)
		return;
	c->regressions++;
	got = tclog_record_get(rec, "got");
	c->key.len = 0;
	tclog_buf_adds(&c->key, "{\"query\":");
	tclog_json_write(&c->key, tclog_record_get(rec, "query")->value,
	    tclog_record_get(rec, "query")->value_len, TCLOG_JSON_COMPACT);
	tclog_buf_adds(&c->key, ",\"expected\":");
	tclog_json_write(&c->key, tclog_record_get(rec, "expected")->value,
	    tclog_record_get(rec, "expected")->value_len, TCLOG_JSON_COMPACT);
	tclog_buf_adds(&c->key, ",\"got\":");
	if (got != NULL)
		tclog_json_write(&c->key, got->value, got->value_len,
		    TCLOG_JSON_COMPACT);
	else
		tclog_buf_adds(&c->key, "null");
	tclog_buf_printf(&c->key, ",\"result\":\"%s\"}\n",
	    tclog_eval_names[result]);
	if (fwrite(c->key.data, 1, c->key.len, c->regressed) != c->key.len)
		err(TCLOG_EXIT_FATAL, "-c: a temporary file");
}

/* Examples that moved up (to a better result) and down; errors on
 * either side say nothing of the model and are left out. */
static void
compare_moves(const struct compare *c, int from, unsigned long *up,
    unsigned long *down, unsigned long *same)
{
	*up = *down = *same = 0;
	for (int to = 0; to < TCLOG_EVAL_ERROR; to++) {
		if (to < from)
			*up += c->moved[from][to];
		else if (to > from)
			*down += c->moved[from][to];
		else
			*same += c->moved[from][to];
	}
}

static void
compare_totals(const struct compare *c, unsigned long *up,
    unsigned long *down)
{
	unsigned long u, d, s;

	*up = *down = 0;
	for (int r = 0; r < TCLOG_EVAL_ERROR; r++) {
		compare_moves(c, r, &u, &d, &s);
		*up += u;
		*down += d;
	}
}

static void
compare_text(struct compare *c, struct tclog_buf *b)
{
	unsigned long up, down, same, only_before = 0;
	size_t n;

	for (size_t i = 0; i < c->n; i++)
		if (!c->b[i].used)
			only_before++;
	tclog_buf_printf(b, "tclog-eval: compared with %s: %lu example%s in "
	    "both, %lu only in this run, %lu only in %s\n",
	    tclog_input_name(c->path), c->matched, c->matched == 1 ? "" : "s",
	    c->only_now, only_before, tclog_input_name(c->path));
	for (int r = 0; r < TCLOG_EVAL_ERROR; r++) {
		compare_moves(c, r, &up, &down, &same);
		tclog_buf_printf(b, "  was %s: %lu up, %lu down, %lu the same, "
		    "%lu now error\n", tclog_eval_names[r], up, down, same,
		    c->moved[r][TCLOG_EVAL_ERROR]);
	}
	n = 0;
	for (int r = 0; r < TCLOG_EVAL_NRESULT; r++)
		n += c->moved[TCLOG_EVAL_ERROR][r];
	tclog_buf_printf(b, "  was error: %zu, now", n);
	for (int r = 0; r < TCLOG_EVAL_NRESULT; r++)
		tclog_buf_printf(b, "%s %s %lu", r ? "," : "",
		    tclog_eval_names[r], c->moved[TCLOG_EVAL_ERROR][r]);
	tclog_buf_addc(b, '\n');
	compare_totals(c, &up, &down);
	tclog_buf_printf(b, "  sign test: %lu better, %lu worse: p = %.4g "
	    "(one-sided, that this run is better)\n", up, down,
	    tclog_sign_test(up, down));
	tclog_buf_printf(b, "  regressions (exact before, not now): %lu\n",
	    c->regressions);
}

/* The regressions' lines, from their file a piece at a time. */
static void
compare_regressions(struct compare *c, void (*put)(const void *, size_t))
{
	char chunk[4096];
	size_t n;

	rewind(c->regressed);
	while ((n = fread(chunk, 1, sizeof(chunk), c->regressed)) > 0)
		put(chunk, n);
	if (ferror(c->regressed))
		err(TCLOG_EXIT_FATAL, "-c: a temporary file");
}

static void
compare_json(const struct compare *c, struct tclog_buf *b)
{
	unsigned long up, down, same, only_before = 0;

	for (size_t i = 0; i < c->n; i++)
		if (!c->b[i].used)
			only_before++;
	tclog_buf_printf(b, ",\"compare\":{\"matched\":%lu,\"only_now\":%lu,"
	    "\"only_before\":%lu,\"moved\":{", c->matched, c->only_now,
	    only_before);
	for (int r = 0; r < TCLOG_EVAL_ERROR; r++) {
		compare_moves(c, r, &up, &down, &same);
		tclog_buf_printf(b, "%s\"%s\":{\"up\":%lu,\"down\":%lu,"
		    "\"same\":%lu,\"error\":%lu}", r ? "," : "",
		    tclog_eval_names[r], up, down, same,
		    c->moved[r][TCLOG_EVAL_ERROR]);
	}
	compare_totals(c, &up, &down);
	tclog_buf_printf(b, "},\"regressions\":%lu,\"sign_test\":{\"better\":"
	    "%lu,\"worse\":%lu,\"p\":%.6g}}", c->regressions, up, down,
	    tclog_sign_test(up, down));
}

static void
compare_free(struct compare *c)
{
	if (c->regressed != NULL)
		fclose(c->regressed);
	free(c->b);
	tclog_buf_free(&c->key);
}

/* ---- result lines ---- */

/* Takes a result line into the summary and the comparison; -1 after
 * a diagnostic when it is no result line. */
static int
account(struct eval *e, const char *text, size_t len, const char *file,
    unsigned long line)
{
	const struct tclog_field *f;
	const char *why;
	int result;
	long long ms;

	if (tclog_record_parse(&e->line, text, len, false) != 0)
		why = e->line.error;
	else
		why = not_result_line(&e->line);
	if (why != NULL) {
		tclog_diag(file, line, "%s", why);
		tclog_status_raise(&e->status, TCLOG_EXIT_BAD);
		return -1;
	}
	f = tclog_record_get(&e->line, "result");
	result = tclog_eval_result_find(f->value, f->value_len);
	e->sum.n++;
	e->sum.count[result]++;
	f = tclog_record_get(&e->line, "expected");
	count_tools(&e->sum, f->value, f->value_len, result);
	if (result == TCLOG_EVAL_ERROR)
		count_error(&e->sum, tclog_record_get(&e->line, "error"));
	f = tclog_record_get(&e->line, "latency_ms");
	if (result != TCLOG_EVAL_ERROR && f != NULL &&
	    tclog_json_integer(f->value, f->value_len, &ms) == 0 && ms >= 0) {
		e->sum.hist[hist_index((unsigned long long)ms)]++;
		e->sum.nlat++;
	}
	if (e->cmp != NULL)
		compare_line(e->cmp, &e->line, result);
	return 0;
}

/* ---- the progress line ---- */

static void
progress_clear(struct eval *e)
{
	if (e->progress_shown)
		fputs("\r\033[K", stderr);
	e->progress_shown = false;
}

/* Shown every PROGRESS_MS, and at once when a line or a diagnostic has
 * cleared it. */

static void
progress_show(struct eval *e, long long now)
{
	double secs = (double)(now - e->started) / 1000, rate, frac;
	unsigned long done = e->sum.n, total = 0;
	struct tclog_buf *b = &e->scratch;

	if (!e->progress || (e->progress_shown &&
	    now - e->last_progress < PROGRESS_MS))
		return;
	e->last_progress = now;
	rate = secs > 0 ? (double)done / secs : 0;
	b->len = 0;
	tclog_buf_printf(b, "\rtclog-eval: %lu", done);
	/* the total, when the input is files: exact once read, else from
	 * the examples read so far and the share of the bytes they took */
	if (e->bytes_total > 0) {
		frac = (double)(e->bytes_before + (e->reading ? e->es.in.offset :
		    0)) / (double)e->bytes_total;
		if (e->eof)
			total = e->examples;
		else if (frac > 0)
			total = (unsigned long)((double)e->examples / frac + 0.5);
		if (total < done)
			total = done;
		tclog_buf_printf(b, "/%s%lu", e->eof ? "" : "~", total);
	}
	tclog_buf_printf(b, " done, %u in flight, %.1f/s, %lu error%s", e->running,
	    rate, e->sum.count[TCLOG_EVAL_ERROR],
	    e->sum.count[TCLOG_EVAL_ERROR] == 1 ? "" : "s");
	if (total > done && rate > 0) {
		long eta = (long)((double)(total - done) / rate);

		tclog_buf_printf(b, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
	tclog_buf_adds(b, "\033[K");
	/* the lines written since it was cleared, on a line of their own */
	tclog_flush();
	fwrite(b->data, 1, b->len, stderr);
	e->progress_shown = true;
	fflush(stderr);
}

/* ---- the jobs ---- */

static struct job *
job_at(struct eval *e, size_t i)
{
	return &e->job[(e->head + i) % e->ring];
}

static void
put_model(struct eval *e, struct tclog_buf *b, const struct pending *p)
{
	if (e->model != NULL)
		tclog_json_put_string(b, e->model, strlen(e->model));
	else
		tclog_json_put_string(b, p->model.data, p->model.len);
}

/* The chat completion request of an example: the prompt tclog-qwen
 * trains on (system prompt, query, tools unless the entry ran without
 * them), greedy, in one piece. */
static void
request_body(struct eval *e, struct tclog_buf *b,
    const struct tclog_example *ex, const struct pending *p)
{
	b->len = 0;
	tclog_buf_addc(b, '{');
	if (e->model != NULL || p->model.len > 0) {
		tclog_buf_adds(b, "\"model\":");
		put_model(e, b, p);
		tclog_buf_addc(b, ',');
	}
	tclog_buf_adds(b, "\"messages\":[");
	if (e->o.prompt.has_system) {
		tclog_buf_adds(b, "{\"role\":\"system\",\"content\":");
		tclog_json_put_string(b, e->o.prompt.system.data,
		    e->o.prompt.system.len);
		tclog_buf_adds(b, "},");
	}
	tclog_buf_adds(b, "{\"role\":\"user\",\"content\":");
	tclog_json_put_string(b, ex->query.data, ex->query.len);
	tclog_buf_adds(b, "}]");
	if (e->o.prompt.has_tools && !p->no_tools) {
		tclog_buf_adds(b, ",\"tools\":");
		tclog_buf_add(b, e->tools.data, e->tools.len);
		/* OpenAI's default, said: vLLM refuses it without a parser */
		tclog_buf_adds(b, ",\"tool_choice\":\"auto\"");
	}
	tclog_buf_adds(b, ",\"temperature\":0,\"stream\":false}");
}

/* An example delivered by the library: a job at the ring's end, unless
 * it is no whole response. */
static void
example_done(void *ctx, const struct tclog_example *ex)
{
	struct eval *e = ctx;
	struct pending none = { .file = NULL };
	const struct pending *p = &none;
	size_t drop = 0;
	struct job *j;

	/* its first entry's model and tools_enabled; the entries up to it
	 * are no longer needed */
	for (size_t i = 0; i < e->npend; i++)
		if (e->pend[i].line == ex->first_line &&
		    e->pend[i].file == ex->file) {
			p = &e->pend[i];
			drop = i + 1;
			break;
		}
	if (!tclog_example_whole(ex))
		e->left_out++;
	else {
		if (e->njobs == e->ring)
			errx(TCLOG_EXIT_FATAL, "internal error: the window is "
			    "full");
		j = job_at(e, e->njobs++);
		j->state = JOB_WAITING;
		j->file = ex->file;
		j->line = ex->first_line;
		j->attempts = 0;
		j->not_before = 0;
		j->query.len = 0;
		tclog_buf_add(&j->query, ex->query.data, ex->query.len);
		tclog_eval_calls_clear(&j->expected);
		for (size_t c = 0; c < ex->ncall; c++) {
			struct tclog_eval_call *call =
			    tclog_eval_calls_add(&j->expected);

			tclog_buf_add(&call->name, ex->call[c].name.data,
			    ex->call[c].name.len);
			tclog_buf_add(&call->args, ex->call[c].args.data,
			    ex->call[c].args.len);
			call->args_json = ex->call[c].args_json;
			tclog_eval_call_compact(call, &e->scratch);
		}
		request_body(e, &j->request, ex, p);
		e->examples++;
	}
	/* the rest to the front, each keeping a buffer */
	for (size_t k = 0; k + drop < e->npend; k++) {
		struct pending t = e->pend[k];

		e->pend[k] = e->pend[drop + k];
		e->pend[drop + k] = t;
	}
	e->npend -= drop;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct job *j = ctx;

	(void)size;
	if (n > j->limit - j->body.len) {
		j->too_big = true;
		return 0;
	}
	tclog_buf_add(&j->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct job *j = ctx;
	static const char name[] = "retry-after:";
	const size_t len = sizeof(name) - 1;

	(void)size;
	if (n > len && strncasecmp(p, name, len) == 0) {
		char value[64];
		size_t vlen = n - len;
		long secs;
		char *end;

		if (vlen >= sizeof(value))
			vlen = sizeof(value) - 1;
		memcpy(value, p + len, vlen);
		value[vlen] = '\0';
		errno = 0;
		secs = strtol(value, &end, 10);
		if (end != value && errno == 0 && secs >= 0 &&
		    strspn(end, " \t\r\n") == strlen(end))
			j->retry_after = secs;
		else {	/* an HTTP date */
			time_t t = curl_getdate(value + strspn(value, " \t"),
			    NULL);

			if (t != -1)
				j->retry_after = t > time(NULL) ?
				    (long)(t - time(NULL)) : 0;
		}
	}
	return n;
}

static void
job_start(struct eval *e, struct job *j, struct tclog_buf *url)
{
	CURL *c = j->curl;

	curl_easy_reset(c);
	/* an answer far larger than usual is not kept for the next one:
	 * -j of them would add up */
	if (j->body.cap > KEEP_BODY)
		tclog_buf_free(&j->body);
	j->body.len = 0;
	j->too_big = false;
	j->limit = e->o.limit;
	j->retry_after = -1;
	j->curl_error[0] = '\0';
	j->attempts++;
	curl_easy_setopt(c, CURLOPT_URL, tclog_buf_str(url));
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->request.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)j->request.len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->curl_error);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->wait * 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PRIVATE, j);
	/* an answer over -L is refused as it comes, not after */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)e->o.limit);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_multi_add_handle(e->multi, c);
	j->state = JOB_RUNNING;
	e->running++;
}

/* The example's result line, made at once (the answer's buffers are
 * the next one's); got is NULL for an error, whose reason is j->why. */
static void
result_line(struct job *j, const struct tclog_completion *got)
{
	struct tclog_buf *b = &j->out;

	j->state = JOB_DONE;
	b->len = 0;
	tclog_buf_adds(b, "{\"query\":");
	tclog_json_put_string(b, j->query.data, j->query.len);
	tclog_buf_adds(b, ",\"expected\":");
	tclog_eval_calls_write(b, &j->expected);
	tclog_buf_adds(b, ",\"got\":");
	if (got != NULL)
		tclog_eval_calls_write(b, &got->calls);
	else
		tclog_buf_adds(b, "null");
	tclog_buf_printf(b, ",\"result\":\"%s\",\"latency_ms\":%lld",
	    tclog_eval_names[j->result], j->latency);
	if (got != NULL && got->usage != NULL) {
		tclog_buf_adds(b, ",\"usage\":");
		tclog_json_write(b, got->usage, got->usage_len,
		    TCLOG_JSON_COMPACT);
	}
	if (got == NULL) {
		tclog_buf_adds(b, ",\"error\":");
		tclog_json_put_string(b, j->why.data, j->why.len);
	}
	tclog_buf_adds(b, "}\n");
}

/* Failures worth another attempt: the connection, not the request. */
static bool
connection_failed(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static void
job_finished(struct eval *e, struct job *j, CURLcode rc)
{
	long code = 0;
	curl_off_t us = 0;
	bool retry = false;
	long long delay;

	curl_multi_remove_handle(e->multi, j->curl);
	e->running--;
	curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(j->curl, CURLINFO_TOTAL_TIME_T, &us);
	j->latency = (long long)(us / 1000);
	j->why.len = 0;
	if (rc == CURLE_OK)
		e->answered++;
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		if (tclog_completion_parse(&e->comp, j->body.data, j->body.len,
		    &j->why) == 0) {
			j->result = tclog_eval_score(&j->expected,
			    &e->comp.calls);
			result_line(j, &e->comp);
			return;
		}
	} else if (rc == CURLE_OK) {
		tclog_buf_printf(&j->why, WHY_HTTP "%ld", code);
		tclog_completion_error(j->body.data, j->body.len, &j->why);
		retry = code == 429 || code >= 500;
	} else if (rc == CURLE_FILESIZE_EXCEEDED ||
	    (rc == CURLE_WRITE_ERROR && j->too_big)) {
		tclog_buf_printf(&j->why, WHY_LARGE "%zu bytes (-L)",
		    e->o.limit);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		tclog_buf_printf(&j->why, WHY_TIMEOUT "%ld s (-W)",
		    e->wait);
	} else {
		tclog_buf_adds(&j->why, j->curl_error[0] != '\0' ?
		    j->curl_error : curl_easy_strerror(rc));
		retry = connection_failed(rc);
	}
	if (retry && j->attempts < MAX_ATTEMPTS && !e->interrupted) {
		delay = (long long)BACKOFF_MS << (j->attempts - 1);
		if (code == 429 && j->retry_after >= 0)
			delay = (long long)(j->retry_after < RETRY_AFTER_MAX ?
			    j->retry_after : RETRY_AFTER_MAX) * 1000;
		j->state = JOB_WAITING;
		j->not_before = tclog_now_ms() + delay;
		return;
	}
	if (j->attempts > 1)
		tclog_buf_printf(&j->why, " (%d attempts)", j->attempts);
	/* a server that never answered is not there: no point asking on */
	if (retry && e->answered == 0)
		e->unreachable = true;
	j->result = TCLOG_EVAL_ERROR;
	result_line(j, NULL);
}

/* Writes the examples answered at the head of the window, in order. */
static void
write_done(struct eval *e)
{
	while (e->njobs > 0 && e->job[e->head].state == JOB_DONE) {
		struct job *j = &e->job[e->head];

		if (j->result == TCLOG_EVAL_ERROR) {
			progress_clear(e);
			tclog_diag(j->file, j->line, "no usable answer: %s",
			    tclog_buf_str(&j->why));
			tclog_status_raise(&e->status, TCLOG_EXIT_BAD);
		}
		if (e->stdout_tty)
			progress_clear(e);
		tclog_write(j->out.data, j->out.len);
		account(e, j->out.data, j->out.len - 1, j->file, j->line);
		e->head = (e->head + 1) % e->ring;
		e->njobs--;
	}
}

/* ---- the input ---- */

static void
pending_push(struct eval *e, const struct tclog_entry *en, const char *file,
    unsigned long line)
{
	struct pending *p;

	e->pend = tclog_grow_zeroed(e->pend, &e->pend_cap, e->npend + 1,
	    sizeof(*e->pend));
	p = &e->pend[e->npend++];
	p->file = file;
	p->line = line;
	/* the model ran without tool definitions: none are sent */
	p->no_tools = en->tools_off;
	p->model.len = 0;
	if (en->model != NULL)
		tclog_json_string(en->model->value, en->model->value_len,
		    &p->model);
}

/* The record the reader holds: an entry, or a line of results. */
static void
record(struct eval *e)
{
	struct tclog_entries *es = &e->es;

	if (!tclog_entries_parse(es, &e->status))
		return;
	/* a results file, read again: no log entry has a "result" */
	if (e->mode == MODE_UNKNOWN)
		e->mode = tclog_record_get(&es->rec, "result") != NULL ?
		    MODE_RESULTS : MODE_LOG;
	if (e->mode == MODE_RESULTS) {
		account(e, es->in.text, es->in.len, es->in.name, es->in.line);
		return;
	}
	pending_push(e, &es->entry, es->in.name, es->in.line);
	tclog_examples_add(&e->xs, &es->entry, es->in.name, es->in.line,
	    &e->status);
}

/* Whether a read of fd would not wait (data, its end, or an error). */
static bool
input_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * Reads until the window is full or the input ends. With requests in
 * flight, a pipe with nothing in it is not waited on (as tail -f can
 * leave it): the loop waits for it beside the answers. A line the reader
 * holds already then waits for the window to empty, when it is read.
 */
static void
read_more(struct eval *e)
{
	struct stat st;

	e->input_waits = false;
	while (!e->eof && e->njobs < e->jobs && !e->interrupted) {
		if (e->reading && e->njobs > 0 && !input_ready(e->in.fd)) {
			e->input_waits = true;
			break;
		}
		if (!e->reading) {
			if (!tclog_inputs_next(&e->in, &e->status)) {
				tclog_examples_end(&e->xs);
				e->eof = true;
				break;
			}
			tclog_entries_open(&e->es, e->in.fd, e->in.name,
			    e->o.limit);
			e->reading = true;
		}
		if (!tclog_reader_record(&e->es.in, &e->status)) {
			if (fstat(e->in.fd, &st) == 0 && S_ISREG(st.st_mode))
				e->bytes_before += (unsigned long long)
				    st.st_size;
			tclog_entries_close(&e->es);
			e->reading = false;
			continue;
		}
		record(e);
	}
}

/* The size of the input when it is regular files only, else 0. */
static unsigned long long
input_size(int argc, char *argv[])
{
	unsigned long long total = 0;
	struct stat st;

	if (argc == 0)
		return fstat(0, &st) == 0 && S_ISREG(st.st_mode) ?
		    (unsigned long long)st.st_size : 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0 ? fstat(0, &st) != 0 :
		    stat(argv[i], &st) != 0)
			return 0;
		if (!S_ISREG(st.st_mode))
			return 0;
		total += (unsigned long long)st.st_size;
	}
	return total;
}

/* ---- the loop ---- */

static void
loop(struct eval *e)
{
	struct curl_waitfd wake[2] = {
		{ .fd = e->sigpipe[0], .events = CURL_WAIT_POLLIN },
		{ .events = CURL_WAIT_POLLIN }
	};
	int still, left, timeout;
	bool finished;
	CURLMsg *msg;
	long long now;
	char drain[64];

	for (;;) {
		read_more(e);
		write_done(e);
		if (e->interrupted || e->unreachable ||
		    (e->eof && e->njobs == 0))
			break;
		now = tclog_now_ms();
		timeout = PROGRESS_MS;
		for (size_t i = 0; i < e->njobs; i++) {
			struct job *j = job_at(e, i);

			if (j->state != JOB_WAITING)
				continue;
			if (j->not_before <= now && e->running < e->jobs)
				job_start(e, j, &e->url);
			else if (j->not_before > now &&
			    j->not_before - now < timeout)
				timeout = (int)(j->not_before - now);
		}
		tclog_flush();
		curl_multi_perform(e->multi, &still);
		finished = false;
		while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
			struct job *j;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&j);
			job_finished(e, j, msg->data.result);
			finished = true;
		}
		write_done(e);
		progress_show(e, tclog_now_ms());
		/* a request ended: the window has room for the next at once */
		if (!finished) {
			wake[1].fd = e->in.fd;
			curl_multi_poll(e->multi, wake, e->input_waits ? 2 : 1,
			    timeout, NULL);
		}
		if (read(e->sigpipe[0], drain, sizeof(drain)) > 0)
			e->interrupted = true;
	}
	progress_clear(e);
}

/* ---- main ---- */

static void
put_stderr(const void *p, size_t n)
{
	fwrite(p, 1, n, stderr);
}

static void
put(bool out, const void *p, size_t n)
{
	if (out)
		tclog_write(p, n);
	else
		put_stderr(p, n);
}

static int
parse_number(const char *arg, long max, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(arg, &end, 10);
	return end == arg || *end != '\0' || errno != 0 || *n < 1 || *n > max ?
	    -1 : 0;
}

/*
 * -e's URL, to chat/completions: the path goes on with
 * /chat/completions, its query kept after it (Azure's ?api-version=).
 * A fragment is never sent to a server: a URL with one is refused, as a
 * mistake. libcurl starts here, for its URL parser. 0, or TCLOG_OPT_*
 * (diagnosed).
 */
static int
endpoint(struct eval *e)
{
	CURLU *u = NULL, *shown = NULL;
	CURLUcode uc;
	char *part = NULL;
	size_t n;
	int why = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot start");
	e->curl = true;
	if ((u = curl_url()) == NULL)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot start");
	if ((uc = curl_url_set(u, CURLUPART_URL, e->url_base, 0)) != CURLUE_OK) {
		why = tclog_usage_error("-e: not a valid URL (%s): %s",
		    curl_url_strerror(uc), e->url_base);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		why = tclog_usage_error("-e: a URL with a fragment (#%s): "
		    "it is not sent to the server", part);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PATH, &part, 0) != CURLUE_OK)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot read -e's URL");
	e->scratch.len = 0;
	tclog_buf_adds(&e->scratch, part);
	curl_free(part);
	part = NULL;
	for (n = e->scratch.len; n > 0 && e->scratch.data[n - 1] == '/'; n--)
		continue;
	e->scratch.len = n;
	tclog_buf_adds(&e->scratch, "/chat/completions");
	if (curl_url_set(u, CURLUPART_PATH, tclog_buf_str(&e->scratch), 0) !=
	    CURLUE_OK || curl_url_get(u, CURLUPART_URL, &part, 0) != CURLUE_OK)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot make -e's URL");
	tclog_buf_adds(&e->url, part);
	curl_free(part);
	part = NULL;
	/* what diagnostics show: no password */
	if ((shown = curl_url_dup(u)) == NULL)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot start");
	if (curl_url_get(shown, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK &&
	    curl_url_set(shown, CURLUPART_PASSWORD, "***", 0) != CURLUE_OK)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot make -e's URL");
	curl_free(part);
	part = NULL;
	if (curl_url_get(shown, CURLUPART_URL, &part, 0) != CURLUE_OK)
		errx(TCLOG_EXIT_FATAL, "libcurl cannot make -e's URL");
	tclog_buf_adds(&e->url_shown, part);
done:
	curl_free(part);
	curl_url_cleanup(shown);
	curl_url_cleanup(u);
	return why;
}

/* The options taken together, and -s -S -t read (argv: the operands):
 * 0, or TCLOG_OPT_* (diagnosed). */
static int
checks(struct eval *e, int argc, char *argv[])
{
	int why;

	if (strncasecmp(e->url_base, "http://", 7) != 0 &&
	    strncasecmp(e->url_base, "https://", 8) != 0)
		return tclog_usage_error("-e: not an http:// or https:// "
		    "URL: %s", e->url_base);
	if ((why = endpoint(e)) != 0)
		return why;
	if (e->model != NULL && tclog_utf8_invalid(e->model,
	    strlen(e->model)) != strlen(e->model)) {
		warnx("-m: not valid UTF-8");
		return TCLOG_OPT_FATAL;
	}
	if (e->compare.path != NULL && tclog_inputs_leave_stdin('c',
	    e->compare.path, argc, argv) != 0)
		return TCLOG_OPT_USAGE;
	if ((why = tclog_exopts_load(&e->o, argc, argv)) != 0)
		return why;
	if (e->o.prompt.has_tools)
		tclog_json_write(&e->tools, e->o.prompt.tools.data,
		    e->o.prompt.tools.len, TCLOG_JSON_COMPACT);
	return 0;
}

/* Sets e up from the options: optind, or TCLOG_OPT_* (diagnosed). */
static int
options(struct eval *e, int argc, char *argv[])
{
	long n;
	int ch, why;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	while ((ch = tclog_exopts_getopt(&e->o, argc, argv, OPTIONS)) >= 0) {
		switch (ch) {
		case 'c':
			e->compare.path = optarg;
			break;
		case 'e':
			e->url_base = optarg;
			break;
		case 'J':
			e->json_file = optarg;
			break;
		case 'j':
			if (parse_number(optarg, MAX_JOBS, &n) != 0)
				return tclog_usage_error("-j: not a number "
				    "from 1 to %d: %s", MAX_JOBS, optarg);
			e->jobs = (unsigned)n;
			break;
		case 'm':
			e->model = optarg;
			break;
		case 'W':
			if (parse_number(optarg, 86400, &n) != 0)
				return tclog_usage_error("-W: not a number of "
				    "seconds from 1 to 86400: %s", optarg);
			e->wait = n;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	if ((why = checks(e, argc - optind, argv + optind)) != 0)
		return why;
	return optind;
}

/* libcurl's handles, the window of -j + 2 jobs, and Ctrl-C's pipe. */
static void
requests_start(struct eval *e)
{
	struct tclog_buf auth = { 0 };
	struct sigaction sa;
	const char *key;

	e->multi = curl_multi_init();
	/* at most -j connections: -j answers at a time, reused */
	curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)e->jobs);
	e->headers = curl_slist_append(NULL, "Content-Type: application/json");
	e->headers = curl_slist_append(e->headers, "Expect:");
	if ((key = getenv("OPENAI_API_KEY")) != NULL && *key != '\0') {
		tclog_buf_printf(&auth, "Authorization: Bearer %s", key);
		e->headers = curl_slist_append(e->headers,
		    tclog_buf_str(&auth));
		/* the key lives on in libcurl's copy alone */
		memset(auth.data, 0, auth.len);
		tclog_buf_free(&auth);
	}
	e->ring = e->jobs + 2;
	e->job = tclog_xcalloc(e->ring, sizeof(*e->job));
	for (size_t i = 0; i < e->ring; i++)
		if ((e->job[i].curl = curl_easy_init()) == NULL)
			errx(TCLOG_EXIT_FATAL, "libcurl cannot start");

	/* Ctrl-C: no more requests, the lines written so far, the summary */
	if (pipe(e->sigpipe) != 0 ||
	    fcntl(e->sigpipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(e->sigpipe[1], F_SETFL, O_NONBLOCK) != 0)
		err(TCLOG_EXIT_FATAL, "pipe");
	interrupt_fd = e->sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* The summary, the comparison's and -J, once the lines are out. */
static void
report(struct eval *e)
{
	struct tclog_buf text = { 0 };

	summary_text(e, &text);
	if (e->cmp != NULL)
		compare_text(e->cmp, &text);
	/* read again, the results are the input: the summary is the output */
	put(e->mode == MODE_RESULTS, text.data, text.len);
	if (e->cmp != NULL)
		compare_regressions(e->cmp, e->mode == MODE_RESULTS ?
		    tclog_write : put_stderr);
	if (e->unreachable) {
		warnx("%s: no answer from the endpoint: is the server running? "
		    "(-e)", tclog_buf_str(&e->url_shown));
		tclog_status_raise(&e->status, TCLOG_EXIT_FATAL);
	}
	if (e->json_file != NULL && summary_json(e, e->json_file) != 0)
		tclog_status_raise(&e->status, TCLOG_EXIT_FATAL);
	tclog_buf_free(&text);
}

/* Evaluates the inputs (argv: the operands); the exit status. */
static int
run(struct eval *e, int argc, char *argv[])
{
	if (e->compare.path != NULL) {
		if (compare_load(&e->compare, e->o.limit, &e->status) != 0)
			return TCLOG_EXIT_FATAL;
		e->cmp = &e->compare;
	}
	requests_start(e);
	e->progress = isatty(2);
	e->stdout_tty = e->progress && isatty(1);
	e->started = tclog_now_ms();
	e->bytes_total = input_size(argc, argv);
	summary_init(&e->sum);
	e->xs.done = example_done;
	e->xs.ctx = e;
	tclog_examples_init(&e->xs);
	tclog_inputs_init(&e->in, argc, argv);
	loop(e);
	if (e->reading)
		tclog_entries_close(&e->es);
	/* the lines out before the summary: a write error is fatal first */
	tclog_flush();
	report(e);
	return tclog_finish_output(e->status);
}

static void
eval_free(struct eval *e)
{
	for (size_t i = 0; i < e->ring; i++) {
		struct job *j = &e->job[i];

		if (j->state == JOB_RUNNING)
			curl_multi_remove_handle(e->multi, j->curl);
		curl_easy_cleanup(j->curl);
		TCLOG_BUFS_FREE(&j->request, &j->body, &j->query, &j->why,
		    &j->out);
		tclog_eval_calls_free(&j->expected);
	}
	free(e->job);
	if (e->curl) {
		if (e->multi != NULL)
			curl_multi_cleanup(e->multi);
		curl_slist_free_all(e->headers);
		curl_global_cleanup();
	}
	for (size_t i = 0; i < e->pend_cap; i++)
		tclog_buf_free(&e->pend[i].model);
	free(e->pend);
	tclog_completion_free(&e->comp);
	tclog_examples_free(&e->xs);
	tclog_entries_free(&e->es);
	tclog_record_free(&e->line);
	summary_free(&e->sum);
	compare_free(&e->compare);
	tclog_exopts_free(&e->o);
	TCLOG_BUFS_FREE(&e->tools, &e->scratch, &e->url, &e->url_shown);
	for (int i = 0; i < 2; i++)
		if (e->sigpipe[i] != -1)
			close(e->sigpipe[i]);
}

int
main(int argc, char *argv[])
{
	struct eval e = { .url_base = DEFAULT_ENDPOINT, .jobs = DEFAULT_JOBS,
	    .wait = DEFAULT_WAIT, .o = { .limit = TCLOG_DEFAULT_LIMIT },
	    .sigpipe = { -1, -1 } };
	int first, status;

	tclog_start();
	tclog_entries_init(&e.es);
	tclog_record_init(&e.line);
	if ((first = options(&e, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&e, argc - first, argv + first);
	eval_free(&e);
	if (e.interrupted) {
		/* killed by SIGINT, as the shell expects of Ctrl-C */
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	return status;
}
