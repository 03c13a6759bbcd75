/* SPDX-License-Identifier: BSD-3-Clause
 * config_schema.c - every option, described once in the tables below (key,
 * type, default, range, field, help), and the code that walks them: setting
 * fields from YAML nodes, defaults, freeing, and the reference that `dnsd -p`
 * prints. A new option is one table entry. No libyaml here (the loader,
 * config.c, hands over a tree of nodes) and nothing logs. */
#include "conf/config_schema.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

/* ---- the option table ---- */

enum config_type {
	CONFIG_T_BOOL,        /* bool */
	CONFIG_T_UINT,        /* uint8/16/32_t or unsigned, per .size; .min..max */
	CONFIG_T_ENUM,        /* int-sized enum: index into .choices */
	CONFIG_T_STRING,      /* char *; .choices restricts the values */
	CONFIG_T_PATH,        /* char *, resolved against the config file's directory */
	CONFIG_T_ADDR_TEXT,   /* char *, validated as an address; "" allowed */
	CONFIG_T_ADDR_LIST,   /* struct config_addr * + size_t count */
	CONFIG_T_PREFIX_LIST, /* struct config_prefix * + size_t count */
	CONFIG_T_IP_LIST,     /* struct config_ip * + size_t count: bare addresses */
	CONFIG_T_STRING_LIST, /* char ** + size_t count */
	CONFIG_T_MAP,         /* nested map whose fields live in the same struct */
	CONFIG_T_MAP_LIST,    /* array of structs described by .sub, + size_t count */
};

enum {
	CONFIG_F_REQUIRED = 1 << 0,   /* key must be present and not empty */
	CONFIG_F_EMPTY_NULL = 1 << 1, /* "" is stored as NULL */
	CONFIG_F_UNIQUE = 1 << 2,     /* MAP_LIST key: no two elements share the value */
	CONFIG_F_DNAME = 1 << 3,      /* domain name: lowercased, trailing dot dropped */
	CONFIG_F_NONEMPTY = 1 << 4,   /* list must have at least one element */
	CONFIG_F_PORT0 = 1 << 5,      /* ADDR_TEXT, ADDR_LIST: port 0 = one the kernel picks */
};

struct config_item {
	const char *name; /* YAML key; NULL ends a table */
	enum config_type type;
	unsigned flags;
	const char *def;               /* default as YAML text, parsed like the file; NULL = zero */
	const char *example;           /* value config_print_reference() shows when def is NULL */
	uint32_t min, max;             /* CONFIG_T_UINT range; STRING: max = longest in bytes (0 = any) */
	size_t offset;                 /* field offset in the struct this table describes */
	size_t size;                   /* UINT: field size; MAP_LIST: element size */
	size_t count_offset;           /* lists: offset of the size_t element count */
	size_t line_offset;            /* MAP_LIST: offset of the element's int line */
	const struct config_item *sub; /* MAP, MAP_LIST */
	const char *const *choices;    /* ENUM, STRING: allowed values, NULL-terminated */
	const char *help;
};

#define CONFIG_FIELD(st, f) .offset = offsetof(st, f), .size = sizeof(((st *)0)->f)
#define CONFIG_LIST(st, f, n) .offset = offsetof(st, f), .count_offset = offsetof(st, n)

static const char *const config_log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const config_api_versions[] = { "v1", "v1beta1", "v1alpha3", NULL };
static const char *const config_host_policies[] = { "namespace", "any", NULL };
static const char *const config_export_tos[] = { "require-all", "ignore", NULL };
_Static_assert(CONFIG_HOST_POLICY_NAMESPACE == 0 && CONFIG_HOST_POLICY_ANY == 1,
	       "config_host_policies order");
_Static_assert(CONFIG_EXPORT_TO_REQUIRE_ALL == 0 && CONFIG_EXPORT_TO_IGNORE == 1, "config_export_tos order");
_Static_assert(sizeof(enum config_host_policy) == sizeof(int) && sizeof(enum config_export_to) == sizeof(int),
	       "CONFIG_T_ENUM stores an int");

/* CONFIG_T_ENUM stores the index of the choice; log.h's order must match. */
_Static_assert(LOG_LEVEL_ERROR == 0 && LOG_LEVEL_WARN == 1 && LOG_LEVEL_INFO == 2 && LOG_LEVEL_DEBUG == 3,
	       "config_log_levels must follow enum log_level");
_Static_assert(sizeof(enum log_level) == sizeof(int), "CONFIG_T_ENUM stores an int");

static const struct config_item config_tcp_items[] = {
	{ .name = "idle-timeout-ms",
	  .type = CONFIG_T_UINT,
	  .def = "10000",
	  .min = 100,
	  .max = 3600000,
	  CONFIG_FIELD(struct config, tcp_idle_timeout_ms),
	  .help = "close a TCP connection idle this long (RFC 7766 §6.2.3)" },
	{ .name = "max-connections",
	  .type = CONFIG_T_UINT,
	  .def = "1024",
	  .min = 1,
	  .max = 1000000,
	  CONFIG_FIELD(struct config, tcp_max_connections),
	  .help = "open TCP connections across all workers; at the cap the longest-idle one is closed to "
		  "admit a new one" },
	{ .name = "max-connections-per-client",
	  .type = CONFIG_T_UINT,
	  .def = "0",
	  .min = 0,
	  .max = 1000000,
	  CONFIG_FIELD(struct config, tcp_max_connections_per_client),
	  .help = "open TCP connections from one client address per worker; 0 = no limit (forwarders share "
		  "few addresses)" },
	{ .name = "io-timeout-ms",
	  .type = CONFIG_T_UINT,
	  .def = "3000",
	  .min = 100,
	  .max = 60000,
	  CONFIG_FIELD(struct config, tcp_io_timeout_ms),
	  .help = "close a TCP connection whose message (length prefix and body) takes longer than this to "
		  "arrive" },
	{ .name = "output-buffer-max",
	  .type = CONFIG_T_UINT,
	  .def = "67108864",
	  .min = 131072,
	  .max = 4294967295u,
	  CONFIG_FIELD(struct config, tcp_output_buffer_max),
	  .help = "bytes of TCP answers waiting unsent, across all workers; past it the connection adding "
		  "more is closed and counted" },
	{ .name = NULL },
};

static const struct config_item config_log_items[] = {
	{ .name = "level",
	  .type = CONFIG_T_ENUM,
	  .def = "info",
	  .choices = config_log_levels,
	  CONFIG_FIELD(struct config, log_level),
	  .help = "log messages of this severity and worse" },
	{ .name = "queries",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config, log_queries),
	  .help = "log one line per query (slow)" },
	{ .name = NULL },
};

static const struct config_item config_metrics_items[] = {
	{ .name = "listen",
	  .type = CONFIG_T_ADDR_TEXT,
	  .flags = CONFIG_F_PORT0,
	  .def = "\"\"",
	  .example = "\"127.0.0.1:9153\"",
	  CONFIG_FIELD(struct config, metrics_listen),
	  .help = "address for Prometheus /metrics and /status over HTTP; \"\" = none; port 0 = any" },
	{ .name = NULL },
};

static const struct config_item config_health_items[] = {
	{ .name = "listen",
	  .type = CONFIG_T_ADDR_TEXT,
	  .flags = CONFIG_F_PORT0,
	  .def = "\"\"",
	  .example = "\"127.0.0.1:8080\"",
	  CONFIG_FIELD(struct config, health_listen),
	  .help = "address for /health, /ready and /status over HTTP; \"\" = none; port 0 = any" },
	{ .name = NULL },
};

static const struct config_item config_nameserver_items[] = {
	{ .name = "name",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_REQUIRED | CONFIG_F_DNAME | CONFIG_F_UNIQUE,
	  .example = "ns1.global",
	  CONFIG_FIELD(struct config_nameserver, name),
	  .help = "nameserver name, for the apex NS; the first is the SOA MNAME" },
	{ .name = "addresses",
	  .type = CONFIG_T_IP_LIST,
	  .example = "[192.0.2.53, \"2001:db8::53\"]",
	  CONFIG_LIST(struct config_nameserver, addresses, addresses_count),
	  .help = "its addresses (glue): required for names inside the zone, refused outside" },
	{ .name = NULL },
};

static const struct config_item config_zone_items[] = {
	{ .name = "name",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_REQUIRED | CONFIG_F_DNAME,
	  .example = "global",
	  CONFIG_FIELD(struct config_zone, name),
	  .help = "zone apex; stored lowercase without the trailing dot; unique per view" },
	{ .name = "file",
	  .type = CONFIG_T_PATH,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .example = "zones/global.zone",
	  CONFIG_FIELD(struct config_zone, file),
	  .help = "zone file; relative to this file's directory; omit for none" },
	{ .name = "ttl",
	  .type = CONFIG_T_UINT,
	  .def = "30",
	  .min = 0,
	  .max = 604800,
	  CONFIG_FIELD(struct config_zone, ttl_s),
	  .help = "TTL in seconds of records generated from Kubernetes" },
	{ .name = "kubernetes",
	  .type = CONFIG_T_STRING_LIST,
	  .example = "[mesh-1]",
	  CONFIG_LIST(struct config_zone, kubernetes, kubernetes_count),
	  .help = "kubernetes sources whose ServiceEntries feed this zone" },
	{ .name = "views",
	  .type = CONFIG_T_STRING_LIST,
	  .example = "[mesh-1]",
	  CONFIG_LIST(struct config_zone, views, views_count),
	  .help = "views this entry serves; default all; repeat a name with disjoint views "
		  "to give each view its own file" },
	{ .name = "allow-transfer",
	  .type = CONFIG_T_STRING_LIST,
	  .example = "[10.0.0.0/8, \"key xfr-a\"]",
	  CONFIG_LIST(struct config_zone, allow_transfer, allow_transfer_count),
	  .help = "who may AXFR/IXFR: prefixes (\"!\" excludes, first match wins), \"key NAME\", "
		  "\"none\"; default loopback only" },
	{ .name = "catalog",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config_zone, is_catalog),
	  .help = "an RFC 9432 catalog zone listing the zones of this entry's views (for secondaries "
		  "that configure themselves from it); no file or kubernetes" },
	{ .name = "notify",
	  .type = CONFIG_T_STRING_LIST,
	  .example = "[\"10.0.0.53:53 key xfr-a\"]",
	  CONFIG_LIST(struct config_zone, notify, notify_count),
	  .help = "secondaries to NOTIFY on every change: \"address:port\" [key NAME]" },
	{ .name = "nameservers",
	  .type = CONFIG_T_MAP_LIST,
	  .sub = config_nameserver_items,
	  .size = sizeof(struct config_nameserver),
	  .line_offset = offsetof(struct config_nameserver, line),
	  CONFIG_LIST(struct config_zone, nameservers, nameservers_count),
	  .help = "apex NS (the first also SOA MNAME); default: ns1.<zone>.. one per listen address" },
	{ .name = NULL },
};

static const char *const config_tsig_algorithms[] = { "hmac-sha256", "hmac-sha512", NULL };

static const struct config_item config_tsig_key_items[] = {
	{ .name = "name",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_REQUIRED | CONFIG_F_UNIQUE | CONFIG_F_DNAME,
	  .example = "xfr-a",
	  CONFIG_FIELD(struct config_tsig_key, name),
	  .help = "key name, as the secondaries spell it" },
	{ .name = "algorithm",
	  .type = CONFIG_T_STRING,
	  .def = "hmac-sha256",
	  .choices = config_tsig_algorithms,
	  CONFIG_FIELD(struct config_tsig_key, algorithm),
	  .help = "HMAC algorithm (RFC 8945)" },
	{ .name = "secret",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .example = "\"c2VjcmV0LW9mLXRoZS1leGFtcGxlLWtleQ==\"",
	  CONFIG_FIELD(struct config_tsig_key, secret),
	  .help = "the secret in base64; set exactly one of secret and secret-file" },
	{ .name = "secret-file",
	  .type = CONFIG_T_PATH,
	  .flags = CONFIG_F_EMPTY_NULL,
	  CONFIG_FIELD(struct config_tsig_key, secret_file),
	  .help = "a file holding the base64 secret (a mounted Kubernetes Secret), read at (re)load" },
	{ .name = NULL },
};

static const struct config_item config_xfr_items[] = {
	{ .name = "journal-size",
	  .type = CONFIG_T_UINT,
	  .def = "1048576",
	  .min = 0,
	  .max = 1073741824,
	  CONFIG_FIELD(struct config, journal_size),
	  .help = "bytes of change history per zone and view for IXFR; older clients get the whole zone" },
	{ .name = "notify-attempts",
	  .type = CONFIG_T_UINT,
	  .def = "8",
	  .min = 1,
	  .max = 100,
	  CONFIG_FIELD(struct config, notify_attempts),
	  .help = "NOTIFY transmissions before giving up on a secondary" },
	{ .name = "notify-retry-ms",
	  .type = CONFIG_T_UINT,
	  .def = "1000",
	  .min = 10,
	  .max = 60000,
	  CONFIG_FIELD(struct config, notify_retry_ms),
	  .help = "first NOTIFY retransmission after this long, doubling up to 60 s" },
	{ .name = "serial-replica",
	  .type = CONFIG_T_UINT,
	  .def = "256",
	  .min = 0,
	  .max = 256,
	  CONFIG_FIELD(struct config, serial_replica),
	  .help = "low byte of the serials of Kubernetes-fed zones, distinct per replica so that no two "
		  "replicas number different contents alike; 256 = from the host (pod) name" },
	{ .name = NULL },
};

static const struct config_item config_kubernetes_items[] = {
	{ .name = "name",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_REQUIRED | CONFIG_F_UNIQUE,
	  .example = "mesh-1",
	  CONFIG_FIELD(struct config_kubernetes, name),
	  .help = "name that zones and views use to refer to this source" },
	{ .name = "kubeconfig",
	  .type = CONFIG_T_PATH,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .example = "/etc/dnsd/mesh-1.kubeconfig",
	  CONFIG_FIELD(struct config_kubernetes, kubeconfig),
	  .help = "kubeconfig file; set exactly one of kubeconfig and in-cluster" },
	{ .name = "in-cluster",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config_kubernetes, is_in_cluster),
	  .help = "use the pod's service account instead of a kubeconfig" },
	{ .name = "context",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .def = "\"\"",
	  CONFIG_FIELD(struct config_kubernetes, context),
	  .help = "kubeconfig context; \"\" = current-context" },
	{ .name = "namespaces",
	  .type = CONFIG_T_STRING_LIST,
	  .def = "[]",
	  CONFIG_LIST(struct config_kubernetes, namespaces, namespaces_count),
	  .help = "namespaces to watch; empty = all" },
	{ .name = "api-version",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .def = "\"\"",
	  .choices = config_api_versions,
	  CONFIG_FIELD(struct config_kubernetes, api_version),
	  .help = "ServiceEntry API version; \"\" = discover, newest first" },
	{ .name = "host-policy",
	  .type = CONFIG_T_ENUM,
	  .def = "namespace",
	  .choices = config_host_policies,
	  CONFIG_FIELD(struct config_kubernetes, host_policy),
	  .help = "who may publish a host: namespace (<name>.<namespace>.<zone> only from that namespace) "
		  "or any" },
	{ .name = "trusted-namespaces",
	  .type = CONFIG_T_STRING_LIST,
	  .def = "[istio-system]",
	  CONFIG_LIST(struct config_kubernetes, trusted_namespaces, trusted_namespaces_count),
	  .help = "namespaces that may publish any host under host-policy namespace" },
	{ .name = "export-to",
	  .type = CONFIG_T_ENUM,
	  .def = "require-all",
	  .choices = config_export_tos,
	  CONFIG_FIELD(struct config_kubernetes, export_to),
	  .help = "require-all: an entry whose exportTo lacks \"*\" is not served; ignore: served" },
	{ .name = NULL },
};

static const struct config_item config_view_items[] = {
	{ .name = "name",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_REQUIRED | CONFIG_F_UNIQUE,
	  .example = "mesh-1",
	  CONFIG_FIELD(struct config_view, name),
	  .help = "view name, answered to CH TXT view.dnsd when chaos is on" },
	{ .name = "match-clients",
	  .type = CONFIG_T_PREFIX_LIST,
	  .example = "[10.1.0.0/16, \"!10.1.9.0/24\"]",
	  CONFIG_LIST(struct config_view, match_clients, match_clients_count),
	  .help = "client (or ECS) prefixes; \"!\" excludes, first match wins; default any" },
	{ .name = "match-destinations",
	  .type = CONFIG_T_ADDR_LIST,
	  .example = "[\"127.0.0.1:5353\"]",
	  CONFIG_LIST(struct config_view, match_destinations, match_destinations_count),
	  .help = "listen addresses this view answers on; default any" },
	{ .name = "zones",
	  .type = CONFIG_T_STRING_LIST,
	  .flags = CONFIG_F_DNAME,
	  .example = "[global]",
	  CONFIG_LIST(struct config_view, zones, zones_count),
	  .help = "zones served in this view; default all zones" },
	{ .name = "kubernetes",
	  .type = CONFIG_T_STRING_LIST,
	  .example = "[mesh-1]",
	  CONFIG_LIST(struct config_view, kubernetes, kubernetes_count),
	  .help = "kubernetes sources feeding this view's copy of the zones; default none" },
	{ .name = "match-keys",
	  .type = CONFIG_T_STRING_LIST,
	  .flags = CONFIG_F_DNAME,
	  .example = "[xfr-a]",
	  CONFIG_LIST(struct config_view, match_keys, match_keys_count),
	  .help = "TSIG keys whose transfers and signed queries this view serves (unsigned transfers "
		  "then never select it)" },
	{ .name = NULL },
};

static const struct config_item config_items[] = {
	{ .name = "listen",
	  .type = CONFIG_T_ADDR_LIST,
	  .flags = CONFIG_F_NONEMPTY | CONFIG_F_PORT0,
	  .def = "[\"127.0.0.1:5353\"]",
	  CONFIG_LIST(struct config, listen, listen_count),
	  .help = "UDP and TCP addresses: \"IPv4:port\", \"[IPv6]:port\", \":port\" = all; port 0 = any "
		  "(logged)" },
	{ .name = "workers",
	  .type = CONFIG_T_UINT,
	  .def = "0",
	  .min = 0,
	  .max = 256,
	  CONFIG_FIELD(struct config, workers),
	  .help = "workers (a TCP event loop and a UDP thread per listening address each); 0 = one per CPU" },
	{ .name = "udp-payload-max",
	  .type = CONFIG_T_UINT,
	  .def = "1232",
	  .min = 512,
	  .max = 4096,
	  CONFIG_FIELD(struct config, udp_payload_max),
	  .help = "largest UDP response with EDNS; 1232 avoids fragmentation (DNS flag day 2020)" },
	{ .name = "tcp", .type = CONFIG_T_MAP, .sub = config_tcp_items, .help = "DNS over TCP" },
	{ .name = "zones",
	  .type = CONFIG_T_MAP_LIST,
	  .sub = config_zone_items,
	  .size = sizeof(struct config_zone),
	  .line_offset = offsetof(struct config_zone, line),
	  CONFIG_LIST(struct config, zones, zones_count),
	  .help = "authoritative zones" },
	{ .name = "kubernetes",
	  .type = CONFIG_T_MAP_LIST,
	  .sub = config_kubernetes_items,
	  .size = sizeof(struct config_kubernetes),
	  .line_offset = offsetof(struct config_kubernetes, line),
	  CONFIG_LIST(struct config, kubernetes, kubernetes_count),
	  .help = "Kubernetes API servers to watch for Istio ServiceEntries" },
	{ .name = "views",
	  .type = CONFIG_T_MAP_LIST,
	  .sub = config_view_items,
	  .size = sizeof(struct config_view),
	  .line_offset = offsetof(struct config_view, line),
	  CONFIG_LIST(struct config, views, views_count),
	  .help = "split horizon; first matching view answers; none = one view with everything" },
	{ .name = "tsig-keys",
	  .type = CONFIG_T_MAP_LIST,
	  .sub = config_tsig_key_items,
	  .size = sizeof(struct config_tsig_key),
	  .line_offset = offsetof(struct config_tsig_key, line),
	  CONFIG_LIST(struct config, tsig_keys, tsig_keys_count),
	  .help = "TSIG keys for zone transfers and NOTIFY" },
	{ .name = "xfr",
	  .type = CONFIG_T_MAP,
	  .sub = config_xfr_items,
	  .help = "zone transfers (AXFR, IXFR) and NOTIFY" },
	{ .name = "log", .type = CONFIG_T_MAP, .sub = config_log_items, .help = "logging to stderr" },
	{ .name = "metrics",
	  .type = CONFIG_T_MAP,
	  .sub = config_metrics_items,
	  .help = "Prometheus metrics" },
	{ .name = "health",
	  .type = CONFIG_T_MAP,
	  .sub = config_health_items,
	  .help = "liveness and readiness probes" },
	{ .name = "chaos",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config, chaos_enabled),
	  .help = "answer CH TXT version.dnsd and view.dnsd" },
	{ .name = "user",
	  .type = CONFIG_T_STRING,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .def = "\"\"",
	  CONFIG_FIELD(struct config, user),
	  .help = "user to switch to after binding when started as root; \"\" = stay" },
	{ .name = "pid-file",
	  .type = CONFIG_T_PATH,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .def = "\"\"",
	  CONFIG_FIELD(struct config, pid_file),
	  .help = "write the PID here; \"\" = none" },
	{ .name = "lameduck-ms",
	  .type = CONFIG_T_UINT,
	  .def = "5000",
	  .min = 0,
	  .max = 600000,
	  CONFIG_FIELD(struct config, lameduck_ms),
	  .help = "on SIGTERM, fail /ready at once and keep answering this long, then drain; 0 = drain at "
		  "once" },
	{ .name = "reload-on-change",
	  .type = CONFIG_T_BOOL,
	  .def = "true",
	  CONFIG_FIELD(struct config, is_reload_on_change),
	  .help = "reload as on SIGHUP when this file or a zone file changes (inotify, ConfigMap updates "
		  "too)" },
	{ .name = "identity",
	  .type = CONFIG_T_STRING,
	  .def = "\"\"",
	  .max = 255,
	  CONFIG_FIELD(struct config, identity),
	  .help = "what NSID and id.server report; \"\" = $HOSTNAME (the pod name), else the host name" },
	{ .name = "nsid",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config, is_nsid_enabled),
	  .help = "answer the EDNS NSID option (RFC 5001) with the identity" },
	{ .name = "id-server",
	  .type = CONFIG_T_BOOL,
	  .def = "false",
	  CONFIG_FIELD(struct config, is_id_server_enabled),
	  .help = "answer CH TXT id.server and hostname.bind (RFC 4892) with the identity" },
	{ .name = "proxy-protocol",
	  .type = CONFIG_T_PREFIX_LIST,
	  .example = "[10.0.0.5, 192.0.2.0/28]",
	  CONFIG_LIST(struct config, proxy_protocol, proxy_protocol_count),
	  .help = "load balancers that send a PROXY v2 header, and must; from any other peer a "
		  "header is dropped; default none" },
	{ .name = "state-dir",
	  .type = CONFIG_T_PATH,
	  .flags = CONFIG_F_EMPTY_NULL,
	  .def = "\"\"",
	  CONFIG_FIELD(struct config, state_dir),
	  .help = "folder for each Kubernetes source's last known state; \"\" = none" },
	{ .name = "stale-start-timeout-ms",
	  .type = CONFIG_T_UINT,
	  .def = "10000",
	  .min = 0,
	  .max = 3600000,
	  CONFIG_FIELD(struct config, stale_start_timeout_ms),
	  .help = "a source not listed this long after start serves its saved state, marked stale" },
	{ .name = "state-write-interval-ms",
	  .type = CONFIG_T_UINT,
	  .def = "2000",
	  .min = 100,
	  .max = 600000,
	  CONFIG_FIELD(struct config, state_write_interval_ms),
	  .help = "at most one state write per source in this time" },
	{ .name = NULL },
};

/* ---- setting values ---- */

static void *config_field(void *base, size_t offset) { return (char *)base + offset; }

static size_t config_count_get(const void *base, const struct config_item *it)
{
	size_t n;
	memcpy(&n, (const char *)base + it->count_offset, sizeof(n));
	return n;
}

static void config_count_set(void *base, const struct config_item *it, size_t n)
{
	memcpy(config_field(base, it->count_offset), &n, sizeof(n));
}

/* List fields have different pointer types (struct config_addr *, char **...);
 * memcpy moves them without pretending they are all void *. */
static void *config_ptr_get(const void *base, size_t offset)
{
	void *p;
	memcpy(&p, (const char *)base + offset, sizeof(p));
	return p;
}

static void config_ptr_set(void *base, size_t offset, void *p)
{
	memcpy(config_field(base, offset), &p, sizeof(p));
}

static void config_store_uint(void *field, size_t size, uint32_t value)
{
	switch (size) {
	case sizeof(uint8_t): {
		uint8_t v = (uint8_t)value;
		memcpy(field, &v, sizeof(v));
		break;
	}
	case sizeof(uint16_t): {
		uint16_t v = (uint16_t)value;
		memcpy(field, &v, sizeof(v));
		break;
	}
	case sizeof(uint32_t): memcpy(field, &value, sizeof(value)); break;
	default: assert(!"unsupported CONFIG_T_UINT field size");
	}
}

static int config_parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return DNSD_EINVAL;
}

/* Decimal digits only: "0x10", "+5", "-1" and "1e3" are typos, not numbers. */
static int config_parse_uint(const char *text, uint64_t *value)
{
	uint64_t v = 0;
	if (text[0] == '\0')
		return DNSD_EINVAL;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return DNSD_EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return DNSD_ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value = v;
	return 0;
}

/* Lowercases in place and drops one trailing dot; checks RFC 1035 §2.3.4
 * lengths (63 per label, 253 in presentation form without the root dot). */
static bool config_dname_normalize(char *name)
{
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			name[i] = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		bool is_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_';
		if (!is_ok || ++label > 63)
			return false;
	}
	return true;
}

static char *config_path_resolve(const struct config_ctx *ctx, const char *value)
{
	if (!ctx->dir || value[0] == '/')
		return strdup(value);
	char *path;
	if (asprintf(&path, "%s/%s", ctx->dir, value) < 0)
		return NULL;
	return path;
}

static int config_walk_map(struct config_ctx *ctx, const struct config_item *items,
			   const struct config_node *map, void *base, const char *path);

/* Sets a string-like field (STRING, PATH, ADDR_TEXT) from a scalar. */
static int config_set_string(struct config_ctx *ctx, const struct config_item *it,
			     const struct config_node *node, void *base, const char *path)
{
	char quoted[CONFIG_QUOTE_MAX + 4];
	const char *text = config_node_is_null(node) ? "" : node->value;
	char *value = NULL;

	if (text[0] == '\0' && (it->flags & CONFIG_F_REQUIRED))
		return config_error(ctx, DNSD_EINVAL, node, "%s: must not be empty", path);
	if (it->type == CONFIG_T_STRING && it->max && strlen(text) > it->max)
		return config_error(ctx, DNSD_ERANGE, node, "%s: longer than %u bytes", path,
				    (unsigned)it->max);
	if (text[0] != '\0' && it->choices) {
		size_t i;
		for (i = 0; it->choices[i]; i++)
			if (strcmp(text, it->choices[i]) == 0)
				break;
		if (!it->choices[i])
			return config_error(ctx, DNSD_EINVAL, node,
					    "%s: '%s' is not one of the allowed values", path,
					    config_quote(node, quoted, sizeof(quoted)));
	}
	if (it->type == CONFIG_T_ADDR_TEXT && text[0] != '\0') {
		struct config_addr addr;
		const char *why = "";
		int rc = (it->flags & CONFIG_F_PORT0) ? config_addr_parse_bind_why(&addr, text, &why)
						      : config_addr_parse_why(&addr, text, &why);
		if (rc != 0)
			return config_error(ctx, rc, node, "%s: '%s' is not a valid address: %s", path,
					    config_quote(node, quoted, sizeof(quoted)), why);
	}
	if (text[0] == '\0' && (it->flags & CONFIG_F_EMPTY_NULL))
		value = NULL;
	else if (it->type == CONFIG_T_PATH)
		value = config_path_resolve(ctx, text);
	else
		value = strdup(text);
	if (!value && !(text[0] == '\0' && (it->flags & CONFIG_F_EMPTY_NULL)))
		return config_nomem(ctx);
	if (value && (it->flags & CONFIG_F_DNAME) && !config_dname_normalize(value)) {
		free(value);
		return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not a valid domain name", path,
				    config_quote(node, quoted, sizeof(quoted)));
	}
	char **field = config_field(base, it->offset);
	free(*field);
	*field = value;
	return 0;
}

/* Sets a list field from a sequence of scalars. The array and its count are
 * stored before the elements are parsed, so config_free() can always clean up. */
static int config_set_list(struct config_ctx *ctx, const struct config_item *it,
			   const struct config_node *node, void *base, const char *path)
{
	static const char *const ipv6_hint = "; quote IPv6 addresses: \"[::1]:53\"";
	char quoted[CONFIG_QUOTE_MAX + 4];
	char elem_path[256];
	size_t elem_size;
	int rc;

	if (it->type == CONFIG_T_ADDR_LIST)
		elem_size = sizeof(struct config_addr);
	else if (it->type == CONFIG_T_PREFIX_LIST)
		elem_size = sizeof(struct config_prefix);
	else if (it->type == CONFIG_T_IP_LIST)
		elem_size = sizeof(struct config_ip);
	else
		elem_size = sizeof(char *);

	rc = config_expect(ctx, node, CONFIG_NODE_SEQUENCE, path, NULL);
	if (rc != 0)
		return rc;
	if (node->count == 0 && (it->flags & CONFIG_F_NONEMPTY))
		return config_error(ctx, DNSD_EINVAL, node, "%s: must not be empty", path);
	void *array = NULL;
	if (node->count > 0) {
		array = calloc(node->count, elem_size);
		if (!array)
			return config_nomem(ctx);
	}
	config_ptr_set(base, it->offset, array);
	config_count_set(base, it, node->count);

	for (size_t i = 0; i < node->count; i++) {
		const struct config_node *elem = node->children[i];
		const char *why = "";
		snprintf(elem_path, sizeof(elem_path), "%s[%zu]", path, i);
		rc = config_expect(ctx, elem, CONFIG_NODE_SCALAR, elem_path,
				   it->type == CONFIG_T_ADDR_LIST ? ipv6_hint : NULL);
		if (rc != 0)
			return rc;
		const char *text = config_node_is_null(elem) ? "" : elem->value;
		switch (it->type) {
		case CONFIG_T_ADDR_LIST:
			rc = (it->flags & CONFIG_F_PORT0)
				     ? config_addr_parse_bind_why((struct config_addr *)array + i, text, &why)
				     : config_addr_parse_why((struct config_addr *)array + i, text, &why);
			if (rc != 0)
				return config_error(ctx, rc, elem, "%s: '%s' is not a valid address: %s",
						    elem_path, config_quote(elem, quoted, sizeof(quoted)),
						    why);
			break;
		case CONFIG_T_PREFIX_LIST:
			rc = config_prefix_parse_why((struct config_prefix *)array + i, text, &why);
			if (rc != 0)
				return config_error(ctx, rc, elem, "%s: '%s' is not a valid prefix: %s",
						    elem_path, config_quote(elem, quoted, sizeof(quoted)),
						    why);
			break;
		case CONFIG_T_IP_LIST: {
			struct config_ip *ip = (struct config_ip *)array + i;
			if (inet_pton(AF_INET, text, ip->addr) == 1)
				ip->family = AF_INET;
			else if (inet_pton(AF_INET6, text, ip->addr) == 1)
				ip->family = AF_INET6;
			else
				return config_error(ctx, DNSD_EINVAL, elem,
						    "%s: '%s' is not an IPv4 or IPv6 address", elem_path,
						    config_quote(elem, quoted, sizeof(quoted)));
			break;
		}
		default: {
			char **strings = array;
			if (text[0] == '\0')
				return config_error(ctx, DNSD_EINVAL, elem, "%s: must not be empty",
						    elem_path);
			strings[i] = strdup(text);
			if (!strings[i])
				return config_nomem(ctx);
			if ((it->flags & CONFIG_F_DNAME) && !config_dname_normalize(strings[i]))
				return config_error(ctx, DNSD_EINVAL, elem,
						    "%s: '%s' is not a valid domain name", elem_path,
						    config_quote(elem, quoted, sizeof(quoted)));
			break;
		}
		}
	}
	return 0;
}

static int config_set_map_list(struct config_ctx *ctx, const struct config_item *it,
			       const struct config_node *node, void *base, const char *path)
{
	char elem_path[256];
	int rc = config_expect(ctx, node, CONFIG_NODE_SEQUENCE, path, NULL);
	if (rc != 0)
		return rc;
	char *array = NULL;
	if (node->count > 0) {
		array = calloc(node->count, it->size);
		if (!array)
			return config_nomem(ctx);
	}
	config_ptr_set(base, it->offset, array);
	config_count_set(base, it, node->count);

	for (size_t i = 0; i < node->count; i++) {
		const struct config_node *elem = node->children[i];
		void *elem_base = array + i * it->size;
		snprintf(elem_path, sizeof(elem_path), "%s[%zu]", path, i);
		rc = config_expect(ctx, elem, CONFIG_NODE_MAPPING, elem_path, NULL);
		if (rc != 0)
			return rc;
		memcpy(config_field(elem_base, it->line_offset), &elem->line, sizeof(int));
		rc = config_walk_map(ctx, it->sub, elem, elem_base, elem_path);
		if (rc != 0)
			return rc;

		/* Unique keys are compared after normalization, so "Global." and
		 * "global" collide as they would on the wire. */
		for (const struct config_item *sub = it->sub; sub->name; sub++) {
			if (!(sub->flags & CONFIG_F_UNIQUE))
				continue;
			const char *value = config_ptr_get(elem_base, sub->offset);
			for (size_t j = 0; value && j < i; j++) {
				const char *prev = config_ptr_get(array + j * it->size, sub->offset);
				if (!prev || strcmp(prev, value) != 0)
					continue;
				int prev_line;
				memcpy(&prev_line, array + j * it->size + it->line_offset, sizeof(prev_line));
				const struct config_node *at = config_map_get(elem, sub->name);
				return config_error(ctx, DNSD_EEXIST, at ? at : elem,
						    "%s.%s: duplicate %s '%s', first defined in "
						    "%s[%zu] at line %d",
						    elem_path, sub->name, sub->name, value, path, j,
						    prev_line);
			}
		}
	}
	return 0;
}

static int config_set(struct config_ctx *ctx, const struct config_item *it, const struct config_node *node,
		      void *base, const char *path)
{
	char quoted[CONFIG_QUOTE_MAX + 4];
	int rc;

	switch (it->type) {
	case CONFIG_T_BOOL: {
		bool value;
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		if (config_parse_bool(node->value, &value) != 0)
			return config_error(ctx, DNSD_EINVAL, node,
					    "%s: '%s' is not a boolean (true/false, yes/no, on/off)", path,
					    config_quote(node, quoted, sizeof(quoted)));
		memcpy(config_field(base, it->offset), &value, sizeof(value));
		return 0;
	}
	case CONFIG_T_UINT: {
		uint64_t value;
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		rc = config_parse_uint(node->value, &value);
		if (rc == DNSD_EINVAL)
			return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not a non-negative integer",
					    path, config_quote(node, quoted, sizeof(quoted)));
		if (rc != 0 || value < it->min || value > it->max)
			return config_error(ctx, DNSD_ERANGE, node,
					    "%s: %s is out of range %" PRIu32 "..%" PRIu32, path,
					    config_quote(node, quoted, sizeof(quoted)), it->min, it->max);
		config_store_uint(config_field(base, it->offset), it->size, (uint32_t)value);
		return 0;
	}
	case CONFIG_T_ENUM: {
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path, NULL);
		if (rc != 0)
			return rc;
		for (int i = 0; it->choices[i]; i++) {
			if (strcasecmp(node->value, it->choices[i]) == 0) {
				memcpy(config_field(base, it->offset), &i, sizeof(i));
				return 0;
			}
		}
		return config_error(ctx, DNSD_EINVAL, node, "%s: '%s' is not one of the allowed values", path,
				    config_quote(node, quoted, sizeof(quoted)));
	}
	case CONFIG_T_STRING:
	case CONFIG_T_PATH:
	case CONFIG_T_ADDR_TEXT:
		rc = config_expect(ctx, node, CONFIG_NODE_SCALAR, path,
				   it->type == CONFIG_T_ADDR_TEXT ? "; quote addresses: \"[::1]:53\"" : NULL);
		if (rc != 0)
			return rc;
		return config_set_string(ctx, it, node, base, path);
	case CONFIG_T_ADDR_LIST:
	case CONFIG_T_PREFIX_LIST:
	case CONFIG_T_IP_LIST:
	case CONFIG_T_STRING_LIST: return config_set_list(ctx, it, node, base, path);
	case CONFIG_T_MAP:
		rc = config_expect(ctx, node, CONFIG_NODE_MAPPING, path, NULL);
		if (rc != 0)
			return rc;
		return config_walk_map(ctx, it->sub, node, base, path);
	case CONFIG_T_MAP_LIST: return config_set_map_list(ctx, it, node, base, path);
	}
	return DNSD_EINVAL;
}

/* Defaults are YAML text in the table, parsed by the same code as the file,
 * so the loader and config_print_reference() cannot disagree. */
static int config_set_default(struct config_ctx *ctx, const struct config_item *it, void *base,
			      const char *path)
{
	struct config_node *node;
	struct config_ctx def_ctx = { .name = "<default>",
				      .dir = ctx->dir,
				      .err = ctx->err,
				      .errlen = ctx->errlen };
	int rc = config_tree_parse(&def_ctx, it->def, strlen(it->def), &node);
	if (rc != 0)
		return rc;
	assert(node);
	rc = config_set(&def_ctx, it, node, base, path);
	config_node_free(node);
	return rc;
}

static int config_walk_map(struct config_ctx *ctx, const struct config_item *items,
			   const struct config_node *map, void *base, const char *path)
{
	/* Every table is far shorter than this; seen[] finds duplicate keys
	 * without comparing every key with every other. */
	const struct config_node *seen[32] = { NULL };
	char quoted[CONFIG_QUOTE_MAX + 4];
	char item_path[256];
	int rc;

	for (size_t i = 0; map && i + 1 < map->count; i += 2) {
		const struct config_node *key = map->children[i];
		const struct config_node *value = map->children[i + 1];
		rc = config_expect(ctx, key, CONFIG_NODE_SCALAR, path[0] ? path : "key", NULL);
		if (rc != 0)
			return rc;
		size_t idx;
		for (idx = 0; items[idx].name; idx++)
			if (strcmp(items[idx].name, key->value) == 0)
				break;
		assert(idx < sizeof(seen) / sizeof(seen[0]));
		if (!items[idx].name) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, key, "unknown key '%s' in '%s'",
						    config_quote(key, quoted, sizeof(quoted)), path);
			return config_error(ctx, DNSD_EINVAL, key, "unknown key '%s'",
					    config_quote(key, quoted, sizeof(quoted)));
		}
		if (seen[idx]) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, key,
						    "duplicate key '%s' in '%s', first at line %d",
						    key->value, path, seen[idx]->line);
			return config_error(ctx, DNSD_EINVAL, key, "duplicate key '%s', first at line %d",
					    key->value, seen[idx]->line);
		}
		seen[idx] = key;
		snprintf(item_path, sizeof(item_path), "%s%s%s", path, path[0] ? "." : "", items[idx].name);
		rc = config_set(ctx, &items[idx], value, base, item_path);
		if (rc != 0)
			return rc;
	}

	for (size_t idx = 0; items[idx].name; idx++) {
		const struct config_item *it = &items[idx];
		if (seen[idx])
			continue;
		snprintf(item_path, sizeof(item_path), "%s%s%s", path, path[0] ? "." : "", it->name);
		if (it->flags & CONFIG_F_REQUIRED) {
			if (path[0])
				return config_error(ctx, DNSD_EINVAL, map, "%s: missing required key '%s'",
						    path, it->name);
			return config_error(ctx, DNSD_EINVAL, map, "missing required key '%s'", it->name);
		}
		if (it->type == CONFIG_T_MAP)
			rc = config_walk_map(ctx, it->sub, NULL, base, item_path);
		else if (it->def)
			rc = config_set_default(ctx, it, base, item_path);
		else
			rc = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- entry points ---- */

int config_schema_apply(struct config_ctx *ctx, const struct config_node *root, struct config *cfg)
{
	return config_walk_map(ctx, config_items, root, cfg, "");
}

static void config_free_items(const struct config_item *items, void *base)
{
	for (const struct config_item *it = items; it->name; it++) {
		switch (it->type) {
		case CONFIG_T_BOOL:
		case CONFIG_T_UINT:
		case CONFIG_T_ENUM: break;
		case CONFIG_T_STRING:
		case CONFIG_T_PATH:
		case CONFIG_T_ADDR_TEXT:
		case CONFIG_T_ADDR_LIST:
		case CONFIG_T_PREFIX_LIST:
		case CONFIG_T_IP_LIST: free(config_ptr_get(base, it->offset)); break;
		case CONFIG_T_STRING_LIST: {
			char **strings = config_ptr_get(base, it->offset);
			size_t n = config_count_get(base, it);
			for (size_t i = 0; strings && i < n; i++)
				free(strings[i]);
			free(strings);
			break;
		}
		case CONFIG_T_MAP: config_free_items(it->sub, base); break;
		case CONFIG_T_MAP_LIST: {
			char *array = config_ptr_get(base, it->offset);
			size_t n = config_count_get(base, it);
			for (size_t i = 0; array && i < n; i++)
				config_free_items(it->sub, array + i * it->size);
			free(array);
			break;
		}
		}
	}
}

void config_schema_free(struct config *cfg) { config_free_items(config_items, cfg); }

/* ---- reference ---- */

static void config_print_help(FILE *out, int indent, const struct config_item *it)
{
	fprintf(out, "%*s# %s: %s", indent, "", it->name, it->help);
	if (it->type == CONFIG_T_UINT)
		fprintf(out, "; %" PRIu32 "..%" PRIu32, it->min, it->max);
	if (it->choices) {
		fputs("; one of ", out);
		for (size_t i = 0; it->choices[i]; i++)
			fprintf(out, "%s%s", i ? "|" : "", it->choices[i]);
	}
	if (it->flags & CONFIG_F_REQUIRED)
		fputs("; required", out);
	if (it->flags & CONFIG_F_UNIQUE)
		fputs(", unique", out);
	if (it->def && it->example)
		fprintf(out, "; default %s", it->def);
	fputc('\n', out);
}

static void config_print_items(FILE *out, const struct config_item *items, int indent, bool is_list_element)
{
	for (const struct config_item *it = items; it->name; it++) {
		/* The first key of a list element shares the "- " line. */
		bool is_first = is_list_element && it == items;
		config_print_help(out, indent, it);
		fprintf(out, "%*s%s%s:", is_first ? indent - 2 : indent, "", is_first ? "- " : "", it->name);
		if (it->type == CONFIG_T_MAP) {
			fputc('\n', out);
			config_print_items(out, it->sub, indent + 2, false);
		} else if (it->type == CONFIG_T_MAP_LIST) {
			fputc('\n', out);
			config_print_items(out, it->sub, indent + 4, true);
		} else {
			fprintf(out, " %s\n", it->example ? it->example : it->def ? it->def : "\"\"");
		}
	}
}

void config_print_reference(FILE *out)
{
	if (!out)
		return;
	fputs("# dnsd configuration reference, generated from the option table in config_schema.c.\n"
	      "# Every key is optional unless marked required; values shown are defaults\n"
	      "# or, for lists, examples.\n",
	      out);
	config_print_items(out, config_items, 0, false);
}
