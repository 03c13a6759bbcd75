/* SPDX-License-Identifier: BSD-3-Clause
 * err.h - the one error vocabulary of dnsd. Functions that can fail return 0
 * or a negative enum dnsd_err; dnsd_strerror() turns it into text. */
#ifndef DNSD_ERR_H
#define DNSD_ERR_H

enum dnsd_err {
	DNSD_OK = 0,
	DNSD_ENOMEM = -1,   /* allocation failed */
	DNSD_EINVAL = -2,   /* bad argument or value */
	DNSD_EPARSE = -3,   /* malformed input (config, JSON, zone file, packet) */
	DNSD_ERANGE = -4,   /* value out of range, or too large */
	DNSD_ENOENT = -5,   /* no such name, key or file */
	DNSD_EEXIST = -6,   /* already present */
	DNSD_EIO = -7,      /* I/O or system call failed; errno has details */
	DNSD_ETLS = -8,     /* TLS handshake or verification failed */
	DNSD_EHTTP = -9,    /* unexpected HTTP status or framing */
	DNSD_EAGAIN = -10,  /* try again later (back off) */
	DNSD_EGONE = -11,   /* resource version too old: relist (HTTP 410) */
	DNSD_EAUTH = -12,   /* authentication failed (HTTP 401) */
	DNSD_ENOTSUP = -13, /* feature not supported */
	DNSD_EZONE = -14,   /* zone content violates a rule (CNAME and other data, no SOA) */
	DNSD_ELIMIT = -15,  /* a configured limit was reached */
};

/* Static text for an error code; never NULL. */
const char *dnsd_strerror(int err);

#endif
