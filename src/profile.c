/* Profiles and behaviour parsing; see profile.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

static const char *const bhv_names[BHV_MAX] = {
	[BHV_IDLE_TIMEOUT] = "idle-timeout",
	[BHV_MAX_LIFETIME] = "max-lifetime",
	[BHV_RESET_AFTER] = "reset-after",
	[BHV_LIMIT_DATA] = "limit-data",
	[BHV_BLACKHOLE] = "blackhole",
};

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
	    b->kind == BHV_MAX_LIFETIME)) {
		if (profile_duration(v, &b->jitter_ms) != 0) {
			*err = "jitter is a duration (500ms, 2s)";
			return -1;
		}
		return 0;
	}
	*err = "unknown parameter for this behaviour";
	return -1;
}

int
profile_add_behaviour(struct profile *p, const char *line, const char **err)
{
	char buf[256], *tok, *save = NULL;
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
	if ((tok = strtok_r(buf, " \t", &save)) == NULL) {
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
		*err = "unknown behaviour (idle-timeout, max-lifetime, "
		    "reset-after, limit-data, blackhole)";
		return -1;
	}
	b.kind = (enum bhv_kind)i;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
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
			if (profile_duration(tok, &b.ms) != 0 || b.ms == 0) {
				*err = "expected a duration (60s, 500ms, 2m)";
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
		case BHV_BLACKHOLE:
		case BHV_MAX:
			*err = "blackhole takes no value, only dir=";
			return -1;
		}
	}
	if (!have_arg && b.kind != BHV_BLACKHOLE) {
		*err = "this behaviour needs a value";
		return -1;
	}
	p->bhv[p->nbhv++] = b;
	return 0;
}
