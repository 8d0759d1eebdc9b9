package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"
)

// RabbitVHost gives the test a virtual host of its own on the shared RabbitMQ of GOODGO_TEST_AMQP_URL
// (made with rabbitmqctl, deleted when the test ends), so that its exchange and durable queues meet no other
// test's. It returns the broker's host:port and the AMQP URL of the new virtual host with that host:port
// replaced by hostPort (a proxy's), or skips the test when the broker or rabbitmqctl is not there.
func RabbitVHost(ctx context.Context, t testing.TB) (broker string, urlVia func(hostPort string) string) {
	t.Helper()
	raw := os.Getenv("GOODGO_TEST_AMQP_URL")
	if raw == "" {
		t.Skip("GOODGO_TEST_AMQP_URL not set")
	}
	ctl, err := lookPath("rabbitmqctl", "/usr/sbin", "/usr/lib/rabbitmq/bin")
	if err != nil {
		t.Skipf("rabbitmqctl not available to make a private virtual host: %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("GOODGO_TEST_AMQP_URL: %v", err)
	}
	user := "guest"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	vhost := "goodgo-faults-" + hex.EncodeToString(b)
	run := func(args ...string) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(cctx, ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
		}
	}
	run("add_vhost", vhost)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = exec.CommandContext(cctx, ctl, "delete_vhost", vhost).Run()
	})
	run("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
	return u.Host, func(hostPort string) string {
		v := *u
		v.Host = hostPort
		v.Path = "/" + vhost
		v.RawPath = ""
		return v.String()
	}
}
