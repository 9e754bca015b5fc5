/*
 * wsprobe's connections: TCP connect, TLS, reads and writes against
 * deadlines, and WebSocket messages over them. See wsprobe.h.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "escape.h"
#include "wsprobe.h"

#define WSPROBE_WBUF	65536

int64_t
wsprobe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
wsprobe_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
}

int64_t
wsprobe_deadline(double seconds)
{
	if (seconds <= 0)
		return -1;
	return wsprobe_now_ms() + (int64_t)(seconds * 1000 + 0.5);
}

double
wsprobe_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

char *
wsprobe_esc(char *dst, size_t dstlen, const void *src, size_t n)
{
	size_t used;

	if (dstlen < 8) {
		if (dstlen > 0)
			dst[0] = '\0';
		return dst;
	}
	used = escape_bytes(dst, dstlen - 3, src, n);
	if (used < n)
		strcat(dst, "...");
	return dst;
}

void
wsprobe_dump(const char *prefix, const void *buf, size_t n)
{
	const uint8_t *p = buf, *nl;
	char line[512];
	size_t len, used;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		len = nl != NULL ? (size_t)(nl - p) + 1 : n;
		p += len;
		n -= len;
		/* Long lines go out in pieces; each piece stays escaped. */
		for (used = 0; used < len;) {
			size_t k = escape_bytes(line, sizeof(line), p - len + used,
			    len - used);

			fprintf(stderr, "%s%s\n", prefix, line);
			used += k;
			if (k == 0)
				break;
		}
	}
	fflush(stderr);
}

static int
wsprobe_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left;
	int r;

	for (;;) {
		left = deadline < 0 ? -1 : deadline - wsprobe_now_ms();
		if (deadline >= 0 && left <= 0)
			return WSPROBE_IO_TIMEOUT;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			continue;	/* the loop tells whether time is up */
		if (errno != EINTR)
			return WSPROBE_IO_ERR;
	}
}

int
wsprobe_conn_init(struct wsprobe_conn *c, int fd, int is_server, size_t rmax)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->is_server = is_server;
	c->rcap = WSPROBE_RBUF;
	c->rmax = rmax < WSPROBE_RBUF ? WSPROBE_RBUF : rmax;
	c->rbuf = malloc(c->rcap);
	c->wbuf = malloc(WSPROBE_WBUF + WS_HDR_MAX);
	ws_seq_init(&c->seq);
	if (c->rbuf == NULL || c->wbuf == NULL) {
		free(c->rbuf);
		free(c->wbuf);
		return -1;
	}
	return 0;
}

void
wsprobe_conn_free(struct wsprobe_conn *c)
{
	if (c->ssl != NULL) {
		/* A close_notify, without waiting for the peer's. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	free(c->msg);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int
wsprobe_tcp_connect(const char *host, uint16_t port, int64_t deadline,
    char *addr, size_t addrlen, char *err, size_t errlen, int *timedout)
{
	struct addrinfo hints, *res, *ai;
	char portstr[8], a[ADDR_STRLEN];
	int fd = -1, r, e, one = 1;
	socklen_t elen;

	*timedout = 0;
	addr[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if ((r = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(r));
		return -1;
	}
	snprintf(err, errlen, "no address for %s", host);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		addr_format(ai->ai_addr, a, sizeof(a));
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = wsprobe_wait(fd, POLLOUT, deadline);
			if (r == WSPROBE_IO_TIMEOUT) {
				snprintf(err, errlen, "no TCP answer from %s (timed out)", a);
				*timedout = 1;
				close(fd);
				fd = -1;
				break;
			}
			elen = sizeof(e);
			if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 &&
			    e == 0)
				break;
			errno = r > 0 ? e : errno;
		}
		snprintf(err, errlen, "connect to %s: %s", a, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		snprintf(addr, addrlen, "%s", a);
		/* Small messages should not wait for Nagle. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static void
wsprobe_io_err(struct wsprobe_conn *c, const char *what, int e)
{
	c->io_errno = e;
	snprintf(c->err, sizeof(c->err), "%s: %s", what, strerror(e));
}

void
wsprobe_tls_error(struct wsprobe_conn *c, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[200];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(c->err, sizeof(c->err), "%s: %s", what, buf);
	} else if (c->io_errno != 0)
		snprintf(c->err, sizeof(c->err), "%s: %s", what, strerror(c->io_errno));
	else
		snprintf(c->err, sizeof(c->err), "%s: the peer closed the connection",
		    what);
	ERR_clear_error();
}

/* One SSL call's outcome: retry after a wait, or an IO code. */
static int
wsprobe_ssl_wait(struct wsprobe_conn *c, int ret, int64_t deadline,
    const char *what)
{
	int e = SSL_get_error(c->ssl, ret), r;

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		r = wsprobe_wait(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
		    deadline);
		if (r == WSPROBE_IO_TIMEOUT)
			snprintf(c->err, sizeof(c->err), "%s: timed out", what);
		else if (r < 0)
			wsprobe_io_err(c, what, errno);
		return r > 0 ? 1 : r;
	case SSL_ERROR_ZERO_RETURN:
		return WSPROBE_IO_EOF;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 && ERR_peek_last_error() == 0)
			return WSPROBE_IO_EOF;
		c->io_errno = errno;
		wsprobe_tls_error(c, what);
		return WSPROBE_IO_ERR;
	default:
		c->io_errno = 0;
		wsprobe_tls_error(c, what);
		return WSPROBE_IO_ERR;
	}
}

int
wsprobe_fill(struct wsprobe_conn *c, int64_t deadline)
{
	size_t room;
	ssize_t n;
	int r;

	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	if (c->rlen == c->rcap) {
		size_t ncap = c->rcap * 2;
		uint8_t *nb;

		if (c->rcap >= c->rmax)
			return WSPROBE_IO_FULL;
		if (ncap > c->rmax)
			ncap = c->rmax;
		if ((nb = realloc(c->rbuf, ncap)) == NULL)
			return WSPROBE_IO_FULL;
		c->rbuf = nb;
		c->rcap = ncap;
	}
	room = c->rcap - c->rlen;
	for (;;) {
		if (c->ssl != NULL) {
			size_t got;

			ERR_clear_error();
			errno = 0;
			r = SSL_read_ex(c->ssl, c->rbuf + c->rlen, room, &got);
			if (r == 1) {
				n = (ssize_t)got;
				break;
			}
			if ((r = wsprobe_ssl_wait(c, r, deadline, "TLS read")) <= 0)
				return r;
			continue;
		}
		n = read(c->fd, c->rbuf + c->rlen, room);
		if (n > 0)
			break;
		if (n == 0)
			return WSPROBE_IO_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			wsprobe_io_err(c, "read", errno);
			return WSPROBE_IO_ERR;
		}
		r = wsprobe_wait(c->fd, POLLIN, deadline);
		if (r == WSPROBE_IO_ERR)
			wsprobe_io_err(c, "poll", errno);
		if (r <= 0)
			return r;
	}
	c->rlen += (size_t)n;
	c->bytes_in += (uint64_t)n;
	return (int)n;
}

void
wsprobe_consume(struct wsprobe_conn *c, size_t n)
{
	c->roff += n;
	if (c->roff >= c->rlen)
		c->roff = c->rlen = 0;
}

int
wsprobe_write(struct wsprobe_conn *c, const void *buf, size_t len,
    int64_t deadline)
{
	const uint8_t *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if (c->ssl != NULL) {
			size_t put;

			ERR_clear_error();
			errno = 0;
			r = SSL_write_ex(c->ssl, p, len, &put);
			if (r == 1) {
				n = (ssize_t)put;
			} else {
				r = wsprobe_ssl_wait(c, r, deadline, "TLS write");
				if (r == WSPROBE_IO_EOF) {
					wsprobe_io_err(c, "TLS write", EPIPE);
					return WSPROBE_IO_ERR;
				}
				if (r < 0)
					return r;
				continue;
			}
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN) {
					wsprobe_io_err(c, "write", errno);
					return WSPROBE_IO_ERR;
				}
				r = wsprobe_wait(c->fd, POLLOUT, deadline);
				if (r == WSPROBE_IO_TIMEOUT)
					snprintf(c->err, sizeof(c->err),
					    "write: timed out (the peer does not read)");
				else if (r < 0)
					wsprobe_io_err(c, "poll", errno);
				if (r < 0)
					return r;
				continue;
			}
		}
		p += n;
		len -= (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	return 0;
}

static int
wsprobe_tls_run(struct wsprobe_conn *c, int64_t deadline, int server)
{
	int r;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		r = wsprobe_ssl_wait(c, r, deadline, "TLS handshake");
		if (r == WSPROBE_IO_EOF) {
			snprintf(c->err, sizeof(c->err),
			    "TLS handshake: the peer closed the connection");
			return WSPROBE_IO_ERR;
		}
		if (r < 0)
			return r;
	}
}

int
wsprobe_tls_connect(struct wsprobe_conn *c, SSL_CTX *ctx, const char *host,
    int is_ip, int64_t deadline)
{
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		wsprobe_tls_error(c, "TLS setup");
		return WSPROBE_IO_ERR;
	}
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1) {
			wsprobe_tls_error(c, "TLS setup");
			return WSPROBE_IO_ERR;
		}
	} else if (SSL_set_tlsext_host_name(c->ssl, host) != 1 ||
	    SSL_set1_host(c->ssl, host) != 1) {
		wsprobe_tls_error(c, "TLS setup");
		return WSPROBE_IO_ERR;
	}
	return wsprobe_tls_run(c, deadline, 0);
}

int
wsprobe_tls_accept(struct wsprobe_conn *c, SSL_CTX *ctx, int64_t deadline)
{
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		wsprobe_tls_error(c, "TLS setup");
		return WSPROBE_IO_ERR;
	}
	return wsprobe_tls_run(c, deadline, 1);
}

/*
 * One RFC 6455 frame through wbuf, so that a client's masking never
 * touches the caller's bytes and small frames leave in one write.
 */
static int
wsprobe_send_frame(struct wsprobe_conn *c, unsigned fin, unsigned opcode,
    const uint8_t *p, size_t len, int64_t deadline)
{
	uint8_t mask[4], *mp = NULL;
	size_t hl, off = 0, k;
	int r;

	if (!c->is_server) {
		if (RAND_bytes(mask, sizeof(mask)) != 1) {
			snprintf(c->err, sizeof(c->err), "RAND_bytes failed");
			return WSPROBE_IO_ERR;
		}
		mp = mask;
	}
	if ((hl = ws_frame_header(c->wbuf, fin, opcode, len, mp)) == 0) {
		snprintf(c->err, sizeof(c->err), "cannot encode a frame");
		return WSPROBE_IO_ERR;
	}
	do {
		k = len - off;
		if (k > WSPROBE_WBUF)
			k = WSPROBE_WBUF;
		if (k > 0)
			memcpy(c->wbuf + hl, p + off, k);
		if (mp != NULL)
			ws_mask(c->wbuf + hl, k, mp, off);
		if ((r = wsprobe_write(c, c->wbuf, hl + k, deadline)) != 0)
			return r;
		off += k;
		hl = 0;
	} while (off < len);
	return 0;
}

int
wsprobe_send_msg(struct wsprobe_conn *c, unsigned opcode, const void *buf,
    size_t len, size_t fragment, int64_t deadline)
{
	const uint8_t *p = buf;
	size_t off = 0, k;
	ssize_t n;
	int r;

	if (!ws_version_hybi(c->version)) {
		uint8_t z = 0x00, ff = 0xff;

		if (len > 0 && memchr(p, 0xff, len) != NULL) {
			snprintf(c->err, sizeof(c->err), "0xFF in a hixie text frame");
			return WSPROBE_IO_ERR;
		}
		if (len <= WSPROBE_WBUF) {
			n = ws_hixie_encode(c->wbuf, WSPROBE_WBUF + WS_HDR_MAX, p, len);
			return wsprobe_write(c, c->wbuf, (size_t)n, deadline);
		}
		if ((r = wsprobe_write(c, &z, 1, deadline)) != 0 ||
		    (len > 0 && (r = wsprobe_write(c, p, len, deadline)) != 0))
			return r;
		return wsprobe_write(c, &ff, 1, deadline);
	}
	if (fragment == 0 || fragment > len)
		fragment = len;
	do {
		k = len - off < fragment ? len - off : fragment;
		r = wsprobe_send_frame(c, off + k == len, off == 0 ? opcode :
		    WS_OP_CONT, p + off, k, deadline);
		if (r != 0)
			return r;
		off += k;
	} while (off < len);
	return 0;
}

int
wsprobe_send_ctrl(struct wsprobe_conn *c, unsigned opcode, const void *buf,
    size_t len, int64_t deadline)
{
	if (len > WS_CTRL_MAX)
		len = WS_CTRL_MAX;
	return wsprobe_send_frame(c, 1, opcode, buf, len, deadline);
}

int
wsprobe_send_close(struct wsprobe_conn *c, unsigned code, const char *reason,
    int64_t deadline)
{
	uint8_t p[WS_CTRL_MAX];
	size_t n = 0;

	if (c->version == 75)
		return 0;	/* hixie-75 has no closing handshake */
	if (c->version == 76)
		return wsprobe_write(c, WS_HIXIE_CLOSE, WS_HIXIE_CLOSE_LEN, deadline);
	if (code != WS_CLOSE_NO_STATUS)
		n = ws_close_payload(p, code, reason, reason != NULL ? strlen(reason) : 0);
	return wsprobe_send_frame(c, 1, WS_OP_CLOSE, p, n, deadline);
}

static int
wsprobe_msg_room(struct wsprobe_conn *c, uint64_t more)
{
	size_t need;
	uint8_t *nb;

	if (more > SIZE_MAX - c->msglen - 1)
		return -1;
	need = c->msglen + (size_t)more + 1;
	if (need <= c->msgcap)
		return 0;
	if ((nb = realloc(c->msg, need)) == NULL)
		return -1;
	c->msg = nb;
	c->msgcap = need;
	return 0;
}

static void
wsprobe_ev_io(struct wsprobe_ev *ev, int r)
{
	switch (r) {
	case WSPROBE_IO_EOF: ev->kind = WSPROBE_EV_EOF; break;
	case WSPROBE_IO_TIMEOUT: ev->kind = WSPROBE_EV_TIMEOUT; break;
	case WSPROBE_IO_FULL:
		ev->kind = WSPROBE_EV_PROTO;
		ev->err = WS_E_TOO_BIG;
		break;
	default: ev->kind = WSPROBE_EV_IOERR; break;
	}
}

static void
wsprobe_recv_hixie(struct wsprobe_conn *c, uint64_t maxmsg, int64_t deadline,
    struct wsprobe_ev *ev)
{
	struct ws_hixie_frame h;
	ssize_t n;
	int r;

	/* A hixie text frame has no length: it must fit in rbuf whole. */
	if (c->rmax < maxmsg + 16 && maxmsg < SIZE_MAX - 16)
		c->rmax = maxmsg + 16;
	for (;;) {
		n = ws_hixie_parse(c->rbuf + c->roff, c->rlen - c->roff, maxmsg, &h);
		if (n < 0) {
			ev->kind = WSPROBE_EV_PROTO;
			ev->err = (int)-n;
			return;
		}
		if (n > 0) {
			if (h.close) {
				wsprobe_consume(c, (size_t)n);
				ev->kind = WSPROBE_EV_CLOSE;
				ev->close_code = WS_CLOSE_NO_STATUS;
				return;
			}
			if (h.type == 0x00) {
				c->msglen = 0;
				if (wsprobe_msg_room(c, h.len) != 0) {
					ev->kind = WSPROBE_EV_PROTO;
					ev->err = WS_E_TOO_BIG;
					return;
				}
				memcpy(c->msg, c->rbuf + c->roff + h.off, (size_t)h.len);
				c->msglen = (size_t)h.len;
				wsprobe_consume(c, (size_t)n);
				ev->kind = WSPROBE_EV_MSG;
				ev->opcode = WS_OP_TEXT;
				ev->data = c->msg;
				ev->len = c->msglen;
				return;
			}
			/* Other frame types carry nothing an echo needs. */
			wsprobe_consume(c, (size_t)n);
			continue;
		}
		if ((r = wsprobe_fill(c, deadline)) <= 0) {
			wsprobe_ev_io(ev, r);
			return;
		}
	}
}

void
wsprobe_recv(struct wsprobe_conn *c, uint64_t maxmsg, int64_t deadline,
    struct wsprobe_ev *ev)
{
	unsigned flags = c->is_server ? WS_F_MASKED : WS_F_UNMASKED;
	size_t avail, take;
	int r, op;

	memset(ev, 0, sizeof(*ev));
	/* Control frames are bounded by the protocol, not by the caller. */
	if (maxmsg < WS_CTRL_MAX)
		maxmsg = WS_CTRL_MAX;
	if (!ws_version_hybi(c->version)) {
		wsprobe_recv_hixie(c, maxmsg, deadline, ev);
		return;
	}
	for (;;) {
		avail = c->rlen - c->roff;
		if (!c->in_frame) {
			r = ws_frame_parse(c->rbuf + c->roff, avail, flags, maxmsg, &c->fr);
			if (r < 0) {
				ev->kind = WSPROBE_EV_PROTO;
				ev->err = -r;
				return;
			}
			if (r > 0) {
				if ((op = ws_seq_frame(&c->seq, &c->fr, maxmsg)) < 0) {
					ev->kind = WSPROBE_EV_PROTO;
					ev->err = -op;
					return;
				}
				wsprobe_consume(c, (size_t)r);
				c->in_frame = 1;
				c->fr_got = 0;
				if (c->fr.opcode == WS_OP_TEXT || c->fr.opcode == WS_OP_BINARY)
					c->msglen = 0;
				if (c->fr.opcode < WS_OP_CLOSE &&
				    wsprobe_msg_room(c, c->fr.len) != 0) {
					ev->kind = WSPROBE_EV_PROTO;
					ev->err = WS_E_MSG_TOO_BIG;
					return;
				}
				continue;
			}
		} else {
			int ctrl = c->fr.opcode >= WS_OP_CLOSE;
			uint8_t *dst = ctrl ? c->ctrl : c->msg + c->msglen;
			uint64_t left = c->fr.len - c->fr_got;

			take = left < avail ? (size_t)left : avail;
			if (take > 0) {
				memcpy(dst + c->fr_got, c->rbuf + c->roff, take);
				if (c->fr.masked)
					ws_mask(dst + c->fr_got, take, c->fr.mask, c->fr_got);
				c->fr_got += take;
				wsprobe_consume(c, take);
			}
			if (c->fr_got == c->fr.len) {
				c->in_frame = 0;
				if (!ctrl) {
					c->msglen += (size_t)c->fr.len;
					if (!c->fr.fin)
						continue;
					ev->kind = WSPROBE_EV_MSG;
					ev->opcode = c->seq.opcode;
					ev->data = c->msg;
					ev->len = c->msglen;
					return;
				}
				ev->data = c->ctrl;
				ev->len = (size_t)c->fr.len;
				if (c->fr.opcode == WS_OP_PING)
					ev->kind = WSPROBE_EV_PING;
				else if (c->fr.opcode == WS_OP_PONG)
					ev->kind = WSPROBE_EV_PONG;
				else {
					ev->kind = WSPROBE_EV_CLOSE;
					if ((r = ws_close_parse(c->ctrl, ev->len,
					    &ev->close_code)) != 0) {
						ev->kind = WSPROBE_EV_PROTO;
						ev->err = -r;
					}
				}
				return;
			}
			if (take > 0)
				continue;
		}
		if ((r = wsprobe_fill(c, deadline)) <= 0) {
			wsprobe_ev_io(ev, r);
			return;
		}
	}
}
