/*
 * Frame-aware misbehaviour on one direction of a WebSocket after its
 * 101: drop control frames (pings, pongs, close), or drop or truncate
 * the nth data frame. A streaming transform over bytes: frames may span
 * any number of reads, payloads are never buffered (only a header, at
 * most 14 bytes, waits for its end). A truncated frame keeps its header,
 * so what follows is read as its payload: the stream desynchronises, as
 * it does behind the antivirus proxies that lose a frame's last bytes.
 * Bytes that are not RFC 6455 frames pass untouched from the first bad
 * header on (the relay engages a filter only after an RFC 6455 101:
 * hixie-76 frames can look like valid ones). Pure: no I/O, no
 * allocation.
 */
#ifndef PROXYSIM_WSFILTER_H
#define PROXYSIM_WSFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

#define WSFILTER_HDR_MAX	14
/* Output never exceeds the input by more than a held header. */
#define WSFILTER_SLACK		WSFILTER_HDR_MAX

enum wsfilter_act {
	WSFILTER_PASS = 0,
	WSFILTER_DROP,
	WSFILTER_TRUNCATE
};

/* What happened to one frame in a feed. */
struct wsfilter_event {
	uint64_t		 frame;		/* 1-based, every frame */
	uint64_t		 data_frame;	/* 1-based among data frames, or 0 */
	unsigned		 opcode;
	enum wsfilter_act	 act;
	uint64_t		 offset;	/* of its header in the stream */
	uint64_t		 len;		/* its payload length */
	uint64_t		 kept;		/* payload bytes passed */
};

#define WSFILTER_EVENTS	8

struct wsfilter_report {
	size_t			 n;
	size_t			 more;		/* events beyond the array */
	struct wsfilter_event	 ev[WSFILTER_EVENTS];
	int			 gave_up;	/* not frames: now passing all */
};

struct wsfilter {
	/* What to do (set by the caller). */
	unsigned		 drop_ops;	/* bit per opcode: 1 << 9 ping */
	uint64_t		 nth;		/* the data frame to act on, 0 none */
	enum wsfilter_act	 nth_act;
	uint64_t		 keep;		/* truncate: payload bytes kept */
	/* The stream. */
	uint64_t		 off;		/* bytes seen */
	uint8_t			 hdr[WSFILTER_HDR_MAX];
	size_t			 hlen;
	uint64_t		 left;		/* payload bytes still to come */
	uint64_t		 pass;		/* of which to pass */
	uint64_t		 frames, data_frames;
	int			 broken;
};

/* Sets up a filter that does nothing until its fields are set. */
void	wsfilter_init(struct wsfilter *) NONNULL(1);
/*
 * Feeds len bytes; writes what goes on to out (room for len +
 * WSFILTER_SLACK) and returns its length. rep (may be NULL) lists the
 * frames that were dropped or truncated.
 */
size_t	wsfilter_feed(struct wsfilter *, const uint8_t *in, size_t len,
	    uint8_t *out, struct wsfilter_report *rep) NONNULL(1, 4);
const char *wsfilter_act_name(enum wsfilter_act);
const char *wsfilter_opcode_name(unsigned);

#endif
