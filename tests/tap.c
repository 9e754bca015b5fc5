/* TAP producer; see tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int tap_n, tap_failed;

void
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
tap_is_int(long long got, long long want, const char *name)
{
	tap_ok(got == want, "%s", name);
	if (got != want)
		tap_diag("  got %lld, want %lld", got, want);
}

void
tap_is_str(const char *got, const char *want, const char *name)
{
	int eq = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	tap_ok(eq, "%s", name);
	if (!eq)
		tap_diag("  got '%s', want '%s'", got ? got : "(null)",
		    want ? want : "(null)");
}

void
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *name)
{
	int eq = glen == wlen && memcmp(got, want, glen) == 0;

	tap_ok(eq, "%s", name);
	if (!eq)
		tap_diag("  lengths %zu and %zu, or bytes differ", glen, wlen);
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}
