/*
 * wsprobe's internals: a WebSocket client that reports what it
 * experienced as one classified result, and an echo server that logs
 * each handshake as it arrived. Blocking sockets are avoided: every wait
 * is a poll() against a deadline, with OpenSSL directly on the socket.
 */
#ifndef PROXYSIM_WSPROBE_H
#define PROXYSIM_WSPROBE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "attrib.h"
#include "ws.h"

/* Exit statuses: a stable interface, documented in wsprobe(1). */
enum wsprobe_status {
	WSPROBE_OK = 0,
	WSPROBE_INTERNAL = 1,
	WSPROBE_USAGE = 2,
	WSPROBE_CONNECT = 3,
	WSPROBE_PROXY = 4,
	WSPROBE_HTTP = 5,
	WSPROBE_HANDSHAKE = 6,
	WSPROBE_TIMEOUT = 7,
	WSPROBE_CLOSED = 8,
	WSPROBE_ECHO = 9,
	WSPROBE_TLS = 10
};

const char	*wsprobe_class(int status);

#define WSPROBE_MAX_EXTRA	32
#define WSPROBE_MAX_LISTEN	16
#define WSPROBE_RBUF	65536

struct wsprobe_copts {
	const char	*url;
	int		 version;
	const char	*proxy;
	int		 proxy_absolute;
	const char	*origin;
	const char	*protocol;
	struct ws_hdr	 extra[WSPROBE_MAX_EXTRA];
	size_t		 nextra;
	uint64_t	 count;
	size_t		 size;
	size_t		 fragment;
	double		 idle;
	double		 timeout;
	const char	*cafile;
	int		 insecure;
	int		 json;
	int		 verbose;
	size_t		 maxhead;
};

struct wsprobe_sopts {
	const char	*listen[WSPROBE_MAX_LISTEN];
	size_t		 nlisten;
	const char	*cert, *key;
	unsigned	 versions;	/* WSPROBE_V_... bits */
	int		 key3_defer;
	unsigned	 plain_status;	/* 426 or 400 */
	const char	*log;
	double		 timeout;
	double		 idle_timeout;
	size_t		 max_message;
	size_t		 maxhead;
	unsigned	 max_conns;
	int		 verbose;
};

#define WSPROBE_V_13	0x01
#define WSPROBE_V_8	0x02
#define WSPROBE_V_7	0x04
#define WSPROBE_V_76	0x08
#define WSPROBE_V_75	0x10
#define WSPROBE_V_ALL	0x1f

unsigned	 wsprobe_version_bit(int);

int	wsprobe_client(const struct wsprobe_copts *) NONNULL(1);
int	wsprobe_serve(const struct wsprobe_sopts *) NONNULL(1);

/* Time: monotonic milliseconds; a deadline < 0 is none. */
int64_t	wsprobe_now_ms(void);
int64_t	wsprobe_deadline(double seconds);
/* Monotonic, with sub-millisecond resolution, for reported timings. */
double	wsprobe_clock_ms(void);
double	wsprobe_wall(void);

/* Escapes untrusted bytes for a message; marks a cut with "...". */
char	*wsprobe_esc(char *, size_t, const void *, size_t) NONNULL(1);
/* Prints bytes with -v: one escaped line per wire line, prefixed. */
void	wsprobe_dump(const char *prefix, const void *, size_t) NONNULL(1);

/* A connection, plain or TLS, and its WebSocket reader. */
struct wsprobe_conn {
	int		 fd;
	SSL		*ssl;
	int		 version;
	int		 is_server;
	uint8_t		*rbuf;
	size_t		 rcap, rmax, roff, rlen;
	uint8_t		*wbuf;
	uint64_t	 bytes_in, bytes_out;
	int		 io_errno;	/* of the last IO error */
	char		 err[256];	/* its text */
	/* the frame being read */
	int		 in_frame;
	struct ws_frame	 fr;
	uint64_t	 fr_got;
	struct ws_seq	 seq;
	uint8_t		*msg;
	size_t		 msglen, msgcap;
	uint8_t		 ctrl[WS_CTRL_MAX];
};

enum {
	WSPROBE_IO_EOF = 0,
	WSPROBE_IO_ERR = -1,
	WSPROBE_IO_TIMEOUT = -2,
	WSPROBE_IO_FULL = -3
};

enum wsprobe_evkind {
	WSPROBE_EV_MSG = 1,
	WSPROBE_EV_PING,
	WSPROBE_EV_PONG,
	WSPROBE_EV_CLOSE,
	WSPROBE_EV_EOF,
	WSPROBE_EV_TIMEOUT,
	WSPROBE_EV_IOERR,
	WSPROBE_EV_PROTO
};

struct wsprobe_ev {
	enum wsprobe_evkind kind;
	unsigned	 opcode;
	const uint8_t	*data;
	size_t		 len;
	unsigned	 close_code;	/* 1005: none given */
	int		 err;		/* WS_E_... for WSPROBE_EV_PROTO */
};

int	wsprobe_conn_init(struct wsprobe_conn *, int fd, int is_server,
	    size_t rmax) NONNULL(1) WUNRES;
void	wsprobe_conn_free(struct wsprobe_conn *) NONNULL(1);
int	wsprobe_tcp_connect(const char *host, uint16_t port, int64_t deadline,
	    char *addr, size_t addrlen, char *err, size_t errlen, int *timedout)
	    NONNULL(1, 4, 6, 8) WUNRES;
/* >0 bytes, or WSPROBE_IO_EOF, _ERR, _TIMEOUT, _FULL. */
int	wsprobe_fill(struct wsprobe_conn *, int64_t deadline) NONNULL(1);
int	wsprobe_write(struct wsprobe_conn *, const void *, size_t,
	    int64_t deadline) NONNULL(1);
void	wsprobe_consume(struct wsprobe_conn *, size_t) NONNULL(1);
/* TLS on an open connection: 0, or the IO code with c->err set. */
int	wsprobe_tls_connect(struct wsprobe_conn *, SSL_CTX *, const char *host,
	    int is_ip, int64_t deadline) NONNULL(1, 2, 3) WUNRES;
int	wsprobe_tls_accept(struct wsprobe_conn *, SSL_CTX *, int64_t deadline)
	    NONNULL(1, 2) WUNRES;
/* The TLS error queue, or a TLS-less reason, as text. */
void	wsprobe_tls_error(struct wsprobe_conn *, const char *what) NONNULL(1, 2);

/* Messages: whole ones, fragmented as asked; masked from a client. */
int	wsprobe_send_msg(struct wsprobe_conn *, unsigned opcode, const void *,
	    size_t, size_t fragment, int64_t deadline) NONNULL(1);
int	wsprobe_send_ctrl(struct wsprobe_conn *, unsigned opcode, const void *,
	    size_t, int64_t deadline) NONNULL(1);
/* The closing handshake's first step for the connection's version. */
int	wsprobe_send_close(struct wsprobe_conn *, unsigned code,
	    const char *reason, int64_t deadline) NONNULL(1);
void	wsprobe_recv(struct wsprobe_conn *, uint64_t maxmsg, int64_t deadline,
	    struct wsprobe_ev *) NONNULL(1, 4);

#endif
