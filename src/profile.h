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
	BHV_MAX
};

enum bhv_action {
	BHV_ACT_FIN = 0,	/* FIN to both ends */
	BHV_ACT_RST,		/* RST to both ends */
	BHV_ACT_WSCLOSE		/* WebSocket close 1001 to the client, FIN */
};

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
	enum bhv_action	 action;
};

struct profile {
	char		 name[PROFILE_NAMELEN];
	char		 summary[PROFILE_TEXTLEN];	/* for --list-profiles */
	char		 source[PROFILE_TEXTLEN];	/* the product it imitates */
	char		 origin[PROFILE_TEXTLEN];	/* file:line it came from */
	int		 needs_sniff;	/* hold bytes until classified */
	size_t		 nbhv;
	struct behaviour bhv[PROFILE_MAX_BHV];
};

struct profile_set {
	unsigned	 refs;
	size_t		 n;
	struct profile	 p[PROFILE_MAX];
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
/* Checks a profile name's syntax: 0, or -1 and *err. */
int	profile_name_ok(const char *, const char **err) NONNULL(1, 2);

#endif
