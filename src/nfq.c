/*
 * The NFQUEUE engine. Packets come from the kernel over one netlink
 * socket (libmnl, libnetfilter_queue's nfq_nlmsg_* helpers, as in its
 * examples/nf-queue.c), read on the event loop until the socket is empty.
 * Verdicts go back in one sendto per read batch: runs of plain accepts
 * as one NFQNL_MSG_VERDICT_BATCH, anything else (a drop, a rewritten
 * segment) as its own verdict, in order, so a batch never covers a
 * packet that needed another answer. Delayed and duplicated segments are
 * copies sent later through a raw socket; the original gets its verdict
 * at once, so no packet waits in the kernel's queue.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include <event2/event.h>

#include "addr.h"
#include "capture.h"
#include "evlog.h"
#include "log.h"
#include "nfq.h"
#include "pkt.h"
#include "pktbhv.h"
#include "proxy.h"

#define NFQ_BUCKETS	4096
#define NFQ_MAX_FLOWS	65536
#define NFQ_IDLE_S	120	/* a flow without packets is forgotten */
#define NFQ_CLOSED_S	5	/* ... sooner once it ended */
#define NFQ_RECV_MAX	64	/* reads per wake-up, then back to the loop */
#define NFQ_RCVBUF	(8 << 20)
#define NFQ_VBUF	(256 * 1024)
#define NFQ_INJECT_MAX	1500	/* raw sends above the MTU would fail */

struct nfq_flow {
	uint64_t		 id;
	int			 family;
	uint8_t			 cli[16], srv[16];
	uint16_t		 cport, sport;
	struct timeval		 t_open;
	time_t			 last;
	uint64_t		 pkts[2], bytes[2];	/* up, down */
	unsigned int		 fin[2];
	unsigned int		 rst:1;
	unsigned int		 blocked:1;	/* we reset it: drop the rest */
	struct capture_file	*cap;		/* --pcap-dir */
	struct nfq_flow		*next;		/* bucket chain */
};

struct nfq_delayed {
	struct event		*ev;
	TAILQ_ENTRY(nfq_delayed) entry;
	int			 family;
	size_t			 len;
	uint8_t			 buf[];
};

static struct {
	struct proxy		*px;
	struct mnl_socket	*nl;
	unsigned		 queue;
	uint32_t		 portid;
	struct event		*ev, *sweep;
	int			 raw4, raw6;
	struct pktbhv_conf	 conf;
	uint8_t			*rbuf;
	size_t			 rlen;
	char			*vbuf;
	size_t			 voff;
	uint32_t		 pending;	/* highest accept not yet sent */
	int			 have_pending;
	TAILQ_HEAD(, nfq_delayed) delayed;
	struct nfq_flow		*bucket[NFQ_BUCKETS];
	unsigned		 nflows;
	int			 full_warned;
} nfq;

static time_t
nfq_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint32_t
nfq_hash(int family, const uint8_t *a, const uint8_t *b, uint16_t pa,
    uint16_t pb)
{
	uint32_t h = 2166136261u;
	size_t i, n = family == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	h = (h ^ pa) * 16777619u;
	h = (h ^ pb) * 16777619u;
	return h % NFQ_BUCKETS;
}

static void
nfq_addr_str(int family, const uint8_t *a, uint16_t port, char *out,
    size_t len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		s4->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		s6->sin6_port = htons(port);
	}
	addr_format((struct sockaddr *)&ss, out, len);
}

static const char *
nfq_close_reason(const struct nfq_flow *f, int shutdown)
{
	if (shutdown)
		return "shutdown";
	if (f->blocked)
		return "reset_sent";
	if (f->rst)
		return "rst";
	if (f->fin[0] && f->fin[1])
		return "eof";
	return "idle";
}

static void
nfq_flow_close(struct nfq_flow *f, int shutdown)
{
	struct evlog_rec r;
	struct jsonw *j;
	struct timeval now, d;

	gettimeofday(&now, NULL);
	timersub(&now, &f->t_open, &d);
	j = evlog_begin(&r, "flow_close", f->id);
	jsonw_u64(j, "bytes_up", f->bytes[0]);
	jsonw_u64(j, "bytes_down", f->bytes[1]);
	jsonw_u64(j, "packets_up", f->pkts[0]);
	jsonw_u64(j, "packets_down", f->pkts[1]);
	jsonw_u64(j, "duration_ms", (uint64_t)d.tv_sec * 1000 +
	    (uint64_t)d.tv_usec / 1000);
	jsonw_str(j, "reason", nfq_close_reason(f, shutdown));
	evlog_commit(&r);
	capture_file_close(f->cap);
	free(f);
	nfq.nflows--;
}

/* The flow of a segment; to_server says which end is the client. */
static struct nfq_flow *
nfq_flow_get(const struct pkt *p, int to_server)
{
	const uint8_t *cli = to_server ? p->src : p->dst;
	const uint8_t *srv = to_server ? p->dst : p->src;
	uint16_t cport = to_server ? p->sport : p->dport;
	uint16_t sport = to_server ? p->dport : p->sport;
	size_t alen = p->family == 4 ? 4 : 16;
	uint32_t h = nfq_hash(p->family, cli, srv, cport, sport);
	struct nfq_flow *f;
	struct evlog_rec r;
	struct jsonw *j;
	char a[ADDR_STRLEN];

	for (f = nfq.bucket[h]; f != NULL; f = f->next)
		if (f->family == p->family && f->cport == cport &&
		    f->sport == sport && memcmp(f->cli, cli, alen) == 0 &&
		    memcmp(f->srv, srv, alen) == 0)
			return f;
	if (nfq.nflows >= NFQ_MAX_FLOWS) {
		if (!nfq.full_warned)
			log_warnx("nfqueue: %u flows tracked; new ones pass "
			    "untracked", NFQ_MAX_FLOWS);
		nfq.full_warned = 1;
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->id = ++nfq.px->last_id;
	f->family = p->family;
	memcpy(f->cli, cli, alen);
	memcpy(f->srv, srv, alen);
	f->cport = cport;
	f->sport = sport;
	gettimeofday(&f->t_open, NULL);
	f->next = nfq.bucket[h];
	nfq.bucket[h] = f;
	nfq.nflows++;
	nfq.px->total_flows++;
	j = evlog_begin(&r, "flow_open", f->id);
	nfq_addr_str(f->family, f->cli, f->cport, a, sizeof(a));
	jsonw_str(j, "client", a);
	nfq_addr_str(f->family, f->srv, f->sport, a, sizeof(a));
	jsonw_str(j, "server", a);
	jsonw_str(j, "mode", "nfqueue");
	jsonw_u64(j, "queue", nfq.queue);
	jsonw_str(j, "profile", pktbhv_name(nfq.conf.kind));
	/* Met mid-stream: after a restart, or its SYN was not queued. */
	jsonw_bool(j, "syn", (p->flags & (PKT_SYN | PKT_ACK)) == PKT_SYN);
	evlog_commit(&r);
	f->cap = capture_file_open(f->id);
	return f;
}

static void
nfq_sweep(evutil_socket_t fd, short what, void *arg)
{
	time_t now = nfq_now();
	struct nfq_flow **pp, *f;
	size_t i;

	for (i = 0; i < NFQ_BUCKETS; i++) {
		for (pp = &nfq.bucket[i]; (f = *pp) != NULL;) {
			int ended = f->rst || f->blocked ||
			    (f->fin[0] && f->fin[1]);

			if (now - f->last > (ended ? NFQ_CLOSED_S : NFQ_IDLE_S)) {
				*pp = f->next;
				nfq_flow_close(f, 0);
			} else
				pp = &f->next;
		}
	}
	if (nfq.nflows < NFQ_MAX_FLOWS)
		nfq.full_warned = 0;
}

/* Sends a packet we made (a reset) or copied (delay, duplicate). */
static int
nfq_inject(struct capture_file *cf, int family, const uint8_t *buf,
    size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, buf + 16, 4);
		sl = sizeof(*s4);
		fd = nfq.raw4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, buf + 24, 16);
		sl = sizeof(*s6);
		fd = nfq.raw6;
	}
	if (fd < 0)
		return -1;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) == -1) {
		log_debug("nfqueue: raw send: %s", strerror(errno));
		return -1;
	}
	capture_packet(cf, buf, len);
	return 0;
}

static void
nfq_delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nfq_delayed *d = arg;

	/* Its flow may be gone by now: the one file only. */
	(void)nfq_inject(NULL, d->family, d->buf, d->len);
	TAILQ_REMOVE(&nfq.delayed, d, entry);
	event_free(d->ev);
	free(d);
}

/* Resets both ends of the segment's flow, in the sequence space each
 * end expects: the sender's next byte is p->seq, the receiver's p->ack. */
static void
nfq_reset_both(struct capture_file *cf, const struct pkt *p)
{
	uint8_t buf[PKT_IP6_HDR + PKT_TCP_HDR];
	struct pkt_spec s;
	size_t n;

	memset(&s, 0, sizeof(s));
	s.family = p->family;
	s.wscale = -1;
	s.flags = PKT_RST | PKT_ACK;
	/* To the receiver, as if from the sender. */
	s.src = p->src;
	s.dst = p->dst;
	s.sport = p->sport;
	s.dport = p->dport;
	s.seq = p->seq;
	s.ack = p->ack;
	if ((n = pkt_build(buf, sizeof(buf), &s)) > 0)
		(void)nfq_inject(cf, p->family, buf, n);
	/* To the sender, as if from the receiver. */
	s.src = p->dst;
	s.dst = p->src;
	s.sport = p->dport;
	s.dport = p->sport;
	s.seq = p->ack;
	s.ack = p->seq + (uint32_t)p->plen +
	    ((p->flags & (PKT_SYN | PKT_FIN)) ? 1 : 0);
	if ((n = pkt_build(buf, sizeof(buf), &s)) > 0)
		(void)nfq_inject(cf, p->family, buf, n);
}

static void
nfq_vflush(void)
{
	if (nfq.voff == 0)
		return;
	if (mnl_socket_sendto(nfq.nl, nfq.vbuf, nfq.voff) < 0)
		log_warn("nfqueue: sending verdicts");
	nfq.voff = 0;
}

static struct nlmsghdr *
nfq_vmsg(int type, size_t need)
{
	if (nfq.voff + need + 256 > NFQ_VBUF)
		nfq_vflush();
	return nfq_nlmsg_put(nfq.vbuf + nfq.voff, type, nfq.queue);
}

static void
nfq_vdone(struct nlmsghdr *nlh)
{
	nfq.voff += MNL_ALIGN(nlh->nlmsg_len);
}

static void
nfq_pending_flush(void)
{
	struct nlmsghdr *nlh;

	if (!nfq.have_pending)
		return;
	nlh = nfq_vmsg(NFQNL_MSG_VERDICT_BATCH, 0);
	nfq_nlmsg_verdict_put(nlh, (int)nfq.pending, NF_ACCEPT);
	nfq_vdone(nlh);
	nfq.have_pending = 0;
}

/* A verdict other than a plain accept, after the accepts before it. */
static void
nfq_verdict(uint32_t id, int verdict, const void *pkt, size_t len)
{
	struct nlmsghdr *nlh;

	nfq_pending_flush();
	nlh = nfq_vmsg(NFQNL_MSG_VERDICT, pkt != NULL ? len : 0);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (pkt != NULL)
		nfq_nlmsg_verdict_put_pkt(nlh, pkt, (uint32_t)len);
	nfq_vdone(nlh);
}

static void
nfq_accept(uint32_t id)
{
	nfq.pending = id;
	nfq.have_pending = 1;
}

static struct jsonw *
nfq_bhv_event(struct evlog_rec *r, const struct nfq_flow *f, const char *name,
    int to_server, const struct pkt *p)
{
	struct jsonw *j = evlog_begin(r, "behaviour", f != NULL ? f->id : 0);

	jsonw_str(j, "name", name);
	jsonw_str(j, "dir", to_server ? "up" : "down");
	jsonw_u64(j, "seq", p->seq);
	jsonw_u64(j, "len", p->plen);
	return j;
}

/* Drop, duplicate or delay, with the persona's probabilities. */
static int
nfq_chance(uint32_t p)
{
	return p > 0 && proxy_random(nfq.px) % PKTBHV_PROB_ONE < p;
}

static void
nfq_copy_later(const uint8_t *buf, size_t len, int family, unsigned ms)
{
	struct nfq_delayed *d;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if ((d = malloc(sizeof(*d) + len)) == NULL)
		return;
	d->family = family;
	d->len = len;
	memcpy(d->buf, buf, len);
	if ((d->ev = evtimer_new(nfq.px->base, nfq_delayed_cb, d)) == NULL) {
		free(d);
		return;
	}
	TAILQ_INSERT_TAIL(&nfq.delayed, d, entry);
	evtimer_add(d->ev, &tv);
}

static void
nfq_packet(uint32_t id, uint8_t *buf, size_t len)
{
	struct pkt p;
	struct pktbhv_act a;
	struct nfq_flow *f;
	struct evlog_rec r;
	struct jsonw *j;
	int to_server, dir;
	const char *name = pktbhv_name(nfq.conf.kind);

	if (pkt_parse(&p, buf, len, NULL) != 0) {
		nfq_accept(id);
		return;
	}
	if (addr_port_in(&nfq.px->cfg.ports, p.dport))
		to_server = 1;
	else if (addr_port_in(&nfq.px->cfg.ports, p.sport))
		to_server = 0;
	else {
		nfq_accept(id);
		return;
	}
	dir = to_server ? 0 : 1;
	f = nfq_flow_get(&p, to_server);
	capture_packet(f != NULL ? f->cap : NULL, buf, p.len);
	if (f != NULL) {
		f->last = nfq_now();
		f->pkts[dir]++;
		f->bytes[dir] += p.plen;
		if (p.flags & PKT_FIN)
			f->fin[dir] = 1;
		if (p.flags & PKT_RST)
			f->rst = 1;
		if (f->blocked) {
			/* A DPI box keeps dropping a flow it reset. */
			nfq_verdict(id, NF_DROP, NULL, 0);
			return;
		}
	}
	pktbhv_apply(&nfq.conf, &p, buf, to_server, &a);
	switch (a.v) {
	case PKTBHV_ACCEPT:
		break;
	case PKTBHV_MANGLED:
		pkt_fix_cksum(&p, buf);
		j = nfq_bhv_event(&r, f, name, to_server, &p);
		jsonw_str(j, "action", a.what);
		jsonw_u64(j, "offset", a.offset);
		jsonw_u64(j, "renamed", a.count);
		jsonw_bool(j, "length_preserved", 1);
		evlog_commit(&r);
		capture_packet(f != NULL ? f->cap : NULL, buf, p.len);
		nfq_verdict(id, NF_ACCEPT, buf, p.len);
		return;
	case PKTBHV_DROP:
		j = nfq_bhv_event(&r, f, name, to_server, &p);
		jsonw_str(j, "action", "drop");
		jsonw_str(j, "why", a.what);
		evlog_commit(&r);
		nfq_verdict(id, NF_DROP, NULL, 0);
		return;
	case PKTBHV_RESET:
		j = nfq_bhv_event(&r, f, name, to_server, &p);
		jsonw_str(j, "action", "reset");
		jsonw_str(j, "why", a.what);
		if (strcmp(a.what, "sni") == 0)
			jsonw_str(j, "sni", a.detail);
		else {
			jsonw_str(j, "pattern", a.detail);
			jsonw_u64(j, "offset", a.offset);
		}
		jsonw_u64(j, "rst_seq_to_receiver", p.seq);
		jsonw_u64(j, "rst_seq_to_sender", p.ack);
		evlog_commit(&r);
		nfq_verdict(id, NF_DROP, NULL, 0);
		nfq_reset_both(f != NULL ? f->cap : NULL, &p);
		if (f != NULL)
			f->blocked = 1;
		return;
	}
	if (p.plen > 0 && nfq_chance(nfq.conf.p_drop)) {
		j = nfq_bhv_event(&r, f, "drop", to_server, &p);
		jsonw_str(j, "action", "drop");
		evlog_commit(&r);
		nfq_verdict(id, NF_DROP, NULL, 0);
		return;
	}
	if (p.plen > 0 && p.len <= NFQ_INJECT_MAX &&
	    nfq_chance(nfq.conf.p_delay)) {
		j = nfq_bhv_event(&r, f, "delay", to_server, &p);
		jsonw_str(j, "action", "delay");
		jsonw_u64(j, "ms", nfq.conf.delay_ms);
		evlog_commit(&r);
		nfq_copy_later(buf, p.len, p.family, nfq.conf.delay_ms);
		nfq_verdict(id, NF_DROP, NULL, 0);
		return;
	}
	if (p.plen > 0 && p.len <= NFQ_INJECT_MAX &&
	    nfq_chance(nfq.conf.p_dup)) {
		j = nfq_bhv_event(&r, f, "duplicate", to_server, &p);
		jsonw_str(j, "action", "duplicate");
		evlog_commit(&r);
		nfq_copy_later(buf, p.len, p.family, 1);
	}
	nfq_accept(id);
}

static int
nfq_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1];
	struct nfqnl_msg_packet_hdr *ph;
	uint8_t *payload;
	size_t plen;

	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	if (attr[NFQA_PAYLOAD] == NULL) {
		nfq_accept(ntohl(ph->packet_id));
		return MNL_CB_OK;
	}
	plen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	nfq_packet(ntohl(ph->packet_id), payload, plen);
	return MNL_CB_OK;
}

static void
nfq_readable(evutil_socket_t fd, short what, void *arg)
{
	ssize_t n;
	int i;

	for (i = 0; i < NFQ_RECV_MAX; i++) {
		n = mnl_socket_recvfrom(nfq.nl, nfq.rbuf, nfq.rlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ENOBUFS)
				log_warn("nfqueue: receive");
			break;
		}
		(void)mnl_cb_run(nfq.rbuf, (size_t)n, 0, nfq.portid,
		    nfq_msg_cb, NULL);
	}
	nfq_pending_flush();
	nfq_vflush();
}

static int
nfq_config(struct nlmsghdr *nlh, char *err, size_t errlen, const char *what)
{
	if (mnl_socket_sendto(nfq.nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, errlen, "nfqueue %u: %s: %s", nfq.queue, what,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
nfq_start(struct proxy *px, unsigned num, const struct pktbhv_conf *conf,
    char *err, size_t errlen)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	int one = 1, sz = NFQ_RCVBUF, fd;
	struct timeval tv = { 1, 0 };

	memset(&nfq, 0, sizeof(nfq));
	nfq.px = px;
	nfq.queue = num;
	nfq.conf = *conf;
	nfq.raw4 = nfq.raw6 = -1;
	TAILQ_INIT(&nfq.delayed);
	nfq.rlen = 0xffff + 8192;
	if ((nfq.rbuf = malloc(nfq.rlen)) == NULL ||
	    (nfq.vbuf = malloc(NFQ_VBUF)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((nfq.nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nfq.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	nfq.portid = mnl_socket_get_portid(nfq.nl);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (nfq_config(nlh, err, errlen, "bind") != 0)
		return -1;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	/* Fail-open: what the queue cannot hold is accepted, not dropped;
	 * GSO: whole super-packets, not segmented for us. */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS,
	    htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
	    htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	if (nfq_config(nlh, err, errlen, "params") != 0)
		return -1;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 4096);
	if (nfq_config(nlh, err, errlen, "queue length") != 0)
		return -1;

	fd = mnl_socket_get_fd(nfq.nl);
	(void)mnl_socket_setsockopt(nfq.nl, NETLINK_NO_ENOBUFS, &one,
	    sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "nfqueue: %s", strerror(errno));
		return -1;
	}
	/* IPPROTO_RAW: we write the IP header ourselves. */
	nfq.raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	nfq.raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (nfq.raw4 < 0 || nfq.raw6 < 0)
		log_warn("nfqueue: raw socket (resets and delays need it)");
	nfq.ev = event_new(px->base, fd, EV_READ | EV_PERSIST, nfq_readable,
	    NULL);
	nfq.sweep = event_new(px->base, -1, EV_PERSIST, nfq_sweep, NULL);
	if (nfq.ev == NULL || nfq.sweep == NULL ||
	    event_add(nfq.ev, NULL) != 0 || event_add(nfq.sweep, &tv) != 0) {
		snprintf(err, errlen, "nfqueue: cannot add events");
		return -1;
	}
	return 0;
}

void
nfq_stop(void)
{
	struct nfq_flow *f;
	struct nfq_delayed *d;
	size_t i;

	if (nfq.nl == NULL)
		return;
	while ((d = TAILQ_FIRST(&nfq.delayed)) != NULL) {
		TAILQ_REMOVE(&nfq.delayed, d, entry);
		event_free(d->ev);
		free(d);
	}
	for (i = 0; i < NFQ_BUCKETS; i++)
		while ((f = nfq.bucket[i]) != NULL) {
			nfq.bucket[i] = f->next;
			nfq_flow_close(f, 1);
		}
	if (nfq.ev != NULL)
		event_free(nfq.ev);
	if (nfq.sweep != NULL)
		event_free(nfq.sweep);
	mnl_socket_close(nfq.nl);
	if (nfq.raw4 >= 0)
		close(nfq.raw4);
	if (nfq.raw6 >= 0)
		close(nfq.raw6);
	free(nfq.rbuf);
	free(nfq.vbuf);
	memset(&nfq, 0, sizeof(nfq));
}
