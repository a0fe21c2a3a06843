package cloudfs

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
)

// Subtree scans: how fs.WalkDir costs about one flat listing.
//
// fs.WalkDir calls ReadDir once per directory. One delimiter listing per
// directory costs a round trip each (and, on servers without a key index,
// a pass over the whole bucket each), where a flat listing of the same
// keys costs one request per thousand keys. So ReadDir of a directory that
// no scan covers starts a scan: a flat (delimiter-free) listing of the
// directory's whole subtree, page by page. If the first page holds the
// whole subtree, ReadDir answers from it; otherwise ReadDir lists its own
// directory as before, and the scan stays ready for what a walk asks next.
// Services list keys in ascending order, so once a scan has listed past a
// directory's keys, that directory's listing is complete, and a ReadDir of
// any directory below the scan's root is answered from the keys the scan
// already holds, without a request.
//
// Bounds. A scan lists two pages and then waits (the second overlaps the
// ReadDir's own listing): it runs on only after a ReadDir has taken a
// listing from it (a walk is under way), and then at
// most scanAhead keys beyond the furthest listing taken, dropping keys the
// walk has passed. A ReadDir waits for a scan to reach its directory for at
// most scanWait pages, and then lists for itself. A scan idle for scanTTL
// ends.
//
// Consistency. Each directory's listing is taken from a scan at most once;
// a second ReadDir of it lists afresh. A listing is used only if nothing
// was written through any view of this FS since the scan started (every
// write ends all scans) and only if the keys it comes from were listed less
// than scanTTL ago; otherwise ReadDir lists afresh. So ReadDir always sees
// this program's own completed writes, and another writer's changes at most
// scanTTL late, the same bound the driver's own listing has for the pages
// of one delimiter listing taken that long.
const (
	scanPage  = 1000            // keys per flat list request
	scanAhead = 10 * scanPage   // keys a scan lists beyond the furthest listing taken
	scanWait  = 10              // pages a ReadDir lets a scan fetch before listing for itself
	scanTTL   = 5 * time.Second // age limit of listed keys, and idle limit of a scan
	maxScans  = 8               // scans kept at once; the oldest is ended
)

// listCache holds the subtree scans of one bucket, shared by all views.
type listCache struct {
	// byteOrder says the driver lists keys in ascending byte order, so a
	// scan that has not finished still tells which directories it has
	// passed. Otherwise only finished scans answer.
	byteOrder bool
	// fix, if set, corrects or drops listed objects (file:// links).
	fix func([]*blob.ListObject) []*blob.ListObject

	mu    sync.Mutex
	gen   uint64 // bumped by every write
	scans []*scan
	now   func() time.Time
	hits  int // listings answered from scans, for tests
}

func newListCache() *listCache { return &listCache{now: time.Now} }

// scan is a flat listing of every key below prefix. All fields but the
// immutable ones are guarded by listCache.mu.
type scan struct {
	prefix    string
	gen       uint64
	byteOrder bool
	cancel    context.CancelFunc
	wake      chan struct{} // buffered: tells a waiting fetcher to look again

	keys     []scanKey // ascending; keys[0] has absolute index dropped
	dropped  int       // keys dropped from the front
	fetched  int       // keys listed so far (absolute index of the next)
	pos      string    // the last key listed
	done     bool      // the listing is complete
	stopped  bool      // the scan ended early (idle, error, write, evicted)
	ordered  bool      // keys came in ascending order
	limit    int       // fetch while fetched < limit
	taken    map[string]bool
	progress chan struct{} // closed and replaced on every change
	listed   time.Time     // when the last page was listed
	last     time.Time     // last page listed or listing taken
}

type scanKey struct {
	obj *blob.ListObject
	at  time.Time // when its page was listed
}

// invalidate ends every scan; writes call it when done.
func (c *listCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, s := range c.scans {
		s.stop()
	}
	c.scans = nil
}

// stop ends s; the caller holds listCache.mu.
func (s *scan) stop() {
	if !s.stopped {
		s.stopped = true
		s.cancel()
		s.changed()
		s.poke() // a fetcher waiting for demand returns now
	}
}

// changed wakes everyone waiting on s; the caller holds listCache.mu.
func (s *scan) changed() {
	close(s.progress)
	s.progress = make(chan struct{})
}

// poke wakes the fetcher if it waits for a reason to go on.
func (s *scan) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// start begins a scan of the subtree at prefix, unless one exists.
func (c *listCache) start(ctx context.Context, b *blob.Bucket, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.scans = slices.DeleteFunc(c.scans, func(s *scan) bool {
		if s.stopped || now.Sub(s.last) >= scanTTL {
			s.stop()
			return true
		}
		return false
	})
	for _, s := range c.scans {
		if s.prefix == prefix && !s.taken[prefix] {
			return
		}
	}
	if len(c.scans) >= maxScans {
		c.scans[0].stop()
		c.scans = c.scans[1:]
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &scan{
		prefix: prefix, gen: c.gen, byteOrder: c.byteOrder, cancel: cancel, wake: make(chan struct{}, 1),
		ordered: true, limit: 2 * scanPage, taken: map[string]bool{},
		progress: make(chan struct{}), last: now,
	}
	c.scans = append(c.scans, s)
	go c.run(sctx, b, s)
}

// run lists s page by page while someone wants more.
func (c *listCache) run(ctx context.Context, b *blob.Bucket, s *scan) {
	token := blob.FirstPageToken
	idle := time.NewTimer(scanTTL)
	defer idle.Stop()
	for {
		c.mu.Lock()
		for !s.stopped && s.fetched >= s.limit {
			c.mu.Unlock()
			idle.Reset(scanTTL)
			select {
			case <-s.wake:
			case <-idle.C:
				c.mu.Lock()
				s.stop()
				c.mu.Unlock()
				return
			}
			c.mu.Lock()
		}
		stopped := s.stopped
		c.mu.Unlock()
		if stopped {
			return
		}
		objs, next, err := b.ListPage(ctx, token, scanPage, &blob.ListOptions{Prefix: s.prefix})
		if c.fix != nil {
			objs = c.fix(objs)
		}
		c.mu.Lock()
		if err != nil || s.gen != c.gen {
			s.stop()
			c.mu.Unlock()
			return
		}
		now := c.now()
		for _, o := range objs {
			if s.fetched > 0 && o.Key <= s.pos {
				s.ordered = false
			}
			s.keys = append(s.keys, scanKey{obj: o, at: now})
			s.pos = o.Key
			s.fetched++
		}
		s.listed, s.last = now, now
		s.done = len(next) == 0
		if s.done && !s.ordered {
			// fileblob lists in directory-walk order; lookups search by key.
			slices.SortFunc(s.keys, func(a, b scanKey) int { return strings.Compare(a.obj.Key, b.obj.Key) })
		}
		s.changed()
		c.mu.Unlock()
		if s.done {
			return
		}
		token = next
	}
}

// covers reports whether s holds every key below dir; the caller holds
// listCache.mu.
func (s *scan) covers(dir string) bool {
	if s.dropped > 0 && dir < s.keys[0].obj.Key {
		return false // its keys may have been dropped
	}
	if s.done {
		return true
	}
	if !s.byteOrder || !s.ordered || s.fetched == 0 {
		return false
	}
	// Past dir's keys: pos sorts after dir and does not start with it.
	i := 0
	for i < len(dir) && i < len(s.pos) && dir[i] == s.pos[i] {
		i++
	}
	if i == len(dir) || i == len(s.pos) || s.pos[i] < dir[i] {
		return false
	}
	// Services that order by UTF-16 (Azure) disagree with byte order
	// exactly where a character of U+E000–U+FFFF meets one above U+FFFF,
	// whose UTF-8 forms start with bytes 0xEE and up.
	return dir[i] < 0xEE && s.pos[i] < 0xEE
}

// lookup answers a listing of the directory at prefix dir from a scan,
// waiting for one that is on its way there; ok is false when none can.
func (c *listCache) lookup(ctx context.Context, dir string) (ents []fs.DirEntry, marker, ok bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	budget := map[*scan]int{} // the fetch limit this call allows each scan
	for {
		s := c.find(dir)
		if s == nil {
			return nil, false, false, nil
		}
		if s.covers(dir) {
			s.taken[dir] = true
			lo, _ := slices.BinarySearchFunc(s.keys, dir, func(k scanKey, d string) int { return strings.Compare(k.obj.Key, d) })
			hi := lo
			for hi < len(s.keys) && strings.HasPrefix(s.keys[hi].obj.Key, dir) {
				hi++
			}
			listed := s.listed
			if lo < len(s.keys) {
				listed = s.keys[lo].at // the oldest key that tells about dir
			}
			now := c.now()
			if now.Sub(listed) >= scanTTL {
				continue // too old; perhaps another scan has it
			}
			ents, marker = dirEntries(dir, s.keys[lo:hi])
			c.hits++
			s.last = now
			// A walk is under way: run ahead of it, and drop what it passed.
			s.limit = max(s.limit, s.dropped+hi+scanAhead)
			if lo > scanAhead && lo < len(s.keys) {
				s.keys = slices.Clone(s.keys[lo:]) // lets the dropped keys go
				s.dropped += lo
			}
			s.poke()
			return ents, marker, true, nil
		}
		if s.done || s.stopped || !s.ordered {
			s.taken[dir] = true // cannot help with dir
			continue
		}
		lim, seen := budget[s]
		if !seen {
			lim = s.fetched + scanWait*scanPage
			if s.prefix == dir {
				lim = scanPage // its first page, or nothing
			}
			budget[s] = lim
			s.limit = max(s.limit, lim)
			s.poke()
		}
		if s.fetched >= lim {
			s.taken[dir] = true
			continue
		}
		ch := s.progress
		c.mu.Unlock()
		select {
		case <-ch:
			c.mu.Lock()
		case <-ctx.Done():
			c.mu.Lock()
			return nil, false, false, ctx.Err()
		}
	}
}

// find returns the scan rooted nearest above dir that may still answer
// for it; the caller holds listCache.mu.
func (c *listCache) find(dir string) *scan {
	var best *scan
	for _, s := range c.scans {
		if s.gen != c.gen || s.taken[dir] || !strings.HasPrefix(dir, s.prefix) {
			continue
		}
		if s.stopped && !s.covers(dir) {
			continue
		}
		if best == nil || len(s.prefix) > len(best.prefix) {
			best = s
		}
	}
	return best
}

// dirEntries turns the keys below dir, ascending, into the entries a
// delimiter listing of dir returns.
func dirEntries(dir string, keys []scanKey) (ents []fs.DirEntry, marker bool) {
	lastDir := ""
	for _, k := range keys {
		obj := k.obj
		rel := obj.Key[len(dir):]
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			sub := dir + rel[:i+1]
			if sub == lastDir {
				continue
			}
			lastDir = sub
			obj = &blob.ListObject{Key: sub, IsDir: true}
		}
		e, m, ok := dirEntry(dir, obj)
		marker = marker || m
		if ok {
			ents = append(ents, e)
		}
	}
	sortEntries(&ents)
	return ents, marker
}
