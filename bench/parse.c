/*
 * parse - the library's share of every command: the record reader and
 * the record parser (tclog_record_parse) over every line, nothing else.
 * Prints the number of good and bad records.
 *
 *   parse < log
 *
 * bench/run sets it beside bench/floor: the distance between the two is
 * what the library adds to a bare yajl parse.
 */
#include <stdio.h>
#include <unistd.h>

#include "tclog.h"

int
main(void)
{
	struct tclog_reader in;
	struct tclog_record rec;
	enum tclog_read_status st;
	unsigned long good = 0, bad = 0;

	tclog_reader_init(&in, STDIN_FILENO, TCLOG_STDIN_NAME,
	    TCLOG_DEFAULT_LIMIT);
	tclog_record_init(&rec);
	while ((st = tclog_reader_next(&in)) != TCLOG_READ_EOF) {
		if (st == TCLOG_READ_ERROR) {
			perror("read");
			return 2;
		}
		if (st == TCLOG_READ_RECORD && tclog_record_parse(&rec,
		    in.text, in.len, in.unterminated) == 0)
			good++;
		else
			bad++;
	}
	tclog_record_free(&rec);
	tclog_reader_free(&in);
	printf("%lu good, %lu bad\n", good, bad);
	return 0;
}
