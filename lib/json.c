/*
 * Tools for JSON text that yajl has already validated: its syntax is
 * known to be right, so these only find their way through it.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "internal.h"

static const char *skip_value(const char *p, const char *end);

void
tclog_json_trim(const char **text, size_t *len)
{
	while (*len > 0 && tclog_json_is_space(**text)) {
		(*text)++;
		(*len)--;
	}
	while (*len > 0 && tclog_json_is_space((*text)[*len - 1]))
		(*len)--;
}

enum tclog_json_type
tclog_json_type(const char *value, size_t len)
{
	switch (len ? value[0] : 'n') {
	case 'n':
		return TCLOG_JSON_NULL;
	case 't': case 'f':
		return TCLOG_JSON_BOOL;
	case '"':
		return TCLOG_JSON_STRING;
	case '[':
		return TCLOG_JSON_ARRAY;
	case '{':
		return TCLOG_JSON_OBJECT;
	default:
		return TCLOG_JSON_NUMBER;
	}
}

bool
tclog_json_is_true(const char *value, size_t len)
{
	return len == 4 && memcmp(value, "true", 4) == 0;
}

bool
tclog_json_is_empty_string(const char *value, size_t len)
{
	return len == 2 && value[0] == '"';
}

int
tclog_json_integer(const char *value, size_t len, long long *n)
{
	char digits[32], *end;

	if (len == 0 || len >= sizeof(digits) ||
	    tclog_json_type(value, len) != TCLOG_JSON_NUMBER ||
	    memchr(value, '.', len) || memchr(value, 'e', len) ||
	    memchr(value, 'E', len))
		return -1;
	memcpy(digits, value, len);
	digits[len] = '\0';
	errno = 0;
	*n = strtoll(digits, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

void
tclog_json_excerpt(struct tclog_buf *b, const char *value, size_t len)
{
	size_t shown = len;

	if (shown > TCLOG_EXCERPT_MAX) {
		shown = TCLOG_EXCERPT_MAX;
		while (shown > 0 && ((unsigned char)value[shown] & 0xc0) ==
		    0x80)
			shown--;
	}
	tclog_visible(b, value, shown, NULL);
	if (shown < len)
		tclog_buf_adds(b, "...");
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' :
		    (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Writes cp as UTF-8 at d; returns the bytes written. */
static size_t
put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned u_escape_styles(const char *);

/* tclog_json_string; with styles, also which puts write each escape of
 * value as it stands. Inlined into its two callers, so that the plain
 * decoding tests nothing more. */
static inline __attribute__((always_inline)) int
decode_string(const char *value, size_t len, struct tclog_buf *out,
    unsigned *styles)
{
	const char *p, *end;
	char *d;

	if (len < 2 || value[0] != '"')
		return -1;
	/* Decoded text is never longer than its escapes: room for it all
	 * at once, written in place. out->data is never NULL after this,
	 * even for "": callers may do pointer arithmetic on it. */
	tclog_buf_grow(out, len);
	d = out->data + out->len;
	p = value + 1;
	end = value + len - 1;	/* the closing quote */
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		unsigned cp;

		if (bs == NULL)
			bs = end;
		memcpy(d, p, (size_t)(bs - p));
		d += bs - p;
		if (bs == end)
			break;
		p = bs + 2;
		switch (bs[1]) {
		case 'b': *d++ = '\b'; continue;
		case 'f': *d++ = '\f'; continue;
		case 'n': *d++ = '\n'; continue;
		case 'r': *d++ = '\r'; continue;
		case 't': *d++ = '\t'; continue;
		case 'u': break;
		case '/':	/* no put writes \/ */
			if (styles != NULL)
				*styles = 0;
			*d++ = '/';
			continue;
		default: *d++ = bs[1]; continue;	/* " \ */
		}
		if (styles != NULL)
			*styles &= u_escape_styles(bs);
		cp = hex4(p);
		p += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 &&
		    p[0] == '\\' && p[1] == 'u') {
			unsigned lo = hex4(p + 2);

			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
		}
		if (cp >= 0xd800 && cp < 0xe000)
			cp = 0xfffd;	/* a lone surrogate is no character */
		d += put_utf8(d, cp);
	}
	out->len = (size_t)(d - out->data);
	return 0;
}

int
tclog_json_string(const char *value, size_t len, struct tclog_buf *out)
{
	return decode_string(value, len, out, NULL);
}

/* True when raw holds U+2028 or U+2029 as it is, which Go escapes. */
static bool
has_line_separator(const char *raw, size_t n)
{
	const char *e = raw, *end = raw + n;

	while ((e = memchr(e, 0xe2, (size_t)(end - e))) != NULL) {
		if (end - e >= 3 && (unsigned char)e[1] == 0x80 &&
		    ((unsigned char)e[2] & 0xfe) == 0xa8)
			return true;
		e++;
	}
	return false;
}

int
tclog_json_string_styles(const char *value, size_t len,
    struct tclog_buf *out, unsigned *styles)
{
	*styles = TCLOG_JSON_STYLE_JSON | TCLOG_JSON_STYLE_GO;
	if (decode_string(value, len, out, styles) != 0)
		return -1;
	if ((*styles & TCLOG_JSON_STYLE_GO) && has_line_separator(value, len))
		*styles &= ~(unsigned)TCLOG_JSON_STYLE_GO;
	return 0;
}

void
tclog_yajl_message(void *handle, const char *text, size_t len,
    struct tclog_buf *out)
{
	unsigned char *msg = yajl_get_error(handle, 0,
	    (const unsigned char *)text, len);
	size_t n = strlen((char *)msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		n--;
	tclog_buf_add(out, msg, n);
	yajl_free_error(handle, msg);
}

/* Whether yajl takes the whole text: one value, or with multiple any
 * number of them; when not, its message is added to err (if not NULL). */
static bool
yajl_takes(const char *text, size_t len, bool multiple,
    struct tclog_buf *err)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	yajl_status st;

	if (h == NULL)
		tclog_out_of_memory();
	yajl_config(h, yajl_allow_multiple_values, multiple);
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && err != NULL)
		tclog_yajl_message(h, text, len, err);
	yajl_free(h);
	return st == yajl_status_ok;
}

int
tclog_json_check(const char *text, size_t len, bool want_object,
    struct tclog_buf *err)
{
	size_t i;

	err->len = 0;
	if (!yajl_takes(text, len, false, err))
		return -1;
	if ((i = tclog_json_bad_space(text, len)) < len) {
		tclog_buf_adds(err, TCLOG_BAD_SPACE(text[i]));
		return -1;
	}
	i = 0;
	while (i < len && tclog_json_is_space(text[i]))
		i++;
	if (want_object && (i == len || text[i] != '{')) {
		tclog_buf_adds(err, "not a JSON object");
		return -1;
	}
	if (tclog_json_trailing(text, len,
	    (size_t)(skip_value(text + i, text + len) - text)) < len) {
		tclog_buf_adds(err, TCLOG_TRAILING_GARBAGE);
		return -1;
	}
	return 0;
}

size_t
tclog_json_bad_space(const char *text, size_t len)
{
	const char *f = memchr(text, '\f', len);
	const char *v = memchr(text, '\v', f != NULL ? (size_t)(f - text) :
	    len);

	return v != NULL ? (size_t)(v - text) : f != NULL ?
	    (size_t)(f - text) : len;
}

size_t
tclog_json_trailing(const char *text, size_t len, size_t end)
{
	while (end < len && tclog_json_is_space(text[end]))
		end++;
	return end;
}

/* Past the string whose opening quote is at p. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		size_t bs = 0;

		if (q == NULL)
			return end;
		while (q - bs > p && q[-(ptrdiff_t)bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return q + 1;
		p = q + 1;
	}
}

/* Past the value that starts at p. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			depth--;
			break;
		default:
			if (depth == 0) {	/* a bare scalar */
				while (p < end && !tclog_json_is_space(*p) &&
				    *p != ',' && *p != ']' && *p != '}' &&
				    *p != '"')
					p++;
				return p;
			}
		}
		p++;
	} while (depth > 0 && p < end);
	return p;
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && tclog_json_is_space(*p))
		p++;
	return p;
}

bool
tclog_json_containers(const char *text, size_t len)
{
	const char *end, *p;

	if (len == 0)	/* text may be NULL: an empty buffer's data */
		return false;
	end = text + len;
	p = skip_space(text, end);
	if (p == end || !yajl_takes(text, len, true, NULL) ||
	    tclog_json_bad_space(text, len) < len)
		return false;
	/* yajl took it: the values can be walked by their text */
	for (; p < end; p = skip_space(skip_value(p, end), end))
		if (*p != '{' && *p != '[')
			return false;
	return true;
}

void
tclog_json_iter_init(struct tclog_json_iter *it, const char *value,
    size_t len)
{
	it->p = value + 1;	/* past [ or { */
	it->end = value + len;
}

bool
tclog_json_next_element(struct tclog_json_iter *it, const char **value,
    size_t *len)
{
	const char *p = skip_space(it->p, it->end);

	if (p < it->end && *p == ',')
		p = skip_space(p + 1, it->end);
	if (p >= it->end || *p == ']' || *p == '}') {
		it->p = it->end;
		return false;
	}
	*value = p;
	it->p = skip_value(p, it->end);
	*len = (size_t)(it->p - p);
	return true;
}

bool
tclog_json_next_member(struct tclog_json_iter *it, const char **key,
    size_t *key_len, const char **value, size_t *value_len)
{
	const char *p;

	if (!tclog_json_next_element(it, key, key_len))
		return false;
	p = skip_space(it->p, it->end);	/* at the colon */
	p = skip_space(p + 1, it->end);
	*value = p;
	it->p = skip_value(p, it->end);
	*value_len = (size_t)(it->p - p);
	return true;
}

bool
tclog_json_key_is(const char *key, size_t len, const char *name)
{
	size_t n = strlen(name);
	struct tclog_buf decoded = { 0 };
	bool same;

	/* An escape never makes a string longer than its text. */
	if (len < 2 || len - 2 < n)
		return false;
	if (memchr(key + 1, '\\', len - 2) == NULL)
		return len == n + 2 && memcmp(key + 1, name, n) == 0;
	/* rare: escapes in a key */
	same = tclog_json_string(key, len, &decoded) == 0 &&
	    decoded.len == n && (n == 0 || memcmp(decoded.data, name, n) == 0);
	tclog_buf_free(&decoded);
	return same;
}

/*
 * Appends the escape of the character at s[0] (of n bytes left) and
 * returns how many bytes it stands for; 0 when it needs none after all.
 */
static size_t
put_escape(struct tclog_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[0];
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"': tclog_buf_add(b, "\\\"", 2); return 1;
	case '\\': tclog_buf_add(b, "\\\\", 2); return 1;
	case '\b': tclog_buf_add(b, "\\b", 2); return 1;
	case '\f': tclog_buf_add(b, "\\f", 2); return 1;
	case '\n': tclog_buf_add(b, "\\n", 2); return 1;
	case '\r': tclog_buf_add(b, "\\r", 2); return 1;
	case '\t': tclog_buf_add(b, "\\t", 2); return 1;
	case 0xe2:	/* U+2028, U+2029 are E2 80 A8, E2 80 A9 */
		if (n < 3 || (unsigned char)s[1] != 0x80 ||
		    ((unsigned char)s[2] & 0xfe) != 0xa8)
			return 0;
		tclog_buf_add(b, s[2] == (char)0xa8 ? "\\u2028" : "\\u2029", 6);
		return 3;
	default:	/* <, >, & and the other control characters */
		tclog_buf_add(b, u, sizeof(u));
		return 1;
	}
}

/* Which bytes put_string escapes: bit 1 in JSON, bit 2 also in Go's
 * HTML-safe style. One load and test per byte on the hot path. */
enum { ESCAPE_JSON = 1, ESCAPE_GO = 2, ESCAPE_BOTH = 3 };
#define ESCAPE_8 ESCAPE_BOTH, ESCAPE_BOTH, ESCAPE_BOTH, ESCAPE_BOTH, \
	ESCAPE_BOTH, ESCAPE_BOTH, ESCAPE_BOTH, ESCAPE_BOTH
static const unsigned char escape_class[256] = {
	ESCAPE_8, ESCAPE_8, ESCAPE_8, ESCAPE_8,	/* control characters */
	['"'] = ESCAPE_BOTH, ['\\'] = ESCAPE_BOTH,
	['<'] = ESCAPE_GO, ['>'] = ESCAPE_GO, ['&'] = ESCAPE_GO,
	[0xe2] = ESCAPE_GO	/* maybe U+2028 or U+2029 */
};
#undef ESCAPE_8

/*
 * Appends s as a JSON string; go_style also escapes what Go's
 * encoding/json does for HTML safety: <, >, & and U+2028, U+2029.
 * Inlined into its two callers so that each scan is specialised: this is
 * the converter's hot path.
 */
static inline __attribute__((always_inline)) void
put_text(struct tclog_buf *b, const char *s, size_t n, bool go_style)
{
	const unsigned char mask = go_style ? ESCAPE_GO : ESCAPE_JSON;
	size_t run = 0;	/* s[run..i) is still to be copied as it is */

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t len;

		if ((escape_class[c] & mask) == 0)
			continue;
		tclog_buf_add(b, s + run, i - run);
		if ((len = put_escape(b, s + i, n - i)) == 0) {
			run = i;	/* a plain 0xe2: copied with the rest */
			continue;
		}
		i += len - 1;
		run = i + 1;
	}
	if (run < n)	/* s may be NULL when n is 0 (an empty buffer) */
		tclog_buf_add(b, s + run, n - run);
}

static inline __attribute__((always_inline)) void
put_string(struct tclog_buf *b, const char *s, size_t n, bool go_style)
{
	tclog_buf_grow(b, n + 2);
	tclog_buf_addc(b, '"');
	put_text(b, s, n, go_style);
	tclog_buf_addc(b, '"');
}

void
tclog_json_put_string(struct tclog_buf *b, const char *s, size_t n)
{
	put_string(b, s, n, false);
}

void
tclog_json_put_go_string(struct tclog_buf *b, const char *s, size_t n)
{
	put_string(b, s, n, true);
}

void
tclog_json_put_string_text(struct tclog_buf *b, const char *s, size_t n,
    bool go_style)
{
	if (go_style)
		put_text(b, s, n, true);
	else
		put_text(b, s, n, false);
}

/* The styles (TCLOG_JSON_STYLE_*) whose put writes the character
 * decoded from the \u escape at p as that very escape; none writes
 * \u0022 (but \"), \u00e9 (but its UTF-8) or \u003C (but \u003c). */
static unsigned
u_escape_styles(const char *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned v = hex4(p + 2), styles;
	char want[4] = { '0', '0', hex[v >> 4 & 15], hex[v & 15] };

	switch (v) {
	case '"': case '\\': case '\b': case '\f': case '\n': case '\r':
	case '\t':
		return 0;	/* written \" \\ \b ... */
	case 0x2028: case 0x2029:
		memcpy(want, v == 0x2028 ? "2028" : "2029", 4);
		styles = TCLOG_JSON_STYLE_GO;
		break;
	default:
		if (v >= 0x80)
			return 0;	/* written as it is */
		styles = ((escape_class[v] & ESCAPE_JSON) ?
		    TCLOG_JSON_STYLE_JSON : 0) |
		    ((escape_class[v] & ESCAPE_GO) ? TCLOG_JSON_STYLE_GO : 0);
	}
	return memcmp(p + 2, want, 4) == 0 ? styles : 0;
}

bool
tclog_json_string_is_canonical(const char *raw, size_t n, bool go_style)
{
	const char *p = raw + 1, *end = raw + n - 1;
	unsigned style = go_style ? TCLOG_JSON_STYLE_GO : TCLOG_JSON_STYLE_JSON;

	if (go_style && has_line_separator(raw, n))
		return false;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		switch (p[1]) {
		case '"': case '\\': case 'b': case 'f': case 'n': case 'r':
		case 't':
			p += 2;
			continue;
		case 'u':
			if ((u_escape_styles(p) & style) == 0)
				return false;
			p += 6;
			continue;
		default:	/* \/ */
			return false;
		}
	}
	return true;
}

bool
tclog_json_canonical_seek(const char **p, const char *end, size_t *at,
    size_t to)
{
	while (*at < to) {
		/* an escape before to? (looking no further keeps a string
		 * with many findings linear) */
		size_t want = to - *at, left = (size_t)(end - *p), plain, width;
		const char *bs = memchr(*p, '\\', want < left ? want : left);

		if (bs == NULL) {
			if (want > left)
				return false;	/* past the end */
			*p += want;
			*at = to;
			break;
		}
		plain = (size_t)(bs - *p);
		*p += plain;
		*at += plain;
		/* an escape: \u2028 and \u2029 decode to 3 bytes, the others
		 * that put_escape writes to 1 */
		width = (*p)[1] == 'u' && (*p)[2] == '2' ? 3 : 1;
		if (to - *at < width)
			return false;
		*p += (*p)[1] == 'u' ? 6 : 2;
		*at += width;
	}
	return true;
}

void
tclog_json_put_visible_string(struct tclog_buf *b, const char *s, size_t n)
{
	struct tclog_buf json = { 0 };

	put_string(&json, s, n, false);
	tclog_visible(b, json.data, json.len, NULL);
	tclog_buf_free(&json);
}

/* a and b written alike by canon: strings decoded, numbers' exact
 * values. */
static bool
canon_equal(int (*canon)(const char *, size_t, struct tclog_buf *),
    const char *a, size_t alen, const char *b, size_t blen)
{
	struct tclog_buf ca = { 0 }, cb = { 0 };
	bool eq;

	canon(a, alen, &ca);
	canon(b, blen, &cb);
	eq = ca.len == cb.len && memcmp(ca.data, cb.data, ca.len) == 0;
	tclog_buf_free(&ca);
	tclog_buf_free(&cb);
	return eq;
}

/* Compares two strings by their decoded contents. */
static bool
string_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (memchr(a, '\\', alen) == NULL && memchr(b, '\\', blen) == NULL)
		return alen == blen && memcmp(a, b, alen) == 0;
	return canon_equal(tclog_json_string, a, alen, b, blen);
}

/* A JSON number's value; the text is copied, since it is not followed by
 * a NUL. */
static double
number_value(const char *text, size_t len, struct tclog_buf *scratch)
{
	scratch->len = 0;
	tclog_buf_add(scratch, text, len);
	return strtod(tclog_buf_str(scratch), NULL);
}

static bool
raw_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* A JSON number's exact value written one way only: its digits without
 * leading or trailing zeros, then "e" and the power of ten they are
 * multiplied by ("0" for zero, whatever its sign). Returns 0, as
 * tclog_json_string does (canon_equal takes either). */
static int
number_canonical(const char *s, size_t n, struct tclog_buf *out)
{
	size_t i = 0, lead = 0, frac = 0;
	long long e = 0;
	bool neg = false, eneg = false, dot = false;

	out->len = 0;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	tclog_buf_addc(out, '-');
	for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
		if (s[i] == '.')
			dot = true;
		else {
			tclog_buf_addc(out, s[i]);
			frac += dot;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		/* past 10^15 every exponent is one: none is that precise */
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 1000000000000000LL)
				e = e * 10 + (s[i] - '0');
	}
	e = (eneg ? -e : e) - (long long)frac;
	while (lead + 1 < out->len && out->data[lead + 1] == '0')
		lead++;
	memmove(out->data + 1, out->data + 1 + lead, out->len - 1 - lead);
	out->len -= lead;
	if (out->len == 1) {
		out->len = 0;
		tclog_buf_addc(out, '0');
		return 0;
	}
	while (out->data[out->len - 1] == '0') {
		out->len--;
		e++;
	}
	tclog_buf_printf(out, "e%lld", e);
	if (!neg) {
		memmove(out->data, out->data + 1, out->len - 1);
		out->len--;
	}
	return 0;
}

/* Numbers by their exact values, not as doubles: 12345678901234567890
 * and ...891 differ, 1.0, 1 and 10e-1 do not. Equal values are equal
 * doubles, so the hash below (of the double) agrees. */
static bool
number_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return raw_equal(a, alen, b, blen) ||
	    canon_equal(number_canonical, a, alen, b, blen);
}

static bool json_equal(const char *, size_t, const char *, size_t, int);

/* Objects: each member of a found in b, the same number in both. A key
 * set of b's decoded keys keeps this linear in the number of members. */
static bool
object_equal(const char *a, size_t alen, const char *b, size_t blen,
    int depth)
{
	struct tclog_keyset keys = { 0 };
	struct tclog_buf key = { 0 };
	struct tclog_json_iter it;
	const char *k, *v, **value = NULL;
	size_t klen, vlen, *value_len = NULL, n = 0, cap = 0;
	bool equal = true;

	tclog_json_iter_init(&it, b, blen);
	while (equal && tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		key.len = 0;
		tclog_json_string(k, klen, &key);
		if (!tclog_keyset_add(&keys, key.data ? key.data : "", key.len))
			equal = false;	/* a duplicate: compare the text */
		if (n == cap) {
			value = tclog_grow(value, &cap, n + 1, sizeof(*value));
			value_len = tclog_xreallocarray(value_len, cap,
			    sizeof(*value_len));
		}
		value[n] = v;
		value_len[n++] = vlen;
	}
	if (!equal) {
		equal = raw_equal(a, alen, b, blen);
		goto done;
	}
	tclog_json_iter_init(&it, a, alen);
	while (equal && tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		size_t i;

		key.len = 0;
		tclog_json_string(k, klen, &key);
		i = tclog_keyset_find(&keys, key.data ? key.data : "", key.len);
		/* Found, and found once: a key repeated in a fails here. */
		equal = i != SIZE_MAX && value[i] != NULL &&
		    json_equal(v, vlen, value[i], value_len[i], depth + 1);
		if (equal)
			value[i] = NULL;
		n--;
	}
	equal = equal && n == 0;
done:
	tclog_keyset_free(&keys);
	tclog_buf_free(&key);
	TCLOG_FREE_ALL(value, value_len);
	return equal;
}

static bool
json_equal(const char *a, size_t alen, const char *b, size_t blen, int depth)
{
	enum tclog_json_type type = tclog_json_type(a, alen);
	struct tclog_json_iter ia, ib;
	const char *ea, *eb;
	size_t elen, eblen;

	if (type != tclog_json_type(b, blen))
		return false;
	if (depth > TCLOG_JSON_EQUAL_DEPTH)
		return raw_equal(a, alen, b, blen);
	switch (type) {
	case TCLOG_JSON_STRING:
		return string_equal(a, alen, b, blen);
	case TCLOG_JSON_NUMBER:
		return number_equal(a, alen, b, blen);
	case TCLOG_JSON_ARRAY:
		tclog_json_iter_init(&ia, a, alen);
		tclog_json_iter_init(&ib, b, blen);
		for (;;) {
			bool more_a = tclog_json_next_element(&ia, &ea, &elen);
			bool more_b = tclog_json_next_element(&ib, &eb, &eblen);

			if (more_a != more_b)
				return false;
			if (!more_a)
				return true;
			if (!json_equal(ea, elen, eb, eblen, depth + 1))
				return false;
		}
	case TCLOG_JSON_OBJECT:
		return object_equal(a, alen, b, blen, depth);
	default:	/* null, true, false */
		return raw_equal(a, alen, b, blen);
	}
}

bool
tclog_json_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return json_equal(a, alen, b, blen, 0);
}

const char *
tclog_json_member(const char *obj, size_t len, const char *key,
    size_t *vlen)
{
	struct tclog_json_iter it;
	const char *k, *v, *found = NULL;
	size_t klen, n;

	tclog_json_iter_init(&it, obj, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &n))
		if (tclog_json_key_is(k, klen, key)) {
			found = v;
			*vlen = n;
		}
	return found;
}

/* ---- a hash that agrees with tclog_json_equal ---- */

static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)	/* FNV-1a */
		h = (h ^ s[i]) * 0x100000001b3u;
	return tclog_mix64(h ^ n);
}

/* A string's hash by its decoded contents, as string_equal compares. */
static uint64_t
hash_string(uint64_t h, const char *s, size_t n, struct tclog_buf *scratch)
{
	if (memchr(s, '\\', n) == NULL)
		return hash_bytes(h, s + 1, n - 2);
	scratch->len = 0;
	tclog_json_string(s, n, scratch);
	return hash_bytes(h, scratch->data, scratch->len);
}

static uint64_t
json_hash(const char *v, size_t len, int depth, struct tclog_buf *scratch)
{
	enum tclog_json_type type = tclog_json_type(v, len);
	uint64_t h = 0xcbf29ce484222325u + (uint64_t)type;
	struct tclog_json_iter it;
	const char *k, *e;
	size_t klen, elen;
	double d;

	if (depth > TCLOG_JSON_EQUAL_DEPTH)	/* compared as text there */
		return hash_bytes(h, v, len);
	switch (type) {
	case TCLOG_JSON_STRING:
		return hash_string(h, v, len, scratch);
	case TCLOG_JSON_NUMBER:
		d = number_value(v, len, scratch);
		if (d == 0)
			d = 0;	/* -0 == 0 */
		return hash_bytes(h, &d, sizeof(d));
	case TCLOG_JSON_ARRAY:	/* in order */
		tclog_json_iter_init(&it, v, len);
		while (tclog_json_next_element(&it, &e, &elen))
			h = tclog_mix64(h + json_hash(e, elen, depth + 1,
			    scratch));
		return h;
	case TCLOG_JSON_OBJECT:
		/* In any order: a sum. An object with a repeated key equals
		 * only its own text, which hashes the same anyway. */
		tclog_json_iter_init(&it, v, len);
		while (tclog_json_next_member(&it, &k, &klen, &e, &elen))
			h += tclog_mix64(hash_string(0, k, klen, scratch) ^
			    json_hash(e, elen, depth + 1, scratch));
		return tclog_mix64(h);
	default:
		return hash_bytes(h, v, len);
	}
}

unsigned long long
tclog_json_hash(const char *value, size_t len)
{
	struct tclog_buf scratch = { 0 };
	uint64_t h;

	tclog_json_trim(&value, &len);
	h = json_hash(value, len, 0, &scratch);
	tclog_buf_free(&scratch);
	return h;
}

unsigned long long
tclog_hash_bytes(const void *p, size_t n)
{
	return hash_bytes(0xcbf29ce484222325u, p, n);
}
