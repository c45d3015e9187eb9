package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// TestKeyPageListsDirectories: a kms-host key's page lists the directories it activated beside
// its KMS hosts, each counting against the host limit.
func TestKeyPageListsDirectories(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	_, host := demoKeys(t, s)
	activateHost(t, s, host.Key, "kms-paris")
	_, err := s.Operator.ActivateHost(context.Background(), licet.KMSHostRequest{Key: host.Key, HostID: "dir-0123456789abcdef0123",
		Kind: licet.KMSKindDirectory, Directory: "corp.example"})
	mustOK(t, err)
	op := signIn(t, s, s.Token)
	page := fmt.Sprintf("/tenants/contoso/keys/%d", host.ID)
	st, body, _ := op.do(t, "GET", page, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d", page, st)
	}
	for _, want := range []string{"KMS hosts and directories", "kms-paris", "KMS host</td>", "corp.example", `<span class="badge">directory</span>`, "dir-0123456789abcdef0123", "2 in all"} {
		if !strings.Contains(body, want) {
			t.Errorf("key page lacks %q", want)
		}
	}
}
