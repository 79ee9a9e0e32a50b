/*
 * The prompt that precedes every example's query: the system prompt
 * (-s, -S) and the tools (-t) of tclog-qwen, tclog-stats and the other
 * commands that write or count examples, read and checked once.
 */
#include <err.h>
#include <string.h>

#include "internal.h"

/* Whether s is valid UTF-8 (so that it can go into JSON strings). */
static bool
is_utf8(const struct tclog_buf *b)
{
	return tclog_utf8_invalid(b->data, b->len) == b->len;
}

int
tclog_prompt_system(struct tclog_prompt *p, const char *text)
{
	p->has_system = true;
	p->system.len = 0;
	tclog_buf_adds(&p->system, text);
	if (!is_utf8(&p->system)) {
		warnx("-s: not valid UTF-8");
		return -1;
	}
	return 0;
}

int
tclog_prompt_system_file(struct tclog_prompt *p, const char *path,
    size_t limit)
{
	p->has_system = true;
	if (tclog_read_text(path, &p->system, limit) != 0)
		return -1;
	/* A file's last line ends in a newline that is not part of the
	 * prompt. */
	if (p->system.len > 0 && p->system.data[p->system.len - 1] == '\n')
		p->system.len--;
	if (!is_utf8(&p->system)) {
		warnx("%s: not valid UTF-8", tclog_input_name(path));
		return -1;
	}
	return 0;
}

int
tclog_prompt_tools(struct tclog_prompt *p, const char *path, size_t limit)
{
	struct tclog_buf err = { 0 };
	struct tclog_json_iter it;
	const char *tool, *type, *fn, *name;
	size_t len, type_len, fn_len, name_len, n = 0;
	const char *file = tclog_input_name(path);
	int ret = -1;

	p->has_tools = true;
	if (tclog_read_text(path, &p->tools, limit) != 0)
		return -1;
	if (tclog_json_check(p->tools.data, p->tools.len, false, &err) != 0) {
		warnx("%s: invalid JSON: %s (-t takes a JSON array of tools)",
		    file, tclog_buf_str(&err));
		goto done;
	}
	tool = p->tools.data;
	len = p->tools.len;
	tclog_json_trim(&tool, &len);
	memmove(p->tools.data, tool, len);
	p->tools.len = len;
	if (tclog_json_type(p->tools.data, p->tools.len) != TCLOG_JSON_ARRAY) {
		warnx("%s: not a JSON array of tools", file);
		goto done;
	}
	if (tclog_json_depth(p->tools.data, p->tools.len) > TCLOG_ARGS_DEPTH) {
		warnx("%s: nested deeper than %d levels", file,
		    TCLOG_ARGS_DEPTH);
		goto done;
	}
	tclog_json_iter_init(&it, p->tools.data, p->tools.len);
	while (tclog_json_next_element(&it, &tool, &len)) {
		n++;
		if (tclog_json_type(tool, len) != TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: not a JSON object", file, n);
			goto done;
		}
		type = tclog_json_member(tool, len, "type", &type_len);
		if (type == NULL || !tclog_json_equal(type, type_len,
		    "\"function\"", 10)) {
			warnx("%s: tool %zu: \"type\" is not \"function\"", file,
			    n);
			goto done;
		}
		fn = tclog_json_member(tool, len, "function", &fn_len);
		if (fn == NULL || tclog_json_type(fn, fn_len) !=
		    TCLOG_JSON_OBJECT) {
			warnx("%s: tool %zu: no \"function\" object", file, n);
			goto done;
		}
		name = tclog_json_member(fn, fn_len, "name", &name_len);
		if (name == NULL || tclog_json_type(name, name_len) !=
		    TCLOG_JSON_STRING) {
			warnx("%s: tool %zu: the function has no \"name\" string",
			    file, n);
			goto done;
		}
	}
	ret = 0;
done:
	tclog_buf_free(&err);
	return ret;
}

void
tclog_prompt_free(struct tclog_prompt *p)
{
	tclog_buf_free(&p->system);
	tclog_buf_free(&p->tools);
}

int
tclog_prompt_options(struct tclog_prompt *p, const char *system_text,
    const char *system_file, const char *tools_file, size_t limit, int argc,
    char *argv[])
{
	if (system_text != NULL && system_file != NULL) {
		warnx("-s and -S exclude each other");
		return -1;
	}
	/* standard input feeds one of the log, -S and -t */
	if (system_file != NULL && tools_file != NULL &&
	    strcmp(system_file, "-") == 0 && strcmp(tools_file, "-") == 0) {
		warnx("-S - and -t - cannot both read standard input");
		return -1;
	}
	if ((system_file != NULL &&
	    tclog_inputs_leave_stdin('S', system_file, argc, argv) != 0) ||
	    (tools_file != NULL &&
	    tclog_inputs_leave_stdin('t', tools_file, argc, argv) != 0))
		return -1;
	if ((system_text != NULL && tclog_prompt_system(p, system_text) != 0) ||
	    (system_file != NULL &&
	    tclog_prompt_system_file(p, system_file, limit) != 0) ||
	    (tools_file != NULL && tclog_prompt_tools(p, tools_file, limit) != 0)) {
		tclog_prompt_free(p);
		return -2;
	}
	return 0;
}

bool
tclog_prompt_tools_for(const struct tclog_prompt *p,
    const struct tclog_example *ex)
{
	return p->has_tools && !ex->tools_off;
}
