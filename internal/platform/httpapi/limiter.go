package httpapi

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/goodgo/goodgo/internal/platform/clock"
)

// MemoryLimiter is a Limiter for one process: GCRA per key in sharded maps. A key's entry is dropped once
// its budget is whole again, so memory follows the number of recently active clients.
type MemoryLimiter struct {
	clock  clock.Clock
	seed   maphash.Seed
	shards [64]limiterShard

	sweepMu   sync.Mutex
	nextSweep time.Time
}

type limiterShard struct {
	mu  sync.Mutex
	tat map[string]time.Time // theoretical arrival time of the next request per key
}

// sweepEvery is how often the limiter drops the entries of keys whose budget is whole again.
const sweepEvery = time.Minute

// NewMemoryLimiter returns an in-memory limiter reading the time from c.
func NewMemoryLimiter(c clock.Clock) *MemoryLimiter {
	l := &MemoryLimiter{clock: c, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].tat = make(map[string]time.Time)
	}
	return l
}

// Allow takes one request from key's budget. It never fails.
func (l *MemoryLimiter) Allow(_ context.Context, key string, limit Limit) (Decision, error) {
	if limit.Off() {
		return Decision{Allowed: true}, nil
	}
	now := l.clock.Now()
	l.sweep(now)
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	d, tat := gcra(now, sh.tat[key], limit)
	if d.Allowed {
		sh.tat[key] = tat
	}
	return d, nil
}

// sweep drops, at most once per sweepEvery, the keys whose budget is whole again (their theoretical arrival
// time has passed). One caller sweeps; the others go on without waiting.
func (l *MemoryLimiter) sweep(now time.Time) {
	if !l.sweepMu.TryLock() {
		return
	}
	defer l.sweepMu.Unlock()
	if now.Before(l.nextSweep) {
		return
	}
	l.nextSweep = now.Add(sweepEvery)
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, tat := range sh.tat {
			if !tat.After(now) {
				delete(sh.tat, k)
			}
		}
		sh.mu.Unlock()
	}
}

// gcra decides one request under the generic cell rate algorithm: requests are spaced by Per/Count and may
// come early by up to Count of those intervals (the burst). stored is the key's theoretical arrival time
// (zero for a new key); it returns the decision and the new theoretical arrival time.
func gcra(now, stored time.Time, limit Limit) (Decision, time.Time) {
	interval := limit.Per / time.Duration(limit.Count)
	burst := interval * time.Duration(limit.Count)
	tat := stored
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	allowAt := next.Add(-burst)
	if now.Before(allowAt) {
		return Decision{RetryAfter: allowAt.Sub(now)}, stored
	}
	return Decision{Allowed: true, Remaining: int(now.Sub(allowAt) / interval)}, next
}

// RedisLimiter is a Limiter shared by every replica, GCRA in Redis (redis_rate). Its keys are
// "rate:" + prefix + class + ":" + subject, so several deployments (and test runs) can share one Redis.
type RedisLimiter struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// redisLimitTimeout bounds one rate-limit round trip: when Redis is slow or down, requests go through
// (fail open) after this delay instead of waiting for the client's dial retries.
const redisLimitTimeout = 250 * time.Millisecond

// NewRedisLimiter returns a limiter on client whose keys start with prefix (e.g. "goodgo:").
func NewRedisLimiter(client redis.UniversalClient, prefix string) *RedisLimiter {
	return &RedisLimiter{limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow takes one request from key's budget; it fails when Redis does not answer within 250 ms.
func (l *RedisLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if limit.Off() {
		return Decision{Allowed: true}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisLimitTimeout)
	defer cancel()
	res, err := l.limiter.Allow(ctx, l.prefix+key, redis_rate.Limit{Rate: limit.Count, Burst: limit.Count, Period: limit.Per})
	if err != nil {
		return Decision{}, fmt.Errorf("redis rate limit %s: %w", key, err)
	}
	d := Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, 0)
	}
	return d, nil
}
