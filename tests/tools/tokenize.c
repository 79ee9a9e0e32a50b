/*
 * test-tokenize - the tokenizer of lib/ on test texts.
 *
 *	test-tokenize [-c] tokenizer.json < texts
 *
 * Reads one JSON string per line and writes the token ids of its
 * contents, separated by commas, one line each (with -c, only the
 * count). Exit 2 when the tokenizer cannot be loaded (the reason on
 * stderr) or a line is not a JSON string.
 */
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

int
main(int argc, char *argv[])
{
	struct tclog_buf err = {0}, text = {0}, out = {0};
	struct tclog_tokens tk = {.keep = true};
	struct tclog_tokenizer *t;
	struct tclog_reader r;
	bool count = false;
	int c, status = 0;

	tclog_start();
	while ((c = getopt(argc, argv, "c")) != -1) {
		if (c != 'c')
			return 2;
		count = true;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: test-tokenize [-c] tokenizer.json\n");
		return 2;
	}
	if ((t = tclog_tokenizer_load(argv[optind], &err)) == NULL) {
		fprintf(stderr, "test-tokenize: %s: %s\n", argv[optind],
		    tclog_buf_str(&err));
		tclog_buf_free(&err);
		return 2;
	}
	tclog_reader_init(&r, 0, TCLOG_STDIN_NAME, TCLOG_DEFAULT_LIMIT);
	while (tclog_reader_record(&r, &status)) {
		text.len = out.len = tk.n = 0;
		if (tclog_json_check(r.text, r.len, false, &err) < 0 ||
		    tclog_json_string(r.text, r.len, &text) < 0) {
			tclog_diag(r.name, r.line, "not a JSON string");
			status = 2;
			break;
		}
		tclog_tokenizer_encode(t, text.data, text.len, &tk);
		if (count) {
			tclog_buf_printf(&out, "%zu\n", tk.n);
		} else {
			for (size_t i = 0; i < tk.n; i++)
				tclog_buf_printf(&out, "%s%u", i ? "," : "",
				    tk.id[i]);
			tclog_buf_addc(&out, '\n');
		}
		tclog_write(out.data, out.len);
	}
	tclog_reader_free(&r);
	tclog_tokens_free(&tk);
	tclog_tokenizer_free(t);
	tclog_buf_free(&err);
	tclog_buf_free(&text);
	tclog_buf_free(&out);
	if (tclog_close_output() != 0)
		status = 2;
	return status;
}
