/*
 * TLS on a flow, without decryption: the client's first bytes are
 * gathered (a copy, as they pass, or held back when a behaviour must see
 * the ClientHello first) and parsed by tlshello.c; the result goes to the
 * event log ("tls_client_hello") and to the behaviours that act on it:
 * SNI allow and deny lists, a reset after the ClientHello, a stall
 * after the server's first record (its ServerHello), and interception:
 * both sides become OpenSSL filters (leaf from tlsca.c toward the
 * client, a verified connection toward the server) and the plaintext
 * starts over in SNIFF, so the HTTP behaviours (and the frame-aware
 * ones, wsrelay.c) apply inside.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "evlog.h"
#include "profile.h"
#include "proxy.h"
#include "tlsca.h"
#include "tlshello.h"

/* Wire bytes gathered at most: the largest hello, in records as small
 * as real stacks split it; past that it is relayed as "incomplete". */
#define TLSFLOW_GATHER		(TLSHELLO_MAX_MSG + 4096)

struct tlsflow {
	enum tlshello_rc	 rc;
	int			 decided;	/* the event was written */
	int			 hold;		/* the profile needs the hello */
	uint64_t		 pass_up_to;	/* client bytes that may go */
	unsigned char		*buf;		/* gathered; freed once decided */
	size_t			 len;
	struct tlshello		 th;
	/* The server's first record: relayed, then (stall) nothing more. */
	unsigned char		 srv_hdr[6];
	uint64_t		 srv_first_end;	/* 0 until its header is read */
	int			 stalled;
	int			 intercepted;
	/* The filters own the sockets' bufferevents; we watch them drain. */
	bufferevent_data_cb	 u_read[2], u_write[2];
	bufferevent_event_cb	 u_event[2];
	void			*u_arg[2];
};

/* Appends "key":["a","b"] from n strings given as pointer and length. */
static void
tlsflow_array(struct jsonw *j, const char *key, const unsigned char **s,
    const size_t *len, size_t n)
{
	char text[1200], tmp[600];
	struct jsonw a;
	size_t i, used = 1;

	text[0] = '[';
	text[1] = '\0';
	for (i = 0; i < n; i++) {
		jsonw_init(&a, tmp, sizeof(tmp));
		jsonw_bytes(&a, "", s[i], len[i]);
		/* jsonw writes "":"..."; the string is after the colon. */
		if (jsonw_text(&a) == NULL ||
		    used + strlen(tmp) + 2 >= sizeof(text))
			break;
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s", i ? "," : "", strchr(tmp, ':') + 1);
	}
	snprintf(text + used, sizeof(text) - used, "]");
	jsonw_raw(j, key, text);
}

static void
tlsflow_log(struct conn *c, const char *result)
{
	struct tlsflow *t = c->tls;
	const struct tlshello *th = &t->th;
	const unsigned char *s[TLSHELLO_MAX_VERS > TLSHELLO_MAX_ALPN ?
	    TLSHELLO_MAX_VERS : TLSHELLO_MAX_ALPN];
	size_t len[sizeof(s) / sizeof(s[0])], i;
	char names[TLSHELLO_MAX_VERS][8], v[8];
	struct evlog_rec r;
	struct jsonw *j;

	j = evlog_begin(&r, "tls_client_hello", c->id);
	jsonw_str(j, "result", result);
	if (t->rc != TLSHELLO_OK) {
		jsonw_str(j, "error", th->err);
		jsonw_u64(j, "bytes_seen", t->len);
		evlog_commit(&r);
		return;
	}
	jsonw_str(j, "record_version", tlshello_version_name(
	    th->record_version, v, sizeof(v)));
	jsonw_str(j, "legacy_version", tlshello_version_name(
	    th->legacy_version, v, sizeof(v)));
	if (th->nsni > 0)
		jsonw_bytes(j, "sni", th->sni, th->sni_len);
	else
		jsonw_str(j, "sni", NULL);
	if (th->has_alpn) {
		for (i = 0; i < th->alpn_kept; i++)
			s[i] = tlshello_alpn(th, i, &len[i]);
		tlsflow_array(j, "alpn", s, len, th->alpn_kept);
	}
	for (i = 0; i < th->nversions; i++) {
		tlshello_version_name(th->versions[i], names[i], sizeof(names[i]));
		s[i] = (const unsigned char *)names[i];
		len[i] = strlen(names[i]);
	}
	tlsflow_array(j, "versions", s, len, th->nversions);
	jsonw_u64(j, "ciphers", th->ciphers);
	jsonw_u64(j, "extensions", th->nexts);
	jsonw_u64(j, "hello_bytes", th->hello_len);
	jsonw_u64(j, "records", th->nrecords);
	evlog_commit(&r);
}

static int
tlsflow_listed(const char *names, const struct tlshello *th)
{
	char pat[sizeof(((struct behaviour *)0)->names)];
	const char *p = names, *comma;
	size_t n;

	if (th->nsni == 0)
		return 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (tlshello_name_match(pat, th->sni, th->sni_len))
			return 1;
		p += n + (comma != NULL);
	}
	return 0;
}

static void
tlsflow_bhv_event(struct conn *c, const struct behaviour *b,
    const char *action)
{
	struct evlog_rec r;
	struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", b->dir == BHV_DIR_DOWN ? "down" : "up");
	if (b->kind == BHV_SNI_DENY || b->kind == BHV_SNI_ALLOW) {
		if (c->tls->th.nsni > 0)
			jsonw_bytes(j, "sni", c->tls->th.sni, c->tls->th.sni_len);
		else
			jsonw_str(j, "sni", NULL);
		jsonw_str(j, "list", b->names);
	}
	if (b->kind == BHV_TLS_RESET_HELLO)
		jsonw_u64(j, "relayed", c->tls->pass_up_to);
	jsonw_str(j, "action", action);
	evlog_commit(&r);
}

static void tlsflow_intercept(struct conn *, const struct behaviour *);

/* The hello is known (or never will be): log it, then act on it. */
static void
tlsflow_decide(struct conn *c, const char *result)
{
	struct tlsflow *t = c->tls;
	const struct behaviour *b;
	int ok = t->rc == TLSHELLO_OK;

	t->decided = 1;
	free(t->buf);
	t->buf = NULL;
	tlsflow_log(c, result);
	/* A rule on the SNI decides now; the behaviours below are its. */
	conn_pick_unless_http(c);
	t->pass_up_to = UINT64_MAX;
	if ((b = behave_find(c, BHV_SNI_DENY, BHV_DIR_BOTH)) != NULL && ok &&
	    tlsflow_listed(b->names, &t->th)) {
		/* What SNI-filtering firewalls do: the server never hears. */
		t->pass_up_to = 0;
		tlsflow_bhv_event(c, b, "rst");
		behave_end(c, CONN_R_SNI_DENIED, 1);
		return;
	}
	if ((b = behave_find(c, BHV_SNI_ALLOW, BHV_DIR_BOTH)) != NULL &&
	    !(ok && tlsflow_listed(b->names, &t->th))) {
		t->pass_up_to = 0;
		tlsflow_bhv_event(c, b, "rst");
		behave_end(c, CONN_R_SNI_DENIED, 1);
		return;
	}
	if ((b = behave_find(c, BHV_TLS_INTERCEPT, BHV_DIR_BOTH)) != NULL && ok) {
		tlsflow_intercept(c, b);
		return;
	}
	if ((b = behave_find(c, BHV_TLS_RESET_HELLO, BHV_DIR_BOTH)) != NULL && ok) {
		/* The hello reaches the server, then both ends get a reset
		 * (a DPI box that reads the hello and tears the flow down). */
		t->pass_up_to = t->th.wire_len;
		tlsflow_bhv_event(c, b, "rst");
		c->bhv.end_pending = 1;
		c->bhv.end_reason = CONN_R_TLS_RESET;
		c->bhv.end_rst = 1;
	}
}

void
tlsflow_start(struct conn *c)
{
	if (c->tls != NULL || (c->tls = calloc(1, sizeof(*c->tls))) == NULL)
		return;
	if ((c->tls->buf = malloc(TLSFLOW_GATHER)) == NULL) {
		free(c->tls);
		c->tls = NULL;
		return;
	}
	/* A rule on the SNI waits for it too. */
	c->tls->hold = c->prof->needs_hello || c->rule_pending;
	c->tls->pass_up_to = UINT64_MAX;
}

int
tlsflow_decided(const struct conn *c)
{
	return c->tls != NULL && c->tls->decided;
}

int
tlsflow_holding(const struct conn *c)
{
	return c->tls != NULL && c->tls->hold && !c->tls->decided;
}

const struct tlshello *
tlsflow_hello(const struct conn *c)
{
	if (c->tls == NULL || !c->tls->decided || c->tls->rc != TLSHELLO_OK)
		return NULL;
	return &c->tls->th;
}

/* Client bytes: in starts at stream offset c->cli.rx. */
static size_t
tlsflow_client(struct conn *c, struct evbuffer *in, size_t len)
{
	struct tlsflow *t = c->tls;
	uint64_t left;
	int was = t->intercepted;

	if (!t->decided && t->len >= c->cli.rx && t->len - c->cli.rx < len) {
		size_t skip = t->len - c->cli.rx, want = len - skip;
		struct evbuffer_ptr pos;
		ev_ssize_t got;

		if (want > TLSFLOW_GATHER - t->len)
			want = TLSFLOW_GATHER - t->len;
		if (evbuffer_ptr_set(in, &pos, skip, EVBUFFER_PTR_SET) == 0 &&
		    (got = evbuffer_copyout_from(in, &pos, t->buf + t->len,
		    want)) > 0)
			t->len += (size_t)got;
		t->rc = tlshello_parse(t->buf, t->len, &t->th);
		if (t->rc == TLSHELLO_OK)
			tlsflow_decide(c, "ok");
		else if (t->rc != TLSHELLO_NEED_MORE)
			tlsflow_decide(c, tlshello_rc_name(t->rc));
		else if (t->len == TLSFLOW_GATHER || c->cli.eof ||
		    (t->hold && len >= c->bufmax)) {
			/* Held bytes fill the input to --buffer-size at most:
			 * past it nothing more would be read. */
			t->th.err = t->len == TLSFLOW_GATHER || len >= c->bufmax ?
			    "too many bytes without a whole ClientHello" :
			    "the client ended before its ClientHello";
			tlsflow_decide(c, "incomplete");
		}
	}
	if (c->state == CONN_ST_CLOSED || c->bhv.ending)
		return 0;
	if (!t->decided)
		return t->hold ? 0 : len;
	if (t->intercepted && !was)
		return 0;	/* the filter took the hello from `in` */
	if (t->pass_up_to == UINT64_MAX)
		return len;
	left = t->pass_up_to > c->cli.rx ? t->pass_up_to - c->cli.rx : 0;
	return left < len ? (size_t)left : len;
}

/* Server bytes: the first record goes; after it, a stall drops all. */
static size_t
tlsflow_server(struct conn *c, struct evbuffer *in, size_t len)
{
	struct tlsflow *t = c->tls;
	const struct behaviour *b = behave_find(c, BHV_TLS_STALL, BHV_DIR_BOTH);
	uint64_t off = c->srv.rx;

	if (b == NULL)
		return len;
	if (t->stalled) {
		/* Read and counted, never relayed: the client waits. */
		c->srv.rx += len;
		c->bhv.dropped[1] += len;
		evbuffer_drain(in, len);
		return 0;
	}
	if (t->srv_first_end == 0) {
		/* Keep the first 6 bytes as they pass. */
		if (off < 6)
			evbuffer_copyout(in, t->srv_hdr + off,
			    6 - off < len ? 6 - off : len);
		if (off + len < 6)
			return len;	/* too little to tell: it passes */
		/* Only a handshake record opening with a ServerHello. */
		if (t->srv_hdr[0] != 0x16 || t->srv_hdr[5] != 0x02) {
			t->srv_first_end = UINT64_MAX;
			return len;
		}
		t->srv_first_end = 5 + ((uint64_t)t->srv_hdr[3] << 8 |
		    t->srv_hdr[4]);
	}
	if (t->srv_first_end == UINT64_MAX || off + len <= t->srv_first_end)
		return len;
	/* Past the ServerHello's record: the rest of the flight, and all
	 * after it, stays with us; the connection stays open. */
	{
		struct evlog_rec r;
		struct jsonw *j = evlog_begin(&r, "behaviour", c->id);

		jsonw_str(j, "name", bhv_name(b->kind));
		jsonw_str(j, "dir", "down");
		jsonw_u64(j, "relayed", t->srv_first_end);
		jsonw_str(j, "action", "stall");
		evlog_commit(&r);
	}
	t->stalled = 1;
	if (off >= t->srv_first_end)
		return tlsflow_server(c, in, len);
	return (size_t)(t->srv_first_end - off);
}

size_t
tlsflow_pump(struct side *s, struct evbuffer *in, size_t len)
{
	struct conn *c = s->conn;

	if (c->tls == NULL)
		return len;
	return s == &c->cli ? tlsflow_client(c, in, len) :
	    tlsflow_server(c, in, len);
}

/*
 * The filters' own callbacks on the sockets' bufferevents, wrapped: when
 * a socket's output has drained, a side waiting to send its FIN (or a
 * flow a behaviour is ending) hears of it through its write callback.
 */
static void
tlsflow_u_read(struct bufferevent *u, void *arg)
{
	struct side *s = arg;
	struct tlsflow *t = s->conn->tls;
	int i = s != &s->conn->cli;

	t->u_read[i](u, t->u_arg[i]);
}

static void
tlsflow_u_write(struct bufferevent *u, void *arg)
{
	struct side *s = arg;
	struct conn *c = s->conn;
	struct tlsflow *t = c->tls;
	int i = s != &c->cli;

	t->u_write[i](u, t->u_arg[i]);
	if (c->state != CONN_ST_CLOSED && relay_outlen(s) == 0 &&
	    (s->shut_pending || c->bhv.ending))
		bufferevent_trigger(s->bev, EV_WRITE,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void
tlsflow_u_event(struct bufferevent *u, short what, void *arg)
{
	struct side *s = arg;
	struct tlsflow *t = s->conn->tls;
	int i = s != &s->conn->cli;

	t->u_event[i](u, what, t->u_arg[i]);
}

void
tlsflow_handshake(struct side *s)
{
	struct conn *c = s->conn;
	struct tlsflow *t = c->tls;
	struct bufferevent *u = bufferevent_get_underlying(s->bev);
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	const unsigned char *alpn = NULL;
	unsigned int alpnlen = 0;
	int i = s != &c->cli;
	struct evlog_rec r;
	struct jsonw *j;

	if (t == NULL || u == NULL || ssl == NULL)
		return;
	/* From now on a close without close_notify is an EOF; during the
	 * handshake it is the handshake failing. */
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	/* Done: the filter set its open-state callbacks; wrap them. */
	bufferevent_getcb(u, &t->u_read[i], &t->u_write[i], &t->u_event[i],
	    &t->u_arg[i]);
	if (t->u_read[i] != NULL && t->u_write[i] != NULL &&
	    t->u_event[i] != NULL)
		bufferevent_setcb(u, tlsflow_u_read, tlsflow_u_write,
		    tlsflow_u_event, s);
	SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
	j = evlog_begin(&r, "tls_handshake", c->id);
	jsonw_str(j, "side", s->name);
	jsonw_str(j, "version", SSL_get_version(ssl));
	jsonw_str(j, "cipher", SSL_get_cipher_name(ssl));
	if (alpnlen > 0)
		jsonw_bytes(j, "alpn", alpn, alpnlen);
	else
		jsonw_str(j, "alpn", NULL);
	if (s == &c->srv)
		jsonw_str(j, "verify", X509_verify_cert_error_string(
		    SSL_get_verify_result(ssl)));
	evlog_commit(&r);
}

void
tlsflow_close_notify(struct side *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	if (ssl == NULL || !SSL_is_init_finished(ssl) ||
	    (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) ||
	    evbuffer_get_length(bufferevent_get_output(s->bev)) > 0)
		return;
	/* Written through the filter's BIO into the socket's output; the
	 * other direction may still be read. */
	(void)SSL_shutdown(ssl);
	ERR_clear_error();
}

void
tlsflow_error(struct side *s)
{
	struct conn *c = s->conn;
	char reasons[512];
	size_t used = 0;
	unsigned long e;
	struct evlog_rec r;
	struct jsonw *j;

	reasons[0] = '\0';
	while ((e = bufferevent_get_openssl_error(s->bev)) != 0) {
		const char *why = ERR_reason_error_string(e);

		if (used < sizeof(reasons))
			used += (size_t)snprintf(reasons + used,
			    sizeof(reasons) - used, "%s%s", used ? "; " : "",
			    why != NULL ? why : "unknown");
	}
	ERR_clear_error();
	j = evlog_begin(&r, "tls_error", c->id);
	jsonw_str(j, "side", s->name);
	jsonw_str(j, "error", reasons[0] != '\0' ? reasons :
	    "connection closed during the TLS session");
	evlog_commit(&r);
}

static void
tlsflow_intercept(struct conn *c, const struct behaviour *b)
{
	struct tlsflow *t = c->tls;
	struct proxy *px = c->px;
	const char *name = NULL, *err = "out of memory";
	char ip[INET6_ADDRSTRLEN];
	struct bufferevent *fc = NULL, *fs = NULL;
	SSL *cs = NULL, *ss = NULL;
	struct evlog_rec r;
	struct jsonw *j;
	const void *a = c->server.ss_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)&c->server)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)&c->server)->sin_addr;

	if (inet_ntop(c->server.ss_family, a, ip, sizeof(ip)) == NULL)
		ip[0] = '\0';
	/* A name we can put in a certificate, else the address. */
	if (t->th.nsni > 0 && tlsca_name_ok(t->th.sni, t->th.sni_len))
		name = t->th.sni;
	j = evlog_begin(&r, "behaviour", c->id);
	jsonw_str(j, "name", bhv_name(b->kind));
	jsonw_str(j, "dir", "both");
	if (!tlsca_ready()) {
		/* Checked at startup for -P; a reload may still get here. */
		jsonw_str(j, "action", "pass");
		jsonw_str(j, "error", "no lab CA (--ca DIR)");
		evlog_commit(&r);
		return;
	}
	if ((cs = tlsca_client_ssl(name, ip, &err)) == NULL ||
	    (ss = tlsca_server_ssl(name, ip, &err)) == NULL ||
	    (fc = bufferevent_openssl_filter_new(px->base, c->cli.bev, cs,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(cs);
		SSL_free(ss);
		jsonw_str(j, "action", "rst");
		jsonw_str(j, "error", err);
		evlog_commit(&r);
		behave_end(c, CONN_R_RESOURCES, 1);
		return;
	}
	c->cli.bev = fc;
	c->cli.tls = 1;
	if ((fs = bufferevent_openssl_filter_new(px->base, c->srv.bev, ss,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ss);
		jsonw_str(j, "action", "rst");
		jsonw_str(j, "error", "out of memory");
		evlog_commit(&r);
		behave_end(c, CONN_R_RESOURCES, 1);
		return;
	}
	c->srv.bev = fs;
	c->srv.tls = 1;
	t->intercepted = 1;
	jsonw_str(j, "action", "intercept");
	if (name != NULL)
		jsonw_str(j, "leaf", name);
	else
		jsonw_str(j, "leaf_ip", ip);
	evlog_commit(&r);
	relay_setup_callbacks(c);
	/* The filters stop encrypting into a socket's output past this, so
	 * that --buffer-size bounds intercepted flows too. */
	bufferevent_setwatermark(bufferevent_get_underlying(fc), EV_WRITE, 0,
	    c->bufmax);
	bufferevent_setwatermark(bufferevent_get_underlying(fs), EV_WRITE, 0,
	    c->bufmax);
	bufferevent_enable(fc, EV_READ | EV_WRITE);
	bufferevent_enable(fs, EV_READ | EV_WRITE);
	/* The plaintext is classified anew: HTTP behaviours apply. */
	c->proto = SNIFF_NEED_MORE;
	c->sniff_len = 0;
	conn_set_state(c, CONN_ST_SNIFF);
}

void
tlsflow_stop(struct conn *c)
{
	struct tlsflow *t = c->tls;

	if (t == NULL)
		return;
	if (!t->decided && t->len > 0) {
		t->th.err = "the flow ended before its ClientHello";
		t->decided = 1;
		tlsflow_log(c, "incomplete");
	}
	free(t->buf);
	free(t);
	c->tls = NULL;
}
