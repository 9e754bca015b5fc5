/*
 * Human-readable log. Messages that carry bytes from the wire must be
 * escaped by the caller (escape.h) before they get here.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "proxysim";
static int log_level = LOG_LVL_INFO;
static int log_syslog;

void
log_init(const char *progname, int verbosity)
{
	log_progname = progname;
	log_level = LOG_LVL_INFO + verbosity;
	if (log_level < LOG_LVL_ERR)
		log_level = LOG_LVL_ERR;
}

void
log_to_syslog(void)
{
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

int
log_verbosity(void)
{
	return log_level - LOG_LVL_INFO;
}

static void log_vwrite(enum log_level, int, const char *, va_list)
    PRINTF(3, 0);

static void
log_vwrite(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048];
	int n;

	if ((int)lvl > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	if (log_syslog) {
		syslog(prio[lvl], "%s", msg);
		return;
	}
	fprintf(stderr, "%s: %s\n", log_progname, msg);
}

#define LOG_BODY(lvl, errnum) do {			\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_vwrite((lvl), (errnum), fmt, ap);		\
	va_end(ap);					\
} while (0)

void log_warn(const char *fmt, ...)	{ int e = errno; LOG_BODY(LOG_LVL_WARN, e); }
void log_warnx(const char *fmt, ...)	{ LOG_BODY(LOG_LVL_WARN, 0); }
void log_info(const char *fmt, ...)	{ LOG_BODY(LOG_LVL_INFO, 0); }
void log_debug(const char *fmt, ...)	{ LOG_BODY(LOG_LVL_DEBUG, 0); }

void
fatal(int status, const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LVL_ERR, e);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 0);
	exit(status);
}
