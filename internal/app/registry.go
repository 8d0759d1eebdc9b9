package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// Module is one bounded context as the composition root sees it.
//
// Init builds the module's service from the platform kit and the services of the modules it Requires (which
// the root has already initialised, in dependency order), and registers its HTTP routes and workers on the
// kit when active is true. A module that is only needed by another (GOODGO_MODULES names the other one) is
// initialised with active=false: its service exists in process, but its routes and workers run elsewhere.
type Module struct {
	Name       string
	Requires   []string
	Migrations []migrate.Source
	Init       func(ctx context.Context, k *Kit, active bool) error
}

// plan is the result of resolving GOODGO_MODULES against the registry: the modules to initialise in
// dependency order, and which of them serve routes and workers here.
type plan struct {
	order  []Module
	active map[string]bool
}

// resolve orders the registry's modules for initialisation and marks the selected ones active. selected is
// GOODGO_MODULES: "all" (or empty) selects every module. Unknown names, missing requirements and cycles are
// errors.
func resolve(registry []Module, selected []string) (plan, error) {
	byName := make(map[string]Module, len(registry))
	for _, m := range registry {
		if _, dup := byName[m.Name]; dup {
			return plan{}, fmt.Errorf("module %q registered twice", m.Name)
		}
		byName[m.Name] = m
	}
	active := map[string]bool{}
	all := len(selected) == 0
	for _, s := range selected {
		s = strings.TrimSpace(s)
		switch {
		case s == "all":
			all = true
		case s == "":
		default:
			if _, ok := byName[s]; !ok {
				return plan{}, fmt.Errorf("GOODGO_MODULES: unknown module %q (known: %s)", s, strings.Join(names(registry), ", "))
			}
			active[s] = true
		}
	}
	if all {
		for _, m := range registry {
			active[m.Name] = true
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []Module
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		m, ok := byName[name]
		if !ok {
			return fmt.Errorf("module %q requires unknown module %q", path[len(path)-1], name)
		}
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("module requirements form a cycle: %s", strings.Join(append(path, name), " → "))
		}
		state[name] = visiting
		for _, r := range m.Requires {
			if err := visit(r, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, m)
		return nil
	}
	// Visit in registry order so the result is deterministic.
	for _, m := range registry {
		if active[m.Name] {
			if err := visit(m.Name, nil); err != nil {
				return plan{}, err
			}
		}
	}
	return plan{order: order, active: active}, nil
}

func names(ms []Module) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	slices.Sort(out)
	return out
}
