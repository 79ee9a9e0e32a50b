/*
 * Where one model response ends. The assistant logs one entry per call
 * it executed, and the entries of a response's parallel calls follow
 * each other with the same user_query, model_response and model. That
 * key does not end a response by itself: a query asked again may get
 * the same bytes back, and tclog-upgrade rebuilds the same fields for
 * the same old call. What ends it is that each call of the response
 * has at most one entry. tclog_examples (tclog-qwen, tclog-stats) and
 * tclog-filter -g both ask here, so that they cannot disagree.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct tclog_call *
new_call(struct tclog_response *r)
{
	return tclog_call_add(&r->call, &r->ncall, &r->call_cap);
}

/*
 * The index of a response's calls, built once it has more than
 * INDEX_FROM of them: an open-addressed table of the distinct hashes
 * of name and arguments, each slot the chain of the calls of that hash
 * in the response's order. Equal calls hash alike (tclog_json_hash), so
 * the entry's call is found in its chain; the chain's head moves past
 * the calls taken, which come first among equal ones.
 */
#define INDEX_FROM 16

struct tclog_response_slot {
	unsigned long long hash;
	size_t head, tail;	/* calls (index + 1) */
	unsigned gen;
};

static unsigned long long
call_hash(const char *name, size_t name_len, const char *args,
    size_t args_len, bool args_json)
{
	unsigned long long h = args_json ? tclog_json_hash(args, args_len) :
	    tclog_hash_bytes(args, args_len);

	return h * 31 + tclog_hash_bytes(name, name_len);
}

/* The slot of hash h: its own, or the empty one where it would go. */
static struct tclog_response_slot *
find_slot(const struct tclog_response *r, unsigned long long h)
{
	size_t mask = r->nslot - 1, i = (size_t)h & mask;

	while (r->slot[i].gen == r->gen && r->slot[i].hash != h)
		i = (i + 1) & mask;
	return &r->slot[i];
}

/* Adds call i, whose hash is set, to the chain of its hash. */
static void
index_add(struct tclog_response *r, size_t i)
{
	struct tclog_call *c = &r->call[i];
	struct tclog_response_slot *s;

	if (2 * (r->nused + 1) > r->nslot) {	/* at most half full */
		size_t n = r->nslot ? 2 * r->nslot : 64;

		free(r->slot);
		r->slot = tclog_xcalloc(n, sizeof(*r->slot));
		r->nslot = n;
		r->nused = 0;
		r->gen = 1;
		for (size_t j = 0; j < i; j++)
			index_add(r, j);
	}
	c->next = 0;
	s = find_slot(r, c->hash);
	if (s->gen != r->gen) {
		s->gen = r->gen;
		s->hash = c->hash;
		s->head = s->tail = i + 1;
		r->nused++;
	} else {
		r->call[s->tail - 1].next = i + 1;
		s->tail = i + 1;
	}
}

/* A new response: its index empty, without clearing the table. */
static void
index_reset(struct tclog_response *r)
{
	r->indexed = false;
	r->nused = 0;
	if (++r->gen == 0) {
		if (r->slot != NULL)
			memset(r->slot, 0, r->nslot * sizeof(*r->slot));
		r->gen = 1;
	}
}

static void
set_hash(struct tclog_call *c)
{
	c->hash = call_hash(c->name.data, c->name.len, c->args.data,
	    c->args.len, c->args_json);
}

/* Call i was added to the response: the entry's (hash: its hash, from
 * find_call), or one the response lists (NULL). */
static void
index_call(struct tclog_response *r, size_t i, const unsigned long long *hash)
{
	if (r->indexed) {
		if (hash != NULL)
			r->call[i].hash = *hash;
		else
			set_hash(&r->call[i]);
		index_add(r, i);
	} else if (r->ncall > INDEX_FROM) {
		r->indexed = true;
		for (size_t j = 0; j < r->ncall; j++) {
			set_hash(&r->call[j]);
			index_add(r, j);
		}
	}
}

static bool
is_entry_call(const struct tclog_response *r,
    const struct tclog_call *c)
{
	struct tclog_call_key a = tclog_call_key(&c->name, &c->args,
	    c->args_json);
	struct tclog_call_key b = tclog_call_key(&r->name, &r->args,
	    r->args_json);

	return tclog_call_same(&a, &b);
}

/* The entry's call among the response's: the first one not taken (a
 * response that lists its calls), or any (one that does not); -1. */
static long
find_call(struct tclog_response *r, bool taken_too)
{
	struct tclog_response_slot *s;

	if (!r->indexed) {
		for (size_t i = 0; i < r->ncall; i++)
			if ((taken_too || !r->call[i].logged) &&
			    is_entry_call(r, &r->call[i]))
				return (long)i;
		return -1;
	}
	if (!r->hashed) {
		r->entry_hash = call_hash(r->name.data, r->name.len,
		    r->args.data, r->args.len, r->args_json);
		r->hashed = true;
	}
	s = find_slot(r, r->entry_hash);
	if (s->gen != r->gen)
		return -1;
	if (!taken_too)
		while (s->head != 0 && r->call[s->head - 1].logged)
			s->head = r->call[s->head - 1].next;
	for (size_t i = s->head; i != 0; i = r->call[i - 1].next)
		if ((taken_too || !r->call[i - 1].logged) &&
		    is_entry_call(r, &r->call[i - 1]))
			return (long)(i - 1);
	return -1;
}

/* The calls of a <tool_call>{"name": ..., "arguments": ...}</tool_call>
 * block, the form of Qwen's chat template; false when it is not one. */
static bool
block_call(struct tclog_response *r, const char *s, size_t n, size_t place)
{
	struct tclog_json_iter it;
	struct tclog_call *c;
	const char *k, *v, *name = NULL, *args = NULL;
	size_t klen, vlen, name_len = 0, args_len = 0;

	r->err.len = 0;
	if (tclog_json_check(s, n, true, &r->err) != 0)
		return false;
	tclog_json_trim(&s, &n);
	tclog_json_iter_init(&it, s, n);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (tclog_json_key_is(k, klen, "name")) {
			name = v;
			name_len = vlen;
		} else if (tclog_json_key_is(k, klen, "arguments")) {
			args = v;
			args_len = vlen;
		}
	}
	if (name == NULL || tclog_json_type(name, name_len) !=
	    TCLOG_JSON_STRING)
		return false;
	c = new_call(r);
	tclog_buf_printf(&c->id, "call_%zu", place);
	tclog_json_string(name, name_len, &c->name);
	if (args != NULL && tclog_json_type(args, args_len) == TCLOG_JSON_NULL)
		args = NULL;
	if (args != NULL && tclog_json_type(args, args_len) ==
	    TCLOG_JSON_OBJECT && tclog_json_depth(args, args_len) <=
	    TCLOG_ARGS_DEPTH) {
		/* an object, as the template writes it: the same text as
		 * tool_calls would hold, without the model's white space */
		tclog_json_write(&c->args, args, args_len, TCLOG_JSON_COMPACT);
		c->args_json = true;
	} else
		tclog_call_args(&c->args, &c->args_json, args, args_len);
	return true;
}

bool
tclog_tool_call_blocks(const char *s, size_t n,
    bool (*each)(void *ctx, const char *block, size_t len), void *ctx)
{
	static const char open[] = "<tool_call>", close[] = "</tool_call>";
	const size_t olen = sizeof(open) - 1, clen = sizeof(close) - 1;

	tclog_json_trim(&s, &n);
	if (n == 0)
		return false;
	while (n > 0) {
		const char *end;

		if (n < olen || memcmp(s, open, olen) != 0)
			return false;
		s += olen;
		n -= olen;
		end = memmem(s, n, close, clen);
		if (end == NULL || !each(ctx, s, (size_t)(end - s)))
			return false;
		n -= (size_t)(end - s) + clen;
		s = end + clen;
		while (n > 0 && tclog_json_is_space(*s)) {
			s++;
			n--;
		}
	}
	return true;
}

/* A block's call, numbered by its place among them. */
static bool
add_block_call(void *ctx, const char *s, size_t n)
{
	struct tclog_response *r = ctx;

	return block_call(r, s, n, r->ncall + 1);
}

static bool
same_value(const struct tclog_field *f, const struct tclog_buf *b)
{
	return (f->value_len == b->len &&
	    memcmp(f->value, b->data, b->len) == 0) ||
	    tclog_json_equal(f->value, f->value_len, b->data, b->len);
}

/* The field, NULL when it is absent or null. */
static const struct tclog_field *
get(const struct tclog_field *f)
{
	if (f != NULL && tclog_json_type(f->value, f->value_len) ==
	    TCLOG_JSON_NULL)
		f = NULL;
	return f;
}

/* Reads the entry's model_response; false (r->why set) when it is not a
 * JSON object whose content is a string or null. */
static bool
read_response(struct tclog_response *r, const struct tclog_field *response,
    const char **calls, size_t *calls_len)
{
	struct tclog_json_iter it;
	const char *k, *v;
	size_t klen, vlen;

	r->decoded.len = r->err.len = 0;
	if (tclog_json_string(response->value, response->value_len,
	    &r->decoded) != 0 || tclog_json_check(r->decoded.data,
	    r->decoded.len, true, &r->err) != 0) {
		r->why = "model_response is not a JSON object";
		return false;
	}
	r->content.len = 0;
	*calls = NULL;
	tclog_json_iter_init(&it, r->decoded.data, r->decoded.len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		enum tclog_json_type type = tclog_json_type(v, vlen);

		if (tclog_json_key_is(k, klen, "content") &&
		    type == TCLOG_JSON_STRING) {
			r->content.len = 0;
			tclog_json_string(v, vlen, &r->content);
		} else if (tclog_json_key_is(k, klen, "content") &&
		    type != TCLOG_JSON_NULL) {
			r->why = "model_response content is not a string";
			return false;
		} else if (tclog_json_key_is(k, klen, "tool_calls") &&
		    type == TCLOG_JSON_ARRAY) {
			*calls = v;
			*calls_len = vlen;
		}
	}
	return true;
}

/* Starts a response with the entry, its model_response read. */
static void
start(struct tclog_response *r, const struct tclog_field *query,
    const struct tclog_field *response, const struct tclog_field *model,
    const char *calls, size_t calls_len)
{
	tclog_calls_shrink(r->call, r->call_cap);
	r->open = true;
	r->ended = false;
	r->ncall = r->ntaken = 0;
	r->query.len = r->text.len = r->model.len = 0;
	tclog_buf_add(&r->query, query->value, query->value_len);
	tclog_buf_add(&r->text, response->value, response->value_len);
	if ((r->has_model = model != NULL))
		tclog_buf_add(&r->model, model->value, model->value_len);

	if (calls != NULL) {
		struct tclog_tool_calls tc;

		tclog_tool_calls_init(&tc, calls, calls_len);
		while (tclog_tool_calls_next(&tc)) {
			struct tclog_call *c = new_call(r);

			if (tc.id != NULL)
				tclog_json_string(tc.id, tc.id_len, &c->id);
			else
				tclog_buf_printf(&c->id, "call_%zu", tc.place);
			tclog_json_string(tc.name, tc.name_len, &c->name);
			tclog_call_args(&c->args, &c->args_json, tc.args,
			    tc.args_len);
		}
	}
	/* content made only of <tool_call> blocks: their calls, or none */
	if (r->ncall == 0 && !tclog_tool_call_blocks(r->content.data,
	    r->content.len, add_block_call, r))
		r->ncall = 0;
	r->listed = r->ncall > 0;
	index_reset(r);
	if (r->ncall > 0)
		index_call(r, r->ncall - 1, NULL);
}

/* Marks the entry's call taken: call i of a response that lists its
 * calls, else a call added for it. */
static void
take(struct tclog_response *r, long i)
{
	if (i < 0) {
		struct tclog_call *c = new_call(r);

		tclog_buf_printf(&c->id, "call_%zu", r->ncall);
		tclog_buf_add(&c->name, r->name.data, r->name.len);
		tclog_buf_add(&c->args, r->args.data, r->args.len);
		c->args_json = r->args_json;
		i = (long)r->ncall - 1;
		index_call(r, (size_t)i, r->hashed ? &r->entry_hash : NULL);
	}
	r->call[i].logged = true;
	r->ntaken++;
	r->taken = i;
}

enum tclog_response_step
tclog_response_entry(struct tclog_response *r, const struct tclog_entry *e)
{
	const struct tclog_field *query = get(e->query);
	const struct tclog_field *response = get(e->response);
	const struct tclog_field *model = get(e->model);
	const struct tclog_field *tool = get(e->tool);
	const struct tclog_field *args = get(e->args);
	const char *calls = NULL;
	size_t calls_len = 0;
	long i;

	r->hashed = false;
	r->name.len = 0;
	if (tool != NULL && tclog_json_string(tool->value, tool->value_len,
	    &r->name) != 0)
		tclog_buf_add(&r->name, tool->value, tool->value_len);
	tclog_call_args(&r->args, &r->args_json, args ? args->value : NULL,
	    args ? args->value_len : 0);

	if (query == NULL || response == NULL) {
		r->why = "no user_query or model_response";
		return TCLOG_RESPONSE_BAD;
	}
	if (r->open && !r->ended && (model != NULL) == r->has_model &&
	    same_value(query, &r->query) && same_value(response, &r->text) &&
	    (model == NULL || same_value(model, &r->model))) {
		/* A call the response lists and no entry took yet; or, when
		 * the response lists none (calls written as prose), a call
		 * none of its entries made. */
		if (r->listed && (i = find_call(r, false)) >= 0) {
			take(r, i);
			r->ended = r->ntaken == r->ncall;
			return TCLOG_RESPONSE_SAME;
		}
		if (!r->listed && find_call(r, true) < 0) {
			take(r, -1);
			return TCLOG_RESPONSE_SAME;
		}
	}
	if (!read_response(r, response, &calls, &calls_len))
		return TCLOG_RESPONSE_BAD;
	start(r, query, response, model, calls, calls_len);
	if (!r->listed) {
		take(r, -1);
		return TCLOG_RESPONSE_NEW;
	}
	if ((i = find_call(r, false)) >= 0) {
		take(r, i);
		r->ended = r->ntaken == r->ncall;
	} else {
		r->taken = -1;	/* a stray entry: it stands alone */
		r->ended = true;
	}
	return TCLOG_RESPONSE_NEW;
}

void
tclog_response_end(struct tclog_response *r)
{
	r->open = false;
}

void
tclog_response_free(struct tclog_response *r)
{
	tclog_calls_free(r->call, r->call_cap);
	TCLOG_BUFS_FREE(&r->query, &r->text, &r->model, &r->decoded,
	    &r->content, &r->name, &r->args, &r->err);
	free(r->slot);
}
