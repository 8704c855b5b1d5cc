#!/bin/sh
# A stand-in for the tool a skill step runs, for the chaos and crash-restart tests.
# usage: gated_tool.sh LOG GATE NAME [ARGS...]
# Appends "start NAME PID ARGS" to LOG (the side-effect record the tests count), then, unless GATE
# is "-", waits until the file GATE exists (so a test controls where a run is; bounded to two
# minutes), then appends "done NAME PID ARGS" and prints a line for the step's output.
log="$1"; gate="$2"; name="$3"
shift 3
echo "start $name $$ $*" >>"$log"
if [ "$gate" != "-" ]; then
  waited=0
  while [ ! -e "$gate" ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 2400 ]; then
      echo "gate $gate never opened" >&2
      exit 3
    fi
    sleep 0.05
  done
fi
echo "done $name $$ $*" >>"$log"
echo "$name: ok $*"
