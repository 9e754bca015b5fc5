/*
 * Listeners and admission: accept, the concurrent-flow limit, and the
 * pause when descriptors run out (accepting would only spin).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "addr.h"
#include "conn.h"
#include "log.h"
#include "proxy.h"

#define PROXY_FD_RETRY_MS	250

static void
proxy_set_accepting(struct proxy *px)
{
	int on = !px->paused_limit && !px->paused_fds;
	size_t i;

	for (i = 0; i < px->nlisteners; i++) {
		if (on)
			evconnlistener_enable(px->listeners[i]);
		else
			evconnlistener_disable(px->listeners[i]);
	}
}

static void
proxy_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxy *px = arg;

	conn_accept(px, fd, sa, salen);
	if (px->nflows >= px->cfg.max_flows && !px->paused_limit) {
		px->paused_limit = 1;
		log_warnx("%u flows open (max-flows): pausing accept",
		    px->nflows);
		proxy_set_accepting(px);
	}
}

static void
proxy_accept_explicit_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxy *px = arg;

	explicit_accept(px, fd, sa, salen);
	if (px->nflows >= px->cfg.max_flows && !px->paused_limit) {
		px->paused_limit = 1;
		log_warnx("%u flows open (max-flows): pausing accept",
		    px->nflows);
		proxy_set_accepting(px);
	}
}

static void
proxy_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;

	px->paused_fds = 0;
	proxy_set_accepting(px);
}

static void
proxy_accept_error(struct evconnlistener *l, void *arg)
{
	struct proxy *px = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, PROXY_FD_RETRY_MS * 1000 };

	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* The connection waits in the backlog; retry later. */
		if (!px->paused_fds)
			log_warnx("accept: %s: pausing for %d ms", strerror(e),
			    PROXY_FD_RETRY_MS);
		px->paused_fds = 1;
		proxy_set_accepting(px);
		evtimer_add(px->accept_retry, &tv);
		return;
	}
	log_debug("accept: %s", strerror(e));
}

static int
proxy_add_listener(struct proxy *px, const struct sockaddr *sa,
    socklen_t salen, int v6only, int explicit, char *err, size_t errlen)
{
	struct evconnlistener *l;
	char a[ADDR_STRLEN];
	int fd;

	/* The explicit proxy's socket is an ordinary one (never TPROXY). */
	fd = intercept_listen(explicit ? INTERCEPT_REDIRECT : px->mode, sa,
	    salen, v6only);
	if (fd == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s",
		    addr_format(sa, a, sizeof(a)), strerror(errno));
		return -1;
	}
	l = evconnlistener_new(px->base, explicit ? proxy_accept_explicit_cb :
	    proxy_accept_cb, px,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot set up the listener");
		return -1;
	}
	evconnlistener_set_error_cb(l, proxy_accept_error);
	px->listeners[px->nlisteners++] = l;
	log_info("listening on %s (%s)", addr_format(sa, a, sizeof(a)),
	    explicit ? "explicit proxy" : intercept_mode_name(px->mode));
	return 0;
}

static int
proxy_addr_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/*
 * The explicit proxy's listener and its resolver: the system's
 * nameservers if /etc/resolv.conf names any, and /etc/hosts (the lab has
 * no DNS server). The wait for DNS is bounded by --connect-timeout.
 */
static int
proxy_listen_explicit(struct proxy *px, char *err, size_t errlen)
{
	const struct sockaddr *sa = (struct sockaddr *)&px->cfg.explicit_addr;

	if (proxy_add_listener(px, sa, px->cfg.explicit_len, 1, 1, err,
	    errlen) != 0)
		return -1;
	if (proxy_addr_any(sa))
		log_warnx("the explicit proxy listens on every address: "
		    "anyone who reaches it can use it");
	if ((px->dns = evdns_base_new(px->base, 0)) == NULL) {
		snprintf(err, errlen, "cannot set up the resolver");
		return -1;
	}
	if (evdns_base_resolv_conf_parse(px->dns, DNS_OPTION_NAMESERVERS |
	    DNS_OPTION_MISC, "/etc/resolv.conf") != 0)
		log_debug("no usable /etc/resolv.conf: /etc/hosts and "
		    "addresses only");
	if (evdns_base_load_hosts(px->dns, "/etc/hosts") != 0)
		log_debug("cannot read /etc/hosts");
	return 0;
}

int
proxy_listen(struct proxy *px, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	px->listen_port = addr_port((struct sockaddr *)&px->cfg.listen);
	px->accept_retry = evtimer_new(px->base, proxy_accept_retry, px);
	if (px->accept_retry == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (px->cfg.explicit_on && proxy_listen_explicit(px, err, errlen) != 0)
		return -1;
	if (!settings_transparent(&px->cfg))
		return 0;
	if (!px->cfg.listen_any)
		return proxy_add_listener(px, (struct sockaddr *)&px->cfg.listen,
		    px->cfg.listen_len, 1, 0, err, errlen);
	/* Separate v4 and v6 sockets: SO_ORIGINAL_DST wants a v4 socket. */
	if (addr_parse_ip("0.0.0.0", px->listen_port, &ss, &len) != 0 ||
	    proxy_add_listener(px, (struct sockaddr *)&ss, len, 1, 0, err,
	    errlen) != 0)
		return -1;
	if (addr_parse_ip("::", px->listen_port, &ss, &len) != 0)
		return -1;
	if (proxy_add_listener(px, (struct sockaddr *)&ss, len, 1, 0, err,
	    errlen) != 0) {
		/* A host without IPv6 still works for IPv4. */
		if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL) {
			log_warnx("%s; IPv4 only", err);
			return 0;
		}
		return -1;
	}
	return 0;
}

void
proxy_flow_done(struct proxy *px)
{
	if (px->paused_limit && px->nflows < px->cfg.max_flows) {
		px->paused_limit = 0;
		proxy_set_accepting(px);
	}
}

void
proxy_shutdown(struct proxy *px)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < px->nlisteners; i++)
		evconnlistener_free(px->listeners[i]);
	px->nlisteners = 0;
	while ((c = TAILQ_FIRST(&px->flows)) != NULL)
		conn_close(c, CONN_R_SHUTDOWN, 0, 0, 0);
	if (px->accept_retry != NULL)
		event_free(px->accept_retry);
	px->accept_retry = NULL;
	if (px->dns != NULL)
		evdns_base_free(px->dns, 1);	/* pending lookups fail now */
	px->dns = NULL;
}

uint64_t
proxy_random(struct proxy *px)
{
	/* xorshift64* (Vigna): small, fast, and the same everywhere. */
	uint64_t x = px->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	px->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}
