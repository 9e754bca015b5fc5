/* Unit tests for wsfilter.c, with RFC 6455 section 5.7's example frames. */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "ws.h"
#include "wsfilter.h"

/* RFC 6455 5.7. */
static const uint8_t hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
static const uint8_t hel[] = { 0x01, 0x03, 'H', 'e', 'l' };
static const uint8_t lo[] = { 0x80, 0x02, 'l', 'o' };
static const uint8_t ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
static const uint8_t pong_masked[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
    0x7f, 0x9f, 0x4d, 0x51, 0x58 };

static uint8_t stream[2048], out[4096], want[2048];
static size_t slen, wlen;

static void
add(const uint8_t *p, size_t n, int keep)
{
	memcpy(stream + slen, p, n);
	slen += n;
	if (keep) {
		memcpy(want + wlen, p, n);
		wlen += n;
	}
}

/* Feeds the stream in pieces of `step` bytes; returns the output length. */
static size_t
run(struct wsfilter *f, size_t step, struct wsfilter_report *all)
{
	struct wsfilter_report rep;
	size_t i, o = 0, k;

	memset(all, 0, sizeof(*all));
	for (i = 0; i < slen; i += k) {
		k = slen - i < step ? slen - i : step;
		o += wsfilter_feed(f, stream + i, k, out + o, &rep);
		for (size_t e = 0; e < rep.n && all->n < WSFILTER_EVENTS; e++)
			all->ev[all->n++] = rep.ev[e];
		all->gave_up |= rep.gave_up;
	}
	return o;
}

int
main(void)
{
	struct wsfilter f;
	struct wsfilter_report rep;
	size_t n, step;
	uint8_t big[4 + 256];

	/* Pings and pongs dropped, every piece size. */
	slen = wlen = 0;
	add(hello, sizeof(hello), 1);
	add(ping, sizeof(ping), 0);
	add(hel, sizeof(hel), 1);
	add(pong_masked, sizeof(pong_masked), 0);
	add(lo, sizeof(lo), 1);
	add(hello_masked, sizeof(hello_masked), 1);
	for (step = 1; step <= slen; step++) {
		wsfilter_init(&f);
		f.drop_ops = 1u << 0x9 | 1u << 0xa;
		n = run(&f, step, &rep);
		if (n != wlen || memcmp(out, want, n) != 0 || rep.n != 2)
			break;
	}
	ok(step > slen, "pings and pongs dropped, data intact, fed in pieces "
	    "of 1 to %zu bytes", slen);
	wsfilter_init(&f);
	f.drop_ops = 1u << 0x9 | 1u << 0xa;
	(void)run(&f, slen, &rep);
	ok(rep.n == 2 && rep.ev[0].opcode == 0x9 && rep.ev[0].offset == 7 &&
	    rep.ev[0].len == 5 && rep.ev[0].frame == 2 && rep.ev[0].data_frame == 0,
	    "the ping: frame 2, at offset 7, 5 bytes");
	ok(rep.ev[1].opcode == 0xa && rep.ev[1].offset == 19 &&
	    rep.ev[1].act == WSFILTER_DROP, "the masked pong: at offset 19");

	/* The nth data frame dropped: the fragments count one by one. */
	wsfilter_init(&f);
	f.nth = 3;
	f.nth_act = WSFILTER_DROP;
	n = run(&f, 3, &rep);
	ok(n == slen - sizeof(lo) && memcmp(out, stream, 7 + 7 + 5 + 11) == 0 &&
	    memcmp(out + 30, hello_masked, sizeof(hello_masked)) == 0,
	    "nth=3 drop: the third data frame (\"lo\") is gone, the rest intact");
	ok(rep.n == 1 && rep.ev[0].data_frame == 3 && rep.ev[0].opcode == 0,
	    "... reported as data frame 3, a continuation");

	/* Truncation keeps the header: the stream is out of step after it. */
	wsfilter_init(&f);
	f.nth = 1;
	f.nth_act = WSFILTER_TRUNCATE;
	f.keep = 4;
	n = run(&f, 1, &rep);
	ok(n == slen - 1 && memcmp(out, hello, 6) == 0 &&
	    memcmp(out + 6, stream + 7, slen - 7) == 0,
	    "nth=1 truncate keep=4: \"Hell\" under a 5-byte header, then the rest");
	ok(rep.n == 1 && rep.ev[0].kept == 4 && rep.ev[0].len == 5,
	    "... reported: 4 of 5 payload bytes kept");

	/* 16-bit length, the RFC's 256-byte binary frame, dropped whole. */
	big[0] = 0x82;
	big[1] = 0x7e;
	big[2] = 0x01;
	big[3] = 0x00;
	memset(big + 4, 0xab, 256);
	slen = wlen = 0;
	add(big, sizeof(big), 0);
	add(hello, sizeof(hello), 1);
	wsfilter_init(&f);
	f.nth = 1;
	f.nth_act = WSFILTER_DROP;
	n = run(&f, 100, &rep);
	ok(n == wlen && memcmp(out, want, n) == 0 && rep.ev[0].len == 256,
	    "a 256-byte frame (16-bit length) dropped across pieces");

	/* A reserved opcode is no RFC 6455 frame: untouched from there on. */
	slen = wlen = 0;
	add(ping, sizeof(ping), 0);
	add((const uint8_t *)"\x83\x01x\x89\x00", 5, 1);
	wsfilter_init(&f);
	f.drop_ops = 1u << 0x9;
	n = run(&f, 4, &rep);
	ok(n == wlen && memcmp(out, want, n) == 0 && rep.gave_up && rep.n == 1,
	    "after a reserved opcode (0x3) the filter gives up: the ping after it passes");
	/* Nothing asked: a pure copy. */
	slen = wlen = 0;
	add(hello_masked, sizeof(hello_masked), 1);
	add(ping, sizeof(ping), 1);
	wsfilter_init(&f);
	n = run(&f, 5, &rep);
	ok(n == wlen && memcmp(out, want, n) == 0 && rep.n == 0,
	    "no behaviour: byte for byte");
	is_str(wsfilter_opcode_name(0x9), "ping", "opcode names");
	is_str(wsfilter_act_name(WSFILTER_TRUNCATE), "truncate", "action names");
	return tap_done();
}
