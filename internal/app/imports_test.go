package app

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/goodgo/goodgo"

// TestImportDirection enforces the layout of ARCHITECTURE.md: imports point one way, cmd → app → module →
// platform; a module never imports another module (it declares an interface and the app wires the other
// module's service in); platform imports no module; nothing imports app but cmd.
func TestImportDirection(t *testing.T) {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}`, "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from := fields[0]
		for _, to := range fields[1:] {
			if !strings.HasPrefix(to, modulePath+"/") || to == from {
				continue
			}
			checked++
			if why := forbidden(from, to); why != "" {
				t.Errorf("%s imports %s: %s", trim(from), trim(to), why)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no internal imports found; is the go list query right?")
	}
}

// layer places a package: "cmd", "app", "web", "platform", "deps", or "module:<name>".
func layer(pkg string) string {
	p := trim(pkg)
	switch {
	case strings.HasPrefix(p, "cmd/"), p == "deploy" || strings.HasPrefix(p, "deploy/"):
		return "cmd" // deploy/ holds operations tools and their checks: commands in all but name"
	case p == "internal/app" || strings.HasPrefix(p, "internal/app/"):
		return "app"
	case p == "web" || strings.HasPrefix(p, "web/"):
		return "web"
	case strings.HasPrefix(p, "internal/platform/"):
		return "platform"
	case strings.HasPrefix(p, "internal/deps"):
		return "deps"
	case strings.HasPrefix(p, "internal/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(p, "internal/"), "/")
		return "module:" + name
	}
	return "other"
}

func forbidden(from, to string) string {
	lf, lt := layer(from), layer(to)
	switch {
	case lt == "cmd" && !(strings.HasPrefix(trim(from), "deploy") && strings.HasPrefix(trim(to), "deploy")):
		return "nothing imports a command"
	case lt == "app" && lf != "cmd" && lf != "app":
		return "only cmd imports the composition root"
	case lf == "platform" && lt != "platform":
		return "platform imports no module, app or web"
	case lf == "web" && lt != "web":
		return "the web package stands alone"
	case strings.HasPrefix(lf, "module:") && strings.HasPrefix(lt, "module:") && lf != lt:
		return "a module never imports another module; declare an interface and let app wire it"
	case strings.HasPrefix(lf, "module:") && (lt == "web" || lt == "deps"):
		return "modules import only platform packages and their own"
	}
	return ""
}

func trim(pkg string) string { return strings.TrimPrefix(pkg, modulePath+"/") }

func TestForbiddenRules(t *testing.T) {
	tests := []struct {
		from, to string
		allowed  bool
	}{
		{"cmd/goodgo", "internal/app", true},
		{"internal/app", "internal/order", true},
		{"internal/order", "internal/platform/db", true},
		{"internal/order", "internal/order/orderdb", true},
		{"internal/order", "internal/catalog", false},
		{"internal/order/orderdb", "internal/catalog/catalogdb", false},
		{"internal/platform/db", "internal/order", false},
		{"internal/platform/httpapi", "internal/app", false},
		{"internal/order", "internal/app", false},
		{"internal/app", "cmd/goodgo", false},
		{"web", "internal/platform/db", false},
		{"internal/app", "web", true},
	}
	for _, tt := range tests {
		why := forbidden(modulePath+"/"+tt.from, modulePath+"/"+tt.to)
		if (why == "") != tt.allowed {
			t.Errorf("%s → %s: forbidden=%q, want allowed=%v", tt.from, tt.to, why, tt.allowed)
		}
	}
}
