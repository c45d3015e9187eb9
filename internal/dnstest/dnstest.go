// Package dnstest runs a small authoritative DNS server on 127.0.0.1 for tests: it answers
// queries from its records and applies RFC 2136 dynamic updates, optionally refusing them or
// requiring a TSIG key.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	Addr string // 127.0.0.1:port (UDP)

	mu      sync.Mutex
	records []dns.RR
	refuse  bool
	tsig    string // key name that must sign updates; "" for none
	updates int
}

// Start starts a server on 127.0.0.1 and stops it when t ends. tsig maps key names to base64
// secrets; with one, updates must be signed by it.
func Start(t testing.TB, tsig map[string]string) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: pc.LocalAddr().String()}
	for name := range tsig {
		s.tsig = dns.Fqdn(name)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: s, TsigSecret: fqdnKeys(tsig), NotifyStartedFunc: func() { close(started) },
		// The default refuses updates (NOTIMP).
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

func fqdnKeys(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[dns.Fqdn(k)] = v
	}
	return out
}

// Add adds records given in zone file syntax, e.g. "h1.corp.example. 60 IN A 127.0.0.1".
func (s *Server) Add(t testing.TB, rrs ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, text := range rrs {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatal(err)
		}
		s.records = append(s.records, rr)
	}
}

// Refuse makes the server refuse updates.
func (s *Server) Refuse(b bool) {
	s.mu.Lock()
	s.refuse = b
	s.mu.Unlock()
}

// Records returns the records of a name and type.
func (s *Server) Records(name string, typ uint16) []dns.RR {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []dns.RR
	for _, rr := range s.records {
		if strings.EqualFold(rr.Header().Name, dns.Fqdn(name)) && rr.Header().Rrtype == typ {
			out = append(out, rr)
		}
	}
	return out
}

// Updates returns how many updates were applied.
func (s *Server) Updates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates
}

// ServeDNS answers a query or applies an update.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Opcode {
	case dns.OpcodeUpdate:
		switch {
		case s.refuse:
			m.Rcode = dns.RcodeRefused
		case s.tsig != "" && (r.IsTsig() == nil || w.TsigStatus() != nil || !strings.EqualFold(r.IsTsig().Hdr.Name, s.tsig)):
			m.Rcode = dns.RcodeNotAuth
		default:
			s.apply(r.Ns)
			s.updates++
		}
		if r.IsTsig() != nil && w.TsigStatus() == nil {
			m.SetTsig(r.IsTsig().Hdr.Name, r.IsTsig().Algorithm, 300, int64(r.IsTsig().TimeSigned))
		}
	default:
		m.Authoritative = true
		for _, q := range r.Question {
			for _, rr := range s.records {
				if strings.EqualFold(rr.Header().Name, q.Name) && rr.Header().Rrtype == q.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		if len(m.Answer) == 0 {
			m.Rcode = dns.RcodeNameError
		}
	}
	_ = w.WriteMsg(m)
}

// apply applies the update section: class INET adds, NONE deletes one record, ANY an RRset.
func (s *Server) apply(ns []dns.RR) {
	for _, rr := range ns {
		h := rr.Header()
		switch h.Class {
		case dns.ClassINET:
			dup := false
			for _, old := range s.records {
				dup = dup || dns.IsDuplicate(old, rr)
			}
			if !dup {
				s.records = append(s.records, rr)
			}
		case dns.ClassNONE:
			s.remove(func(old dns.RR) bool {
				c := dns.Copy(rr)
				c.Header().Class = dns.ClassINET
				return dns.IsDuplicate(old, c)
			})
		case dns.ClassANY:
			s.remove(func(old dns.RR) bool {
				return strings.EqualFold(old.Header().Name, h.Name) && (h.Rrtype == dns.TypeANY || old.Header().Rrtype == h.Rrtype)
			})
		}
	}
}

func (s *Server) remove(match func(dns.RR) bool) {
	kept := s.records[:0]
	for _, rr := range s.records {
		if !match(rr) {
			kept = append(kept, rr)
		}
	}
	s.records = kept
}
