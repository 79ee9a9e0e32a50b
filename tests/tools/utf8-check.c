/*
 * utf8-check: compares tclog_utf8_invalid, which skips ASCII a word at a
 * time, with a plain reference that decodes one character after another
 * (RFC 3629 read literally), on edge inputs (every 1- and 2-byte input,
 * 3- and 4-byte sequences around every boundary, each at offsets either
 * side of a word and of a 64-byte block) and on N random inputs built
 * from ASCII runs, characters of every length and broken sequences.
 * Each input is copied to the end of its own allocation, at an odd
 * address, so that a read past its end is caught by ASan and valgrind.
 *
 *   test-utf8-check [N [SEED]]
 *
 * Prints the count when all agree; else the first input that differs,
 * in hex, and exits 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tclog.h"

/* The offset of the first character that is not UTF-8, or len. */
static size_t
reference(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned long cp, min;
		size_t n;

		if (s[i] < 0x80) {
			i++;
			continue;
		} else if ((s[i] & 0xe0) == 0xc0) {
			n = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4, cp = s[i] & 0x07, min = 0x10000;
		} else
			return i;
		if (len - i < n)
			return i;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n;
	}
	return len;
}

struct run {
	unsigned long long checked;
	int failed;
};

static void
check(struct run *r, const unsigned char *in, size_t len)
{
	/* at the end of the allocation, one byte off an aligned address */
	unsigned char *block = malloc(len + 1), *copy = block + 1;
	size_t want, got;

	if (block == NULL) {
		perror("test-utf8-check");
		exit(2);
	}
	memcpy(copy, in, len);
	want = reference(copy, len);
	got = tclog_utf8_invalid((const char *)copy, len);
	free(block);
	r->checked++;
	if (got != want && !r->failed) {
		r->failed = 1;
		printf("differ on %zu bytes: fast %zu, reference %zu:", len, got,
		    want);
		for (size_t i = 0; i < len; i++)
			printf(" %02x", in[i]);
		putchar('\n');
	}
}

/* The piece at every offset of interest: around a word, around a
 * 64-byte block, with ASCII or a valid character after it. */
static void
check_placed(struct run *r, const unsigned char *piece, size_t n)
{
	static const size_t pad[] = { 0, 7, 8, 63, 64 };
	unsigned char buf[128];

	for (size_t p = 0; p < sizeof(pad) / sizeof(pad[0]); p++) {
		memset(buf, 'a', pad[p]);
		memcpy(buf + pad[p], piece, n);
		check(r, buf, pad[p] + n);
		buf[pad[p] + n] = 'z';
		check(r, buf, pad[p] + n + 1);
		memcpy(buf + pad[p] + n, "\xc3\xa9", 2);
		check(r, buf, pad[p] + n + 2);
	}
}

static void
edges(struct run *r)
{
	static const unsigned char tail[] = { 0x00, 0x7f, 0x80, 0xbf, 0xc0,
	    0xff };
	unsigned char b[4];

	for (unsigned a = 0; a < 256; a++) {
		b[0] = a;
		check_placed(r, b, 1);
		for (unsigned c = 0; c < 256; c++) {
			b[1] = c;
			/* a lead byte and every second byte, placed */
			if (a >= 0xc0)
				check_placed(r, b, 2);
			else
				check(r, b, 2);
			if (a < 0xe0)
				continue;
			for (size_t k = 0; k < sizeof(tail); k++) {
				b[2] = tail[k];
				check(r, b, 3);
				if (a < 0xf0)
					continue;
				for (size_t m = 0; m < sizeof(tail); m++) {
					b[3] = tail[m];
					check(r, b, 4);
				}
			}
		}
	}
}

/* splitmix64 */
static uint64_t
next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A character of n bytes, valid unless bad. */
static size_t
put_char(unsigned char *out, uint64_t *st)
{
	static const unsigned long edge[] = { 0x80, 0x7ff, 0x800, 0xd7ff,
	    0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff };
	unsigned long cp;
	uint64_t x = next(st);

	switch (x % 8) {
	case 0:
		cp = edge[(x >> 8) % (sizeof(edge) / sizeof(edge[0]))];
		break;
	case 1:
		cp = 0x80 + (x >> 8) % 0x780;
		break;
	case 2:
	case 3:
		cp = 0x800 + (x >> 8) % 0xf800;
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp -= 0x800;
		break;
	case 4:
		cp = 0x10000 + (x >> 8) % 0x100000;
		break;
	default:	/* a byte of 80-FF, of anything, or a cut character */
		out[0] = 0x80 | (x >> 8);
		if (x % 8 == 6)
			out[0] = x >> 16;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6, out[1] = 0x80 | (cp & 0x3f);
		return 2;
	} else if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12, out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18, out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f), out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static void
random_inputs(struct run *r, unsigned long count, uint64_t seed)
{
	unsigned char buf[512];

	for (unsigned long t = 0; t < count; t++) {
		size_t len = 0, want = next(&seed) % 300;
		/* mostly valid: rarely more than one error in an input */
		int errors = next(&seed) % 4 == 0;

		while (len < want) {
			uint64_t x = next(&seed);

			if (x % 3 != 0) {	/* an ASCII run */
				size_t n = (x >> 8) % 80;

				for (size_t k = 0; k < n && len < sizeof(buf); k++)
					buf[len++] = 0x20 + (x >> 16) % 95;
			} else {
				unsigned char c[4];
				size_t n = put_char(c, &seed);

				if (n == 1 && !errors)
					continue;
				if (n > 1 && errors && x % 5 == 0)
					n--;	/* cut short */
				if (len + n <= sizeof(buf)) {
					memcpy(buf + len, c, n);
					len += n;
				}
			}
		}
		check(r, buf, len);
	}
}

int
main(int argc, char **argv)
{
	struct run r = { 0, 0 };
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	unsigned long long edge_count;

	edges(&r);
	edge_count = r.checked;
	random_inputs(&r, count, seed);
	if (r.failed)
		return 1;
	printf("%llu edge and %lu random inputs: as the reference\n",
	    edge_count, count);
	return 0;
}
