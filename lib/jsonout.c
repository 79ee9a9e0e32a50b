/*
 * Writing validated JSON text again: compact, or as Python's
 * json.dumps(json.loads(text), ensure_ascii=False) writes it (the style
 * of the `tojson` filter of the chat templates run by transformers).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

size_t
tclog_json_depth(const char *v, size_t n)
{
	size_t depth = 0, deepest = 0;

	for (size_t i = 0; i < n; i++) {
		switch (v[i]) {
		case '"':	/* past the string: skip escaped characters */
			for (i++; i < n && v[i] != '"'; i++)
				if (v[i] == '\\')
					i++;
			break;
		case '[': case '{':
			if (++depth > deepest)
				deepest = depth;
			break;
		case ']': case '}':
			depth--;
			break;
		}
	}
	return deepest;
}

/* Appends the digits of a p-digit decimal mantissa plus one unit in the
 * last place (up) or minus one (down), as "d.ddde+X" for strtod; false
 * when there is no such neighbour. */
static bool
neighbour(char *out, size_t size, const char *sci, int p, bool up)
{
	char digits[24], exp[16];
	const char *e = strchr(sci, 'e');
	bool negative = sci[0] == '-';
	int n = 0, i;

	for (const char *s = sci + negative; s < e; s++)
		if (*s != '.')
			digits[n++] = *s;
	if (n != p)
		return false;
	snprintf(exp, sizeof(exp), "%s", e);
	for (i = n - 1; i >= 0; i--) {
		if (up && digits[i] != '9') {
			digits[i]++;
			break;
		}
		if (!up && digits[i] != '0') {
			digits[i]--;
			break;
		}
		digits[i] = up ? '0' : '9';
	}
	if (i < 0 || digits[0] == '0')	/* a carry or borrow out */
		return false;
	digits[n] = '\0';
	snprintf(out, size, "%s%c.%se%s", negative ? "-" : "", digits[0],
	    digits + 1, exp + 1);
	return true;
}

/* Appends Python's repr() of a double: the shortest text that reads
 * back as it, "1.0", "1e-05", "1e+16", "inf" as "Infinity". */
static void
python_float_repr(struct tclog_buf *b, double d)
{
	char sci[40], alt[48], digits[24];
	const char *e, *s;
	int p, n = 0, decpt;

	if (isnan(d)) {
		tclog_buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		tclog_buf_adds(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		tclog_buf_adds(b, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	/* The fewest significant digits that read back as d. The nearest
	 * p-digit decimal can miss where a neighbour hits (at a power of
	 * two the interval that rounds to d is lopsided): try those too. */
	for (p = 1; p <= 17; p++) {
		snprintf(sci, sizeof(sci), "%.*e", p - 1, d);
		if (strtod(sci, NULL) == d)
			break;
		if (neighbour(alt, sizeof(alt), sci, p, true) &&
		    strtod(alt, NULL) == d) {
			memcpy(sci, alt, strlen(alt) + 1);
			break;
		}
		if (neighbour(alt, sizeof(alt), sci, p, false) &&
		    strtod(alt, NULL) == d) {
			memcpy(sci, alt, strlen(alt) + 1);
			break;
		}
	}
	e = strchr(sci, 'e');
	for (s = sci + (sci[0] == '-'); s < e; s++)
		if (*s != '.')
			digits[n++] = *s;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	decpt = atoi(e + 1) + 1;	/* value = 0.digits x 10^decpt */
	if (d < 0)
		tclog_buf_addc(b, '-');
	if (decpt <= -4 || decpt > 16) {
		int x = decpt - 1;

		tclog_buf_addc(b, digits[0]);
		if (n > 1) {
			tclog_buf_addc(b, '.');
			tclog_buf_add(b, digits + 1, (size_t)n - 1);
		}
		tclog_buf_printf(b, "e%c%02d", x < 0 ? '-' : '+', abs(x));
	} else if (decpt <= 0) {
		tclog_buf_adds(b, "0.");
		for (int i = 0; i < -decpt; i++)
			tclog_buf_addc(b, '0');
		tclog_buf_add(b, digits, (size_t)n);
	} else if (decpt >= n) {
		tclog_buf_add(b, digits, (size_t)n);
		for (int i = n; i < decpt; i++)
			tclog_buf_addc(b, '0');
		tclog_buf_adds(b, ".0");
	} else {
		tclog_buf_add(b, digits, (size_t)decpt);
		tclog_buf_addc(b, '.');
		tclog_buf_add(b, digits + decpt, (size_t)(n - decpt));
	}
}

/* Appends a JSON number as Python prints what json.loads makes of it:
 * an int exactly ("-0" as 0), else the repr of the float. */
static void
python_number(struct tclog_buf *b, const char *v, size_t n)
{
	struct tclog_buf text = { 0 };

	if (memchr(v, '.', n) == NULL && memchr(v, 'e', n) == NULL &&
	    memchr(v, 'E', n) == NULL) {
		/* An int: Python prints it exactly, "-0" as 0. */
		if (n == 2 && v[0] == '-' && v[1] == '0')
			tclog_buf_addc(b, '0');
		else
			tclog_buf_add(b, v, n);
		return;
	}
	tclog_buf_add(&text, v, n);
	python_float_repr(b, strtod(tclog_buf_str(&text), NULL));
	tclog_buf_free(&text);
}

struct writer {
	struct tclog_buf *out;
	enum tclog_json_style style;
	struct tclog_buf scratch;	/* a decoded string */
};

static void write_value(struct writer *w, const char *v, size_t n);

static void
write_string(struct writer *w, const char *v, size_t n)
{
	if (memchr(v, '\\', n) == NULL) {
		/* No escape: no control character or quote inside, so the
		 * text is already what re-escaping would give. */
		tclog_buf_add(w->out, v, n);
		return;
	}
	w->scratch.len = 0;
	tclog_json_string(v, n, &w->scratch);
	tclog_json_put_string(w->out, w->scratch.data, w->scratch.len);
}

struct member {
	const char *key, *value;
	size_t key_len, value_len;
	const char *name;	/* the decoded key */
	size_t name_len, place;
	bool dropped;
};

static int
by_name_then_place(const void *a, const void *b)
{
	const struct member *x = *(struct member *const *)a;
	const struct member *y = *(struct member *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->place < y->place ? -1 : x->place > y->place;
}

/* A repeated key keeps its first place and takes its last value, as a
 * Python dict built by json.loads does. */
static void
merge_repeated_keys(struct member *m, size_t n)
{
	struct tclog_buf names = { 0 };
	struct member **order = tclog_xreallocarray(NULL, n, sizeof(*order));
	size_t *off = tclog_xreallocarray(NULL, n, sizeof(*off));

	for (size_t i = 0; i < n; i++) {
		off[i] = names.len;
		tclog_json_string(m[i].key, m[i].key_len, &names);
		m[i].name_len = names.len - off[i];
	}
	for (size_t i = 0; i < n; i++) {
		m[i].name = names.data + off[i];
		order[i] = &m[i];
	}
	qsort(order, n, sizeof(*order), by_name_then_place);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && order[j]->name_len == order[i]->name_len &&
		    memcmp(order[j]->name, order[i]->name,
		    order[i]->name_len) == 0)
			j++;
		if (j - i > 1) {
			order[i]->value = order[j - 1]->value;
			order[i]->value_len = order[j - 1]->value_len;
			for (size_t k = i + 1; k < j; k++)
				order[k]->dropped = true;
		}
		i = j;
	}
	tclog_buf_free(&names);
	TCLOG_FREE_ALL(order, off);
}

static void
write_object(struct writer *w, const char *v, size_t n)
{
	struct tclog_json_iter it;
	struct member *m = NULL;
	size_t count = 0, cap = 0;
	const char *k, *e;
	size_t klen, elen;
	bool first = true;

	tclog_json_iter_init(&it, v, n);
	while (tclog_json_next_member(&it, &k, &klen, &e, &elen)) {
		m = tclog_grow(m, &cap, count + 1, sizeof(*m));
		m[count] = (struct member){ .key = k, .key_len = klen,
		    .value = e, .value_len = elen, .place = count };
		count++;
	}
	if (count > 1)
		merge_repeated_keys(m, count);
	tclog_buf_addc(w->out, '{');
	for (size_t i = 0; i < count; i++) {
		if (m[i].dropped)
			continue;
		if (!first)
			tclog_buf_adds(w->out,
			    w->style == TCLOG_JSON_PYTHON ? ", " : ",");
		first = false;
		write_string(w, m[i].key, m[i].key_len);
		tclog_buf_adds(w->out, w->style == TCLOG_JSON_PYTHON ? ": " : ":");
		write_value(w, m[i].value, m[i].value_len);
	}
	tclog_buf_addc(w->out, '}');
	free(m);
}

static void
write_array(struct writer *w, const char *v, size_t n)
{
	struct tclog_json_iter it;
	const char *e;
	size_t elen;
	bool first = true;

	tclog_buf_addc(w->out, '[');
	tclog_json_iter_init(&it, v, n);
	while (tclog_json_next_element(&it, &e, &elen)) {
		if (!first)
			tclog_buf_adds(w->out,
			    w->style == TCLOG_JSON_PYTHON ? ", " : ",");
		first = false;
		write_value(w, e, elen);
	}
	tclog_buf_addc(w->out, ']');
}

static void
write_value(struct writer *w, const char *v, size_t n)
{
	tclog_json_trim(&v, &n);
	switch (tclog_json_type(v, n)) {
	case TCLOG_JSON_STRING:
		write_string(w, v, n);
		break;
	case TCLOG_JSON_NUMBER:
		if (w->style == TCLOG_JSON_PYTHON)
			python_number(w->out, v, n);
		else
			tclog_buf_add(w->out, v, n);
		break;
	case TCLOG_JSON_OBJECT:
		write_object(w, v, n);
		break;
	case TCLOG_JSON_ARRAY:
		write_array(w, v, n);
		break;
	default:	/* null, true, false */
		tclog_buf_add(w->out, v, n);
	}
}

void
tclog_json_write(struct tclog_buf *b, const char *v, size_t n,
    enum tclog_json_style style)
{
	struct writer w = { .out = b, .style = style };

	write_value(&w, v, n);
	tclog_buf_free(&w.scratch);
}
