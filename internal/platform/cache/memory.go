package cache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
)

// Defaults for MemoryConfig fields left at zero.
const (
	DefaultMaxEntries = 10_000
	DefaultMaxBytes   = 64 << 20
)

// MemoryConfig bounds an in-process cache. Zero fields take the defaults above and the system clock.
type MemoryConfig struct {
	MaxEntries int         // most entries kept; the least recently used go first
	MaxBytes   int64       // most bytes of keys plus values kept; a single larger value is not cached
	Clock      clock.Clock // tells when entries expire
}

// Memory is a bounded least-recently-used cache with a TTL per entry, for a single process (the embedded
// default). Expired entries are dropped when read or when they reach the cold end of the list.
type Memory struct {
	maxEntries int
	maxBytes   int64
	clock      clock.Clock

	mu     sync.Mutex
	order  *list.List // of *memEntry, most recently used first
	items  map[string]*list.Element
	groups map[string]map[string]*list.Element // group → its live keys
	bytes  int64
	epoch  uint64 // incremented by every InvalidateGroup; GetOrLoad stores only if unchanged
}

type memEntry struct {
	key, group string
	val        []byte
	expires    time.Time
}

func (e *memEntry) size() int64 { return int64(len(e.key) + len(e.val)) }

// NewMemory returns an empty in-memory cache.
func NewMemory(cfg MemoryConfig) *Memory {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	return &Memory{
		maxEntries: cfg.MaxEntries,
		maxBytes:   cfg.MaxBytes,
		clock:      cfg.Clock,
		order:      list.New(),
		items:      make(map[string]*list.Element),
		groups:     make(map[string]map[string]*list.Element),
	}
}

// Get returns a copy of the value under key.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	val, ok := m.getLocked(key)
	return val, ok, nil
}

func (m *Memory) getLocked(key string) ([]byte, bool) {
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*memEntry)
	if !m.clock.Now().Before(e.expires) {
		m.removeLocked(el)
		return nil, false
	}
	m.order.MoveToFront(el)
	return clone(e.val), true
}

// Set stores a copy of val under key for ttl, evicting least recently used entries to stay in bounds.
func (m *Memory) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setLocked(key, val, ttl)
	return nil
}

func (m *Memory) setLocked(key string, val []byte, ttl time.Duration) {
	if el, ok := m.items[key]; ok {
		m.removeLocked(el)
	}
	group, _ := splitKey(key)
	e := &memEntry{key: key, group: group, val: clone(val), expires: m.clock.Now().Add(ttl)}
	if e.size() > m.maxBytes {
		return
	}
	el := m.order.PushFront(e)
	m.items[key] = el
	m.bytes += e.size()
	if group != "" {
		members := m.groups[group]
		if members == nil {
			members = make(map[string]*list.Element)
			m.groups[group] = members
		}
		members[key] = el
	}
	for m.order.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.removeLocked(m.order.Back())
	}
}

func (m *Memory) removeLocked(el *list.Element) {
	e := el.Value.(*memEntry)
	m.order.Remove(el)
	delete(m.items, e.key)
	m.bytes -= e.size()
	if e.group != "" {
		members := m.groups[e.group]
		delete(members, e.key)
		if len(members) == 0 {
			delete(m.groups, e.group)
		}
	}
}

// Delete removes keys.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if el, ok := m.items[k]; ok {
			m.removeLocked(el)
		}
	}
	return nil
}

// InvalidateGroup removes every entry of group; the work is proportional to the group's size.
func (m *Memory) InvalidateGroup(ctx context.Context, group string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.epoch++
	for _, el := range m.groups[group] {
		m.removeLocked(el)
	}
	return nil
}

// GetOrLoad returns the cached value or loads, stores and returns it; see Cache.GetOrLoad. The check is
// deliberately coarse: an invalidation of any group during the load skips the store (one counter instead
// of one per group). Concurrent misses of one key each call load (no coalescing).
func (m *Memory) GetOrLoad(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	m.mu.Lock()
	val, ok := m.getLocked(key)
	epoch := m.epoch
	m.mu.Unlock()
	if ok {
		return val, nil
	}
	val, err := load(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.epoch == epoch {
		m.setLocked(key, val, ttl)
	}
	m.mu.Unlock()
	return val, nil
}

// Len reports how many entries are held, including expired ones not yet dropped.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return append([]byte(nil), b...)
}
