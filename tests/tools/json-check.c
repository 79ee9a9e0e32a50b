/*
 * json-check: what tclog_json_check makes of each line of standard
 * input, as a value ("value") and as an object ("object"): "ok" or the
 * error, for the tests of the nested-JSON check.
 */
#include <stdio.h>
#include <unistd.h>

#include "tclog.h"

int
main(void)
{
	struct tclog_reader in;
	struct tclog_buf err = { 0 };
	enum tclog_read_status st;

	tclog_start();
	tclog_reader_init(&in, STDIN_FILENO, TCLOG_STDIN_NAME, 1 << 20);
	while ((st = tclog_reader_next(&in)) != TCLOG_READ_EOF) {
		if (st != TCLOG_READ_RECORD) {
			printf("%lu: read status %d\n", in.line, (int)st);
			continue;
		}
		printf("%lu: value: %s", in.line, tclog_json_check(in.text,
		    in.len, false, &err) == 0 ? "ok" : tclog_buf_str(&err));
		printf("; object: %s\n", tclog_json_check(in.text, in.len,
		    true, &err) == 0 ? "ok" : tclog_buf_str(&err));
	}
	tclog_reader_free(&in);
	tclog_buf_free(&err);
	return tclog_close_output();
}
