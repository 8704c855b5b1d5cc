#!/usr/bin/env bash
# A stand-in for an agent CLI in tests. It runs in the workspace (cwd) Vigil prepared and behaves
# as FAKE_AGENT_MODE says. FAKE_AGENT_FIXTURES points at tests/fixtures/agents.
set -u
mode=${FAKE_AGENT_MODE:-replay}
fixtures=${FAKE_AGENT_FIXTURES:-}
record=${FAKE_AGENT_RECORD:-}
if [ -n "$record" ]; then
  {
    printf 'argv:'; printf ' [%s]' "$0" "$@"; printf '\n'
    printf 'env: INCIDENT_ID=%s INCIDENT_WORKSPACE=%s VIGIL_READ_ONLY=%s CLAUDE_READ_ONLY_MODE=%s KUBECONFIG=%s SECRET=%s\n' \
      "${INCIDENT_ID:-}" "${INCIDENT_WORKSPACE:-}" "${VIGIL_READ_ONLY:-}" "${CLAUDE_READ_ONLY_MODE:-}" \
      "${KUBECONFIG:-}" "${NOT_ALLOWED_SECRET:-}"
    printf 'cwd: %s\n' "$PWD"
  } >> "$record"
fi
write_outputs() {
  mkdir -p output/artifacts
  printf '## Root cause\nThe api pod is OOMKilled (exit 137).\n' > output/summary.md
  cat > output/proposals.json <<'JSON'
[{"skill": "test-restart", "params": {"deployment": "api", "namespace": "prod"}, "reason": "restart clears the leak"},
 {"skill": "no-such-skill", "params": {}, "reason": "x"},
 {"skill": "test-restart", "params": {"deployment": "api; rm -rf /", "namespace": "prod"}, "reason": "injection"}]
JSON
  printf 'notes\n' > output/artifacts/notes.txt
}
case "$mode" in
  replay)
    cat "$fixtures/claude_code_stream_json_basic_query.ndjson"
    tr -d '\n' < "$fixtures/claude_code_stream_json_assistant_tool_use.json"; echo
    echo '{"type":"assistant","message":{"content":[{"type":"text","text":"found token xoxTOKEN-1234567890-abcdefghij in env"}]}}' | sed "s/xoxTOKEN/xox""b/"
    write_outputs
    ;;
  codex)
    cat "$fixtures/codex_exec_json_sample.jsonl"
    write_outputs
    ;;
  fail)
    echo '{"type":"system","subtype":"init","session_id":"s-fail"}'
    echo "something broke" >&2
    exit 3
    ;;
  sleep)
    echo '{"type":"system","subtype":"init","session_id":"s-sleep"}'
    exec sleep 30
    ;;
  ignore_int)
    trap '' INT
    ( trap '' INT; sleep 30 ) &
    echo $! > "${FAKE_AGENT_PIDFILE:-/dev/null}"
    echo '{"type":"system","subtype":"init","session_id":"s-stubborn"}'
    while true; do sleep 1; done
    ;;
  symlink)
    mkdir -p output/artifacts
    ln -s /etc/passwd output/summary.md
    ln -s /etc output/artifacts/etc
    ln -s "${FAKE_AGENT_OUTSIDE:-/tmp}" output/artifacts/escape
    echo '{"type":"result","subtype":"success","is_error":false,"result":"done"}'
    ;;
  flood)
    head -c 52428800 /dev/zero | tr '\0' 'x' | fold -w 1000
    write_outputs
    ;;
  malformed)
    echo '{not json'
    echo '{"type":"mystery"}'
    echo '[1,2]'
    echo '{"type":"assistant","message":{"content":[{"type":"text","text":"still parsing"}]}}'
    write_outputs
    ;;
  followup)
    if [ -f context/follow-up.md ]; then
      echo '{"type":"assistant","message":{"content":[{"type":"text","text":"answering the follow-up"}]}}'
      printf '## Root cause\nStill OOM; the limit is 256Mi.\n' > output/summary.md
    else
      echo '{"type":"system","subtype":"init","session_id":"sess-42"}'
      printf '## Root cause\nOOM.\n' > output/summary.md
      echo '[]' > output/proposals.json
    fi
    echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"sess-42"}'
    ;;
  transient | transient_twice | transient_with_output | auth)
    # The model's API fails: overloaded (529), or the key is refused (auth). `transient` succeeds
    # the second time; the attempts are counted in .fake-attempts in the workspace.
    attempts=$(( $(cat .fake-attempts 2>/dev/null || echo 0) + 1 ))
    echo "$attempts" > .fake-attempts
    if [ "$mode" = transient ] && [ "$attempts" -ge 2 ]; then
      echo '{"type":"system","subtype":"init","session_id":"s-second"}'
      write_outputs
      echo '{"type":"result","subtype":"success","is_error":false,"result":"done","total_cost_usd":0.25,"usage":{"input_tokens":1000,"cache_read_input_tokens":200,"output_tokens":300}}'
      exit 0
    fi
    [ "$mode" = transient_with_output ] && write_outputs
    if [ "$mode" = auth ]; then
      echo '{"type":"assistant","message":{"content":[{"type":"text","text":"Invalid API key · Please run /login"}]},"error":"authentication_failed"}'
      echo '{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key · Please run /login","usage":{"input_tokens":0,"output_tokens":0}}'
      exit 1
    fi
    grep -v '"subtype":"init"' "$fixtures/claude_code_stream_json_api_error_synthetic.jsonl"
    exit 1
    ;;
  *)
    echo "unknown FAKE_AGENT_MODE $mode" >&2
    exit 64
    ;;
esac
exit 0
