/*
 * The frame-aware behaviours at run time: after a 101 that answers an
 * RFC 6455 handshake, each direction with a ws-drop-control or ws-frame
 * behaviour gets a filter (wsfilter.c, pure) that the relay runs the
 * admitted bytes through; each frame it drops or truncates is a
 * "behaviour" event.
 */
#include "config.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "conn.h"
#include "evlog.h"
#include "profile.h"
#include "wsfilter.h"

/* Bytes filtered per pass; the output buffer has the filter's slack. */
#define WSRELAY_CHUNK	(64 * 1024)

void
wsrelay_start(struct conn *c)
{
	const struct profile *p = c->prof;
	size_t i;
	int d;

	for (d = 0; d < 2; d++) {
		unsigned dir = d == 0 ? BHV_DIR_UP : BHV_DIR_DOWN;
		struct wsfilter f;
		int any = 0;

		wsfilter_init(&f);
		for (i = 0; i < p->nbhv; i++) {
			const struct behaviour *b = &p->bhv[i];

			if (!behave_armed(c, i) || !(b->dir & dir))
				continue;
			if (b->kind == BHV_WS_DROP_CONTROL) {
				f.drop_ops |= b->ops;
				any = 1;
			} else if (b->kind == BHV_WS_FRAME && f.nth == 0) {
				f.nth = b->nth;
				f.nth_act = (b->flags & BHV_F_TRUNCATE) ?
				    WSFILTER_TRUNCATE : WSFILTER_DROP;
				f.keep = b->keep;
				any = 1;
			}
		}
		if (!any || (c->wsf[d] = malloc(sizeof(f))) == NULL)
			continue;	/* without memory: unfiltered */
		*c->wsf[d] = f;
	}
}

void
wsrelay_stop(struct conn *c)
{
	free(c->wsf[0]);
	free(c->wsf[1]);
	c->wsf[0] = c->wsf[1] = NULL;
}

static void
wsrelay_log(struct conn *c, int d, const struct wsfilter *f,
    const struct wsfilter_report *rep)
{
	struct evlog_rec r;
	struct jsonw *j;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct wsfilter_event *e = &rep->ev[i];

		j = evlog_begin(&r, "behaviour", c->id);
		jsonw_str(j, "name", bhv_name((f->drop_ops & (1u << e->opcode)) ?
		    BHV_WS_DROP_CONTROL : BHV_WS_FRAME));
		jsonw_str(j, "dir", d == 0 ? "up" : "down");
		jsonw_str(j, "action", wsfilter_act_name(e->act));
		jsonw_str(j, "opcode", wsfilter_opcode_name(e->opcode));
		jsonw_u64(j, "frame", e->frame);
		if (e->data_frame > 0)
			jsonw_u64(j, "data_frame", e->data_frame);
		jsonw_u64(j, "offset", e->offset);
		jsonw_u64(j, "payload_len", e->len);
		if (e->act == WSFILTER_TRUNCATE)
			jsonw_u64(j, "kept", e->kept);
		evlog_commit(&r);
	}
	if (rep->more > 0 || rep->gave_up) {
		j = evlog_begin(&r, "behaviour", c->id);
		jsonw_str(j, "name", "ws-frames");
		jsonw_str(j, "dir", d == 0 ? "up" : "down");
		if (rep->more > 0)
			jsonw_u64(j, "more_frames_not_shown", rep->more);
		if (rep->gave_up)
			jsonw_str(j, "gave_up", "not RFC 6455 frames: "
			    "relayed untouched from here");
		evlog_commit(&r);
	}
}

void
wsrelay_pump(struct side *s, struct evbuffer *in, size_t n)
{
	static uint8_t out[WSRELAY_CHUNK + WSFILTER_SLACK];
	struct conn *c = s->conn;
	int d = s == &c->srv;
	struct wsfilter_report rep;
	size_t k, o;
	uint8_t *p;

	while (n > 0 && c->wsf[d] != NULL) {
		k = n < WSRELAY_CHUNK ? n : WSRELAY_CHUNK;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)k)) == NULL)
			return;
		o = wsfilter_feed(c->wsf[d], p, k, out, &rep);
		evbuffer_drain(in, k);
		n -= k;
		if (o > 0)
			relay_emit(s->peer, out, o);
		if (rep.n > 0 || rep.more > 0 || rep.gave_up)
			wsrelay_log(c, d, c->wsf[d], &rep);
	}
}
