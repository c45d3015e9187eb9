package directory

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/licet/licet"
	"github.com/licet/licet/ticket"
)

var at = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// signed returns an operator key and an activation object it signed for tenant contoso,
// groups 11 and 10, directory corp.example, valid a year.
func signed(t testing.TB) (ed25519.PublicKey, Object) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := at.Add(365 * 24 * time.Hour)
	text, err := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindDirectory, Machine: "dir-1", Group: 11, Covers: []uint16{11, 10},
		KeyID: 7, Tenant: "contoso", Directory: "corp.example", IssuedAt: at, ExpiresAt: &exp, Issuer: "operator"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewObject("dc=corp,dc=example", text, "", pub)
	if err != nil {
		t.Fatal(err)
	}
	return pub, o
}

func TestObjectRoundTripAndVerify(t *testing.T) {
	pub, o := signed(t)
	if o.DN != "cn=licet-activation-7,dc=corp,dc=example" || o.Tenant != "contoso" || len(o.Groups) != 2 {
		t.Fatalf("object %+v", o)
	}
	e := ldap.NewEntry(o.DN, map[string][]string{})
	for _, a := range o.attributes() {
		e.Attributes = append(e.Attributes, ldap.NewEntryAttribute(a.Type, a.Vals))
	}
	back, err := FromEntry(e)
	if err != nil || back.Signed() != o.Signed() || !back.ExpiresAt.Equal(o.ExpiresAt) || back.KeyID != 7 {
		t.Fatalf("FromEntry: %v, %+v", err, back)
	}
	ok := Check{Keys: ticket.Pinned(pub), Group: 10, Tenant: "Contoso", Now: at}
	if _, err := back.Verify(ok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	tampered := back
	tampered.Signature = strings.Replace(back.Signature, back.Signature[5:6], map[bool]string{true: "B", false: "A"}[back.Signature[5] == 'A'], 1)
	wrongAttr := back
	wrongAttr.Tenant = "fabrikam"
	for _, tt := range []struct {
		name string
		o    Object
		c    Check
		want string
	}{
		{"signature altered", tampered, ok, "its signature (licetActivationSignature) does not verify"},
		{"another operator", back, Check{Keys: ticket.Pinned(other), Group: 10, Now: at}, "does not verify"},
		{"another group", back, Check{Keys: ticket.Pinned(pub), Group: 12, Now: at}, "not the installed key's group 12"},
		{"another tenant", back, Check{Keys: ticket.Pinned(pub), Group: 11, Tenant: "fabrikam", Now: at}, `not "fabrikam"`},
		{"attributes disagree", wrongAttr, ok, "disagree with its signed data"},
		{"expired", back, Check{Keys: ticket.Pinned(pub), Group: 11, Now: at.Add(366 * 24 * time.Hour)}, "expired on"},
		{"signature not base64", Object{DN: o.DN, Data: o.Data, Signature: "!!"}, ok, "not a base64url Ed25519 signature"},
	} {
		_, err := tt.o.Verify(tt.c)
		if licet.ErrorCode(err) != licet.CodeActivationObjectInvalid || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was activated") {
			t.Errorf("%s: %v, want %s saying %q", tt.name, err, licet.CodeActivationObjectInvalid, tt.want)
		}
	}
}

func TestIDAndName(t *testing.T) {
	a, err := ID("dc=corp,dc=example")
	b, _ := ID("DC=Corp, DC=Example")
	if err != nil || a != b || !strings.HasPrefix(a, "dir-") || len(a) != 24 {
		t.Fatalf("ID: %q %q %v; want one id for one DN however written", a, b, err)
	}
	if _, err := ID("not a dn"); licet.ErrorCode(err) != licet.EInvalid {
		t.Fatalf("ID of a non-DN: %v", err)
	}
	if n := NameOf("ou=licet,dc=corp,dc=example"); n != "corp.example" {
		t.Fatalf("NameOf: %q", n)
	}
	if n := NameOf("o=Corp"); n != "o=Corp" {
		t.Fatalf("NameOf without dc: %q", n)
	}
}

// FuzzFromEntry: any entry a directory returns is read or refused with a clear error, and a
// refused or altered object never verifies; nothing panics.
func FuzzFromEntry(f *testing.F) {
	pub, o := signed(f)
	f.Add(o.Data, o.Signature, "11", "7", "20271125120000Z", "contoso", "corp.example")
	f.Add("", "", "x", "-1", "yesterday", "", "")
	f.Add(o.Data, base64.RawURLEncoding.EncodeToString(make([]byte, 64)), "70000", "9999999999999999999999", "2027", "a", "b")
	f.Fuzz(func(t *testing.T, data, sig, group, keyID, expires, tenant, name string) {
		e := ldap.NewEntry("cn=x,dc=corp,dc=example", map[string][]string{attrData: {data}, attrSignature: {sig}, attrGroup: {group},
			attrKeyID: {keyID}, attrExpires: {expires}, attrTenant: {tenant}, attrName: {name}})
		got, err := FromEntry(e)
		if err != nil {
			if licet.ErrorCode(err) != licet.CodeActivationObjectInvalid {
				t.Fatalf("FromEntry error without its code: %v", err)
			}
			return
		}
		_, err = got.Verify(Check{Keys: ticket.Pinned(pub), Group: 11, Now: at})
		if err == nil && (data != o.Data || sig != o.Signature) {
			t.Fatalf("an object that is not the signed one verified: %q.%q", data, sig)
		}
	})
}

// FuzzCheckURL: a directory URL is ldap:// or ldaps:// with a host and no path, or refused
// with EInvalid; nothing panics.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"ldap://dc1.corp.example", "ldaps://127.0.0.1:636", "ldap://", "http://x", "ldap://h/dc=x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckURL(s)
		if err != nil && licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("CheckURL(%q): %v without EInvalid", s, err)
		}
		if l := strings.ToLower(s); err == nil && !strings.HasPrefix(l, "ldap://") && !strings.HasPrefix(l, "ldaps://") {
			t.Fatalf("CheckURL(%q) accepted a URL of another scheme", s)
		}
	})
}
