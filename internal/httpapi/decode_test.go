package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/licet/licet"
)

// FuzzDecode: any body gives a value or an EInvalid/ETooLarge error, never a panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"slug":"a","name":"b"}`, `{`, `[]`, `{"slug":1}`, `{"a":1}{}`, "\x00", `{"usageLocation":"US","createdAt":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/tenants", strings.NewReader(body))
		var v licet.Tenant
		err := decode(r, &v)
		if err == nil {
			return
		}
		if code := licet.ErrorCode(jsonError(err)); code != licet.EInvalid && code != licet.EInternal {
			t.Fatalf("decode(%q): code %q", body, code)
		}
		if licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("decode(%q) = %v, want an invalid error", body, err)
		}
	})
}
