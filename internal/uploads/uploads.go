// Package uploads describes the store of the web console's uploaded bulk-assignment lists, kept
// between the dry run and the apply so that any replica can run either, or run them after a
// restart. The console uses the Store interface; package uploaddb implements it in the
// database. The bounds and the lifetime below hold for the whole service.
package uploads

import (
	"context"
	"time"
)

// Bounds of the store.
const (
	TTL            = 30 * time.Minute // an upload is forgotten this long after its upload or last use
	MaxUploads     = 16               // uploads kept for the whole service
	MaxPerSession  = 2                // uploads kept per console session
	MaxStoredBytes = 64 << 20         // uploads, dry runs and apply reports together
	// StepLease is how long a request holds an upload while it applies one chunk; a replica that
	// dies meanwhile leaves the chunk to be applied again after it.
	StepLease = time.Minute
)

// Upload is one uploaded list with its state. Change, DryRun and Applied are the console's JSON
// documents, stored as they are.
type Upload struct {
	ID       string // set by Put: random, 144 bits
	Session  string // the console session that uploaded it
	Tenant   string
	FileName string
	Content  []byte // the uploaded file
	Change   []byte // the licenses to add and remove
	DryRun   []byte // the dry run's report
	Applied  []byte // the apply's report so far; nil until the apply starts
	Next     int    // entries applied so far
	Stopped  string // why the apply stopped before the end, if it did
	Busy     bool   // a request holds the step lease now
}

// Store keeps uploads. Get answers nil (no error) for an upload that is unknown, expired, or
// another session's or tenant's.
type Store interface {
	// Put stores a new upload under a random id, making room: expired uploads go first, then the
	// session's oldest beyond MaxPerSession, then the oldest of all beyond MaxUploads or
	// MaxStoredBytes.
	Put(ctx context.Context, u *Upload) error
	// Get returns the session's upload for the tenant and extends its life by TTL.
	Get(ctx context.Context, id, session, tenant string) (*Upload, error)
	// StartApply sets the apply's first report unless the apply has started.
	StartApply(ctx context.Context, id string, report []byte) error
	// Claim takes the step lease of the chunk that starts at from: false when the upload is at
	// another position, its apply has not started, or another request holds the lease.
	Claim(ctx context.Context, id string, from int) (bool, error)
	// Finish records a chunk's outcome (the apply's report, the new position, why it stopped)
	// and releases the lease.
	Finish(ctx context.Context, id string, applied []byte, next int, stopped string) error
	// Release gives the lease back without recording anything.
	Release(ctx context.Context, id string) error
}
