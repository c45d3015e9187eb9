package kmscentral_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/kmscentral/centraltest"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

// TestRenewHost renews a host's certificate on the host's signature, and refuses renewals that
// are forged, replayed from afar, for another host, or of an expired certificate.
func TestRenewHost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		opPub, opPriv, _ := ed25519.GenerateKey(nil)
		clock := now
		svc := &kmscentral.Service{DB: db, Key: opPriv, Now: func() time.Time { return clock }}
		centraltest.Tenant(t, db, "contoso")
		is := centraltest.Service(t, db)
		is.Group(11, "suite-2026")
		is.Product("suite-pro-2026", "client", 11)
		key, _ := is.HostKey("contoso", 11)
		hostPub, hostPriv, _ := ed25519.GenerateKey(nil)
		cert, err := svc.ActivateHost(ctx, licet.KMSHostRequest{Key: key.String(), HostID: "h1", HostKey: hostPub})
		if err != nil {
			t.Fatal(err)
		}
		renewal := func(hostID, certificate string, at time.Time, by ed25519.PrivateKey) licet.KMSHostRenewal {
			r := licet.KMSHostRenewal{HostID: hostID, Certificate: certificate, At: at}
			r.Signature = ed25519.Sign(by, r.Message())
			return r
		}
		_, stranger, _ := ed25519.GenerateKey(nil)
		for _, tt := range []struct {
			name string
			r    licet.KMSHostRenewal
			code string
		}{
			{"signed by another key", renewal("h1", cert.Certificate, clock, stranger), licet.EInvalid},
			{"dated 11 minutes off", renewal("h1", cert.Certificate, clock.Add(11*time.Minute), hostPriv), licet.EInvalid},
			{"for another host", renewal("h2", cert.Certificate, clock, hostPriv), licet.EInvalid},
			{"not a certificate", renewal("h1", "e30.AAAA", clock, hostPriv), licet.EInvalid},
		} {
			if _, err := svc.RenewHost(ctx, tt.r); licet.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}

		clock = clock.Add(340 * 24 * time.Hour)
		out, err := svc.RenewHost(ctx, renewal("h1", cert.Certificate, clock, hostPriv))
		if err != nil {
			t.Fatal(err)
		}
		tk, err := ticket.Parse(opPub, out.Certificate)
		if err != nil || tk.Machine != "h1" || !ed25519.PublicKey(tk.HostKey).Equal(hostPub) || !tk.ExpiresAt.Equal(clock.Add(licet.KMSHostCertificateValidity)) || tk.SigningKey != 1 {
			t.Fatalf("renewed certificate: %+v, %v", tk, err)
		}
		if out.HostsUsed != 1 || out.KeySet == "" || len(out.Products) != 1 {
			t.Fatalf("renewal answer: %+v", out)
		}
		var action, details string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT action, details FROM audit WHERE action = 'kms.host.renew'`).Scan(&action, &details)
		}); err != nil || !strings.Contains(details, "renewed until") {
			t.Fatalf("audit: %q %q, %v", action, details, err)
		}

		clock = clock.Add(366 * 24 * time.Hour) // the renewed certificate has expired too
		if _, err := svc.RenewHost(ctx, renewal("h1", out.Certificate, clock, hostPriv)); licet.ErrorCode(err) != licet.CodeKMSCertificateExpired {
			t.Fatalf("an expired certificate: %v, want %s", err, licet.CodeKMSCertificateExpired)
		}
	})
}
