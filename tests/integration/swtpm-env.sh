#!/usr/bin/env bash
# A TPM 2.0 simulator (swtpm) for one test: free TCP port, absolute state directory, stopped by
# its pid. Facts: docs/reference/boot-lab.md §2.
#
# As a command:
#   eval "$(tests/integration/swtpm-env.sh start DIR)"   # exports SWTPM_PORT SWTPM_CTRL_PORT
#                                                         # SWTPM_PID SWTPM_DIR TPM2TOOLS_TCTI
#   tests/integration/swtpm-env.sh restart DIR           # same state, same port if still free
#   tests/integration/swtpm-env.sh kill DIR              # SIGKILL (a power loss), by pid
#   tests/integration/swtpm-env.sh stop DIR              # orderly shutdown, then by pid
# As a library (bash):
#   source tests/integration/swtpm-env.sh; swtpm_start DIR; ...; swtpm_stop DIR
#
# DIR is created if needed and made absolute: a daemonised swtpm changes to / and a relative
# --tpmstate puts the TPM in failure mode (every command answers 0x101). The TPM state lives in
# DIR/state, the settings of the running instance in DIR/swtpm.env (sourceable), its pid in
# DIR/swtpm.pid, its log in DIR/swtpm.log. Ports are picked at random and retried when taken,
# so tests can run in parallel (ctest -j).

swtpm_abs() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
  esac
}

# swtpm_launch DIR PORT: one attempt; returns swtpm's status (1 when a port is taken).
swtpm_launch() {
  local dir=$1 port=$2
  rm -f "$dir/swtpm.pid"
  swtpm socket --tpm2 --tpmstate "dir=$dir/state" \
    --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" \
    --flags not-need-init,startup-clear \
    --pid "file=$dir/swtpm.pid" --log "file=$dir/swtpm.log,level=1" -d 2>>"$dir/swtpm.log"
}

swtpm_write_env() {
  local dir=$1 port=$2
  local pid
  pid=$(cat "$dir/swtpm.pid")
  cat >"$dir/swtpm.env" <<ENV
export SWTPM_DIR='$dir'
export SWTPM_PORT=$port
export SWTPM_CTRL_PORT=$((port + 1))
export SWTPM_PID=$pid
export TPM2TOOLS_TCTI='swtpm:host=127.0.0.1,port=$port'
ENV
}

# swtpm_start DIR [PORT]: starts swtpm, exports the variables above in the calling shell.
swtpm_start() {
  local dir port try
  dir=$(swtpm_abs "${1:?swtpm_start: state directory}")
  mkdir -p "$dir/state" || return 1
  for try in $(seq 1 40); do
    if [[ -n "${2:-}" && $try -eq 1 ]]; then
      port=$2
    else
      port=$((20000 + (RANDOM * 32768 + RANDOM) % 20000 * 2))
    fi
    if swtpm_launch "$dir" "$port" && [[ -s "$dir/swtpm.pid" ]]; then
      swtpm_write_env "$dir" "$port"
      # shellcheck disable=SC1091
      source "$dir/swtpm.env"
      return 0
    fi
  done
  echo "swtpm-env: could not start swtpm (see $dir/swtpm.log)" >&2
  return 1
}

# swtpm_wait_gone PID: up to 3 s.
swtpm_wait_gone() {
  local pid=$1 i
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  return 1
}

# swtpm_kill DIR: SIGKILL by pid, like pulling the plug (NV already written stays written).
swtpm_kill() {
  local dir pid
  dir=$(swtpm_abs "$1")
  [[ -s "$dir/swtpm.pid" ]] || return 0
  pid=$(cat "$dir/swtpm.pid")
  kill -KILL "$pid" 2>/dev/null
  swtpm_wait_gone "$pid"
  rm -f "$dir/swtpm.pid"
}

# swtpm_stop DIR: TPM2_Shutdown + CMD_SHUTDOWN over the control channel, then by pid.
swtpm_stop() {
  local dir pid port
  dir=$(swtpm_abs "$1")
  [[ -s "$dir/swtpm.pid" ]] || return 0
  pid=$(cat "$dir/swtpm.pid")
  port=$(sed -n 's/^export SWTPM_PORT=//p' "$dir/swtpm.env" 2>/dev/null)
  if [[ -n "$port" ]] && kill -0 "$pid" 2>/dev/null; then
    TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port" timeout 5 tpm2_shutdown >/dev/null 2>&1
    timeout 5 swtpm_ioctl --tcp "127.0.0.1:$((port + 1))" -s >/dev/null 2>&1
  fi
  if ! swtpm_wait_gone "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    swtpm_wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$dir/swtpm.pid"
}

# swtpm_restart DIR: stops (if running) and starts again on the same state, same port if free.
swtpm_restart() {
  local dir port
  dir=$(swtpm_abs "$1")
  port=$(sed -n 's/^export SWTPM_PORT=//p' "$dir/swtpm.env" 2>/dev/null)
  swtpm_stop "$dir"
  swtpm_start "$dir" "$port"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cmd=${1:-}
  dir=${2:-}
  if [[ -z "$cmd" || -z "$dir" ]]; then
    echo "usage: $0 start|stop|restart|kill DIR" >&2
    exit 2
  fi
  case "$cmd" in
    start) swtpm_start "$dir" && cat "$(swtpm_abs "$dir")/swtpm.env" ;;
    restart) swtpm_restart "$dir" && cat "$(swtpm_abs "$dir")/swtpm.env" ;;
    stop) swtpm_stop "$dir" ;;
    kill) swtpm_kill "$dir" ;;
    *) echo "usage: $0 start|stop|restart|kill DIR" >&2; exit 2 ;;
  esac
fi
