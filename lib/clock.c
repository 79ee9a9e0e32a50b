/*
 * The clock of the commands that wait (tclog-rate for the logger,
 * tclog-eval for a server): monotonic, so that a change of the time of
 * day neither ends a wait early nor makes it last.
 */
#include <time.h>

#include "internal.h"

long long
tclog_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
