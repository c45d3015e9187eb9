package activation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/ratelimit"
)

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Limits are the rate limits of the public routes that take a product key. PerAddress and
// PerKey give the rates and bursts; with Shared set (several processes on one PostgreSQL) the
// buckets live in the database and hold for the whole service, else in this process's memory.
type Limits struct {
	PerAddress *ratelimit.Limiter
	PerKey     *ratelimit.Limiter
	Shared     *ratelimit.Shared
}

// Check takes a token for the source address and for the key (by its hash, never the key
// itself; a malformed key by the hash of its text). It returns ERateLimited with
// retryAfterSeconds when either bucket is empty. Both buckets are always charged, so that a
// refused request costs the same whatever the key.
func (l Limits) Check(ctx context.Context, addr, key string) error {
	name := "raw:" + hashText(strings.TrimSpace(key))
	if k, err := keys.Parse(key); err == nil {
		name = k.Hash()
	}
	// Addresses before keys: one order of row locks for every process (Shared in the database;
	// a nil Shared takes from the limiters' buckets in this process).
	v, err := l.Shared.Allow(ctx, ratelimit.Charge{Source: "addr:" + addr, Limiter: l.PerAddress}, ratelimit.Charge{Source: "key:" + name, Limiter: l.PerKey})
	if err != nil {
		return err
	}
	a, k := v[0], v[1]
	if a.OK && k.OK {
		return nil
	}
	wait := max(a.Wait, k.Wait)
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	by := "source address"
	if !k.OK {
		by = "product key"
	}
	return licet.Errorf(licet.ERateLimited, "too many activation attempts from this %s; retry in %d s", by, secs).
		With("retryAfterSeconds", secs).With("limitedBy", by)
}
