// Command render writes the Kubernetes manifests of every environment (deploy/kubernetes/rendered/<env>.yaml)
// from deploy/kubernetes/base and the environment overlays; -check only reports whether they are up to date.
// Run from the repository root: `make k8s`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/goodgo/goodgo/deploy"
)

func main() {
	dir := flag.String("dir", "deploy/kubernetes", "the manifests' directory")
	check := flag.Bool("check", false, "only check that the rendered files are up to date")
	flag.Parse()
	if *check {
		if err := deploy.Check(*dir); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
		return
	}
	for _, env := range deploy.Environments {
		b, err := deploy.Render(*dir, env)
		if err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
		path := deploy.RenderedPath(*dir, env)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", path)
	}
}
