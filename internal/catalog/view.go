package catalog

// View is the published form of a catalog: what the API answers and `licet catalog show` prints.
type View struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	OrgTypes    []string      `json:"orgTypes"` // the organisation types tenants may have, the default first
	Clouds      []string      `json:"clouds"`   // the clouds tenants may live in, the default first
	SKUs        []SKUView     `json:"skus"`
	Plans       []PlanView    `json:"servicePlans"`
	Features    []FeatureView `json:"features"`
}

// SKUView is an SKU in a View.
type SKUView struct {
	Part      string     `json:"skuPartNumber"`
	Name      string     `json:"displayName"`
	Kind      string     `json:"kind"`
	Family    string     `json:"family,omitempty"`
	Unlimited bool       `json:"unlimited"`
	Price     *PriceView `json:"examplePrice,omitempty"`
	Plans     []string   `json:"servicePlans"`
	Note      string     `json:"note,omitempty"`
}

// PriceView is an example monthly price in minor units.
type PriceView struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// PlanView is a service plan in a View.
type PlanView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// FeatureView is a feature in a View.
type FeatureView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`
}

// View returns the published form of the catalog.
func (c *Catalog) View() View {
	v := View{Name: c.Name, Description: c.Description, OrgTypes: append([]string{}, c.orgTypes...), Clouds: append([]string{}, c.clouds...),
		SKUs: []SKUView{}, Plans: []PlanView{}, Features: []FeatureView{}}
	for _, s := range c.skus {
		sv := SKUView{Part: s.Part, Name: s.Name, Kind: s.Kind, Family: s.Family, Unlimited: s.Unlimited, Plans: append([]string{}, s.Plans...), Note: s.Note}
		if s.Price != nil {
			sv.Price = &PriceView{Amount: s.Price.Amount, Currency: s.Price.Currency}
		}
		v.SKUs = append(v.SKUs, sv)
	}
	for _, p := range c.plans {
		v.Plans = append(v.Plans, PlanView{ID: p.ID, Name: p.Name, Description: p.Description})
	}
	for _, f := range c.features {
		v.Features = append(v.Features, FeatureView{ID: f.ID, Name: f.Name, Source: f.Source})
	}
	return v
}
