/* SPDX-License-Identifier: BSD-3-Clause
 * fuzz_notify.c - the NOTIFY sender's answer matching (server/notify.c
 * notify_answer: header, opcode, ID, source address and port, question,
 * tsig_find + tsig_verify_response) on arbitrary bytes, against a real
 * pending notification: each input queues a NOTIFY for zone global. to a
 * UDP socket the harness holds (it plays the secondary), has the notifier
 * send it, reads it back, and then hands the input to notify_answer as the
 * secondary's answer.
 *
 * Input: byte 0 chooses, bit by bit, 1 the notice is TSIG-signed, 2 the
 * harness signs the answer as a secondary would (tsig_verify_request of the
 * NOTIFY it received, tsig_sign, after dropping a TSIG record the input may
 * already end with), 4 keep the input's ID (otherwise the NOTIFY's ID is
 * written over it), 8 the answer comes from another port, 16 from another
 * address family, 32 the key is hmac-sha512 rather than hmac-sha256. The
 * rest is the answer (the first 1,024 bytes: the notifier's receive buffer).
 *
 * Asserted: an answer that ends a notice matches it (QR, opcode NOTIFY, ID,
 * address and port, one question naming the zone); a signed notice is never
 * ended by an answer the harness did not sign (no forgery from the bytes
 * alone); an unsigned notice is always ended by a matching answer, and a
 * signed one by a matching answer of just the question that the harness
 * signed. The corpus (corpus/notify/) starts from the answers NSD 4.6,
 * Knot 3.2 and BIND 9.18 gave to dnsd's NOTIFY, unsigned and signed. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/tsig.h"
#include "dns/wire.h"
#include "server/notify.h"
#include "util/log.h"

#define ANSWER_MAX 1024 /* NOTIFY_MSG_MAX in notify.c */

static struct notifier *notifier;
static int secondary = -1;
static struct sockaddr_in target;
static struct tsig_key keys[2];
static uint8_t apex[DNAME_MAX_LEN];
static size_t apex_len;
static uint32_t serial;

/* SOA rdata: ns.global. hostmaster.global. 1 3600 600 86400 30 */
static const uint8_t soa[] = { 2,   'n', 's', 6,   'g', 'l', 'o', 'b', 'a', 'l', 0,   10,  'h',
			       'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 6,   'g', 'l', 'o',
			       'b', 'a', 'l', 0,   0,   0,   0,   1,   0,   0,   14,  16,  0,
			       0,   2,   88,  0,   1,   81,  128, 0,   0,   0,   30 };

static void init(void)
{
	static const char *secret = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
	log_set_level(LOG_LEVEL_ERROR);
	notifier = notify_new(3, 1000);
	secondary = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	target = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001) };
	socklen_t len = sizeof(target);
	int l = dname_from_text(apex, "global.");
	if (!notifier || secondary < 0 || bind(secondary, (struct sockaddr *)&target, sizeof(target)) != 0 ||
	    getsockname(secondary, (struct sockaddr *)&target, &len) != 0 || l <= 0 ||
	    tsig_key_init(&keys[0], "notify-a", "hmac-sha256", secret) != 0 ||
	    tsig_key_init(&keys[1], "notify-b", "hmac-sha512", secret) != 0)
		abort();
	apex_len = (size_t)l;
}

/* What notify_answer must hold to end the notice whose NOTIFY had ID id. */
static bool matches(const uint8_t *msg, size_t len, uint16_t id, unsigned mode)
{
	if (len < WIRE_HEADER_LEN + apex_len || (mode & (8 | 16)))
		return false;
	uint16_t flags = wire_read_u16(msg + 2);
	if (wire_read_u16(msg) != id || !(flags & WIRE_FLAG_QR) || ((flags >> 11) & 0xF) != 4 ||
	    wire_read_u16(msg + 4) != 1)
		return false;
	for (size_t i = 0; i < apex_len; i++) {
		uint8_t c = msg[WIRE_HEADER_LEN + i];
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != apex[i])
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!notifier)
		init();
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	const struct tsig_key *key = (mode & 1) ? &keys[(mode >> 5) & 1] : NULL;
	struct notify_target t = { .addr_len = sizeof(target), .key = key };
	memcpy(&t.addr, &target, sizeof(target));
	notify_zone(notifier, "", apex, ++serial, soa, sizeof(soa), 30, &t, 1);
	if (notify_send_due(notifier) < 0) /* sent now, so a retry is due later */
		abort();
	uint8_t req[ANSWER_MAX];
	ssize_t r = recv(secondary, req, sizeof(req), 0);
	if (r < (ssize_t)WIRE_HEADER_LEN)
		abort(); /* loopback delivers within sendto */
	uint16_t id = wire_read_u16(req);

	uint8_t msg[ANSWER_MAX];
	size_t len = size - 1 > ANSWER_MAX ? ANSWER_MAX : size - 1;
	memcpy(msg, data + 1, len);
	if (!(mode & 4) && len >= 2)
		wire_write_u16(msg, id);
	bool is_signed = false, is_bare = false;
	if (key && (mode & 2) && len >= WIRE_HEADER_LEN) {
		struct tsig_rr rr;
		if (tsig_find(msg, len, &rr) == 0) {
			len = rr.offset;
			wire_write_u16(msg + 10, (uint16_t)(wire_read_u16(msg + 10) - 1));
		}
		is_bare = len == WIRE_HEADER_LEN + apex_len + 4 && wire_read_u16(msg + 6) == 0 &&
			  wire_read_u16(msg + 8) == 0 && wire_read_u16(msg + 10) == 0;
		struct tsig_stream st;
		if (tsig_find(req, (size_t)r, &rr) != 0 ||
		    tsig_verify_request(&st, key, req, (size_t)r, &rr, (uint64_t)time(NULL)) != TSIG_OK)
			abort(); /* what dnsd sent must verify at a secondary */
		is_signed = tsig_sign(&st, msg, &len, sizeof(msg), (uint64_t)time(NULL), TSIG_OK) == 0;
	}
	bool is_match = matches(msg, len, id, mode);

	struct sockaddr_storage from;
	memcpy(&from, &target, sizeof(target));
	if (mode & 8)
		((struct sockaddr_in *)&from)->sin_port = htons((uint16_t)(ntohs(target.sin_port) + 1));
	if (mode & 16) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&from;
		*a6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
					     .sin6_port = target.sin_port,
					     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	}
	bool is_ended = notify_answer(notifier, msg, len, &from);
	if (is_ended && !is_match)
		abort(); /* ended by an answer to something else */
	if (is_ended && key && !is_signed)
		abort(); /* a forged answer ended a signed notice */
	if (!is_ended && is_match && (!key || (is_signed && is_bare)))
		abort(); /* the right answer was not taken */
	return 0;
}
