#!/usr/bin/env bash
# Payload inspection with real clients and servers in private namespaces:
#  - curl over TLS with SNI example.test to openssl s_server: a flow with
#    app_proto tls, app_info example.test, encrypted 1, and the server's
#    answer as tls with its version and cipher (egress);
#  - curl to a plain HTTP server for /api/v1/items: http, app_info the
#    method, the host and that path, encrypted 0; with -u user:pass a policy event for the
#    Authorization header;
#  - plain HTTP to port 443: a policy event naming the port;
#  - curl sending 20 requests over one HTTP/1.1 keep-alive connection: the
#    flow's requests 20, and 20 requests rows with method, host, path
#    without query, and the status of each one's response (egress).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require curl openssl python3
work_dir
netns_create
netns_peer
flowdb=$top/build/flowdb

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=example.test \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www/api/v1"
echo '{"items": []}' >"$WORK/www/api/v1/items"
# A budget of 64 copies per flow: the keep-alive connection's 20 requests
# and their 40 response segments are all read.
collector_start col "$WORK/collector.log" -i "$VETH_RX" --egress -d "$WORK/data" \
	--flush-interval 1s --xdp-mode generic --inspect-packets 64
netns_bg tls openssl s_server -quiet -accept "$ADDR:443" -cert "$WORK/cert.pem" \
	-key "$WORK/key.pem" -www
netns_bg http python3 -m http.server --bind "$ADDR" --directory "$WORK/www" 80
netns_bg keep python3 -m http.server --protocol HTTP/1.1 --bind "$ADDR" --directory "$WORK/www" 8080
for port in 443 80 8080; do
	for _ in $(seq 50); do
		netns_peer_exec bash -c "exec 3<>/dev/tcp/$ADDR/$port" 2>/dev/null && break
		sleep 0.1
	done
done

peer_curl() {
	netns_peer_exec curl -s -o /dev/null --max-time 5 "$@"
}
peer_curl -k --resolve "example.test:443:$ADDR" https://example.test/ ||
	fail "curl over TLS to openssl s_server failed"
peer_curl "http://$ADDR/api/v1/items" || fail "curl to the HTTP server failed"
peer_curl -u user:secret "http://$ADDR/api/v1/items?page=2" || fail "curl -u failed"
peer_curl "http://$ADDR:443/" || true # s_server does not speak HTTP in the clear
# http.server closes the connection after an error: the 404 comes last.
urls=()
for i in $(seq 19); do urls+=("http://$ADDR:8080/api/v1/items?page=$i"); done
urls+=("http://$ADDR:8080/api/v1/nothing")
peer_curl "${urls[@]}" || true
sleep 1.5
collector_stop "$col"
# s_server ignores SIGTERM: the teardown must not wait for it.
kill -KILL "$tls" "$http" "$keep"
wait "$tls" "$http" "$keep" 2>/dev/null || true

q() {
	"$flowdb" -d "$WORK/data" -f csv --no-headers -c "$1" | tr -d '\r'
}
got=$(q "SELECT DISTINCT app_proto, app_info, encrypted FROM flows WHERE direction = 'in'
	AND src_addr = '$PEER_ADDR' AND dst_port = 443 AND app_proto = 'tls'")
[ "$got" = "tls,example.test,1" ] || fail "the TLS client's flow: '$got'"
got=$(q "SELECT DISTINCT app_proto, encrypted FROM flows WHERE direction = 'out'
	AND src_port = 443 AND app_info LIKE 'TLS1._ TLS_%'")
[ "$got" = "tls,1" ] || fail "the TLS server's flow: '$got'; out flows: $(q "SELECT src_port,
	dst_port, packets, app_proto, app_info FROM flows WHERE direction = 'out'")"
# The readiness probes' connections carry no data: no PSH.
got=$(q "SELECT app_proto, app_info, encrypted FROM flows WHERE direction = 'in'
	AND dst_port = 80 AND tcp_flags & 8 ORDER BY first_seen")
want="http,GET $ADDR/api/v1/items,0
http,GET $ADDR/api/v1/items,0"
[ "$got" = "$want" ] || fail "the HTTP flows: '$got'"
got=$(q "SELECT app_proto, app_info, encrypted FROM flows WHERE direction = 'in'
	AND dst_port = 443 AND app_proto = 'http'")
[ "$got" = "http,GET $ADDR:443/,0" ] || fail "plain HTTP to port 443: '$got'"
got=$(q "SELECT dst_port, detail FROM events WHERE kind = 'policy' ORDER BY time")
want="80,cleartext HTTP request with an Authorization header (Basic) to $ADDR/api/v1/items
443,cleartext http to port 443 (expects encryption): GET $ADDR:443/"
[ "$got" = "$want" ] || fail "policy events: '$got'"
q "SELECT payload_events FROM collector_stats" | grep -qv '^0$' || fail "no payload events counted"
got=$(q "SELECT count(*), sum(requests) FROM flows WHERE direction = 'in' AND dst_port = 8080
	AND requests > 0")
[ "$got" = "1,20" ] || fail "the keep-alive connection's flows (count, requests): '$got'"
want=$(for i in $(seq 19); do echo "GET,$ADDR:8080,/api/v1/items,200"; done
	echo "GET,$ADDR:8080,/api/v1/nothing,404")
got=$(q "SELECT method, host, path, status FROM requests WHERE dst_port = 8080 ORDER BY time")
[ "$got" = "$want" ] || fail "the keep-alive connection's requests: '$got'"
echo "PASS: TLS with SNI, HTTP with its path, both policy breaches, and 20 keep-alive requests with their statuses recorded from real clients"
