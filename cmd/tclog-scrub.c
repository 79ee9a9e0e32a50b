/*
 * tclog-scrub - take secrets and personal data out of tool-call logs.
 *
 * Every string of an entry is searched, and a string that holds JSON
 * (arguments, model_response, a call's arguments inside it) is walked as
 * JSON in its turn, so that a secret is found in the decoded text of the
 * innermost string and replaced there; the JSON around it is copied as
 * it was written. A finding becomes "[REDACTED:kind]". An entry with
 * nothing found is written byte for byte.
 *
 * Two engines, chosen by measurement (bench/README.md): Vectorscan scans
 * each string once for every rule together and only says which rules
 * match; PCRE2 is then run, for those rules only, on the few
 * strings that matched, to find where the secret is (a rule's first
 * capture group, or its whole match). Vectorscan cannot report capture
 * groups, and PCRE2 alone, one rule after another, was 5x slower.
 *
 * The rules re-express the shapes of gitleaks' rule set (config
 * gitleaks.toml, commit b58d3f1, July 2026) and the lessons of
 * detect-secrets' keyword plugin (detect_secrets/plugins/keyword.py,
 * commits 6cf2d66 and 010e929): a keyword rule needs a value beside it;
 * in code only a quoted value is a secret (the plugin requires quotes
 * in source files; a log does not say which file a line came from, so
 * an unquoted value that reads as code, such as str, await, cfg.Password
 * or f(), is taken for code); and a value that is a reference ($VAR,
 * ${VAR}, {{ var }}, <password>), a mask (***), a placeholder (dummy,
 * your-key-here) or a path is no secret.
 */
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include "tclog.h"

#ifdef TCLOG_SCRUB_DB
/* builtin_db[], builtin_min_width: the Vectorscan database of the
 * built-in rules, made at build time by this file built as a generator
 * (TCLOG_SCRUB_DB_GEN, at its end; see the Makefile). Compiling it here
 * costs 40 ms at every start, loading it 20 us. */
#include "tclog-scrub-db.inc"
#endif

/* How a rule's candidate value is checked before it counts. */
enum check {
	CHECK_NONE,
	CHECK_VALUE,	/* no reference, placeholder or path */
	CHECK_KEYWORD,	/* CHECK_VALUE, and not only digits or a stopword */
	CHECK_EMAIL,	/* not git@host: nor an image name@2x.png */
	CHECK_DISCORD,	/* the first part is a user id in base64 */
	CHECK_RANDOM,	/* many different characters: no SK000... */
	CHECK_TOKEN,	/* CHECK_RANDOM, and not a documented example
			 * (AKIAIOSFODNN7EXAMPLE) nor ghp_XXXX... */
	CHECK_PROSE,	/* a password stated in words: CHECK_KEYWORD,
			 * and no word of the sentence */
	CHECK_PGPASS,	/* a .pgpass line, not a MAC address */
	CHECK_OPTION	/* CHECK_VALUE, and not podman's --secret NAME */
};

/* A rule: its kind (the placeholder's name), its expression (PCRE
 * syntax that Vectorscan also takes) and the check of its value. When
 * the expression has a capture group, the first group is the secret;
 * else the whole match. Earlier rules win where findings overlap.
 * Bounded repeats make Vectorscan's compilation slow (tens of
 * milliseconds a rule, paid at every start): the detect expressions
 * leave them to PCRE2. */
struct rule {
	const char *kind, *re;
	enum check check;
	const char *detect;	/* for Vectorscan, when not re: a cheaper
				 * expression that matches wherever re does */
};

/* The kinds whose matches may start a line before their detection ends
 * (a key's lines, a here-document, expect's send on the next line, a
 * secret key on the line after its id). */
static const char *const spanning_kinds[] = { "private-key",
    "aws-secret-key", "netrc-password", "chpasswd-password",
    "expect-password" };

/* A line break, written or escaped (echo "...\\n..."); base64; a
 * line's end. */
#define NL "(?:\\r?\\n|\\\\n)"
#define B64 "[A-Za-z0-9+/=]"
#define EOL "[ \\t]*(?=[\\r\\n]|\\\\n|\\z)"
/* A value after a keyword or option: quoted, to the matching quote
 * (a passphrase with blanks), or a word. The first group is the value
 * either way (a branch reset); check_ok sees which by the byte before. */
#define VALUE_QUOTED "(?|\"([^\"\\n]*)\"(?=[\\s,;:.)}\\]']|\\z)|" \
	"'([^'\\n]*)'(?=[\\s,;:.)}\\]\"]|\\z)|"
/* The first 4 characters of a Discord user id (17 to 20 digits) in
 * base64: every byte is an ASCII digit, 0x30 to 0x39. */
#define DISCORD_ID "[MNO][DTjz][AEIMQUYcgk][w-z0-5]"
/* A crypt(3) salt or hash character. */
#define CRYPT "[./0-9A-Za-z]"
/* sudo and its options before -S (--stdin): -u USER, -p PROMPT and the
 * others that take a value, flags (sudo -S -k, sudo -kS). Each option
 * is an atomic group, read one way only: else "-tt -tt ..." could be
 * split in 2^n ways before a failure, past PCRE2's match limit. */
#define SUDO_S "\\bsudo(?>[ \\t]+-[A-Za-z]*[CDghprtTuU](?:[ \\t]+|=)?" \
	"(?:'[^'\\n]*'|\"[^\"\\n]*\"|[^\\s'\"-]\\S*)|[ \\t]+-[A-Za-z]+|" \
	"[ \\t]+--[a-z-]+(?:=\\S*)?){0,16}?[ \\t]+" \
	"(?:-[A-Za-z]*S[A-Za-z]*|--stdin)(?![\\w-])"
#define SUDO_S_DETECT "\\bsudo\\b[^\\n]*[ \\t](?:-[A-Za-z]*S|--stdin)"
/* An option of htpasswd: a cost (-C 10), rounds (-r 5000), else flags. */
#define HTPASSWD_OPT "(?>[ \\t]+-(?:[Cr][ \\t]*[0-9]+|[A-Za-z0-9]+))"
/* At most 12 options: each costs a PCRE2 frame, and htpasswd has 16. */
#define HTPASSWD_OPTS(min) "(?:" HTPASSWD_OPT "){" #min ",12}"
/* The rest of a line, not empty, to a written or escaped line break
 * (a backslash before another letter is part of it): possessive
 * repeats of a character, so that PCRE2 keeps no frame and counts no
 * step for each byte, only for each backslash. */
#define LINE_REST "(?!\\n|\\\\n|\\z)[^\\n\\\\]*+(?:\\\\(?!n)[^\\n\\\\]*+)*+"
/* A word of a shell command: quoted or bare. */
#define WORD "(?:'[^'\\n]*'|\"[^\"\\n]*\"|[^\\s'\"|;&<>-][^\\s|;&<>]*)"
/* USER:PASSWORD of chpasswd, quoted or bare: the first group from the
 * colon on, a last \n (printf) left out. */
#define USER_PW "(?|\"[^\"\\s:]++:([^\"\\n]+?)(?:\\\\n)?\"|" \
	"'[^'\\s:]++:([^'\\n]+?)(?:\\\\n)?'|[^\\s'\"|;&:]++:([^\\s'\"|;&]+))"
/* sudo and flags before a command that reads a pipe; a here-string's
 * <<< after a command's words (a redirection's >& included). */
#define PIPE_SUDO "(?:sudo(?>[ \\t]+-[A-Za-z]+)*[ \\t]+)?"
#define HERE_STRING "[^\\n|;&]*?(?:(?<=>)&[^\\n|;&]*?)*?<<<[ \\t]*+"
/*
 * What ends a rule that looks for its option anywhere after a command's
 * name on the line (curl ... -u): when the rest fails from the first
 * name, it fails from every later one on the line too (their gap is
 * part of the first's), so PCRE2 skips to the line's end instead of
 * trying each again, which took time quadratic in the line
 * ("mysql mysql ... -p").
 */
#define OR_SKIP(gap) "|" gap "*+(*SKIP)(*FAIL))"
#define OR_SKIP_LINE OR_SKIP("[^\\n]")
#define VALUE VALUE_QUOTED "((?:[^\\s'\"`,;&|)\\\\]++|\\\\(?!n))+))"
/* Passwords in prose: the words that name one, and the value, quoted
 * ("", '', ``) or a word without the sentence's punctuation after it. */
#define PROSE_KEY "(?:pass(?:word|phrase|wd|code)|pw|pin|api[ _-]?key|" \
	"(?:access|secret)[ _-]?key|token|secret)"
#define PROSE_VALUE "(?|\"([^\"\\n]+)\"|'([^'\\n]+)'|`([^`\\n]+)`|" \
	"([^\\s'\"`,;)]+?)(?=[.?:,;)]*+(?:\\s|\\z)))"
/* An SQL string literal, '' or "" inside it: the first group. */
#define SQL_STRING "(?|'((?:[^'\\n]++|'')+)'|\"((?:[^\"\\n]++|\"\")+)\")"
#define VALUE_OPT VALUE_QUOTED "([^\\s'\"-][^\\s'\"]*))"
static const struct rule builtin[] = {
	/* The header, PEM headers (Proc-Type:), then lines of base64 to
	 * the END line; without one, body lines (the first at least 16
	 * long, or the last of the text) to the first line that is not one:
	 * a header alone (code, grep output) is no key, and the text after
	 * a cut key stays. */
	{ "private-key", "-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?"
	    "-----(?:" NL "[A-Za-z-]{1,40}:[^\\r\\n]*)*" NL "(?:" NL ")?"
	    "(?:(?:[ \\t]*" B64 "+[ \\t]*" NL ")+[ \\t]*-----END"
	    "[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|"
	    "[ \\t]*" B64 "{16,}" EOL "(?:" NL "[ \\t]*" B64 "{16,}" EOL ")*|"
	    "[ \\t]*" B64 "+[ \\t]*\\z)",
	    CHECK_NONE, "-----BEGIN[ A-Z0-9_-]*PRIVATE KEY" },
	{ "aws-access-key-id", "\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)"
	    "[A-Z2-7]{16}\\b", CHECK_TOKEN,
	    "\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]" },
	{ "aws-secret-key", "(?i)aws_?secret_?(?:access_?)?key[\"']?[ \\t]*"
	    "(?:[=:][ \\t]*|[ \\t])[\"']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|\\z)",
	    CHECK_TOKEN, "(?i)aws_?secret" },
	/* A secret key beside its key id, without a name: CSV of the
	 * console, aws configure's answers, s3fs's ID:SECRET. */
	{ "aws-secret-key", "\\b(?:AKIA|ASIA)[A-Z2-7]{16}(?:[ \\t]*[,:;|][ \\t]*|"
	    "\\s+)[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", CHECK_TOKEN,
	    "\\b(?:AKIA|ASIA)[A-Z2-7]{16}[^A-Za-z0-9]+[A-Za-z0-9/+]{40}" },
	{ "github-token", "\\b(?:gh[pousr]_[0-9A-Za-z]{36,}|"
	    "github_pat_\\w{60,})", CHECK_TOKEN,
	    "\\b(?:gh[pousr]_|github_pat_)" },
	{ "gitlab-token", "\\bglpat-[\\w-]{20,}", CHECK_TOKEN,
	    "\\bglpat-" },
	/* Slack's configuration tokens (gitleaks' slack-config-access-token
	 * and slack-config-refresh-token: 163 and 146 characters after the
	 * prefix); shorter ones are documentation placeholders
	 * (xoxe.xoxp-1-RANDOMSTRINGHERE). */
	{ "slack-config-token", "\\bxoxe(?:\\.xox[bp]-[0-9]-[A-Za-z0-9]{163,}|"
	    "-[0-9]-[A-Za-z0-9]{146,})", CHECK_TOKEN,
	    "\\bxoxe(?:\\.xox[bp])?-[0-9]-[A-Za-z0-9]" },
	{ "slack-token", "\\bxox[abprs]-[0-9A-Za-z-]{10,}", CHECK_TOKEN,
	    "\\bxox[abprs]-" },
	{ "slack-webhook", "\\bhooks\\.slack\\.com/(?:services|workflows|triggers)"
	    "/([A-Za-z0-9+/]{20,})", CHECK_NONE, "\\bhooks\\.slack\\.com/" },
	/* Discord: a webhook's token (the id before it stays); a bot token,
	 * the bot's user id in base64, a time and an HMAC joined by dots,
	 * its id checked by CHECK_DISCORD (gitleaks b58d3f1 has neither
	 * shape, only tokens after the word discord). */
	{ "discord-webhook", "\\bdiscord(?:app)?\\.com/api(?:/v[0-9]+)?"
	    "/webhooks/[0-9]{17,20}/([\\w-]{60,})", CHECK_NONE,
	    "\\bdiscord(?:app)?\\.com/api/(?:v[0-9]+/)?webhooks/[0-9]" },
	{ "discord-token", "(?<![\\w.-])" DISCORD_ID "[\\w-]{19,23}\\."
	    "[\\w-]{6}\\.[\\w-]{27,38}(?![\\w.-])", CHECK_DISCORD,
	    DISCORD_ID "[\\w-]*\\.[\\w-]+\\.[\\w-]" },
	/* Twilio's API key sid (gitleaks' twilio-api-key), as a whole word:
	 * gitleaks takes it inside longer text and counts on its entropy
	 * check, which CHECK_RANDOM stands for. */
	{ "twilio-key", "\\bSK[0-9a-fA-F]{32}\\b", CHECK_RANDOM,
	    "\\bSK[0-9a-fA-F]" },
	{ "stripe-key", "\\b[rs]k_(?:live|prod)_[0-9A-Za-z]{10,}",
	    CHECK_TOKEN,
	    "\\b[rs]k_(?:live|prod)_" },
	{ "anthropic-key", "\\bsk-ant-[\\w-]{20,}", CHECK_TOKEN,
	    "\\bsk-ant-" },
	{ "openai-key", "\\bsk-(?:proj-|svcacct-|admin-)?[\\w-]{20,}",
	    CHECK_TOKEN, "\\bsk-[\\w-]" },
	{ "huggingface-token", "\\bhf_[A-Za-z0-9]{30,}\\b", CHECK_TOKEN,
	    "\\bhf_[A-Za-z0-9]" },
	{ "google-api-key", "\\bAIza[\\w-]{35,}", CHECK_TOKEN, "\\bAIza" },
	{ "google-oauth-token", "\\bya29\\.[\\w-]{20,}", CHECK_NONE,
	    "\\bya29\\.[\\w-]" },
	/* Tokens of gitleaks b58d3f1's rules telegram-bot-api-token (here
	 * without the word telegram: a bot's URL holds none), shopify-*,
	 * pypi-upload-token, digitalocean-*, mailgun-private-api-token
	 * (without the word mailgun), vault-service-token and
	 * vault-batch-token; Docker's personal access tokens (dckr_pat_,
	 * Docker's documentation). */
	{ "telegram-bot-token", "(?<![0-9])[0-9]{5,16}:A[\\w-]{34}(?![\\w-])",
	    CHECK_TOKEN, "[0-9]{5}:A[\\w-]{34}" },
	{ "shopify-token", "\\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\\b",
	    CHECK_TOKEN, "\\bshp(?:at|ca|pa|ss)_" },
	{ "pypi-token", "\\bpypi-AgEIcHlwaS5vcmc[\\w-]{50,}", CHECK_NONE,
	    "\\bpypi-AgEIcHlwaS5vcmc" },
	{ "docker-token", "\\bdckr_pat_[\\w-]{20,}", CHECK_TOKEN,
	    "\\bdckr_pat_" },
	{ "digitalocean-token", "\\bdo[opr]_v1_[a-f0-9]{64}\\b", CHECK_TOKEN,
	    "\\bdo[opr]_v1_" },
	{ "mailgun-key", "\\bkey-[a-f0-9]{32}\\b", CHECK_TOKEN,
	    "\\bkey-[a-f0-9]{32}" },
	{ "vault-token", "\\bhv[sb]\\.[\\w-]{24,}", CHECK_TOKEN,
	    "\\bhv[sb]\\.[\\w-]" },
	/* Datadog's API (32) and application (40) keys after a name that
	 * says so (gitleaks' datadog-access-token). */
	{ "datadog-key", "(?i)\\b(?:dd|datadog)[\\w.-]{0,20}?(?:api|app)"
	    "(?:lication)?[_-]?key[\"']?[ \\t]*[=:][ \\t]*[\"']?"
	    "([a-f0-9]{40}|[a-f0-9]{32})\\b", CHECK_TOKEN,
	    "(?i)\\b(?:dd|datadog)[\\w.-]*(?:api|app)" },
	{ "azure-storage-key", "(?i)\\b(?:AccountKey|SharedAccessKey)="
	    "([A-Za-z0-9+/]{20,}={0,2})", CHECK_NONE,
	    "(?i)\\b(?:AccountKey|SharedAccessKey)=" },
	{ "npm-token", "\\bnpm_[A-Za-z0-9]{36}\\b", CHECK_TOKEN,
	    "\\bnpm_[A-Za-z0-9]" },
	{ "sendgrid-key", "\\bSG\\.[\\w-]{16,32}\\.[\\w-]{16,64}",
	    CHECK_TOKEN,
	    "\\bSG\\.[\\w-]" },
	{ "jwt", "\\beyJ[\\w-]{10,}\\.eyJ[\\w-]{10,}\\.[\\w-]*", CHECK_NONE,
	    "\\beyJ[\\w-]+\\.eyJ" },
	/* crypt(3) hashes, as in /etc/shadow and htpasswd files: MD5
	 * ($1$, Apache's $apr1$), SHA-256 and SHA-512 ($5$, $6$, with
	 * rounds=), yescrypt ($y$), bcrypt ($2b$ and its kin); htpasswd's
	 * {SHA}. Each to its exact length: $1$2 in awk is no hash. */
	{ "password-hash", "(?<![\\w$])(?:\\$(?:(?:1|apr1)\\$" CRYPT "{1,8}\\$"
	    CRYPT "{22}|5\\$(?:rounds=[0-9]+\\$)?" CRYPT "{1,16}\\$" CRYPT "{43}|"
	    "6\\$(?:rounds=[0-9]+\\$)?" CRYPT "{1,16}\\$" CRYPT "{86}|"
	    "y\\$" CRYPT "+\\$" CRYPT "+\\$" CRYPT "{43}|"
	    "2[abxy]\\$[0-9]{2}\\$" CRYPT "{53})|\\{SHA\\}[A-Za-z0-9+/]{27}=)"
	    "(?![./0-9A-Za-z+=])", CHECK_NONE,
	    "\\$(?:(?:1|apr1|5|6)\\$[./0-9A-Za-z=]+\\$|y\\$[./0-9A-Za-z]+\\$|"
	    "2[abxy]\\$[0-9][0-9]\\$)|\\{SHA\\}" },
	{ "url-password", "\\b[A-Za-z][A-Za-z0-9+.-]{1,20}://"
	    "[^\\s:@/\"'<>]{1,100}:([^\\s@/\"'<>]{1,200})@", CHECK_VALUE,
	    "://[^\\s:@/\"'<>]+:[^\\s@/\"'<>]+@" },
	{ "authorization", "(?i)\\bauthorization[\"']?[ \\t]*[:=][ \\t]*"
	    "[\"']?(?:bearer|basic|token)[ \\t]+([\\w.~+/=-]{8,})",
	    CHECK_VALUE,
	    "(?i)\\bauthorization[\"\']?[ \\t]*[:=]" },
	{ "token-header", "(?i)\\b(?:private-token|x-api-key|x-auth-token)"
	    "[\"']?[ \\t]*:[ \\t]*[\"']?([\\w.~+/=-]{8,})", CHECK_VALUE,
	    "(?i)\\b(?:private-token|x-api-key|x-auth-token)" },
	{ "curl-password", "\\bcurl\\b(?:[^\\n]*?[ \\t](?:-u|--user)"
	    "(?:[ \\t]+|=)?(?|'[^'\\s:]+:([^'\\n]+)'|\"[^\"\\s:]+:([^\"\\n]+)\"|"
	    "[^\\s:'\"]+:(?|'([^'\\n]*)'|\"([^\"\\n]*)\"|([^\\s'\"]+)))"
	    OR_SKIP_LINE,
	    CHECK_VALUE,
	    "\\bcurl\\b[^\\n]*[ \\t](?:-u|--user)" },
	{ "mysql-password", "\\b(?:mysql|mysqldump|mysqladmin|mariadb)\\b"
	    "(?:[^\\n]*?[ \\t]-p" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\b(?:mysql|mysqldump|mysqladmin|mariadb)\\b[^\\n]*[ \\t]-p" },
	{ "sshpass-password", "\\bsshpass[ \\t]+-p[ \\t]*" VALUE_OPT,
	    CHECK_VALUE, "\\bsshpass[ \\t]+-p" },
	{ "docker-password", "\\bdocker[ \\t]+login\\b(?:[^\\n]*?[ \\t]-p"
	    "(?:[ \\t]+|=)?" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bdocker[ \\t]+login\\b[^\\n]*[ \\t]-p" },
	{ "redis-password", "\\bredis-cli\\b(?:[^\\n]*?[ \\t](?:-a|--pass)"
	    "(?:[ \\t]+|=)?" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bredis-cli\\b[^\\n]*[ \\t](?:-a|--pass)" },
	/* A password fed to sudo -S: echo PW | sudo -S, printf '%s\\n' PW |
	 * sudo -S, printf 'PW\\n' | sudo -S, sudo -S ... <<< PW. The detect
	 * expression leaves out the pipe: Vectorscan 5.4.9 misses
	 * (?:echo|printf)[^\\n]*\\|[ \\t]*sudo in "printf 'x...x' | sudo"
	 * once the word is 15 bytes long, AVX-512 or not. */
	{ "sudo-password", "\\b(?|echo(?>[ \\t]+-[neE]+)*[ \\t]+" VALUE "|"
	    "printf[ \\t]+(?|(?:'%s(?:\\\\n)?'|\"%s(?:\\\\n)?\")[ \\t]+" VALUE "|"
	    "'([^'%\\\\\\n]+)(?:\\\\n)?'|\"([^\"%\\\\\\n]+)(?:\\\\n)?\"))"
	    "[ \\t]*\\|[ \\t]*" SUDO_S, CHECK_VALUE,
	    "\\b(?:echo|printf)\\b[^\\n]*" SUDO_S_DETECT },
	{ "sudo-password", SUDO_S "(?:" HERE_STRING VALUE OR_SKIP("[^\\n|;&]"),
	    CHECK_VALUE, SUDO_S_DETECT "[^\\n]*<<<" },
	/* htpasswd -b FILE USER PASSWORD, -n (no file): -nb USER PASSWORD;
	 * -b may stand among other flags (-bc, -Bb, -B -b -C 10). */
	{ "htpasswd-password", "\\bhtpasswd(?=" HTPASSWD_OPTS(0) "?[ \\t]+"
	    "-[A-Za-z0-9]*b)(?|" HTPASSWD_OPTS(0) "?[ \\t]+-[A-Za-z0-9]*n"
	    "[A-Za-z0-9]*" HTPASSWD_OPTS(0) "[ \\t]+" WORD "[ \\t]+" VALUE "|"
	    HTPASSWD_OPTS(1) "[ \\t]+" WORD "[ \\t]+" WORD "[ \\t]+" VALUE ")",
	    CHECK_VALUE, "\\bhtpasswd[ \\t]+-" },
	/* Passwords of the admin commands of an RHCSA persona: fed to
	 * chpasswd as USER:PASSWORD (the first group from the colon on,
	 * \n and the lines after it too: echo -e 'a:x\nb:y') or to passwd
	 * (--stdin on Red Hat, a plain pipe on Debian: echo -e 'x\nx'),
	 * through a pipe from echo or printf, or a <<< here-string. The
	 * detect expressions are words alone: see the note on sudo. */
	{ "chpasswd-password", "\\b(?:echo(?>[ \\t]+-[neE]+)*|printf)[ \\t]+"
	    USER_PW "[ \\t]*\\|[ \\t]*" PIPE_SUDO "(?:[^\\s|;&]*/)?chpasswd"
	    "(?![\\w.-])", CHECK_VALUE, "\\bchpasswd\\b" },
	{ "chpasswd-password", "\\bchpasswd(?![\\w.-])(?:" HERE_STRING
	    "(?:\\$(?='))?" USER_PW OR_SKIP("[^\\n|;&]"), CHECK_VALUE,
	    "\\bchpasswd\\b" },
	/* chpasswd <<EOF, its USER:PASSWORD lines to the first without a
	 * colon (the delimiter) taken from the first colon on. A line's
	 * rest is one repeat of a character (LINE_REST), not a group
	 * repeated for each: one PCRE2 frame a line, not one a byte. */
	{ "chpasswd-password", "\\bchpasswd(?![\\w.-])(?:(?>[^\\n|;&]*?<<-?[ \\t]*"
	    "(?:'\\w+'|\"\\w+\"|\\\\?\\w+))[^\\n]*?" NL "[ \\t]*[^\\s:'\"]+:"
	    "(" LINE_REST "(?:" NL "[ \\t]*[^\\s:'\"]+:" LINE_REST ")*)"
	    OR_SKIP("[^\\n|;&]"),
	    CHECK_VALUE, "\\bchpasswd\\b" },
	{ "passwd-password", "\\b(?|echo(?>[ \\t]+-[neE]+)*[ \\t]+" VALUE "|"
	    "printf[ \\t]+(?|(?:'%s(?:\\\\n)?'|\"%s(?:\\\\n)?\")[ \\t]+" VALUE "|"
	    "'([^'%\\n]+?)(?:\\\\n)?'|\"([^\"%\\n]+?)(?:\\\\n)?\"))"
	    "[ \\t]*\\|[ \\t]*" PIPE_SUDO "(?:[^\\s|;&]*/)?passwd(?![\\w.-])",
	    CHECK_VALUE, "\\bpasswd\\b" },
	{ "passwd-password", "\\bpasswd(?![\\w.-])(?:" HERE_STRING
	    "(?:\\$(?='))?" VALUE OR_SKIP("[^\\n|;&]"), CHECK_VALUE,
	    "\\bpasswd\\b" },
	/* Wi-Fi: nmcli device wifi connect SSID password PW and nmcli dev
	 * wifi hotspot ... password PW (nmcli takes any prefix of its
	 * words: d w c); the secret properties of nmcli con add|modify,
	 * and of nmcli -s con show's output (a colon and blanks);
	 * wpa_passphrase SSID PASSPHRASE; keyfiles, wpa_supplicant.conf and
	 * hostapd.conf (psk=, wpa_psk=, wep_key0=; wpa_passphrase's "#psk="
	 * line; 64 hex digits too: they are the key itself), also written
	 * by printf 'psk=...\\n'. */
	{ "wifi-password", "\\bnmcli(?>[ \\t]+-[\\w-]+(?:[ \\t]+[0-9]+)?)*"
	    "[ \\t]+d[a-z]*[ \\t]+w[a-z]*[ \\t]+[ch][a-z]*[ \\t](?:[^\\n|;&]*?"
	    "(?<=[ \\t])password[ \\t]+" VALUE_OPT OR_SKIP("[^\\n|;&]"),
	    CHECK_VALUE, "\\bnmcli\\b" },
	{ "wifi-password", "\\b(?:(?:wifi-sec|802-11-wireless-security)\\."
	    "(?:psk|wep-key[0-3]|leap-password)|802-1x\\.(?:password|"
	    "private-key-password))(?![\\w-])(?:[ \\t]*:)?[ \\t]+" VALUE_OPT,
	    CHECK_VALUE, "(?:wifi-sec|802-11-wireless-security|802-1x)\\."
	    "(?:psk|wep-key|leap-password|password|private-key-password)" },
	{ "wifi-password", "\\bwpa_passphrase[ \\t]+" WORD "[ \\t]+" VALUE_OPT,
	    CHECK_VALUE, "\\bwpa_passphrase[ \\t]" },
	{ "wifi-password", "(?:(?<![\\w.-])|(?<=\\\\n))(?:(?:wpa_)?psk|"
	    "wep[-_]key[0-3])[ \\t]*=[ \\t]*" VALUE_QUOTED "((?:[^\\s'\"`,;&|)"
	    "\\\\]++|\\\\(?!n))+))", CHECK_VALUE,
	    "(?:psk|wep[-_]key[0-3])[ \\t]*=" },
	/* .netrc: "machine HOST login USER password PASSWORD", on one line
	 * or several. */
	{ "netrc-password", "\\b(?:machine|login)[ \\t]+\\S+\\s+"
	    "(?:login[ \\t]+\\S+\\s+)?password[ \\t]+(\\S+)", CHECK_VALUE,
	    "\\b(?:machine|login)[ \\t]+\\S+\\s+(?:login[ \\t]+\\S+\\s+)?"
	    "password[ \\t]" },
	{ "password-option", "--(?:password|passwd|passphrase|token|secret|"
	    "api-key)(?:=|[ \\t]+)" VALUE_OPT, CHECK_OPTION,
	    "--(?:password|passwd|passphrase|token|secret|api-key)[= \\t]" },
	/* Options of admin tools, from their manuals: openssl's
	 * -passin/-passout/-pass pass:SECRET, openssl passwd's password
	 * (after -1, -5, -6, -apr1, -salt S...), openssl enc -k; ipmitool
	 * -P; OpenLDAP's -w (ldappasswd's -s and -a too); Samba's
	 * -U USER%SECRET; doctl's -t/--access-token; Poetry's
	 * pypi-token.NAME and http-basic.NAME USER SECRET. */
	{ "openssl-password", "(?<![\\w-])-(?:passin|passout|pass|password)"
	    "[ \\t]+(?|'pass:([^'\\n]+)'|\"pass:([^\"\\n]+)\"|pass:([^\\s'\"]+))",
	    CHECK_VALUE, "-pass[a-z]*[ \\t]+['\"]?pass:" },
	{ "openssl-password", "\\bopenssl[ \\t]+passwd(?>[ \\t]+-(?:salt|in)"
	    "[ \\t]+\\S+|[ \\t]+-[\\w-]+){0,8}[ \\t]+" VALUE_OPT, CHECK_VALUE,
	    "\\bopenssl[ \\t]+passwd[ \\t]" },
	{ "openssl-password", "\\bopenssl\\b(?:[^\\n]*?[ \\t]-k[ \\t]+" VALUE_OPT
	    OR_SKIP_LINE, CHECK_VALUE, "\\bopenssl\\b[^\\n]*[ \\t]-k[ \\t]" },
	{ "ipmitool-password", "\\bipmitool\\b(?:[^\\n]*?[ \\t]-P[ \\t]*"
	    VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bipmitool\\b[^\\n]*[ \\t]-P" },
	{ "ldap-password", "\\bldap(?:search|modify|add|delete|passwd|whoami|"
	    "compare|modrdn|exop|url)\\b(?:[^\\n]*?[ \\t]-w[ \\t]*" VALUE_OPT
	    OR_SKIP_LINE, CHECK_VALUE, "\\bldap[a-z]+\\b[^\\n]*[ \\t]-w" },
	{ "ldap-password", "\\bldappasswd\\b(?:[^\\n]*?[ \\t]-[as][ \\t]*"
	    VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bldappasswd\\b[^\\n]*[ \\t]-[as]" },
	{ "smb-password", "(?<![\\w-])(?:-U|--user(?:name)?)(?:[ \\t]+|=)"
	    "(?|'[^'\\s%]+%([^'\\n]+)'|\"[^\"\\s%]+%([^\"\\n]+)\"|"
	    "[^\\s%'\"]+%([^\\s'\"]+))", CHECK_VALUE,
	    "(?:-U|--user)[^\\n%]*%" },
	{ "doctl-token", "\\bdoctl\\b(?:[^\\n]*?[ \\t](?:-t|--access-token)"
	    "(?:[ \\t]+|=)" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bdoctl\\b[^\\n]*[ \\t](?:-t|--access-token)" },
	{ "poetry-token", "\\bpoetry[ \\t]+config(?:[ \\t]+--[\\w-]+)*[ \\t]+"
	    "(?|pypi-token\\.[\\w.-]+[ \\t]+" VALUE_OPT "|http-basic\\.[\\w.-]+"
	    "[ \\t]+" WORD "[ \\t]+" VALUE_OPT ")", CHECK_VALUE,
	    "\\bpoetry[ \\t]+config\\b" },
	/* Configuration files: Redis's requirepass and masterauth (and
	 * redis-server --requirepass), keepalived's auth_pass. */
	{ "config-password", "(?:(?<![\\w-])|(?<=--))(?:requirepass|masterauth|"
	    "auth_pass)[ \\t]+" VALUE, CHECK_KEYWORD,
	    "(?:requirepass|masterauth|auth_pass)[ \\t]" },
	/* expect: the send that answers a password prompt, on the line of
	 * the expect or the next. */
	{ "expect-password", "\\bexpect\\b(?:(?>[^\\n]*?(?:assword|assphrase|"
	    "PIN))[^\\n]*?(?:" NL "[ \\t]*)?\\bsend(?:[ \\t]+--)?[ \\t]+"
	    "\"([^\"\\n]*?)(?:\\\\r|\\\\n)?\"" OR_SKIP_LINE, CHECK_VALUE,
	    "\\bexpect\\b[^\\n]*(?:assword|assphrase|PIN)" },
	/* Files whose format is the secret: ~/.pgpass lines
	 * (HOST:PORT:DATABASE:USER:PASSWORD), s3fs's ID:SECRET written to
	 * passwd-s3fs, Docker's config.json "auth" (base64 of
	 * USER:PASSWORD), a kubeconfig's client-key-data. */
	{ "pgpass-password", "(?:^|(?<=[\\s'\">])|(?<=\\\\n))(?:\\*|[\\w.-]*"
	    "[A-Za-z.][\\w.-]*):(?:[0-9]{1,5}|\\*):(?:\\*|[A-Za-z_][\\w.$-]*):"
	    "(?:\\*|[A-Za-z_][\\w.@$-]*):([^\\s:\\\\'\"]++(?:\\\\.[^\\s:\\\\'\"]*+)*+)"
	    "(?=[ \\t]*(?:\\r?\\n|\\\\n|\\z|['\"]))", CHECK_PGPASS,
	    ":(?:[0-9]+|\\*):[A-Za-z_*][^\\s:]*:[A-Za-z_*][^\\s:]*:[^\\s:]" },
	{ "s3fs-password", "\\b(?:echo|printf)[ \\t]+['\"]?[\\w.-]+:"
	    "([^\\s'\":]+)['\"]?[^\\n]*?passwd-s3fs", CHECK_VALUE,
	    "passwd-s3fs" },
	{ "docker-auth", "\"auth\"[ \\t]*:[ \\t]*\"([A-Za-z0-9+/]{8,}={0,2})\"",
	    CHECK_TOKEN, "\"auth\"[ \\t]*:" },
	{ "kubeconfig-key", "\\bclient-key-data[\"']?[ \\t]*:[ \\t]*[\"']?"
	    "([A-Za-z0-9+/]{16,}={0,2})", CHECK_NONE, "\\bclient-key-data" },
	/* SQL: MySQL's IDENTIFIED [WITH PLUGIN] BY 'SECRET' (CREATE USER,
	 * ALTER USER, GRANT); PostgreSQL's CREATE|ALTER ROLE|USER ... [WITH]
	 * [ENCRYPTED] PASSWORD 'SECRET'; SET PASSWORD [FOR U] = 'SECRET'
	 * (or PASSWORD('SECRET')). A string literal, '' inside it. */
	{ "sql-password", "(?i)\\bIDENTIFIED(?:[ \\t]+WITH[ \\t]+['\"`]?\\w+"
	    "['\"`]?)?[ \\t]+(?:BY|AS)(?:[ \\t]+PASSWORD)?[ \\t]*" SQL_STRING,
	    CHECK_VALUE, "(?i)\\bIDENTIFIED\\b" },
	{ "sql-password", "(?i)\\b(?:CREATE|ALTER)[ \\t]+(?:USER|ROLE)\\b"
	    "(?:[^;\\n]*?\\bPASSWORD[ \\t]*" SQL_STRING OR_SKIP("[^;\\n]"),
	    CHECK_VALUE, "(?i)\\b(?:CREATE|ALTER)[ \\t]+(?:USER|ROLE)\\b" },
	{ "sql-password", "(?i)\\bSET[ \\t]+PASSWORD\\b(?:[^;\\n]*?=[ \\t]*"
	    "(?:PASSWORD[ \\t]*\\([ \\t]*)?" SQL_STRING OR_SKIP("[^;\\n]"),
	    CHECK_VALUE, "(?i)\\bSET[ \\t]+PASSWORD\\b" },
	/* PHP's define('DB_PASSWORD', '...') (wp-config.php) */
	{ "secret", "(?i)\\bdefine\\([ \\t]*['\"]\\w*(?:pass(?:word|wd)?|pwd|"
	    "secret|token|key|salt)['\"][ \\t]*,[ \\t]*" VALUE_QUOTED
	    "(*FAIL))", CHECK_VALUE, "(?i)\\bdefine\\([ \\t]*['\"]\\w*"
	    "(?:pass(?:word|wd)?|pwd|secret|token|key|salt)['\"]" },
	/* A name ending in a keyword (DB_PASS, SECRET_KEY_BASE), then = :
	 * := => == and a value; check_keyword tells code from secrets. */
	{ "secret", "(?i)(?:password|passwd|passphrase|pwd|(?<![a-z])pass|"
	    "(?<=[_-])pw|"
	    "secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|"
	    "private[_-]?key)(?:[_-]?key)?(?:[_-]?base)?[\"']?[ \\t]*"
	    "(?:=>|:=|==|[=:])[ \\t]*" VALUE, CHECK_KEYWORD,
	    "(?i)(?:pass|pw|secret|token|api[_-]?key|access[_-]?key|"
	    "auth[_-]?key|private[_-]?key)[\\w-]*[\"\']?[ \\t]*[=:]" },
	/* An address to RFC 5321's lengths: a local part of at most 64,
	 * from its first character (not from every one of a long run),
	 * and at most 10 labels of 63: a long run of dots is no address
	 * and costs no PCRE2 frame a label. */
	/* A password stated in prose, by the user or the model, in the
	 * phrasings of tclog-scrub(1): "the root password on srv-nfs is X",
	 * "pw: X", "the password was changed to X", "set bob's password to
	 * X", "use X as the password". check_prose judges the value as the
	 * keyword rule does, and takes an unquoted word without a digit,
	 * a sign or an inner capital for a word of the sentence. */
	{ "prose-password", "(?i)\\b" PROSE_KEY "(?:[ \\t]+(?:for|on|of|at)"
	    "[ \\t]+(?:the[ \\t]+)?[^\\s,;:]{1,64}(?:(?=(?:[ \\t]+[^\\s,;:]{1,64}){1,2}"
	    "[ \\t]+(?:is|was|has)[ \\t])(?:[ \\t]+[^\\s,;:]{1,64}){1,2}?)?"
	    "(?:[ \\t]+(?:account|user|"
	    "server|host|box|vm|db|database|machine|router|switch|wifi|"
	    "network|instance|cluster|node))?)?(?:[ \\t]+(?:(?:has[ \\t]+been|was|is)"
	    "[ \\t]+(?:set|changed|reset)[ \\t]+to|is|was|will[ \\t]+be|"
	    "should[ \\t]+be|(?:set|changed|reset)[ \\t]+to)(?:[ \\t]+(?:now|"
	    "still|just|simply|literally))?[ \\t]*:?[ \\t]+|[ \\t]*[:=][ \\t]*)"
	    PROSE_VALUE, CHECK_PROSE,
	    "(?i)(?:pass|pw|pin|key|token|secret)[^\\n]*(?:[:=]|[ \\t]"
	    "(?:is|was|be|to)[ \\t])" },
	{ "prose-password", "(?i)\\b(?:set|change|reset|update)[sd]?"
	    "(?:[ \\t]+\\S+){0,4}?[ \\t]+" PROSE_KEY "[ \\t]+to[ \\t]+" PROSE_VALUE,
	    CHECK_PROSE, "(?i)\\b(?:set|change|reset|update)[^\\n]*"
	    "(?:pass|pw|pin|key|token|secret)[^\\n]*[ \\t]to[ \\t]" },
	{ "prose-password", "(?i)\\buse[ \\t]+" PROSE_VALUE "[ \\t]+as[ \\t]+"
	    "(?:(?:the|a|my|your|our|its|his|her|their)[ \\t]+)?(?:[\\w-]+"
	    "[ \\t]+)?" PROSE_KEY "\\b", CHECK_PROSE,
	    "(?i)\\buse[ \\t][^\\n]*[ \\t]as[ \\t][^\\n]*"
	    "(?:pass|pw|pin|key|token|secret)" },
	/* "user shop with password Sh0p-db-24", "passphrase X": a password
	 * word, a blank and the value; the detection asks for a digit or a
	 * sign in its first word, check_prose for a value that reads as one */
	{ "prose-password", "(?i)\\b(?:pass(?:word|phrase)|pw|pin)[ \\t]+"
	    PROSE_VALUE, CHECK_PROSE, "(?i)\\b(?:pass(?:word|phrase)|pw|pin)"
	    "[ \\t]+['\"`]?[^\\s'\"`]*[0-9!#$%&*+=@~?]" },
	{ "email", "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
	    "[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,8}\\.[A-Za-z]{2,63}\\b",
	    CHECK_EMAIL, "\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
	    "(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b" },
};

/*
 * A secret of each built-in kind, for the check at start that Vectorscan
 * finds what PCRE2 does, near the start of a text and far into it.
 * Vectorscan 5.4.9 (Debian 12) on a CPU with AVX-512 misses, past the
 * first 64 bytes, matches of some expressions, such as "@[a-z]+\\."
 * (fixed upstream in 2026: VectorCamp/vectorscan#375, #378). Where a
 * probe is missed, every rule is run with PCRE2 on every string: slower,
 * never blind.
 */
static const char *const probe[] = {
	"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
	"AKIAIOSFODNN7EXAMPLE",
	"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"AKIAZ3MHQ7VX2LNPR4TB,Wm8uJ0rT5qLx7ZcVb3Nd9Yk2Hf6Gs1Pa4Eo0Ri8T",
	"ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
	"glpat-ABCDEFGHIJKLMNOPQRST",
	"xoxe-1-"
	    "nQvWys81vp7hB1dx8PpD5KHXe3PYiGkPAuNaRL63xYKwzEInncIIA3AN"
	    "xN9K3KSU9Mi4roNL89sM995YTBXaK7JQEVT0mlAmrtVETW0TesULeetL"
	    "DQ8B8vW2ZBjyaXYl1AcCtLn99MHwP708dW",
	"xoxb-1234567890-ABCDEFGHIJKL",
	"https://hooks.slack.com/services/T0000/B0000/ABCDEFGHIJKLMNOPQRSTUVWX",
	"https://discord.com/api/webhooks/123456789012345678/"
	    "gpj7ktsjs0sW5uqSVZu9kK1V1miDZU4XcXF8cVGROoX9YE17swJaevAszj0OvEmMlrlt",
	"MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.Q10v7SUw9ZRLsAwNpSpw23c-l9wxUhm-g1Con_",
	"SK94f03e7914c0f87f17f8499ff30499a9",
	"sk_live_ABCDEFGHIJKLMNOP",
	"sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"hf_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh",
	"AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg",
	"ya29.a0ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/getMe",
	"shpat_0123456789abcdef0123456789abcdef",
	"pypi-AgEIcHlwaS5vcmcCJDk4ZWY0YjFlLTk1ZGItNGQ2Ny1hYzI2LTlmNmE3ZDQ0ZWY1NwACKlsz",
	"dckr_pat_2sX8uVqL0kR7cH1tZpW4yN6mBfE",
	"dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"key-0123456789abcdef0123456789abcdef",
	"hvs.CAESIJ3kZ8qT0LwXm2vR9yHcN5bE1uPaGfD7sKoVj4tW6nQ",
	"DD_API_KEY=0123456789abcdef0123456789abcdef",
	"AccountName=x;AccountKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123==;",
	"npm_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
	"SG.ABCDEFGHIJKLMNOPQRSTUV.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmN",
	"root:$6$Ab3dEf9h$"
	    "tg7NvlE3LaruSrjLnonWKTn9UGKzEesg61SHE/qaQQ0NV3vTH1"
	    "lS6V6.o9jl8zSOwW/rXL.iuItEnuj.hlrWB8:19000:0:99999:7:::",
	"https://bob:Pa55word@git.example.org/r.git",
	"Authorization: Bearer abcDEF123456ghiJKL",
	"PRIVATE-TOKEN: abcDEF123456ghi",
	"curl -u admin:Hunter2pw https://x.example.org/",
	"mysql -u root -pHunter2 shop",
	"sshpass -p Hunter2 ssh host",
	"docker login -u bob -p Hunter2 r.example.org",
	"redis-cli -a Hunter2 ping",
	"echo 'correct-horse-battery' | sudo -S apt update",	/* > 14 */
	"sudo -S apt update <<< correct-horse-battery",
	"htpasswd -bc .htpasswd bob Hunter2",
	"echo 'bob:correct-horse-battery' | chpasswd",	/* > 14 */
	"chpasswd <<< 'bob:Hunter2xy'",
	"chpasswd <<EOF\nbob:Hunter2xy\nEOF",
	"echo 'correct-horse-battery' | passwd --stdin bob",	/* > 14 */
	"passwd --stdin bob <<< Hunter2xy",
	"nmcli device wifi connect Home password Hunter2xy",
	"nmcli con modify Home wifi-sec.psk Hunter2xy",
	"wpa_passphrase Home Hunter2xy",
	"psk=Hunter2xy",
	"machine api.example.org login bob password Hunter2",
	"psql --password=Hunter2",
	"openssl rsa -in k.pem -passin pass:Hunter2xy",
	"openssl passwd -6 -salt xyz Hunter2xy",
	"openssl enc -aes-256-cbc -k Hunter2xy -in f",
	"ipmitool -I lanplus -H bmc -U admin -P Hunter2xy power status",
	"ldapsearch -x -D cn=admin,dc=example -w Hunter2xy -b dc=example",
	"ldappasswd -x -D cn=admin -W -s Hunter2xy uid=bob",
	"smbclient //srv/share -U bob%Hunter2xy",
	"doctl auth init -t dop_v1_abcdef",
	"poetry config pypi-token.pypi pypi-Hunter2xy",
	"requirepass Hunter2xy",
	"expect \"Password:\"\nsend \"Hunter2xy\\r\"",
	"db.example.org:5432:shop:bob:Hunter2xy",
	"echo AKIAX:Hunter2xyZ > ~/.passwd-s3fs",
	"{\"auths\":{\"r.io\":{\"auth\":\"Ym9iOkh1bnRlcjJ4eQ==\"}}}",
	"client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==",
	"CREATE USER 'bob'@'%' IDENTIFIED BY 'Hunter2xy';",
	"CREATE ROLE bob WITH LOGIN PASSWORD 'Hunter2xy';",
	"SET PASSWORD FOR 'bob'@'%' = 'Hunter2xy';",
	"define('DB_PASSWORD', 'Hunter2');",
	"DB_PASSWORD=Hunter2",
	"the root password on srv-nfs is Hunter2xy",
	"set the root password to Hunter2xy",
	"use Hunter2xy as the password",
	"a new role with password Hunter2xy",
	"From: Bob <bob.smith@example.com>",
};
#undef VALUE
#undef VALUE_OPT
#undef DISCORD_ID
#undef CRYPT
#undef SUDO_S
#undef SUDO_S_DETECT
#undef HTPASSWD_OPT
#undef HTPASSWD_OPTS
#undef LINE_REST
#undef USER_PW
#undef PIPE_SUDO
#undef HERE_STRING
#undef OR_SKIP
#undef OR_SKIP_LINE
#undef WORD
#undef VALUE_QUOTED
#undef SQL_STRING
#undef PROSE_KEY
#undef PROSE_VALUE
#undef NL
#undef B64
#undef EOL

/* The kind of a string value whose object key names a secret. */
#define KEY_KIND "secret"

/* Keys that name a secret, compared with the end of a key in lower case
 * without '_', '-' and '.': "DB_PASSWORD", "clientSecret". */
static const char *const secret_keys[] = {
	"password", "passwd", "pwd", "secret", "token", "apikey",
	"accesskey", "privatekey", "authkey", "credentials",
	"clientkeydata",	/* kubeconfig */
};
/* Keys that name a secret only as a whole: Docker's config.json holds
 * base64 of USER:PASSWORD under "auth". */
static const char *const secret_whole_keys[] = { "auth" };

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

#define PLACEHOLDER "[REDACTED:"
#define PLACEHOLDER_LEN (sizeof(PLACEHOLDER) - 1)
#define KIND_MAX 64		/* longest name of a user's rule */
#define DEPTH_MAX 256		/* deepest nesting walked (objects, arrays,
				 * JSON inside strings) */

/* A word of -w and its replacement. */
struct word {
	const char *word, *repl;
	size_t word_len, repl_len;
};

/* The compiled rules: built-in ones, then the user's. */
struct rules {
	struct rule *rule;
	size_t n, cap;
	char *text;		/* the rules file, names and expressions */
	pcre2_code **re;
	bool *grouped;		/* has a capture group */
	bool *spans;		/* a match may start on a line before the
				 * one where its detection ends (a user's
				 * rule: its own expression) */
	bool blind;		/* Vectorscan missed a probe: PCRE2 alone */
	size_t key_rank;	/* the first "secret" rule: a keyed string
				 * ranks there (KEY_KIND) */
	size_t min_width;	/* no rule matches a shorter text */
	hs_database_t *db;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mc;	/* the limits of a match */
};

/* A span of decoded text to replace. */
struct finding {
	size_t start, end;
	size_t rule;		/* index in rules, or SIZE_MAX - word index
				 * for a word of -w, KEY_RULE for a key */
};
#define KEY_RULE (SIZE_MAX / 2)
#define UNSCANNED_RULE (KEY_RULE + 1)	/* a string PCRE2 could not finish */
#define UNSCANNED_KIND "unscanned"

/*
 * The bounds of one PCRE2 match: its steps from one starting point
 * (PCRE2's default, and 16 a byte of the text, as a rule may walk a
 * long line once) and the memory of its backtracking frames. The rules
 * are written so that no realistic text comes near them (a long line
 * costs one frame, not one a byte); a text that does, on purpose or by
 * a user's rule, is redacted whole rather than written unsearched or
 * dropped.
 */
#define MATCH_LIMIT 10000000
#define MATCH_LIMIT_PER_BYTE 16
#define HEAP_LIMIT_KB (16 * 1024)
#define SUBJECT_PAD 64		/* zeros after the text PCRE2 reads */

/* The buffers of one nesting level of JSON inside strings. */
struct level {
	struct tclog_buf decoded;	/* a string's text */
	struct tclog_buf json;		/* the JSON it holds, scrubbed */
	struct tclog_buf text;		/* its text, replaced */
};

struct scrub {
	bool drop;		/* -d */
	bool list;		/* -l */
	size_t limit;		/* -L */
	struct word *word;	/* -w */
	size_t nword;
	struct rules rules;
	struct tclog_reader in;
	struct tclog_record rec;
	struct tclog_buf out;	/* the record scrubbed */
	struct tclog_buf path;	/* the field being walked, for -l */
	struct tclog_buf err;
	struct level *level[DEPTH_MAX + 1];
	struct finding *find;	/* findings in one string */
	size_t nfind, find_cap;
	struct finding *merge;	/* merge_findings' scratch */
	size_t merge_cap;
	unsigned char *hit;	/* rules Vectorscan matched in a string */
	size_t *hits;		/* their indexes */
	size_t nhits;
	size_t *first_end, *last_end;	/* where Vectorscan's matches of
					 * each rule ended, first and last */
	struct tclog_buf subject;	/* the text PCRE2 reads, padded */
	size_t nfound;		/* findings in every record */
	size_t nsecret;		/* findings of rules in the record (-d) */
	struct tclog_buf fail;	/* why the record could not be searched */
	struct tclog_buf unscanned;	/* why a string could not be: it is
					 * then redacted whole */
	struct tclog_buf key;	/* a member's key, decoded */
	int status;
};

#define OPTIONS "df:lL:w:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-scrub [-dl] [-f rules] "
	    "[-w word=replacement]... [-L size] [file ...]\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -d       drop every entry in which a rule found something\n"
		    "  -f rules add the rules of a file: KIND<TAB>REGEX lines\n"
		    "  -l       list the findings as FILE:LINE: kind in field\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n"
		    "  -w word=replacement\n"
		    "           replace a whole word everywhere\n");
}

static bool
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
static bool
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

/* ---- rules ---- */

static void
add_rule(struct rules *r, const char *kind, const char *re, enum check check)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->rule = tclog_xrealloc(r->rule, r->cap * sizeof(*r->rule));
	}
	r->rule[r->n++] = (struct rule){ kind, re, check, NULL };
}

/* Compiles rule i with both engines' checks; on failure puts why in
 * why and returns -1. */
static int
compile_rule(struct rules *r, size_t i, struct tclog_buf *why)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	uint32_t groups = 0;
	int code;

	r->re[i] = pcre2_compile((PCRE2_SPTR)r->rule[i].re,
	    PCRE2_ZERO_TERMINATED, PCRE2_USE_OFFSET_LIMIT, &code, &off, NULL);
	if (r->re[i] == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		tclog_buf_printf(why, "%s at offset %zu", (char *)msg,
		    (size_t)off);
		return -1;
	}
	/* The JIT (3x faster on a log dense with secrets) reads a little
	 * past the end of the text: locate's text is a padded copy. */
	pcre2_jit_compile(r->re[i], PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(r->re[i], PCRE2_INFO_CAPTURECOUNT, &groups);
	r->grouped[i] = groups > 0;
	return 0;
}

/* Compiles every rule into one Vectorscan database. A user's rule that
 * Vectorscan refuses is named by its index in *bad. */
static int
compile_db(struct rules *r, size_t *bad, struct tclog_buf *why)
{
	const char **re = tclog_xmalloc(r->n * sizeof(*re));
	unsigned *flags = tclog_xmalloc(r->n * sizeof(*flags));
	unsigned *ids = tclog_xmalloc(r->n * sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	int ret = 0;

	r->min_width = SIZE_MAX;
	for (size_t i = 0; i < r->n; i++) {
		hs_expr_info_t *info = NULL;

		re[i] = r->rule[i].detect ? r->rule[i].detect : r->rule[i].re;
		flags[i] = 0;	/* every end: where PCRE2 need look */
		ids[i] = (unsigned)i;
		/* Most strings of an entry are short (status, ids, names):
		 * those no rule can match are not scanned. */
		if (hs_expression_info(re[i], flags[i], &info, &ce) ==
		    HS_SUCCESS) {
			if (info->min_width < r->min_width)
				r->min_width = info->min_width;
			free(info);
		} else {
			hs_free_compile_error(ce);
			ce = NULL;
			r->min_width = 0;
		}
	}
	if (hs_compile_multi(re, flags, ids, (unsigned)r->n, HS_MODE_BLOCK,
	    NULL, &r->db, &ce) != HS_SUCCESS) {
		*bad = ce->expression < 0 ? SIZE_MAX : (size_t)ce->expression;
		tclog_buf_adds(why, ce->message);
		hs_free_compile_error(ce);
		ret = -1;
	} else if (hs_alloc_scratch(r->db, &r->scratch) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "out of memory");
	free(re);
	free(flags);
	free(ids);
	return ret;
}

#ifdef TCLOG_SCRUB_DB
static int
on_probe_none(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(void)ctx;
	return 0;
}
#endif

/*
 * Vectorscan's memory, aligned as it wants it: it aligns what malloc
 * gives by moving the pointer, and a pointer into a block makes what a
 * fatal exit leaves look possibly lost to valgrind, not reachable.
 */
static void *
hs_alloc(size_t n)
{
	void *p;

	return posix_memalign(&p, 64, n ? n : 1) == 0 ? p : NULL;
}

/* Loads the database of the built-in rules made at build time; false
 * when there is none or it does not fit this machine (a CPU other than
 * the build's), and then it is compiled. */
static bool
load_db(struct rules *r)
{
#ifdef TCLOG_SCRUB_DB
	if (hs_deserialize_database((const char *)builtin_db,
	    sizeof(builtin_db), &r->db) != HS_SUCCESS)
		return false;
	if (hs_alloc_scratch(r->db, &r->scratch) != HS_SUCCESS ||
	    hs_scan(r->db, "probe", 5, 0, r->scratch, on_probe_none, NULL) !=
	    HS_SUCCESS) {
		hs_free_scratch(r->scratch);
		hs_free_database(r->db);
		r->scratch = NULL;
		r->db = NULL;
		return false;
	}
	r->min_width = builtin_min_width;
	return true;
#else
	(void)r;
	return false;
#endif
}

static bool
kind_ok(const char *s, size_t n)
{
	if (n == 0 || n > KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word_byte((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return false;
	return true;
}

/*
 * Reads the user's rules: KIND<TAB>REGEX lines, '#' comments and blank
 * lines. The text is kept in r->text; each line's number in lines (for
 * the errors of compiling). Returns -1 after a diagnostic.
 */
static int
read_rules(struct rules *r, const char *path, size_t limit,
    unsigned long **lines)
{
	struct tclog_reader in;
	struct tclog_buf text = { 0 };
	struct {
		size_t kind, re;
	} *at = NULL;
	size_t n = 0, cap = 0;
	const char *name = tclog_input_name(path), *tab;
	int fd = tclog_open_input(path), ret = 0;
	bool failed;

	if (fd == -1)
		return -1;
	tclog_reader_init(&in, fd, name, limit);
	while (tclog_reader_rule(&in, &tab, &failed)) {
		const char *line = in.text, *why = NULL;
		size_t kind_len;

		kind_len = tab ? (size_t)(tab - line) : 0;
		if (tab == NULL)
			why = "no tab between KIND and REGEX";
		else if (!kind_ok(line, kind_len))
			why = "KIND is not 1 to 64 letters, digits, '_', '-', '.'";
		else if (tab + 1 == line + in.len)
			why = "empty REGEX";
		else if (memchr(line, '\0', in.len) != NULL)
			why = "a NUL byte";
		if (why != NULL) {
			tclog_diag(name, in.line, "malformed rule: %s", why);
			ret = -1;
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			at = tclog_xrealloc(at, cap * sizeof(*at));
			*lines = tclog_xrealloc(*lines, cap * sizeof(**lines));
		}
		at[n].kind = text.len;
		tclog_buf_add(&text, line, kind_len);
		tclog_buf_addc(&text, '\0');
		at[n].re = text.len;
		tclog_buf_add(&text, tab + 1, in.len - kind_len - 1);
		tclog_buf_addc(&text, '\0');
		(*lines)[n++] = in.line;
	}
	if (failed)
		ret = -1;
	tclog_reader_free(&in);
	tclog_close_input(path, fd);
	r->text = text.data;	/* pointers into it are taken once it is whole */
	for (size_t i = 0; i < n; i++)
		add_rule(r, text.data + at[i].kind, text.data + at[i].re,
		    CHECK_NONE);
	free(at);
	return ret;
}

static int
on_probe(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	((unsigned char *)ctx)[id] = 1;
	return 0;
}

_Static_assert(sizeof(probe) / sizeof(probe[0]) ==
    sizeof(builtin) / sizeof(builtin[0]), "a probe for each built-in rule");

/* Sets r->blind when Vectorscan misses a probe, alone or after 300 bytes
 * of text. */
static void
check_probes(struct rules *r, size_t nbuiltin)
{
	struct tclog_buf text = { 0 };
	unsigned char *hit = tclog_xmalloc(r->n);

	for (size_t i = 0; i < nbuiltin && !r->blind; i++)
		for (int far = 0; far < 2 && !r->blind; far++) {
			text.len = 0;
			for (int k = 0; far && k < 25; k++)
				tclog_buf_adds(&text, "ls -l 0123 ");
			tclog_buf_adds(&text, probe[i]);
			tclog_buf_adds(&text, " ok");
			memset(hit, 0, r->n);
			if (hs_scan(r->db, text.data, (unsigned)text.len, 0,
			    r->scratch, on_probe, hit) != HS_SUCCESS || !hit[i])
				r->blind = true;
		}
	if (r->blind)
		warnx("Vectorscan misses matches on this machine: every rule "
		    "runs with PCRE2 (slower)");
	free(hit);
	tclog_buf_free(&text);
}

/* Builds the rules: the built-in ones and those of file (or NULL).
 * Returns -1 after a diagnostic (a usage error). */
static int
load_rules(struct rules *r, const char *file, size_t limit)
{
	struct tclog_buf why = { 0 };
	unsigned long *lines = NULL;
	size_t nbuiltin = sizeof(builtin) / sizeof(builtin[0]), bad;
	int ret = 0;

	r->key_rank = SIZE_MAX;
	for (size_t i = 0; i < nbuiltin; i++) {
		add_rule(r, builtin[i].kind, builtin[i].re, builtin[i].check);
		r->rule[i].detect = builtin[i].detect;
		if (r->key_rank == SIZE_MAX && strcmp(builtin[i].kind,
		    KEY_KIND) == 0)
			r->key_rank = i;
	}
	if (file != NULL && read_rules(r, file, limit, &lines) != 0) {
		free(lines);
		return -1;
	}
	r->re = tclog_xmalloc(r->n * sizeof(*r->re));
	r->grouped = tclog_xmalloc(r->n * sizeof(*r->grouped));
	r->spans = tclog_xmalloc(r->n * sizeof(*r->spans));
	for (size_t i = 0; i < r->n; i++) {
		r->spans[i] = i >= nbuiltin;
		for (size_t k = 0; k < sizeof(spanning_kinds) /
		    sizeof(spanning_kinds[0]); k++)
			r->spans[i] |= strcmp(r->rule[i].kind,
			    spanning_kinds[k]) == 0;
	}
	memset(r->re, 0, r->n * sizeof(*r->re));
	for (size_t i = 0; i < r->n && ret == 0; i++)
		if (compile_rule(r, i, &why) != 0) {
			if (i < nbuiltin)
				errx(TCLOG_EXIT_FATAL, "rule %s: %s",
				    r->rule[i].kind, tclog_buf_str(&why));
			tclog_diag(tclog_input_name(file), lines[i - nbuiltin],
			    "bad REGEX: %s", tclog_buf_str(&why));
			ret = -1;
		}
	if (ret == 0 && !(file == NULL && load_db(r)) &&
	    compile_db(r, &bad, &why) != 0) {
		if (bad != SIZE_MAX && bad >= nbuiltin &&
		    strstr(tclog_buf_str(&why), "empty buffer") != NULL)
			tclog_diag(tclog_input_name(file),
			    lines[bad - nbuiltin], "REGEX matches the empty "
			    "string");
		else if (bad != SIZE_MAX && bad >= nbuiltin)
			tclog_diag(tclog_input_name(file),
			    lines[bad - nbuiltin], "REGEX not supported by "
			    "Vectorscan: %s", why.data);
		else
			errx(TCLOG_EXIT_FATAL, "rules: %s",
			    tclog_buf_str(&why));
		ret = -1;
	}
	if (ret == 0 && ((r->md = pcre2_match_data_create(2, NULL)) == NULL ||
	    (r->mc = pcre2_match_context_create(NULL)) == NULL))
		errx(TCLOG_EXIT_FATAL, "out of memory");
	if (ret == 0)
		pcre2_set_heap_limit(r->mc, HEAP_LIMIT_KB);
	if (ret == 0)
		check_probes(r, nbuiltin);
	free(lines);
	tclog_buf_free(&why);
	return ret;
}

static void
free_rules(struct rules *r)
{
	for (size_t i = 0; r->re != NULL && i < r->n; i++)
		pcre2_code_free(r->re[i]);
	free(r->re);
	free(r->grouped);
	free(r->spans);
	free(r->rule);
	free(r->text);
	hs_free_scratch(r->scratch);
	hs_free_database(r->db);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
}

/* ---- checks of a candidate ---- */

static bool
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* True when text[start] lies in a placeholder or starts one: what was
 * redacted once is never found again. */
static bool
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
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(s, list[i], n) == 0)
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
static bool
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
static bool
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
		if (n > strlen(placeholder_starts[i]) &&
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

/* A .pgpass line, not a MAC address (aa:11:b2:c3:d4 has its shape). */
static bool
pgpass_ok(const char *text, size_t n, size_t start, size_t end)
{
	size_t i = start;

	if (!value_ok(text, n, start, end))
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

static bool
check_ok(enum check check, const char *text, size_t n, size_t start,
    size_t end)
{
	switch (check) {
	case CHECK_VALUE:
		return value_ok(text, n, start, end);
	case CHECK_KEYWORD:
		return keyword_ok(text, n, start, end);
	case CHECK_EMAIL:
		return email_ok(text, n, start, end);
	case CHECK_DISCORD:
		return discord_ok(text + start, end - start);
	case CHECK_RANDOM:
		return random_ok(text + start, end - start);
	case CHECK_TOKEN:
		return token_ok(text + start, end - start);
	case CHECK_PROSE:
		return prose_ok(text, n, start, end);
	case CHECK_PGPASS:
		return pgpass_ok(text, n, start, end);
	case CHECK_OPTION:
		return option_ok(text, n, start, end);
	default:
		return true;
	}
}

/* ---- finding ---- */

static void
add_finding(struct scrub *s, size_t start, size_t end, size_t rule)
{
	if (s->nfind == s->find_cap) {
		s->find_cap = s->find_cap ? 2 * s->find_cap : 16;
		s->find = tclog_xrealloc(s->find, s->find_cap *
		    sizeof(*s->find));
	}
	s->find[s->nfind++] = (struct finding){ start, end, rule };
}

static int
on_hit(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct scrub *s = ctx;

	(void)from;
	(void)flags;
	if (!s->hit[id]) {
		s->hit[id] = 1;
		s->hits[s->nhits++] = id;
		s->first_end[id] = s->last_end[id] = (size_t)to;
	} else if (to > s->last_end[id])
		s->last_end[id] = (size_t)to;
	return 0;
}

/* Where rule i matches text, with PCRE2: its spans, checked. */
static void
locate(struct scrub *s, size_t i, const char *text, size_t n)
{
	struct rules *r = &s->rules;
	PCRE2_SIZE off = 0, *ov = pcre2_get_ovector_pointer(r->md);

	/* A match starts at most where the rule's last detection ended,
	 * and not before the line where the first ended (unless it
	 * spans lines): on a long text, PCRE2 looks only there. */
	if (!r->spans[i]) {
		const char *nl = memrchr(text, '\n', s->first_end[i]);

		off = nl != NULL ? (size_t)(nl - text) + 1 : 0;
	}
	pcre2_set_offset_limit(r->mc, s->last_end[i]);

	pcre2_set_match_limit(r->mc, n < (UINT32_MAX - MATCH_LIMIT) /
	    MATCH_LIMIT_PER_BYTE ? (uint32_t)(MATCH_LIMIT +
	    MATCH_LIMIT_PER_BYTE * n) : UINT32_MAX);
	while (off <= n) {
		int rc = pcre2_match(r->re[i], (PCRE2_SPTR)text, n, off, 0,
		    r->md, r->mc);
		size_t start, end;

		/* The JIT's stack and step count are not the interpreter's:
		 * its limits are those of the interpreter, asked again. */
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT ||
		    rc == PCRE2_ERROR_MATCHLIMIT)
			rc = pcre2_match(r->re[i], (PCRE2_SPTR)text, n, off,
			    PCRE2_NO_JIT, r->md, r->mc);
		start = ov[0];
		end = ov[1];

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {	/* a limit: not searched to its end */
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			tclog_buf_printf(&s->unscanned, "rule %s: %s",
			    r->rule[i].kind, (char *)msg);
			break;
		}

		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		if (in_placeholder(text, n, start)) {
			/* a keyword inside [REDACTED:mysql-password] is
			 * none: search on after the placeholder */
			const char *close = memchr(text + start, ']', n - start);

			off = close != NULL ? (size_t)(close - text) + 1 : n + 1;
			continue;
		}
		if (r->grouped[i]) {
			if (ov[2] == PCRE2_UNSET)
				continue;
			start = ov[2];
			end = ov[3];
		}
		/* A value holding a placeholder lost, on the run that made
		 * it, to the rule listed earlier (password="x ghp_..."): it
		 * is not found on the next run either. */
		/* The end of a sed expression: s/^api_key:.*\/api_key: KEY/ */
		if (r->rule[i].check == CHECK_KEYWORD && end - start > 1 &&
		    text[end - 1] == '/' && memchr(text + start, '/',
		    end - start - 1) == NULL)
			end--;
		if (end > start && !in_placeholder(text, n, start) &&
		    memmem(text + start, end - start, PLACEHOLDER,
		    PLACEHOLDER_LEN) == NULL &&
		    check_ok(r->rule[i].check, text, n, start, end))
			add_finding(s, start, end, i);
		else if (start > ov[0] && start < off)
			/* A value taken for no secret may hold the next
			 * keyword: sed 's/^api_key:.* /api_key: KEY/'. */
			off = start;
	}
}

/* The whole words of word w of -w in text. */
static void
find_word(struct scrub *s, size_t w, const char *text, size_t n)
{
	const struct word *wd = &s->word[w];
	const char *p = text, *end = text + n, *q;

	while ((q = memmem(p, (size_t)(end - p), wd->word, wd->word_len)) !=
	    NULL) {
		size_t at = (size_t)(q - text), e = at + wd->word_len;

		p = q + 1;
		if (!whole_word(text, n, at, wd->word_len) ||
		    in_placeholder(text, n, at))
			continue;
		add_finding(s, at, e, SIZE_MAX - w);
		p = text + e;
	}
}

/*
 * Keeps, of the findings s->find[from, nfind) of one rule (sorted, apart),
 * those that overlap none of s->find[0, from) (sorted, apart, found by
 * rules listed earlier), and merges both: where two findings overlap,
 * the rule listed first wins.
 */
static void
merge_findings(struct scrub *s, size_t from)
{
	size_t kept = from, j = 0, a = 0, b = from, k = 0;

	for (size_t i = from; i < s->nfind; i++) {
		struct finding f = s->find[i];

		while (j < from && s->find[j].end <= f.start)
			j++;
		if (j < from && s->find[j].start < f.end)
			continue;
		s->find[kept++] = f;
	}
	s->nfind = kept;
	if (from == 0 || kept == from)
		return;
	if (s->merge_cap < kept) {
		s->merge_cap = s->find_cap;
		s->merge = tclog_xrealloc(s->merge, s->merge_cap *
		    sizeof(*s->merge));
	}
	while (a < from || b < kept)
		s->merge[k++] = b == kept || (a < from &&
		    s->find[a].start < s->find[b].start) ?
		    s->find[a++] : s->find[b++];
	memcpy(s->find, s->merge, kept * sizeof(*s->find));
}

static int
by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The string value of a member whose key names a secret (in s->key):
 * a literal, so a secret unless a reference or a path; digits only
 * are one only under a password's key. */
static bool
keyed_ok(struct scrub *s, const char *text, size_t n)
{
	size_t digits = 0;

	/* A placeholder anywhere: a rule listed earlier (a webhook's path)
	 * found its secret on the first run; taken whole now, a second
	 * run would differ from the first. */
	if (n == 0 || is_reference(text, n, '"') || text[0] == '/' ||
	    text[0] == '~' || memmem(text, n, PLACEHOLDER,
	    PLACEHOLDER_LEN) != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		digits += text[i] >= '0' && text[i] <= '9';
	return digits < n || name_has(s->key.data, s->key.len, "pass") ||
	    name_has(s->key.data, s->key.len, "pwd");
}

/* Finds what text holds into s->find, sorted, without overlaps: the
 * rules in their order (a keyed string whole at the place of the
 * first "secret" rule), then the words of -w. */
static void
find_all(struct scrub *s, const char *text, size_t n, bool keyed)
{
	bool key = keyed && keyed_ok(s, text, n);
	size_t from;

	s->nfind = 0;
	s->nhits = 0;
	s->unscanned.len = 0;
	if (s->rules.blind || n > UINT_MAX) {	/* hs_scan: an unsigned */
		for (size_t i = 0; i < s->rules.n; i++) {
			on_hit((unsigned)i, 0, 0, 0, s);
			s->first_end[i] = 0;
			s->last_end[i] = n;
		}
	}
	else if (n >= s->rules.min_width && n > 0 && hs_scan(s->rules.db,
	    text, (unsigned)n, 0,
	    s->rules.scratch, on_hit, s) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "Vectorscan failed");
	if (s->nhits > 1)
		qsort(s->hits, s->nhits, sizeof(*s->hits), by_index);
	if (s->nhits > 0) {
		/* PCRE2's JIT reads past the end of its text (harmless, but
		 * valgrind says so): it reads a copy with zeros after it. */
		s->subject.len = 0;
		tclog_buf_add(&s->subject, text, n);
		tclog_buf_grow(&s->subject, SUBJECT_PAD);
		memset(s->subject.data + n, 0, SUBJECT_PAD);
		text = s->subject.data;
	}
	for (size_t i = 0; i < s->nhits; i++) {
		s->hit[s->hits[i]] = 0;
		if (key && s->hits[i] >= s->rules.key_rank) {
			from = s->nfind;
			add_finding(s, 0, n, KEY_RULE);
			merge_findings(s, from);
			key = false;
		}
		if (s->unscanned.len > 0)
			continue;	/* the rest of s->hit is still cleared */
		from = s->nfind;
		locate(s, s->hits[i], text, n);
		merge_findings(s, from);
	}
	if (s->unscanned.len > 0) {
		/* What a rule could not search may hold anything. */
		s->nfind = 0;
		add_finding(s, 0, n, UNSCANNED_RULE);
		return;
	}
	if (key) {
		from = s->nfind;
		add_finding(s, 0, n, KEY_RULE);
		merge_findings(s, from);
	}
	for (size_t w = 0; w < s->nword; w++) {
		from = s->nfind;
		find_word(s, w, text, n);
		merge_findings(s, from);
	}
}

static const char *
finding_kind(const struct scrub *s, size_t rule)
{
	if (rule == KEY_RULE)
		return KEY_KIND;
	if (rule == UNSCANNED_RULE)
		return UNSCANNED_KIND;
	if (rule > UNSCANNED_RULE)
		return "word";
	return s->rules.rule[rule].kind;
}

/* -l: one line for each finding of the string at s->path. */
static void
list_findings(struct scrub *s)
{
	struct tclog_buf line = { 0 };

	for (size_t i = 0; i < s->nfind; i++) {
		line.len = 0;
		tclog_buf_printf(&line, "%s:%lu: %s in %s\n", s->in.name,
		    s->in.line, finding_kind(s, s->find[i].rule),
		    tclog_buf_str(&s->path));
		tclog_write(line.data, line.len);
	}
	tclog_buf_free(&line);
}

/* ---- the walk ---- */

static struct level *
level(struct scrub *s, int depth)
{
	if (s->level[depth] == NULL) {
		s->level[depth] = tclog_xmalloc(sizeof(struct level));
		memset(s->level[depth], 0, sizeof(struct level));
	}
	return s->level[depth];
}

/* Appends text, its findings replaced, as a JSON string: in Go's style
 * (<, >, & as \u003c...) unless the string had them as they are. */
static void
put_replaced(struct scrub *s, struct tclog_buf *out, const char *text,
    size_t n, const char *raw, size_t raw_len, struct tclog_buf *scratch)
{
	size_t at = 0;
	bool go = memchr(raw, '<', raw_len) == NULL &&
	    memchr(raw, '>', raw_len) == NULL &&
	    memchr(raw, '&', raw_len) == NULL;

	scratch->len = 0;
	for (size_t i = 0; i < s->nfind; i++) {
		const struct finding *f = &s->find[i];

		tclog_buf_add(scratch, text + at, f->start - at);
		if (f->rule > UNSCANNED_RULE) {
			const struct word *w = &s->word[SIZE_MAX - f->rule];

			tclog_buf_add(scratch, w->repl, w->repl_len);
		} else {
			tclog_buf_adds(scratch, PLACEHOLDER);
			tclog_buf_adds(scratch, finding_kind(s, f->rule));
			tclog_buf_addc(scratch, ']');
		}
		at = f->end;
	}
	tclog_buf_add(scratch, text + at, n - at);
	if (go)
		tclog_json_put_go_string(out, scratch->data, scratch->len);
	else
		tclog_json_put_string(out, scratch->data, scratch->len);
}

static size_t scrub_value(struct scrub *, const char *, size_t,
    struct tclog_buf *, int, bool);

/* A string value: its JSON walked when it holds some, else its text
 * searched. Appends the value scrubbed; returns the findings. */
static size_t
scrub_string(struct scrub *s, const char *raw, size_t n,
    struct tclog_buf *out, int depth, bool keyed)
{
	struct level *lv = level(s, depth);
	const char *text = raw + 1, *j;
	size_t len = n - 2, jlen, found;

	if (memchr(text, '\\', len) != NULL) {
		lv->decoded.len = 0;
		tclog_json_string(raw, n, &lv->decoded);
		text = lv->decoded.data;
		len = lv->decoded.len;
	}
	j = text;
	jlen = len;
	tclog_json_trim(&j, &jlen);
	if (jlen > 1 && (*j == '{' || *j == '[') && depth < DEPTH_MAX &&
	    tclog_json_check(j, jlen, false, &s->err) == 0) {
		if (out == NULL)
			return scrub_value(s, j, jlen, NULL, depth + 1, false);
		lv->json.len = 0;
		tclog_buf_add(&lv->json, text, (size_t)(j - text));
		found = scrub_value(s, j, jlen, &lv->json, depth + 1, false);
		if (found == 0) {
			tclog_buf_add(out, raw, n);
			return 0;
		}
		tclog_buf_add(&lv->json, j + jlen, len - (size_t)(j - text) -
		    jlen);
		s->nfind = 0;
		put_replaced(s, out, lv->json.data, lv->json.len, raw, n,
		    &lv->text);
		return found;
	}
	find_all(s, text, len, keyed);
	if (out == NULL) {
		if (s->unscanned.len > 0) {
			tclog_diag(s->in.name, s->in.line, "%s in %s: redacted "
			    "whole as " PLACEHOLDER UNSCANNED_KIND "]",
			    tclog_buf_str(&s->unscanned),
			    tclog_buf_str(&s->path));
			tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		}
		if (s->list)
			list_findings(s);
		for (size_t i = 0; i < s->nfind; i++)
			s->nsecret += s->find[i].rule <= UNSCANNED_RULE;
		return s->nfind;
	}
	if (s->nfind == 0) {
		tclog_buf_add(out, raw, n);
		return 0;
	}
	found = s->nfind;
	put_replaced(s, out, text, len, raw, n, &lv->text);
	return found;
}

/* True when a raw member key names a secret (secret_keys). */
static bool
key_is_secret(struct scrub *s, const char *key, size_t len)
{
	char low[64];
	size_t n = 0;

	s->key.len = 0;
	tclog_json_string(key, len, &s->key);
	for (size_t i = 0; i < s->key.len && n < sizeof(low); i++) {
		char c = s->key.data[i];

		if (c == '_' || c == '-' || c == '.')
			continue;
		low[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (n == sizeof(low))
		return false;
	for (size_t i = 0; i < sizeof(secret_whole_keys) /
	    sizeof(secret_whole_keys[0]); i++)
		if (n == strlen(secret_whole_keys[i]) &&
		    memcmp(low, secret_whole_keys[i], n) == 0)
			return true;
	for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]);
	    i++) {
		size_t k = strlen(secret_keys[i]);

		if (n >= k && memcmp(low + n - k, secret_keys[i], k) == 0)
			return true;
	}
	return false;
}

/* Appends the decoded key to s->path: ".key" (no dot first). */
static void
path_key(struct scrub *s, const char *key, size_t len)
{
	if (s->path.len > 0)
		tclog_buf_addc(&s->path, '.');
	tclog_json_string(key, len, &s->path);
}

/* A JSON value, validated: appends it scrubbed to out, the text between
 * its parts copied as written. Returns the findings. With out NULL it
 * only counts them (and lists them for -l): most records have none, and
 * are written as they came without being copied first. */
static size_t
scrub_value(struct scrub *s, const char *v, size_t n, struct tclog_buf *out,
    int depth, bool keyed)
{
	struct tclog_json_iter it;
	const char *k, *e, *copied = v;
	size_t klen, elen, found = 0, mark = s->path.len, index = 0;
	enum tclog_json_type type = tclog_json_type(v, n);

	if (depth >= DEPTH_MAX) {
		s->fail.len = 0;
		tclog_buf_printf(&s->fail, "nested deeper than %d levels",
		    DEPTH_MAX);
		return 0;
	}
	if (type == TCLOG_JSON_STRING)
		return scrub_string(s, v, n, out, depth, keyed);
	if (type != TCLOG_JSON_OBJECT && type != TCLOG_JSON_ARRAY) {
		if (out != NULL)
			tclog_buf_add(out, v, n);
		return 0;
	}
	tclog_json_iter_init(&it, v, n);
	for (;;) {
		bool secret = false;

		if (type == TCLOG_JSON_OBJECT) {
			if (!tclog_json_next_member(&it, &k, &klen, &e, &elen))
				break;
			path_key(s, k, klen);
			secret = tclog_json_type(e, elen) == TCLOG_JSON_STRING &&
			    key_is_secret(s, k, klen);
		} else {
			if (!tclog_json_next_element(&it, &e, &elen))
				break;
			tclog_buf_printf(&s->path, "[%zu]", index++);
		}
		if (out != NULL)
			tclog_buf_add(out, copied, (size_t)(e - copied));
		found += scrub_value(s, e, elen, out, depth + 1, secret);
		copied = e + elen;
		s->path.len = mark;
		if (s->fail.len > 0)
			return 0;
	}
	if (out != NULL)
		tclog_buf_add(out, copied, (size_t)(v + n - copied));
	return found;
}

/* The bad rating's diagnostic, in the words of every command, but a
 * string, array or object is not shown: it may hold a secret, and the
 * scrubber prints none. */
static void
rating_diag(struct scrub *s)
{
	const struct tclog_field *f = tclog_record_get(&s->rec, "rating");
	const char *what = NULL;

	switch (tclog_json_type(f->value, f->value_len)) {
	case TCLOG_JSON_STRING:
		what = "a string";
		break;
	case TCLOG_JSON_ARRAY:
		what = "an array";
		break;
	case TCLOG_JSON_OBJECT:
		what = "an object";
		break;
	default:
		break;
	}
	if (what != NULL)
		tclog_diag(s->in.name, s->in.line, "rating (%s, not shown) is "
		    "not an integer from 0 to 5", what);
	else
		tclog_diag(s->in.name, s->in.line, "%s",
		    tclog_buf_str(&s->err));
}

static void
scrub_record(struct scrub *s)
{
	const char *text = s->in.text;
	size_t n = s->in.len, found;

	if (tclog_record_parse(&s->rec, text, n, s->in.unterminated) != 0) {
		tclog_diag(s->in.name, s->in.line, "%s", s->rec.error);
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	/* bad in every command (tclog(7)), so not copied as an entry */
	if (tclog_record_rating(&s->rec, &s->err) == TCLOG_RATING_BAD) {
		rating_diag(s);
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	tclog_json_trim(&text, &n);
	s->path.len = 0;
	s->fail.len = 0;
	s->nsecret = 0;
	found = scrub_value(s, text, n, NULL, 0, false);
	if (s->fail.len > 0) {
		tclog_diag(s->in.name, s->in.line, "%s",
		    tclog_buf_str(&s->fail));
		tclog_status_raise(&s->status, TCLOG_EXIT_BAD);
		return;
	}
	s->nfound += found;
	if (s->list || (s->nsecret > 0 && s->drop))
		return;
	if (found == 0)
		tclog_write(s->in.text, s->in.len);
	else {
		s->out.len = 0;
		scrub_value(s, text, n, &s->out, 0, false);
		tclog_write(s->out.data, s->out.len);
	}
	tclog_write("\n", 1);
}

static void
scrub_file(struct scrub *s, int fd, const char *name)
{
	tclog_reader_init(&s->in, fd, name, s->limit);
	while (tclog_reader_record(&s->in, &s->status))
		scrub_record(s);
	tclog_reader_free(&s->in);
}

/* ---- options ---- */

/* True when text holds word as a whole word. */
static bool
holds_word(const char *text, size_t n, const char *word, size_t len)
{
	for (const char *p = text; (p = memmem(p, n - (size_t)(p - text),
	    word, len)) != NULL; p++)
		if (whole_word(text, n, (size_t)(p - text), len))
			return true;
	return false;
}

/* Adds a word=replacement of -w; -1 after a diagnostic. */
static int
add_word(struct scrub *s, char *arg)
{
	char *eq = strchr(arg, '=');
	struct word w;

	if (eq == NULL || eq == arg) {
		warnx("-w: not word=replacement: %s", arg);
		return -1;
	}
	w = (struct word){ arg, eq + 1, (size_t)(eq - arg), strlen(eq + 1) };
	if (tclog_utf8_invalid(arg, strlen(arg)) < strlen(arg)) {
		warnx("-w: not UTF-8: %s", arg);
		return -1;
	}
	/* Replaced again on a second run, the output would not settle. */
	if (holds_word(w.repl, w.repl_len, w.word, w.word_len)) {
		warnx("-w: the replacement holds the word: %s", arg);
		return -1;
	}
	*eq = '\0';
	s->word[s->nword++] = w;
	return 0;
}

/* The same across pairs: with cal=bob and bob=cal, a second run would
 * undo the first. -1 after a diagnostic naming both. */
static int
check_words(const struct scrub *s)
{
	for (size_t i = 0; i < s->nword; i++)
		for (size_t j = 0; j < s->nword; j++) {
			const struct word *a = &s->word[i], *b = &s->word[j];

			if (i != j && holds_word(a->repl, a->repl_len,
			    b->word, b->word_len)) {
				warnx("-w: the replacement of %s=%s holds the "
				    "word of %s=%s", a->word, a->repl, b->word,
				    b->repl);
				return -1;
			}
		}
	return 0;
}

static int
finish(struct scrub *s)
{
	int status;

	free(s->word);
	free(s->find);
	free(s->merge);
	free(s->hit);
	free(s->hits);
	free(s->first_end);
	free(s->last_end);
	tclog_buf_free(&s->subject);
	free_rules(&s->rules);
	tclog_record_free(&s->rec);
	tclog_buf_free(&s->out);
	tclog_buf_free(&s->path);
	tclog_buf_free(&s->err);
	tclog_buf_free(&s->fail);
	tclog_buf_free(&s->unscanned);
	tclog_buf_free(&s->key);
	for (int i = 0; i <= DEPTH_MAX; i++)
		if (s->level[i] != NULL) {
			tclog_buf_free(&s->level[i]->decoded);
			tclog_buf_free(&s->level[i]->json);
			tclog_buf_free(&s->level[i]->text);
			free(s->level[i]);
		}
	status = tclog_close_output();
	return status > s->status ? status : s->status;
}

static int
usage_error(struct scrub *s)
{
	usage(stderr);
	tclog_status_raise(&s->status, TCLOG_EXIT_FATAL);
	return finish(s);
}

#ifndef TCLOG_SCRUB_DB_GEN
int
main(int argc, char *argv[])
{
	struct scrub s = { .limit = TCLOG_DEFAULT_LIMIT };
	struct tclog_inputs in;
	const char *rules_file = NULL;
	int ch;

	tclog_start();
	tclog_record_init(&s.rec);
	hs_set_allocator(hs_alloc, free);
	if (tclog_help_requested(argc, argv, OPTIONS)) {
		usage(stdout);
		return finish(&s);
	}
	s.word = tclog_xmalloc((size_t)argc * sizeof(*s.word));
	while ((ch = getopt(argc, argv, OPTIONS)) != -1) {
		switch (ch) {
		case 'd':
			s.drop = true;
			break;
		case 'f':
			rules_file = optarg;	/* the last one counts */
			break;
		case 'l':
			s.list = true;
			break;
		case 'L':
			if (tclog_option_limit(optarg, &s.limit) != 0)
				return usage_error(&s);
			break;
		case 'w':
			if (add_word(&s, optarg) != 0)
				return usage_error(&s);
			break;
		default:
			return usage_error(&s);
		}
	}
	argc -= optind;
	argv += optind;

	if (check_words(&s) != 0)
		return usage_error(&s);
	if (rules_file != NULL &&
	    tclog_inputs_leave_stdin('f', rules_file, argc, argv) != 0)
		return usage_error(&s);
	if (load_rules(&s.rules, rules_file, s.limit) != 0) {
		tclog_status_raise(&s.status, TCLOG_EXIT_FATAL);
		return finish(&s);
	}
	s.hit = tclog_xmalloc(s.rules.n);
	memset(s.hit, 0, s.rules.n);
	s.hits = tclog_xmalloc(s.rules.n * sizeof(*s.hits));
	s.first_end = tclog_xmalloc(s.rules.n * sizeof(*s.first_end));
	s.last_end = tclog_xmalloc(s.rules.n * sizeof(*s.last_end));

	tclog_inputs_init(&in, argc, argv);
	while (tclog_inputs_next(&in, &s.status))
		scrub_file(&s, in.fd, in.name);
	/* -l is a check: anything found makes the log not clean. */
	if (s.list && s.nfound > 0)
		tclog_status_raise(&s.status, TCLOG_EXIT_BAD);
	return finish(&s);
}
#else

/* The build's generator: writes the database of the built-in rules, and
 * the shortest text they can match, as C for TCLOG_SCRUB_DB. */
int
main(void)
{
	struct rules r = { 0 };
	struct tclog_buf why = { 0 };
	size_t bad, len;
	char *bytes;

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		add_rule(&r, builtin[i].kind, builtin[i].re, builtin[i].check);
		r.rule[i].detect = builtin[i].detect;
	}
	if (compile_db(&r, &bad, &why) != 0)
		errx(TCLOG_EXIT_FATAL, "rules: %s", tclog_buf_str(&why));
	if (hs_serialize_database(r.db, &bytes, &len) != HS_SUCCESS)
		errx(TCLOG_EXIT_FATAL, "cannot serialise the database");
	printf("/* Made by tclog-scrub.c built with TCLOG_SCRUB_DB_GEN. */\n"
	    "static const size_t builtin_min_width = %zu;\n"
	    "static const unsigned char builtin_db[] = {", r.min_width);
	for (size_t i = 0; i < len; i++)
		printf("%s%u,", i % 16 ? "" : "\n\t", (unsigned char)bytes[i]);
	printf("\n};\n");
	free(bytes);
	free_rules(&r);
	tclog_buf_free(&why);
	return tclog_close_output();
}
#endif
