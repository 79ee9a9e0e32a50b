/*
 * Memory: allocation checked for overflow and failure, arrays that grow,
 * and growing byte buffers. Running out of memory is fatal (exit 2), by
 * one path, tclog_out_of_memory.
 */
#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
tclog_out_of_memory(void)
{
	errx(TCLOG_EXIT_FATAL, "out of memory");
}

void *
tclog_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		tclog_out_of_memory();
	return p;
}

void *
tclog_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		tclog_out_of_memory();
	return p;
}

char *
tclog_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(tclog_xmalloc(n), s, n);
}

void *
tclog_xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		tclog_out_of_memory();
	return tclog_xrealloc(p, n * size);
}

void *
tclog_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		tclog_out_of_memory();
	return p;
}

void *
tclog_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	*cap = n;
	return tclog_xreallocarray(p, n, size);
}

void *
tclog_grow_zeroed(void *p, size_t *cap, size_t need, size_t size)
{
	size_t old = *cap;

	p = tclog_grow(p, cap, need, size);
	memset((char *)p + old * size, 0, (*cap - old) * size);
	return p;
}

void
tclog_buf_grow(struct tclog_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		tclog_out_of_memory();
	need = b->len + extra + 1;	/* room for tclog_buf_str's NUL */
	if (need <= b->cap)
		return;
	/* 32 bytes at least: few strings are shorter */
	b->data = tclog_grow(b->data, &b->cap, need < 32 ? 32 : need, 1);
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

void
tclog_bufs_free(struct tclog_buf *const *b, size_t n)
{
	while (n-- > 0)
		tclog_buf_free(*b++);
}

void
tclog_free_all(void *const *p, size_t n)
{
	while (n-- > 0)
		free(*p++);
}
