/*
 * tclog-filter - select tool-call log records by rating, status, tool,
 * model, time, format and origin; the grep of the toolkit.
 *
 * Selected records are written byte for byte as they were read (only a
 * CRLF line end becomes LF): the JSON is never regenerated. Each record
 * is parsed once without decoding its strings, and only the few fields
 * a test needs are looked at, so that filtering costs little more than
 * the parse itself.
 *
 * With -g the unit of selection is the model's response: the records of
 * the response being read are held (only while every one of them is
 * selected) until the next response starts, so that memory holds one
 * response at most.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

/* An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds. */
struct instant {
	long long sec;
	long nsec;
};

/* A record's rating when it has none (tclog_record_rating). */
enum { RATING_NONE = 0 };

/* Three-way switches: any record, only those with the property, or
 * only those without it. */
enum { ANY = 0, ONLY = 1, NOT = -1 };

/* -g: the response being read. Where it ends is tclog_response's
 * rule; its records are held while every one of them is selected, and
 * written or dropped when it ends. */
struct response {
	bool open;
	bool all;		/* every record so far is selected */
	struct tclog_response track;
	struct tclog_buf held;	/* the records held, each ending in LF */
	unsigned long nheld;
};

struct filter {
	/* the selection, from the options */
	bool count;		/* -c */
	bool group;		/* -g */
	bool invert;		/* -v */
	bool keep_unrated;	/* -u */
	bool only_unrated;	/* -U */
	int new_format;		/* -n ONLY, -o NOT */
	int reconstructed;	/* -X ONLY, -x NOT */
	int tools_off;		/* -E ONLY, -e NOT */
	bool held_out;		/* -H */
	unsigned held_share;	/* -H: in hundredths of a percent */
	const char *salt;	/* -H: "" when none */
	int min_rating, max_rating;	/* -r, -R; 0 when not given */
	const char *status, *model;	/* -s, -m */
	const char **tools;	/* -t, any of them */
	size_t ntool;
	bool has_after, has_before;	/* -a, -b */
	struct instant after, before;
	size_t limit;		/* -L */

	/* the input */
	struct tclog_entries es;	/* es.in: the record's text and place */
	struct tclog_buf decoded;	/* a string value with escapes */
	struct tclog_buf query;		/* -H: the record's user_query */
	struct response resp;	/* -g */
	unsigned long nselected;
	int exit_status;
};

#define OPTIONS "ceEgnouUvxXr:R:s:t:m:a:b:H:L:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-filter [-ceEgnouUvxX] [-r min] [-R max] "
	    "[-s status] [-t tool] [-m model] [-a time] [-b time] "
	    "[-H percent[:salt]] [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -c         write only the number of selected records\n"
		    "  -e         drop records with tools_enabled false\n"
		    "  -E         only records with tools_enabled false (the "
		    "model saw no tools)\n"
		    "  -g         select whole responses: a record when every "
		    "record of its\n"
		    "             response is selected (same user_query, "
		    "model_response, model)\n"
		    "  -n         only new-format records (user_query and "
		    "model_response set)\n"
		    "  -o         only old-format records (either missing, "
		    "empty or not a string)\n"
		    "  -u         with -r or -R, keep unrated records too\n"
		    "  -U         only unrated records (rating absent, null "
		    "or 0)\n"
		    "  -v         select the good records the other options "
		    "would not\n"
		    "  -x         drop records whose user_query tclog-upgrade "
		    "made up\n"
		    "  -X         only records whose user_query tclog-upgrade "
		    "made up\n"
		    "  -r min     rating at least min (1-5)\n"
		    "  -R max     rating at most max (1-5)\n"
		    "  -s status  status equal to status\n"
		    "  -t tool    tool_name equal to tool (repeatable: any "
		    "of them)\n"
		    "  -m model   model equal to model\n"
		    "  -a time    timestamp at or after time (RFC 3339 or a "
		    "date)\n"
		    "  -b time    timestamp before time (RFC 3339 or a date)\n"
		    "  -H percent[:salt]\n"
		    "             the held-out part: records whose user_query "
		    "falls in percent\n"
		    "             (0-100) by a hash of it and salt; -v the "
		    "rest\n"
		    "  -L size    longest record accepted (k, M, G; default "
		    "64M)\n");
}

/* ---- time ---- */

/* n decimal digits at s as a number, or -1. */
static int
number(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar,
 * computed here rather than by timegm(3) so that TZ plays no part:
 * years are counted from March so that the leap day ends a year. */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */
	return era * 146097 + doe - 719468;
}

/*
 * Parses an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, an optional
 * fraction of 1 to 9 digits, then Z or +hh:mm or -hh:mm (T and Z may be
 * lower case; second 60, a leap second, counts as the next second).
 * With date_ok a bare YYYY-MM-DD is also taken, as its midnight UTC.
 * Returns 0, or -1 when s is anything else.
 */
static int
parse_time(const char *s, size_t len, bool date_ok, struct instant *t)
{
	const char *p = s, *end;
	int year, month, day, hour = 0, minute = 0, second = 0, offset = 0;
	long nsec = 0;

	if (len < 10)	/* s may be NULL then: an empty decoded string */
		return -1;
	end = s + len;
	if (s[4] != '-' || s[7] != '-' ||
	    (year = number(s, 4)) < 0 || (month = number(s + 5, 2)) < 1 ||
	    month > 12 || (day = number(s + 8, 2)) < 1 ||
	    day > days_in_month(year, month))
		return -1;
	p += 10;
	if (p == end) {
		if (!date_ok)
			return -1;
		goto done;
	}
	if ((*p != 'T' && *p != 't') || end - p < 9 || p[3] != ':' ||
	    p[6] != ':' || (hour = number(p + 1, 2)) < 0 || hour > 23 ||
	    (minute = number(p + 4, 2)) < 0 || minute > 59 ||
	    (second = number(p + 7, 2)) < 0 || second > 60)
		return -1;
	p += 9;
	if (p < end && *p == '.') {
		int ndigit = 0;

		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			if (++ndigit > 9)
				return -1;	/* finer than nanoseconds */
			nsec = nsec * 10 + (*p - '0');
		}
		if (ndigit == 0)
			return -1;
		while (ndigit++ < 9)
			nsec *= 10;
	}
	if (p < end && (*p == 'Z' || *p == 'z'))
		p++;
	else if (end - p >= 6 && (*p == '+' || *p == '-') && p[3] == ':') {
		int oh = number(p + 1, 2), om = number(p + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		offset = (oh * 60 + om) * 60;
		if (*p == '-')
			offset = -offset;
		p += 6;
	} else
		return -1;
	if (p != end)
		return -1;
done:
	/* Local time minus its offset is UTC. */
	t->sec = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	    minute * 60 + second - offset;
	t->nsec = nsec;
	return 0;
}

static int
compare_instants(const struct instant *a, const struct instant *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

/* ---- one record ---- */

/* True when field f is a JSON string whose contents are s. Strings
 * without escapes, the usual case, are compared in place. */
static bool
string_is(struct filter *fl, const struct tclog_field *f, const char *s)
{
	size_t slen = strlen(s);

	if (f == NULL || f->value_len < 2 || f->value[0] != '"')
		return false;
	if (memchr(f->value + 1, '\\', f->value_len - 2) == NULL)
		return f->value_len - 2 == slen &&
		    memcmp(f->value + 1, s, slen) == 0;
	fl->decoded.len = 0;
	tclog_json_string(f->value, f->value_len, &fl->decoded);
	return fl->decoded.len == slen &&
	    memcmp(fl->decoded.data, s, slen) == 0;
}

static bool
is_nonempty_string(const struct tclog_field *f)
{
	return f != NULL && f->value_len > 2 && f->value[0] == '"';
}

/* A bad value shown in a diagnostic, cut short as every command cuts
 * it (tclog_json_excerpt). */
static void
diag_value(struct filter *fl, const char *what, const struct tclog_field *f,
    const char *why)
{
	fl->decoded.len = 0;
	tclog_buf_printf(&fl->decoded, "%s ", what);
	tclog_json_excerpt(&fl->decoded, f->value, f->value_len);
	tclog_diag(fl->es.in.name, fl->es.in.line, "%s %s",
	    tclog_buf_str(&fl->decoded), why);
}

/* The record's time for -a and -b; false after a diagnostic. */
static bool
record_time(struct filter *fl, const struct tclog_field *f,
    struct instant *t)
{
	if (f == NULL) {
		tclog_diag(fl->es.in.name, fl->es.in.line,
		    "no timestamp to compare with -a or -b");
		return false;
	}
	if (tclog_json_type(f->value, f->value_len) != TCLOG_JSON_STRING) {
		diag_value(fl, "timestamp", f, "is not a string");
		return false;
	}
	fl->decoded.len = 0;
	tclog_json_string(f->value, f->value_len, &fl->decoded);
	if (parse_time(fl->decoded.data, fl->decoded.len, false, t) != 0) {
		diag_value(fl, "timestamp", f,
		    "is not an RFC 3339 date and time");
		return false;
	}
	return true;
}

/*
 * -H: whether a query is held out. The hash is 64-bit FNV-1a (offset
 * basis 14695981039346656037, prime 1099511628211) of the salt, a
 * newline and the query (decoded, UTF-8); the query is held out when
 * the hash modulo 10000 is below the share in hundredths of a percent.
 * tclog-filter(1) documents this: it must never change, or a model
 * trained on one split would be evaluated on queries it saw.
 */
static bool
held_out(const struct filter *fl, const char *query, size_t len)
{
	uint64_t h = 14695981039346656037u;
	const char *salt = fl->salt;

	for (; *salt != '\0'; salt++)
		h = (h ^ (unsigned char)*salt) * 1099511628211u;
	h = (h ^ '\n') * 1099511628211u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)query[i]) * 1099511628211u;
	return h % 10000 < fl->held_share;
}

/* Whether the record passes every test of the options (before -v). */
static bool
selected(struct filter *fl, const struct tclog_entry *e,
    const struct instant *when)
{
	int rating = e->rating;

	if (fl->only_unrated) {
		if (rating != RATING_NONE)
			return false;
	} else if (fl->min_rating > 0 || fl->max_rating > 0) {
		if (rating == RATING_NONE ? !fl->keep_unrated :
		    (fl->min_rating > 0 && rating < fl->min_rating) ||
		    (fl->max_rating > 0 && rating > fl->max_rating))
			return false;
	}
	if (fl->status != NULL && !string_is(fl, e->status, fl->status))
		return false;
	if (fl->model != NULL && !string_is(fl, e->model, fl->model))
		return false;
	if (fl->ntool > 0) {
		size_t i;

		for (i = 0; i < fl->ntool; i++)
			if (string_is(fl, e->tool, fl->tools[i]))
				break;
		if (i == fl->ntool)
			return false;
	}
	if (fl->has_after && compare_instants(when, &fl->after) < 0)
		return false;
	if (fl->has_before && compare_instants(when, &fl->before) >= 0)
		return false;
	if (fl->new_format != ANY) {
		bool is_new = is_nonempty_string(e->query) &&
		    is_nonempty_string(e->response);

		if (is_new != (fl->new_format == ONLY))
			return false;
	}
	if (fl->reconstructed != ANY) {
		/* made up by tclog-upgrade: what the user asked is not */
		bool is_rec = (e->made_up & TCLOG_MADE_UP_QUERY) != 0;

		if (is_rec != (fl->reconstructed == ONLY))
			return false;
	}
	if (fl->tools_off != ANY &&
	    e->tools_off != (fl->tools_off == ONLY))
		return false;
	if (fl->held_out && !held_out(fl, fl->query.data, fl->query.len))
		return false;
	return true;
}

/* Writes (or with -c counts) n records: text holds them one a line,
 * without the last one's LF. */
static void
emit(struct filter *fl, const char *text, size_t len, unsigned long n)
{
	fl->nselected += n;
	if (!fl->count) {
		tclog_write(text, len);
		tclog_write("\n", 1);
	}
}

/* Ends the response being read: its held records were all selected,
 * so they are written, unless -v wants the rest. */
static void
close_response(struct filter *fl)
{
	struct response *r = &fl->resp;

	if (r->open && r->all && !fl->invert && r->nheld > 0)
		emit(fl, r->held.data, r->held.len - 1, r->nheld);
	r->held.len = 0;
	r->nheld = 0;
	r->open = false;
}

/* A record of the response being read: held while all are selected. */
static void
hold_record(struct filter *fl, bool sel)
{
	struct response *r = &fl->resp;

	if (r->all && sel) {
		tclog_buf_add(&r->held, fl->es.in.text, fl->es.in.len);
		tclog_buf_addc(&r->held, '\n');
		r->nheld++;
		return;
	}
	if (r->all) {
		/* The response is not selected: what was held is the rest. */
		r->all = false;
		if (fl->invert && r->nheld > 0)
			emit(fl, r->held.data, r->held.len - 1, r->nheld);
		r->held.len = 0;
		r->nheld = 0;
	}
	if (fl->invert)
		emit(fl, fl->es.in.text, fl->es.in.len, 1);
}

/*
 * -g: a record is selected when every record of its response is. The
 * records of a response are held while all are selected; the first one
 * that is not decides the response, and what follows of it is written
 * straight away (-v) or dropped. A record without a user_query and a
 * model_response (an old-format entry) is a response of its own.
 */
static void
group_record(struct filter *fl, const struct tclog_entry *e, bool sel)
{
	struct response *r = &fl->resp;
	enum tclog_response_step step = TCLOG_RESPONSE_BAD;

	if (is_nonempty_string(e->query) && is_nonempty_string(e->response))
		step = tclog_response_entry(&r->track, e);
	if (step != TCLOG_RESPONSE_SAME)
		close_response(fl);
	if (step == TCLOG_RESPONSE_BAD) {
		/* old-format, or no response to group by: on its own */
		tclog_response_end(&r->track);
		if (sel != fl->invert)
			emit(fl, fl->es.in.text, fl->es.in.len, 1);
		return;
	}
	if (step == TCLOG_RESPONSE_NEW) {
		r->open = true;
		r->all = true;
	}
	hold_record(fl, sel);
	/* Written as soon as it is whole: memory holds one response. */
	if (r->track.ended)
		close_response(fl);
}

/* Every check that makes a record bad comes before the selection, so
 * that a record is good or bad whatever -v says. */
static void
filter_record(struct filter *fl, const struct tclog_entry *e)
{
	struct instant when = { 0, 0 };

	if (e->rating == TCLOG_RATING_BAD) {
		tclog_diag(fl->es.in.name, fl->es.in.line, "%s", e->why);
		tclog_status_raise(&fl->exit_status, TCLOG_EXIT_BAD);
		return;
	}
	if ((fl->has_after || fl->has_before) &&
	    !record_time(fl, e->timestamp, &when)) {
		tclog_status_raise(&fl->exit_status, TCLOG_EXIT_BAD);
		return;
	}
	/* -H splits by the query: an entry without one is on neither
	 * side. */
	if (fl->held_out) {
		if (!is_nonempty_string(e->query)) {
			tclog_diag(fl->es.in.name, fl->es.in.line,
			    "old-format entry, run tclog-upgrade first");
			tclog_status_raise(&fl->exit_status, TCLOG_EXIT_BAD);
			return;
		}
		fl->query.len = 0;
		tclog_json_string(e->query->value, e->query->value_len,
		    &fl->query);
	}
	if (fl->group)
		group_record(fl, e, selected(fl, e, &when));
	else if (selected(fl, e, &when) != fl->invert)
		emit(fl, fl->es.in.text, fl->es.in.len, 1);
}

/* ---- options ---- */

/* -H percent[:salt]: percent from 0 to 100 with at most two decimals,
 * as hundredths of a percent; -1 when it is not one. */
static int
parse_share(struct filter *fl, char *arg)
{
	char *colon = strchr(arg, ':');
	const char *p = arg, *end = colon != NULL ? colon : arg + strlen(arg);
	unsigned long v = 0;
	int decimals = -1;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p == '.' && decimals < 0 && p > arg) {
			decimals = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || decimals >= 2 || v > 100000)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (decimals >= 0)
			decimals++;
	}
	if (decimals == 0)	/* "10." */
		return -1;
	for (; decimals < 2; decimals = decimals < 0 ? 1 : decimals + 1)
		v *= 10;
	if (v > 10000)
		return -1;
	fl->held_share = (unsigned)v;
	fl->salt = colon != NULL ? colon + 1 : "";
	return 0;
}

/* -r and -R take one digit from 1 to 5. */
static int
parse_rating(const char *arg)
{
	return arg[0] >= '1' && arg[0] <= '5' && arg[1] == '\0' ?
	    arg[0] - '0' : 0;
}

/* Sets up the selection from the options; returns optind, or
 * TCLOG_OPT_* (diagnosed). */
static int
options(struct filter *fl, int argc, char *argv[])
{
	bool newer = false, older = false, drop_rec = false, only_rec = false;
	bool drop_off = false, only_off = false;
	int ch;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	fl->tools = tclog_xreallocarray(NULL, (size_t)argc, sizeof(*fl->tools));
	while ((ch = tclog_getopt(argc, argv, OPTIONS, &fl->limit)) >= 0) {
		switch (ch) {
		case 'c':
			fl->count = true;
			break;
		case 'e':
			drop_off = true;
			break;
		case 'E':
			only_off = true;
			break;
		case 'H':
			if (parse_share(fl, optarg) != 0)
				return tclog_usage_error("-H: not a percentage from 0 to "
				    "100 (at most two decimals), maybe followed "
				    "by :salt: %s", optarg);
			fl->held_out = true;
			break;
		case 'g':
			fl->group = true;
			break;
		case 'n':
			newer = true;
			break;
		case 'o':
			older = true;
			break;
		case 'u':
			fl->keep_unrated = true;
			break;
		case 'U':
			fl->only_unrated = true;
			break;
		case 'v':
			fl->invert = true;
			break;
		case 'x':
			drop_rec = true;
			break;
		case 'X':
			only_rec = true;
			break;
		case 'r':
		case 'R': {
			int *bound = ch == 'r' ? &fl->min_rating :
			    &fl->max_rating;

			if ((*bound = parse_rating(optarg)) == 0)
				return tclog_usage_error("-%c: not a rating from 1 to "
				    "5: %s", ch, optarg);
			break;
		}
		case 's':
			fl->status = optarg;
			break;
		case 'm':
			fl->model = optarg;
			break;
		case 't':
			fl->tools[fl->ntool++] = optarg;
			break;
		case 'a':
		case 'b': {
			bool *given = ch == 'a' ? &fl->has_after :
			    &fl->has_before;

			if (parse_time(optarg, strlen(optarg), true,
			    ch == 'a' ? &fl->after : &fl->before) != 0)
				return tclog_usage_error("-%c: not an RFC 3339 time "
				    "or date: %s", ch, optarg);
			*given = true;
			break;
		}
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	if (newer && older)
		return tclog_usage_error("-n and -o exclude each other");
	if (drop_rec && only_rec)
		return tclog_usage_error("-x and -X exclude each other");
	if (drop_off && only_off)
		return tclog_usage_error("-e and -E exclude each other");
	if (fl->only_unrated && (fl->min_rating > 0 || fl->max_rating > 0))
		return tclog_usage_error("-U excludes -r and -R");
	fl->new_format = newer ? ONLY : older ? NOT : ANY;
	fl->reconstructed = only_rec ? ONLY : drop_rec ? NOT : ANY;
	fl->tools_off = only_off ? ONLY : drop_off ? NOT : ANY;
	return optind;
}

/* Writes (or counts) what is selected of the inputs (argv: the
 * operands); the exit status. */
static int
run(struct filter *fl, int argc, char *argv[])
{
	tclog_entries_inputs(&fl->es, argc, argv, fl->limit);
	while (tclog_entries_next(&fl->es, &fl->exit_status))
		filter_record(fl, &fl->es.entry);
	close_response(fl);
	if (fl->count) {
		struct tclog_buf line = { 0 };

		tclog_buf_printf(&line, "%lu\n", fl->nselected);
		tclog_write(line.data, line.len);
		tclog_buf_free(&line);
	}
	return tclog_finish_output(fl->exit_status);
}

int
main(int argc, char *argv[])
{
	struct filter fl = { .limit = TCLOG_DEFAULT_LIMIT };
	int first, status;

	tclog_start();
	tclog_entries_init(&fl.es);
	if ((first = options(&fl, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&fl, argc - first, argv + first);
	tclog_entries_free(&fl.es);
	tclog_buf_free(&fl.decoded);
	tclog_buf_free(&fl.query);
	tclog_response_free(&fl.resp.track);
	tclog_buf_free(&fl.resp.held);
	free(fl.tools);
	return status;
}
