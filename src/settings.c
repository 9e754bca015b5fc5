/* Settings defaults and validating setters; see settings.h. Pure code. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"
#include "settings.h"

void
settings_defaults(struct settings *s)
{
	const char *err;

	memset(s, 0, sizeof(*s));
	if (addr_parse_listen("15080", DEFAULT_LISTEN_PORT, &s->listen,
	    &s->listen_len, &err) != 0 ||
	    addr_parse_ports(DEFAULT_PORTS, &s->ports, &err) != 0)
		abort();	/* the defaults themselves are wrong */
	s->listen_any = 1;
	strcpy(s->profile, DEFAULT_PROFILE);
	s->max_flows = DEFAULT_MAX_FLOWS;
	s->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	s->buffer_size = DEFAULT_BUFFER_SIZE;
	s->mark = DEFAULT_MARK;
}

int
settings_set_listen(struct settings *s, const char *v, const char **err)
{
	if (addr_parse_listen(v, DEFAULT_LISTEN_PORT, &s->listen,
	    &s->listen_len, err) != 0)
		return -1;
	/* "PORT" alone listens on both families. */
	s->listen_any = strchr(v, ':') == NULL;
	s->listen_given = 1;
	return 0;
}

int
settings_set_explicit(struct settings *s, const char *v, const char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (addr_parse_listen(v, 0, &ss, &len, err) != 0)
		return -1;
	if (addr_port((struct sockaddr *)&ss) == 0) {
		*err = "the explicit proxy needs a port";
		return -1;
	}
	/* Never an open proxy by accident: loopback unless told. */
	if (strchr(v, ':') == NULL && addr_parse_ip("127.0.0.1",
	    addr_port((struct sockaddr *)&ss), &ss, &len) != 0) {
		*err = "bad port";
		return -1;
	}
	s->explicit_addr = ss;
	s->explicit_len = len;
	s->explicit_on = 1;
	return 0;
}

int
settings_transparent(const struct settings *s)
{
	return !s->explicit_on || s->listen_given || s->nifaces > 0;
}

int
settings_add_iface(struct settings *s, const char *v, const char **err)
{
	size_t i, n = strlen(v);

	if (n == 0 || n >= SETTINGS_IFNAMSIZ) {
		*err = "interface names are 1 to 15 characters";
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* iptables takes '+' as a wildcard; keep it, refuse shell and
		 * rule syntax. */
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '+' || c == '@')) {
			*err = "interface name has a character iptables refuses";
			return -1;
		}
	}
	for (i = 0; i < s->nifaces; i++)
		if (strcmp(s->ifaces[i], v) == 0)
			return 0;
	if (s->nifaces == SETTINGS_MAX_IFACES) {
		*err = "too many interfaces";
		return -1;
	}
	strcpy(s->ifaces[s->nifaces++], v);
	return 0;
}

int
settings_set_ports(struct settings *s, const char *v, const char **err)
{
	struct portlist pl;

	if (addr_parse_ports(v, &pl, err) != 0)
		return -1;
	s->ports = pl;
	return 0;
}

int
settings_set_profile(struct settings *s, const char *v, const char **err)
{
	/* Whether it exists is known once every file is read. */
	if (profile_name_ok(v, err) != 0)
		return -1;
	strcpy(s->profile, v);
	return 0;
}

int
settings_set_uint(unsigned *dst, const char *v, unsigned lo, unsigned hi,
    const char **err)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 0);
	if (v[0] == '-' || v[0] == '\0' || *end != '\0' || errno != 0) {
		*err = "not a number";
		return -1;
	}
	if (n < lo || n > hi) {
		*err = "number out of range";
		return -1;
	}
	*dst = (unsigned)n;
	return 0;
}

int
settings_set_bool(int *dst, const char *v, const char **err)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0)
		*dst = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0 || strcasecmp(v, "off") == 0)
		*dst = 0;
	else {
		*err = "expected yes or no";
		return -1;
	}
	return 0;
}
