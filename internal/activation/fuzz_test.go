package activation_test

import (
	"encoding/json"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/keys"
)

// FuzzCheckRequest feeds arbitrary JSON bodies to the checks of an activation request: they
// never panic, and every refusal is a licet error with a stable code.
func FuzzCheckRequest(f *testing.F) {
	k, _ := keys.New(keys.MAK, 111, nil)
	f.Add(`{"key":"` + k.String() + `","product":"p","machine":{"id":"m","hardware":"v1:00000000.00000000.00000000.00000000.00000000.00000000"}}`)
	f.Add(`{"key":"BCDFG","machine":{"id":"\u0000"}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r licet.ActivationRequest
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		_, err := activation.CheckRequest(r)
		if err != nil && licet.ErrorCode(err) == licet.EInternal {
			t.Fatalf("CheckRequest(%q) = %v: not a licet error", body, err)
		}
	})
}
