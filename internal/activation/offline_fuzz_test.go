package activation_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
)

// decodeStrict decodes a request body as the API does: unknown fields refused.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// FuzzMAKRequestBody: any body either fails to decode or is accepted or refused as invalid by
// the checks, without panicking; an accepted request passes the checks again unchanged.
func FuzzMAKRequestBody(f *testing.F) {
	f.Add([]byte(`{"company":"Northwind","contactName":"Ana","contactEmail":"ana@northwind.example","contactPhone":"+44 20 7946 0958","systems":12,"deploymentDate":"2026-12-01"}`))
	f.Add([]byte(`{"company":"N","contactName":"A","contactEmail":"a@b.c","contactPhone":"+1 (425) 555-0100","systems":1,"deploymentDate":"2026-02-29","tamName":"T","tamEmail":"t@x.y"}`))
	f.Add([]byte(`{"systems":-1,"contactPhone":"+٣٣٣٣٣٣٣٣٣"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r licet.MAKRequest
		if decodeStrict(body, &r) != nil {
			return
		}
		if err := activation.CheckMAKRequest(&r); err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		again := r
		if err := activation.CheckMAKRequest(&again); err != nil || again != r {
			t.Fatalf("an accepted request changed or failed when checked again: %v\n%+v\n%+v", err, r, again)
		}
		if r.Systems < 1 || r.ContactPhone[0] != '+' {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzProxyRequestBody: the installation IDs of any proxy body parse or fail as invalid.
func FuzzProxyRequestBody(f *testing.F) {
	f.Add([]byte(`{"key":"BCDFG-HJKMP-QRTVW-XY234-6789B","machines":[{"installationId":"2453379-8572750-7386325-9302157-3332247-5738000-1922052-5677243-9942417","hostname":"pc1"}]}`))
	f.Add([]byte(`{"machines":[{"installationId":"1 2 3"},{"installationId":"---"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r licet.ProxyRequest
		if decodeStrict(body, &r) != nil {
			return
		}
		for _, m := range r.Machines {
			iid, err := activation.ParseInstallationID(m.InstallationID)
			if err != nil {
				if licet.ErrorCode(err) != licet.EInvalid {
					t.Fatalf("error %v is not invalid", err)
				}
				continue
			}
			if again, err := activation.ParseInstallationID(iid.String()); err != nil || again != iid {
				t.Fatalf("installation ID %s does not round-trip: %v", iid, err)
			}
		}
	})
}
