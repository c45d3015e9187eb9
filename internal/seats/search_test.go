package seats_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

func TestUsersSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.users(t, licet.User{UPN: "adele.vance@fabrikam.com", DisplayName: "Adele Vance"},
			licet.User{UPN: "alex@fabrikam.com", DisplayName: "Alex Wilber"},
			licet.User{UPN: "room_1@fabrikam.com", DisplayName: "Boardroom 100%"},
			licet.User{UPN: "roomx1@fabrikam.com", DisplayName: "Small room"})
		tests := []struct {
			name   string
			filter licet.UserFilter
			want   string
		}{
			{"by UPN", licet.UserFilter{Search: "ADELE"}, "adele.vance@fabrikam.com"},
			{"by name, any case", licet.UserFilter{Search: "wilBER"}, "alex@fabrikam.com"},
			{"underscore is literal", licet.UserFilter{Search: "room_"}, "room_1@fabrikam.com"},
			{"percent is literal", licet.UserFilter{Search: "100%"}, "room_1@fabrikam.com"},
			{"both fields", licet.UserFilter{Search: "room"}, "room_1@fabrikam.com roomx1@fabrikam.com"},
			{"with paging", licet.UserFilter{Search: "room", After: "room_1@fabrikam.com"}, "roomx1@fabrikam.com"},
			{"no match", licet.UserFilter{Search: "nobody"}, ""},
			{"blank is everyone", licet.UserFilter{Search: "  ", Limit: 2}, "adele.vance@fabrikam.com alex@fabrikam.com"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				us, err := f.svc.Users(f.ctx, f.tenant, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range us {
					got = append(got, u.UPN)
				}
				if g := strings.Join(got, " "); g != tt.want {
					t.Errorf("got %q, want %q", g, tt.want)
				}
			})
		}
		_, err := f.svc.Users(f.ctx, f.tenant, licet.UserFilter{Search: strings.Repeat("x", 257)})
		if licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("a 257-character search: %v, want invalid", err)
		}
	})
}
