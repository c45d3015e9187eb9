package licet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// DecodeObject reads a request body into v strictly: the body must be one JSON object (not null,
// an array or a scalar, which encoding/json would read as an empty object or refuse with a
// message about Go types), without unknown fields or trailing data. Every refusal is EInvalid
// saying where the problem is; a read error (such as *http.MaxBytesError for a body over the
// limit) is returned as it is.
func DecodeObject(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return Errorf(EInvalid, "the request body is empty; a JSON object is expected")
	}
	if data[0] != '{' {
		return Errorf(EInvalid, "the request body must be a JSON object, not %s", jsonKind(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(EInvalid, "the request body holds more than one JSON value")
	}
	return nil
}

// DecodeNothing reads the body of a route that takes none: an empty body or an empty JSON object
// passes, anything else is EInvalid.
func DecodeNothing(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var none struct{}
	if err := DecodeObject(bytes.NewReader(data), &none); err != nil {
		return Errorf(EInvalid, "this route takes no request body (or {}): %s", ErrorMessage(err))
	}
	return nil
}

// jsonKind names the JSON value data starts with, for an error message.
func jsonKind(data []byte) string {
	switch c := data[0]; {
	case bytes.HasPrefix(data, []byte("null")):
		return "null"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case bytes.HasPrefix(data, []byte("true")) || bytes.HasPrefix(data, []byte("false")):
		return "a boolean"
	}
	return "text that is not JSON"
}

// jsonError turns a JSON decoding error into an EInvalid error that says where the problem is.
func jsonError(err error) error {
	var le *Error
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &le): // a value's own check (UnmarshalText of a closed set)
		return le
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(EInvalid, "the request body ends before its JSON object does")
	case errors.As(err, &syn):
		return Errorf(EInvalid, "the request body is not valid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return Errorf(EInvalid, "field %q must be a %s, not a JSON %s", typ.Field, typ.Type, typ.Value).With("field", typ.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return Errorf(EInvalid, "the request body has an %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return Errorf(EInvalid, "the request body is not valid JSON: %v", err)
}
