/* Configuration file parsing with inih; see cfgfile.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "cfgfile.h"

struct cfgfile_ctx {
	struct settings	*s;
	const char	*why;		/* first error */
	char		 section_err[96];
};

static int
cfgfile_key(struct settings *s, const char *k, const char *v, const char **why)
{
	unsigned u;

	if (strcmp(k, "listen") == 0) {
		if (s->set & SET_LISTEN)
			return 0;
		return settings_set_listen(s, v, why);
	}
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

static int
cfgfile_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfgfile_ctx *ctx = user;
	const char *why = NULL;

	if (ctx->why != NULL)
		return 1;	/* only the first error is reported */
	if (section[0] != '\0' && strcmp(section, "proxysimd") != 0) {
		snprintf(ctx->section_err, sizeof(ctx->section_err),
		    "unknown section [%.64s]", section);
		ctx->why = ctx->section_err;
		return 0;
	}
	if (cfgfile_key(ctx->s, name, value, &why) != 0) {
		ctx->why = why;
		return 0;
	}
	return 1;
}

static int
cfgfile_result(int rc, struct cfgfile_ctx *ctx, const char *name, char *err,
    size_t errlen)
{
	if (rc == 0)
		return 0;
	if (rc > 0)
		snprintf(err, errlen, "%s:%d: %s", name, rc,
		    ctx->why != NULL ? ctx->why : "syntax error");
	else if (rc == -1)
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
	else
		snprintf(err, errlen, "%s: out of memory", name);
	return -1;
}

int
cfgfile_parse_string(const char *text, const char *name, struct settings *s,
    char *err, size_t errlen)
{
	struct cfgfile_ctx ctx = { .s = s };

	return cfgfile_result(ini_parse_string(text, cfgfile_handler, &ctx), &ctx,
	    name, err, errlen);
}

int
cfgfile_load(const char *path, struct settings *s, char *err, size_t errlen)
{
	struct cfgfile_ctx ctx = { .s = s };

	return cfgfile_result(ini_parse(path, cfgfile_handler, &ctx), &ctx,
	    path, err, errlen);
}
