#!/usr/bin/env bash
# With log: {queries: true} every query's log line names the view that
# answered it, its client and protocol: what an operator greps for when a
# cluster gets the wrong answers.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"

start_split_horizon_dnsd   # turns the example's query log on

qdig -b 127.0.0.11 messenger.default.global >/dev/null
qdig -b 127.0.0.12 +tcp ratings.default.global AAAA >/dev/null
qdig -b 127.0.0.13 nosuch.default.global >/dev/null
qdig -b 127.0.0.13 +subnet=10.2.0.0/16 view.dnsd CH TXT >/dev/null

want=(
  'query client=127\.0\.0\.11#[0-9]+ proto=udp view=mesh-1 qname=messenger\.default\.global\. qtype=1 rcode=0 tc=0 us=[0-9.]+$'
  'query client=127\.0\.0\.12#[0-9]+ proto=tcp view=mesh-2 qname=ratings\.default\.global\. qtype=28 rcode=0 tc=0 us=[0-9.]+$'
  'query client=127\.0\.0\.13#[0-9]+ proto=udp view=default qname=nosuch\.default\.global\. qtype=1 rcode=5 '
  'query client=127\.0\.0\.13#[0-9]+ proto=udp view=mesh-2 qname=view\.dnsd\. qtype=16 rcode=0 '
)
for re in "${want[@]}"; do
  wait_until 5 query_logged "$re" || die "no query log line matching /$re/"
  echo "ok - logged: $re"
done
