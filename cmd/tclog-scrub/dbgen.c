/*
 * The build's generator: writes the Vectorscan databases of the built-in
 * rules (one for this machine, one for any x86-64: see load_db), and the
 * shortest text they can match, as C that engine.c includes when built
 * with TCLOG_SCRUB_DB (see the Makefile).
 */
#include "scrub.h"

/* The database compiled for platform, as the array name. */
static void
put_db(const char *name, const hs_platform_info_t *platform, bool width)
{
	struct rules r = { 0 };
	struct tclog_buf why = { 0 };
	size_t bad, len;
	char *bytes;

	for (size_t i = 0; i < nbuiltin; i++) {
		add_rule(&r, builtin[i].kind, builtin[i].re, builtin[i].check);
		r.rule[i].detect = builtin[i].detect;
	}
	if (compile_db(&r, platform, &bad, &why) != 0)
		errx(TCLOG_EXIT_FATAL, "rules: %s", tclog_buf_str(&why));
	if (hs_serialize_database(r.db, &bytes, &len) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "cannot serialise the database");
	if (width)
		printf("static const size_t builtin_min_width = %zu;\n",
		    r.min_width);
	printf("static const unsigned char %s[] = {", name);
	for (size_t i = 0; i < len; i++)
		printf("%s%u,", i % 16 ? "" : "\n\t", (unsigned char)bytes[i]);
	printf("\n};\n");
	free(bytes);
	free_rules(&r);
	tclog_buf_free(&why);
}

int
main(void)
{
	const hs_platform_info_t generic = { .tune = HS_TUNE_FAMILY_GENERIC };

	printf("/* Made by cmd/tclog-scrub/dbgen.c. */\n");
	put_db("builtin_db", NULL, true);
	put_db("builtin_db_generic", &generic, false);
	return tclog_close_output();
}
