package advisor

import (
	"fmt"
	"strings"

	"github.com/licet/licet/internal/catalog"
)

// Cost is a monthly price per user from the catalog's example prices, in minor units.
type Cost struct {
	Amount   int64    `json:"amount"`
	Currency string   `json:"currency,omitempty"`
	Mixed    bool     `json:"mixedCurrencies,omitempty"` // the SKUs are priced in several currencies: Amount means nothing
	Unpriced []string `json:"unpriced,omitempty"`        // SKUs the catalog gives no price for
}

// Known reports whether the cost is one amount in one currency, with every SKU priced.
func (c Cost) Known() bool { return !c.Mixed && len(c.Unpriced) == 0 }

// String is "28.00 USD", or says why the cost is unknown.
func (c Cost) String() string {
	switch {
	case c.Mixed:
		return "mixed currencies"
	case len(c.Unpriced) > 0:
		return "unpriced: " + strings.Join(c.Unpriced, ", ")
	case c.Currency == "":
		return "0"
	}
	return Money(c.Amount, c.Currency)
}

// Money formats minor units as "12.50 USD".
func Money(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, amount/100, amount%100, currency)
}

func (c Cost) comparable(d Cost) bool {
	return c.Known() && d.Known() && (c.Currency == d.Currency || c.Currency == "" || d.Currency == "")
}

// less orders known costs before unknown ones, then by amount.
func (c Cost) less(d Cost) bool {
	if c.Known() != d.Known() {
		return c.Known()
	}
	return c.comparable(d) && c.Amount < d.Amount
}

// costOf adds the example prices of skus.
func costOf(cat *catalog.Catalog, skus []string) Cost {
	var c Cost
	for _, part := range skus {
		s, ok := cat.SKU(part)
		if !ok || s.Price == nil {
			c.Unpriced = append(c.Unpriced, part)
			continue
		}
		switch {
		case c.Currency == "":
			c.Currency = s.Price.Currency
		case c.Currency != s.Price.Currency:
			c.Mixed = true
		}
		c.Amount += s.Price.Amount
	}
	return c
}
