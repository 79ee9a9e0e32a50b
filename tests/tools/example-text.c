/*
 * example-text: the parts of tclog_example_text's rendering of each whole
 * example of a log read on standard input, for the template test: one
 * JSON line each, {"prompt": P, "completion": C, "rest": R}, where P is
 * the text before the completion offset, C the assistant's turn up to
 * the completion's end, R what follows (the results with -o).
 *
 *	test-example-text [-k] [-o] [-s text] [-t tools.json]
 */
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct state {
	const struct tclog_prompt *prompt;
	bool results;
	struct tclog_buf text, line;
};

static void
show(void *ctx, const struct tclog_example *ex)
{
	struct state *st = ctx;
	size_t completion, end;

	if (!tclog_example_whole(ex))
		return;
	st->text.len = st->line.len = 0;
	tclog_example_text(st->prompt, ex, st->results, &st->text, &completion,
	    &end);
	tclog_buf_adds(&st->line, "{\"prompt\":");
	tclog_json_put_string(&st->line, st->text.data, completion);
	tclog_buf_adds(&st->line, ",\"completion\":");
	tclog_json_put_string(&st->line, st->text.data + completion,
	    end - completion);
	tclog_buf_adds(&st->line, ",\"rest\":");
	tclog_json_put_string(&st->line, st->text.data + end,
	    st->text.len - end);
	tclog_buf_adds(&st->line, "}\n");
	tclog_write(st->line.data, st->line.len);
}

int
main(int argc, char *argv[])
{
	struct tclog_prompt prompt = { 0 };
	struct state st = { .prompt = &prompt };
	struct tclog_examples xs = { .args_objects = true, .done = show,
	    .ctx = &st };
	struct tclog_reader in;
	struct tclog_record rec;
	int ch, status = 0;

	tclog_start();
	while ((ch = getopt(argc, argv, "kos:t:")) != -1) {
		switch (ch) {
		case 'k':
			xs.keep_json = true;
			break;
		case 'o':
			st.results = true;
			break;
		case 's':
			if (tclog_prompt_system(&prompt, optarg) != 0)
				return TCLOG_EXIT_FATAL;
			break;
		case 't':
			if (tclog_prompt_tools(&prompt, optarg,
			    TCLOG_DEFAULT_LIMIT) != 0)
				return TCLOG_EXIT_FATAL;
			break;
		default:
			return TCLOG_EXIT_FATAL;
		}
	}
	tclog_examples_init(&xs);
	tclog_record_init(&rec);
	tclog_reader_init(&in, STDIN_FILENO, TCLOG_STDIN_NAME,
	    TCLOG_DEFAULT_LIMIT);
	while (tclog_reader_record(&in, &status))
		if (tclog_record_parse(&rec, in.text, in.len,
		    in.unterminated) == 0)
			tclog_examples_entry(&xs, &rec, in.name, in.line,
			    &status);
	tclog_examples_end(&xs);
	tclog_examples_free(&xs);
	tclog_reader_free(&in);
	tclog_record_free(&rec);
	tclog_prompt_free(&prompt);
	tclog_buf_free(&st.text);
	tclog_buf_free(&st.line);
	return tclog_close_output();
}
