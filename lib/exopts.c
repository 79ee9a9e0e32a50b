/*
 * The options of the commands that write, count or replay examples
 * (tclog-qwen, tclog-stats, tclog-eval): -k -o -P -u, the prompt (-s -S
 * -t), the token limit (-T -M) and -L, taken and loaded the same way in
 * each.
 */
#include <err.h>
#include <unistd.h>

#include "internal.h"

/* 1 when ch is one of these options (taken), 0 when not, or
 * TCLOG_OPT_USAGE after a diagnostic (-M's value). */
static int
set(struct tclog_exopts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'k':
		o->keep_json = true;
		break;
	case 'o':
		o->results = true;
		break;
	case 'P':
		o->partial = true;
		break;
	case 'u':
		o->unique = true;
		break;
	case 's':
		o->system_text = arg;
		break;
	case 'S':
		o->system_file = arg;
		break;
	case 't':
		o->tools_file = arg;
		break;
	case 'T':
		o->tokenizer_path = arg;
		break;
	case 'M':
		if (tclog_option_tokens(arg, &o->max_tokens) != 0)
			return TCLOG_OPT_USAGE;
		break;
	default:
		return 0;
	}
	return 1;
}

int
tclog_exopts_getopt(struct tclog_exopts *o, int argc, char *argv[],
    const char *optstring)
{
	int ch, taken;

	while ((ch = tclog_getopt(argc, argv, optstring, &o->limit)) >= 0)
		if ((taken = set(o, ch, optarg)) != 1)
			return taken < 0 ? taken : ch;
	return ch;
}

int
tclog_exopts_load(struct tclog_exopts *o, int argc, char *argv[])
{
	struct tclog_buf err = { 0 };

	switch (tclog_prompt_options(&o->prompt, o->system_text,
	    o->system_file, o->tools_file, o->limit, argc, argv)) {
	case -1:
		return TCLOG_OPT_USAGE;
	case -2:
		return TCLOG_OPT_FATAL;
	}
	if (o->tokenizer_path != NULL && (o->tok =
	    tclog_tokenizer_load(o->tokenizer_path, &err)) == NULL) {
		warnx("%s: %s", o->tokenizer_path, tclog_buf_str(&err));
		tclog_buf_free(&err);
		tclog_prompt_free(&o->prompt);
		return TCLOG_OPT_FATAL;
	}
	return 0;
}

void
tclog_exopts_apply(const struct tclog_exopts *o, struct tclog_examples *xs,
    struct tclog_writer *w)
{
	xs->keep_json = o->keep_json;
	w->prompt = &o->prompt;
	w->results = o->results;
	w->unique = o->unique;
}

void
tclog_exopts_free(struct tclog_exopts *o)
{
	tclog_prompt_free(&o->prompt);
	tclog_tokenizer_free(o->tok);
	o->tok = NULL;
}
