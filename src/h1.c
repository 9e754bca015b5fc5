/* The HTTP/1 message engine; see h1.h. */
#include "config.h"

#include <string.h>

#include "h1.h"

static const char *const h1_errs[H1_E_MAX] = {
	[H1_E_NONE] = "no-error",
	[H1_E_TOO_BIG] = "head-too-big",
	[H1_E_TOO_MANY] = "too-many-headers",
	[H1_E_REQUEST_LINE] = "bad-request-line",
	[H1_E_STATUS_LINE] = "bad-status-line",
	[H1_E_VERSION] = "bad-http-version",
	[H1_E_HEADER_SYNTAX] = "bad-header-line",
	[H1_E_OBS_FOLD] = "obs-fold",
	[H1_E_CTL] = "control-byte-in-head",
	[H1_E_BARE_CR] = "bare-cr",
	[H1_E_CONTENT_LENGTH] = "bad-content-length",
	[H1_E_CL_CONFLICT] = "conflicting-content-length",
	[H1_E_TRANSFER_ENCODING] = "bad-transfer-encoding",
	[H1_E_CHUNK_SIZE] = "bad-chunk-size",
	[H1_E_CHUNK_CRLF] = "bad-chunk-end",
	[H1_E_TRAILER] = "bad-trailer",
	[H1_E_TRUNCATED] = "truncated-message",
	[H1_E_STATE] = "bad-state",
};

const char *
h1_strerror(int e)
{
	if (e < 0)
		e = -e;
	if (e >= H1_E_MAX || h1_errs[e] == NULL)
		return "unknown-error";
	return h1_errs[e];
}

int
h1_tchar(unsigned char c)
{
	/* RFC 9110 5.6.2 tchar. */
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	}
	return 0;
}

static int
h1_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
h1_casecmpn(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (h1_lower((unsigned char)a[i]) != h1_lower((unsigned char)b[i]))
			return 1;
	return 0;
}

static struct h1_span
h1_span_make(size_t off, size_t len)
{
	struct h1_span s;

	s.off = (uint32_t)off;
	s.len = (uint32_t)len;
	return s;
}

int
h1_span_eq(const char *buf, struct h1_span s, const char *str)
{
	size_t n = strlen(str);

	return s.len == n && h1_casecmpn(buf + s.off, str, n) == 0;
}

enum h1_method
h1_method_parse(const char *p, size_t n)
{
	/* Methods are case-sensitive (RFC 9110 9.1). */
	static const struct {
		const char	*name;
		enum h1_method	 m;
	} tab[] = {
		{ "GET", H1_M_GET }, { "HEAD", H1_M_HEAD },
		{ "POST", H1_M_POST }, { "PUT", H1_M_PUT },
		{ "CONNECT", H1_M_CONNECT }, { "OPTIONS", H1_M_OPTIONS },
	};
	size_t i;

	for (i = 0; i < nitems(tab); i++)
		if (strlen(tab[i].name) == n && memcmp(tab[i].name, p, n) == 0)
			return tab[i].m;
	return H1_M_OTHER;
}

/*
 * The end of the line starting at off: the offset of its LF, with *eol
 * set to the length of the line end (1 or 2). -1 when there is no LF yet,
 * -H1_E_BARE_CR when a CR is followed by anything but LF.
 */
static long
h1_line_end(const char *buf, size_t len, size_t off, size_t *eol)
{
	const char *lf;
	size_t i;

	lf = memchr(buf + off, '\n', len - off);
	if (lf == NULL) {
		/* A CR followed by another byte can be told now. */
		for (i = off; i + 1 < len; i++)
			if (buf[i] == '\r')
				return -H1_E_BARE_CR;
		return -1;
	}
	i = (size_t)(lf - buf);
	*eol = (i > off && buf[i - 1] == '\r') ? 2 : 1;
	/* RFC 9112 2.2: a bare CR inside a line is invalid. */
	if (memchr(buf + off, '\r', i + 1 - *eol - off) != NULL)
		return -H1_E_BARE_CR;
	return (long)i;
}

static int
h1_version(const char *p, size_t n, int *minor)
{
	/* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; only 1.x. */
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -H1_E_VERSION;
	if (p[5] != '1')
		return -H1_E_VERSION;
	*minor = p[7] - '0';
	return 0;
}

/* Bytes allowed in a target, a reason or a value besides SP/HTAB. */
static int
h1_vchar(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

static int
h1_request_line(const char *buf, size_t off, size_t end, struct h1_head *h)
{
	size_t i = off, m, t;

	while (i < end && h1_tchar((unsigned char)buf[i]))
		i++;
	if (i == off || i >= end || buf[i] != ' ')
		return -H1_E_REQUEST_LINE;
	m = i - off;
	t = ++i;
	while (i < end && h1_vchar((unsigned char)buf[i]))
		i++;
	if (i == t || i >= end || buf[i] != ' ')
		return -H1_E_REQUEST_LINE;
	h->method = h1_span_make(off, m);
	h->meth = h1_method_parse(buf + off, m);
	h->target = h1_span_make(t, i - t);
	i++;
	h->version = h1_span_make(i, end - i);
	if (end - i != 8 || memcmp(buf + i, "HTTP/", 5) != 0) {
		/* Control bytes make it garbage, not an unknown version. */
		for (; i < end; i++)
			if (!h1_vchar((unsigned char)buf[i]))
				return -H1_E_REQUEST_LINE;
		return -H1_E_VERSION;
	}
	return h1_version(buf + i, 8, &h->minor);
}

static int
h1_status_line(const char *buf, size_t off, size_t end, struct h1_head *h)
{
	size_t i;
	int r;

	if (end - off < 8 || memcmp(buf + off, "HTTP/", 5) != 0)
		return -H1_E_STATUS_LINE;
	if (end - off > 8 && buf[off + 8] != ' ')
		return -H1_E_VERSION;
	h->version = h1_span_make(off, 8);
	if ((r = h1_version(buf + off, 8, &h->minor)) < 0)
		return r;
	if (end - off < 12)
		return -H1_E_STATUS_LINE;
	h->status = 0;
	for (i = off + 9; i < off + 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -H1_E_STATUS_LINE;
		h->status = h->status * 10 + (buf[i] - '0');
	}
	if (h->status < 100)
		return -H1_E_STATUS_LINE;
	/* The SP before an empty reason is often missing; accept that. */
	if (i < end && buf[i] != ' ')
		return -H1_E_STATUS_LINE;
	if (i < end)
		i++;
	h->reason = h1_span_make(i, end - i);
	for (; i < end; i++)
		if (!h1_vchar((unsigned char)buf[i]) && buf[i] != ' ' &&
		    buf[i] != '\t')
			return -H1_E_CTL;
	return 0;
}

static int
h1_header_line(const char *buf, size_t off, size_t end, size_t eol,
    struct h1_header *hd)
{
	size_t i = off, v, ve;
	unsigned char c;

	/* RFC 9112 5.2: obs-fold; we reject it rather than unfold. */
	if (buf[off] == ' ' || buf[off] == '\t')
		return -H1_E_OBS_FOLD;
	while (i < end && h1_tchar((unsigned char)buf[i]))
		i++;
	/* RFC 9112 5.1: no whitespace between name and colon. */
	if (i == off || i >= end || buf[i] != ':') {
		for (; i < end; i++)
			if (buf[i] == '\0')
				return -H1_E_CTL;
		return -H1_E_HEADER_SYNTAX;
	}
	hd->name = h1_span_make(off, i - off);
	v = ++i;
	for (; i < end; i++) {
		c = (unsigned char)buf[i];
		if (!h1_vchar(c) && c != ' ' && c != '\t')
			return -H1_E_CTL;
	}
	while (v < end && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	ve = end;
	while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
		ve--;
	hd->value = h1_span_make(v, ve - v);
	hd->line = h1_span_make(off, end - off + eol);
	return 0;
}

int
h1_parse_head_max(const char *buf, size_t len, size_t max, enum h1_kind kind,
    struct h1_head *h)
{
	size_t off = 0, eol = 0, lim;
	long end;
	int r, first = 1;

	h->kind = kind;
	h->flags = 0;
	h->nhdr = 0;
	h->status = 0;
	h->minor = 0;
	h->meth = H1_M_OTHER;
	memset(&h->method, 0, sizeof(h->method));
	h->target = h->version = h->reason = h->method;
	if (max > UINT32_MAX)
		max = UINT32_MAX;
	lim = len < max ? len : max;

	/* RFC 9112 2.2: a server SHOULD ignore empty lines before a request. */
	if (kind == H1_REQUEST) {
		while (off < lim && (buf[off] == '\n' ||
		    (buf[off] == '\r' && off + 1 < lim && buf[off + 1] == '\n'))) {
			off += buf[off] == '\r' ? 2 : 1;
			h->flags |= H1_F_LEADING_CRLF;
		}
	}
	for (;;) {
		if (off >= lim)
			goto more;
		end = h1_line_end(buf, lim, off, &eol);
		if (end == -1)
			goto more;
		if (end < 0)
			return (int)end;
		if (eol == 1)
			h->flags |= H1_F_BARE_LF;
		end -= (long)eol - 1;	/* now the offset of the line end */
		if (first) {
			h->line = h1_span_make(off, (size_t)end - off + eol);
			if ((size_t)end == off)
				return kind == H1_REQUEST ? -H1_E_REQUEST_LINE :
				    -H1_E_STATUS_LINE;
			r = kind == H1_REQUEST ?
			    h1_request_line(buf, off, (size_t)end, h) :
			    h1_status_line(buf, off, (size_t)end, h);
			if (r < 0)
				return r;
			first = 0;
		} else if ((size_t)end == off) {
			h->end = h1_span_make(off, eol);
			h->len = (uint32_t)(off + eol);
			return (int)h->len;
		} else {
			if (h->nhdr >= H1_MAX_HEADERS)
				return -H1_E_TOO_MANY;
			r = h1_header_line(buf, off, (size_t)end, eol,
			    &h->hdr[h->nhdr]);
			if (r < 0)
				return r;
			h->nhdr++;
		}
		off = (size_t)end + eol;
	}
more:
	return len >= max ? -H1_E_TOO_BIG : 0;
}

int
h1_may_start(const char *buf, size_t len, enum h1_kind kind)
{
	static const char http[] = "HTTP/";
	size_t i = 0;

	if (kind == H1_RESPONSE) {
		for (i = 0; i < len && i < sizeof(http) - 1; i++)
			if (buf[i] != http[i])
				return 0;
		return 1;
	}
	/* RFC 9112 2.2: empty lines may come before a request. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	for (; i < len && buf[i] != ' '; i++)
		if (!h1_tchar((unsigned char)buf[i]))
			return 0;
	return 1;
}

int
h1_parse_head(const char *buf, size_t len, enum h1_kind kind,
    struct h1_head *h)
{
	return h1_parse_head_max(buf, len, H1_HEAD_MAX, kind, h);
}

int
h1_header_find(const struct h1_head *h, const char *buf, const char *name,
    size_t from)
{
	size_t i;

	for (i = from; i < h->nhdr; i++)
		if (h1_span_eq(buf, h->hdr[i].name, name))
			return (int)i;
	return -1;
}

int
h1_header_has_tokenn(const struct h1_head *h, const char *buf,
    const char *name, const char *tok, size_t toklen)
{
	const char *p, *e, *s, *t;
	int i = -1;

	/* RFC 9110 5.6.1: #element lists; empty elements are allowed. */
	while ((i = h1_header_find(h, buf, name, (size_t)(i + 1))) >= 0) {
		p = buf + h->hdr[i].value.off;
		e = p + h->hdr[i].value.len;
		while (p < e) {
			while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			s = p;
			while (p < e && *p != ',')
				p++;
			t = p;
			while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			if ((size_t)(t - s) == toklen &&
			    h1_casecmpn(s, tok, toklen) == 0)
				return 1;
		}
	}
	return 0;
}

int
h1_header_has_token(const struct h1_head *h, const char *buf,
    const char *name, const char *tok)
{
	return h1_header_has_tokenn(h, buf, name, tok, strlen(tok));
}

int
h1_content_length(const struct h1_head *h, const char *buf, int64_t *out)
{
	const char *p, *e;
	int64_t v, cur = -1;
	int i = -1, any;

	/*
	 * RFC 9112 6.3 (5) and RFC 9110 8.6: a list of identical values, or
	 * identical duplicate fields, stand for one value; any difference is
	 * an unrecoverable framing error.
	 */
	while ((i = h1_header_find(h, buf, "Content-Length",
	    (size_t)(i + 1))) >= 0) {
		p = buf + h->hdr[i].value.off;
		e = p + h->hdr[i].value.len;
		if (p == e)
			return -H1_E_CONTENT_LENGTH;
		while (p < e) {
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			v = 0;
			any = 0;
			for (; p < e && *p >= '0' && *p <= '9'; p++) {
				if (v > (INT64_MAX - 9) / 10)
					return -H1_E_CONTENT_LENGTH;
				v = v * 10 + (*p - '0');
				any = 1;
			}
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (!any || (p < e && *p != ','))
				return -H1_E_CONTENT_LENGTH;
			if (p < e && ++p == e)
				return -H1_E_CONTENT_LENGTH;
			if (cur >= 0 && cur != v)
				return -H1_E_CL_CONFLICT;
			cur = v;
		}
	}
	if (cur < 0)
		return 0;
	*out = cur;
	return 1;
}

enum h1_te
h1_transfer_coding(const struct h1_head *h, const char *buf)
{
	const char *p, *e, *s, *t;
	int i = -1, chunked = 0, any = 0;

	/* RFC 9112 6.1 and 6.3: only the final coding decides the framing. */
	while ((i = h1_header_find(h, buf, "Transfer-Encoding",
	    (size_t)(i + 1))) >= 0) {
		p = buf + h->hdr[i].value.off;
		e = p + h->hdr[i].value.len;
		any = 1;
		while (p < e) {
			while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			if (p == e)
				break;
			s = p;
			while (p < e && *p != ',' && *p != ';')
				p++;
			t = p;
			while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			chunked = (t - s == 7 && h1_casecmpn(s, "chunked", 7) == 0);
			while (p < e && *p != ',')
				p++;
		}
	}
	if (!any)
		return H1_TE_NONE;
	return chunked ? H1_TE_CHUNKED : H1_TE_OTHER;
}

enum h1_ws
h1_head_ws_kind(const struct h1_head *h, const char *buf)
{
	int up;

	up = h1_header_has_token(h, buf, "Upgrade", "websocket");
	if (h->kind == H1_REQUEST) {
		if (h1_header_find(h, buf, "Sec-WebSocket-Key1", 0) >= 0 &&
		    h1_header_find(h, buf, "Sec-WebSocket-Key2", 0) >= 0)
			return H1_WS_HIXIE76;
		if (!up)
			return H1_WS_NONE;
		/* A version without a key is a broken hybi request, not 75. */
		if (h1_header_find(h, buf, "Sec-WebSocket-Key", 0) >= 0 ||
		    h1_header_find(h, buf, "Sec-WebSocket-Version", 0) >= 0)
			return H1_WS_HYBI;
		return H1_WS_HIXIE75;
	}
	if (h->status != 101)
		return H1_WS_NONE;
	if (h1_header_find(h, buf, "Sec-WebSocket-Accept", 0) >= 0)
		return H1_WS_HYBI;
	if (h1_header_find(h, buf, "Sec-WebSocket-Location", 0) >= 0)
		return H1_WS_HIXIE76;
	if (up || h1_header_find(h, buf, "WebSocket-Location", 0) >= 0)
		return H1_WS_HIXIE75;
	return H1_WS_NONE;
}

const char *
h1_ws_name(enum h1_ws k)
{
	switch (k) {
	case H1_WS_NONE:	return "none";
	case H1_WS_HYBI:	return "hybi";
	case H1_WS_HIXIE76:	return "hixie76";
	case H1_WS_HIXIE75:	return "hixie75";
	}
	return "?";
}

const char *
h1_state_name(enum h1_state s)
{
	switch (s) {
	case H1_ST_HEAD:	return "head";
	case H1_ST_BODY:	return "body";
	case H1_ST_CHUNK_SIZE:	return "chunk-size";
	case H1_ST_CHUNK_EXT:	return "chunk-ext";
	case H1_ST_CHUNK_LF:	return "chunk-size-lf";
	case H1_ST_CHUNK_DATA:	return "chunk-data";
	case H1_ST_CHUNK_CR:	return "chunk-data-cr";
	case H1_ST_CHUNK_DATA_LF: return "chunk-data-lf";
	case H1_ST_TRAILER:	return "trailer";
	case H1_ST_CLOSE:	return "close-delimited";
	case H1_ST_EXTRA:	return "extra";
	case H1_ST_TUNNEL:	return "tunnel";
	case H1_ST_EOF:		return "eof";
	case H1_ST_ERROR:	return "error";
	}
	return "?";
}

const char *
h1_unit_name(enum h1_unit u)
{
	switch (u) {
	case H1_U_NEED_MORE:	return "need-more";
	case H1_U_HEAD:		return "head";
	case H1_U_BODY:		return "body";
	case H1_U_FRAMING:	return "framing";
	case H1_U_EXTRA:	return "extra";
	case H1_U_TUNNEL:	return "tunnel";
	case H1_U_ERROR:	return "error";
	}
	return "?";
}

void
h1_msg_init(struct h1_msg *m, enum h1_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->state = H1_ST_HEAD;
	m->maxhead = H1_HEAD_MAX;
	m->reqmeth = H1_M_GET;
}

void
h1_msg_set_method(struct h1_msg *m, enum h1_method meth)
{
	m->reqmeth = meth;
}

void
h1_msg_expect_response(struct h1_msg *resp, const struct h1_msg *req)
{
	resp->reqmeth = req->nmsg > 0 || req->state != H1_ST_HEAD ?
	    req->head.meth : H1_M_GET;
}

void
h1_msg_tunnel(struct h1_msg *m)
{
	if (m->state != H1_ST_ERROR)
		m->state = H1_ST_TUNNEL;
}

void
h1_msg_resume(struct h1_msg *m)
{
	if (m->state == H1_ST_EXTRA || m->state == H1_ST_TUNNEL) {
		m->state = H1_ST_HEAD;
		m->flags &= ~H1_MF_UPGRADE;
	}
}

int
h1_msg_eof(struct h1_msg *m)
{
	enum h1_state s = m->state;

	if (s == H1_ST_ERROR)
		return -m->err;
	m->state = H1_ST_EOF;
	switch (s) {
	case H1_ST_HEAD:
		/* A partial head the caller still holds is truncated. */
		return m->scan > 0 ? -H1_E_TRUNCATED : 0;
	case H1_ST_CLOSE:
		/* RFC 9112 6.3 (8): the close delimits the body. */
		m->nmsg++;
		return 0;
	case H1_ST_EXTRA:
	case H1_ST_TUNNEL:
	case H1_ST_EOF:
		return 0;
	default:
		return -H1_E_TRUNCATED;
	}
}

static int
h1_msg_fail(struct h1_msg *m, struct h1_feed_result *res, int err)
{
	if (err < 0)
		err = -err;
	m->state = H1_ST_ERROR;
	m->err = err;
	res->unit = H1_U_ERROR;
	res->err = err;
	res->len = 0;
	return -err;
}

/* After a message: what the bytes that follow are. */
static void
h1_msg_complete(struct h1_msg *m, struct h1_feed_result *res)
{
	res->done = 1;
	m->nmsg++;
	if (m->kind == H1_REQUEST) {
		m->state = (m->flags & H1_MF_UPGRADE) ? H1_ST_EXTRA : H1_ST_HEAD;
		return;
	}
	m->state = H1_ST_HEAD;
	if (m->head.status == 101 ||
	    (m->reqmeth == H1_M_CONNECT && m->head.status / 100 == 2))
		m->state = H1_ST_TUNNEL;
}

/* RFC 9112 6.3: the body length of the message whose head just came. */
static int
h1_msg_body(struct h1_msg *m, const char *buf, struct h1_feed_result *res)
{
	const struct h1_head *h = &m->head;
	enum h1_te te;
	int64_t cl = 0;
	int r, st = h->status;

	m->flags &= ~(H1_MF_UPGRADE | H1_MF_INTERIM);
	if (m->kind == H1_RESPONSE) {
		/* (1) HEAD, 1xx, 204 and 304 have no body. */
		if (st / 100 == 1 && st != 101) {
			m->flags |= H1_MF_INTERIM;
			res->done = 1;
			m->nmsg++;
			m->state = H1_ST_HEAD;
			return 0;
		}
		if (m->reqmeth == H1_M_HEAD || st / 100 == 1 || st == 204 ||
		    st == 304) {
			h1_msg_complete(m, res);
			return 0;
		}
		/* (2) a 2xx to CONNECT is a tunnel whatever it says. */
		if (m->reqmeth == H1_M_CONNECT && st / 100 == 2) {
			h1_msg_complete(m, res);
			return 0;
		}
	} else if (h->meth == H1_M_CONNECT ||
	    h1_header_find(h, buf, "Upgrade", 0) >= 0 ||
	    h1_head_ws_kind(h, buf) != H1_WS_NONE) {
		/* What follows may belong to another protocol. */
		m->flags |= H1_MF_UPGRADE;
	}
	te = h1_transfer_coding(h, buf);
	if (te != H1_TE_NONE) {
		/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty. */
		if (h->minor == 0)
			return -H1_E_TRANSFER_ENCODING;
		/* (3) Transfer-Encoding overrides Content-Length. */
		if (te == H1_TE_CHUNKED) {
			m->state = H1_ST_CHUNK_SIZE;
			m->toread = 0;
			m->linelen = 0;
			return 0;
		}
		/* (4) a request must end in chunked; a response reads to EOF. */
		if (m->kind == H1_REQUEST)
			return -H1_E_TRANSFER_ENCODING;
		m->state = H1_ST_CLOSE;
		return 0;
	}
	if ((r = h1_content_length(h, buf, &cl)) < 0)
		return r;
	if (r > 0) {
		if (cl == 0) {
			h1_msg_complete(m, res);
			return 0;
		}
		m->toread = (uint64_t)cl;
		m->state = H1_ST_BODY;
		return 0;
	}
	/* (7) a request without either has no body; (8) a response does. */
	if (m->kind == H1_REQUEST)
		h1_msg_complete(m, res);
	else
		m->state = H1_ST_CLOSE;
	return 0;
}

static int
h1_msg_head(struct h1_msg *m, const char *buf, size_t len,
    struct h1_feed_result *res)
{
	int r;

	/* Parse again only when a new line has come: linear over a trickle. */
	if (m->scan > len)
		m->scan = 0;
	if (memchr(buf + m->scan, '\n', len - m->scan) == NULL) {
		m->scan = len;
		if (len >= m->maxhead)
			return h1_msg_fail(m, res, H1_E_TOO_BIG);
		return 0;
	}
	r = h1_parse_head_max(buf, len, m->maxhead, m->kind, &m->head);
	if (r < 0)
		return h1_msg_fail(m, res, r);
	if (r == 0) {
		m->scan = len;
		return 0;
	}
	m->scan = 0;
	res->unit = H1_U_HEAD;
	res->len = (size_t)r;
	res->head = &m->head;
	if ((r = h1_msg_body(m, buf, res)) < 0)
		return h1_msg_fail(m, res, r);
	return (int)res->len;
}

static int
h1_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = h1_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Chunked framing bytes (RFC 9112 7.1) from buf, up to the first data
 * byte or the end of the message. Returns the bytes consumed or -H1_E_.
 */
static long
h1_msg_chunk_framing(struct h1_msg *m, const char *buf, size_t len,
    struct h1_feed_result *res)
{
	size_t i;
	int c, d;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		switch (m->state) {
		case H1_ST_CHUNK_SIZE:
			if ((d = h1_hex(c)) >= 0) {
				/* 15 hex digits: far beyond any real chunk. */
				if (++m->linelen > 15)
					return -H1_E_CHUNK_SIZE;
				m->toread = m->toread * 16 + (uint64_t)d;
				break;
			}
			if (m->linelen == 0)
				return -H1_E_CHUNK_SIZE;
			if (c == ';' || c == ' ' || c == '\t')
				m->state = H1_ST_CHUNK_EXT;
			else if (c == '\r')
				m->state = H1_ST_CHUNK_LF;
			else if (c == '\n')
				goto size_done;
			else
				return -H1_E_CHUNK_SIZE;
			break;
		case H1_ST_CHUNK_EXT:
			/* Extensions are ignored (7.1.1), but bounded. */
			if (++m->linelen > H1_CHUNK_LINE_MAX)
				return -H1_E_CHUNK_SIZE;
			if (c == '\r')
				m->state = H1_ST_CHUNK_LF;
			else if (c == '\n')
				goto size_done;
			else if (c != '\t' && (c < 0x20 || c == 0x7f))
				return -H1_E_CHUNK_SIZE;
			break;
		case H1_ST_CHUNK_LF:
			if (c != '\n')
				return -H1_E_CHUNK_SIZE;
size_done:
			m->linelen = 0;
			if (m->toread == 0) {
				m->state = H1_ST_TRAILER;
				m->trailerlen = 0;
				break;
			}
			m->state = H1_ST_CHUNK_DATA;
			return (long)i + 1;
		case H1_ST_CHUNK_CR:
			if (c == '\r')
				m->state = H1_ST_CHUNK_DATA_LF;
			else if (c == '\n')
				m->state = H1_ST_CHUNK_SIZE;
			else
				return -H1_E_CHUNK_CRLF;
			break;
		case H1_ST_CHUNK_DATA_LF:
			if (c != '\n')
				return -H1_E_CHUNK_CRLF;
			m->state = H1_ST_CHUNK_SIZE;
			break;
		case H1_ST_TRAILER:
			/* Trailer fields are passed on, only checked lightly. */
			if (++m->trailerlen > H1_TRAILER_MAX)
				return -H1_E_TRAILER;
			if (c == '\n') {
				if (m->linelen == 0) {
					h1_msg_complete(m, res);
					return (long)i + 1;
				}
				m->linelen = 0;
			} else if (c == '\r') {
				if (i + 1 < len && buf[i + 1] != '\n')
					return -H1_E_TRAILER;
			} else if (c == '\0' || ((c == ' ' || c == '\t') &&
			    m->linelen == 0)) {
				return -H1_E_TRAILER;
			} else
				m->linelen++;
			break;
		default:
			return (long)i;
		}
	}
	return (long)len;
}

int
h1_msg_feed(struct h1_msg *m, const char *buf, size_t len,
    struct h1_feed_result *res)
{
	uint64_t n;
	long r;

	memset(res, 0, sizeof(*res));
	res->unit = H1_U_NEED_MORE;
	if (m->state == H1_ST_ERROR || m->state == H1_ST_EOF) {
		res->unit = H1_U_ERROR;
		res->err = m->state == H1_ST_ERROR ? m->err : H1_E_STATE;
		return -res->err;
	}
	if (len == 0)
		return 0;
	switch (m->state) {
	case H1_ST_HEAD:
		return h1_msg_head(m, buf, len, res);
	case H1_ST_BODY:
	case H1_ST_CHUNK_DATA:
		n = len < m->toread ? len : m->toread;
		if (n > INT32_MAX)
			n = INT32_MAX;
		m->toread -= n;
		res->unit = H1_U_BODY;
		res->len = (size_t)n;
		if (m->toread == 0) {
			if (m->state == H1_ST_BODY)
				h1_msg_complete(m, res);
			else
				m->state = H1_ST_CHUNK_CR;
		}
		return (int)res->len;
	case H1_ST_CLOSE:
		res->unit = H1_U_BODY;
		break;
	case H1_ST_EXTRA:
		res->unit = H1_U_EXTRA;
		break;
	case H1_ST_TUNNEL:
		res->unit = H1_U_TUNNEL;
		break;
	default:
		r = h1_msg_chunk_framing(m, buf, len, res);
		if (r < 0)
			return h1_msg_fail(m, res, (int)r);
		res->unit = H1_U_FRAMING;
		res->len = (size_t)r;
		return (int)r;
	}
	/* Whatever is left runs to the connection's end. */
	res->len = len > INT32_MAX ? INT32_MAX : len;
	return (int)res->len;
}
