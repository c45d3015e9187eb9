package httpapi_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/licet/licet/internal/keys"
)

// The KMS host routes' base bodies: a well-formed kms-host key (unknown to the demo data, so a
// request that passed the checks would still change nothing) and a host.
func init() {
	k, err := keys.New(keys.KMSHost, 1, rand.Reader)
	if err != nil {
		panic(err)
	}
	hostKey := base64.StdEncoding.EncodeToString(make([]byte, 32))
	bases["POST /v1/kms/hosts"] = fmt.Sprintf(`{"key":%q,"hostId":"constraint-host","hostKey":%q}`, k.String(), hostKey)
	bases["POST /v1/kms/approvals"] = fmt.Sprintf(`{"keyHash":%q,"hostId":"constraint-host","hostKey":%q}`, k.Hash(), hostKey)
}
