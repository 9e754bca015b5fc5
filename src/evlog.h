/*
 * The JSON event log: one object a line, each with "ts", "event" and
 * "flow" (0 for the daemon itself). Callers fill the object's other
 * fields through the jsonw they get from evlog_begin().
 */
#ifndef PROXYSIM_EVLOG_H
#define PROXYSIM_EVLOG_H

#include <stdint.h>

#include "json.h"

struct evlog_rec {
	struct jsonw	j;
	char		buf[8192];
};

/* path "" or "-" is stdout. Returns 0, or -1 with errno set. */
int	evlog_open(const char *path) WUNRES;
void	evlog_close(void);
/* Reopens the file (after rotation, on SIGHUP). */
int	evlog_reopen(void) WUNRES;
struct jsonw *evlog_begin(struct evlog_rec *, const char *event, uint64_t flow)
	    NONNULL(1, 2);
void	evlog_commit(struct evlog_rec *) NONNULL(1);

#endif
