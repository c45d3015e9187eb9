package licet

// Bounds of the paged lists, one definition for the services, the HTTP API and docs/openapi.yaml
// (a test sends values outside the document's bounds to every route).
const (
	DefaultAuditLimit       = 100    // audit entries of one page when no limit is given
	MaxAuditLimit           = 1000   // audit entries of one page at most
	DefaultUserLimit        = 1000   // users of one page when no limit is given
	MaxUserLimit            = 10000  // users of one page at most
	DefaultLedgerLimit      = 100    // ledger entries of one page when no limit is given
	MaxLedgerLimit          = 10000  // ledger entries of one page at most
	DefaultActivationsLimit = 100    // activations of a key listed when no limit is given
	MaxActivationsLimit     = 1000   // activations of a key listed at most
	DefaultMachineLimit     = 1000   // inventory machines of one page when no limit is given
	MaxMachineLimit         = 100000 // inventory machines of one page at most
	DefaultEventLimit       = 100    // events, or a webhook's deliveries, of one page when no limit is given
	MaxEventLimit           = 1000   // events, or a webhook's deliveries, of one page at most
)

// PageLimit is the size of a page asked for as n: def when n is 0, n from 1 to max, and an
// EInvalid error naming the bounds otherwise. Every paged service reads its limit so; the HTTP
// API refuses the same values before (400).
func PageLimit(n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, Errorf(EInvalid, "limit %d is out of range: use 1 to %d (none: %d)", n, max, def).With("field", "limit")
	}
	return n, nil
}
