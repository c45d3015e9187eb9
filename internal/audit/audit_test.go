package audit_test

import (
	"context"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestActionFilter: --action is a prefix taken literally: its "_" and "%" are characters, not
// LIKE wildcards, on both databases.
func TestActionFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleOperator})
		for i, action := range []string{"kms.host_limit.set", "kms.hostXlimit.set", "kms.host.renew", "tenant.create", "odd%.name"} {
			err := db.Write(ctx, func(tx *store.Tx) error {
				return audit.Write(ctx, tx, int64(i+1), audit.Record{Action: action, Object: "test"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for filter, want := range map[string][]string{
			"kms.host_limit": {"kms.host_limit.set"},
			"kms.host":       {"kms.host.renew", "kms.hostXlimit.set", "kms.host_limit.set"},
			"kms.host%":      nil,
			"odd%":           {"odd%.name"},
			"":               {"odd%.name", "tenant.create", "kms.host.renew", "kms.hostXlimit.set", "kms.host_limit.set"},
		} {
			entries, err := (&audit.Service{DB: db}).Audit(ctx, licet.AuditFilter{Action: filter})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Action)
			}
			if len(got) != len(want) {
				t.Fatalf("--action %q: %v, want %v", filter, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("--action %q: %v, want %v (newest first)", filter, got, want)
				}
			}
		}
	})
}
