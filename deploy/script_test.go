package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// fakeKubectl records every call (and, for `apply -f`, the objects and images applied) in $FAKE_LOG and
// answers like a cluster would, steered by FAKE_* variables.
const fakeKubectl = `#!/usr/bin/env bash
log() { printf '%s\n' "$*" >>"$FAKE_LOG"; }
log "kubectl $*"
args=" $* "
record() { # objects and images of a manifest; the manifests themselves go to $FAKE_LOG.applied
  tee -a "$FAKE_LOG.applied" | awk '/^kind: /{k=$2} /^metadata:/{m=1;next} /^[^ ]/{m=0} m && /^  name: /{print "  applied " k "/" $2; m=0}
       /^ *image: /{print "  image " $2}' >>"$FAKE_LOG"
}
case "$args" in
  *" config current-context "*) echo "$FAKE_CONTEXT" ;;
  *" get secret goodgo-secrets "*) printf '%s\n' $FAKE_SECRET_KEYS ;;
  *" get secret goodgo-redis "*) echo password ;;
  *" apply --dry-run=server -f "*) ;;
  *" apply -f - "*) record ;;
  *" get --raw "*)
    if [[ "$args" == *canary* ]]; then e=$FAKE_CANARY_5XX t=$FAKE_CANARY_TOTAL; else e=$FAKE_GROUP_5XX t=$FAKE_GROUP_TOTAL; fi
    if [[ "$args" == *5xx* ]]; then v=$e; else v=$t; fi
    printf '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"%s"]}]}}' "$v" ;;
  *" rollout status "*) exit "${FAKE_ROLLOUT_STATUS:-0}" ;;
  *" wait "*) exit "${FAKE_WAIT_STATUS:-0}" ;;
esac
exit 0
`

const fakeImageCheck = `#!/usr/bin/env bash
printf 'image-check %s\n' "$*" >>"$FAKE_LOG"
exit "${FAKE_IMAGE_STATUS:-0}"
`

type scriptRun struct {
	code           int
	stdout, stderr string
	calls          []string // the fake kubectl's log
	applied        string   // every manifest applied with apply -f -
}

// has reports whether a logged call contains every part.
func (r scriptRun) has(parts ...string) bool { return r.index(parts...) >= 0 }

func (r scriptRun) index(parts ...string) int {
	for i, c := range r.calls {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(c, p)
		}
		if all {
			return i
		}
	}
	return -1
}

// runDeploy runs deploy.sh with the fake kubectl first on PATH and env (FAKE_* defaults: a healthy cluster).
func runDeploy(t *testing.T, env map[string]string, args ...string) scriptRun {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"kubectl": fakeKubectl, "image-check": fakeImageCheck} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "calls.log")
	vars := map[string]string{
		"PATH": dir + ":" + os.Getenv("PATH"), "FAKE_LOG": logPath, "IMAGE_CHECK": filepath.Join(dir, "image-check"),
		"FAKE_CONTEXT": "goodgo-production", "FAKE_SECRET_KEYS": "database-url secret-key redis-url s3-access-key s3-secret-key",
		"FAKE_CANARY_5XX": "0", "FAKE_CANARY_TOTAL": "500", "FAKE_GROUP_5XX": "0", "FAKE_GROUP_TOTAL": "5000",
		"HOME": dir,
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command("bash", "scripts/deploy.sh")
	cmd.Args = append(cmd.Args, args...)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := scriptRun{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(logPath)
	r.calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	b, _ = os.ReadFile(logPath + ".applied")
	r.applied = string(b)
	return r
}

const sha = "0123456789abcdef0123456789abcdef01234567"

func (r scriptRun) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstderr:\n" + r.stderr + "\ncalls:\n" + strings.Join(r.calls, "\n")
}

func TestDeployScriptHelpDocumentsEveryOption(t *testing.T) {
	r := runDeploy(t, nil, "--help")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, opt := range []string{"--env", "--sha", "--group", "--canary", "--watch", "--post-watch", "--interval", "--min-requests",
		"--dry-run", "--rollback", "--to-revision", "--context", "--skip-image-check", "KUBECTL", "IMAGE_CHECK", "PROMETHEUS_SERVICE", "rollout undo"} {
		if !strings.Contains(r.stdout, opt) {
			t.Errorf("--help does not mention %s", opt)
		}
	}
	for _, bad := range [][]string{{}, {"--env", "prod", "--sha", sha}, {"--env", "production"}, {"--env", "production", "--sha", "main"},
		{"--env", "production", "--rollback", "--canary"}, {"--env", "production", "--sha", sha, "--interval", "0"}, {"--bogus"}} {
		if r := runDeploy(t, nil, bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", bad, r.code)
		}
	}
}

func TestDeployScriptDryRunChangesNothing(t *testing.T) {
	r := runDeploy(t, nil, "--env", "production", "--sha", sha, "--dry-run", "--canary")
	if r.code != 0 {
		t.Fatal(r)
	}
	if !r.has("image-check", "docker.io/goodgo/goodgo:"+sha) || !r.has("get secret goodgo-secrets") || !r.has("apply --dry-run=server -f") {
		t.Errorf("the dry run skipped a pre-flight check:\n%s", r)
	}
	for _, mutation := range []string{"apply -f -", "delete", "rollout", " wait "} {
		if r.has(mutation) {
			t.Errorf("the dry run ran %q:\n%s", mutation, r)
		}
	}
	for _, g := range []string{"goodgo-identity", "goodgo-pos", "goodgo-catalog", "goodgo-storage", "goodgo-web"} {
		if !strings.Contains(r.stdout, g+": canary") {
			t.Errorf("the plan does not mention %s:\n%s", g, r.stdout)
		}
	}
}

func TestDeployScriptPreflightStopsBeforeAnyChange(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		say  string
	}{
		{"wrong context", map[string]string{"FAKE_CONTEXT": "goodgo-staging"}, "kubectl context is 'goodgo-staging', want 'goodgo-production'"},
		{"image missing", map[string]string{"FAKE_IMAGE_STATUS": "1"}, "not found in the registry"},
		{"secret key missing", map[string]string{"FAKE_SECRET_KEYS": "database-url secret-key"}, "goodgo-secrets/redis-url"},
	} {
		r := runDeploy(t, c.env, "--env", "production", "--sha", sha)
		if r.code != 1 || !strings.Contains(r.stderr, c.say) || r.has("apply") {
			t.Errorf("%s: want exit 1 saying %q and nothing applied:\n%s", c.name, c.say, r)
		}
	}
}

func TestDeployScriptMigratesThenRollsOutOneGroup(t *testing.T) {
	r := runDeploy(t, nil, "--env", "production", "--sha", sha, "--group", "pos")
	if r.code != 0 {
		t.Fatal(r)
	}
	shared := r.index("applied ConfigMap/goodgo-config")
	job := r.index("applied Job/goodgo-migrate")
	waited := r.index("wait --for=condition=complete job/goodgo-migrate")
	deployed := r.index("applied Deployment/goodgo-pos")
	status := r.index("rollout status deployment/goodgo-pos")
	if shared < 0 || job < shared || waited < job || deployed < waited || status < deployed {
		t.Errorf("want shared objects, migration Job, wait, Deployment, rollout status in that order:\n%s", r)
	}
	if r.has("applied Deployment/goodgo-catalog") || r.has("applied Deployment/goodgo-pos-canary") {
		t.Errorf("--group pos touched another Deployment:\n%s", r)
	}
	if !r.has("image docker.io/goodgo/goodgo:"+sha) || r.has("GIT_SHA") || r.has(":latest") {
		t.Errorf("the applied image is not the commit's:\n%s", r)
	}
	if !r.has("delete job goodgo-migrate") {
		t.Errorf("the previous migration Job is not removed first:\n%s", r)
	}
}

func TestDeployScriptStopsWhenMigrationsFail(t *testing.T) {
	r := runDeploy(t, map[string]string{"FAKE_WAIT_STATUS": "1"}, "--env", "production", "--sha", sha)
	if r.code != 1 || r.has("applied Deployment/") || !strings.Contains(r.stderr, "migrations failed") {
		t.Errorf("a failed migration must stop the deploy before any Deployment:\n%s", r)
	}
}

func TestDeployScriptUndoesARolloutThatDoesNotBecomeReady(t *testing.T) {
	r := runDeploy(t, map[string]string{"FAKE_ROLLOUT_STATUS": "1"}, "--env", "production", "--sha", sha, "--group", "catalog")
	if r.code != 1 || !r.has("rollout undo deployment/goodgo-catalog") {
		t.Errorf("want rollout undo after a failed rollout:\n%s", r)
	}
}

func TestDeployScriptCanary(t *testing.T) {
	canary := []string{"--env", "production", "--sha", sha, "--group", "pos", "--canary", "--watch", "0", "--post-watch", "1", "--interval", "1"}

	t.Run("bad canary is removed and nothing else changes", func(t *testing.T) {
		r := runDeploy(t, map[string]string{"FAKE_CANARY_5XX": "30", "FAKE_CANARY_TOTAL": "200"}, canary...)
		if r.code != 1 || !r.has("applied Deployment/goodgo-pos-canary") || !r.has("delete deployment goodgo-pos-canary") {
			t.Fatalf("want the canary applied then deleted:\n%s", r)
		}
		for _, c := range r.calls {
			if strings.TrimSpace(c) == "applied Deployment/goodgo-pos" {
				t.Fatalf("the group was rolled out despite a bad canary:\n%s", r)
			}
		}
		if !strings.Contains(r.stderr, "above 5 %") {
			t.Errorf("stderr does not say why: %s", r.stderr)
		}
	})

	t.Run("healthy canary, errors after the rollout: rollout undo", func(t *testing.T) {
		r := runDeploy(t, map[string]string{"FAKE_GROUP_5XX": "600", "FAKE_GROUP_TOTAL": "5000"}, canary...)
		promoted := -1
		for i, c := range r.calls {
			if strings.TrimSpace(c) == "applied Deployment/goodgo-pos" {
				promoted = i
			}
		}
		undo := r.index("rollout undo deployment/goodgo-pos")
		if r.code != 1 || promoted < 0 || undo < promoted {
			t.Fatalf("want the rollout then rollout undo:\n%s", r)
		}
		if !r.has("delete deployment goodgo-pos-canary") {
			t.Errorf("the canary was left behind:\n%s", r)
		}
	})

	t.Run("healthy canary and rollout", func(t *testing.T) {
		r := runDeploy(t, nil, canary...)
		if r.code != 0 || r.has("rollout undo") || !r.has("delete deployment goodgo-pos-canary") {
			t.Fatalf("want a clean rollout:\n%s", r)
		}
		// The canary is a valid Deployment of one replica, with the track label in its selector (so the two
		// Deployments' selectors differ) and the group's labels (so the group's Service sends it traffic).
		var found bool
		for _, doc := range splitDocuments(r.applied) {
			if !strings.Contains(doc, "name: goodgo-pos-canary") {
				continue
			}
			found = true
			var d appsv1.Deployment
			if err := decodeStrict([]byte(doc), &d); err != nil {
				t.Fatalf("the canary does not decode: %v\n%s", err, doc)
			}
			labels := d.Spec.Template.Labels
			if *d.Spec.Replicas != 1 || d.Spec.Selector.MatchLabels["goodgo.vn/track"] != "canary" || !selects(d.Spec.Selector, labels) ||
				labels["app.kubernetes.io/component"] != "pos" || !strings.HasSuffix(d.Spec.Template.Spec.Containers[0].Image, ":"+sha) {
				t.Errorf("canary %s: replicas %d, selector %v, labels %v", d.Name, *d.Spec.Replicas, d.Spec.Selector.MatchLabels, labels)
			}
		}
		if !found {
			t.Errorf("no canary applied:\n%s", r)
		}
	})

	t.Run("quiet canary is not promoted", func(t *testing.T) {
		r := runDeploy(t, map[string]string{"FAKE_CANARY_TOTAL": "3"}, canary...)
		if r.code != 1 || !strings.Contains(r.stderr, "fewer than 20 requests") {
			t.Fatalf("want no promotion without traffic:\n%s", r)
		}
	})
}

func TestDeployScriptRollback(t *testing.T) {
	r := runDeploy(t, nil, "--env", "production", "--rollback", "--group", "pos", "--to-revision", "3")
	if r.code != 0 || !r.has("rollout undo deployment/goodgo-pos --to-revision=3") || !r.has("rollout status deployment/goodgo-pos") {
		t.Fatalf("want rollout undo of goodgo-pos to revision 3:\n%s", r)
	}
	if r.has("apply") || r.has("image-check") {
		t.Errorf("a rollback applies nothing:\n%s", r)
	}
	r = runDeploy(t, map[string]string{"FAKE_CONTEXT": "goodgo-staging"}, "--env", "staging", "--rollback")
	for _, g := range []string{"goodgo-identity", "goodgo-pos", "goodgo-catalog", "goodgo-storage", "goodgo-web"} {
		if !r.has("rollout undo deployment/" + g) {
			t.Errorf("rollback without --group does not undo %s:\n%s", g, r)
		}
	}
	r = runDeploy(t, nil, "--env", "production", "--rollback", "--group", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, "no module group 'nope'") {
		t.Errorf("unknown group:\n%s", r)
	}
}

func TestShellScriptsPassShellcheck(t *testing.T) {
	path, err := exec.LookPath("shellcheck")
	if err != nil {
		requireTool(t, "shellcheck")
		return
	}
	scripts, _ := filepath.Glob("scripts/*.sh")
	scripts = append(scripts, "compose/postgres/init.sh")
	out, err := exec.Command(path, scripts...).CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

// requireTool skips a test whose tool is not installed, unless GOODGO_REQUIRE_OPS_TOOLS=1 (make ops-check
// and CI set it, after .ci/run installed the tools): then its absence fails.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("GOODGO_REQUIRE_OPS_TOOLS") == "1" {
		t.Fatalf("%s is not installed (.ci/run installs it)", name)
	}
	t.Skipf("%s is not installed; set GOODGO_REQUIRE_OPS_TOOLS=1 to make this a failure", name)
}
