package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// backend is one Cache implementation under test, with a way to let time pass for it where the test
// controls its clock, and the Redis client behind it where there is one.
type backend struct {
	name    string
	cache   Cache
	advance func(d time.Duration) // makes entries older by d; nil for the real Redis, whose clock runs alone
	redis   *Redis                // nil for the memory cache
	client  redis.UniversalClient
}

var prefixSeq atomic.Int64

// uniquePrefix returns a key prefix no other test run uses, so runs against a shared Redis never collide.
func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("goodgo-test:%d:%d:%d:", os.Getpid(), time.Now().UnixNano(), prefixSeq.Add(1))
}

// backends returns a fresh memory cache, a miniredis-backed cache and, when GOODGO_TEST_REDIS_URL is set,
// a cache on the real Redis under a unique prefix that is removed after the test.
func backends(t *testing.T) []backend {
	t.Helper()
	fake := clock.NewFake(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	mem := NewMemory(MemoryConfig{Clock: fake})

	mr := miniredis.RunT(t)
	mini := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = mini.Close() })

	miniCache := NewRedis(mini, uniquePrefix(t))
	out := []backend{
		{name: "memory", cache: mem, advance: fake.Advance},
		{name: "miniredis", cache: miniCache, advance: mr.FastForward, redis: miniCache, client: mini},
	}
	if url := os.Getenv("GOODGO_TEST_REDIS_URL"); url != "" {
		ctx := context.Background()
		client, err := OpenRedis(ctx, url)
		if err != nil {
			t.Fatalf("OpenRedis: %v", err)
		}
		prefix := uniquePrefix(t)
		t.Cleanup(func() {
			deletePrefix(t, client, prefix)
			_ = client.Close()
		})
		c := NewRedis(client, prefix)
		out = append(out, backend{name: "redis", cache: c, redis: c, client: client})
	}
	return out
}

func deletePrefix(t *testing.T, client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		client.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("cleanup scan: %v", err)
	}
}

func mustGet(t *testing.T, c Cache, key string) ([]byte, bool) {
	t.Helper()
	val, ok, err := c.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return val, ok
}

func mustSet(t *testing.T, c Cache, key, val string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(context.Background(), key, []byte(val), ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func TestCacheGetSet(t *testing.T) {
	tests := []struct {
		name string
		key  string
		val  []byte
	}{
		{"plain key", "product:1", []byte(`{"name":"Cà phê sữa đá"}`)},
		{"grouped key", GroupKey("menu:m1", "shop:1"), []byte("menu json")},
		{"empty value", "empty", []byte{}},
		{"binary value", "bin", []byte{0, 255, 1, '\n', 0}},
		{"key with spaces and unicode", "món ăn: phở bò", []byte("x")},
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					if _, ok := mustGet(t, b.cache, tt.key); ok {
						t.Fatalf("Get before Set: got a value, want a miss")
					}
					if err := b.cache.Set(ctx, tt.key, tt.val, time.Minute); err != nil {
						t.Fatalf("Set: %v", err)
					}
					got, ok := mustGet(t, b.cache, tt.key)
					if !ok || !bytes.Equal(got, tt.val) {
						t.Fatalf("Get = %q, %v; want %q, true", got, ok, tt.val)
					}
				})
			}
		})
	}
}

func TestCacheOverwriteReplacesValue(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, key := range []string{"k", GroupKey("g", "k")} {
				mustSet(t, b.cache, key, "first", time.Minute)
				mustSet(t, b.cache, key, "second", time.Minute)
				if got, _ := mustGet(t, b.cache, key); string(got) != "second" {
					t.Errorf("Get(%q) = %q, want %q", key, got, "second")
				}
			}
		})
	}
}

// TestCacheEntriesExpire lets time pass where the test controls the clock (memory: fake clock; miniredis:
// FastForward).
func TestCacheEntriesExpire(t *testing.T) {
	for _, b := range backends(t) {
		if b.advance == nil {
			continue // the real Redis: TestRedisSetsTheTTL checks what it was told
		}
		t.Run(b.name, func(t *testing.T) {
			short, long := "short", GroupKey("g", "long")
			mustSet(t, b.cache, short, "a", 100*time.Millisecond)
			mustSet(t, b.cache, long, "b", time.Hour)
			if _, ok := mustGet(t, b.cache, short); !ok {
				t.Fatalf("Get right after Set: miss")
			}
			b.advance(150 * time.Millisecond)
			if _, ok := mustGet(t, b.cache, short); ok {
				t.Errorf("Get after the TTL: hit, want a miss")
			}
			if _, ok := mustGet(t, b.cache, long); !ok {
				t.Errorf("Get of a key with a longer TTL: miss, want a hit")
			}
		})
	}
}

// TestRedisSetsTheTTL checks the expiry Redis was given for plain and grouped keys, on miniredis and on
// the real Redis, without waiting for it to pass.
func TestRedisSetsTheTTL(t *testing.T) {
	tests := []struct {
		key string
		ttl time.Duration
	}{
		// Long enough that a loaded box never sees them expire between Set and PTTL.
		{"plain", 30 * time.Second},
		{"rounded up", 30*time.Second + 1500*time.Microsecond}, // whole milliseconds: 30.002 s
		{GroupKey("g", "long"), time.Hour},
		{GroupKey("g", "short"), 20 * time.Second},
	}
	for _, b := range backends(t) {
		if b.redis == nil {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range tests {
				mustSet(t, b.cache, tt.key, "v", tt.ttl)
				got, err := b.client.PTTL(ctx, storedKey(t, b.redis, tt.key)).Result()
				if err != nil {
					t.Fatalf("PTTL(%q): %v", tt.key, err)
				}
				limit := (tt.ttl + time.Millisecond - 1).Truncate(time.Millisecond)
				if got <= 0 || got > limit {
					t.Errorf("PTTL(%q) = %v, want in (0, %v]", tt.key, got, limit)
				}
			}
		})
	}
}

// storedKey returns the Redis key holding key's current value.
func storedKey(t *testing.T, c *Redis, key string) string {
	t.Helper()
	group, name := splitKey(key)
	if group == "" {
		return c.plainKey(key)
	}
	_, gen, ok, err := c.get(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("get %q: ok %v, %v", key, ok, err)
	}
	return c.valueBase(group, name) + "@" + gen
}

func TestCacheDelete(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			keys := []string{"a", "b", GroupKey("g1", "c"), GroupKey("g2", "d")}
			for _, k := range keys {
				mustSet(t, b.cache, k, k, time.Minute)
			}
			mustSet(t, b.cache, "kept", "x", time.Minute)
			mustSet(t, b.cache, GroupKey("g1", "kept"), "x", time.Minute)
			if err := b.cache.Delete(ctx, append(keys, "missing", GroupKey("nogroup", "x"))...); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for _, k := range keys {
				if _, ok := mustGet(t, b.cache, k); ok {
					t.Errorf("Get(%q) after Delete: hit", k)
				}
			}
			for _, k := range []string{"kept", GroupKey("g1", "kept")} {
				if _, ok := mustGet(t, b.cache, k); !ok {
					t.Errorf("Get(%q), not deleted: miss", k)
				}
			}
			if err := b.cache.Delete(ctx); err != nil {
				t.Errorf("Delete with no keys: %v", err)
			}
		})
	}
}

func TestCacheInvalidateGroup(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			menu1 := []string{GroupKey("menu:m1", "shop:1"), GroupKey("menu:m1", "shop:2")}
			others := []string{GroupKey("menu:m2", "shop:3"), "menu:m1", "plain"}
			for _, k := range append(append([]string{}, menu1...), others...) {
				mustSet(t, b.cache, k, "v-"+k, time.Minute)
			}
			if err := b.cache.InvalidateGroup(ctx, "menu:m1"); err != nil {
				t.Fatalf("InvalidateGroup: %v", err)
			}
			for _, k := range menu1 {
				if _, ok := mustGet(t, b.cache, k); ok {
					t.Errorf("Get(%q) after invalidating its group: hit", k)
				}
			}
			for _, k := range others {
				if got, ok := mustGet(t, b.cache, k); !ok || string(got) != "v-"+k {
					t.Errorf("Get(%q) outside the group = %q, %v; want it kept", k, got, ok)
				}
			}
			// The group works again after invalidation, and invalidating twice in a row is fine.
			mustSet(t, b.cache, menu1[0], "fresh", time.Minute)
			if got, _ := mustGet(t, b.cache, menu1[0]); string(got) != "fresh" {
				t.Errorf("Get after re-Set = %q, want fresh", got)
			}
			for range 2 {
				if err := b.cache.InvalidateGroup(ctx, "menu:m1"); err != nil {
					t.Fatalf("InvalidateGroup: %v", err)
				}
			}
			if _, ok := mustGet(t, b.cache, menu1[0]); ok {
				t.Errorf("Get after second invalidation: hit")
			}
			if err := b.cache.InvalidateGroup(ctx, "never-used"); err != nil {
				t.Errorf("InvalidateGroup of an unknown group: %v", err)
			}
		})
	}
}

func TestCacheRejectsInvalidArguments(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			load := func(context.Context) ([]byte, error) { return []byte("x"), nil }
			tests := []struct {
				name string
				call func() error
			}{
				{"get empty key", func() error { _, _, err := b.cache.Get(ctx, ""); return err }},
				{"set empty key", func() error { return b.cache.Set(ctx, "", []byte("x"), time.Minute) }},
				{"set zero ttl", func() error { return b.cache.Set(ctx, "k", []byte("x"), 0) }},
				{"set negative ttl", func() error { return b.cache.Set(ctx, "k", []byte("x"), -time.Second) }},
				{"key with empty group", func() error { return b.cache.Set(ctx, "|name", []byte("x"), time.Minute) }},
				{"delete empty key", func() error { return b.cache.Delete(ctx, "ok", "") }},
				{"empty group", func() error { return b.cache.InvalidateGroup(ctx, "") }},
				{"group with separator", func() error { return b.cache.InvalidateGroup(ctx, "a|b") }},
				{"load with zero ttl", func() error { _, err := b.cache.GetOrLoad(ctx, "k", 0, load); return err }},
				{"load with empty key", func() error { _, err := b.cache.GetOrLoad(ctx, "", time.Minute, load); return err }},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.call()
					if got := apperr.KindOf(err); got != apperr.Invalid {
						t.Errorf("error kind = %v (%v), want invalid", got, err)
					}
				})
			}
		})
	}
}

func TestCacheGetOrLoad(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			key := GroupKey("menu:m1", "shop:1")
			calls := 0
			load := func(context.Context) ([]byte, error) { calls++; return []byte(fmt.Sprint("v", calls)), nil }

			got, err := b.cache.GetOrLoad(ctx, key, time.Minute, load)
			if err != nil || string(got) != "v1" || calls != 1 {
				t.Fatalf("first GetOrLoad = %q, %v (calls %d); want v1 after one load", got, err, calls)
			}
			got, err = b.cache.GetOrLoad(ctx, key, time.Minute, load)
			if err != nil || string(got) != "v1" || calls != 1 {
				t.Fatalf("second GetOrLoad = %q, %v (calls %d); want cached v1", got, err, calls)
			}

			plainCalls := 0
			for range 2 {
				got, err = b.cache.GetOrLoad(ctx, "plain", time.Minute, func(context.Context) ([]byte, error) {
					plainCalls++
					return []byte("p"), nil
				})
				if err != nil || string(got) != "p" {
					t.Fatalf("GetOrLoad(plain) = %q, %v", got, err)
				}
			}
			if plainCalls != 1 {
				t.Errorf("plain key loaded %d times, want 1", plainCalls)
			}
		})
	}
}

func TestCacheGetOrLoadReturnsLoadErrorAndStoresNothing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			boom := errors.New("database down")
			_, err := b.cache.GetOrLoad(ctx, GroupKey("g", "k"), time.Minute, func(context.Context) ([]byte, error) {
				return nil, boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("GetOrLoad error = %v, want the load error", err)
			}
			if _, ok := mustGet(t, b.cache, GroupKey("g", "k")); ok {
				t.Errorf("a failed load left a value in the cache")
			}
		})
	}
}

// A writer's invalidation that happens while a reader loads must win over the reader's stale value.
func TestCacheGetOrLoadDoesNotStoreAcrossInvalidation(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range []struct {
				name  string
				prime bool // whether the group already has a generation before the load
			}{{"group never written", false}, {"group already written", true}} {
				t.Run(tt.name, func(t *testing.T) {
					group := "menu:" + tt.name
					key := GroupKey(group, "shop:1")
					if tt.prime {
						mustSet(t, b.cache, GroupKey(group, "other"), "x", time.Minute)
					}
					got, err := b.cache.GetOrLoad(ctx, key, time.Minute, func(ctx context.Context) ([]byte, error) {
						if err := b.cache.InvalidateGroup(ctx, group); err != nil {
							t.Fatalf("InvalidateGroup: %v", err)
						}
						return []byte("stale"), nil
					})
					if err != nil || string(got) != "stale" {
						t.Fatalf("GetOrLoad = %q, %v; want the loaded value returned", got, err)
					}
					if val, ok := mustGet(t, b.cache, key); ok {
						t.Errorf("Get after a load that raced an invalidation = %q, want a miss", val)
					}
				})
			}
		})
	}
}

func TestRedisPrefixesIsolateCaches(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	a, b := NewRedis(client, "a:"), NewRedis(client, "b:")
	mustSet(t, a, "k", "from a", time.Minute)
	mustSet(t, a, GroupKey("g", "k"), "from a", time.Minute)
	for _, k := range []string{"k", GroupKey("g", "k")} {
		if _, ok := mustGet(t, b, k); ok {
			t.Errorf("cache b sees %q written by cache a", k)
		}
	}
	for _, k := range mr.Keys() {
		if k[:2] != "a:" {
			t.Errorf("key %q written outside prefix a:", k)
		}
	}
}

// If Redis evicts or loses a group's generation counter, older values must stay unreachable.
func TestRedisLostGenerationDoesNotResurrectValues(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	c := NewRedis(client, "p:")
	key := GroupKey("g", "k")
	mustSet(t, c, key, "old", time.Hour)
	if err := c.InvalidateGroup(context.Background(), "g"); err != nil {
		t.Fatal(err)
	}
	mr.Del(c.genKey("g"))
	if val, ok := mustGet(t, c, key); ok {
		t.Fatalf("Get after the generation was lost = %q, want a miss", val)
	}
	mustSet(t, c, key, "new", time.Hour)
	if val, _ := mustGet(t, c, key); string(val) != "new" {
		t.Errorf("Get = %q, want new", val)
	}
}

func TestRedisBackendFailureIsUnavailable(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer client.Close()
	c := NewRedis(client, "p:")
	mr.Close()
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "k"); apperr.KindOf(err) != apperr.Unavailable {
		t.Errorf("Get with Redis down: error %v, want kind unavailable", err)
	}
	if err := c.InvalidateGroup(ctx, "g"); apperr.KindOf(err) != apperr.Unavailable {
		t.Errorf("InvalidateGroup with Redis down: error %v, want kind unavailable", err)
	}
	// GetOrLoad still answers from the loader when the cache is down.
	got, err := c.GetOrLoad(ctx, GroupKey("g", "k"), time.Minute, func(context.Context) ([]byte, error) {
		return []byte("from db"), nil
	})
	if err != nil || string(got) != "from db" {
		t.Errorf("GetOrLoad with Redis down = %q, %v; want the loaded value", got, err)
	}
}

func TestOpenRedis(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	client, err := OpenRedis(ctx, "redis://"+mr.Addr()+"/0")
	if err != nil {
		t.Fatalf("OpenRedis(miniredis): %v", err)
	}
	client.Close()

	tests := []struct {
		name string
		url  string
		kind apperr.Kind
	}{
		{"bad scheme", "http://user:hunter2@localhost:6379", apperr.Invalid},
		{"unparsable", "redis://user:hunter2@[::1", apperr.Invalid},
		{"nobody listening", "redis://user:hunter2@127.0.0.1:1/0", apperr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenRedis(ctx, tt.url)
			if got := apperr.KindOf(err); got != tt.kind {
				t.Errorf("error kind = %v (%v), want %v", got, err, tt.kind)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

// BenchmarkRedisGetGrouped measures a grouped read (generation and value in one script call) against the
// real Redis at GOODGO_TEST_REDIS_URL.
func BenchmarkRedisGetGrouped(b *testing.B) {
	url := os.Getenv("GOODGO_TEST_REDIS_URL")
	if url == "" {
		b.Skip("GOODGO_TEST_REDIS_URL not set")
	}
	ctx := context.Background()
	client, err := OpenRedis(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	prefix := fmt.Sprintf("goodgo-bench:%d:%d:", os.Getpid(), time.Now().UnixNano())
	c := NewRedis(client, prefix)
	key := GroupKey("menu:m1", "shop:1")
	if err := c.Set(ctx, key, make([]byte, 4096), time.Minute); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		_ = client.Close()
	})
	for b.Loop() {
		if _, ok, err := c.Get(ctx, key); err != nil || !ok {
			b.Fatalf("Get = %v, %v", ok, err)
		}
	}
}
