# Sourced by the server scripts.  alive PID: the process exists and has not terminated.
# A killed process stays a zombie (state Z in /proc/PID/stat) until its parent reaps it, and
# `kill -0` still succeeds on it; its state says it is gone (infra/processes.py likewise).
alive() {
  local stat
  if [ -d /proc/self ]; then
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*\) }
    case "${stat%% *}" in Z | X | x | "") return 1 ;; *) return 0 ;; esac
  fi
  kill -0 "$1" 2>/dev/null
}
