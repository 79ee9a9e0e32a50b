/*
 * tclog-scrub's built-in rules: one row a rule, in the order in which
 * they win where findings overlap.
 *
 * A row's probe is a secret of its kind, for the check at start that
 * Vectorscan finds what PCRE2 does, near the start of a text and far
 * into it.
 * Vectorscan 5.4.9 (Debian 12) on a CPU with AVX-512 misses, past the
 * first 64 bytes, matches of some expressions, such as "@[a-z]+\\."
 * (fixed upstream in 2026: VectorCamp/vectorscan#375, #378). Where a
 * probe is missed, every rule is run with PCRE2 on every string: slower,
 * never blind.
 *
 * A detection (what Vectorscan looks for) is best a few literal bytes
 * or words: a class repeated without bound ([\\w-]*, [^\\n]*) or
 * without a literal before it keeps automaton states alive across the
 * text: the e-mail, prose and Discord rules' detections of that shape
 * were more than a third of Vectorscan's time on the bench's logs. Each
 * detection matches wherever its rule does (PCRE2 decides), and ends on
 * the line where the rule's match starts (engine.c's locate looks only
 * there); each change was checked by comparing, on every string of the
 * bench's logs and the tests' inputs, alone and after 300 bytes of
 * text, PCRE2's matches with Vectorscan's ends on this CPU (AVX-512).
 */
#include "scrub.h"

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
 * <<< after a command's words (a redirection's >& included): a | ; or &
 * in quotes is part of a word ('a;b', a password), not the end of the
 * command (a second run, which sees [REDACTED:...] there, found more). */
#define PIPE_SUDO "(?:sudo(?>[ \\t]+-[A-Za-z]+)*[ \\t]+)?"
#define WORDS_GAP "(?:[^\\n|;&'\"]|'[^'\\n]*'|\"[^\"\\n]*\"|['\"])*?"
#define HERE_STRING WORDS_GAP "(?:(?<=>)&" WORDS_GAP ")*?<<<[ \\t]*+"
/* A password fed to a command (chpasswd, passwd) through a pipe from
 * echo or printf, and by a here-string after the command's words. */
#define PIPED_TO(cmd) "[ \\t]*\\|[ \\t]*" PIPE_SUDO "(?:[^\\s|;&]*/)?" cmd \
	"(?![\\w.-])"
#define HERE_STRING_TO(cmd, value) "\\b" cmd "(?![\\w.-])(?:" HERE_STRING \
	"(?:\\$(?='))?" value OR_SKIP("[^\\n|;&]")
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
const struct rule builtin[] = {
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
	    CHECK_NONE, "-----BEGIN[ A-Z0-9_-]*PRIVATE KEY",
	    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----" },
	{ "aws-access-key-id", "\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)"
	    "[A-Z2-7]{16}\\b", CHECK_TOKEN,
	    "\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]",
	    "AKIAIOSFODNN7EXAMPLE" },
	{ "aws-secret-key", "(?i)aws_?secret_?(?:access_?)?key[\"']?[ \\t]*"
	    "(?:[=:][ \\t]*|[ \\t])[\"']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|\\z)",
	    CHECK_TOKEN, "(?i)aws_?secret",
	    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	/* A secret key beside its key id, without a name: CSV of the
	 * console, aws configure's answers, s3fs's ID:SECRET. */
	{ "aws-secret-key", "\\b(?:AKIA|ASIA)[A-Z2-7]{16}(?:[ \\t]*[,:;|][ \\t]*|"
	    "\\s+)[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", CHECK_TOKEN,
	    "\\b(?:AKIA|ASIA)[A-Z2-7]{16}[^A-Za-z0-9]+[A-Za-z0-9/+]{40}",
	    "AKIAZ3MHQ7VX2LNPR4TB,Wm8uJ0rT5qLx7ZcVb3Nd9Yk2Hf6Gs1Pa4Eo0Ri8T" },
	{ "github-token", "\\b(?:gh[pousr]_[0-9A-Za-z]{36,}|"
	    "github_pat_\\w{60,})", CHECK_TOKEN,
	    "\\b(?:gh[pousr]_|github_pat_)",
	    "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij" },
	{ "gitlab-token", "\\bglpat-[\\w-]{20,}", CHECK_TOKEN,
	    "\\bglpat-",
	    "glpat-ABCDEFGHIJKLMNOPQRST" },
	/* Slack's configuration tokens (gitleaks' slack-config-access-token
	 * and slack-config-refresh-token: 163 and 146 characters after the
	 * prefix); shorter ones are documentation placeholders
	 * (xoxe.xoxp-1-RANDOMSTRINGHERE). */
	{ "slack-config-token", "\\bxoxe(?:\\.xox[bp]-[0-9]-[A-Za-z0-9]{163,}|"
	    "-[0-9]-[A-Za-z0-9]{146,})", CHECK_TOKEN,
	    "\\bxoxe(?:\\.xox[bp])?-[0-9]-[A-Za-z0-9]",
	    "xoxe-1-"
	    "nQvWys81vp7hB1dx8PpD5KHXe3PYiGkPAuNaRL63xYKwzEInncIIA3AN"
	    "xN9K3KSU9Mi4roNL89sM995YTBXaK7JQEVT0mlAmrtVETW0TesULeetL"
	    "DQ8B8vW2ZBjyaXYl1AcCtLn99MHwP708dW" },
	{ "slack-token", "\\bxox[abprs]-[0-9A-Za-z-]{10,}", CHECK_TOKEN,
	    "\\bxox[abprs]-",
	    "xoxb-1234567890-ABCDEFGHIJKL" },
	{ "slack-webhook", "\\bhooks\\.slack\\.com/(?:services|workflows|triggers)"
	    "/([A-Za-z0-9+/]{20,})", CHECK_NONE, "\\bhooks\\.slack\\.com/",
	    "https://hooks.slack.com/services/T0000/B0000/ABCDEFGHIJKLMNOPQRSTUVWX" },
	/* Discord: a webhook's token (the id before it stays); a bot token,
	 * the bot's user id in base64, a time and an HMAC joined by dots,
	 * its id checked by CHECK_DISCORD (gitleaks b58d3f1 has neither
	 * shape, only tokens after the word discord). */
	{ "discord-webhook", "\\bdiscord(?:app)?\\.com/api(?:/v[0-9]+)?"
	    "/webhooks/[0-9]{17,20}/([\\w-]{60,})", CHECK_NONE,
	    "\\bdiscord(?:app)?\\.com/api/(?:v[0-9]+/)?webhooks/[0-9]",
	    "https://discord.com/api/webhooks/123456789012345678/"
	    "gpj7ktsjs0sW5uqSVZu9kK1V1miDZU4XcXF8cVGROoX9YE17swJaevAszj0OvEmMlrlt" },
	{ "discord-token", "(?<![\\w.-])" DISCORD_ID "[\\w-]{19,23}\\."
	    "[\\w-]{6}\\.[\\w-]{27,38}(?![\\w.-])", CHECK_DISCORD,
	    "\\b" DISCORD_ID,
	    "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.Q10v7SUw9ZRLsAwNpSpw23c-l9wxUhm-g1Con_" },
	/* Twilio's API key sid (gitleaks' twilio-api-key), as a whole word:
	 * gitleaks takes it inside longer text and counts on its entropy
	 * check, which CHECK_RANDOM stands for. */
	{ "twilio-key", "\\bSK[0-9a-fA-F]{32}\\b", CHECK_RANDOM,
	    "\\bSK[0-9a-fA-F]",
	    "SK94f03e7914c0f87f17f8499ff30499a9" },
	{ "stripe-key", "\\b[rs]k_(?:live|prod)_[0-9A-Za-z]{10,}",
	    CHECK_TOKEN,
	    "\\b[rs]k_(?:live|prod)_",
	    "sk_live_ABCDEFGHIJKLMNOP" },
	{ "anthropic-key", "\\bsk-ant-[\\w-]{20,}", CHECK_TOKEN,
	    "\\bsk-ant-",
	    "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "openai-key", "\\bsk-(?:proj-|svcacct-|admin-)?[\\w-]{20,}",
	    CHECK_TOKEN, "\\bsk-[\\w-]",
	    "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "huggingface-token", "\\bhf_[A-Za-z0-9]{30,}\\b", CHECK_TOKEN,
	    "\\bhf_[A-Za-z0-9]",
	    "hf_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh" },
	{ "google-api-key", "\\bAIza[\\w-]{35,}", CHECK_TOKEN, "\\bAIza",
	    "AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg" },
	{ "google-oauth-token", "\\bya29\\.[\\w-]{20,}", CHECK_NONE,
	    "\\bya29\\.[\\w-]",
	    "ya29.a0ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	/* Tokens of gitleaks b58d3f1's rules telegram-bot-api-token (here
	 * without the word telegram: a bot's URL holds none), shopify-*,
	 * pypi-upload-token, digitalocean-*, mailgun-private-api-token
	 * (without the word mailgun), vault-service-token and
	 * vault-batch-token; Docker's personal access tokens (dckr_pat_,
	 * Docker's documentation). */
	{ "telegram-bot-token", "(?<![0-9])[0-9]{5,16}:A[\\w-]{34}(?![\\w-])",
	    CHECK_TOKEN, "[0-9]{5}:A[\\w-]{34}",
	    "https://api.telegram.org/bot123456789:"
	    "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/getMe" },
	{ "shopify-token", "\\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\\b",
	    CHECK_TOKEN, "\\bshp(?:at|ca|pa|ss)_",
	    "shpat_0123456789abcdef0123456789abcdef" },
	{ "pypi-token", "\\bpypi-AgEIcHlwaS5vcmc[\\w-]{50,}", CHECK_NONE,
	    "\\bpypi-AgEIcHlwaS5vcmc",
	    "pypi-AgEIcHlwaS5vcmcCJDk4ZWY0YjFlLTk1ZGItNGQ2Ny1h"
	    "YzI2LTlmNmE3ZDQ0ZWY1NwACKlsz" },
	{ "docker-token", "\\bdckr_pat_[\\w-]{20,}", CHECK_TOKEN,
	    "\\bdckr_pat_",
	    "dckr_pat_2sX8uVqL0kR7cH1tZpW4yN6mBfE" },
	{ "digitalocean-token", "\\bdo[opr]_v1_[a-f0-9]{64}\\b", CHECK_TOKEN,
	    "\\bdo[opr]_v1_",
	    "dop_v1_0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef" },
	{ "mailgun-key", "\\bkey-[a-f0-9]{32}\\b", CHECK_TOKEN,
	    "\\bkey-[a-f0-9]{32}",
	    "key-0123456789abcdef0123456789abcdef" },
	{ "vault-token", "\\bhv[sb]\\.[\\w-]{24,}", CHECK_TOKEN,
	    "\\bhv[sb]\\.[\\w-]",
	    "hvs.CAESIJ3kZ8qT0LwXm2vR9yHcN5bE1uPaGfD7sKoVj4tW6nQ" },
	/* Datadog's API (32) and application (40) keys after a name that
	 * says so (gitleaks' datadog-access-token). */
	{ "datadog-key", "(?i)\\b(?:dd|datadog)[\\w.-]{0,20}?(?:api|app)"
	    "(?:lication)?[_-]?key[\"']?[ \\t]*[=:][ \\t]*[\"']?"
	    "([a-f0-9]{40}|[a-f0-9]{32})\\b", CHECK_TOKEN,
	    "(?i)\\b(?:dd|datadog)[\\w.-]*(?:api|app)",
	    "DD_API_KEY=0123456789abcdef0123456789abcdef" },
	{ "azure-storage-key", "(?i)\\b(?:AccountKey|SharedAccessKey)="
	    "([A-Za-z0-9+/]{20,}={0,2})", CHECK_NONE,
	    "(?i)\\b(?:AccountKey|SharedAccessKey)=",
	    "AccountName=x;AccountKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123==;" },
	{ "npm-token", "\\bnpm_[A-Za-z0-9]{36}\\b", CHECK_TOKEN,
	    "\\bnpm_[A-Za-z0-9]",
	    "npm_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij" },
	{ "sendgrid-key", "\\bSG\\.[\\w-]{16,32}\\.[\\w-]{16,64}",
	    CHECK_TOKEN,
	    "\\bSG\\.[\\w-]",
	    "SG.ABCDEFGHIJKLMNOPQRSTUV.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq" },
	{ "jwt", "\\beyJ[\\w-]{10,}\\.eyJ[\\w-]{10,}\\.[\\w-]*", CHECK_NONE,
	    "\\beyJ[\\w-]+\\.eyJ",
	    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmN" },
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
	    "2[abxy]\\$[0-9][0-9]\\$)|\\{SHA\\}",
	    "root:$6$Ab3dEf9h$"
	    "tg7NvlE3LaruSrjLnonWKTn9UGKzEesg61SHE/qaQQ0NV3vTH1"
	    "lS6V6.o9jl8zSOwW/rXL.iuItEnuj.hlrWB8:19000:0:99999:7:::" },
	{ "url-password", "\\b[A-Za-z][A-Za-z0-9+.-]{1,20}://"
	    "[^\\s:@/\"'<>]{1,100}:([^\\s@/\"'<>]{1,200})@", CHECK_VALUE,
	    "://[^\\s:@/\"'<>]+:[^\\s@/\"'<>]+@",
	    "https://bob:Pa55word@git.example.org/r.git" },
	{ "authorization", "(?i)\\bauthorization[\"']?[ \\t]*[:=][ \\t]*"
	    "[\"']?(?:bearer|basic|token)[ \\t]+([\\w.~+/=-]{8,})",
	    CHECK_VALUE,
	    "(?i)\\bauthorization[\"\']?[ \\t]*[:=]",
	    "Authorization: Bearer abcDEF123456ghiJKL" },
	{ "token-header", "(?i)\\b(?:private-token|x-api-key|x-auth-token)"
	    "[\"']?[ \\t]*:[ \\t]*[\"']?([\\w.~+/=-]{8,})", CHECK_VALUE,
	    "(?i)\\b(?:private-token|x-api-key|x-auth-token)",
	    "PRIVATE-TOKEN: abcDEF123456ghi" },
	{ "curl-password", "\\bcurl\\b(?:[^\\n]*?[ \\t](?:-u|--user)"
	    "(?:[ \\t]+|=)?(?|'[^'\\s:]+:([^'\\n]+)'|\"[^\"\\s:]+:([^\"\\n]+)\"|"
	    "[^\\s:'\"]+:(?|'([^'\\n]*)'|\"([^\"\\n]*)\"|([^\\s'\"]+)))"
	    OR_SKIP_LINE,
	    CHECK_VALUE,
	    "\\bcurl\\b",
	    "curl -u admin:Hunter2pw https://x.example.org/" },
	{ "mysql-password", "\\b(?:mysql|mysqldump|mysqladmin|mariadb)\\b"
	    "(?:[^\\n]*?[ \\t]-p" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\b(?:mysql|mysqldump|mysqladmin|mariadb)\\b",
	    "mysql -u root -pHunter2 shop" },
	{ "sshpass-password", "\\bsshpass[ \\t]+-p[ \\t]*" VALUE_OPT,
	    CHECK_VALUE, "\\bsshpass[ \\t]+-p",
	    "sshpass -p Hunter2 ssh host" },
	{ "docker-password", "\\bdocker[ \\t]+login\\b(?:[^\\n]*?[ \\t]-p"
	    "(?:[ \\t]+|=)?" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bdocker[ \\t]+login\\b",
	    "docker login -u bob -p Hunter2 r.example.org" },
	{ "redis-password", "\\bredis-cli\\b(?:[^\\n]*?[ \\t](?:-a|--pass)"
	    "(?:[ \\t]+|=)?" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bredis-cli\\b",
	    "redis-cli -a Hunter2 ping" },
	/* A password fed to sudo -S: echo PW | sudo -S, printf '%s\\n' PW |
	 * sudo -S, printf 'PW\\n' | sudo -S, sudo -S ... <<< PW. The detect
	 * expressions are words alone (as for every rule that looks for an
	 * option after a command's name): Vectorscan 5.4.9 misses
	 * (?:echo|printf)[^\\n]*\\|[ \\t]*sudo in "printf 'x...x' | sudo"
	 * once the word is 15 bytes long, AVX-512 or not, and a word keeps
	 * no automaton state alive to the line's end (a third of the scan
	 * on a log dense with secrets). PCRE2 looks only at the lines from
	 * the word's first to its last. */
	{ "sudo-password", "\\b(?|echo(?>[ \\t]+-[neE]+)*[ \\t]+" VALUE "|"
	    "printf[ \\t]+(?|(?:'%s(?:\\\\n)?'|\"%s(?:\\\\n)?\")[ \\t]+" VALUE "|"
	    "'([^'%\\\\\\n]+)(?:\\\\n)?'|\"([^\"%\\\\\\n]+)(?:\\\\n)?\"))"
	    "[ \\t]*\\|[ \\t]*" SUDO_S, CHECK_VALUE,
	    "\\b(?:echo|printf)\\b",
	    "echo 'correct-horse-battery' | sudo -S apt update"	/* > 14 */ },
	{ "sudo-password", SUDO_S "(?:" HERE_STRING VALUE OR_SKIP("[^\\n|;&]"),
	    CHECK_VALUE, "\\bsudo\\b",
	    "sudo -S apt update <<< correct-horse-battery" },
	/* htpasswd -b FILE USER PASSWORD, -n (no file): -nb USER PASSWORD;
	 * -b may stand among other flags (-bc, -Bb, -B -b -C 10). */
	{ "htpasswd-password", "\\bhtpasswd(?=" HTPASSWD_OPTS(0) "?[ \\t]+"
	    "-[A-Za-z0-9]*b)(?|" HTPASSWD_OPTS(0) "?[ \\t]+-[A-Za-z0-9]*n"
	    "[A-Za-z0-9]*" HTPASSWD_OPTS(0) "[ \\t]+" WORD "[ \\t]+" VALUE "|"
	    HTPASSWD_OPTS(1) "[ \\t]+" WORD "[ \\t]+" WORD "[ \\t]+" VALUE ")",
	    CHECK_VALUE, "\\bhtpasswd[ \\t]+-",
	    "htpasswd -bc .htpasswd bob Hunter2" },
	/* Passwords of the admin commands of an RHCSA persona: fed to
	 * chpasswd as USER:PASSWORD (the first group from the colon on,
	 * \n and the lines after it too: echo -e 'a:x\nb:y') or to passwd
	 * (--stdin on Red Hat, a plain pipe on Debian: echo -e 'x\nx'),
	 * through a pipe from echo or printf, or a <<< here-string. The
	 * detect expressions are words alone: see the note on sudo. */
	{ "chpasswd-password", "\\b(?:echo(?>[ \\t]+-[neE]+)*|printf)[ \\t]+"
	    USER_PW PIPED_TO("chpasswd"), CHECK_VALUE, "\\bchpasswd\\b",
	    "echo 'bob:correct-horse-battery' | chpasswd"	/* > 14 */ },
	{ "chpasswd-password", HERE_STRING_TO("chpasswd", USER_PW),
	    CHECK_VALUE, "\\bchpasswd\\b",
	    "chpasswd <<< 'bob:Hunter2xy'" },
	/* chpasswd <<EOF, its USER:PASSWORD lines to the first without a
	 * colon (the delimiter) taken from the first colon on. A line's
	 * rest is one repeat of a character (LINE_REST), not a group
	 * repeated for each: one PCRE2 frame a line, not one a byte. */
	{ "chpasswd-password", "\\bchpasswd(?![\\w.-])(?:(?>[^\\n|;&]*?<<-?[ \\t]*"
	    "(?:'\\w+'|\"\\w+\"|\\\\?\\w+))[^\\n]*?" NL "[ \\t]*[^\\s:'\"]+:"
	    "(" LINE_REST "(?:" NL "[ \\t]*[^\\s:'\"]+:" LINE_REST ")*)"
	    OR_SKIP("[^\\n|;&]"),
	    CHECK_VALUE, "\\bchpasswd\\b",
	    "chpasswd <<EOF\nbob:Hunter2xy\nEOF" },
	{ "passwd-password", "\\b(?|echo(?>[ \\t]+-[neE]+)*[ \\t]+" VALUE "|"
	    "printf[ \\t]+(?|(?:'%s(?:\\\\n)?'|\"%s(?:\\\\n)?\")[ \\t]+" VALUE "|"
	    "'([^'%\\n]+?)(?:\\\\n)?'|\"([^\"%\\n]+?)(?:\\\\n)?\"))"
	    PIPED_TO("passwd"), CHECK_VALUE, "\\bpasswd\\b",
	    "echo 'correct-horse-battery' | passwd --stdin bob"	/* > 14 */ },
	{ "passwd-password", HERE_STRING_TO("passwd", VALUE), CHECK_VALUE,
	    "\\bpasswd\\b",
	    "passwd --stdin bob <<< Hunter2xy" },
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
	    CHECK_VALUE, "\\bnmcli\\b",
	    "nmcli device wifi connect Home password Hunter2xy" },
	{ "wifi-password", "\\b(?:(?:wifi-sec|802-11-wireless-security)\\."
	    "(?:psk|wep-key[0-3]|leap-password)|802-1x\\.(?:password|"
	    "private-key-password))(?![\\w-])(?:[ \\t]*:)?[ \\t]+" VALUE_OPT,
	    CHECK_VALUE, "(?:wifi-sec|802-11-wireless-security|802-1x)\\."
	    "(?:psk|wep-key|leap-password|password|private-key-password)",
	    "nmcli con modify Home wifi-sec.psk Hunter2xy" },
	{ "wifi-password", "\\bwpa_passphrase[ \\t]+" WORD "[ \\t]+" VALUE_OPT,
	    CHECK_VALUE, "\\bwpa_passphrase[ \\t]",
	    "wpa_passphrase Home Hunter2xy" },
	{ "wifi-password", "(?:(?<![\\w.-])|(?<=\\\\n))(?:(?:wpa_)?psk|"
	    "wep[-_]key[0-3])[ \\t]*=[ \\t]*" VALUE_QUOTED "((?:[^\\s'\"`,;&|)"
	    "\\\\]++|\\\\(?!n))+))", CHECK_VALUE,
	    "(?:psk|wep[-_]key[0-3])[ \\t]*=",
	    "psk=Hunter2xy" },
	/* .netrc: "machine HOST login USER password PASSWORD", on one line
	 * or several. */
	{ "netrc-password", "\\b(?:machine|login)[ \\t]+\\S+\\s+"
	    "(?:login[ \\t]+\\S+\\s+)?password[ \\t]+(\\S+)", CHECK_VALUE,
	    "\\b(?:machine|login)[ \\t]+\\S+\\s+(?:login[ \\t]+\\S+\\s+)?"
	    "password[ \\t]",
	    "machine api.example.org login bob password Hunter2" },
	{ "password-option", "--(?:password|passwd|passphrase|token|secret|"
	    "api-key)(?:=|[ \\t]+)" VALUE_OPT, CHECK_OPTION,
	    "--(?:password|passwd|passphrase|token|secret|api-key)[= \\t]",
	    "psql --password=Hunter2" },
	/* Options of admin tools, from their manuals: openssl's
	 * -passin/-passout/-pass pass:SECRET, openssl passwd's password
	 * (after -1, -5, -6, -apr1, -salt S...), openssl enc -k; ipmitool
	 * -P; OpenLDAP's -w (ldappasswd's -s and -a too); Samba's
	 * -U USER%SECRET; doctl's -t/--access-token; Poetry's
	 * pypi-token.NAME and http-basic.NAME USER SECRET. */
	{ "openssl-password", "(?<![\\w-])-(?:passin|passout|pass|password)"
	    "[ \\t]+(?|'pass:([^'\\n]+)'|\"pass:([^\"\\n]+)\"|pass:([^\\s'\"]+))",
	    CHECK_VALUE, "-pass[a-z]*[ \\t]+['\"]?pass:",
	    "openssl rsa -in k.pem -passin pass:Hunter2xy" },
	{ "openssl-password", "\\bopenssl[ \\t]+passwd(?>[ \\t]+-(?:salt|in)"
	    "[ \\t]+\\S+|[ \\t]+-[\\w-]+){0,8}[ \\t]+" VALUE_OPT, CHECK_VALUE,
	    "\\bopenssl[ \\t]+passwd[ \\t]",
	    "openssl passwd -6 -salt xyz Hunter2xy" },
	{ "openssl-password", "\\bopenssl\\b(?:[^\\n]*?[ \\t]-k[ \\t]+" VALUE_OPT
	    OR_SKIP_LINE, CHECK_VALUE, "\\bopenssl\\b",
	    "openssl enc -aes-256-cbc -k Hunter2xy -in f" },
	{ "ipmitool-password", "\\bipmitool\\b(?:[^\\n]*?[ \\t]-P[ \\t]*"
	    VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bipmitool\\b",
	    "ipmitool -I lanplus -H bmc -U admin -P Hunter2xy power status" },
	{ "ldap-password", "\\bldap(?:search|modify|add|delete|passwd|whoami|"
	    "compare|modrdn|exop|url)\\b(?:[^\\n]*?[ \\t]-w[ \\t]*" VALUE_OPT
	    OR_SKIP_LINE, CHECK_VALUE, "\\bldap[a-z]+\\b",
	    "ldapsearch -x -D cn=admin,dc=example -w Hunter2xy -b dc=example" },
	{ "ldap-password", "\\bldappasswd\\b(?:[^\\n]*?[ \\t]-[as][ \\t]*"
	    VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bldappasswd\\b",
	    "ldappasswd -x -D cn=admin -W -s Hunter2xy uid=bob" },
	{ "smb-password", "(?<![\\w-])(?:-U|--user(?:name)?)(?:[ \\t]+|=)"
	    "(?|'[^'\\s%]+%([^'\\n]+)'|\"[^\"\\s%]+%([^\"\\n]+)\"|"
	    "[^\\s%'\"]+%([^\\s'\"]+))", CHECK_VALUE,
	    "(?:-U|--user)[^\\n%]*%",
	    "smbclient //srv/share -U bob%Hunter2xy" },
	{ "doctl-token", "\\bdoctl\\b(?:[^\\n]*?[ \\t](?:-t|--access-token)"
	    "(?:[ \\t]+|=)" VALUE_OPT OR_SKIP_LINE, CHECK_VALUE,
	    "\\bdoctl\\b",
	    "doctl auth init -t dop_v1_abcdef" },
	{ "poetry-token", "\\bpoetry[ \\t]+config(?:[ \\t]+--[\\w-]+)*[ \\t]+"
	    "(?|pypi-token\\.[\\w.-]+[ \\t]+" VALUE_OPT "|http-basic\\.[\\w.-]+"
	    "[ \\t]+" WORD "[ \\t]+" VALUE_OPT ")", CHECK_VALUE,
	    "\\bpoetry[ \\t]+config\\b",
	    "poetry config pypi-token.pypi pypi-Hunter2xy" },
	/* Configuration files: Redis's requirepass and masterauth (and
	 * redis-server --requirepass), keepalived's auth_pass. */
	{ "config-password", "(?:(?<![\\w-])|(?<=--))(?:requirepass|masterauth|"
	    "auth_pass)[ \\t]+" VALUE, CHECK_KEYWORD,
	    "(?:requirepass|masterauth|auth_pass)[ \\t]",
	    "requirepass Hunter2xy" },
	/* expect: the send that answers a password prompt, on the line of
	 * the expect or the next. */
	{ "expect-password", "\\bexpect\\b(?:(?>[^\\n]*?(?:assword|assphrase|"
	    "PIN))[^\\n]*?(?:" NL "[ \\t]*)?\\bsend(?:[ \\t]+--)?[ \\t]+"
	    "\"([^\"\\n]*?)(?:\\\\r|\\\\n)?\"" OR_SKIP_LINE, CHECK_VALUE,
	    "\\bexpect\\b",
	    "expect \"Password:\"\nsend \"Hunter2xy\\r\"" },
	/* Files whose format is the secret: ~/.pgpass lines
	 * (HOST:PORT:DATABASE:USER:PASSWORD), s3fs's ID:SECRET written to
	 * passwd-s3fs, Docker's config.json "auth" (base64 of
	 * USER:PASSWORD), a kubeconfig's client-key-data. A .pgpass
	 * line's expression starts at the colon before PORT, and its check
	 * looks for the HOST before it (checks.c): with the HOST in the
	 * expression, PCRE2 tried every start on a line, and the lines that
	 * the detection finds (dpkg's libc6:amd64) cost 7,000 instructions
	 * each. A line ends it (an escaped \n too: echo -e), a quote, or a
	 * redirection or tee to a file named pgpass (echo ... >>
	 * ~/.pgpass, | sudo tee -a /root/.pgpass). */
	{ "pgpass-password", ":(?:[0-9]{1,5}|\\*):(?:\\*|[A-Za-z_][\\w.$-]*):"
	    "(?:\\*|[A-Za-z_][\\w.@$-]*):([^\\s:\\\\'\"]++"
	    "(?:\\\\[^nr\\n][^\\s:\\\\'\"]*+)*+)(?=[ \\t]*(?:\\r?\\n|"
	    "(?:\\\\r)?\\\\n|\\z|['\"]|(?:>>?[ \\t]*|\\|[ \\t]*(?:sudo[ \\t]+)?tee"
	    "(?:[ \\t]+-[a-z]+)*[ \\t]+)[^\\s|;&]*pgpass(?![\\w.-])))",
	    CHECK_PGPASS,
	    ":[A-Za-z_*]",
	    "db.example.org:5432:shop:bob:Hunter2xy" },
	{ "s3fs-password", "\\b(?:echo|printf)[ \\t]+['\"]?[\\w.-]+:"
	    "([^\\s'\":]+)['\"]?[^\\n]*?passwd-s3fs", CHECK_VALUE,
	    "passwd-s3fs",
	    "echo AKIAX:Hunter2xyZ > ~/.passwd-s3fs" },
	{ "docker-auth", "\"auth\"[ \\t]*:[ \\t]*\"([A-Za-z0-9+/]{8,}={0,2})\"",
	    CHECK_TOKEN, "\"auth\"[ \\t]*:",
	    "{\"auths\":{\"r.io\":{\"auth\":\"Ym9iOkh1bnRlcjJ4eQ==\"}}}" },
	{ "kubeconfig-key", "\\bclient-key-data[\"']?[ \\t]*:[ \\t]*[\"']?"
	    "([A-Za-z0-9+/]{16,}={0,2})", CHECK_NONE, "\\bclient-key-data",
	    "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==" },
	/* SQL: MySQL's IDENTIFIED [WITH PLUGIN] BY 'SECRET' (CREATE USER,
	 * ALTER USER, GRANT); PostgreSQL's CREATE|ALTER ROLE|USER ... [WITH]
	 * [ENCRYPTED] PASSWORD 'SECRET'; SET PASSWORD [FOR U] = 'SECRET'
	 * (or PASSWORD('SECRET')). A string literal, '' inside it. */
	{ "sql-password", "(?i)\\bIDENTIFIED(?:[ \\t]+WITH[ \\t]+['\"`]?\\w+"
	    "['\"`]?)?[ \\t]+(?:BY|AS)(?:[ \\t]+PASSWORD)?[ \\t]*" SQL_STRING,
	    CHECK_VALUE, "(?i)\\bIDENTIFIED\\b",
	    "CREATE USER 'bob'@'%' IDENTIFIED BY 'Hunter2xy';" },
	{ "sql-password", "(?i)\\b(?:CREATE|ALTER)[ \\t]+(?:USER|ROLE)\\b"
	    "(?:[^;\\n]*?\\bPASSWORD[ \\t]*" SQL_STRING OR_SKIP("[^;\\n]"),
	    CHECK_VALUE, "(?i)\\b(?:CREATE|ALTER)[ \\t]+(?:USER|ROLE)\\b",
	    "CREATE ROLE bob WITH LOGIN PASSWORD 'Hunter2xy';" },
	{ "sql-password", "(?i)\\bSET[ \\t]+PASSWORD\\b(?:[^;\\n]*?=[ \\t]*"
	    "(?:PASSWORD[ \\t]*\\([ \\t]*)?" SQL_STRING OR_SKIP("[^;\\n]"),
	    CHECK_VALUE, "(?i)\\bSET[ \\t]+PASSWORD\\b",
	    "SET PASSWORD FOR 'bob'@'%' = 'Hunter2xy';" },
	/* PHP's define('DB_PASSWORD', '...') (wp-config.php) */
	{ "secret", "(?i)\\bdefine\\([ \\t]*['\"]\\w*(?:pass(?:word|wd)?|pwd|"
	    "secret|token|key|salt)['\"][ \\t]*,[ \\t]*" VALUE_QUOTED
	    "(*FAIL))", CHECK_VALUE, "(?i)\\bdefine\\([ \\t]*['\"]\\w*"
	    "(?:pass(?:word|wd)?|pwd|secret|token|key|salt)['\"]",
	    "define('DB_PASSWORD', 'Hunter2');" },
	/* A name ending in a keyword (DB_PASS, SECRET_KEY_BASE), then = :
	 * := => == and a value; check_keyword tells code from secrets. */
	{ "secret", "(?i)(?:password|passwd|passphrase|pwd|(?<![a-z])pass|"
	    "(?<=[_-])pw|"
	    "secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|"
	    "private[_-]?key)(?:[_-]?key)?(?:[_-]?base)?[\"']?[ \\t]*"
	    "(?:=>|:=|==|[=:])[ \\t]*" VALUE, CHECK_KEYWORD,
	    "(?i)(?:pass|pw|secret|token|api[_-]?key|access[_-]?key|"
	    "auth[_-]?key|private[_-]?key)[\\w-]*[\"\']?[ \\t]*[=:]",
	    "DB_PASSWORD=Hunter2" },
	/* A password stated in prose, by the user or the model, in the
	 * phrasings of tclog-scrub(1): "the root password on srv-nfs is X",
	 * "pw: X", "the password was changed to X", "set bob's password to
	 * X", "use X as the password". check_prose judges the value as the
	 * keyword rule does, and takes an unquoted word without a digit,
	 * a sign or an inner capital for a word of the sentence. */
	{ "prose-password", "(?i)\\b" PROSE_KEY "(?:[ \\t]+(?:for|on|of|at)"
	    "[ \\t]+(?:the[ \\t]+)?[^\\s,;:]{1,64}"
	    "(?:(?=(?:[ \\t]+[^\\s,;:]{1,64}){1,2}[ \\t]+(?:is|was|has)[ \\t])"
	    "(?:[ \\t]+[^\\s,;:]{1,64}){1,2}?)?"
	    "(?:[ \\t]+(?:account|user|"
	    "server|host|box|vm|db|database|machine|router|switch|wifi|"
	    "network|instance|cluster|node))?)?(?:[ \\t]+(?:(?:has[ \\t]+been|was|is)"
	    "[ \\t]+(?:set|changed|reset)[ \\t]+to|is|was|will[ \\t]+be|"
	    "should[ \\t]+be|(?:set|changed|reset)[ \\t]+to)(?:[ \\t]+(?:now|"
	    "still|just|simply|literally))?[ \\t]*:?[ \\t]+|[ \\t]*[:=][ \\t]*)"
	    PROSE_VALUE, CHECK_PROSE, "(?i)\\b" PROSE_KEY "[ \\t:=]",
	    "the root password on srv-nfs is Hunter2xy" },
	{ "prose-password", "(?i)\\b(?:set|change|reset|update)[sd]?"
	    "(?:[ \\t]+\\S+){0,4}?[ \\t]+" PROSE_KEY "[ \\t]+to[ \\t]+" PROSE_VALUE,
	    CHECK_PROSE, "(?i)\\b" PROSE_KEY "[ \\t]+to[ \\t]",
	    "set the root password to Hunter2xy" },
	{ "prose-password", "(?i)\\buse[ \\t]+" PROSE_VALUE "[ \\t]+as[ \\t]+"
	    "(?:(?:the|a|my|your|our|its|his|her|their)[ \\t]+)?(?:[\\w-]+"
	    "[ \\t]+)?" PROSE_KEY "\\b", CHECK_PROSE,
	    "(?i)\\buse[ \\t][^\\n]*[ \\t]as[ \\t][^\\n]*"
	    "(?:pass|pw|pin|key|token|secret)",
	    "use Hunter2xy as the password" },
	/* "user shop with password Sh0p-db-24", "passphrase X": a password
	 * word (not $PW, a shell variable, nor a name's end), a blank and
	 * the value; the detection asks for a quote, or a digit, a sign or
	 * an inner capital in the first word (all that check_prose takes:
	 * PCRE2 looks only on the lines where it ends), check_prose for a
	 * value that reads as one */
	{ "prose-password", "(?i)(?<![$\\w.-])(?:pass(?:word|phrase)|pw|pin)[ \\t]+"
	    PROSE_VALUE, CHECK_PROSE, "(?i)\\b(?:pass(?:word|phrase)|pw|pin)"
	    "[ \\t]+(?:['\"`]|[^\\s'\"`]*[0-9!#$%^&*+=@~?/|\\\\<>]|"
	    "(?-i)[^\\s'\"`]*[a-z][A-Z])",
	    "a new role with password Hunter2xy" },
	/* An address to RFC 5321's lengths: a local part of at most 64,
	 * from its first character (not from every one of a long run),
	 * and at most 10 labels of 63: a long run of dots is no address
	 * and costs no PCRE2 frame a label. The detection is the @ and a
	 * byte either side (Vectorscan 5.4.9 misses "@[a-z]+\\." far into
	 * a text, see above; this shape it finds, checked as the header
	 * says). */
	{ "email", "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
	    "[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,8}\\.[A-Za-z]{2,63}\\b",
	    CHECK_EMAIL, "[A-Za-z0-9._%+-]@[A-Za-z0-9-]",
	    "From: Bob <bob.smith@example.com>" },
};

const size_t nbuiltin = sizeof(builtin) / sizeof(builtin[0]);

#undef VALUE
#undef VALUE_OPT
#undef DISCORD_ID
#undef CRYPT
#undef SUDO_S
#undef HTPASSWD_OPT
#undef HTPASSWD_OPTS
#undef LINE_REST
#undef USER_PW
#undef PIPE_SUDO
#undef HERE_STRING
#undef WORDS_GAP
#undef PIPED_TO
#undef HERE_STRING_TO
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

/* The kinds whose matches may start a line before their detection ends
 * (a key's lines, a here-document, expect's send on the next line, a
 * secret key on the line after its id). */
static const char *const spanning_kinds[] = { "private-key",
    "aws-secret-key", "netrc-password", "chpasswd-password",
    "expect-password" };

/* True when rule kind's matches may start a line before their detection
 * ends: PCRE2 then looks from the text's start. */
bool
rule_spans(const char *kind)
{
	for (size_t k = 0; k < sizeof(spanning_kinds) /
	    sizeof(spanning_kinds[0]); k++)
		if (strcmp(kind, spanning_kinds[k]) == 0)
			return true;
	return false;
}
