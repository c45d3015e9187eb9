package activation_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// BenchmarkActivate measures durable MAK activations of distinct machines through the service
// (group commit included, no HTTP) on SQLite with synchronous=FULL, with GOMAXPROCS×… parallel
// callers (-cpu and SetParallelism decide how many).
func BenchmarkActivate(b *testing.B) {
	for _, par := range []int{1, 64} {
		b.Run(fmt.Sprintf("sqlite/clients=%d", par), func(b *testing.B) {
			db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "licet.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(context.Background(), func() int64 { return 0 }); err != nil {
				b.Fatal(err)
			}
			benchActivate(b, db, par)
		})
	}
	b.Run("postgres/clients=64", func(b *testing.B) {
		benchActivate(b, storetest.Postgres(b), 64)
	})
}

func benchActivate(b *testing.B, db *store.DB, par int) {
	f := setup(b, db, 100_000_000)
	var n atomic.Int64
	b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := f.activate(licet.Machine{ID: fmt.Sprintf("bench-%d", i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "activations/s")
}
