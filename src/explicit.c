/*
 * The explicit proxy: a client that was configured to use proxysimd
 * sends it a request head (CONNECT host:port, or an absolute-form
 * GET http://... or ws://...). This file reads that head (bounded in
 * size and time), applies the profile's policies (connect-ports,
 * proxy-auth, connect-reply), resolves the target with evdns and hands
 * the flow to conn_connect(). From there it is a flow like a transparent
 * one: after the 200 to CONNECT, or with the request line rewritten to
 * origin-form, the classifier, the HTTP behaviours and the relay apply.
 * Refusals, bad requests and failed connects get the proxy's own answer.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "addr.h"
#include "conn.h"
#include "evlog.h"
#include "h1.h"
#include "h1edit.h"
#include "h1pages.h"
#include "log.h"
#include "profile.h"
#include "proxy.h"
#include "pxreq.h"

#define EXPLICIT_HEAD_MAX	(64 * 1024)	/* then 431, as Squid */
#define EXPLICIT_MAX_REQUESTS	16	/* refused requests on one connection */
#define EXPLICIT_PAGE_MAX	8192
#define EXPLICIT_LINGER_S	2	/* reading after an answer that closes */

/*
 * A lookup's own memory: evdns runs a cancelled lookup's callback later,
 * when the flow may be gone, so the callback gets this and frees it.
 */
struct xproxy_dns {
	struct conn		*c;		/* NULL once cancelled */
	struct evdns_getaddrinfo_request *q;
	int			 done;		/* the callback ran */
};

struct xproxy {
	struct event		*timer;		/* the head, then DNS */
	struct xproxy_dns	*dns;
	struct sockaddr_storage	 local;		/* the listener's address */
	struct pxreq		 req;
	unsigned		 nreq;		/* requests read so far */
	int			 resolving;
	int			 lingering;	/* answered; closing softly */
	enum conn_reason	 linger_reason;
	int			 drop_auth;	/* credentials were for us */
	int			 page;		/* BHV_PAGE_* of the answers */
	struct timeval		 t_req;		/* the head was complete */
};

static void explicit_readcb(struct bufferevent *, void *);
static void explicit_writecb(struct bufferevent *, void *);
static void explicit_eventcb(struct bufferevent *, short, void *);
static void explicit_timeout(evutil_socket_t, short, void *);
static void explicit_cancel_dns(struct conn *);

static uint64_t
explicit_ms_since(const struct timeval *t0)
{
	struct timeval now, d;

	gettimeofday(&now, NULL);
	timersub(&now, t0, &d);
	return (uint64_t)d.tv_sec * 1000 + (uint64_t)d.tv_usec / 1000;
}

static const char *
explicit_reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 407: return "Proxy Authentication Required";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	case 508: return "Loop Detected";
	}
	return "Error";
}

/*
 * The proxy's own answer: Squid's page when the policy says so, else a
 * short plain page saying what happened (text is ours, never wire bytes).
 * With keep the connection stays open for another request.
 */
static void
explicit_answer(struct conn *c, int status, int squid, const char *extra,
    const char *text, int keep)
{
	char page[EXPLICIT_PAGE_MAX], start[96], body[512];
	const char *hdrs[6];
	size_t n = 0;
	ssize_t len;

	if (squid)
		len = h1pages_squid_ex(page, sizeof(page), status,
		    explicit_reason(status), status == 407 ?
		    "ERR_CACHE_ACCESS_DENIED" : status == 403 ?
		    "ERR_ACCESS_DENIED" : "ERR_INVALID_REQ", "NONE",
		    "proxysim", NULL, extra);
	else {
		snprintf(start, sizeof(start), "HTTP/1.1 %d %s", status,
		    explicit_reason(status));
		snprintf(body, sizeof(body), "%d %s\nproxysim: %s\n", status,
		    explicit_reason(status), text);
		hdrs[n++] = "Server: proxysim";
		if (extra != NULL)
			hdrs[n++] = extra;
		hdrs[n++] = "Content-Type: text/plain";
		hdrs[n++] = keep ? "Connection: keep-alive" : "Connection: close";
		hdrs[n] = NULL;
		len = h1edit_build(page, sizeof(page), start, hdrs, body,
		    strlen(body));
	}
	if (len > 0)
		bufferevent_write(c->cli.bev, page, (size_t)len);
}

static void
explicit_error_event(struct conn *c, int status, const char *error)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "proxy_error", c->id);

	jsonw_i64(j, "status", status);
	jsonw_str(j, "error", error);
	evlog_commit(&r);
}

/* Reads and drops what the client still sends after our last answer. */
static void
explicit_discard(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli.bev);
	size_t n = evbuffer_get_length(in);

	c->cli.rx += n;
	evbuffer_drain(in, n);
}

/*
 * After an answer that ends the flow, close as a careful server does
 * (RFC 9112 9.6): FIN once the answer is out, then read and drop until
 * the client closes or EXPLICIT_LINGER_S pass. Closing with unread
 * bytes would send a reset that can destroy the answer in flight (a
 * client still sending its 80 KiB head, say).
 */
static void
explicit_linger(struct conn *c, enum conn_reason reason)
{
	struct xproxy *xp = c->xp;
	struct timeval tv = { EXPLICIT_LINGER_S, 0 };

	explicit_cancel_dns(c);
	xp->resolving = 0;
	xp->lingering = 1;
	xp->linger_reason = reason;
	if (xp->timer == NULL &&
	    (xp->timer = evtimer_new(c->px->base, explicit_timeout, c)) == NULL) {
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return;
	}
	evtimer_add(xp->timer, &tv);
	bufferevent_setcb(c->cli.bev, explicit_readcb, explicit_writecb,
	    explicit_eventcb, c);
	bufferevent_setwatermark(c->cli.bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->cli.bev, EV_READ | EV_WRITE);
	explicit_discard(c);
	explicit_writecb(c->cli.bev, c);
}

/* A request we will not serve: answer, then the flow ends. */
static void
explicit_fail(struct conn *c, int status, const char *error,
    enum conn_reason reason)
{
	explicit_error_event(c, status, error);
	explicit_answer(c, status, 0, NULL, error, 0);
	explicit_linger(c, reason);
}

static void
explicit_arm_timer(struct conn *c)
{
	struct timeval tv = {
		.tv_sec = c->px->cfg.connect_timeout_ms / 1000,
		.tv_usec = (c->px->cfg.connect_timeout_ms % 1000) * 1000,
	};

	if (c->xp->timer != NULL)
		evtimer_add(c->xp->timer, &tv);
}

static void
explicit_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct xproxy *xp = c->xp;

	if (c->state == CONN_ST_CLOSED)
		return;
	if (xp->lingering) {
		conn_close(c, xp->linger_reason, 0, 0, 0);
		return;
	}
	if (c->state != CONN_ST_PROXY_HEAD || c->bhv.ending)
		return;
	if (xp->resolving) {
		struct evlog_rec r;
		struct jsonw *j = evlog_begin(&r, "upstream", c->id);

		jsonw_str(j, "host", xp->req.host);
		jsonw_u64(j, "port", xp->req.port);
		jsonw_str(j, "result", "resolve_timeout");
		jsonw_u64(j, "ms", explicit_ms_since(&xp->t_req));
		jsonw_i64(j, "status", 504);
		evlog_commit(&r);
		explicit_answer(c, 504, 0, NULL, "the target's name did not "
		    "resolve in time", 0);
		explicit_linger(c, CONN_R_RESOLVE_FAILED);
		return;
	}
	/* A silent client: Squid answers nothing either. */
	explicit_error_event(c, 0, evbuffer_get_length(bufferevent_get_input(
	    c->cli.bev)) > 0 ? "incomplete request head" : "no request");
	conn_close(c, CONN_R_HEAD_TIMEOUT, 0, 0, 0);
}

static void
explicit_log_request(struct conn *c, const char *head, const struct h1_head *h,
    int err)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "proxy_request", c->id);

	jsonw_bytes(j, "method", head + h->method.off, h->method.len);
	jsonw_bytes(j, "target", head + h->target.off, h->target.len);
	jsonw_str(j, "form", pxreq_form_name(c->xp->req.form));
	if (err == PXREQ_E_NONE) {
		jsonw_str(j, "host", c->xp->req.host);
		jsonw_u64(j, "port", c->xp->req.port);
	} else
		jsonw_str(j, "error", pxreq_strerror(err));
	jsonw_u64(j, "request", c->xp->nreq);
	evlog_commit(&r);
}

static void
explicit_policy_event(struct conn *c, const struct behaviour *b,
    const char *action, int status, const char *detail_key,
    const char *detail)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", "up");
	jsonw_str(j, "action", action);
	if (status > 0)
		jsonw_i64(j, "status", status);
	if (detail_key != NULL)
		jsonw_str(j, detail_key, detail);
	jsonw_str(j, "target", c->xp->req.host);
	jsonw_u64(j, "port", c->xp->req.port);
	evlog_commit(&r);
}

/*
 * A refusal the client may follow with another request on the same
 * connection (407 before credentials, Squid's 403 with keep-alive),
 * unless the request has a body we would have to skip, or asked to close.
 */
static int
explicit_keepalive(const char *head, const struct h1_head *h)
{
	int64_t cl = 0;

	if (h->minor < 1 || h1_header_has_token(h, head, "Connection", "close"))
		return 0;
	if (h1_content_length(h, head, &cl) != 0 || cl != 0 ||
	    h1_transfer_coding(h, head) != H1_TE_NONE)
		return 0;
	return 1;
}

/* After a refusal: the next request, or the end. */
static void
explicit_refused(struct conn *c, size_t headlen, int keep)
{
	struct evbuffer *in = bufferevent_get_input(c->cli.bev);

	/* Not counted in cli.rx: a tunnel may follow on this connection. */
	evbuffer_drain(in, headlen);
	if (!keep || c->xp->nreq >= EXPLICIT_MAX_REQUESTS) {
		explicit_linger(c, CONN_R_REJECTED);
		return;
	}
	explicit_arm_timer(c);
	if (evbuffer_get_length(in) > 0)
		explicit_readcb(c->cli.bev, c);
}

/* The profile's policies: 1 if the request was answered here. */
static int
explicit_policies(struct conn *c, const char *head, const struct h1_head *h)
{
	struct xproxy *xp = c->xp;
	const struct behaviour *b;
	char hdr[200], cred[130];
	int keep = explicit_keepalive(head, h), rc;

	if (xp->req.form == PXREQ_CONNECT &&
	    (b = behave_find(c, BHV_CONNECT_PORTS, BHV_DIR_BOTH)) != NULL) {
		struct portlist pl;
		const char *err;

		if (addr_parse_ports(b->ports, &pl, &err) == 0 &&
		    !addr_port_in(&pl, xp->req.port)) {
			/* Squid: http_access deny CONNECT !SSL_ports. */
			explicit_policy_event(c, b, "deny", 403, "allowed",
			    b->ports);
			explicit_answer(c, 403, b->page == BHV_PAGE_SQUID, NULL,
			    "CONNECT to this port is not allowed", keep);
			explicit_refused(c, h->len, keep);
			return 1;
		}
	}
	if ((b = behave_find(c, BHV_PROXY_AUTH, BHV_DIR_BOTH)) != NULL) {
		if (b->flags & (BHV_F_NTLM | BHV_F_NEGOTIATE)) {
			/* Challenge only: no answer ever satisfies it. */
			const char *scheme = (b->flags & BHV_F_NTLM) ? "NTLM" :
			    "Negotiate";

			snprintf(hdr, sizeof(hdr), "Proxy-Authenticate: %s",
			    scheme);
			explicit_policy_event(c, b, "challenge", 407,
			    "credentials", h1_header_find(h, head,
			    "Proxy-Authorization", 0) >= 0 ? "ignored" : "absent");
			explicit_answer(c, 407, b->page == BHV_PAGE_SQUID, hdr,
			    "proxy authentication required", keep);
			explicit_refused(c, h->len, keep);
			return 1;
		}
		snprintf(cred, sizeof(cred), "%s:%s", b->user, b->pass);
		rc = pxreq_basic_check(head, h, cred);
		explicit_bzero(cred, sizeof(cred));
		if (rc != 1) {
			snprintf(hdr, sizeof(hdr),
			    "Proxy-Authenticate: Basic realm=\"%s\"", b->realm);
			explicit_policy_event(c, b, "challenge", 407,
			    "credentials", rc == 0 ? "absent" : "wrong");
			explicit_answer(c, 407, b->page == BHV_PAGE_SQUID, hdr,
			    "proxy authentication required", keep);
			explicit_refused(c, h->len, keep);
			return 1;
		}
		explicit_policy_event(c, b, "accept", 0, "credentials", "right");
		xp->drop_auth = 1;
	}
	return 0;
}

static void explicit_resolve(struct conn *);

/* A complete request head at the start of the client's input. */
static void
explicit_request(struct conn *c, const char *head, const struct h1_head *h)
{
	struct xproxy *xp = c->xp;
	struct evbuffer *in = bufferevent_get_input(c->cli.bev);
	enum pxreq_err e;
	char *out;
	ssize_t n;

	xp->nreq++;
	e = pxreq_parse(head, h, &xp->req);
	explicit_log_request(c, head, h, e);
	if (e != PXREQ_E_NONE) {
		explicit_fail(c, 400, pxreq_strerror(e), CONN_R_BAD_REQUEST);
		return;
	}
	if (explicit_policies(c, head, h))
		return;
	if (xp->req.form == PXREQ_CONNECT) {
		/* The head was for us; the tunnel starts after it. It is
		 * not counted: cli.rx is the offset in the relayed stream
		 * (the TLS and HTTP engines depend on it). */
		evbuffer_drain(in, h->len);
	} else {
		/* Origin-form, as a real proxy forwards it (RFC 9112 3.2.1). */
		if ((out = malloc(h->len + 1)) == NULL) {
			conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
			return;
		}
		n = pxreq_origin_form(out, h->len + 1, head, h, &xp->req,
		    xp->drop_auth);
		if (n < 0 || evbuffer_drain(in, h->len) != 0 ||
		    evbuffer_prepend(in, out, (size_t)n) != 0) {
			free(out);
			conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
			return;
		}
		free(out);
	}
	gettimeofday(&xp->t_req, NULL);
	explicit_resolve(c);
}

static void
explicit_readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct h1_head *h;
	size_t len = evbuffer_get_length(in), n;
	char *head;
	int rc;

	if (c->state == CONN_ST_CLOSED)
		return;
	if (c->xp->lingering) {
		explicit_discard(c);
		return;
	}
	if (c->state != CONN_ST_PROXY_HEAD || c->xp->resolving ||
	    c->bhv.ending || len == 0)
		return;
	n = len < EXPLICIT_HEAD_MAX ? len : EXPLICIT_HEAD_MAX;
	if ((h = malloc(sizeof(*h))) == NULL) {
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return;
	}
	head = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
	rc = h1_parse_head_max(head, n, EXPLICIT_HEAD_MAX, H1_REQUEST, h);
	if (rc == 0 && n < EXPLICIT_HEAD_MAX) {
		free(h);
		return;		/* wait for the rest, within the timer */
	}
	if (rc == 0 || rc == -H1_E_TOO_BIG || rc == -H1_E_TOO_MANY) {
		free(h);
		/* Squid 5.7 answers an 80 KiB head so. */
		explicit_fail(c, 431, "request head too large",
		    CONN_R_BAD_REQUEST);
		return;
	}
	if (rc < 0) {
		free(h);
		explicit_fail(c, 400, h1_strerror(rc), CONN_R_BAD_REQUEST);
		return;
	}
	if (c->xp->timer != NULL)
		evtimer_del(c->xp->timer);
	explicit_request(c, head, h);
	free(h);
}

static void
explicit_writecb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_ST_CLOSED)
		return;
	if (c->xp->lingering) {
		if (c->cli.shut || evbuffer_get_length(
		    bufferevent_get_output(bev)) > 0)
			return;
		c->cli.shut = 1;
		(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
		if (c->cli.eof)
			conn_close(c, c->xp->linger_reason, 0, 0, 0);
		return;
	}
	if (c->bhv.ending)
		behave_drained(c);
}

static void
explicit_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (c->state == CONN_ST_CLOSED)
		return;
	if (c->xp->lingering) {
		/* The answer is out or lost; nothing more to wait for. */
		if (what & BEV_EVENT_EOF) {
			c->cli.eof = 1;
			explicit_discard(c);
			if (!c->cli.shut)
				return;	/* the FIN follows the answer */
		}
		conn_close(c, c->xp->linger_reason, 0, 0, 0);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		conn_close(c, err == ECONNRESET || err == EPIPE ?
		    CONN_R_CLIENT_RESET : CONN_R_CLIENT_ERROR,
		    err == ECONNRESET || err == EPIPE ? 0 : err, 0, 0);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->cli.eof = 1;
		/* A whole request may have come with the FIN. */
		explicit_readcb(bev, c);
		if (c->state != CONN_ST_PROXY_HEAD || c->bhv.ending ||
		    c->xp->resolving)
			return;
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			explicit_error_event(c, 0, "incomplete request head");
		conn_close(c, CONN_R_EOF, 0, 0, 0);
	}
}

/* Is the target our own listener? Connecting would loop forever. */
static int
explicit_is_loop(const struct conn *c)
{
	const struct sockaddr *t = (const struct sockaddr *)&c->server;
	const struct sockaddr *l = (const struct sockaddr *)&c->xp->local;
	struct sockaddr_storage a = c->server, b = c->xp->local;

	if (addr_port(t) != addr_port(l))
		return 0;
	if (t->sa_family == AF_INET &&
	    (ntohl(((const struct sockaddr_in *)t)->sin_addr.s_addr) >> 24) ==
	    127)
		return 1;
	if (t->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(
	    &((const struct sockaddr_in6 *)t)->sin6_addr))
		return 1;
	addr_unmap(&a);
	addr_unmap(&b);
	return a.ss_family == b.ss_family &&
	    memcmp(&a, &b, addr_len((struct sockaddr *)&a)) == 0;
}

static void
explicit_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct xproxy_dns *d = arg;
	struct conn *c = d->c;
	struct xproxy *xp;
	struct evlog_rec r;
	struct jsonw *j;
	char a[ADDR_STRLEN];

	d->done = 1;
	if (c == NULL) {
		/* Cancelled: the flow no longer knows this lookup. */
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		free(d);
		return;
	}
	xp = c->xp;
	xp->dns = NULL;
	free(d);
	if (result == EVUTIL_EAI_CANCEL || c->state != CONN_ST_PROXY_HEAD) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	xp->resolving = 0;
	if (xp->timer != NULL)
		evtimer_del(xp->timer);
	if (result != 0 || ai == NULL) {
		int status = result == EVUTIL_EAI_AGAIN ? 504 : 502;

		j = evlog_begin(&r, "upstream", c->id);
		jsonw_str(j, "host", xp->req.host);
		jsonw_u64(j, "port", xp->req.port);
		jsonw_str(j, "result", "unresolvable");
		jsonw_str(j, "error", evutil_gai_strerror(result));
		jsonw_u64(j, "ms", explicit_ms_since(&xp->t_req));
		jsonw_i64(j, "status", status);
		evlog_commit(&r);
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		explicit_answer(c, status, 0, NULL, "the target's name does "
		    "not resolve", 0);
		explicit_linger(c, CONN_R_RESOLVE_FAILED);
		return;
	}
	memset(&c->server, 0, sizeof(c->server));
	memcpy(&c->server, ai->ai_addr, ai->ai_addrlen <= sizeof(c->server) ?
	    ai->ai_addrlen : sizeof(c->server));
	evutil_freeaddrinfo(ai);
	addr_unmap(&c->server);
	if (addr_port((struct sockaddr *)&c->server) != xp->req.port) {
		/* evdns fills the port from the hints' service; make sure. */
		if (c->server.ss_family == AF_INET)
			((struct sockaddr_in *)&c->server)->sin_port =
			    htons(xp->req.port);
		else
			((struct sockaddr_in6 *)&c->server)->sin6_port =
			    htons(xp->req.port);
	}
	j = evlog_begin(&r, "upstream", c->id);
	jsonw_str(j, "host", xp->req.host);
	jsonw_str(j, "server", addr_format((struct sockaddr *)&c->server, a,
	    sizeof(a)));
	jsonw_str(j, "result", "resolved");
	jsonw_u64(j, "ms", explicit_ms_since(&xp->t_req));
	evlog_commit(&r);
	if (explicit_is_loop(c)) {
		explicit_fail(c, 508, "the target is this proxy itself",
		    CONN_R_NOT_REDIRECTED);
		return;
	}
	explicit_stop(c);
	conn_connect(c);
}

/* Resolves the target: IP literals and /etc/hosts at once, else DNS. */
static void
explicit_resolve(struct conn *c)
{
	struct xproxy *xp = c->xp;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *q;
	struct xproxy_dns *d;
	char port[8];

	if (c->px->dns == NULL) {
		explicit_fail(c, 502, "no resolver", CONN_R_RESOLVE_FAILED);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)xp->req.port);
	/* Bytes that follow wait unread, bounded, until the connect. */
	bufferevent_disable(c->cli.bev, EV_READ);
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return;
	}
	d->c = c;
	xp->dns = d;
	xp->resolving = 1;
	explicit_arm_timer(c);
	/* The callback may run before this returns (literals, /etc/hosts);
	 * then d is gone and the flow has moved on. */
	q = evdns_getaddrinfo(c->px->dns, xp->req.host, port, &hints,
	    explicit_resolved, d);
	if (q != NULL && xp->dns == d)
		d->q = q;
}

static void
explicit_cancel_dns(struct conn *c)
{
	struct xproxy *xp = c->xp;
	struct xproxy_dns *d;

	if ((d = xp->dns) != NULL) {
		xp->dns = NULL;
		d->c = NULL;	/* its callback frees it */
		if (d->q != NULL)
			evdns_getaddrinfo_cancel(d->q);
	}
}

void
explicit_stop(struct conn *c)
{
	struct xproxy *xp = c->xp;

	if (xp == NULL)
		return;
	if (xp->timer != NULL)
		event_free(xp->timer);
	xp->timer = NULL;
	explicit_cancel_dns(c);
	xp->resolving = 0;
}

void
explicit_accept(struct proxy *px, int fd, const struct sockaddr *sa, int salen)
{
	struct conn *c;
	struct xproxy *xp;
	struct sockaddr_storage local;

	if ((c = conn_new(px, fd, sa, salen, &local)) == NULL)
		return;
	if ((xp = calloc(1, sizeof(*xp))) == NULL) {
		c->xp = NULL;
		conn_log_open(c, (struct sockaddr *)&local);
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return;
	}
	c->xp = xp;
	xp->local = local;
	addr_unmap(&xp->local);
	conn_log_open(c, (struct sockaddr *)&local);
	conn_set_state(c, CONN_ST_PROXY_HEAD);
	xp->timer = evtimer_new(px->base, explicit_timeout, c);
	if (xp->timer == NULL) {
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return;
	}
	/* Policies with a probability are drawn now, before the request. */
	behave_start(c);
	bufferevent_setcb(c->cli.bev, explicit_readcb, explicit_writecb,
	    explicit_eventcb, c);
	explicit_arm_timer(c);
	bufferevent_enable(c->cli.bev, EV_READ);
}

int
explicit_connected(struct conn *c)
{
	const struct behaviour *b = behave_find(c, BHV_CONNECT_REPLY, BHV_DIR_BOTH);
	struct evlog_rec r;
	struct jsonw *j;
	char reply[160];
	int n;

	j = evlog_begin(&r, "upstream", c->id);
	jsonw_str(j, "host", c->xp->req.host);
	jsonw_u64(j, "port", c->xp->req.port);
	jsonw_str(j, "result", "connected");
	jsonw_u64(j, "ms", explicit_ms_since(&c->xp->t_req));
	evlog_commit(&r);
	if (c->xp->req.form != PXREQ_CONNECT)
		return 0;	/* the rewritten request goes on as HTTP */
	if (b != NULL && (b->flags & BHV_F_HTTP10))
		n = snprintf(reply, sizeof(reply),
		    "HTTP/1.0 200 Connection established\r\n%s%s%s\r\n",
		    b->agent[0] != '\0' ? "Proxy-agent: " : "", b->agent,
		    b->agent[0] != '\0' ? "\r\n" : "");
	else
		/* Squid's exact answer: no header at all. */
		n = snprintf(reply, sizeof(reply),
		    "HTTP/1.1 200 Connection established\r\n\r\n");
	bufferevent_write(c->cli.bev, reply, (size_t)n);
	if (b == NULL)
		return 0;
	explicit_policy_event(c, b, (b->flags & BHV_F_RESET) ? "reset" :
	    (b->flags & BHV_F_HTTP10) ? "http10" : "http11", 200,
	    (b->flags & BHV_F_OPAQUE) ? "tunnel" : NULL, "opaque");
	if (b->flags & BHV_F_RESET) {
		behave_end(c, CONN_R_CONNECT_RESET, 1);
		return 1;
	}
	if (b->flags & BHV_F_OPAQUE) {
		relay_tunnel(c);
		return 1;
	}
	return 0;
}

void
explicit_connect_failed(struct conn *c, enum conn_reason reason, int err)
{
	struct evlog_rec r;
	struct jsonw *j;
	char a[ADDR_STRLEN];
	int status = reason == CONN_R_CONNECT_TIMEOUT ? 504 : 502;

	j = evlog_begin(&r, "upstream", c->id);
	jsonw_str(j, "host", c->xp->req.host);
	jsonw_str(j, "server", addr_format((struct sockaddr *)&c->server, a,
	    sizeof(a)));
	jsonw_str(j, "result", conn_reason_name(reason));
	if (err != 0)
		jsonw_str(j, "error", strerror(err));
	jsonw_u64(j, "ms", explicit_ms_since(&c->xp->t_req));
	jsonw_i64(j, "status", status);
	evlog_commit(&r);
	/* No more events from a socket that never connected. */
	if (c->srv.bev != NULL)
		bufferevent_free(c->srv.bev);
	c->srv.bev = NULL;
	if (c->connect_timer != NULL)
		event_free(c->connect_timer);
	c->connect_timer = NULL;
	explicit_answer(c, status, 0, NULL, status == 504 ?
	    "the target did not answer in time" :
	    "the target refused or could not be reached", 0);
	/* What the client sent for the target goes nowhere. */
	explicit_linger(c, reason);
}
