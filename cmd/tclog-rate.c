/*
 * tclog-rate - rate the entries of a log from the keyboard, after the
 * fact, and write the ratings into it.
 *
 * The log is copied to a file of our own (unlinked), which the logger
 * cannot rewrite, and the copy is indexed: where each record begins, its
 * length, its rating and a digest of what identifies it (its timestamp,
 * tool and arguments). A record is read again from the copy when it is
 * shown, so memory is the index (56 bytes an entry) and one record,
 * never the log.
 *
 * The logger rewrites the log in place on every call (truncated, then
 * written), and between rewrites the log only grows: a copy that lacks
 * an entry indexed before, or holds a record cut short, is of a rewrite
 * under way and is made again (acquire). When the log changed, the
 * session goes on with a new copy, its ratings carried to the same
 * entries.
 *
 * Saving copies the log as it is then, gives each rating to the entry
 * with the same identity, and writes every other byte as it was to a
 * temporary file in the same directory, renamed over the log. A write
 * that the logger began on the file replaced is merged (save). Ratings
 * that cannot be saved go to FILE.unsaved-ratings, never nowhere.
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
	char *ident;		/* when rated: what identifies it (identity) */
};

/* The log as copied once: the entries are read from the copy, which the
 * logger cannot rewrite. */
struct index {
	struct entry *e;
	size_t n, cap;
	int fd;			/* our copy (unlinked) */
	int src;		/* the file copied, kept open */
	struct stat src_st;	/* it before the copy */
	unsigned long long size;	/* bytes copied */
	bool stable;		/* it did not change while copied */
	bool leased;		/* copied under a lease: stable for sure */
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
	struct tclog_buf io, tmp;	/* copying; a temporary file's name */
	struct tclog_buf unsaved;	/* lines of the side file to write */
	struct tclog_buf gone;	/* "LINE RATING" of entries gone */
	struct tclog_buf side;	/* the side file's name */
	struct tclog_buf why;	/* why acquire() failed */
	size_t nunsaved;
	long long copy_ms;	/* how long the last copy of the log took */
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

/* ---- copies of the log ---- */

/* How long a rewrite of the log is waited for, how long an empty log is
 * given at the start to be written, how long after a rename a write
 * that the logger began before it is looked for (with leases and
 * without), how long saving goes on, in milliseconds. */
enum { REWRITE_WAIT = 3000, EMPTY_WAIT = 500, LATE_WAIT = 10,
	NOLEASE_WAIT = 200, SAVE_ROUNDS = 200, SAVE_WAIT = 30000 };
/* How long at least after our last change to the log a copy of it is
 * made to tell whether it was saved (see settle_ms), and how many
 * rounds saving makes at most once it gives up, to put in what the
 * logger wrote to a file replaced (see last_merge). */
enum { SETTLE_WAIT = 100, LAST_ROUNDS = 10 };
/* Why a rewrite is given up: acquire() waited REWRITE_WAIT. */
#define CUT_SHORT "the file stays cut short (a rewrite that never ends?)"

/* Sleeps ms milliseconds, Ctrl-C and the other signals let in. */
static void
pause_ms(struct rate *r, long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	wait_taking_signals(r, &t);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;	/* not ctime: the
							 * rename changes it */
}

static bool
same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A temporary file beside the log, or -1 with errno set. */
static int
make_temp(struct rate *r, struct tclog_buf *name)
{
	char *copy = tclog_xstrdup(r->path);

	name->len = 0;
	tclog_buf_printf(name, "%s/.%s.rate-XXXXXX", r->dir, basename(copy));
	free(copy);
	return mkostemp((char *)tclog_buf_str(name), O_CLOEXEC);
}


/* Copies bytes [from, to) of fd to out; a file that ends before to is a
 * read error (EIO: our own copy shrank). */
static int
copy_range(struct rate *r, int fd, int out, unsigned long long from,
    unsigned long long to)
{
	tclog_buf_grow(&r->io, 1 << 16);
	while (from < to) {
		size_t want = to - from < (1 << 16) ? (size_t)(to - from) :
		    (1 << 16);
		ssize_t n = pread(fd, r->io.data, want, (off_t)from);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0 || tclog_write_all(out, r->io.data, (size_t)n) != 0)
			return -1;
		from += (unsigned long long)n;
	}
	return 0;
}

static void
index_free(struct index *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->src >= 0)
		close(x->src);
	for (size_t i = 0; i < x->n; i++)
		free(x->e[i].ident);
	free(x->e);
	*x = (struct index){ .fd = -1, .src = -1 };
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

/* Indexes the copy open on x->fd; with quiet, bad records are counted
 * but not diagnosed. Returns the number of bad records, -1 on a read
 * error. */
static long
index_file(struct rate *r, struct index *x, bool quiet)
{
	struct tclog_reader in;
	enum tclog_read_status st;
	long bad = 0;

	for (size_t i = 0; i < x->n; i++)
		free(x->e[i].ident);
	x->n = 0;
	if (lseek(x->fd, 0, SEEK_SET) != 0)
		return -1;
	tclog_reader_init(&in, x->fd, r->name, r->limit);
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
		x->e = tclog_grow(x->e, &x->cap, x->n + 1, sizeof(*x->e));
		e = &x->e[x->n++];
		memset(e, 0, sizeof(*e));
		e->off = in.offset;
		e->len = in.len;
		e->line = in.line;
		e->rating = (signed char)rating;
		record_key(r, e->key);
	}
	tclog_reader_free(&in);
	return bad;
}

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

/* x's entries sorted by key and occurrence, for find(); entries with
 * the same key (the same call twice at once) are told apart by their
 * order, counted here. */
static struct entry **
by_key(struct index *x)
{
	struct entry **s = tclog_xreallocarray(NULL, x->n, sizeof(*s));

	for (size_t i = 0; i < x->n; i++)
		s[i] = &x->e[i];
	qsort(s, x->n, sizeof(*s), cmp_place);
	for (size_t i = 0; i < x->n; i++)
		s[i]->occ = i > 0 && cmp_key(s[i - 1], s[i]) == 0 ?
		    s[i - 1]->occ + 1 : 0;
	return s;
}

/* The entry of x (sorted as s) that is e, or NULL. */
static struct entry *
find(struct index *x, struct entry **s, const struct entry *e)
{
	struct entry **found = bsearch(&e, s, x->n, sizeof(*s), cmp_occ);

	return found != NULL ? *found : NULL;
}

/* Copies the log open on src to a file of our own (unlinked: nothing is
 * left behind), which the logger cannot rewrite, and indexes the copy
 * quietly. Returns the number of bad records, -1 on an error (errno),
 * -2 when a process has the log open for writing (unless force).
 *
 * The copy is made holding a read lease on the log when one can be had
 * (fcntl(2)): it cannot while a process has the log open for writing,
 * as the logger has while it rewrites it, and while it is held a
 * process that opens the log to write it waits, truncation included.
 * So a copy made under the lease is the log between two rewrites,
 * whole: stable. Without leases (another owner, a file system without
 * them), a copy is stable when the file looked the same before and
 * after it. */
static long
copy_log(struct rate *r, struct index *x, int src, bool force)
{
	struct stat after;
	unsigned long long n = 0;
	bool lease;
	int why, e;

	x->src = src;
	lease = fcntl(src, F_SETLEASE, F_RDLCK) == 0;
	why = errno;
	if (!lease && why == EAGAIN && !force)
		return -2;
	if ((x->fd = make_temp(r, &r->tmp)) != -1)
		unlink(r->tmp.data);
	if (x->fd == -1 || fstat(src, &x->src_st) != 0)
		n = ~0ULL;
	tclog_buf_grow(&r->io, 1 << 16);
	r->copy_ms = tclog_now_ms();
	while (n != ~0ULL) {
		ssize_t got = pread(src, r->io.data, 1 << 16, (off_t)n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			break;
		if (got < 0 || tclog_write_all(x->fd, r->io.data, (size_t)got) != 0)
			n = ~0ULL;
		else
			n += (unsigned long long)got;
	}
	r->copy_ms = tclog_now_ms() - r->copy_ms;
	if (n != ~0ULL && fstat(src, &after) != 0)
		n = ~0ULL;
	e = errno;
	if (lease)	/* a writer that waits for it goes on */
		fcntl(src, F_SETLEASE, F_UNLCK);
	errno = e;
	if (n == ~0ULL)
		return -1;
	/* a file that changed while it was copied may be cut anywhere */
	x->size = n;
	x->leased = lease;
	x->stable = (lease || why != EAGAIN) &&
	    same_file(&x->src_st, &after) &&
	    n == (unsigned long long)after.st_size;
	return index_file(r, x, true);
}

/* Opens the log by its name, never blocking (a FIFO put in its place). */
static int
open_log(struct rate *r)
{
	struct stat st;
	int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -2;
	}
	return fd;
}

/* Whether the copy x may stand for the log. The logger rewrites the log
 * in place (truncated, then written), and between rewrites the log only
 * grows: a copy with a bad record, or one of a file that ref knew which
 * lacks some of ref's entries (unless copied under a lease), is of a
 * rewrite under way, never the log.
 * Without ref (the start), a copy that changed while it was copied, or
 * of an empty file, is waited for a while. */
static bool
acceptable(struct index *x, struct index *ref, const struct stat *ref_file,
    long bad, bool patient)
{
	struct entry **s;
	bool ok = true;

	if (bad != 0)
		return false;
	if (ref == NULL)
		return !patient || (x->stable && x->size > 0);
	if (!same_inode(&x->src_st, ref_file))
		return true;	/* put in its place by a rename: whole */
	/* copied while no process had it open for writing: whole; what it
	 * lacks, a logger's rewrite made of an older read took out (save
	 * puts what it knows of back) */
	if (x->leased)
		return true;
	s = by_key(x);
	free(by_key(ref));	/* their occurrences */
	for (size_t i = 0; ok && i < ref->n; i++)
		ok = find(x, s, &ref->e[i]) != NULL;
	free(s);
	return ok;
}

/*
 * Copies the log (src, or the file at its path when src is -1) until a
 * copy is acceptable(), waiting longer each time, at most REWRITE_WAIT
 * after the first try (EMPTY_WAIT for an empty file at the start).
 * Returns 1 with x set; 0 when the wait ends or the log cannot be read
 * or copied, with r->why saying why; -1 at the start when the file stays
 * the same and holds bad records (x holds the copy, for their
 * diagnostics).
 */
static int
acquire(struct rate *r, struct index *x, int src, struct index *ref,
    const struct stat *ref_file)
{
	long long start = tclog_now_ms(), bad_since = -1;
	struct stat bad_st = { 0 };
	long wait = 1;

	for (;;) {
		long long waited;
		long bad = 0;
		int fd;

		index_free(x);
		r->why.len = 0;
		fd = src >= 0 ? dup(src) : open_log(r);
		if (fd == -2) {
			tclog_buf_adds(&r->why, "not a regular file any more");
			return 0;
		}
		if (fd == -1 && errno != ENOENT) {
			tclog_buf_printf(&r->why, "%s", strerror(errno));
			return 0;
		}
		waited = tclog_now_ms() - start;
		/* being written: looked at again soon, as it may be for a
		 * moment only between two rewrites; copied all the same
		 * when that never comes */
		if (fd >= 0 && (bad = copy_log(r, x, fd, waited >=
		    REWRITE_WAIT)) == -2) {
			pause_ms(r, 1);
			continue;
		}
		if (bad < 0) {
			tclog_buf_printf(&r->why, "cannot copy it into %s: %s",
			    r->dir, strerror(errno));
			return 0;
		}
		if (fd >= 0) {
			/* bad records at the start: in a copy made under a
			 * lease, or else in a file that stays the same for
			 * a while (a writer may be stalled mid-write) */
			if (ref == NULL && bad > 0 && x->stable &&
			    (x->leased || (bad_since >= 0 && same_file(&bad_st,
			    &x->src_st) && waited - bad_since >= 100)))
				return -1;
			if (ref == NULL && bad > 0 && x->stable &&
			    (bad_since < 0 || !same_file(&bad_st, &x->src_st))) {
				bad_since = waited;
				bad_st = x->src_st;
			}
			if (acceptable(x, ref, ref_file, bad, ref == NULL &&
			    waited < (x->size == 0 ? EMPTY_WAIT :
			    REWRITE_WAIT)))
				return 1;
		}
		if (waited >= REWRITE_WAIT) {
			tclog_buf_adds(&r->why, fd >= 0 ? CUT_SHORT :
			    "it is gone");
			return ref == NULL && fd >= 0 ? -1 : 0;
		}
		pause_ms(r, wait);
		if (wait < 100)
			wait *= 2;
	}
}

/* ---- ratings ---- */

/* Reads entry e of x into r->line and parses it: false when it cannot
 * be (x is our own copy: it does not change). */
static bool
read_entry(struct rate *r, struct index *x, const struct entry *e)
{
	ssize_t n;

	r->line.len = 0;
	tclog_buf_grow(&r->line, e->len + 1);
	n = pread(x->fd, r->line.data, e->len, (off_t)e->off);
	if (n < 0 || (size_t)n != e->len || tclog_record_parse(&r->rec, r->line.data,
	    e->len, false) != 0)
		return false;
	r->line.len = e->len;
	return true;
}

/* What tells the parsed record from others, as a line of the file of
 * unsaved ratings says it, without the rating: a JSON object begun. */
static char *
identity(struct rate *r)
{
	static const char *const field[] = { "timestamp", "tool_name",
	    "arguments" };
	char *s;

	r->key.len = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct tclog_field *f = tclog_record_get(&r->rec,
		    field[i]);

		if (f == NULL)
			continue;
		tclog_buf_printf(&r->key, "%s\"%s\":", r->key.len ? "," : "{",
		    field[i]);
		tclog_buf_add(&r->key, f->value, f->value_len);
	}
	if (r->key.len == 0)
		tclog_buf_addc(&r->key, '{');
	s = tclog_xmalloc(r->key.len + 1);
	memcpy(s, r->key.data, r->key.len);
	s[r->key.len] = '\0';
	return s;
}

static size_t
count_rated(const struct index *x)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		n += x->e[i].rated != 0;
	return n;
}

/* Keeps the rating of e, which is not in the file, for the file of
 * unsaved ratings; with gone, reports it at the end as lost from the
 * log. */
static void
keep_unsaved(struct rate *r, const struct entry *e, bool gone)
{
	const char *id = e->ident != NULL ? e->ident : "{";

	tclog_buf_printf(&r->unsaved, "%s%s\"rating\":%d}\n", id,
	    strcmp(id, "{") ? "," : "", e->rated);
	r->nunsaved++;
	if (gone) {
		tclog_buf_printf(&r->gone, "%lu %d\n", e->line, e->rated);
		tclog_status_raise(&r->status, TCLOG_EXIT_BAD);
	}
}

/* Gives the session's ratings of from to the same entries of to (with
 * move, their identities too: to replaces from); from's entries not in
 * to are marked gone. Returns the place in to of from's entry at, or of
 * the first one after it still there (to->n when none is). */
static size_t
carry(struct index *from, struct index *to, size_t at, bool move)
{
	struct entry **s = by_key(to);
	size_t place = to->n;

	free(by_key(from));	/* their occurrences */
	for (size_t i = 0; i < from->n; i++) {
		struct entry *e = &from->e[i], *found = find(to, s, e);

		e->gone = found == NULL && e->rated != 0;
		if (found != NULL) {
			found->rated = e->rated;
			if (move) {
				found->ident = e->ident;
				e->ident = NULL;
			}
			if (i >= at && place == to->n)
				place = (size_t)(found - to->e);
		}
	}
	free(s);
	return place;
}

/* The side file: the ratings not in the log, one JSON object a line
 * holding the entry's timestamp, tool_name and arguments as the log has
 * them, and the rating. */
static const char *
unsaved_name(struct rate *r)
{
	r->side.len = 0;
	tclog_buf_printf(&r->side, "%s.unsaved-ratings", r->name);
	return tclog_buf_str(&r->side);
}

/* Appends the ratings kept to the side file; when it cannot be written,
 * says them on standard error instead. */
static bool
write_unsaved(struct rate *r)
{
	const char *name = unsaved_name(r);
	int fd = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && tclog_write_all(fd, r->unsaved.data,
	    r->unsaved.len) == 0 && fsync(fd) == 0;
	int why = errno;

	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		why = errno;
	}
	if (!ok) {
		warnx("%s: cannot write %s: %s; the ratings not saved, one a "
		    "line:", r->name, name, strerror(why));
		fwrite(r->unsaved.data, 1, r->unsaved.len, stderr);
	}
	return ok;
}

/* Writes the ratings kept to the side file and reports those whose
 * entry left the log; false when they could not be written (they are
 * then on standard error). */
static bool
report_gone(struct rate *r)
{
	const char *p = tclog_buf_str(&r->gone);
	bool written;

	if (r->nunsaved == 0)
		return true;
	written = write_unsaved(r);
	while (*p != '\0') {
		unsigned long line = strtoul(p, (char **)&p, 10);
		long rating = strtol(p, (char **)&p, 10);

		tclog_diag(r->name, line, "the entry rated %ld is no longer "
		    "in the file: rating %s%s", rating, written ? "written "
		    "to " : "not saved (see above)", written ? r->side.data :
		    "");
		p++;
	}
	r->unsaved.len = r->gone.len = r->nunsaved = 0;
	return written;
}

/* Ends the command without replacing the log (or, with saved, after
 * replacing it but unsure that it stayed so): every rating of the
 * session is written to the side file and named there. */
static void
give_up(struct rate *r, const char *why, bool saved)
{
	size_t n = 0;
	bool written;

	term_restore(r);
	for (size_t i = 0; i < r->idx.n; i++)
		if (r->idx.e[i].rated != 0) {
			keep_unsaved(r, &r->idx.e[i], false);
			n++;
		}
	written = report_gone(r);
	if (n == 0)
		errx(TCLOG_EXIT_FATAL, "%s: %s", r->name, why);
	errx(TCLOG_EXIT_FATAL, "%s: %s: %zu rating%s %s; %s%s", r->name,
	    why, n, n == 1 ? "" : "s", saved ? "saved, but the file was "
	    "rewritten since" : "not saved in it", written ? "written to " :
	    "listed above", written ? r->side.data : "");
}

/* Reads the log again as it is now, when it changed since it was
 * indexed, waiting for a rewrite under way to end: the session goes on
 * with the new index, its ratings given to the same entries. Returns
 * the new place of entry i. */
static size_t
refresh(struct rate *r, size_t i)
{
	struct index now = { .fd = -1, .src = -1 };
	struct stat st;

	/* unchanged since it was copied whole */
	if (stat(r->path, &st) == 0 && same_file(&st, &r->idx.src_st) &&
	    r->idx.size == (unsigned long long)st.st_size)
		return i;
	if (acquire(r, &now, -1, &r->idx, &r->idx.src_st) != 1) {
		index_free(&now);
		give_up(r, tclog_buf_str(&r->why), false);
	}
	i = carry(&r->idx, &now, i, true);
	for (size_t j = 0; j < r->idx.n; j++)
		if (r->idx.e[j].gone)
			keep_unsaved(r, &r->idx.e[j], true);
	index_free(&r->idx);
	r->idx = now;
	return i;
}

/* ---- saving ---- */

/* Writes record e of x with its "rating" member set, every other byte
 * as it was (tclog_record_set_rating). */
static int
write_rated(struct rate *r, struct index *x, struct entry *e, int out)
{
	if (!read_entry(r, x, e)) {
		errno = EIO;
		return -1;
	}
	r->msg.len = 0;
	tclog_record_set_rating(&r->rec, e->rated, &r->msg);
	return tclog_write_all(out, r->msg.data, r->msg.len);
}

/* An entry of a late write (see save), put in the new file after the
 * line of the entry before it. */
struct insert {
	unsigned long long at;	/* where, in the copy of the log */
	const struct entry *e;	/* the entry, in the late copy */
	bool nl;		/* a line end goes first */
};

static int
cmp_insert(const void *pa, const void *pb)
{
	const struct insert *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->e < b->e ? -1 : a->e > b->e;
}

/* Where the line of e ends in x, its line end included; *nl when it has
 * none (the last line). */
static unsigned long long
line_end(struct index *x, const struct entry *e, bool *nl)
{
	unsigned long long at = e->off + e->len;
	char c[2];
	ssize_t n = pread(x->fd, c, 2, (off_t)at);

	*nl = false;
	if (n >= 1 && c[0] == '\n')
		return at + 1;
	if (n == 2 && c[0] == '\r' && c[1] == '\n')
		return at + 2;
	*nl = true;
	return at;
}

/* The entries of late (a write that reached a file we replaced) that
 * base lacks, each placed after the one before it in late; late's
 * ratings of entries base has unrated, and the session did not rate,
 * are given to them. */
static struct insert *
merge_late(struct index *base, struct index *late, size_t *nins)
{
	struct entry **s = by_key(base);
	struct insert *ins = tclog_xreallocarray(NULL, late->n, sizeof(*ins));
	unsigned long long at = base->n ? base->e[0].off : 0;
	bool nl = false;

	free(by_key(late));
	*nins = 0;
	for (size_t i = 0; i < late->n; i++) {
		struct entry *e = &late->e[i], *found = find(base, s, e);

		if (found == NULL) {
			ins[(*nins)++] = (struct insert){ at, e, nl };
			nl = false;
			continue;
		}
		if (found->rated == 0 && found->rating == 0 && e->rating != 0)
			found->rated = e->rating;
		at = line_end(base, found, &nl);
	}
	free(s);
	qsort(ins, *nins, sizeof(*ins), cmp_insert);
	return ins;
}

/* Writes base, with its entries' ratings set and late's entries put in,
 * to out. */
static int
write_log(struct rate *r, struct index *base, struct index *late,
    struct insert *ins, size_t nins, int out)
{
	unsigned long long pos = 0;
	size_t k = 0;

	for (size_t i = 0; i <= base->n; i++) {
		struct entry *e = i < base->n ? &base->e[i] : NULL;

		for (; k < nins && (e == NULL || ins[k].at <= e->off); k++) {
			const struct entry *l = ins[k].e;

			if (copy_range(r, base->fd, out, pos, ins[k].at) != 0 ||
			    (ins[k].nl && tclog_write_all(out, "\n", 1) != 0) ||
			    copy_range(r, late->fd, out, l->off, l->off +
			    l->len) != 0 || tclog_write_all(out, "\n", 1) != 0)
				return -1;
			pos = ins[k].at;
		}
		if (e == NULL || e->rated == 0 || e->rated == e->rating)
			continue;
		if (copy_range(r, base->fd, out, pos, e->off) != 0 ||
		    write_rated(r, base, e, out) != 0)
			return -1;
		pos = e->off + e->len;
	}
	return copy_range(r, base->fd, out, pos, base->size);
}

/* Waits while some process holds the file open on fd open for writing:
 * a logger that opened it before it was replaced may write to it still.
 * A read lease cannot be had then (fcntl(2)). False where leases cannot
 * be had at all (another owner, a file system without them). */
static bool
wait_for_writers(struct rate *r, int fd)
{
	long long start = tclog_now_ms();
	long wait = 1;

	while (fcntl(fd, F_SETLEASE, F_RDLCK) != 0) {
		if (errno != EAGAIN)
			return false;
		if (tclog_now_ms() - start >= REWRITE_WAIT)
			return true;
		pause_ms(r, wait);
		if (wait < 100)
			wait *= 2;
	}
	fcntl(fd, F_SETLEASE, F_UNLCK);
	return true;
}

/* Writes the new log beside it and renames it over it; sets *made to
 * the new file as it was written. False, with r->why set, when it
 * cannot: the log is left as it was. */
static bool
replace(struct rate *r, struct index *base, struct index *late,
    struct insert *ins, size_t nins, struct stat *made)
{
	int out = make_temp(r, &r->tmp), dir, e;
	bool ok;

	r->why.len = 0;
	if (out < 0) {
		tclog_buf_printf(&r->why, "cannot write a file in %s: %s",
		    r->dir, strerror(errno));
		return false;
	}
	/* the log's mode, and owner when we may */
	ok = fchmod(out, base->src_st.st_mode & 07777) == 0;
	if (fchown(out, base->src_st.st_uid, base->src_st.st_gid) != 0)
		errno = 0;
	ok = ok && write_log(r, base, late, ins, nins, out) == 0 &&
	    fsync(out) == 0 && fstat(out, made) == 0;
	e = errno;
	if (close(out) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(r->tmp.data, r->path) != 0) {
		e = errno;
		unlink(r->tmp.data);
		tclog_buf_printf(&r->why, "cannot replace it: %s",
		    strerror(e));
		return false;
	}
	if (!ok) {
		unlink(r->tmp.data);
		tclog_buf_printf(&r->why, "cannot write %s: %s", r->tmp.data,
		    strerror(e));
		return false;
	}
	if ((dir = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dir);
		close(dir);
	}
	return true;
}

/*
 * Adds to late (what the logger wrote to files we replaced) the entries
 * of more that it lacks, in a file of our own holding both; more is
 * freed. Late is kept for the whole save: the logger reads the log and
 * writes it through separate opens, so a rewrite based on a read made
 * before our last change can take its entries out of the log again,
 * and they are put in again.
 */
static void
late_add(struct rate *r, struct index *late, struct index *more)
{
	struct index both = { .fd = -1, .src = -1 };
	struct insert *ins;
	size_t nins;
	off_t end;

	if (late->n == 0) {
		index_free(late);
		*late = *more;
		*more = (struct index){ .fd = -1, .src = -1 };
		return;
	}
	ins = merge_late(late, more, &nins);
	for (size_t i = 0; i < late->n; i++)
		late->e[i].rated = 0;	/* the logger's bytes, as they were */
	if (nins > 0 && (both.fd = make_temp(r, &r->tmp)) != -1) {
		unlink(r->tmp.data);
		if (write_log(r, late, more, ins, nins, both.fd) == 0 &&
		    (end = lseek(both.fd, 0, SEEK_END)) != -1 &&
		    index_file(r, &both, true) == 0) {
			both.size = (unsigned long long)end;
			both.src_st = late->src_st;
			index_free(late);
			*late = both;
			both = (struct index){ .fd = -1, .src = -1 };
		}
	}
	index_free(&both);
	free(ins);
	index_free(more);
}

/*
 * After base's file was replaced by a rename: waits for a write that
 * the logger began on it (it opened it by name before the rename), and
 * adds what it holds then that late lacks to late. No process may have
 * it open for writing once the wait is over (with leases): a copy then
 * is whole, whatever it lacks of base.
 */
static void
check_replaced(struct rate *r, struct index *base, struct index *late)
{
	struct index more = { .fd = -1, .src = -1 };
	struct stat st;

	pause_ms(r, LATE_WAIT);
	if (!wait_for_writers(r, base->src))
		pause_ms(r, NOLEASE_WAIT - LATE_WAIT);
	if (fstat(base->src, &st) == 0 && !same_file(&st, &base->src_st) &&
	    acquire(r, &more, base->src, base, &base->src_st) == 1)
		late_add(r, late, &more);
	index_free(&more);
	r->why.len = 0;
}

/*
 * Appends the entries of late that the log lacks to it, in place,
 * holding a write lease on it: while it is held, no process has the log
 * open, and the logger's next open waits for it to end, and then opens
 * this file, which holds them (no rename, no write that goes astray).
 * What the log lacks is judged on the log as it is under the lease, not
 * on the copy saved: the logger may have put some of them in since (a
 * read of the replaced file, written to the new one), and they are not
 * put in twice. A logger that read the log before the lease and writes
 * after it takes them out again: save() looks again a while later.
 * Where leases cannot be had, the next round of save() puts them in by
 * a rename instead. True when it wrote something.
 */
static bool
append_late(struct rate *r, struct index *late)
{
	struct index now = { .fd = -1, .src = -1 };
	struct entry **s = NULL;
	long long start = tclog_now_ms();
	long wait = 1;
	bool ok, wrote = false;
	char last = '\n';
	struct stat st;
	size_t n = 0;
	int fd;

	if ((fd = open(r->path, O_RDWR | O_APPEND | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	while (fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
		if (errno != EAGAIN || tclog_now_ms() - start >= REWRITE_WAIT) {
			close(fd);
			return false;
		}
		pause_ms(r, wait);
		if (wait < 8)
			wait *= 2;
	}
	/* no other process has it open: it is whole, and stays so */
	if (fstat(fd, &st) != 0 || (now.fd = dup(fd)) < 0 ||
	    index_file(r, &now, true) != 0)
		st.st_size = -1;
	if (st.st_size >= 0) {
		s = by_key(&now);
		free(by_key(late));
		for (size_t i = 0; i < late->n; i++)
			n += find(&now, s, &late->e[i]) == NULL;
	}
	ok = n > 0 && (st.st_size == 0 || pread(fd, &last, 1,
	    st.st_size - 1) == 1);
	if (ok && last != '\n')
		ok = tclog_write_all(fd, "\n", 1) == 0;
	for (size_t i = 0; ok && i < late->n; i++) {
		const struct entry *e = &late->e[i];

		if (find(&now, s, e) != NULL)
			continue;
		ok = copy_range(r, late->fd, fd, e->off, e->off + e->len) == 0 &&
		    tclog_write_all(fd, "\n", 1) == 0;
	}
	if (ok)
		ok = fdatasync(fd) == 0;
	/* if not, the log as it was, not a line cut short: the next
	 * round of save() puts them in by a rename */
	if (n > 0 && !ok && st.st_size >= 0)
		(void)!ftruncate(fd, st.st_size);
	wrote = n > 0;
	fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	free(s);
	index_free(&now);
	return wrote;
}

/* How long after a change to the log a copy of it tells whether it
 * stayed: a logger's rewrite made of a read from before it comes after
 * the read, which takes about as long as our copy. */
static long
settle_ms(const struct rate *r)
{
	return SETTLE_WAIT + 4 * (long)r->copy_ms;
}

/* The entries of late that x lacks, appended to FILE.unsaved-entries
 * and said on standard error: saving gave up with them not in the log. */
static void
keep_entries(struct rate *r, struct index *x, struct index *late)
{
	struct entry **s = by_key(x);
	struct tclog_buf name = { 0 };
	size_t n = 0;
	bool ok = true;
	int fd = -1;

	free(by_key(late));
	tclog_buf_printf(&name, "%s.unsaved-entries", r->name);
	for (size_t i = 0; i < late->n; i++) {
		const struct entry *e = &late->e[i];

		if (find(x, s, e) != NULL)
			continue;
		if (n++ == 0)
			ok = (fd = open(tclog_buf_str(&name), O_WRONLY |
			    O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0;
		ok = ok && copy_range(r, late->fd, fd, e->off, e->off +
		    e->len) == 0 && tclog_write_all(fd, "\n", 1) == 0;
	}
	if (fd >= 0 && fsync(fd) != 0)
		ok = false;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (n > 0 && ok)
		warnx("%s: %zu %s that the logger wrote to a replaced file "
		    "not in it: written to %s", r->name, n, n == 1 ? "entry" :
		    "entries", tclog_buf_str(&name));
	else if (n > 0)
		warn("%s: %zu %s that the logger wrote to a replaced file not "
		    "in it, and not written to %s", r->name, n, n == 1 ?
		    "entry" : "entries", tclog_buf_str(&name));
	free(s);
	tclog_buf_free(&name);
}

/* Saving gives up with entries the logger wrote to a replaced file, not
 * yet in the log (without leases, say): they are put in by a rename, and
 * the file replaced is checked as save() does, a few times at most. A
 * rename may always meet a new write to the file it replaces, so what
 * is still not in the log then is kept beside it (keep_entries). */
static void
last_merge(struct rate *r, struct index *late, struct index *ref,
    const struct stat *ref_file)
{
	struct index base = { .fd = -1, .src = -1 },
	    prev = { .fd = -1, .src = -1 };
	struct tclog_buf why = r->why;
	struct stat made = *ref_file;
	bool merged = false;

	r->why = (struct tclog_buf){ 0 };
	for (int round = 0; round <= LAST_ROUNDS; round++) {
		struct insert *ins;
		size_t nins;
		bool ok;

		pause_ms(r, settle_ms(r));
		if (acquire(r, &base, -1, ref, &made) != 1)
			break;
		carry(&r->idx, &base, 0, false);
		ins = merge_late(&base, late, &nins);
		merged = nins == 0;
		ok = nins > 0 && round < LAST_ROUNDS &&
		    replace(r, &base, late, ins, nins, &made);
		free(ins);
		if (!ok)
			break;
		check_replaced(r, &base, late);
		index_free(&prev);
		prev = base;
		base = (struct index){ .fd = -1, .src = -1 };
		ref = &prev;
	}
	if (!merged)	/* base, or the last copy made */
		keep_entries(r, base.n > 0 || base.fd >= 0 ? &base : ref, late);
	index_free(&base);
	index_free(&prev);
	tclog_buf_free(&r->why);
	r->why = why;
}

/*
 * Writes the log as it is now with the session's ratings in it. The
 * logger may have opened the log just before the rename and write to it
 * after: the replaced file stays open, and a write that reached it after
 * it was copied (before or after the rename) is merged into the log,
 * which is saved again; so is a rewrite of the new log that lacks the
 * ratings or what was merged (the logger read the log before our change
 * and wrote after it). Done when a copy of the log, made settle_ms()
 * after our last change, needs nothing more.
 */
static void
save(struct rate *r)
{
	struct index base = { .fd = -1, .src = -1 },
	    late = { .fd = -1, .src = -1 }, prev = { .fd = -1, .src = -1 };
	struct index *ref = &r->idx;
	struct stat ref_file = r->idx.src_st;
	size_t nrated = count_rated(&r->idx), saved = 0;
	bool renamed = false, done = false;
	long long start = tclog_now_ms(), changed = -1;
	int round;

	if (nrated == 0)
		return;
	for (round = 0; round < SAVE_ROUNDS &&
	    tclog_now_ms() - start < SAVE_WAIT; round++) {
		struct insert *ins = NULL;
		size_t nins = 0;
		bool need = false;

		/* a logger that read the log before our last change writes
		 * it back without it: looked for before it counts as saved */
		if (changed >= 0 && tclog_now_ms() - changed < settle_ms(r))
			pause_ms(r, (long)(settle_ms(r) -
			    (tclog_now_ms() - changed)));
		if (acquire(r, &base, -1, ref, &ref_file) != 1)
			break;
		carry(&r->idx, &base, 0, false);
		saved = count_rated(&base);	/* the session's */
		if (late.n > 0)
			ins = merge_late(&base, &late, &nins);
		for (size_t i = 0; i < base.n; i++)
			need |= base.e[i].rated != 0 &&
			    base.e[i].rated != base.e[i].rating;
		if (!need && nins == 0) {
			free(ins);
			done = true;
			break;
		}
		if (!replace(r, &base, &late, ins, nins, &ref_file)) {
			free(ins);
			break;
		}
		free(ins);
		renamed = r->in_file = true;
		check_replaced(r, &base, &late);
		if (late.n > 0)
			append_late(r, &late);
		changed = tclog_now_ms();
		/* the next round checks the new file against what it was
		 * made of */
		index_free(&prev);
		prev = base;
		base = (struct index){ .fd = -1, .src = -1 };
		ref = &prev;
	}
	if (!done && late.n > 0)
		last_merge(r, &late, ref, &ref_file);
	index_free(&late);
	index_free(&prev);
	if (!done) {
		index_free(&base);
		give_up(r, r->why.len > 0 ? tclog_buf_str(&r->why) :
		    "the file keeps being rewritten", renamed);
	}
	for (size_t i = 0; i < r->idx.n; i++)
		if (r->idx.e[i].gone)
			keep_unsaved(r, &r->idx.e[i], true);
	index_free(&base);
	report_gone(r);
	r->msg.len = 0;
	tclog_buf_printf(&r->msg, "%zu rating%s saved in %s\n", saved,
	    saved == 1 ? "" : "s", r->name);
	term_write(r, r->msg.data, r->msg.len);
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
 * rewritten it. Returns the entry's place (it may move), -1 when no
 * entry is left to show. */
static long
show(struct rate *r, long i)
{
	struct entry *e;
	size_t k = 0, nwanted = 0;

	i = (long)refresh(r, (size_t)i);
	if ((i = next_wanted(r, i, 1)) < 0)
		return -1;
	e = &r->idx.e[i];
	if (!read_entry(r, &r->idx, e))
		give_up(r, "its copy cannot be read again", false);
	for (size_t j = 0; j < r->idx.n; j++) {
		nwanted += wanted(r, &r->idx.e[j]);
		if (j == (size_t)i)
			k = nwanted;
	}
	if (tclog_review_entry(&r->rv, r->line.data, r->line.len,
	    (unsigned long)i + 1, r->name, e->line) != 0)
		give_up(r, "its copy cannot be read again", false);
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

/* After the last entry: the entries the logger added meanwhile are
 * next. */
static long
more(struct rate *r)
{
	size_t n = r->idx.n, at = refresh(r, n > 0 ? n - 1 : 0);

	if (n == 0)
		at = 0;
	else if (at < r->idx.n)
		at++;
	return next_wanted(r, (long)at, 1);
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
			/* r->rec is still the entry shown */
			if (r->idx.e[i].ident == NULL)
				r->idx.e[i].ident = identity(r);
			r->idx.e[i].rated = (signed char)(key - '0');
			r->msg.len = 0;
			tclog_buf_printf(&r->msg, "rated %c\n\n", key);
			term_write(r, r->msg.data, r->msg.len);
			if ((i = next_wanted(r, i + 1, 1)) < 0)
				i = more(r);
			break;
		case 's':
			term_puts(r, "skipped\n\n");
			if ((i = next_wanted(r, i + 1, 1)) < 0)
				i = more(r);
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
check_replaceable(struct rate *r, const struct stat *st)
{
	struct tclog_buf tmp = { 0 };
	char *copy;
	int fd;

	/* root may write anything: a file without write permission is
	 * still one its owner does not want changed */
	if (access(r->path, W_OK) != 0 || (st->st_mode & 0222) == 0)
		errx(TCLOG_EXIT_FATAL, "%s: not writable: nothing rated, the "
		    "file is left as it is (chmod u+w makes it writable)",
		    r->name);
	copy = tclog_xstrdup(r->path);
	r->dir = tclog_xstrdup(dirname(copy));
	free(copy);
	if ((fd = make_temp(r, &tmp)) == -1)
		err(TCLOG_EXIT_FATAL, "%s: cannot be replaced: no new file can "
		    "be made in %s", r->name, r->dir);
	close(fd);
	unlink(tmp.data);
	tclog_buf_free(&tmp);
}

/* ---- main ---- */

/* Sets r up from the options and the operand: optind, or TCLOG_OPT_*
 * (diagnosed). */
static int
options(struct rate *r, int argc, char *argv[])
{
	int ch;

	if (tclog_help_requested(argc, argv, OPTIONS))
		return TCLOG_OPT_HELP;
	while ((ch = tclog_getopt(argc, argv, OPTIONS, &r->limit)) >= 0) {
		switch (ch) {
		case 'a':
			r->all = true;
			break;
		}
	}
	if (ch == TCLOG_OPT_USAGE)
		return ch;
	if (argc - optind != 1)
		return tclog_usage_error(argc == optind ? "no file to rate" :
		    "one file at a time");
	r->name = argv[optind];
	if (strcmp(r->name, "-") == 0) {
		warnx("-: standard input cannot be rated: the ratings are "
		    "written into a file");
		return TCLOG_OPT_FATAL;
	}
	return optind;
}

/* Opens the log, copies and indexes it; a log that cannot be rated is
 * fatal (exit 2), nothing changed. */
static void
start(struct rate *r)
{
	struct stat st;
	long bad;
	int fd;

	/* never blocking in open: a FIFO is refused, not waited on */
	if ((r->path = realpath(r->name, NULL)) == NULL ||
	    (fd = open_log(r)) == -1)
		err(TCLOG_EXIT_FATAL, "%s", r->name);
	if (fd == -2)
		errx(TCLOG_EXIT_FATAL, "%s: not a regular file: nothing rated",
		    r->name);
	if (fstat(fd, &st) != 0)
		err(TCLOG_EXIT_FATAL, "%s", r->name);
	close(fd);
	check_replaceable(r, &st);
	switch (acquire(r, &r->idx, -1, NULL, NULL)) {
	case 0:
		errx(TCLOG_EXIT_FATAL, "%s: %s", r->name,
		    tclog_buf_str(&r->why));
	case -1:
		if ((bad = index_file(r, &r->idx, false)) < 0)
			err(TCLOG_EXIT_FATAL, "%s: read error", r->name);
		errx(TCLOG_EXIT_FATAL, "%s: %ld bad record%s: nothing rated, "
		    "the file is left as it is", r->name, bad,
		    bad == 1 ? "" : "s");
	}
}

/* Rates the log r->name; the exit status. */
static int
run(struct rate *r)
{
	start(r);
	term_open(r);
	if (next_wanted(r, 0, 1) < 0) {
		term_restore(r);
		term_puts(r, r->all ? "no entries to rate\n" : "every entry "
		    "is rated (-a shows them all)\n");
	} else {
		session(r);
		term_restore(r);
		if (count_rated(&r->idx) == 0)
			term_puts(r, "nothing rated: the file is left as it "
			    "is\n");
		save(r);
	}
	report_gone(r);	/* the ratings of entries gone, if save() has not */
	restore_at_exit = NULL;
	return r->status;
}

static void
rate_free(struct rate *r)
{
	if (r->tty != -1)
		close(r->tty);
	index_free(&r->idx);
	free(r->path);
	free(r->dir);
	tclog_record_free(&r->rec);
	tclog_review_free(&r->rv);
	TCLOG_BUFS_FREE(&r->line, &r->key, &r->msg, &r->io, &r->tmp,
	    &r->unsaved, &r->gone, &r->side, &r->why);
}

int
main(int argc, char *argv[])
{
	struct rate r = { .limit = TCLOG_DEFAULT_LIMIT, .tty = -1,
	    .idx = { .fd = -1, .src = -1 } };
	int first, status;

	tclog_start();
	/* a lease (save) broken by another process's open signals SIGIO;
	 * the lease is polled, not waited for */
	signal(SIGIO, SIG_IGN);
	tclog_record_init(&r.rec);
	tclog_review_init(&r.rv);
	if ((first = options(&r, argc, argv)) < 0)
		status = tclog_options_failed(first, usage);
	else
		status = run(&r);
	rate_free(&r);
	return status;
}
