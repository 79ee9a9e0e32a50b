/*
 * tclog-scrub's checks: whether a candidate a rule found is a secret
 * (not code, a reference, a placeholder, a word of a sentence, a
 * documented example, ...), and the word lists they use.
 */
#include "scrub.h"

/* Values that follow a keyword in everyday text and are no secret
 * ("passwd: files" in nsswitch.conf, "token: null"). */
static const char *const stopwords[] = {
	"files", "compat", "systemd", "sss", "null", "none", "nil", "true",
	"false", "required", "optional", "prompt", "stdin", "env", "yes",
	"no", "undefined", "redacted", "hidden", "masked", "bearer",
	"basic",
	"all",	/* passwd: all authentication tokens updated successfully. */
	"foobared",	/* redis.conf's example: # requirepass foobared */
	"retype",	/* passwd on a pipe: New password: Retype new password: */
	/* placeholders of documentation and templates, whole values */
	"changeme", "change_me", "change-me", "changeit", "placeholder",
	"example", "dummy", "secret", "password", "token", "todo", "fixme",
};

/* Beginnings and ends of placeholders: "your-key-here", "YOUR_TOKEN",
 * "<...>" (a reference, see value_ok), "replace_with_key". */
static const char *const placeholder_starts[] = {
	"your-", "your_", "replace-", "replace_",
	"insert-", "insert_", "paste-", "paste_", "enter-", "enter_",
};
static const char *const placeholder_ends[] = { "-here", "_here" };

/* Words that stand after "token:" or "password =" in code, as a type or
 * an operator, not a value: "password: str", "token: string",
 * "token = await getToken()", "password: SecretStr". */
static const char *const code_words[] = {
	"str", "string", "int", "bool", "boolean", "number", "bytes", "byte",
	"char", "any", "object", "unknown", "void", "await", "async", "new",
	"self", "this", "const", "let", "var", "function", "func", "lambda",
	"return", "typeof", "secretstr", "nullptr", "interface", "type",
};

bool
is_word_byte(unsigned char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True when text[at, at + len), len > 0, is a whole word: no word byte
 * beside it, and no digits beyond a dot beside a digit of its edge: a
 * word of -w such as 192.168.2 is no part of the longer dotted numbers
 * 192.168.2.25 and 10.192.168.2 (where host7 is one of host7.lan). */
bool
whole_word(const char *text, size_t n, size_t at, size_t len)
{
	size_t e = at + len;

	if ((at > 0 && is_word_byte((unsigned char)text[at - 1])) ||
	    (e < n && is_word_byte((unsigned char)text[e])))
		return false;
	if (is_digit(text[at]) && at >= 2 && text[at - 1] == '.' &&
	    is_digit(text[at - 2]))
		return false;
	return !(is_digit(text[e - 1]) && e + 1 < n && text[e] == '.' &&
	    is_digit(text[e + 1]));
}


static bool
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* True when text[start] lies in a placeholder or starts one: what was
 * redacted once is never found again. */
bool
in_placeholder(const char *text, size_t n, size_t start)
{
	size_t from = start > KIND_MAX + PLACEHOLDER_LEN ?
	    start - KIND_MAX - PLACEHOLDER_LEN : 0;

	for (size_t i = start + 1; i-- > from;) {
		if (text[i] == ']' && i < start)
			return false;
		if (text[i] == '[' && n - i >= PLACEHOLDER_LEN &&
		    memcmp(text + i, PLACEHOLDER, PLACEHOLDER_LEN) == 0)
			return true;
	}
	return false;
}

static bool
in_list(const char *const *list, size_t nlist, const char *s, size_t n)
{
	/* the first letter first: most values start with no word's */
	for (size_t i = 0; i < nlist && n > 0; i++)
		if ((list[i][0] | 0x20) == (s[0] | 0x20) &&
		    strlen(list[i]) == n && strncasecmp(s, list[i], n) == 0)
			return true;
	return false;
}
#define IN_LIST(list, s, n) in_list(list, sizeof(list) / sizeof(list[0]), \
	s, n)

static bool
is_ident_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the identifier at s, 0 if none. */
static size_t
ident_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_ident_start((unsigned char)s[0]))
		return 0;
	while (i < n && (is_ident_start((unsigned char)s[i]) ||
	    (s[i] >= '0' && s[i] <= '9')))
		i++;
	return i;
}

/* A dotted name (any case): process.env.JWT_SECRET, cfg.Password,
 * self.token; with few digits, not a token of dotted parts. */
static bool
is_dotted_name(const char *s, size_t n)
{
	size_t k, parts = 0, digits = 0;

	for (k = 0; k < n; k++)
		digits += s[k] >= '0' && s[k] <= '9';
	if (digits > 3)
		return false;

	for (;;) {
		if ((k = ident_len(s, n)) == 0)
			return false;
		parts++;
		s += k;
		n -= k;
		if (n == 0)
			return parts > 1;
		if (*s != '.')
			return false;
		s++;
		n--;
	}
}

/* Compares two names in lower case without '_', '-' and '.'; with
 * suffix, b may end in a; else they must be equal. */
static bool
same_name(const char *a, size_t an, const char *b, size_t bn, bool suffix)
{
	size_t i = an, j = bn;

	for (;;) {
		while (i > 0 && strchr("_-.", a[i - 1]) != NULL)
			i--;
		while (j > 0 && strchr("_-.", b[j - 1]) != NULL)
			j--;
		if (i == 0)
			return j == 0 || suffix;
		if (j == 0)
			return false;
		if ((a[i - 1] | 0x20) != (b[j - 1] | 0x20))
			return false;
		i--;
		j--;
	}
}

/* True when the name holds word, in any case. */
bool
name_has(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, word, k) == 0)
			return true;
	return false;
}

/* A reference to a variable, a mask or a placeholder, whatever the
 * quoting: what stands for a secret held elsewhere or not yet given. */
bool
is_reference(const char *s, size_t n, char quote)
{
	size_t k, stars = 0, dots = 0;

	if (n == 0 || strchr("%<{", s[0]) != NULL)
		return true;	/* %VAR%, <password>, {{ var }} */
	if (s[0] == '$') {
		/* ${VAR}, $(cmd), and a whole $VAR but in single quotes,
		 * where the shell does not expand it ('$ecret' is one). */
		if (n == 1 || s[1] == '{' || s[1] == '(')
			return true;
		k = ident_len(s + 1, n - 1);
		return quote == 0 || (quote == '"' && k == n - 1);
	}
	for (size_t i = 0; i < n; i++) {
		stars += s[i] == '*' || s[i] == 'x' || s[i] == 'X';
		dots += s[i] == '.';
	}
	if (stars == n || dots == n)
		return true;	/* xxxx, ****, ...: masked */
	if (stars >= 8 && 3 * stars >= 2 * n)
		return true;	/* ghp_XXXX..., sk_live_xxxx...: a placeholder */
	/* AWS's documented examples: AKIAIOSFODNN7EXAMPLE,
	 * wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY */
	if ((n > 7 && memcmp(s + n - 7, "EXAMPLE", 7) == 0) ||
	    (n > 10 && memcmp(s + n - 10, "EXAMPLEKEY", 10) == 0))
		return true;
	if (IN_LIST(stopwords, s, n))
		return true;
	for (size_t i = 0; i < sizeof(placeholder_starts) /
	    sizeof(placeholder_starts[0]); i++)
		if ((placeholder_starts[i][0] | 0x20) == (s[0] | 0x20) &&
		    n > strlen(placeholder_starts[i]) &&
		    strncasecmp(s, placeholder_starts[i],
		    strlen(placeholder_starts[i])) == 0)
			return true;
	for (size_t i = 0; i < sizeof(placeholder_ends) /
	    sizeof(placeholder_ends[0]); i++) {
		k = strlen(placeholder_ends[i]);
		if (n > k && strncasecmp(s + n - k, placeholder_ends[i], k) == 0)
			return true;
	}
	return false;
}

/* The quote around text[start, end) when it is a quoted value, else 0. */
static char
quote_of(const char *text, size_t n, size_t start, size_t end)
{
	char q = start > 0 ? text[start - 1] : 0;

	return (q == '"' || q == '\'') && end < n && text[end] == q ? q : 0;
}

/* A value after an option or in a URL: no reference or path. */
static bool
value_ok(const char *text, size_t n, size_t start, size_t end)
{
	const char *s = text + start;
	size_t len = end - start;
	char q = quote_of(text, n, start, end);

	if (is_reference(s, len, q) || s[0] == '/' || s[0] == '~' ||
	    has_prefix(s, len, "./") || has_prefix(s, len, "../"))
		return false;
	return true;
}

/* An environment variable's name: capitals, digits and '_'. */
static bool
is_env_name(const char *s, size_t n)
{
	bool letter = false;

	for (size_t i = 0; i < n; i++) {
		if (!(s[i] == '_' || is_digit(s[i]) || (s[i] >= 'A' &&
		    s[i] <= 'Z')))
			return false;
		letter = letter || (s[i] >= 'A' && s[i] <= 'Z');
	}
	return letter;
}

/*
 * A value after a keyword: a secret only when it looks like a literal
 * one. Quoted, it is a string literal of code or config, a secret
 * unless a reference. Unquoted, it is a word of a shell or config
 * assignment (DB_PASS=S3cret, password: S3cret), or code: a dotted
 * name, a call, an index, a type or operator (password: str,
 * token = await ...), the name itself (self.api_key = api_key) or
 * another name of a secret without a digit (token = accessToken; but
 * password=CorpPassword2024 is a password). Digits only are a password
 * (password=12345678), not a token (max_token=4096).
 */
static bool
keyword_ok(const char *text, size_t n, size_t start, size_t end)
{
	const char *s = text + start, *name;
	size_t len = end - start, i = start, nlen, k;
	char q = quote_of(text, n, start, end);
	bool pw, digits = true;

	if (len < 3 || !value_ok(text, n, start, end))
		return false;
	/* The name before the operator: back over the quote, blanks, the
	 * operator, blanks and a quote. */
	if (q)
		i--;
	while (i > 0 && strchr(" \t=:>\"'", text[i - 1]) != NULL)
		i--;
	nlen = 0;
	while (i > 0 && (is_word_byte((unsigned char)text[i - 1]) ||
	    text[i - 1] == '.' || text[i - 1] == '-'))
		i--, nlen++;
	name = text + i;
	pw = name_has(name, nlen, "pass") || name_has(name, nlen, "pwd");
	for (k = 0; k < len; k++)
		digits = digits && s[k] >= '0' && s[k] <= '9';
	if (digits && !pw)
		return false;
	if (q)	/* a literal, unless the quote was another string's end */
		return strchr(" \t),;+", s[0]) == NULL;
	/* a label (password: passwd:), a comparison (password == confirm) */
	for (k = start; k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t');)
		k--;
	if (s[len - 1] == ':' || (k >= 2 && text[k - 1] == '=' &&
	    strchr("=!", text[k - 2]) != NULL))
		return false;
	/* A shell or environment assignment (VAULT_TOKEN=hvs.x,
	 * DB_PASSWORD=word.word.word): NAME in capitals right before '=';
	 * its value is a literal, dotted or not. */
	if (start > 0 && text[start - 1] == '=' && nlen > 0 &&
	    name + nlen == text + start - 1 && is_env_name(name, nlen) &&
	    s[0] != '!' && memchr(s, '(', len) == NULL && memchr(s, '[',
	    len) == NULL)
		return true;
	/* a regular expression (sed 's/^api_key:.*\/.../') is code too */
	if (s[0] == '!' || s[0] == '@' || s[0] == '&' || s[0] == '^' ||
	    memmem(s, len, ".*", 2) != NULL ||
	    memchr(s, '(', len) != NULL || memchr(s, '[', len) != NULL ||
	    is_dotted_name(s, len) || IN_LIST(code_words, s, len))
		return false;
	if (ident_len(s, len) == len) {
		/* self.api_key = api_key; password = dbPassword */
		if (same_name(s, len, name, nlen, true))
			return false;
		/* Another name of a secret, in camelCase or snake_case
		 * (token = accessToken, secret = SECRET_KEY), but not one
		 * with a digit: CorpPassword2024, MyPass99, MyApiKey2024
		 * are how people make passwords, a digit in a name of code
		 * (s3SecretKey) is rare, and a missed password costs more
		 * than a redacted name. */
		for (k = 0; k < len && !is_digit(s[k]); k++)
			continue;
		if (k < len)
			return true;
		for (k = 1; k < len; k++)
			if (s[k] == '_' || (s[k] >= 'A' && s[k] <= 'Z' &&
			    s[k - 1] >= 'a' && s[k - 1] <= 'z'))
				break;
		if (k < len && (name_has(s, len, "pass") ||
		    name_has(s, len, "pwd") || name_has(s, len, "secret") ||
		    name_has(s, len, "token") || name_has(s, len, "key")))
			return false;
	}
	return true;
}

/* The start of the line that holds at, or 256 bytes before at: the
 * checks look back that far only, so that many candidates on one long
 * line cost time linear in it. */
#define LOOK_BACK 256
static size_t
line_start(const char *text, size_t at)
{
	size_t stop = at > LOOK_BACK ? at - LOOK_BACK : 0;

	while (at > stop && text[at - 1] != '\n' &&
	    !(at > 1 && text[at - 2] == '\\' && text[at - 1] == 'n'))
		at--;
	return at;
}

/* True when text[from, to) holds word as a whole word (any case). */
static bool
has_word(const char *text, size_t from, size_t to, const char *word)
{
	size_t k = strlen(word);

	for (size_t i = from; i + k <= to; i++)
		if (strncasecmp(text + i, word, k) == 0 &&
		    (i == from || !(is_word_byte((unsigned char)text[i - 1]) ||
		    text[i - 1] == '-' || text[i - 1] == '.')) &&
		    (i + k == to || !(is_word_byte((unsigned char)text[i + k]) ||
		    text[i + k] == '-')))
			return true;
	return false;
}

/*
 * An e-mail address, not: git@host (an ssh user), an image name@2x.png,
 * a systemd instance unit (getty@tty1.service), the USER@HOST of a URL
 * (ssh://bob@host) or of a command that logs in or copies to a host
 * (ssh, scp, rsync, sftp, ssh-copy-id, mosh, sshfs; a host followed by
 * a colon: scp f bob@host:/tmp). -w takes those users and hosts out.
 */
static bool
email_ok(const char *text, size_t n, size_t start, size_t end)
{
	static const char *const ends[] = { ".png", ".jpg", ".jpeg",
	    ".gif", ".svg", ".webp", ".service", ".socket", ".target",
	    ".timer", ".mount", ".automount", ".path", ".slice", ".scope",
	    ".device", ".swap" };
	static const char *const logins[] = { "ssh", "scp", "rsync", "sftp",
	    "ssh-copy-id", "mosh", "sshfs", "autossh", "ssh-keyscan" };
	const char *s = text + start, *at = memchr(s, '@', end - start);
	size_t len = end - start, ls = line_start(text, start), from = ls;

	if (at - s == 3 && memcmp(s, "git", 3) == 0)
		return false;	/* git@github.com: an ssh user, not a person */
	/* right after a placeholder: the tail of a secret's word, found by
	 * the first run (eyJ...[.]smith@example.com, a local part too long
	 * to be one there), is no address on the next either */
	if (start > 0 && text[start - 1] == ']' &&
	    in_placeholder(text, n, start - 1))
		return false;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t k = strlen(ends[i]);

		if (len > k && strncasecmp(s + len - k, ends[i], k) == 0)
			return false;	/* icon@2x.png, getty@tty1.service */
	}
	if (end < n && text[end] == ':' && end + 1 < n &&
	    strchr(" \t\r\n", text[end + 1]) == NULL)
		return false;	/* bob@host:/path */
	if (start >= 3 && memcmp(text + start - 3, "://", 3) == 0 &&
	    !(start >= 7 && strncasecmp(text + start - 7, "mailto:", 7) == 0))
		return false;
	/* the command of the address: after the last | ; & on its line */
	for (size_t i = ls; i < start; i++)
		if (strchr("|;&", text[i]) != NULL)
			from = i + 1;
	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
		if (has_word(text, from, start, logins[i]))
			return false;
	return true;
}

/* A Discord bot token: its first part, up to the dot, is the bot's user
 * id (a snowflake, 17 to 20 digits, no leading 0) in base64. */
static bool
discord_ok(const char *s, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *dot = memchr(s, '.', n), *p;
	unsigned long bits = 0;
	size_t nbits = 0, digits = 0;

	for (size_t i = 0; dot != NULL && i < (size_t)(dot - s); i++) {
		if ((p = memchr(b64, s[i], sizeof(b64) - 1)) == NULL)
			return false;
		bits = bits << 6 | (unsigned long)(p - b64);
		if ((nbits += 6) >= 8) {
			unsigned char c = (unsigned char)(bits >>
			    (nbits -= 8));

			if (c < '0' || c > '9' || (digits == 0 && c == '0'))
				return false;
			digits++;
			bits &= (1UL << nbits) - 1;
		}
	}
	return digits >= 17 && digits <= 20;
}

/* At least 10 different bytes: a key, not a placeholder such as
 * SK00000000000000000000000000000000 or SKabcabcabc... */
static bool
random_ok(const char *s, size_t n)
{
	bool seen[256] = { false };
	size_t distinct = 0;

	for (size_t i = 0; i < n; i++)
		if (!seen[(unsigned char)s[i]]) {
			seen[(unsigned char)s[i]] = true;
			distinct++;
		}
	return distinct >= 10;
}

/* A token of a known format, not a documented example
 * (AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) nor a
 * placeholder of few characters (ghp_XXXX..., sk_live_xxxx...). */
static bool
token_ok(const char *s, size_t n)
{
	return random_ok(s, n) && memmem(s, n, "EXAMPLE", 7) == NULL;
}

/* Words that follow "the password is" in a sentence and are none. */
static const char *const prose_words[] = {
	"wrong", "incorrect", "invalid", "correct", "right", "required",
	"missing", "empty", "blank", "set", "unset", "not", "stored",
	"saved", "hashed", "encrypted", "expired", "the", "too", "still",
	"being", "case", "different", "same", "changed", "reset", "fine",
	"shown", "visible", "needed", "long", "short", "weak", "strong",
	"secure", "insecure", "unknown", "known", "from", "that", "this",
	"your", "their", "also", "used", "working", "accepted", "rejected",
	"locked", "disabled", "enabled", "generated", "random", "printed",
	"displayed", "sent", "there", "here", "only", "just", "then",
	"what", "which", "asked", "prompted", "read", "kept", "given",
	"auto", "okay", "good", "valid", "updated", "removed", "deleted",
	"passed", "loaded", "defined", "configured", "included", "provided",
	"supplied", "specified", "rotated", "revoked", "cached", "ignored",
	"authentication", "mandatory", "sensitive", "correctly", "now",
};

/* The word nearest before start that names the secret names a
 * password or PIN, not a token or key: digits alone are a secret after
 * it (the PIN is 4821; not: the token is 4096). */
static bool
names_password(const char *text, size_t start)
{
	static const char *const yes[] = { "pass", "pin", "pw" };
	static const char *const no[] = { "token", "key", "secret" };
	size_t from = line_start(text, start);

	if (start - from > 64)
		from = start - 64;
	for (size_t i = start; i-- > from;) {
		for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
			if (start - i >= strlen(yes[k]) && strncasecmp(text + i,
			    yes[k], strlen(yes[k])) == 0)
				return true;
		for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++)
			if (start - i >= strlen(no[k]) && strncasecmp(text + i,
			    no[k], strlen(no[k])) == 0)
				return false;
	}
	return false;
}

/*
 * A password stated in prose. Quoted (also in `backquotes`), it is one
 * unless a reference, a placeholder or a word of prose_words. A bare
 * word must read as one: a digit (digits alone only after a word of a
 * password or PIN), a sign, or a capital inside (hunter2, S3cret!,
 * MySecret); not code (cfg.password, getpass()); "the password is
 * wrong" and "the token is stored in Vault" keep their words.
 */
static bool
prose_ok(const char *text, size_t n, size_t start, size_t end)
{
	const char *s = text + start;
	size_t len = end - start, digits = 0, signs = 0, inner = 0;
	char q = start > 0 ? text[start - 1] : 0;

	if (len < 4 || !value_ok(text, n, start, end) ||
	    IN_LIST(prose_words, s, len))
		return false;
	for (size_t i = 0; i < len && digits == i; i++)
		digits += is_digit(s[i]);
	if (digits == len)	/* the PIN is 4821; not: the token is 4096 */
		return names_password(text, start);
	/* the keyword rule's judgement: code, references, a string's end */
	if (!keyword_ok(text, n, start, end))
		return false;
	if ((q == '"' || q == '\'' || q == '`') && end < n && text[end] == q)
		return true;
	digits = 0;
	for (size_t i = 0; i < len; i++) {
		digits += is_digit(s[i]);
		signs += strchr("!#$%^&*+=@~?/|\\<>", s[i]) != NULL;
		inner += i > 0 && s[i] >= 'A' && s[i] <= 'Z' &&
		    s[i - 1] >= 'a' && s[i - 1] <= 'z';
	}
	return digits > 0 || signs > 0 || inner > 0;
}

/* Whether a .pgpass line's HOST may start at text[i]: at the text's
 * start, or after a blank, a quote, '>' or an escaped newline (\n as
 * two characters, as a line written by echo). */
static bool
pgpass_host_starts(const char *text, size_t i)
{
	return i == 0 || memchr(" \t\n\v\f\r'\">", text[i - 1], 9) != NULL ||
	    (i > 1 && text[i - 2] == '\\' && text[i - 1] == 'n');
}

/* Whether the colon at text[c] follows a .pgpass line's HOST: '*', or
 * a name of ASCII letters, digits, '_', '.' and '-' (PCRE2's [\w.-])
 * with a letter or a dot, starting where pgpass_host_starts. */
static bool
pgpass_host(const char *text, size_t c)
{
	bool named = false;

	if (c > 0 && text[c - 1] == '*' && pgpass_host_starts(text, c - 1))
		return true;
	for (size_t i = c; i > 0; i--) {
		char b = text[i - 1];
		bool letter = (b | 0x20) >= 'a' && (b | 0x20) <= 'z';

		if (!letter && !is_digit(b) && b != '_' && b != '.' &&
		    b != '-')
			return false;
		named = named || letter || b == '.';
		if (named && pgpass_host_starts(text, i - 1))
			return true;
	}
	return false;
}

/* A .pgpass line, not a MAC address (aa:11:b2:c3:d4 has its shape).
 * The rule's match starts at the colon before PORT, the fourth before
 * PASSWORD (no field between holds one): its HOST is checked here. */
static bool
pgpass_ok(const char *text, size_t n, size_t start, size_t end)
{
	size_t i = start, c = start;

	for (int colons = 0; colons < 4 && c > 0;)
		colons += text[--c] == ':';
	if (!pgpass_host(text, c) || !value_ok(text, n, start, end))
		return false;
	while (i > 0 && start - i < LOOK_BACK &&
	    strchr(" \t\r\n'\">", text[i - 1]) == NULL &&
	    !(i > 1 && text[i - 2] == '\\' && text[i - 1] == 'n'))
		i--;
	for (; i < end; i++)
		if (text[i] != ':' && !((text[i] >= '0' && text[i] <= '9') ||
		    ((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'f')))
			return true;
	return false;
}

/* The value of an option: not podman's or docker's --secret NAME,
 * which names a secret stored elsewhere. */
static bool
option_ok(const char *text, size_t n, size_t start, size_t end)
{
	size_t i = start, ls = line_start(text, start);

	if (!value_ok(text, n, start, end))
		return false;
	while (i > ls && strchr(" \t='\"", text[i - 1]) != NULL)
		i--;
	if (i - ls < 8 || memcmp(text + i - 8, "--secret", 8) != 0)
		return true;
	return !(has_word(text, ls, i, "podman") ||
	    has_word(text, ls, i, "docker") ||
	    has_word(text, ls, i, "buildah") ||
	    has_word(text, ls, i, "nerdctl"));
}

/* Each check: of the value in its text, or of the value alone. */
static const struct {
	bool (*in_text)(const char *text, size_t n, size_t start, size_t end);
	bool (*alone)(const char *s, size_t n);
} checks[] = {
	[CHECK_NONE] = { NULL, NULL },
	[CHECK_VALUE] = { value_ok, NULL },
	[CHECK_KEYWORD] = { keyword_ok, NULL },
	[CHECK_EMAIL] = { email_ok, NULL },
	[CHECK_DISCORD] = { NULL, discord_ok },
	[CHECK_RANDOM] = { NULL, random_ok },
	[CHECK_TOKEN] = { NULL, token_ok },
	[CHECK_PROSE] = { prose_ok, NULL },
	[CHECK_PGPASS] = { pgpass_ok, NULL },
	[CHECK_OPTION] = { option_ok, NULL },
};

bool
check_ok(enum check check, const char *text, size_t n, size_t start,
    size_t end)
{
	if (checks[check].in_text != NULL)
		return checks[check].in_text(text, n, start, end);
	if (checks[check].alone != NULL)
		return checks[check].alone(text + start, end - start);
	return true;
}

/* ---- finding ---- */
