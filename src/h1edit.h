/*
 * Head rewriting, pure: the header half of the misbehaviour engine. A
 * rewrite copies a parsed head (h1.h) into a caller buffer, changing
 * only what the edits ask for; every other byte (order, case, spacing,
 * line ends) is copied as it came. It reports what it changed so that
 * the caller can log it once. Also builders for the proxy's own replies.
 */
#ifndef PROXYSIM_H1EDIT_H
#define PROXYSIM_H1EDIT_H

#include <sys/types.h>
#include <stddef.h>

#include "attrib.h"
#include "h1.h"

#define H1EDIT_STRIP_HOP	0x0001	/* RFC 9110 7.6.1 hop-by-hop set */
#define H1EDIT_STRIP_UPGRADE	0x0002	/* the Upgrade header alone */
#define H1EDIT_STRIP_UPGRADE_TOKEN 0x0004 /* "upgrade" from Connection */
#define H1EDIT_HTTP10		0x0008	/* HTTP/1.0, hop-by-hop, close */
#define H1EDIT_LOWER_NAMES	0x0010
#define H1EDIT_LOWER_VALUES	0x0020	/* of lower_values, or all */
#define H1EDIT_MERGE_DUPS	0x0040	/* "websocket" -> "websocket, websocket" */
#define H1EDIT_CONN_MULTI	0x0080	/* "Upgrade" -> "keep-alive, Upgrade" */
#define H1EDIT_HOST_LAST	0x0100	/* Squid: Host after the others */
#define H1EDIT_HOST_FIRST	0x0200	/* nginx: "Host" right after the start line */
#define H1EDIT_HOP_NGINX	0x0400	/* hop-by-hop is nginx's set, not RFC's
					 * (a smaller one on responses) */
#define H1EDIT_NORMALIZE	0x0800	/* lines rewritten "Name: value" CRLF */
#define H1EDIT_CANON_WORDS	0x1000	/* names as Go's textproto writes them:
					 * "Sec-Websocket-Accept" */

/* A header renamed (any length); from is matched without case. */
struct h1edit_rename {
	const char	*from;
	const char	*to;
};

/* A value replaced in headers named name whose value is value (no case). */
struct h1edit_revalue {
	const char	*name;
	const char	*value;
	const char	*to;
};

struct h1edit {
	unsigned int	 flags;			/* H1EDIT_... */
	const char	*via;			/* appended Via value, or NULL */
	const char *const *add;			/* "Name: value" lines, NULL-ended;
						 * a header the head has already
						 * moves there in their place */
	const char	*connection;		/* appended Connection value */
	const char *const *lower_values;	/* NULL-ended; NULL: all */
	const char *const *merge;		/* NULL-ended; NULL: Upgrade */
	const char	*conn_token;		/* CONN_MULTI; NULL: keep-alive */
	const struct h1edit_rename *renames;
	size_t		 nrenames;
	const struct h1edit_revalue *revalues;
	size_t		 nrevalues;
	const char *const *canon;		/* names written in this case */
	const char *const *first;		/* "Name: value" lines written
						 * right after the start line */
	const char *const *before_via;		/* ... after the forwarded ones,
						 * before Via (Squid's X-Cache) */
	const char *const *drop_names;		/* headers removed by name */
};

/*
 * The header names Squid 5.7 knows, in the case it writes them whatever
 * the case they came in (measured: tests/integration/fidelity.sh); other
 * names keep theirs. NULL-ended.
 */
extern const char *const h1edit_squid_names[];

enum h1edit_act_kind {
	H1EDIT_A_REMOVED = 0,	/* a header line dropped */
	H1EDIT_A_ADDED,		/* a header line added */
	H1EDIT_A_RENAMED,	/* a name changed; name is the old one */
	H1EDIT_A_VALUE,		/* a value changed */
	H1EDIT_A_VERSION,	/* the start line's version changed */
	H1EDIT_A_MOVED		/* a header line moved */
};

/* name points into the original head, the edit's strings or literals. */
struct h1edit_action {
	enum h1edit_act_kind kind;
	const char	*name;
	size_t		 namelen;
};

#define H1EDIT_MAX_ACTIONS	32

struct h1edit_report {
	size_t		 nact;
	size_t		 lost;		/* actions beyond H1EDIT_MAX_ACTIONS */
	struct h1edit_action act[H1EDIT_MAX_ACTIONS];
};

const char	*h1edit_act_name(enum h1edit_act_kind);

/*
 * Writes the edited head into out (cap bytes) and returns its length, or
 * -1 when it does not fit. rep may be NULL.
 */
ssize_t	h1edit_apply(char *out, size_t cap, const char *buf,
	    const struct h1_head *, const struct h1edit *,
	    struct h1edit_report *) NONNULL(1, 3, 4, 5) WUNRES;

/*
 * Does the request's target match the (/cgi-bin/|\?) line of Squid's
 * default refresh_pattern? Then Squid 5.7 sends "Cache-Control:
 * max-age=0" upstream, not max-age=259200 (measured, fidelity.sh).
 */
int	h1edit_squid_nocache(const struct h1_head *, const char *)
	    NONNULL(1, 2);

/*
 * Does the client of this request expect the connection to close after
 * the response (Connection: close, or HTTP/1.0 without keep-alive)? A
 * proxy that keeps its client connection says so in its answer.
 */
int	h1edit_wants_close(const struct h1_head *, const char *)
	    NONNULL(1, 2);

/*
 * Renames headers in place, only the name bytes, when from and to have
 * the same length (Connection -> Cneonction): the head's length and its
 * byte sum stay. Returns the number renamed, or -1 if lengths differ.
 */
int	h1edit_rename_inplace(char *, const struct h1_head *, const char *from,
	    const char *to) NONNULL(1, 2, 3, 4);

/*
 * A head of the proxy's own: the start line (without CRLF), header lines
 * (NULL-ended, without CRLF), then the body. With a body (even empty) an
 * exact Content-Length is sent: in place of a header given as just
 * "Content-Length" (in its case), else after the others. Bytes or -1.
 */
ssize_t	h1edit_build(char *, size_t, const char *start,
	    const char *const *headers, const char *body, size_t bodylen)
	    NONNULL(1, 3) WUNRES;
ssize_t	h1edit_build_response(char *, size_t, int status, const char *reason,
	    const char *const *headers, const char *body, size_t bodylen)
	    NONNULL(1, 4) WUNRES;

#endif
