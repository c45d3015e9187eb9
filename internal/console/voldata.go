package console

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/licet/licet"
)

// Data of the volume activation pages (keys, offline activation, the key panels), read through
// the activation services with the signed-in actor.

// keyService returns the key service, or EUnavailable when the console has none.
func (c *reqCtx) keyService() (licet.KeyService, error) {
	if c.s.Keys == nil {
		return nil, licet.Errorf(licet.EUnavailable, "volume activation is not available on this server")
	}
	return c.s.Keys, nil
}

// keys returns the keys of a tenant ("" every key the actor sees), once per request.
func (c *reqCtx) productKeys(tenant string) ([]licet.ProductKey, error) {
	return memo(c, "keys:"+tenant, func() ([]licet.ProductKey, error) {
		svc, err := c.keyService()
		if err != nil {
			return nil, err
		}
		return svc.Keys(c.ctx(), tenant)
	})
}

// groupPools maps each product group to the pools of its products ("systems", "servers,
// applications"), once per request.
func (c *reqCtx) groupPools() (map[uint16]string, error) {
	return memo(c, "pools", func() (map[uint16]string, error) {
		out := map[uint16]string{}
		if c.s.Products == nil {
			return out, nil
		}
		ps, err := c.s.Products.Products(c.ctx())
		if err != nil {
			return nil, err
		}
		seen := map[uint16][]string{}
		for _, p := range ps {
			if !slices.Contains(seen[p.Group], p.Pool) {
				seen[p.Group] = append(seen[p.Group], p.Pool)
			}
		}
		for g, pools := range seen {
			slices.Sort(pools)
			out[g] = strings.Join(pools, ", ")
		}
		return out, nil
	})
}

// keyView is a product key as the key pages and panels show it.
type keyView struct {
	licet.ProductKey
	Pool   string
	Masked string // the key with all but its last group hidden, for the overview
	Href   string // its key page; "" when it has no tenant
	Use    seatBar
}

// newKeyView describes a key with its pool, its masked form and its use as a bar.
func newKeyView(k licet.ProductKey, pools map[uint16]string) keyView {
	v := keyView{ProductKey: k, Pool: pools[k.Group], Masked: maskKey(k.Key)}
	if v.Pool == "" {
		v.Pool = "no product yet"
	}
	if k.Tenant != "" {
		v.Href = keyHref(k.Tenant, k.ID)
	}
	v.Use = seatBar{SKU: v.Masked, Enabled: int(k.Limit), Consumed: int(k.Used), Available: int(max(0, k.Remaining)), Status: "Enabled"}
	return v
}

// maskKey hides all but the last group of a key: XXXXX-XXXXX-XXXXX-XXXXX-7RT4C.
func maskKey(key string) string {
	if i := strings.LastIndexByte(key, '-'); i >= 0 {
		return "XXXXX-XXXXX-XXXXX-XXXXX" + key[i:]
	}
	return "XXXXX"
}

// keyHref is a key's page under its tenant.
func keyHref(tenant string, id int64) string {
	return "/tenants/" + url.PathEscape(tenant) + "/keys/" + strconv.FormatInt(id, 10)
}

// key returns the key of the URL, which must be one of the URL's tenant: any other answers 404,
// as the API does for a key the actor may not see.
func (c *reqCtx) key() (*licet.ProductKey, error) {
	svc, err := c.keyService()
	if err != nil {
		return nil, err
	}
	raw := c.r.PathValue("id")
	notFound := licet.Errorf(licet.ENotFound, "product key %q not found in %s (see its key page)", raw, c.tenant.Name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound
	}
	k, err := svc.Key(c.ctx(), id)
	if licet.ErrorCode(err) == licet.ENotFound || (err == nil && k.Tenant != c.tenant.Slug) {
		return nil, notFound
	}
	return k, err
}

// formCount reads a whole number typed in a field; a missing or malformed value is EInvalid on
// the field, with what was expected.
func formCount(c *reqCtx, name, expected string) (int64, error) {
	v := strings.TrimSpace(c.r.PostForm.Get(name))
	n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
	if err != nil {
		if v == "" {
			return 0, licet.Errorf(licet.EInvalid, "type %s", expected).With("field", name)
		}
		return 0, licet.Errorf(licet.EInvalid, "%q is not a whole number: type %s", v, expected).With("field", name)
	}
	return n, nil
}

// plural writes n and a noun, with an s when n is not 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
