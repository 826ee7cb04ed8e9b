package amd64

import (
	"container/heap"
	"errors"
	"slices"

	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/reg"
)

// compile is avo's pass.Compile with two passes replaced: register
// allocation by allocateRegisters, which makes the same choices in time
// near linear in the function's size, and avo's removal of self-moves by
// pruneSelfMoves, which misses none.
var compile = pass.Concat(
	pass.Verify,
	pass.FunctionPass(pass.PruneJumpToFollowingLabel),
	pass.FunctionPass(pass.PruneDanglingLabels),
	pass.FunctionPass(pass.LabelTarget),
	pass.FunctionPass(pass.CFG),
	pass.InstructionPass(pass.ZeroExtend32BitOutputs),
	pass.FunctionPass(pass.Liveness),
	pass.FunctionPass(allocateRegisters),
	pass.FunctionPass(pass.BindRegisters),
	pass.FunctionPass(pass.VerifyAllocation),
	pass.FunctionPass(pass.EnsureBasePointerCalleeSaved),
	pass.Func(pass.IncludeTextFlagHeader),
	pass.FunctionPass(pruneSelfMoves),
	pass.FunctionPass(pass.RequiredISAExtensions),
)

// allocateRegisters assigns a physical register to every virtual one of
// fn exactly as avo's pass.AllocateRegisters does, but incrementally. avo
// colours the interference graph by repeatedly taking the virtual register
// with the fewest possible registers left (the smallest ID among equals)
// and giving it the first of them (by priority, then ID); before each
// choice it scans every edge of the graph to strike the registers taken
// by neighbours, so a function of V virtual registers and E interferences
// costs O(V·E): 40 of the 67 s the generator spent on a model of 32
// layers of 1024. Here each choice strikes its register from its own
// neighbours only, and a heap finds the next choice: O((V + E) log V),
// with the same result.
func allocateRegisters(fn *ir.Function) error {
	kinds := map[reg.Kind]*coloring{}
	var order []reg.Kind
	add := func(id reg.ID) *coloring {
		k := id.Kind()
		c, ok := kinds[k]
		if !ok {
			c = newColoring(k)
			kinds[k] = c
			order = append(order, k)
		}
		c.add(id)
		return c
	}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			add(r.ID())
		}
	}
	for _, i := range fn.Instructions() {
		for _, d := range i.OutputRegisters() {
			out := i.LiveOut.OfKind(d.Kind())
			out.DiscardRegister(d)
			for id, mask := range out {
				if d.Mask()&mask != 0 {
					c := add(d.ID())
					add(id)
					if err := c.interfere(d.ID(), id); err != nil {
						return err
					}
				}
			}
		}
	}
	fn.Allocation = reg.NewEmptyAllocation()
	for _, k := range order {
		if err := kinds[k].color(fn.Allocation); err != nil {
			return err
		}
	}
	return nil
}

// coloring is the interference graph of one kind of register.
type coloring struct {
	registers []reg.ID            // the allocatable registers, in the order of preference
	possible  map[reg.ID][]reg.ID // a virtual register's registers not yet struck
	adjacent  map[reg.ID][]reg.ID // a virtual register's virtual neighbours
}

// newColoring starts the graph of kind k: its family's registers but the
// restricted ones (the stack pointer), the base pointer last (it is
// callee-saved), then by ID, as avo prefers them.
func newColoring(k reg.Kind) *coloring {
	c := &coloring{possible: map[reg.ID][]reg.ID{}, adjacent: map[reg.ID][]reg.ID{}}
	base := map[reg.ID]bool{}
	for _, r := range reg.FamilyOfKind(k).Registers() {
		if r.Info()&reg.Restricted != 0 {
			continue
		}
		if !slices.Contains(c.registers, r.ID()) {
			c.registers = append(c.registers, r.ID())
		}
		if r.Info()&reg.BasePointer != 0 {
			base[r.ID()] = true
		}
	}
	slices.SortFunc(c.registers, func(a, b reg.ID) int {
		if base[a] != base[b] {
			if base[a] {
				return 1
			}
			return -1
		}
		return int(a) - int(b)
	})
	return c
}

// add records a virtual register to colour.
func (c *coloring) add(id reg.ID) {
	if _, ok := c.possible[id]; id.IsVirtual() && !ok {
		c.possible[id] = slices.Clone(c.registers)
	}
}

// interfere records that x and y must get different registers.
func (c *coloring) interfere(x, y reg.ID) error {
	switch {
	case x.IsVirtual() && y.IsVirtual():
		c.adjacent[x] = append(c.adjacent[x], y)
		c.adjacent[y] = append(c.adjacent[y], x)
	case x.IsVirtual():
		c.strike(x, y)
	case y.IsVirtual():
		c.strike(y, x)
	case x == y:
		return errors.New("impossible register allocation")
	}
	return nil
}

// strike removes register p from v's possible registers.
func (c *coloring) strike(v, p reg.ID) {
	if i := slices.Index(c.possible[v], p); i >= 0 {
		c.possible[v] = slices.Delete(c.possible[v], i, i+1)
	}
}

// color allocates every virtual register into a.
func (c *coloring) color(a reg.Allocation) error {
	h := &choices{}
	for v, ps := range c.possible {
		*h = append(*h, choice{left: len(ps), id: v})
	}
	heap.Init(h)
	for h.Len() > 0 {
		next := heap.Pop(h).(choice)
		ps, waiting := c.possible[next.id]
		if !waiting || len(ps) != next.left {
			continue // allocated already, or a stale count
		}
		if len(ps) == 0 {
			return errors.New("failed to allocate registers")
		}
		p := ps[0]
		a[next.id] = p
		delete(c.possible, next.id)
		for _, u := range c.adjacent[next.id] {
			if before, ok := c.possible[u]; ok {
				c.strike(u, p)
				if n := len(c.possible[u]); n != len(before) {
					heap.Push(h, choice{left: n, id: u})
				}
			}
		}
	}
	return nil
}

// choice is a virtual register waiting for a register, with how many it
// had left when queued.
type choice struct {
	left int
	id   reg.ID
}

// choices is a heap of choices: the fewest left first, then the
// smallest ID, as avo chooses.
type choices []choice

func (h choices) Len() int { return len(h) }
func (h choices) Less(i, j int) bool {
	return h[i].left < h[j].left || h[i].left == h[j].left && h[i].id < h[j].id
}
func (h choices) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *choices) Push(x any)   { *h = append(*h, x.(choice)) }
func (h *choices) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
