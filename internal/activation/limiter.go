package activation

import (
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

// Limits are the rate limits of the public routes that take a product key.
type Limits struct {
	PerAddress *ratelimit.Limiter
	PerKey     *ratelimit.Limiter
}

// Check takes a token for the source address and for the key (by its hash, never the key
// itself; a malformed key by the hash of its text). It returns ERateLimited with
// retry_after_seconds when either bucket is empty. Both buckets are always charged, so that a
// refused request costs the same whatever the key.
func (l Limits) Check(addr, key string) error {
	name := "raw:" + hashText(strings.TrimSpace(key))
	if k, err := keys.Parse(key); err == nil {
		name = k.Hash()
	}
	okA, waitA := l.PerAddress.Allow(addr)
	okK, waitK := l.PerKey.Allow(name)
	if okA && okK {
		return nil
	}
	wait := max(waitA, waitK)
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	by := "source address"
	if !okK {
		by = "product key"
	}
	return licet.Errorf(licet.ERateLimited, "too many activation attempts from this %s; retry in %d s", by, secs).
		With("retryAfterSeconds", secs).With("limitedBy", by)
}
