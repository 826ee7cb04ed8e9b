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
// (which also lets them take turns when GOMAXPROCS is 1), and a worker
// goroutine that has had no task for idleSpin exits: the next step starts it
// again. Nothing is left running once training pauses.
const (
	spinYield = 1000                 // checks before a waiter starts yielding between them
	idleSpin  = 2 * time.Millisecond // how long a worker goroutine waits for its next task
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
	last := c.round.Load()
	round := (last/roundStep+1)*roundStep + uint64(active)
	c.round.Store(round)
	for _, w := range n.workers[1:active] {
		if !w.awake.Load() && w.awake.CompareAndSwap(false, true) {
			go w.serve(last)
		}
	}
	task(n.workers[0])
	spin(func() bool { return c.remaining.Load() == 0 })
}

// serve is a worker goroutine: it runs each round's task when the worker
// is among the round's active ones, and exits after idleSpin without one.
func (w *worker) serve(seen uint64) {
	n := w.net
	c := &n.crew
	idle := time.Now()
	for spins := 0; ; spins++ {
		if r := c.round.Load(); r != seen {
			seen = r
			if w.index < int(r%roundStep) {
				c.task(w)
				c.remaining.Add(-1)
			}
			spins, idle = 0, time.Now()
			continue
		}
		if spins < spinYield {
			continue
		}
		runtime.Gosched()
		if spins%256 == 0 && time.Since(idle) > idleSpin {
			w.awake.Store(false)
			// A round handed out just now either sees awake false and
			// starts a new goroutine, or is seen here.
			if c.round.Load() == seen || !w.awake.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// wait is the barrier between the phases of a task run by two workers: it
// returns once both have called it for the current phase.
func (c *crew) wait() {
	phase := c.phase.Load()
	if c.arrived.Add(1) == 2 {
		c.arrived.Store(0)
		c.phase.Add(1) // releases the other, which cannot arrive again before this
		return
	}
	spin(func() bool { return c.phase.Load() != phase })
}

// spin returns once done reports true, checking it spinYield times and
// then yielding the thread between checks.
func spin(done func() bool) {
	for spins := 0; !done(); spins++ {
		if spins >= spinYield {
			runtime.Gosched()
		}
	}
}
