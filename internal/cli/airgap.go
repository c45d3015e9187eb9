package cli

import (
	"crypto/ed25519"
	"os"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/kms"
)

// The air-gapped activation files and the pinned operator key, as `licet kms activate` and
// `licet directory activate` both read and write them.

// parseOperatorKey decodes --operator-key as pinned does; a malformed key is a usage error.
func parseOperatorKey(s string) (ed25519.PublicKey, error) {
	k, err := pinned(s)
	if err != nil {
		return nil, Usagef("--operator-key must be the base64 Ed25519 key `licet pubkey` prints")
	}
	return k, nil
}

// readResponseFile reads and checks the response file `licet kms approve` wrote.
func readResponseFile(path string) (kms.ResponseFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return kms.ResponseFile{}, licet.Errorf(licet.EInvalid, "cannot read the response file: %v", err)
	}
	defer fh.Close()
	return kms.ReadResponseFile(fh)
}

// writeRequestFile writes an activation request (naming the key by its hash) for `licet kms approve`.
func writeRequestFile(path string, req licet.KMSHostRequest) error {
	return kms.WriteJSONFile(path, kms.RequestFile{Format: kms.RequestFormat, Version: kms.FileVersion, CreatedAt: time.Now().UTC(), Request: req})
}
