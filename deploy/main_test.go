package deploy

import (
	"context"
	"os"
	"testing"
)

var tempDirs []string

// tempDirForPackage makes a directory removed when the package's tests end (servers shared between tests
// outlive any one test's t.TempDir).
func tempDirForPackage() (string, error) {
	d, err := os.MkdirTemp("", "goodgo-deploy-test-")
	if err == nil {
		tempDirs = append(tempDirs, d)
	}
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, a := range servers {
		_ = a.Close(context.Background())
	}
	for _, d := range tempDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}
