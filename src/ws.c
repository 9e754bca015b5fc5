/* The WebSocket protocol, pure; see ws.h. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ws.h"

static const char *const ws_errnames[WS_E_MAX] = {
	[WS_E_NONE] = "none",
	[WS_E_ARG] = "bad-argument",
	[WS_E_NOSPACE] = "no-space",
	[WS_E_CRYPTO] = "crypto",
	[WS_E_URL] = "url-syntax",
	[WS_E_URL_SCHEME] = "url-scheme",
	[WS_E_URL_FRAGMENT] = "url-fragment",
	[WS_E_HEAD_TOO_BIG] = "head-too-big",
	[WS_E_HEAD_SYNTAX] = "head-syntax",
	[WS_E_TOO_MANY_HEADERS] = "too-many-headers",
	[WS_E_DUP_HEADER] = "duplicate-header",
	[WS_E_STATUS] = "http-status",
	[WS_E_NOT_UPGRADE] = "not-upgrade",
	[WS_E_METHOD] = "method-not-get",
	[WS_E_HTTP_VERSION] = "http-version",
	[WS_E_NO_HOST] = "host-missing",
	[WS_E_NO_UPGRADE] = "upgrade-missing",
	[WS_E_NO_CONNECTION] = "connection-missing",
	[WS_E_VERSION] = "version-unsupported",
	[WS_E_NO_KEY] = "key-missing",
	[WS_E_BAD_KEY] = "key-invalid",
	[WS_E_H76_KEY] = "hixie76-key-invalid",
	[WS_E_NO_ACCEPT] = "accept-missing",
	[WS_E_BAD_ACCEPT] = "accept-wrong",
	[WS_E_H76_ANSWER] = "hixie76-answer-wrong",
	[WS_E_NO_LOCATION] = "location-missing",
	[WS_E_LOCATION] = "location-wrong",
	[WS_E_ORIGIN] = "origin-wrong",
	[WS_E_EXTENSION] = "extension-not-offered",
	[WS_E_PROTOCOL] = "subprotocol-not-offered",
	[WS_E_RSV] = "reserved-bits",
	[WS_E_OPCODE] = "bad-opcode",
	[WS_E_LEN_MSB] = "length-msb",
	[WS_E_CTRL_LEN] = "control-too-long",
	[WS_E_CTRL_FRAG] = "control-fragmented",
	[WS_E_UNMASKED] = "frame-not-masked",
	[WS_E_MASKED] = "frame-masked",
	[WS_E_TOO_BIG] = "frame-too-big",
	[WS_E_CONTINUATION] = "unexpected-continuation",
	[WS_E_INTERLEAVED] = "expected-continuation",
	[WS_E_MSG_TOO_BIG] = "message-too-big",
	[WS_E_CLOSE_PAYLOAD] = "close-payload-invalid",
	[WS_E_CLOSE_CODE] = "close-code-invalid",
	[WS_E_UTF8] = "invalid-utf8",
	[WS_E_HIXIE_LEN] = "hixie-length-invalid",
};

const char *
ws_strerror(int e)
{
	if (e < 0)
		e = -e;
	if (e >= WS_E_MAX || ws_errnames[e] == NULL)
		return "unknown";
	return ws_errnames[e];
}

int
ws_version_known(int v)
{
	return v == 13 || v == 8 || v == 7 || v == 76 || v == 75;
}

int
ws_version_hybi(int v)
{
	return v == 13 || v == 8 || v == 7;
}

/* Byte helpers: the C library's are locale-dependent. */
static int
ws_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
ws_memcaseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (ws_lower((unsigned char)a[i]) != ws_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int
ws_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
ws_istchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ws_isdigit(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
ws_hdr_is(const struct ws_hdr *h, const char *s, size_t n)
{
	return h->valuelen == n && memcmp(h->value, s, n) == 0;
}

/*
 * An appending writer for the builders: overflow is sticky, so callers
 * check once at the end.
 */
struct ws_out {
	char	*p;
	size_t	 cap;
	size_t	 len;
	int	 overflow;
};

static void
ws_put(struct ws_out *o, const void *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
ws_puts(struct ws_out *o, const char *s)
{
	ws_put(o, s, strlen(s));
}

/* A header line; -1 if name or value would break the head. */
static int
ws_puthdr(struct ws_out *o, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	size_t i;

	if (nlen == 0)
		return -1;
	for (i = 0; i < nlen; i++)
		if (!ws_istchar((unsigned char)name[i]))
			return -1;
	for (i = 0; i < vlen; i++)
		if (val[i] == '\r' || val[i] == '\n' || val[i] == '\0')
			return -1;
	ws_put(o, name, nlen);
	ws_put(o, ": ", 2);
	ws_put(o, val, vlen);
	ws_put(o, "\r\n", 2);
	return 0;
}

static int
ws_putstr(struct ws_out *o, const char *name, const char *val)
{
	return ws_puthdr(o, name, strlen(name), val, strlen(val));
}

/* URLs. */
int
ws_url_parse(const char *s, struct ws_url *u)
{
	static const struct {
		const char	*name;
		int		 tls;
		uint16_t	 port;
	} schemes[] = {
		{ "ws", 0, 80 }, { "wss", 1, 443 },
		{ "http", 0, 80 }, { "https", 1, 443 },
	};
	const char *p, *colon, *auth, *authend;
	size_t i, n, hlen;
	int port_given = 0;

	memset(u, 0, sizeof(*u));
	p = strstr(s, "://");
	if (p == NULL)
		return -WS_E_URL_SCHEME;
	n = (size_t)(p - s);
	for (i = 0; i < nitems(schemes); i++)
		if (ws_memcaseeq(s, n, schemes[i].name, strlen(schemes[i].name)))
			break;
	if (i == nitems(schemes))
		return -WS_E_URL_SCHEME;
	snprintf(u->scheme, sizeof(u->scheme), "%s", schemes[i].name);
	u->tls = schemes[i].tls;
	u->port = schemes[i].port;

	auth = p + 3;
	authend = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(authend - auth)) != NULL)
		return -WS_E_URL;	/* no userinfo in WebSocket URIs */
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(authend - auth));

		if (close == NULL)
			return -WS_E_URL;
		hlen = (size_t)(close - auth - 1);
		for (i = 1; i <= hlen; i++)
			if (!ws_isdigit(auth[i]) && strchr("abcdefABCDEF:.", auth[i]) == NULL)
				return -WS_E_URL;
		if (hlen == 0 || hlen >= sizeof(u->host))
			return -WS_E_URL;
		memcpy(u->host, auth + 1, hlen);
		u->v6 = 1;
		colon = close + 1;
		if (colon != authend && *colon != ':')
			return -WS_E_URL;
	} else {
		colon = memchr(auth, ':', (size_t)(authend - auth));
		hlen = (size_t)((colon != NULL ? colon : authend) - auth);
		if (hlen == 0 || hlen >= sizeof(u->host))
			return -WS_E_URL;
		for (i = 0; i < hlen; i++) {
			int c = (unsigned char)auth[i];

			if (!ws_isdigit(c) && !(ws_lower(c) >= 'a' && ws_lower(c) <= 'z') &&
			    c != '-' && c != '.' && c != '_')
				return -WS_E_URL;
		}
		memcpy(u->host, auth, hlen);
		if (colon == NULL)
			colon = authend;
	}
	if (colon != authend) {
		unsigned long v = 0;

		if (colon + 1 == authend)
			return -WS_E_URL;
		for (p = colon + 1; p < authend; p++) {
			if (!ws_isdigit(*p))
				return -WS_E_URL;
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return -WS_E_URL;
		}
		if (v == 0)
			return -WS_E_URL;
		if (v != u->port)
			port_given = 1;
		u->port = (uint16_t)v;
	}
	if (strchr(authend, '#') != NULL)
		return -WS_E_URL_FRAGMENT;
	for (p = authend; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -WS_E_URL;
	n = strlen(authend);
	if (n + 2 > sizeof(u->resource))
		return -WS_E_URL;
	snprintf(u->resource, sizeof(u->resource), "%s%s",
	    *authend == '/' ? "" : "/", authend);
	snprintf(u->hostport, sizeof(u->hostport), "%s%s%s", u->v6 ? "[" : "",
	    u->host, u->v6 ? "]" : "");
	if (port_given) {
		n = strlen(u->hostport);
		snprintf(u->hostport + n, sizeof(u->hostport) - n, ":%u",
		    (unsigned)u->port);
	}
	return 0;
}

/* HTTP heads. */
ssize_t
ws_head_scan(const void *buf, size_t n, size_t maxhead, struct ws_head *h)
{
	const char *p = buf;
	size_t i, end = 0, lstart, llen;
	int first = 1;

	memset(h, 0, sizeof(*h));
	if (n == 0)
		return 0;
	/* Find the blank line first, so that a partial head costs nothing. */
	for (i = 0, lstart = 0; i < n && i < maxhead; i++) {
		if (p[i] != '\n')
			continue;
		llen = i - lstart;
		if (llen == 0 || (llen == 1 && p[lstart] == '\r')) {
			if (lstart == 0)
				return -WS_E_HEAD_SYNTAX;
			end = i + 1;
			break;
		}
		lstart = i + 1;
	}
	if (end == 0)
		return n >= maxhead ? -WS_E_HEAD_TOO_BIG : 0;

	for (lstart = 0; lstart < end; lstart = i + 1) {
		const char *line = p + lstart, *colon, *v, *ve;

		i = lstart;
		while (p[i] != '\n')
			i++;
		llen = i - lstart;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0)
			break;
		/* A NUL or a bare CR could split a head downstream. */
		if (memchr(line, '\0', llen) != NULL ||
		    memchr(line, '\r', llen) != NULL)
			return -WS_E_HEAD_SYNTAX;
		if (first) {
			h->start = line;
			h->startlen = llen;
			first = 0;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t')
			return -WS_E_HEAD_SYNTAX;	/* obsolete line folding */
		colon = memchr(line, ':', llen);
		if (colon == NULL || colon == line)
			return -WS_E_HEAD_SYNTAX;
		for (v = line; v < colon; v++)
			if (!ws_istchar((unsigned char)*v))
				return -WS_E_HEAD_SYNTAX;
		if (h->nhdr == WS_MAX_HEADERS)
			return -WS_E_TOO_MANY_HEADERS;
		v = colon + 1;
		ve = line + llen;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		h->hdr[h->nhdr].name = line;
		h->hdr[h->nhdr].namelen = (size_t)(colon - line);
		h->hdr[h->nhdr].value = v;
		h->hdr[h->nhdr].valuelen = (size_t)(ve - v);
		h->nhdr++;
	}
	h->len = end;
	return (ssize_t)end;
}

const struct ws_hdr *
ws_head_get(const struct ws_head *h, const char *name, size_t *count)
{
	const struct ws_hdr *found = NULL;
	size_t i, n = 0, nlen = strlen(name);

	for (i = 0; i < h->nhdr; i++) {
		if (!ws_memcaseeq(h->hdr[i].name, h->hdr[i].namelen, name, nlen))
			continue;
		if (found == NULL)
			found = &h->hdr[i];
		n++;
	}
	if (count != NULL)
		*count = n;
	return found;
}

int
ws_head_has_token(const struct ws_head *h, const char *name,
    const char *token)
{
	size_t i, nlen = strlen(name), tlen = strlen(token);

	for (i = 0; i < h->nhdr; i++) {
		const char *v, *ve, *t, *te;

		if (!ws_memcaseeq(h->hdr[i].name, h->hdr[i].namelen, name, nlen))
			continue;
		v = h->hdr[i].value;
		ve = v + h->hdr[i].valuelen;
		while (v < ve) {
			t = v;
			while (v < ve && *v != ',')
				v++;
			te = v++;
			while (t < te && (*t == ' ' || *t == '\t'))
				t++;
			while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if (ws_memcaseeq(t, (size_t)(te - t), token, tlen))
				return 1;
		}
	}
	return 0;
}

/* At most one of a header that the handshake depends on. */
static int
ws_head_single(const struct ws_head *h, const char *name,
    const struct ws_hdr **out)
{
	size_t n;

	*out = ws_head_get(h, name, &n);
	return n > 1 ? -WS_E_DUP_HEADER : 0;
}

/* Crypto. */
static int
ws_digest(const EVP_MD *md, const void *p, size_t n, unsigned char *out)
{
	unsigned int len;

	return EVP_Digest(p, n, out, &len, md, NULL) == 1 ? 0 : -WS_E_CRYPTO;
}

int
ws_accept(const char *key, size_t keylen, char out[WS_ACCEPT_LEN + 1])
{
	char tmp[128 + sizeof(WS_GUID)];
	unsigned char md[20];

	out[0] = '\0';
	if (keylen > 128)
		return -WS_E_ARG;
	memcpy(tmp, key, keylen);
	memcpy(tmp + keylen, WS_GUID, sizeof(WS_GUID) - 1);
	if (ws_digest(EVP_sha1(), tmp, keylen + sizeof(WS_GUID) - 1, md) != 0)
		return -WS_E_CRYPTO;
	if (EVP_EncodeBlock((unsigned char *)out, md, sizeof(md)) != WS_ACCEPT_LEN)
		return -WS_E_CRYPTO;
	return 0;
}

int
ws_h76_key_number(const char *key, size_t n, uint32_t *out)
{
	uint64_t num = 0;
	unsigned spaces = 0, digits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ws_isdigit(key[i])) {
			/* 4294967295 * 12 has 11 digits; leading zeros are legal. */
			if (num > UINT64_MAX / 100)
				return -WS_E_H76_KEY;
			num = num * 10 + (uint64_t)(key[i] - '0');
			digits++;
		} else if (key[i] == ' ')
			spaces++;
	}
	if (digits == 0 || spaces == 0 || num % spaces != 0 ||
	    num / spaces > UINT32_MAX)
		return -WS_E_H76_KEY;
	*out = (uint32_t)(num / spaces);
	return 0;
}

int
ws_h76_answer(const char *key1, size_t k1len, const char *key2, size_t k2len,
    const uint8_t key3[WS_KEY3_LEN], uint8_t out[WS_ANSWER_LEN])
{
	uint8_t challenge[16];
	uint32_t n1, n2;
	int i;

	if (ws_h76_key_number(key1, k1len, &n1) != 0 ||
	    ws_h76_key_number(key2, k2len, &n2) != 0)
		return -WS_E_H76_KEY;
	for (i = 0; i < 4; i++) {
		challenge[i] = (uint8_t)(n1 >> (24 - 8 * i));
		challenge[4 + i] = (uint8_t)(n2 >> (24 - 8 * i));
	}
	memcpy(challenge + 8, key3, WS_KEY3_LEN);
	return ws_digest(EVP_md5(), challenge, sizeof(challenge), out);
}

/* The caller's random bytes, handed out in turn. */
struct ws_rnd {
	const uint8_t	*p;
	size_t		 n, i;
};

static uint32_t
ws_rnd_u32(struct ws_rnd *r, uint32_t range)
{
	uint32_t v = 0;
	int k;

	for (k = 0; k < 4; k++)
		v = v << 8 | r->p[r->i++ % r->n];
	return range == 0 ? v : v % range;
}

/* One byte per small choice keeps a key within WS_CLIENT_RAND. */
static uint32_t
ws_rnd_small(struct ws_rnd *r, uint32_t range)
{
	return r->p[r->i++ % r->n] % range;
}

/* draft-hixie-thewebsocketprotocol-76 section 4.1, steps 17-22. */
static void
ws_h76_make_key(struct ws_rnd *r, char out[WS_H76_KEYMAX])
{
	uint32_t spaces, number, nchars, i, pos;
	size_t len;

	spaces = 1 + ws_rnd_small(r, 12);
	number = ws_rnd_u32(r, UINT32_MAX / spaces + 1);
	snprintf(out, WS_H76_KEYMAX, "%lu",
	    (unsigned long)((uint64_t)number * spaces));
	len = strlen(out);
	nchars = 1 + ws_rnd_small(r, 12);
	for (i = 0; i < nchars; i++) {
		/* U+0021..U+002F and U+003A..U+007E: 15 + 69 characters */
		uint32_t c = ws_rnd_small(r, 15 + 69);

		c = c < 15 ? 0x21 + c : 0x3a + (c - 15);
		pos = ws_rnd_small(r, (uint32_t)len + 1);
		memmove(out + pos + 1, out + pos, len - pos + 1);
		out[pos] = (char)c;
		len++;
	}
	for (i = 0; i < spaces; i++) {
		/* Not first, not last. */
		pos = 1 + ws_rnd_small(r, (uint32_t)len - 1);
		memmove(out + pos + 1, out + pos, len - pos + 1);
		out[pos] = ' ';
		len++;
	}
}

/* Client handshake. */
int
ws_client_init(struct ws_client *c, int version,
    const uint8_t rnd[WS_CLIENT_RAND])
{
	struct ws_rnd r = { rnd, WS_CLIENT_RAND, 0 };
	unsigned char tmp[16];
	int i;

	memset(c, 0, sizeof(*c));
	if (!ws_version_known(version))
		return -WS_E_ARG;
	c->version = version;
	if (ws_version_hybi(version)) {
		memcpy(tmp, rnd, 16);
		if (EVP_EncodeBlock((unsigned char *)c->key, tmp, 16) != WS_KEY_LEN)
			return -WS_E_CRYPTO;
		return ws_accept(c->key, WS_KEY_LEN, c->accept);
	}
	if (version == 76) {
		r.i = 16;
		ws_h76_make_key(&r, c->key1);
		ws_h76_make_key(&r, c->key2);
		for (i = 0; i < WS_KEY3_LEN; i++)
			c->key3[i] = (uint8_t)ws_rnd_small(&r, 256);
		return ws_h76_answer(c->key1, strlen(c->key1), c->key2,
		    strlen(c->key2), c->key3, c->answer);
	}
	return 0;
}

static int
ws_put_extra(struct ws_out *o, const struct ws_hdr *extra, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ws_puthdr(o, extra[i].name, extra[i].namelen, extra[i].value,
		    extra[i].valuelen) != 0)
			return -1;
	return 0;
}

ssize_t
ws_client_request(const struct ws_client *c, const struct ws_reqopts *ro,
    char *buf, size_t cap)
{
	struct ws_out o = { buf, cap, 0, 0 };
	char vers[4];
	const char *t;
	int bad = 0;

	if (ro->target == NULL || ro->host == NULL || ro->target[0] == '\0')
		return -WS_E_ARG;
	for (t = ro->target; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return -WS_E_ARG;
	ws_puts(&o, "GET ");
	ws_puts(&o, ro->target);
	ws_puts(&o, " HTTP/1.1\r\n");
	/* Header order as in each draft's example, which some servers of
	 * the time relied on. */
	if (ws_version_hybi(c->version)) {
		bad |= ws_putstr(&o, "Host", ro->host);
		bad |= ws_putstr(&o, "Upgrade", "websocket");
		bad |= ws_putstr(&o, "Connection", "Upgrade");
		bad |= ws_putstr(&o, "Sec-WebSocket-Key", c->key);
		if (ro->origin != NULL)
			bad |= ws_putstr(&o, c->version == 13 ? "Origin" :
			    "Sec-WebSocket-Origin", ro->origin);
		if (ro->protocol != NULL)
			bad |= ws_putstr(&o, "Sec-WebSocket-Protocol", ro->protocol);
		snprintf(vers, sizeof(vers), "%d", c->version);
		bad |= ws_putstr(&o, "Sec-WebSocket-Version", vers);
	} else if (c->version == 76) {
		bad |= ws_putstr(&o, "Host", ro->host);
		bad |= ws_putstr(&o, "Connection", "Upgrade");
		bad |= ws_putstr(&o, "Sec-WebSocket-Key2", c->key2);
		if (ro->protocol != NULL)
			bad |= ws_putstr(&o, "Sec-WebSocket-Protocol", ro->protocol);
		bad |= ws_putstr(&o, "Upgrade", "WebSocket");
		bad |= ws_putstr(&o, "Sec-WebSocket-Key1", c->key1);
		if (ro->origin != NULL)
			bad |= ws_putstr(&o, "Origin", ro->origin);
	} else {
		bad |= ws_putstr(&o, "Upgrade", "WebSocket");
		bad |= ws_putstr(&o, "Connection", "Upgrade");
		bad |= ws_putstr(&o, "Host", ro->host);
		if (ro->origin != NULL)
			bad |= ws_putstr(&o, "Origin", ro->origin);
		if (ro->protocol != NULL)
			bad |= ws_putstr(&o, "WebSocket-Protocol", ro->protocol);
	}
	bad |= ws_put_extra(&o, ro->extra, ro->nextra);
	ws_puts(&o, "\r\n");
	if (c->version == 76)
		ws_put(&o, c->key3, WS_KEY3_LEN);
	if (bad)
		return -WS_E_ARG;
	if (o.overflow)
		return -WS_E_NOSPACE;
	return (ssize_t)o.len;
}

int
ws_status_parse(const char *s, size_t n, unsigned *status, const char **reason,
    size_t *reasonlen)
{
	if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || !ws_isdigit(s[5]) ||
	    s[6] != '.' || !ws_isdigit(s[7]) || s[8] != ' ' ||
	    !ws_isdigit(s[9]) || !ws_isdigit(s[10]) || !ws_isdigit(s[11]))
		return -WS_E_HEAD_SYNTAX;
	if (n > 12 && s[12] != ' ')
		return -WS_E_HEAD_SYNTAX;
	*status = (unsigned)((s[9] - '0') * 100 + (s[10] - '0') * 10 +
	    (s[11] - '0'));
	*reason = n > 13 ? s + 13 : s + n;
	*reasonlen = n > 13 ? n - 13 : 0;
	return 0;
}

/* Whether an offered list ("a, b") holds the chosen subprotocol. */
static int
ws_offered(const char *list, const struct ws_hdr *chosen)
{
	const char *p = list, *t, *te;

	while (*p != '\0') {
		t = p;
		while (*p != '\0' && *p != ',')
			p++;
		te = p;
		if (*p == ',')
			p++;
		while (t < te && *t == ' ')
			t++;
		while (te > t && te[-1] == ' ')
			te--;
		if (ws_hdr_is(chosen, t, (size_t)(te - t)))
			return 1;
	}
	return 0;
}

ssize_t
ws_client_response(const struct ws_client *c, const struct ws_reqopts *ro,
    const void *buf, size_t n, size_t maxhead, struct ws_response *r)
{
	const struct ws_hdr *h;
	const struct ws_head *hd = &r->head;
	ssize_t len;
	int e;

	memset(r, 0, sizeof(*r));
	len = ws_head_scan(buf, n, maxhead, &r->head);
	if (len <= 0)
		return len;
	if ((e = ws_status_parse(hd->start, hd->startlen, &r->status,
	    &r->reason, &r->reasonlen)) != 0)
		return e;
	if ((h = ws_head_get(hd, "Server", NULL)) != NULL) {
		r->server = h->value;
		r->serverlen = h->valuelen;
	}
	if (r->status != 101)
		return -WS_E_STATUS;
	if (!ws_head_has_token(hd, "Upgrade", "websocket"))
		return -WS_E_NO_UPGRADE;
	if (!ws_head_has_token(hd, "Connection", "upgrade"))
		return -WS_E_NO_CONNECTION;

	if (ws_version_hybi(c->version)) {
		if ((e = ws_head_single(hd, "Sec-WebSocket-Accept", &h)) != 0)
			return e;
		if (h == NULL)
			return -WS_E_NO_ACCEPT;
		if (!ws_hdr_is(h, c->accept, WS_ACCEPT_LEN))
			return -WS_E_BAD_ACCEPT;
		/* We offer no extension: any would change the framing. */
		if (ws_head_get(hd, "Sec-WebSocket-Extensions", NULL) != NULL)
			return -WS_E_EXTENSION;
		if ((e = ws_head_single(hd, "Sec-WebSocket-Protocol", &h)) != 0)
			return e;
		if (h != NULL && (ro->protocol == NULL || !ws_offered(ro->protocol, h)))
			return -WS_E_PROTOCOL;
		return len;
	}

	/* hixie: the drafts' clients checked Location and Origin. */
	if ((e = ws_head_single(hd, c->version == 76 ? "Sec-WebSocket-Location" :
	    "WebSocket-Location", &h)) != 0)
		return e;
	if (h == NULL)
		return -WS_E_NO_LOCATION;
	if (ro->location != NULL && !ws_hdr_is(h, ro->location, strlen(ro->location)))
		return -WS_E_LOCATION;
	if ((e = ws_head_single(hd, c->version == 76 ? "Sec-WebSocket-Origin" :
	    "WebSocket-Origin", &h)) != 0)
		return e;
	if (ro->origin != NULL &&
	    (h == NULL || !ws_hdr_is(h, ro->origin, strlen(ro->origin))))
		return -WS_E_ORIGIN;
	if ((e = ws_head_single(hd, c->version == 76 ? "Sec-WebSocket-Protocol" :
	    "WebSocket-Protocol", &h)) != 0)
		return e;
	if (h != NULL && (ro->protocol == NULL || !ws_offered(ro->protocol, h)))
		return -WS_E_PROTOCOL;
	if (c->version == 75)
		return len;
	if (n - (size_t)len < WS_ANSWER_LEN)
		return 0;
	r->answer = (const uint8_t *)buf + len;
	if (memcmp(r->answer, c->answer, WS_ANSWER_LEN) != 0)
		return -WS_E_H76_ANSWER;
	return len + WS_ANSWER_LEN;
}

/* Server handshake. */

/* "GET /chat HTTP/1.1" */
static int
ws_request_line(struct ws_request *rq)
{
	const char *s = rq->head.start, *e = s + rq->head.startlen, *p;

	for (p = s; p < e && ws_istchar((unsigned char)*p); p++)
		;
	if (p == s || p == e || *p != ' ')
		return -WS_E_HEAD_SYNTAX;
	rq->method = s;
	rq->methodlen = (size_t)(p - s);
	rq->target = ++p;
	while (p < e && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
		p++;
	if (p == rq->target || p == e || *p != ' ')
		return -WS_E_HEAD_SYNTAX;
	rq->targetlen = (size_t)(p - rq->target);
	p++;
	if (e - p != 8 || memcmp(p, "HTTP/", 5) != 0 || !ws_isdigit(p[5]) ||
	    p[6] != '.' || !ws_isdigit(p[7]))
		return -WS_E_HEAD_SYNTAX;
	rq->http_major = (unsigned)(p[5] - '0');
	rq->http_minor = (unsigned)(p[7] - '0');
	return 0;
}

/* Sec-WebSocket-Key: base64 of exactly 16 bytes. */
static int
ws_key_valid(const struct ws_hdr *k)
{
	unsigned char tmp[24];
	char in[WS_KEY_LEN];

	if (k->valuelen != WS_KEY_LEN || k->value[22] != '=' || k->value[23] != '=')
		return 0;
	memcpy(in, k->value, WS_KEY_LEN);
	return EVP_DecodeBlock(tmp, (unsigned char *)in, WS_KEY_LEN) == 18;
}

ssize_t
ws_server_request(const void *buf, size_t n, size_t maxhead,
    struct ws_request *rq)
{
	const struct ws_head *hd = &rq->head;
	uint32_t num;
	ssize_t len;
	int e;

	memset(rq, 0, sizeof(*rq));
	len = ws_head_scan(buf, n, maxhead, &rq->head);
	if (len <= 0)
		return len;
	if ((e = ws_request_line(rq)) != 0)
		return e;
	if (!ws_head_has_token(hd, "Upgrade", "websocket"))
		return -WS_E_NOT_UPGRADE;
	if (rq->methodlen != 3 || memcmp(rq->method, "GET", 3) != 0)
		return -WS_E_METHOD;
	if (rq->http_major != 1 || rq->http_minor < 1)
		return -WS_E_HTTP_VERSION;
	if ((e = ws_head_single(hd, "Host", &rq->host)) != 0)
		return e;
	if (rq->host == NULL || rq->host->valuelen == 0)
		return -WS_E_NO_HOST;
	if (!ws_head_has_token(hd, "Connection", "upgrade"))
		return -WS_E_NO_CONNECTION;
	if ((e = ws_head_single(hd, "Sec-WebSocket-Version", &rq->vers)) != 0 ||
	    (e = ws_head_single(hd, "Sec-WebSocket-Key", &rq->key)) != 0 ||
	    (e = ws_head_single(hd, "Sec-WebSocket-Key1", &rq->key1)) != 0 ||
	    (e = ws_head_single(hd, "Sec-WebSocket-Key2", &rq->key2)) != 0 ||
	    (e = ws_head_single(hd, "Sec-WebSocket-Protocol", &rq->protocol)) != 0)
		return e;

	if (rq->vers != NULL) {
		if (ws_hdr_is(rq->vers, "13", 2))
			rq->version = 13;
		else if (ws_hdr_is(rq->vers, "8", 1))
			rq->version = 8;
		else if (ws_hdr_is(rq->vers, "7", 1))
			rq->version = 7;
		else
			return -WS_E_VERSION;
		if (rq->key == NULL)
			return -WS_E_NO_KEY;
		if (!ws_key_valid(rq->key))
			return -WS_E_BAD_KEY;
		e = ws_head_single(hd, rq->version == 13 ? "Origin" :
		    "Sec-WebSocket-Origin", &rq->origin);
		return e != 0 ? e : len;
	}
	if (rq->key1 != NULL || rq->key2 != NULL) {
		rq->version = 76;
		if (rq->key1 == NULL || rq->key2 == NULL ||
		    ws_h76_key_number(rq->key1->value, rq->key1->valuelen, &num) != 0 ||
		    ws_h76_key_number(rq->key2->value, rq->key2->valuelen, &num) != 0)
			return -WS_E_H76_KEY;
	} else {
		rq->version = 75;
		if ((e = ws_head_single(hd, "WebSocket-Protocol", &rq->protocol)) != 0)
			return e;
	}
	e = ws_head_single(hd, "Origin", &rq->origin);
	return e != 0 ? e : len;
}

ssize_t
ws_server_response(const struct ws_request *rq, const struct ws_respopts *so,
    char *buf, size_t cap)
{
	struct ws_out o = { buf, cap, 0, 0 };
	char accept[WS_ACCEPT_LEN + 1];
	const char *pfx;
	int bad = 0;

	if (rq->host == NULL || rq->target == NULL)
		return -WS_E_ARG;
	if (ws_version_hybi(rq->version)) {
		if (rq->key == NULL || ws_accept(rq->key->value, rq->key->valuelen,
		    accept) != 0)
			return -WS_E_ARG;
		ws_puts(&o, "HTTP/1.1 101 Switching Protocols\r\n");
		bad |= ws_putstr(&o, "Upgrade", "websocket");
		bad |= ws_putstr(&o, "Connection", "Upgrade");
		bad |= ws_putstr(&o, "Sec-WebSocket-Accept", accept);
		if (so->protocol != NULL)
			bad |= ws_putstr(&o, "Sec-WebSocket-Protocol", so->protocol);
	} else if (rq->version == 76 || rq->version == 75) {
		pfx = rq->version == 76 ? "Sec-WebSocket-" : "WebSocket-";
		ws_puts(&o, rq->version == 76 ?
		    "HTTP/1.1 101 WebSocket Protocol Handshake\r\n" :
		    "HTTP/1.1 101 Web Socket Protocol Handshake\r\n");
		bad |= ws_putstr(&o, "Upgrade", "WebSocket");
		bad |= ws_putstr(&o, "Connection", "Upgrade");
		if (rq->origin != NULL) {
			ws_puts(&o, pfx);
			bad |= ws_puthdr(&o, "Origin", 6, rq->origin->value,
			    rq->origin->valuelen);
		}
		ws_puts(&o, pfx);
		ws_puts(&o, "Location: ");
		ws_puts(&o, so->tls ? "wss://" : "ws://");
		ws_put(&o, rq->host->value, rq->host->valuelen);
		ws_put(&o, rq->target, rq->targetlen);
		ws_puts(&o, "\r\n");
		if (so->protocol != NULL) {
			ws_puts(&o, pfx);
			bad |= ws_putstr(&o, "Protocol", so->protocol);
		}
	} else
		return -WS_E_ARG;
	if (so->server != NULL)
		bad |= ws_putstr(&o, "Server", so->server);
	ws_puts(&o, "\r\n");
	if (bad)
		return -WS_E_ARG;
	if (o.overflow)
		return -WS_E_NOSPACE;
	return (ssize_t)o.len;
}

/* RFC 6455 frames. */
static int
ws_opcode_known(unsigned op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

int
ws_frame_parse(const void *buf, size_t n, unsigned flags, uint64_t maxlen,
    struct ws_frame *f)
{
	const uint8_t *p = buf;
	unsigned len7;
	size_t hdr, i;
	uint64_t len;

	memset(f, 0, sizeof(*f));
	/* Judge each byte as soon as it is there: a relay learns early. */
	if (n < 1)
		return 0;
	f->fin = p[0] >> 7;
	f->rsv = p[0] & 0x70;
	f->opcode = p[0] & 0x0f;
	if (f->rsv & ~(flags & (WS_F_RSV1 | WS_F_RSV2 | WS_F_RSV3)))
		return -WS_E_RSV;
	if (!ws_opcode_known(f->opcode))
		return -WS_E_OPCODE;
	if (f->opcode >= WS_OP_CLOSE && !f->fin)
		return -WS_E_CTRL_FRAG;
	if (n < 2)
		return 0;
	f->masked = p[1] >> 7;
	len7 = p[1] & 0x7f;
	if ((flags & WS_F_MASKED) && !f->masked)
		return -WS_E_UNMASKED;
	if ((flags & WS_F_UNMASKED) && f->masked)
		return -WS_E_MASKED;
	if (f->opcode >= WS_OP_CLOSE && len7 > WS_CTRL_MAX)
		return -WS_E_CTRL_LEN;
	hdr = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
	if (n < hdr)
		return 0;
	if (len7 == 127 && (p[2] & 0x80))
		return -WS_E_LEN_MSB;
	if (len7 < 126)
		len = len7;
	else
		for (len = 0, i = 2; i < hdr; i++)
			len = len << 8 | p[i];
	if (len > maxlen)
		return -WS_E_TOO_BIG;
	if (f->masked) {
		if (n < hdr + 4)
			return 0;
		memcpy(f->mask, p + hdr, 4);
		hdr += 4;
	}
	f->len = len;
	f->hdrlen = hdr;
	return (int)hdr;
}

size_t
ws_frame_header(uint8_t out[WS_HDR_MAX], unsigned fin, unsigned opcode,
    uint64_t len, const uint8_t *mask)
{
	size_t n = 2;
	int i;

	if (!ws_opcode_known(opcode) || (len >> 63) != 0)
		return 0;
	if (opcode >= WS_OP_CLOSE && (!fin || len > WS_CTRL_MAX))
		return 0;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (len < 126)
		out[1] = (uint8_t)len;
	else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask != NULL) {
		out[1] |= 0x80;
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

ssize_t
ws_frame_encode(void *buf, size_t cap, unsigned fin, unsigned opcode,
    const void *payload, size_t len, const uint8_t *mask)
{
	uint8_t hdr[WS_HDR_MAX];
	size_t n;

	if ((n = ws_frame_header(hdr, fin, opcode, len, mask)) == 0)
		return -WS_E_ARG;
	if (len > cap || n > cap - len)
		return -WS_E_NOSPACE;
	memcpy(buf, hdr, n);
	if (len > 0) {
		if (payload == NULL)
			return -WS_E_ARG;
		memcpy((uint8_t *)buf + n, payload, len);
		if (mask != NULL)
			ws_mask((uint8_t *)buf + n, len, mask, 0);
	}
	return (ssize_t)(n + len);
}

void
ws_mask(void *buf, size_t n, const uint8_t mask[4], uint64_t off)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

void
ws_seq_init(struct ws_seq *s)
{
	memset(s, 0, sizeof(*s));
}

int
ws_seq_frame(struct ws_seq *s, const struct ws_frame *f, uint64_t maxmsg)
{
	if (f->opcode >= WS_OP_CLOSE)
		return (int)f->opcode;
	if (f->opcode == WS_OP_CONT) {
		if (!s->in_msg)
			return -WS_E_CONTINUATION;
	} else {
		if (s->in_msg)
			return -WS_E_INTERLEAVED;
		s->in_msg = 1;
		s->opcode = f->opcode;
		s->len = 0;
	}
	if (f->len > maxmsg || s->len > maxmsg - f->len)
		return -WS_E_MSG_TOO_BIG;
	s->len += f->len;
	if (f->fin)
		s->in_msg = 0;
	return (int)s->opcode;
}

int
ws_close_code_valid(unsigned code)
{
	if (code >= 3000 && code <= 4999)
		return 1;
	if (code < 1000 || code > 1014)
		return 0;
	return code != 1004 && code != 1005 && code != 1006;
}

int
ws_close_parse(const void *buf, size_t n, unsigned *code)
{
	const uint8_t *p = buf;

	*code = WS_CLOSE_NO_STATUS;
	if (n == 0)
		return 0;
	if (n == 1 || n > WS_CTRL_MAX)
		return -WS_E_CLOSE_PAYLOAD;
	*code = (unsigned)(p[0] << 8 | p[1]);
	if (!ws_close_code_valid(*code))
		return -WS_E_CLOSE_CODE;
	return ws_utf8_valid(p + 2, n - 2) ? 0 : -WS_E_UTF8;
}

size_t
ws_close_payload(uint8_t out[WS_CTRL_MAX], unsigned code, const char *reason,
    size_t rlen)
{
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (reason == NULL)
		rlen = 0;
	if (rlen > WS_CTRL_MAX - 2)
		rlen = WS_CTRL_MAX - 2;
	/* Never cut inside a UTF-8 sequence. */
	while (rlen > 0 && !ws_utf8_valid(reason, rlen))
		rlen--;
	if (rlen > 0)
		memcpy(out + 2, reason, rlen);
	return 2 + rlen;
}

/* UTF-8. */
void
ws_utf8_init(struct ws_utf8 *u)
{
	memset(u, 0, sizeof(*u));
}

int
ws_utf8_feed(struct ws_utf8 *u, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (u->need == 0) {
			if (c < 0x80)
				continue;
			if (c >= 0xc2 && c <= 0xdf) {
				u->need = 1;
				u->cp = c & 0x1f;
				u->min = 0x80;
			} else if (c >= 0xe0 && c <= 0xef) {
				u->need = 2;
				u->cp = c & 0x0f;
				u->min = 0x800;
			} else if (c >= 0xf0 && c <= 0xf4) {
				u->need = 3;
				u->cp = c & 0x07;
				u->min = 0x10000;
			} else
				return -WS_E_UTF8;
			continue;
		}
		if ((c & 0xc0) != 0x80)
			return -WS_E_UTF8;
		u->cp = u->cp << 6 | (c & 0x3f);
		/* Fail on the first byte that cannot lead anywhere valid. */
		if (--u->need == 0) {
			if (u->cp < u->min || u->cp > 0x10ffff ||
			    (u->cp >= 0xd800 && u->cp <= 0xdfff))
				return -WS_E_UTF8;
		} else if ((u->need == 1 && u->min == 0x800 &&
		    (u->cp < 0x20 || (u->cp >= 0x360 && u->cp <= 0x37f))) ||
		    (u->need == 2 && (u->cp < 0x10 || u->cp > 0x10f)))
			return -WS_E_UTF8;
	}
	return 0;
}

int
ws_utf8_done(const struct ws_utf8 *u)
{
	return u->need == 0 ? 0 : -WS_E_UTF8;
}

int
ws_utf8_valid(const void *buf, size_t n)
{
	struct ws_utf8 u;

	ws_utf8_init(&u);
	return ws_utf8_feed(&u, buf, n) == 0 && ws_utf8_done(&u) == 0;
}

/* hixie frames. */
ssize_t
ws_hixie_parse(const void *buf, size_t n, uint64_t maxlen,
    struct ws_hixie_frame *f)
{
	const uint8_t *p = buf, *end;
	uint64_t len = 0;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (maxlen > SSIZE_MAX / 2)
		maxlen = SSIZE_MAX / 2;
	if (n < 1)
		return 0;
	f->type = p[0];
	if ((p[0] & 0x80) == 0) {
		end = memchr(p + 1, 0xff, n - 1);
		if (end == NULL)
			return n - 1 > maxlen ? -WS_E_TOO_BIG : 0;
		f->off = 1;
		f->len = (uint64_t)(end - (p + 1));
		if (f->len > maxlen)
			return -WS_E_TOO_BIG;
		return (ssize_t)(f->len + 2);
	}
	for (i = 1;; i++) {
		if (i >= n)
			return 0;
		if (i > 9)
			return -WS_E_HIXIE_LEN;
		len = len << 7 | (p[i] & 0x7f);
		if ((p[i] & 0x80) == 0)
			break;
	}
	i++;
	f->off = i;
	f->len = len;
	if (p[0] == 0xff && len == 0) {
		f->close = 1;
		return (ssize_t)i;
	}
	if (len > maxlen)
		return -WS_E_TOO_BIG;
	if (n - i < len)
		return 0;
	return (ssize_t)(i + len);
}

ssize_t
ws_hixie_encode(void *buf, size_t cap, const void *payload, size_t len)
{
	uint8_t *p = buf;

	if (len > 0 && (payload == NULL || memchr(payload, 0xff, len) != NULL))
		return -WS_E_ARG;
	if (cap < 2 || len > cap - 2)
		return -WS_E_NOSPACE;
	p[0] = 0x00;
	if (len > 0)
		memcpy(p + 1, payload, len);
	p[len + 1] = 0xff;
	return (ssize_t)(len + 2);
}
