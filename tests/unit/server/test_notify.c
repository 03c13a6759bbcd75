/* SPDX-License-Identifier: BSD-3-Clause
 * test_notify.c - the NOTIFY sender against a UDP socket on 127.0.0.1 that
 * plays the secondary: the message (opcode, AA, question, SOA with the
 * serial), an answer ending the notification, retransmission with growing
 * intervals until answered, giving up after the last attempt, a newer serial
 * replacing a pending one, TSIG-signed NOTIFY verified by the secondary and
 * an answer with a bad signature not accepted. Waits poll with deadlines. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/tsig.h"
#include "dns/wire.h"
#include "server/notify.h"

static int sec_fd;
static struct notify_target target;
static const uint8_t apex[] = "\6global";
static uint8_t soa[64];
static uint16_t soa_len;

static uint64_t ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void setup(void)
{
	sec_fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(sec_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(sec_fd, (struct sockaddr *)&a, &l);
	memset(&target, 0, sizeof(target));
	memcpy(&target.addr, &a, sizeof(a));
	target.addr_len = sizeof(a);
	/* ns.global. hostmaster.global. 42 3600 600 86400 30 */
	size_t p = 0;
	memcpy(soa + p, "\2ns\6global", 11);
	p += 11;
	memcpy(soa + p, "\12hostmaster\6global", 19);
	p += 19;
	uint32_t f[5] = { 42, 3600, 600, 86400, 30 };
	for (int i = 0; i < 5; i++, p += 4)
		wire_write_u32(soa + p, f[i]);
	soa_len = (uint16_t)p;
}

static void teardown(void) { close(sec_fd); }

/* Receives one NOTIFY within timeout_ms; returns its length (0 = none). */
static size_t recv_notify(uint8_t *buf, size_t cap, struct sockaddr_storage *from, int timeout_ms)
{
	struct pollfd p = { .fd = sec_fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	socklen_t fl = sizeof(*from);
	ssize_t r = recvfrom(sec_fd, buf, cap, 0, (struct sockaddr *)from, &fl);
	return r > 0 ? (size_t)r : 0;
}

/* Answers like a secondary: the question echoed, QR set, NOERROR. */
static void answer(const uint8_t *req, size_t len, const struct sockaddr_storage *to, struct tsig_stream *ts)
{
	uint8_t resp[512];
	size_t qend = WIRE_HEADER_LEN + sizeof(apex) + 4;
	ck_assert_uint_ge(len, qend);
	memcpy(resp, req, qend);
	wire_write_u16(resp + 2, (uint16_t)(wire_read_u16(req + 2) | WIRE_FLAG_QR));
	wire_write_u16(resp + 6, 0);
	wire_write_u16(resp + 10, 0);
	size_t rlen = qend;
	if (ts)
		ck_assert_int_eq(tsig_sign(ts, resp, &rlen, sizeof(resp), (uint64_t)time(NULL), TSIG_OK), 0);
	sendto(sec_fd, resp, rlen, 0, (const struct sockaddr *)to, sizeof(struct sockaddr_in));
}

static bool wait_stat(const _Atomic uint64_t *v, uint64_t want)
{
	uint64_t deadline = ms() + 5000;
	while (ms() < deadline) {
		if (atomic_load(v) == want)
			return true;
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

START_TEST(test_answered)
{
	struct notifier *n = notify_new(3, 2000);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(notify_start(n), 0);
	notify_zone(n, "", apex, 42, soa, soa_len, 30, &target, 1);
	uint8_t buf[1024];
	struct sockaddr_storage from;
	size_t len = recv_notify(buf, sizeof(buf), &from, 5000);
	ck_assert_uint_gt(len, 0);
	uint16_t flags = wire_read_u16(buf + 2);
	ck_assert_uint_eq((flags >> 11) & 0xF, 4); /* opcode NOTIFY */
	ck_assert(flags & WIRE_FLAG_AA);
	ck_assert(!(flags & WIRE_FLAG_QR));
	ck_assert_uint_eq(wire_read_u16(buf + 4), 1);
	ck_assert_uint_eq(wire_read_u16(buf + 6), 1);
	ck_assert_mem_eq(buf + 12, apex, sizeof(apex));
	ck_assert_uint_eq(wire_read_u16(buf + 12 + sizeof(apex)), WIRE_TYPE_SOA);
	/* the SOA in answer carries the serial: the last 20 bytes' first word */
	ck_assert_uint_eq(wire_read_u32(buf + len - 20), 42);
	answer(buf, len, &from, NULL);
	const struct notify_stats *st = notify_get_stats(n);
	ck_assert(wait_stat(&st->answered, 1));
	ck_assert_uint_eq(atomic_load(&st->pending), 0);
	ck_assert_uint_eq(atomic_load(&st->sent), 1);
	ck_assert_uint_eq(atomic_load(&st->retries), 0);
	/* nothing more is sent */
	ck_assert_uint_eq(recv_notify(buf, sizeof(buf), &from, 300), 0);
	notify_free(n);
}
END_TEST

START_TEST(test_retries_then_answered)
{
	struct notifier *n = notify_new(5, 50);
	notify_start(n);
	notify_zone(n, "v1", apex, 42, soa, soa_len, 30, &target, 1);
	uint8_t buf[1024];
	struct sockaddr_storage from;
	uint64_t t[3];
	uint16_t ids[3];
	for (int i = 0; i < 3; i++) {
		size_t len = recv_notify(buf, sizeof(buf), &from, 5000);
		ck_assert_uint_gt(len, 0);
		t[i] = ms();
		ids[i] = wire_read_u16(buf);
		if (i == 2)
			answer(buf, len, &from, NULL);
	}
	ck_assert_uint_eq(ids[0], ids[1]);
	/* back-off: 50 ms, then 100 ms (lower bounds only) */
	ck_assert_uint_ge(t[1] - t[0], 40);
	ck_assert_uint_ge(t[2] - t[1], 90);
	const struct notify_stats *st = notify_get_stats(n);
	ck_assert(wait_stat(&st->answered, 1));
	ck_assert_uint_eq(atomic_load(&st->sent), 3);
	ck_assert_uint_eq(atomic_load(&st->retries), 2);
	ck_assert_uint_eq(atomic_load(&st->failed), 0);
	notify_free(n);
}
END_TEST

START_TEST(test_gives_up)
{
	struct notifier *n = notify_new(3, 20);
	notify_start(n);
	notify_zone(n, "", apex, 42, soa, soa_len, 30, &target, 1);
	const struct notify_stats *st = notify_get_stats(n);
	ck_assert(wait_stat(&st->failed, 1));
	ck_assert_uint_eq(atomic_load(&st->sent), 3);
	ck_assert_uint_eq(atomic_load(&st->answered), 0);
	ck_assert_uint_eq(atomic_load(&st->pending), 0);
	notify_free(n);
}
END_TEST

START_TEST(test_newer_serial_replaces)
{
	struct notifier *n = notify_new(3, 5000);
	/* queued before the thread runs: one notice, the newer serial */
	notify_zone(n, "", apex, 42, soa, soa_len, 30, &target, 1);
	wire_write_u32(soa + soa_len - 20, 43);
	notify_zone(n, "", apex, 43, soa, soa_len, 30, &target, 1);
	ck_assert_uint_eq(atomic_load(&notify_get_stats(n)->pending), 1);
	notify_start(n);
	uint8_t buf[1024];
	struct sockaddr_storage from;
	size_t len = recv_notify(buf, sizeof(buf), &from, 5000);
	ck_assert_uint_eq(wire_read_u32(buf + len - 20), 43);
	ck_assert_uint_eq(recv_notify(buf, sizeof(buf), &from, 300), 0);
	notify_free(n);
}
END_TEST

START_TEST(test_tsig)
{
	struct tsig_key key, wrong;
	ck_assert_int_eq(
		tsig_key_init(&key, "xfr-a", "hmac-sha256", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="),
		0);
	ck_assert_int_eq(
		tsig_key_init(&wrong, "xfr-a", "hmac-sha256", "BQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="),
		0);
	target.key = &key;
	struct notifier *n = notify_new(2, 100);
	notify_start(n);
	notify_zone(n, "", apex, 42, soa, soa_len, 30, &target, 1);
	uint8_t buf[1024];
	struct sockaddr_storage from;
	/* the secondary checks the signature, then answers with the wrong secret */
	size_t len = recv_notify(buf, sizeof(buf), &from, 5000);
	struct tsig_rr rr;
	ck_assert_int_eq(tsig_find(buf, len, &rr), 0);
	struct tsig_stream ts;
	ck_assert_int_eq(tsig_verify_request(&ts, &key, buf, len, &rr, (uint64_t)time(NULL)), TSIG_OK);
	ck_assert_int_eq(tsig_verify_request(&ts, &wrong, buf, len, &rr, (uint64_t)time(NULL)), TSIG_BADSIG);
	ts.key = &wrong;
	answer(buf, len, &from, &ts);
	/* not accepted: the retransmission comes, answered properly this time */
	len = recv_notify(buf, sizeof(buf), &from, 5000);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(tsig_find(buf, len, &rr), 0);
	ck_assert_int_eq(tsig_verify_request(&ts, &key, buf, len, &rr, (uint64_t)time(NULL)), TSIG_OK);
	answer(buf, len, &from, &ts);
	const struct notify_stats *st = notify_get_stats(n);
	ck_assert(wait_stat(&st->answered, 1));
	ck_assert_uint_eq(atomic_load(&st->sent), 2);
	target.key = NULL;
	notify_free(n);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_answered);
	tcase_add_test(tc, test_retries_then_answered);
	tcase_add_test(tc, test_gives_up);
	tcase_add_test(tc, test_newer_serial_replaces);
	tcase_add_test(tc, test_tsig);
	suite_add_tcase(s, tc);
	return s;
}
