/* Growing byte buffers; running out of memory is fatal (exit 2). */
#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tclog.h"

void *
tclog_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		err(TCLOG_EXIT_FATAL, "out of memory");
	return p;
}

void *
tclog_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		err(TCLOG_EXIT_FATAL, "out of memory");
	return p;
}

void
tclog_buf_grow(struct tclog_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > SIZE_MAX - b->len - 1)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	need = b->len + extra + 1;	/* room for tclog_buf_str's NUL */
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 32;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = tclog_xrealloc(b->data, cap);
	b->cap = cap;
}

void
tclog_buf_add(struct tclog_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	tclog_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
tclog_buf_adds(struct tclog_buf *b, const char *s)
{
	tclog_buf_add(b, s, strlen(s));
}

void
tclog_buf_addc(struct tclog_buf *b, char c)
{
	tclog_buf_grow(b, 1);
	b->data[b->len++] = c;
}

void
tclog_buf_printf(struct tclog_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		errx(TCLOG_EXIT_FATAL, "vsnprintf failed");
	tclog_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *
tclog_buf_str(struct tclog_buf *b)
{
	tclog_buf_grow(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

void
tclog_buf_free(struct tclog_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
