/*
 * Socket address helpers: parsing of "[ADDR:]PORT" and port lists, and
 * "ip:port" formatting ("[v6]:port" for IPv6). Pure code.
 */
#ifndef PROXYSIM_ADDR_H
#define PROXYSIM_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

#define ADDR_STRLEN	64	/* "[" INET6_ADDRSTRLEN "]:65535" and NUL */
#define ADDR_MAXPORTS	64

struct portlist {
	size_t		n;
	struct {
		uint16_t lo, hi;
	}		range[ADDR_MAXPORTS];
};

/*
 * "PORT", "ADDR:PORT", "[V6ADDR]:PORT". Without an address, the result
 * is the IPv6 wildcard (dual-stack). Returns 0, or -1 with *err set.
 */
int	addr_parse_listen(const char *, uint16_t defport,
	    struct sockaddr_storage *, socklen_t *, const char **err)
	    NONNULL(1, 3, 4, 5) WUNRES;
int	addr_parse_ip(const char *, uint16_t port, struct sockaddr_storage *,
	    socklen_t *) NONNULL(1, 3, 4) WUNRES;
/* "80,443,8000-8010". Returns 0, or -1 with *err set. */
int	addr_parse_ports(const char *, struct portlist *, const char **err)
	    NONNULL(1, 2, 3) WUNRES;
int	addr_port_in(const struct portlist *, uint16_t) NONNULL(1);
/* Writes "ip:port"; v4-mapped v6 addresses print as v4. */
char   *addr_format(const struct sockaddr *, char *, size_t) NONNULL(1, 2);
uint16_t addr_port(const struct sockaddr *) NONNULL(1);
socklen_t addr_len(const struct sockaddr *) NONNULL(1);
/* Turns a v4-mapped IPv6 address into plain IPv4, in place. */
void	addr_unmap(struct sockaddr_storage *) NONNULL(1);

#endif
