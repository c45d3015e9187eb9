package console

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/licet/licet"
	productkeys "github.com/licet/licet/internal/keys"
)

// Keys: the product key page, as the Volume Licensing Service Center shows it: a tenant's keys
// by agreement and pool with their type, product group, limit, used, remaining and whether they
// are blocked; a key's page with its activations (for a kms-host key, its KMS hosts) and the
// operator's forms that extend and block it. Keys are shown to the operator and to the key's
// tenant admins only, and never logged.

func init() {
	register(&page{ID: "keys", Title: "Product keys", Path: "/keys", Scope: perTenant, Nav: 150, Load: loadKeys})
	register(&page{ID: "key", Title: "Product key", Path: "/keys/{id}", Scope: perTenant, Load: loadKey,
		Actions: map[string]handler{"/extend": extendKey, "/block": blockKey}})
	registerPanel(&panel{ID: "maks", Order: 16, Load: maksPanel})
	registerPanel(&panel{ID: "kmshosts", Order: 17, Load: kmsHostsPanel})
	registerPanel(&panel{ID: "activations", Order: 31, Load: activationsPanel})
}

// keysData is the key page of a tenant.
type keysData struct {
	Agreements []agreementKeys
	Keys       int
}

// agreementKeys are the keys of one agreement (Agreement "" for keys without one, such as a
// promotional MAK), by pool.
type agreementKeys struct {
	Agreement string
	Program   string
	Pools     []poolKeys
}

// poolKeys are the keys of one pool of an agreement.
type poolKeys struct {
	Pool string
	Keys []keyView
}

func loadKeys(s *Server, c *reqCtx) (any, error) {
	ks, err := c.productKeys(c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	pools, err := c.groupPools()
	if err != nil {
		return nil, err
	}
	programs := map[string]string{}
	if as, err := s.agreements(c); err == nil {
		for _, a := range as {
			programs[a.LicensingID] = a.Program
		}
	} else {
		return nil, err
	}
	d := keysData{Keys: len(ks)}
	views := make([]keyView, 0, len(ks))
	for _, k := range ks {
		views = append(views, newKeyView(k, pools))
	}
	// Agreements in order of licensing ID (keys without one last), pools by name, keys by id.
	slices.SortStableFunc(views, func(a, b keyView) int {
		if (a.Agreement == "") != (b.Agreement == "") {
			if a.Agreement == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Agreement, b.Agreement), cmp.Compare(a.Pool, b.Pool), cmp.Compare(a.ID, b.ID))
	})
	for _, v := range views {
		if n := len(d.Agreements); n == 0 || d.Agreements[n-1].Agreement != v.Agreement {
			d.Agreements = append(d.Agreements, agreementKeys{Agreement: v.Agreement, Program: programs[v.Agreement]})
		}
		a := &d.Agreements[len(d.Agreements)-1]
		if n := len(a.Pools); n == 0 || a.Pools[n-1].Pool != v.Pool {
			a.Pools = append(a.Pools, poolKeys{Pool: v.Pool})
		}
		p := &a.Pools[len(a.Pools)-1]
		p.Keys = append(p.Keys, v)
	}
	return d, nil
}

// agreements lists the agreements of the page's tenant, when the console has the service.
func (s *Server) agreements(c *reqCtx) ([]licet.Agreement, error) {
	svc, ok := s.Keys.(licet.AgreementService)
	if !ok {
		return nil, nil
	}
	return svc.Agreements(c.ctx(), c.tenant.Slug)
}

// keyActivationsShown bounds the activations a key's page lists.
const keyActivationsShown = 200

// keyData is a key's page.
type keyData struct {
	Key         keyView
	Activations []licet.KeyActivation
	Total       int  // activations (hosts) in all
	Hosts       bool // a kms-host key: the activations are KMS hosts
	Setup       bool // a setup key activates nothing
	CanManage   bool // the operator: extend, block
}

func loadKey(s *Server, c *reqCtx) (any, error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	pools, err := c.groupPools()
	if err != nil {
		return nil, err
	}
	d := keyData{Key: newKeyView(*k, pools), Hosts: k.Type == string(productkeys.KMSHost), Setup: k.Type == string(productkeys.Setup), CanManage: c.actor.IsOperator()}
	if s.Activity != nil {
		d.Activations, d.Total, err = s.Activity.KeyActivations(c.ctx(), k.ID, keyActivationsShown)
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// extendKey raises the key's limit (the service audits it). The key must be the URL tenant's
// (404 otherwise), the actor the operator (403, as the API answers a tenant admin).
func extendKey(s *Server, c *reqCtx) error {
	k, err := c.key()
	if err != nil {
		return err
	}
	if err := operatorOnly(c, "extends keys"); err != nil {
		return err
	}
	n, err := formCount(c, "by", fmt.Sprintf("how many activations to add, from 1 to %d", licet.MaxKeyLimit))
	if err != nil {
		return c.refuse(err, "by")
	}
	k, err = s.Keys.ExtendKey(c.ctx(), k.ID, n)
	if err != nil {
		return c.refuse(err, "by")
	}
	return c.redirect(keyHref(k.Tenant, k.ID), fmt.Sprintf("Key %d extended by %s: its limit is %d, %d remaining.", k.ID, plural(n, "activation"), k.Limit, k.Remaining))
}

// blockKey blocks or unblocks the key (audited by the service): a blocked key activates nothing.
func blockKey(s *Server, c *reqCtx) error {
	k, err := c.key()
	if err != nil {
		return err
	}
	if err := operatorOnly(c, "blocks keys"); err != nil {
		return err
	}
	var blocked bool
	switch c.r.PostForm.Get("blocked") {
	case "true":
		blocked = true
	case "false":
	default:
		return c.refuse(licet.Errorf(licet.EInvalid, "say whether to block or unblock the key: nothing was changed"), "")
	}
	k, err = s.Keys.BlockKey(c.ctx(), k.ID, blocked)
	if err != nil {
		return c.refuse(err, "")
	}
	notice := fmt.Sprintf("Key %d is blocked: it activates nothing more until it is unblocked. Machines activated before keep their activation.", k.ID)
	if !blocked {
		notice = fmt.Sprintf("Key %d is unblocked: it activates again, %d remaining.", k.ID, k.Remaining)
	}
	return c.redirect(keyHref(k.Tenant, k.ID), notice)
}

// panelKeys bounds the keys an overview panel lists; the key pages list them all.
const panelKeys = 8

// keyPanel is a panel of keys of one type: those with the least left first.
type keyPanel struct {
	Keys   []keyView
	More   int           // keys of the type not listed
	Tenant *licet.Tenant // nil: every tenant (the operator's overview)
	Hosts  map[int64][]string
}

// keysOfType returns the panel's keys of a type, the fullest first, or nil when the tenant (or
// the service) has none.
func keysOfType(c *reqCtx, t *licet.Tenant, typ productkeys.Type) (*keyPanel, error) {
	if c.s.Keys == nil {
		return nil, nil
	}
	ks, err := c.productKeys(slugOf(t))
	if err != nil {
		return nil, err
	}
	pools, err := c.groupPools()
	if err != nil {
		return nil, err
	}
	p := &keyPanel{Tenant: t}
	for _, k := range ks {
		if k.Type == string(typ) {
			p.Keys = append(p.Keys, newKeyView(k, pools))
		}
	}
	if len(p.Keys) == 0 {
		return nil, nil
	}
	// Blocked keys last; then the smallest share left first, so that keys about to run out lead.
	slices.SortStableFunc(p.Keys, func(a, b keyView) int {
		if a.Blocked != b.Blocked {
			if a.Blocked {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(share(a.ProductKey), share(b.ProductKey)), cmp.Compare(a.ID, b.ID))
	})
	if len(p.Keys) > panelKeys {
		p.More = len(p.Keys) - panelKeys
		p.Keys = p.Keys[:panelKeys]
	}
	return p, nil
}

// share is the part of a key's limit that remains, 0 to 1.
func share(k licet.ProductKey) float64 {
	if k.Limit <= 0 {
		return 0
	}
	return float64(k.Remaining) / float64(k.Limit)
}

// maksPanel lists the MAKs with their remaining activations.
func maksPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	p, err := keysOfType(c, t, productkeys.MAK)
	if p == nil || err != nil {
		return nil, err
	}
	return p, nil
}

// panelHosts bounds the host names the KMS panel names per key.
const panelHosts = 6

// kmsHostsPanel lists the kms-host keys with the hosts they activated against their host limit.
// What the central service knows stops there: the count of clients of each host lives on the
// host (`licet kms status`), and the panel says so.
func kmsHostsPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	p, err := keysOfType(c, t, productkeys.KMSHost)
	if p == nil || err != nil {
		return nil, err
	}
	if s.Activity != nil {
		p.Hosts = map[int64][]string{}
		for _, k := range p.Keys {
			hosts, total, err := s.Activity.KeyActivations(c.ctx(), k.ID, panelHosts)
			if err != nil {
				return nil, err
			}
			for _, h := range hosts {
				p.Hosts[k.ID] = append(p.Hosts[k.ID], cmp.Or(h.Hostname, h.Machine))
			}
			if total > len(hosts) {
				p.Hosts[k.ID] = append(p.Hosts[k.ID], fmt.Sprintf("and %d more", total-len(hosts)))
			}
		}
	}
	return p, nil
}

// activationsPanel charts the machines first activated per day, over the overview's days.
func activationsPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	if s.Activity == nil {
		return nil, nil
	}
	now := s.Now()
	days, err := s.Activity.ActivationsPerDay(c.ctx(), slugOf(t), firstDay(now, overviewDays))
	if err != nil {
		return nil, err
	}
	return countsChart("Activations per day", days, now, overviewDays), nil
}
