/*
 * Timing behaviours, per direction: latency (with jitter), bandwidth,
 * the slicer and slow close. What behave_admit() lets through does not go
 * straight to the receiving side's output: it waits in the direction's
 * queue, each read stamped with the time it may leave, and a timer
 * releases it in order. Bytes never overtake each other, a FIN waits for
 * the queue, and what waits counts against the flow's buffer bound.
 * Toxiproxy's latency, bandwidth, slicer and slow_close toxics, in a
 * transparent proxy.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "capture.h"
#include "conn.h"
#include "evlog.h"
#include "profile.h"
#include "proxy.h"

/* Bandwidth: at most this much time's worth of bytes goes in one burst. */
#define SHAPE_BURST_US	20000
/* Larger gaps are not worth a timer of their own. */
#define SHAPE_MIN_TICK_US 500

static void shape_release(struct side *);

static uint64_t
shape_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct shape *
shape_of(struct side *to)
{
	return &to->conn->shape[to == &to->conn->cli];
}

static const char *
shape_dir_name(const struct side *to)
{
	return to == &to->conn->srv ? "up" : "down";
}

static struct side *
shape_side(struct conn *c, struct shape *sh)
{
	return sh == &c->shape[0] ? &c->srv : &c->cli;
}

static void
shape_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *to = arg;
	struct shape *sh = shape_of(to);

	sh->timer_set = 0;
	if (to->conn->state != CONN_ST_CLOSED)
		shape_release(to);
}

static void
shape_fin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *to = arg;
	struct shape *sh = shape_of(to);

	sh->fin_ok = 1;
	if (to->conn->state != CONN_ST_CLOSED)
		relay_shape_drained(to);
}

void
shape_start(struct conn *c)
{
	const struct profile *p = c->prof;
	size_t i;
	int d;

	for (d = 0; d < 2; d++) {
		struct shape *sh = &c->shape[d];
		unsigned dir = d == 0 ? BHV_DIR_UP : BHV_DIR_DOWN;
		struct side *to = shape_side(c, sh);

		sh->i_latency = sh->i_rate = sh->i_slice = sh->i_close = -1;
		for (i = 0; i < p->nbhv; i++) {
			const struct behaviour *b = &p->bhv[i];

			if (!behave_armed(c, i) || !(b->dir & dir))
				continue;
			/* The first of each kind counts. */
			if (b->kind == BHV_LATENCY && sh->i_latency < 0)
				sh->i_latency = (int)i;
			else if (b->kind == BHV_BANDWIDTH && sh->i_rate < 0)
				sh->i_rate = (int)i;
			else if (b->kind == BHV_SLICER && sh->i_slice < 0)
				sh->i_slice = (int)i;
			else if (b->kind == BHV_SLOW_CLOSE && sh->i_close < 0)
				sh->i_close = (int)i;
		}
		if (sh->i_close >= 0)
			sh->fin_timer = evtimer_new(c->px->base, shape_fin_cb, to);
		if (sh->i_latency < 0 && sh->i_rate < 0 && sh->i_slice < 0)
			continue;
		sh->q = evbuffer_new();
		sh->timer = evtimer_new(c->px->base, shape_timer_cb, to);
		if (sh->q == NULL || sh->timer == NULL)
			continue;	/* unshaped: better than no flow */
		sh->on = 1;
		sh->refill_us = shape_now_us();
	}
}

void
shape_hold(struct side *to, size_t bytes)
{
	struct shape *sh = shape_of(to);

	if (sh->q == NULL) {
		sh->q = evbuffer_new();
		sh->timer = evtimer_new(to->conn->px->base, shape_timer_cb, to);
		if (sh->q == NULL || sh->timer == NULL)
			return;	/* not held: better than no flow */
		sh->refill_us = shape_now_us();
	}
	sh->on = 1;
	sh->logged = 1;	/* after-101 writes its own event */
	sh->hold = bytes;
}

void
shape_flush(struct conn *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		struct shape *sh = &c->shape[d];

		if (sh->hold > 0 && !sh->flush && sh->q != NULL) {
			sh->flush = 1;
			shape_release(shape_side(c, sh));
		}
	}
}

void
shape_stop(struct conn *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		struct shape *sh = &c->shape[d];

		if (sh->timer != NULL)
			event_free(sh->timer);
		if (sh->fin_timer != NULL)
			event_free(sh->fin_timer);
		if (sh->q != NULL)
			evbuffer_free(sh->q);
		sh->timer = sh->fin_timer = NULL;
		sh->q = NULL;
		sh->on = 0;
	}
}

size_t
shape_queued(const struct side *to)
{
	const struct shape *sh = &to->conn->shape[to == &to->conn->cli];

	return sh->q != NULL ? evbuffer_get_length(sh->q) : 0;
}

/* The first shaped byte in a direction: what will be done to it. */
static void
shape_log_start(struct side *to, struct shape *sh)
{
	struct conn *c = to->conn;
	int idx[3] = { sh->i_latency, sh->i_rate, sh->i_slice };
	struct evlog_rec r;
	struct jsonw *j;
	int k;

	sh->logged = 1;
	for (k = 0; k < 3; k++) {
		const struct behaviour *b;

		if (idx[k] < 0)
			continue;
		b = &c->prof->bhv[idx[k]];
		j = evlog_begin(&r, "behaviour", c->id);
		jsonw_str(j, "name", bhv_name(b->kind));
		jsonw_str(j, "dir", shape_dir_name(to));
		switch (b->kind) {
		case BHV_LATENCY:
			jsonw_u64(j, "delay_ms", b->ms);
			jsonw_u64(j, "jitter_ms", b->jitter_ms);
			break;
		case BHV_BANDWIDTH:
			jsonw_u64(j, "bytes_per_s", b->bytes);
			break;
		default:
			jsonw_u64(j, "slice", b->bytes);
			jsonw_u64(j, "variation", b->variation);
			jsonw_u64(j, "delay_ms", b->ms);
			break;
		}
		jsonw_u64(j, "offset", to->peer->rx);
		evlog_commit(&r);
	}
}

/* Stamps the bytes just queued with the time they may leave. */
static void
shape_stamp(struct conn *c, struct shape *sh, size_t len)
{
	uint64_t due = shape_now_us();
	struct shape_mark *m;

	if (sh->i_latency >= 0) {
		const struct behaviour *b = &c->prof->bhv[sh->i_latency];
		uint64_t ms = b->ms;

		if (b->jitter_ms > 0)
			ms += proxy_random(c->px) % ((uint64_t)b->jitter_ms + 1);
		due += ms * 1000;
	}
	/* Jitter never reorders: a byte leaves no earlier than the last. */
	if (due < sh->last_due_us)
		due = sh->last_due_us;
	sh->last_due_us = due;
	if (sh->mcount == SHAPE_MARKS) {
		/* Out of marks: the newest ones share the last stamp, so the
		 * older bytes among them leave a little late. */
		m = &sh->mark[(sh->mhead + sh->mcount - 1) % SHAPE_MARKS];
		m->len += len;
		m->due_us = due;
		return;
	}
	m = &sh->mark[(sh->mhead + sh->mcount++) % SHAPE_MARKS];
	m->due_us = due;
	m->len = len;
}

void
shape_push(struct side *to, struct evbuffer *from, size_t n)
{
	struct shape *sh = shape_of(to);

	if (n == 0)
		return;
	if (!sh->logged)
		shape_log_start(to, sh);
	if (evbuffer_remove_buffer(from, sh->q, n) != (int)n)
		return;	/* libevent moved less: nothing sane to stamp */
	shape_stamp(to->conn, sh, n);
	shape_release(to);
}

void
shape_push_bytes(struct side *to, const void *p, size_t len)
{
	struct shape *sh = shape_of(to);

	if (len == 0)
		return;
	if (!sh->logged)
		shape_log_start(to, sh);
	if (evbuffer_add(sh->q, p, len) != 0)
		return;
	shape_stamp(to->conn, sh, len);
	shape_release(to);
}

/* Bytes at the head of the queue whose time has come. */
static size_t
shape_due(struct shape *sh, uint64_t now, uint64_t *next)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < sh->mcount; i++) {
		const struct shape_mark *m = &sh->mark[(sh->mhead + i) %
		    SHAPE_MARKS];

		if (m->due_us > now) {
			*next = m->due_us;
			break;
		}
		n += m->len;
	}
	return n;
}

static void
shape_consume(struct shape *sh, size_t n)
{
	while (n > 0 && sh->mcount > 0) {
		struct shape_mark *m = &sh->mark[sh->mhead];

		if (m->len > n) {
			m->len -= n;
			return;
		}
		n -= m->len;
		sh->mhead = (sh->mhead + 1) % SHAPE_MARKS;
		sh->mcount--;
	}
}

/* Sends n bytes of the queue: a write of their own when the output is
 * empty (so that a slice is a segment of its own), else queued. */
static void
shape_emit(struct side *to, struct shape *sh, size_t n, int own_write)
{
	struct evbuffer *out = bufferevent_get_output(to->bev);

	/* A TLS side's bytes go through its filter, never to the socket. */
	if (own_write && !to->tls && evbuffer_get_length(out) == 0) {
		unsigned char buf[4096];
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t w;

		if (evbuffer_copyout(sh->q, buf, k) == (ev_ssize_t)k) {
			do {
				w = write(bufferevent_getfd(to->bev), buf, k);
			} while (w == -1 && errno == EINTR);
			if (w > 0) {
				if (to->conn->cap != NULL)
					capture_tx(to, sh->q, (size_t)w);
				evbuffer_drain(sh->q, (size_t)w);
				shape_consume(sh, (size_t)w);
				n -= (size_t)w;
			}
		}
	}
	if (n > 0) {
		evbuffer_remove_buffer(sh->q, out, n);
		shape_consume(sh, n);
	}
}

static void
shape_arm(struct conn *c, struct shape *sh, uint64_t now, uint64_t when)
{
	uint64_t us = when > now ? when - now : 0;
	struct timeval tv;

	if (us < SHAPE_MIN_TICK_US && when > now)
		us = SHAPE_MIN_TICK_US;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(sh->timer, &tv);
	sh->timer_set = 1;
}

static void
shape_release(struct side *to)
{
	struct conn *c = to->conn;
	struct shape *sh = shape_of(to);
	const struct profile *p = c->prof;
	uint64_t now = shape_now_us(), next = 0;
	size_t avail;

	if (sh->timer_set || sh->q == NULL)
		return;	/* the timer will come back */
	if (to->shut || to->bev == NULL) {
		/* Nobody to deliver to any more. */
		evbuffer_drain(sh->q, evbuffer_get_length(sh->q));
		sh->mcount = 0;
		return;
	}
	if (sh->hold > 0 && !sh->flush) {
		if (evbuffer_get_length(sh->q) < sh->hold)
			return;	/* after-101 buffer: not enough yet */
		sh->hold = 0;	/* enough: from now on bytes flow */
	}
	avail = shape_due(sh, now, &next);
	if (sh->i_rate >= 0 && avail > 0) {
		/* A token bucket counted in millionths of a byte. */
		uint64_t rate = p->bhv[sh->i_rate].bytes;
		uint64_t cap = (rate * SHAPE_BURST_US / 1000000 + 1) * 1000000;
		uint64_t dt = now - sh->refill_us, whole;

		if (dt > 1000000)
			dt = 1000000;
		sh->tokens += dt * rate;
		if (sh->tokens > cap)
			sh->tokens = cap;
		sh->refill_us = now;
		whole = sh->tokens / 1000000;
		if (avail > whole) {
			uint64_t want = (avail < cap / 1000000 ? avail :
			    cap / 1000000) * 1000000 - sh->tokens;
			uint64_t at = now + want / rate + 1;

			if (next == 0 || at < next)
				next = at;
			avail = (size_t)whole;
		}
		sh->tokens -= (uint64_t)avail * 1000000;
	}
	if (sh->i_slice >= 0 && avail > 0) {
		const struct behaviour *b = &p->bhv[sh->i_slice];

		while (avail > 0) {
			size_t n = (size_t)b->bytes;

			if (b->variation > 0) {
				uint64_t v = proxy_random(c->px) %
				    (2 * b->variation + 1);

				n = (size_t)(b->bytes + v - b->variation);
			}
			if (n > avail)
				n = avail;
			shape_emit(to, sh, n, 1);
			sh->slices++;
			avail -= n;
			if (b->ms > 0 && evbuffer_get_length(sh->q) > 0) {
				/* Unspent bandwidth tokens come back. */
				if (sh->i_rate >= 0)
					sh->tokens += (uint64_t)avail * 1000000;
				shape_arm(c, sh, now, now + (uint64_t)b->ms * 1000);
				return;
			}
		}
	} else if (avail > 0)
		shape_emit(to, sh, avail, 0);
	if (evbuffer_get_length(sh->q) > 0) {
		if (next == 0)
			next = now;
		shape_arm(c, sh, now, next);
		return;
	}
	relay_shape_drained(to);
}

int
shape_holds_fin(struct side *to)
{
	struct conn *c = to->conn;
	struct shape *sh = shape_of(to);
	struct evlog_rec r;
	struct jsonw *j;

	if (sh->q != NULL && evbuffer_get_length(sh->q) > 0 && sh->hold > 0 &&
	    !sh->flush) {
		/* Buffered until EOF: this is the EOF. */
		sh->flush = 1;
		shape_release(to);
	}
	if (sh->q != NULL && evbuffer_get_length(sh->q) > 0)
		return 1;
	if (sh->i_close < 0 || sh->fin_ok || sh->fin_timer == NULL)
		return 0;
	if (!sh->fin_started) {
		const struct behaviour *b = &c->prof->bhv[sh->i_close];
		struct timeval tv = {
			.tv_sec = (time_t)(b->ms / 1000),
			.tv_usec = (suseconds_t)(b->ms % 1000) * 1000,
		};

		sh->fin_started = 1;
		evtimer_add(sh->fin_timer, &tv);
		j = evlog_begin(&r, "behaviour", c->id);
		jsonw_str(j, "name", bhv_name(b->kind));
		jsonw_str(j, "dir", shape_dir_name(to));
		jsonw_str(j, "held", "fin");
		jsonw_u64(j, "delay_ms", b->ms);
		evlog_commit(&r);
	}
	return 1;
}
