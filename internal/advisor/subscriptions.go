package advisor

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// ParseSubscriptions reads a tenant's subscriptions as the server lists them: a JSON array of
// objects, or an object whose "subscriptions" field is that array. Each object names its SKU in
// "skuPartNumber" and may give "term" and "channel"; one whose "status" or
// "capabilityStatus" is "deleted" (any case) is skipped. Other fields are ignored. Errors:
// EInvalid, naming the entry.
func ParseSubscriptions(data []byte) ([]catalog.Purchase, error) {
	data = bytes.TrimSpace(data)
	var list []json.RawMessage
	if len(data) > 0 && data[0] == '{' {
		var wrap struct {
			Subscriptions *[]json.RawMessage `json:"subscriptions"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil || wrap.Subscriptions == nil {
			return nil, licet.Errorf(licet.EInvalid, "subscriptions: expected a JSON array, or an object with a \"subscriptions\" array")
		}
		list = *wrap.Subscriptions
	} else if err := json.Unmarshal(data, &list); err != nil {
		return nil, licet.Errorf(licet.EInvalid, "subscriptions: expected a JSON array, or an object with a \"subscriptions\" array")
	}
	out := []catalog.Purchase{}
	for i, raw := range list {
		var s struct {
			SKU              *string `json:"skuPartNumber"`
			Term             *string `json:"term"`
			Channel          *string `json:"channel"`
			Status           *string `json:"status"`
			CapabilityStatus *string `json:"capabilityStatus"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, licet.Errorf(licet.EInvalid, "subscription %d: expected an object with string fields skuPartNumber, term, channel", i)
		}
		if strings.EqualFold(deref(s.Status), "deleted") || strings.EqualFold(deref(s.CapabilityStatus), "deleted") {
			continue
		}
		part := deref(s.SKU)
		if part == "" {
			return nil, licet.Errorf(licet.EInvalid, "subscription %d names no SKU (field skuPartNumber)", i)
		}
		out = append(out, catalog.Purchase{SKU: part, Term: deref(s.Term), Channel: deref(s.Channel)})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
