#!/bin/sh
# Load run of the check route of rbac serve, from a second process (wrk)
# on loopback. From the root of the module:
#
#	sh cmd/rbac/testdata/load.sh [CONNECTIONS] [SECONDS] [LOG_LEVEL]
#
# It builds and starts rbac serve in memory, creates a permission, a role
# granting it, 100 organizations and 1,000 memberships through the API
# (curl), then runs wrk with one thread and CONNECTIONS connections
# (default 16) for SECONDS seconds (default 20), the server logging at
# LOG_LEVEL (default info: a log line per request, to /dev/null). It needs
# curl and wrk (apt-get install -y wrk).
set -eu
conns=${1:-16}
secs=${2:-20}
level=${3:-info}
key=sk_load_test
port=18181
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/rbac" ./cmd/rbac
"$dir/rbac" serve --addr 127.0.0.1:$port --api-key $key --log-level "$level" >"$dir/out" 2>/dev/null &
pid=$!
url=http://127.0.0.1:$port
i=0
until curl -sf $url/healthz >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "rbac serve did not start"; exit 1; }
	sleep 0.1
done
call() { curl -sf -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$url$2" -d "$3"; }
call POST /authorization/permissions '{"slug":"docs:read","name":"Read docs"}' >/dev/null
call POST /authorization/roles '{"slug":"reader","name":"Reader"}' >/dev/null
call PUT /authorization/roles/reader/permissions '{"permissions":["docs:read"]}' >/dev/null
: >"$dir/ids"
for o in $(seq 1 100); do
	call POST /organizations "{\"id\":\"org$o\",\"name\":\"Org $o\"}" >/dev/null
	for u in $(seq 1 10); do
		role=member; [ $((u % 2)) -eq 0 ] && role=reader
		call POST /user_management/organization_memberships \
			"{\"organization_id\":\"org$o\",\"user_id\":\"user$u\",\"role_slug\":\"$role\"}" |
			sed 's/.*"id":"\(om_[0-9A-Z]*\)".*/\1/' >>"$dir/ids"
	done
done
echo "seeded $(wc -l <"$dir/ids") memberships in 100 organizations; wrk -t1 -c$conns -d${secs}s, log level $level"
# The server's CPU time (user + system, in clock ticks) before and after,
# for its CPU time per request: steadier than requests per second on a
# machine shared with other work.
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
before=$(ticks)
RBAC_API_KEY=$key RBAC_MEMBERSHIPS="$dir/ids" wrk -t1 -c"$conns" -d"${secs}s" --latency \
	-s cmd/rbac/testdata/check.lua "$url" | tee "$dir/wrk"
after=$(ticks)
requests=$(awk '/requests in/ {print $1}' "$dir/wrk")
awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
	'BEGIN { printf "server CPU: %.1f s, %.1f µs per request\n", t / hz, t / hz / n * 1e6 }'
