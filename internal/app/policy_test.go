package app

import (
	"context"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// TestEveryOperationDeclaresItsPermission walks every operation the registered modules put in the API and
// fails for one that declares neither a permission nor that it is public: no operation is open by accident
// (the guard would refuse it anyway; this finds it before a user does).
func TestEveryOperationDeclaresItsPermission(t *testing.T) {
	a, err := build(context.Background(), testConfig(t), quietLog(), modules())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ops := operations(a.http.API.OpenAPI())
	for _, op := range ops {
		perm, public := rbac.Declaration(op)
		switch {
		case perm == "" && public == "":
			t.Errorf("%s %s (%s) declares no permission: call rbac.Require or rbac.Public", op.Method, op.Path, op.OperationID)
		case perm != "" && public != "":
			t.Errorf("%s %s declares both a permission and public access", op.Method, op.Path)
		case perm != "" && len(op.Security) == 0:
			t.Errorf("%s %s needs %s but declares no security scheme", op.Method, op.Path, perm)
		}
	}
	t.Logf("%d operations checked", len(ops))
}

func TestPolicyWalkFindsUndeclaredOperations(t *testing.T) {
	p := newProbe()
	p.undeclared = true
	a, err := build(context.Background(), testConfig(t), quietLog(), []Module{p.module()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	var undeclared int
	for _, op := range operations(a.http.API.OpenAPI()) {
		if perm, public := rbac.Declaration(op); perm == "" && public == "" {
			undeclared++
		}
	}
	if undeclared != 1 {
		t.Fatalf("found %d undeclared operations, want the probe's 1", undeclared)
	}
}

func operations(doc *huma.OpenAPI) []*huma.Operation {
	var ops []*huma.Operation
	for _, item := range doc.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op != nil {
				ops = append(ops, op)
			}
		}
	}
	return ops
}
