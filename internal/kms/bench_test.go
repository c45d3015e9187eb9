package kms_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/kms"
)

// BenchmarkActivate measures renewals through Host.Activate (no HTTP), 10,000 distinct clients,
// with the client table persisted.
func BenchmarkActivate(b *testing.B) {
	f := newHost(b, kms.Config{})
	const clients = 10000
	ctx := context.Background()
	key := f.products["desktop"].GVLK
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := f.host.Activate(ctx, kmsclient.Request{MachineID: fmt.Sprintf("m-%d", i%clients), Product: "desktop", Key: key}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
