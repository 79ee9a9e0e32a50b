/*
 * floor - the least work any yajl-based tool does on a JSON-lines log:
 * read whole lines and give each to a fresh yajl parser that has no
 * callbacks (so yajl only lexes and validates: no string is decoded,
 * nothing is built). Prints the number of good and bad lines.
 *
 *   floor < log
 *
 * The benchmark measures the tclog commands against this loop: a
 * command can only be slower by what it does besides parsing.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include <yajl/yajl_parse.h>

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long good = 0, bad = 0;

	setvbuf(stdin, NULL, _IOFBF, 1 << 16);
	while ((len = getline(&line, &cap, stdin)) != -1) {
		yajl_handle h = yajl_alloc(NULL, NULL, NULL);
		yajl_status st;

		if (h == NULL)
			errx(2, "out of memory");
		st = yajl_parse(h, (const unsigned char *)line, (size_t)len);
		if (st == yajl_status_ok)
			st = yajl_complete_parse(h);
		if (st == yajl_status_ok)
			good++;
		else
			bad++;
		yajl_free(h);
	}
	if (ferror(stdin))
		err(2, "<stdin>: read error");
	free(line);
	printf("%lu good, %lu bad\n", good, bad);
	return 0;
}
