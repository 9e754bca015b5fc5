/*
 * wsprobe's echo server. The parent accepts and forks one child per
 * connection, so that a slow or hostile peer holds only its own child.
 * Children send their JSON log lines to the parent as datagrams and the
 * parent alone writes the log, so that lines never interleave.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "addr.h"
#include "json.h"
#include "wsprobe.h"

#define WSPROBE_LINE	(200 * 1024)	/* one log line; fits a datagram */
#define WSPROBE_RAWLOG	4096		/* bytes of an unparsable head logged */

struct wsprobe_srv {
	const struct wsprobe_sopts *o;
	int		 lfd[WSPROBE_MAX_LISTEN];
	char		 laddr[WSPROBE_MAX_LISTEN][ADDR_STRLEN];
	size_t		 nl;
	int		 logr, logw;	/* children write, the parent reads */
	int		 logfd;
	SSL_CTX		*ctx;
	pid_t		*kids;
	unsigned	 nkids;
	char		*line;
};

static volatile sig_atomic_t wsprobe_sig_chld, wsprobe_sig_term;

static void
wsprobe_on_signal(int sig)
{
	if (sig == SIGCHLD)
		wsprobe_sig_chld = 1;
	else
		wsprobe_sig_term = sig;
}

/* A JSON string for raw bytes, into dst: "..." with wire-safe escapes. */
static int
wsprobe_json_string(char *dst, size_t cap, const void *p, size_t n)
{
	struct jsonw t;
	size_t len;

	jsonw_init(&t, dst, cap);
	jsonw_bytes(&t, "", p, n);	/* writes "":"..." */
	if (jsonw_text(&t) == NULL)
		return -1;
	len = strlen(dst);
	memmove(dst, dst + 3, len - 3 + 1);
	return 0;
}

/* [["Name","value"],...] exactly as received, in order. */
static int
wsprobe_json_headers(char *dst, size_t cap, const struct ws_head *h)
{
	size_t i, len = 0;

#define PUT(s) do {							\
	size_t l_ = strlen(s);						\
	if (len + l_ + 1 > cap)						\
		return -1;						\
	memcpy(dst + len, s, l_ + 1);					\
	len += l_;							\
} while (0)
	PUT("[");
	for (i = 0; i < h->nhdr; i++) {
		PUT(i > 0 ? ",[" : "[");
		if (wsprobe_json_string(dst + len, cap - len, h->hdr[i].name,
		    h->hdr[i].namelen) != 0)
			return -1;
		len += strlen(dst + len);
		PUT(",");
		if (wsprobe_json_string(dst + len, cap - len, h->hdr[i].value,
		    h->hdr[i].valuelen) != 0)
			return -1;
		len += strlen(dst + len);
		PUT("]");
	}
	PUT("]");
#undef PUT
	return 0;
}

static void
wsprobe_log_line(struct wsprobe_srv *s, const char *text)
{
	size_t n = strlen(text);

	if (n + 2 > WSPROBE_LINE)
		return;
	if (text != s->line)
		memmove(s->line, text, n + 1);
	s->line[n++] = '\n';
	s->line[n] = '\0';
	/* A datagram per line; the parent writes it whole. */
	while (send(s->logw, s->line, n, 0) < 0 && errno == EINTR)
		;
}

/* What a child knows about its connection, for its log lines. */
struct wsprobe_child {
	struct wsprobe_srv *s;
	struct wsprobe_conn c;
	char		 peer[ADDR_STRLEN], local[ADDR_STRLEN];
	int64_t		 t0;
	uint64_t	 messages, bytes;
	char		*tmp;		/* scratch for JSON arrays */
};

static void
wsprobe_log_begin(struct wsprobe_child *k, struct jsonw *j, const char *event)
{
	jsonw_init(j, k->s->line, WSPROBE_LINE - 2);
	jsonw_begin(j);
	jsonw_double(j, "ts", wsprobe_wall(), 6);
	jsonw_str(j, "event", event);
	jsonw_str(j, "peer", k->peer);
	jsonw_str(j, "local", k->local);
	jsonw_bool(j, "tls", k->s->ctx != NULL);
}

static void
wsprobe_log_end(struct wsprobe_child *k, struct jsonw *j)
{
	jsonw_end(j);
	if (jsonw_text(j) != NULL)
		wsprobe_log_line(k->s, jsonw_text(j));
}

/*
 * The handshake as it arrived: the request head (or the raw bytes when
 * there was no head to scan), what we answered, and why.
 */
static void
wsprobe_log_handshake(struct wsprobe_child *k, const struct ws_request *rq,
    int version, const char *result, unsigned status, int err,
    const uint8_t *key3, size_t key3len, const char *resp, size_t resplen)
{
	struct wsprobe_conn *c = &k->c;
	struct jsonw j;
	int full;

	for (full = 1; full >= 0; full--) {
		wsprobe_log_begin(k, &j, "handshake");
		jsonw_str(&j, "result", result);
		if (status != 0)
			jsonw_u64(&j, "status", status);
		else
			jsonw_raw(&j, "status", "null");
		jsonw_str(&j, "error", err != 0 ? ws_strerror(err) : NULL);
		if (version != 0)
			jsonw_i64(&j, "version", version);
		else
			jsonw_raw(&j, "version", "null");
		if (rq->head.len > 0) {
			jsonw_bytes(&j, "request", rq->head.start, rq->head.startlen);
			if (rq->target != NULL) {
				jsonw_bytes(&j, "method", rq->method, rq->methodlen);
				jsonw_bytes(&j, "path", rq->target, rq->targetlen);
			}
			if (full && wsprobe_json_headers(k->tmp, WSPROBE_LINE, &rq->head) == 0)
				jsonw_raw(&j, "headers", k->tmp);
			else
				jsonw_bool(&j, "headers_cut", 1);
		} else {
			size_t n = c->rlen - c->roff;

			jsonw_u64(&j, "received", n);
			jsonw_bytes(&j, "raw", c->rbuf + c->roff,
			    n > WSPROBE_RAWLOG ? WSPROBE_RAWLOG : n);
		}
		if (key3 != NULL)
			jsonw_bytes(&j, "key3", key3, key3len);
		if (version == 76)
			jsonw_str(&j, "key3_mode", k->s->o->key3_defer ? "defer" : "wait");
		if (resp != NULL && k->s->o->verbose)
			jsonw_bytes(&j, "response", resp, resplen);
		jsonw_end(&j);
		if (jsonw_text(&j) != NULL) {
			wsprobe_log_line(k->s, jsonw_text(&j));
			return;
		}
	}
}

static void
wsprobe_log_close(struct wsprobe_child *k, const char *reason, int code)
{
	struct jsonw j;

	wsprobe_log_begin(k, &j, "close");
	jsonw_u64(&j, "messages", k->messages);
	jsonw_u64(&j, "bytes", k->bytes);
	jsonw_str(&j, "reason", reason);
	if (code >= 0)
		jsonw_i64(&j, "close_code", code);
	jsonw_i64(&j, "duration_ms", wsprobe_now_ms() - k->t0);
	wsprobe_log_end(k, &j);
}

static const char *
wsprobe_reason_phrase(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	default: return "Error";
	}
}

/*
 * Half-closes, then reads what the client still sends for a moment:
 * closing with unread bytes would reset the connection, and the client
 * might never see our answer.
 */
static void
wsprobe_linger(struct wsprobe_conn *c)
{
	int64_t deadline = wsprobe_deadline(1);
	size_t drained = 0;
	int r;

	if (c->ssl != NULL)
		SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_WR);
	wsprobe_consume(c, c->rlen - c->roff);
	while (drained < 1024 * 1024 && (r = wsprobe_fill(c, deadline)) > 0) {
		drained += (size_t)r;
		wsprobe_consume(c, c->rlen - c->roff);
	}
}

/* An HTTP refusal, built; the connection closes after it. */
static int
wsprobe_refusal(unsigned status, const char *versions, const char *why,
    char *out, size_t cap)
{
	char body[256];
	int blen, n;

	blen = snprintf(body, sizeof(body), "wsprobe: %s\n", why);
	n = snprintf(out, cap, "HTTP/1.1 %u %s\r\n"
	    "Server: wsprobe/" PACKAGE_VERSION "\r\n"
	    "%s%s%s"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade, close\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %d\r\n\r\n%s",
	    status, wsprobe_reason_phrase(status),
	    versions != NULL ? "Sec-WebSocket-Version: " : "",
	    versions != NULL ? versions : "", versions != NULL ? "\r\n" : "",
	    blen, body);
	return n < 0 || (size_t)n >= cap ? 0 : n;
}

static void
wsprobe_refuse(struct wsprobe_child *k, const char *resp, size_t n)
{
	if (wsprobe_write(&k->c, resp, n, wsprobe_deadline(k->s->o->timeout)) == 0)
		wsprobe_linger(&k->c);
}

/* The RFC 6455 versions we accept, for Sec-WebSocket-Version. */
static const char *
wsprobe_hybi_list(unsigned v, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
	    v & WSPROBE_V_13 ? "13" : "",
	    (v & WSPROBE_V_13) && (v & (WSPROBE_V_8 | WSPROBE_V_7)) ? ", " : "",
	    v & WSPROBE_V_8 ? "8" : "",
	    (v & WSPROBE_V_8) && (v & WSPROBE_V_7) ? ", " : "",
	    v & WSPROBE_V_7 ? "7" : "");
	return buf[0] != '\0' ? buf : NULL;
}

static void
wsprobe_echo_loop(struct wsprobe_child *k)
{
	const struct wsprobe_sopts *o = k->s->o;
	struct wsprobe_conn *c = &k->c;
	struct wsprobe_ev ev;
	char reason[300];
	unsigned code;
	int code_in = -1;

	for (;;) {
		wsprobe_recv(c, o->max_message, wsprobe_deadline(o->idle_timeout), &ev);
		switch (ev.kind) {
		case WSPROBE_EV_MSG:
			if (ws_version_hybi(c->version) && ev.opcode == WS_OP_TEXT &&
			    !ws_utf8_valid(ev.data, ev.len)) {
				(void)wsprobe_send_close(c, WS_CLOSE_INVALID_DATA,
				    "invalid-utf8", wsprobe_deadline(o->timeout));
				wsprobe_log_close(k, "protocol-error: invalid-utf8", -1);
				return;
			}
			if (wsprobe_send_msg(c, ev.opcode, ev.data, ev.len, 0,
			    wsprobe_deadline(o->timeout)) != 0) {
				snprintf(reason, sizeof(reason), "error: %s", c->err);
				wsprobe_log_close(k, reason, -1);
				return;
			}
			k->messages++;
			k->bytes += ev.len;
			continue;
		case WSPROBE_EV_PING:
			if (wsprobe_send_ctrl(c, WS_OP_PONG, ev.data, ev.len,
			    wsprobe_deadline(o->timeout)) != 0) {
				snprintf(reason, sizeof(reason), "error: %s", c->err);
				wsprobe_log_close(k, reason, -1);
				return;
			}
			continue;
		case WSPROBE_EV_PONG:
			continue;
		case WSPROBE_EV_CLOSE:
			/* hixie's 0xFF 0x00 carries no code. */
			code_in = ws_version_hybi(c->version) ? (int)ev.close_code : -1;
			(void)wsprobe_send_close(c, ev.close_code, NULL,
			    wsprobe_deadline(o->timeout));
			wsprobe_log_close(k, "client-close", code_in);
			return;
		case WSPROBE_EV_EOF:
			wsprobe_log_close(k, "eof", -1);
			return;
		case WSPROBE_EV_IOERR:
			snprintf(reason, sizeof(reason), "error: %s", c->err);
			wsprobe_log_close(k, reason, -1);
			return;
		case WSPROBE_EV_TIMEOUT:
			(void)wsprobe_send_close(c, WS_CLOSE_GOING_AWAY, "idle timeout",
			    wsprobe_deadline(o->timeout));
			wsprobe_log_close(k, "idle-timeout", -1);
			return;
		case WSPROBE_EV_PROTO:
			code = ev.err == WS_E_TOO_BIG || ev.err == WS_E_MSG_TOO_BIG ?
			    WS_CLOSE_TOO_BIG : ev.err == WS_E_UTF8 ?
			    WS_CLOSE_INVALID_DATA : WS_CLOSE_PROTOCOL;
			(void)wsprobe_send_close(c, code, ws_strerror(ev.err),
			    wsprobe_deadline(o->timeout));
			snprintf(reason, sizeof(reason), "protocol-error: %s",
			    ws_strerror(ev.err));
			wsprobe_log_close(k, reason, -1);
			return;
		}
	}
}

static void
wsprobe_serve_conn(struct wsprobe_child *k)
{
	struct wsprobe_srv *s = k->s;
	const struct wsprobe_sopts *o = s->o;
	struct wsprobe_conn *c = &k->c;
	struct ws_request rq;
	struct ws_respopts so = { s->ctx != NULL, NULL, "wsprobe/" PACKAGE_VERSION };
	int64_t deadline = wsprobe_deadline(o->timeout);
	char resp[1024], vlist[16], why[128];
	uint8_t key3[WS_KEY3_LEN], answer[WS_ANSWER_LEN];
	unsigned status = 0;
	ssize_t n, hn;
	int io, e = 0;

	if (s->ctx != NULL && (io = wsprobe_tls_accept(c, s->ctx, deadline)) != 0) {
		struct jsonw j;

		wsprobe_log_begin(k, &j, "tls_error");
		jsonw_str(&j, "detail", io == WSPROBE_IO_TIMEOUT ?
		    "TLS handshake: timed out" : c->err);
		wsprobe_log_end(k, &j);
		return;
	}
	for (;;) {
		n = ws_server_request(c->rbuf + c->roff, c->rlen - c->roff, o->maxhead, &rq);
		if (n != 0)
			break;
		if ((io = wsprobe_fill(c, deadline)) <= 0) {
			wsprobe_log_handshake(k, &rq, 0, io == WSPROBE_IO_EOF ?
			    "eof" : io == WSPROBE_IO_TIMEOUT ? "timeout" : "error",
			    0, 0, NULL, 0, NULL, 0);
			return;
		}
	}
	if (n > 0 && !(o->versions & wsprobe_version_bit(rq.version))) {
		e = WS_E_VERSION;
		n = -WS_E_VERSION;
	} else if (n < 0)
		e = (int)-n;
	if (n < 0) {
		const char *vl = NULL;

		if (e == WS_E_NOT_UPGRADE) {
			status = o->plain_status;
			snprintf(why, sizeof(why), "this is a WebSocket echo server; "
			    "the request has no \"Upgrade: websocket\"");
		} else if (e == WS_E_HEAD_TOO_BIG) {
			status = 431;
			snprintf(why, sizeof(why), "the request head is larger than "
			    "%zu bytes", o->maxhead);
		} else if (e == WS_E_VERSION &&
		    (vl = wsprobe_hybi_list(o->versions, vlist, sizeof(vlist))) != NULL) {
			status = 426;
			snprintf(why, sizeof(why), "WebSocket version not accepted here");
		} else {
			status = 400;
			snprintf(why, sizeof(why), "bad WebSocket handshake: %s",
			    ws_strerror(e));
		}
		hn = wsprobe_refusal(status, vl, why, resp, sizeof(resp));
		wsprobe_log_handshake(k, &rq, rq.version > 0 ? rq.version : 0,
		    "rejected", status, e, NULL, 0, resp, (size_t)hn);
		wsprobe_refuse(k, resp, (size_t)hn);
		return;
	}
	c->version = rq.version;
	if ((hn = ws_server_response(&rq, &so, resp, sizeof(resp) - WS_ANSWER_LEN)) < 0) {
		e = (int)-hn;
		status = 400;
		hn = wsprobe_refusal(status, NULL, "cannot answer this handshake",
		    resp, sizeof(resp));
		wsprobe_log_handshake(k, &rq, rq.version, "rejected", status, e,
		    NULL, 0, resp, (size_t)hn);
		wsprobe_refuse(k, resp, (size_t)hn);
		return;
	}
	if (rq.version != 76) {
		/* Log first: the head points into rbuf, which echoes reuse. */
		wsprobe_log_handshake(k, &rq, rq.version, "accepted", 101, 0, NULL,
		    0, resp, (size_t)hn);
		wsprobe_consume(c, (size_t)n);
		if (wsprobe_write(c, resp, (size_t)hn, deadline) != 0) {
			wsprobe_log_close(k, "error: cannot send the 101", -1);
			return;
		}
		wsprobe_echo_loop(k);
		return;
	}

	/* hixie-76: key3 follows the head, and the answer depends on it. */
	if (o->key3_defer && wsprobe_write(c, resp, (size_t)hn, deadline) != 0) {
		wsprobe_log_close(k, "error: cannot send the 101", -1);
		return;
	}
	while (c->rlen - c->roff < (size_t)n + WS_KEY3_LEN) {
		if ((io = wsprobe_fill(c, deadline)) <= 0) {
			/* The head may have moved: scan it again for the log. */
			if (ws_server_request(c->rbuf + c->roff, c->rlen - c->roff,
			    o->maxhead, &rq) != n)
				rq.head.len = 0;
			wsprobe_log_handshake(k, &rq, 76, io == WSPROBE_IO_EOF ?
			    "key3-eof" : "key3-timeout", o->key3_defer ? 101 : 0,
			    0, c->rbuf + c->roff + n, c->rlen - c->roff - (size_t)n,
			    resp, (size_t)hn);
			return;
		}
	}
	if (ws_server_request(c->rbuf + c->roff, c->rlen - c->roff, o->maxhead,
	    &rq) != n) {
		wsprobe_log_close(k, "error: the request head changed", -1);
		return;
	}
	memcpy(key3, c->rbuf + c->roff + n, WS_KEY3_LEN);
	if (ws_h76_answer(rq.key1->value, rq.key1->valuelen, rq.key2->value,
	    rq.key2->valuelen, key3, answer) != 0) {
		wsprobe_log_close(k, "error: cannot compute the hixie-76 answer", -1);
		return;
	}
	wsprobe_log_handshake(k, &rq, 76, "accepted", 101, 0, key3, WS_KEY3_LEN,
	    resp, (size_t)hn);
	wsprobe_consume(c, (size_t)n + WS_KEY3_LEN);
	if (o->key3_defer)
		io = wsprobe_write(c, answer, WS_ANSWER_LEN, deadline);
	else {
		memcpy(resp + hn, answer, WS_ANSWER_LEN);
		io = wsprobe_write(c, resp, (size_t)hn + WS_ANSWER_LEN, deadline);
	}
	if (io != 0) {
		wsprobe_log_close(k, "error: cannot send the hixie-76 answer", -1);
		return;
	}
	wsprobe_echo_loop(k);
}

static void NORETURN
wsprobe_child(struct wsprobe_srv *s, int fd)
{
	struct wsprobe_child k;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;

	for (i = 0; i < s->nl; i++)
		close(s->lfd[i]);
	close(s->logr);
	memset(&k, 0, sizeof(k));
	k.s = s;
	k.t0 = wsprobe_now_ms();
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_format((struct sockaddr *)&ss, k.peer, sizeof(k.peer));
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		addr_format((struct sockaddr *)&ss, k.local, sizeof(k.local));
	if ((k.tmp = malloc(WSPROBE_LINE)) == NULL ||
	    wsprobe_conn_init(&k.c, fd, 1, s->o->maxhead + WS_KEY3_LEN) != 0)
		_exit(1);
	wsprobe_serve_conn(&k);
	wsprobe_conn_free(&k.c);
	free(k.tmp);
	_exit(0);
}

static void
wsprobe_drain_log(struct wsprobe_srv *s)
{
	ssize_t n, w;
	size_t off;

	for (;;) {
		n = recv(s->logr, s->line, WSPROBE_LINE, MSG_DONTWAIT);
		if (n <= 0)
			return;
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			w = write(s->logfd, s->line + off, (size_t)n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				break;
		}
	}
}

static void
wsprobe_reap(struct wsprobe_srv *s)
{
	pid_t pid;
	unsigned i;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (i = 0; i < s->nkids; i++)
			if (s->kids[i] == pid) {
				s->kids[i] = s->kids[--s->nkids];
				break;
			}
}

static int
wsprobe_listen(struct wsprobe_srv *s)
{
	const struct wsprobe_sopts *o = s->o;
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *err;
	int fd, one = 1, zero = 0;
	size_t i;

	for (i = 0; i < o->nlisten; i++) {
		if (addr_parse_listen(o->listen[i], 0, &ss, &sl, &err) != 0) {
			fprintf(stderr, "wsprobe: 2 usage: --listen %s: %s\n",
			    o->listen[i], err);
			return WSPROBE_USAGE;
		}
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "wsprobe: socket: %s\n", strerror(errno));
			return WSPROBE_INTERNAL;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
			fprintf(stderr, "wsprobe: 1 internal: cannot listen on %s: %s\n",
			    o->listen[i], strerror(errno));
			close(fd);
			return WSPROBE_INTERNAL;
		}
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			addr_format((struct sockaddr *)&ss, s->laddr[s->nl],
			    sizeof(s->laddr[0]));
		s->lfd[s->nl++] = fd;
	}
	return 0;
}

static void
wsprobe_log_ready(struct wsprobe_srv *s)
{
	const struct wsprobe_sopts *o = s->o;
	static const int vs[] = { 13, 8, 7, 76, 75 };
	struct jsonw j;
	char arr[WSPROBE_MAX_LISTEN * (ADDR_STRLEN + 4) + 8], tmp[16];
	size_t i;

	jsonw_init(&j, s->line, WSPROBE_LINE - 2);
	jsonw_begin(&j);
	jsonw_double(&j, "ts", wsprobe_wall(), 6);
	jsonw_str(&j, "event", "ready");
	jsonw_i64(&j, "pid", (int64_t)getpid());
	strcpy(arr, "[");
	for (i = 0; i < s->nl; i++) {
		strcat(arr, i > 0 ? ",\"" : "\"");
		strcat(arr, s->laddr[i]);	/* digits, dots, colons, brackets */
		strcat(arr, "\"");
	}
	strcat(arr, "]");
	jsonw_raw(&j, "listen", arr);
	strcpy(arr, "[");
	for (i = 0; i < nitems(vs); i++) {
		if (!(o->versions & wsprobe_version_bit(vs[i])))
			continue;
		snprintf(tmp, sizeof(tmp), "%s%d", arr[1] ? "," : "", vs[i]);
		strcat(arr, tmp);
	}
	strcat(arr, "]");
	jsonw_raw(&j, "versions", arr);
	jsonw_bool(&j, "tls", s->ctx != NULL);
	jsonw_str(&j, "key3", o->key3_defer ? "defer" : "wait");
	jsonw_u64(&j, "plain_get", o->plain_status);
	jsonw_end(&j);
	if (jsonw_text(&j) != NULL) {
		size_t n = strlen(s->line);

		s->line[n++] = '\n';
		if (write(s->logfd, s->line, n) < 0)
			fprintf(stderr, "wsprobe: log: %s\n", strerror(errno));
	}
}

static SSL_CTX *
wsprobe_server_ctx(const struct wsprobe_sopts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char buf[200];

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
		fprintf(stderr, "wsprobe: 1 internal: --tls %s %s: %s\n", o->cert,
		    o->key, buf);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
wsprobe_serve(const struct wsprobe_sopts *o)
{
	struct wsprobe_srv s;
	struct pollfd pfd[WSPROBE_MAX_LISTEN + 1];
	struct sigaction sa;
	sigset_t block, orig;
	int bufsz = 512 * 1024, r, fd;
	size_t i;
	pid_t pid;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.logr = s.logw = -1;
	s.logfd = STDOUT_FILENO;
	if (o->log != NULL && (s.logfd = open(o->log, O_WRONLY | O_CREAT |
	    O_APPEND | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "wsprobe: 1 internal: --log %s: %s\n", o->log,
		    strerror(errno));
		return WSPROBE_INTERNAL;
	}
	if ((s.line = malloc(WSPROBE_LINE)) == NULL ||
	    (s.kids = calloc(o->max_conns, sizeof(pid_t))) == NULL) {
		fprintf(stderr, "wsprobe: 1 internal: out of memory\n");
		return WSPROBE_INTERNAL;
	}
	if (o->cert != NULL && (s.ctx = wsprobe_server_ctx(o)) == NULL)
		return WSPROBE_INTERNAL;
	if ((r = wsprobe_listen(&s)) != 0)
		return r;
	{
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
			fprintf(stderr, "wsprobe: 1 internal: socketpair: %s\n",
			    strerror(errno));
			return WSPROBE_INTERNAL;
		}
		s.logr = sv[0];
		s.logw = sv[1];
		(void)setsockopt(s.logw, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
		(void)setsockopt(s.logr, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wsprobe_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	wsprobe_log_ready(&s);
	if (o->log != NULL) {
		fprintf(stderr, "wsprobe: ready, listening on");
		for (i = 0; i < s.nl; i++)
			fprintf(stderr, " %s", s.laddr[i]);
		fprintf(stderr, "\n");
	}

	while (!wsprobe_sig_term) {
		int full = s.nkids >= o->max_conns;

		for (i = 0; i < s.nl; i++) {
			pfd[i].fd = full ? -1 : s.lfd[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[s.nl].fd = s.logr;
		pfd[s.nl].events = POLLIN;
		pfd[s.nl].revents = 0;
		r = ppoll(pfd, s.nl + 1, NULL, &orig);
		if (wsprobe_sig_chld) {
			wsprobe_sig_chld = 0;
			wsprobe_reap(&s);
		}
		if (r <= 0)
			continue;
		if (pfd[s.nl].revents & POLLIN)
			wsprobe_drain_log(&s);
		for (i = 0; i < s.nl; i++) {
			if (!(pfd[i].revents & POLLIN) || s.nkids >= o->max_conns)
				continue;
			fd = accept4(s.lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			pid = fork();
			if (pid == 0) {
				signal(SIGCHLD, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				signal(SIGHUP, SIG_DFL);
				sigprocmask(SIG_SETMASK, &orig, NULL);
				wsprobe_child(&s, fd);
			}
			close(fd);
			if (pid > 0)
				s.kids[s.nkids++] = pid;
		}
	}

	/* Stop: our children first, then whatever they still had to say. */
	for (i = 0; i < s.nkids; i++)
		kill(s.kids[i], SIGTERM);
	for (r = 0; r < 40 && s.nkids > 0; r++) {
		wsprobe_reap(&s);
		if (s.nkids > 0)
			usleep(50000);
	}
	for (i = 0; i < s.nkids; i++)
		kill(s.kids[i], SIGKILL);
	wsprobe_reap(&s);
	wsprobe_drain_log(&s);
	for (i = 0; i < s.nl; i++)
		close(s.lfd[i]);
	close(s.logr);
	close(s.logw);
	SSL_CTX_free(s.ctx);
	free(s.kids);
	free(s.line);
	if (o->log != NULL)
		close(s.logfd);
	return WSPROBE_OK;
}
