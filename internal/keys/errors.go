// Package keys encodes and decodes product keys, installation IDs and
// confirmation IDs. It is pure: it does no I/O and keeps no state.
//
// Every format carries check values that catch typing mistakes before the
// value is used: a product key detects any single wrong character and any
// swap of two characters; installation and confirmation IDs carry a Damm
// check digit per group and name the group that was mistyped.
package keys

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by the parsers wraps exactly one of
// them, so callers can test the kind of problem with errors.Is.
var (
	// ErrLength reports a wrong number of characters, digits or groups.
	ErrLength = errors.New("wrong length")
	// ErrCharacter reports a character that may not appear in the value.
	ErrCharacter = errors.New("invalid character")
	// ErrMistyped reports a check value that does not match: the value was
	// mistyped or neighbouring characters were swapped.
	ErrMistyped = errors.New("check failed")
	// ErrVersion reports a format version this package does not know.
	ErrVersion = errors.New("unknown format version")
	// ErrType reports an unknown product key type.
	ErrType = errors.New("unknown key type")
	// ErrMalformed reports a value whose check values match but whose
	// content is outside the valid range.
	ErrMalformed = errors.New("malformed value")
	// ErrForeignConfirmation reports a confirmation ID that was not issued
	// for the given installation ID or whose signature does not verify.
	ErrForeignConfirmation = errors.New("confirmation ID does not belong to this installation ID")
	// ErrPublicKey reports a public key of the wrong size.
	ErrPublicKey = errors.New("invalid public key")
)

// ParseError describes why a product key, installation ID or confirmation
// ID could not be parsed.
type ParseError struct {
	// What names the kind of value: "product key", "installation ID" or
	// "confirmation ID".
	What string
	// Kind is one of the sentinel errors of this package.
	Kind error
	// Detail explains the problem in words a user can act on.
	Detail string
}

// Error returns a message such as "product key: found 24 characters, want 25".
func (e *ParseError) Error() string {
	return e.What + ": " + e.Detail
}

// Unwrap returns the sentinel error describing the kind of problem.
func (e *ParseError) Unwrap() error { return e.Kind }

// GroupError reports a group of an installation ID or confirmation ID
// whose check digit does not match its data digits.
type GroupError struct {
	// What is "installation ID" or "confirmation ID".
	What string
	// Group is the 1-based position of the first mistyped group.
	Group int
}

// Error returns a message such as "group 4 of the installation ID is
// mistyped (check digit does not match)".
func (e *GroupError) Error() string {
	return fmt.Sprintf("group %d of the %s is mistyped (check digit does not match)", e.Group, e.What)
}

// Unwrap returns ErrMistyped.
func (e *GroupError) Unwrap() error { return ErrMistyped }

func parseErr(what string, kind error, format string, args ...any) *ParseError {
	return &ParseError{What: what, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}
