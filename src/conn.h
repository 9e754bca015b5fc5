/*
 * One intercepted flow: the client side, the server side and the one
 * state machine that drives them. Every path out goes through
 * conn_close(), which writes the flow's last event and frees it later,
 * off the callback stack.
 */
#ifndef PROXYSIM_CONN_H
#define PROXYSIM_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdint.h>

#include "profile.h"
#include "sniff.h"

struct bufferevent;
struct evbuffer;
struct capture_flow;
struct event;
struct profile;
struct profile_set;
struct wsfilter;
struct proxy;
struct xproxy;

enum conn_state {
	CONN_ST_INIT = 0,	/* accepted; original destination looked up */
	CONN_ST_PROXY_HEAD,	/* explicit proxy: reading the request to it */
	CONN_ST_CONNECTING,	/* upstream connect in flight; client bytes wait */
	CONN_ST_SNIFF,		/* connected; waiting to classify first bytes */
	CONN_ST_HTTP,		/* HTTP behaviours: first request and response heads */
	CONN_ST_TUNNEL,		/* relaying both directions as they come */
	CONN_ST_CLOSED,		/* conn_close() ran; the free is deferred */
	CONN_ST_MAX
};

struct side {
	struct conn		*conn;
	struct side		*peer;
	struct bufferevent	*bev;
	const char		*name;		/* "client" or "server" */
	uint64_t		 rx;		/* bytes read from this side */
	unsigned int		 eof:1;		/* it sent FIN */
	unsigned int		 shut:1;	/* we sent it FIN */
	unsigned int		 shut_pending:1; /* FIN once output drains */
	unsigned int		 paused:1;	/* reading stopped: peer full */
	unsigned int		 tls:1;		/* bev is an OpenSSL filter */
};

/* Why a flow ended; the names are the event log's "reason" values. */
enum conn_reason {
	CONN_R_EOF = 0,
	CONN_R_CLIENT_RESET,
	CONN_R_SERVER_RESET,
	CONN_R_CLIENT_ERROR,
	CONN_R_SERVER_ERROR,
	CONN_R_CONNECT_REFUSED,
	CONN_R_CONNECT_TIMEOUT,
	CONN_R_CONNECT_ERROR,
	CONN_R_NO_ORIG_DST,
	CONN_R_NOT_REDIRECTED,
	CONN_R_RESOURCES,
	CONN_R_SHUTDOWN,
	CONN_R_IDLE_TIMEOUT,	/* behaviours end flows with these */
	CONN_R_MAX_LIFETIME,
	CONN_R_RESET_AFTER,
	CONN_R_LIMIT_DATA,
	CONN_R_REJECTED,	/* the proxy answered the request itself */
	CONN_R_AFTER_101,
	CONN_R_GATEWAY_TIMEOUT,	/* held bytes, no answer: the proxy's 504 */
	CONN_R_BAD_GATEWAY,	/* the server's bytes made no response: 502 */
	CONN_R_BAD_REQUEST,	/* explicit: the request to the proxy was bad */
	CONN_R_HEAD_TIMEOUT,	/* explicit: no complete request head in time */
	CONN_R_RESOLVE_FAILED,	/* explicit: the target's name did not resolve */
	CONN_R_CONNECT_RESET,	/* explicit: 200 to CONNECT, then a reset */
	CONN_R_SNI_DENIED,	/* sni-deny, sni-allow */
	CONN_R_TLS_RESET,	/* tls-reset-after-hello */
	CONN_R_MAX
};

/* What the profile's behaviours do to this flow at run time (behave.c). */
struct behave {
	uint32_t		 armed;		/* bit per behaviour index */
	struct event		*idle_timer;
	struct event		*life_timer;
	int			 idle_bhv;	/* index, or -1 */
	uint64_t		 dropped[2];	/* blackholed bytes, up and down */
	int			 ending;	/* close once outputs drain */
	int			 end_pending;	/* a budget ran out in this pump */
	enum conn_reason	 end_reason;
	int			 end_rst;
};

/*
 * Timing behaviours on one direction (shape.c): admitted bytes wait in q
 * and are released to the receiving side's output by latency, bandwidth
 * and slicer; a FIN toward that side may be held back (slow close).
 */
#define SHAPE_MARKS	64
struct shape_mark {
	uint64_t	 due_us;	/* when these bytes may go */
	size_t		 len;
};

struct shape {
	unsigned int		 on:1;		/* bytes go through q */
	unsigned int		 logged:1;	/* the first shaped byte was told */
	unsigned int		 fin_started:1;	/* slow close: timer running */
	unsigned int		 fin_ok:1;	/* slow close: delay elapsed */
	unsigned int		 timer_set:1;
	unsigned int		 flush:1;	/* hold no more: a FIN or the end */
	size_t			 hold;		/* after-101 buffer: release at this */
	struct evbuffer		*q;
	struct event		*timer;		/* next release */
	struct event		*fin_timer;
	int			 i_latency, i_rate, i_slice, i_close; /* or -1 */
	uint64_t		 last_due_us;	/* keeps bytes in order */
	uint64_t		 tokens;	/* bandwidth: millionths of a byte */
	uint64_t		 refill_us;
	struct shape_mark	 mark[SHAPE_MARKS];
	unsigned		 mhead, mcount;
	uint64_t		 slices;	/* writes the slicer made */
};

/* The HTTP behaviours' progress on the flow's first exchange. */
struct h1relay {
	unsigned int		 req_done:1;	/* request head handled */
	unsigned int		 resp_done:1;	/* final response head handled */
	unsigned int		 dropping:1;	/* undeclared body being dropped */
	unsigned int		 is_head:1;	/* the request was HEAD */
	unsigned int		 holding:1;	/* undeclared body held back */
	unsigned int		 kill_on_data:1; /* after-101 on=data */
	unsigned int		 keep_http:1;	/* after-101 http */
	unsigned int		 next_req:1;	/* held bytes: the next request? */
	unsigned int		 resp_extra:1;	/* bytes after the 101: drop/next */
	unsigned int		 resp_next:1;	/* ... parsed as the next response */
	unsigned int		 cli_close:1;	/* the client asked to close */
	struct event		*hold_timer;	/* then a 504 */
	struct event		*after_timer;	/* after-101 after=N */
};

struct tlsflow;
struct tlshello;

struct conn {
	uint64_t		 id;
	enum conn_state		 state;
	struct proxy		*px;
	struct profile_set	*pset;		/* a reference: kept across reloads */
	const struct profile	*prof;
	const struct rule	*rule;		/* what picked prof, or NULL */
	int			 rule_pending;	/* a rule waits for Host/path */
	struct behave		 bhv;
	struct h1relay		 h1;
	struct shape		 shape[2];	/* toward the server, the client */
	struct wsfilter		*wsf[2];	/* frames up, down; or NULL */
	struct side		 cli, srv;
	struct sockaddr_storage	 client, server;
	enum sniff_proto	 proto;
	unsigned char		 sniff[64];	/* the client's first bytes */
	size_t			 sniff_len;
	struct tlsflow		*tls;		/* a TLS flow's hello (tlsflow.c) */
	struct timeval		 t_open;
	struct timeval		 t_connected;
	struct event		*connect_timer;
	struct event		*open_timer;	/* slow-open */
	size_t			 bufmax;
	struct xproxy		*xp;		/* explicit proxy flows only */
	struct capture_flow	*cap;		/* -w/--pcap-dir, else NULL */
	TAILQ_ENTRY(conn)	 entry;
};

const char *conn_state_name(enum conn_state);
const char *conn_reason_name(enum conn_reason);
void	conn_accept(struct proxy *, int fd, const struct sockaddr *, int);
/* A flow for an accepted socket, not yet logged; NULL if it was closed.
 * local gets the socket's own address. */
struct conn *conn_new(struct proxy *, int fd, const struct sockaddr *, int,
	    struct sockaddr_storage *local);
void	conn_log_open(struct conn *, const struct sockaddr *local);
/* Connects upstream to c->server; failures end in conn_connect_failed. */
void	conn_connect(struct conn *);
/* The upstream connect failed: a reset for the client, or (explicit
 * proxy) an error page. */
void	conn_connect_failed(struct conn *, enum conn_reason, int err);
void	conn_set_state(struct conn *, enum conn_state);
/* Ends the flow; rst_cli/rst_srv send a reset instead of a FIN. */
void	conn_close(struct conn *, enum conn_reason, int err, int rst_cli,
	    int rst_srv);

/*
 * Picks the flow's profile by the rules ([rules]) from what is known of
 * it (f: http and tls, -1 while unknown, and the Host, target or SNI;
 * the destination and flow number are filled in here). While a rule
 * waits for the request head or the ClientHello, c->rule_pending is set
 * and the behaviours have not started; once decided they start here.
 */
struct rules_flow;
void	conn_pick_profile(struct conn *, struct rules_flow *f);
/* What relay.c knows of a flow it tunnels: HTTP no, TLS maybe. */
void	conn_pick_unless_http(struct conn *);

/* Stamps the connect time and stops the connect timer. */
void	conn_upstream_connected(struct conn *);

/* behave.c: the profile's behaviours at run time. */
void	behave_start(struct conn *);
/* How many of len bytes from s may be relayed now; drops what a
 * behaviour swallows. */
size_t	behave_admit(struct conn *, struct side *, size_t len);
/* Called when an output drained: ends a flow a behaviour is ending. */
void	behave_drained(struct conn *);
/* After bytes were admitted: starts the ending a budget asked for. */
void	behave_after_pump(struct conn *);
/* slow-open: how long the upstream connect waits (0: at once); logs it. */
uint32_t behave_open_delay(struct conn *);
/* Ends the flow once both outputs drain, with a reset or a FIN. */
void	behave_end(struct conn *, enum conn_reason, int rst);
/* Is behaviour i of the profile armed for this flow? */
int	behave_armed(const struct conn *, size_t i);
/* The first armed behaviour of kind k acting in dir (a BHV_DIR_* mask:
 * any of its bits), or NULL. */
const struct behaviour *behave_find(const struct conn *, enum bhv_kind k,
	    unsigned dir);

/* shape.c: latency, bandwidth, slicer and slow close. */
void	shape_start(struct conn *);
void	shape_stop(struct conn *);
/* Is the direction toward `to` shaped? Then bytes go through shape_push. */
#define shape_on(to)	((to)->conn->shape[(to) == &(to)->conn->cli].on)
size_t	shape_queued(const struct side *to);
/* Moves n bytes of `from` (or len bytes at p) toward `to`, shaped. */
void	shape_push(struct side *to, struct evbuffer *from, size_t n);
void	shape_push_bytes(struct side *to, const void *p, size_t len);
/* after-101 buffer: bytes toward `to` wait until `bytes` have gathered
 * (then flow freely) or a FIN comes. */
void	shape_hold(struct side *to, size_t bytes);
/* The flow is ending: release what is held at once. */
void	shape_flush(struct conn *);
/* Must a FIN toward `to` wait (bytes queued, or a slow close)? */
int	shape_holds_fin(struct side *to);

/* wsrelay.c: frame-aware behaviours after an RFC 6455 101. */
void	wsrelay_start(struct conn *);
void	wsrelay_stop(struct conn *);
/* Moves n bytes of `in`, read from s, through its direction's filter. */
void	wsrelay_pump(struct side *s, struct evbuffer *in, size_t n);

/* h1relay.c: the HTTP behaviours on the first request and response. */
void	h1relay_client(struct conn *);
void	h1relay_server(struct conn *);
void	h1relay_stop(struct conn *);
void	behave_stop(struct conn *);

/* explicit.c: the explicit proxy (requests to the proxy itself). */
void	explicit_accept(struct proxy *, int fd, const struct sockaddr *, int);
/* Upstream connected: answers CONNECT. 1 if it took the flow over. */
int	explicit_connected(struct conn *);
/* Answers a failed connect with 502 or 504 and ends the flow. */
void	explicit_connect_failed(struct conn *, enum conn_reason, int err);
void	explicit_stop(struct conn *);
/* tlsflow.c: the ClientHello and the TLS behaviours. */
void	tlsflow_start(struct conn *);
/* How many of len bytes in `in` (side s's, at its stream offset rx) may
 * be relayed now; it may drain what a behaviour swallows. */
size_t	tlsflow_pump(struct side *, struct evbuffer *, size_t len);
int	tlsflow_holding(const struct conn *);
/* Is the ClientHello known (parsed, or given up on)? */
int	tlsflow_decided(const struct conn *);
/* A TLS side's handshake is done (BEV_EVENT_CONNECTED). */
void	tlsflow_handshake(struct side *);
/* A TLS side failed: logs OpenSSL's reasons (tls_error). */
void	tlsflow_error(struct side *);
/* Queues a TLS side's close_notify once its plaintext is all encrypted. */
void	tlsflow_close_notify(struct side *);
void	tlsflow_stop(struct conn *);
/* The flow's parsed ClientHello (SNI, ALPN, versions), or NULL while
 * unknown, or if it was not TLS or not well-formed. */
const struct tlshello *tlsflow_hello(const struct conn *);

/* relay.c: moves bytes between the sides. */
void	relay_setup_callbacks(struct conn *);
void	relay_start(struct conn *);
/* Logs the flow's class from the bytes seen so far; force decides now. */
void	relay_classify(struct conn *, int force);
/* Relays both directions as they come from now on. */
void	relay_tunnel(struct conn *);
void	relay_pump(struct side *);
/* Bytes toward `to` that the proxy writes itself, in order with the
 * relayed ones (through the shaper when the direction is shaped). */
void	relay_emit(struct side *to, const void *, size_t);
/* The shaper released everything it held toward `to`. */
void	relay_shape_drained(struct side *to);
/* The socket under a side, and its bytes not yet written (for a TLS
 * side, the plaintext and the records under it). */
int	relay_side_fd(const struct side *);
size_t	relay_outlen(const struct side *);

#endif
