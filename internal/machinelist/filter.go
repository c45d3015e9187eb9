package machinelist

import (
	"slices"

	"github.com/licet/licet"
)

// CheckFilter returns EInvalid for a state or method the inventory does not know.
func CheckFilter(f licet.MachineFilter) error {
	if f.State != "" && !slices.Contains(licet.MachineStates, f.State) {
		return licet.Errorf(licet.EInvalid, "state %q is unknown: use one of %v", f.State, licet.MachineStates).With("field", "state")
	}
	if f.Method != "" && !slices.Contains(licet.MachineMethods, f.Method) {
		return licet.Errorf(licet.EInvalid, "method %q is unknown: use one of %v", f.Method, licet.MachineMethods).With("field", "method")
	}
	if f.Stale < 0 {
		return licet.Errorf(licet.EInvalid, "stale must not be negative").With("field", "stale")
	}
	return nil
}
