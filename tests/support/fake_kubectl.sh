#!/bin/sh
# A stand-in for kubectl in tests: answers from tests/fixtures/kubernetes and records every
# invocation (KUBECONFIG, then each argument, tab-separated) to $FAKE_KUBECTL_LOG.
# $FAKE_KUBECTL_FAIL: a word; an invocation containing it as an argument exits 1.
# $FAKE_KUBECTL_PAD: a number of bytes; `describe` prints a line of that many "a" first.
# $FAKE_KUBECTL_LEAK: a line `describe` prints first (a secret in tool output, for redaction tests).
# The crash-loop skill's evidence for choosing a rollback or a restart: the crashing pod's
# ReplicaSet is revision $FAKE_KUBECTL_POD_REVISION (default 2, the latest) created at
# $FAKE_KUBECTL_ROLLED_OUT_AT; the kubelet first backed off at $FAKE_KUBECTL_BACKOFF_AT (default:
# no back-off event left). The node's Ready condition is $FAKE_KUBECTL_NODE_READY (default False).
fixtures="${FAKE_KUBECTL_FIXTURES:?}"
if [ -n "$FAKE_KUBECTL_LOG" ]; then
  { printf 'KUBECONFIG=%s' "$KUBECONFIG"; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >>"$FAKE_KUBECTL_LOG"
fi
dry=""
for a in "$@"; do
  case "$a" in
    --dry-run=*) dry=" (server dry run)" ;;
  esac
  if [ -n "$FAKE_KUBECTL_FAIL" ] && [ "$a" = "$FAKE_KUBECTL_FAIL" ]; then
    echo "error: the server has asked for the client to provide credentials" >&2
    exit 1
  fi
done

# A context Vigil put first (kubernetes.clusters) is logged above and otherwise ignored.
case "$1" in --context=*) shift ;; esac

# Prints a HolmesGPT fixture without its two JSON header lines (and a leading "stdout:" line).
show() { tail -n +3 "$fixtures/$1" | sed '1{/^stdout:$/d;}'; }

verb="$1"; shift
case "$verb" in
  describe)
    kind="$1"; name="$2"
    if [ -n "$FAKE_KUBECTL_LEAK" ]; then printf '%s\n' "$FAKE_KUBECTL_LEAK"; fi
    if [ -n "$FAKE_KUBECTL_PAD" ]; then head -c "$FAKE_KUBECTL_PAD" /dev/zero | tr '\0' a; echo; fi
    if [ "$kind" = node ]; then show kubectl_describe_node_ready.txt; exit 0; fi
    for f in "$fixtures"/kubectl_describe_pod_*.txt; do
      if head -n 1 "$f" | grep -Eq "\"name\": ?\"$name\""; then show "$(basename "$f")"; exit 0; fi
    done
    echo "Error from server (NotFound): pods \"$name\" not found" >&2; exit 1 ;;
  get)
    case "$1" in
      nodes|node)
        case " $* " in
          *"jsonpath={.status.conditions"*) echo "${FAKE_KUBECTL_NODE_READY:-False}" ;;
          *"jsonpath={.spec.unschedulable}"*)
            # "true" once an approved (not dry-run) cordon was logged; kubectl prints nothing otherwise.
            tab=$(printf '\t')
            if [ -n "$FAKE_KUBECTL_LOG" ] && grep -v -e '--dry-run' "$FAKE_KUBECTL_LOG" | grep -q "${tab}cordon${tab}"; then
              echo true
            fi ;;
          *) show kubectl_get_nodes.txt ;;
        esac ;;
      replicaset/*|replicasets/*|rs/*)
        echo "${FAKE_KUBECTL_POD_REVISION:-2} rolled out at ${FAKE_KUBECTL_ROLLED_OUT_AT:-2025-08-12T03:40:00Z}" ;;
      events|event)
        echo "${FAKE_KUBECTL_BACKOFF_AT:-} " ;;
      pod/*)
        echo "app: started 2025-08-12T03:44:50Z, crashed 2025-08-12T03:44:58Z, restarts 7" ;;
      pods|pod)
        case " $* " in
          *" yaml "*|*"-o=yaml"*) show kubectl_get_pod_yaml_crashloop.txt ;;
          *) show kubectl_get_pods_wide_imagepullbackoff.txt ;;
        esac ;;
      deployment|deployments|deployment/*)
        case " $* " in
          *"jsonpath={.spec.replicas}"*) echo 3 ;;
          *"jsonpath={.metadata.annotations.deployment"*) echo 2 ;;
          *"jsonpath={.metadata.labels}"*)
            # The labels, then the annotations; $FAKE_KUBECTL_GITOPS: argocd or flux manages it.
            case "${FAKE_KUBECTL_GITOPS:-}" in
              argocd) echo '{"app.kubernetes.io/instance":"shop-checkout","argocd.argoproj.io/instance":"shop-checkout"}' ;;
              flux) echo '{"app":"checkout","kustomize.toolkit.fluxcd.io/name":"apps","kustomize.toolkit.fluxcd.io/namespace":"flux-system"}' ;;
              *) echo '{"app":"checkout"}' ;;
            esac
            echo '{"deployment.kubernetes.io/revision":"5"}' ;;
          *)
            echo "NAME        READY   UP-TO-DATE   AVAILABLE   AGE"
            echo "checkout    3/3     3            3           12d" ;;
        esac ;;
      *) echo "NAME   AGE" ;;
    esac ;;
  events) show kubectl_events_pod_backoff.txt ;;
  logs)
    echo "2025-08-12T03:44:58Z starting server on :8080"
    echo "2025-08-12T03:45:01Z fatal: connection to db refused" ;;
  top)
    echo "NAME                      CPU(cores)   MEMORY(bytes)"
    echo "checkout-7d9f8b6c5-abcde  12m          250Mi" ;;
  rollout)
    sub="$1"; target="$2"
    case "$sub" in
      history) printf 'REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n' ;;
      status)
        if [ -n "$FAKE_KUBECTL_ROLLOUT_FAIL" ]; then
          echo "error: timed out waiting for the condition" >&2; exit 1
        fi
        echo "deployment \"${target#deployment/}\" successfully rolled out" ;;
      restart) echo "${target%%/*}.apps/${target#*/} restarted$dry" ;;
      undo) echo "${target%%/*}.apps/${target#*/} rolled back$dry" ;;
      *) echo "fake kubectl: unsupported rollout $sub" >&2; exit 1 ;;
    esac ;;
  scale) echo "${1%%/*}.apps/${1#*/} scaled$dry" ;;
  cordon) echo "node/$1 cordoned$dry" ;;
  patch) echo "${1%%/*}.apps/${1#*/} patched$dry" ;;
  *) echo "fake kubectl: unsupported command $verb" >&2; exit 1 ;;
esac
