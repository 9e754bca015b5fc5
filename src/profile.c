/* Profiles and behaviour parsing; see profile.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "profile.h"

static const char *const bhv_names[BHV_MAX] = {
	[BHV_IDLE_TIMEOUT] = "idle-timeout",
	[BHV_MAX_LIFETIME] = "max-lifetime",
	[BHV_RESET_AFTER] = "reset-after",
	[BHV_LIMIT_DATA] = "limit-data",
	[BHV_BLACKHOLE] = "blackhole",
	[BHV_LATENCY] = "latency",
	[BHV_BANDWIDTH] = "bandwidth",
	[BHV_SLICER] = "slicer",
	[BHV_SLOW_CLOSE] = "slow-close",
	[BHV_SLOW_OPEN] = "slow-open",
	[BHV_STRIP_HOP] = "strip-hop-by-hop",
	[BHV_HTTP10] = "http10",
	[BHV_HDR_LOWER] = "header-lowercase",
	[BHV_HDR_CANON] = "header-canonical",
	[BHV_HEADER_ADD] = "header-add",
	[BHV_CONN_MERGE] = "connection-merge",
	[BHV_CNEONCTION] = "cneonction",
	[BHV_REJECT_UPGRADE] = "reject-upgrade",
	[BHV_AFTER_101] = "after-101",
	[BHV_UNDECLARED_BODY] = "undeclared-body",
	[BHV_WS_DROP_CONTROL] = "ws-drop-control",
	[BHV_WS_FRAME] = "ws-frame",
	[BHV_CONNECT_PORTS] = "connect-ports",
	[BHV_PROXY_AUTH] = "proxy-auth",
	[BHV_CONNECT_REPLY] = "connect-reply",
	[BHV_TLS_RESET_HELLO] = "tls-reset-after-hello",
	[BHV_TLS_STALL] = "tls-stall-after-server-hello",
	[BHV_SNI_DENY] = "sni-deny",
	[BHV_SNI_ALLOW] = "sni-allow",
	[BHV_TLS_INTERCEPT] = "tls-intercept",
};

int
bhv_is_http(enum bhv_kind k)
{
	switch (k) {
	case BHV_STRIP_HOP:
	case BHV_HTTP10:
	case BHV_HDR_LOWER:
	case BHV_HDR_CANON:
	case BHV_HEADER_ADD:
	case BHV_CONN_MERGE:
	case BHV_CNEONCTION:
	case BHV_REJECT_UPGRADE:
	case BHV_AFTER_101:
	case BHV_UNDECLARED_BODY:
	case BHV_WS_DROP_CONTROL:	/* they need the 101 */
	case BHV_WS_FRAME:
		return 1;
	default:
		return 0;
	}
}

int
bhv_is_tls(enum bhv_kind k)
{
	return k >= BHV_TLS_RESET_HELLO && k <= BHV_TLS_INTERCEPT;
}

/* "server1.lab,*.blocked.lab": names and *.suffix patterns. */
static int
profile_names(char *dst, size_t cap, const char *v, const char **err)
{
	const char *p;
	size_t n = 0;

	if (strlen(v) >= cap) {
		*err = "name list too long";
		return -1;
	}
	for (p = v; ; p++) {
		if (*p == ',' || *p == '\0') {
			if (n == 0) {
				*err = "empty name in the list";
				return -1;
			}
			if (*p == '\0')
				break;
			n = 0;
			continue;
		}
		if (*p == '*' && !(n == 0 && p[1] == '.')) {
			*err = "'*' only as a leading \"*.\" (*.example.lab)";
			return -1;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '*')) {
			*err = "names are letters, digits, '-', '.', '_'";
			return -1;
		}
		n++;
	}
	strcpy(dst, v);
	return 0;
}

int
bhv_is_explicit(enum bhv_kind k)
{
	return k >= BHV_CONNECT_PORTS && k <= BHV_CONNECT_REPLY;
}

static int profile_page(struct behaviour *, const char *, const char **);

static int profile_duration(const char *, uint32_t *);
static int profile_size(const char *, uint64_t *);
static int profile_copy(char *, size_t, const char *, const char **);

static int
profile_copy(char *dst, size_t cap, const char *v, const char **err)
{
	size_t i;

	if (strlen(v) >= cap) {
		*err = "value too long";
		return -1;
	}
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			*err = "control characters are not allowed in a value";
			return -1;
		}
	strcpy(dst, v);
	return 0;
}

static int
profile_yes(const char *v, const char **err)
{
	if (strcmp(v, "yes") == 0)
		return 1;
	if (strcmp(v, "no") == 0)
		return 0;
	*err = "expected yes or no";
	return -1;
}

static int
profile_flag(struct behaviour *b, unsigned flag, const char *v,
    const char **err)
{
	int y = profile_yes(v, err);

	if (y < 0)
		return -1;
	if (y)
		b->flags |= flag;
	else
		b->flags &= ~flag;
	return 0;
}

/* Parameters of the HTTP behaviours: 1 if k was one, -1 on error, 0 if
 * not known here. */
static int
profile_http_kv(struct behaviour *b, const char *k, const char *v,
    const char **err)
{
	switch (b->kind) {
	case BHV_STRIP_HOP:
		if (strcmp(k, "what") == 0) {
			b->flags &= ~(BHV_F_UPGRADE_ONLY | BHV_F_TOKEN_ONLY);
			if (strcmp(v, "upgrade") == 0)
				b->flags |= BHV_F_UPGRADE_ONLY;
			else if (strcmp(v, "token") == 0)
				b->flags |= BHV_F_TOKEN_ONLY;
			else if (strcmp(v, "all") != 0) {
				*err = "what is all, upgrade or token";
				return -1;
			}
			return 1;
		}
		if (strcmp(k, "via") == 0)
			return profile_copy(b->via, sizeof(b->via), v, err) ? -1 : 1;
		if (strcmp(k, "add") == 0) {
			if (strchr(v, ':') == NULL) {
				*err = "add is a header line, \"Name: value\"";
				return -1;
			}
			return profile_copy(b->add, sizeof(b->add), v, err) ? -1 : 1;
		}
		if (strcmp(k, "connection") == 0)
			return profile_copy(b->conn, sizeof(b->conn), v, err) ? -1 : 1;
		if (strcmp(k, "host-last") == 0)
			return profile_flag(b, BHV_F_HOST_LAST, v, err) ? -1 : 1;
		if (strcmp(k, "xff") == 0)
			return profile_flag(b, BHV_F_XFF, v, err) ? -1 : 1;
		if (strcmp(k, "normalize") == 0)
			return profile_flag(b, BHV_F_NORMALIZE, v, err) ? -1 : 1;
		if (strcmp(k, "refresh") == 0) {
			if (strcmp(v, "squid") == 0)
				b->flags |= BHV_F_SQUID_REFRESH;
			else if (strcmp(v, "none") == 0)
				b->flags &= ~BHV_F_SQUID_REFRESH;
			else {
				*err = "refresh is squid or none";
				return -1;
			}
			return 1;
		}
		if (strcmp(k, "names") == 0) {
			if (strcmp(v, "squid") == 0)
				b->flags |= BHV_F_SQUID_NAMES;
			else if (strcmp(v, "as-sent") == 0)
				b->flags &= ~BHV_F_SQUID_NAMES;
			else {
				*err = "names is squid or as-sent";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_HTTP10:
		if (strcmp(k, "normalize") == 0)
			return profile_flag(b, BHV_F_NORMALIZE, v, err) ? -1 : 1;
		if (strcmp(k, "style") == 0) {
			if (strcmp(v, "nginx") == 0)
				b->flags |= BHV_F_NGINX;
			else if (strcmp(v, "rfc") == 0)
				b->flags &= ~BHV_F_NGINX;
			else {
				*err = "style is rfc or nginx";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_HDR_LOWER:
		if (strcmp(k, "what") == 0) {
			if (strcmp(v, "values") == 0)
				b->flags |= BHV_F_VALUES;
			else if (strcmp(v, "names") != 0) {
				*err = "what is names or values";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_HEADER_ADD:
		if (strcmp(k, "where") == 0) {
			if (strcmp(v, "first") == 0)
				b->flags |= BHV_F_FIRST;
			else if (strcmp(v, "end") == 0)
				b->flags &= ~BHV_F_FIRST;
			else {
				*err = "where is first or end";
				return -1;
			}
			return 1;
		}
		if (strcmp(k, "replace") == 0)
			return profile_flag(b, BHV_F_REPLACE, v, err) ? -1 : 1;
		return 0;
	case BHV_HDR_CANON:
		if (strcmp(k, "upgrade") == 0) {
			/* The value an Upgrade: websocket gets ("WebSocket"). */
			if (strlen(v) == 0 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(v)) {
				*err = "upgrade is a token such as WebSocket";
				return -1;
			}
			return profile_copy(b->to, sizeof(b->to), v, err) ? -1 : 1;
		}
		if (strcmp(k, "names") == 0) {
			if (strcmp(v, "words") == 0)
				b->flags &= ~BHV_F_VALUES;
			else if (strcmp(v, "keep") == 0)
				b->flags |= BHV_F_VALUES;	/* values only */
			else {
				*err = "names is words or keep";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_CNEONCTION:
		if (strcmp(k, "to") == 0) {
			if (strlen(v) != strlen("Connection")) {
				*err = "to must be as long as Connection (10 bytes)";
				return -1;
			}
			return profile_copy(b->to, sizeof(b->to), v, err) ? -1 : 1;
		}
		return 0;
	case BHV_WS_DROP_CONTROL:
		if (strcmp(k, "what") == 0) {
			char buf[64], *tok, *save = NULL;

			if (strlen(v) >= sizeof(buf))
				goto bad_ops;
			strcpy(buf, v);
			b->ops = 0;
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (strcmp(tok, "ping") == 0)
					b->ops |= 1u << 0x9;
				else if (strcmp(tok, "pong") == 0)
					b->ops |= 1u << 0xa;
				else if (strcmp(tok, "close") == 0)
					b->ops |= 1u << 0x8;
				else
					goto bad_ops;
			}
			if (b->ops != 0)
				return 1;
bad_ops:
			*err = "what is a list of ping, pong, close";
			return -1;
		}
		return 0;
	case BHV_WS_FRAME:
		if (strcmp(k, "nth") == 0 || strcmp(k, "keep") == 0) {
			uint64_t n;

			if (profile_size(v, &n) != 0 || (k[0] == 'n' && n == 0)) {
				*err = k[0] == 'n' ? "nth is a frame number from 1" :
				    "keep is a byte count";
				return -1;
			}
			if (k[0] == 'n')
				b->nth = n;
			else
				b->keep = n;
			return 1;
		}
		return 0;
	case BHV_AFTER_101:
		if (strcmp(k, "after") == 0) {
			if (profile_duration(v, &b->ms) != 0 || b->ms == 0) {
				*err = "after is a duration (5s, 500ms)";
				return -1;
			}
			return 1;
		}
		if (strcmp(k, "on") == 0) {
			if (strcmp(v, "data") != 0) {
				*err = "on takes data (the first byte after the 101)";
				return -1;
			}
			b->flags |= BHV_F_ON_DATA;
			return 1;
		}
		if (strcmp(k, "bytes") == 0) {
			if (profile_size(v, &b->bytes) != 0 || b->bytes == 0) {
				*err = "bytes is a byte count (16k, 1M)";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_UNDECLARED_BODY:
		if (strcmp(k, "timeout") == 0) {
			if (profile_duration(v, &b->ms) != 0 || b->ms == 0) {
				*err = "timeout is a duration (5s, 500ms)";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_REJECT_UPGRADE:
		if (strcmp(k, "page") == 0)
			return profile_page(b, v, err) ? -1 : 1;
		if (strcmp(k, "when") == 0) {
			if (strcmp(v, "no-key") == 0)
				b->flags |= BHV_F_NO_KEY_ONLY;
			else if (strcmp(v, "always") != 0) {
				*err = "when is always or no-key";
				return -1;
			}
			return 1;
		}
		return 0;
	case BHV_CONNECT_PORTS:
		if (strcmp(k, "page") == 0)
			return profile_page(b, v, err) ? -1 : 1;
		return 0;
	case BHV_PROXY_AUTH:
		if (strcmp(k, "page") == 0)
			return profile_page(b, v, err) ? -1 : 1;
		if (strcmp(k, "realm") == 0) {
			if (strchr(v, '"') != NULL || strchr(v, '\\') != NULL) {
				*err = "realm cannot hold '\"' or '\\'";
				return -1;
			}
			return profile_copy(b->realm, sizeof(b->realm), v, err) ?
			    -1 : 1;
		}
		if (strcmp(k, "user") == 0) {
			/* RFC 7617 2: a user-id cannot contain a colon. */
			if (strchr(v, ':') != NULL || *v == '\0') {
				*err = "user is not empty and has no ':'";
				return -1;
			}
			return profile_copy(b->user, sizeof(b->user), v, err) ?
			    -1 : 1;
		}
		if (strcmp(k, "password") == 0)
			return profile_copy(b->pass, sizeof(b->pass), v, err) ?
			    -1 : 1;
		return 0;
	case BHV_CONNECT_REPLY:
		if (strcmp(k, "agent") == 0)
			return profile_copy(b->agent, sizeof(b->agent), v, err) ?
			    -1 : 1;
		if (strcmp(k, "tunnel") == 0) {
			if (strcmp(v, "opaque") == 0)
				b->flags |= BHV_F_OPAQUE;
			else if (strcmp(v, "inspect") == 0)
				b->flags &= ~BHV_F_OPAQUE;
			else {
				*err = "tunnel is inspect or opaque";
				return -1;
			}
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static int
profile_page(struct behaviour *b, const char *v, const char **err)
{
	if (strcmp(v, "squid") == 0)
		b->page = BHV_PAGE_SQUID;
	else if (strcmp(v, "haproxy") == 0 && b->kind == BHV_REJECT_UPGRADE)
		b->page = BHV_PAGE_HAPROXY;
	else if (strcmp(v, "plain") == 0)
		b->page = BHV_PAGE_PLAIN;
	else {
		*err = b->kind == BHV_REJECT_UPGRADE ?
		    "page is squid, haproxy or plain" : "page is squid or plain";
		return -1;
	}
	return 0;
}

const char *
bhv_name(enum bhv_kind k)
{
	return k < BHV_MAX ? bhv_names[k] : "?";
}

const char *
bhv_action_name(enum bhv_action a)
{
	switch (a) {
	case BHV_ACT_FIN:	return "fin";
	case BHV_ACT_RST:	return "rst";
	case BHV_ACT_WSCLOSE:	return "close1001";
	}
	return "?";
}

struct profile_set *
profile_set_new(void)
{
	struct profile_set *ps;
	struct profile *p;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->refs = 1;
	p = &ps->p[ps->n++];
	strcpy(p->name, "passthrough");
	strcpy(p->summary, "relay every flow untouched, byte for byte");
	strcpy(p->origin, "built in");
	return ps;
}

void
profile_set_ref(struct profile_set *ps)
{
	ps->refs++;
}

void
profile_set_unref(struct profile_set *ps)
{
	if (ps != NULL && --ps->refs == 0)
		free(ps);
}

const struct profile *
profile_find(const struct profile_set *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].name, name) == 0)
			return &ps->p[i];
	return NULL;
}

int
profile_check_rules(const struct profile_set *ps, const struct rule **bad)
{
	size_t i;

	for (i = 0; i < ps->rules.n; i++)
		if (profile_find(ps, ps->rules.r[i].profile) == NULL) {
			*bad = &ps->rules.r[i];
			return -1;
		}
	return 0;
}

int
profile_name_ok(const char *name, const char **err)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= PROFILE_NAMELEN) {
		*err = "profile names are 1 to 63 characters";
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
			*err = "profile names are letters, digits, '-', '_', '.'";
			return -1;
		}
	}
	return 0;
}

struct profile *
profile_add(struct profile_set *ps, const char *name, const char *origin,
    const char **err)
{
	struct profile *p;

	if (profile_name_ok(name, err) != 0)
		return NULL;
	if (profile_find(ps, name) != NULL) {
		*err = "a profile of that name is already defined";
		return NULL;
	}
	if (ps->n == PROFILE_MAX) {
		*err = "too many profiles";
		return NULL;
	}
	p = &ps->p[ps->n++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	strncpy(p->origin, origin, sizeof(p->origin) - 1);
	return p;
}

/* "60s", "500ms", "2m", "1.5s"; a bare number is seconds. */
static int
profile_duration(const char *v, uint32_t *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || errno != 0 || d < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		d *= 1000;
	else if (strcmp(end, "m") == 0)
		d *= 60000;
	else
		return -1;
	if (d > 86400000.0)
		return -1;
	*ms = (uint32_t)(d + 0.5);
	return 0;
}

/* "1000", "64k", "1M" (binary multiples). */
static int
profile_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'M')
		n <<= 20, end++;
	else if (*end == 'G')
		n <<= 30, end++;
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
profile_kv(struct behaviour *b, const char *k, const char *v, const char **err)
{
	int rc = profile_http_kv(b, k, v, err);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (strcmp(k, "dir") == 0) {
		if (strcmp(v, "up") == 0)
			b->dir = BHV_DIR_UP;
		else if (strcmp(v, "down") == 0)
			b->dir = BHV_DIR_DOWN;
		else if (strcmp(v, "both") == 0)
			b->dir = BHV_DIR_BOTH;
		else {
			*err = "dir is up, down or both";
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "p") == 0) {
		char *end;
		double d = strtod(v, &end);

		if (end == v || *end != '\0' || d < 0 || d > 1) {
			*err = "p is a probability from 0 to 1";
			return -1;
		}
		b->p_ppm = (uint32_t)(d * 1000000 + 0.5);
		return 0;
	}
	if (strcmp(k, "action") == 0 && (b->kind == BHV_IDLE_TIMEOUT ||
	    b->kind == BHV_MAX_LIFETIME)) {
		if (strcmp(v, "fin") == 0)
			b->action = BHV_ACT_FIN;
		else if (strcmp(v, "rst") == 0)
			b->action = BHV_ACT_RST;
		else if (strcmp(v, "close1001") == 0)
			b->action = BHV_ACT_WSCLOSE;
		else {
			*err = "action is fin, rst or close1001";
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "jitter") == 0 && (b->kind == BHV_IDLE_TIMEOUT ||
	    b->kind == BHV_MAX_LIFETIME || b->kind == BHV_LATENCY ||
	    b->kind == BHV_SLOW_OPEN)) {
		if (profile_duration(v, &b->jitter_ms) != 0) {
			*err = "jitter is a duration (500ms, 2s)";
			return -1;
		}
		return 0;
	}
	if (b->kind == BHV_SLICER && strcmp(k, "delay") == 0) {
		if (profile_duration(v, &b->ms) != 0) {
			*err = "delay is a duration (1ms, 0)";
			return -1;
		}
		return 0;
	}
	if (b->kind == BHV_SLICER && strcmp(k, "variation") == 0) {
		if (profile_size(v, &b->variation) != 0) {
			*err = "variation is a byte count";
			return -1;
		}
		return 0;
	}
	*err = "unknown parameter for this behaviour";
	return -1;
}

/* Next word of a behaviour line; key="a b" keeps its spaces. */
static char *
profile_word(char **pos)
{
	char *p = *pos, *start, *o;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	start = o = p;
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"')
				*o++ = *p++;
			if (*p == '"')
				p++;
		} else
			*o++ = *p++;
	}
	if (*p != '\0')
		p++;
	*o = '\0';
	*pos = p;
	return start;
}

int
profile_add_behaviour(struct profile *p, const char *line, const char **err)
{
	char buf[256], *tok, *pos;
	struct behaviour b;
	size_t i;
	int have_arg = 0;

	if (strlen(line) >= sizeof(buf)) {
		*err = "behaviour line too long";
		return -1;
	}
	if (p->nbhv == PROFILE_MAX_BHV) {
		*err = "too many behaviours in one profile";
		return -1;
	}
	strcpy(buf, line);
	pos = buf;
	if ((tok = profile_word(&pos)) == NULL) {
		*err = "empty behaviour";
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.dir = BHV_DIR_BOTH;
	b.p_ppm = 1000000;
	for (i = 0; i < BHV_MAX; i++)
		if (strcmp(tok, bhv_names[i]) == 0)
			break;
	if (i == BHV_MAX) {
		*err = "unknown behaviour (see proxysimd(8), PROFILES)";
		return -1;
	}
	b.kind = (enum bhv_kind)i;
	if (b.kind == BHV_STRIP_HOP || b.kind == BHV_HTTP10 ||
	    b.kind == BHV_REJECT_UPGRADE || b.kind == BHV_UNDECLARED_BODY ||
	    bhv_is_explicit(b.kind))
		b.dir = BHV_DIR_UP;	/* they act on requests */
	if (b.kind == BHV_PROXY_AUTH)
		strcpy(b.realm, "proxysim");
	if (b.kind == BHV_AFTER_101 || b.kind == BHV_TLS_STALL)
		b.dir = BHV_DIR_DOWN;
	if (b.kind == BHV_TLS_RESET_HELLO || b.kind == BHV_SNI_DENY ||
	    b.kind == BHV_SNI_ALLOW || b.kind == BHV_TLS_INTERCEPT)
		b.dir = BHV_DIR_UP;
	if (b.kind == BHV_REJECT_UPGRADE)
		b.status = 403;
	if (b.kind == BHV_WS_DROP_CONTROL)
		b.ops = 1u << 0x9 | 1u << 0xa;	/* pings and pongs */
	if (b.kind == BHV_WS_FRAME)
		b.nth = 1;
	if (b.kind == BHV_CNEONCTION)
		strcpy(b.to, "Cneonction");
	while ((tok = profile_word(&pos)) != NULL) {
		char *eq = strchr(tok, '=');

		if (eq != NULL) {
			*eq = '\0';
			if (profile_kv(&b, tok, eq + 1, err) != 0)
				return -1;
			continue;
		}
		if (have_arg++) {
			*err = "one value, then key=value parameters";
			return -1;
		}
		switch (b.kind) {
		case BHV_IDLE_TIMEOUT:
		case BHV_MAX_LIFETIME:
		case BHV_LATENCY:
		case BHV_SLOW_CLOSE:
		case BHV_SLOW_OPEN:
			if (profile_duration(tok, &b.ms) != 0 || b.ms == 0) {
				*err = "expected a duration (60s, 500ms, 2m)";
				return -1;
			}
			break;
		case BHV_BANDWIDTH:
		case BHV_SLICER:
			if (profile_size(tok, &b.bytes) != 0 || b.bytes == 0) {
				*err = b.kind == BHV_BANDWIDTH ?
				    "expected bytes per second (1000, 64k, 1M)" :
				    "expected a slice size in bytes (1, 512, 4k)";
				return -1;
			}
			break;
		case BHV_RESET_AFTER:
		case BHV_LIMIT_DATA:
			if (profile_size(tok, &b.bytes) != 0) {
				*err = "expected a byte count (1000, 64k, 1M)";
				return -1;
			}
			break;
		case BHV_REJECT_UPGRADE:
			if (strlen(tok) != 3 || strspn(tok, "0123456789") != 3 ||
			    tok[0] < '1' || tok[0] > '5') {
				*err = "expected an HTTP status (400, 403, 501...)";
				return -1;
			}
			b.status = atoi(tok);
			break;
		case BHV_AFTER_101:
			if (strcmp(tok, "reset") == 0)
				b.flags |= BHV_F_RESET;
			else if (strcmp(tok, "buffer") == 0) {
				b.flags |= BHV_F_BUFFER;
				if (b.bytes == 0)
					b.bytes = 16384;
			} else if (strcmp(tok, "http") == 0)
				b.flags |= BHV_F_KEEP_HTTP;
			else if (strcmp(tok, "close") != 0) {
				*err = "after-101 takes close, reset, buffer or http";
				return -1;
			}
			break;
		case BHV_HEADER_ADD: {
			/* "Name: value": a token, a colon, a value of visible
			 * bytes ({date} is the proxy's clock, IMF-fixdate). */
			size_t nl = strcspn(tok, ":");

			if (nl == 0 || tok[nl] != ':' || strspn(tok,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789!#$%&'*+-.^_`|~") != nl) {
				*err = "header-add takes \"Name: value\"";
				return -1;
			}
			if (profile_copy(b.add, sizeof(b.add), tok, err) != 0)
				return -1;
			break;
		}
		case BHV_WS_FRAME:
			if (strcmp(tok, "truncate") == 0)
				b.flags |= BHV_F_TRUNCATE;
			else if (strcmp(tok, "drop") != 0) {
				*err = "ws-frame takes drop or truncate";
				return -1;
			}
			break;
		case BHV_SNI_DENY:
		case BHV_SNI_ALLOW:
			if (profile_names(b.names, sizeof(b.names), tok, err) != 0)
				return -1;
			break;
		case BHV_UNDECLARED_BODY:
			if (strcmp(tok, "drop") == 0)
				b.flags |= BHV_F_DROP;
			else if (strcmp(tok, "hold") == 0) {
				b.flags |= BHV_F_HOLD;
				if (b.ms == 0)
					b.ms = 60000;	/* nginx, HAProxy: 60 s */
			} else if (strcmp(tok, "next") == 0) {
				b.flags |= BHV_F_NEXT;
				if (b.ms == 0)
					b.ms = 60000;
			} else if (strcmp(tok, "forward") != 0) {
				*err = "undeclared-body takes forward, drop, hold or next";
				return -1;
			}
			break;
		case BHV_CONNECT_PORTS: {
			struct portlist pl;

			if (addr_parse_ports(tok, &pl, err) != 0 ||
			    profile_copy(b.ports, sizeof(b.ports), tok, err) != 0)
				return -1;
			break;
		}
		case BHV_PROXY_AUTH:
			if (strcmp(tok, "ntlm") == 0)
				b.flags |= BHV_F_NTLM;
			else if (strcmp(tok, "negotiate") == 0)
				b.flags |= BHV_F_NEGOTIATE;
			else if (strcmp(tok, "basic") != 0) {
				*err = "proxy-auth takes basic, ntlm or negotiate";
				return -1;
			}
			break;
		case BHV_CONNECT_REPLY:
			if (strcmp(tok, "http10") == 0)
				b.flags |= BHV_F_HTTP10;
			else if (strcmp(tok, "reset") == 0)
				b.flags |= BHV_F_RESET;
			else if (strcmp(tok, "http11") != 0) {
				*err = "connect-reply takes http11, http10 or reset";
				return -1;
			}
			break;
		default:
			*err = "this behaviour takes no value, only key=value";
			return -1;
		}
	}
	if (!have_arg && b.kind != BHV_BLACKHOLE && b.kind != BHV_STRIP_HOP &&
	    b.kind != BHV_HTTP10 && b.kind != BHV_HDR_LOWER &&
	    b.kind != BHV_HDR_CANON &&
	    b.kind != BHV_CONN_MERGE && b.kind != BHV_CNEONCTION &&
	    b.kind != BHV_REJECT_UPGRADE && b.kind != BHV_WS_DROP_CONTROL &&
	    b.kind != BHV_TLS_RESET_HELLO && b.kind != BHV_TLS_STALL &&
	    b.kind != BHV_TLS_INTERCEPT) {
		*err = "this behaviour needs a value";
		return -1;
	}
	if (b.kind == BHV_AFTER_101 && ((b.flags & (BHV_F_BUFFER |
	    BHV_F_KEEP_HTTP)) != 0) + ((b.flags & BHV_F_ON_DATA) != 0) +
	    (b.ms != 0) > 1) {
		*err = "after-101: after= and on=data go with close or reset";
		return -1;
	}
	if (b.kind == BHV_UNDECLARED_BODY && b.dir != BHV_DIR_UP &&
	    (b.dir != BHV_DIR_DOWN || (b.flags & BHV_F_HOLD))) {
		*err = "undeclared-body: dir is up, or down (forward, drop, next)";
		return -1;
	}
	if (b.kind == BHV_SLICER && b.variation >= b.bytes) {
		*err = "slicer: variation must be smaller than the size";
		return -1;
	}
	if (b.kind == BHV_PROXY_AUTH &&
	    !(b.flags & (BHV_F_NTLM | BHV_F_NEGOTIATE)) &&
	    (b.user[0] == '\0')) {
		*err = "proxy-auth basic needs user= (and password=)";
		return -1;
	}
	if (bhv_is_http(b.kind))
		p->needs_sniff = 1;
	if (b.kind == BHV_TLS_RESET_HELLO || b.kind == BHV_SNI_DENY ||
	    b.kind == BHV_SNI_ALLOW || b.kind == BHV_TLS_INTERCEPT)
		p->needs_sniff = p->needs_hello = 1;
	if (b.kind == BHV_WS_DROP_CONTROL)
		p->needs_sniff = 1;	/* it waits for the 101 */
	p->bhv[p->nbhv++] = b;
	return 0;
}
