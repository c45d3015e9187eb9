package kms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/kms"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{"7d": 7 * 24 * time.Hour, "2h": 2 * time.Hour, "15m": 15 * time.Minute, "1d12h": 36 * time.Hour, "0d": 0}
	for in, want := range good {
		if got, err := kms.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got, _ := kms.ParseDuration(kms.FormatDuration(want)); got != want {
			t.Errorf("FormatDuration(%v) does not read back", want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "7x", "1d-2h", "99999d", "2h d"} {
		if _, err := kms.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "2h", "1d12h30m", "-1h", "9223372036854775807ns", "10000d23h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := kms.ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add(`{"machineId":"pc-1","product":"desktop","key":"BCDFG-HJKMP-QRTVW-XY234-6789B","kind":"client"}`)
	f.Add(`{"machineId":1}`)
	f.Add(`{}{}`)
	f.Fuzz(func(t *testing.T, s string) {
		req, err := kms.DecodeRequest(strings.NewReader(s))
		if err == nil {
			_ = req.Check()
		}
	})
}

func FuzzReadFiles(f *testing.F) {
	f.Add(`{"format":"licet-kms-host-request","version":1,"createdAt":"2026-11-22T00:00:00Z","request":{"keyHash":"00","hostId":"h","hostKey":"AAAA"}}`)
	f.Add(`{"format":"licet-kms-host-response","version":1,"certificate":{"certificate":"x.y","operatorKey":"AAAA"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := kms.ReadRequestFile(strings.NewReader(s)); err == nil && (r.Request.Key != "" || r.Request.KeyHash == "") {
			t.Fatalf("request file accepted with key %q hash %q", r.Request.Key, r.Request.KeyHash)
		}
		if r, err := kms.ReadResponseFile(strings.NewReader(s)); err == nil && r.Certificate.Certificate == "" {
			t.Fatal("response file accepted without a certificate")
		}
	})
}

func FuzzParseDNSFlags(f *testing.F) {
	for _, s := range []string{"corp.example:10:50", "a:b:c", "key:c2VjcmV0:hmac-sha256", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := kms.ParseSRVEntry(s); err == nil && e.Domain == "" {
			t.Fatalf("ParseSRVEntry(%q) gave an empty domain", s)
		}
		if k, err := kms.ParseTSIG(s); err == nil && (k.Name == "" || k.Secret == "") {
			t.Fatalf("ParseTSIG(%q) gave %+v", s, k)
		}
		if k, err := kms.ParseTSIGFile([]byte(s)); err == nil && (k.Name == "" || k.Secret == "") {
			t.Fatalf("ParseTSIGFile(%q) gave %+v", s, k)
		}
	})
}

func TestParseTSIGFile(t *testing.T) {
	bind := "key \"kms-update\" {\n\talgorithm hmac-sha512;\n\tsecret \"c2VjcmV0c2VjcmV0\";\n};\n"
	for _, tt := range []struct{ in, name, alg string }{
		{bind, "kms-update", "hmac-sha512"},
		{"kms-update:c2VjcmV0c2VjcmV0\n", "kms-update", ""},
		{"key kms { secret \"c2VjcmV0\"; };", "kms", ""},
	} {
		k, err := kms.ParseTSIGFile([]byte(tt.in))
		if err != nil || k.Name != tt.name || k.Algorithm != tt.alg || k.Secret == "" {
			t.Errorf("ParseTSIGFile(%q) = %+v, %v", tt.in, k, err)
		}
	}
	for _, bad := range []string{"key \"x\" { algorithm hmac-sha256; };", "key {", "x:not base64!"} {
		if _, err := kms.ParseTSIGFile([]byte(bad)); err == nil {
			t.Errorf("ParseTSIGFile(%q) accepted", bad)
		}
	}
}
