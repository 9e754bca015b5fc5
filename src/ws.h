/*
 * The WebSocket protocol, pure: the opening handshakes of RFC 6455
 * (versions 13, 8 and 7) and of the hixie-75 and hixie-76 drafts, RFC 6455
 * frames and hixie frames. No I/O, no logging, no allocation: parsers
 * point into the caller's bytes and builders write into the caller's
 * buffers, so that a relay can feed bytes as they arrive. Random bytes
 * (keys, masks) come from the caller, which keeps tests deterministic.
 * SHA-1, MD5 and base64 are libcrypto's; the digests (ws_accept,
 * ws_h76_answer, and the builders and ws_client_init that use them)
 * allocate inside libcrypto, the parsers never do.
 *
 * Functions that parse return a length (> 0) when they have a whole
 * unit, 0 when they need more bytes, and -WS_E_... on an error that no
 * further bytes can cure.
 */
#ifndef PROXYSIM_WS_H
#define PROXYSIM_WS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN	24	/* base64 of the 16-byte nonce */
#define WS_ACCEPT_LEN	28	/* base64 of a SHA-1 */
#define WS_KEY3_LEN	8	/* hixie-76: bytes after the request head */
#define WS_ANSWER_LEN	16	/* hixie-76: MD5 after the response head */
#define WS_H76_KEYMAX	48	/* a Key1/Key2 we make, with its NUL */
#define WS_CLIENT_RAND	128	/* random bytes ws_client_init() takes */
#define WS_HDR_MAX	14	/* longest RFC 6455 frame header */
#define WS_CTRL_MAX	125	/* longest control frame payload */
#define WS_MAX_HEADERS	64
#define WS_HEAD_MAX	16384	/* a sensible bound on a handshake head */

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa
};

/* Close codes with a name in RFC 6455 section 7.4.1. */
enum ws_close {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,	/* never on the wire */
	WS_CLOSE_ABNORMAL = 1006,	/* never on the wire */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_EXTENSION = 1010,
	WS_CLOSE_INTERNAL = 1011
};

/* Errors; each has a short stable name (ws_strerror). */
enum ws_err {
	WS_E_NONE = 0,
	WS_E_ARG,		/* the caller's own input is unusable */
	WS_E_NOSPACE,		/* the caller's buffer is too small */
	WS_E_CRYPTO,
	WS_E_URL,
	WS_E_URL_SCHEME,
	WS_E_URL_FRAGMENT,
	/* HTTP heads */
	WS_E_HEAD_TOO_BIG,
	WS_E_HEAD_SYNTAX,
	WS_E_TOO_MANY_HEADERS,
	WS_E_DUP_HEADER,
	/* handshakes */
	WS_E_STATUS,		/* a response head whose status is not 101 */
	WS_E_NOT_UPGRADE,	/* a request without Upgrade: websocket */
	WS_E_METHOD,
	WS_E_HTTP_VERSION,
	WS_E_NO_HOST,
	WS_E_NO_UPGRADE,
	WS_E_NO_CONNECTION,
	WS_E_VERSION,
	WS_E_NO_KEY,
	WS_E_BAD_KEY,
	WS_E_H76_KEY,
	WS_E_NO_ACCEPT,
	WS_E_BAD_ACCEPT,
	WS_E_H76_ANSWER,
	WS_E_NO_LOCATION,
	WS_E_LOCATION,
	WS_E_ORIGIN,
	WS_E_EXTENSION,
	WS_E_PROTOCOL,
	/* frames */
	WS_E_RSV,
	WS_E_OPCODE,
	WS_E_LEN_MSB,
	WS_E_CTRL_LEN,
	WS_E_CTRL_FRAG,
	WS_E_UNMASKED,
	WS_E_MASKED,
	WS_E_TOO_BIG,
	WS_E_CONTINUATION,
	WS_E_INTERLEAVED,
	WS_E_MSG_TOO_BIG,
	WS_E_CLOSE_PAYLOAD,
	WS_E_CLOSE_CODE,
	WS_E_UTF8,
	WS_E_HIXIE_LEN,
	WS_E_MAX
};

/* The name of an error, given as WS_E_... or as -WS_E_.... */
const char	*ws_strerror(int);
/* 1 for 13, 8, 7, 76 and 75. */
int		 ws_version_known(int);
/* 1 for RFC 6455 framing (13, 8, 7), 0 for hixie framing. */
int		 ws_version_hybi(int);

/* URLs: ws, wss, and for proxies http and https. */
struct ws_url {
	char		 scheme[8];	/* lower case */
	int		 tls;		/* wss or https */
	int		 v6;		/* host is an IPv6 literal */
	char		 host[256];	/* without brackets */
	uint16_t	 port;		/* the default one when not given */
	char		 hostport[272];	/* the Host header value */
	char		 resource[2048];	/* path and query, at least "/" */
};

int	ws_url_parse(const char *, struct ws_url *) NONNULL(1, 2) WUNRES;

/*
 * A minimal, byte-preserving scanner of an HTTP/1 head, only for the
 * handshakes: lines end in CRLF (a bare LF is tolerated), names are
 * matched without case, values have their outer blanks trimmed. The
 * full HTTP/1 engine lives elsewhere.
 */
struct ws_hdr {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

struct ws_head {
	const char	*start;		/* request or status line, no CRLF */
	size_t		 startlen;
	struct ws_hdr	 hdr[WS_MAX_HEADERS];
	size_t		 nhdr;
	size_t		 len;		/* whole head with its blank line; 0 until complete */
};

ssize_t	ws_head_scan(const void *, size_t, size_t maxhead, struct ws_head *)
	    NONNULL(4) WUNRES;
/* The first header of that name, or NULL; *count gets how many (if set). */
const struct ws_hdr *ws_head_get(const struct ws_head *, const char *name,
	    size_t *count) NONNULL(1, 2);
/* 1 if any header of that name lists the token (comma-separated). */
int	ws_head_has_token(const struct ws_head *, const char *name,
	    const char *token) NONNULL(1, 2, 3);

/* "HTTP/1.1 101 Switching Protocols": 0, or -WS_E_HEAD_SYNTAX. */
int	ws_status_parse(const char *, size_t, unsigned *status,
	    const char **reason, size_t *reasonlen) NONNULL(1, 3, 4, 5) WUNRES;

/* Handshake crypto. */
int	ws_accept(const char *key, size_t keylen, char out[WS_ACCEPT_LEN + 1])
	    NONNULL(1, 3) WUNRES;
/* hixie-76: the number a Key1/Key2 stands for (digits / spaces). */
int	ws_h76_key_number(const char *, size_t, uint32_t *) NONNULL(1, 3)
	    WUNRES;
int	ws_h76_answer(const char *key1, size_t, const char *key2, size_t,
	    const uint8_t key3[WS_KEY3_LEN], uint8_t out[WS_ANSWER_LEN])
	    NONNULL(1, 3, 5, 6) WUNRES;

/* The client side of an opening handshake. */
struct ws_client {
	int		 version;
	char		 key[WS_KEY_LEN + 1];
	char		 accept[WS_ACCEPT_LEN + 1];	/* the one we expect */
	char		 key1[WS_H76_KEYMAX];
	char		 key2[WS_H76_KEYMAX];
	uint8_t		 key3[WS_KEY3_LEN];
	uint8_t		 answer[WS_ANSWER_LEN];		/* the one we expect */
};

struct ws_reqopts {
	const char		*target;	/* request-target: "/x?y" or absolute */
	const char		*host;		/* Host header value */
	const char		*origin;	/* or NULL */
	const char		*protocol;	/* offered subprotocols, or NULL */
	const char		*location;	/* hixie: the Location we expect, or NULL */
	const struct ws_hdr	*extra;		/* more headers, sent as given */
	size_t			 nextra;
};

struct ws_response {
	struct ws_head	 head;
	unsigned	 status;
	const char	*reason;	/* reason phrase */
	size_t		 reasonlen;
	const char	*server;	/* Server header value, or NULL */
	size_t		 serverlen;
	const uint8_t	*answer;	/* hixie-76, once there */
};

int	ws_client_init(struct ws_client *, int version,
	    const uint8_t rnd[WS_CLIENT_RAND]) NONNULL(1, 3) WUNRES;
/* The request head, and for hixie-76 key3 after it. */
ssize_t	ws_client_request(const struct ws_client *, const struct ws_reqopts *,
	    char *, size_t) NONNULL(1, 2, 3) WUNRES;
/*
 * Checks the answer: its length (head, and the hixie-76 answer) when the
 * handshake is good, 0 for more bytes, or an error. r->head.len != 0
 * once the head is complete, even on error; -WS_E_STATUS leaves
 * status, reason and server set. For hixie-76, 0 with a complete head
 * means that the 16-byte answer is still missing.
 */
ssize_t	ws_client_response(const struct ws_client *, const struct ws_reqopts *,
	    const void *, size_t, size_t maxhead, struct ws_response *)
	    NONNULL(1, 2, 6) WUNRES;

/* The server side. */
struct ws_request {
	struct ws_head	 head;
	const char	*method;
	size_t		 methodlen;
	const char	*target;
	size_t		 targetlen;
	unsigned	 http_major, http_minor;
	int		 version;	/* 13, 8, 7, 76, 75; 0 until known */
	const struct ws_hdr *host, *origin, *protocol, *key, *key1, *key2,
			*vers;
};

struct ws_respopts {
	int		 tls;		/* for the hixie Location */
	const char	*protocol;	/* the chosen subprotocol, or NULL */
	const char	*server;	/* Server header, or NULL */
};

/*
 * Parses a request head: its length when it is a valid opening
 * handshake of any version (hixie-76 then needs WS_KEY3_LEN more bytes),
 * 0 for more, or an error; -WS_E_NOT_UPGRADE is a valid plain request.
 * rq->head.len != 0 once the head is complete, even on error.
 */
ssize_t	ws_server_request(const void *, size_t, size_t maxhead,
	    struct ws_request *) NONNULL(4) WUNRES;
/* The 101 head; hixie-76's answer (ws_h76_answer) is the caller's. */
ssize_t	ws_server_response(const struct ws_request *, const struct ws_respopts *,
	    char *, size_t) NONNULL(1, 2, 3) WUNRES;

/* RFC 6455 frames. */
#define WS_F_MASKED	0x01	/* frames must be masked (we are the server) */
#define WS_F_UNMASKED	0x02	/* frames must not be masked (the client) */
#define WS_F_RSV1	0x40	/* RSV bits an extension allows, as on the wire */
#define WS_F_RSV2	0x20
#define WS_F_RSV3	0x10

struct ws_frame {
	unsigned	 fin;
	unsigned	 rsv;		/* the RSV bits as on the wire (0x70) */
	unsigned	 opcode;
	unsigned	 masked;
	uint8_t		 mask[4];
	uint64_t	 len;		/* payload length */
	size_t		 hdrlen;
};

/*
 * Decodes a frame header: its length (the payload follows), 0 for more,
 * or an error. Payloads longer than maxlen are refused.
 */
int	ws_frame_parse(const void *, size_t, unsigned flags, uint64_t maxlen,
	    struct ws_frame *) NONNULL(5) WUNRES;
/* Writes a header; 0 if the frame would be invalid. mask may be NULL. */
size_t	ws_frame_header(uint8_t out[WS_HDR_MAX], unsigned fin, unsigned opcode,
	    uint64_t len, const uint8_t *mask) NONNULL(1);
/* A whole frame: its length, or an error. */
ssize_t	ws_frame_encode(void *, size_t, unsigned fin, unsigned opcode,
	    const void *, size_t, const uint8_t *mask) NONNULL(1) WUNRES;
/* XORs with the mask; off is the offset of p in the payload. */
void	ws_mask(void *p, size_t, const uint8_t mask[4], uint64_t off)
	    NONNULL(3);

/* Fragmentation: which frame may follow which, and message size. */
struct ws_seq {
	int		 in_msg;
	unsigned	 opcode;
	uint64_t	 len;
};

void	ws_seq_init(struct ws_seq *) NONNULL(1);
/* The frame's message opcode (text or binary for data, else its own). */
int	ws_seq_frame(struct ws_seq *, const struct ws_frame *, uint64_t maxmsg)
	    NONNULL(1, 2) WUNRES;

int	ws_close_code_valid(unsigned);
/* A close payload: 0, with *code 1005 if empty, or an error. */
int	ws_close_parse(const void *, size_t, unsigned *code) NONNULL(3) WUNRES;
/* Writes code and reason (cut to fit 125 bytes); returns the length. */
size_t	ws_close_payload(uint8_t out[WS_CTRL_MAX], unsigned code,
	    const char *reason, size_t) NONNULL(1);

/* UTF-8, incrementally: for text split across frames. */
struct ws_utf8 {
	unsigned	 need;
	uint32_t	 cp;
	uint32_t	 min;
};

void	ws_utf8_init(struct ws_utf8 *) NONNULL(1);
int	ws_utf8_feed(struct ws_utf8 *, const void *, size_t) NONNULL(1)
	    WUNRES;
int	ws_utf8_done(const struct ws_utf8 *) NONNULL(1) WUNRES;
int	ws_utf8_valid(const void *, size_t);

/* hixie-75/76 frames: 0x00 text 0xFF, the 0xFF 0x00 close, and the
 * length-prefixed frames of type 0x80..0xFF, whose payload is skipped. */
struct ws_hixie_frame {
	unsigned	 type;		/* the first byte */
	int		 close;		/* 0xFF 0x00 */
	size_t		 off;		/* payload offset */
	uint64_t	 len;		/* payload length */
};

ssize_t	ws_hixie_parse(const void *, size_t, uint64_t maxlen,
	    struct ws_hixie_frame *) NONNULL(4) WUNRES;
/* A text frame; the payload must not hold 0xFF. */
ssize_t	ws_hixie_encode(void *, size_t, const void *, size_t) NONNULL(1)
	    WUNRES;

#define WS_HIXIE_CLOSE		"\xff\x00"
#define WS_HIXIE_CLOSE_LEN	2

#endif
