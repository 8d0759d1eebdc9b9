// Package cache keeps short-lived copies of computed values (the public menu, lookups that are read far more
// often than written) in memory or in Redis behind one interface.
//
// # Invalidating a group of keys
//
// Some values must all disappear together: every shop's public menu when a merchant edits a product, for
// example. Such keys are made with GroupKey(group, name) and dropped together with InvalidateGroup(group).
// The two backends do this in constant work per call, never by scanning the key space:
//
//   - Memory keeps an index from each group to its live keys and removes exactly those entries.
//   - Redis keeps a generation counter per group and stores a grouped value under a name that includes the
//     generation. InvalidateGroup increments the counter (one INCR), so older values are no longer reachable
//     and simply expire by their TTL. A Lua script resolves the generation and reads the value in one round
//     trip. (A DeletePrefix would need SCAN over the whole database: slow and not atomic.)
//
// # Filling the cache safely
//
// A plain "Get, miss, load from the database, Set" can store a stale value when an invalidation lands
// between the load and the Set, and the stale value then lives until its TTL. GetOrLoad closes that race:
// it remembers the group's state before loading and stores the loaded value only if the group was not
// invalidated meanwhile. Callers that cache data which writers invalidate should use it with grouped keys
// (a plain Delete racing a load is not detected).
package cache

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Cache stores byte values under string keys for a limited time. Implementations are safe for concurrent
// use. A miss is not an error: Get reports it with ok == false. Errors mean the backend failed (kind
// Unavailable) or the arguments were invalid (kind Invalid); callers usually treat a failed cache as a miss.
type Cache interface {
	// Get returns the value stored under key and whether there was one.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl, which must be positive.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes the keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// InvalidateGroup makes every key built with GroupKey(group, ...) miss from now on.
	InvalidateGroup(ctx context.Context, group string) error
	// GetOrLoad returns the value under key, or calls load, stores its result for ttl and returns it. The
	// loaded value is not stored when the key's group was invalidated while load ran, so a concurrent
	// writer's invalidation is never overwritten by stale data. Errors from load are returned unchanged;
	// when the cache backend fails, GetOrLoad still returns load's result.
	GetOrLoad(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error)
}

// GroupSeparator separates a group name from the rest of a key made by GroupKey. Group names must not
// contain it; keys not made by GroupKey should not contain it either (if one does, the part before it is
// treated as that key's group, which is harmless).
const GroupSeparator = "|"

// GroupKey returns the key for name inside group, so InvalidateGroup(group) drops it. Example:
// GroupKey("menu:"+merchantID, shopID).
func GroupKey(group, name string) string { return group + GroupSeparator + name }

// splitKey returns the group of key ("" for ungrouped keys) and the name inside it.
func splitKey(key string) (group, name string) {
	if g, n, ok := strings.Cut(key, GroupSeparator); ok {
		return g, n
	}
	return "", key
}

func checkKey(key string) error {
	if key == "" {
		return apperr.E(apperr.Invalid, "cache: empty key")
	}
	if g, _ := splitKey(key); g == "" && strings.HasPrefix(key, GroupSeparator) {
		return apperr.E(apperr.Invalid, "cache: key %q has an empty group", key)
	}
	return nil
}

func checkGroup(group string) error {
	if group == "" || strings.Contains(group, GroupSeparator) {
		return apperr.E(apperr.Invalid, "cache: group name %q must be non-empty and must not contain %q", group, GroupSeparator)
	}
	return nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return apperr.E(apperr.Invalid, "cache: ttl must be positive, got %s", ttl)
	}
	return nil
}

func unavailable(op string, err error) error {
	return apperr.Wrap(fmt.Errorf("cache %s: %w", op, err), apperr.Unavailable, "cache unavailable")
}
