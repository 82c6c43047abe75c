#!/usr/bin/env bash
# Manual end-to-end check (not run by CI): real coding tools against `routerdesk serve --demo`.
#
#   bash scripts/check_real_tools.sh          # from the repo root, after `make` built .venv
#
# Installs Claude Code (npm) into $TOOLS_DIR and Aider (PyPI) into $AIDER_VENV unless they are
# there already, starts the offline demo server on a free port with a throwaway token and a
# throwaway ROUTERDESK_HOME, runs each tool non-interactively and prints one PASS/FAIL line per
# check. Needs only the npm registry and PyPI; the tools' telemetry, update checks and price
# downloads are switched off, and each runs with a scratch HOME so your own config is untouched.
# Exit status 0 when every check passed. Logs stay in $WORK (printed at the end).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUTERDESK=${ROUTERDESK:-$ROOT/.venv/bin/routerdesk}
TOOLS_DIR=${TOOLS_DIR:-/tmp/tools}
AIDER_VENV=${AIDER_VENV:-/tmp/aider-venv}
WORK=$(mktemp -d /tmp/check_real_tools.XXXXXX)
CLAUDE=$TOOLS_DIR/node_modules/.bin/claude
AIDER=$AIDER_VENV/bin/aider
FAILED=0

say() { printf '%s\n' "$*"; }
result() {  # result NAME STATUS DETAIL: PASS when STATUS is 0
    if [ "$2" = 0 ]; then say "PASS $1${3:+ ($3)}"; else say "FAIL $1${3:+ ($3)}"; FAILED=1; fi
}
check() {  # check NAME EXIT_CODE GREP_STATUS LOG: the tool exited 0 and its output matched
    result "$1" $(( $2 != 0 || $3 != 0 )) "exit $2, $4"
}

# --- tools -----------------------------------------------------------------------------
if ! "$CLAUDE" --version >/dev/null 2>&1; then
    say "installing @anthropic-ai/claude-code into $TOOLS_DIR ..."
    npm install --silent --prefix "$TOOLS_DIR" @anthropic-ai/claude-code >"$WORK/npm.log" 2>&1
    # npm 11 may skip the postinstall that puts the native binary in place: run it by hand.
    "$CLAUDE" --version >/dev/null 2>&1 ||
        (cd "$TOOLS_DIR/node_modules/@anthropic-ai/claude-code" && node install.cjs) >>"$WORK/npm.log" 2>&1
fi
if ! "$AIDER" --version >/dev/null 2>&1; then
    say "installing aider-chat into $AIDER_VENV ..."
    python3 -m venv "$AIDER_VENV" && "$AIDER_VENV/bin/pip" install -q aider-chat >"$WORK/pip.log" 2>&1
fi
say "Claude Code: $("$CLAUDE" --version 2>&1 | head -1)"
say "Aider: $("$AIDER" --version 2>&1 | tail -1)"
say "routerdesk: $("$ROUTERDESK" --version 2>&1)"

# --- server ----------------------------------------------------------------------------
TOKEN=rd-check-$("$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_hex(12))')
export ROUTERDESK_HOME=$WORK/home ROUTERDESK_TOKEN=$TOKEN
mkdir -p "$ROUTERDESK_HOME"
"$ROUTERDESK" serve --demo --port 0 --log-level INFO >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null' EXIT
URL=
for _ in $(seq 100); do
    URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$WORK/serve.out")
    [ -n "$URL" ] && break
    sleep 0.2
done
if [ -z "$URL" ]; then
    say "FAIL routerdesk serve --demo did not start:"; cat "$WORK/serve.err"; exit 1
fi
say "server: $URL (demo, throwaway token and home in $WORK)"

PROJECT=$WORK/project
mkdir -p "$PROJECT" "$WORK/claude-home" "$WORK/aider-home"
printf 'def add(a, b):\n    return a + b\n' >"$PROJECT/calc.py"

# --- Claude Code -----------------------------------------------------------------------
# What README's "Connecting your tools" says: base URL, the token as ANTHROPIC_AUTH_TOKEN, its
# opus/sonnet/haiku tiers mapped to routerdesk's strategies (its own default model ids are not
# registry models). The rest only keeps it offline and out of your ~/.claude.
claude_plain=(
    env -u ANTHROPIC_API_KEY -u ANTHROPIC_DEFAULT_OPUS_MODEL -u ANTHROPIC_DEFAULT_SONNET_MODEL
    -u ANTHROPIC_DEFAULT_HAIKU_MODEL HOME="$WORK/claude-home"
    ANTHROPIC_BASE_URL="$URL" ANTHROPIC_AUTH_TOKEN="$TOKEN"
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1
    DISABLE_AUTOUPDATER=1
)
claude_env=(
    "${claude_plain[@]}"
    ANTHROPIC_DEFAULT_OPUS_MODEL=auto:best ANTHROPIC_DEFAULT_SONNET_MODEL=auto
    ANTHROPIC_DEFAULT_HAIKU_MODEL=auto:cheapest
)
(cd "$PROJECT" && timeout 180 "${claude_env[@]}" "$CLAUDE" -p "What is 2+2? Answer briefly.") \
    >"$WORK/claude-1.out" 2>"$WORK/claude-1.err"
rc=$?
grep -q '^\[demo\] .*What is 2+2' "$WORK/claude-1.out"
check "claude-code -p (text answer)" "$rc" $? "$WORK/claude-1.out"

# Without the tier mapping Claude Code asks for its built-in ids (claude-opus-4-8 in 2.1.197):
# they resolve to the registry's newest model of the same family.
(cd "$PROJECT" && timeout 180 "${claude_plain[@]}" "$CLAUDE" -p "What is 3+3? Answer briefly.") \
    >"$WORK/claude-0.out" 2>"$WORK/claude-0.err"
rc=$?
grep -q '^\[demo\] .*What is 3+3' "$WORK/claude-0.out"
check "claude-code -p with its own model ids (no tier mapping)" "$rc" $? "$WORK/claude-0.out"

# A tool round trip: the demo model calls Read on the path in the prompt, Claude Code runs it,
# and the answer quotes the file back.
(cd "$PROJECT" && timeout 180 "${claude_env[@]}" "$CLAUDE" -p \
    "Read the file $PROJECT/calc.py and explain it" --output-format stream-json --verbose) \
    >"$WORK/claude-2.out" 2>"$WORK/claude-2.err"
rc=$?
grep -q '"type":"tool_use".*"name":"Read"' "$WORK/claude-2.out" &&
    grep -q '"type":"result","subtype":"success".*The tool returned:.*def add' "$WORK/claude-2.out"
check "claude-code stream-json (Read tool round trip)" "$rc" $? "$WORK/claude-2.out"

# --- Aider -----------------------------------------------------------------------------
aider_common=(
    --yes --no-git --no-check-update --analytics-disable --no-show-model-warnings --no-pretty
    --message "Add a docstring to the add function in calc.py" calc.py
)
aider_env=(env HOME="$WORK/aider-home" LITELLM_LOCAL_MODEL_COST_MAP=True)
(cd "$PROJECT" && timeout 180 "${aider_env[@]}" "$AIDER" --openai-api-base "$URL/v1" \
    --openai-api-key "$TOKEN" --model openai/auto "${aider_common[@]}") </dev/null \
    >"$WORK/aider-openai.out" 2>&1
rc=$?
grep -q '^\[demo\] .*docstring' "$WORK/aider-openai.out"
check "aider openai/auto (/v1/chat/completions, stream)" "$rc" $? "$WORK/aider-openai.out"

(cd "$PROJECT" && timeout 180 "${aider_env[@]}" ANTHROPIC_API_BASE="$URL" "$AIDER" \
    --anthropic-api-key "$TOKEN" --model anthropic/auto "${aider_common[@]}") </dev/null \
    >"$WORK/aider-anthropic.out" 2>&1
rc=$?
grep -q '^\[demo\] .*docstring' "$WORK/aider-anthropic.out"
check "aider anthropic/auto (/v1/messages, stream)" "$rc" $? "$WORK/aider-anthropic.out"

# --- what the server saw ---------------------------------------------------------------
# Stop the server first: it flushes its batched usage log on SIGTERM.
kill "$SERVER"; wait "$SERVER"
result "routerdesk serve exited cleanly" $? "$WORK/serve.err"
"$ROUTERDESK" stats --demo --since 1d >"$WORK/stats.txt" 2>&1
errors=$("$ROOT/.venv/bin/python" - "$ROUTERDESK_HOME/usage.sqlite3" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT client, status_code, error FROM requests WHERE status != 'ok'").fetchall()
for client, code, err in rows:
    print(f"  {code} {client}: {(err or '')[:160]}")
EOF
)
[ -z "$errors" ]
result "usage log: no failed requests" $? "$WORK/stats.txt"
[ -n "$errors" ] && say "$errors"
! grep -qE 'Traceback|ERROR' "$WORK/serve.err"
result "server log: no errors" $? "$WORK/serve.err"

say "logs: $WORK"
exit "$FAILED"
