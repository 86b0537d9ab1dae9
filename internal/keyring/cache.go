package keyring

import (
	"container/list"
	"crypto/cipher"
	"time"
)

// cacheEntry is what the keyring knows about one client: either its data key
// (ready as an AEAD) or that it was erased.
type cacheEntry struct {
	clientID string
	key      []byte
	aead     cipher.AEAD
	erased   bool
	expires  time.Time
}

// lru is a bounded least-recently-used cache with a time to live. It is not
// safe for concurrent use: the Keyring's mutex guards it.
type lru struct {
	max   int
	ttl   time.Duration
	order *list.List // of *cacheEntry, most recently used first
	byID  map[string]*list.Element
}

func newLRU(max int, ttl time.Duration) *lru {
	return &lru{max: max, ttl: ttl, order: list.New(), byID: make(map[string]*list.Element)}
}

func (c *lru) get(clientID string, now time.Time) (*cacheEntry, bool) {
	el, ok := c.byID[clientID]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.removeElement(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e, true
}

// put stores e, replacing any entry for the same client, and drops the least
// recently used entries beyond the bound.
func (c *lru) put(e *cacheEntry, now time.Time) {
	if c.max <= 0 {
		return
	}
	e.expires = now.Add(c.ttl)
	if el, ok := c.byID[e.clientID]; ok {
		if old := el.Value.(*cacheEntry); old != e {
			clear(old.key)
		}
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.byID[e.clientID] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		c.removeElement(c.order.Back())
	}
}

func (c *lru) remove(clientID string) {
	if el, ok := c.byID[clientID]; ok {
		c.removeElement(el)
	}
}

func (c *lru) contains(clientID string) bool {
	_, ok := c.byID[clientID]
	return ok
}

func (c *lru) len() int { return c.order.Len() }

func (c *lru) clear() {
	for c.order.Len() > 0 {
		c.removeElement(c.order.Back())
	}
}

// removeElement drops an entry and clears its copy of the key bytes. The AEAD
// keeps its own expanded key until the garbage collector frees it: Go offers
// no way to wipe that, so erasure of memory is best effort.
func (c *lru) removeElement(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.byID, e.clientID)
	clear(e.key)
}
