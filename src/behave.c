/*
 * The profile's behaviours at run time: timers (idle timeout counted on
 * payload bytes only, maximum lifetime), byte budgets (reset or close
 * after N bytes) and the blackhole. Every behaviour that acts writes a
 * "behaviour" event saying what it touched. The parameters come from
 * profile.c, which is pure; this file is the I/O side.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "evlog.h"
#include "log.h"
#include "profile.h"
#include "proxy.h"

/* RFC 6455 5.5.1: an unmasked close frame, code 1001 "going away". */
static const unsigned char behave_close1001[] = { 0x88, 0x02, 0x03, 0xe9 };

static const char *
behave_dir_name(unsigned dir)
{
	return dir == BHV_DIR_UP ? "up" : dir == BHV_DIR_DOWN ? "down" : "both";
}

static struct jsonw *
behave_event(struct evlog_rec *r, struct conn *c, const struct behaviour *b)
{
	struct jsonw *j = evlog_begin(r, "behaviour", c->id);

	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", behave_dir_name(b->dir));
	return j;
}

static void
behave_timeval(struct conn *c, const struct behaviour *b, struct timeval *tv)
{
	uint64_t ms = b->ms;

	if (b->jitter_ms > 0)
		ms += proxy_random(c->px) % ((uint64_t)b->jitter_ms + 1);
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* Ends the flow once both outputs have drained (what was admitted is
 * delivered first), with a reset or a FIN. */
int
behave_armed(const struct conn *c, size_t i)
{
	return (c->bhv.armed & (1u << i)) != 0;
}

uint32_t
behave_open_delay(struct conn *c)
{
	const struct profile *p = c->prof;
	struct timeval tv;
	struct evlog_rec r;
	struct jsonw *j;
	uint32_t ms;
	size_t i;

	for (i = 0; i < p->nbhv; i++)
		if (p->bhv[i].kind == BHV_SLOW_OPEN && behave_armed(c, i))
			break;
	if (i == p->nbhv)
		return 0;
	behave_timeval(c, &p->bhv[i], &tv);
	ms = (uint32_t)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
	j = behave_event(&r, c, &p->bhv[i]);
	jsonw_u64(j, "delay_ms", ms);
	jsonw_str(j, "held", "connect");
	evlog_commit(&r);
	return ms;
}

const struct behaviour *
behave_find(const struct conn *c, enum bhv_kind k, unsigned dir)
{
	size_t i;

	for (i = 0; i < c->prof->nbhv; i++)
		if (c->prof->bhv[i].kind == k && (c->prof->bhv[i].dir & dir) &&
		    behave_armed(c, i))
			return &c->prof->bhv[i];
	return NULL;
}

void
behave_end(struct conn *c, enum conn_reason reason, int rst)
{
	if (c->bhv.ending)
		return;
	c->bhv.ending = 1;
	c->bhv.end_reason = reason;
	c->bhv.end_rst = rst;
	bufferevent_disable(c->cli.bev, EV_READ);
	if (c->srv.bev != NULL)
		bufferevent_disable(c->srv.bev, EV_READ);
	/* Fire the write callbacks when each output is empty. */
	bufferevent_setwatermark(c->cli.bev, EV_WRITE, 0, 0);
	if (c->srv.bev != NULL)
		bufferevent_setwatermark(c->srv.bev, EV_WRITE, 0, 0);
	/* What after-101 buffers goes out now (it may end the flow). */
	shape_flush(c);
	behave_drained(c);
}

void
behave_drained(struct conn *c)
{
	if (!c->bhv.ending || c->state == CONN_ST_CLOSED)
		return;
	if (relay_outlen(&c->cli) > 0 ||
	    shape_queued(&c->cli) > 0 || shape_queued(&c->srv) > 0)
		return;
	if (c->srv.bev != NULL && c->state != CONN_ST_CONNECTING &&
	    relay_outlen(&c->srv) > 0)
		return;
	conn_close(c, c->bhv.end_reason, 0, c->bhv.end_rst, c->bhv.end_rst);
}

static void
behave_timer_fired(struct conn *c, int idx, enum conn_reason reason)
{
	const struct behaviour *b = &c->prof->bhv[idx];
	struct evlog_rec r;
	struct jsonw *j;

	if (c->state == CONN_ST_CLOSED)
		return;
	j = behave_event(&r, c, b);
	jsonw_str(j, "timer", reason == CONN_R_IDLE_TIMEOUT ? "idle" :
	    "lifetime");
	jsonw_u64(j, "after_ms", b->ms);
	jsonw_str(j, "action", bhv_action_name(b->action));
	evlog_commit(&r);
	switch (b->action) {
	case BHV_ACT_RST:
		behave_end(c, reason, 1);
		break;
	case BHV_ACT_WSCLOSE:
		/* What a WebSocket-aware proxy going away sends the client. */
		relay_emit(&c->cli, behave_close1001,
		    sizeof(behave_close1001));
		behave_end(c, reason, 0);
		break;
	case BHV_ACT_FIN:
		behave_end(c, reason, 0);
		break;
	}
}

static void
behave_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	behave_timer_fired(c, c->bhv.idle_bhv, CONN_R_IDLE_TIMEOUT);
}

static void
behave_life_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	size_t i;

	for (i = 0; i < c->prof->nbhv; i++)
		if (c->prof->bhv[i].kind == BHV_MAX_LIFETIME &&
		    (c->bhv.armed & (1u << i)))
			break;
	if (i < c->prof->nbhv)
		behave_timer_fired(c, (int)i, CONN_R_MAX_LIFETIME);
}

void
behave_start(struct conn *c)
{
	const struct profile *p = c->prof;
	struct timeval tv;
	struct evlog_rec r;
	struct jsonw *j;
	size_t i;

	for (i = 0; i < p->nbhv; i++) {
		const struct behaviour *b = &p->bhv[i];

		if (b->p_ppm < 1000000 &&
		    proxy_random(c->px) % 1000000 >= b->p_ppm) {
			j = behave_event(&r, c, b);
			jsonw_bool(j, "armed", 0);
			jsonw_double(j, "p", b->p_ppm / 1e6, 6);
			evlog_commit(&r);
			continue;
		}
		c->bhv.armed |= 1u << i;
		switch (b->kind) {
		case BHV_IDLE_TIMEOUT:
			if (c->bhv.idle_timer != NULL)
				break;	/* the first one counts */
			c->bhv.idle_bhv = (int)i;
			c->bhv.idle_timer = evtimer_new(c->px->base,
			    behave_idle_cb, c);
			if (c->bhv.idle_timer != NULL) {
				behave_timeval(c, b, &tv);
				evtimer_add(c->bhv.idle_timer, &tv);
			}
			break;
		case BHV_MAX_LIFETIME:
			if (c->bhv.life_timer != NULL)
				break;
			c->bhv.life_timer = evtimer_new(c->px->base,
			    behave_life_cb, c);
			if (c->bhv.life_timer != NULL) {
				behave_timeval(c, b, &tv);
				evtimer_add(c->bhv.life_timer, &tv);
			}
			break;
		default:
			break;	/* byte budgets act in behave_admit, HTTP in h1relay.c */
		}
	}
	shape_start(c);
}

size_t
behave_admit(struct conn *c, struct side *s, size_t len)
{
	const struct profile *p = c->prof;
	unsigned dir = s == &c->cli ? BHV_DIR_UP : BHV_DIR_DOWN;
	/* Bytes relayed so far in this direction (read minus dropped). */
	uint64_t sofar = s->rx - c->bhv.dropped[dir == BHV_DIR_DOWN];
	size_t i, admit = len;
	struct evlog_rec r;
	struct jsonw *j;

	if (c->bhv.ending)
		return 0;
	if (c->h1.kill_on_data && len > 0) {
		/* after-101 on=data: the first frame goes nowhere. */
		for (i = 0; i < p->nbhv; i++)
			if (p->bhv[i].kind == BHV_AFTER_101 && behave_armed(c, i))
				break;
		c->h1.kill_on_data = 0;
		j = evlog_begin(&r, "behaviour", c->id);
		jsonw_str(j, "name", bhv_name(BHV_AFTER_101));
		jsonw_str(j, "dir", behave_dir_name(dir));
		jsonw_str(j, "when", "first data");
		jsonw_u64(j, "offset", sofar);
		jsonw_u64(j, "held_back", len);
		i = i < p->nbhv ? i : 0;
		jsonw_str(j, "action", (p->bhv[i].flags & BHV_F_RESET) ?
		    "rst" : "fin");
		evlog_commit(&r);
		c->bhv.end_pending = 1;
		c->bhv.end_reason = CONN_R_AFTER_101;
		c->bhv.end_rst = (p->bhv[i].flags & BHV_F_RESET) != 0;
		return 0;
	}
	for (i = 0; i < p->nbhv; i++) {
		const struct behaviour *b = &p->bhv[i];

		if (!(c->bhv.armed & (1u << i)) || !(b->dir & dir))
			continue;
		switch (b->kind) {
		case BHV_BLACKHOLE:
			if (c->bhv.dropped[dir == BHV_DIR_DOWN] == 0) {
				j = behave_event(&r, c, b);
				jsonw_str(j, "dropping", behave_dir_name(dir));
				jsonw_u64(j, "offset", sofar);
				evlog_commit(&r);
			}
			c->bhv.dropped[dir == BHV_DIR_DOWN] += len;
			return SIZE_MAX;	/* the caller drains it all */
		case BHV_RESET_AFTER:
		case BHV_LIMIT_DATA:
			/* Counted per direction over what was relayed. */
			if (sofar + admit >= b->bytes) {
				admit = sofar >= b->bytes ? 0 :
				    (size_t)(b->bytes - sofar);
				j = behave_event(&r, c, b);
				jsonw_u64(j, "limit", b->bytes);
				jsonw_u64(j, "relayed", sofar + admit);
				jsonw_u64(j, "held_back", len - admit);
				jsonw_str(j, "action", b->kind == BHV_RESET_AFTER ?
				    "rst" : "fin");
				evlog_commit(&r);
				/* The admitted bytes go out first. */
				c->bhv.end_pending = 1;
				c->bhv.end_reason = b->kind == BHV_RESET_AFTER ?
				    CONN_R_RESET_AFTER : CONN_R_LIMIT_DATA;
				c->bhv.end_rst = b->kind == BHV_RESET_AFTER;
				return admit;
			}
			break;
		default:
			break;
		}
	}
	if (admit > 0 && c->bhv.idle_timer != NULL &&
	    (p->bhv[c->bhv.idle_bhv].dir & dir)) {
		/* Only payload restarts the idle clock, never keepalives. */
		struct timeval tv;

		behave_timeval(c, &p->bhv[c->bhv.idle_bhv], &tv);
		evtimer_add(c->bhv.idle_timer, &tv);
	}
	return admit;
}

void
behave_after_pump(struct conn *c)
{
	if (!c->bhv.end_pending)
		return;
	c->bhv.end_pending = 0;
	behave_end(c, c->bhv.end_reason, c->bhv.end_rst);
}

void
behave_stop(struct conn *c)
{
	if (c->bhv.idle_timer != NULL)
		event_free(c->bhv.idle_timer);
	if (c->bhv.life_timer != NULL)
		event_free(c->bhv.life_timer);
	c->bhv.idle_timer = c->bhv.life_timer = NULL;
	shape_stop(c);
	wsrelay_stop(c);
}
