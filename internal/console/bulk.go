package console

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// The uploaded user lists of bulk assignment, kept between the dry run and the apply. The client
// only ever holds a random id: the list itself stays in this process's memory, bound to the
// session that uploaded it and to its tenant, and is forgotten 30 minutes after the upload or the
// last apply step. The store is bounded (maxJobs lists of at most maxBulkUsers users; a session
// keeps maxJobsPerSession), so uploads cannot grow the server's memory without end.

const (
	jobTTL            = 30 * time.Minute
	maxJobs           = 16
	maxJobsPerSession = 2
	maxBulkUsers      = 20_000
	bulkChunk         = 500     // users per apply step (one request, one AssignBatch)
	maxUpload         = 4 << 20 // bytes of an uploaded list (and the rest of its form)
)

// bulkJob is one uploaded list: the change chosen, the dry run's report and, once applied, the
// apply's report, built a chunk at a time.
type bulkJob struct {
	ID, Session, Tenant string
	FileName            string
	list                *listfile.List
	change              licet.LicenseChange

	expires time.Time // guarded by the store's mutex

	mu      sync.Mutex // guards what follows; held while a chunk is applied
	dry     *listfile.Report
	applied *listfile.Report // nil until the apply starts
	next    int              // entries applied so far
	stopped string           // why the apply stopped before the end, if it did
}

// jobStore holds the jobs by id.
type jobStore struct {
	mu   sync.Mutex
	now  func() time.Time
	jobs map[string]*bulkJob
}

func newJobStore(now func() time.Time) *jobStore {
	return &jobStore{now: now, jobs: map[string]*bulkJob{}}
}

// put stores a new job under a random id, making room: expired jobs go first, then the
// session's oldest beyond maxJobsPerSession, then the oldest of all.
func (st *jobStore) put(j *bulkJob) {
	var b [18]byte
	_, _ = rand.Read(b[:])
	j.ID = base64.RawURLEncoding.EncodeToString(b[:])
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	j.expires = now.Add(jobTTL)
	mine := 0
	for id, o := range st.jobs {
		switch {
		case !now.Before(o.expires):
			delete(st.jobs, id)
		case o.Session == j.Session:
			mine++
		}
	}
	for mine >= maxJobsPerSession {
		st.dropOldest(func(o *bulkJob) bool { return o.Session == j.Session })
		mine--
	}
	for len(st.jobs) >= maxJobs {
		st.dropOldest(func(*bulkJob) bool { return true })
	}
	st.jobs[j.ID] = j
}

func (st *jobStore) dropOldest(match func(*bulkJob) bool) {
	var oldest *bulkJob
	for _, o := range st.jobs {
		if match(o) && (oldest == nil || o.expires.Before(oldest.expires)) {
			oldest = o
		}
	}
	if oldest != nil {
		delete(st.jobs, oldest.ID)
	}
}

// get returns the job of the session and tenant, extending its life; another session's job, an
// expired one and an unknown id are all ENotFound.
func (st *jobStore) get(id, session, tenant string) (*bulkJob, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	j, ok := st.jobs[id]
	if ok && !now.Before(j.expires) {
		delete(st.jobs, id)
		ok = false
	}
	if !ok || j.Session != session || j.Tenant != tenant {
		return nil, licet.Errorf(licet.ENotFound, "this uploaded list is no longer kept (lists are kept 30 minutes, for the session that uploaded them): upload the file again")
	}
	j.expires = now.Add(jobTTL)
	return j, nil
}
