package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// composeFile is the subset of the Compose specification deploy/compose/compose.yaml uses; it is decoded
// strictly, so a misspelt key fails.
type composeFile struct {
	Name     string                    `json:"name"`
	XGoodgo  composeService            `json:"x-goodgo"`
	Services map[string]composeService `json:"services"`
	Secrets  map[string]struct {
		Environment string `json:"environment"`
		File        string `json:"file"`
	} `json:"secrets"`
	Networks map[string]any `json:"networks"`
	Volumes  map[string]any `json:"volumes"`
}

type composeService struct {
	Image       string            `json:"image"`
	Build       map[string]any    `json:"build"`
	Command     []string          `json:"command"`
	Entrypoint  []string          `json:"entrypoint"`
	Environment map[string]string `json:"environment"`
	Secrets     []string          `json:"secrets"`
	ReadOnly    bool              `json:"read_only"`
	Tmpfs       []string          `json:"tmpfs"`
	Networks    any               `json:"networks"`
	Restart     string            `json:"restart"`
	Deploy      struct {
		Replicas int `json:"replicas"`
	} `json:"deploy"`
	StopGracePeriod string            `json:"stop_grace_period"`
	DependsOn       any               `json:"depends_on"`
	Labels          map[string]string `json:"labels"`
	Ports           []string          `json:"ports"`
	Volumes         []string          `json:"volumes"`
	Healthcheck     map[string]any    `json:"healthcheck"`
	Profiles        []string          `json:"profiles"`
}

func TestComposeStack(t *testing.T) {
	var c composeFile
	decodeFile(t, "compose/compose.yaml", &c)
	for _, s := range []string{"goodgo", "goodgo-migrate", "postgres", "redis", "nats", "rabbitmq", "minio", "traefik", "prometheus", "grafana", "loki", "promtail"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("no %s service", s)
		}
	}
	g := c.Services["goodgo"]
	if g.Deploy.Replicas != 2 || !slices.Equal(g.Command, []string{"serve"}) {
		t.Errorf("goodgo runs %d replicas of %v, want 2 of serve", g.Deploy.Replicas, g.Command)
	}
	if deps, _ := g.DependsOn.(map[string]any); deps["goodgo-migrate"] == nil ||
		deps["goodgo-migrate"].(map[string]any)["condition"] != "service_completed_successfully" {
		t.Error("the replicas must wait for the migrations")
	}
	if !slices.Contains(c.Services["rabbitmq"].Profiles, "rabbitmq") {
		t.Error("RabbitMQ belongs to the rabbitmq profile")
	}
	vars := configVariables()
	env, _ := readEnvFile(t, "compose/.env")
	for k, v := range g.Environment {
		if !knownVariable(vars, k) {
			t.Errorf("goodgo sets %s, which the binary does not read", k)
		}
		if slices.Contains(sensitive, k) && v != "" && !strings.HasPrefix(v, "${") {
			t.Errorf("the sensitive %s is a plain value: give it as a secret file", k)
		}
		if base, ok := strings.CutSuffix(k, "_FILE"); ok {
			name := strings.TrimPrefix(v, "/run/secrets/")
			sec, ok := c.Secrets[name]
			if !ok || !slices.Contains(g.Secrets, name) || env[sec.Environment] == "" {
				t.Errorf("%s_FILE=%s is not a secret the stack defines from .env", base, v)
			}
		}
	}
	if g.Environment["GOODGO_MIGRATE_ON_START"] != "false" || g.Environment["GOODGO_NATS_URL"] == "" || g.Environment["GOODGO_S3_ENDPOINT"] == "" {
		t.Error("the replicas use NATS, S3 and the migration service")
	}
	if url := env["GOODGO_COMPOSE_DATABASE_URL"]; !strings.HasPrefix(url, "postgres://goodgo:") {
		t.Errorf("GoodGo must connect as its own non-superuser role, not %q", url)
	}

	// Traefik: the routers' middlewares exist in the dynamic configuration; metrics stay internal.
	var dyn struct {
		HTTP struct {
			Middlewares map[string]map[string]any `json:"middlewares"`
		} `json:"http"`
	}
	decodeFile(t, "compose/traefik/dynamic.yml", &dyn)
	for k, v := range g.Labels {
		if strings.HasSuffix(k, ".middlewares") {
			for _, mw := range strings.Split(v, ",") {
				name, ok := strings.CutSuffix(mw, "@file")
				if _, defined := dyn.HTTP.Middlewares[name]; !ok || !defined {
					t.Errorf("label %s uses %s, not defined in traefik/dynamic.yml", k, mw)
				}
			}
		}
	}
	if !mustMatch(t, g.Labels["traefik.http.routers.goodgo-internal.rule"], "localhost", "/metrics") {
		t.Error("/metrics must be caught by the internal-only router")
	}

	// Every file mounted from the repository exists; the observability stack uses deploy/observability.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("compose", src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			}
		}
	}
	mounts := strings.Join(append(c.Services["prometheus"].Volumes, c.Services["grafana"].Volumes...), " ")
	for _, want := range []string{"../observability/prometheus/prometheus-compose.yml:", "../observability/prometheus/rules:", "../observability/grafana/dashboards:/var/lib/grafana/dashboards", "../observability/grafana/provisioning:/etc/grafana/provisioning"} {
		if !strings.Contains(mounts, want) {
			t.Errorf("the observability stack does not mount %s", want)
		}
	}
	if b, ok := c.XGoodgo.Build["dockerfile"]; !ok || b != "deploy/docker/Dockerfile" {
		t.Error("the stack builds GoodGo from deploy/docker/Dockerfile")
	}
}

func readEnvFile(t *testing.T, path string) (map[string]string, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out, nil
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	var user, entry string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.Join(f[1:], " ")
		case "ADD":
			t.Errorf("ADD fetches or unpacks implicitly; use COPY: %s", line)
		}
	}
	if len(froms) != 3 || !strings.Contains(froms[0], "node:") || !strings.Contains(froms[1], "golang:") ||
		froms[2] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("want node → golang → distroless static nonroot stages, got %v", froms)
	}
	text := string(b)
	for _, want := range []string{"npm ci", "npm run build", "CGO_ENABLED=0", "COPY --from=web /src/web/dist/ web/dist/", "-X github.com/goodgo/goodgo/internal/app.Version=${VERSION}"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if user != "65532:65532" || entry != `["/usr/local/bin/goodgo"]` {
		t.Errorf("USER %q ENTRYPOINT %q: want the nonroot user and the goodgo binary", user, entry)
	}
	if _, err := os.Stat("docker/Dockerfile.dockerignore"); err != nil {
		t.Error("no Dockerfile.dockerignore: node_modules and .git would be sent to the builder")
	}
}
