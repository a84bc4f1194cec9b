#!/usr/bin/env bash
# The token's local EVM node: anvil, the binary the pinned npm package ships (package.json).
#   anvil.sh start | stop | status
# Settings from the environment (the Makefile passes them): RUN_DIR, ANVIL_PORT, CHAIN_ID,
# CHAIN_BLOCK_TIME (seconds between blocks). The chain's state (accounts, blocks, the
# contract) is kept in the run folder across restarts, as Kafka's and PostgreSQL's data are.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
RUN_DIR=${RUN_DIR:-$root/.run}
RUN_DIR=$(mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)
ANVIL_PORT=${ANVIL_PORT:-18545}
CHAIN_ID=${CHAIN_ID:-852852}
CHAIN_BLOCK_TIME=${CHAIN_BLOCK_TIME:-1}
home=$RUN_DIR/chain
pidfile=$home/anvil.pid
log=$home/anvil.log
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
anvil=$root/node_modules/@foundry-rs/anvil-$(uname -s | tr '[:upper:]' '[:lower:]')-$arch/bin/anvil

# shellcheck source=../alive.sh
. "$here/../alive.sh"
running() { [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; }
rpc() {
  curl -sf -m 2 -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}" \
    "http://127.0.0.1:$ANVIL_PORT" | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p'
}

start() {
  if running; then echo "anvil: already running (pid $(cat "$pidfile")) on 127.0.0.1:$ANVIL_PORT"; return 0; fi
  [ -x "$anvil" ] || { echo "anvil: not installed at $anvil; run 'make node-modules' (npm ci)" >&2; exit 1; }
  mkdir -p "$home"
  chmod 700 "$home"
  # --state loads the chain at start and writes it at exit (and every 10 s, so a killed
  # node loses at most that): a restart is the same chain, with the contract deployed on it.
  nohup "$anvil" --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id "$CHAIN_ID" \
    --block-time "$CHAIN_BLOCK_TIME" --hardfork prague \
    --state "$home/state.json" --state-interval 10 > "$log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 100); do
    local answered; answered=$(rpc eth_chainId || true)
    if [ -n "$answered" ]; then
      if [ "$((answered))" != "$CHAIN_ID" ]; then
        echo "anvil: answers chain id $((answered)), not CHAIN_ID=$CHAIN_ID" >&2; stop >&2; exit 1
      fi
      echo "anvil: running (pid $(cat "$pidfile")) on 127.0.0.1:$ANVIL_PORT, chain id $CHAIN_ID, a block every ${CHAIN_BLOCK_TIME} s"
      return 0
    fi
    running || break
    sleep 0.2
  done
  echo "anvil: failed to start; see $log" >&2; tail -n 20 "$log" >&2; stop >&2 || true; exit 1
}

stop() {
  if ! running; then echo "anvil: not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid"  # SIGTERM: anvil writes its state file, then exits
  for _ in $(seq 1 100); do alive "$pid" || { rm -f "$pidfile"; echo "anvil: stopped"; return 0; }; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"; echo "anvil: killed after 10 s"
}

status() {
  if running; then
    local block; block=$(rpc eth_blockNumber || true)
    echo "anvil: running (pid $(cat "$pidfile")) on 127.0.0.1:$ANVIL_PORT, chain id $CHAIN_ID, block $((${block:-0}))"
  else
    echo "anvil: stopped"
  fi
}

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
