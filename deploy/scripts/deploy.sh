#!/usr/bin/env bash
# GoodGo deploy: puts one commit's image on a Kubernetes environment from the rendered manifests
# (deploy/kubernetes/rendered/<env>.yaml). Run with --help for the options.
# shellcheck disable=SC2016 # the $ in go-templates and in the ${GIT_SHA} placeholder are literal
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy.sh --env staging|production --sha COMMIT_SHA [options]
       deploy.sh --env staging|production --rollback [--group NAME] [options]

Deploys the image goodgo/goodgo:<COMMIT_SHA> with deploy/kubernetes/rendered/<env>.yaml.

Steps: pre-flight checks (the kubectl context is the environment's, the image exists in the registry, the
Secrets goodgo-secrets and goodgo-redis hold every key), then the shared objects (config, services,
autoscalers, disruption budgets, network policies, Redis, NATS, ingress), then the migration Job (pending
migrations are applied and the script waits for it; replicas refuse to start with migrations pending), then
each module group's Deployment, waiting for its rollout. A rollout that does not become ready is undone
(kubectl rollout undo).

options:
  --env ENV          staging or production (required)
  --sha SHA          the commit to deploy: 7 to 40 hex digits, the image tag (required unless --rollback)
  --group NAME       only this module group's Deployment (goodgo-NAME), e.g. pos; default: every group
  --canary           per group: run 1 replica of the new image beside the current ones (Deployment
                     goodgo-NAME-canary, same Service), watch its 5xx rate in Prometheus for --watch seconds;
                     above 5 % (or at/above 1 % at the end) the canary is removed and nothing else changes;
                     below 1 % the group is rolled out, watched again for --post-watch seconds, and undone
                     with `kubectl rollout undo` if its 5xx rate goes above 5 %
  --watch SECONDS    canary watch time (default 600)
  --post-watch SECS  watch time after a canary's full rollout (default 120)
  --interval SECS    time between two looks at the error rate (default 30)
  --min-requests N   requests the canary must have served before it is judged (default 20)
  --dry-run          run the read-only pre-flight checks and a server-side dry run of every object, print the
                     plan, change nothing
  --rollback         undo the last rollout of every group (or of --group) with `kubectl rollout undo`
  --to-revision N    with --rollback: go back to this revision instead of the previous one
  --context NAME     the kubectl context expected (default: goodgo-<env>)
  --skip-image-check do not look the image up in the registry
  -h, --help         this help

environment:
  KUBECTL            kubectl command (default: kubectl)
  IMAGE_CHECK        command that exits 0 when the image given as its last argument exists
                     (default: docker manifest inspect)
  PROMETHEUS_SERVICE Prometheus reached through the API server proxy as NAMESPACE/SERVICE:PORT
                     (default: monitoring/prometheus-operated:9090)
  MANIFEST_DIR       directory of the rendered manifests (default: deploy/kubernetes/rendered next to this
                     script)

exit status: 0 deployed (or dry run passed), 1 failed or rolled back, 2 bad usage.
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
IMAGE_CHECK="${IMAGE_CHECK:-docker manifest inspect}"
PROMETHEUS_SERVICE="${PROMETHEUS_SERVICE:-monitoring/prometheus-operated:9090}"
MANIFEST_DIR="${MANIFEST_DIR:-$here/../kubernetes/rendered}"

env_name="" sha="" group="" context="" canary=0 dry_run=0 rollback=0 revision="" check_image=1
watch=600 post_watch=120 interval=30 min_requests=20

log() { printf '%s deploy: %s\n' "$(date -u +%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
bad_usage() { printf 'deploy.sh: %s (see --help)\n' "$*" >&2; exit 2; }
is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }

while [ $# -gt 0 ]; do
  case "$1" in
    --env) env_name="${2:-}"; shift 2 ;;
    --sha) sha="${2:-}"; shift 2 ;;
    --group) group="${2:-}"; shift 2 ;;
    --context) context="${2:-}"; shift 2 ;;
    --canary) canary=1; shift ;;
    --watch) watch="${2:-}"; shift 2 ;;
    --post-watch) post_watch="${2:-}"; shift 2 ;;
    --interval) interval="${2:-}"; shift 2 ;;
    --min-requests) min_requests="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --rollback) rollback=1; shift ;;
    --to-revision) revision="${2:-}"; shift 2 ;;
    --skip-image-check) check_image=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) bad_usage "unknown argument $1" ;;
  esac
done

case "$env_name" in
  staging|production) ;;
  *) bad_usage "--env must be staging or production" ;;
esac
for n in "$watch" "$post_watch" "$interval" "$min_requests"; do
  is_number "$n" || bad_usage "watch times, interval and request counts are whole numbers"
done
[ "$interval" -gt 0 ] || bad_usage "--interval must be at least 1 second"
[ -z "$revision" ] || is_number "$revision" || bad_usage "--to-revision takes a revision number"
[ -z "$group" ] || [[ "$group" =~ ^[a-z0-9-]+$ ]] || bad_usage "--group takes a group name such as pos"
if [ "$rollback" = 1 ]; then
  [ "$canary" = 0 ] || bad_usage "--rollback and --canary do not go together"
else
  [[ "$sha" =~ ^[0-9a-f]{7,40}$ ]] || bad_usage "--sha takes the commit SHA (7 to 40 lowercase hex digits)"
  [ -z "$revision" ] || bad_usage "--to-revision goes with --rollback"
fi
context="${context:-goodgo-$env_name}"
namespace="goodgo-$env_name"
source_manifest="$MANIFEST_DIR/$env_name.yaml"
[ -f "$source_manifest" ] || die "no rendered manifest $source_manifest (run make k8s)"

k() { $KUBECTL --context "$context" -n "$namespace" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ---- manifest documents ----

# docs KIND [NAME] < manifest: the documents of that kind (and name). docs_except KIND... : all the others.
docs() {
  awk -v want="$1" -v name="${2:-}" '
    function flush() {
      if (doc != "" && kind == want && (name == "" || n == name)) printf "---\n%s", doc
      doc = ""; kind = ""; n = ""; inmeta = 0
    }
    /^---$/ { flush(); next }
    { doc = doc $0 "\n" }
    /^kind: / { kind = $2 }
    /^metadata:/ { inmeta = 1; next }
    /^[^ ]/ { inmeta = 0 }
    inmeta && /^  name: / && n == "" { n = $2 }
    END { flush() }'
}
docs_except() {
  local f="$work/except.yaml"
  cat >"$f"
  for kind in "$@"; do
    awk -v want="$kind" '
      function flush() { if (doc != "" && kind != want) printf "---\n%s", doc; doc = ""; kind = "" }
      /^---$/ { flush(); next }
      { doc = doc $0 "\n" }
      /^kind: / { kind = $2 }
      END { flush() }' "$f" >"$f.next"
    mv "$f.next" "$f"
  done
  cat "$f"
}
# names KIND < manifest: the names of the documents of that kind.
names() {
  awk -v want="$1" '
    /^---$/ { kind = ""; inmeta = 0; next }
    /^kind: / { kind = $2 }
    /^metadata:/ { inmeta = 1; next }
    /^[^ ]/ { inmeta = 0 }
    inmeta && /^  name: / && kind == want { print $2; inmeta = 0 }' | sort -u
}

# groups: the Deployments to act on (goodgo-<group>), checked against the manifest.
deployments() {
  local all
  all="$(names Deployment <"$source_manifest")"
  if [ -n "$group" ]; then
    grep -qx "goodgo-$group" <<<"$all" || die "no module group '$group' in $source_manifest (groups: $(tr '\n' ' ' <<<"${all//goodgo-/}"))"
    echo "goodgo-$group"
  else
    echo "$all"
  fi
}

# ---- pre-flight ----

preflight_context() {
  command -v "${KUBECTL%% *}" >/dev/null 2>&1 || die "kubectl not found"
  local current
  current="$($KUBECTL config current-context 2>/dev/null || true)"
  [ "$current" = "$context" ] || die "kubectl context is '$current', want '$context' (kubectl config use-context $context, or --context)"
  log "pre-flight: kubectl context $context, namespace $namespace"
}

preflight_image() {
  if [ "$check_image" = 0 ]; then
    log "pre-flight: image check skipped (--skip-image-check)"
    return
  fi
  # shellcheck disable=SC2086 # IMAGE_CHECK is a command with its arguments
  $IMAGE_CHECK "$image" >/dev/null 2>&1 || die "image $image not found in the registry (built and pushed by CI for this commit?)"
  log "pre-flight: image $image exists"
}

preflight_secrets() {
  local keys missing=""
  keys="$(k get secret goodgo-secrets -o 'go-template={{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}' 2>/dev/null || true)"
  for key in database-url secret-key redis-url s3-access-key s3-secret-key; do
    grep -qx "$key" <<<"$keys" || missing="$missing goodgo-secrets/$key"
  done
  keys="$(k get secret goodgo-redis -o 'go-template={{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}' 2>/dev/null || true)"
  grep -qx password <<<"$keys" || missing="$missing goodgo-redis/password"
  [ -z "$missing" ] || die "secrets missing in $namespace:$missing (see docs/en/runbooks/rotate-secrets.md)"
  log "pre-flight: secrets goodgo-secrets and goodgo-redis hold every key"
}

# ---- error rate (Prometheus through the API server proxy) ----

urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [a-zA-Z0-9.~_-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# query PROMQL: the value of a one-element instant vector (0 when empty).
query() {
  local ns="${PROMETHEUS_SERVICE%%/*}" svc="${PROMETHEUS_SERVICE#*/}" body value
  body="$($KUBECTL --context "$context" get --raw "/api/v1/namespaces/$ns/services/$svc/proxy/api/v1/query?query=$(urlencode "$1")")" ||
    die "Prometheus query failed: $1"
  grep -q '"status":"success"' <<<"$body" || die "Prometheus answered: $body"
  value="$(sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p' <<<"$body")"
  printf '%s' "${value:-0}"
}

# error_rate POD_REGEX SECONDS: prints "5xx total" over the last SECONDS for the pods matching POD_REGEX.
error_rate() {
  local sel="namespace=\"$namespace\",pod=~\"$1\"" window="${2}s" errors total
  errors="$(query "sum(increase(goodgo_http_requests_total{$sel,status_class=\"5xx\"}[$window]))")"
  total="$(query "sum(increase(goodgo_http_requests_total{$sel}[$window]))")"
  printf '%s %s' "$errors" "$total"
}

# verdict ERRORS TOTAL: bad (> 5 %), doubtful (>= 1 %), good (< 1 %), quiet (fewer than --min-requests).
verdict() {
  awk -v e="$1" -v t="$2" -v min="$min_requests" 'BEGIN {
    if (t > 0 && e / t > 0.05 && t >= min) { print "bad"; exit }
    if (t < min) { print "quiet"; exit }
    if (e / t >= 0.01) { print "doubtful"; exit }
    print "good" }'
}

# ---- steps ----

rollout_or_undo() { # DEPLOYMENT
  if ! k rollout status "deployment/$1" --timeout=10m; then
    log "$1 did not become ready: rollout undo"
    k rollout undo "deployment/$1" || true
    k rollout status "deployment/$1" --timeout=10m || true
    die "$1 rolled back"
  fi
}

run_migrations() {
  log "migrations: running Job goodgo-migrate ($image)"
  k delete job goodgo-migrate --ignore-not-found --wait=true
  docs Job goodgo-migrate <"$manifest" | k apply -f -
  if ! k wait --for=condition=complete job/goodgo-migrate --timeout=900s; then
    k logs job/goodgo-migrate --tail=100 >&2 || true
    die "migrations failed: nothing was rolled out"
  fi
  log "migrations: applied"
}

# canary_doc DEPLOYMENT: the group's Deployment as a one-replica canary with its own name and track label.
canary_doc() {
  docs Deployment "$1" <"$manifest" | sed \
    -e "s/^  name: $1\$/  name: $1-canary/" \
    -e 's/^  replicas: .*/  replicas: 1/' \
    -e 's/^\( *\)app\.kubernetes\.io\/name: goodgo$/&\n\1goodgo.vn\/track: canary/'
}

deploy_canary() { # DEPLOYMENT
  local d="$1" waited=0 rate v
  log "$d: canary (1 replica of $image)"
  canary_doc "$d" | k apply -f -
  if ! k rollout status "deployment/$d-canary" --timeout=10m; then
    k delete deployment "$d-canary" --ignore-not-found
    die "$d: the canary did not become ready; removed, nothing else changed"
  fi
  while :; do
    rate="$(error_rate "$d-canary-.*" "$((waited > 60 ? waited : 60))")"
    v="$(verdict "${rate% *}" "${rate#* }")"
    log "$d: canary after ${waited}s: 5xx/total = ${rate/ //} ($v)"
    if [ "$v" = bad ]; then
      k delete deployment "$d-canary" --ignore-not-found
      die "$d: canary 5xx rate above 5 %: removed, nothing else changed"
    fi
    [ "$waited" -ge "$watch" ] && break
    sleep "$interval"
    waited=$((waited + interval))
  done
  case "$v" in
    good) ;;
    quiet)
      k delete deployment "$d-canary" --ignore-not-found
      die "$d: the canary served fewer than $min_requests requests in ${watch}s: not promoted" ;;
    *)
      k delete deployment "$d-canary" --ignore-not-found
      die "$d: canary 5xx rate at or above 1 %: not promoted" ;;
  esac
  log "$d: canary healthy: full rollout"
  docs Deployment "$d" <"$manifest" | k apply -f -
  rollout_or_undo "$d"
  k delete deployment "$d-canary" --ignore-not-found
  waited=0
  while [ "$waited" -lt "$post_watch" ]; do
    sleep "$interval"
    waited=$((waited + interval))
    rate="$(error_rate "$d-[a-z0-9]+-[a-z0-9]+" "$((waited > 60 ? waited : 60))")"
    if [ "$(verdict "${rate% *}" "${rate#* }")" = bad ]; then
      log "$d: 5xx rate above 5 % after the rollout (${rate/ //}): rollout undo"
      k rollout undo "deployment/$d"
      k rollout status "deployment/$d" --timeout=10m || true
      die "$d: rolled back"
    fi
  done
  log "$d: deployed"
}

do_rollback() {
  preflight_context
  local d targets
  targets="$(deployments)"
  for d in $targets; do
    log "$d: rollout undo${revision:+ to revision $revision}"
    if [ "$dry_run" = 1 ]; then
      echo "would run: kubectl rollout undo deployment/$d${revision:+ --to-revision=$revision} -n $namespace"
      continue
    fi
    k rollout undo "deployment/$d" ${revision:+--to-revision="$revision"}
    k rollout status "deployment/$d" --timeout=10m || die "$d: the rollback did not become ready"
  done
  log "rollback done"
}

if [ "$rollback" = 1 ]; then
  do_rollback
  exit 0
fi

image="$(sed -n 's/^ *image: \(.*\/goodgo\/goodgo\):\${GIT_SHA}$/\1/p' "$source_manifest" | head -n1):$sha"
[ "$image" != ":$sha" ] || die "$source_manifest names no goodgo image"
manifest="$work/$env_name.yaml"
sed "s/\${GIT_SHA}/$sha/g" "$source_manifest" >"$manifest"
! grep -q '\${GIT_SHA}' "$manifest" || die "unsubstituted image tag left in the manifest"

preflight_context
preflight_image
preflight_secrets
targets="$(deployments)"

if [ "$dry_run" = 1 ]; then
  k apply --dry-run=server -f "$manifest" >&2 || die "the server refused the manifest"
  echo "plan for $env_name ($namespace), image $image:"
  echo "  1. apply the shared objects: $(docs_except Deployment Job <"$manifest" | grep -c '^kind: ') objects"
  echo "  2. run the migration Job goodgo-migrate and wait for it"
  for d in $targets; do
    if [ "$canary" = 1 ]; then
      echo "  3. $d: canary of 1 replica, watch ${watch}s (5xx > 5 % removes it), then roll out, watch ${post_watch}s (5xx > 5 % undoes it)"
    else
      echo "  3. $d: roll out and wait (not ready: rollout undo)"
    fi
  done
  log "dry run passed: nothing changed"
  exit 0
fi

log "applying the shared objects"
docs_except Deployment Job <"$manifest" | k apply -f -
run_migrations
for d in $targets; do
  if [ "$canary" = 1 ]; then
    deploy_canary "$d"
  else
    log "$d: rolling out $image"
    docs Deployment "$d" <"$manifest" | k apply -f -
    rollout_or_undo "$d"
    log "$d: deployed"
  fi
done
log "$env_name now runs $image"
