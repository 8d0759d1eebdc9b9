package deploy

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const obsDir = "observability"

// runTool runs an ops tool, skipping (or failing under GOODGO_REQUIRE_OPS_TOOLS=1) when it is missing.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		requireTool(t, name)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRulesPassPromtool(t *testing.T) {
	dir := obsDir + "/prometheus"
	runTool(t, dir+"/rules", "promtool", "check", "rules", "goodgo.rules.yml")
	runTool(t, dir+"/rules", "promtool", "test", "rules", "goodgo.rules.test.yml")
	// Debian's promtool is built without Kubernetes service discovery, so only the compose configuration
	// can go through `promtool check config`; the cluster one is checked structurally below.
	runTool(t, dir, "promtool", "check", "config", "prometheus-compose.yml")
}

func TestPrometheusScrapesEveryModuleGroup(t *testing.T) {
	var cfg struct {
		RuleFiles     []string `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName             string `json:"job_name"`
			KubernetesSDConfigs []struct {
				Role       string `json:"role"`
				Namespaces struct {
					Names []string `json:"names"`
				} `json:"namespaces"`
			} `json:"kubernetes_sd_configs"`
			RelabelConfigs []struct {
				SourceLabels []string `json:"source_labels"`
				Regex        string   `json:"regex"`
				Action       string   `json:"action"`
				TargetLabel  string   `json:"target_label"`
				Separator    string   `json:"separator"`
				Replacement  string   `json:"replacement"`
			} `json:"relabel_configs"`
		} `json:"scrape_configs"`
		Global map[string]any `json:"global"`
	}
	b, err := os.ReadFile(obsDir + "/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"rules/goodgo.rules.yml"}) {
		t.Errorf("rule_files %v", cfg.RuleFiles)
	}
	jobs := map[string]int{}
	for i, sc := range cfg.ScrapeConfigs {
		jobs[sc.JobName] = i
	}
	for _, env := range Environments {
		o, err := LoadOverlay(manifestsDir, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range o.Groups {
			i, ok := jobs["goodgo-"+g.Name]
			if !ok {
				t.Errorf("no scrape job goodgo-%s for %s's group %s", g.Name, env, g.Name)
				continue
			}
			sc := cfg.ScrapeConfigs[i]
			if len(sc.KubernetesSDConfigs) != 1 || sc.KubernetesSDConfigs[0].Role != "pod" || !slices.Contains(sc.KubernetesSDConfigs[0].Namespaces.Names, o.Namespace) {
				t.Errorf("job goodgo-%s does not discover the pods of %s", g.Name, o.Namespace)
			}
			keepsGroup, keepsPort := false, false
			for _, rc := range sc.RelabelConfigs {
				if rc.Action == "keep" && slices.Equal(rc.SourceLabels, []string{"__meta_kubernetes_pod_label_app_kubernetes_io_component"}) && rc.Regex == g.Name {
					keepsGroup = true
				}
				if rc.Action == "keep" && slices.Contains(rc.SourceLabels, "__meta_kubernetes_pod_container_port_name") && strings.HasSuffix(rc.Regex, ";http") {
					keepsPort = true
				}
			}
			if !keepsGroup || !keepsPort {
				t.Errorf("job goodgo-%s must keep the group's pods on their http port", g.Name)
			}
		}
	}
}

// exportedMetrics starts the real server, serves a request, and returns the names /metrics exposes (with
// _bucket, _sum and _count for histograms and summaries).
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	a := serverFor(t, "all")
	a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health/ready", nil))
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = true
			if f[3] == "histogram" || f[3] == "summary" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					out[f[2]+s] = true
				}
			}
		}
	}
	return out
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promLabelVal = regexp.MustCompile(`label_values\((.*),\s*\w+\)`) // Grafana's label_values(metric, label)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promWords    = map[string]bool{}
)

func init() {
	for _, w := range strings.Fields(`sum min max avg count stddev stdvar topk bottomk quantile count_values group by without
		on ignoring group_left group_right and or unless bool offset rate irate increase delta idelta deriv
		histogram_quantile time abs ceil floor round clamp clamp_min clamp_max label_replace label_join vector
		scalar absent absent_over_time sum_over_time avg_over_time max_over_time min_over_time count_over_time
		predict_linear resets changes sort sort_desc label_values inf nan e le`) {
		promWords[w] = true
	}
}

// metricNames returns the metric names a PromQL expression reads.
func metricNames(expr string) []string {
	expr = promString.ReplaceAllString(expr, " ")
	expr = promLabelVal.ReplaceAllString(expr, "$1")
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promRange.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var out []string
	for _, w := range promIdent.FindAllString(expr, -1) {
		if !promWords[w] && !strings.HasPrefix(w, "$") {
			out = append(out, w)
		}
	}
	return out
}

// external are metrics of the standard exporters the rules name (not the binary's).
var external = []string{"up", "kube_", "container_", "kubelet_", "node_", "certmanager_"}

func TestAlertsAndDashboardUseMetricsTheBinaryExports(t *testing.T) {
	exported := exportedMetrics(t)
	for _, want := range []string{"goodgo_http_requests_total", "goodgo_http_request_duration_seconds_bucket", "goodgo_outbox_consecutive_failures", "goodgo_realtime_clients"} {
		if !exported[want] {
			t.Fatalf("/metrics lacks %s: is the exporter wired?", want)
		}
	}
	var rules struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Record      string            `json:"record"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	b, err := os.ReadFile(obsDir + "/prometheus/rules/goodgo.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &rules); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	exprs := map[string]string{} // where → expression
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
				exprs["record "+r.Record] = r.Expr
				continue
			}
			alerts[r.Alert] = true
			exprs["alert "+r.Alert] = r.Expr
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s has no summary", r.Alert)
			}
		}
	}
	// The checklist's alerts: service down, 5xx rate, p95, outbox lag, disk, memory, certificate expiry.
	for _, a := range []string{"GoodGoServiceDown", "GoodGoHigh5xxRate", "GoodGoHighLatencyP95", "GoodGoOutboxNotDraining",
		"GoodGoVolumeFillingUp", "GoodGoNodeDiskFull", "GoodGoMemoryHigh", "GoodGoCertificateExpiresSoon"} {
		if !alerts[a] {
			t.Errorf("no alert %s", a)
		}
	}

	var dash struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Query any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err = os.ReadFile(obsDir + "/grafana/dashboards/goodgo.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && p.Type != "text" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			exprs["panel "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			exprs["variable"], _ = q["query"].(string)
		}
	}
	titles := strings.ToLower(string(b))
	for _, want := range []string{"rate by operation", "errors (5xx) by operation", "p95 duration by operation", "orders opened / min", "payments / min", "outbox", "sse clients"} {
		if !strings.Contains(titles, want) {
			t.Errorf("the dashboard has no %q panel", want)
		}
	}

	for where, expr := range exprs {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s reads no metric: %s", where, expr)
		}
		for _, n := range names {
			if exported[n] || recorded[n] || slices.ContainsFunc(external, func(p string) bool { return n == p || strings.HasSuffix(p, "_") && strings.HasPrefix(n, p) }) {
				continue
			}
			t.Errorf("%s reads %s, which the binary does not export (%s)", where, n, expr)
		}
	}
}

func TestMetricNamesOfPromQL(t *testing.T) {
	got := metricNames(`sum by (job, le) (rate(goodgo_http_request_duration_seconds_bucket{operation!="/a/{x}/b"}[5m])) / on (job) group_left job:rec:rate5m > bool 0.5 and up{job=~"goodgo.*"}`)
	want := []string{"goodgo_http_request_duration_seconds_bucket", "job:rec:rate5m", "up"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGrafanaLokiAndPromtailConfigs(t *testing.T) {
	var ds struct {
		APIVersion  int `json:"apiVersion"`
		Datasources []struct {
			Name      string `json:"name"`
			UID       string `json:"uid"`
			Type      string `json:"type"`
			Access    string `json:"access"`
			URL       string `json:"url"`
			IsDefault bool   `json:"isDefault"`
		} `json:"datasources"`
	}
	decodeFile(t, obsDir+"/grafana/provisioning/datasources/datasources.yml", &ds)
	types := map[string]string{}
	for _, d := range ds.Datasources {
		types[d.Type] = d.URL
	}
	if types["prometheus"] != "http://prometheus:9090" || types["loki"] != "http://loki:3100" {
		t.Errorf("datasources %v must reach the compose services prometheus and loki", types)
	}
	var dp struct {
		APIVersion int `json:"apiVersion"`
		Providers  []struct {
			Name            string `json:"name"`
			Folder          string `json:"folder"`
			Type            string `json:"type"`
			DisableDeletion bool   `json:"disableDeletion"`
			AllowUIUpdates  bool   `json:"allowUiUpdates"`
			Options         struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	decodeFile(t, obsDir+"/grafana/provisioning/dashboards/dashboards.yml", &dp)
	if len(dp.Providers) != 1 || dp.Providers[0].Options.Path != "/var/lib/grafana/dashboards" {
		t.Errorf("dashboard provider %+v", dp.Providers)
	}

	var loki map[string]any
	decodeFile(t, obsDir+"/loki/loki.yaml", &loki)
	schema, _ := json.Marshal(loki["schema_config"])
	if !strings.Contains(string(schema), `"schema":"v13"`) || !strings.Contains(string(schema), `"store":"tsdb"`) {
		t.Errorf("Loki schema %s", schema)
	}
	if lc, _ := loki["limits_config"].(map[string]any); lc["retention_period"] == nil {
		t.Error("Loki keeps logs forever: set limits_config.retention_period")
	}

	type promtail struct {
		Server    map[string]any   `json:"server"`
		Positions map[string]any   `json:"positions"`
		Clients   []map[string]any `json:"clients"`
		Scrape    []map[string]any `json:"scrape_configs"`
	}
	var pc, pk promtail
	decodeFile(t, obsDir+"/promtail/promtail-compose.yaml", &pc)
	decodeFile(t, obsDir+"/promtail/promtail-kubernetes.yaml", &pk)
	if len(pc.Clients) != 1 || pc.Clients[0]["url"] != "http://loki:3100/loki/api/v1/push" {
		t.Errorf("compose promtail pushes to %v", pc.Clients)
	}
	k8s, _ := json.Marshal(pk.Scrape)
	for _, env := range Environments {
		o, _ := LoadOverlay(manifestsDir, env)
		if !strings.Contains(string(k8s), `"`+o.Namespace+`"`) {
			t.Errorf("the cluster's promtail does not collect %s", o.Namespace)
		}
	}
}

func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
