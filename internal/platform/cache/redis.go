package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// OpenRedis connects to the Redis server at rawURL (redis:// or rediss://, as go-redis parses it) and checks
// it answers. The same client serves the cache and the rate limiter; the caller closes it. Errors never
// repeat the URL, which may hold a password.
func OpenRedis(ctx context.Context, rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, apperr.E(apperr.Invalid, "open redis: invalid URL: %v", err)
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, unavailable("ping", err)
	}
	return client, nil
}

// Redis is a cache shared by every replica, stored in Redis under a fixed key prefix.
//
// Key layout, all under the prefix (the braces keep a group's keys in one cluster hash slot):
//
//	k:<key>                   an ungrouped value
//	v:{<group>}               the group's generation (a number; no TTL, one per group ever written)
//	g:{<group>}:<name>@<gen>  a grouped value, reachable only while <gen> is current
//
// A group's generation starts at the Redis server's time in milliseconds and only grows, so even if the
// counter is evicted, a new one never makes older values reachable again.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a cache that keeps every key under prefix (e.g. "goodgo:cache:"; tests use a unique one).
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// luaNow computes the server time in milliseconds; TIME is allowed in scripts with effect replication
// (the default since Redis 5).
const luaNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// getGrouped: KEYS = {generation, value base}. Returns {generation or false, value or false}.
var getGrouped = redis.NewScript(`
local gen = redis.call('GET', KEYS[1])
if not gen then return {false, false} end
return {gen, redis.call('GET', KEYS[2] .. '@' .. gen)}
`)

// setGrouped: KEYS = {generation, value base}; ARGV = {value, ttl ms, expected generation}. An expected
// generation of "*" stores unconditionally; "" means "expected no generation yet". Returns 1 if stored.
var setGrouped = redis.NewScript(luaNow + `
local gen = redis.call('GET', KEYS[1])
local want = ARGV[3]
if want ~= '*' and want ~= (gen or '') then return 0 end
if not gen then
  gen = string.format('%.0f', now)
  redis.call('SET', KEYS[1], gen)
end
redis.call('SET', KEYS[2] .. '@' .. gen, ARGV[1], 'PX', ARGV[2])
return 1
`)

// invalidateGroup: KEYS = {generation}. Moves the generation past both its old value and the current time.
var invalidateGroup = redis.NewScript(luaNow + `
local gen = tonumber(redis.call('GET', KEYS[1]) or '0')
local next = math.max(gen + 1, now)
redis.call('SET', KEYS[1], string.format('%.0f', next))
return 1
`)

// deleteGrouped: KEYS = pairs of {generation, value base}.
var deleteGrouped = redis.NewScript(`
for i = 1, #KEYS, 2 do
  local gen = redis.call('GET', KEYS[i])
  if gen then redis.call('DEL', KEYS[i + 1] .. '@' .. gen) end
end
return 1
`)

func (c *Redis) plainKey(key string) string { return c.prefix + "k:" + key }
func (c *Redis) genKey(group string) string { return c.prefix + "v:{" + group + "}" }
func (c *Redis) valueBase(group, name string) string {
	return c.prefix + "g:{" + group + "}:" + name
}

// Get returns the value under key.
func (c *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	val, _, ok, err := c.get(ctx, key)
	return val, ok, err
}

// get also returns the generation observed for a grouped key ("" when the group has none yet).
func (c *Redis) get(ctx context.Context, key string) (val []byte, gen string, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, "", false, err
	}
	group, name := splitKey(key)
	if group == "" {
		val, err := c.client.Get(ctx, c.plainKey(key)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil, "", false, nil
		}
		if err != nil {
			return nil, "", false, unavailable("get", err)
		}
		return val, "", true, nil
	}
	res, err := getGrouped.Run(ctx, c.client, []string{c.genKey(group), c.valueBase(group, name)}).Slice()
	if err != nil {
		return nil, "", false, unavailable("get", err)
	}
	if len(res) != 2 {
		return nil, "", false, unavailable("get", fmt.Errorf("unexpected script reply %v", res))
	}
	gen, _ = res[0].(string)
	s, ok := res[1].(string)
	if !ok {
		return nil, gen, false, nil
	}
	return []byte(s), gen, true, nil
}

// Set stores val under key for ttl (rounded up to whole milliseconds).
func (c *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	_, err := c.set(ctx, key, val, ttl, "*")
	return err
}

func (c *Redis) set(ctx context.Context, key string, val []byte, ttl time.Duration, wantGen string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	ms := (ttl + time.Millisecond - 1) / time.Millisecond
	group, name := splitKey(key)
	if group == "" {
		if err := c.client.Set(ctx, c.plainKey(key), val, time.Duration(ms)*time.Millisecond).Err(); err != nil {
			return false, unavailable("set", err)
		}
		return true, nil
	}
	stored, err := setGrouped.Run(ctx, c.client, []string{c.genKey(group), c.valueBase(group, name)},
		val, strconv.FormatInt(int64(ms), 10), wantGen).Int()
	if err != nil {
		return false, unavailable("set", err)
	}
	return stored == 1, nil
}

// Delete removes keys.
func (c *Redis) Delete(ctx context.Context, keys ...string) error {
	var plain, grouped []string
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
		if group, name := splitKey(k); group != "" {
			grouped = append(grouped, c.genKey(group), c.valueBase(group, name))
		} else {
			plain = append(plain, c.plainKey(k))
		}
	}
	if len(plain) > 0 {
		if err := c.client.Del(ctx, plain...).Err(); err != nil {
			return unavailable("delete", err)
		}
	}
	// Each pair shares a hash slot; pairs of different groups may not, so run one script per group pair.
	for i := 0; i < len(grouped); i += 2 {
		if err := deleteGrouped.Run(ctx, c.client, grouped[i:i+2]).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return unavailable("delete", err)
		}
	}
	return nil
}

// InvalidateGroup advances the group's generation: one small script, independent of the group's size.
func (c *Redis) InvalidateGroup(ctx context.Context, group string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	if err := invalidateGroup.Run(ctx, c.client, []string{c.genKey(group)}).Err(); err != nil {
		return unavailable("invalidate group", err)
	}
	return nil
}

// GetOrLoad returns the cached value or loads, stores and returns it; see Cache.GetOrLoad. For a grouped
// key the store happens only if the group's generation is still the one seen before loading.
func (c *Redis) GetOrLoad(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	val, gen, ok, err := c.get(ctx, key)
	if apperr.Is(err, apperr.Invalid) {
		return nil, err
	}
	if ok {
		return val, nil
	}
	cacheDown := err != nil
	val, err = load(ctx)
	if err != nil {
		return nil, err
	}
	if !cacheDown {
		// A failed store only costs a later miss; the loaded value is still right.
		_, _ = c.set(ctx, key, val, ttl, gen)
	}
	return val, nil
}
