package kms_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/licet/licet/internal/dnstest"
	"github.com/licet/licet/internal/kms"
)

func TestDNSPublishing(t *testing.T) {
	ctx := context.Background()
	srv := dnstest.Start(t, nil)
	p := &kms.DNSPublishing{Server: srv.Addr, Target: "kms1.corp.example", Port: 8471,
		Entries: []kms.SRVEntry{{Domain: "corp.example"}, {Domain: "branch.example", Priority: 10, Weight: 50}}}
	if errs := p.PublishAll(ctx); len(errs) > 0 {
		t.Fatalf("publish: %v", errs)
	}
	for _, tt := range []struct {
		name           string
		priority, wght uint16
	}{{"_licet-kms._tcp.corp.example.", 0, 0}, {"_licet-kms._tcp.branch.example.", 10, 50}} {
		rrs := srv.Records(tt.name, dns.TypeSRV)
		if len(rrs) != 1 {
			t.Fatalf("%s: %d records, want 1", tt.name, len(rrs))
		}
		srvRR := rrs[0].(*dns.SRV)
		if srvRR.Target != "kms1.corp.example." || srvRR.Port != 8471 || srvRR.Priority != tt.priority || srvRR.Weight != tt.wght {
			t.Fatalf("%s: %v", tt.name, srvRR)
		}
	}
	// Re-registering with another priority replaces this host's record (same target and
	// port) instead of adding one; another port is another host's record and stays.
	p.Entries[0].Priority = 5
	if replaced, err := p.Publish(ctx, p.Entries[0]); err != nil || !replaced {
		t.Fatalf("re-registration: replaced %v, %v", replaced, err)
	}
	if rrs := srv.Records("_licet-kms._tcp.corp.example.", dns.TypeSRV); len(rrs) != 1 || rrs[0].(*dns.SRV).Priority != 5 {
		t.Fatalf("after re-registration: %v, want one record of priority 5", rrs)
	}
	other := *p
	other.Port = 9000
	if _, err := other.Publish(ctx, p.Entries[0]); err != nil {
		t.Fatal(err)
	}
	if rrs := srv.Records("_licet-kms._tcp.corp.example.", dns.TypeSRV); len(rrs) != 2 {
		t.Fatalf("a second host on port 9000: %v, want both records", rrs)
	}
	if n, err := other.Unpublish(ctx, p.Entries[0]); err != nil || n != 1 {
		t.Fatalf("unpublish: %d, %v", n, err)
	}
	if rrs := srv.Records("_licet-kms._tcp.corp.example.", dns.TypeSRV); len(rrs) != 1 || rrs[0].(*dns.SRV).Port != 8471 {
		t.Fatalf("after unpublishing port 9000: %v, want the record of port 8471 only", rrs)
	}
	// A refusing server: a clear error naming the way out.
	srv.Refuse(true)
	_, err := p.Publish(ctx, p.Entries[0])
	if err == nil || !strings.Contains(err.Error(), "REFUSED") || !strings.Contains(err.Error(), "--dns-tsig") || !strings.Contains(err.Error(), "keeps serving") {
		t.Fatalf("refused update: %v", err)
	}
}

func TestDNSPublishingTSIG(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	srv := dnstest.Start(t, map[string]string{"kms-update": secret})
	p := &kms.DNSPublishing{Server: srv.Addr, Target: "kms1.corp.example", Port: 8471, Entries: []kms.SRVEntry{{Domain: "corp.example"}}}
	if _, err := p.Publish(context.Background(), p.Entries[0]); err == nil || !strings.Contains(err.Error(), "NOTAUTH") {
		t.Fatalf("unsigned update: %v, want NOTAUTH", err)
	}
	p.TSIG = &kms.TSIG{Name: "kms-update", Secret: secret}
	if _, err := p.Publish(context.Background(), p.Entries[0]); err != nil {
		t.Fatalf("signed update: %v", err)
	}
	if n := len(srv.Records("_licet-kms._tcp.corp.example.", dns.TypeSRV)); n != 1 {
		t.Fatalf("%d records after the signed update, want 1", n)
	}
}

func TestParseSRVEntryAndTSIG(t *testing.T) {
	good := map[string]kms.SRVEntry{
		"corp.example":        {Domain: "corp.example"},
		"corp.example.:10:50": {Domain: "corp.example", Priority: 10, Weight: 50},
		"corp.example:5":      {Domain: "corp.example", Priority: 5},
	}
	for in, want := range good {
		if got, err := kms.ParseSRVEntry(in); err != nil || got != want {
			t.Errorf("ParseSRVEntry(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "corp.example:x", "corp.example:1:2:3", "corp.example:70000", "a..b"} {
		if _, err := kms.ParseSRVEntry(in); err == nil {
			t.Errorf("ParseSRVEntry(%q) accepted", in)
		}
	}
	if _, err := kms.ParseTSIG("key:c2VjcmV0:hmac-sha512"); err != nil {
		t.Errorf("good TSIG refused: %v", err)
	}
	for _, in := range []string{"key", "key:!!!", "key:c2VjcmV0:md5", ":c2VjcmV0"} {
		if _, err := kms.ParseTSIG(in); err == nil {
			t.Errorf("ParseTSIG(%q) accepted", in)
		}
	}
}

// TestDNSRecordRemovedOnShutdown: when Run's context ends the host's record is removed before
// Run returns, unless Keep (--keep-dns-record).
func TestDNSRecordRemovedOnShutdown(t *testing.T) {
	srv := dnstest.Start(t, nil)
	const name = "_licet-kms._tcp.corp.example."
	for _, keep := range []bool{true, false} {
		p := &kms.DNSPublishing{Server: srv.Addr, Target: "kms1.corp.example", Port: 8471, Keep: keep, Entries: []kms.SRVEntry{{Domain: "corp.example"}}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		updates := srv.Updates()
		go func() { defer close(done); p.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
		for deadline := time.Now().Add(10 * time.Second); srv.Updates() == updates; runtime.Gosched() { // until the first registration
			if time.Now().After(deadline) {
				t.Fatal("the host did not register within 10 s")
			}
		}
		cancel()
		<-done
		if n := len(srv.Records(name, dns.TypeSRV)); (n == 1) != keep {
			t.Fatalf("keep %v: %d records after shutdown", keep, n)
		}
	}
}
