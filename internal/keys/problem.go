package keys

import (
	"errors"

	"github.com/licet/licet"
)

// Problem turns an error of ParseInstallationID or ParseConfirmationID into a licet EInvalid
// error for the field; a mistyped group is named in the message and in details.group, so that
// the person reading the ID aloud knows which group to read again.
func Problem(field string, err error) *licet.Error {
	var ge *GroupError
	if errors.As(err, &ge) {
		return licet.Errorf(licet.EInvalid, "%v: read group %d again", err, ge.Group).With("field", field).With("group", ge.Group)
	}
	return licet.Errorf(licet.EInvalid, "%v", err).With("field", field)
}
