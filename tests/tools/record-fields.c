/*
 * record-fields: shows what tclog_record_parse makes of each line, for
 * the tests of the record parser: per record its fields as
 * "key<TAB>type<TAB>raw value", or the error.
 */
#include <stdio.h>
#include <unistd.h>

#include "tclog.h"

static const char *const type_name[] = { "null", "bool", "number",
    "string", "array", "object" };

int
main(void)
{
	struct tclog_reader in;
	struct tclog_record rec;
	struct tclog_buf decoded = { 0 };
	enum tclog_read_status st;

	tclog_start();
	tclog_reader_init(&in, STDIN_FILENO, TCLOG_STDIN_NAME, 1 << 20);
	tclog_record_init(&rec);
	while ((st = tclog_reader_next(&in)) != TCLOG_READ_EOF) {
		if (st != TCLOG_READ_RECORD) {
			printf("%lu: read status %d\n", in.line, (int)st);
			continue;
		}
		if (tclog_record_parse(&rec, in.text, in.len,
		    in.unterminated) != 0) {
			printf("%lu: error: %s\n", in.line, rec.error);
			continue;
		}
		printf("%lu: %zu fields\n", in.line, rec.nfield);
		for (size_t i = 0; i < rec.nfield; i++) {
			const struct tclog_field *f = &rec.field[i];
			enum tclog_json_type t = tclog_json_type(f->value,
			    f->value_len);

			printf("\t%.*s\t%s\t[%.*s]", (int)f->key_len, f->key,
			    type_name[t], (int)f->value_len, f->value);
			decoded.len = 0;
			if (t == TCLOG_JSON_STRING &&
			    tclog_json_string(f->value, f->value_len,
			    &decoded) == 0)
				printf("\tdecoded [%.*s]", (int)decoded.len,
				    decoded.data);
			printf("\n");
		}
	}
	tclog_record_free(&rec);
	tclog_reader_free(&in);
	tclog_buf_free(&decoded);
	return tclog_close_output();
}
