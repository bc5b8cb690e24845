#!/bin/bash
# Baseline for bench/hook_cost.py: the original claude-rpg hook, step for step. bash reads
# the event from stdin, finds jq and curl, asks tmux for the pane's target, stamps the time
# with date, adds fields with jq, appends the line to a jsonl file, then POSTs it with curl
# in the background. The bench points it at 127.0.0.1 only (CLAUDE_RPG_SERVER).
set -e

data_dir="${CLAUDE_RPG_DATA_DIR:-$HOME/.claude-rpg/data}"
server="${CLAUDE_RPG_SERVER:-http://127.0.0.1:4011}"
events_file="$data_dir/events.jsonl"
mkdir -p "$data_dir"

export PATH="/usr/local/bin:$HOME/.local/bin:$PATH"

locate() {
  if command -v "$1" &>/dev/null; then
    command -v "$1"
    return 0
  fi
  for dir in /usr/local/bin /usr/bin "$HOME/.local/bin"; do
    if [[ -x "$dir/$1" ]]; then
      echo "$dir/$1"
      return 0
    fi
  done
  return 1
}

jq_bin=$(locate jq) || { echo "jq not found" >&2; exit 1; }
curl_bin=$(locate curl) || curl_bin=""

millis() {
  if date +%s%3N 2>/dev/null | grep -qE '^[0-9]+$'; then
    date +%s%3N
  else
    echo "$(date +%s)000"
  fi
}

event=$(cat)
hook_type="${1:-unknown}"

target=""
pane=""
if [[ -n "$TMUX_PANE" ]]; then
  pane="$TMUX_PANE"
  target=$(tmux display-message -p -t "$TMUX_PANE" \
    '#{session_name}:#{window_index}.#{pane_index}' 2>/dev/null || echo "")
fi

stamp=$(millis)

line=$("$jq_bin" -c \
  --arg hook "$hook_type" \
  --arg ts "$stamp" \
  --arg tmux "$target" \
  --arg pane "$pane" \
  '. + {hookType: $hook, timestamp: ($ts | tonumber),
        tmuxTarget: (if $tmux == "" then null else $tmux end),
        paneId: (if $pane == "" then null else $pane end)}' <<< "$event")

echo "$line" >> "$events_file"

if [[ -n "$curl_bin" ]]; then
  "$curl_bin" -s -X POST "$server/event" -H "Content-Type: application/json" -d "$line" \
    --connect-timeout 1 --max-time 2 &>/dev/null &
fi

exit 0
