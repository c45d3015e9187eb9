package kms

import (
	"container/list"
	"time"

	"github.com/licet/licet"
)

// Window is how long a machine counts after its last request.
const Window = licet.KMSCountWindow

// pool counts the distinct machines seen in the last Window. Machines are kept in a list ordered
// by the time they were last seen (most recent at the back), so that expiring the ones older
// than the window is done from the front, and a request costs O(1) amortised. Memory is bounded
// by max entries: a new machine when the pool is full pushes out the least recently seen one,
// so the count then reads max (the cap is far above any threshold, see DefaultMaxTracked).
type pool struct {
	byID  map[string]*list.Element
	order *list.List // of *seen
	max   int
}

type seen struct {
	id string
	at time.Time
}

func newPool(max int) *pool {
	return &pool{byID: make(map[string]*list.Element), order: list.New(), max: max}
}

// touch records a request of machine id at now and returns the count after it.
func (p *pool) touch(id string, now time.Time) int {
	p.expire(now)
	if e, ok := p.byID[id]; ok {
		s := e.Value.(*seen)
		if now.After(s.at) {
			s.at = now
		}
		p.order.MoveToBack(e)
		return p.order.Len()
	}
	if p.order.Len() >= p.max {
		oldest := p.order.Front()
		delete(p.byID, oldest.Value.(*seen).id)
		p.order.Remove(oldest)
	}
	p.byID[id] = p.order.PushBack(&seen{id: id, at: now})
	return p.order.Len()
}

// load adds a machine seen at a time, from the stored table; call in increasing time order.
func (p *pool) load(id string, at, now time.Time) {
	if now.Sub(at) >= Window || p.byID[id] != nil {
		return
	}
	if p.order.Len() >= p.max {
		oldest := p.order.Front()
		delete(p.byID, oldest.Value.(*seen).id)
		p.order.Remove(oldest)
	}
	p.byID[id] = p.order.PushBack(&seen{id: id, at: at})
}

// count returns the machines seen in the window ending at now.
func (p *pool) count(now time.Time) int {
	p.expire(now)
	return p.order.Len()
}

// expire drops the machines last seen a Window or more before now.
func (p *pool) expire(now time.Time) {
	for e := p.order.Front(); e != nil; e = p.order.Front() {
		s := e.Value.(*seen)
		if now.Sub(s.at) < Window {
			return
		}
		delete(p.byID, s.id)
		p.order.Remove(e)
	}
}
