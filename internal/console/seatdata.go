package console

import (
	"strconv"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Data of the seat pages (licenses, users, groups, bulk assignment), read through the seat
// service with the signed-in actor.

// seats returns the seat service, or EUnavailable when the console has none.
func (c *reqCtx) seats() (licet.SeatService, error) {
	if c.s.Seats == nil {
		return nil, licet.Errorf(licet.EUnavailable, "seat licensing is not available on this server")
	}
	return c.s.Seats, nil
}

// catalog returns the catalog in force, or ENotFound when none is loaded.
func (c *reqCtx) catalog() (*catalog.Catalog, error) {
	if c.s.Catalog != nil {
		if cat := c.s.Catalog(); cat != nil {
			return cat, nil
		}
	}
	return nil, licet.Errorf(licet.ENotFound, "no catalog version is stored: apply one with licet catalog apply FILE")
}

// subscribedSKUs returns the tenant's SKUs with their units, once per request.
func (c *reqCtx) subscribedSKUs(tenant string) ([]licet.SubscribedSKU, error) {
	return memo(c, "skus:"+tenant, func() ([]licet.SubscribedSKU, error) {
		svc, err := c.seats()
		if err != nil {
			return nil, err
		}
		return svc.SubscribedSKUs(c.ctx(), tenant)
	})
}

// seatBar is one SKU's consumed units against its enabled units, for a bar.
type seatBar struct {
	SKU       string
	Name      string
	Status    string // capability status: Enabled, Warning, Suspended, LockedOut
	Unlimited bool
	Enabled   int
	Warning   int
	Suspended int // suspended and locked out
	Consumed  int
	Available int // enabled − consumed, never below 0
	Tenants   int // how many tenants hold it (the operator's overview)
}

// Percent is the share of enabled units consumed, 0 to 100, for the bar's width.
func (b seatBar) Percent() string {
	if b.Unlimited || b.Enabled <= 0 {
		if b.Consumed > 0 && !b.Unlimited {
			return "100"
		}
		return "0"
	}
	return strconv.FormatFloat(min(100, float64(b.Consumed)*100/float64(b.Enabled)), 'f', 1, 64)
}

// Level says how full the SKU is: "ok", "high" (90 % or more) or "full" (none left).
func (b seatBar) Level() string {
	switch {
	case b.Unlimited:
		return "ok"
	case b.Consumed >= b.Enabled:
		return "full"
	case b.Consumed*10 >= b.Enabled*9:
		return "high"
	}
	return "ok"
}

// seatBars turns subscribed SKUs into bars, adding them into have (by SKU, in first-seen order).
func seatBars(have []seatBar, skus []licet.SubscribedSKU) []seatBar {
	for _, s := range skus {
		i := -1
		for j := range have {
			if have[j].SKU == s.SKU {
				i = j
				break
			}
		}
		if i < 0 {
			have = append(have, seatBar{SKU: s.SKU, Name: s.Name, Status: s.CapabilityStatus, Unlimited: s.Unlimited})
			i = len(have) - 1
		}
		b := &have[i]
		b.Enabled += s.PrepaidUnits.Enabled
		b.Warning += s.PrepaidUnits.Warning
		b.Suspended += s.PrepaidUnits.Suspended + s.PrepaidUnits.LockedOut
		b.Consumed += s.Consumed
		b.Available = max(0, b.Enabled-b.Consumed)
		b.Tenants++
	}
	return have
}
