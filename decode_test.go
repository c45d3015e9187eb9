package licet_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
)

// TestDecodeObject: only a JSON object is a body; null, arrays and scalars are refused by name.
func TestDecodeObject(t *testing.T) {
	for body, want := range map[string]string{
		`{"slug":"a","name":"b"}`: "",
		` {"slug":"a"} `:          "",
		`null`:                    "not null",
		` [{"slug":"a"}]`:         "not an array",
		`"a"`:                     "not a string",
		`12`:                      "not a number",
		`true`:                    "not a boolean",
		``:                        "empty",
		`{"slug":"a"} {}`:         "more than one JSON value",
		`{"slug":1}`:              `field "slug" must be a string`,
		`{"nope":1}`:              "unknown field",
		`{"slug":`:                "ends before",
	} {
		var v licet.Tenant
		err := licet.DecodeObject(strings.NewReader(body), &v)
		switch {
		case want == "" && err != nil:
			t.Errorf("DecodeObject(%q) = %v, want no error", body, err)
		case want != "" && (licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(err.Error(), want)):
			t.Errorf("DecodeObject(%q) = %v, want Invalid saying %q", body, err, want)
		}
	}
	for body, ok := range map[string]bool{"": true, " \n": true, "{}": true, "null": false, `{"a":1}`: false, "[]": false} {
		if err := licet.DecodeNothing(strings.NewReader(body)); (err == nil) != ok {
			t.Errorf("DecodeNothing(%q) = %v", body, err)
		}
	}
}

// FuzzDecodeObject: any body gives a value or an Invalid error, never a panic.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"slug":"a","name":"b"}`, `{`, `[]`, `null`, `{"slug":1}`, `{"a":1}{}`, "\x00", `{"usageLocation":"US","createdAt":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v licet.Tenant
		err := licet.DecodeObject(strings.NewReader(body), &v)
		if err != nil && licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("DecodeObject(%q) = %v, want an Invalid error", body, err)
		}
	})
}
