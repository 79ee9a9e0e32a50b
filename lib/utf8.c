/*
 * Strict UTF-8 (RFC 3629). yajl checks only the shape of multi-byte
 * sequences, so it lets through overlong forms (C0 80), UTF-16
 * surrogates written as UTF-8 (ED A0 80) and code points past U+10FFFF:
 * bytes that are no UTF-8 and that strict readers of the output reject.
 */
#include <stdint.h>
#include <string.h>

#include "tclog.h"

size_t
tclog_utf8_invalid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf, more;

		/* ASCII, 32 bytes at a time: most of any log */
		if (c < 0x80) {
			while (len - i >= 32) {
				uint64_t w[4];

				memcpy(w, s + i, 32);
				if (((w[0] | w[1] | w[2] | w[3]) &
				    0x8080808080808080u) != 0)
					break;
				i += 32;
			}
			while (i < len && s[i] < 0x80)
				i++;
			continue;
		}
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
			return i;
		if (len - i <= more || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (unsigned k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return i;
		i += more + 1;
	}
	return len;
}
