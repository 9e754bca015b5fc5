/*
 * The byte pump: moves what one side sends into the other side's output,
 * byte for byte, with a bounded buffer per direction (reading stops when
 * the peer's output is full and resumes when it drains to half), half-
 * close propagation (FIN after the peer's output drains) and reset
 * propagation (a reset on one side becomes a reset on the other).
 */
#include "config.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "capture.h"
#include "conn.h"
#include "escape.h"
#include "evlog.h"
#include "log.h"
#include "profile.h"
#include "proxy.h"
#include "sniff.h"

/* What libevent 2.1 reads at most in one call (EVBUFFER_MAX_READ). */
#define RELAY_LIBEVENT_READ	4096
/* Larger single reads than libevent's 16 KiB default: fewer wake-ups. */
#define RELAY_MAX_SINGLE_IO	(256 * 1024)
/* Bytes of the first client data shown in the classify event. */
#define RELAY_PREVIEW		64

static void relay_readcb(struct bufferevent *, void *);
static void relay_pump_from(struct side *, struct evbuffer *);
static void relay_after_sniff(struct conn *);
static void relay_writecb(struct bufferevent *, void *);
static void relay_eventcb(struct bufferevent *, short, void *);

void
relay_classify(struct conn *c, int force)
{
	struct evlog_rec r;
	struct jsonw *j;

	if (c->proto != SNIFF_NEED_MORE)
		return;
	c->proto = sniff_classify(c->sniff, c->sniff_len);
	if (c->proto == SNIFF_NEED_MORE &&
	    (force || c->sniff_len >= sizeof(c->sniff)))
		c->proto = SNIFF_OTHER;
	if (c->proto == SNIFF_NEED_MORE)
		return;
	if (c->proto == SNIFF_TLS) {
		/* Decided now unless a rule waits for the SNI. */
		conn_pick_unless_http(c);
		tlsflow_start(c);
	}
	j = evlog_begin(&r, "classify", c->id);
	jsonw_str(j, "proto", sniff_name(c->proto));
	if (c->proto == SNIFF_TLS)
		jsonw_u64(j, "first_bytes", c->sniff_len);
	else
		jsonw_bytes(j, "preview", c->sniff, c->sniff_len < RELAY_PREVIEW ?
		    c->sniff_len : RELAY_PREVIEW);
	evlog_commit(&r);
}

/* SNIFF: nothing consumed yet, so the input starts at byte 0. */
static void
relay_sniff_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli.bev);
	ev_ssize_t n;

	n = evbuffer_copyout(in, c->sniff, sizeof(c->sniff));
	c->sniff_len = n > 0 ? (size_t)n : 0;
	relay_classify(c, 0);
}

int
relay_side_fd(const struct side *s)
{
	struct bufferevent *u = s->tls ? bufferevent_get_underlying(s->bev) :
	    NULL;

	return bufferevent_getfd(u != NULL ? u : s->bev);
}

size_t
relay_outlen(const struct side *s)
{
	struct bufferevent *u = s->tls ? bufferevent_get_underlying(s->bev) :
	    NULL;

	return evbuffer_get_length(bufferevent_get_output(s->bev)) +
	    (u != NULL ? evbuffer_get_length(bufferevent_get_output(u)) : 0);
}

/* Sends FIN to s now if its output is empty, or once it drains. */
static void
relay_shut(struct side *s)
{
	evutil_socket_t fd;

	if (s->shut)
		return;
	if (shape_holds_fin(s)) {
		/* relay_shape_drained() comes back when it may go. */
		s->shut_pending = 1;
		return;
	}
	/* TLS: close_notify after the last plaintext, then the FIN. */
	if (s->tls)
		tlsflow_close_notify(s);
	if (relay_outlen(s) > 0) {
		s->shut_pending = 1;
		bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
		bufferevent_enable(s->bev, EV_WRITE);
		return;
	}
	s->shut_pending = 0;
	s->shut = 1;
	fd = relay_side_fd(s);
	if (shutdown(fd, SHUT_WR) == -1 && errno != ENOTCONN)
		log_debug("flow %llu: shutdown %s: %s",
		    (unsigned long long)s->conn->id, s->name, strerror(errno));
	if (s->conn->cap != NULL)
		capture_shut(s);
}

static void
relay_check_done(struct conn *c)
{
	if (c->cli.eof && c->srv.eof && c->cli.shut && c->srv.shut)
		conn_close(c, CONN_R_EOF, 0, 0, 0);
}

/* Moves the bytes in `in` (s's input, or what relay_top_up read) to s's
 * peer's output, through the classifier and the behaviours. */
static void
relay_pump_from(struct side *s, struct evbuffer *in)
{
	struct conn *c = s->conn;
	struct evbuffer *out = bufferevent_get_output(s->peer->bev);
	size_t len = evbuffer_get_length(in), admit;

	if (len == 0)
		return;
	if (s == &c->cli && c->proto == SNIFF_NEED_MORE) {
		/* Classify from the bytes as they pass; nothing waits. */
		size_t n = sizeof(c->sniff) - c->sniff_len;
		ev_ssize_t got = evbuffer_copyout(in, c->sniff + c->sniff_len,
		    n < len ? n : len);

		if (got > 0)
			c->sniff_len += (size_t)got;
		relay_classify(c, 0);
	} else if (s == &c->srv && c->proto == SNIFF_NEED_MORE &&
	    c->sniff_len == 0 && c->cli.rx == 0)
		/* The server spoke first: nothing to sniff. */
		relay_classify(c, 1);
	if (c->tls != NULL && (len = tlsflow_pump(s, in, len)) == 0)
		return;	/* held for the ClientHello, or swallowed */
	admit = behave_admit(c, s, len);
	if (admit == SIZE_MAX) {
		/* A blackhole: read and counted, never relayed. */
		s->rx += len;
		evbuffer_drain(in, len);
		return;
	}
	if (c->wsf[s == &c->srv] != NULL) {
		/* Frame-aware behaviours (wsrelay.c), then relay_emit. */
		s->rx += admit;
		wsrelay_pump(s, in, admit);
		admit = len = 0;
	} else if (shape_on(s->peer)) {
		/* Timing behaviours release the bytes (shape.c). */
		s->rx += admit;
		shape_push(s->peer, in, admit);
		admit = len = 0;
	} else if (admit == len && len == evbuffer_get_length(in) &&
	    evbuffer_get_length(out) == 0 && !s->peer->tls &&
	    c->state == CONN_ST_TUNNEL && !c->bhv.end_pending &&
	    !s->peer->shut && !s->peer->shut_pending) {
		/*
		 * Nothing queued: write now, in this turn of the loop, as
		 * haproxy does, instead of waiting for the socket to be
		 * reported writable. What it does not take is queued as
		 * usual; an error is left for the bufferevent to meet.
		 */
		struct evbuffer_iovec v[16];
		int nv = evbuffer_peek(in, (ev_ssize_t)len, NULL, v, 16);
		ssize_t w;

		if (nv > 16)
			nv = 16;
		do {
			w = writev(bufferevent_getfd(s->peer->bev),
			    (struct iovec *)v, nv);
		} while (w == -1 && errno == EINTR);
		if (w > 0) {
			if (c->cap != NULL)
				capture_tx(s->peer, in, (size_t)w);
			s->rx += (size_t)w;
			evbuffer_drain(in, (size_t)w);
			len -= (size_t)w;
			admit = len;
		}
	}
	if (admit < evbuffer_get_length(in)) {
		s->rx += admit;
		if (admit > 0)
			evbuffer_remove_buffer(in, out, admit);
	} else if (len > 0) {
		s->rx += len;
		evbuffer_add_buffer(out, in);
	}
	behave_after_pump(c);
	if (c->state == CONN_ST_CLOSED)
		return;
	if (evbuffer_get_length(out) + shape_queued(s->peer) >= c->bufmax &&
	    !s->paused) {
		/* Backpressure: stop reading until the peer drains to half. */
		s->paused = 1;
		bufferevent_disable(s->bev, EV_READ);
		if (!s->peer->shut_pending)
			bufferevent_setwatermark(s->peer->bev, EV_WRITE,
			    c->bufmax / 2, 0);
	}
}

void
relay_pump(struct side *s)
{
	if (s->conn->state == CONN_ST_CLOSED)
		return;	/* a behaviour ended the flow in this turn */
	relay_pump_from(s, bufferevent_get_input(s->bev));
}

/*
 * libevent 2.1 reads at most 4096 bytes a call (EVBUFFER_MAX_READ), so a
 * bulk stream would cost a wake-up per 4 KiB. In the tunnel we also read
 * what the socket holds ourselves, up to the room the peer's output has
 * left. The bufferevent's input is frozen at its end (only libevent may
 * add to it), so these bytes go through a buffer of our own. An EOF is
 * left for libevent's next read; an error goes to the event callback.
 */
static void
relay_top_up(struct side *s)
{
	static char buf[RELAY_MAX_SINGLE_IO];	/* one thread, one buffer */
	static struct evbuffer *tmp;
	struct conn *c = s->conn;
	struct evbuffer *out = bufferevent_get_output(s->peer->bev);
	size_t have, room;
	ssize_t n;
	int rounds;

	if (tmp == NULL && (tmp = evbuffer_new()) == NULL)
		return;
	for (rounds = 0; rounds < 4; rounds++) {
		have = evbuffer_get_length(out) + shape_queued(s->peer);
		if (c->state != CONN_ST_TUNNEL || s->eof || s->paused ||
		    c->bhv.ending || have >= c->bufmax || tlsflow_holding(c) ||
		    s->tls)
			return;
		room = c->bufmax - have;
		if (room > sizeof(buf))
			room = sizeof(buf);
		do {
			n = read(bufferevent_getfd(s->bev), buf, room);
		} while (n == -1 && errno == EINTR);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
				relay_eventcb(s->bev, BEV_EVENT_READING |
				    BEV_EVENT_ERROR, s);
			return;
		}
		if (c->cap != NULL)
			capture_rx(s, buf, (size_t)n);
		if (evbuffer_add(tmp, buf, (size_t)n) != 0) {
			/* Out of memory: this flow cannot keep its bytes. */
			conn_close(c, s == &c->cli ? CONN_R_CLIENT_ERROR :
			    CONN_R_SERVER_ERROR, ENOMEM, 1, 1);
			return;
		}
		relay_pump_from(s, tmp);
		/* What a behaviour did not admit is not relayed later. */
		evbuffer_drain(tmp, evbuffer_get_length(tmp));
		if ((size_t)n < room)
			return;	/* the socket is empty */
	}
}

void
relay_emit(struct side *to, const void *p, size_t len)
{
	if (shape_on(to))
		shape_push_bytes(to, p, len);
	else
		bufferevent_write(to->bev, p, len);
}

void
relay_shape_drained(struct side *to)
{
	struct conn *c = to->conn;

	if (c->bhv.ending) {
		behave_drained(c);
		return;
	}
	if (to->shut_pending) {
		relay_shut(to);
		relay_check_done(c);
	}
}

void
relay_tunnel(struct conn *c)
{
	/* Not HTTP, or no head: a rule on Host or path cannot match. */
	conn_pick_unless_http(c);
	conn_set_state(c, CONN_ST_TUNNEL);
	relay_pump(&c->cli);
	relay_pump(&c->srv);
	if (c->cli.eof) {
		/* Whatever arrived before the FIN is all there will be. */
		relay_classify(c, 1);
		relay_shut(&c->srv);
	}
	if (c->srv.eof)
		relay_shut(&c->cli);
	relay_check_done(c);
}

static void
relay_readcb(struct bufferevent *bev, void *arg)
{
	struct side *s = arg;
	struct conn *c = s->conn;

	switch (c->state) {
	case CONN_ST_CONNECTING:
		/* Bytes wait in the input buffer; its watermark bounds them. */
		break;
	case CONN_ST_SNIFF:
		if (s == &c->cli)
			relay_sniff_input(c);
		else
			/* The server spoke first: nothing to sniff. */
			relay_classify(c, 1);
		if (c->proto != SNIFF_NEED_MORE)
			relay_after_sniff(c);
		break;
	case CONN_ST_HTTP:
		if (s == &c->cli)
			h1relay_client(c);
		else
			h1relay_server(c);
		break;
	case CONN_ST_TUNNEL: {
		/* A short read means the socket is empty: no top-up. */
		int full = evbuffer_get_length(bufferevent_get_input(bev)) >=
		    RELAY_LIBEVENT_READ;

		relay_pump(s);
		if (full && c->state == CONN_ST_TUNNEL)
			relay_top_up(s);
		break;
	}
	case CONN_ST_INIT:
	case CONN_ST_PROXY_HEAD:	/* explicit.c has its own callbacks */
	case CONN_ST_CLOSED:
	case CONN_ST_MAX:
		break;
	}
}

static void
relay_writecb(struct bufferevent *bev, void *arg)
{
	struct side *s = arg;
	struct conn *c = s->conn;

	if (c->state == CONN_ST_CLOSED)
		return;
	if (c->bhv.ending) {
		behave_drained(c);
		return;
	}
	if (s->peer->paused) {
		s->peer->paused = 0;
		if (!s->shut_pending)
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (!s->peer->eof)
			bufferevent_enable(s->peer->bev, EV_READ);
		/* Input that arrived before the pause may still wait. */
		relay_pump(s->peer);
	}
	if (s->shut_pending && relay_outlen(s) == 0) {
		relay_shut(s);
		relay_check_done(c);
	}
}

static void
relay_connected(struct conn *c)
{
	conn_upstream_connected(c);
	bufferevent_enable(c->srv.bev, EV_READ);
	if (c->xp != NULL && explicit_connected(c))
		return;
	if (!c->prof->needs_sniff && !c->rule_pending) {
		relay_tunnel(c);
		return;
	}
	conn_set_state(c, CONN_ST_SNIFF);
	relay_sniff_input(c);
	if (c->cli.eof)
		relay_classify(c, 1);
	if (c->proto != SNIFF_NEED_MORE)
		relay_after_sniff(c);
}

static void
relay_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct side *s = arg;
	struct conn *c = s->conn;
	int err = EVUTIL_SOCKET_ERROR();

	if (c->state == CONN_ST_CLOSED)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (s->tls)
			tlsflow_handshake(s);
		else
			relay_connected(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (s->tls) {
			tlsflow_error(s);
			err = 0;	/* errno says nothing about TLS */
		}
		if (c->state == CONN_ST_CONNECTING && s == &c->srv) {
			/* A reset, or the explicit proxy's error page. */
			conn_connect_failed(c, err == ECONNREFUSED ?
			    CONN_R_CONNECT_REFUSED : err == ETIMEDOUT ?
			    CONN_R_CONNECT_TIMEOUT : CONN_R_CONNECT_ERROR, err);
			return;
		}
		if (err == ECONNRESET || err == EPIPE)
			conn_close(c, s == &c->cli ? CONN_R_CLIENT_RESET :
			    CONN_R_SERVER_RESET, 0, s != &c->cli, s == &c->cli);
		else
			conn_close(c, s == &c->cli ? CONN_R_CLIENT_ERROR :
			    CONN_R_SERVER_ERROR, err, s != &c->cli,
			    s == &c->cli);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		s->eof = 1;
		if (c->cap != NULL)
			capture_eof(s);
		/* Anything still in the input goes first. */
		relay_readcb(bev, s);
		if (c->state == CONN_ST_CLOSED)
			return;
		if (s == &c->cli && c->state == CONN_ST_TUNNEL)
			relay_classify(c, 1);
		/* While connecting, the bytes still wait unread: the
		 * classification happens when they are relayed. */
		if (c->state == CONN_ST_SNIFF || c->state == CONN_ST_HTTP) {
			/* Nothing more will come to classify or parse: relay
			 * what is there. */
			relay_classify(c, 1);
			relay_tunnel(c);
			return;
		}
		if (c->state == CONN_ST_TUNNEL) {
			relay_shut(s->peer);
			relay_check_done(c);
		}
	}
}

/* HTTP flows of a profile with HTTP behaviours go to h1relay.c. */
static void
relay_after_sniff(struct conn *c)
{
	if (c->proto != SNIFF_HTTP) {
		relay_tunnel(c);
		return;
	}
	conn_set_state(c, CONN_ST_HTTP);
	h1relay_client(c);
	if (c->state == CONN_ST_HTTP)
		h1relay_server(c);
}

void
relay_setup_callbacks(struct conn *c)
{
	size_t hi = c->bufmax;

	bufferevent_setcb(c->cli.bev, relay_readcb, relay_writecb,
	    relay_eventcb, &c->cli);
	bufferevent_setcb(c->srv.bev, relay_readcb, relay_writecb,
	    relay_eventcb, &c->srv);
	bufferevent_set_max_single_read(c->cli.bev, RELAY_MAX_SINGLE_IO);
	bufferevent_set_max_single_read(c->srv.bev, RELAY_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(c->cli.bev, RELAY_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(c->srv.bev, RELAY_MAX_SINGLE_IO);
	/* While the upstream connects, client bytes wait here, bounded. */
	bufferevent_setwatermark(c->cli.bev, EV_READ, 0, hi);
}

void
relay_start(struct conn *c)
{
	bufferevent_enable(c->cli.bev, EV_READ);
}
