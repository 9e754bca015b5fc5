/*
 * Capture files of proxied flows. A proxy terminates TCP, so there are
 * no packets to copy: each leg's TCP is made up from what the relay read
 * and wrote, with a handshake when the leg opens, data segments of at
 * most one MSS, an ACK from the receiver after each burst (so Wireshark's
 * sequence analysis finds nothing amiss), and the FIN or RST the leg
 * ended with. Leg "client" is the client and the address it thought it
 * reached (the original destination); leg "server" is our upstream
 * socket's address and the server.
 *
 * The bytes are taken where they enter a side's buffers: evbuffer
 * callbacks on each bufferevent's input (what the peer sent) and output
 * (what the middlebox sends it), plus the relay's two paths around them,
 * which call capture_rx and capture_tx.
 */
#include "config.h"

#include <sys/time.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <pcap/pcap.h>

#include "addr.h"
#include "capture.h"
#include "log.h"
#include "pkt.h"

/* The MSS both synthesized ends announce; segments are this or less. */
#define CAPTURE_MSS	1440
#define CAPTURE_WSCALE	7
#define CAPTURE_WINDOW	65535

enum { DIR_PEER = 0, DIR_BOX = 1 };	/* who sends the segment */

struct capture_leg {
	int			 open, closed;
	int			 fin[2];
	uint8_t			 peer[16], box[16];
	uint16_t		 pport, bport;
	int			 family;
	uint32_t		 nxt[2];
	uint16_t		 ipid[2];
	struct evbuffer_cb_entry *in_cb, *out_cb;
	struct evbuffer		*in, *out;
};

struct capture_flow {
	struct conn		*conn;
	pcap_dumper_t		*own;		/* --pcap-dir */
	struct capture_leg	 leg[2];	/* by side: client, server */
};

static pcap_t		*capture_pcap;
static pcap_dumper_t	*capture_all;	/* -w */
static char		 capture_dir[PATH_MAX];
static int		 capture_warned;

int
capture_init(const char *file, const char *dir, char *err, size_t errlen)
{
	if (file == NULL && dir == NULL)
		return 0;
	/* Raw IP: each record is an IPv4 or an IPv6 packet. */
	if ((capture_pcap = pcap_open_dead(DLT_RAW, 65535)) == NULL) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -1;
	}
	if (file != NULL &&
	    (capture_all = pcap_dump_open(capture_pcap, file)) == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(capture_pcap));
		pcap_close(capture_pcap);
		capture_pcap = NULL;
		return -1;
	}
	if (dir != NULL) {
		if (strlen(dir) + 32 >= sizeof(capture_dir)) {
			snprintf(err, errlen, "%s: path too long", dir);
			capture_shutdown();
			return -1;
		}
		strcpy(capture_dir, dir);
	}
	return 0;
}

int
capture_enabled(void)
{
	return capture_pcap != NULL;
}

void
capture_flush(void)
{
	if (capture_all != NULL)
		(void)pcap_dump_flush(capture_all);
}

void
capture_shutdown(void)
{
	if (capture_all != NULL)
		pcap_dump_close(capture_all);
	capture_all = NULL;
	if (capture_pcap != NULL)
		pcap_close(capture_pcap);
	capture_pcap = NULL;
	capture_dir[0] = '\0';
}

static void
capture_write(struct capture_flow *f, const void *p, size_t len)
{
	struct pcap_pkthdr h;

	gettimeofday(&h.ts, NULL);
	h.caplen = h.len = (bpf_u_int32)len;
	if (capture_all != NULL)
		pcap_dump((u_char *)capture_all, &h, p);
	if (f != NULL && f->own != NULL)
		pcap_dump((u_char *)f->own, &h, p);
}

static pcap_dumper_t *
capture_open_flow_file(uint64_t id)
{
	char path[PATH_MAX + 32];
	pcap_dumper_t *d;

	if (capture_pcap == NULL || capture_dir[0] == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/flow-%llu.pcap", capture_dir,
	    (unsigned long long)id);
	if ((d = pcap_dump_open(capture_pcap, path)) == NULL &&
	    !capture_warned) {
		capture_warned = 1;
		log_warnx("capture %s: %s (warned once)", path,
		    pcap_geterr(capture_pcap));
	}
	return d;
}

struct capture_file *
capture_file_open(uint64_t flow)
{
	return (struct capture_file *)capture_open_flow_file(flow);
}

void
capture_file_close(struct capture_file *cf)
{
	if (cf != NULL)
		pcap_dump_close((pcap_dumper_t *)cf);
}

void
capture_packet(struct capture_file *cf, const void *p, size_t len)
{
	struct pcap_pkthdr h;

	if (capture_pcap == NULL)
		return;
	gettimeofday(&h.ts, NULL);
	h.caplen = h.len = (bpf_u_int32)len;
	if (capture_all != NULL)
		pcap_dump((u_char *)capture_all, &h, p);
	if (cf != NULL)
		pcap_dump((u_char *)cf, &h, p);
}

/* A fixed per-flow initial sequence number, so a rerun compares. */
static uint32_t
capture_isn(uint64_t id, int leg, int dir)
{
	uint64_t z = id * 4 + (uint64_t)leg * 2 + (uint64_t)dir +
	    0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}

static void
capture_seg(struct capture_flow *f, struct capture_leg *l, int dir,
    uint8_t flags, const void *data, size_t len)
{
	uint8_t buf[PKT_IP6_HDR + PKT_TCP_HDR + 8 + CAPTURE_MSS];
	struct pkt_spec s;
	size_t n;

	memset(&s, 0, sizeof(s));
	s.family = l->family;
	s.src = dir == DIR_PEER ? l->peer : l->box;
	s.dst = dir == DIR_PEER ? l->box : l->peer;
	s.sport = dir == DIR_PEER ? l->pport : l->bport;
	s.dport = dir == DIR_PEER ? l->bport : l->pport;
	s.seq = l->nxt[dir];
	s.ack = (flags & PKT_ACK) ? l->nxt[!dir] : 0;
	s.flags = flags;
	s.window = CAPTURE_WINDOW;
	s.wscale = -1;
	if (flags & PKT_SYN) {
		s.mss = CAPTURE_MSS;
		s.wscale = CAPTURE_WSCALE;
	}
	s.ip_id = l->ipid[dir]++;
	s.payload = data;
	s.plen = len;
	if ((n = pkt_build(buf, sizeof(buf), &s)) > 0)
		capture_write(f, buf, n);
	l->nxt[dir] += (uint32_t)len + ((flags & (PKT_SYN | PKT_FIN)) ? 1 : 0);
}

static int
capture_addr(const struct sockaddr_storage *ss, uint8_t *a, uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		memcpy(a, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		memcpy(a, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return 6;
	}
	return 0;
}

static void
capture_in_cb(struct evbuffer *, const struct evbuffer_cb_info *, void *);
static void
capture_out_cb(struct evbuffer *, const struct evbuffer_cb_info *, void *);

/* The handshake, the peer opening it: a client connects to us, we connect
 * to the server. */
static void
capture_leg_open(struct capture_flow *f, struct side *s,
    const struct sockaddr_storage *peer, const struct sockaddr_storage *box)
{
	struct conn *c = f->conn;
	int i = s == &c->cli ? 0 : 1;
	struct capture_leg *l = &f->leg[i];
	int fp, fb;

	fp = capture_addr(peer, l->peer, &l->pport);
	fb = capture_addr(box, l->box, &l->bport);
	if (fp == 0 || fp != fb)
		return;
	l->family = fp;
	l->nxt[DIR_PEER] = capture_isn(c->id, i, DIR_PEER);
	l->nxt[DIR_BOX] = capture_isn(c->id, i, DIR_BOX);
	l->open = 1;
	if (i == 0) {
		capture_seg(f, l, DIR_PEER, PKT_SYN, NULL, 0);
		capture_seg(f, l, DIR_BOX, PKT_SYN | PKT_ACK, NULL, 0);
		capture_seg(f, l, DIR_PEER, PKT_ACK, NULL, 0);
	} else {
		capture_seg(f, l, DIR_BOX, PKT_SYN, NULL, 0);
		capture_seg(f, l, DIR_PEER, PKT_SYN | PKT_ACK, NULL, 0);
		capture_seg(f, l, DIR_BOX, PKT_ACK, NULL, 0);
	}
	l->in = bufferevent_get_input(s->bev);
	l->out = bufferevent_get_output(s->bev);
	l->in_cb = evbuffer_add_cb(l->in, capture_in_cb, s);
	l->out_cb = evbuffer_add_cb(l->out, capture_out_cb, s);
}

static struct capture_leg *
capture_leg_of(struct side *s, struct capture_flow **fp)
{
	struct conn *c = s->conn;
	struct capture_flow *f = c->cap;
	struct capture_leg *l;

	if (f == NULL)
		return NULL;
	l = &f->leg[s == &c->cli ? 0 : 1];
	if (!l->open || l->closed)
		return NULL;
	*fp = f;
	return l;
}

/* Data from dir, in MSS-sized segments, then the other end's ACK. */
static void
capture_data(struct capture_flow *f, struct capture_leg *l, int dir,
    const uint8_t *p, size_t len)
{
	size_t n;

	if (l->fin[dir])
		return;
	while (len > 0) {
		n = len < CAPTURE_MSS ? len : CAPTURE_MSS;
		capture_seg(f, l, dir, PKT_ACK | (n == len ? PKT_PSH : 0), p, n);
		p += n;
		len -= n;
	}
	capture_seg(f, l, !dir, PKT_ACK, NULL, 0);
}

/*
 * len bytes of buf from offset off, in the same segments. evbuffer_peek,
 * because a bufferevent's output is frozen at its start and refuses
 * evbuffer_copyout_from.
 */
static void
capture_data_buf(struct capture_flow *f, struct capture_leg *l, int dir,
    struct evbuffer *buf, size_t off, size_t len)
{
	uint8_t chunk[CAPTURE_MSS];
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr pos;
	size_t fill = 0, take, k;
	int nv, i;

	if (l->fin[dir] || evbuffer_ptr_set(buf, &pos, off,
	    EVBUFFER_PTR_SET) != 0)
		return;
	while (len > 0) {
		nv = evbuffer_peek(buf, (ev_ssize_t)len, &pos, v, 8);
		if (nv <= 0)
			break;
		if (nv > 8)
			nv = 8;
		for (i = 0; i < nv && len > 0; i++) {
			const uint8_t *p = v[i].iov_base;

			take = v[i].iov_len < len ? v[i].iov_len : len;
			len -= take;
			if (evbuffer_ptr_set(buf, &pos, take,
			    EVBUFFER_PTR_ADD) != 0)
				len = 0;
			while (take > 0) {
				k = sizeof(chunk) - fill;
				if (k > take)
					k = take;
				memcpy(chunk + fill, p, k);
				fill += k;
				p += k;
				take -= k;
				if (fill == sizeof(chunk)) {
					capture_seg(f, l, dir, PKT_ACK |
					    (len == 0 && take == 0 ? PKT_PSH :
					    0), chunk, fill);
					fill = 0;
				}
			}
		}
	}
	if (fill > 0)
		capture_seg(f, l, dir, PKT_ACK | PKT_PSH, chunk, fill);
	capture_seg(f, l, !dir, PKT_ACK, NULL, 0);
}

static void
capture_in_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if (i->n_added == 0 || (l = capture_leg_of(arg, &f)) == NULL)
		return;
	capture_data_buf(f, l, DIR_PEER, b, i->orig_size, i->n_added);
}

static void
capture_out_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if (i->n_added == 0 || (l = capture_leg_of(arg, &f)) == NULL)
		return;
	capture_data_buf(f, l, DIR_BOX, b, i->orig_size, i->n_added);
}

void
capture_open(struct conn *c)
{
	struct capture_flow *f;

	if (capture_pcap == NULL || (f = calloc(1, sizeof(*f))) == NULL)
		return;
	f->conn = c;
	f->own = capture_open_flow_file(c->id);
	c->cap = f;
	capture_leg_open(f, &c->cli, &c->client, &c->server);
}

void
capture_connected(struct conn *c)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);

	if (c->cap == NULL || c->srv.bev == NULL)
		return;
	memset(&local, 0, sizeof(local));
	if (getsockname(bufferevent_getfd(c->srv.bev),
	    (struct sockaddr *)&local, &len) != 0)
		return;
	addr_unmap(&local);
	capture_leg_open(c->cap, &c->srv, &c->server, &local);
}

void
capture_rx(struct side *s, const void *p, size_t n)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if ((l = capture_leg_of(s, &f)) != NULL)
		capture_data(f, l, DIR_PEER, p, n);
}

void
capture_tx(struct side *s, struct evbuffer *buf, size_t n)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if ((l = capture_leg_of(s, &f)) != NULL)
		capture_data_buf(f, l, DIR_BOX, buf, 0, n);
}

static void
capture_fin(struct side *s, int dir)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if ((l = capture_leg_of(s, &f)) == NULL || l->fin[dir])
		return;
	capture_seg(f, l, dir, PKT_FIN | PKT_ACK, NULL, 0);
	l->fin[dir] = 1;
	capture_seg(f, l, !dir, PKT_ACK, NULL, 0);
}

void
capture_eof(struct side *s)
{
	capture_fin(s, DIR_PEER);
}

void
capture_shut(struct side *s)
{
	capture_fin(s, DIR_BOX);
}

static void
capture_rst(struct side *s, int dir)
{
	struct capture_flow *f;
	struct capture_leg *l;

	if ((l = capture_leg_of(s, &f)) == NULL)
		return;
	capture_seg(f, l, dir, PKT_RST | PKT_ACK, NULL, 0);
	l->closed = 1;
}

void
capture_close(struct conn *c, enum conn_reason reason, int rst_cli,
    int rst_srv)
{
	struct capture_flow *f = c->cap;
	int i;

	if (f == NULL)
		return;
	/* Who reset whom, leg by leg; a plain close is our FIN. */
	if (reason == CONN_R_CLIENT_RESET)
		capture_rst(&c->cli, DIR_PEER);
	if (reason == CONN_R_SERVER_RESET)
		capture_rst(&c->srv, DIR_PEER);
	if (rst_cli)
		capture_rst(&c->cli, DIR_BOX);
	if (rst_srv)
		capture_rst(&c->srv, DIR_BOX);
	capture_fin(&c->cli, DIR_BOX);
	capture_fin(&c->srv, DIR_BOX);
	for (i = 0; i < 2; i++) {
		struct capture_leg *l = &f->leg[i];

		if (l->in_cb != NULL)
			evbuffer_remove_cb_entry(l->in, l->in_cb);
		if (l->out_cb != NULL)
			evbuffer_remove_cb_entry(l->out, l->out_cb);
	}
	if (f->own != NULL)
		pcap_dump_close(f->own);
	capture_flush();
	free(f);
	c->cap = NULL;
}
