/*
 * Flow lifetime: accept, original destination, upstream connect, the
 * state machine's transitions, and the single close path.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "capture.h"
#include "conn.h"
#include "evlog.h"
#include "log.h"
#include "profile.h"
#include "proxy.h"

static const char *const conn_state_names[CONN_ST_MAX] = {
	[CONN_ST_INIT] = "init",
	[CONN_ST_PROXY_HEAD] = "proxy_head",
	[CONN_ST_CONNECTING] = "connecting",
	[CONN_ST_SNIFF] = "sniff",
	[CONN_ST_HTTP] = "http",
	[CONN_ST_TUNNEL] = "tunnel",
	[CONN_ST_CLOSED] = "closed",
};

static const char *const conn_reason_names[CONN_R_MAX] = {
	[CONN_R_EOF] = "eof",
	[CONN_R_CLIENT_RESET] = "client_reset",
	[CONN_R_SERVER_RESET] = "server_reset",
	[CONN_R_CLIENT_ERROR] = "client_error",
	[CONN_R_SERVER_ERROR] = "server_error",
	[CONN_R_CONNECT_REFUSED] = "connect_refused",
	[CONN_R_CONNECT_TIMEOUT] = "connect_timeout",
	[CONN_R_CONNECT_ERROR] = "connect_error",
	[CONN_R_NO_ORIG_DST] = "no_original_destination",
	[CONN_R_NOT_REDIRECTED] = "not_redirected",
	[CONN_R_RESOURCES] = "resources",
	[CONN_R_SHUTDOWN] = "shutdown",
	[CONN_R_IDLE_TIMEOUT] = "idle_timeout",
	[CONN_R_MAX_LIFETIME] = "max_lifetime",
	[CONN_R_RESET_AFTER] = "reset_after",
	[CONN_R_LIMIT_DATA] = "limit_data",
	[CONN_R_REJECTED] = "rejected",
	[CONN_R_AFTER_101] = "after_101",
	[CONN_R_GATEWAY_TIMEOUT] = "gateway_timeout",
	[CONN_R_BAD_GATEWAY] = "bad_gateway",
	[CONN_R_BAD_REQUEST] = "bad_request",
	[CONN_R_HEAD_TIMEOUT] = "head_timeout",
	[CONN_R_RESOLVE_FAILED] = "resolve_failed",
	[CONN_R_CONNECT_RESET] = "connect_reset",
	[CONN_R_SNI_DENIED] = "sni_denied",
	[CONN_R_TLS_RESET] = "tls_reset_after_hello",
};

/* Legal transitions: a bit per target state. */
static const unsigned conn_transitions[CONN_ST_MAX] = {
	[CONN_ST_INIT] = 1u << CONN_ST_CONNECTING | 1u << CONN_ST_PROXY_HEAD |
	    1u << CONN_ST_CLOSED,
	[CONN_ST_PROXY_HEAD] = 1u << CONN_ST_CONNECTING | 1u << CONN_ST_CLOSED,
	[CONN_ST_CONNECTING] = 1u << CONN_ST_SNIFF | 1u << CONN_ST_TUNNEL |
	    1u << CONN_ST_CLOSED,
	[CONN_ST_SNIFF] = 1u << CONN_ST_HTTP | 1u << CONN_ST_TUNNEL |
	    1u << CONN_ST_CLOSED,
	[CONN_ST_HTTP] = 1u << CONN_ST_TUNNEL | 1u << CONN_ST_CLOSED,
	/* TLS interception starts over on the plaintext (tlsflow.c). */
	[CONN_ST_TUNNEL] = 1u << CONN_ST_SNIFF | 1u << CONN_ST_CLOSED,
	[CONN_ST_CLOSED] = 0,
};

const char *
conn_state_name(enum conn_state s)
{
	return s < CONN_ST_MAX ? conn_state_names[s] : "?";
}

const char *
conn_reason_name(enum conn_reason r)
{
	return r < CONN_R_MAX ? conn_reason_names[r] : "?";
}

void
conn_set_state(struct conn *c, enum conn_state to)
{
	if (!(conn_transitions[c->state] & (1u << to))) {
		/* A bug, not a peer's doing: say so loudly, keep running. */
		log_warnx("flow %llu: illegal transition %s -> %s",
		    (unsigned long long)c->id, conn_state_name(c->state),
		    conn_state_name(to));
		return;
	}
	log_debug("flow %llu: %s -> %s", (unsigned long long)c->id,
	    conn_state_name(c->state), conn_state_name(to));
	c->state = to;
}

static uint64_t
conn_ms_since(const struct timeval *t0)
{
	struct timeval now, d;

	gettimeofday(&now, NULL);
	timersub(&now, t0, &d);
	return (uint64_t)d.tv_sec * 1000 + (uint64_t)d.tv_usec / 1000;
}

static void
conn_free_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	profile_set_unref(c->pset);
	free(c->xp);
	free(c);
}

static void
conn_set_rst(struct side *s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	evutil_socket_t fd;

	if (s->bev == NULL || (fd = relay_side_fd(s)) < 0)
		return;
	/* A zero linger makes close() send RST instead of FIN. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void
conn_close(struct conn *c, enum conn_reason reason, int err, int rst_cli,
    int rst_srv)
{
	struct evlog_rec r;
	struct jsonw *j;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	struct proxy *px = c->px;

	if (c->state == CONN_ST_CLOSED)
		return;
	if (c->proto == SNIFF_NEED_MORE && c->sniff_len > 0)
		relay_classify(c, 1);
	conn_set_state(c, CONN_ST_CLOSED);
	if (rst_cli)
		conn_set_rst(&c->cli);
	if (rst_srv)
		conn_set_rst(&c->srv);

	j = evlog_begin(&r, "flow_close", c->id);
	jsonw_u64(j, "bytes_up", c->cli.rx);
	jsonw_u64(j, "bytes_down", c->srv.rx);
	jsonw_u64(j, "duration_ms", conn_ms_since(&c->t_open));
	jsonw_str(j, "reason", conn_reason_name(reason));
	if (c->bhv.dropped[0] || c->bhv.dropped[1]) {
		jsonw_u64(j, "dropped_up", c->bhv.dropped[0]);
		jsonw_u64(j, "dropped_down", c->bhv.dropped[1]);
	}
	if (err != 0)
		jsonw_str(j, "error", strerror(err));
	if (rst_cli || rst_srv)
		jsonw_str(j, "reset_sent", rst_cli && rst_srv ? "both" :
		    rst_cli ? "client" : "server");
	evlog_commit(&r);

	if (reason < CONN_R_SHUTDOWN && reason != CONN_R_EOF)
		log_info("flow %llu %s > %s: %s%s%s", (unsigned long long)c->id,
		    addr_format((struct sockaddr *)&c->client, a, sizeof(a)),
		    addr_format((struct sockaddr *)&c->server, b, sizeof(b)),
		    conn_reason_name(reason), err ? ": " : "",
		    err ? strerror(err) : "");

	if (c->connect_timer != NULL)
		event_free(c->connect_timer);
	c->connect_timer = NULL;
	behave_stop(c);
	h1relay_stop(c);
	if (c->xp != NULL)
		explicit_stop(c);
	tlsflow_stop(c);
	if (c->cap != NULL)
		capture_close(c, reason, rst_cli, rst_srv);
	if (c->cli.bev != NULL)
		bufferevent_free(c->cli.bev);
	if (c->srv.bev != NULL)
		bufferevent_free(c->srv.bev);
	c->cli.bev = c->srv.bev = NULL;
	TAILQ_REMOVE(&px->flows, c, entry);
	px->nflows--;
	proxy_flow_done(px);
	/* Callbacks up the stack may still look at c->state. */
	if (event_base_once(px->base, -1, EV_TIMEOUT, conn_free_deferred, c,
	    NULL) != 0)
		log_warnx("flow %llu: deferred free failed; leaking it",
		    (unsigned long long)c->id);
}

static void
conn_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_ST_CONNECTING)
		conn_connect_failed(c, CONN_R_CONNECT_TIMEOUT, ETIMEDOUT);
}

void
conn_connect_failed(struct conn *c, enum conn_reason reason, int err)
{
	if (c->xp != NULL) {
		explicit_connect_failed(c, reason, err);
		return;
	}
	/* A transparent proxy has no channel for an error page. */
	conn_close(c, reason, err, 1, 0);
}

void
conn_log_open(struct conn *c, const struct sockaddr *local)
{
	struct evlog_rec r;
	struct jsonw *j;
	char a[ADDR_STRLEN];

	j = evlog_begin(&r, "flow_open", c->id);
	jsonw_str(j, "client", addr_format((struct sockaddr *)&c->client, a,
	    sizeof(a)));
	jsonw_str(j, "server", c->server.ss_family == 0 ? NULL :
	    addr_format((struct sockaddr *)&c->server, a, sizeof(a)));
	jsonw_str(j, "mode", c->xp != NULL ? "explicit" :
	    intercept_mode_name(c->px->mode));
	jsonw_str(j, "listener", addr_format(local, a, sizeof(a)));
	jsonw_str(j, "profile", c->rule_pending ? NULL : c->prof->name);
	if (c->rule != NULL)
		jsonw_str(j, "rule", c->rule->origin);
	if (c->rule_pending)
		jsonw_bool(j, "profile_pending", 1);
	evlog_commit(&r);
}

/* A flow whose destination is our own listener would loop forever. */
static int
conn_is_loop(const struct conn *c, const struct sockaddr_storage *local)
{
	struct sockaddr_storage l = *local;

	addr_unmap(&l);
	if (addr_port((const struct sockaddr *)&c->server) !=
	    c->px->listen_port)
		return 0;
	if (c->px->mode == INTERCEPT_TPROXY)
		return 1;
	return memcmp(&l, &c->server, addr_len((struct sockaddr *)&l)) == 0;
}

struct conn *
conn_new(struct proxy *px, int fd, const struct sockaddr *sa, int salen,
    struct sockaddr_storage *local)
{
	struct conn *c;
	socklen_t llen = sizeof(*local);
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("flow: out of memory");
		close(fd);
		return NULL;
	}
	c->id = ++px->last_id;
	c->px = px;
	c->pset = px->profiles;
	profile_set_ref(c->pset);
	c->prof = px->profile;
	c->bhv.idle_bhv = -1;
	c->state = CONN_ST_INIT;
	c->bufmax = px->cfg.buffer_size;
	c->proto = SNIFF_NEED_MORE;
	gettimeofday(&c->t_open, NULL);
	memcpy(&c->client, sa, (size_t)salen < sizeof(c->client) ?
	    (size_t)salen : sizeof(c->client));
	addr_unmap(&c->client);
	c->cli.conn = c->srv.conn = c;
	c->cli.peer = &c->srv;
	c->srv.peer = &c->cli;
	c->cli.name = "client";
	c->srv.name = "server";
	TAILQ_INSERT_TAIL(&px->flows, c, entry);
	px->nflows++;
	px->total_flows++;

	memset(local, 0, sizeof(*local));
	(void)getsockname(fd, (struct sockaddr *)local, &llen);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cli.bev = bufferevent_socket_new(px->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->cli.bev == NULL) {
		close(fd);
		conn_log_open(c, (struct sockaddr *)local);
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 0, 0);
		return NULL;
	}
	return c;
}

void
conn_accept(struct proxy *px, int fd, const struct sockaddr *sa, int salen)
{
	struct conn *c;
	struct sockaddr_storage local;
	int e;

	if ((c = conn_new(px, fd, sa, salen, &local)) == NULL)
		return;
	if (intercept_orig_dst(px->mode, fd, &c->server) != 0) {
		e = errno;
		memset(&c->server, 0, sizeof(c->server));
		conn_log_open(c, (struct sockaddr *)&local);
		conn_close(c, CONN_R_NO_ORIG_DST, e, 1, 0);
		return;
	}
	addr_unmap(&c->server);
	conn_pick_profile(c, -1, NULL, 0, NULL, 0);
	conn_log_open(c, (struct sockaddr *)&local);
	if (conn_is_loop(c, &local)) {
		conn_close(c, CONN_R_NOT_REDIRECTED, 0, 0, 0);
		return;
	}
	if (capture_enabled())
		capture_open(c);
	conn_connect(c);
}

void
conn_connect(struct conn *c)
{
	struct proxy *px = c->px;
	int ufd, e;

	/* An explicit flow's upstream is never transparent: its client may
	 * be on loopback. */
	ufd = intercept_upstream_socket(c->xp != NULL ? INTERCEPT_REDIRECT :
	    px->mode, c->server.ss_family, (struct sockaddr *)&c->client,
	    px->cfg.mark);
	if (ufd == -1) {
		conn_connect_failed(c, CONN_R_CONNECT_ERROR, errno);
		return;
	}
	c->srv.bev = bufferevent_socket_new(px->base, ufd, BEV_OPT_CLOSE_ON_FREE);
	c->connect_timer = evtimer_new(px->base, conn_connect_timeout, c);
	if (c->srv.bev == NULL || c->connect_timer == NULL) {
		if (c->srv.bev == NULL)
			close(ufd);
		conn_close(c, CONN_R_RESOURCES, ENOMEM, 1, 0);
		return;
	}
	relay_setup_callbacks(c);
	conn_set_state(c, CONN_ST_CONNECTING);
	if (bufferevent_socket_connect(c->srv.bev, (struct sockaddr *)&c->server,
	    addr_len((struct sockaddr *)&c->server)) != 0) {
		e = EVUTIL_SOCKET_ERROR();
		conn_connect_failed(c, e == ECONNREFUSED ?
		    CONN_R_CONNECT_REFUSED : CONN_R_CONNECT_ERROR, e);
		return;
	}
	{
		struct timeval tv = {
			.tv_sec = px->cfg.connect_timeout_ms / 1000,
			.tv_usec = (px->cfg.connect_timeout_ms % 1000) * 1000,
		};

		evtimer_add(c->connect_timer, &tv);
	}
	/* An explicit flow armed its behaviours when it was accepted; a
	 * flow a rule waits for arms them once decided. */
	if (c->xp == NULL && !c->rule_pending)
		behave_start(c);
	relay_start(c);
}

void
conn_pick_profile(struct conn *c, int http, const char *host,
    size_t hostlen, const char *target, size_t targetlen)
{
	struct rules_flow f = {
		.dst = (const struct sockaddr *)&c->server,
		.nth = c->id,
		.http = http,
		.host = host,
		.hostlen = hostlen,
		.target = target,
		.targetlen = targetlen,
	};
	const struct profile *p;
	const struct rule *r;
	struct evlog_rec rec;
	struct jsonw *j;
	int pending, was_pending = c->rule_pending;

	if (c->pset->rules.n == 0 || (http >= 0 && !was_pending))
		return;
	r = rules_pick(&c->pset->rules, &f, &pending);
	if (pending && http < 0) {
		c->rule_pending = 1;
		return;
	}
	c->rule_pending = 0;
	if (r != NULL && (p = profile_find(c->pset, r->profile)) != NULL) {
		c->prof = p;
		c->rule = r;
	}
	if (!was_pending)
		return;	/* flow_open tells */
	j = evlog_begin(&rec, "rule", c->id);
	jsonw_str(j, "rule", r != NULL ? r->origin : NULL);
	jsonw_str(j, "profile", c->prof->name);
	if (host != NULL)
		jsonw_bytes(j, "host", host, hostlen);
	if (target != NULL)
		jsonw_bytes(j, "target", target, targetlen);
	evlog_commit(&rec);
	behave_start(c);
}

void
conn_upstream_connected(struct conn *c)
{
	gettimeofday(&c->t_connected, NULL);
	if (c->connect_timer != NULL) {
		event_free(c->connect_timer);
		c->connect_timer = NULL;
	}
	if (c->cap != NULL)
		capture_connected(c);
}
