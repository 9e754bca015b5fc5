/* A small TAP producer for the unit tests (picotest's shape). */
#ifndef PROXYSIM_TAP_H
#define PROXYSIM_TAP_H

#include <stddef.h>
#include <stdint.h>

void	tap_ok(int cond, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	tap_is_int(long long got, long long want, const char *name);
void	tap_is_str(const char *got, const char *want, const char *name);
void	tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
	    const char *name);
void	tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan and returns the exit status: 0 if all passed. */
int	tap_done(void);

#define ok(c, ...)	tap_ok(!!(c), __VA_ARGS__)
#define is_int		tap_is_int
#define is_str		tap_is_str
#define is_mem		tap_is_mem

#endif
