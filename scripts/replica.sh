#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL on a second loopback port, for the read-replica
# tests (READ_DATABASE_URL) and for trying the replica path by hand:
#
#   scripts/replica.sh start    # pg_basebackup of 127.0.0.1:5432, then a hot standby on :5433
#   scripts/replica.sh status   # is it up and replaying?
#   scripts/replica.sh stop
#
# Needs root (it runs the standby as the `postgres` user, which initdb-style tools require) and
# lets the primary accept replication connections from 127.0.0.1 (one pg_hba.conf line, trust, as
# the rest of this machine's local access). The standby copies the whole cluster: on a machine
# with big benchmark databases the first start takes as long as copying them.
set -euo pipefail

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/var/lib/postgresql/coursebase-replica}
BIN=$(dirname "$(readlink -f "$(command -v pg_basebackup || echo /usr/lib/postgresql/15/bin/pg_basebackup)")")
[ -x "$BIN/pg_ctl" ] || BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

primary() { psql "postgres://postgres@${PRIMARY_HOST}:${PRIMARY_PORT}/postgres" --no-psqlrc -Atc "$1"; }
replica() { psql "postgres://postgres@127.0.0.1:${REPLICA_PORT}/postgres" --no-psqlrc -Atc "$1" 2>/dev/null; }
as_postgres() { su postgres -s /bin/bash -c "$*"; }
replaying() { [ "$(replica 'select pg_is_in_recovery()' || true)" = "t" ]; }

start() {
  if replaying; then
    echo "replica already streaming on 127.0.0.1:${REPLICA_PORT}"
    return 0
  fi
  if ss -ltn | grep -q "127.0.0.1:${REPLICA_PORT} "; then
    echo "port ${REPLICA_PORT} is taken by something that is not a standby of ${PRIMARY_PORT}" >&2
    exit 1
  fi

  local hba
  hba=$(primary 'show hba_file')
  if ! grep -Eq '^\s*host\s+replication\s+all\s+127\.0\.0\.1/32' "$hba"; then
    echo "host replication all 127.0.0.1/32 trust" >>"$hba"
    primary 'select pg_reload_conf()' >/dev/null
    echo "allowed replication from 127.0.0.1 in $hba"
  fi

  # A hot standby must allow at least as many of these as its primary.
  local settings=""
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    settings+="${name} = $(primary "show ${name}")"$'\n'
  done

  as_postgres "'$BIN/pg_ctl' -D '$REPLICA_DIR' stop -m fast" >/dev/null 2>&1 || true
  rm -rf "$REPLICA_DIR"
  mkdir -p "$REPLICA_DIR"
  chown postgres:postgres "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  # -R writes standby.signal and primary_conninfo; -X stream carries the WAL of the copy itself.
  as_postgres "'$BIN/pg_basebackup' -h $PRIMARY_HOST -p $PRIMARY_PORT -U postgres -D '$REPLICA_DIR' -R -X stream -c fast"

  # Debian keeps the primary's configuration in /etc, so the copy has none: give it its own.
  cat >"$REPLICA_DIR/postgresql.conf" <<EOF
port = ${REPLICA_PORT}
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
# Long analytics reads on the standby should not be cancelled by the primary's vacuum.
hot_standby_feedback = on
${settings}
EOF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$REPLICA_DIR/pg_hba.conf"
  : >"$REPLICA_DIR/pg_ident.conf"
  chown postgres:postgres "$REPLICA_DIR"/*.conf
  as_postgres "'$BIN/pg_ctl' -D '$REPLICA_DIR' -l '$REPLICA_DIR/replica.log' -w -t 60 start" >/dev/null

  for _ in $(seq 1 60); do
    if replaying; then
      echo "replica streaming from ${PRIMARY_PORT} on 127.0.0.1:${REPLICA_PORT} ($REPLICA_DIR)"
      return 0
    fi
    sleep 0.5
  done
  echo "the replica did not start replaying; its log:" >&2
  tail -n 30 "$REPLICA_DIR/replica.log" >&2 || true
  exit 1
}

status() {
  if replaying; then
    primary "select 'streaming to ' || client_addr || ', replay lag ' || coalesce(replay_lag::text, '0') from pg_stat_replication"
  else
    echo "no replica on 127.0.0.1:${REPLICA_PORT}"
    return 1
  fi
}

stop() {
  as_postgres "'$BIN/pg_ctl' -D '$REPLICA_DIR' stop -m fast" 2>/dev/null || echo "no replica running from $REPLICA_DIR"
}

case "${1:-}" in
start | status | stop) "$1" ;;
*)
  echo "usage: $0 start|status|stop" >&2
  exit 2
  ;;
esac
