#!/bin/sh
# postgres.sh starts the local PostgreSQL cluster if it is not running,
# makes sure the current user has a superuser role, waits until the server
# accepts connections and prints a DSN for it on stdout (and nothing else):
#
#	export RBAC_POSTGRES_DSN=$(scripts/postgres.sh)
#	go test ./pgstore/
#
# It is idempotent. It expects a Debian-style installation (pg_lsclusters,
# pg_ctlcluster) and runs as root or as a user allowed to use su/sudo to
# postgres. PGVERSION and PGCLUSTER pick the cluster (default: the first one
# listed, usually 15/main).
set -eu

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
	log "pg_lsclusters not found: install PostgreSQL (apt-get install postgresql)"
	exit 1
fi

# The cluster: version, name, port, status.
line=$(pg_lsclusters --no-header | awk -v v="${PGVERSION:-}" -v c="${PGCLUSTER:-}" \
	'(v == "" || $1 == v) && (c == "" || $2 == c) { print; exit }')
if [ -z "$line" ]; then
	log "no PostgreSQL cluster found (pg_lsclusters lists none)"
	exit 1
fi
set -- $line
version=$1 cluster=$2 port=$3 status=$4
socketdir=/var/run/postgresql

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$*"
	elif [ "$(id -un)" = postgres ]; then
		sh -c "$*"
	else
		sudo -u postgres sh -c "$*"
	fi
}

if [ "$status" != online ]; then
	log "starting cluster $version/$cluster"
	if [ "$(id -u)" = 0 ]; then
		pg_ctlcluster "$version" "$cluster" start >&2 || true
	else
		as_postgres "pg_ctlcluster $version $cluster start" >&2 || true
	fi
fi

# Wait until the server accepts connections (up to 60 s).
i=0
until pg_isready -q -h "$socketdir" -p "$port"; do
	i=$((i + 1))
	if [ "$i" -ge 120 ]; then
		log "cluster $version/$cluster does not accept connections; see /var/log/postgresql/postgresql-$version-$cluster.log"
		exit 1
	fi
	sleep 0.5
done

# A superuser role named after the current user, so it connects over the
# socket with peer authentication.
user=$(id -un)
if [ "$user" != postgres ]; then
	exists=$(as_postgres "psql -h $socketdir -p $port -d postgres -XtAc \"SELECT 1 FROM pg_roles WHERE rolname = '$user'\"")
	if [ "$exists" != 1 ]; then
		log "creating role $user"
		# Another run may create it at the same time: "already exists" is fine.
		as_postgres "createuser -h $socketdir -p $port -s $user" >&2 || true
	fi
fi

if ! psql -h "$socketdir" -p "$port" -d postgres -XtAc 'SELECT 1' >/dev/null 2>&1; then
	log "cannot connect as $user to postgres on $socketdir port $port"
	exit 1
fi

if [ "$port" = 5432 ]; then
	echo "postgres:///postgres?host=$socketdir"
else
	echo "postgres:///postgres?host=$socketdir&port=$port"
fi
