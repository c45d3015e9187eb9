package activation_test

import (
	"context"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/ratelimit"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestLimitsCheck(t *testing.T) {
	c := &fakeClock{fixedNow()}
	k, _ := keys.New(keys.MAK, 1, nil)
	tests := []struct {
		name      string
		perAddr   float64
		perKey    float64
		limitedBy string
	}{
		{"by address", 0.1, 0, "source address"},
		{"by key", 0, 0.1, "product key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := activation.Limits{
				PerAddress: &ratelimit.Limiter{Rate: tt.perAddr, Burst: 1, Now: c.Now},
				PerKey:     &ratelimit.Limiter{Rate: tt.perKey, Burst: 1, Now: c.Now},
			}
			if err := l.Check(context.Background(), "127.0.0.1", k.String()); err != nil {
				t.Fatalf("first request: %v", err)
			}
			// The same key spelled differently is the same bucket.
			err := l.Check(context.Background(), "127.0.0.1", " "+k.String()[:5]+k.String()[6:])
			e := licet.AsError(err)
			if e.Code != licet.ERateLimited || e.Details["retryAfterSeconds"] != int64(10) || e.Details["limitedBy"] != tt.limitedBy {
				t.Fatalf("second request: %v %v, want RateLimited by %s retry after 10 s", err, e.Details, tt.limitedBy)
			}
		})
	}
}
