// Package directory is directory-based activation over LDAP: the activation object a kms-host
// key creates in the organisation's directory (operator-signed, naming the tenant, the product
// groups, the directory and an expiry), writing, listing and removing it, and reading and
// verifying it offline on a machine that binds to the directory.
package directory

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/licet/licet"
	"github.com/licet/licet/ticket"
)

// ObjectClass is the LDAP object class of an activation object (licet.ldif).
const ObjectClass = "licetActivationObject"

// The attributes of an activation object. Only Data and Signature are trusted, once verified;
// the others repeat what they say for people and LDAP filters, and must agree with them.
const (
	attrData      = "licetActivationData"
	attrSignature = "licetActivationSignature"
	attrName      = "licetDirectoryName"
	attrTenant    = "licetTenant"
	attrGroup     = "licetProductGroup"
	attrKeyID     = "licetKeyID"
	attrExpires   = "licetExpiresAt"
	attrOperator  = "licetOperatorKey"
	attrKeySet    = "licetKeySet"
)

var objectAttrs = []string{"cn", attrData, attrSignature, attrName, attrTenant, attrGroup, attrKeyID, attrExpires, attrOperator, attrKeySet}

// Validity is how long a directory activation lasts after the machine's last successful contact
// with the directory, and RenewEvery how often the machine renews: as KMS activation.
const (
	Validity   = 180 * 24 * time.Hour
	RenewEvery = 7 * 24 * time.Hour
)

// Object is an activation object as the directory holds it.
type Object struct {
	DN          string    `json:"dn"`
	Name        string    `json:"name"`      // cn
	Directory   string    `json:"directory"` // the directory's name
	Tenant      string    `json:"tenant,omitempty"`
	Groups      []uint16  `json:"productGroups"`
	KeyID       int64     `json:"keyId"`
	ExpiresAt   time.Time `json:"expiresAt"`
	OperatorKey string    `json:"operatorKey,omitempty"` // base64 Ed25519 public key of the key that signed it
	// KeySet is the operator's key set, signed (as the central service gave it): machines learn
	// from it keys made after the one they pinned, as a KMS host's clients do.
	KeySet    string `json:"-"`
	Data      string `json:"-"` // the signed ticket's payload
	Signature string `json:"-"` // and its signature
}

// ObjectName is the cn of the activation object of a kms-host key.
func ObjectName(keyID int64) string { return "licet-activation-" + strconv.FormatInt(keyID, 10) }

// ObjectDN is where the activation object of a key lives under base.
func ObjectDN(base string, keyID int64) string {
	return "cn=" + ldap.EscapeDN(ObjectName(keyID)) + "," + base
}

// NewObject builds the object to write under base from the activation object the central
// service signed (a ticket of kind directory-activation), after verifying it with the operator
// key that signed it, and the operator's signed key set.
func NewObject(base, signed, keySet string, operator ed25519.PublicKey) (Object, error) {
	t, err := ticket.Parse(operator, signed)
	if err == nil && t.Kind != ticket.KindDirectory {
		err = fmt.Errorf("it is a %s ticket, not a directory activation object", t.Kind)
	}
	if err == nil && t.ExpiresAt == nil {
		err = errors.New("it has no expiry")
	}
	if err != nil {
		return Object{}, licet.Errorf(licet.CodeActivationObjectInvalid, "the central service's activation object was rejected: %v", err)
	}
	data, sig, _ := strings.Cut(strings.TrimSpace(signed), ".")
	return Object{DN: ObjectDN(base, t.KeyID), Name: ObjectName(t.KeyID), Directory: t.Directory, Tenant: t.Tenant,
		Groups: t.Covers, KeyID: t.KeyID, ExpiresAt: t.ExpiresAt.UTC(),
		OperatorKey: base64.StdEncoding.EncodeToString(operator), KeySet: keySet, Data: data, Signature: sig}, nil
}

// Signed is the object's signed ticket text.
func (o Object) Signed() string { return o.Data + "." + o.Signature }

// attributes are the LDAP attributes of the object.
func (o Object) attributes() []ldap.Attribute {
	groups := make([]string, len(o.Groups))
	for i, g := range o.Groups {
		groups[i] = strconv.Itoa(int(g))
	}
	attrs := []ldap.Attribute{
		{Type: "cn", Vals: []string{o.Name}},
		{Type: attrData, Vals: []string{o.Data}},
		{Type: attrSignature, Vals: []string{o.Signature}},
		{Type: attrName, Vals: []string{o.Directory}},
		{Type: attrGroup, Vals: groups},
		{Type: attrKeyID, Vals: []string{strconv.FormatInt(o.KeyID, 10)}},
		{Type: attrExpires, Vals: []string{o.ExpiresAt.UTC().Format("20060102150405Z")}},
		{Type: attrOperator, Vals: []string{o.OperatorKey}},
	}
	if o.Tenant != "" {
		attrs = append(attrs, ldap.Attribute{Type: attrTenant, Vals: []string{o.Tenant}})
	}
	if o.KeySet != "" {
		attrs = append(attrs, ldap.Attribute{Type: attrKeySet, Vals: []string{o.KeySet}})
	}
	return attrs
}

// maxAttr bounds every attribute value read from a directory.
const maxAttr = 16 << 10

// FromEntry reads an activation object from an LDAP entry. It checks the form, not the
// signature: Verify does.
func FromEntry(e *ldap.Entry) (Object, error) {
	o := Object{DN: e.DN, Name: e.GetAttributeValue("cn"), Directory: e.GetAttributeValue(attrName),
		Tenant: e.GetAttributeValue(attrTenant), Data: e.GetAttributeValue(attrData),
		Signature: e.GetAttributeValue(attrSignature), OperatorKey: e.GetAttributeValue(attrOperator),
		KeySet: e.GetAttributeValue(attrKeySet)}
	bad := func(format string, args ...any) (Object, error) {
		return Object{}, licet.Errorf(licet.CodeActivationObjectInvalid, "activation object %s: "+format, append([]any{e.DN}, args...)...)
	}
	for _, a := range e.Attributes {
		for _, v := range a.Values {
			if len(v) > maxAttr {
				return bad("attribute %s is longer than %d bytes", a.Name, maxAttr)
			}
		}
	}
	if o.Data == "" || o.Signature == "" {
		return bad("%s or %s is missing", attrData, attrSignature)
	}
	for _, v := range e.GetAttributeValues(attrGroup) {
		g, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return bad("%s %q is not a product group", attrGroup, v)
		}
		o.Groups = append(o.Groups, uint16(g))
	}
	if v := e.GetAttributeValue(attrKeyID); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad("%s %q is not a number", attrKeyID, v)
		}
		o.KeyID = id
	}
	if v := e.GetAttributeValue(attrExpires); v != "" {
		t, err := time.Parse("20060102150405Z", v)
		if err != nil {
			return bad("%s %q is not a generalized time", attrExpires, v)
		}
		o.ExpiresAt = t
	}
	return o, nil
}

// Check is what a machine expects of an activation object.
type Check struct {
	Keys   ticket.KeySet // the operator keys the machine trusts (its pinned key and those it learnt)
	Group  uint16        // the installed key's product group
	Tenant string        // the expected tenant; any when empty
	Now    time.Time
}

// Verify checks the object offline: the operator's signature over its data, that it is a
// directory activation object covering the product group, for the tenant, unexpired, and that
// the readable attributes say what the signed data says. It returns the signed ticket.
func (o Object) Verify(c Check) (ticket.Ticket, error) {
	bad := func(format string, args ...any) (ticket.Ticket, error) {
		return ticket.Ticket{}, licet.Errorf(licet.CodeActivationObjectInvalid, "activation object %s: "+format+"; nothing was activated", append([]any{o.DN}, args...)...)
	}
	if sig, err := base64.RawURLEncoding.Strict().DecodeString(o.Signature); err != nil || len(sig) != ed25519.SignatureSize {
		return bad("its signature (%s) is not a base64url Ed25519 signature: the object was altered. Way out: the directory's administrator writes it again with `licet directory activate`", attrSignature)
	}
	t, err := ticket.ParseWith(c.Keys, o.Signed())
	switch {
	case errors.Is(err, ticket.ErrSignature):
		return bad("its signature (%s) does not verify against the operator key: the object was altered or signed by another key. Way out: the directory's administrator writes it again with `licet directory activate`", attrSignature)
	case errors.Is(err, ticket.ErrRetired):
		return bad("%v. Way out: the directory's administrator writes it again with `licet directory activate` (signed by the active key)", err)
	case err != nil:
		return bad("%v", err)
	case t.Kind != ticket.KindDirectory:
		return bad("the signed data is a %s ticket, not a directory activation object", t.Kind)
	case !slices.Contains(t.Covers, c.Group):
		return bad("it activates product groups %v, not the installed key's group %d", t.Covers, c.Group)
	case c.Tenant != "" && !strings.EqualFold(t.Tenant, c.Tenant):
		return bad("it was issued to tenant %q, not %q", t.Tenant, c.Tenant)
	case o.Tenant != "" && !strings.EqualFold(o.Tenant, t.Tenant), o.Directory != "" && o.Directory != t.Directory:
		return bad("its %s or %s disagree with its signed data (tenant %q, directory %q)", attrTenant, attrName, t.Tenant, t.Directory)
	case t.ExpiresAt == nil:
		return bad("it has no expiry")
	case !c.Now.Before(*t.ExpiresAt):
		return bad("it expired on %s. Way out: the directory's administrator renews it with `licet directory activate`", t.ExpiresAt.Format(time.DateOnly))
	}
	return t, nil
}

// ID is the directory's id at the central service (its host id there), derived from its base DN
// so that activating the same directory again uses no more of the key's hosts.
func ID(base string) (string, error) {
	dn, err := ldap.ParseDN(base)
	if err != nil || len(dn.RDNs) == 0 {
		return "", licet.Errorf(licet.EInvalid, "--base %q is not a DN (e.g. dc=corp,dc=example)", base).With("field", "base")
	}
	sum := sha256.Sum256([]byte(strings.ToLower(dn.String())))
	return "dir-" + hex.EncodeToString(sum[:10]), nil
}

// NameOf is the directory's name when none is given: its dc components joined by dots
// (dc=corp,dc=example is corp.example), else the base DN.
func NameOf(base string) string {
	dn, err := ldap.ParseDN(base)
	if err != nil {
		return base
	}
	var parts []string
	for _, r := range dn.RDNs {
		for _, a := range r.Attributes {
			if strings.EqualFold(a.Type, "dc") {
				parts = append(parts, a.Value)
			}
		}
	}
	if len(parts) == 0 {
		return base
	}
	return strings.Join(parts, ".")
}
