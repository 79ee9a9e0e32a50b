/*
 * Fuzz harness of the record reader (tclog_reader_*).
 *
 * The input is fed through a SOCK_SEQPACKET socket pair in odd-sized
 * writes: each write is one packet and each read(2) of the reader gets
 * exactly one packet, so the reader meets records split everywhere -
 * one byte at a time, across CR LF, across the limit - and the run stays
 * deterministic (a pipe would merge writes at the kernel's whim). For
 * each of a few limits and chunkings the records returned must be those
 * of a plain model of the reader's rules computed on the whole input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tclog.h"

enum { MAX_PACKETS = 96 };	/* a socket buffer holds this many */

/* The model: what the reader must return for data with limit. */
struct expect {
	enum tclog_read_status status;
	unsigned long line;
	const uint8_t *text;
	size_t len;
	bool unterminated;
};

static size_t
model(const uint8_t *data, size_t size, size_t limit, struct expect *out)
{
	size_t n = 0, start = 0;
	unsigned long line = 0;

	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - start;
		bool blank = true;

		line++;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		/* a whole byte order mark that starts a line is no part of
		 * it, wherever the line falls (logs joined with cat) */
		if (len >= 3 && memcmp(data + start, "\xef\xbb\xbf", 3) == 0) {
			start += 3;
			len -= 3;
		}
		for (size_t i = 0; i < len; i++)
			if (data[start + i] != ' ' && data[start + i] != '\t' &&
			    data[start + i] != '\r')
				blank = false;
		if (len > limit)
			out[n++] = (struct expect){ TCLOG_READ_TOO_LONG, line,
			    NULL, 0, false };
		else if (!blank)
			out[n++] = (struct expect){ TCLOG_READ_RECORD, line,
			    data + start, len, nl == NULL };
		start = end + 1;
	}
	return n;
}

/* Checks the reader on data with limit, sent in packets of one byte
 * (seed 0) or of 1 to 13 bytes drawn from seed; past MAX_PACKETS the
 * rest goes in one packet. */
static void
check(const uint8_t *data, size_t size, size_t limit, uint32_t seed,
    struct expect *want, size_t nwant)
{
	struct tclog_reader r;
	enum tclog_read_status st;
	size_t got = 0, sent = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		perror("socketpair");
		abort();
	}
	for (int packets = 0; sent < size; packets++) {
		size_t n = size - sent;

		if (packets < MAX_PACKETS - 1) {
			n = 1;
			if (seed != 0) {
				seed = seed * 1103515245u + 12345u;
				n = 1 + (seed >> 16) % 13;
			}
			if (n > size - sent)
				n = size - sent;
		}
		if (write(sv[1], data + sent, n) != (ssize_t)n) {
			perror("write");
			abort();
		}
		sent += n;
	}
	close(sv[1]);

	tclog_reader_init(&r, sv[0], "fuzz", limit);
	while ((st = tclog_reader_next(&r)) != TCLOG_READ_EOF) {
		struct expect *e = &want[got];

		if (st == TCLOG_READ_ERROR || got == nwant || st != e->status ||
		    r.line != e->line || (st == TCLOG_READ_RECORD &&
		    (r.len != e->len || memcmp(r.text, e->text, r.len) != 0 ||
		    r.unterminated != e->unterminated))) {
			fprintf(stderr, "reader and model differ: limit %zu, "
			    "result %zu: status %d line %lu len %zu, want "
			    "status %d line %lu len %zu\n", limit, got, (int)st,
			    r.line, st == TCLOG_READ_RECORD ? r.len : 0,
			    got < nwant ? (int)e->status : -1,
			    got < nwant ? e->line : 0, got < nwant ? e->len : 0);
			abort();
		}
		got++;
	}
	if (got != nwant) {
		fprintf(stderr, "reader returned %zu results, model %zu\n",
		    got, nwant);
		abort();
	}
	tclog_reader_free(&r);
	close(sv[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 1, 2, 7, 64, 100000 };
	struct expect *want;

	if (size > 16384)	/* a packet must fit the socket buffer */
		return 0;
	want = malloc((size + 1) * sizeof(*want));
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t n = model(data, size, limits[i], want);

		check(data, size, limits[i], (uint32_t)(i * 7919), want, n);
	}
	free(want);
	return 0;
}
