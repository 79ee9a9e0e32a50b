/*
 * tclog-qwen - turn new-format log entries into fine-tuning examples for
 * Qwen2.5 models, one JSON line each, in the form a trainer reads.
 *
 * The library gathers the entries of each model response into one
 * example (tclog_examples) and writes it in the chosen format (one entry
 * of tclog_formats); this command reads the input and the options, and
 * leaves out what is not a whole response unless -P.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

struct qwen {
	struct tclog_exopts o;		/* -k -o -P -u -s -S -t -T -M */
	struct tclog_writer w;
	bool quiet;			/* -q: no summary */
	/* examples left out for not being whole responses */
	unsigned long missing, stray;
	/* -T, -M: examples left out for being longer than max tokens */
	unsigned long too_long;
	struct tclog_buf text;
	struct tclog_entries es;
	struct tclog_examples xs;
	int status;
};

#define OPTIONS "f:kmnoPquS:s:t:T:M:O:L:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-qwen [-kmnoPqu] [-f format] [-s text | -S file] "
	    "[-t tools.json] [-T tokenizer.json] [-M max] [-O size] [-L size] "
	    "[file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -f format      openai (default), hf, trl, swift, "
		    "sharegpt, text;\n"
		    "                 preference data: kto, dpo, swift-kto, "
		    "swift-dpo,\n"
		    "                 sharegpt-kto, sharegpt-dpo\n"
		    "  -k             keep assistant content that is only the "
		    "calls as JSON text\n"
		    "  -m             preference data: keep responses to a "
		    "query made up by\n"
		    "                 tclog-upgrade\n"
		    "  -o             add the tool results after the calls "
		    "(not trl, sharegpt)\n"
		    "  -n             end each example on the calls (the "
		    "default)\n"
		    "  -P             write partial responses too: the calls "
		    "that have entries\n"
		    "  -q             no summary on standard error\n"
		    "  -u             leave out examples the same as an "
		    "earlier one for the model\n"
		    "  -s text        system prompt\n"
		    "  -S file        system prompt read from file\n"
		    "  -t tools.json  tool definitions (JSON array, OpenAI "
		    "form)\n"
		    "  -T tokenizer.json  with -M, the model's tokenizer\n"
		    "  -M max         leave out examples over max tokens "
		    "(their -f text)\n"
		    "  -O size        with -o, cut tool results over size "
		    "bytes in the middle\n"
		    "  -L size        longest record accepted (k, M, G; "
		    "default 64M)\n");
}

/* A line of the format (the writer has dropped those -u has seen). */
static void
emit(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	tclog_write(line, len);
	tclog_write("\n", 1);
}

/* Longer than -M tokens, as its -f text (which -T's tokenizer counts). */
static bool
too_long(struct qwen *q, const struct tclog_example *ex)
{
	q->text.len = 0;
	tclog_example_text(q->w.prompt, ex, q->w.results, &q->text, NULL,
	    NULL);
	return tclog_tokenizer_count(q->o.tok, q->text.data, q->text.len) >
	    q->o.max_tokens;
}

/* An example is a whole response unless -P says any will do. */
static void
example_done(void *ctx, const struct tclog_example *ex)
{
	struct qwen *q = ctx;

	if (!q->o.partial && ex->kind == TCLOG_EXAMPLE_STRAY)
		q->stray++;
	else if (!q->o.partial && !tclog_example_whole(ex))
		q->missing++;
	else if (q->o.tok != NULL && too_long(q, ex))
		q->too_long++;
	else
		tclog_writer_write(&q->w, ex);
}

/* Appends ", " before every item of the summary's list but the first. */
static void
item(struct tclog_buf *b, bool *first, const char *fmt, unsigned long n,
    const char *one, const char *many)
{
	tclog_buf_adds(b, *first ? "" : ", ");
	*first = false;
	tclog_buf_printf(b, fmt, n, n == 1 ? one : many);
}

/*
 * One line on standard error at the end: what was written (a user
 * checks it against wc -l), what was left out and why; when nothing was
 * written, that it was not and why. No exit status: nothing was bad.
 */
static void
summary(const struct qwen *q)
{
	const struct tclog_writer *w = &q->w;
	const struct tclog_prefer_counts *pc = &w->pref;
	const char *unit = pc->pairs ? "pair" : "example";
	struct tclog_buf b = { 0 };
	unsigned long partial = q->missing + q->stray;
	bool first = true;

	tclog_buf_printf(&b, "tclog-qwen: %s: ", w->format->name);
	if (w->written > 0)
		tclog_buf_printf(&b, "%lu %s%s written", w->written, unit,
		    w->written == 1 ? "" : "s");
	else
		tclog_buf_printf(&b, "no %ss written", unit);
	if (pc->prompts > 0)
		tclog_buf_printf(&b, " from %zu prompt%s", pc->prompts,
		    pc->prompts == 1 ? "" : "s");
	if (w->duplicates + partial + q->too_long + pc->contradicting +
	    pc->made_up + pc->unrated + pc->middle > 0)
		tclog_buf_adds(&b, w->written > 0 ? "; left out: " :
		    ", all left out: ");
	else if (w->written == 0 && pc->prompts == 0)
		tclog_buf_adds(&b, ": nothing in the input made an example");
	if (w->duplicates > 0)
		item(&b, &first, "%lu%s identical to an earlier one (-u)",
		    w->duplicates, "", "");
	if (partial > 0) {
		item(&b, &first, "%lu not whole response%s", partial,
		    " (-P writes it:", "s (-P writes them:");
		if (q->missing > 0)
			tclog_buf_printf(&b, " %lu with calls that have no "
			    "entry%s", q->missing, q->stray > 0 ? "," : "");
		if (q->stray > 0)
			tclog_buf_printf(&b, " %lu stray entr%s whose call is "
			    "not among its response's", q->stray,
			    q->stray == 1 ? "y" : "ies");
		tclog_buf_addc(&b, ')');
	}
	if (q->too_long > 0) {
		item(&b, &first, "%lu%s over ", q->too_long, "", "");
		tclog_buf_printf(&b, "%zu tokens (-M)", q->o.max_tokens);
	}
	if (pc->contradicting > 0)
		item(&b, &first, "%lu cop%s of an example rated 4-5 in one "
		    "place and 1-2 in another", pc->contradicting, "y", "ies");
	if (pc->made_up > 0)
		item(&b, &first, "%lu response%s to a query made up by "
		    "tclog-upgrade (-m keeps them)", pc->made_up, "", "s");
	if (pc->unrated > 0)
		item(&b, &first, "%lu response%s with an unrated entry",
		    pc->unrated, "", "s");
	if (pc->middle > 0)
		item(&b, &first, "%lu response%s rated 3", pc->middle, "", "s");
	if (pc->nopair > 0)
		tclog_buf_printf(&b, "; %lu prompt%s without both a response "
		    "rated 4 or 5 and one rated 1 or 2", pc->nopair,
		    pc->nopair == 1 ? "" : "s");
	if (pc->identical > 0)
		tclog_buf_printf(&b, "; %lu prompt%s whose best and worst "
		    "responses say the same", pc->identical,
		    pc->identical == 1 ? "" : "s");
	if (pc->made_up_kept > 0)
		tclog_buf_printf(&b, "; %lu written rest%s on a query made up "
		    "by tclog-upgrade (-m)", pc->made_up_kept,
		    pc->made_up_kept == 1 ? "s" : "");
	tclog_buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stderr);
	tclog_buf_free(&b);
}

/* ---- options ---- */

/* Sets q up from the options: optind, or TCLOG_OPT_* (diagnosed). */
static int
options(struct qwen *q, int argc, char *argv[])
{
	int ch, why;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	while ((ch = tclog_exopts_getopt(&q->o, argc, argv, OPTIONS)) >= 0) {
		switch (ch) {
		case 'f':
			if ((q->w.format = tclog_format_find(optarg)) == NULL)
				return tclog_usage_error("-f: unknown format: %s",
				    optarg);
			break;
		case 'm':
			q->w.made_up = true;
			break;
		case 'q':
			q->quiet = true;
			break;
		case 'n':
			q->o.results = false;
			break;
		case 'O':
			if (tclog_parse_size(optarg, &q->xs.result_max) != 0)
				return tclog_usage_error("-O: not "
				    TCLOG_SIZE_SYNTAX ": %s", optarg);
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	if (q->o.results && !q->w.format->results)
		return tclog_usage_error("-o: the %s format never carries "
		    "tool results", q->w.format->name);
	if ((q->o.tokenizer_path == NULL) != (q->o.max_tokens == 0))
		return tclog_usage_error("-T and -M go together");
	if (q->xs.result_max > 0 && !q->o.results)
		return tclog_usage_error("-O cuts the tool results of -o");
	if ((why = tclog_exopts_load(&q->o, argc - optind,
	    argv + optind)) != 0)
		return why;
	return optind;
}

/* Writes the examples of the inputs (argv: the operands); the exit
 * status. */
static int
run(struct qwen *q, int argc, char *argv[])
{
	struct tclog_entries *es = &q->es;
	int status;

	tclog_exopts_apply(&q->o, &q->xs, &q->w);
	q->w.emit = emit;
	q->w.ctx = q;
	/* -M counts the text of -f text, which needs objects */
	q->xs.args_objects = q->w.format->args == TCLOG_ARGS_OBJECT ||
	    q->o.tok != NULL;
	q->xs.done = example_done;
	q->xs.ctx = q;
	tclog_examples_init(&q->xs);
	tclog_entries_inputs(es, argc, argv, q->o.limit);
	while (tclog_entries_next(es, &q->status))
		tclog_examples_add(&q->xs, &es->entry, es->in.name,
		    es->in.line, &q->status);
	tclog_examples_end(&q->xs);
	tclog_writer_finish(&q->w);
	/* after the output: a failed write is no example written */
	if ((status = tclog_close_output()) == 0 && !q->quiet)
		summary(q);
	return status > q->status ? status : q->status;
}

int
main(int argc, char *argv[])
{
	struct qwen q = { .w = { .format = tclog_formats },
	    .o = { .limit = TCLOG_DEFAULT_LIMIT } };
	int first, status;

	tclog_start();
	tclog_entries_init(&q.es);
	if ((first = options(&q, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&q, argc - first, argv + first);
	tclog_examples_free(&q.xs);
	tclog_entries_free(&q.es);
	tclog_exopts_free(&q.o);
	tclog_buf_free(&q.text);
	return status;
}
