/* Interception engines; see intercept.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "intercept.h"

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>,
 * which do not mix well with glibc's headers. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST		80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT		19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT	75
#endif

const char *
intercept_mode_name(enum intercept_mode m)
{
	return m == INTERCEPT_TPROXY ? "tproxy" : "redirect";
}

static int
intercept_transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one,
		    sizeof(one));
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

int
intercept_listen(enum intercept_mode mode, const struct sockaddr *sa,
    socklen_t salen, int v6only)
{
	int fd, one = 1, e;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		goto fail;
	if (mode == INTERCEPT_TPROXY &&
	    intercept_transparent(fd, sa->sa_family) == -1)
		goto fail;
	if (bind(fd, sa, salen) == -1 || listen(fd, 1024) == -1)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
intercept_orig_dst(enum intercept_mode mode, int fd,
    struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);

	memset(ss, 0, sizeof(*ss));
	if (mode == INTERCEPT_TPROXY) {
		if (getsockname(fd, (struct sockaddr *)ss, &len) == -1)
			return -1;
		addr_unmap(ss);
		return 0;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1)
		return -1;
	if (local.ss_family == AF_INET6)
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, ss, &len);
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, ss, &len);
}

int
intercept_upstream_socket(enum intercept_mode mode, int family,
    const struct sockaddr *client, uint32_t mark)
{
	int fd, one = 1, e;
	struct sockaddr_storage ss;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1)
		goto fail;
	/* Small WebSocket messages must not wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (mode == INTERCEPT_TPROXY) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, client, addr_len(client));
		addr_unmap(&ss);
		if (ss.ss_family != family) {
			errno = EAFNOSUPPORT;
			goto fail;
		}
		/* Port 0: the client's port may still be in TIME_WAIT here. */
		if (family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		if (intercept_transparent(fd, family) == -1 ||
		    bind(fd, (struct sockaddr *)&ss,
		    addr_len((struct sockaddr *)&ss)) == -1)
			goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
