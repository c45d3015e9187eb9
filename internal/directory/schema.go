package directory

import _ "embed"

// Schema is licet's LDAP schema (attribute types and the licetActivationObject class) as an
// OpenLDAP cn=config LDIF; `licet directory schema` prints it and docs/directory.md says how to
// load it.
//
//go:embed licet.ldif
var Schema []byte
