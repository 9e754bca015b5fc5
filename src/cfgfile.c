/* Configuration file parsing with inih; see cfgfile.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "cfgfile.h"
#include "profile.h"

/* A settings file has no business being larger. */
#define CFGFILE_MAX	(1024 * 1024)

struct cfgfile_ctx {
	struct settings		*s;
	struct profile_set	*ps;
	const char		*name;		/* the file, for origins */
	struct profile		*cur;		/* the [profile] being read */
	char			 cur_section[96];
	const char		*why;		/* first error */
	char			 section_err[96];
	const char		*text;		/* for the lines of [rules] */
	int			 rule_line;	/* the last rule's line */
};

#define CFGFILE_PROFILE_PREFIX	"profile "

static int
cfgfile_profile_key(struct cfgfile_ctx *ctx, const char *section,
    const char *k, const char *v, const char **why)
{
	const char *pname = section + strlen(CFGFILE_PROFILE_PREFIX);
	char origin[PROFILE_TEXTLEN];

	if (ctx->ps == NULL) {
		*why = "profiles are not allowed here";
		return -1;
	}
	if (ctx->cur == NULL || strcmp(ctx->cur_section, section) != 0) {
		/* A new section: inih has no callback for the header. */
		snprintf(origin, sizeof(origin), "%s [%s]", ctx->name, section);
		if ((ctx->cur = profile_add(ctx->ps, pname, origin, why)) == NULL)
			return -1;
		snprintf(ctx->cur_section, sizeof(ctx->cur_section), "%s",
		    section);
	}
	if (strcmp(k, "summary") == 0) {
		snprintf(ctx->cur->summary, sizeof(ctx->cur->summary), "%s", v);
		return 0;
	}
	if (strcmp(k, "source") == 0) {
		snprintf(ctx->cur->source, sizeof(ctx->cur->source), "%s", v);
		return 0;
	}
	if (strcmp(k, "behaviour") == 0 || strcmp(k, "behavior") == 0)
		return profile_add_behaviour(ctx->cur, v, why);
	*why = "unknown key (profiles have summary, source, behaviour)";
	return -1;
}

static int
cfgfile_key(struct settings *s, const char *k, const char *v, const char **why)
{
	unsigned u;

	if (strcmp(k, "listen") == 0) {
		if (s->set & SET_LISTEN)
			return 0;
		return settings_set_listen(s, v, why);
	}
	if (strcmp(k, "explicit") == 0)
		return (s->set & SET_EXPLICIT) ? 0 :
		    settings_set_explicit(s, v, why);
	if (strcmp(k, "redirect") == 0) {
		if (s->set & SET_REDIRECT)
			return 0;
		return settings_add_iface(s, v, why);
	}
	if (strcmp(k, "ports") == 0)
		return (s->set & SET_PORTS) ? 0 : settings_set_ports(s, v, why);
	if (strcmp(k, "tproxy") == 0)
		return (s->set & SET_TPROXY) ? 0 :
		    settings_set_bool(&s->tproxy, v, why);
	if (strcmp(k, "profile") == 0)
		return (s->set & SET_PROFILE) ? 0 :
		    settings_set_profile(s, v, why);
	if (strcmp(k, "log") == 0) {
		if (s->set & SET_LOG)
			return 0;
		if (strlen(v) >= sizeof(s->log)) {
			*why = "path too long";
			return -1;
		}
		strcpy(s->log, strcmp(v, "-") == 0 ? "" : v);
		return 0;
	}
	if (strcmp(k, "max-flows") == 0)
		return (s->set & SET_MAX_FLOWS) ? 0 :
		    settings_set_uint(&s->max_flows, v, 1, 1000000, why);
	if (strcmp(k, "connect-timeout") == 0) {
		if (s->set & SET_CONNECT_TO)
			return 0;
		if (settings_set_uint(&u, v, 1, 3600, why) != 0)
			return -1;
		s->connect_timeout_ms = u * 1000;
		return 0;
	}
	if (strcmp(k, "buffer-size") == 0) {
		if (s->set & SET_BUFFER)
			return 0;
		if (settings_set_uint(&u, v, 4096, 64 << 20, why) != 0)
			return -1;
		s->buffer_size = u;
		return 0;
	}
	if (strcmp(k, "mark") == 0) {
		if (s->set & SET_MARK)
			return 0;
		if (settings_set_uint(&u, v, 1, 0xffffffffu, why) != 0)
			return -1;
		s->mark = u;
		return 0;
	}
	*why = "unknown key";
	return -1;
}

/*
 * inih does not say which line a value came from, and a rule's profile
 * is checked once every file is read: find the line of the next key
 * `name` after the last one (inih calls us in file order).
 */
static int
cfgfile_key_line(struct cfgfile_ctx *ctx, const char *name)
{
	const char *p = ctx->text;
	size_t n = strlen(name);
	int line = 1;

	while (p != NULL && *p != '\0') {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (line > ctx->rule_line && strncmp(q, name, n) == 0) {
			q += n;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=' || *q == ':')
				return ctx->rule_line = line;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
		line++;
	}
	return 0;
}

static int
cfgfile_rules_key(struct cfgfile_ctx *ctx, const char *k, const char *v,
    const char **why)
{
	struct ruleset *rs;
	char origin[96];

	if (ctx->ps == NULL) {
		*why = "rules are not allowed here";
		return -1;
	}
	if (strcmp(k, "rule") != 0) {
		*why = "unknown key ([rules] has rule lines)";
		return -1;
	}
	rs = &ctx->ps->rules;
	if (rs->n == RULES_MAX) {
		*why = "too many rules (64)";
		return -1;
	}
	snprintf(origin, sizeof(origin), "%s:%d", ctx->name,
	    cfgfile_key_line(ctx, k));
	if (rules_parse(&rs->r[rs->n], v, origin, why) != 0)
		return -1;
	rs->n++;
	return 0;
}

static int
cfgfile_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfgfile_ctx *ctx = user;
	const char *why = NULL;

	if (ctx->why != NULL)
		return 1;	/* only the first error is reported */
	if (strncmp(section, CFGFILE_PROFILE_PREFIX,
	    strlen(CFGFILE_PROFILE_PREFIX)) == 0) {
		if (cfgfile_profile_key(ctx, section, name, value, &why) != 0) {
			ctx->why = why;
			return 0;
		}
		return 1;
	}
	if (strcmp(section, "rules") == 0) {
		if (cfgfile_rules_key(ctx, name, value, &why) != 0) {
			ctx->why = why;
			return 0;
		}
		return 1;
	}
	if (section[0] != '\0' && strcmp(section, "proxysimd") != 0) {
		snprintf(ctx->section_err, sizeof(ctx->section_err),
		    "unknown section [%.64s]", section);
		ctx->why = ctx->section_err;
		return 0;
	}
	if (ctx->s == NULL) {
		ctx->why = "a file of personas has only [profile NAME] and "
		    "[rules] sections";
		return 0;
	}
	if (cfgfile_key(ctx->s, name, value, &why) != 0) {
		ctx->why = why;
		return 0;
	}
	return 1;
}

/* Line n (1-based) of text, and its length. */
static const char *
cfgfile_line(const char *text, int n, size_t *len)
{
	const char *p = text;

	while (--n > 0 && (p = strchr(p, '\n')) != NULL)
		p++;
	if (p == NULL)
		return NULL;
	*len = strcspn(p, "\r\n");
	return p;
}

/*
 * inih reports the first bad line but only our handler knows why; a line
 * the handler never saw (no '=') is a syntax error of its own.
 */
static const char *
cfgfile_line_error(const char *text, int n, const char *why)
{
	const char *line;
	size_t len, i = 0;

	if ((line = cfgfile_line(text, n, &len)) == NULL)
		return why;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] != '[' && line[i] != ';' && line[i] != '#' &&
	    memchr(line, '=', len) == NULL && memchr(line, ':', len) == NULL)
		return "syntax error: expected key = value";
	return why != NULL ? why : "syntax error";
}

/* inih would take an indented line as the previous value continued:
 * a silent surprise in a file of settings, so refuse it. */
static int
cfgfile_find_continuation(const char *text)
{
	const char *p = text;
	int n = 1;

	for (; *p != '\0'; n++) {
		size_t len = strcspn(p, "\n"), i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i > 0 && i < len && p[i] != ';' && p[i] != '#' &&
		    p[i] != '\r')
			return n;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int
cfgfile_parse_string(const char *text, const char *name, struct settings *s,
    struct profile_set *ps, char *err, size_t errlen)
{
	struct cfgfile_ctx ctx = { .s = s, .ps = ps, .name = name,
	    .text = text };
	int rc;

	if ((rc = cfgfile_find_continuation(text)) > 0) {
		snprintf(err, errlen, "%s:%d: indented line (continuation "
		    "lines are not supported)", name, rc);
		return -1;
	}
	rc = ini_parse_string(text, cfgfile_handler, &ctx);
	if (rc == 0)
		return 0;
	if (rc > 0)
		snprintf(err, errlen, "%s:%d: %s", name, rc,
		    cfgfile_line_error(text, rc, ctx.why));
	else
		snprintf(err, errlen, "%s: out of memory", name);
	return -1;
}

int
cfgfile_load(const char *path, struct settings *s, struct profile_set *ps,
    char *err, size_t errlen)
{
	struct stat st;
	char *text;
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CFGFILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "larger than 1 MiB");
		fclose(f);
		return -1;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	text[n] = '\0';
	fclose(f);
	rc = cfgfile_parse_string(text, path, s, ps, err, errlen);
	free(text);
	return rc;
}
