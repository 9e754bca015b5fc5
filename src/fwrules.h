/*
 * The capture rules proxysimd installs with --redirect: iptables rules
 * (REDIRECT/DNAT in nat, or TPROXY in mangle with its policy routing)
 * tagged with a comment that names this instance, so that removal takes
 * exactly ours and never another instance's. Runs iptables, ip6tables
 * and ip as child processes.
 */
#ifndef PROXYSIM_FWRULES_H
#define PROXYSIM_FWRULES_H

#include <stddef.h>

#include "settings.h"

#define FWRULES_TAG_PREFIX	"proxysim/"
/*
 * The whole mark, not a bit of it: a bit would also match upstream
 * packets whose SO_MARK (--mark) happens to have it set, and route them
 * back into the local stack.
 */
#define FWRULES_TPROXY_MARK	"0x1"
#define FWRULES_TPROXY_TABLE	"100"

/* "proxysim/PORT/IF1,IF2": the comment every rule of this instance has. */
void	fwrules_tag(const struct settings *, char *, size_t) NONNULL(1, 2);
/* Installs; on failure removes what it added. 0, or -1 with err. */
int	fwrules_install(const struct settings *, char *err, size_t errlen)
	    NONNULL(1, 2) WUNRES;
/* NFQUEUE mode: "proxysim/qNUM/IF1,IF2", and the mangle FORWARD rules
 * that queue forwarded flows to and from the ports. */
void	fwrules_tag_nfq(const struct settings *, unsigned queue, char *,
	    size_t) NONNULL(1, 3);
int	fwrules_install_nfq(const struct settings *, unsigned queue,
	    char *err, size_t errlen) NONNULL(1, 3) WUNRES;
/* Removes the rules tagged `tag`, or every proxysim rule if tag is NULL.
 * Returns the number removed, or -1 if iptables could not be run. */
int	fwrules_remove(const char *tag, int tproxy_routing);

#endif
