/* SPDX-License-Identifier: BSD-3-Clause
 * config.h - the YAML configuration (libyaml) turned into plain, defaulted,
 * validated structs. libyaml never leaks past config.c: runtime code receives
 * a const struct config *. Every option is described once, in the option
 * table in config_schema.c; errors name file:line:column and the key. */
#ifndef DNSD_CONFIG_H
#define DNSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/addr.h"
#include "dns/cookie.h"
#include "util/log.h"

/* One address of a nameserver: no port, no prefix length. */
struct config_ip {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network bytes */
};

/* A zone's nameservers: entry: apex NS and, for in-zone names, glue. */
struct config_nameserver {
	char *name;                  /* lowercase, no trailing dot */
	struct config_ip *addresses; /* required for names inside the zone, refused outside */
	size_t addresses_count;
	int line;
};

struct config_zone {
	char *name;        /* presentation form without trailing dot: "global" */
	char *file;        /* zone file path (relative paths resolved against the
	                          config file's directory), or NULL */
	uint32_t ttl_s;    /* default TTL for generated records; default 30 */
	char **kubernetes; /* names of config_kubernetes sources feeding this zone */
	size_t kubernetes_count;
	char **views; /* views this entry serves; empty = every view. A name may
	                          repeat across entries whose views are disjoint: each view
	                          then has its own data for the same zone (split horizon) */
	size_t views_count;
	char **allow_transfer; /* "10.0.0.0/8", "!10.9.0.0/16", "::1", "any", "key NAME", "none";
	                          empty = loopback only (127.0.0.0/8, ::1) */
	size_t allow_transfer_count;
	char **notify; /* "127.0.0.1:5300" or "127.0.0.1:5300 key NAME": NOTIFY targets */
	size_t notify_count;
	bool is_catalog; /* catalog: true - an RFC 9432 catalog of the zones of this entry's
	                          views, built by dnsd (no file, no kubernetes) */
	struct config_nameserver *nameservers; /* empty = synthesized from the listen addresses */
	size_t nameservers_count;
	int line; /* where it was declared, for messages */
};

/* A TSIG key (RFC 8945) for transfers and NOTIFY. */
struct config_tsig_key {
	char *name;        /* key name, lowercase, no trailing dot */
	char *algorithm;   /* "hmac-sha256" (default) or "hmac-sha512" */
	char *secret;      /* base64; read from secret_file by the loader when that is set */
	char *secret_file; /* a file holding the base64 secret (a mounted Kubernetes Secret) */
	int line;
};

/* Who may publish a name (README "Who may publish a name"). */
enum config_host_policy { CONFIG_HOST_POLICY_NAMESPACE = 0, CONFIG_HOST_POLICY_ANY };
enum config_export_to { CONFIG_EXPORT_TO_REQUIRE_ALL = 0, CONFIG_EXPORT_TO_IGNORE };
/* How the UDP threads receive and send (README "Performance"): auto =
 * io_uring where the kernel allows it, else recvmmsg()/sendmmsg(). */
enum config_udp_io { CONFIG_UDP_IO_AUTO = 0, CONFIG_UDP_IO_IO_URING, CONFIG_UDP_IO_RECVMMSG };

struct config_kubernetes {
	char *name;
	char *kubeconfig;   /* path (resolved like zone files), or NULL */
	bool is_in_cluster; /* in-cluster: true */
	char *context;      /* NULL = current-context */
	char **namespaces;  /* empty = all namespaces */
	size_t namespaces_count;
	char *api_version;                   /* NULL = discover: v1, else v1beta1, else v1alpha3 */
	enum config_host_policy host_policy; /* default namespace */
	char **trusted_namespaces;           /* may publish any host; default [istio-system] */
	size_t trusted_namespaces_count;
	enum config_export_to export_to; /* default require-all */
	int line;
};

struct config_view {
	char *name;
	struct config_prefix *match_clients; /* empty = any */
	size_t match_clients_count;
	struct config_addr *match_destinations; /* empty = any */
	size_t match_destinations_count;
	char **zones; /* zone names served in this view; the loader fills in every
	                          zone name with an entry for this view when the key is
	                          absent, "zones: []" stays empty */
	size_t zones_count;
	char **kubernetes; /* clusters feeding this view's copy of the zones */
	size_t kubernetes_count;
	char **match_keys; /* TSIG keys whose transfers this view serves, whatever the address */
	size_t match_keys_count;
	int line;
};

#define CONFIG_COOKIE_ALLOW_MAX 64

struct config {
	char *path;                 /* the file this was loaded from */
	struct config_addr *listen; /* UDP and TCP on each; default 127.0.0.1:5353 */
	size_t listen_count;
	unsigned workers;                        /* 0 = one per CPU */
	unsigned background_nice;                /* default 10: added to non-query threads' nice */
	uint16_t udp_payload_max;                /* default 1232, range 512..4096 */
	enum config_udp_io udp_io;               /* default auto */
	uint32_t udp_batch_wait_us;              /* default 0 (off), range 0..200 */
	uint32_t tcp_idle_timeout_ms;            /* default 10000 */
	uint32_t tcp_max_connections;            /* default 1024 */
	uint32_t tcp_io_timeout_ms;              /* default 3000: one message's deadline */
	uint32_t tcp_max_connections_per_client; /* default 0: no limit */
	uint32_t tcp_output_buffer_max;          /* default 64 MiB: unsent TCP answers, all workers */
	uint32_t tcp_in_flight_max; /* default 96 MiB: unsent answers + unanswered input + transfers */
	struct config_zone *zones;
	size_t zones_count;
	struct config_kubernetes *kubernetes;
	size_t kubernetes_count;
	struct config_view *views; /* empty = one implicit view with every zone and cluster */
	size_t views_count;
	struct config_tsig_key *tsig_keys;
	size_t tsig_keys_count;
	uint32_t journal_size;     /* xfr: {journal-size}: bytes of IXFR history per zone and view */
	uint32_t notify_attempts;  /* xfr: {notify-attempts} */
	uint32_t notify_retry_ms;  /* xfr: {notify-retry-ms}: first retransmission, doubling */
	uint32_t serial_replica;   /* xfr: {serial-replica}: 0..255, the low byte of Kubernetes-fed
	                                  zones' serials; 256 = derived from the host name */
	enum log_level log_level;  /* log: {level: info} */
	bool log_queries;          /* log: {queries: false} */
	char *metrics_listen;      /* metrics: {listen: ""}; "" = off (the default); never
	                                  NULL; port 0 = any; parse with
	                                  config_addr_parse_bind_why() (conf/addr.h) */
	char *health_listen;       /* health: {listen: ""}; "" = off; never NULL */
	bool chaos_enabled;        /* chaos: true answers view.dnsd / version.dnsd CH TXT */
	char *user;                /* user to drop to after binding when started as root */
	char *pid_file;            /* NULL = none */
	uint32_t lameduck_ms;      /* SIGTERM: /ready fails, answering goes on this long; 5000 */
	bool is_reload_on_change;  /* reload-on-change: true: inotify on config and zone files */
	char *identity;            /* NSID / id.server text; "" = $HOSTNAME, else gethostname();
	                                  never NULL, at most 255 bytes */
	bool is_nsid_enabled;      /* nsid: false */
	bool is_id_server_enabled; /* id-server: false */
	struct config_prefix *proxy_protocol; /* peers that must send a PROXY v2 header
	                                           (server/proxy.h); empty = none may */
	size_t proxy_protocol_count;
	char *state_dir;                  /* Kubernetes sources' last known state (k8s/k8s_persist.h);
	                                  NULL = none */
	uint32_t stale_start_timeout_ms;  /* serve saved state after this; default 10000 */
	uint32_t state_write_interval_ms; /* at most one state write per source per this; 2000 */
	/* rrl: response rate limiting over UDP (server/rrl.h); off while
	 * rrl_responses_per_second is 0 (the default) */
	uint32_t rrl_responses_per_second;
	uint32_t rrl_errors_per_second;    /* 0 = as responses-per-second */
	uint32_t rrl_nxdomains_per_second; /* 0 = as responses-per-second */
	uint32_t rrl_slip;                 /* every nth limited reply sent TC=1; 0 = drop all; 2 */
	uint32_t rrl_ipv4_prefix_length;   /* 24 */
	uint32_t rrl_ipv6_prefix_length;   /* 56 */
	uint32_t rrl_table_size;           /* buckets (rounded up to a power of 2); 65536 */
	bool rrl_is_log_only;              /* count and log, limit nothing */
	struct config_prefix *rrl_exempt;  /* clients never limited */
	size_t rrl_exempt_count;
	/* DNS Cookies (RFC 7873 / RFC 9018) */
	char *cookie_secret_file;             /* NULL = a secret generated at start */
	struct cookie_secrets cookie_secrets; /* read from it at (re)load when has_cookie_secrets */
	bool has_cookie_secrets;
	bool is_cookie_required;            /* cookie-require: false */
	struct config_prefix *cookie_allow; /* cookie-allow: exempt from cookie-require */
	size_t cookie_allow_count;          /* at most CONFIG_COOKIE_ALLOW_MAX */
};

/* Parse and validate the YAML file at path. On success *out is a new config
 * (caller frees with config_free()) and 0 is returned. On failure returns a
 * negative dnsd_err and writes "file:line:column: message" into err. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* The same as config_load() for a document already in memory (the fuzzer,
 * tests). name is used in messages and, like config_load()'s path, to resolve
 * relative file: and kubeconfig: paths against its directory. buf need not be
 * NUL-terminated. */
int config_load_buffer(const char *name, const char *buf, size_t len, struct config **out, char *err,
		       size_t errlen);

/* Does zone entry z serve view_name (its views list is empty or names it)? */
bool config_zone_in_view(const struct config_zone *z, const char *view_name);

/* Frees the config and everything it owns; accepts NULL. */
void config_free(struct config *cfg);

/* Writes the option table as a commented sample YAML document that loads
 * as a valid configuration (`dnsd -p`, docs). Does nothing when out is NULL. */
void config_print_reference(FILE *out);

/* Whether a and b have the same rrl settings (a reload swaps the rate
 * limiter only when they differ: server_set_rrl()). */
bool config_rrl_equal(const struct config *a, const struct config *b);

#endif
