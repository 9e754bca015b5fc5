/* Head rewriting and the proxy's own heads; see h1edit.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h1edit.h"

/* A bounded writer: once something does not fit, nothing more is. */
struct h1edit_w {
	char	*p;
	size_t	 cap;
	size_t	 len;
	int	 over;
};

static void
h1edit_put(struct h1edit_w *w, const char *s, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
h1edit_puts(struct h1edit_w *w, const char *s)
{
	h1edit_put(w, s, strlen(s));
}

static void
h1edit_lower(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] + ('a' - 'A'));
}

static int
h1edit_caseeq(const char *a, size_t an, const char *b)
{
	size_t i;
	int ca, cb;

	if (strlen(b) != an)
		return 0;
	for (i = 0; i < an; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return 0;
	}
	return 1;
}

static int
h1edit_in_list(const char *p, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (h1edit_caseeq(p, n, *list))
			return 1;
	return 0;
}

static void
h1edit_note(struct h1edit_report *rep, enum h1edit_act_kind kind,
    const char *name, size_t namelen)
{
	if (rep == NULL)
		return;
	if (rep->nact >= H1EDIT_MAX_ACTIONS) {
		rep->lost++;
		return;
	}
	rep->act[rep->nact].kind = kind;
	rep->act[rep->nact].name = name;
	rep->act[rep->nact].namelen = namelen;
	rep->nact++;
}

const char *
h1edit_act_name(enum h1edit_act_kind k)
{
	switch (k) {
	case H1EDIT_A_REMOVED:	return "removed";
	case H1EDIT_A_ADDED:	return "added";
	case H1EDIT_A_RENAMED:	return "renamed";
	case H1EDIT_A_VALUE:	return "value";
	case H1EDIT_A_VERSION:	return "version";
	case H1EDIT_A_MOVED:	return "moved";
	}
	return "?";
}

const char *const h1edit_squid_names[] = {
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
	"Accept-Ranges", "Age", "Allow", "Alternate-Protocol",
	"Authentication-Info", "Authorization", "Cache-Control", "Connection",
	"Content-Base", "Content-Disposition", "Content-Encoding",
	"Content-Language", "Content-Length", "Content-Location",
	"Content-MD5", "Content-Range", "Content-Type", "Cookie", "Cookie2",
	"Date", "ETag", "Expect", "Expires", "Forwarded", "From", "FTP-Arguments",
	"FTP-Command", "FTP-Pre", "FTP-Reason", "FTP-Status", "Front-End-Https",
	"Host", "HTTP2-Settings", "If-Match", "If-Modified-Since",
	"If-None-Match", "If-Range", "If-Unmodified-Since", "Keep-Alive", "Key",
	"Last-Modified", "Link", "Location", "Max-Forwards", "Mime-Version",
	"Negotiate", "Origin", "Pragma", "Proxy-Authenticate",
	"Proxy-Authentication-Info", "Proxy-Authorization", "Proxy-Connection",
	"Proxy-support", "Public", "Range", "Referer", "Request-Range",
	"Retry-After", "Server", "Set-Cookie", "Set-Cookie2",
	"Surrogate-Capability", "Surrogate-Control", "TE", "Title", "Trailer",
	"Transfer-Encoding", "Translate", "Unless-Modified-Since", "Upgrade",
	"User-Agent", "Vary", "Via", "Warning", "WWW-Authenticate",
	"X-Accelerator-Vary", "X-Cache", "X-Cache-Lookup", "X-Forwarded-For",
	"X-Next-Services", "X-Request-URI", "X-Squid-Error", NULL
};

int
h1edit_squid_nocache(const struct h1_head *h, const char *buf)
{
	const char *t = buf + h->target.off;
	size_t i, n = h->target.len;

	for (i = 0; i < n; i++) {
		if (t[i] == '?')
			return 1;
		if (n - i >= 9 && memcmp(t + i, "/cgi-bin/", 9) == 0)
			return 1;
	}
	return 0;
}

int
h1edit_wants_close(const struct h1_head *h, const char *buf)
{
	if (h1_header_has_token(h, buf, "Connection", "close"))
		return 1;
	return h->minor == 0 &&
	    !h1_header_has_token(h, buf, "Connection", "keep-alive");
}

/* 1 if header i goes: hop-by-hop by name or named by Connection. */
static int
h1edit_drop(const struct h1_head *h, const char *buf, size_t i,
    const struct h1edit *e)
{
	/* RFC 9110 7.6.1, and the older names proxies still strip. */
	static const char *const hop[] = { "Connection", "Keep-Alive",
	    "Proxy-Connection", "TE", "Trailer", "Upgrade", NULL };
	/* nginx's proxy_pass clears these and keeps the rest, headers
	 * that Connection names included (measured, fidelity.sh). */
	static const char *const hop_nginx[] = { "Connection", "Keep-Alive",
	    "TE", "Upgrade", "Expect", NULL };
	/* On its answers only these two: Upgrade and what Connection
	 * names reach the client (measured, fidelity.sh). */
	static const char *const hop_nginx_resp[] = { "Connection",
	    "Keep-Alive", NULL };
	const char *n = buf + h->hdr[i].name.off;
	size_t nl = h->hdr[i].name.len;

	if ((e->flags & (H1EDIT_STRIP_HOP | H1EDIT_HTTP10)) &&
	    (e->flags & H1EDIT_HOP_NGINX)) {
		if (h1edit_in_list(n, nl, h->kind == H1_RESPONSE ?
		    hop_nginx_resp : hop_nginx))
			return 1;
	} else if (e->flags & (H1EDIT_STRIP_HOP | H1EDIT_HTTP10)) {
		if (h1edit_in_list(n, nl, hop))
			return 1;
		if (h1_header_has_tokenn(h, buf, "Connection", n, nl))
			return 1;
	}
	if ((e->flags & H1EDIT_STRIP_UPGRADE) && h1edit_caseeq(n, nl, "Upgrade"))
		return 1;
	if (e->drop_names != NULL && h1edit_in_list(n, nl, e->drop_names))
		return 1;
	return 0;
}

/* Writes "Name: value" lines as given, each noted as added. */
static void
h1edit_lines(struct h1edit_w *w, const char *const *a, const char *eol,
    struct h1edit_report *rep)
{
	const char *colon;

	for (; a != NULL && *a != NULL; a++) {
		h1edit_puts(w, *a);
		h1edit_puts(w, eol);
		colon = strchr(*a, ':');
		h1edit_note(rep, H1EDIT_A_ADDED, *a,
		    colon != NULL ? (size_t)(colon - *a) : strlen(*a));
	}
}

/* Connection's value without its upgrade tokens; 0 if none is left. */
static size_t
h1edit_conn_filter(struct h1edit_w *w, const char *p, size_t n)
{
	const char *e = p + n, *s, *t;
	size_t kept = 0;

	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == e)
			break;
		s = p;
		while (p < e && *p != ',')
			p++;
		t = p;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (h1edit_caseeq(s, (size_t)(t - s), "upgrade"))
			continue;
		if (kept++ > 0)
			h1edit_put(w, ", ", 2);
		h1edit_put(w, s, (size_t)(t - s));
	}
	return kept;
}

/*
 * Go's CanonicalMIMEHeaderKey: the first letter and each after a '-'
 * upper case, the rest lower; a name with a byte outside letters,
 * digits and '-' stays as it is.
 */
static void
h1edit_canon_words(char *p, size_t n)
{
	size_t i;
	int up = 1;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-'))
			return;
	}
	for (i = 0; i < n; i++) {
		if (up && p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
		else if (!up && p[i] >= 'A' && p[i] <= 'Z')
			p[i] += 'a' - 'A';
		up = p[i] == '-';
	}
}

/* Writes name in the case of its entry in list; 0 if it has none. */
static int
h1edit_canon(struct h1edit_w *w, const char *name, size_t nl,
    const char *const *list)
{
	for (; *list != NULL; list++)
		if (h1edit_caseeq(name, nl, *list)) {
			h1edit_puts(w, *list);
			return 1;
		}
	return 0;
}

/* Does an add line ("Name: value") name header i? */
static int
h1edit_added(const char *buf, const struct h1_head *h, size_t i,
    const char *line)
{
	const char *colon = strchr(line, ':');
	size_t k, n = h->hdr[i].name.len;
	int a, b;

	if (colon == NULL || (size_t)(colon - line) != n)
		return 0;
	for (k = 0; k < n; k++) {
		a = (unsigned char)line[k];
		b = (unsigned char)buf[h->hdr[i].name.off + k];
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return 1;
}

/* Is header i one that an add line takes the place of? */
static int
h1edit_is_added(const char *buf, const struct h1_head *h, size_t i,
    const struct h1edit *e)
{
	const char *const *a;

	for (a = e->add; a != NULL && *a != NULL; a++)
		if (h1edit_added(buf, h, i, *a))
			return 1;
	return 0;
}

/* Writes header i as edited; 0 when written, 1 when it vanished. */
static int
h1edit_header(struct h1edit_w *w, const char *buf, const struct h1_head *h,
    size_t i, const struct h1edit *e, struct h1edit_report *rep)
{
	const struct h1_header *hd = &h->hdr[i];
	const char *name = buf + hd->name.off, *val = buf + hd->value.off;
	const char *tok;
	size_t nl = hd->name.len, vl = hd->value.len, mark, n0, v0, k;
	int isconn;

	mark = w->len;
	n0 = w->len;
	for (k = 0; k < e->nrenames; k++)
		if (h1edit_caseeq(name, nl, e->renames[k].from))
			break;
	if (k < e->nrenames)
		h1edit_puts(w, e->renames[k].to);
	else if (e->canon != NULL && h1edit_canon(w, name, nl, e->canon))
		;
	else
		h1edit_put(w, name, nl);
	if (!w->over && (e->flags & H1EDIT_LOWER_NAMES))
		h1edit_lower(w->p + n0, w->len - n0);
	if (!w->over && (e->flags & H1EDIT_CANON_WORDS))
		h1edit_canon_words(w->p + n0, w->len - n0);
	if (!w->over && (w->len - n0 != nl || memcmp(w->p + n0, name, nl) != 0))
		h1edit_note(rep, H1EDIT_A_RENAMED, name, nl);
	/* The colon and the OWS around the value stay as they were, unless
	 * the proxy writes its lines anew. */
	if (e->flags & H1EDIT_NORMALIZE)
		h1edit_put(w, ": ", 2);
	else
		h1edit_put(w, name + nl, hd->value.off - (hd->name.off + nl));

	v0 = w->len;
	isconn = h1edit_caseeq(name, nl, "Connection");
	tok = e->conn_token != NULL ? e->conn_token : "keep-alive";
	if (isconn && (e->flags & H1EDIT_CONN_MULTI) &&
	    !h1_header_has_token(h, buf, "Connection", tok)) {
		h1edit_puts(w, tok);
		h1edit_put(w, ", ", 2);
	}
	for (k = 0; k < e->nrevalues; k++)
		if (h1edit_caseeq(name, nl, e->revalues[k].name) &&
		    h1edit_caseeq(val, vl, e->revalues[k].value))
			break;
	if (k < e->nrevalues)
		h1edit_puts(w, e->revalues[k].to);
	else if (isconn && (e->flags & H1EDIT_STRIP_UPGRADE_TOKEN)) {
		if (h1edit_conn_filter(w, val, vl) == 0 && !w->over) {
			if (w->len == v0) {
				/* RFC 9110 7.6.1: an empty Connection is none. */
				w->len = mark;
				h1edit_note(rep, H1EDIT_A_REMOVED, name, nl);
				return 1;
			}
			w->len -= 2;	/* the ", " after the CONN_MULTI token */
		}
	} else
		h1edit_put(w, val, vl);
	if ((e->flags & H1EDIT_MERGE_DUPS) && h1edit_in_list(name, nl,
	    e->merge != NULL ? e->merge : (const char *const []){ "Upgrade",
	    NULL }) && !w->over) {
		/* What a merge of two identical fields gives (RFC 9110 5.3). */
		k = w->len - v0;
		h1edit_put(w, ", ", 2);
		h1edit_put(w, w->p + v0, k);
	}
	if (!w->over && (e->flags & H1EDIT_LOWER_VALUES) &&
	    (e->lower_values == NULL || h1edit_in_list(name, nl,
	    e->lower_values)))
		h1edit_lower(w->p + v0, w->len - v0);
	if (!w->over && (w->len - v0 != vl || memcmp(w->p + v0, val, vl) != 0))
		h1edit_note(rep, H1EDIT_A_VALUE, name, nl);
	if (e->flags & H1EDIT_NORMALIZE)
		h1edit_put(w, "\r\n", 2);
	else
		h1edit_put(w, val + vl, hd->line.off + hd->line.len -
		    (hd->value.off + vl));
	return 0;
}

static void
h1edit_add(struct h1edit_w *w, const char *name, const char *value,
    const char *eol, struct h1edit_report *rep)
{
	h1edit_puts(w, name);
	h1edit_put(w, ": ", 2);
	h1edit_puts(w, value);
	h1edit_puts(w, eol);
	h1edit_note(rep, H1EDIT_A_ADDED, name, strlen(name));
}

/* The start line: as it came, or written anew (NORMALIZE). */
static void
h1edit_start(struct h1edit_w *w, const char *buf, const struct h1_head *h,
    const struct h1edit *e, struct h1edit_report *rep)
{
	int http10 = (e->flags & H1EDIT_HTTP10) != 0 && h->kind == H1_REQUEST;
	size_t vend = h->version.off + h->version.len, n;

	if (http10 && h->minor != 0)
		h1edit_note(rep, H1EDIT_A_VERSION, buf + h->version.off,
		    h->version.len);
	else
		http10 = 0;
	if ((e->flags & H1EDIT_NORMALIZE) && h->kind == H1_REQUEST) {
		/* Squid and nginx write "METHOD SP target SP version". */
		h1edit_put(w, buf + h->method.off, h->method.len);
		h1edit_put(w, " ", 1);
		h1edit_put(w, buf + h->target.off, h->target.len);
		h1edit_put(w, " ", 1);
		if (http10)
			h1edit_put(w, "HTTP/1.0", 8);
		else
			h1edit_put(w, buf + h->version.off, h->version.len);
		h1edit_put(w, "\r\n", 2);
		return;
	}
	if (e->flags & H1EDIT_NORMALIZE) {
		n = h->line.len;
		while (n > 0 && (buf[h->line.off + n - 1] == '\n' ||
		    buf[h->line.off + n - 1] == '\r'))
			n--;
		h1edit_put(w, buf + h->line.off, n);
		h1edit_put(w, "\r\n", 2);
		return;
	}
	/* Empty lines before the request line, then the start line. */
	h1edit_put(w, buf, h->line.off);
	if (http10) {
		h1edit_put(w, buf + h->line.off, h->version.off - h->line.off);
		h1edit_put(w, "HTTP/1.0", 8);
		h1edit_put(w, buf + vend, h->line.off + h->line.len - vend);
	} else
		h1edit_put(w, buf + h->line.off, h->line.len);
}

ssize_t
h1edit_apply(char *out, size_t cap, const char *buf, const struct h1_head *h,
    const struct h1edit *e, struct h1edit_report *rep)
{
	struct h1edit_w w = { out, cap, 0, 0 };
	const char *eol = (h->end.len == 1 && !(e->flags & H1EDIT_NORMALIZE)) ?
	    "\n" : "\r\n";
	const char *const *a;
	const char *colon;
	size_t i, k;
	int host = -1, http10 = (e->flags & H1EDIT_HTTP10) != 0, closed = 0;
	int first = -1, moved;

	if (rep != NULL) {
		rep->nact = 0;
		rep->lost = 0;
	}
	h1edit_start(&w, buf, h, e, rep);
	/* nginx's own Server and Date open its answers. */
	h1edit_lines(&w, e->first, eol, rep);
	/* nginx: its Host line first, then its Connection: close. */
	if ((e->flags & H1EDIT_HOST_FIRST) &&
	    (first = h1_header_find(h, buf, "Host", 0)) >= 0 &&
	    !h1edit_drop(h, buf, (size_t)first, e)) {
		const struct h1_header *hd = &h->hdr[first];

		h1edit_put(&w, "Host: ", 6);
		h1edit_put(&w, buf + hd->value.off, hd->value.len);
		h1edit_puts(&w, eol);
		if (first > 0)
			h1edit_note(rep, H1EDIT_A_MOVED, buf + hd->name.off,
			    hd->name.len);
		host = first;
		if (http10) {
			h1edit_add(&w, "Connection", "close", eol, rep);
			closed = 1;
		}
	} else
		first = -1;

	for (i = 0; i < h->nhdr; i++) {
		if ((int)i == first)
			continue;
		if (h1edit_drop(h, buf, i, e)) {
			h1edit_note(rep, H1EDIT_A_REMOVED, buf + h->hdr[i].name.off,
			    h->hdr[i].name.len);
			continue;
		}
		if (h1edit_is_added(buf, h, i, e))
			continue;	/* written where the add line goes */
		if (h1_span_eq(buf, h->hdr[i].name, "Host") && host < 0) {
			host = (int)i;
			if ((e->flags & H1EDIT_HOST_LAST) && i + 1 < h->nhdr) {
				h1edit_note(rep, H1EDIT_A_MOVED,
				    buf + h->hdr[i].name.off, h->hdr[i].name.len);
				continue;
			}
		}
		(void)h1edit_header(&w, buf, h, i, e, rep);
		/* nginx puts its Connection: close right after Host. */
		if (http10 && (int)i == host && !closed) {
			h1edit_add(&w, "Connection", "close", eol, rep);
			closed = 1;
		}
	}
	if (host >= 0 && first < 0 && (e->flags & H1EDIT_HOST_LAST) &&
	    (size_t)host + 1 < h->nhdr) {
		(void)h1edit_header(&w, buf, h, (size_t)host, e, rep);
		if (http10 && !closed) {
			h1edit_add(&w, "Connection", "close", eol, rep);
			closed = 1;
		}
	}
	if (http10 && !closed)
		h1edit_add(&w, "Connection", "close", eol, rep);
	h1edit_lines(&w, e->before_via, eol, rep);
	/* Squid appends Via last of the forwarded headers (real-products). */
	if (e->via != NULL)
		h1edit_add(&w, "Via", e->via, eol, rep);
	for (a = e->add; a != NULL && *a != NULL; a++) {
		/* Squid writes the client's Cache-Control here, and its own
		 * only when the client sent none (fidelity.sh). */
		moved = 0;
		for (k = 0; k < h->nhdr; k++)
			if (h1edit_added(buf, h, k, *a) &&
			    !h1edit_drop(h, buf, k, e)) {
				(void)h1edit_header(&w, buf, h, k, e, rep);
				h1edit_note(rep, H1EDIT_A_MOVED,
				    buf + h->hdr[k].name.off, h->hdr[k].name.len);
				moved = 1;
			}
		if (moved)
			continue;
		h1edit_puts(&w, *a);
		h1edit_puts(&w, eol);
		colon = strchr(*a, ':');
		h1edit_note(rep, H1EDIT_A_ADDED, *a,
		    colon != NULL ? (size_t)(colon - *a) : strlen(*a));
	}
	if (e->connection != NULL)
		h1edit_add(&w, "Connection", e->connection, eol, rep);
	if (e->flags & H1EDIT_NORMALIZE)
		h1edit_put(&w, "\r\n", 2);
	else
		h1edit_put(&w, buf + h->end.off, h->end.len);
	if (w.over)
		return -1;
	return (ssize_t)w.len;
}

int
h1edit_rename_inplace(char *buf, const struct h1_head *h, const char *from,
    const char *to)
{
	size_t i, n = strlen(from);
	int count = 0;

	/* Same length: a middlebox that only patches packet payloads. */
	if (strlen(to) != n)
		return -1;
	for (i = 0; i < h->nhdr; i++) {
		if (!h1_span_eq(buf, h->hdr[i].name, from))
			continue;
		memcpy(buf + h->hdr[i].name.off, to, n);
		count++;
	}
	return count;
}

ssize_t
h1edit_build(char *out, size_t cap, const char *start,
    const char *const *headers, const char *body, size_t bodylen)
{
	struct h1edit_w w = { out, cap, 0, 0 };
	char cl[48];
	int placed = 0;

	snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", bodylen);
	h1edit_puts(&w, start);
	h1edit_put(&w, "\r\n", 2);
	for (; headers != NULL && *headers != NULL; headers++) {
		if (h1edit_caseeq(*headers, strlen(*headers),
		    "Content-Length")) {
			/* In the case given: HAProxy says Content-length. */
			if (body != NULL) {
				h1edit_puts(&w, *headers);
				h1edit_puts(&w, cl + 14);
			}
			placed = 1;
			continue;
		}
		h1edit_puts(&w, *headers);
		h1edit_put(&w, "\r\n", 2);
	}
	if (body != NULL && !placed)
		h1edit_puts(&w, cl);
	h1edit_put(&w, "\r\n", 2);
	if (body != NULL)
		h1edit_put(&w, body, bodylen);
	if (w.over)
		return -1;
	return (ssize_t)w.len;
}

ssize_t
h1edit_build_response(char *out, size_t cap, int status, const char *reason,
    const char *const *headers, const char *body, size_t bodylen)
{
	char start[128];
	int n;

	if (status < 100 || status > 999)
		return -1;
	n = snprintf(start, sizeof(start), "HTTP/1.1 %d %s", status, reason);
	if (n < 0 || (size_t)n >= sizeof(start))
		return -1;
	return h1edit_build(out, cap, start, headers, body, bodylen);
}
