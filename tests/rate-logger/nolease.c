/*
 * fcntl(2) without leases, as on a file system that has none (NFS):
 * preloaded by rate-logger.test, so that tclog-rate's ways without
 * leases are tested too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int
call(const char *name, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT,
	    name);

	if (cmd == F_SETLEASE) {
		errno = EINVAL;
		return -1;
	}
	return real(fd, cmd, arg);
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return call("fcntl", fd, cmd, arg);
}

/* The large-file name (callers built with _FILE_OFFSET_BITS=64): on a
 * 64-bit system the same call. */
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
