package console

import (
	"context"
	"encoding/json"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/uploads"
)

// The uploaded user lists of bulk assignment, kept between the dry run and the apply in an
// uploads.Store (the database, so the dry run may run on one replica and the apply on another,
// or after a restart). The client only ever holds a random id; a list is bound to the session
// that uploaded it and to its tenant, and is forgotten uploads.TTL after the upload or its last
// use. The store is bounded (see package uploads); each list is at most maxUpload bytes and
// maxBulkUsers users.

const (
	jobTTL       = uploads.TTL
	maxBulkUsers = 20_000
	bulkChunk    = 500     // users per apply step (one request, one AssignBatch)
	maxUpload    = 4 << 20 // bytes of an uploaded list (and the rest of its form)
)

// bulkJob is one uploaded list as read from the store: the change chosen, the dry run's report
// and, once the apply has started, the apply's report so far.
type bulkJob struct {
	ID, Session, Tenant string
	FileName            string
	list                *listfile.List
	change              licet.LicenseChange
	dry                 *listfile.Report
	applied             *listfile.Report // nil until the apply starts
	next                int              // entries applied so far
	stopped             string           // why the apply stopped before the end, if it did
	busy                bool             // a request is applying a chunk now
}

// jobStore reads and writes jobs through the uploads store.
type jobStore struct {
	st uploads.Store
}

func (js *jobStore) available() error {
	if js.st == nil {
		return licet.Errorf(licet.EUnavailable, "bulk assignment needs the upload store, which the console was not given")
	}
	return nil
}

// put stores a new job and its uploaded file; the job gets its id.
func (js *jobStore) put(ctx context.Context, j *bulkJob, content []byte) error {
	if err := js.available(); err != nil {
		return err
	}
	change, err := json.Marshal(j.change)
	if err != nil {
		return err
	}
	dry, err := json.Marshal(j.dry)
	if err != nil {
		return err
	}
	u := &uploads.Upload{Session: j.Session, Tenant: j.Tenant, FileName: j.FileName, Content: content, Change: change, DryRun: dry}
	if err := js.st.Put(ctx, u); err != nil {
		return err
	}
	j.ID = u.ID
	return nil
}

// errGone is the answer for a job that is not (or no longer) the caller's.
var errGone = licet.Errorf(licet.ENotFound, "this uploaded list is no longer kept (lists are kept 30 minutes, for the session that uploaded them): upload the file again")

// get returns the job of the session and tenant, extending its life; another session's job, an
// expired one and an unknown id are all ENotFound.
func (js *jobStore) get(ctx context.Context, id, session, tenant string) (*bulkJob, error) {
	if err := js.available(); err != nil {
		return nil, err
	}
	u, err := js.st.Get(ctx, id, session, tenant)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errGone
	}
	j := &bulkJob{ID: u.ID, Session: u.Session, Tenant: u.Tenant, FileName: u.FileName, next: u.Next, stopped: u.Stopped, busy: u.Busy}
	if j.list, err = listfile.ParseList(u.Content); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(u.Change, &j.change); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(u.DryRun, &j.dry); err != nil {
		return nil, err
	}
	if u.Applied != nil {
		if err := json.Unmarshal(u.Applied, &j.applied); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// startApply starts the job's apply report unless it has started.
func (js *jobStore) startApply(ctx context.Context, j *bulkJob) error {
	rep, err := json.Marshal(listfile.NewReport(j.list, false))
	if err != nil {
		return err
	}
	return js.st.StartApply(ctx, j.ID, rep)
}

// claim takes the lease of applying the chunk that starts at from.
func (js *jobStore) claim(ctx context.Context, id string, from int) (bool, error) {
	return js.st.Claim(ctx, id, from)
}

// finishStep records a chunk's outcome and releases the lease.
func (js *jobStore) finishStep(ctx context.Context, j *bulkJob) error {
	rep, err := json.Marshal(j.applied)
	if err != nil {
		return err
	}
	return js.st.Finish(ctx, j.ID, rep, j.next, j.stopped)
}

// release gives the lease back without recording anything (the chunk failed for a reason that
// may pass: it is applied again by the next step).
func (js *jobStore) release(ctx context.Context, id string) error {
	return js.st.Release(ctx, id)
}
