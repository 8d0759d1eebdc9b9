package cache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := NewMemory(MemoryConfig{MaxEntries: 3})
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, m, k, k, time.Minute)
	}
	mustGet(t, m, "a") // a is now the most recently used; b is the oldest
	mustSet(t, m, "d", "d", time.Minute)

	for _, tt := range []struct {
		key  string
		want bool
	}{{"a", true}, {"b", false}, {"c", true}, {"d", true}} {
		if _, got := mustGet(t, m, tt.key); got != tt.want {
			t.Errorf("present(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	if got := m.Len(); got != 3 {
		t.Errorf("Len = %d, want 3", got)
	}
}

func TestMemoryBoundsBytes(t *testing.T) {
	m := NewMemory(MemoryConfig{MaxBytes: 100})
	mustSet(t, m, "a", string(make([]byte, 40)), time.Minute) // 41 bytes
	mustSet(t, m, "b", string(make([]byte, 40)), time.Minute) // 82 bytes
	mustSet(t, m, "c", string(make([]byte, 40)), time.Minute) // would be 123: evicts a
	if _, ok := mustGet(t, m, "a"); ok {
		t.Errorf("oldest entry kept past the byte bound")
	}
	if _, ok := mustGet(t, m, "c"); !ok {
		t.Errorf("newest entry missing")
	}
	mustSet(t, m, "huge", string(make([]byte, 200)), time.Minute)
	if _, ok := mustGet(t, m, "huge"); ok {
		t.Errorf("a value larger than MaxBytes was cached")
	}
	if _, ok := mustGet(t, m, "c"); !ok {
		t.Errorf("an oversized Set evicted other entries")
	}
}

func TestMemoryReturnsCopies(t *testing.T) {
	m := NewMemory(MemoryConfig{})
	in := []byte("abc")
	if err := m.Set(context.Background(), "k", in, time.Minute); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, _ := mustGet(t, m, "k")
	out[1] = 'Y'
	if got, _ := mustGet(t, m, "k"); string(got) != "abc" {
		t.Errorf("stored value = %q after callers changed their slices, want abc", got)
	}
}

func TestMemoryForgetsEmptyGroups(t *testing.T) {
	m := NewMemory(MemoryConfig{MaxEntries: 2})
	for i := range 5 {
		mustSet(t, m, GroupKey(fmt.Sprint("g", i), "k"), "v", time.Minute)
	}
	if err := m.Delete(context.Background(), GroupKey("g4", "k")); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if got := len(m.groups); got != 1 {
		t.Errorf("group index holds %d groups, want 1 (only g3 has a live key)", got)
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	m := NewMemory(MemoryConfig{})
	ctx := context.Background()
	val := make([]byte, 4096)
	for i := range 1000 {
		_ = m.Set(ctx, GroupKey("menu", fmt.Sprint(i)), val, time.Hour)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _, _ = m.Get(ctx, GroupKey("menu", fmt.Sprint(i%1000)))
			i++
		}
	})
}
