#!/usr/bin/env bash
# Runs a command with Kafka, PostgreSQL and the EVM node up, and stops afterwards, whatever
# the outcome, the servers that this script itself started (servers already running are left
# running).
#   infra/with-servers.sh COMMAND [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
started=()
cleanup() {
  for server in "${started[@]}"; do
    "$here/$server" stop || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for server in postgres/pg.sh kafka/kafka.sh chain/anvil.sh; do
  if ! "$here/$server" status | grep -q running; then
    "$here/$server" start || exit 1
    started+=("$server")
  fi
done
"$@"
