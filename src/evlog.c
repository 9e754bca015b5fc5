/*
 * JSON event log writer. Each record goes out in a single write() so
 * lines from one process never interleave, and nothing is buffered
 * across events: a crash loses no event already emitted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "evlog.h"
#include "log.h"

static int evlog_fd = -1;
static char evlog_path[PATH_MAX];
static int evlog_failed;

int
evlog_open(const char *path)
{
	int fd;

	if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0) {
		evlog_path[0] = '\0';
		evlog_fd = STDOUT_FILENO;
		return 0;
	}
	if (strlen(path) >= sizeof(evlog_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	strcpy(evlog_path, path);
	evlog_fd = fd;
	return 0;
}

int
evlog_reopen(void)
{
	int fd;

	if (evlog_path[0] == '\0')
		return 0;
	fd = open(evlog_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	dup2(fd, evlog_fd);
	close(fd);
	return 0;
}

void
evlog_close(void)
{
	if (evlog_fd > STDERR_FILENO)
		close(evlog_fd);
	evlog_fd = -1;
}

struct jsonw *
evlog_begin(struct evlog_rec *r, const char *event, uint64_t flow)
{
	struct timeval tv;
	struct tm tm;
	char ts[96];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
	jsonw_init(&r->j, r->buf, sizeof(r->buf) - 1);
	jsonw_begin(&r->j);
	jsonw_str(&r->j, "ts", ts);
	jsonw_str(&r->j, "event", event);
	jsonw_u64(&r->j, "flow", flow);
	return &r->j;
}

void
evlog_commit(struct evlog_rec *r)
{
	const char *text;
	size_t len;
	ssize_t n;

	jsonw_end(&r->j);
	if (evlog_fd == -1)
		return;
	if ((text = jsonw_text(&r->j)) == NULL) {
		log_warnx("event log record too long, dropped");
		return;
	}
	len = strlen(text);
	r->buf[len] = '\n';	/* buf has one spare byte past the writer */
	do {
		n = write(evlog_fd, r->buf, len + 1);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && !evlog_failed) {
		evlog_failed = 1;
		log_warn("event log write failed");
	}
}
