/*
 * libFuzzer target: the HTTP/1 engine. The first byte picks the direction
 * (bit 0), the request method a response answers (bits 1-2) and how the
 * bytes arrive (bits 3-7: one piece, byte by byte, or pieces of a size).
 * Every complete head is rewritten with all edits into a bounded buffer.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h1.h"
#include "h1edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_h1_edits(const char *buf, const struct h1_head *h)
{
	static const char *const lv[] = { "Upgrade", "Connection", NULL };
	static const char *const add[] = { "X-Forwarded-For: 198.18.1.2",
	    "Cache-Control: max-age=259200", NULL };
	static const struct h1edit_rename rn[] = {
	    { "Sec-WebSocket-Accept", "Sec-Websocket-Accept" },
	    { "Host", "hOST-renamed" } };
	static const struct h1edit_revalue rv[] = {
	    { "Upgrade", "websocket", "WebSocket" } };
	static const unsigned int sets[] = {
	    H1EDIT_STRIP_HOP | H1EDIT_HOST_LAST,
	    H1EDIT_HTTP10 | H1EDIT_LOWER_NAMES,
	    H1EDIT_STRIP_UPGRADE_TOKEN | H1EDIT_CONN_MULTI | H1EDIT_MERGE_DUPS,
	    H1EDIT_STRIP_UPGRADE | H1EDIT_LOWER_VALUES,
	    /* squid-strip-upgrade and nginx-default (fidelity.sh) */
	    H1EDIT_STRIP_HOP | H1EDIT_HOST_LAST | H1EDIT_NORMALIZE,
	    H1EDIT_HTTP10 | H1EDIT_HOP_NGINX | H1EDIT_HOST_FIRST |
	    H1EDIT_NORMALIZE,
	    0xfff };
	struct h1edit e;
	struct h1edit_report rep;
	struct h1_head copy;
	char out[4096], in[H1_HEAD_MAX];
	size_t i;
	ssize_t n;
	int r;

	for (i = 0; i < nitems(sets); i++) {
		memset(&e, 0, sizeof(e));
		e.flags = sets[i];
		e.via = "1.1 mb.lab (squid/5.7)";
		e.add = add;
		e.connection = i & 1 ? "keep-alive" : NULL;
		e.lower_values = i & 1 ? lv : NULL;
		e.renames = rn;
		e.nrenames = nitems(rn);
		e.revalues = rv;
		e.nrevalues = nitems(rv);
		e.canon = i & 2 ? NULL : h1edit_squid_names;
		n = h1edit_apply(out, sizeof(out), buf, h, &e, &rep);
		if (n > (ssize_t)sizeof(out) || rep.nact > H1EDIT_MAX_ACTIONS)
			__builtin_trap();
		/* What we forward must parse as a head of the same kind. */
		if (n > 0 && (r = h1_parse_head(out, (size_t)n, h->kind,
		    &copy)) != n && r != -H1_E_TOO_MANY)
			__builtin_trap();
	}
	/* In place: only the bytes of Connection names change. */
	if (h->len <= sizeof(in)) {
		size_t k, changed = 0, names = 0;

		memcpy(in, buf, h->len);
		(void)h1edit_rename_inplace(in, h, "Connection", "Cneonction");
		for (k = 0; k < h->nhdr; k++) {
			if (!h1_span_eq(buf, h->hdr[k].name, "Connection"))
				continue;
			if (memcmp(in + h->hdr[k].name.off, "Cneonction", 10) != 0)
				__builtin_trap();
			names += 10;
		}
		for (i = 0; i < h->len; i++)
			changed += in[i] != buf[i];
		if (changed > names)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum h1_method meths[] = { H1_M_GET, H1_M_HEAD,
	    H1_M_CONNECT, H1_M_POST };
	struct h1_msg m;
	struct h1_feed_result res;
	const char *in;
	size_t pos = 0, avail, step, len;
	int r;

	if (size < 1)
		return 0;
	h1_msg_init(&m, data[0] & 1 ? H1_RESPONSE : H1_REQUEST);
	h1_msg_set_method(&m, meths[(data[0] >> 1) & 3]);
	step = data[0] >> 3;		/* 0: all at once */
	in = (const char *)data + 1;
	len = size - 1;
	avail = step == 0 ? len : (step < len ? step : len);
	for (;;) {
		r = h1_msg_feed(&m, in + pos, avail - pos, &res);
		if (r < 0)
			break;
		if (r == 0) {
			if (avail == len)
				break;
			avail = step == 0 || avail + step > len ? len :
			    avail + step;
			continue;
		}
		if ((size_t)r > avail - pos || (size_t)r != res.len)
			__builtin_trap();
		if (res.unit == H1_U_HEAD) {
			if (res.head == NULL || res.head->len != (uint32_t)r)
				__builtin_trap();
			fuzz_h1_edits(in + pos, res.head);
			(void)h1_head_ws_kind(res.head, in + pos);
		}
		/* A relay tunnels after 101 and leaves HTTP for extra bytes. */
		if (res.unit == H1_U_EXTRA && (data[0] & 0x80))
			h1_msg_resume(&m);
		pos += (size_t)r;
	}
	(void)h1_msg_eof(&m);
	return 0;
}
