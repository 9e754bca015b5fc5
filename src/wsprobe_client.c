/*
 * wsprobe's client: connects (directly, through a CONNECT tunnel, or with
 * an absolute-form GET to a proxy), shakes hands, sends messages and
 * checks their echoes, and ends in one classified result whose exit
 * status is part of wsprobe's interface (wsprobe(1)).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "json.h"
#include "wsprobe.h"

struct wsprobe_run {
	const struct wsprobe_copts *o;
	struct ws_url	 url;
	struct ws_url	 proxy;
	struct wsprobe_conn c;
	SSL_CTX		*ctx;
	double		 t0, t_connect, t_tls, t_hs, t_end;	/* ms, or -1 */
	int		 status;
	char		 detail[1200];
	uint64_t	 messages, bytes;
	unsigned	 http_status;
	char		 server[200];
	char		 peer[ADDR_STRLEN];
	int		 clean_close;
	int		 close_code;	/* the server's, or -1 */
	const char	*tls_version;
};

static void PRINTF(3, 4)
wsprobe_fail(struct wsprobe_run *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->status != WSPROBE_OK)
		return;		/* the first failure is the story */
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static double
wsprobe_ms(double from, double to)
{
	return from < 0 || to < 0 ? -1 : to - from;
}

static const char *
wsprobe_since(struct wsprobe_run *r, char *buf, size_t len)
{
	snprintf(buf, len, "%.0f ms after the handshake",
	    wsprobe_clock_ms() - r->t_hs);
	return buf;
}

static SSL_CTX *
wsprobe_client_ctx(const struct wsprobe_copts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (o->cafile != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1) {
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The IO outcome of a step before the handshake completed. */
static void
wsprobe_fail_io(struct wsprobe_run *r, int io, const char *waiting,
    const uint8_t *got, size_t gotlen)
{
	char esc[256];

	wsprobe_esc(esc, sizeof(esc), got, gotlen);
	if (io == WSPROBE_IO_TIMEOUT)
		wsprobe_fail(r, WSPROBE_TIMEOUT, "no complete %s within %g s "
		    "(%zu bytes received: \"%s\")", waiting, r->o->timeout, gotlen, esc);
	else if (io == WSPROBE_IO_EOF)
		wsprobe_fail(r, WSPROBE_CONNECT, "the connection was closed before "
		    "a complete %s (%zu bytes received: \"%s\")", waiting, gotlen, esc);
	else if (io == WSPROBE_IO_FULL)
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "the %s is larger than %zu bytes",
		    waiting, r->o->maxhead);
	else
		wsprobe_fail(r, WSPROBE_CONNECT, "the connection failed before a "
		    "complete %s: %s (%zu bytes received)", waiting, r->c.err, gotlen);
}

/* A CONNECT tunnel through the proxy: 0, or the failure recorded. */
static int
wsprobe_tunnel(struct wsprobe_run *r, int64_t deadline)
{
	struct ws_head h;
	const struct ws_hdr *sv;
	char req[600], esc[300], sesc[200];
	const char *reason;
	size_t reasonlen;
	unsigned status;
	ssize_t n;
	int io, len;

	len = snprintf(req, sizeof(req), "CONNECT %s%s%s:%u HTTP/1.1\r\n"
	    "Host: %s%s%s:%u\r\n\r\n",
	    r->url.v6 ? "[" : "", r->url.host, r->url.v6 ? "]" : "",
	    (unsigned)r->url.port,
	    r->url.v6 ? "[" : "", r->url.host, r->url.v6 ? "]" : "",
	    (unsigned)r->url.port);
	if (r->o->verbose)
		wsprobe_dump("> ", req, (size_t)len);
	if ((io = wsprobe_write(&r->c, req, (size_t)len, deadline)) != 0) {
		wsprobe_fail_io(r, io, "CONNECT answer from the proxy", NULL, 0);
		return -1;
	}
	for (;;) {
		n = ws_head_scan(r->c.rbuf + r->c.roff, r->c.rlen - r->c.roff,
		    r->o->maxhead, &h);
		if (n != 0)
			break;
		if ((io = wsprobe_fill(&r->c, deadline)) <= 0) {
			if (r->o->verbose)
				wsprobe_dump("< ", r->c.rbuf + r->c.roff, r->c.rlen - r->c.roff);
			if (io == WSPROBE_IO_EOF)
				wsprobe_fail(r, WSPROBE_PROXY, "the proxy closed the "
				    "connection without answering CONNECT");
			else
				wsprobe_fail_io(r, io, "CONNECT answer from the proxy",
				    r->c.rbuf + r->c.roff, r->c.rlen - r->c.roff);
			return -1;
		}
	}
	if (r->o->verbose)
		wsprobe_dump("< ", r->c.rbuf + r->c.roff, n > 0 ? (size_t)n :
		    r->c.rlen - r->c.roff);
	if (n < 0 || ws_status_parse(h.start, h.startlen, &status, &reason,
	    &reasonlen) != 0) {
		wsprobe_fail(r, WSPROBE_PROXY, "the proxy's answer to CONNECT is "
		    "not HTTP (%s): got \"%s\"", ws_strerror((int)n),
		    wsprobe_esc(esc, sizeof(esc), r->c.rbuf + r->c.roff,
		    r->c.rlen - r->c.roff));
		return -1;
	}
	if (status < 200 || status > 299) {
		sv = ws_head_get(&h, "Server", NULL);
		wsprobe_fail(r, WSPROBE_PROXY, "CONNECT refused: got \"%s\"%s%s%s",
		    wsprobe_esc(esc, sizeof(esc), h.start, h.startlen),
		    sv != NULL ? " (Server: " : "",
		    sv != NULL ? wsprobe_esc(sesc, sizeof(sesc), sv->value,
		    sv->valuelen) : "", sv != NULL ? ")" : "");
		return -1;
	}
	wsprobe_consume(&r->c, (size_t)n);
	return 0;
}

static int
wsprobe_is_ip(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

static void
wsprobe_tls_fail(struct wsprobe_run *r, int io)
{
	X509 *cert;
	char subj[256] = "", iss[256] = "";
	long v;

	if (io == WSPROBE_IO_TIMEOUT) {
		wsprobe_fail(r, WSPROBE_TIMEOUT, "no complete TLS handshake "
		    "within %g s", r->o->timeout);
		return;
	}
	v = SSL_get_verify_result(r->c.ssl);
	if (v != X509_V_OK) {
		if ((cert = SSL_get0_peer_certificate(r->c.ssl)) != NULL) {
			X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
			X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof(iss));
		}
		wsprobe_fail(r, WSPROBE_TLS, "certificate verify failed: %s "
		    "(subject %s, issuer %s)", X509_verify_cert_error_string(v),
		    subj[0] ? subj : "?", iss[0] ? iss : "?");
		return;
	}
	wsprobe_fail(r, WSPROBE_TLS, "%s", r->c.err);
}

/* Evidence for an invalid 101: what was there instead. */
static void
wsprobe_hs_fail(struct wsprobe_run *r, const struct ws_client *wc,
    const struct ws_response *rs, int e)
{
	const struct ws_hdr *h = NULL;
	const char *name = NULL;
	char esc[300], esc2[100];

	switch (e) {
	case WS_E_NO_UPGRADE: name = "Upgrade"; break;
	case WS_E_NO_CONNECTION: name = "Connection"; break;
	case WS_E_BAD_ACCEPT:
		h = ws_head_get(&rs->head, "Sec-WebSocket-Accept", NULL);
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "%s: got \"Sec-WebSocket-Accept: "
		    "%s\", expected \"%s\"", ws_strerror(e), h != NULL ?
		    wsprobe_esc(esc, sizeof(esc), h->value, h->valuelen) : "",
		    wc->accept);
		return;
	case WS_E_H76_ANSWER:
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "%s: got \"%s\", expected \"%s\"",
		    ws_strerror(e), wsprobe_esc(esc, sizeof(esc), rs->answer,
		    WS_ANSWER_LEN), wsprobe_esc(esc2, sizeof(esc2), wc->answer,
		    WS_ANSWER_LEN));
		return;
	case WS_E_HEAD_SYNTAX:
	case WS_E_TOO_MANY_HEADERS:
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "the answer is not a valid HTTP "
		    "head (%s): got \"%s\"", ws_strerror(e), wsprobe_esc(esc,
		    sizeof(esc), r->c.rbuf + r->c.roff, r->c.rlen - r->c.roff));
		return;
	case WS_E_HEAD_TOO_BIG:
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "%s: no end of the answer head "
		    "within %zu bytes", ws_strerror(e), r->o->maxhead);
		return;
	default:
		break;
	}
	if (name != NULL) {
		h = ws_head_get(&rs->head, name, NULL);
		wsprobe_fail(r, WSPROBE_HANDSHAKE, "%s: the 101 has %s%s%s%s",
		    ws_strerror(e), h != NULL ? "\"" : "no ", name,
		    h != NULL ? ": " : " header",
		    h != NULL ? wsprobe_esc(esc, sizeof(esc), h->value, h->valuelen) : "");
		if (h != NULL)
			strncat(r->detail, "\"", sizeof(r->detail) - strlen(r->detail) - 1);
		return;
	}
	wsprobe_fail(r, WSPROBE_HANDSHAKE, "%s: got \"%s\"", ws_strerror(e),
	    wsprobe_esc(esc, sizeof(esc), rs->head.start, rs->head.startlen));
}

static int
wsprobe_handshake(struct wsprobe_run *r, int64_t deadline)
{
	const struct wsprobe_copts *o = r->o;
	struct ws_client wc;
	struct ws_reqopts ro;
	struct ws_response rs;
	uint8_t rnd[WS_CLIENT_RAND];
	char target[2400], origin[300], location[2400], *req, esc[300], sesc[200];
	ssize_t n;
	size_t reqcap = 8192 + o->nextra * 1024;
	int io;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || ws_client_init(&wc, o->version,
	    rnd) != 0) {
		wsprobe_fail(r, WSPROBE_INTERNAL, "cannot make the handshake keys");
		return -1;
	}
	memset(&ro, 0, sizeof(ro));
	if (o->proxy_absolute)
		snprintf(target, sizeof(target), "http://%s%s", r->url.hostport,
		    r->url.resource);
	else
		snprintf(target, sizeof(target), "%s", r->url.resource);
	ro.target = target;
	ro.host = r->url.hostport;
	ro.origin = o->origin;
	if (ro.origin == NULL && !ws_version_hybi(o->version)) {
		/* The hixie drafts' clients always sent one. */
		snprintf(origin, sizeof(origin), "http://%s", r->url.hostport);
		ro.origin = origin;
	}
	if (!ws_version_hybi(o->version)) {
		snprintf(location, sizeof(location), "%s://%s%s",
		    r->url.tls ? "wss" : "ws", r->url.hostport, r->url.resource);
		ro.location = location;
	}
	ro.protocol = o->protocol;
	ro.extra = o->extra;
	ro.nextra = o->nextra;
	if ((req = malloc(reqcap)) == NULL) {
		wsprobe_fail(r, WSPROBE_INTERNAL, "out of memory");
		return -1;
	}
	n = ws_client_request(&wc, &ro, req, reqcap);
	if (n < 0) {
		free(req);
		wsprobe_fail(r, WSPROBE_INTERNAL, "cannot build the request: %s",
		    ws_strerror((int)n));
		return -1;
	}
	if (o->verbose)
		wsprobe_dump("> ", req, (size_t)n);
	io = wsprobe_write(&r->c, req, (size_t)n, deadline);
	free(req);
	if (io != 0) {
		wsprobe_fail_io(r, io, "handshake answer", NULL, 0);
		return -1;
	}
	for (;;) {
		n = ws_client_response(&wc, &ro, r->c.rbuf + r->c.roff,
		    r->c.rlen - r->c.roff, o->maxhead, &rs);
		if (n != 0)
			break;
		if ((io = wsprobe_fill(&r->c, deadline)) > 0)
			continue;
		if (o->verbose)
			wsprobe_dump("< ", r->c.rbuf + r->c.roff, r->c.rlen - r->c.roff);
		if (rs.head.len > 0 && (io == WSPROBE_IO_TIMEOUT || io == WSPROBE_IO_EOF))
			wsprobe_fail(r, WSPROBE_HANDSHAKE, "hixie-76 answer missing: "
			    "got %zu of 16 bytes after the 101 head (%s)",
			    r->c.rlen - r->c.roff - rs.head.len,
			    io == WSPROBE_IO_EOF ? "then the connection closed" :
			    "timed out");
		else
			wsprobe_fail_io(r, io, "handshake answer", r->c.rbuf + r->c.roff,
			    r->c.rlen - r->c.roff);
		return -1;
	}
	if (o->verbose)
		wsprobe_dump("< ", r->c.rbuf + r->c.roff, n > 0 ? (size_t)n :
		    rs.head.len > 0 ? rs.head.len : r->c.rlen - r->c.roff);
	if (rs.head.len > 0) {
		r->http_status = rs.status;
		if (rs.server != NULL)
			wsprobe_esc(r->server, sizeof(r->server), rs.server, rs.serverlen);
	}
	if (n == -WS_E_STATUS) {
		wsprobe_fail(r, WSPROBE_HTTP, "got \"%s\"%s%s%s",
		    wsprobe_esc(esc, sizeof(esc), rs.head.start, rs.head.startlen),
		    rs.server != NULL ? " (Server: " : "",
		    rs.server != NULL ? wsprobe_esc(sesc, sizeof(sesc), rs.server,
		    rs.serverlen) : "", rs.server != NULL ? ")" : "");
		return -1;
	}
	if (n < 0) {
		wsprobe_hs_fail(r, &wc, &rs, (int)-n);
		return -1;
	}
	wsprobe_consume(&r->c, (size_t)n);
	return 0;
}

static int
wsprobe_open(struct wsprobe_run *r)
{
	const struct wsprobe_copts *o = r->o;
	const struct ws_url *to = o->proxy != NULL ? &r->proxy : &r->url;
	int64_t deadline = wsprobe_deadline(o->timeout);
	char err[300];
	int fd, timedout, io;

	fd = wsprobe_tcp_connect(to->host, to->port, deadline, r->peer,
	    sizeof(r->peer), err, sizeof(err), &timedout);
	if (fd < 0) {
		wsprobe_fail(r, WSPROBE_CONNECT, "%s%s", o->proxy != NULL ?
		    "proxy: " : "", err);
		return -1;
	}
	r->t_connect = wsprobe_clock_ms();
	if (wsprobe_conn_init(&r->c, fd, 0, o->maxhead + WS_ANSWER_LEN) != 0) {
		close(fd);
		wsprobe_fail(r, WSPROBE_INTERNAL, "out of memory");
		return -1;
	}
	r->c.version = o->version;
	if (o->proxy != NULL && !o->proxy_absolute && wsprobe_tunnel(r, deadline) != 0)
		return -1;
	if (r->url.tls) {
		if (r->c.rlen > r->c.roff) {
			wsprobe_fail(r, WSPROBE_PROXY, "the proxy sent %zu bytes after "
			    "its CONNECT answer, before TLS", r->c.rlen - r->c.roff);
			return -1;
		}
		if ((r->ctx = wsprobe_client_ctx(o)) == NULL) {
			wsprobe_fail(r, WSPROBE_TLS, "cannot set up TLS%s%s",
			    o->cafile != NULL ? " with --cafile " : "",
			    o->cafile != NULL ? o->cafile : "");
			return -1;
		}
		io = wsprobe_tls_connect(&r->c, r->ctx, r->url.host,
		    wsprobe_is_ip(r->url.host), deadline);
		if (io != 0) {
			wsprobe_tls_fail(r, io);
			return -1;
		}
		r->t_tls = wsprobe_clock_ms();
		r->tls_version = SSL_get_version(r->c.ssl);
	}
	if (wsprobe_handshake(r, deadline) != 0)
		return -1;
	r->t_hs = wsprobe_clock_ms();
	return 0;
}

/* The outcome of waiting for something after the handshake. */
static void
wsprobe_fail_after(struct wsprobe_run *r, const struct wsprobe_ev *ev,
    const char *while_)
{
	char when[64], esc[200], code[16];

	wsprobe_since(r, when, sizeof(when));
	switch (ev->kind) {
	case WSPROBE_EV_CLOSE:
		if (ws_version_hybi(r->c.version)) {
			r->close_code = (int)ev->close_code;
			snprintf(code, sizeof(code), "%u", ev->close_code);
		} else
			snprintf(code, sizeof(code), "0xFF 0x00");
		wsprobe_fail(r, WSPROBE_CLOSED, "the server sent a close frame "
		    "(%s%s%s%s) %s, %s, after %llu message%s", code,
		    ev->len > 2 ? " \"" : "", ev->len > 2 ? wsprobe_esc(esc, sizeof(esc),
		    ev->data + 2, ev->len - 2) : "", ev->len > 2 ? "\"" : "",
		    while_, when,
		    (unsigned long long)r->messages, r->messages == 1 ? "" : "s");
		break;
	case WSPROBE_EV_EOF:
		wsprobe_fail(r, WSPROBE_CLOSED, "the connection was closed without "
		    "a close frame %s, %s, after %llu message%s", while_, when,
		    (unsigned long long)r->messages, r->messages == 1 ? "" : "s");
		break;
	case WSPROBE_EV_IOERR:
		wsprobe_fail(r, WSPROBE_CLOSED, "the connection failed (%s) %s, %s, "
		    "after %llu message%s", r->c.err, while_, when,
		    (unsigned long long)r->messages, r->messages == 1 ? "" : "s");
		break;
	case WSPROBE_EV_PROTO:
		wsprobe_fail(r, WSPROBE_ECHO, "corrupted: the server's frames are "
		    "invalid (%s) %s, after %llu message%s", ws_strerror(ev->err),
		    while_, (unsigned long long)r->messages, r->messages == 1 ? "" : "s");
		break;
	default:
		wsprobe_fail(r, WSPROBE_INTERNAL, "unexpected event %d", ev->kind);
		break;
	}
}

static const char *
wsprobe_opname(unsigned op)
{
	return op == WS_OP_TEXT ? "text" : op == WS_OP_BINARY ? "binary" : "other";
}

/* Sends message i and checks its echo: 0, or the failure recorded. */
static int
wsprobe_echo(struct wsprobe_run *r, uint8_t *buf, uint64_t i, uint64_t total)
{
	const struct wsprobe_copts *o = r->o;
	struct wsprobe_ev ev;
	unsigned op = ws_version_hybi(o->version) && (i % 2) == 1 ? WS_OP_BINARY :
	    WS_OP_TEXT;
	int64_t deadline = wsprobe_deadline(o->timeout);
	char while_[96];
	size_t k;
	int io;

	if (o->size > 0 && RAND_bytes(buf, (int)o->size) != 1) {
		wsprobe_fail(r, WSPROBE_INTERNAL, "RAND_bytes failed");
		return -1;
	}
	if (op == WS_OP_TEXT)
		for (k = 0; k < o->size; k++)
			buf[k] = (uint8_t)(0x20 + buf[k] % 95);
	snprintf(while_, sizeof(while_), "awaiting the echo of message %llu of %llu",
	    (unsigned long long)i + 1, (unsigned long long)total);
	io = wsprobe_send_msg(&r->c, op, buf, o->size, o->fragment, deadline);
	if (io == WSPROBE_IO_TIMEOUT) {
		wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu lost: the server "
		    "stopped reading (%s)", (unsigned long long)i + 1,
		    (unsigned long long)total, r->c.err);
		return -1;
	}
	if (io != 0) {
		ev.kind = WSPROBE_EV_IOERR;
		snprintf(while_, sizeof(while_), "sending message %llu of %llu",
		    (unsigned long long)i + 1, (unsigned long long)total);
		wsprobe_fail_after(r, &ev, while_);
		return -1;
	}
	for (;;) {
		wsprobe_recv(&r->c, o->size, deadline, &ev);
		if (ev.kind == WSPROBE_EV_PING) {
			if (wsprobe_send_ctrl(&r->c, WS_OP_PONG, ev.data, ev.len,
			    deadline) != 0) {
				ev.kind = WSPROBE_EV_IOERR;
				break;
			}
			continue;
		}
		if (ev.kind != WSPROBE_EV_PONG)
			break;
	}
	if (ev.kind == WSPROBE_EV_TIMEOUT) {
		if (r->messages == 0)
			wsprobe_fail(r, WSPROBE_ECHO, "first message lost: no echo "
			    "within %g s (%zu bytes sent)", o->timeout, o->size);
		else
			wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu lost: no "
			    "echo within %g s", (unsigned long long)i + 1,
			    (unsigned long long)total, o->timeout);
		return -1;
	}
	if (ev.kind == WSPROBE_EV_PROTO &&
	    (ev.err == WS_E_TOO_BIG || ev.err == WS_E_MSG_TOO_BIG)) {
		wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu corrupted: the "
		    "echo is longer than the %zu bytes sent", (unsigned long long)i + 1,
		    (unsigned long long)total, o->size);
		return -1;
	}
	if (ev.kind != WSPROBE_EV_MSG) {
		wsprobe_fail_after(r, &ev, while_);
		return -1;
	}
	if (ev.opcode != op) {
		wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu corrupted: sent "
		    "%s, the echo is %s", (unsigned long long)i + 1,
		    (unsigned long long)total, wsprobe_opname(op),
		    wsprobe_opname(ev.opcode));
		return -1;
	}
	if (ev.len != o->size) {
		wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu corrupted: sent "
		    "%zu bytes, the echo has %zu", (unsigned long long)i + 1,
		    (unsigned long long)total, o->size, ev.len);
		return -1;
	}
	for (k = 0; k < ev.len && ev.data[k] == buf[k]; k++)
		;
	if (k < ev.len) {
		wsprobe_fail(r, WSPROBE_ECHO, "message %llu of %llu corrupted: the "
		    "echo differs at byte %zu of %zu (sent 0x%02x, got 0x%02x)",
		    (unsigned long long)i + 1, (unsigned long long)total, k, ev.len,
		    buf[k], ev.data[k]);
		return -1;
	}
	r->messages++;
	r->bytes += o->size;
	return 0;
}

/* Holds the connection idle: 0 if it is still open afterwards. */
static int
wsprobe_idle(struct wsprobe_run *r)
{
	struct wsprobe_ev ev;
	int64_t deadline = wsprobe_deadline(r->o->idle);
	char while_[64];

	snprintf(while_, sizeof(while_), "while idle (--idle %g)", r->o->idle);
	for (;;) {
		wsprobe_recv(&r->c, WS_CTRL_MAX, deadline, &ev);
		switch (ev.kind) {
		case WSPROBE_EV_TIMEOUT:
			return 0;
		case WSPROBE_EV_PING:
			if (wsprobe_send_ctrl(&r->c, WS_OP_PONG, ev.data, ev.len,
			    wsprobe_deadline(r->o->timeout)) != 0) {
				ev.kind = WSPROBE_EV_IOERR;
				wsprobe_fail_after(r, &ev, while_);
				return -1;
			}
			continue;
		case WSPROBE_EV_PONG:
			continue;
		case WSPROBE_EV_MSG:
			wsprobe_fail(r, WSPROBE_ECHO, "corrupted: an unexpected %s "
			    "message of %zu bytes arrived %s", wsprobe_opname(ev.opcode),
			    ev.len, while_);
			return -1;
		default:
			wsprobe_fail_after(r, &ev, while_);
			return -1;
		}
	}
}

/* The closing handshake; its outcome is reported, never a failure. */
static void
wsprobe_close(struct wsprobe_run *r)
{
	struct wsprobe_ev ev;
	int64_t deadline = wsprobe_deadline(r->o->timeout);

	if (r->c.version == 75)
		return;
	if (wsprobe_send_close(&r->c, WS_CLOSE_NORMAL, "wsprobe done", deadline) != 0)
		return;
	for (;;) {
		wsprobe_recv(&r->c, WS_CTRL_MAX, deadline, &ev);
		if (ev.kind == WSPROBE_EV_PING || ev.kind == WSPROBE_EV_PONG)
			continue;
		if (ev.kind == WSPROBE_EV_CLOSE) {
			r->clean_close = 1;
			if (ws_version_hybi(r->c.version))
				r->close_code = (int)ev.close_code;
		}
		return;
	}
}

static void
wsprobe_report(struct wsprobe_run *r)
{
	const struct wsprobe_copts *o = r->o;
	struct jsonw j;
	char buf[4096];

	if (r->status != WSPROBE_OK) {
		fprintf(stderr, "wsprobe: %d %s: %s\n", r->status,
		    wsprobe_class(r->status), r->detail);
		fflush(stderr);
	} else
		snprintf(r->detail, sizeof(r->detail), "%llu message%s of %zu bytes "
		    "echoed intact%s", (unsigned long long)r->messages,
		    r->messages == 1 ? "" : "s", o->size,
		    o->idle > 0 ? ", also after the idle time" : "");
	if (!o->json) {
		if (r->status == WSPROBE_OK)
			printf("wsprobe: 0 ok: %s, version %d, %s (handshake %.3f ms, "
			    "total %.3f ms)\n", o->url, o->version, r->detail,
			    wsprobe_ms(r->t0, r->t_hs), wsprobe_ms(r->t0, r->t_end));
		return;
	}
	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_str(&j, "result", wsprobe_class(r->status));
	jsonw_i64(&j, "status", r->status);
	jsonw_i64(&j, "version", o->version);
	jsonw_str(&j, "url", o->url);
	jsonw_str(&j, "proxy", o->proxy);
	if (o->proxy != NULL)
		jsonw_str(&j, "proxy_mode", o->proxy_absolute ? "absolute" : "connect");
	jsonw_u64(&j, "messages", r->messages);
	jsonw_u64(&j, "bytes", r->bytes);
	jsonw_str(&j, "detail", r->detail);
	jsonw_str(&j, "peer", r->peer[0] ? r->peer : NULL);
	if (r->http_status != 0)
		jsonw_u64(&j, "http_status", r->http_status);
	else
		jsonw_raw(&j, "http_status", "null");
	jsonw_str(&j, "server", r->server[0] ? r->server : NULL);
	jsonw_str(&j, "tls", r->tls_version);
#define MS(k, a, b) do {						\
	double ms_ = wsprobe_ms(a, b);					\
	if (ms_ < 0)							\
		jsonw_raw(&j, k, "null");				\
	else								\
		jsonw_double(&j, k, ms_, 3);				\
} while (0)
	MS("connect_ms", r->t0, r->t_connect);
	MS("tls_ms", r->t_connect, r->t_tls);
	MS("handshake_ms", r->t0, r->t_hs);
	MS("total_ms", r->t0, r->t_end);
#undef MS
	jsonw_bool(&j, "clean_close", r->clean_close);
	if (r->close_code >= 0)
		jsonw_i64(&j, "close_code", r->close_code);
	else
		jsonw_raw(&j, "close_code", "null");
	jsonw_end(&j);
	if (jsonw_text(&j) != NULL)
		printf("%s\n", jsonw_text(&j));
	else
		printf("{\"result\":\"%s\",\"status\":%d}\n", wsprobe_class(r->status),
		    r->status);
	fflush(stdout);
}

int
wsprobe_client(const struct wsprobe_copts *o)
{
	struct wsprobe_run r;
	uint8_t *buf = NULL;
	uint64_t i, total;
	int e;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.c.fd = -1;
	r.close_code = -1;
	r.t0 = wsprobe_clock_ms();
	r.t_connect = r.t_tls = r.t_hs = r.t_end = -1;
	if ((e = ws_url_parse(o->url, &r.url)) != 0 ||
	    (strcmp(r.url.scheme, "ws") != 0 && strcmp(r.url.scheme, "wss") != 0)) {
		fprintf(stderr, "wsprobe: 2 usage: bad URL '%s': %s\n", o->url,
		    e != 0 ? ws_strerror(e) : "not ws:// or wss://");
		return WSPROBE_USAGE;
	}
	if (o->proxy != NULL && ((e = ws_url_parse(o->proxy, &r.proxy)) != 0 ||
	    strcmp(r.proxy.scheme, "http") != 0)) {
		fprintf(stderr, "wsprobe: 2 usage: bad --proxy '%s': %s\n", o->proxy,
		    e != 0 ? ws_strerror(e) : "not http://HOST:PORT");
		return WSPROBE_USAGE;
	}
	if (o->proxy_absolute && r.url.tls) {
		fprintf(stderr, "wsprobe: 2 usage: --proxy-mode absolute works "
		    "with ws:// URLs only\n");
		return WSPROBE_USAGE;
	}
	if (wsprobe_open(&r) == 0) {
		total = o->count + (o->idle > 0 ? 1 : 0);
		if ((buf = malloc(o->size + 1)) == NULL)
			wsprobe_fail(&r, WSPROBE_INTERNAL, "out of memory");
		for (i = 0; r.status == WSPROBE_OK && i < o->count; i++)
			(void)wsprobe_echo(&r, buf, i, total);
		if (r.status == WSPROBE_OK && o->idle > 0 && wsprobe_idle(&r) == 0)
			(void)wsprobe_echo(&r, buf, o->count, total);
		if (r.status == WSPROBE_OK)
			wsprobe_close(&r);
	}
	r.t_end = wsprobe_clock_ms();
	wsprobe_report(&r);
	free(buf);
	if (r.c.rbuf != NULL)
		wsprobe_conn_free(&r.c);
	SSL_CTX_free(r.ctx);
	return r.status;
}
