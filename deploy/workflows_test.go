package deploy

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// workflow is the part of a GitHub Actions workflow these tests read (actionlint checks the rest).
type workflow struct {
	Name string `json:"name"`
	// On is the workflow's triggers. YAML 1.1 (which sigs.k8s.io/yaml reads) takes the key "on" for the
	// boolean true, hence the tag.
	On   map[string]any `json:"true"`
	Env  map[string]string
	Jobs map[string]struct {
		Needs       any `json:"needs"`
		If          string
		Environment any `json:"environment"`
		Container   string
		Steps       []struct {
			Name string            `json:"name"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			With map[string]string `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile("../.github/workflows/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

func TestWorkflowsPassActionlint(t *testing.T) {
	// actionlint also runs shellcheck on every run: block when shellcheck is installed.
	runTool(t, "..", "actionlint", "-color=false", ".github/workflows/ci.yml", ".github/workflows/deploy.yml")
}

func TestWorkflowsBuildTestAndDeployAsPromised(t *testing.T) {
	ci := readWorkflow(t, "ci.yml")
	if _, ok := ci.On["push"]; !ok {
		t.Error("ci must run on every push")
	}
	ranCI := false
	for _, s := range ci.Jobs["test"].Steps {
		ranCI = ranCI || strings.TrimSpace(s.Run) == "bash .ci/run"
	}
	if !ranCI {
		t.Error("ci must run the same steps as .ci/run (bash .ci/run)")
	}

	d := readWorkflow(t, "deploy.yml")
	if d.Env["SHA"] != "${{ github.event.workflow_run.head_sha }}" {
		t.Errorf("deploy must work on the commit ci tested, got SHA=%q", d.Env["SHA"])
	}
	pushed := false
	for _, s := range d.Jobs["image"].Steps {
		if strings.HasPrefix(s.Uses, "docker/build-push-action@") {
			pushed = s.With["tags"] == "${{ env.IMAGE }}:${{ env.SHA }}" && s.With["file"] == "deploy/docker/Dockerfile" && s.With["push"] == "true"
		}
	}
	if !pushed {
		t.Error("the image job must push deploy/docker/Dockerfile's image tagged with the commit SHA (only)")
	}
	if !strings.Contains(d.Jobs["image"].If, "conclusion == 'success'") {
		t.Error("nothing is built unless ci passed")
	}
	steps := func(job string) string {
		var all []string
		for _, s := range d.Jobs[job].Steps {
			all = append(all, s.Run)
		}
		return strings.Join(all, "\n")
	}
	if d.Jobs["staging"].Needs != "image" || !strings.Contains(steps("staging"), "deploy/scripts/deploy.sh --env staging --sha \"$SHA\"") ||
		!strings.Contains(steps("staging"), "go run ./cmd/goodgo smoke --url") {
		t.Error("staging must deploy the built image and run the smoke tests")
	}
	env, _ := d.Jobs["production"].Environment.(map[string]any)
	if d.Jobs["production"].Needs != "staging" || env["name"] != "production" {
		t.Error("production must come after staging, behind the production environment (manual approval)")
	}
	if !strings.Contains(steps("production"), "--env production --sha \"$SHA\" --canary") || !strings.Contains(steps("production"), "smoke --url") {
		t.Error("production must deploy with a canary and run the smoke tests")
	}
	for name := range map[string]bool{"ci.yml": true, "deploy.yml": true} {
		b, _ := os.ReadFile("../.github/workflows/" + name)
		if strings.Contains(string(b), ":latest") {
			t.Errorf("%s uses :latest", name)
		}
	}
}
