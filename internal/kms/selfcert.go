package kms

// A host certified by a throwaway operator key, for `licet bench kms` and tests: no central
// service is needed.

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// SelfProducts returns a client, a server and an application product in the group, with GVLKs.
func SelfProducts(group uint16) []licet.KMSProduct {
	var out []licet.KMSProduct
	for _, p := range []struct {
		slug string
		kind licet.ProductKind
	}{{"desktop", "client"}, {"server", "server"}, {"office", "application"}} {
		k, err := keys.New(keys.KMSClient, group, nil)
		if err != nil {
			panic(err)
		}
		out = append(out, licet.KMSProduct{Slug: p.slug, Name: p.slug, Kind: p.kind, Group: group, GVLK: k.String()})
	}
	return out
}

// SelfSpec describes the certificate SelfCertify makes.
type SelfSpec struct {
	Group    uint16
	Covers   []uint16 // the groups covered besides Group
	Products []licet.KMSProduct
	Now      time.Time
	Validity time.Duration // licet.KMSHostCertificateValidity when zero
	// SigningKey is the operator key id stamped in the certificate (0: none, meaning key 1).
	SigningKey uint32
}

// SelfCertify makes a throwaway operator key, signs a host certificate for the host of stateDir and
// installs it. It returns the operator's public key (which verifies the host's tickets) and
// private key (to sign more certificates).
func SelfCertify(ctx context.Context, stateDir string, s SelfSpec) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, err
	}
	c, err := SelfCertificate(ctx, stateDir, priv, s)
	if err != nil {
		return nil, nil, err
	}
	if _, err := Install(ctx, stateDir, c, pub, s.Now); err != nil {
		return nil, nil, err
	}
	return pub, priv, nil
}

// SelfCertificate signs a host certificate for the host of stateDir with the operator key op.
func SelfCertificate(ctx context.Context, stateDir string, op ed25519.PrivateKey, s SelfSpec) (licet.KMSHostCertificate, error) {
	id, err := LoadIdentity(ctx, stateDir)
	if err != nil {
		return licet.KMSHostCertificate{}, err
	}
	if s.Validity == 0 {
		s.Validity = licet.KMSHostCertificateValidity
	}
	exp := s.Now.Add(s.Validity)
	covers := append([]uint16{s.Group}, s.Covers...)
	signed, err := ticket.Sign(op, ticket.Ticket{Kind: ticket.KindHostCertificate, Group: s.Group, KeyID: 1, SigningKey: s.SigningKey, Machine: id.HostID,
		Issuer: "operator", Tenant: "test", IssuedAt: s.Now, ExpiresAt: &exp, HostKey: id.HostKey, Covers: covers})
	if err != nil {
		return licet.KMSHostCertificate{}, err
	}
	return licet.KMSHostCertificate{Certificate: signed, OperatorKey: op.Public().(ed25519.PublicKey), HostID: id.HostID,
		Group: s.Group, Covers: covers, Products: s.Products, IssuedAt: s.Now, ExpiresAt: exp}, nil
}
