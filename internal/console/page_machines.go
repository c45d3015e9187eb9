package console

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/machinelist"
)

// Machines: a tenant's machine inventory, as VAMT shows it: counts by license state and method,
// the states over the last 30 days, the machines themselves with filters, and a CSV download of
// what the filters select.

func init() {
	register(&page{ID: "machines", Title: "Machines", Path: "/machines", Scope: perTenant, Nav: 155, Load: loadMachines,
		Files: map[string]handler{"/export.csv": machinesCSV}})
}

// machinesShown bounds the machines the page lists; the CSV holds up to machinesExported.
const (
	machinesShown    = 500
	machinesExported = 100000
	historyDays      = 14
)

// machinesData is the Machines page.
type machinesData struct {
	Filter   licet.MachineFilter
	StaleArg string
	States   []string
	Methods  []string
	Counts   []countRow
	Total    int
	Chart    stackChart
	Machines []licet.InventoryMachine
	More     bool   // more machines match than are listed
	CSV      string // the download URL with the filters
}

// countRow is a state's counts by method.
type countRow struct {
	State    string
	ByMethod []int // in the order of Methods
	Total    int
}

// machineFilter reads the page's filters from the query.
func (c *reqCtx) machineFilter() (licet.MachineFilter, string, error) {
	q := c.r.URL.Query()
	f := licet.MachineFilter{Tenant: c.tenant.Slug, State: q.Get("state"), Product: q.Get("product"), Method: q.Get("method")}
	stale, err := machinelist.ParseAge(q.Get("stale"))
	if err != nil {
		return f, "", err
	}
	f.Stale = stale
	return f, q.Get("stale"), machinelist.CheckFilter(f)
}

func loadMachines(s *Server, c *reqCtx) (any, error) {
	if s.Inventory == nil {
		return nil, licet.Errorf(licet.EUnavailable, "the machine inventory is not configured")
	}
	f, staleArg, err := c.machineFilter()
	if err != nil {
		return nil, err
	}
	d := machinesData{Filter: f, StaleArg: staleArg, States: licet.MachineStates, Methods: licet.MachineMethods}
	counts, err := s.Inventory.MachineCounts(c.ctx(), c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	for _, st := range licet.MachineStates {
		row := countRow{State: st, ByMethod: make([]int, len(licet.MachineMethods))}
		for _, n := range counts {
			if n.State == st {
				row.ByMethod[slices.Index(licet.MachineMethods, n.Method)] += n.Machines
				row.Total += n.Machines
			}
		}
		d.Total += row.Total
		d.Counts = append(d.Counts, row)
	}
	history, err := s.Inventory.StateHistory(c.ctx(), c.tenant.Slug, historyDays)
	if err != nil {
		return nil, err
	}
	d.Chart = statesChart(history, s.Now(), historyDays)
	f.Limit = machinesShown + 1
	if d.Machines, err = s.Inventory.Machines(c.ctx(), f); err != nil {
		return nil, err
	}
	if len(d.Machines) > machinesShown {
		d.Machines, d.More = d.Machines[:machinesShown], true
	}
	q := url.Values{}
	for k, v := range map[string]string{"state": f.State, "product": f.Product, "method": f.Method, "stale": staleArg} {
		if v != "" {
			q.Set(k, v)
		}
	}
	d.CSV = "/tenants/" + url.PathEscape(c.tenant.Slug) + "/machines/export.csv"
	if len(q) > 0 {
		d.CSV += "?" + q.Encode()
	}
	return d, nil
}

// machinesCSV downloads the machines the filters select.
func machinesCSV(s *Server, c *reqCtx) error {
	if s.Inventory == nil {
		return licet.Errorf(licet.EUnavailable, "the machine inventory is not configured")
	}
	f, _, err := c.machineFilter()
	if err != nil {
		return err
	}
	f.Limit = machinesExported
	ms, err := s.Inventory.Machines(c.ctx(), f)
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="licet-machines-%s.csv"`, c.tenant.Slug))
	return machinelist.WriteCSV(c.w, ms)
}
