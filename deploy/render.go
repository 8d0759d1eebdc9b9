// Package deploy holds GoodGo's deployment files (image, compose stack, Kubernetes manifests, observability,
// scripts) and the Go code that renders and checks them.
//
// The Kubernetes manifests are written as YAML under kubernetes/base and one overlay per environment
// (kubernetes/<env>/overlay.yaml). Render composes them into the exact objects applied to the cluster,
// deterministically, without kustomize: {{NAME}} variables substituted from the overlay, the module-group
// template instantiated once per group, JSON merge patches applied, namespace and labels set, objects sorted.
// `make k8s` writes the result to kubernetes/rendered/<env>.yaml; the tests check it is up to date and that
// it keeps the deployment's promises.
package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// ImageTag is the tag every GoodGo image reference carries in the rendered manifests. deploy.sh replaces it
// with the commit SHA being deployed; a manifest still holding it cannot be pulled.
const ImageTag = "${GIT_SHA}"

// Environments are the overlays `make k8s` renders.
var Environments = []string{"staging", "production"}

// Overlay is one environment's overlay.yaml.
type Overlay struct {
	Namespace     string            `json:"namespace"`
	Image         string            `json:"image"`
	Labels        map[string]string `json:"labels"`
	Vars          map[string]string `json:"vars"`
	Resources     []string          `json:"resources"`
	GroupTemplate string            `json:"groupTemplate"`
	Groups        []Group           `json:"groups"`
	Patches       []Patch           `json:"patches"`
}

// Group is one Deployment of the binary with GOODGO_MODULES set to Modules; Vars override the overlay's for
// this group.
type Group struct {
	Name    string            `json:"name"`
	Modules []string          `json:"modules"`
	Vars    map[string]string `json:"vars"`
}

// Patch is a JSON merge patch (RFC 7386) applied to the one object of Target's kind and name.
type Patch struct {
	Target struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"target"`
	Merge map[string]any `json:"merge"`
}

// Object is one decoded manifest.
type Object map[string]any

// Kind returns the object's kind.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// Name returns metadata.name.
func (o Object) Name() string { s, _ := o.meta()["name"].(string); return s }

func (o Object) meta() map[string]any {
	m, _ := o["metadata"].(map[string]any)
	if m == nil {
		m = map[string]any{}
		o["metadata"] = m
	}
	return m
}

// clusterScoped kinds get no namespace.
var clusterScoped = map[string]bool{"Namespace": true, "ClusterIssuer": true, "ClusterRole": true, "ClusterRoleBinding": true}

// kindOrder is the order objects are written (and applied) in: what others refer to comes first.
var kindOrder = []string{"Namespace", "ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service",
	"StatefulSet", "Job", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
	"Certificate", "Middleware", "IngressRoute"}

var varRef = regexp.MustCompile(`\{\{([A-Z0-9_]+)\}\}`)

// hashVars name the checksums of rendered ConfigMaps; pod templates carry them so that a change of
// configuration rolls the pods.
var hashVars = map[string]string{"CONFIG_HASH": "goodgo-config", "NATS_CONFIG_HASH": "nats-config"}

// LoadOverlay reads dir/<env>/overlay.yaml strictly (unknown fields are errors).
func LoadOverlay(dir, env string) (Overlay, error) {
	var o Overlay
	b, err := os.ReadFile(filepath.Join(dir, env, "overlay.yaml"))
	if err != nil {
		return o, err
	}
	if err := yaml.UnmarshalStrict(b, &o); err != nil {
		return o, fmt.Errorf("%s overlay: %w", env, err)
	}
	if o.Namespace == "" || o.Image == "" || o.GroupTemplate == "" || len(o.Groups) == 0 {
		return o, fmt.Errorf("%s overlay: namespace, image, groupTemplate and groups are required", env)
	}
	if strings.Contains(o.Image, ":") {
		return o, fmt.Errorf("%s overlay: image %q must not carry a tag (it is the commit SHA, set at deploy time)", env, o.Image)
	}
	return o, nil
}

// Objects renders environment env of the manifests under dir (deploy/kubernetes) into its objects, in
// apply order.
func Objects(dir, env string) ([]Object, error) {
	o, err := LoadOverlay(dir, env)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"NAMESPACE": o.Namespace, "IMAGE": o.Image + ":" + ImageTag}
	for k, v := range o.Vars {
		vars[k] = v
	}
	// First pass with placeholder hashes, to learn the ConfigMaps; second pass with their real hashes.
	for k := range hashVars {
		vars[k] = "pending"
	}
	objs, err := o.compose(dir, env, vars)
	if err != nil {
		return nil, err
	}
	for k, cm := range hashVars {
		vars[k] = ""
		for _, obj := range objs {
			if obj.Kind() == "ConfigMap" && obj.Name() == cm {
				b, err := json.Marshal(obj["data"]) // map keys are sorted: a canonical form
				if err != nil {
					return nil, err
				}
				sum := sha256.Sum256(b)
				vars[k] = hex.EncodeToString(sum[:8])
			}
		}
		if vars[k] == "" {
			delete(vars, k) // a template that uses it then fails as unresolved
		}
	}
	return o.compose(dir, env, vars)
}

func (o Overlay) compose(dir, env string, vars map[string]string) ([]Object, error) {
	base := filepath.Join(dir, env)
	var objs []Object
	for _, r := range o.Resources {
		got, err := renderFile(filepath.Join(base, r), vars)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	seenGroup := map[string]bool{}
	for _, g := range o.Groups {
		if g.Name == "" || len(g.Modules) == 0 || seenGroup[g.Name] {
			return nil, fmt.Errorf("%s: group %q needs a unique name and modules", env, g.Name)
		}
		seenGroup[g.Name] = true
		gv := map[string]string{}
		for k, v := range vars {
			gv[k] = v
		}
		for k, v := range g.Vars {
			gv[k] = v
		}
		gv["GROUP"] = g.Name
		gv["MODULES"] = strings.Join(g.Modules, ",")
		got, err := renderFile(filepath.Join(base, o.GroupTemplate), gv)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", g.Name, err)
		}
		objs = append(objs, got...)
	}
	for i, p := range o.Patches {
		n := 0
		for _, obj := range objs {
			if obj.Kind() == p.Target.Kind && obj.Name() == p.Target.Name {
				mergePatch(map[string]any(obj), p.Merge) // an object target is patched in place
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s: patch %d matches %d objects (%s/%s), want 1", env, i, n, p.Target.Kind, p.Target.Name)
		}
	}
	seen := map[string]bool{}
	for _, obj := range objs {
		key := obj.Kind() + "/" + obj.Name()
		if obj.Kind() == "" || obj.Name() == "" {
			return nil, fmt.Errorf("%s: an object without kind or name: %v", env, obj)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s: %s defined twice", env, key)
		}
		seen[key] = true
		m := obj.meta()
		if !clusterScoped[obj.Kind()] {
			m["namespace"] = o.Namespace
		}
		labels, _ := m["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
		}
		for k, v := range o.Labels {
			if _, set := labels[k]; !set {
				labels[k] = v
			}
		}
		if len(labels) > 0 {
			m["labels"] = labels
		}
	}
	rank := func(kind string) int {
		if i := slices.Index(kindOrder, kind); i >= 0 {
			return i
		}
		return len(kindOrder)
	}
	slices.SortStableFunc(objs, func(a, b Object) int {
		if d := rank(a.Kind()) - rank(b.Kind()); d != 0 {
			return d
		}
		if a.Kind() != b.Kind() {
			return strings.Compare(a.Kind(), b.Kind())
		}
		return strings.Compare(a.Name(), b.Name())
	})
	return objs, nil
}

// renderFile substitutes vars into a (multi-document) YAML file and decodes its objects. A reference to an
// unknown variable is an error.
func renderFile(path string, vars map[string]string) ([]Object, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var missing []string
	text := varRef.ReplaceAllStringFunc(string(b), func(ref string) string {
		name := varRef.FindStringSubmatch(ref)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("%s: unknown variables %s", path, strings.Join(slices.Compact(missing), ", "))
	}
	var objs []Object
	for i, doc := range splitDocuments(text) {
		var obj Object
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i+1, err)
		}
		if len(obj) == 0 {
			continue // only comments
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// splitDocuments splits YAML text at its "---" lines.
func splitDocuments(text string) []string {
	var docs []string
	var cur strings.Builder
	for line := range strings.SplitAfterSeq(text, "\n") {
		if strings.TrimRight(line, " \r\n") == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}

// mergePatch applies an RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else
// replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// Render returns the rendered manifest file of environment env.
func Render(dir, env string) ([]byte, error) {
	objs, err := Objects(dir, env)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Code generated by `make k8s` (go run ./deploy/cmd/render) from deploy/kubernetes/base and\n"+
		"# deploy/kubernetes/%s. DO NOT EDIT.\n"+
		"# GoodGo images carry the tag %s: deploy/scripts/deploy.sh replaces it with the commit SHA.\n", env, ImageTag)
	for _, obj := range objs {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", obj.Kind(), obj.Name(), err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// ErrStale is returned by Check when a rendered file differs from its sources.
var ErrStale = errors.New("rendered manifests are out of date: run `make k8s`")

// RenderedPath is where `make k8s` writes environment env.
func RenderedPath(dir, env string) string { return filepath.Join(dir, "rendered", env+".yaml") }

// Check compares every environment's rendered file with a fresh rendering.
func Check(dir string) error {
	var errs []error
	for _, env := range Environments {
		want, err := Render(dir, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got, err := os.ReadFile(RenderedPath(dir, env))
		if err != nil || !bytes.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s: %w", RenderedPath(dir, env), ErrStale))
		}
	}
	return errors.Join(errs...)
}
