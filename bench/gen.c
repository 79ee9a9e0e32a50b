/*
 * gen - write a deterministic, realistic tool-call log for benchmarks.
 *
 *   gen [-n] [-s seed] megabytes > log
 *
 * The entries look like the assistant's own: old entries (fields
 * missing, or rewritten by the newer logger as ""), new entries whose
 * model_response is an OpenAI chat message, parallel calls (consecutive
 * entries sharing one model_response), calls written out as text in a
 * ```json fence, errors, denials, unrated entries, non-ASCII text, and
 * strings escaped the way Go's encoding/json does (\u003c, \u0026).
 * One entry in 200 carries an output of 0.2 to 1.5 MB; the first such
 * output is the largest (1.5 MB), so that every file from the same seed
 * has the same longest record and peak memory can be compared across
 * sizes. -n writes new-format entries only. The same seed gives the
 * same bytes, and a smaller file is a prefix of a larger one.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclog.h"

#define BIG_MAX 1500000		/* bytes of the largest output */
#define BIG_MIN 200000

struct gen {
	uint64_t rng;
	bool new_only;
	bool big_done;		/* the first, largest, output was written */
	unsigned long entries;
	unsigned long long bytes;	/* written so far */
	long long clock;	/* seconds since the epoch, for timestamps */
	struct tclog_buf line, out, resp, tmp;
};

static uint64_t
next(struct gen *g)
{
	/* splitmix64: small, fast, and the same everywhere */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static unsigned
pick(struct gen *g, unsigned n)
{
	return (unsigned)(next(g) % n);
}

static bool
chance(struct gen *g, unsigned percent)
{
	return pick(g, 100) < percent;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Appends s as a JSON string the way Go writes it: <, > and & as
 * \u003c, \u003e, \u0026, control characters escaped, UTF-8 as is. */
static void
go_string(struct tclog_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	tclog_buf_grow(b, n + n / 8 + 2);
	tclog_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' &&
		    c != '>' && c != '&')
			continue;
		tclog_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc != NULL)
			tclog_buf_add(b, esc, 2);
		else
			tclog_buf_add(b, u, 6);
	}
	tclog_buf_add(b, s + run, n - run);
	tclog_buf_addc(b, '"');
}

static void
go_strings(struct tclog_buf *b, const char *s)
{
	go_string(b, s, strlen(s));
}

/* ---- what the user asked and what the model ran ---- */

struct task {
	const char *query;
	const char *command;	/* run_commands; NULL: edit_files */
	int kind;		/* which output to make up */
};

enum { OUT_PS, OUT_LS, OUT_DF, OUT_LOG, OUT_SHORT, OUT_NONE };

static const struct task tasks[] = {
	{ "Check current users", "who", OUT_SHORT },
	{ "What's the current directory?", "pwd", OUT_SHORT },
	{ "List files in current directory", "ls -la", OUT_LS },
	{ "Show running processes", "ps aux", OUT_PS },
	{ "How much disk space is free?", "df -h", OUT_DF },
	{ "How much memory is free?", "free -m", OUT_DF },
	{ "Show the last lines of the system journal",
	    "journalctl -n 50 --no-pager", OUT_LOG },
	{ "Is sshd running?", "systemctl status sshd", OUT_LOG },
	{ "Find the <title> tag in index.html",
	    "grep -n '<title>' index.html && echo done", OUT_SHORT },
	{ "Which kernel is this?", "uname -r", OUT_SHORT },
	{ "Liste les fichiers dans « Téléchargements »",
	    "ls ~/Téléchargements", OUT_LS },
	{ "ホームディレクトリの容量は？", "du -sh ~", OUT_SHORT },
	{ "Show the IP addresses", "ip -br addr", OUT_DF },
	{ "Which packages were updated today? 🐧",
	    "grep ' upgrade ' /var/log/dpkg.log | tail -20", OUT_LOG },
	{ "Restart the web server", "sudo systemctl restart nginx", OUT_NONE },
	{ "Greet users in /etc/motd", NULL, OUT_NONE },
	{ "Fix the typo in README.md", NULL, OUT_NONE },
};

static const char *const users[] = { "cal", "root", "penguin", "système" };
static const char *const procs[] = {
	"/usr/lib/systemd/systemd --switched-root --system", "[kthreadd]",
	"[kworker/0:2-events]", "/usr/sbin/sshd -D", "nginx: worker process",
	"-bash", "/usr/bin/python3 ./serve.py --port 8080 2>&1 >log",
};
static const char *const files[] = {
	"README.md", "main.c", "résumé.pdf", "notes_日本語.txt", "🐧.png",
	"Makefile", "a&b <copy>.txt", "tool_calls.log",
};
static const char *const logs[] = {
	"systemd[1]: Started Session 42 of User cal.",
	"sshd[811]: Accepted publickey for cal from 192.168.2.25 port 52144",
	"kernel: <6>usb 1-1: new high-speed USB device number 3",
	"NetworkManager[640]: <info>  [1731766233.8] device (wlan0): state change",
	"CRON[2231]: (root) CMD (run-parts /etc/cron.hourly && true)",
	"dpkg: upgrade libc6:amd64 2.36-9 2.36-9+deb12u9",
	"nginx[902]: 2025/11/16 13:10:33 [error] open() \"/srv/www/favicon.ico\" failed",
	"Überwachung: Temperatur 54 °C, Lüfter 2100 U/min",
};

/* Makes up what a command printed, about want bytes (0: its usual). */
static void
make_output(struct gen *g, int kind, size_t want)
{
	struct tclog_buf *o = &g->out;
	size_t lines = want ? 0 : 1 + pick(g, kind == OUT_SHORT ? 3 : 40);

	o->len = 0;
	if (kind == OUT_PS)
		tclog_buf_adds(o, "USER         PID %CPU %MEM    VSZ   RSS TTY"
		    "      STAT START   TIME COMMAND\n");
	for (size_t i = 0; want ? o->len < want : i < lines; i++) {
		switch (want ? OUT_LOG : kind) {
		case OUT_PS:
			tclog_buf_printf(o, "%-8s %7u  0.%u  0.%u %6u %5u ?"
			    "        S%s   Nov13   0:%02u %s\n",
			    users[pick(g, COUNT(users))], 1 + pick(g, 90000),
			    pick(g, 10), pick(g, 10), pick(g, 900000),
			    pick(g, 90000), chance(g, 20) ? "<" : "s",
			    pick(g, 60), procs[pick(g, COUNT(procs))]);
			break;
		case OUT_LS:
			tclog_buf_printf(o, "-rw-r--r-- 1 cal cal %6u Nov %2u "
			    "%02u:%02u %s\n", pick(g, 200000), 1 + pick(g, 30),
			    pick(g, 24), pick(g, 60), files[pick(g, COUNT(files))]);
			break;
		case OUT_DF:
			tclog_buf_printf(o, "/dev/sda%u       %3uG  %3uG  %3uG  "
			    "%2u%% /srv/data%u\n", 1 + pick(g, 4), pick(g, 999),
			    pick(g, 999), pick(g, 999), pick(g, 100), pick(g, 9));
			break;
		case OUT_LOG:
			tclog_buf_printf(o, "Nov %2u %02u:%02u:%02u tinypenguin "
			    "%s\n", 1 + pick(g, 30), pick(g, 24), pick(g, 60),
			    pick(g, 60), logs[pick(g, COUNT(logs))]);
			break;
		case OUT_SHORT:
			tclog_buf_printf(o, "%s\t%u\t%s\n",
			    users[pick(g, COUNT(users))], pick(g, 100000),
			    files[pick(g, COUNT(files))]);
			break;
		default:
			return;
		}
	}
}

/* ---- entries ---- */

static void
timestamp(struct gen *g, struct tclog_buf *b)
{
	static const char *const zones[] = { "-05:00", "Z", "+01:00",
	    "+00:00", "+09:00" };
	long long t = g->clock;
	long long days = t / 86400, secs = t % 86400;
	/* civil date from days since 1970-01-01 (Howard Hinnant) */
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);
	unsigned digits = pick(g, 10);

	tclog_buf_printf(b, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", y, m,
	    d, secs / 3600, secs / 60 % 60, secs % 60);
	if (digits > 0) {
		tclog_buf_addc(b, '.');
		for (unsigned i = 0; i < digits; i++)
			tclog_buf_addc(b, (char)('0' + pick(g, 10)));
	}
	tclog_buf_printf(b, "%s\"", zones[pick(g, COUNT(zones))]);
}

/* The arguments of one call, as the JSON text the model wrote. */
static void
make_args(struct gen *g, const struct task *t, struct tclog_buf *a)
{
	a->len = 0;
	if (t->command != NULL) {
		tclog_buf_adds(a, chance(g, 30) ? "{\"command\": " :
		    "{\"command\":");
		go_strings(a, t->command);
		if (chance(g, 10))
			tclog_buf_printf(a, ",\"timeout\":%u", 10 + pick(g, 300));
		tclog_buf_addc(a, '}');
		return;
	}
	tclog_buf_adds(a, "{\"path\":");
	go_strings(a, t->query[0] == 'G' ? "/etc/motd" : "README.md");
	tclog_buf_adds(a, ",\"diff\":");
	go_strings(a, t->query[0] == 'G' ?
	    "--- /etc/motd\n+++ /etc/motd\n@@ -0,0 +1 @@\n+Welcome to "
	    "tinypenguin! <3\n" :
	    "--- README.md\n+++ README.md\n@@ -1,3 +1,3 @@\n-teh tool\n"
	    "+the tool\n \"quoted\" & kept\n");
	tclog_buf_addc(a, '}');
}

struct call {
	const struct task *task;
	struct tclog_buf args;
};

/* One model turn: its response and one entry per executed call. */
static void
write_turn(struct gen *g)
{
	struct call calls[3] = { 0 };
	unsigned ncall = chance(g, 20) ? 2 + pick(g, 2) : 1;
	bool old = !g->new_only && chance(g, 25);
	bool as_text = !old && ncall == 1 && chance(g, 10);
	const char *model = chance(g, 50) ? "qwen2.5-coder:3b" :
	    "qwen2.5-coder:7b";
	const struct task *first = &tasks[pick(g, COUNT(tasks))];

	if (old)
		ncall = 1;
	for (unsigned i = 0; i < ncall; i++) {
		calls[i].task = i == 0 ? first : &tasks[pick(g, COUNT(tasks))];
		make_args(g, calls[i].task, &calls[i].args);
	}

	/* The response: tool_calls, or the call written out as text. */
	g->resp.len = 0;
	tclog_buf_adds(&g->resp, "{\"role\":\"assistant\",\"content\":");
	if (as_text) {
		g->tmp.len = 0;
		tclog_buf_printf(&g->tmp, "```json\n{\"name\": \"%s\", "
		    "\"arguments\": %.*s}\n```", calls[0].task->command ?
		    "run_commands" : "edit_files", (int)calls[0].args.len,
		    calls[0].args.data);
		go_string(&g->resp, g->tmp.data, g->tmp.len);
	} else {
		go_strings(&g->resp, chance(g, 70) ? "" :
		    "I'll check that for you.");
		tclog_buf_adds(&g->resp, ",\"tool_calls\":[");
		for (unsigned i = 0; i < ncall; i++) {
			tclog_buf_adds(&g->resp, i ? ",{" : "{");
			if (chance(g, 60))
				tclog_buf_printf(&g->resp, "\"id\":\"call_%04x\",",
				    pick(g, 65536));
			tclog_buf_printf(&g->resp, "\"type\":\"function\","
			    "\"function\":{\"name\":\"%s\",\"arguments\":",
			    calls[i].task->command ? "run_commands" :
			    "edit_files");
			go_string(&g->resp, calls[i].args.data,
			    calls[i].args.len);
			tclog_buf_adds(&g->resp, "}}");
		}
		tclog_buf_addc(&g->resp, ']');
	}
	tclog_buf_addc(&g->resp, '}');

	for (unsigned i = 0; i < ncall; i++) {
		const struct task *t = calls[i].task;
		unsigned fate = pick(g, 100);
		const char *status = fate < 80 ? "success" : fate < 92 ?
		    "error" : "denied";
		struct tclog_buf *l = &g->line;
		size_t big = 0;

		if (!g->big_done && g->entries >= 40) {
			big = BIG_MAX;
			g->big_done = true;
		} else if (g->big_done && pick(g, 1000) < 5)
			big = BIG_MIN + pick(g, BIG_MAX - BIG_MIN);

		g->clock += 1 + pick(g, i ? 2 : 3600);
		l->len = 0;
		tclog_buf_adds(l, "{\"timestamp\":");
		timestamp(g, l);
		tclog_buf_printf(l, ",\"model\":\"%s\"", model);
		if (!old || chance(g, 50)) {
			tclog_buf_adds(l, ",\"user_query\":");
			go_strings(l, old ? "" : first->query);
			tclog_buf_adds(l, ",\"model_response\":");
			if (old)
				tclog_buf_adds(l, "\"\"");
			else
				go_string(l, g->resp.data, g->resp.len);
		}
		tclog_buf_printf(l, ",\"tool_name\":\"%s\",\"arguments\":",
		    t->command ? "run_commands" : "edit_files");
		go_string(l, calls[i].args.data, calls[i].args.len);
		tclog_buf_printf(l, ",\"status\":\"%s\",\"message\":\"%s\"",
		    status, fate < 80 ? (t->command ?
		    "Command executed successfully" : "File edited") :
		    fate < 92 ? "Command failed" : "User denied the call");
		if (fate < 92 && (big || t->kind != OUT_NONE)) {
			make_output(g, t->kind == OUT_NONE ? OUT_LOG : t->kind,
			    big);
			tclog_buf_adds(l, ",\"output\":");
			go_string(l, g->out.data, g->out.len);
		}
		if (fate >= 80 && fate < 92)
			tclog_buf_printf(l, ",\"error_details\":\"exit status "
			    "%u\"", 1 + pick(g, 127));
		tclog_buf_adds(l, ",\"tools_enabled\":true");
		if (!chance(g, 30))
			tclog_buf_printf(l, ",\"rating\":%u", 1 + pick(g, 5));
		tclog_buf_adds(l, "}\n");
		if (fwrite(l->data, 1, l->len, stdout) != l->len)
			err(2, "write error");
		g->bytes += l->len;
		g->entries++;
	}
	for (unsigned i = 0; i < ncall; i++)
		tclog_buf_free(&calls[i].args);
}

int
main(int argc, char *argv[])
{
	struct gen g = { .rng = 20251116, .clock = 1763251200 };
	unsigned long long megabytes;
	int ch;

	while ((ch = getopt(argc, argv, "ns:")) != -1) {
		switch (ch) {
		case 'n':
			g.new_only = true;
			break;
		case 's':
			g.rng = strtoull(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: gen [-n] [-s seed] megabytes\n");
			return 2;
		}
	}
	if (optind + 1 != argc || (megabytes = strtoull(argv[optind], NULL,
	    10)) == 0) {
		fprintf(stderr, "usage: gen [-n] [-s seed] megabytes\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	while (g.bytes < megabytes << 20)
		write_turn(&g);
	tclog_buf_free(&g.line);
	tclog_buf_free(&g.out);
	tclog_buf_free(&g.resp);
	tclog_buf_free(&g.tmp);
	if (fclose(stdout) != 0)
		err(2, "write error");
	return 0;
}
