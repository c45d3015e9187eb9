package catalogs

// M365Demo names the SKUs of m365-teams.yaml that the demo data buys and assigns, and that
// `licet bench assign` uses: the part numbers stay with their catalog instead of in the code that
// fills the demo.
var M365Demo = struct {
	Suite, PhoneSystem, CallingPlan, Conferencing, Credits string
}{
	Suite:        "ENTERPRISEPACK",
	PhoneSystem:  "MCOEV",
	CallingPlan:  "MCOPSTN1",
	Conferencing: "MCOMEETADV",
	Credits:      "MCOPSTNC",
}
