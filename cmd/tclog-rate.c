/*
 * tclog-rate - rate the entries of a log from the keyboard, after the
 * fact, and write the ratings into it.
 *
 * The log is read once to check it and to index its records: where each
 * begins, its length, its rating and a digest of what identifies it (its
 * timestamp, tool and arguments). A record is read again from the file
 * when it is shown, so memory is the index (48 bytes an entry) and one
 * record, never the log.
 *
 * Saving reads the file as it is then (the logger rewrites it whole on
 * every call), gives each rating to the entry with the same identity,
 * and writes every other byte as it was to a temporary file in the same
 * directory, renamed over the log.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tclog.h"

/* One record of the log. */
struct entry {
	unsigned long long off;	/* where it begins in the file */
	size_t len;		/* its length, without the line end */
	unsigned long line;
	unsigned long long key[2];	/* digest of timestamp, tool, arguments */
	unsigned occ;		/* entries before it with the same key */
	signed char rating;	/* in the file: 0 when unrated, else 1-5 */
	signed char rated;	/* given in this session: 0 or 1-5 */
	bool gone;		/* rated, but not in the file any more */
};

struct index {
	struct entry *e;
	size_t n, cap;
	struct stat st;		/* the file when indexed */
	int fd;			/* open on it: records are read again */
};

struct rate {
	const char *name;	/* the operand, for messages */
	char *path;		/* the file it names (links followed) */
	char *dir;		/* its directory, for the temporary file */
	size_t limit;		/* -L */
	bool all;		/* -a */
	struct index idx;
	struct tclog_record rec;
	struct tclog_review rv;
	struct tclog_buf line, key, msg;
	int tty;
	struct termios saved;	/* the terminal as we found it */
	bool raw;
	sigset_t sigs, oldmask;
	int status;
	bool in_file;		/* the ratings are saved */
};

static size_t count_rated(const struct index *x);

/* The signal that ends or suspends the session, set by its handler. */
static volatile sig_atomic_t caught;
/* The terminal to restore when the command exits (err() included). */
static struct rate *restore_at_exit;

#define OPTIONS "aL:"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tclog-rate [-a] [-L size] file\n");
	if (fp == stdout)
		fprintf(fp,
		    "  -a       every entry, not only the unrated ones\n"
		    "  -L size  longest record accepted (k, M, G; default 64M)\n");
}

/* ---- the terminal ---- */

static void
on_signal(int sig)
{
	caught = sig;
}

static void
term_restore(struct rate *r)
{
	if (r->raw)
		tcsetattr(r->tty, TCSADRAIN, &r->saved);
	r->raw = false;
}

static void
restore_atexit(void)
{
	if (restore_at_exit != NULL)
		term_restore(restore_at_exit);
}

/* Keys one at a time, no echo; Ctrl-C and the other signal keys still
 * signal, so that they work the same everywhere in the session. */
static void
term_raw(struct rate *r)
{
	struct termios t = r->saved;

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(r->tty, TCSAFLUSH, &t) != 0)
		err(TCLOG_EXIT_FATAL, "/dev/tty");
	r->raw = true;
}

static void
term_open(struct rate *r)
{
	static const int sig[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
	struct sigaction sa = { .sa_handler = on_signal };

	/* our own open file of the terminal: O_NONBLOCK is not the
	 * shell's (see term_write) */
	r->tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (r->tty == -1)
		err(TCLOG_EXIT_FATAL, "no terminal to read keys from: /dev/tty");
	if (tcgetattr(r->tty, &r->saved) != 0)
		err(TCLOG_EXIT_FATAL, "/dev/tty");
	tclog_review_colour(&r->rv, tclog_review_wants_colour(r->tty));
	/* The signals stay blocked but while the command waits (for a key,
	 * for the terminal, for the logger to finish a record): a handler
	 * only sets caught, and the waiting code acts on it. */
	sigemptyset(&r->sigs);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
		sigaddset(&r->sigs, sig[i]);
		sigaction(sig[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &r->sigs, &r->oldmask);
	restore_at_exit = r;
	atexit(restore_atexit);
	term_raw(r);
}

/* Ends the command by the signal caught, the terminal restored and
 * nothing saved: a shell sees that it was interrupted. */
static void
die_by_signal(struct rate *r, int sig, size_t nrated)
{
	/* As Ctrl-C does: output dropped, and restarted if Ctrl-S stopped
	 * it, so that neither the restore nor the message waits for it.
	 * (Linux restarts with TCOON only output that TCOOFF stopped.) */
	tcflush(r->tty, TCOFLUSH);
	tcflow(r->tty, TCOOFF);
	tcflow(r->tty, TCOON);
	term_restore(r);
	(void)!write(r->tty, "\n", 1);	/* the terminal may have gone */
	if (!r->in_file)	/* else only their report is cut short */
		warnx("%s: interrupted: %zu new rating%s not saved", r->name,
		    nrated, nrated == 1 ? "" : "s");
	signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
	raise(sig);
	_exit(128 + sig);	/* SIGQUIT, say, caught but not fatal */
}

/* Ctrl-Z: the terminal as it was while stopped, raw again after. */
static void
suspend(struct rate *r)
{
	sigset_t tstp;

	term_restore(r);
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	raise(SIGTSTP);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
	signal(SIGTSTP, on_signal);
	term_raw(r);
}

/* Acts on a signal caught: ends the command, or suspends it and returns
 * when it is continued. */
static void
take_signal(struct rate *r)
{
	if (caught == SIGTSTP) {
		caught = 0;
		suspend(r);
	} else if (caught != 0)
		die_by_signal(r, caught, count_rated(&r->idx));
}

/* Waits with the signals let in, as long as timeout (NULL: until the
 * terminal is ready to take output), then acts on a signal caught. */
static void
wait_taking_signals(struct rate *r, const struct timespec *timeout)
{
	struct pollfd pfd = { .fd = r->tty, .events = POLLOUT };

	if (ppoll(timeout != NULL ? NULL : &pfd, timeout != NULL ? 0 : 1,
	    timeout, &r->oldmask) < 0 && errno != EINTR)
		err(TCLOG_EXIT_FATAL, "/dev/tty");
	take_signal(r);
}

/* The terminal does not block (term_open): a write it cannot take yet is
 * waited for with the signals let in, so that a stalled terminal
 * (Ctrl-S, a slow link) never keeps Ctrl-C or SIGTERM out. */
static void
term_write(struct rate *r, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(r->tty, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			wait_taking_signals(r, NULL);
			continue;
		}
		if (w < 0)
			err(TCLOG_EXIT_FATAL, "/dev/tty");
		s += w;
		n -= (size_t)w;
	}
}

static void
term_puts(struct rate *r, const char *s)
{
	term_write(r, s, strlen(s));
}

/* The next key: a byte, 0 for an escape sequence (arrow keys), -1 when
 * the terminal has gone, -2 after a suspension. Signals are taken only
 * here: one that ends the session ends the command. */
static int
read_key(struct rate *r, size_t nrated)
{
	struct pollfd pfd = { .fd = r->tty, .events = POLLIN };
	unsigned char buf[16];
	ssize_t n;

	for (;;) {
		if (caught == SIGTSTP) {
			caught = 0;
			suspend(r);
			return -2;
		}
		if (caught != 0)
			die_by_signal(r, caught, nrated);
		if (ppoll(&pfd, 1, NULL, &r->oldmask) < 0) {
			if (errno == EINTR)
				continue;
			err(TCLOG_EXIT_FATAL, "/dev/tty");
		}
		n = read(r->tty, buf, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		if (buf[0] != 0x1b)
			return buf[0];
		/* the rest of an escape sequence, if it came with it */
		poll(&pfd, 1, 20);
		if (pfd.revents & POLLIN)
			(void)read(r->tty, buf, sizeof(buf));
		return 0;
	}
}

/* ---- the index ---- */

static int
cmp_key(const struct entry *a, const struct entry *b)
{
	for (int i = 0; i < 2; i++)
		if (a->key[i] != b->key[i])
			return a->key[i] < b->key[i] ? -1 : 1;
	return 0;
}

static int
cmp_place(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	int c = cmp_key(a, b);

	return c != 0 ? c : a < b ? -1 : a > b;
}

static int
cmp_occ(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	int c = cmp_key(a, b);

	return c != 0 ? c : a->occ < b->occ ? -1 : a->occ > b->occ;
}

/* The key of a parsed record: the raw text of the fields that tell one
 * entry from another. */
static void
record_key(struct rate *r, unsigned long long key[2])
{
	static const char *const field[] = { "timestamp", "tool_name",
	    "arguments" };

	r->key.len = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct tclog_field *f = tclog_record_get(&r->rec,
		    field[i]);

		if (f != NULL)
			tclog_buf_add(&r->key, f->value, f->value_len);
		tclog_buf_addc(&r->key, '\0');
	}
	tclog_digest(r->key.data, r->key.len, key);
}

/* Indexes the log open on fd; with quiet, bad records are counted but
 * not diagnosed. Returns the number of bad records, -1 on a read error. */
static long
index_file(struct rate *r, struct index *x, int fd, bool quiet)
{
	struct tclog_reader in;
	enum tclog_read_status st;
	struct entry **by_key;
	long bad = 0;

	x->fd = fd;
	x->n = 0;
	if (fstat(fd, &x->st) != 0)
		return -1;
	tclog_reader_init(&in, fd, r->name, r->limit);
	while ((st = tclog_reader_next(&in)) != TCLOG_READ_EOF) {
		struct entry *e;
		int rating = 0;

		if (st == TCLOG_READ_ERROR) {
			tclog_reader_free(&in);
			return -1;
		}
		if (st == TCLOG_READ_TOO_LONG) {
			if (!quiet)
				tclog_diag(r->name, in.line, "record longer "
				    "than the -L limit (%zu bytes)", r->limit);
			bad++;
			continue;
		}
		if (tclog_record_parse(&r->rec, in.text, in.len,
		    in.unterminated) != 0 ||
		    (rating = tclog_record_rating(&r->rec, &r->msg)) ==
		    TCLOG_RATING_BAD) {
			if (!quiet)
				tclog_diag(r->name, in.line, "%s",
				    rating == TCLOG_RATING_BAD ?
				    tclog_buf_str(&r->msg) : r->rec.error);
			bad++;
			continue;
		}
		if (x->n == x->cap) {
			x->cap = x->cap ? 2 * x->cap : 256;
			x->e = tclog_xrealloc(x->e, x->cap * sizeof(*x->e));
		}
		e = &x->e[x->n++];
		memset(e, 0, sizeof(*e));
		e->off = in.offset;
		e->len = in.len;
		e->line = in.line;
		e->rating = (signed char)rating;
		record_key(r, e->key);
	}
	tclog_reader_free(&in);
	/* Entries with the same key (the same call twice at once) are told
	 * apart by their order. */
	by_key = tclog_xmalloc((x->n ? x->n : 1) * sizeof(*by_key));
	for (size_t i = 0; i < x->n; i++)
		by_key[i] = &x->e[i];
	qsort(by_key, x->n, sizeof(*by_key), cmp_place);
	for (size_t i = 1; i < x->n; i++)
		if (cmp_key(by_key[i - 1], by_key[i]) == 0)
			by_key[i]->occ = by_key[i - 1]->occ + 1;
	free(by_key);
	return bad;
}

/* Gives the session's ratings of from to the same entries of to; marks
 * those that have gone. Returns the place in to of from's entry at, or
 * of the first one after it still there (to->n when none is). */
static size_t
carry(struct index *from, struct index *to, size_t at)
{
	struct entry **by_key = tclog_xmalloc((to->n ? to->n : 1) *
	    sizeof(*by_key));
	size_t place = to->n;

	for (size_t i = 0; i < to->n; i++)
		by_key[i] = &to->e[i];
	qsort(by_key, to->n, sizeof(*by_key), cmp_occ);
	for (size_t i = 0; i < from->n; i++) {
		struct entry *e = &from->e[i], **found;

		found = bsearch(&e, by_key, to->n, sizeof(*by_key), cmp_occ);
		e->gone = found == NULL && e->rated != 0;
		if (found != NULL) {
			(*found)->rated = e->rated;
			if (i >= at && place == to->n)
				place = (size_t)(*found - to->e);
		}
	}
	free(by_key);
	return place;
}

/* Reads entry e of x into r->line and parses it. False when it is not
 * there any more (the file was rewritten in place). */
static bool
read_entry(struct rate *r, struct index *x, const struct entry *e)
{
	unsigned long long key[2];
	ssize_t n;

	r->line.len = 0;
	tclog_buf_grow(&r->line, e->len + 1);
	n = pread(x->fd, r->line.data, e->len, (off_t)e->off);
	if (n < 0)
		err(TCLOG_EXIT_FATAL, "%s: read error", r->name);
	if ((size_t)n != e->len || tclog_record_parse(&r->rec, r->line.data,
	    e->len, false) != 0)
		return false;
	r->line.len = e->len;
	record_key(r, key);
	return key[0] == e->key[0] && key[1] == e->key[1];
}

static size_t
count_rated(const struct index *x)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		n += x->e[i].rated != 0;
	return n;
}

static void
report_gone(struct rate *r, const struct index *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].gone) {
			tclog_diag(r->name, x->e[i].line, "the entry rated %d "
			    "is no longer in the file: rating not saved",
			    x->e[i].rated);
			tclog_status_raise(&r->status, TCLOG_EXIT_BAD);
		}
}

/* Indexes the file as it is now: the logger may be writing it, so a bad
 * record is given a moment to be completed. Returns false when it stays
 * bad. */
static bool
reindex(struct rate *r, struct index *x)
{
	for (int tries = 0; tries < 20; tries++) {
		int fd = open(r->path, O_RDONLY | O_CLOEXEC);
		long bad;

		if (fd == -1)
			err(TCLOG_EXIT_FATAL, "%s", r->name);
		bad = index_file(r, x, fd, true);
		if (bad < 0)
			err(TCLOG_EXIT_FATAL, "%s: read error", r->name);
		if (bad == 0)
			return true;
		close(fd);
		/* Ctrl-C here still ends it, nothing saved */
		wait_taking_signals(r, &(struct timespec){ 0,
		    100 * 1000 * 1000 });
	}
	return false;
}

/* ---- saving ---- */

/* Copies bytes [from, to) of fd, or up to its end when to is ~0. */
static int
copy_range(int fd, int out, unsigned long long from, unsigned long long to)
{
	char buf[1 << 16];

	while (from < to) {
		size_t want = to - from < sizeof(buf) ? (size_t)(to - from) :
		    sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)from);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return to == ~0ULL ? 0 : -1;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			done += w;
		}
		from += (unsigned long long)n;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes record e of x with its "rating" member set, every other byte
 * as it was (tclog_record_set_rating). */
static int
write_rated(struct rate *r, struct index *x, struct entry *e, int out)
{
	if (!read_entry(r, x, e))
		return -1;
	r->msg.len = 0;
	tclog_record_set_rating(&r->rec, e->rated, &r->msg);
	return write_all(out, r->msg.data, r->msg.len);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A temporary file beside the log, or -1 with errno set. */
static int
make_temp(struct rate *r, struct tclog_buf *name)
{
	char *copy = strdup(r->path);

	if (copy == NULL)
		err(TCLOG_EXIT_FATAL, "out of memory");
	name->len = 0;
	tclog_buf_printf(name, "%s/.%s.rate-XXXXXX", r->dir, basename(copy));
	free(copy);
	return mkostemp((char *)tclog_buf_str(name), O_CLOEXEC);
}

/* Writes the file as it is now with the session's ratings in it. */
static void
save(struct rate *r)
{
	struct index now = { 0 };
	struct tclog_buf tmp = { 0 };
	size_t nrated = count_rated(&r->idx), saved = 0;
	int out = -1, tries;
	struct stat st;

	if (nrated == 0) {
		free(now.e);
		return;
	}
	for (tries = 0; tries < 10; tries++) {
		unsigned long long pos = 0;
		bool ok = true;

		if (!reindex(r, &now))
			break;
		carry(&r->idx, &now, 0);
		if ((out = make_temp(r, &tmp)) == -1)
			err(TCLOG_EXIT_FATAL, "%s: cannot write a file in %s",
			    r->name, r->dir);
		/* the log's mode, and owner when we may */
		if (fchmod(out, now.st.st_mode & 07777) != 0)
			ok = false;
		if (fchown(out, now.st.st_uid, now.st.st_gid) != 0)
			errno = 0;
		saved = 0;
		for (size_t i = 0; ok && i < now.n; i++) {
			struct entry *e = &now.e[i];

			if (e->rated == 0)
				continue;
			ok = copy_range(now.fd, out, pos, e->off) == 0 &&
			    write_rated(r, &now, e, out) == 0;
			pos = e->off + e->len;
			saved++;
		}
		ok = ok && copy_range(now.fd, out, pos, ~0ULL) == 0 &&
		    fsync(out) == 0;
		if (close(out) != 0)
			ok = false;
		if (!ok) {
			int e = errno;

			unlink(tmp.data);
			errno = e;
			err(TCLOG_EXIT_FATAL, "%s: cannot write %s", r->name,
			    tmp.data);
		}
		/* Rewritten meanwhile: once more, with what it holds now. */
		if (stat(r->path, &st) != 0 || !same_file(&st, &now.st) ||
		    fstat(now.fd, &st) != 0 || !same_file(&st, &now.st)) {
			unlink(tmp.data);
			close(now.fd);
			continue;
		}
		if (rename(tmp.data, r->path) != 0) {
			int e = errno;

			unlink(tmp.data);
			errno = e;
			err(TCLOG_EXIT_FATAL, "%s: cannot replace it", r->name);
		}
		r->in_file = true;
		if ((out = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(out);
			close(out);
		}
		close(now.fd);
		report_gone(r, &r->idx);
		r->msg.len = 0;
		tclog_buf_printf(&r->msg, "%zu rating%s saved in %s\n", saved,
		    saved == 1 ? "" : "s", r->name);
		term_write(r, r->msg.data, r->msg.len);
		free(now.e);
		tclog_buf_free(&tmp);
		return;
	}
	/* Said entry by entry, so that they can be given again. */
	for (size_t i = 0; i < r->idx.n; i++)
		if (r->idx.e[i].rated != 0)
			tclog_diag(r->name, r->idx.e[i].line, "rating %d not "
			    "saved", r->idx.e[i].rated);
	errx(TCLOG_EXIT_FATAL, "%s: the file keeps changing or holds a bad "
	    "record: %zu rating%s not saved", r->name, nrated,
	    nrated == 1 ? "" : "s");
}

/* ---- the session ---- */

static bool
wanted(const struct rate *r, const struct entry *e)
{
	return r->all || e->rating == 0;
}

/* The next entry to show from i on, going by step; -1 when none. */
static long
next_wanted(const struct rate *r, long i, int step)
{
	for (; i >= 0 && (size_t)i < r->idx.n; i += step)
		if (wanted(r, &r->idx.e[i]))
			return i;
	return -1;
}

static const char keys_help[] =
    "  1-5  rate the entry (1 bad, 5 good) and show the next\n"
    "  s    skip it, unrated\n"
    "  b    back to the one before\n"
    "  q    save the ratings and quit\n"
    "  ?    these keys\n"
    "  Ctrl-C quits and saves nothing\n";

/* Shows entry i, reading the file again first when the logger has
 * rewritten it in place. Returns the entry's place (it may move). */
static long
show(struct rate *r, long i)
{
	struct entry *e = &r->idx.e[i];
	size_t k = 0, nwanted = 0;

	if (!read_entry(r, &r->idx, e)) {
		struct index now = { 0 };

		if (!reindex(r, &now))
			errx(TCLOG_EXIT_FATAL, "%s: rewritten into something "
			    "that is not a log: ratings not saved", r->name);
		i = (long)carry(&r->idx, &now, (size_t)i);
		report_gone(r, &r->idx);
		close(r->idx.fd);
		free(r->idx.e);
		r->idx = now;
		if ((i = next_wanted(r, i, 1)) < 0)
			return -1;
		e = &r->idx.e[i];
		if (!read_entry(r, &r->idx, e))
			errx(TCLOG_EXIT_FATAL, "%s: keeps changing: ratings not "
			    "saved", r->name);
	}
	for (size_t j = 0; j < r->idx.n; j++) {
		nwanted += wanted(r, &r->idx.e[j]);
		if (j == (size_t)i)
			k = nwanted;
	}
	if (tclog_review_entry(&r->rv, r->line.data, r->line.len,
	    (unsigned long)i + 1, r->name, e->line) != 0)
		errx(TCLOG_EXIT_FATAL, "%s:%lu: cannot reread the record",
		    r->name, e->line);
	term_write(r, r->rv.view.data, r->rv.view.len);
	r->msg.len = 0;
	tclog_buf_printf(&r->msg, "[%zu/%zu] ", k, nwanted);
	if (e->rated != 0)
		tclog_buf_printf(&r->msg, "rated %d, not saved yet; ", e->rated);
	tclog_buf_adds(&r->msg, "1-5 rate, s skip, b back, q save and quit, "
	    "? keys: ");
	term_write(r, r->msg.data, r->msg.len);
	return i;
}

/* The session; returns when the ratings are to be saved. */
static void
session(struct rate *r)
{
	long i = next_wanted(r, 0, 1), j;

	while (i >= 0 && (i = show(r, i)) >= 0) {
		int key = read_key(r, count_rated(&r->idx));

		switch (key) {
		case -2:
			term_puts(r, "\n");
			break;
		case -1:
			term_restore(r);
			errx(TCLOG_EXIT_FATAL, "%s: the terminal has gone: "
			    "ratings not saved", r->name);
		case '1': case '2': case '3': case '4': case '5':
			r->idx.e[i].rated = (signed char)(key - '0');
			r->msg.len = 0;
			tclog_buf_printf(&r->msg, "rated %c\n\n", key);
			term_write(r, r->msg.data, r->msg.len);
			i = next_wanted(r, i + 1, 1);
			break;
		case 's':
			term_puts(r, "skipped\n\n");
			i = next_wanted(r, i + 1, 1);
			break;
		case 'b':
			if ((j = next_wanted(r, i - 1, -1)) < 0)
				term_puts(r, "this is the first one\n\n");
			else {
				term_puts(r, "back\n\n");
				i = j;
			}
			break;
		case 'q':
			term_puts(r, "quit\n");
			return;
		case '?':
			term_puts(r, "?\n");
			term_puts(r, keys_help);
			term_puts(r, "\n");
			break;
		default:
			term_puts(r, "not a key here; ? shows the keys\n\n");
			break;
		}
	}
	term_puts(r, "no more entries\n");
}

/* Checks that the log can be replaced: a regular file that may be
 * written, in a directory where a file can be made. */
static void
check_replaceable(struct rate *r)
{
	struct tclog_buf tmp = { 0 };
	char *copy;
	int fd;

	if (!S_ISREG(r->idx.st.st_mode))
		errx(TCLOG_EXIT_FATAL, "%s: not a regular file", r->name);
	/* root may write anything: a file without write permission is
	 * still one its owner does not want changed */
	if (access(r->path, W_OK) != 0 || (r->idx.st.st_mode & 0222) == 0)
		errx(TCLOG_EXIT_FATAL, "%s: not writable: nothing rated, the "
		    "file is left as it is (chmod u+w makes it writable)",
		    r->name);
	if ((copy = strdup(r->path)) == NULL)
		err(TCLOG_EXIT_FATAL, "out of memory");
	r->dir = strdup(dirname(copy));
	free(copy);
	if (r->dir == NULL)
		err(TCLOG_EXIT_FATAL, "out of memory");
	if ((fd = make_temp(r, &tmp)) == -1)
		err(TCLOG_EXIT_FATAL, "%s: cannot be replaced: no new file can "
		    "be made in %s", r->name, r->dir);
	close(fd);
	unlink(tmp.data);
	tclog_buf_free(&tmp);
}

int
main(int argc, char *argv[])
{
	struct rate r = { .limit = TCLOG_DEFAULT_LIMIT, .tty = -1 };
	long bad;
	int ch, fd;

	tclog_start();
	if (tclog_help_requested(argc, argv, OPTIONS)) {
		usage(stdout);
		return tclog_close_output();
	}
	while ((ch = getopt(argc, argv, OPTIONS)) != -1) {
		switch (ch) {
		case 'a':
			r.all = true;
			break;
		case 'L':
			if (tclog_option_limit(optarg, &r.limit) != 0) {
				usage(stderr);
				return TCLOG_EXIT_FATAL;
			}
			break;
		default:
			usage(stderr);
			return TCLOG_EXIT_FATAL;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		warnx(argc == 0 ? "no file to rate" : "one file at a time");
		usage(stderr);
		return TCLOG_EXIT_FATAL;
	}
	r.name = argv[0];
	if (strcmp(r.name, "-") == 0)
		errx(TCLOG_EXIT_FATAL, "-: standard input cannot be rated: the "
		    "ratings are written into a file");

	tclog_record_init(&r.rec);
	tclog_review_init(&r.rv);
	if ((r.path = realpath(r.name, NULL)) == NULL ||
	    (fd = open(r.path, O_RDONLY | O_CLOEXEC)) == -1)
		err(TCLOG_EXIT_FATAL, "%s", r.name);
	if ((bad = index_file(&r, &r.idx, fd, false)) < 0)
		err(TCLOG_EXIT_FATAL, "%s: read error", r.name);
	if (bad > 0)
		errx(TCLOG_EXIT_FATAL, "%s: %ld bad record%s: nothing rated, "
		    "the file is left as it is", r.name, bad,
		    bad == 1 ? "" : "s");
	check_replaceable(&r);
	term_open(&r);
	if (next_wanted(&r, 0, 1) < 0) {
		term_restore(&r);
		term_puts(&r, r.all ? "no entries to rate\n" : "every entry "
		    "is rated (-a shows them all)\n");
	} else {
		session(&r);
		term_restore(&r);
		if (count_rated(&r.idx) == 0)
			term_puts(&r, "nothing rated: the file is left as it "
			    "is\n");
		save(&r);
	}
	restore_at_exit = NULL;
	close(r.tty);
	close(r.idx.fd);
	free(r.idx.e);
	free(r.path);
	free(r.dir);
	tclog_record_free(&r.rec);
	tclog_review_free(&r.rv);
	tclog_buf_free(&r.line);
	tclog_buf_free(&r.key);
	tclog_buf_free(&r.msg);
	return r.status;
}
