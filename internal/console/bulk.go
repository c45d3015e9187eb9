package console

import (
	"context"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// Bounds of bulk assignment in the console.
const (
	maxBulkUsers = 20_000
	bulkChunk    = 500     // users per apply step (one request, one AssignBatch)
	maxUpload    = 4 << 20 // bytes of an uploaded list (and the rest of its form)
)

// bulkJob is one uploaded list between the dry run and the apply.
type bulkJob = listfile.Job

// BulkUploads keeps the uploaded lists of bulk assignment between the dry run and the apply, so
// that any replica can run either (package uploads keeps them in the database; the server wires
// it in). A job is bound
// to the session that uploaded it and to its tenant: Get answers ENotFound for any other.
type BulkUploads interface {
	Put(ctx context.Context, j *bulkJob, content []byte) error
	Get(ctx context.Context, id, session, tenant string) (*bulkJob, error)
	StartApply(ctx context.Context, j *bulkJob) error
	Claim(ctx context.Context, id string, from int) (bool, error)
	FinishStep(ctx context.Context, j *bulkJob) error
	Release(ctx context.Context, id string) error
}

// noUploads stands for the store of a console given none: bulk assignment is unavailable.
type noUploads struct{}

var errNoUploads = licet.Errorf(licet.EUnavailable, "bulk assignment needs the database, which the console was not given")

func (noUploads) Put(context.Context, *bulkJob, []byte) error { return errNoUploads }
func (noUploads) Get(context.Context, string, string, string) (*bulkJob, error) {
	return nil, errNoUploads
}
func (noUploads) StartApply(context.Context, *bulkJob) error       { return errNoUploads }
func (noUploads) Claim(context.Context, string, int) (bool, error) { return false, errNoUploads }
func (noUploads) FinishStep(context.Context, *bulkJob) error       { return errNoUploads }
func (noUploads) Release(context.Context, string) error            { return errNoUploads }
