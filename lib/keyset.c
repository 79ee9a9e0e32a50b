/*
 * A set of keys for finding duplicate object keys. Records have a dozen
 * keys, so they are compared one by one; past LINEAR_MAX keys a hash
 * table takes over, so that a hostile record costs linear time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { LINEAR_MAX = 16 };

static size_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return (size_t)h;
}

static bool
same(const struct tclog_keyset *s, size_t i, const char *key, size_t len)
{
	return s->len[i] == len && (len == 0 ||
	    memcmp(tclog_keyset_key(s, i), key, len) == 0);
}

/* Finds key's slot: the one holding it, or the empty one to fill. */
static size_t *
find_slot(struct tclog_keyset *s, const char *key, size_t len)
{
	size_t i = hash(key, len) & (s->nslot - 1);

	while (s->slot[i] != 0 && !same(s, s->slot[i] - 1, key, len))
		i = (i + 1) & (s->nslot - 1);
	return &s->slot[i];
}

static void
rehash(struct tclog_keyset *s)
{
	size_t nslot = 64;

	while (nslot < 4 * s->n)
		nslot *= 2;
	if (nslot != s->nslot) {
		free(s->slot);
		s->slot = tclog_xreallocarray(NULL, nslot, sizeof(*s->slot));
		s->nslot = nslot;
	}
	memset(s->slot, 0, nslot * sizeof(*s->slot));	/* allocated: fits */
	for (size_t i = 0; i < s->n; i++)
		*find_slot(s, tclog_keyset_key(s, i), s->len[i]) = i + 1;
}

const char *
tclog_keyset_key(const struct tclog_keyset *s, size_t i)
{
	/* names.data stays NULL while every key added is "" (and adding
	 * an offset to NULL, even 0, is undefined) */
	return s->names.data != NULL ? s->names.data + s->off[i] : "";
}

void
tclog_keyset_clear(struct tclog_keyset *s)
{
	/* The table is sized by the last record's keys, so this is cheap. */
	if (s->n > LINEAR_MAX)
		memset(s->slot, 0, s->nslot * sizeof(*s->slot));
	s->n = 0;
	s->names.len = 0;
}

bool
tclog_keyset_add(struct tclog_keyset *s, const char *key, size_t len)
{
	if (tclog_keyset_find(s, key, len) != SIZE_MAX)
		return false;
	if (s->n == s->cap) {
		s->off = tclog_grow(s->off, &s->cap, s->n + 1, sizeof(*s->off));
		s->len = tclog_xreallocarray(s->len, s->cap, sizeof(*s->len));
	}
	s->off[s->n] = s->names.len;
	s->len[s->n] = len;
	tclog_buf_add(&s->names, key, len);
	s->n++;
	if (s->n == LINEAR_MAX + 1 || (s->n > LINEAR_MAX && 2 * s->n > s->nslot))
		rehash(s);
	else if (s->n > LINEAR_MAX)
		*find_slot(s, key, len) = s->n;
	return true;
}

size_t
tclog_keyset_find(struct tclog_keyset *s, const char *key, size_t len)
{
	if (s->n <= LINEAR_MAX) {
		for (size_t i = 0; i < s->n; i++)
			if (same(s, i, key, len))
				return i;
		return SIZE_MAX;
	}
	return *find_slot(s, key, len) - 1;	/* empty: 0 - 1 */
}

void
tclog_keyset_free(struct tclog_keyset *s)
{
	tclog_buf_free(&s->names);
	TCLOG_FREE_ALL(s->off, s->len, s->slot);
	memset(s, 0, sizeof(*s));
}
