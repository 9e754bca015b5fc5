/*
 * The HTTP/1 message engine, pure: a zero-copy head parser (RFC 9112
 * sections 2 to 5), header lookups, and per-direction message framing
 * (RFC 9112 sections 6 and 7) fed with bytes as they arrive. No I/O, no
 * logging, no allocation: a parsed head is a set of spans (offset and
 * length) into the caller's buffer, so that header bytes stay exactly as
 * sent unless a behaviour (h1edit) rewrites them.
 *
 * Parsers return a length (> 0) when they have a whole unit, 0 when they
 * need more bytes, and -H1_E_... on an error no further bytes can cure.
 */
#ifndef PROXYSIM_H1_H
#define PROXYSIM_H1_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

#define H1_HEAD_MAX	65536	/* default bound on a head, in bytes */
#define H1_MAX_HEADERS	100	/* header lines per head */
#define H1_CHUNK_LINE_MAX 4096	/* chunk-size line with its extensions */
#define H1_TRAILER_MAX	65536	/* a trailer section, in bytes */

enum h1_err {
	H1_E_NONE = 0,
	H1_E_TOO_BIG,		/* head longer than its bound */
	H1_E_TOO_MANY,		/* more than H1_MAX_HEADERS header lines */
	H1_E_REQUEST_LINE,
	H1_E_STATUS_LINE,
	H1_E_VERSION,		/* not HTTP/1.x */
	H1_E_HEADER_SYNTAX,	/* no colon, empty name, space before colon */
	H1_E_OBS_FOLD,		/* a line starting with SP or HTAB */
	H1_E_CTL,		/* NUL or another control byte in the head */
	H1_E_BARE_CR,		/* CR not followed by LF */
	H1_E_CONTENT_LENGTH,	/* not 1*DIGIT, or too large */
	H1_E_CL_CONFLICT,	/* Content-Length values that differ */
	H1_E_TRANSFER_ENCODING,	/* unusable Transfer-Encoding on a request */
	H1_E_CHUNK_SIZE,
	H1_E_CHUNK_CRLF,	/* chunk data not followed by CRLF */
	H1_E_TRAILER,
	H1_E_TRUNCATED,		/* EOF inside a message */
	H1_E_STATE,		/* fed after an error or after EOF */
	H1_E_MAX
};

/* The name of an error, given as H1_E_... or -H1_E_.... */
const char	*h1_strerror(int);
/* RFC 9110 5.6.2 tchar: a byte of a token (method, header name). */
int	h1_tchar(unsigned char);

/* A run of bytes of the caller's buffer. */
struct h1_span {
	uint32_t	 off;
	uint32_t	 len;
};

struct h1_header {
	struct h1_span	 line;		/* the whole line with its CRLF or LF */
	struct h1_span	 name;
	struct h1_span	 value;		/* without leading and trailing OWS */
};

enum h1_kind {
	H1_REQUEST = 0,
	H1_RESPONSE
};

/* The methods whose responses frame differently, and the common ones. */
enum h1_method {
	H1_M_OTHER = 0,
	H1_M_GET,
	H1_M_HEAD,
	H1_M_POST,
	H1_M_PUT,
	H1_M_CONNECT,
	H1_M_OPTIONS
};

#define H1_F_BARE_LF	0x01	/* some line ended in LF alone */
#define H1_F_LEADING_CRLF 0x02	/* empty lines before the request line */

struct h1_head {
	enum h1_kind	 kind;
	unsigned int	 flags;		/* H1_F_... */
	uint32_t	 len;		/* head bytes, final empty line included */
	struct h1_span	 line;		/* start line with its line end */
	struct h1_span	 method;	/* requests */
	enum h1_method	 meth;
	struct h1_span	 target;	/* requests */
	struct h1_span	 version;	/* "HTTP/1.1" */
	int		 minor;		/* the 1 of HTTP/1.1 */
	int		 status;	/* responses */
	struct h1_span	 reason;	/* responses; may be empty */
	struct h1_span	 end;		/* the final CRLF or LF */
	size_t		 nhdr;
	struct h1_header hdr[H1_MAX_HEADERS];
};

/*
 * Could these bytes begin a message of this kind? 0 when they cannot (a
 * request's method is a token; a response starts "HTTP/"), 1 when they
 * may: the head parser waits for a whole line, a proxy need not.
 */
int	h1_may_start(const char *, size_t, enum h1_kind);

/* Parses a head bounded by H1_HEAD_MAX, or by max bytes. */
int	h1_parse_head(const char *, size_t, enum h1_kind, struct h1_head *)
	    NONNULL(1, 4) WUNRES;
int	h1_parse_head_max(const char *, size_t, size_t max, enum h1_kind,
	    struct h1_head *) NONNULL(1, 5) WUNRES;

/* Case-insensitive comparison of a span with a C string. */
int	h1_span_eq(const char *buf, struct h1_span, const char *) NONNULL(1, 3);
/* The index of the first header at or after from named name, or -1. */
int	h1_header_find(const struct h1_head *, const char *buf,
	    const char *name, size_t from) NONNULL(1, 2, 3);
/* 1 if a comma-separated list in any header named name holds token. */
int	h1_header_has_token(const struct h1_head *, const char *buf,
	    const char *name, const char *token) NONNULL(1, 2, 3, 4);
int	h1_header_has_tokenn(const struct h1_head *, const char *buf,
	    const char *name, const char *token, size_t) NONNULL(1, 2, 3, 4);
/*
 * Content-Length (RFC 9112 6.3, RFC 9110 8.6): 1 and *out when present,
 * 0 when absent, -H1_E_CONTENT_LENGTH or -H1_E_CL_CONFLICT.
 */
int	h1_content_length(const struct h1_head *, const char *buf, int64_t *out)
	    NONNULL(1, 2, 3) WUNRES;

enum h1_te {
	H1_TE_NONE = 0,		/* no Transfer-Encoding */
	H1_TE_CHUNKED,		/* chunked is the final coding */
	H1_TE_OTHER		/* some other final coding */
};
enum h1_te	h1_transfer_coding(const struct h1_head *, const char *buf)
		    NONNULL(1, 2);

/* Which WebSocket handshake a request or a 101 response is part of. */
enum h1_ws {
	H1_WS_NONE = 0,
	H1_WS_HYBI,		/* Sec-WebSocket-Key/-Version, -Accept */
	H1_WS_HIXIE76,		/* Sec-WebSocket-Key1 and -Key2, -Location */
	H1_WS_HIXIE75		/* Upgrade: WebSocket and no keys */
};
enum h1_ws	h1_head_ws_kind(const struct h1_head *, const char *buf)
		    NONNULL(1, 2);
const char	*h1_ws_name(enum h1_ws);
enum h1_method	h1_method_parse(const char *, size_t) NONNULL(1);

/*
 * Message framing, one struct h1_msg per direction. h1_msg_feed() looks
 * at the bytes that follow what it has consumed so far and returns one
 * unit at their start: res->len bytes of one kind. While a head is
 * incomplete it consumes nothing (H1_U_NEED_MORE); call it again with the
 * same bytes and more after them, from the head's first byte (a relay
 * linearizes them). Body bytes may come in any split.
 */
enum h1_state {
	H1_ST_HEAD = 0,		/* before or inside a head */
	H1_ST_BODY,		/* Content-Length body, toread left */
	H1_ST_CHUNK_SIZE,	/* chunk-size digits */
	H1_ST_CHUNK_EXT,	/* chunk extensions up to the line end */
	H1_ST_CHUNK_LF,		/* CR seen after the chunk-size line */
	H1_ST_CHUNK_DATA,	/* chunk data, toread left */
	H1_ST_CHUNK_CR,		/* CRLF after chunk data */
	H1_ST_CHUNK_DATA_LF,	/* its LF */
	H1_ST_TRAILER,		/* trailer section */
	H1_ST_CLOSE,		/* close-delimited body */
	H1_ST_EXTRA,		/* after a request that declared no more */
	H1_ST_TUNNEL,		/* after 101 or a 2xx to CONNECT */
	H1_ST_EOF,		/* h1_msg_eof() ran */
	H1_ST_ERROR
};
const char	*h1_state_name(enum h1_state);

enum h1_unit {
	H1_U_NEED_MORE = 0,	/* nothing consumed: feed more bytes */
	H1_U_HEAD,		/* a complete head, parsed in res->head */
	H1_U_BODY,		/* payload: Content-Length, chunk or close body */
	H1_U_FRAMING,		/* chunk-size lines, CRLFs and trailers */
	H1_U_EXTRA,		/* bytes no framing declares (hixie-76 key3) */
	H1_U_TUNNEL,		/* after 101: the caller decides */
	H1_U_ERROR
};
const char	*h1_unit_name(enum h1_unit);

struct h1_feed_result {
	enum h1_unit	 unit;
	size_t		 len;		/* bytes of the unit */
	int		 done;		/* the unit ends a message */
	int		 err;		/* H1_E_... with H1_U_ERROR */
	const struct h1_head *head;	/* with H1_U_HEAD */
};

#define H1_MF_UPGRADE	0x01	/* request: Upgrade or CONNECT, no body yet */
#define H1_MF_INTERIM	0x02	/* response: the last head was 1xx */

struct h1_msg {
	enum h1_kind	 kind;
	enum h1_state	 state;
	unsigned int	 flags;		/* H1_MF_... */
	int		 err;
	size_t		 maxhead;
	size_t		 scan;		/* head bytes already searched for LF */
	uint64_t	 toread;	/* body or chunk bytes left */
	uint32_t	 linelen;	/* chunk-size line or trailer so far */
	uint32_t	 trailerlen;
	enum h1_method	 reqmeth;	/* responses: the request's method */
	unsigned int	 nmsg;		/* complete messages (1xx included) */
	struct h1_head	 head;		/* the last head */
};

void	h1_msg_init(struct h1_msg *, enum h1_kind) NONNULL(1);
/* The method of the request the next response answers (GET by default). */
void	h1_msg_set_method(struct h1_msg *, enum h1_method) NONNULL(1);
void	h1_msg_expect_response(struct h1_msg *resp, const struct h1_msg *req)
	    NONNULL(1, 2);
int	h1_msg_feed(struct h1_msg *, const char *, size_t,
	    struct h1_feed_result *) NONNULL(1, 4);
/* The caller's verdicts on an upgrade: tunnel, or back to HTTP. */
void	h1_msg_tunnel(struct h1_msg *) NONNULL(1);
void	h1_msg_resume(struct h1_msg *) NONNULL(1);
/* The peer closed: 0 if that ends things cleanly, else -H1_E_TRUNCATED. */
int	h1_msg_eof(struct h1_msg *) NONNULL(1);

#endif
