package kmscentral_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/kmscentral/centraltest"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

// TestDirectoriesCountAsHosts: a kms-host key's directories and hosts share its 6-host limit;
// the 7th of either kind gets KMSHostLimitExceeded; a directory activating again uses no more;
// the object is signed by the operator and names the tenant, the groups and the directory; the
// key's activations list the directories beside the hosts.
func TestDirectoriesCountAsHosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, opPub := service(t, db)
		centraltest.Tenant(t, db, "contoso")
		is := centraltest.Service(t, db)
		is.Group(10, "suite-2024")
		is.Group(11, "suite-2026", 10)
		is.Product("suite-pro-2026", "client", 11)
		key, keyID := is.HostKey("contoso", 11)
		dirReq := func(i int) licet.KMSHostRequest {
			return licet.KMSHostRequest{Key: key.String(), HostID: fmt.Sprintf("dir-%d", i), Kind: licet.KMSKindDirectory, Directory: fmt.Sprintf("corp%d.example", i)}
		}
		for i := 1; i <= 6; i++ {
			var err error
			var got *licet.KMSHostCertificate
			if i%2 == 0 {
				got, err = svc.ActivateHost(ctx, dirReq(i))
			} else {
				got, err = svc.ActivateHost(ctx, hostRequest(t, key, fmt.Sprintf("host-%d", i)))
			}
			if err != nil || got.HostsUsed != i {
				t.Fatalf("activation %d: %v, %+v", i, err, got)
			}
		}
		_, err := svc.ActivateHost(ctx, dirReq(7))
		if licet.ErrorCode(err) != licet.CodeKMSHostLimit || !strings.Contains(err.Error(), "directory corp7.example (dir-7)") {
			t.Fatalf("7th (a directory): %v, want %s naming it", err, licet.CodeKMSHostLimit)
		}
		if _, err := svc.ActivateHost(ctx, hostRequest(t, key, "host-7")); licet.ErrorCode(err) != licet.CodeKMSHostLimit {
			t.Fatalf("7th (a host): %v, want %s", err, licet.CodeKMSHostLimit)
		}
		again, err := svc.ActivateHost(ctx, dirReq(2))
		if err != nil || !again.Reactivation || again.HostsUsed != 6 || again.Kind != licet.KMSKindDirectory {
			t.Fatalf("directory 2 again: %v, %+v; want a free re-activation", err, again)
		}
		obj, err := ticket.Parse(opPub, again.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Kind != ticket.KindDirectory || obj.Tenant != "contoso" || obj.Directory != "corp2.example" || !slices.Equal(obj.Covers, []uint16{11, 10}) ||
			obj.KeyID != keyID || obj.ExpiresAt == nil || len(obj.HostKey) != 0 {
			t.Fatalf("activation object %+v", obj)
		}
		as, err := activation.New(db, nil, svc.Key, activation.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer as.Stop()
		acts, total, err := as.KeyActivations(operator, keyID, 10)
		if err != nil || total != 6 {
			t.Fatalf("key activations: %v, %d", err, total)
		}
		kinds := map[string]int{}
		for _, a := range acts {
			kinds[a.Kind]++
			if a.Kind == licet.KMSKindDirectory && !strings.HasPrefix(a.Hostname, "corp") {
				t.Errorf("directory listed as %+v", a)
			}
		}
		if kinds[licet.KMSKindDirectory] != 3 || kinds[licet.KMSKindHost] != 3 {
			t.Fatalf("kinds %v, want 3 hosts and 3 directories", kinds)
		}
		// A directory request carries no host key; a host request names no directory.
		bad := dirReq(8)
		bad.HostKey = make([]byte, 32)
		if _, err := svc.ActivateHost(ctx, bad); licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("directory with a host key: %v", err)
		}
		h := hostRequest(t, key, "host-9")
		h.Directory = "x"
		if _, err := svc.ActivateHost(ctx, h); licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("host naming a directory: %v", err)
		}
	})
}
