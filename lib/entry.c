/*
 * Log entries as the commands read them: the loop that reads each record
 * of an input, parses it and diagnoses what is no record (one loop for
 * every command that reads entries), and the view of an entry, its
 * fields found in one pass and its rating, tools and made-up marks read
 * once, for the example builder, the response rule and the commands.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* The logger's fields, and where the view keeps each. */
#define FIELD(key, member) { key, sizeof(key) - 1, \
	offsetof(struct tclog_entry, member) }
static const struct {
	const char *key;
	size_t len;
	size_t off;
} fields[] = {
	FIELD("timestamp", timestamp),
	FIELD("model", model),
	FIELD("user_query", query),
	FIELD("model_response", response),
	FIELD("tool_name", tool),
	FIELD("arguments", args),
	FIELD("status", status),
	FIELD("message", message),
	FIELD("output", output),
	FIELD("error_details", details),
	FIELD("tools_enabled", tools_enabled),
	FIELD("rating", rating_field),
	FIELD("reconstructed", reconstructed),
};
#undef FIELD

void
tclog_entry_view(struct tclog_entry *e, const struct tclog_record *rec,
    struct tclog_buf *why)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < rec->nfield; i++) {
		const struct tclog_field *f = &rec->field[i];

		for (size_t j = 0; j < sizeof(fields) / sizeof(fields[0]); j++)
			if (f->key_len == fields[j].len &&
			    memcmp(f->key, fields[j].key, f->key_len) == 0) {
				*(const struct tclog_field **)((char *)e +
				    fields[j].off) = f;
				break;
			}
	}
	e->rec = rec;
	e->rating = tclog_field_rating(e->rating_field, why);
	e->why = e->rating == TCLOG_RATING_BAD && why != NULL ?
	    tclog_buf_str(why) : NULL;
	e->tools_off = tclog_tools_off(e->tools_enabled);
	e->made_up = e->reconstructed == NULL ? 0 :
	    tclog_made_up(e->reconstructed->value,
	    e->reconstructed->value_len);
}

void
tclog_entries_inputs(struct tclog_entries *es, int argc, char *argv[],
    size_t limit)
{
	tclog_inputs_init(&es->files, argc, argv);
	es->limit = limit;
}

void
tclog_entries_open(struct tclog_entries *es, int fd, const char *name,
    size_t limit)
{
	tclog_reader_init(&es->in, fd, name, limit);
	es->reading = true;
}

bool
tclog_entries_parse(struct tclog_entries *es, int *status)
{
	if (tclog_record_parse(&es->rec, es->in.text, es->in.len,
	    es->in.unterminated) == 0) {
		tclog_entry_view(&es->entry, &es->rec, &es->why);
		return true;
	}
	tclog_diag(es->in.name, es->in.line, "%s", es->rec.error);
	tclog_status_raise(status, TCLOG_EXIT_BAD);
	es->bad++;
	return false;
}

bool
tclog_entries_next(struct tclog_entries *es, int *status)
{
	for (;;) {
		if (es->reading) {
			while (tclog_reader_record(&es->in, status))
				if (tclog_entries_parse(es, status))
					return true;
			tclog_entries_close(es);
		}
		if (!tclog_inputs_next(&es->files, status))
			return false;
		tclog_entries_open(es, es->files.fd, es->files.name,
		    es->limit);
	}
}

void
tclog_entries_close(struct tclog_entries *es)
{
	es->bad += es->in.too_long;
	tclog_reader_free(&es->in);
	es->reading = false;
}

void
tclog_entries_free(struct tclog_entries *es)
{
	tclog_record_free(&es->rec);
	tclog_buf_free(&es->why);
}

void
tclog_entries_init(struct tclog_entries *es)
{
	memset(es, 0, sizeof(*es));
}
