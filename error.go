// Package licet holds the domain types, service interfaces and error codes shared by every part of
// the licensing and activation server: the HTTP API, the command line, the SDK and the stores.
package licet

import (
	"errors"
	"fmt"
)

// Generic error codes. Domain rules add their own codes (see the Code* constants of each area);
// every code, generic or not, is registered once in codes.go.
const (
	EInvalid      = "Invalid"      // the request is malformed or a field is out of range
	ENotFound     = "NotFound"     // the object does not exist or is not visible to the caller
	EConflict     = "Conflict"     // the object already exists or its state forbids the change
	EUnauthorized = "Unauthorized" // no token, or a wrong or revoked token
	EForbidden    = "Forbidden"    // the token is valid but may not do this
	ETooLarge     = "TooLarge"     // the request body is over the limit
	ERateLimited  = "RateLimited"  // too many attempts; retry later
	EUnavailable  = "Unavailable"  // the service cannot answer now (database down, shutting down)
	EInternal     = "Internal"     // a bug or an unexpected failure; details are logged, not shown
	EStaleSchema  = "SchemaTooOld" // the database schema is older than the binary
)

// Error is the one error type of licet: a stable code for programs, a message for people, and
// optional details (a limit, a count, the rule that was violated) for both.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	return e.Message
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with the detail key set to value.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// ErrorCode returns the code of err: the code of the *Error it wraps, EInternal for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message meant for people: the message of the *Error err wraps, or
// "internal error" for any other error, so that internal details never leak to callers.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// AsError returns the *Error that err wraps, or an EInternal error when it wraps none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EInternal, Message: "internal error"}
}
