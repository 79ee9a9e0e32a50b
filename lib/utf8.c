/*
 * Strict UTF-8 (RFC 3629). yajl checks only the shape of multi-byte
 * sequences, so it lets through overlong forms (C0 80), UTF-16
 * surrogates written as UTF-8 (ED A0 80) and code points past U+10FFFF:
 * bytes that are no UTF-8 and that strict readers of the output reject.
 *
 * Every record goes through here after yajl's parse, so the common case
 * is what costs: ASCII is skipped a word at a time (64 bytes while none
 * has its high bit set, then 8; the first high byte of a word is found
 * by counting zeros where the compiler can), and a run of non-ASCII
 * characters is checked in one loop before going back to the words.
 * bench/README.md has the numbers; test-utf8-check compares this with a
 * character-by-character reference.
 */
#include <stdint.h>
#include <string.h>

#include "tclog.h"

#define HIGH_BITS 0x8080808080808080u

static inline uint64_t
word_at(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));	/* unaligned; compiles to one load */
	return w;
}

/* The offset past the ASCII bytes that start s[i..len). */
static inline size_t
skip_ascii(const unsigned char *s, size_t i, size_t len)
{
	for (; i + 64 <= len; i += 64) {
		const unsigned char *p = s + i;

		if (((word_at(p) | word_at(p + 8) | word_at(p + 16) |
		    word_at(p + 24) | word_at(p + 32) | word_at(p + 40) |
		    word_at(p + 48) | word_at(p + 56)) & HIGH_BITS) != 0)
			break;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t high = word_at(s + i) & HIGH_BITS;

		if (high != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* the first byte in memory is the lowest */
			return i + (size_t)__builtin_ctzll(high) / 8;
#else
			break;
#endif
		}
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

size_t
tclog_utf8_invalid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while ((i = skip_ascii(s, i, len)) < len) {
		/* a run of multi-byte characters */
		do {
			unsigned c = s[i], lo = 0x80, hi = 0xbf, more;

			if (c >= 0xc2 && c <= 0xdf)
				more = 1;
			else if (c >= 0xe0 && c <= 0xef) {
				more = 2;
				if (c == 0xe0)
					lo = 0xa0;	/* no overlong form */
				else if (c == 0xed)
					hi = 0x9f;	/* no surrogate */
			} else if (c >= 0xf0 && c <= 0xf4) {
				more = 3;
				if (c == 0xf0)
					lo = 0x90;	/* no overlong form */
				else if (c == 0xf4)
					hi = 0x8f;	/* nothing past U+10FFFF */
			} else
				return i;	/* C0, C1, F5-FF, a lone 80-BF */
			if (len - i <= more || s[i + 1] < lo || s[i + 1] > hi)
				return i;
			for (unsigned k = 2; k <= more; k++)
				if ((s[i + k] & 0xc0) != 0x80)
					return i;
			i += more + 1;
		} while (i < len && s[i] >= 0x80);
	}
	return len;
}
