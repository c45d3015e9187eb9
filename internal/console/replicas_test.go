package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalogstore/catalogtest"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store/storetest"
)

// TestBulkUploadAcrossReplicas: two servers on one database. A list uploaded (and dry-run) on
// replica A is shown and applied through replica B, and A then shows the finished apply and its
// report: the upload lives in the database, not in A's memory. SQLite and PostgreSQL.
func TestBulkUploadAcrossReplicas(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dir, dsn string) {
		a := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir})
		b := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir})
		ctx := context.Background()
		_, err := a.Operator.BuySubscription(ctx, "contoso", licet.Subscription{SKU: "STANDARDPACK", Quantity: 700})
		mustOK(t, err)
		var users []licet.User
		var list strings.Builder
		for i := range 600 {
			u := fmt.Sprintf("r%04d@contoso.com", i)
			users = append(users, licet.User{UPN: u})
			fmt.Fprintln(&list, u)
		}
		_, err = a.Operator.ImportUsers(ctx, "contoso", users)
		mustOK(t, err)

		op := signIn(t, a, a.Token)
		st, body, loc := op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"STANDARDPACK"}}, "users", "users.txt", []byte(list.String()))
		if st != http.StatusSeeOther || !bulkJobRE.MatchString(loc) {
			t.Fatalf("upload on A: %d to %q:\n%s", st, loc, body)
		}
		job := bulkJobRE.FindStringSubmatch(loc)[1]

		op.base = b.URL // the same browser session, now served by B
		st, body, _ = op.do(t, "GET", loc, nil)
		if st != http.StatusOK || !strings.Contains(body, "Dry run: users.txt, 600 user(s)") || !strings.Contains(body, "600</span> assigned") {
			t.Fatalf("the dry run on B: status %d:\n%s", st, body)
		}
		if st, _ := op.post(t, "/tenants/contoso/bulk/"+job+"/apply", nil); st != http.StatusSeeOther {
			t.Fatalf("apply on B: status %d, want 303", st)
		}
		if skus, _ := b.Operator.SubscribedSKUs(ctx, "contoso"); consumedOf(skus, "STANDARDPACK") != 600 {
			t.Errorf("after the apply on B: %d consumed, want 600", consumedOf(skus, "STANDARDPACK"))
		}

		op.base = a.URL
		st, body, _ = op.do(t, "GET", loc, nil)
		if st != http.StatusOK || !strings.Contains(body, `value="600">600 of 600`) {
			t.Errorf("A after the apply on B: status %d, no finished progress:\n%s", st, body)
		}
		rep := op.report(t, "/tenants/contoso/bulk/"+job+"/report.csv")
		if len(rep) != 1+600 || rep[1][2] != "assigned" || rep[600][2] != "assigned" {
			t.Errorf("the applied report from A: %d rows, %v … %v", len(rep), rep[1], rep[len(rep)-1])
		}
	})
}

// TestCatalogPageShowsVersionAndHistory: the catalog page names the version served and lists
// every version, newest first.
func TestCatalogPageShowsVersionAndHistory(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	op := signIn(t, s, s.Token)
	body := op.get(t, "/catalog")
	if !strings.Contains(body, "Version <strong>1</strong>") || !strings.Contains(body, "by system from <code>m365-teams.yaml</code>") {
		t.Errorf("the catalog page does not name version 1:\n%s", body)
	}
	next := string(catalogtest.Edit(t, catalogs.M365Teams(), catalogtest.SetPrice("ENTERPRISEPACK", 2300)))
	var applied struct {
		Version int64 `json:"version"`
	}
	mustOK(t, s.Operator.Do(ctx, "POST", "/v1/catalog/versions", licet.CatalogUpload{FileName: "repriced.yaml", Content: next}, &applied))
	body = op.get(t, "/catalog")
	if !strings.Contains(body, "Version <strong>2</strong>") || !strings.Contains(body, "<h2>History</h2>") {
		t.Errorf("after applying version 2, the page does not name it:\n%s", body)
	}
	i, j := strings.Index(body, `<td class="num">2</td>`), strings.Index(body, `<td class="num">1</td>`)
	if i < 0 || j < 0 || i > j || !strings.Contains(body, "<code>repriced.yaml</code>") {
		t.Errorf("the history does not list version 2 then version 1")
	}
}
