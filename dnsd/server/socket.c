/* SPDX-License-Identifier: BSD-3-Clause
 * socket.c - the listening sockets: SO_REUSEPORT so that every worker binds
 * each address, packet info on wildcard UDP sockets, buffer sizes. Opens
 * and binds, nothing more: udp.c and tcp.c serve them. */
#include "server/server_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TCP_BACKLOG 1024

bool socket_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

bool socket_same_address(const struct sockaddr *a, const struct sockaddr *b, bool is_port_too)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a,
					 *y = (const struct sockaddr_in *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!is_port_too || x->sin_port == y->sin_port);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
					  *y = (const struct sockaddr_in6 *)b;
		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       (!is_port_too || x->sin6_port == y->sin6_port);
	}
	return false;
}

int socket_open(const struct config_addr *a, int type, char *err, size_t errlen)
{
	/* UDP sockets block: their threads wait in recvmmsg() */
	int fd = socket(a->ss.ss_family, type | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0) | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, "%s: SO_REUSEPORT: %s", a->text, strerror(errno));
		goto fail;
	}
	if (a->ss.ss_family == AF_INET6) {
		/* ":53" means every address of both families; "[::]:53" and
		 * specific addresses stay IPv6-only so an IPv4 listener can coexist */
		int v6only = a->text[0] == ':' ? 0 : 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (type == SOCK_DGRAM) {
		if (socket_is_wildcard(&a->ss) && a->ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else if (socket_is_wildcard(&a->ss))
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		int size = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		/* stopping wakes the thread with shutdown(); this bounds the wait if not */
		struct timeval tv = { 5, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) != 0) {
		snprintf(err, errlen, "%s: bind %s: %s", a->text, type == SOCK_DGRAM ? "UDP" : "TCP",
			 strerror(errno));
		goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0) {
		snprintf(err, errlen, "%s: listen: %s", a->text, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
