package deploy

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/goodgo/goodgo/internal/app"
)

const manifestsDir = "kubernetes"

// The custom resources of Traefik and cert-manager, as far as these manifests use them. Their Go types are
// not in the module proxy, so they are decoded strictly into these structs: a misspelt field fails.
type (
	ingressRoute struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            struct {
			EntryPoints []string `json:"entryPoints"`
			TLS         *struct {
				SecretName string `json:"secretName"`
			} `json:"tls,omitempty"`
			Routes []traefikRoute `json:"routes"`
		} `json:"spec"`
	}
	traefikRoute struct {
		Kind        string `json:"kind"`
		Match       string `json:"match"`
		Priority    int    `json:"priority,omitempty"`
		Middlewares []struct {
			Name string `json:"name"`
		} `json:"middlewares,omitempty"`
		Services []struct {
			Name string             `json:"name"`
			Kind string             `json:"kind,omitempty"`
			Port intstr.IntOrString `json:"port,omitempty"`
		} `json:"services"`
	}
	middleware struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            struct {
			Headers *struct {
				STSSeconds           int64  `json:"stsSeconds"`
				STSIncludeSubdomains bool   `json:"stsIncludeSubdomains"`
				STSPreload           bool   `json:"stsPreload"`
				ForceSTSHeader       bool   `json:"forceSTSHeader"`
				FrameDeny            bool   `json:"frameDeny"`
				ContentTypeNosniff   bool   `json:"contentTypeNosniff"`
				ReferrerPolicy       string `json:"referrerPolicy"`
			} `json:"headers,omitempty"`
			RedirectScheme *struct {
				Scheme    string `json:"scheme"`
				Permanent bool   `json:"permanent"`
			} `json:"redirectScheme,omitempty"`
			RateLimit *struct {
				Average int    `json:"average"`
				Period  string `json:"period"`
				Burst   int    `json:"burst"`
			} `json:"rateLimit,omitempty"`
			IPAllowList *struct {
				SourceRange []string `json:"sourceRange"`
			} `json:"ipAllowList,omitempty"`
		} `json:"spec"`
	}
	certificate struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            struct {
			SecretName string   `json:"secretName"`
			DNSNames   []string `json:"dnsNames"`
			IssuerRef  struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"issuerRef"`
			PrivateKey struct {
				Algorithm      string `json:"algorithm"`
				Size           int    `json:"size"`
				RotationPolicy string `json:"rotationPolicy"`
			} `json:"privateKey"`
			Duration    string `json:"duration"`
			RenewBefore string `json:"renewBefore"`
		} `json:"spec"`
	}
)

// manifest is one environment's rendered objects, decoded into their types.
type manifest struct {
	env           string
	namespaces    []corev1.Namespace
	configMaps    map[string]corev1.ConfigMap
	services      map[string]corev1.Service
	serviceAccts  []corev1.ServiceAccount
	deployments   map[string]appsv1.Deployment
	statefulSets  map[string]appsv1.StatefulSet
	jobs          map[string]batchv1.Job
	hpas          map[string]autoscalingv2.HorizontalPodAutoscaler
	pdbs          map[string]policyv1.PodDisruptionBudget
	netpols       map[string]networkingv1.NetworkPolicy
	certificates  map[string]certificate
	middlewares   map[string]middleware
	ingressRoutes map[string]ingressRoute
}

// decodeStrict decodes one YAML document into v, failing on unknown and duplicate fields.
func decodeStrict(doc []byte, v any) error { return yaml.UnmarshalStrict(doc, v) }

// loadManifest reads rendered/<env>.yaml and decodes every object with the Kubernetes API types (custom
// resources with the structs above). An unknown kind or field fails the test.
func loadManifest(t *testing.T, env string) *manifest {
	t.Helper()
	b, err := os.ReadFile(RenderedPath(manifestsDir, env))
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest{env: env, configMaps: map[string]corev1.ConfigMap{}, services: map[string]corev1.Service{},
		deployments: map[string]appsv1.Deployment{}, statefulSets: map[string]appsv1.StatefulSet{}, jobs: map[string]batchv1.Job{},
		hpas: map[string]autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]policyv1.PodDisruptionBudget{},
		netpols: map[string]networkingv1.NetworkPolicy{}, certificates: map[string]certificate{}, middlewares: map[string]middleware{},
		ingressRoutes: map[string]ingressRoute{}}
	for i, doc := range splitDocuments(string(b)) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("%s document %d: %v", env, i, err)
		}
		if tm.Kind == "" {
			continue // the header comment
		}
		into := func(v any) {
			t.Helper()
			if err := decodeStrict([]byte(doc), v); err != nil {
				t.Fatalf("%s: %s document %d does not decode strictly: %v", env, tm.Kind, i, err)
			}
		}
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 Namespace":
			var o corev1.Namespace
			into(&o)
			m.namespaces = append(m.namespaces, o)
		case "v1 ServiceAccount":
			var o corev1.ServiceAccount
			into(&o)
			m.serviceAccts = append(m.serviceAccts, o)
		case "v1 ConfigMap":
			var o corev1.ConfigMap
			into(&o)
			m.configMaps[o.Name] = o
		case "v1 Service":
			var o corev1.Service
			into(&o)
			m.services[o.Name] = o
		case "apps/v1 Deployment":
			var o appsv1.Deployment
			into(&o)
			m.deployments[o.Name] = o
		case "apps/v1 StatefulSet":
			var o appsv1.StatefulSet
			into(&o)
			m.statefulSets[o.Name] = o
		case "batch/v1 Job":
			var o batchv1.Job
			into(&o)
			m.jobs[o.Name] = o
		case "autoscaling/v2 HorizontalPodAutoscaler":
			var o autoscalingv2.HorizontalPodAutoscaler
			into(&o)
			m.hpas[o.Name] = o
		case "policy/v1 PodDisruptionBudget":
			var o policyv1.PodDisruptionBudget
			into(&o)
			m.pdbs[o.Name] = o
		case "networking.k8s.io/v1 NetworkPolicy":
			var o networkingv1.NetworkPolicy
			into(&o)
			m.netpols[o.Name] = o
		case "cert-manager.io/v1 Certificate":
			var o certificate
			into(&o)
			m.certificates[o.Metadata.Name] = o
		case "traefik.io/v1alpha1 Middleware":
			var o middleware
			into(&o)
			m.middlewares[o.Metadata.Name] = o
		case "traefik.io/v1alpha1 IngressRoute":
			var o ingressRoute
			into(&o)
			m.ingressRoutes[o.Metadata.Name] = o
		default:
			t.Fatalf("%s: document %d has an unexpected kind %s %s", env, i, tm.APIVersion, tm.Kind)
		}
	}
	return m
}

func TestRenderedManifestsAreUpToDate(t *testing.T) {
	if err := Check(manifestsDir); err != nil {
		t.Fatal(err)
	}
}

func TestRenderingFailsOnUnknownVariablesAndStrayPatches(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"base/t.yaml", "env/overlay.yaml"} {
		if err := os.MkdirAll(dir+"/"+f[:strings.LastIndex(f, "/")], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, s string) {
		if err := os.WriteFile(dir+"/"+path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("base/t.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s-{{GROUP}}\nspec:\n  type: {{TYPO}}\n")
	write("env/overlay.yaml", "namespace: n\nimage: r/i\ngroupTemplate: ../base/t.yaml\ngroups: [{name: a, modules: [x]}]\n")
	if _, err := Render(dir, "env"); err == nil || !strings.Contains(err.Error(), "TYPO") {
		t.Errorf("unknown variable: %v", err)
	}
	write("env/overlay.yaml", "namespace: n\nimage: r/i\ngroupTemplate: ../base/t.yaml\nvars: {TYPO: ClusterIP}\ngroups: [{name: a, modules: [x]}]\npatches: [{target: {kind: Service, name: nope}, merge: {spec: {}}}]\n")
	if _, err := Render(dir, "env"); err == nil || !strings.Contains(err.Error(), "matches 0 objects") {
		t.Errorf("stray patch: %v", err)
	}
	write("env/overlay.yaml", "namespace: n\nimage: r/i:latest\ngroupTemplate: ../base/t.yaml\ngroups: [{name: a, modules: [x]}]\n")
	if _, err := Render(dir, "env"); err == nil || !strings.Contains(err.Error(), "must not carry a tag") {
		t.Errorf("tagged image: %v", err)
	}
	write("env/overlay.yaml", "namespace: n\nimage: r/i\ngroupTemplate: ../base/t.yaml\nvars: {TYPO: ClusterIP}\ngroups: [{name: a, modules: [x]}]\nextra: 1\n")
	if _, err := Render(dir, "env"); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown overlay field: %v", err)
	}
}

// configVariables are the environment variables the binary reads (internal/app.Config), each also valid
// with the _FILE suffix.
func configVariables() map[string]bool {
	out := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			if name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name != "" {
				out[name] = true
			}
		}
	}
	walk(reflect.TypeFor[app.Config]())
	return out
}

// knownVariable says whether a container's environment variable means something to the binary or to the Go
// runtime.
func knownVariable(vars map[string]bool, name string) bool {
	if vars[name] || vars[strings.TrimSuffix(name, "_FILE")] {
		return true
	}
	return name == "GOMEMLIMIT" || name == "GOMAXPROCS"
}

// sensitive settings live in Secrets, never in a ConfigMap or a plain env value.
var sensitive = []string{"GOODGO_DATABASE_URL", "GOODGO_SECRET_KEY", "GOODGO_REDIS_URL", "GOODGO_S3_ACCESS_KEY",
	"GOODGO_S3_SECRET_KEY", "GOODGO_VNPAY_HASH_SECRET", "GOODGO_BANK_WEBHOOK_API_KEY", "GOODGO_AMQP_URL"}

func goodgoContainers(spec corev1.PodSpec) []corev1.Container {
	var out []corev1.Container
	for _, c := range spec.Containers {
		if strings.Contains(c.Image, "/goodgo/goodgo:") {
			out = append(out, c)
		}
	}
	return out
}

func TestManifestsKeepTheDeploymentPromises(t *testing.T) {
	vars := configVariables()
	for _, env := range Environments {
		t.Run(env, func(t *testing.T) {
			m := loadManifest(t, env)
			overlay, err := LoadOverlay(manifestsDir, env)
			if err != nil {
				t.Fatal(err)
			}
			wantImage := overlay.Image + ":" + ImageTag
			cfg, ok := m.configMaps["goodgo-config"]
			if !ok {
				t.Fatal("no ConfigMap goodgo-config")
			}
			for k := range cfg.Data {
				if !knownVariable(vars, k) {
					t.Errorf("ConfigMap sets %s, which the binary does not read", k)
				}
				if slices.Contains(sensitive, k) {
					t.Errorf("ConfigMap holds the sensitive %s: it belongs in a Secret", k)
				}
			}
			if cfg.Data["GOODGO_MIGRATE_ON_START"] != "false" {
				t.Error("replicas must not migrate on start: the migration Job does it before the rollout")
			}
			shutdown, err := time.ParseDuration(cfg.Data["GOODGO_SHUTDOWN_TIMEOUT"])
			if err != nil {
				t.Fatalf("GOODGO_SHUTDOWN_TIMEOUT: %v", err)
			}

			// Every pod template: pinned images, non-root, known variables, secrets as files.
			type pod struct {
				name string
				spec corev1.PodSpec
			}
			var pods []pod
			for _, d := range m.deployments {
				pods = append(pods, pod{"Deployment/" + d.Name, d.Spec.Template.Spec})
			}
			for _, s := range m.statefulSets {
				pods = append(pods, pod{"StatefulSet/" + s.Name, s.Spec.Template.Spec})
			}
			for _, j := range m.jobs {
				pods = append(pods, pod{"Job/" + j.Name, j.Spec.Template.Spec})
			}
			for _, p := range pods {
				sc := p.spec.SecurityContext
				if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("%s: pod must run as non-root with the RuntimeDefault seccomp profile", p.name)
				}
				if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
					t.Errorf("%s: mounts a service account token it never uses", p.name)
				}
				for _, c := range p.spec.Containers {
					name, tag, ok := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
					if !ok || tag == "" || tag == "latest" {
						t.Errorf("%s: image %q must be pinned (never :latest)", p.name, c.Image)
					}
					if name == "goodgo" && c.Image != wantImage {
						t.Errorf("%s: image %q, want %q (the commit SHA is set at deploy time)", p.name, c.Image, wantImage)
					}
					csc := c.SecurityContext
					if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation || csc.Capabilities == nil ||
						!slices.Contains(csc.Capabilities.Drop, "ALL") || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
						t.Errorf("%s/%s: container must drop every capability, forbid privilege escalation and keep its root read-only", p.name, c.Name)
					}
					if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Memory().IsZero() {
						t.Errorf("%s/%s: memory requests and limits are required", p.name, c.Name)
					}
				}
				for _, c := range goodgoContainers(p.spec) {
					checkSecretsAsFiles(t, p.name, p.spec, c, vars)
				}
			}

			// The module groups.
			var modules []string
			for _, g := range overlay.Groups {
				modules = append(modules, g.Modules...)
				name := "goodgo-" + g.Name
				d, ok := m.deployments[name]
				if !ok {
					t.Errorf("no Deployment %s", name)
					continue
				}
				checkGroupDeployment(t, m, d, g, shutdown)
			}
			if env == "production" {
				for _, core := range []string{"iam", "merchant", "order", "kitchen", "catalog", "inventory", "payment", "booking", "storage"} {
					if !slices.Contains(modules, core) {
						t.Errorf("production does not run the core module %s", core)
					}
				}
				for name, d := range m.deployments {
					if *d.Spec.Replicas != 3 || m.hpas[name].Spec.MinReplicas == nil || *m.hpas[name].Spec.MinReplicas != 3 || m.hpas[name].Spec.MaxReplicas != 10 {
						t.Errorf("%s: production runs 3 replicas, autoscaled from 3 to 10", name)
					}
				}
			}
			if _, ok := m.deployments["goodgo-web"]; !ok {
				t.Error("no Deployment for the web app")
			}

			// The migration Job runs `goodgo migrate` with the same image.
			job, ok := m.jobs["goodgo-migrate"]
			if !ok {
				t.Fatal("no migration Job")
			}
			if c := goodgoContainers(job.Spec.Template.Spec); len(c) != 1 || !slices.Equal(c[0].Args, []string{"migrate"}) || job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
				t.Error("the migration Job must run `goodgo migrate` once per attempt")
			}

			checkRedis(t, m)
			checkNATS(t, m)
			checkNetworkPolicies(t, m)
			checkIngress(t, m, overlay)
		})
	}
}

// checkSecretsAsFiles: every GOODGO_*_FILE variable points into a mounted Secret volume, no sensitive
// setting is given as a plain value, and every variable is one the binary reads.
func checkSecretsAsFiles(t *testing.T, name string, spec corev1.PodSpec, c corev1.Container, vars map[string]bool) {
	t.Helper()
	secretMounts := map[string]string{}
	for _, v := range spec.Volumes {
		if v.Secret == nil {
			continue
		}
		for _, vm := range c.VolumeMounts {
			if vm.Name == v.Name {
				secretMounts[vm.MountPath] = v.Secret.SecretName
			}
		}
	}
	files := map[string]bool{}
	for _, e := range c.Env {
		if !knownVariable(vars, e.Name) {
			t.Errorf("%s: sets %s, which the binary does not read", name, e.Name)
		}
		if slices.Contains(sensitive, e.Name) {
			t.Errorf("%s: the sensitive %s is a plain variable: give it as %s_FILE from a Secret", name, e.Name, e.Name)
		}
		if base, ok := strings.CutSuffix(e.Name, "_FILE"); ok {
			dir := e.Value[:strings.LastIndex(e.Value, "/")]
			if _, ok := secretMounts[dir]; !ok {
				t.Errorf("%s: %s=%s is not in a mounted Secret", name, e.Name, e.Value)
			}
			files[base] = true
		}
	}
	for _, s := range []string{"GOODGO_DATABASE_URL", "GOODGO_SECRET_KEY"} {
		if !files[s] {
			t.Errorf("%s: %s_FILE is missing", name, s)
		}
	}
}

func checkGroupDeployment(t *testing.T, m *manifest, d appsv1.Deployment, g Group, shutdown time.Duration) {
	t.Helper()
	spec := d.Spec.Template.Spec
	cs := goodgoContainers(spec)
	if len(cs) != 1 {
		t.Fatalf("%s: want one goodgo container, got %d", d.Name, len(cs))
	}
	c := cs[0]
	var modules string
	for _, e := range c.Env {
		if e.Name == "GOODGO_MODULES" {
			modules = e.Value
		}
	}
	if modules != strings.Join(g.Modules, ",") {
		t.Errorf("%s: GOODGO_MODULES=%q, want %q", d.Name, modules, strings.Join(g.Modules, ","))
	}
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("%s: args %v, want [serve]", d.Name, c.Args)
	}
	if c.Resources.Requests.Memory().Cmp(resource.MustParse("256Mi")) != 0 || c.Resources.Limits.Memory().Cmp(resource.MustParse("1Gi")) != 0 {
		t.Errorf("%s: memory %v–%v, want 256Mi–1Gi", d.Name, c.Resources.Requests.Memory(), c.Resources.Limits.Memory())
	}
	probe := func(p *corev1.Probe, path, what string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
			t.Errorf("%s: %s probe must GET %s", d.Name, what, path)
		}
	}
	probe(c.LivenessProbe, "/health/live", "liveness")
	probe(c.ReadinessProbe, "/health/ready", "readiness")
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatalf("%s: a preStop pause is required (endpoints drop the pod before SIGTERM)", d.Name)
	}
	pause := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace < pause+shutdown+5*time.Second {
		t.Errorf("%s: terminationGracePeriodSeconds %v leaves no room for the preStop pause %v plus the drain %v", d.Name, grace, pause, shutdown)
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("%s: a rollout must never take a serving replica away first (maxUnavailable 0)", d.Name)
	}
	spread := false
	for _, tsc := range spec.TopologySpreadConstraints {
		if tsc.TopologyKey == "kubernetes.io/hostname" && tsc.MaxSkew == 1 && selects(tsc.LabelSelector, d.Spec.Template.Labels) {
			spread = true
		}
	}
	if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil || len(spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 || !spread {
		t.Errorf("%s: replicas must be spread across nodes (anti-affinity and a topology spread on hostname)", d.Name)
	}
	svc, ok := m.services[d.Name]
	if !ok || !selectsMap(svc.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("%s: no Service selecting its pods", d.Name)
	}
	hpa, ok := m.hpas[d.Name]
	if !ok || hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != d.Name || hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != *d.Spec.Replicas {
		t.Errorf("%s: no HorizontalPodAutoscaler starting at its replica count", d.Name)
	}
	pdb, ok := m.pdbs[d.Name]
	if !ok || !selects(pdb.Spec.Selector, d.Spec.Template.Labels) || (pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil) {
		t.Errorf("%s: no PodDisruptionBudget for its pods", d.Name)
	}
	if !selects(d.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("%s: its selector does not match its pods", d.Name)
	}
}

func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil || len(sel.MatchExpressions) > 0 || len(sel.MatchLabels) == 0 {
		return false
	}
	return selectsMap(sel.MatchLabels, labels)
}

func selectsMap(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkRedis(t *testing.T, m *manifest) {
	t.Helper()
	r, ok := m.statefulSets["redis"]
	if !ok {
		t.Fatal("no Redis StatefulSet")
	}
	args := strings.Join(r.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.Contains(args, "--appendonly yes") || !strings.Contains(args, "--save") || !strings.Contains(args, "--requirepass $(REDIS_PASSWORD)") {
		t.Errorf("Redis must persist (AOF and RDB) and require its password: %s", args)
	}
	if len(r.Spec.VolumeClaimTemplates) != 1 || !mountsAt(r.Spec.Template.Spec.Containers[0], r.Spec.VolumeClaimTemplates[0].Name, "/data") {
		t.Error("Redis must keep /data on a PersistentVolume")
	}
}

func checkNATS(t *testing.T, m *manifest) {
	t.Helper()
	n, ok := m.statefulSets["nats"]
	if !ok {
		t.Fatal("no NATS StatefulSet")
	}
	if *n.Spec.Replicas != 3 {
		t.Errorf("NATS runs %d nodes, want a 3-node cluster", *n.Spec.Replicas)
	}
	conf := m.configMaps["nats-config"].Data["nats.conf"]
	for _, want := range []string{"jetstream {", "store_dir: /data/jetstream", "cluster {", "nats://nats-0.nats-headless:6222", "nats://nats-1.nats-headless:6222", "nats://nats-2.nats-headless:6222", "pid_file: /var/run/nats/nats.pid"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %q", want)
		}
	}
	if n.Spec.ServiceName != "nats-headless" || m.services["nats-headless"].Spec.ClusterIP != "None" {
		t.Error("the cluster routes need the headless Service nats-headless")
	}
	if len(n.Spec.VolumeClaimTemplates) != 1 || !mountsAt(n.Spec.Template.Spec.Containers[0], n.Spec.VolumeClaimTemplates[0].Name, "/data") {
		t.Error("JetStream must keep /data on a PersistentVolume")
	}
	if m.configMaps["goodgo-config"].Data["GOODGO_NATS_URL"] != "nats://nats:4222" {
		t.Error("GoodGo must use the NATS cluster")
	}
	if _, ok := m.pdbs["nats"]; !ok {
		t.Error("NATS needs a PodDisruptionBudget to keep its quorum")
	}
}

func mountsAt(c corev1.Container, volume, path string) bool {
	for _, vm := range c.VolumeMounts {
		if vm.Name == volume && vm.MountPath == path {
			return true
		}
	}
	return false
}

func checkNetworkPolicies(t *testing.T, m *manifest) {
	t.Helper()
	deny, ok := m.netpols["default-deny"]
	if !ok || len(deny.Spec.PodSelector.MatchLabels) != 0 || len(deny.Spec.Ingress) != 0 || len(deny.Spec.Egress) != 0 ||
		!slices.Contains(deny.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(deny.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Error("a default-deny NetworkPolicy (every pod, ingress and egress) is required")
	}
	for name, p := range m.netpols {
		for i, r := range p.Spec.Ingress {
			if len(r.From) == 0 || len(r.Ports) == 0 {
				t.Errorf("NetworkPolicy %s: ingress rule %d opens every source or every port", name, i)
			}
		}
		for i, r := range p.Spec.Egress {
			if len(r.To) == 0 || len(r.Ports) == 0 {
				t.Errorf("NetworkPolicy %s: egress rule %d opens every destination or every port", name, i)
			}
		}
	}
	// The flows GoodGo needs are open: from the ingress controller, to NATS, Redis and DNS.
	allowsTo := func(policy string, port int32) bool {
		for _, r := range m.netpols[policy].Spec.Egress {
			for _, p := range r.Ports {
				if p.Port != nil && p.Port.IntVal == port {
					return true
				}
			}
		}
		for _, r := range m.netpols[policy].Spec.Ingress {
			for _, p := range r.Ports {
				if p.Port != nil && p.Port.IntVal == port {
					return true
				}
			}
		}
		return false
	}
	for _, f := range []struct {
		policy string
		port   int32
	}{{"goodgo-ingress", 8080}, {"goodgo-egress", 4222}, {"goodgo-egress", 6379}, {"goodgo-egress", 5432}, {"goodgo-egress", 443},
		{"allow-dns", 53}, {"nats", 4222}, {"nats", 6222}, {"redis", 6379}} {
		if !allowsTo(f.policy, f.port) {
			t.Errorf("NetworkPolicy %s must open port %d", f.policy, f.port)
		}
	}
}

func checkIngress(t *testing.T, m *manifest, o Overlay) {
	t.Helper()
	hosts := []string{o.Vars["API_HOST"], o.Vars["POS_HOST"], o.Vars["ADMIN_HOST"]}
	for i, prefix := range []string{"api.", "pos.", "admin."} {
		if !strings.HasPrefix(hosts[i], prefix) {
			t.Errorf("host %q should start with %q", hosts[i], prefix)
		}
	}
	cert, ok := m.certificates["goodgo-tls"]
	if !ok || !slices.Equal(cert.Spec.DNSNames, hosts) || cert.Spec.IssuerRef.Kind != "ClusterIssuer" || cert.Spec.IssuerRef.Name == "" {
		t.Errorf("the cert-manager Certificate must cover %v", hosts)
	}
	https, ok := m.ingressRoutes["goodgo"]
	if !ok || !slices.Equal(https.Spec.EntryPoints, []string{"websecure"}) || https.Spec.TLS == nil || https.Spec.TLS.SecretName != cert.Spec.SecretName {
		t.Error("the HTTPS IngressRoute must use the websecure entry point and the Certificate's secret")
	}
	http, ok := m.ingressRoutes["goodgo-http"]
	if !ok || !slices.Equal(http.Spec.EntryPoints, []string{"web"}) || len(http.Spec.Routes) != 1 || len(http.Spec.Routes[0].Middlewares) != 1 ||
		m.middlewares[http.Spec.Routes[0].Middlewares[0].Name].Spec.RedirectScheme == nil {
		t.Error("plain HTTP must be redirected to HTTPS")
	}
	for _, h := range hosts {
		if r := http.Spec.Routes[0]; !mustMatch(t, r.Match, h, "/pos") {
			t.Errorf("the HTTP redirect does not cover %s", h)
		}
	}
	sh := m.middlewares["security-headers"].Spec.Headers
	if sh == nil || sh.STSSeconds < 31536000 || !sh.STSIncludeSubdomains || !sh.FrameDeny || !sh.ContentTypeNosniff || sh.ReferrerPolicy == "" {
		t.Error("the security-headers middleware must set HSTS, frame denial, nosniff and a referrer policy")
	}
	for name, ir := range m.ingressRoutes {
		for i, r := range ir.Spec.Routes {
			for _, mw := range r.Middlewares {
				if _, ok := m.middlewares[mw.Name]; !ok {
					t.Errorf("IngressRoute %s route %d uses the undefined middleware %s", name, i, mw.Name)
				}
			}
			for _, s := range r.Services {
				if s.Kind == "TraefikService" {
					if s.Name != "noop@internal" {
						t.Errorf("IngressRoute %s route %d: unexpected TraefikService %s", name, i, s.Name)
					}
					continue
				}
				svc, ok := m.services[s.Name]
				if !ok || !hasPort(svc, s.Port) {
					t.Errorf("IngressRoute %s route %d sends to %s:%s, which is not a Service port", name, i, s.Name, s.Port.String())
				}
			}
			internal := len(r.Services) == 1 && r.Services[0].Name == "noop@internal"
			if name == "goodgo" && !internal && (len(r.Middlewares) < 2 || r.Middlewares[0].Name != "security-headers" || !strings.HasPrefix(r.Middlewares[1].Name, "ratelimit-")) {
				t.Errorf("IngressRoute %s route %d must apply the security headers and a rate limit", name, i)
			}
		}
	}
	for name, mw := range m.middlewares {
		if rl := mw.Spec.RateLimit; rl != nil {
			if _, err := time.ParseDuration(rl.Period); err != nil || rl.Average <= 0 || rl.Burst <= 0 {
				t.Errorf("middleware %s: bad rate limit %+v", name, *rl)
			}
		}
	}
}

func hasPort(svc corev1.Service, port intstr.IntOrString) bool {
	for _, p := range svc.Spec.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.Port == port.IntVal) {
			return true
		}
	}
	return false
}

// mustMatch evaluates a Traefik rule for host and path, failing the test on a rule it cannot parse.
func mustMatch(t *testing.T, rule, host, path string) bool {
	t.Helper()
	ok, err := matchRule(rule, host, path)
	if err != nil {
		t.Fatalf("rule %q: %v", rule, err)
	}
	return ok
}

func TestNoManifestOrComposeFileUsesLatest(t *testing.T) {
	for _, path := range append([]string{"compose/compose.yaml", "docker/Dockerfile"}, RenderedPath(manifestsDir, "staging"), RenderedPath(manifestsDir, "production")) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, ":latest") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
				t.Errorf("%s:%d uses a :latest image: %s", path, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// String for error messages.
func (r traefikRoute) String() string { return fmt.Sprintf("%s (priority %d)", r.Match, r.Priority) }
