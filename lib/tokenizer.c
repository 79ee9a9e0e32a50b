/*
 * tokenizer.c - the byte-level BPE tokenizer of a Hugging Face
 * tokenizer.json (Qwen2, Qwen2.5, Qwen3), for exact token counts.
 *
 * Encoding follows the tokenizers library (Rust, 0.2x) step by step:
 *   1. added tokens are split out of the raw text first, leftmost and
 *      longest (those with "normalized": true after step 2);
 *   2. each remaining piece is normalized (NFC, by utf8proc);
 *   3. the Split pre-tokenizer cuts it with the Qwen2 pattern, written
 *      here by hand over utf8proc's general categories (below);
 *   4. ByteLevel maps the bytes of each piece to the vocabulary's
 *      characters: we do the reverse once, at load time, and work on
 *      raw bytes;
 *   5. BPE merges each piece: the pair of lowest rank first, the leftmost
 *      of equal rank, with a heap over a linked list of symbols as the
 *      library does, so a long run of one character costs n log n.
 * Pieces of up to CACHE_WORD bytes are remembered in a bounded cache.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#include <yajl/yajl_tree.h>

#include "internal.h"

/* The Qwen2 pattern, as tokenizer.json spells it (after JSON decoding). */
static const char qwen2_pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

#define CACHE_SLOTS 16384
#define CACHE_WORD 64
#define MAX_PIECE ((size_t)1 << 30)

struct merge {
	uint64_t pair;		/* left id << 32 | right id; 0 and rank 0: empty */
	uint32_t rank, id;
};

struct added {
	char *text;
	size_t len;
	uint32_t id;
	bool lstrip, rstrip, normalized;
};

struct cached {
	uint64_t hash;
	uint32_t len, ntok;
	unsigned char *word;	/* len bytes, then ntok ids (uint32_t) */
};

struct symbol {
	int32_t prev, next;
	uint32_t id, len;
};

struct pending {
	uint32_t rank, pos, id;
};

struct tclog_tokenizer {
	uint32_t byte_id[256];		/* the token of each single byte */
	uint32_t *tok_len;		/* byte length of each id */
	uint32_t nid;
	size_t id_cap;
	/* vocabulary: bytes -> id, for ignore_merges */
	struct tclog_buf vbytes;
	size_t *voff;			/* by id; SIZE_MAX for none */
	uint32_t *vslot;		/* id + 1, or 0 */
	size_t nvslot;
	bool ignore_merges;
	struct merge *merge;
	size_t nmerge_slot;
	struct added *added;
	size_t nadded;
	bool first_byte[256];		/* some added token starts so */
	bool nfc;

	/* scratch, reused from text to text */
	struct symbol *sym;
	size_t sym_cap;
	struct pending *heap;
	size_t heap_len, heap_cap;
	struct cached *cache;
	struct tclog_buf norm;
};

/* ---- hashing ---- */

static uint64_t
hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		p += 8, n -= 8;
	}
	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}

static uint64_t
hash_pair(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static size_t
table_size(size_t n)
{
	size_t s = 16;

	while (s < 2 * n)
		s <<= 1;
	return s;
}

static const struct merge *
merge_find(const struct tclog_tokenizer *t, uint32_t a, uint32_t b)
{
	uint64_t key = (uint64_t)a << 32 | b;
	size_t mask = t->nmerge_slot - 1, i = hash_pair(key) & mask;

	for (;; i = (i + 1) & mask) {
		const struct merge *m = &t->merge[i];

		if (m->rank == UINT32_MAX)
			return NULL;
		if (m->pair == key)
			return m;
	}
}

static uint32_t
vocab_find(const struct tclog_tokenizer *t, const unsigned char *p, size_t n)
{
	size_t mask = t->nvslot - 1, i = hash_bytes(p, n) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t v = t->vslot[i];

		if (v == 0)
			return UINT32_MAX;
		if (t->tok_len[v - 1] == n &&
		    memcmp(t->vbytes.data + t->voff[v - 1], p, n) == 0)
			return v - 1;
	}
}

/* ---- loading ---- */

/* The byte that ByteLevel writes as code point cp, or -1. Printable
 * Latin-1 bytes stand for themselves; the other 68 bytes, in order, for
 * U+0100 onwards. */
static int
byte_of(const int *from_cp, long cp)
{
	return cp >= 0 && cp < 324 ? from_cp[cp] : -1;
}

static void
byte_table(int from_cp[324])
{
	int n = 0;

	for (int i = 0; i < 324; i++)
		from_cp[i] = -1;
	for (int b = 0; b < 256; b++) {
		if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) ||
		    b >= 0xae)
			from_cp[b] = b;
		else
			from_cp[256 + n++] = b;
	}
}

/* Decodes a vocabulary string into raw bytes; -1 when a character is not
 * one ByteLevel writes. */
static int
unmap(const int *from_cp, const char *s, size_t n, struct tclog_buf *out)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;

	while (n > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t l = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
		int b;

		if (l <= 0 || (b = byte_of(from_cp, cp)) < 0)
			return -1;
		tclog_buf_addc(out, (char)b);
		p += l, n -= (size_t)l;
	}
	return 0;
}

static const char *
str_of(yajl_val v)
{
	return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static yajl_val
member(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = YAJL_GET_OBJECT(obj)->len; i-- > 0;)
		if (strcmp(YAJL_GET_OBJECT(obj)->keys[i], key) == 0)
			return YAJL_GET_OBJECT(obj)->values[i];
	return NULL;
}

static bool
is_false(yajl_val v)
{
	return v == NULL || YAJL_IS_NULL(v) || YAJL_IS_FALSE(v);
}

static const char *
type_of(yajl_val v)
{
	const char *s = str_of(member(v, "type"));

	return s ? s : "(no type)";
}

static bool
id_of(yajl_val v, uint32_t *id)
{
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
	    YAJL_GET_INTEGER(v) >= UINT32_MAX - 1)
		return false;
	*id = (uint32_t)YAJL_GET_INTEGER(v);
	return true;
}

/* Sets the byte length and vocabulary place of id. */
static void
ensure_id(struct tclog_tokenizer *t, uint32_t id)
{
	if (id < t->nid)
		return;
	if (id >= t->id_cap) {
		t->tok_len = tclog_grow(t->tok_len, &t->id_cap, (size_t)id + 1,
		    sizeof *t->tok_len);
		t->voff = tclog_xreallocarray(t->voff, t->id_cap,
		    sizeof *t->voff);
	}
	for (uint32_t i = t->nid; i <= id; i++) {
		t->tok_len[i] = 0;
		t->voff[i] = SIZE_MAX;
	}
	t->nid = id + 1;
}

static int
load_normalizer(struct tclog_tokenizer *t, yajl_val v, struct tclog_buf *err)
{
	const char *type;

	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	type = type_of(v);
	if (strcmp(type, "NFC") == 0) {
		t->nfc = true;
		return 0;
	}
	if (strcmp(type, "Sequence") == 0) {
		yajl_val list = member(v, "normalizers");

		if (!YAJL_IS_ARRAY(list))
			goto bad;
		for (size_t i = 0; i < YAJL_GET_ARRAY(list)->len; i++)
			if (load_normalizer(t, YAJL_GET_ARRAY(list)->values[i],
			    err) < 0)
				return -1;
		return 0;
	}
bad:
	tclog_buf_printf(err, "normalizer %s is not supported (only NFC)",
	    type);
	return -1;
}

static int
load_pre_tokenizer(yajl_val v, struct tclog_buf *err)
{
	yajl_val list = member(v, "pretokenizers"), split, bl, pat;
	const char *s;

	if (v == NULL || YAJL_IS_NULL(v)) {
		tclog_buf_adds(err, "no pre_tokenizer: not a byte-level "
		    "tokenizer");
		return -1;
	}
	if (strcmp(type_of(v), "Sequence") != 0 || !YAJL_IS_ARRAY(list) ||
	    YAJL_GET_ARRAY(list)->len != 2) {
		tclog_buf_printf(err, "pre_tokenizer %s is not supported "
		    "(only a Sequence of Split with the Qwen2 pattern and "
		    "ByteLevel)", type_of(v));
		return -1;
	}
	split = YAJL_GET_ARRAY(list)->values[0];
	bl = YAJL_GET_ARRAY(list)->values[1];
	pat = member(member(split, "pattern"), "Regex");
	if (strcmp(type_of(split), "Split") != 0 ||
	    (s = str_of(pat)) == NULL || strcmp(s, qwen2_pattern) != 0 ||
	    (s = str_of(member(split, "behavior"))) == NULL ||
	    strcmp(s, "Isolated") != 0 || !is_false(member(split, "invert"))) {
		tclog_buf_printf(err, "pre_tokenizer %s is not supported "
		    "(only Split with the Qwen2 pattern, Isolated, not "
		    "inverted)", type_of(split));
		return -1;
	}
	if (strcmp(type_of(bl), "ByteLevel") != 0 ||
	    !is_false(member(bl, "add_prefix_space")) ||
	    !is_false(member(bl, "use_regex"))) {
		tclog_buf_printf(err, "pre_tokenizer %s after Split is not "
		    "supported (only ByteLevel without add_prefix_space and "
		    "use_regex)", type_of(bl));
		return -1;
	}
	return 0;
}

/* A string value decoded into out (replaced): 0, or -1 when not a string. */
static int
string_value(const char *v, size_t n, struct tclog_buf *out)
{
	out->len = 0;
	if (tclog_json_type(v, n) != TCLOG_JSON_STRING)
		return -1;
	return tclog_json_string(v, n, out);
}

static int
load_vocab(struct tclog_tokenizer *t, const char *vocab, size_t len,
    const int *from_cp, struct tclog_buf *err)
{
	struct tclog_json_iter it;
	struct tclog_buf key = {0};
	const char *k, *v;
	size_t klen, vlen, n = 0;
	long long id;
	int rc = -1;

	if (vocab == NULL || tclog_json_type(vocab, len) != TCLOG_JSON_OBJECT) {
		tclog_buf_adds(err, "model: no vocab object");
		return -1;
	}
	tclog_json_iter_init(&it, vocab, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		size_t off = t->vbytes.len;

		string_value(k, klen, &key);
		if (tclog_json_integer(v, vlen, &id) != 0 || id < 0 ||
		    id >= UINT32_MAX - 1) {
			tclog_buf_printf(err, "vocab: \"%s\" has no valid id",
			    tclog_buf_str(&key));
			goto out;
		}
		if (unmap(from_cp, key.data, key.len, &t->vbytes) < 0) {
			tclog_buf_printf(err, "vocab: \"%s\" is not byte-level "
			    "(ByteLevel characters only)", tclog_buf_str(&key));
			goto out;
		}
		ensure_id(t, (uint32_t)id);
		t->voff[id] = off;
		t->tok_len[id] = (uint32_t)(t->vbytes.len - off);
		n++;
	}
	t->nvslot = table_size(n);
	t->vslot = tclog_xcalloc(t->nvslot, sizeof *t->vslot);
	for (uint32_t i = 0; i < t->nid; i++) {
		size_t mask = t->nvslot - 1, j;

		if (t->voff[i] == SIZE_MAX)
			continue;
		j = hash_bytes((unsigned char *)t->vbytes.data + t->voff[i],
		    t->tok_len[i]) & mask;
		while (t->vslot[j] != 0)
			j = (j + 1) & mask;
		t->vslot[j] = i + 1;
	}
	for (int b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;

		t->byte_id[b] = vocab_find(t, &c, 1);
		if (t->byte_id[b] == UINT32_MAX) {
			tclog_buf_printf(err, "vocab: no token for byte 0x%02x: "
			    "not a byte-level vocabulary", b);
			goto out;
		}
	}
	rc = 0;
out:
	tclog_buf_free(&key);
	return rc;
}

/* The two halves of merge m, "a b" or ["a", "b"], into a and b. */
static bool
merge_halves(const char *m, size_t len, struct tclog_buf *a,
    struct tclog_buf *b)
{
	struct tclog_json_iter it;
	const char *v, *sp;
	size_t vlen;

	a->len = b->len = 0;
	if (string_value(m, len, a) == 0) {
		if ((sp = memchr(a->data, ' ', a->len)) == NULL ||
		    memchr(sp + 1, ' ', a->len - (size_t)(sp + 1 - a->data)))
			return false;
		tclog_buf_add(b, sp + 1, a->len - (size_t)(sp + 1 - a->data));
		a->len = (size_t)(sp - a->data);
		return true;
	}
	if (tclog_json_type(m, len) != TCLOG_JSON_ARRAY)
		return false;
	tclog_json_iter_init(&it, m, len);
	if (!tclog_json_next_element(&it, &v, &vlen) ||
	    string_value(v, vlen, a) != 0 ||
	    !tclog_json_next_element(&it, &v, &vlen) ||
	    string_value(v, vlen, b) != 0)
		return false;
	return !tclog_json_next_element(&it, &v, &vlen);
}

static int
load_merges(struct tclog_tokenizer *t, const char *merges, size_t len,
    const int *from_cp, struct tclog_buf *err)
{
	struct tclog_buf a = {0}, b = {0}, ab = {0};
	struct tclog_json_iter it;
	const char *m;
	size_t mlen, n = 0, r;
	int rc = -1;

	if (merges == NULL ||
	    tclog_json_type(merges, len) != TCLOG_JSON_ARRAY) {
		tclog_buf_adds(err, "model: no merges array");
		return -1;
	}
	tclog_json_iter_init(&it, merges, len);
	while (tclog_json_next_element(&it, &m, &mlen))
		n++;
	t->nmerge_slot = table_size(n);
	t->merge = tclog_xreallocarray(NULL, t->nmerge_slot, sizeof *t->merge);
	for (size_t i = 0; i < t->nmerge_slot; i++)
		t->merge[i].rank = UINT32_MAX;
	tclog_json_iter_init(&it, merges, len);
	for (r = 0; tclog_json_next_element(&it, &m, &mlen); r++) {
		uint32_t ia, ib, ij;
		size_t mask = t->nmerge_slot - 1, i, la;
		uint64_t key;

		if (!merge_halves(m, mlen, &a, &b)) {
			tclog_buf_printf(err, "merges: entry %zu is neither "
			    "\"a b\" nor [\"a\", \"b\"]", r + 1);
			goto out;
		}
		ab.len = 0;
		if (unmap(from_cp, a.data, a.len, &ab) < 0 ||
		    (la = ab.len, unmap(from_cp, b.data, b.len, &ab)) < 0) {
			tclog_buf_printf(err, "merges: entry %zu is not "
			    "byte-level", r + 1);
			goto out;
		}
		ia = vocab_find(t, (unsigned char *)ab.data, la);
		ib = vocab_find(t, (unsigned char *)ab.data + la, ab.len - la);
		ij = vocab_find(t, (unsigned char *)ab.data, ab.len);
		if (ia == UINT32_MAX || ib == UINT32_MAX || ij == UINT32_MAX) {
			tclog_buf_printf(err, "merges: entry %zu (\"%s\" \"%s\") "
			    "names a token not in the vocabulary", r + 1,
			    tclog_buf_str(&a), tclog_buf_str(&b));
			goto out;
		}
		key = (uint64_t)ia << 32 | ib;
		for (i = hash_pair(key) & mask; t->merge[i].rank != UINT32_MAX;
		    i = (i + 1) & mask)
			if (t->merge[i].pair == key)
				break;
		if (t->merge[i].rank == UINT32_MAX) {	/* the first counts */
			t->merge[i].pair = key;
			t->merge[i].rank = (uint32_t)r;
			t->merge[i].id = ij;
		}
	}
	rc = 0;
out:
	TCLOG_BUFS_FREE(&a, &b, &ab);
	return rc;
}

/* The model object, walked in its text: vocabulary and merges are most of
 * the file, and a tree of them would cost a node per token. */
static int
load_model(struct tclog_tokenizer *t, const char *model, size_t len,
    struct tclog_buf *err)
{
	struct tclog_json_iter it;
	struct tclog_buf type = {0}, s = {0};
	const char *k, *v, *vocab = NULL, *merges = NULL;
	size_t klen, vlen, vocab_len = 0, merges_len = 0;
	int from_cp[324], rc = -1;

	if (model == NULL || tclog_json_type(model, len) != TCLOG_JSON_OBJECT) {
		tclog_buf_adds(err, "no model object");
		return -1;
	}
	tclog_json_iter_init(&it, model, len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (tclog_json_key_is(k, klen, "type"))
			string_value(v, vlen, &type);
		else if (tclog_json_key_is(k, klen, "vocab"))
			vocab = v, vocab_len = vlen;
		else if (tclog_json_key_is(k, klen, "merges"))
			merges = v, merges_len = vlen;
		else if (tclog_json_key_is(k, klen, "ignore_merges"))
			t->ignore_merges = tclog_json_is_true(v, vlen);
		else if (tclog_json_key_is(k, klen, "dropout") &&
		    tclog_json_type(v, vlen) != TCLOG_JSON_NULL &&
		    !(vlen == 1 && v[0] == '0')) {
			tclog_buf_adds(err, "model BPE with dropout is not "
			    "supported (counts would vary from run to run)");
			goto out;
		} else if ((tclog_json_key_is(k, klen,
		    "continuing_subword_prefix") ||
		    tclog_json_key_is(k, klen, "end_of_word_suffix")) &&
		    tclog_json_type(v, vlen) != TCLOG_JSON_NULL &&
		    (string_value(v, vlen, &s) != 0 || s.len > 0)) {
			tclog_buf_adds(err, "model BPE with "
			    "continuing_subword_prefix or end_of_word_suffix is "
			    "not supported");
			goto out;
		}
	}
	/* files from before "type" was written hold a BPE by its keys */
	if (type.len == 0 && merges != NULL)
		tclog_buf_adds(&type, "BPE");
	if (strcmp(tclog_buf_str(&type), "BPE") != 0) {
		tclog_buf_printf(err, "model %s is not supported (only BPE)",
		    type.len ? type.data : "(no type)");
		goto out;
	}
	byte_table(from_cp);
	if (load_vocab(t, vocab, vocab_len, from_cp, err) < 0 ||
	    load_merges(t, merges, merges_len, from_cp, err) < 0)
		goto out;
	rc = 0;
out:
	tclog_buf_free(&type);
	tclog_buf_free(&s);
	return rc;
}

static int
load_added(struct tclog_tokenizer *t, yajl_val list, struct tclog_buf *err)
{
	if (list == NULL || YAJL_IS_NULL(list))
		return 0;
	if (!YAJL_IS_ARRAY(list)) {
		tclog_buf_adds(err, "added_tokens is not an array");
		return -1;
	}
	t->added = tclog_xreallocarray(NULL, YAJL_GET_ARRAY(list)->len + 1,
	    sizeof *t->added);
	for (size_t i = 0; i < YAJL_GET_ARRAY(list)->len; i++) {
		yajl_val v = YAJL_GET_ARRAY(list)->values[i];
		const char *s = str_of(member(v, "content"));
		struct added *a = &t->added[t->nadded];

		if (s == NULL || *s == '\0' || !id_of(member(v, "id"), &a->id)) {
			tclog_buf_printf(err, "added_tokens: entry %zu has no "
			    "content or id", i + 1);
			return -1;
		}
		if (YAJL_IS_TRUE(member(v, "single_word"))) {
			tclog_buf_printf(err, "added token \"%s\": single_word "
			    "is not supported", s);
			return -1;
		}
		a->len = strlen(s);
		a->text = tclog_xmalloc(a->len + 1);
		memcpy(a->text, s, a->len + 1);
		a->lstrip = YAJL_IS_TRUE(member(v, "lstrip"));
		a->rstrip = YAJL_IS_TRUE(member(v, "rstrip"));
		/* the library's default for a missing flag: normalized
		 * unless special */
		a->normalized = member(v, "normalized") ?
		    YAJL_IS_TRUE(member(v, "normalized")) :
		    !YAJL_IS_TRUE(member(v, "special"));
		t->nadded++;
		ensure_id(t, a->id);
		t->tok_len[a->id] = (uint32_t)a->len;
		t->first_byte[(unsigned char)s[0]] = true;
	}
	return 0;
}

/* A small member of the file (normalizer, pre_tokenizer, added_tokens)
 * as a yajl tree: NULL when absent. */
static yajl_val
small_tree(const char *v, size_t len, struct tclog_buf *scratch)
{
	char ebuf[128];

	if (v == NULL)
		return NULL;
	scratch->len = 0;
	tclog_buf_add(scratch, v, len);
	return yajl_tree_parse(tclog_buf_str(scratch), ebuf, sizeof ebuf);
}

static int
read_all(const char *path, struct tclog_buf *text, struct tclog_buf *err)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		tclog_buf_printf(err, "%s", strerror(errno));
		return -1;
	}
	do {
		tclog_buf_grow(text, 1 << 20);
		n = fread(text->data + text->len, 1, text->cap - text->len, f);
		text->len += n;
	} while (n > 0);
	if (ferror(f)) {
		tclog_buf_printf(err, "%s", strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

struct tclog_tokenizer *
tclog_tokenizer_load(const char *path, struct tclog_buf *err)
{
	struct tclog_tokenizer *t = NULL;
	struct tclog_buf text = {0}, scratch = {0};
	struct tclog_json_iter it;
	yajl_val normalizer = NULL, pre = NULL, added = NULL;
	const char *k, *v, *model = NULL, *root;
	const char *nv = NULL, *pv = NULL, *av = NULL;
	size_t klen, vlen, model_len = 0, nlen = 0, plen = 0, alen = 0;
	size_t root_len;

	if (read_all(path, &text, err) < 0)
		goto out;
	if (tclog_json_check(text.data, text.len, false, &scratch) != 0) {
		tclog_buf_printf(err, "invalid JSON: %s (-T takes a "
		    "tokenizer.json)", tclog_buf_str(&scratch));
		goto out;
	}
	root = text.data;
	root_len = text.len;
	tclog_json_trim(&root, &root_len);
	if (tclog_json_type(root, root_len) != TCLOG_JSON_OBJECT) {
		tclog_buf_adds(err, "not a JSON object (-T takes a "
		    "tokenizer.json)");
		goto out;
	}
	tclog_json_iter_init(&it, root, root_len);
	while (tclog_json_next_member(&it, &k, &klen, &v, &vlen)) {
		if (tclog_json_key_is(k, klen, "model"))
			model = v, model_len = vlen;
		else if (tclog_json_key_is(k, klen, "normalizer"))
			nv = v, nlen = vlen;
		else if (tclog_json_key_is(k, klen, "pre_tokenizer"))
			pv = v, plen = vlen;
		else if (tclog_json_key_is(k, klen, "added_tokens"))
			av = v, alen = vlen;
	}
	normalizer = small_tree(nv, nlen, &scratch);
	pre = small_tree(pv, plen, &scratch);
	added = small_tree(av, alen, &scratch);
	t = tclog_xmalloc(sizeof *t);
	memset(t, 0, sizeof *t);
	/* the model first: its type says most about a file of another kind */
	if (load_model(t, model, model_len, err) < 0 ||
	    load_normalizer(t, normalizer, err) < 0 ||
	    load_pre_tokenizer(pre, err) < 0 ||
	    load_added(t, added, err) < 0) {
		tclog_tokenizer_free(t);
		t = NULL;
		goto out;
	}
	t->cache = tclog_xcalloc(CACHE_SLOTS, sizeof *t->cache);
out:
	yajl_tree_free(normalizer);
	yajl_tree_free(pre);
	yajl_tree_free(added);
	tclog_buf_free(&text);
	tclog_buf_free(&scratch);
	return t;
}

void
tclog_tokenizer_free(struct tclog_tokenizer *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nadded; i++)
		free(t->added[i].text);
	free(t->added);
	if (t->cache != NULL)
		for (size_t i = 0; i < CACHE_SLOTS; i++)
			free(t->cache[i].word);
	TCLOG_BUFS_FREE(&t->vbytes, &t->norm);
	TCLOG_FREE_ALL(t->cache, t->tok_len, t->voff, t->vslot, t->merge,
	    t->sym, t->heap, t);
}

/* ---- output ---- */

static void
emit(struct tclog_tokens *out, uint32_t id, size_t start)
{
	out->n++;
	if (!out->keep)
		return;		/* counting only */
	if (out->n > out->cap) {
		out->id = tclog_grow(out->id, &out->cap, out->n,
		    sizeof *out->id);
		out->start = tclog_xreallocarray(out->start, out->cap,
		    sizeof *out->start);
	}
	out->id[out->n - 1] = id;
	out->start[out->n - 1] = start;
}

/* ---- BPE ---- */

static void
heap_push(struct tclog_tokenizer *t, uint32_t rank, uint32_t pos, uint32_t id)
{
	size_t i;

	t->heap = tclog_grow(t->heap, &t->heap_cap, t->heap_len + 1,
	    sizeof *t->heap);
	i = t->heap_len++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		struct pending *p = &t->heap[up];

		if (p->rank < rank || (p->rank == rank && p->pos < pos))
			break;
		t->heap[i] = *p;
		i = up;
	}
	t->heap[i] = (struct pending){rank, pos, id};
}

static struct pending
heap_pop(struct tclog_tokenizer *t)
{
	struct pending top = t->heap[0], last = t->heap[--t->heap_len];
	size_t i = 0, n = t->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && (t->heap[c + 1].rank < t->heap[c].rank ||
		    (t->heap[c + 1].rank == t->heap[c].rank &&
		    t->heap[c + 1].pos < t->heap[c].pos)))
			c++;
		if (last.rank < t->heap[c].rank || (last.rank ==
		    t->heap[c].rank && last.pos < t->heap[c].pos))
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	t->heap[i] = last;
	return top;
}

static void
push_pair(struct tclog_tokenizer *t, int32_t pos)
{
	const struct merge *m = merge_find(t, t->sym[pos].id,
	    t->sym[t->sym[pos].next].id);

	if (m != NULL)
		heap_push(t, m->rank, (uint32_t)pos, m->id);
}

/* Merges the bytes of one piece; the symbols are left in t->sym from 0,
 * linked by next. */
static void
bpe(struct tclog_tokenizer *t, const unsigned char *p, size_t n)
{
	t->sym = tclog_grow(t->sym, &t->sym_cap, n, sizeof *t->sym);
	for (size_t i = 0; i < n; i++)
		t->sym[i] = (struct symbol){(int32_t)i - 1,
		    i + 1 < n ? (int32_t)i + 1 : -1, t->byte_id[p[i]], 1};
	t->heap_len = 0;
	for (size_t i = 0; i + 1 < n; i++)
		push_pair(t, (int32_t)i);
	while (t->heap_len > 0) {
		struct pending top = heap_pop(t);
		struct symbol *s = &t->sym[top.pos], *nx;
		const struct merge *m;

		if (s->len == 0 || s->next < 0)
			continue;
		nx = &t->sym[s->next];
		m = merge_find(t, s->id, nx->id);
		if (m == NULL || m->id != top.id)
			continue;
		s->id = top.id;
		s->len += nx->len;
		nx->len = 0;
		s->next = nx->next;
		if (s->next >= 0)
			t->sym[s->next].prev = (int32_t)top.pos;
		if (s->prev >= 0)
			push_pair(t, s->prev);
		if (s->next >= 0)
			push_pair(t, (int32_t)top.pos);
	}
}

/* Tokens of one pre-tokenized piece p[0..n), which starts at byte start
 * of the caller's text. */
static void
piece(struct tclog_tokenizer *t, const unsigned char *p, size_t n,
    size_t start, struct tclog_tokens *out)
{
	struct cached *c = NULL;
	uint64_t h = 0;

	if (n == 1) {
		emit(out, t->byte_id[p[0]], start);
		return;
	}
	/* Symbols link by 32-bit places: a piece of a gigabyte and more (a
	 * run of one character that long) is merged a gigabyte at a time. */
	while (n > MAX_PIECE) {
		piece(t, p, MAX_PIECE, start, out);
		p += MAX_PIECE, n -= MAX_PIECE, start += MAX_PIECE;
	}
	if (t->ignore_merges) {
		uint32_t id = vocab_find(t, p, n);

		if (id != UINT32_MAX) {
			emit(out, id, start);
			return;
		}
	}
	if (n <= CACHE_WORD) {
		h = hash_bytes(p, n);
		c = &t->cache[h & (CACHE_SLOTS - 1)];
		if (c->word != NULL && c->hash == h && c->len == n &&
		    memcmp(c->word, p, n) == 0) {
			const unsigned char *ids = c->word + n;

			for (uint32_t i = 0; i < c->ntok; i++) {
				uint32_t id;

				memcpy(&id, ids + 4 * i, 4);
				emit(out, id, start);
				start += t->tok_len[id];
			}
			return;
		}
	}
	bpe(t, p, n);
	if (c != NULL) {
		uint32_t ntok = 0;

		for (int32_t i = 0; i >= 0; i = t->sym[i].next)
			ntok++;
		free(c->word);
		c->word = tclog_xmalloc(n + 4 * (size_t)ntok);
		memcpy(c->word, p, n);
		c->hash = h;
		c->len = (uint32_t)n;
		c->ntok = ntok;
		ntok = 0;
		for (int32_t i = 0; i >= 0; i = t->sym[i].next)
			memcpy(c->word + n + 4 * ntok++, &t->sym[i].id, 4);
	}
	for (int32_t i = 0; i >= 0; i = t->sym[i].next) {
		emit(out, t->sym[i].id, start);
		start += t->sym[i].len;
	}
}

/* ---- the Qwen2 split pattern ---- */

enum cls { C_OTHER, C_LETTER, C_NUMBER, C_SPACE, C_NEWLINE };

/* White space as the tokenizers library's regex engine (Oniguruma) takes
 * \s: the Unicode White_Space property, which is the separators (Z*)
 * and the controls TAB..CR and NEL. */
static enum cls
cls_of(int32_t cp)
{
	if (cp < 0x80) {
		if (cp == '\r' || cp == '\n')
			return C_NEWLINE;
		if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
			return C_SPACE;
		if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
			return C_LETTER;
		if (cp >= '0' && cp <= '9')
			return C_NUMBER;
		return C_OTHER;
	}
	if (cp == 0x85)
		return C_SPACE;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return C_LETTER;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return C_NUMBER;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return C_SPACE;
	default:
		return C_OTHER;
	}
}

/* The character at s[i] (valid UTF-8): its class and length. */
static enum cls
char_at(const unsigned char *s, size_t n, size_t i, size_t *len, int32_t *cpp)
{
	int32_t cp;
	utf8proc_ssize_t l;

	if (s[i] < 0x80) {
		*len = 1;
		cp = s[i];
	} else {
		l = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (l <= 0) {	/* never for checked text; a byte alone */
			l = 1;
			cp = 0xfffd;
		}
		*len = (size_t)l;
	}
	if (cpp != NULL)
		*cpp = cp;
	return cls_of(cp);
}

/* Length of a contraction 's 't 're 've 'm 'll 'd (any case; the long s
 * folds to s) at s[i], which is an apostrophe; 0 when none. */
static size_t
contraction(const unsigned char *s, size_t n, size_t i)
{
	size_t r = n - i;
	int c1 = r > 1 ? s[i + 1] | 0x20 : 0, c2 = r > 2 ? s[i + 2] | 0x20 : 0;

	if (r > 2 && s[i + 1] == 0xc5 && s[i + 2] == 0xbf)	/* U+017F */
		return 3;
	if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
		return 2;
	if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') ||
	    (c1 == 'l' && c2 == 'l'))
		return 3;
	return 0;
}

/* The end of the piece that the pattern matches at s[i]. */
static size_t
split_one(const unsigned char *s, size_t n, size_t i)
{
	size_t l0, l, j;
	int32_t cp0;
	enum cls c0 = char_at(s, n, i, &l0, &cp0), c;

	if (cp0 == '\'' && (l = contraction(s, n, i)) > 0)
		return i + l;
	/* [^\r\n\p{L}\p{N}]?\p{L}+ */
	j = i;
	if (c0 != C_LETTER && c0 != C_NUMBER && c0 != C_NEWLINE &&
	    i + l0 < n && char_at(s, n, i + l0, &l, NULL) == C_LETTER)
		j = i + l0;
	if (char_at(s, n, j, &l, NULL) == C_LETTER) {
		for (j += l; j < n && char_at(s, n, j, &l, NULL) == C_LETTER;
		    j += l)
			;
		return j;
	}
	if (c0 == C_NUMBER)
		return i + l0;
	/*  ?[^\s\p{L}\p{N}]+[\r\n]* */
	j = cp0 == ' ' ? i + 1 : i;
	if (j < n && char_at(s, n, j, &l, NULL) == C_OTHER) {
		for (j += l; j < n && char_at(s, n, j, &l, NULL) == C_OTHER;
		    j += l)
			;
		while (j < n && (s[j] == '\r' || s[j] == '\n'))
			j++;
		return j;
	}
	/* white space from here: \s*[\r\n]+, \s+(?!\S), \s+ */
	size_t last = i, nl_end = 0;

	for (j = i; j < n && ((c = char_at(s, n, j, &l, NULL)) == C_SPACE ||
	    c == C_NEWLINE); j += l) {
		last = j;
		if (c == C_NEWLINE)
			nl_end = j + 1;
	}
	if (nl_end > 0)
		return nl_end;
	/* \s+(?!\S) gives the last space to what follows, unless alone */
	return j == n || last == i ? j : last;
}

/* Pre-tokenizes and merges one normalized stretch of text. */
static void
stretch(struct tclog_tokenizer *t, const unsigned char *s, size_t n,
    size_t start, bool normalized_moved, struct tclog_tokens *out)
{
	for (size_t i = 0; i < n;) {
		size_t j = split_one(s, n, i);

		piece(t, s + i, j - i, normalized_moved ? start : start + i,
		    out);
		i = j;
	}
}

static bool
needs_nfc(const unsigned char *s, size_t n)
{
	/* every code point below U+0300 is NFC as it stands */
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0xcc)
			return true;
	return false;
}

/* The leftmost, longest added token at or after from (normalized ones
 * when norm): its place and length, with what lstrip and rstrip take
 * (ASCII white space here; the library takes any Unicode white space, a
 * difference no Qwen token has: all have lstrip and rstrip false). */
static const struct added *
find_added(const struct tclog_tokenizer *t, const unsigned char *s, size_t n,
    size_t from, bool norm, size_t *at, size_t *end)
{
	for (size_t i = from; i < n; i++) {
		const struct added *best = NULL;

		if (!t->first_byte[s[i]])
			continue;
		for (size_t k = 0; k < t->nadded; k++) {
			const struct added *a = &t->added[k];

			if (a->normalized == norm && a->len <= n - i &&
			    (best == NULL || a->len > best->len) &&
			    memcmp(s + i, a->text, a->len) == 0)
				best = a;
		}
		if (best == NULL)
			continue;
		*at = i;
		*end = i + best->len;
		if (best->lstrip)
			while (*at > from && tclog_json_is_space((char)s[*at - 1]))
				--*at;
		if (best->rstrip)
			while (*end < n && tclog_json_is_space((char)s[*end]))
				++*end;
		return best;
	}
	return NULL;
}

/* A stretch between non-normalized added tokens: normalized, then split
 * by the normalized added tokens, then pre-tokenized. */
static void
segment(struct tclog_tokenizer *t, const unsigned char *s, size_t n,
    size_t start, struct tclog_tokens *out)
{
	bool moved = false;
	size_t i = 0, at, end;
	const struct added *a;

	if (n == 0)
		return;
	if (t->nfc && needs_nfc(s, n)) {
		utf8proc_uint8_t *norm = NULL;
		utf8proc_ssize_t m = utf8proc_map(s, (utf8proc_ssize_t)n, &norm,
		    UTF8PROC_STABLE | UTF8PROC_COMPOSE);

		if (m >= 0) {
			t->norm.len = 0;
			tclog_buf_add(&t->norm, norm, (size_t)m);
			free(norm);
			moved = (size_t)m != n || memcmp(t->norm.data, s, n) != 0;
			s = (const unsigned char *)t->norm.data;
			n = (size_t)m;
		}
	}
	while ((a = find_added(t, s, n, i, true, &at, &end)) != NULL) {
		stretch(t, s + i, at - i, start + (moved ? 0 : i), moved, out);
		emit(out, a->id, start + (moved ? 0 : at));
		i = end;
	}
	stretch(t, s + i, n - i, start + (moved ? 0 : i), moved, out);
}

size_t
tclog_tokenizer_encode(struct tclog_tokenizer *t, const char *text, size_t len,
    struct tclog_tokens *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, at, end, before = out->n;
	const struct added *a;

	while ((a = find_added(t, s, len, i, false, &at, &end)) != NULL) {
		segment(t, s + i, at - i, i, out);
		emit(out, a->id, at);
		i = end;
	}
	segment(t, s + i, len - i, i, out);
	return out->n - before;
}

size_t
tclog_tokenizer_count(struct tclog_tokenizer *t, const char *text, size_t len)
{
	struct tclog_tokens count = {0};

	return tclog_tokenizer_encode(t, text, len, &count);
}

void
tclog_tokens_free(struct tclog_tokens *tk)
{
	free(tk->id);
	free(tk->start);
	*tk = (struct tclog_tokens){0};
}
