/*
 * Fuzz harness of the record parser (tclog_record_*) and of the helpers
 * for validated JSON text (tclog_json_*).
 *
 * Besides crashes it checks properties that must hold for any input:
 * the parser accepts a record exactly when yajl accepts it as one JSON
 * object in strict UTF-8 (or rejects it for a duplicate top-level key, or
 * for UTF-8 that yajl lets through); every field value
 * is one valid JSON value; tclog_record_get finds each field; every value
 * and every nested element equals itself (tclog_json_equal); a string
 * decoded, re-escaped and decoded again is unchanged; a record given a
 * rating (tclog_record_set_rating, what tclog-rate writes) is a record
 * with the same fields, in the same order, and that rating.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Walks a validated value: every element and member, to some depth. */
static void
walk(const char *v, size_t n, int depth)
{
	enum tclog_json_type type = tclog_json_type(v, n);
	struct tclog_buf a = { 0 }, b = { 0 }, err = { 0 };
	struct tclog_json_iter it;
	const char *k, *e;
	size_t klen, elen;
	long long num;

	CHECK(tclog_json_equal(v, n, v, n));
	(void)tclog_json_integer(v, n, &num);
	(void)tclog_json_is_true(v, n);
	if (type == TCLOG_JSON_STRING) {
		struct tclog_buf again = { 0 };

		CHECK(tclog_json_string(v, n, &a) == 0);
		tclog_json_put_string(&b, a.data ? a.data : "", a.len);
		CHECK(tclog_json_check(b.data, b.len, false, &err) == 0);
		CHECK(tclog_json_string(b.data, b.len, &again) == 0);
		CHECK(again.len == a.len && (a.len == 0 ||
		    memcmp(again.data, a.data, a.len) == 0));
		tclog_buf_free(&again);
	} else if ((type == TCLOG_JSON_ARRAY || type == TCLOG_JSON_OBJECT) &&
	    depth < 32) {
		tclog_json_iter_init(&it, v, n);
		while (type == TCLOG_JSON_OBJECT ?
		    tclog_json_next_member(&it, &k, &klen, &e, &elen) :
		    tclog_json_next_element(&it, &e, &elen)) {
			CHECK(tclog_json_check(e, elen, false, &err) == 0);
			walk(e, elen, depth + 1);
		}
	}
	tclog_buf_free(&a);
	tclog_buf_free(&b);
	tclog_buf_free(&err);
}

/* The record rec given rating is rec with "rating" set: its value
 * replaced, or the member added after "tools_enabled" or last. */
static void
check_set_rating(const struct tclog_record *rec, int rating)
{
	const struct tclog_field *had = tclog_record_get(rec, "rating");
	const struct tclog_field *te = tclog_record_get(rec, "tools_enabled");
	struct tclog_record again;
	struct tclog_buf out = { 0 };
	size_t j = 0;

	tclog_record_set_rating(rec, rating, &out);
	tclog_record_init(&again);
	CHECK(tclog_record_parse(&again, out.data, out.len, false) == 0);
	CHECK(again.nfield == rec->nfield + (had == NULL));
	for (size_t i = 0; i < again.nfield; i++) {
		const struct tclog_field *f = &again.field[i], *g;

		if (tclog_field_is(f, "rating")) {
			CHECK(f->value_len == 1 && f->value[0] == '0' + rating);
			if (had == NULL) {
				/* where the logger writes it */
				CHECK(te != NULL ? i == (size_t)(te -
				    rec->field) + 1 : i == again.nfield - 1);
				continue;
			}
		}
		g = &rec->field[j++];
		CHECK(f->key_len == g->key_len &&
		    memcmp(f->key, g->key, f->key_len) == 0);
		CHECK(g == had || (f->value_len == g->value_len &&
		    memcmp(f->value, g->value, f->value_len) == 0));
	}
	tclog_record_free(&again);
	tclog_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tclog_record rec;
	struct tclog_buf err = { 0 };
	const char *text = (const char *)data;
	bool valid = tclog_json_check(text, size, true, &err) == 0;
	int st;

	tclog_record_init(&rec);
	st = tclog_record_parse(&rec, text, size, size % 2 == 0);
	if (st == 0) {
		CHECK(valid);
		CHECK(tclog_utf8_invalid(text, size) == size);
		for (size_t i = 0; i < rec.nfield; i++) {
			const struct tclog_field *f = &rec.field[i];
			char *key = malloc(f->key_len + 1);

			CHECK(f->value >= text && f->value + f->value_len <=
			    text + size);
			CHECK(tclog_json_check(f->value, f->value_len, false,
			    &err) == 0);
			memcpy(key, f->key, f->key_len);
			key[f->key_len] = '\0';
			/* a key holding NUL is found by its first part only */
			CHECK(strlen(key) != f->key_len ||
			    tclog_record_get(&rec, key) == f);
			free(key);
			walk(f->value, f->value_len, 0);
			if (i > 0)
				(void)tclog_json_equal(f->value, f->value_len,
				    rec.field[i - 1].value,
				    rec.field[i - 1].value_len);
		}
		check_set_rating(&rec, 1 + (int)(size % 5));
	} else {
		CHECK(rec.error != NULL && rec.error[0] != '\0');
		CHECK(!valid || strncmp(rec.error, "duplicate key ", 14) == 0 ||
		    tclog_utf8_invalid(text, size) < size);
	}
	tclog_record_free(&rec);
	tclog_buf_free(&err);
	return 0;
}
