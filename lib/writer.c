/*
 * The writer of examples that every format goes through: -u's memory of
 * the examples written, the count of lines, the scratch buffers, and the
 * format's finish hook at the end.
 */
#include "internal.h"

bool
tclog_writer_unique(struct tclog_writer *w, const struct tclog_example *ex)
{
	unsigned long long d[2];

	if (!w->unique)
		return true;
	tclog_example_digest(w->prompt, ex, w->results, &w->key, d, NULL,
	    NULL);
	if (tclog_digestset_put(&w->seen, d))
		return true;
	w->duplicates++;
	return false;
}

void
tclog_writer_write(struct tclog_writer *w, const struct tclog_example *ex)
{
	w->line.len = 0;
	/* the preference forms judge first, then ask tclog_writer_unique */
	if (w->format->finish == NULL && !tclog_writer_unique(w, ex))
		return;
	w->format->write(w, ex);
}

void
tclog_writer_emit(struct tclog_writer *w)
{
	w->written++;
	w->emit(w->ctx, w->line.data, w->line.len);
	w->line.len = 0;
}

void
tclog_writer_finish(struct tclog_writer *w)
{
	if (w->format->finish != NULL)
		w->format->finish(w);
	TCLOG_BUFS_FREE(&w->line, &w->nested, &w->text, &w->key);
	tclog_digestset_free(&w->seen);
}
