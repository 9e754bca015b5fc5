/* Frame-aware transforms of a WebSocket stream; see wsfilter.h. */
#include "config.h"

#include <string.h>

#include "ws.h"
#include "wsfilter.h"

void
wsfilter_init(struct wsfilter *f)
{
	memset(f, 0, sizeof(*f));
}

const char *
wsfilter_act_name(enum wsfilter_act a)
{
	switch (a) {
	case WSFILTER_PASS:	return "pass";
	case WSFILTER_DROP:	return "drop";
	case WSFILTER_TRUNCATE:	return "truncate";
	}
	return "?";
}

const char *
wsfilter_opcode_name(unsigned op)
{
	switch (op) {
	case 0x0:	return "continuation";
	case 0x1:	return "text";
	case 0x2:	return "binary";
	case 0x8:	return "close";
	case 0x9:	return "ping";
	case 0xa:	return "pong";
	}
	return "reserved";
}

static void
wsfilter_note(struct wsfilter_report *rep, const struct wsfilter_event *e)
{
	if (rep == NULL)
		return;
	if (rep->n < WSFILTER_EVENTS)
		rep->ev[rep->n++] = *e;
	else
		rep->more++;
}

/* A whole header in f->hdr: decide the frame's fate. */
static size_t
wsfilter_frame(struct wsfilter *f, const struct ws_frame *fr, uint8_t *out,
    struct wsfilter_report *rep)
{
	struct wsfilter_event e;
	int is_data = fr->opcode < 0x8;
	size_t o = 0;

	memset(&e, 0, sizeof(e));
	f->frames++;
	if (is_data)
		f->data_frames++;
	e.act = WSFILTER_PASS;
	if (f->drop_ops & (1u << fr->opcode))
		e.act = WSFILTER_DROP;
	else if (is_data && f->nth != 0 && f->data_frames == f->nth)
		e.act = f->nth_act;
	f->left = fr->len;
	switch (e.act) {
	case WSFILTER_DROP:
		f->pass = 0;
		break;
	case WSFILTER_TRUNCATE:
		f->pass = fr->len < f->keep ? fr->len : f->keep;
		memcpy(out, f->hdr, f->hlen);
		o = f->hlen;
		break;
	case WSFILTER_PASS:
		f->pass = fr->len;
		memcpy(out, f->hdr, f->hlen);
		o = f->hlen;
		break;
	}
	if (e.act != WSFILTER_PASS) {
		e.frame = f->frames;
		e.data_frame = is_data ? f->data_frames : 0;
		e.opcode = fr->opcode;
		e.offset = f->off - f->hlen;
		e.len = fr->len;
		e.kept = f->pass;
		wsfilter_note(rep, &e);
	}
	f->hlen = 0;
	return o;
}

size_t
wsfilter_feed(struct wsfilter *f, const uint8_t *in, size_t len, uint8_t *out,
    struct wsfilter_report *rep)
{
	struct ws_frame fr;
	size_t i = 0, o = 0, k, p;
	int rc;

	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	while (i < len) {
		if (f->broken) {
			memcpy(out + o, in + i, len - i);
			o += len - i;
			f->off += len - i;
			break;
		}
		if (f->left > 0) {
			k = len - i < f->left ? len - i : (size_t)f->left;
			p = k < f->pass ? k : (size_t)f->pass;
			memcpy(out + o, in + i, p);
			o += p;
			f->pass -= p;
			f->left -= k;
			f->off += k;
			i += k;
			continue;
		}
		f->hdr[f->hlen++] = in[i++];
		f->off++;
		/* Any RSV bits (an extension may use them), masked or not. */
		rc = ws_frame_parse(f->hdr, f->hlen, WS_F_RSV1 | WS_F_RSV2 |
		    WS_F_RSV3, UINT64_MAX, &fr);
		if (rc < 0 || (rc == 0 && f->hlen == WSFILTER_HDR_MAX)) {
			/* Not RFC 6455 frames: hands off from here. */
			f->broken = 1;
			if (rep != NULL)
				rep->gave_up = 1;
			memcpy(out + o, f->hdr, f->hlen);
			o += f->hlen;
			f->hlen = 0;
			continue;
		}
		if (rc > 0)
			o += wsfilter_frame(f, &fr, out + o, rep);
	}
	return o;
}
