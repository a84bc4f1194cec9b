#!/usr/bin/env bash
# Apache Kafka (KRaft, one combined node) from the jars Maven resolved into the run folder.
#   kafka.sh start | stop | status
# Settings come from the environment (the Makefile passes them): RUN_DIR, KAFKA_PORT,
# KAFKA_CONTROLLER_PORT, KAFKA_HEAP, KAFKA_CDS (0: no class-data archive).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${RUN_DIR:-$here/../../.run}
RUN_DIR=$(mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP=${KAFKA_HEAP:-512m}
PY=${PY:-$here/../../.venv/bin/python}
home=$RUN_DIR/kafka
secrets=$RUN_DIR/secrets
libs=$home/libs
pidfile=$home/kafka.pid
log=$home/logs/console.log

# shellcheck source=../alive.sh
. "$here/../alive.sh"
running() { [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; }

start() {
  if running; then echo "kafka: already running (pid $(cat "$pidfile")) on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  [ -d "$libs" ] && ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 \
    || { echo "kafka: jars missing in $libs; run 'make kafka-jars'" >&2; exit 1; }
  command -v java >/dev/null || { echo "kafka: java not found (need Java 17+)" >&2; exit 1; }
  (cd "$here/../.." && "$PY" -m infra.secrets init --run-dir "$RUN_DIR")
  # A broker formatted before security came has no SCRAM principals and no ACLs: local data
  # only, so it is formatted anew rather than left open.
  if [ -f "$home/data/meta.properties" ] && [ ! -f "$home/data/.secured" ]; then
    echo "kafka: the run folder's broker predates SASL/ACLs; formatting it anew (local data is reset)"
    rm -rf "$home/data"
  fi
  mkdir -p "$home/data" "$home/logs"
  chmod 700 "$home"
  local broker_password controller_password
  broker_password=$(cat "$secrets/broker/kafka.password")
  controller_password=$(cat "$secrets/broker/controller.password")
  (umask 077; sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$home/data|g" -e "s|@KEYSTORE@|$secrets/broker/server.pem|g" \
      -e "s|@CA@|$secrets/ca.pem|g" -e "s|@BROKER_PASSWORD@|$broker_password|g" \
      -e "s|@CONTROLLER_PASSWORD@|$controller_password|g" \
      "$here/server.properties.in" > "$home/server.properties")
  local jvm=(java "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -XX:+UseG1GC
             "-Dlog4j2.configurationFile=$here/log4j2.properties" "-Dkafka.logs.dir=$home/logs"
             -cp "$libs/*")
  # The broker's classes, loaded once and kept as a class-data archive: the first broker
  # writes it when it stops, every later start maps it (a second off each restart, which is
  # when the platform waits for it). The archive is named after the jars and the JVM, so a
  # new Kafka or Java writes a new one; a stale or broken one is ignored by the JVM.
  local archive=""
  [ "${KAFKA_CDS:-1}" = 1 ] && archive="$home/cds/broker-$( (ls "$libs"; java -version 2>&1) | sha256sum | cut -c1-16).jsa"
  mkdir -p "$home/cds"
  if [ -z "$archive" ]; then
    :
  elif [ -s "$archive" ]; then
    jvm+=("-XX:SharedArchiveFile=$archive" -Xlog:cds=off -Xlog:cds+dynamic=off)
  else
    rm -f "$home"/cds/broker-*.jsa
    jvm+=("-XX:ArchiveClassesAtExit=$archive" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
  if [ ! -f "$home/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid | tail -n 1)
    # the broker's own principal and the admin exist from the start (the admin creates
    # every other principal: make topics); SCRAM credentials live in the metadata log
    "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$home/server.properties" --standalone \
      --add-scram "SCRAM-SHA-512=[name=broker,password=$broker_password]" \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$secrets/admin/kafka.password")]" >/dev/null
    touch "$home/data/.secured"
  fi
  # the readiness line below must come from this start, not from an earlier run's log
  [ -f "$home/logs/server.log" ] && mv -f "$home/logs/server.log" "$home/logs/server.log.previous"
  nohup "${jvm[@]}" kafka.Kafka "$home/server.properties" > "$log" 2>&1 &
  echo $! > "$pidfile"
  # "Kafka Server started" is the broker's own readiness line.
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$home/logs/server.log" 2>/dev/null; then
      # every principal gets its login from the run folder's secrets (make topics adds ACLs);
      # the logins live in the metadata log, so a restart with the same secrets skips this
      local logins; logins=$(cat "$secrets"/*/kafka.password | sha256sum | cut -c1-64)
      if [ "$(cat "$home/data/.logins" 2>/dev/null)" != "$logins" ]; then
        (cd "$here/../.." && "$PY" -m infra.kafka.acls --principals \
          --bootstrap "127.0.0.1:$KAFKA_PORT" --secrets "$secrets") \
          || { echo "kafka: could not set the principals' logins" >&2; exit 1; }
        echo "$logins" > "$home/data/.logins"
      fi
      echo "kafka: ready on 127.0.0.1:$KAFKA_PORT, SASL_SSL (pid $(cat "$pidfile"))"; return 0
    fi
    running || { echo "kafka: exited during startup; see $log and $home/logs/server.log" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  echo "kafka: not ready after 60 s; see $home/logs/server.log" >&2; exit 1
}

stop() {
  if ! running; then echo "kafka: not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do alive "$pid" || { rm -f "$pidfile"; echo "kafka: stopped"; return 0; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"; echo "kafka: killed after 30 s"
}

status() { if running; then echo "kafka: running (pid $(cat "$pidfile")) on 127.0.0.1:$KAFKA_PORT"; else echo "kafka: stopped"; fi; }

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
