/* Capture rule installation and removal; see fwrules.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fwrules.h"
#include "log.h"

#define FW_MAXARGS	48
#define FW_OUTMAX	(256 * 1024)

struct fwrules_family {
	int		 af;
	const char	*env;		/* override for the binary */
	const char	*bin;
	const char	*ipflag;	/* for ip(8) */
	const char	*localnet;
};

static const struct fwrules_family fwrules_families[] = {
	{ AF_INET, "PROXYSIM_IPTABLES", "iptables", "-4", "0.0.0.0/0" },
	{ AF_INET6, "PROXYSIM_IP6TABLES", "ip6tables", "-6", "::/0" },
};

static const char *
fwrules_bin(const struct fwrules_family *f)
{
	const char *v = getenv(f->env);

	return v != NULL && *v != '\0' ? v : f->bin;
}

/*
 * Runs argv; captures stdout into out (if given) and stderr into err.
 * Returns the exit status, or -1 if it could not run.
 */
static int
fwrules_run(char *const argv[], char *out, size_t outlen, char *err,
    size_t errlen)
{
	int opipe[2], epipe[2], status;
	pid_t pid;
	size_t olen = 0, elen = 0;

	if (pipe2(opipe, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(epipe, O_CLOEXEC) == -1) {
		close(opipe[0]);
		close(opipe[1]);
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		close(opipe[0]); close(opipe[1]);
		close(epipe[0]); close(epipe[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(opipe[1], STDOUT_FILENO);
		dup2(epipe[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(opipe[1]);
	close(epipe[1]);
	/* Read both pipes; stderr is small, so draining stdout first is safe
	 * only if stderr never fills its pipe (64 KiB): iptables' does not. */
	for (;;) {
		char tmp[4096];
		ssize_t n = read(opipe[0], tmp, sizeof(tmp));

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out != NULL && olen + (size_t)n < outlen) {
			memcpy(out + olen, tmp, (size_t)n);
			olen += (size_t)n;
		}
	}
	for (;;) {
		char tmp[1024];
		ssize_t n = read(epipe[0], tmp, sizeof(tmp));

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (err != NULL && elen + (size_t)n < errlen) {
			memcpy(err + elen, tmp, (size_t)n);
			elen += (size_t)n;
		}
	}
	close(opipe[0]);
	close(epipe[0]);
	if (out != NULL && outlen > 0)
		out[olen] = '\0';
	if (err != NULL && errlen > 0) {
		while (elen > 0 && (err[elen - 1] == '\n' || err[elen - 1] == ' '))
			elen--;
		err[elen] = '\0';
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

void
fwrules_tag(const struct settings *s, char *buf, size_t len)
{
	size_t i;
	int n;

	n = snprintf(buf, len, FWRULES_TAG_PREFIX "%u/",
	    addr_port((const struct sockaddr *)&s->listen));
	for (i = 0; i < s->nifaces && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		    s->ifaces[i]);
}

static int
fwrules_family_wanted(const struct settings *s, int af)
{
	if (s->listen_any)
		return 1;
	return s->listen.ss_family == af;
}

static int fwrules_add_chain(const struct fwrules_family *, const char *,
    const char *, const char *const *, char *, size_t);

/* Appends one rule; args is a NULL-terminated list after "-A PREROUTING". */
static int
fwrules_add(const struct fwrules_family *f, const char *table,
    const char *const *args, char *err, size_t errlen)
{
	return fwrules_add_chain(f, table, "PREROUTING", args, err, errlen);
}

static int
fwrules_add_chain(const struct fwrules_family *f, const char *table,
    const char *chain, const char *const *args, char *err, size_t errlen)
{
	char *argv[FW_MAXARGS];
	char msg[512];
	size_t n = 0;
	int rc;

	argv[n++] = (char *)fwrules_bin(f);
	argv[n++] = (char *)"-w";
	argv[n++] = (char *)"-t";
	argv[n++] = (char *)table;
	argv[n++] = (char *)"-A";
	argv[n++] = (char *)chain;
	while (*args != NULL && n < FW_MAXARGS - 1)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	rc = fwrules_run(argv, NULL, 0, msg, sizeof(msg));
	if (rc != 0) {
		snprintf(err, errlen, "%s -t %s -A %s failed: %s",
		    argv[0], table, chain, rc == -1 ? strerror(errno) : msg);
		return -1;
	}
	return 0;
}

static int
fwrules_has_route_rule(const struct fwrules_family *f)
{
	char out[8192];
	char *argv[] = { (char *)"ip", (char *)f->ipflag, (char *)"rule",
	    (char *)"show", NULL };

	if (fwrules_run(argv, out, sizeof(out), NULL, 0) != 0)
		return 0;
	{
		static const char want[] = "fwmark " FWRULES_TPROXY_MARK
		    " lookup " FWRULES_TPROXY_TABLE;
		const char *p = out;

		/* Whole words: "lookup 100" is not "lookup 1000". */
		while ((p = strstr(p, want)) != NULL) {
			char next = p[sizeof(want) - 1];

			if (p > out && p[-1] == ' ' &&
			    (next == ' ' || next == '\n' || next == '\0'))
				return 1;
			p++;
		}
	}
	return 0;
}

/*
 * TPROXY'd packets carry the mark; this policy routing delivers them to
 * the local stack although their destination is not local.
 */
static int
fwrules_tproxy_routing(const struct fwrules_family *f, char *err,
    size_t errlen)
{
	char msg[512];
	char *rule[] = { (char *)"ip", (char *)f->ipflag, (char *)"rule",
	    (char *)"add", (char *)"fwmark", (char *)FWRULES_TPROXY_MARK,
	    (char *)"lookup", (char *)FWRULES_TPROXY_TABLE, NULL };
	char *route[] = { (char *)"ip", (char *)f->ipflag, (char *)"route",
	    (char *)"replace", (char *)"local", (char *)f->localnet,
	    (char *)"dev", (char *)"lo", (char *)"table",
	    (char *)FWRULES_TPROXY_TABLE, NULL };

	if (!fwrules_has_route_rule(f) &&
	    fwrules_run(rule, NULL, 0, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "ip %s rule add failed: %s", f->ipflag, msg);
		return -1;
	}
	if (fwrules_run(route, NULL, 0, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "ip %s route replace failed: %s",
		    f->ipflag, msg);
		return -1;
	}
	return 0;
}

static int
fwrules_install_family(const struct settings *s,
    const struct fwrules_family *f, const char *tag, char *err, size_t errlen)
{
	char mark[16], lport[8], dport[16], dst[ADDR_STRLEN], onip[64];
	uint16_t port = addr_port((const struct sockaddr *)&s->listen);
	size_t i, k;

	snprintf(mark, sizeof(mark), "0x%x", s->mark);
	snprintf(lport, sizeof(lport), "%u", port);
	if (!s->listen_any)
		addr_format((const struct sockaddr *)&s->listen, dst, sizeof(dst));
	if (s->tproxy) {
		const char *sock[] = { "-p", "tcp", "-m", "socket",
		    "--transparent", "-m", "comment", "--comment", tag, "-j",
		    "MARK", "--set-mark", FWRULES_TPROXY_MARK, NULL };

		if (fwrules_add(f, "mangle", sock, err, errlen) != 0 ||
		    fwrules_tproxy_routing(f, err, errlen) != 0)
			return -1;
		if (s->listen_any)
			strcpy(onip, f->af == AF_INET ? "0.0.0.0" : "::");
		else {
			/* addr_format gives "ip:port" or "[ip]:port". */
			char *end = strrchr(dst, ':');

			*end = '\0';
			if (dst[0] == '[') {
				end[-1] = '\0';
				snprintf(onip, sizeof(onip), "%s", dst + 1);
			} else
				snprintf(onip, sizeof(onip), "%s", dst);
		}
	}
	for (i = 0; i < s->nifaces; i++) {
		for (k = 0; k < s->ports.n; k++) {
			if (s->ports.range[k].lo == s->ports.range[k].hi)
				snprintf(dport, sizeof(dport), "%u",
				    s->ports.range[k].lo);
			else
				snprintf(dport, sizeof(dport), "%u:%u",
				    s->ports.range[k].lo, s->ports.range[k].hi);
			if (s->tproxy) {
				const char *a[] = { "-i", s->ifaces[i], "-p",
				    "tcp", "--dport", dport, "-m", "mark", "!",
				    "--mark", mark, "-m", "comment",
				    "--comment", tag, "-j", "TPROXY",
				    "--on-port", lport, "--on-ip", onip,
				    "--tproxy-mark", FWRULES_TPROXY_MARK, NULL };

				if (fwrules_add(f, "mangle", a, err, errlen) != 0)
					return -1;
			} else if (s->listen_any) {
				const char *a[] = { "-i", s->ifaces[i], "-p",
				    "tcp", "--dport", dport, "-m", "mark", "!",
				    "--mark", mark, "-m", "comment",
				    "--comment", tag, "-j", "REDIRECT",
				    "--to-ports", lport, NULL };

				if (fwrules_add(f, "nat", a, err, errlen) != 0)
					return -1;
			} else {
				const char *a[] = { "-i", s->ifaces[i], "-p",
				    "tcp", "--dport", dport, "-m", "mark", "!",
				    "--mark", mark, "-m", "comment",
				    "--comment", tag, "-j", "DNAT",
				    "--to-destination", dst, NULL };

				if (fwrules_add(f, "nat", a, err, errlen) != 0)
					return -1;
			}
		}
	}
	return 0;
}

int
fwrules_install(const struct settings *s, char *err, size_t errlen)
{
	char tag[256];
	size_t i;

	fwrules_tag(s, tag, sizeof(tag));
	/* A crashed run with the same tag left these: start clean. */
	fwrules_remove(tag, 0);
	for (i = 0; i < nitems(fwrules_families); i++) {
		if (!fwrules_family_wanted(s, fwrules_families[i].af))
			continue;
		if (fwrules_install_family(s, &fwrules_families[i], tag, err,
		    errlen) != 0) {
			fwrules_remove(tag, s->tproxy);
			return -1;
		}
	}
	return 0;
}

/* Splits an iptables -S line into words, honouring double quotes. */
static size_t
fwrules_split(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *p = line, *o;

	while (*p != '\0' && n < max - 1) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		words[n++] = o = p;
		while (*p != '\0' && *p != ' ') {
			if (*p == '"') {
				p++;
				while (*p != '\0' && *p != '"') {
					if (*p == '\\' && p[1] != '\0')
						p++;
					*o++ = *p++;
				}
				if (*p == '"')
					p++;
			} else
				*o++ = *p++;
		}
		if (*p == ' ')
			p++;
		*o = '\0';
	}
	words[n] = NULL;
	return n;
}

static int
fwrules_tag_matches(char **w, const char *tag)
{
	size_t i;

	for (i = 0; w[i] != NULL && w[i + 1] != NULL; i++) {
		if (strcmp(w[i], "--comment") != 0)
			continue;
		if (tag == NULL)
			return strncmp(w[i + 1], FWRULES_TAG_PREFIX,
			    strlen(FWRULES_TAG_PREFIX)) == 0;
		/* "proxysim/PORT/" (no interface) matches every interface. */
		if (tag[0] != '\0' && tag[strlen(tag) - 1] == '/')
			return strncmp(w[i + 1], tag, strlen(tag)) == 0;
		return strcmp(w[i + 1], tag) == 0;
	}
	return 0;
}

/* Removes matching rules from one table; counts TPROXY rules left. */
static int
fwrules_remove_table(const struct fwrules_family *f, const char *table,
    const char *chain, const char *tag, int *tproxy_left)
{
	char *out, *line, *save = NULL, *w[FW_MAXARGS + 4];
	char *list[] = { (char *)fwrules_bin(f), (char *)"-w", (char *)"-t",
	    (char *)table, (char *)"-S", (char *)chain, NULL };
	int removed = 0;

	if ((out = malloc(FW_OUTMAX)) == NULL)
		return -1;
	if (fwrules_run(list, out, FW_OUTMAX, NULL, 0) != 0) {
		free(out);
		return -1;
	}
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *argv[FW_MAXARGS + 8], msg[256];
		size_t n, i, a = 0;

		n = fwrules_split(line, w, nitems(w));
		if (n < 2 || strcmp(w[0], "-A") != 0)
			continue;
		if (!fwrules_tag_matches(w, tag)) {
			for (i = 0; i < n; i++)
				if (strcmp(w[i], "TPROXY") == 0 &&
				    fwrules_tag_matches(w, NULL))
					(*tproxy_left)++;
			continue;
		}
		argv[a++] = list[0];
		argv[a++] = (char *)"-w";
		argv[a++] = (char *)"-t";
		argv[a++] = (char *)table;
		argv[a++] = (char *)"-D";
		for (i = 1; i < n && a < nitems(argv) - 1; i++)
			argv[a++] = w[i];
		argv[a] = NULL;
		if (fwrules_run(argv, NULL, 0, msg, sizeof(msg)) == 0)
			removed++;
		else
			log_warnx("could not remove rule \"%s\": %s", line, msg);
	}
	free(out);
	return removed;
}

int
fwrules_remove(const char *tag, int tproxy_routing)
{
	/* The NFQUEUE rules (--nfqueue) are in mangle's FORWARD. */
	static const char *tables[] = { "nat", "mangle", "mangle" };
	static const char *chains[] = { "PREROUTING", "PREROUTING",
	    "FORWARD" };
	size_t i, t;
	int total = 0, ran = 0;

	for (i = 0; i < nitems(fwrules_families); i++) {
		const struct fwrules_family *f = &fwrules_families[i];
		int tproxy_left = 0;

		for (t = 0; t < nitems(tables); t++) {
			int n = fwrules_remove_table(f, tables[t], chains[t],
			    tag, &tproxy_left);

			if (n >= 0) {
				ran = 1;
				total += n;
			}
		}
		/* The policy routing is shared: remove it with the last user. */
		if ((tproxy_routing || tag == NULL) && tproxy_left == 0 &&
		    fwrules_has_route_rule(f)) {
			char *rule[] = { (char *)"ip", (char *)f->ipflag,
			    (char *)"rule", (char *)"del", (char *)"fwmark",
			    (char *)FWRULES_TPROXY_MARK, (char *)"lookup",
			    (char *)FWRULES_TPROXY_TABLE, NULL };
			/* Only our route: the table may hold others'. */
			char *route[] = { (char *)"ip", (char *)f->ipflag,
			    (char *)"route", (char *)"del", (char *)"local",
			    (char *)f->localnet, (char *)"dev", (char *)"lo",
			    (char *)"table", (char *)FWRULES_TPROXY_TABLE, NULL };

			if (fwrules_run(rule, NULL, 0, NULL, 0) == 0)
				total++;
			(void)fwrules_run(route, NULL, 0, NULL, 0);
		}
	}
	return ran ? total : -1;
}

void
fwrules_tag_nfq(const struct settings *s, unsigned queue, char *buf,
    size_t len)
{
	size_t i;
	int n;

	n = snprintf(buf, len, FWRULES_TAG_PREFIX "q%u/", queue);
	for (i = 0; i < s->nifaces && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		    s->ifaces[i]);
}

/*
 * NFQUEUE rules for flows forwarded from each interface to the ports:
 * both directions (in on IFACE to a port, out on IFACE from one), since
 * a reset or a rewrite needs both. --queue-bypass: with no reader on the
 * queue (the daemon died) the packets pass instead of being dropped.
 */
int
fwrules_install_nfq(const struct settings *s, unsigned queue, char *err,
    size_t errlen)
{
	char tag[256], qnum[16], port[16];
	size_t i, k, fam;

	fwrules_tag_nfq(s, queue, tag, sizeof(tag));
	fwrules_remove(tag, 0);
	snprintf(qnum, sizeof(qnum), "%u", queue);
	for (fam = 0; fam < nitems(fwrules_families); fam++) {
		const struct fwrules_family *f = &fwrules_families[fam];

		for (i = 0; i < s->nifaces; i++) {
			for (k = 0; k < s->ports.n; k++) {
				const char *in[] = { "-i", s->ifaces[i], "-p",
				    "tcp", "--dport", port, "-m", "comment",
				    "--comment", tag, "-j", "NFQUEUE",
				    "--queue-num", qnum, "--queue-bypass",
				    NULL };
				const char *out[] = { "-o", s->ifaces[i], "-p",
				    "tcp", "--sport", port, "-m", "comment",
				    "--comment", tag, "-j", "NFQUEUE",
				    "--queue-num", qnum, "--queue-bypass",
				    NULL };

				if (s->ports.range[k].lo ==
				    s->ports.range[k].hi)
					snprintf(port, sizeof(port), "%u",
					    s->ports.range[k].lo);
				else
					snprintf(port, sizeof(port), "%u:%u",
					    s->ports.range[k].lo,
					    s->ports.range[k].hi);
				if (fwrules_add_chain(f, "mangle", "FORWARD",
				    in, err, errlen) != 0 ||
				    fwrules_add_chain(f, "mangle", "FORWARD",
				    out, err, errlen) != 0) {
					fwrules_remove(tag, 0);
					return -1;
				}
			}
		}
	}
	return 0;
}
