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
 *
 * Then tclog_visible: log text as a terminal may show it, for the review
 * view and for diagnostics that quote a log.
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

/* ---- text made safe for a terminal ---- */

/*
 * The length of the UTF-8 character at s (n bytes left) when it is one
 * that drives a terminal or reorders what it shows: a C1 control
 * (U+0080-U+009F: CSI, OSC) or a bidirectional override or isolate
 * (U+202A-U+202E, U+2066-U+2069); else 0. *cp is set to it.
 */
static size_t
hidden_char(const unsigned char *s, size_t n, unsigned *cp)
{
	if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*cp = s[1];
		return 2;
	}
	if (n >= 3 && s[0] == 0xe2 && ((s[1] == 0x80 && s[2] >= 0xaa &&
	    s[2] <= 0xae) || (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9))) {
		*cp = 0x2000u | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
		return 3;
	}
	return 0;
}

/* Control characters shown as ^X and those of hidden_char as <U+XXXX>,
 * so that a log cannot drive the terminal or reorder what it shows. */
void
tclog_visible(struct tclog_buf *b, const char *s, size_t n,
    const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		size_t len;

		if (c >= 0xc2 && (len = hidden_char((const unsigned char *)s +
		    i, n - i, &cp)) > 0) {
			tclog_buf_printf(b, "<U+%04X>", cp);
			i += len - 1;
		} else if (indent != NULL && c == '\n' && i + 1 < n) {
			tclog_buf_addc(b, '\n');
			tclog_buf_adds(b, indent);
		} else if (indent != NULL && (c == '\n' || c == '\t')) {
			if (c == '\t')
				tclog_buf_addc(b, '\t');
		} else if (c < 0x20 || c == 0x7f) {
			tclog_buf_addc(b, '^');
			tclog_buf_addc(b, c == 0x7f ? '?' : (char)(c + '@'));
		} else
			tclog_buf_addc(b, (char)c);
	}
}
