package nn

import (
	"runtime"
	"sync/atomic"
	"time"
)

// The workers of a step run as a crew: worker 0 on the goroutine that
// called the step, the others on goroutines that stay awake between tasks.
// Handing a goroutine work through a channel or a WaitGroup costs the wake-up
// of a parked thread, measured here at about 100 µs (a virtual CPU woken from
// idle), a fifth of a 64-sample step; so the workers wait by spinning on
// atomic counters instead, yielding their thread after spinYield checks
// (which also lets them take turns when GOMAXPROCS is 1). A wait that
// outlasts spinWait (the other worker's thread descheduled: more workers
// than cores, or a busy machine) goes to sleep until woken, so that it does
// not take the cores the others need. A worker goroutine that has had no
// task for idleSpin exits: the next step starts it again. Nothing is left
// running once training pauses.
const (
	spinYield = 1000                   // checks before a waiter starts yielding between them
	spinWait  = 100 * time.Microsecond // how long a waiter spins before it sleeps
	idleSpin  = 2 * time.Millisecond   // how long a worker goroutine waits for its next task
)

// roundStep separates the rounds in crew.round; above MaxWorkers.
const roundStep = 1 << 16

// crew is the state the workers of a step share.
type crew struct {
	// round is advanced by worker 0 to hand out a task: the round's number
	// times roundStep plus its number of active workers, read in one load
	// so that a worker left out of a round never mistakes the next
	// round's count for its own.
	round     atomic.Uint64
	task      func(*worker) // the current round's task, set before round advances
	remaining atomic.Int32  // tasks of the round not yet finished by workers 1…
	// A barrier between the phases of a task: the workers that arrived at
	// the current phase, and the phases passed.
	arrived atomic.Int32
	phase   atomic.Uint32
}

// parallel runs task on the step's active workers, worker 0 on the calling
// goroutine, and returns when all have finished. Nothing is allocated
// while the worker goroutines are awake.
func (n *Network) parallel(task func(*worker)) {
	c := &n.crew
	active := n.activeWorkers
	c.task = task
	c.remaining.Store(int32(active - 1))
	c.round.Store((c.round.Load()/roundStep+1)*roundStep + uint64(active))
	for _, w := range n.workers[1:active] {
		if !w.awake.Load() && w.awake.CompareAndSwap(false, true) {
			go w.serve()
		}
	}
	task(n.workers[0])
	n.workers[0].sleeper.wait(func() bool { return c.remaining.Load() == 0 })
}

// serve is a worker goroutine: it runs each round's task when the worker
// is among the round's active ones, and exits after idleSpin without one.
// At most one goroutine serves a worker: the one that set awake. The last
// round it saw is kept in the worker, so that a goroutine that takes over
// never runs a round another already served.
func (w *worker) serve() {
	n := w.net
	c := &n.crew
	seen, idle := w.seen.Load(), time.Now()
	for spins := 0; ; spins++ {
		if r := c.round.Load(); r != seen {
			seen = r
			w.seen.Store(r)
			if w.index < int(r%roundStep) {
				c.task(w)
				if c.remaining.Add(-1) == 0 {
					n.workers[0].sleeper.notify()
				}
				idle = time.Now()
			}
			spins = 0
			continue
		}
		if spins < spinYield {
			continue
		}
		runtime.Gosched()
		if spins%256 == 0 && time.Since(idle) > idleSpin {
			w.awake.Store(false)
			// A round handed out just now either sees awake false and
			// starts a new goroutine, or is seen here. Between the two
			// lines, another goroutine may have served and left: take
			// over from the round it saw.
			if c.round.Load() == seen || !w.awake.CompareAndSwap(false, true) {
				return
			}
			seen, idle = w.seen.Load(), time.Now()
		}
	}
}

// meet is the barrier between the phases of a task run by two workers, w
// one of them: it returns once both have called it for the current phase.
func (c *crew) meet(w *worker) {
	phase := c.phase.Load()
	if c.arrived.Add(1) == 2 {
		c.arrived.Store(0)
		c.phase.Add(1) // releases the other, which cannot arrive again before this
		w.net.workers[1-w.index].sleeper.notify()
		return
	}
	w.sleeper.wait(func() bool { return c.phase.Load() != phase })
}

// sleeper is how a worker waits: spinning, then asleep on wake until a
// notify.
type sleeper struct {
	asleep atomic.Bool
	wake   chan struct{} // buffered: a notify never blocks
}

func newSleeper() sleeper { return sleeper{wake: make(chan struct{}, 1)} }

// wait returns once done reports true: it checks spinYield times, then
// yields the thread between checks, and after spinWait sleeps until
// notify. A notify meant for an earlier wait may end a sleep early; the
// loop checks done again.
func (s *sleeper) wait(done func() bool) {
	var start time.Time
	for spins := 0; !done(); spins++ {
		switch {
		case spins < spinYield:
			continue
		case spins == spinYield:
			start = time.Now()
		case spins%64 == 0 && time.Since(start) > spinWait:
			s.asleep.Store(true)
			if !done() { // a notify after this check finds asleep set
				<-s.wake
			}
			s.asleep.Store(false)
			continue
		}
		runtime.Gosched()
	}
}

// notify wakes the sleeper if it is asleep, after the caller has made its
// done true.
func (s *sleeper) notify() {
	if s.asleep.Load() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
