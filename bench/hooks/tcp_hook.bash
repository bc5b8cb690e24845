# Candidate for bench/hook_cost.py, sourced by `bash -c` like the installed hook: it POSTs
# the event over bash's /dev/tcp (no program started) and waits up to 0.5 s for the app's
# reply; with no 200 it writes the event to a spool file. Settings come from the bench's
# environment. Its cost with the app up is the app's reply time: that is what it shows.
exec >/dev/null 2>&1
trap '' PIPE
LC_ALL=C
ev=$CLAUDE_RPG_EVENT
stamp=${CLAUDE_RPG_STAMP/,/.}
id=$stamp-$$
body=
IFS= read -r -N 4096 body
[ ${#body} -lt 4096 ] || body+=$(cat)
[ -n "$body" ] || exit 0
secret=
read -r secret < "$BENCH_SECRET_FILE"
reply=
{
  printf 'POST /hooks/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nX-Claude-RPG-Secret: %s\r\nX-Tmux-Pane: %s\r\nX-Claude-Pid: %s\r\nX-Hook-Stamp: %s\r\nX-Hook-Id: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$ev" "$BENCH_PORT" "$secret" "${TMUX_PANE-}" "$PPID" "$stamp" "$id" "${#body}" "$body" >&3
  IFS= read -r -t 0.5 reply <&3
} 3<>"/dev/tcp/127.0.0.1/$BENCH_PORT"
case $reply in "HTTP/1.1 200 "*) exit 0 ;; esac
umask 077
printf '%s\n' "$body" > "$BENCH_TCP_SPOOL/$id.json"
exit 0
