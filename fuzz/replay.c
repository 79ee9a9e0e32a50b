/*
 * Runs a fuzz harness without libFuzzer, once on each file named, so
 * that the inputs that once crashed (fuzz/regress/) are replayed by
 * `make check` with any compiler (tests/fuzz-regress.test).
 *
 *   replay file ...
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int
main(int argc, char *argv[])
{
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		uint8_t *data = NULL;
		size_t size = 0, cap = 0, n;

		if (fp == NULL)
			err(2, "%s", argv[i]);
		do {
			if (cap - size < 4096)
				data = realloc(data, cap = 2 * cap + 4096);
			if (data == NULL)
				err(2, "%s", argv[i]);
			n = fread(data + size, 1, cap - size, fp);
			size += n;
		} while (n > 0);
		if (ferror(fp))
			err(2, "%s", argv[i]);
		fclose(fp);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
	}
	return 0;
}
