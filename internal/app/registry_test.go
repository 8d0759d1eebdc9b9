package app

import (
	"slices"
	"strings"
	"testing"
)

func TestResolveModules(t *testing.T) {
	registry := []Module{
		{Name: "iam"},
		{Name: "merchant", Requires: []string{"iam"}},
		{Name: "catalog", Requires: []string{"merchant"}},
		{Name: "order", Requires: []string{"catalog", "merchant"}},
		{Name: "report"},
	}
	tests := []struct {
		name       string
		selected   []string
		wantOrder  []string
		wantActive []string
		wantErr    string
	}{
		{name: "all", selected: []string{"all"}, wantOrder: []string{"iam", "merchant", "catalog", "order", "report"},
			wantActive: []string{"catalog", "iam", "merchant", "order", "report"}},
		{name: "empty means all", selected: nil, wantOrder: []string{"iam", "merchant", "catalog", "order", "report"},
			wantActive: []string{"catalog", "iam", "merchant", "order", "report"}},
		{name: "subset pulls requirements in inactive", selected: []string{"order"},
			wantOrder: []string{"iam", "merchant", "catalog", "order"}, wantActive: []string{"order"}},
		{name: "spaces and blanks ignored", selected: []string{" report", "", "iam "},
			wantOrder: []string{"iam", "report"}, wantActive: []string{"iam", "report"}},
		{name: "unknown module", selected: []string{"orders"}, wantErr: `unknown module "orders"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := resolve(registry, tt.selected)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p.order); !slices.Equal(orderNames(p.order), tt.wantOrder) {
				t.Errorf("order = %v (sorted %v), want %v", orderNames(p.order), got, tt.wantOrder)
			}
			var active []string
			for n, on := range p.active {
				if on {
					active = append(active, n)
				}
			}
			slices.Sort(active)
			if !slices.Equal(active, tt.wantActive) {
				t.Errorf("active = %v, want %v", active, tt.wantActive)
			}
		})
	}
}

func TestResolveRejectsCyclesAndMissingRequirements(t *testing.T) {
	cyclic := []Module{{Name: "a", Requires: []string{"b"}}, {Name: "b", Requires: []string{"a"}}}
	if _, err := resolve(cyclic, []string{"all"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: err = %v", err)
	}
	missing := []Module{{Name: "a", Requires: []string{"ghost"}}}
	if _, err := resolve(missing, nil); err == nil || !strings.Contains(err.Error(), `unknown module "ghost"`) {
		t.Errorf("missing: err = %v", err)
	}
	dup := []Module{{Name: "a"}, {Name: "a"}}
	if _, err := resolve(dup, nil); err == nil {
		t.Error("duplicate registration accepted")
	}
}

func orderNames(ms []Module) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}
