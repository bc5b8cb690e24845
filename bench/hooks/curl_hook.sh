#!/bin/sh
# Candidate for bench/hook_cost.py: the sh + curl form claude-rpg started with. A POSIX sh
# script POSTs the event with curl (0.5 s connect timeout) or, when the app does not answer,
# writes it to a spool file. Settings come from the environment the bench gives it.
exec >/dev/null 2>&1
ev=${1:-Unknown}
stamp=${CLAUDE_RPG_STAMP:-0}
id="$stamp-$$"
secret=
read -r secret < "$BENCH_SECRET_FILE" || :
body=$(cat) || :
[ -n "$body" ] || exit 0
if printf '%s' "$body" | curl -fsS -o /dev/null --connect-timeout 0.5 --max-time 3 \
    -H 'Content-Type: application/json' -H "X-Claude-RPG-Secret: $secret" \
    -H "X-Tmux-Pane: ${TMUX_PANE:-}" -H "X-Claude-Pid: $PPID" \
    -H "X-Hook-Stamp: $stamp" -H "X-Hook-Id: $id" \
    --data-binary @- "http://127.0.0.1:$BENCH_PORT/hooks/$ev"; then
  exit 0
fi
umask 077
tmp="$BENCH_SPOOL/.$id.tmp"
if printf '%s\n' "$body" > "$tmp"; then
  mv -f "$tmp" "$BENCH_SPOOL/$id.json"
fi
exit 0
