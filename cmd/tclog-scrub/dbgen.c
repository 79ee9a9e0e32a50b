/*
 * The build's generator: writes the Vectorscan database of the built-in
 * rules, and the shortest text they can match, as C that engine.c
 * includes when built with TCLOG_SCRUB_DB (see the Makefile).
 */
#include "scrub.h"

int
main(void)
{
	struct rules r = { 0 };
	struct tclog_buf why = { 0 };
	size_t bad, len;
	char *bytes;

	for (size_t i = 0; i < nbuiltin; i++) {
		add_rule(&r, builtin[i].kind, builtin[i].re, builtin[i].check);
		r.rule[i].detect = builtin[i].detect;
	}
	if (compile_db(&r, &bad, &why) != 0)
		errx(TCLOG_EXIT_FATAL, "rules: %s", tclog_buf_str(&why));
	if (hs_serialize_database(r.db, &bytes, &len) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "cannot serialise the database");
	printf("/* Made by cmd/tclog-scrub/dbgen.c. */\n"
	    "static const size_t builtin_min_width = %zu;\n"
	    "static const unsigned char builtin_db[] = {", r.min_width);
	for (size_t i = 0; i < len; i++)
		printf("%s%u,", i % 16 ? "" : "\n\t", (unsigned char)bytes[i]);
	printf("\n};\n");
	free(bytes);
	free_rules(&r);
	tclog_buf_free(&why);
	return tclog_close_output();
}
