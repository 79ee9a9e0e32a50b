/*
 * A set of 128-bit digests, to recognise byte strings seen before
 * without keeping them: 16 bytes per distinct string, in an open
 * addressing table kept at most half full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One 64-bit hash; two seeds give two independent halves. */
static uint64_t
hash64(const unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t h = tclog_mix64(seed ^ (uint64_t)n), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = tclog_mix64(h ^ w ^ seed) + (h << 7);
	}
	w = 0;
	memcpy(&w, p, n);
	return tclog_mix64(h ^ w ^ (seed + n));
}

static unsigned long long *
find(unsigned long long *slot, size_t nslot, uint64_t a, uint64_t b)
{
	size_t i = (size_t)a & (nslot - 1);

	while ((slot[2 * i] | slot[2 * i + 1]) != 0 &&
	    (slot[2 * i] != a || slot[2 * i + 1] != b))
		i = (i + 1) & (nslot - 1);
	return &slot[2 * i];
}

static void
grow(struct tclog_digestset *s)
{
	size_t nslot = s->nslot ? s->nslot * 2 : 1024;
	unsigned long long *slot = tclog_xcalloc(nslot, 2 * sizeof(*slot));

	for (size_t i = 0; i < s->nslot; i++) {
		uint64_t a = s->slot[2 * i], b = s->slot[2 * i + 1];

		if ((a | b) != 0) {
			unsigned long long *to = find(slot, nslot, a, b);

			to[0] = a;
			to[1] = b;
		}
	}
	free(s->slot);
	s->slot = slot;
	s->nslot = nslot;
}

void
tclog_digest(const void *p, size_t n, unsigned long long d[2])
{
	d[0] = hash64(p, n, 0x9e3779b97f4a7c15u);
	d[1] = hash64(p, n, 0xd1b54a32d192ed03u);
	if ((d[0] | d[1]) == 0)
		d[0] = 1;	/* all zero marks an empty slot */
}

bool
tclog_digestset_put(struct tclog_digestset *s, const unsigned long long d[2])
{
	unsigned long long *at;

	if (2 * (s->n + 1) > s->nslot)
		grow(s);
	at = find(s->slot, s->nslot, d[0], d[1]);
	if ((at[0] | at[1]) != 0)
		return false;
	at[0] = d[0];
	at[1] = d[1];
	s->n++;
	return true;
}

bool
tclog_digestset_has(const struct tclog_digestset *s,
    const unsigned long long d[2])
{
	unsigned long long *at;

	if (s->nslot == 0)
		return false;
	at = find(s->slot, s->nslot, d[0], d[1]);
	return (at[0] | at[1]) != 0;
}

bool
tclog_digestset_add(struct tclog_digestset *s, const void *p, size_t n)
{
	unsigned long long d[2];

	tclog_digest(p, n, d);
	return tclog_digestset_put(s, d);
}

void
tclog_digestset_free(struct tclog_digestset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
