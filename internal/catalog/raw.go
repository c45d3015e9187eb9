package catalog

// The raw structures mirror the YAML format field by field; Load decodes into them, validates
// them, and builds the public model from them.

type rawCatalog struct {
	Pos           Pos
	Name          str               `yaml:"name"`
	Description   str               `yaml:"description"`
	OrgTypes      []str             `yaml:"org_types"`
	Clouds        []str             `yaml:"clouds"`
	Telephony     *rawTelephony     `yaml:"telephony"`
	Families      []rawFamily       `yaml:"families"`
	Plans         []rawPlan         `yaml:"plans"`
	Externals     []rawExternal     `yaml:"externals"`
	SKUs          []rawSKU          `yaml:"skus"`
	Rules         *rawRules         `yaml:"rules"`
	Features      []rawFeature      `yaml:"features"`
	RoomScenarios []rawRoomScenario `yaml:"room_scenarios"`
}

type rawTelephony struct {
	Pos          Pos
	Numbers      str `yaml:"numbers"`
	Conferencing str `yaml:"conferencing"`
	Credits      str `yaml:"credits"`
}

type rawFamily struct {
	Pos    Pos
	ID     str `yaml:"id"`
	Name   str `yaml:"name"`
	Source str `yaml:"source"`
}

type rawPlan struct {
	Pos         Pos
	ID          str `yaml:"id"`
	Name        str `yaml:"name"`
	Description str `yaml:"description"`
}

type rawExternal struct {
	Pos         Pos
	ID          str `yaml:"id"`
	Name        str `yaml:"name"`
	Description str `yaml:"description"`
	Source      str `yaml:"source"`
}

type rawPrice struct {
	Pos      Pos
	Amount   integer `yaml:"amount"`
	Currency str     `yaml:"currency"`
}

type rawSKU struct {
	Pos       Pos
	Part      str       `yaml:"part"`
	Name      str       `yaml:"name"`
	Kind      str       `yaml:"kind"`
	Family    str       `yaml:"family"`
	Unlimited bool      `yaml:"unlimited"`
	Price     *rawPrice `yaml:"monthly_price"`
	Plans     []str     `yaml:"plans"`
	Note      str       `yaml:"note"`
}

type rawRules struct {
	Pos           Pos
	Prerequisites []rawPrereq  `yaml:"prerequisites"`
	AddOnBars     []rawBar     `yaml:"addon_bars"`
	Channels      []rawChannel `yaml:"channels"`
	Terms         []rawTerm    `yaml:"terms"`
	Availability  []rawAvail   `yaml:"availability"`
	Dependencies  []rawDep     `yaml:"dependencies"`
	Exclusions    []rawExcl    `yaml:"exclusions"`
	Hybrid        []rawHybrid  `yaml:"hybrid"`
}

// rawRule holds the fields every rule has.
type rawRule struct {
	ID      str `yaml:"id"`
	Source  str `yaml:"source"`
	Message str `yaml:"message"`
	WayOut  str `yaml:"way_out"`
}

type rawPrereq struct {
	Pos     Pos
	rawRule `yaml:",inline"`
	SKUs    []str   `yaml:"skus"`
	AnyOf   [][]str `yaml:"any_of"`
	Bases   []str   `yaml:"bases"`
	Scope   str     `yaml:"scope"`
}

type rawBar struct {
	Pos        Pos
	rawRule    `yaml:",inline"`
	Bases      []str `yaml:"bases"`
	ViaChannel str   `yaml:"via_channel"`
	AddOns     []str `yaml:"addons"`
	SwitchTo   []str `yaml:"switch_to"`
	Scope      str   `yaml:"scope"`
}

type rawChannel struct {
	Pos        Pos
	rawRule    `yaml:",inline"`
	SKUs       []str `yaml:"skus"`
	NotThrough []str `yaml:"not_through"`
}

type rawTerm struct {
	Pos       Pos
	rawRule   `yaml:",inline"`
	SKUs      []str `yaml:"skus"`
	Terms     []str `yaml:"terms"`
	BaseTerms []str `yaml:"base_terms"`
}

type rawAvail struct {
	Pos          Pos
	rawRule      `yaml:",inline"`
	SKUs         []str `yaml:"skus"`
	Countries    []str `yaml:"countries"`
	NotCountries []str `yaml:"not_countries"`
	OrgTypes     []str `yaml:"org_types"`
	NotOrgTypes  []str `yaml:"not_org_types"`
	Clouds       []str `yaml:"clouds"`
	NotClouds    []str `yaml:"not_clouds"`
}

type rawDep struct {
	Pos     Pos
	rawRule `yaml:",inline"`
	Plans   []str   `yaml:"plans"`
	AnyOf   [][]str `yaml:"any_of"`
}

type rawExcl struct {
	Pos     Pos
	rawRule `yaml:",inline"`
	Plans   []str `yaml:"plans"`
	SKUs    []str `yaml:"skus"`
}

type rawHybrid struct {
	Pos     Pos
	rawRule `yaml:",inline"`
	Plans   []str `yaml:"plans"`
}

type rawFeature struct {
	Pos         Pos
	ID          str         `yaml:"id"`
	Name        str         `yaml:"name"`
	Description str         `yaml:"description"`
	Source      str         `yaml:"source"`
	For         []str       `yaml:"for"`
	OrgTypes    []str       `yaml:"org_types"`
	Clouds      []str       `yaml:"clouds"`
	SatisfiedBy []rawOption `yaml:"satisfied_by"`
}

type rawOption struct {
	Pos      Pos
	Plans    []str `yaml:"plans"`
	External []str `yaml:"external"`
	Note     str   `yaml:"note"`
}

type rawRoomScenario struct {
	Pos     Pos
	ID      str             `yaml:"id"`
	Name    str             `yaml:"name"`
	Feature str             `yaml:"feature"`
	Source  str             `yaml:"source"`
	Note    str             `yaml:"note"`
	Columns []rawRoomColumn `yaml:"columns"`
}

type rawRoomColumn struct {
	Pos     Pos
	Have    []str           `yaml:"have"`
	Options []rawRoomOption `yaml:"options"`
}

type rawRoomOption struct {
	Pos      Pos
	SKUs     []str `yaml:"skus"`
	External []str `yaml:"external"`
	Optional []str `yaml:"optional"`
	Note     str   `yaml:"note"`
}
