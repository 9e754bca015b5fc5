/*
 * The HTTP behaviours at run time, on a flow's first exchange: the
 * request head is parsed (h1.c), rewritten (h1edit.c) or answered by the
 * proxy itself (h1pages.c); bytes after a bodiless request head (hixie-76's
 * key3, an optimistic first frame) are forwarded or dropped; the response
 * head is rewritten, and a 101 may be followed by a close or a reset.
 * After that exchange the flow is a tunnel. Each behaviour that acts
 * writes a "behaviour" event naming what it touched.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "conn.h"
#include "evlog.h"
#include "h1.h"
#include "h1edit.h"
#include "h1pages.h"
#include "profile.h"
#include "proxy.h"

/* The largest head we wait for; past it the flow is relayed opaquely. */
#define H1RELAY_HEAD_MAX	(64 * 1024)
#define H1RELAY_SLACK		4096	/* room for added headers */
/* h1relay_head's own errors, beside h1's negative codes. */
#define H1RELAY_E_LARGE		(-1000)	/* no whole head in H1RELAY_HEAD_MAX */
#define H1RELAY_E_START		(-1001)	/* no message of the kind starts so */


/* Adds "name": ["Upgrade", ...] for the report's actions of one kind. */
static void
h1relay_report(struct jsonw *j, const char *key,
    const struct h1edit_report *rep, enum h1edit_act_kind kind)
{
	char text[1024], tmp[160];
	struct jsonw a;
	size_t i, n = 0, len = 1;

	text[0] = '[';
	for (i = 0; i < rep->nact; i++) {
		if (rep->act[i].kind != kind)
			continue;
		jsonw_init(&a, tmp, sizeof(tmp));
		jsonw_bytes(&a, "", rep->act[i].name, rep->act[i].namelen);
		/* jsonw writes "":"..."; keep the string after the colon. */
		if (jsonw_text(&a) == NULL || len + strlen(tmp) + 2 >= sizeof(text))
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
		    n++ ? "," : "", strchr(tmp, ':') + 1);
	}
	if (n == 0)
		return;
	snprintf(text + len, sizeof(text) - len, "]");
	jsonw_raw(j, key, text);
}

static void
h1relay_event(struct conn *c, const struct behaviour *b, const char *dir,
    const struct h1edit_report *rep, int bytes_before, int bytes_after)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", dir);
	if (rep != NULL) {
		h1relay_report(j, "removed", rep, H1EDIT_A_REMOVED);
		h1relay_report(j, "added", rep, H1EDIT_A_ADDED);
		h1relay_report(j, "renamed", rep, H1EDIT_A_RENAMED);
		h1relay_report(j, "changed", rep, H1EDIT_A_VALUE);
		h1relay_report(j, "moved", rep, H1EDIT_A_MOVED);
		h1relay_report(j, "version", rep, H1EDIT_A_VERSION);
	}
	if (bytes_before >= 0) {
		jsonw_i64(j, "head_bytes_before", bytes_before);
		jsonw_i64(j, "head_bytes_after", bytes_after);
	}
	evlog_commit(&r);
}

/* The proxy answers the upgrade itself (a Squid, HAProxy or plain page). */
static int
h1relay_reject(struct conn *c, const char *head, const struct h1_head *h)
{
	const struct behaviour *b = behave_find(c, BHV_REJECT_UPGRADE,
	    BHV_DIR_UP);
	enum h1_ws ws = h1_head_ws_kind(h, head);
	char page[8192], reason[64];
	struct evlog_rec r;
	struct jsonw *j;
	ssize_t n;
	int key_ok;

	if (b == NULL || ws == H1_WS_NONE)
		return 0;
	if (b->flags & BHV_F_NO_KEY_ONLY) {
		/* HAProxy 2.4+: an RFC 6455 request needs its 16-byte key. */
		int k = h1_header_find(h, head, "Sec-WebSocket-Key", 0);

		key_ok = ws != H1_WS_HYBI ||
		    (k >= 0 && h->hdr[k].value.len == 24);
		if (key_ok)
			return 0;
	}
	snprintf(reason, sizeof(reason), "%s", b->status == 400 ? "Bad Request" :
	    b->status == 403 ? "Forbidden" : b->status == 501 ?
	    "Not Implemented" : b->status == 502 ? "Bad Gateway" : "Error");
	if (b->page == BHV_PAGE_SQUID)
		n = h1pages_squid(page, sizeof(page), b->status, reason,
		    b->status == 403 ? "ERR_ACCESS_DENIED" : "ERR_INVALID_REQ",
		    "NONE", "proxysim", NULL);
	else if (b->page == BHV_PAGE_HAPROXY)
		n = h1pages_haproxy_400(page, sizeof(page));
	else {
		static const char *const hdrs[] = { "Content-Type: text/plain",
		    "Connection: close", NULL };
		char start[96], body[96];

		snprintf(start, sizeof(start), "HTTP/1.1 %d %s", b->status, reason);
		snprintf(body, sizeof(body), "%d %s\n", b->status, reason);
		n = h1edit_build(page, sizeof(page), start, hdrs, body,
		    strlen(body));
	}
	if (n < 0)
		return 0;
	bufferevent_write(c->cli.bev, page, (size_t)n);
	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", "up");
	jsonw_str(j, "websocket", h1_ws_name(ws));
	jsonw_i64(j, "status", b->page == BHV_PAGE_HAPROXY ? 400 : b->status);
	jsonw_u64(j, "answer_bytes", (uint64_t)n);
	jsonw_bool(j, "server_contacted", 0);
	evlog_commit(&r);
	/* The request was read, and goes nowhere. */
	c->cli.rx += evbuffer_get_length(bufferevent_get_input(c->cli.bev));
	evbuffer_drain(bufferevent_get_input(c->cli.bev),
	    evbuffer_get_length(bufferevent_get_input(c->cli.bev)));
	behave_end(c, CONN_R_REJECTED, 0);
	return 1;
}

/* A header-add line with {date} as the proxy's clock (RFC 9110 5.6.7). */
static void
h1relay_expand(char *out, size_t cap, const char *line)
{
	const char *d = strstr(line, "{date}");
	char date[40];
	struct tm tm;
	time_t now;

	if (d == NULL) {
		snprintf(out, cap, "%s", line);
		return;
	}
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		date[0] = '\0';
	snprintf(out, cap, "%.*s%s%s", (int)(d - line), line, date, d + 6);
}

/*
 * Rewrites one head with the armed behaviours of direction dir into out.
 * Returns the new length, or -1 (then the head goes out unchanged).
 */
static ssize_t
h1relay_rewrite(struct conn *c, const char *head, const struct h1_head *h,
    unsigned dir, char *out, size_t cap)
{
	const char *dname = dir == BHV_DIR_UP ? "up" : "down";
	const struct behaviour *b;
	const char *add[4];
	char xff[96], ip[ADDR_STRLEN];
	struct h1edit e;
	struct h1edit_revalue revalue;
	char hlines[PROFILE_MAX_BHV][160], hdrop[PROFILE_MAX_BHV][64];
	const char *hfirst[PROFILE_MAX_BHV + 1], *hend[PROFILE_MAX_BHV + 1];
	const char *hdrops[PROFILE_MAX_BHV + 1];
	struct h1edit_report rep;
	struct h1_head h2;
	char *src;
	size_t nadd = 0;
	ssize_t n;
	int acted = 0, resp;

	/* Cneonction first: in place, so offsets and the byte sum hold. */
	memcpy(out, head, h->len);
	n = h->len;
	if ((b = behave_find(c, BHV_CNEONCTION, dir)) != NULL) {
		int k = h1edit_rename_inplace(out, h, "Connection", b->to);

		if (k > 0) {
			struct evlog_rec r;
			struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

			jsonw_str(j, "name", bhv_name(b->kind));
			jsonw_str(j, "dir", dname);
			jsonw_str(j, "renamed", "Connection");
			jsonw_str(j, "to", b->to);
			jsonw_i64(j, "headers", k);
			jsonw_bool(j, "length_preserved", 1);
			evlog_commit(&r);
		}
	}
	memset(&e, 0, sizeof(e));
	/* On the way down they act on a final answer other than a 101: the
	 * proxy's own hop-by-hop headers replace the server's. */
	resp = h->kind == H1_RESPONSE && h->status >= 200;
	if ((b = behave_find(c, BHV_STRIP_HOP, dir)) != NULL &&
	    h->kind == H1_REQUEST) {
		e.flags |= (b->flags & BHV_F_UPGRADE_ONLY) ? H1EDIT_STRIP_UPGRADE :
		    (b->flags & BHV_F_TOKEN_ONLY) ? H1EDIT_STRIP_UPGRADE_TOKEN :
		    H1EDIT_STRIP_HOP;
		if (b->flags & BHV_F_HOST_LAST)
			e.flags |= H1EDIT_HOST_LAST;
		if (b->via[0] != '\0')
			e.via = b->via;
		if (b->flags & BHV_F_XFF) {
			char *colon;

			addr_format((struct sockaddr *)&c->client, ip, sizeof(ip));
			if ((colon = strrchr(ip, ':')) != NULL)
				*colon = '\0';
			snprintf(xff, sizeof(xff), "X-Forwarded-For: %s",
			    ip[0] == '[' ? ip + 1 : ip);
			if (ip[0] == '[')
				xff[strlen(xff) - 1] = '\0';
			add[nadd++] = xff;
		}
		/* Squid's default refresh_pattern: no caching for a URL
		 * with a query (socket.io's, say), and it says so. */
		if ((b->flags & BHV_F_SQUID_REFRESH) &&
		    h1edit_squid_nocache(h, head))
			add[nadd++] = "Cache-Control: max-age=0";
		else if (b->add[0] != '\0')
			add[nadd++] = b->add;
		if (b->conn[0] != '\0')
			e.connection = b->conn;
	} else if (b != NULL && resp && h->status != 101) {
		/* Squid: Via and its own Connection on the answer too. */
		e.flags |= H1EDIT_STRIP_HOP;
		if (b->via[0] != '\0')
			e.via = b->via;
		e.connection = c->h1.cli_close ? "close" : "keep-alive";
	}
	if (b != NULL && (h->kind == H1_REQUEST || (resp && h->status != 101))) {
		if (b->flags & BHV_F_NORMALIZE)
			e.flags |= H1EDIT_NORMALIZE;
		if (b->flags & BHV_F_SQUID_NAMES)
			e.canon = h1edit_squid_names;
	}
	if ((b = behave_find(c, BHV_HTTP10, dir)) != NULL &&
	    h->kind == H1_REQUEST) {
		e.flags |= H1EDIT_HTTP10;
		if (b->flags & BHV_F_NGINX)
			e.flags |= H1EDIT_HOP_NGINX | H1EDIT_HOST_FIRST;
	} else if (b != NULL && resp && h->status != 101) {
		/* nginx answers its client with its own Connection. */
		e.flags |= H1EDIT_STRIP_HOP;
		if (b->flags & BHV_F_NGINX)
			e.flags |= H1EDIT_HOP_NGINX;
		e.connection = c->h1.cli_close ? "close" : "keep-alive";
	}
	if (b != NULL && (b->flags & BHV_F_NORMALIZE) &&
	    (h->kind == H1_REQUEST || (resp && h->status != 101)))
		e.flags |= H1EDIT_NORMALIZE;
	if ((b = behave_find(c, BHV_HDR_LOWER, dir)) != NULL)
		e.flags |= (b->flags & BHV_F_VALUES) ? H1EDIT_LOWER_VALUES :
		    H1EDIT_LOWER_NAMES;
	/* header-add: the proxy's own lines, on requests going up and on
	 * answers (the 101 too) coming down. */
	if (h->kind == H1_REQUEST || h->status >= 200 || h->status == 101) {
		size_t nf = 0, ne = 0, nd = 0;

		for (size_t i = 0; i < c->prof->nbhv; i++) {
			const struct behaviour *hb = &c->prof->bhv[i];

			if (hb->kind != BHV_HEADER_ADD || !(hb->dir & dir) ||
			    !behave_armed(c, i))
				continue;
			char *line = hlines[nf + ne];

			h1relay_expand(line, sizeof(hlines[0]), hb->add);
			if (hb->flags & BHV_F_FIRST)
				hfirst[nf++] = line;
			else
				hend[ne++] = line;
			if (hb->flags & BHV_F_REPLACE) {
				size_t l = strcspn(hb->add, ":");

				snprintf(hdrop[nd], sizeof(hdrop[0]), "%.*s", (int)l,
				    hb->add);
				hdrops[nd] = hdrop[nd];
				nd++;
			}
		}
		hfirst[nf] = hend[ne] = hdrops[nd] = NULL;
		if (nf > 0)
			e.first = hfirst;
		if (ne > 0)
			e.before_via = hend;
		if (nd > 0)
			e.drop_names = hdrops;
	}
	if ((b = behave_find(c, BHV_HDR_CANON, dir)) != NULL) {
		if (!(b->flags & BHV_F_VALUES))
			e.flags |= H1EDIT_CANON_WORDS;
		if (b->to[0] != '\0') {
			revalue.name = "Upgrade";
			revalue.value = "websocket";
			revalue.to = b->to;
			e.revalues = &revalue;
			e.nrevalues = 1;
		}
	}
	if (behave_find(c, BHV_CONN_MERGE, dir) != NULL)
		e.flags |= H1EDIT_MERGE_DUPS | H1EDIT_CONN_MULTI;
	add[nadd] = NULL;
	if (nadd > 0)
		e.add = add;
	if (e.flags == 0 && e.via == NULL && e.add == NULL &&
	    e.connection == NULL && e.canon == NULL && e.nrevalues == 0 &&
	    e.first == NULL && e.before_via == NULL)
		return n;
	/* Parse the (possibly renamed) copy, then edit from it; the report
	 * points into the copy, so it lives until the events are written. */
	if ((src = malloc(h->len)) == NULL)
		return n;
	memcpy(src, out, h->len);
	if (h1_parse_head(src, h->len, h->kind, &h2) != (int)h->len) {
		free(src);
		return n;
	}
	n = h1edit_apply(out, cap, src, &h2, &e, &rep);
	if (n < 0) {
		free(src);
		memcpy(out, head, h->len);
		return h->len;
	}
	/* One event per behaviour that took part, each with the report. */
	for (size_t i = 0; i < c->prof->nbhv; i++) {
		b = &c->prof->bhv[i];
		if (!behave_armed(c, i) || !(b->dir & dir))
			continue;
		if (b->kind == BHV_STRIP_HOP || b->kind == BHV_HTTP10 ||
		    b->kind == BHV_HDR_LOWER || b->kind == BHV_HDR_CANON ||
		    b->kind == BHV_HEADER_ADD ||
		    b->kind == BHV_CONN_MERGE) {
			if ((b->kind == BHV_STRIP_HOP || b->kind == BHV_HTTP10) &&
			    h->kind != H1_REQUEST && (!resp || h->status == 101))
				continue;
			h1relay_event(c, b, dname, acted++ ? NULL : &rep,
			    (int)h->len, (int)n);
		}
	}
	free(src);
	return n;
}

/* Writes a rewritten head in place of the original at the input's start. */
static int
h1relay_forward_head(struct conn *c, struct side *from, const char *head,
    const struct h1_head *h, unsigned dir)
{
	size_t cap = h->len + H1RELAY_SLACK;
	char *out = malloc(cap);
	ssize_t n;

	if (out == NULL)
		return -1;
	n = h1relay_rewrite(c, head, h, dir, out, cap);
	relay_emit(from->peer, out, (size_t)n);
	free(out);
	from->rx += h->len;
	evbuffer_drain(bufferevent_get_input(from->bev), h->len);
	return 0;
}

/* What an h1relay_head error says in the event log. */
static const char *
h1relay_strerror(int rc)
{
	if (rc == H1RELAY_E_LARGE)
		return "head too large";
	if (rc == H1RELAY_E_START)
		return "no message starts so";
	return h1_strerror(-rc);
}

/* A head we cannot parse: say so, and relay the flow opaquely. */
static void
h1relay_give_up(struct conn *c, const char *side, int rc)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "http_error", c->id);

	jsonw_str(j, "side", side);
	jsonw_str(j, "error", h1relay_strerror(rc));
	jsonw_str(j, "then", "relayed opaquely");
	evlog_commit(&r);
	relay_tunnel(c);
}

/* Parses a head at the start of s's input: >0 its length, 0 wait, <0 an
 * h1 error or H1RELAY_E_*. */
static int
h1relay_head(struct side *s, enum h1_kind kind, struct h1_head *h,
    char **headp)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t len = evbuffer_get_length(in);
	size_t n = len < H1RELAY_HEAD_MAX ? len : H1RELAY_HEAD_MAX;
	int rc;

	if (n == 0)
		return 0;
	*headp = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
	rc = h1_parse_head_max(*headp, n, H1RELAY_HEAD_MAX, kind, h);
	if (rc == 0 && n == H1RELAY_HEAD_MAX)
		return H1RELAY_E_LARGE;
	/* The parser waits for a whole line; a proxy knows sooner that a
	 * frame or hixie-76's key3 starts no message. */
	if (rc == 0 && !h1_may_start(*headp, n, kind))
		return H1RELAY_E_START;
	return rc;
}

/* The server never answered the held request: the proxy's own 504. */
static void
h1relay_hold_expired(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evlog_rec r;
	struct jsonw *j;
	char page[2048];
	ssize_t n;

	if (c->state == CONN_ST_CLOSED || !c->h1.holding)
		return;
	n = h1pages_nginx(page, sizeof(page), 504, NULL);
	if (n > 0)
		bufferevent_write(c->cli.bev, page, (size_t)n);
	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(BHV_UNDECLARED_BODY));
	jsonw_str(j, "dir", "up");
	jsonw_str(j, "timer", "hold");
	jsonw_u64(j, "held", evbuffer_get_length(
	    bufferevent_get_input(c->cli.bev)));
	jsonw_i64(j, "status", 504);
	evlog_commit(&r);
	c->h1.holding = 0;
	behave_end(c, CONN_R_GATEWAY_TIMEOUT, 0);
}

void
h1relay_stop(struct conn *c)
{
	if (c->h1.hold_timer != NULL)
		event_free(c->h1.hold_timer);
	if (c->h1.after_timer != NULL)
		event_free(c->h1.after_timer);
	c->h1.hold_timer = c->h1.after_timer = NULL;
}

/* after-101 after=N: the connection lived N after the 101. */
static void
h1relay_after_expired(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const struct behaviour *b = behave_find(c, BHV_AFTER_101, BHV_DIR_BOTH);
	struct evlog_rec r;
	struct jsonw *j;

	if (c->state == CONN_ST_CLOSED || b == NULL)
		return;
	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "timer", "after_101");
	jsonw_u64(j, "after_ms", b->ms);
	jsonw_str(j, "action", (b->flags & BHV_F_RESET) ? "rst" : "fin");
	evlog_commit(&r);
	behave_end(c, CONN_R_AFTER_101, (b->flags & BHV_F_RESET) != 0);
}

/*
 * Bytes from `from` that the proxy cannot take for a message (rc, an h1
 * error as h1relay_head gives it)
 * get its own answer (Squid's 400 up, nginx's 502 down), an event, and
 * the end of the flow; what was read goes nowhere.
 */
static void
h1relay_refuse(struct conn *c, struct side *from, enum bhv_kind kind,
    const char *action, int rc, enum conn_reason reason)
{
	struct evbuffer *in = bufferevent_get_input(from->bev);
	size_t n = evbuffer_get_length(in);
	int up = from == &c->cli;
	struct evlog_rec r;
	struct jsonw *j;
	char page[4096];
	ssize_t pn;

	pn = up ? h1pages_squid_400(page, sizeof(page), "proxysim", NULL) :
	    h1pages_nginx(page, sizeof(page), 502, NULL);
	if (pn > 0)
		relay_emit(&c->cli, page, (size_t)pn);
	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(kind));
	jsonw_str(j, "dir", up ? "up" : "down");
	jsonw_str(j, "action", action);
	jsonw_str(j, "error", h1relay_strerror(rc));
	jsonw_u64(j, "offset", from->rx);
	jsonw_u64(j, "bytes", n);
	jsonw_i64(j, "status", up ? 400 : 502);
	evlog_commit(&r);
	from->rx += n;
	evbuffer_drain(in, n);
	behave_end(c, reason, 0);
}

/*
 * undeclared-body next: what followed a bodiless request head is taken
 * for the next request. Bytes that cannot start one (hixie-76's key3)
 * get the proxy's 400 and the flow ends; a request waits its turn.
 */
static void
h1relay_next_request(struct conn *c)
{
	struct h1_head *h;
	char *head;
	int rc;

	if ((h = malloc(sizeof(*h))) == NULL)
		return;
	rc = h1relay_head(&c->cli, H1_REQUEST, h, &head);
	free(h);
	if (rc >= 0)
		return;	/* more to come, or a request: it waits its turn */
	c->h1.holding = 0;
	h1relay_refuse(c, &c->cli, BHV_UNDECLARED_BODY, "next", rc,
	    CONN_R_REJECTED);
}

/*
 * undeclared-body dir=down: what the server sends after the 101 head,
 * before the client speaks again (hixie-76's 16-byte answer), belongs
 * to no message a proxy knows of: dropped, or parsed as the next
 * response, which it is not: nginx's 502.
 */
static void
h1relay_resp_extra(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->srv.bev);
	size_t n = evbuffer_get_length(in);

	if (n > 0 && !c->h1.resp_next) {
		c->srv.rx += n;
		c->bhv.dropped[1] += n;
		evbuffer_drain(in, n);
	} else if (n > 0) {
		struct h1_head *h = malloc(sizeof(*h));
		char *head;
		int rc;

		if (h == NULL)
			return;
		rc = h1relay_head(&c->srv, H1_RESPONSE, h, &head);
		free(h);
		if (rc == 0)
			return;
		if (rc > 0) {
			/* A response after all: relayed as it comes. */
			c->h1.resp_extra = 0;
			relay_tunnel(c);
			return;
		}
		c->h1.resp_extra = 0;
		h1relay_refuse(c, &c->srv, BHV_UNDECLARED_BODY, "next", rc,
		    CONN_R_BAD_GATEWAY);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_input(c->cli.bev)) > 0) {
		c->h1.resp_extra = 0;
		relay_tunnel(c);
	}
}

/* What the proxy does after forwarding a 101; 0 if it just tunnels. */
static int
h1relay_after_101(struct conn *c, const struct behaviour *b)
{
	struct evlog_rec r;
	struct jsonw *j;
	const char *action = (b->flags & BHV_F_BUFFER) ? "buffer" :
	    (b->flags & BHV_F_KEEP_HTTP) ? "http" :
	    (b->flags & BHV_F_RESET) ? "rst" : "fin";

	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", b->dir == BHV_DIR_UP ? "up" : b->dir ==
	    BHV_DIR_DOWN ? "down" : "both");
	jsonw_str(j, "action", action);
	if (b->flags & BHV_F_BUFFER)
		jsonw_u64(j, "bytes", b->bytes);
	else if (b->flags & BHV_F_ON_DATA)
		jsonw_str(j, "when", "first data");
	else if (b->ms > 0)
		jsonw_u64(j, "after_ms", b->ms);
	else if (!(b->flags & BHV_F_KEEP_HTTP))
		jsonw_u64(j, "held_back", evbuffer_get_length(
		    bufferevent_get_input(c->srv.bev)));
	evlog_commit(&r);
	if (b->flags & BHV_F_BUFFER) {
		if (b->dir & BHV_DIR_UP)
			shape_hold(&c->srv, (size_t)b->bytes);
		if (b->dir & BHV_DIR_DOWN)
			shape_hold(&c->cli, (size_t)b->bytes);
		return 0;
	}
	if (b->flags & BHV_F_KEEP_HTTP) {
		/* The next request, then its response: the server's frames
		 * wait unread meanwhile. */
		c->h1.keep_http = 1;
		c->h1.req_done = 0;
		c->h1.resp_done = 0;
		bufferevent_disable(c->srv.bev, EV_READ);
		h1relay_client(c);
		return 1;
	}
	if (b->flags & BHV_F_ON_DATA) {
		c->h1.kill_on_data = 1;
		return 0;
	}
	if (b->ms > 0) {
		struct timeval tv = { b->ms / 1000, (b->ms % 1000) * 1000 };

		c->h1.after_timer = evtimer_new(c->px->base,
		    h1relay_after_expired, c);
		if (c->h1.after_timer != NULL)
			evtimer_add(c->h1.after_timer, &tv);
		return 0;
	}
	behave_end(c, CONN_R_AFTER_101, (b->flags & BHV_F_RESET) != 0);
	return 1;
}

void
h1relay_client(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->cli.bev);
	const struct behaviour *b;
	struct h1_head *h;
	char *head;
	int rc;
	int64_t cl = 0;

	if (c->h1.resp_extra) {
		/* The client spoke: the server's bytes flow again. */
		if (evbuffer_get_length(in) > 0) {
			c->h1.resp_extra = 0;
			relay_tunnel(c);
		}
		return;
	}
	if (c->h1.req_done) {
		if (c->h1.holding) {
			if (c->h1.next_req)
				h1relay_next_request(c);
			return;	/* bytes wait in the input, bounded */
		}
		if (c->h1.dropping) {
			size_t n = evbuffer_get_length(in);

			c->cli.rx += n;
			c->bhv.dropped[0] += n;
			evbuffer_drain(in, n);
			return;
		}
		relay_pump(&c->cli);
		return;
	}
	if ((h = malloc(sizeof(*h))) == NULL)
		return;
	rc = h1relay_head(&c->cli, H1_REQUEST, h, &head);
	if (rc == 0) {
		free(h);
		return;
	}
	if (rc < 0) {
		free(h);
		if (c->h1.keep_http)
			/* after-101 http: the proxy never saw the upgrade and
			 * takes a frame for the next request. */
			h1relay_refuse(c, &c->cli, BHV_AFTER_101, "http", rc,
			    CONN_R_REJECTED);
		else
			h1relay_give_up(c, "client", rc);
		return;
	}
	if (c->rule_pending) {
		/* A rule on Host or path decides now, before any behaviour. */
		int hi = h1_header_find(h, head, "Host", 0);
		struct rules_flow f = {
			.http = 1,
			.tls = 0,
			.host = hi >= 0 ? head + h->hdr[hi].value.off : NULL,
			.hostlen = hi >= 0 ? h->hdr[hi].value.len : 0,
			.target = head + h->target.off,
			.targetlen = h->target.len,
		};

		conn_pick_profile(c, &f);
	}
	c->h1.req_done = 1;
	if (c->h1.keep_http)
		bufferevent_enable(c->srv.bev, EV_READ);
	c->h1.is_head = h->meth == H1_M_HEAD;
	c->h1.cli_close = h1edit_wants_close(h, head) != 0;
	if (h1relay_reject(c, head, h)) {
		free(h);
		return;
	}
	/* A request that declares no body: what follows is undeclared. */
	if (h1_content_length(h, head, &cl) <= 0 && cl == 0 &&
	    h1_transfer_coding(h, head) == H1_TE_NONE &&
	    (b = behave_find(c, BHV_UNDECLARED_BODY, BHV_DIR_UP)) != NULL &&
	    (b->flags & (BHV_F_DROP | BHV_F_HOLD | BHV_F_NEXT))) {
		size_t extra = evbuffer_get_length(in) - h->len;
		struct evlog_rec r;
		struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

		jsonw_str(j, "name", bhv_name(b->kind));
		jsonw_str(j, "dir", "up");
		jsonw_str(j, "action", (b->flags & BHV_F_DROP) ? "drop" :
		    (b->flags & BHV_F_NEXT) ? "next" : "hold");
		jsonw_u64(j, "offset", c->cli.rx + h->len);
		jsonw_u64(j, "bytes_now", extra);
		jsonw_str(j, "until", "the response head");
		if (b->flags & (BHV_F_HOLD | BHV_F_NEXT))
			jsonw_u64(j, "timeout_ms", b->ms);
		evlog_commit(&r);
		if (b->flags & BHV_F_DROP)
			c->h1.dropping = 1;
		else {
			/* HAProxy 2010 and nginx: a GET has no body, so what
			 * follows waits for the next request: key3 never
			 * reaches a server that waits for it. */
			struct timeval tv = { b->ms / 1000, (b->ms % 1000) * 1000 };

			c->h1.holding = 1;
			c->h1.next_req = (b->flags & BHV_F_NEXT) != 0;
			c->h1.hold_timer = evtimer_new(c->px->base,
			    h1relay_hold_expired, c);
			if (c->h1.hold_timer != NULL)
				evtimer_add(c->h1.hold_timer, &tv);
		}
	}
	if (h1relay_forward_head(c, &c->cli, head, h, BHV_DIR_UP) != 0) {
		free(h);
		return;
	}
	free(h);
	h1relay_client(c);	/* what followed the head */
}

void
h1relay_server(struct conn *c)
{
	const struct behaviour *b;
	struct h1_head *h;
	char *head;
	int rc, status, hybi;

	if (c->h1.resp_extra && !c->bhv.ending) {
		h1relay_resp_extra(c);
		return;
	}
	if (c->h1.resp_done || !c->h1.req_done || c->bhv.ending)
		return;
	if ((h = malloc(sizeof(*h))) == NULL)
		return;
	for (;;) {
		rc = h1relay_head(&c->srv, H1_RESPONSE, h, &head);
		if (rc == 0) {
			free(h);
			return;
		}
		if (rc < 0) {
			free(h);
			h1relay_give_up(c, "server", rc);
			return;
		}
		status = h->status;
		/* Frames are RFC 6455's only after its 101 (not hixie's). */
		hybi = status == 101 &&
		    h1_header_find(h, head, "Sec-WebSocket-Accept", 0) >= 0;
		if (h1relay_forward_head(c, &c->srv, head, h, BHV_DIR_DOWN) != 0)
			break;
		/* 100 Continue and friends: the final answer follows. */
		if (status >= 100 && status < 200 && status != 101)
			continue;
		c->h1.resp_done = 1;
		c->h1.dropping = 0;
		/* The answer came: what was held goes on (relay_tunnel). */
		c->h1.holding = 0;
		h1relay_stop(c);
		if (hybi)
			wsrelay_start(c);
		if (status == 101 &&
		    (b = behave_find(c, BHV_UNDECLARED_BODY, BHV_DIR_DOWN)) != NULL &&
		    (b->flags & (BHV_F_DROP | BHV_F_NEXT))) {
			struct evlog_rec r;
			struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

			jsonw_str(j, "name", bhv_name(b->kind));
			jsonw_str(j, "dir", "down");
			jsonw_str(j, "action", (b->flags & BHV_F_DROP) ? "drop" :
			    "next");
			jsonw_u64(j, "offset", c->srv.rx);
			jsonw_u64(j, "bytes_now", evbuffer_get_length(
			    bufferevent_get_input(c->srv.bev)));
			jsonw_str(j, "until", "the client's next bytes");
			evlog_commit(&r);
			c->h1.resp_extra = 1;
			c->h1.resp_next = (b->flags & BHV_F_NEXT) != 0;
			h1relay_resp_extra(c);
			break;
		}
		if (status == 101 && !c->h1.keep_http &&
		    (b = behave_find(c, BHV_AFTER_101, BHV_DIR_BOTH)) != NULL &&
		    h1relay_after_101(c, b))
			break;
		relay_tunnel(c);
		break;
	}
	free(h);
}
