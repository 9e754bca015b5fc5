/*
 * Misbehaviour profiles: named, ordered lists of behaviours with their
 * parameters, defined in INI files ([profile NAME] sections; the shipped
 * personas live in rules/profiles/) plus the built-in `passthrough`.
 * A set of profiles is immutable once loaded and reference-counted, so a
 * reload can swap sets while open flows keep the one they started with.
 * Pure code: parsing and lookup only.
 */
#ifndef PROXYSIM_PROFILE_H
#define PROXYSIM_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "rules.h"

#define PROFILE_NAMELEN		64
#define PROFILE_TEXTLEN		200
#define PROFILE_MAX_BHV		16
#define PROFILE_MAX		128

enum bhv_kind {
	BHV_IDLE_TIMEOUT = 0,	/* no payload bytes for ms: action */
	BHV_MAX_LIFETIME,	/* ms after the flow opened: action */
	BHV_RESET_AFTER,	/* relay `bytes` in dir, then reset both ends */
	BHV_LIMIT_DATA,		/* relay `bytes` in dir, then close (FIN) */
	BHV_BLACKHOLE,		/* drop every byte in dir (counted) */
	/* Timing (shape.c): how admitted bytes are released in dir. */
	BHV_LATENCY,		/* each byte goes out ms (+ jitter) later */
	BHV_BANDWIDTH,		/* at most `bytes` per second */
	BHV_SLICER,		/* writes of `bytes` (+- variation), ms apart */
	BHV_SLOW_CLOSE,		/* a FIN is passed on ms late */
	BHV_SLOW_OPEN,		/* the upstream connect starts ms late */
	/* HTTP: act on the first request head (up) and response head (down). */
	BHV_STRIP_HOP,		/* RFC 9110 7.6.1 hop-by-hop headers removed */
	BHV_HTTP10,		/* request line HTTP/1.0, Connection: close */
	BHV_HDR_LOWER,		/* lowercase names (or values) */
	BHV_HDR_CANON,		/* "Sec-Websocket-Accept", "Upgrade: WebSocket" */
	BHV_HEADER_ADD,		/* a header line of the proxy's own (`add`) */
	BHV_CONN_MERGE,		/* "Upgrade: websocket, websocket",
				 * "Connection: keep-alive, Upgrade" */
	BHV_CNEONCTION,		/* Connection renamed in place, same length */
	BHV_REJECT_UPGRADE,	/* the proxy answers an upgrade itself */
	BHV_AFTER_101,		/* after forwarding a 101: close or reset */
	BHV_UNDECLARED_BODY,	/* bytes after a bodiless request head */
	/* WebSocket frames after an RFC 6455 101 (wsfilter.c). */
	BHV_WS_DROP_CONTROL,	/* drop control frames of `ops` */
	BHV_WS_FRAME,		/* drop or truncate the nth data frame */
	/* Explicit proxy policies: act on the request to the proxy itself. */
	BHV_CONNECT_PORTS,	/* CONNECT allowed to these ports only: 403 */
	BHV_PROXY_AUTH,		/* 407 until Proxy-Authorization is right */
	BHV_CONNECT_REPLY,	/* how a CONNECT is answered: 1.1, 1.0, reset */
	/* TLS without decryption: act on the ClientHello (tlsflow.c). */
	BHV_TLS_RESET_HELLO,	/* relay the ClientHello, then reset both ends */
	BHV_TLS_STALL,		/* relay the server's first record, then nothing */
	BHV_SNI_DENY,		/* reset when the SNI matches `names` */
	BHV_SNI_ALLOW,		/* reset unless the SNI matches `names` */
	BHV_TLS_INTERCEPT,	/* terminate TLS both ways (the lab CA) */
	BHV_MAX
};

enum bhv_action {
	BHV_ACT_FIN = 0,	/* FIN to both ends */
	BHV_ACT_RST,		/* RST to both ends */
	BHV_ACT_WSCLOSE		/* WebSocket close 1001 to the client, FIN */
};

/* Options of the HTTP behaviours (struct behaviour.flags). */
#define BHV_F_UPGRADE_ONLY	0x0001	/* strip: the Upgrade header alone */
#define BHV_F_TOKEN_ONLY	0x0002	/* strip: "upgrade" from Connection */
#define BHV_F_HOST_LAST		0x0004	/* strip: Host after the others (Squid) */
#define BHV_F_XFF		0x0008	/* strip: add X-Forwarded-For */
#define BHV_F_VALUES		0x0010	/* lowercase values, not names */
#define BHV_F_NO_KEY_ONLY	0x0020	/* reject only without a valid key */
#define BHV_F_RESET		0x0040	/* after-101: reset, not FIN */
#define BHV_F_DROP		0x0080	/* undeclared body: drop, not forward */
#define BHV_F_HOLD		0x0100	/* undeclared body: hold, then 504 */
#define BHV_F_ON_DATA		0x0200	/* after-101: at the first data byte */
#define BHV_F_BUFFER		0x0400	/* after-101: hold until `bytes` or EOF */
#define BHV_F_KEEP_HTTP		0x0800	/* after-101: parse the next request */
#define BHV_F_NEXT		0x1000	/* undeclared body: the next message */
#define BHV_F_TRUNCATE		0x2000	/* ws-frame: truncate, not drop */
#define BHV_F_OPAQUE		0x4000	/* connect-reply: no HTTP behaviours
					 * inside the tunnel */
#define BHV_F_HTTP10		0x8000	/* connect-reply: HTTP/1.0 200 */
#define BHV_F_NTLM		0x10000	/* proxy-auth: NTLM, never accepted */
#define BHV_F_NEGOTIATE		0x20000	/* proxy-auth: Negotiate, never accepted */
#define BHV_F_NORMALIZE		0x40000	/* strip, http10: "Name: value" CRLF */
#define BHV_F_SQUID_NAMES	0x80000	/* strip: Squid's case for its names */
#define BHV_F_NGINX		0x100000	/* http10: nginx's hop set, Host first */
#define BHV_F_SQUID_REFRESH	0x200000	/* strip: max-age=0 for a query URL */
#define BHV_F_FIRST		0x400000	/* header-add: after the start line */
#define BHV_F_REPLACE		0x800000	/* header-add: the head's own go */

#define BHV_PAGE_PLAIN		0
#define BHV_PAGE_SQUID		1
#define BHV_PAGE_HAPROXY	2

#define BHV_DIR_UP	0x1	/* client to server */
#define BHV_DIR_DOWN	0x2	/* server to client */
#define BHV_DIR_BOTH	(BHV_DIR_UP | BHV_DIR_DOWN)

struct behaviour {
	enum bhv_kind	 kind;
	unsigned	 dir;		/* BHV_DIR_* */
	uint32_t	 p_ppm;		/* probability per flow, parts per million */
	uint64_t	 bytes;
	uint32_t	 ms;
	uint32_t	 jitter_ms;	/* the timer fires up to this much later */
	uint64_t	 variation;	/* slicer: sizes vary by up to this */
	unsigned	 ops;		/* ws-drop-control: bit per opcode */
	uint64_t	 nth;		/* ws-frame: the data frame, 1-based */
	uint64_t	 keep;		/* ws-frame truncate: payload bytes kept */
	enum bhv_action	 action;
	unsigned	 flags;		/* BHV_F_* */
	int		 status;	/* reject-upgrade */
	int		 page;		/* reject-upgrade: BHV_PAGE_* */
	char		 via[80];	/* strip: a Via value to add */
	char		 add[120];	/* strip: a header line to add */
	char		 conn[40];	/* strip: a Connection value to add */
	char		 to[16];	/* cneonction: the new name */
	char		 ports[120];	/* connect-ports: the list, as given */
	char		 realm[80];	/* proxy-auth basic */
	char		 user[64];	/* proxy-auth basic */
	char		 pass[64];
	char		 agent[80];	/* connect-reply: a Proxy-agent value */
	char		 names[160];	/* sni-deny, sni-allow: "a.lab,*.b.lab" */
};

/* Does the profile act on HTTP (and so hold bytes until classified)? */
int	bhv_is_http(enum bhv_kind);
/* Is it a policy of the explicit proxy (acting before any connect)? */
int	bhv_is_explicit(enum bhv_kind);
/* Does it act on a TLS ClientHello (and so hold bytes until parsed)? */
int	bhv_is_tls(enum bhv_kind);

struct profile {
	char		 name[PROFILE_NAMELEN];
	char		 summary[PROFILE_TEXTLEN];	/* for --list-profiles */
	char		 source[PROFILE_TEXTLEN];	/* the product it imitates */
	char		 origin[PROFILE_TEXTLEN];	/* file:line it came from */
	int		 needs_sniff;	/* hold bytes until classified */
	int		 needs_hello;	/* hold TLS bytes until the ClientHello */
	size_t		 nbhv;
	struct behaviour bhv[PROFILE_MAX_BHV];
};

struct profile_set {
	unsigned	 refs;
	size_t		 n;
	struct profile	 p[PROFILE_MAX];
	struct ruleset	 rules;		/* [rules]: which flow gets which */
};

/* A set holding only `passthrough`, with one reference. */
struct profile_set *profile_set_new(void) WUNRES;
void	profile_set_ref(struct profile_set *) NONNULL(1);
void	profile_set_unref(struct profile_set *);
const struct profile *profile_find(const struct profile_set *, const char *)
	    NONNULL(1, 2);
/* Adds an empty profile; NULL with *err if the name is bad or taken. */
struct profile *profile_add(struct profile_set *, const char *name,
	    const char *origin, const char **err) NONNULL(1, 2, 3, 4);
/* Parses "NAME [ARG] [key=value...]" and appends it. 0, or -1 and *err. */
int	profile_add_behaviour(struct profile *, const char *line,
	    const char **err) NONNULL(1, 2, 3) WUNRES;
const char *bhv_name(enum bhv_kind);
const char *bhv_action_name(enum bhv_action);
/* Does every rule name a profile of the set? 0, or -1 and the first
 * rule that does not. */
int	profile_check_rules(const struct profile_set *,
	    const struct rule **bad) NONNULL(1, 2);
/* Checks a profile name's syntax: 0, or -1 and *err. */
int	profile_name_ok(const char *, const char **err) NONNULL(1, 2);

#endif
