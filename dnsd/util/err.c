/* SPDX-License-Identifier: BSD-3-Clause
 * err.c - static text for enum dnsd_err; no allocation, any thread. */
#include "util/err.h"

const char *dnsd_strerror(int err)
{
	switch (err) {
	case DNSD_OK: return "success";
	case DNSD_ENOMEM: return "out of memory";
	case DNSD_EINVAL: return "invalid value";
	case DNSD_EPARSE: return "parse error";
	case DNSD_ERANGE: return "value out of range";
	case DNSD_ENOENT: return "not found";
	case DNSD_EEXIST: return "already exists";
	case DNSD_EIO: return "I/O error";
	case DNSD_ETLS: return "TLS error";
	case DNSD_EHTTP: return "HTTP error";
	case DNSD_EAGAIN: return "temporary failure";
	case DNSD_EGONE: return "resource version expired";
	case DNSD_EAUTH: return "authentication failed";
	case DNSD_ENOTSUP: return "not supported";
	case DNSD_EZONE: return "zone data error";
	case DNSD_ELIMIT: return "limit reached";
	}
	return "unknown error";
}
