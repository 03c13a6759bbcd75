/* SPDX-License-Identifier: BSD-3-Clause
 * test_config.c - the YAML loader: defaults, every value type, the exact
 * file:line:column of each error, path resolution, cross-references and
 * robustness against truncated and corrupted files. Runs from the repo root
 * (make unit); scratch files go to a fresh temp dir per test. */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "util/err.h"

#define DATA "tests/data/conf/"

static char tmpdir[64];
static char yaml_path[128];
static struct config *cfg;
static char err[512];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dnsd-test-config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(yaml_path, sizeof(yaml_path), "%s/t.yaml", tmpdir);
	cfg = NULL;
	err[0] = '\0';
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	config_free(cfg);
	cfg = NULL;
	nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes text to <tmpdir>/t.yaml and loads it through config_load(). */
static int load_text(const char *text)
{
	write_file(yaml_path, text);
	config_free(cfg);
	cfg = NULL;
	return config_load(yaml_path, &cfg, err, sizeof(err));
}

static void load_ok(const char *text)
{
	int rc = load_text(text);
	ck_assert_msg(rc == 0, "load failed (%d): %s\n---\n%s", rc, err, text);
	ck_assert_ptr_nonnull(cfg);
}

/* The error contract: the code, no config, "FILE:LINE:COLUMN: " exactly, and
 * the key (or value) named somewhere after it. */
static void assert_error(int rc, int want_rc, const char *file, int line, int column, const char *needle)
{
	char prefix[256];
	snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", file, line, column);
	ck_assert_msg(rc == want_rc, "rc %d, want %d: %s", rc, want_rc, err);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "want prefix '%s', got '%s'", prefix, err);
	ck_assert_msg(strstr(err + strlen(prefix), needle) != NULL, "'%s' not in '%s'", needle, err);
}

static void load_error(const char *text, int want_rc, int line, int column, const char *needle)
{
	int rc = load_text(text);
	assert_error(rc, want_rc, yaml_path, line, column, needle);
}

static uint16_t addr_port(const struct config_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/* ---- defaults ---- */

START_TEST(test_defaults_top_level)
{
	load_ok("chaos: false\n");
	ck_assert_str_eq(cfg->path, yaml_path);
	ck_assert_uint_eq(cfg->listen_count, 1);
	ck_assert_str_eq(cfg->listen[0].text, "127.0.0.1:5353");
	ck_assert_int_eq(cfg->listen[0].ss.ss_family, AF_INET);
	ck_assert_uint_eq(cfg->listen[0].sslen, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(addr_port(&cfg->listen[0]), 5353);
	ck_assert_uint_eq(cfg->workers, 0);
	ck_assert_uint_eq(cfg->udp_payload_max, 1232);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 1024);
	ck_assert_uint_eq(cfg->zones_count, 0);
	ck_assert_uint_eq(cfg->kubernetes_count, 0);
	ck_assert_uint_eq(cfg->views_count, 0);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(!cfg->log_queries);
	/* no listener the operator did not name */
	ck_assert_str_eq(cfg->metrics_listen, "");
	ck_assert_str_eq(cfg->health_listen, "");
	ck_assert(!cfg->chaos_enabled);
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->pid_file);
	ck_assert_uint_eq(cfg->lameduck_ms, 5000);
	ck_assert(cfg->is_reload_on_change);
	/* identity is off by default: nothing tells an outsider which replica answered */
	ck_assert_str_eq(cfg->identity, "");
	ck_assert(!cfg->is_nsid_enabled);
	ck_assert(!cfg->is_id_server_enabled);
	/* rate limiting is off: a mesh's queries come from a few forwarders */
	ck_assert_uint_eq(cfg->rrl_responses_per_second, 0);
	ck_assert_uint_eq(cfg->rrl_slip, 2);
	ck_assert_uint_eq(cfg->rrl_ipv4_prefix_length, 24);
	ck_assert_uint_eq(cfg->rrl_ipv6_prefix_length, 56);
	ck_assert_uint_eq(cfg->rrl_table_size, 65536);
	ck_assert(!cfg->rrl_is_log_only);
	ck_assert_uint_eq(cfg->rrl_exempt_count, 0);
	ck_assert_uint_eq(cfg->tcp_in_flight_max, 100663296);
}
END_TEST

START_TEST(test_defaults_nested_map_partial)
{
	/* Setting one key of a nested map keeps the defaults of the others. */
	load_ok("tcp: {max-connections: 5}\nlog: {queries: true}\n");
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 5);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(cfg->log_queries);
}
END_TEST

START_TEST(test_defaults_list_elements)
{
	load_ok("zones:\n  - name: global\n  - name: other\n"
		"kubernetes:\n  - name: k\n    in-cluster: true\n"
		"views:\n  - name: v\n");
	ck_assert_uint_eq(cfg->zones_count, 2);
	ck_assert_str_eq(cfg->zones[0].name, "global");
	ck_assert_ptr_null(cfg->zones[0].file);
	ck_assert_uint_eq(cfg->zones[0].ttl_s, 30);
	ck_assert_uint_eq(cfg->zones[0].kubernetes_count, 0);
	ck_assert_int_eq(cfg->zones[0].line, 2);
	ck_assert_int_eq(cfg->zones[1].line, 3);

	const struct config_kubernetes *k = &cfg->kubernetes[0];
	ck_assert_str_eq(k->name, "k");
	ck_assert_ptr_null(k->kubeconfig);
	ck_assert(k->is_in_cluster);
	ck_assert_ptr_null(k->context);
	ck_assert_uint_eq(k->namespaces_count, 0);
	ck_assert_ptr_null(k->api_version);
	ck_assert_int_eq(k->line, 5);

	const struct config_view *v = &cfg->views[0];
	ck_assert_str_eq(v->name, "v");
	ck_assert_uint_eq(v->match_clients_count, 0);
	ck_assert_uint_eq(v->match_destinations_count, 0);
	ck_assert_uint_eq(v->kubernetes_count, 0);
	/* No zones: key = every zone, in declaration order. */
	ck_assert_uint_eq(v->zones_count, 2);
	ck_assert_str_eq(v->zones[0], "global");
	ck_assert_str_eq(v->zones[1], "other");
	ck_assert_int_eq(v->line, 8);
}
END_TEST

START_TEST(test_defaults_empty_strings_are_null)
{
	load_ok("user: \"\"\npid-file: ~\nmetrics: {listen: \"\"}\nhealth: {listen: }\n"
		"kubernetes:\n  - name: k\n    kubeconfig: \"\"\n    in-cluster: true\n"
		"    context: \"\"\n    api-version: \"\"\n");
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->pid_file);
	/* metrics/health keep "" (never NULL): "" is how they say off. */
	ck_assert_str_eq(cfg->metrics_listen, "");
	ck_assert_str_eq(cfg->health_listen, "");
	ck_assert_ptr_null(cfg->kubernetes[0].kubeconfig);
	ck_assert_ptr_null(cfg->kubernetes[0].context);
	ck_assert_ptr_null(cfg->kubernetes[0].api_version);
}
END_TEST

/* ---- good files ---- */

START_TEST(test_file_full)
{
	int rc = config_load(DATA "full.yaml", &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(cfg->path, DATA "full.yaml");
	ck_assert_uint_eq(cfg->listen_count, 3);
	ck_assert_str_eq(cfg->listen[1].text, "[::1]:5353");
	ck_assert_int_eq(cfg->listen[1].ss.ss_family, AF_INET6);
	ck_assert_str_eq(cfg->listen[2].text, ":53");
	ck_assert_uint_eq(cfg->workers, 4);
	ck_assert_uint_eq(cfg->udp_payload_max, 4096);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 2000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 64);
	ck_assert_uint_eq(cfg->tcp_in_flight_max, 1048576);
	ck_assert_uint_eq(cfg->rrl_responses_per_second, 50);
	ck_assert_uint_eq(cfg->rrl_errors_per_second, 5);
	ck_assert_uint_eq(cfg->rrl_nxdomains_per_second, 10);
	ck_assert_uint_eq(cfg->rrl_slip, 0);
	ck_assert_uint_eq(cfg->rrl_ipv4_prefix_length, 32);
	ck_assert_uint_eq(cfg->rrl_ipv6_prefix_length, 64);
	ck_assert_uint_eq(cfg->rrl_table_size, 4096);
	ck_assert(cfg->rrl_is_log_only);
	ck_assert_uint_eq(cfg->rrl_exempt_count, 2);
	ck_assert(cfg->rrl_exempt[0].is_negated && !cfg->rrl_exempt[1].is_negated);

	ck_assert_uint_eq(cfg->zones_count, 2);
	ck_assert_str_eq(cfg->zones[0].name, "global");
	ck_assert_str_eq(cfg->zones[0].file, DATA "../../zones/global.zone");
	ck_assert_uint_eq(cfg->zones[0].ttl_s, 60);
	ck_assert_uint_eq(cfg->zones[0].kubernetes_count, 2);
	ck_assert_str_eq(cfg->zones[0].kubernetes[1], "mesh-2");
	ck_assert_str_eq(cfg->zones[1].name, "example.org");
	ck_assert_str_eq(cfg->zones[1].file, "/var/lib/dnsd/example.org.zone");
	ck_assert_uint_eq(cfg->zones[1].ttl_s, 0);

	ck_assert_uint_eq(cfg->kubernetes_count, 2);
	const struct config_kubernetes *k = &cfg->kubernetes[0];
	ck_assert_str_eq(k->kubeconfig, DATA "kube/mesh-1.kubeconfig");
	ck_assert(!k->is_in_cluster);
	ck_assert_str_eq(k->context, "mesh-1-admin");
	ck_assert_uint_eq(k->namespaces_count, 2);
	ck_assert_str_eq(k->namespaces[0], "istio-system");
	ck_assert_str_eq(k->api_version, "v1beta1");
	ck_assert(cfg->kubernetes[1].is_in_cluster);

	ck_assert_uint_eq(cfg->views_count, 2);
	const struct config_view *v = &cfg->views[0];
	ck_assert_uint_eq(v->match_clients_count, 4);
	ck_assert(!v->match_clients[0].is_negated);
	ck_assert(v->match_clients[1].is_negated);
	ck_assert_int_eq(v->match_clients[2].family, AF_INET6);
	ck_assert_uint_eq(v->match_clients[2].len, 8);
	ck_assert_uint_eq(v->match_clients[3].len, 32);
	ck_assert_uint_eq(v->match_destinations_count, 2);
	ck_assert_uint_eq(v->zones_count, 1);
	ck_assert_str_eq(v->zones[0], "global");
	ck_assert_uint_eq(v->kubernetes_count, 1);
	ck_assert_int_eq(cfg->views[1].match_clients[0].family, 0);

	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert(cfg->log_queries);
	ck_assert_str_eq(cfg->metrics_listen, "");
	ck_assert_str_eq(cfg->health_listen, "127.0.0.1:8081");
	ck_assert(cfg->chaos_enabled);
	ck_assert_str_eq(cfg->user, "dnsd");
	ck_assert_str_eq(cfg->pid_file, DATA "run/dnsd.pid");
}
END_TEST

START_TEST(test_file_sample_conf)
{
	int rc = config_load("conf/dnsd.yaml", &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(cfg->listen_count, 3);
	ck_assert_str_eq(cfg->listen[0].text, "127.0.0.1:5353");
	ck_assert_str_eq(cfg->listen[1].text, "127.0.0.2:5353");
	ck_assert_str_eq(cfg->listen[2].text, "[::1]:5353");
	ck_assert_uint_eq(cfg->workers, 0);
	ck_assert_uint_eq(cfg->zones_count, 1);
	ck_assert_str_eq(cfg->zones[0].name, "global");
	ck_assert_str_eq(cfg->zones[0].file, "conf/../zones/global.zone");
	ck_assert_uint_eq(cfg->zones[0].ttl_s, 30);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(cfg->metrics_listen, "127.0.0.1:9153");
	ck_assert_str_eq(cfg->health_listen, "127.0.0.1:8080");
	ck_assert(cfg->chaos_enabled);
}
END_TEST

START_TEST(test_file_not_found)
{
	int rc = config_load(DATA "no-such-file.yaml", &cfg, err, sizeof(err));
	ck_assert_int_eq(rc, DNSD_ENOENT);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err, DATA "no-such-file.yaml: cannot open: No such file or directory");
}
END_TEST

START_TEST(test_file_is_directory)
{
	/* refused at once by file.h, naming the path and the kind */
	int rc = config_load(tmpdir, &cfg, err, sizeof(err));
	ck_assert_int_eq(rc, DNSD_EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strncmp(err, tmpdir, strlen(tmpdir)) == 0, "%s", err);
	ck_assert_msg(strstr(err, ": not a regular file (a directory)") != NULL, "%s", err);
	rc = config_load("/dev/zero", &cfg, err, sizeof(err));
	ck_assert_int_eq(rc, DNSD_EINVAL);
	ck_assert_str_eq(err, "/dev/zero: not a regular file (a character device)");
}
END_TEST

START_TEST(test_relative_paths)
{
	char path[256], want[256];
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/dnsd.yaml", tmpdir);
	write_file(path, "zones:\n  - name: a\n    file: a.zone\n  - name: b\n    file: /abs/b.zone\n"
			 "  - name: c\n    file: ../c.zone\n"
			 "kubernetes:\n  - name: k\n    kubeconfig: kube/k.conf\n"
			 "pid-file: dnsd.pid\n");
	int rc = config_load(path, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	snprintf(want, sizeof(want), "%s/sub/a.zone", tmpdir);
	ck_assert_str_eq(cfg->zones[0].file, want);
	ck_assert_str_eq(cfg->zones[1].file, "/abs/b.zone");
	snprintf(want, sizeof(want), "%s/sub/../c.zone", tmpdir);
	ck_assert_str_eq(cfg->zones[2].file, want);
	snprintf(want, sizeof(want), "%s/sub/kube/k.conf", tmpdir);
	ck_assert_str_eq(cfg->kubernetes[0].kubeconfig, want);
	snprintf(want, sizeof(want), "%s/sub/dnsd.pid", tmpdir);
	ck_assert_str_eq(cfg->pid_file, want);
}
END_TEST

START_TEST(test_relative_paths_bare_name)
{
	/* A config named without a directory is in the working directory, so
	 * its relative paths are kept as written. */
	static const char text[] = "zones:\n  - name: a\n    file: a.zone\n";
	int rc = config_load_buffer("dnsd.yaml", text, sizeof(text) - 1, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(cfg->zones[0].file, "a.zone");
	config_free(cfg);
	cfg = NULL;
	rc = config_load_buffer("/dnsd.yaml", text, sizeof(text) - 1, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(cfg->zones[0].file, "/a.zone");
}
END_TEST

/* ---- types: good values ---- */

START_TEST(test_bool_spellings)
{
	static const char *const yes[] = { "true", "yes", "on", "True", "YES", "On" };
	static const char *const no[] = { "false", "no", "off", "False", "NO", "Off" };
	char text[64];
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "chaos: %s\nlog: {queries: %s}\n", yes[i], no[i]);
		load_ok(text);
		ck_assert_msg(cfg->chaos_enabled, "%s", yes[i]);
		ck_assert_msg(!cfg->log_queries, "%s", no[i]);
	}
}
END_TEST

START_TEST(test_uint_bounds)
{
	load_ok("workers: 256\nudp-payload-max: 512\ntcp: {idle-timeout-ms: 100, "
		"max-connections: 1000000}\nzones: [{name: a, ttl: 604800}]\n");
	ck_assert_uint_eq(cfg->workers, 256);
	ck_assert_uint_eq(cfg->udp_payload_max, 512);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 100);
	ck_assert_uint_eq(cfg->tcp_max_connections, 1000000);
	ck_assert_uint_eq(cfg->zones[0].ttl_s, 604800);
	load_ok("udp-payload-max: \"4096\"\ntcp: {idle-timeout-ms: 3600000, max-connections: 1}\n");
	ck_assert_uint_eq(cfg->udp_payload_max, 4096);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 3600000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 1);
}
END_TEST

START_TEST(test_udp_io)
{
	load_ok("workers: 1\n");
	ck_assert_int_eq(cfg->udp_io, CONFIG_UDP_IO_AUTO);
	load_ok("udp-io: recvmmsg\n");
	ck_assert_int_eq(cfg->udp_io, CONFIG_UDP_IO_RECVMMSG);
	load_ok("udp-io: io-uring\n");
	ck_assert_int_eq(cfg->udp_io, CONFIG_UDP_IO_IO_URING);
	load_error("udp-io: epoll\n", DNSD_EINVAL, 1, 9, "udp-io");
}
END_TEST

START_TEST(test_udp_batch_wait)
{
	load_ok("workers: 1\n");
	ck_assert_uint_eq(cfg->udp_batch_wait_us, 0); /* off by default since stop 14 */
	load_ok("udp-batch-wait-us: 0\n");
	ck_assert_uint_eq(cfg->udp_batch_wait_us, 0);
	load_ok("udp-batch-wait-us: 200\n");
	ck_assert_uint_eq(cfg->udp_batch_wait_us, 200);
	/* tens of microseconds, never a wait a lone query would notice */
	load_error("udp-batch-wait-us: 201\n", DNSD_ERANGE, 1, 20,
		   "udp-batch-wait-us: 201 is out of range 0..200");
}
END_TEST

START_TEST(test_addresses)
{
	load_ok("listen: [\"192.0.2.1:1\", \"[2001:db8::1]:65535\", \":53\", '[::]:5353']\n"
		"metrics: {listen: \":9153\"}\nhealth: {listen: \"[::1]:8080\"}\n");
	ck_assert_uint_eq(cfg->listen_count, 4);
	ck_assert_int_eq(cfg->listen[0].ss.ss_family, AF_INET);
	ck_assert_uint_eq(addr_port(&cfg->listen[0]), 1);
	ck_assert_int_eq(cfg->listen[1].ss.ss_family, AF_INET6);
	ck_assert_uint_eq(cfg->listen[1].sslen, sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(addr_port(&cfg->listen[1]), 65535);
	/* ":53" is the IPv6 wildcard, which takes IPv4 too with V6ONLY off. */
	const struct sockaddr_in6 *any = (const struct sockaddr_in6 *)&cfg->listen[2].ss;
	ck_assert_int_eq(any->sin6_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&any->sin6_addr));
	ck_assert_uint_eq(addr_port(&cfg->listen[2]), 53);
	ck_assert_str_eq(cfg->listen[2].text, ":53");
	ck_assert_str_eq(cfg->metrics_listen, ":9153");
	ck_assert_str_eq(cfg->health_listen, "[::1]:8080");
}
END_TEST

START_TEST(test_prefixes)
{
	load_ok("views:\n  - name: v\n    match-clients: [10.1.0.0/16, \"!10.1.9.0/24\", any,"
		" \"!any\", 192.0.2.7, \"2001:db8::/32\", \"::1\", 0.0.0.0/0, \"::/0\"]\n");
	const struct config_prefix *p = cfg->views[0].match_clients;
	ck_assert_uint_eq(cfg->views[0].match_clients_count, 9);
	static const uint8_t net[] = { 10, 1, 0, 0 };
	ck_assert_int_eq(p[0].family, AF_INET);
	ck_assert_mem_eq(p[0].addr, net, 4);
	ck_assert_uint_eq(p[0].len, 16);
	ck_assert(!p[0].is_negated);
	ck_assert(p[1].is_negated);
	ck_assert_uint_eq(p[1].len, 24);
	ck_assert_int_eq(p[2].family, 0);
	ck_assert(!p[2].is_negated);
	ck_assert_int_eq(p[3].family, 0);
	ck_assert(p[3].is_negated);
	ck_assert_uint_eq(p[4].len, 32);
	ck_assert_int_eq(p[5].family, AF_INET6);
	ck_assert_uint_eq(p[5].len, 32);
	ck_assert_uint_eq(p[6].len, 128);
	ck_assert_uint_eq(p[7].len, 0);
	ck_assert_uint_eq(p[8].len, 0);
}
END_TEST

/* PROXY v2 allowlist and the last-known-state keys (README "Behind a load
 * balancer", "Last known state") */
START_TEST(test_proxy_protocol_and_state)
{
	load_ok("chaos: false\n");
	ck_assert_uint_eq(cfg->proxy_protocol_count, 0);
	ck_assert_ptr_null(cfg->state_dir);
	ck_assert_uint_eq(cfg->stale_start_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->state_write_interval_ms, 2000);
	load_ok("proxy-protocol: [10.0.0.5, \"!10.0.0.6\", 192.0.2.0/28, \"fd00::/8\"]\n"
		"state-dir: state\nstale-start-timeout-ms: 0\nstate-write-interval-ms: 100\n");
	ck_assert_uint_eq(cfg->proxy_protocol_count, 4);
	ck_assert_uint_eq(cfg->proxy_protocol[0].len, 32);
	ck_assert(cfg->proxy_protocol[1].is_negated);
	ck_assert_uint_eq(cfg->proxy_protocol[2].len, 28);
	ck_assert_int_eq(cfg->proxy_protocol[3].family, AF_INET6);
	/* relative to the config file's folder, like zone files */
	ck_assert_ptr_nonnull(strstr(cfg->state_dir, "/state"));
	ck_assert_int_eq(cfg->state_dir[0], '/');
	ck_assert_uint_eq(cfg->stale_start_timeout_ms, 0);
	ck_assert_uint_eq(cfg->state_write_interval_ms, 100);
	load_error("proxy-protocol: [10.0.0.5/24]\n", DNSD_EINVAL, 1, 18, "proxy-protocol[0]");
	load_error("state-write-interval-ms: 10\n", DNSD_ERANGE, 1, 26, "out of range 100..600000");
	load_error("stale-start-timeout-ms: -1\n", DNSD_EINVAL, 1, 25, "stale-start-timeout-ms");
}
END_TEST

START_TEST(test_strings_and_lists)
{
	load_ok("user: nobody\nlog: {level: WARN}\n"
		"zones:\n  - name: Mesh.Global.\n"
		"kubernetes:\n  - name: k\n    in-cluster: true\n    namespaces: [a, \"b\", 'c']\n"
		"    api-version: v1alpha3\n    context: \"ctx\"\n"
		"views:\n  - name: v\n    zones: [MESH.global.]\n    kubernetes: [k]\n"
		"  - name: empty\n    zones: []\n");
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_WARN);
	ck_assert_str_eq(cfg->zones[0].name, "mesh.global");
	ck_assert_uint_eq(cfg->kubernetes[0].namespaces_count, 3);
	ck_assert_str_eq(cfg->kubernetes[0].namespaces[2], "c");
	ck_assert_str_eq(cfg->kubernetes[0].api_version, "v1alpha3");
	ck_assert_str_eq(cfg->kubernetes[0].context, "ctx");
	ck_assert_str_eq(cfg->views[0].zones[0], "mesh.global");
	ck_assert_str_eq(cfg->views[0].kubernetes[0], "k");
	/* An explicit empty list is kept: that view serves no zone. */
	ck_assert_uint_eq(cfg->views[1].zones_count, 0);
}
END_TEST

/* Split horizon with static data: one zone name, one entry (file) per view. */
START_TEST(test_zone_per_view)
{
	load_ok("zones:\n"
		"  - {name: global, file: m1.zone, views: [mesh-1]}\n"
		"  - {name: global, file: m2.zone, views: [mesh-2, default]}\n"
		"  - {name: example}\n"
		"views:\n"
		"  - {name: mesh-1, match-clients: [127.0.0.11]}\n"
		"  - {name: mesh-2, match-clients: [127.0.0.12], zones: [global]}\n"
		"  - {name: default}\n"
		"  - {name: none, zones: []}\n");
	ck_assert_uint_eq(cfg->zones_count, 3);
	ck_assert_uint_eq(cfg->zones[0].views_count, 1);
	ck_assert_str_eq(cfg->zones[1].views[1], "default");
	ck_assert_uint_eq(cfg->zones[2].views_count, 0);
	ck_assert(config_zone_in_view(&cfg->zones[0], "mesh-1"));
	ck_assert(!config_zone_in_view(&cfg->zones[0], "mesh-2"));
	ck_assert(config_zone_in_view(&cfg->zones[2], "mesh-2"));
	/* an absent zones: key lists each name once */
	ck_assert_uint_eq(cfg->views[0].zones_count, 2);
	ck_assert_str_eq(cfg->views[0].zones[0], "global");
	ck_assert_str_eq(cfg->views[0].zones[1], "example");
	ck_assert_uint_eq(cfg->views[1].zones_count, 1);
	ck_assert_uint_eq(cfg->views[2].zones_count, 2);
	ck_assert_uint_eq(cfg->views[3].zones_count, 0);
}
END_TEST

START_TEST(test_flow_style_and_comments)
{
	load_ok("{listen: ['127.0.0.1:53'], # trailing comment\n workers: 2, zones: [{name: g}]}\n");
	ck_assert_uint_eq(cfg->workers, 2);
	ck_assert_str_eq(cfg->zones[0].name, "g");
}
END_TEST

/* ---- errors: FILE:LINE:COLUMN and the key named ---- */

struct error_case {
	const char *yaml;
	int rc;
	int line, column;
	const char *needle;
};

static const struct error_case error_cases[] = {
	/* unknown keys */
	{ "listn: 1\n", DNSD_EINVAL, 1, 1, "unknown key 'listn'" },
	{ "tcp:\n  idle: 1\n", DNSD_EINVAL, 2, 3, "unknown key 'idle' in 'tcp'" },
	{ "zones:\n  - name: global\n    listn: x\n", DNSD_EINVAL, 3, 5,
	  "unknown key 'listn' in 'zones[0]'" },
	{ "views:\n  - {name: v, zone: [a]}\n", DNSD_EINVAL, 2, 15, "unknown key 'zone' in 'views[0]'" },
	/* wrong node type */
	{ "tcp: 5\n", DNSD_EINVAL, 1, 6, "tcp: expected a mapping, got a scalar" },
	{ "listen: \"127.0.0.1:53\"\n", DNSD_EINVAL, 1, 9, "listen: expected a sequence" },
	{ "workers: [1]\n", DNSD_EINVAL, 1, 10, "workers: expected a scalar, got a sequence" },
	{ "tcp:\n  max-connections: {a: 1}\n", DNSD_EINVAL, 2, 20, "tcp.max-connections" },
	{ "zones:\n  name: global\n", DNSD_EINVAL, 2, 3, "zones: expected a sequence, got a mapping" },
	{ "zones:\n  - global\n", DNSD_EINVAL, 2, 5, "zones[0]: expected a mapping" },
	{ "views:\n  - name: [v]\n", DNSD_EINVAL, 2, 11, "views[0].name: expected a scalar" },
	{ "listen: [[\"127.0.0.1:53\"]]\n", DNSD_EINVAL, 1, 10, "listen[0]: expected a scalar" },
	{ "user: [root]\n", DNSD_EINVAL, 1, 7, "user" },
	{ "pid-file: {a: b}\n", DNSD_EINVAL, 1, 11, "pid-file" },
	{ "- listen\n", DNSD_EINVAL, 1, 1, "top level: expected a mapping" },
	{ "just text\n", DNSD_EINVAL, 1, 1, "top level: expected a mapping" },
	{ "? [a]\n: b\n", DNSD_EINVAL, 1, 3, "expected a scalar" },
	/* bad values */
	{ "workers: many\n", DNSD_EINVAL, 1, 10, "workers: 'many' is not" },
	{ "workers: -1\n", DNSD_EINVAL, 1, 10, "workers" },
	{ "workers: 0x10\n", DNSD_EINVAL, 1, 10, "workers" },
	{ "workers:\n", DNSD_EINVAL, 1, 9, "workers" },
	{ "chaos: maybe\n", DNSD_EINVAL, 1, 8, "chaos: 'maybe' is not a boolean" },
	{ "chaos: 1\n", DNSD_EINVAL, 1, 8, "chaos" },
	{ "log:\n  level: loud\n", DNSD_EINVAL, 2, 10, "log.level: 'loud'" },
	{ "log: {queries: 2}\n", DNSD_EINVAL, 1, 16, "log.queries" },
	{ "listen: []\n", DNSD_EINVAL, 1, 9, "listen: must not be empty" },
	{ "listen:\n  - 127.0.0.1\n", DNSD_EINVAL, 2, 5, "listen[0]: '127.0.0.1' is not a valid address" },
	{ "listen: [\"::1:53\"]\n", DNSD_EINVAL, 1, 10, "need brackets" },
	{ "listen: [\"[::1]\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"[::1\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"[]:53\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"[10.0.0.1]:53\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"localhost:53\"]\n", DNSD_EINVAL, 1, 10, "listen[0]: 'localhost:53'" },
	{ "listen: [\"10.0.0.1:\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"10.0.0.1:http\"]\n", DNSD_EINVAL, 1, 10, "listen[0]" },
	{ "listen: [\"10.0.0.1:53\", \"\"]\n", DNSD_EINVAL, 1, 25, "listen[1]" },
	{ "listen: [\"[0000:0000:0000:0000:0000:0000:0000:0001]:000000000000000000000053\"]\n", DNSD_EINVAL,
	  1, 10, "too long" },
	{ "metrics:\n  listen: 9153\n", DNSD_EINVAL, 2, 11, "metrics.listen: '9153'" },
	{ "views:\n  - name: v\n    match-clients: [10.1.0.1/16]\n", DNSD_EINVAL, 3, 21,
	  "views[0].match-clients[0]: '10.1.0.1/16'" },
	{ "views:\n  - name: v\n    match-clients: [\"fd00::1/8\"]\n", DNSD_EINVAL, 3, 21,
	  "'fd00::1/8' is not a valid prefix: host bits" },
	{ "views:\n  - name: v\n    match-clients: [10.0.0.0/x]\n", DNSD_EINVAL, 3, 21,
	  "views[0].match-clients[0]" },
	{ "views:\n  - name: v\n    match-clients: [mesh]\n", DNSD_EINVAL, 3, 21, "'mesh'" },
	{ "views:\n  - name: v\n    match-clients: [\"!\"]\n", DNSD_EINVAL, 3, 21, "match-clients[0]" },
	{ "views:\n  - name: v\n    match-clients:\n      - !10.1.9.0/24\n", DNSD_EINVAL, 4, 9,
	  "views[0].match-clients[0]: YAML tag '!10.1.9.0/24'" },
	{ "views:\n  - name: v\n    match-destinations: [\"[::1]\"]\n", DNSD_EINVAL, 3, 26,
	  "views[0].match-destinations[0]" },
	{ "zones:\n  - name: \"\"\n", DNSD_EINVAL, 2, 11, "zones[0].name: must not be empty" },
	{ "zones:\n  - name: a..b\n", DNSD_EINVAL, 2, 11, "zones[0].name: 'a..b'" },
	{ "zones:\n  - name: \"a b\"\n", DNSD_EINVAL, 2, 11, "zones[0].name" },
	{ "zones:\n  - name: \"a\\0b\"\n", DNSD_EINVAL, 2, 11, "zones[0].name: value contains a NUL" },
	{ "kubernetes:\n  - name: a\n    in-cluster: true\n    api-version: v2\n", DNSD_EINVAL, 4, 18,
	  "kubernetes[0].api-version: 'v2'" },
	{ "kubernetes:\n  - name: a\n    in-cluster: true\n    namespaces: [a, \"\"]\n", DNSD_EINVAL, 4, 21,
	  "kubernetes[0].namespaces[1]: must not be empty" },
	{ "workers: !!int 1\n", DNSD_EINVAL, 1, 10, "workers: YAML tag" },
	/* out of range */
	{ "workers: 1\nudp-payload-max: 99999\n", DNSD_ERANGE, 2, 18,
	  "udp-payload-max: 99999 is out of range 512..4096" },
	{ "udp-payload-max: 511\n", DNSD_ERANGE, 1, 18, "udp-payload-max: 511 is out of range" },
	{ "workers: 257\n", DNSD_ERANGE, 1, 10, "workers: 257 is out of range 0..256" },
	{ "workers: 99999999999999999999999\n", DNSD_ERANGE, 1, 10, "workers" },
	{ "tcp:\n  idle-timeout-ms: 99\n", DNSD_ERANGE, 2, 20, "tcp.idle-timeout-ms: 99" },
	{ "tcp: {max-connections: 0}\n", DNSD_ERANGE, 1, 24, "tcp.max-connections" },
	{ "tcp: {max-connections: 1000001}\n", DNSD_ERANGE, 1, 24, "tcp.max-connections" },
	{ "zones:\n  - name: global\n    ttl: 604801\n", DNSD_ERANGE, 3, 10, "zones[0].ttl" },
	{ "listen: [\"[::1]:65536\"]\n", DNSD_ERANGE, 1, 10, "port is out of range 0..65535" },
	{ "views: [{name: a, match-destinations: [\"127.0.0.1:0\"]}]\n", DNSD_ERANGE, 1, 40,
	  "port is out of range 1..65535" },
	{ "metrics: {listen: \"127.0.0.1:65536\"}\n", DNSD_ERANGE, 1, 19, "port is out of range 0..65535" },
	{ "identity: "
	  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n",
	  DNSD_ERANGE, 1, 11, "identity: longer than 255 bytes" },
	{ "lameduck-ms: 600001\n", DNSD_ERANGE, 1, 14, "lameduck-ms" },
	{ "rrl: {slip: 11}\n", DNSD_ERANGE, 1, 13, "rrl.slip" },
	{ "rrl: {ipv4-prefix-length: 33}\n", DNSD_ERANGE, 1, 27, "rrl.ipv4-prefix-length" },
	{ "rrl:\n  exempt: [10.0.0.0/33]\n", DNSD_ERANGE, 2, 12, "rrl.exempt[0]" },
	{ "tcp: {in-flight-max: 1000}\n", DNSD_ERANGE, 1, 22, "tcp.in-flight-max" },
	{ "health: {listen: \"[::]:99999\"}\n", DNSD_ERANGE, 1, 18, "health.listen" },
	{ "views:\n  - name: v\n    match-clients: [10.0.0.0/33]\n", DNSD_ERANGE, 3, 21,
	  "views[0].match-clients[0]: '10.0.0.0/33'" },
	{ "views:\n  - name: v\n    match-clients: [\"::/129\"]\n", DNSD_ERANGE, 3, 21, "match-clients[0]" },
	/* duplicate keys and names */
	{ "chaos: true\nchaos: false\n", DNSD_EINVAL, 2, 1, "duplicate key 'chaos'" },
	{ "tcp:\n  max-connections: 5\n  max-connections: 6\n", DNSD_EINVAL, 3, 3,
	  "duplicate key 'max-connections' in 'tcp'" },
	{ "zones:\n  - name: a\n    ttl: 1\n    ttl: 2\n", DNSD_EINVAL, 4, 5,
	  "duplicate key 'ttl' in 'zones[0]'" },
	{ "zones:\n  - name: global\n  - name: GLOBAL.\n", DNSD_EEXIST, 3, 11,
	  "zones[1].name: duplicate name 'global'" },
	{ "kubernetes:\n  - name: a\n    in-cluster: true\n  - name: a\n    in-cluster: true\n", DNSD_EEXIST,
	  4, 11, "kubernetes[1].name" },
	{ "views:\n  - name: v\n  - name: w\n  - {name: v}\n", DNSD_EEXIST, 4, 12,
	  "views[2].name: duplicate name 'v'" },
	/* missing keys, exclusive keys, dangling references */
	{ "zones:\n  - file: a.zone\n", DNSD_EINVAL, 2, 5, "zones[0]: missing required key 'name'" },
	{ "views:\n  - {}\n", DNSD_EINVAL, 2, 5, "views[0]: missing required key 'name'" },
	{ "kubernetes:\n  - name: a\n", DNSD_EINVAL, 2, 5, "kubernetes[0]: set exactly one of" },
	{ "kubernetes:\n  - name: a\n    in-cluster: true\n    kubeconfig: k\n", DNSD_EINVAL, 2, 5,
	  "'kubeconfig'" },
	{ "zones:\n  - name: global\n    kubernetes: [mesh-9]\n", DNSD_ENOENT, 3, 18,
	  "zones[0].kubernetes[0]: kubernetes source 'mesh-9' is not defined" },
	{ "zones: [{name: a}]\nviews:\n  - name: v\n    zones: [a, nope]\n", DNSD_ENOENT, 4, 16,
	  "views[0].zones[1]: zone 'nope' is not defined" },
	{ "views:\n  - name: v\n    kubernetes: [nope]\n", DNSD_ENOENT, 3, 18, "views[0].kubernetes[0]" },
	/* zones scoped to views */
	{ "zones:\n  - {name: g, views: [v]}\n", DNSD_ENOENT, 2, 23,
	  "zones[0].views[0]: view 'v' is not defined" },
	{ "zones:\n  - {name: g, views: [v]}\n  - {name: g, views: [w, v]}\n"
	  "views: [{name: v}, {name: w}]\n",
	  DNSD_EEXIST, 3, 12,
	  "zones[1].name: duplicate name 'g' in view 'v', first defined in zones[0] at line 2" },
	{ "zones:\n  - {name: g, views: [v]}\n  - {name: g}\nviews: [{name: v}]\n", DNSD_EEXIST, 3, 12,
	  "zones[1].name: duplicate name 'g' in view 'v'" },
	{ "zones:\n  - {name: g, views: [v]}\nviews: [{name: v}, {name: w, zones: [g]}]\n", DNSD_ENOENT, 3,
	  38, "views[1].zones[0]: no entry of zone 'g' serves view 'w'" },
	/* YAML itself */
	{ "listen: [\"127.0.0.1:5353\"\nworkers: 1\n", DNSD_EPARSE, 2, 1, "YAML syntax error" },
	{ "a: b\n c: d\n", DNSD_EPARSE, 2, 3, "YAML syntax error" },
	{ "zones:\n  - name: \"global\n", DNSD_EPARSE, 3, 1, "YAML syntax error" },
	{ "chaos: \"\\xff\"\nuser: \x80\n", DNSD_EPARSE, 2, 7, "YAML syntax error" },
	{ "", DNSD_EPARSE, 1, 1, "empty configuration file" },
	{ "# nothing but a comment\n\n", DNSD_EPARSE, 1, 1, "empty configuration file" },
	{ "workers: &w 1\nudp-payload-max: *w\n", DNSD_EINVAL, 2, 18, "aliases (*w)" },
	{ "chaos: true\n---\nchaos: false\n", DNSD_EPARSE, 2, 1, "only one YAML document" },
	{ "a:\n - b:\n   - c:\n     - d:\n       - e:\n         - f:\n           - g:\n"
	  "             - h:\n               - [[[[[[[[[[1]]]]]]]]]]\n",
	  DNSD_ELIMIT, 9, 18, "nesting" },
};

START_TEST(test_error_case)
{
	const struct error_case *c = &error_cases[_i];
	int rc = load_text(c->yaml);
	if (rc == 0) {
		config_free(cfg);
		cfg = NULL;
	}
	ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d: %s", _i, rc, c->rc, err);
	assert_error(rc, c->rc, yaml_path, c->line, c->column, c->needle);
}
END_TEST

struct error_file {
	const char *file;
	int rc;
	int line, column;
	const char *needle;
};

static const struct error_file error_files[] = {
	{ DATA "bad-unknown-key.yaml", DNSD_EINVAL, 6, 5, "unknown key 'fiel' in 'zones[0]'" },
	{ DATA "bad-range.yaml", DNSD_ERANGE, 3, 18, "udp-payload-max: 99999 is out of range 512..4096" },
	{ DATA "bad-dangling-zone.yaml", DNSD_ENOENT, 7, 13, "views[1].zones[0]: zone 'globl'" },
	{ DATA "bad-duplicate-view.yaml", DNSD_EEXIST, 6, 11, "views[2].name: duplicate name 'mesh-1'" },
	{ DATA "bad-host-bits.yaml", DNSD_EINVAL, 3, 34, "'10.1.9.1/24'" },
	{ DATA "bad-syntax.yaml", DNSD_EPARSE, 2, 1, "YAML syntax error" },
	{ DATA "bad-kubernetes-both.yaml", DNSD_EINVAL, 2, 5, "kubernetes[0]" },
	{ DATA "bad-type.yaml", DNSD_EINVAL, 3, 5, "tcp.idle-timeout-ms: expected a scalar" },
	{ DATA "bad-empty.yaml", DNSD_EPARSE, 1, 1, "empty configuration file" },
};

START_TEST(test_error_file)
{
	const struct error_file *c = &error_files[_i];
	int rc = config_load(c->file, &cfg, err, sizeof(err));
	assert_error(rc, c->rc, c->file, c->line, c->column, c->needle);
}
END_TEST

START_TEST(test_error_buffer_small_or_null)
{
	/* A short buffer truncates the message; a NULL one is allowed. */
	static const char text[] = "listn: 1\n";
	char small[8];
	int rc = config_load_buffer("x.yaml", text, sizeof(text) - 1, &cfg, small, sizeof(small));
	ck_assert_int_eq(rc, DNSD_EINVAL);
	ck_assert_str_eq(small, "x.yaml:");
	rc = config_load_buffer("x.yaml", text, sizeof(text) - 1, &cfg, NULL, 0);
	ck_assert_int_eq(rc, DNSD_EINVAL);
	ck_assert_ptr_null(cfg);
	rc = config_load(NULL, &cfg, err, sizeof(err));
	ck_assert_int_eq(rc, DNSD_EINVAL);
	rc = config_load_buffer("x.yaml", text, sizeof(text) - 1, NULL, err, sizeof(err));
	ck_assert_int_eq(rc, DNSD_EINVAL);
	config_free(NULL);
}
END_TEST

START_TEST(test_error_long_value_cut)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "user: [");
	memset(text + n, 'x', 3000);
	snprintf(text + n + 3000, sizeof(text) - (size_t)n - 3000, "]\n");
	load_error(text, DNSD_EINVAL, 1, 7, "user");
	/* libyaml caps implicit keys at 1024 characters. */
	char key[2048];
	memset(key, 'k', 1000);
	snprintf(key + 1000, sizeof(key) - 1000, ": 1\n");
	load_error(key, DNSD_EINVAL, 1, 1, "unknown key 'kkkk");
	ck_assert_msg(strlen(err) < 200, "message not cut: %zu bytes", strlen(err));
}
END_TEST

/* ---- public parsers ---- */

START_TEST(test_addr_parse)
{
	struct config_addr a;
	ck_assert_int_eq(config_addr_parse(&a, "127.0.0.1:53"), 0);
	ck_assert_str_eq(a.text, "127.0.0.1:53");
	ck_assert_int_eq(config_addr_parse(&a, "[::1]:53"), 0);
	ck_assert_str_eq(a.text, "[::1]:53");
	ck_assert_int_eq(config_addr_parse(&a, ":65535"), 0);
	ck_assert_int_eq(config_addr_parse(&a, ":0"), DNSD_ERANGE);
	ck_assert_int_eq(config_addr_parse(&a, "1.2.3.4"), DNSD_EINVAL);
	ck_assert_int_eq(config_addr_parse(&a, "1.2.3.4:-1"), DNSD_EINVAL);
	ck_assert_int_eq(config_addr_parse(&a, "[::1]x53"), DNSD_EINVAL);
	ck_assert_int_eq(config_addr_parse(&a, ""), DNSD_EINVAL);
	ck_assert_int_eq(config_addr_parse(NULL, "1.2.3.4:5"), DNSD_EINVAL);
	ck_assert_int_eq(config_addr_parse(&a, NULL), DNSD_EINVAL);
}
END_TEST

START_TEST(test_prefix_parse)
{
	struct config_prefix p;
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/8"), 0);
	ck_assert_uint_eq(p.len, 8);
	ck_assert_int_eq(config_prefix_parse(&p, "!::/0"), 0);
	ck_assert(p.is_negated);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(config_prefix_parse(&p, "ANY"), 0);
	ck_assert_int_eq(p.family, 0);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.1/31"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/+8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "10.0.0.0/99999999999999999999999"), DNSD_ERANGE);
	ck_assert_int_eq(config_prefix_parse(&p, "/8"), DNSD_EINVAL);
	ck_assert_int_eq(config_prefix_parse(&p, "!!10.0.0.0/8"), DNSD_EINVAL);
}
END_TEST

/* ---- reference ---- */

START_TEST(test_reference_loads)
{
	/* The generated reference is itself a valid config, and names every key. */
	static const char *const keys[] = {
		"listen:",
		"workers:",
		"udp-payload-max:",
		"tcp:",
		"idle-timeout-ms:",
		"max-connections:",
		"zones:",
		"name:",
		"file:",
		"ttl:",
		"kubernetes:",
		"kubeconfig:",
		"in-cluster:",
		"context:",
		"namespaces:",
		"api-version:",
		"views:",
		"match-clients:",
		"match-destinations:",
		"log:",
		"level:",
		"queries:",
		"metrics:",
		"health:",
		"chaos:",
		"user:",
		"pid-file:",
		"512..4096",
		"error|warn|info|debug",
	};
	FILE *f = fopen(yaml_path, "w");
	ck_assert_ptr_nonnull(f);
	config_print_reference(f);
	ck_assert_int_eq(fclose(f), 0);
	int rc = config_load(yaml_path, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(cfg->udp_payload_max, 1232);
	ck_assert_uint_eq(cfg->zones_count, 1);
	ck_assert_uint_eq(cfg->views_count, 1);

	char text[16384];
	f = fopen(yaml_path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(strstr(text, keys[i]) != NULL, "reference lacks %s", keys[i]);
	config_print_reference(NULL);
}
END_TEST

/* ---- robustness ---- */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	static char buf[65536];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* Loads buf and checks the contract either way: a config and no message, or
 * no config and a message that starts with the name. */
static void load_any(const char *buf, size_t len)
{
	struct config *c = NULL;
	char e[256];
	int rc = config_load_buffer("t/x.yaml", buf, len, &c, e, sizeof(e));
	if (rc == 0) {
		ck_assert_ptr_nonnull(c);
	} else {
		ck_assert_int_lt(rc, 0);
		ck_assert_ptr_null(c);
		ck_assert_msg(strncmp(e, "t/x.yaml", 8) == 0, "%s", e);
	}
	config_free(c);
}

START_TEST(test_truncated)
{
	size_t len;
	const char *buf = read_all(DATA "full.yaml", &len);
	for (size_t cut = 0; cut <= len; cut++)
		load_any(buf, cut);
}
END_TEST

START_TEST(test_corrupted)
{
	static const char bytes[] = { '\0', '\n', ' ', '[', ']', '{',  ':',
				      '"',  '-',  '*', '&', '!', '\t', '\x80' };
	size_t len;
	const char *orig = read_all(DATA "full.yaml", &len);
	char *buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (size_t pos = 0; pos < len; pos++) {
		for (size_t b = 0; b < sizeof(bytes); b++) {
			memcpy(buf, orig, len);
			buf[pos] = bytes[b];
			load_any(buf, len);
		}
	}
	free(buf);
}
END_TEST

START_TEST(test_deep_and_wide)
{
	size_t n = 400000;
	char *buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, '[', n);
	load_any(buf, n);
	for (size_t i = 0; i + 2 < n; i += 2)
		memcpy(buf + i, "- ", 2);
	load_any(buf, n);
	/* 20000 list elements are fine, just slow to write by hand. */
	int off = snprintf(buf, n, "views:\n  - name: v\n    match-clients: [");
	for (int i = 0; i < 20000; i++)
		off += snprintf(buf + off, n - (size_t)off, "%s10.%d.%d.0/24", i ? "," : "", i / 256,
				i % 256);
	off += snprintf(buf + off, n - (size_t)off, "]\n");
	load_any(buf, (size_t)off);
	free(buf);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults_top_level);
	tcase_add_test(tc, test_defaults_nested_map_partial);
	tcase_add_test(tc, test_defaults_list_elements);
	tcase_add_test(tc, test_defaults_empty_strings_are_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_full);
	tcase_add_test(tc, test_file_sample_conf);
	tcase_add_test(tc, test_file_not_found);
	tcase_add_test(tc, test_file_is_directory);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_relative_paths_bare_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("types");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bool_spellings);
	tcase_add_test(tc, test_uint_bounds);
	tcase_add_test(tc, test_udp_io);
	tcase_add_test(tc, test_udp_batch_wait);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_proxy_protocol_and_state);
	tcase_add_test(tc, test_strings_and_lists);
	tcase_add_test(tc, test_zone_per_view);
	tcase_add_test(tc, test_flow_style_and_comments);
	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_prefix_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_error_case, 0, (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_loop_test(tc, test_error_file, 0, (int)(sizeof(error_files) / sizeof(error_files[0])));
	tcase_add_test(tc, test_error_buffer_small_or_null);
	tcase_add_test(tc, test_error_long_value_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("reference");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reference_loads);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	/* Thousands of loads; slow under ASan. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_corrupted);
	tcase_add_test(tc, test_deep_and_wide);
	suite_add_tcase(s, tc);
	return s;
}

Suite *unit_suite(void) { return config_suite(); }
