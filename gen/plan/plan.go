// Package plan decides what vecgen emits for a model: every kernel, its
// shapes, strides and tiles, as plain data. The emitters only render a Plan,
// so tests can inspect each decision without reading assembly.
package plan

import (
	"fmt"
	"strings"

	"github.com/vecgen/vecgen/spec"
)

// Op is the operation a kernel performs.
type Op int

// The operations, per dense layer unless noted.
const (
	Forward        Op = iota // Y = act(X·W + b)
	ActivationGrad           // d ← d ⊙ act′(Y), in place
	WeightGrad               // dW = Xᵀ·dZ, db = Σrows dZ
	InputGrad                // dX = dZ·Wᵀ (not for the first layer)
	BiasGrad                 // db = Σrows dZ alone, beside the halves of WeightGrad
	PartialForward           // P = X[:, half h]·W[half h, :]: half of the first layer's depth
	Combine                  // Y = act(P₀ + P₁ + b) on half of the batch's rows
	Loss                     // the model's loss and its gradient (one per model)
	// The optimizers, one per model, over all parameters as one vector.
	SGD      // p ← p − lr·(grad + wd·p)
	Momentum // v ← mu·v + g′, p ← p − lr·v
	Nesterov // v ← mu·v + g′, p ← p − lr·(g′ + mu·v)
	Adam     // Adam with L2 decay in the gradient
	AdamW    // Adam with decoupled weight decay
)

var opNames = [...]string{"Forward", "ActivationGrad", "WeightGrad", "InputGrad", "BiasGrad", "PartialForward", "Combine", "Loss", "SGD", "Momentum", "Nesterov", "Adam", "AdamW"}

// Optimizers lists the update kernels every model gets.
var Optimizers = []Op{SGD, Momentum, Nesterov, Adam, AdamW}

// IsOptimizer reports whether o updates the parameter vector.
func (o Op) IsOptimizer() bool { return o >= SGD }

func (o Op) String() string { return opNames[o] }

// ISA is an instruction-set tier every kernel is rendered for, with the
// facts the emitters and the tile choices depend on.
type ISA struct {
	Name      string // suffix of the assembly symbols: AVX2, AVX512, NEON
	Arch      string // the GOARCH its assembly is for
	Lanes     int    // float32 lanes in one vector register
	Registers int    // vector registers the tier may use
	Core      Core   // what the tile model assumes of the cores that run it
	// SoftmaxRow is the widest softmax row, in vectors, a kernel keeps in
	// registers (loaded once); a wider row takes three passes over memory.
	// With exp's temporaries, 4 leaves room in the 16 YMM registers.
	SoftmaxRow int
	// StreamStores is set when the tier writes a kernel's p with
	// non-temporal stores where the plan asks for them (Kernel.StreamParams).
	StreamStores bool
	// Packs is set when the tier's products whose B outgrows the caches
	// pack it (Impl.PackDepth); the others compute them in panels
	// (Impl.DepthBlock, Impl.ColBlock).
	Packs bool
	// Int8 is the tile of the tier's int8 kernels (Int8Kernel); zero when
	// the tier has none.
	Int8 Int8Tile
	// Frames is set when the tier's assembly may keep buffers in its own
	// stack frame (avo's functions); the arm64 writer's functions have
	// none, so their int8 kernels take their buffer from the caller
	// (Int8Impl.Scratch).
	Frames bool
}

// The tiers. AVX2 (with FMA) has 16 YMM registers of 8 lanes; AVX-512 has
// 32 ZMM registers of 16 lanes and the opmask registers K1–K7, which the
// kernels use for every partial vector. NEON (arm64's Advanced SIMD, in
// every arm64 CPU) has 32 V registers of 4 lanes and no masks: its partial
// vectors are moved in pieces of 2 and 1 floats. Its stores are regular:
// the non-temporal stores of the x86 tiers were measured to pay on x86
// only, and arm64's STNP is a hint whose effect on a line another core
// holds no arm64 machine here can measure.
var (
	AVX2   = ISA{Name: "AVX2", Arch: "amd64", Lanes: 8, Registers: 16, Core: x86Core, SoftmaxRow: 4, StreamStores: true, Packs: true, Frames: true}
	AVX512 = ISA{Name: "AVX512", Arch: "amd64", Lanes: 16, Registers: 32, Core: x86Core, SoftmaxRow: 4, StreamStores: true, Packs: true, Frames: true, Int8: avx512Int8}
	NEON   = ISA{Name: "NEON", Arch: "arm64", Lanes: 4, Registers: 32, Core: arm64Core, SoftmaxRow: 4, Int8: neonInt8}
)

// avx512Int8 is the AVX-512 tier's int8 tile (VNNI): 4 rows by 4
// vectors (64 outputs) keep 16 accumulators and the 4 vectors of weights
// of a group in registers; a row alone reads its weights from memory
// into 16 accumulators, 256 outputs a pass, so that the 4–5 cycles of
// VPDPBUSD's latency never stall one chain.
var avx512Int8 = Int8Tile{Rows: 4, Vecs: 4, OneRowVecs: 16}

// neonInt8 is the NEON tier's int8 tile (SDOT by element, ARMv8.2's
// dot product): 4 rows by 4 vectors (16 outputs) keep 16 accumulators,
// the 4 vectors of weights of a group and each row's 16 quantized inputs
// in registers; a row alone, 16 vectors (64 outputs) a pass.
var neonInt8 = Int8Tile{Rows: 4, Vecs: 4, OneRowVecs: 16}

// Tiers lists the tiers a plan renders, widest first: the order dispatch
// tries them in (a tier of another GOARCH is never tried).
var Tiers = []ISA{AVX512, AVX2, NEON}

// Impl is one kernel rendered for one tier: its assembly symbol and, for a
// product, the tile and the depth unrolling.
type Impl struct {
	ISA    ISA
	Asm    string // assembly symbol, e.g. fashionL1ForwardAVX2
	Tile   Tile   // zero when the kernel has no product
	Unroll int    // depth steps per loop iteration
	// DepthBlock and ColBlock split a product whose B reaches the tier's
	// Core.BlockBudget into panels of ColBlock columns by DepthBlock steps of
	// depth; zero when B is small enough to stay in L2 whole.
	DepthBlock, ColBlock int
	// PackDepth and PackRows, on the tiers with Packs set, replace the
	// panels: a product whose B reaches Core.BlockBudget copies B one
	// micro-panel (Tile.NR columns by PackDepth steps of depth) at a time
	// into a buffer in the kernel's frame, and every block of rows reads
	// it from there; A is copied too, PackRows of its rows by PackDepth
	// steps at a time (Gemm.PackedA). Zero when the product reads
	// its operands where they lie.
	PackDepth, PackRows int
	// PanelTranspose makes an InputGrad transpose w one panel of
	// Tile.NR of its rows at a time into the start of wt (Depth×NR floats:
	// 16 KB for spec/fashion.yaml's L2 on AVX-512, which stays in L1) and compute that
	// panel's columns of dx before the next, instead of writing all of wᵀ
	// first: on Zen 5 the whole transpose cost 5 µs of L2's 21 µs dX, most
	// of it moving wt through L2. A product in panels (NEON) keeps the
	// whole transpose, since its panels walk wᵀ in chunks of depth; a
	// packed one (x86) transposes w into its micro-panels instead.
	PanelTranspose bool
	// OneChain keeps every sum in one accumulator, in depth order, where a
	// one-row tile would split it over Chains sets: a serving kernel's
	// rows then equal the training Forward's bit for bit.
	OneChain bool
}

// Gemm is one matrix product C = A·B as the micro-kernel sees it: C is
// Rows×Cols, the sum runs over Depth, and element (r, d) of A lives at
// r·ARow + d·ADepth, element (d, c) of B at d·BDepth + c, element (r, c) of C
// at r·CRow + c (all in float32 elements). B and C are contiguous along c,
// which is the vectorized direction; A is read by broadcasts, so any strides
// serve. Forward, dW and dX are all this one shape with different strides.
type Gemm struct {
	Rows, Cols, Depth          int
	ARow, ADepth, BDepth, CRow int
}

// Flops is the number of floating-point operations of the product: 2·Rows·Cols·Depth.
func (g Gemm) Flops() int { return 2 * g.Rows * g.Cols * g.Depth }

// Kernel is one generated function.
type Kernel struct {
	Op     Op
	Layer  int    // 1-based; 0 for the loss
	Public string // exported Go name, e.g. FashionL1Forward
	Gemm   *Gemm  // the matrix product inside, if any
	Impls  []Impl // one per tier, in the order of Tiers
	// Activation of the layer: fused into the Forward store for identity and
	// relu; applied by a second pass over Y (hot in cache) for sigmoid, tanh
	// and softmax, whose exp needs more registers than the 16 − 12
	// accumulators a 6×16 tile leaves free.
	Activation spec.Activation
	Elements   int // elements an elementwise kernel touches (ActivationGrad, Loss, the optimizers)
	// Half marks the twin of a layer's kernel that does half its work, for
	// two workers sharing one batch: Forward, ActivationGrad and InputGrad
	// over half the batch's rows, WeightGrad over half of dW's rows (the
	// inputs) without db. Each half computes its outputs with the same
	// operations in the same order as the whole kernel, so two halves give
	// its result bit for bit.
	Half bool
	// Chunk marks an optimizer over one chunk of UpdateChunk parameters,
	// or over the shorter last chunk (Elements tells which).
	Chunk bool
	// StreamParams marks an optimizer that writes p with non-temporal
	// stores, past the caches, when p is aligned to a vector (regular
	// stores otherwise). The chunk optimizers do: workers that share a
	// step each read all of p, so each line the update writes is also in
	// another core's cache, from which a regular store must first take
	// it. Measured on Zen 5: a core's regular stores over 470 KB that the
	// other core had read took 70–75 µs, its non-temporal stores 15 µs.
	StreamParams bool
	// Rows, set on a serving Forward kernel, is the rows it computes, fewer
	// than the batch (see DefaultServe); 0 on every kernel of training.
	Rows int
	// FusedSGD marks the twin of a WeightGrad (whole or half) or BiasGrad
	// kernel that takes SGD's step with the gradient it computes instead
	// of writing the gradient out: p ← p − lr·(grad + decay·p) in place,
	// p the layer's w (a half's rows of it) and b, bit for bit what SGD
	// writes for those parameters. Each tile's epilogue loads the
	// parameters where the gradient's store would have gone, so a step of
	// plain SGD on one batch neither writes the gradient nor reads it
	// back: on spec/wide.yaml the separate check and update passes moved
	// 50 MB a step. The caller must know the gradient to be finite before
	// it calls them (nn bounds it from the magnitudes of x and dz), since
	// a step once taken cannot be taken back. A product that would add
	// chunks of depth into C takes its depth whole instead (Impl.PackDepth,
	// DepthBlock): C is the parameters, which must not hold partial sums.
	FusedSGD bool
}

// LastChunk reports whether the kernel is an optimizer over the last chunk
// of the parameters, shorter than UpdateChunk.
func (k *Kernel) LastChunk() bool { return k.Chunk && k.Elements != UpdateChunk }

// Impl returns the kernel's rendering for tier isa.
func (k *Kernel) Impl(isa ISA) *Impl {
	for i := range k.Impls {
		if k.Impls[i].ISA == isa {
			return &k.Impls[i]
		}
	}
	panic("plan: " + k.Public + " has no " + isa.Name + " rendering")
}

// Layer is one dense layer with the names the generated code gives it.
type Layer struct {
	spec.Layer
	Index int    // 1-based
	Name  string // "L1"
}

// Plan is everything the emitters need for one model.
type Plan struct {
	Model   *spec.Model
	Source  string // spec file name as given to the generator, for headers
	Package string // Go package name of the output
	Prefix  string // exported prefix: the model name
	Lower   string // unexported prefix and file base name: the model name in lower case
	Layers  []Layer
	Kernels []Kernel
	// Flush is set when every kernel runs with subnormals flushed to zero
	// (spec subnormals: flush): it sets MXCSR's FTZ and DAZ on entry and
	// restores the caller's MXCSR before it returns.
	Flush bool
	// Serve is the row counts below the batch that have serving Forward
	// kernels, largest first.
	Serve []int
	// Int8 is each layer's int8 forward kernel, in layer order.
	Int8 []Int8Kernel
}

// New plans a validated model. source names the spec in generated headers;
// pkg is the Go package the files belong to.
func New(m *spec.Model, source, pkg string) (*Plan, error) {
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("plan: model %s has no layers", m.Name)
	}
	p := &Plan{Model: m, Source: source, Package: pkg, Prefix: m.Name, Lower: strings.ToLower(m.Name), Flush: m.FlushesSubnormals()}
	for i, l := range m.Layers {
		p.Layers = append(p.Layers, Layer{Layer: l, Index: i + 1, Name: fmt.Sprintf("L%d", i+1)})
	}
	for _, l := range p.Layers {
		g := forwardGemm(m.Batch, l.Layer)
		p.add(Kernel{Op: Forward, Layer: l.Index, Activation: l.Activation, Gemm: &g})
		if hasElementwiseGrad(l.Activation) && !p.lossAbsorbs(l) {
			p.add(Kernel{Op: ActivationGrad, Layer: l.Index, Activation: l.Activation, Elements: m.Batch * l.Out})
		}
		// dW = Xᵀ·dZ: rows are the K inputs (stride 1 in X), depth the batch (stride K).
		p.add(Kernel{Op: WeightGrad, Layer: l.Index, Gemm: &Gemm{
			Rows: l.In, Cols: l.Out, Depth: m.Batch,
			ARow: 1, ADepth: l.In, BDepth: l.Out, CRow: l.Out,
		}})
		if l.Index > 1 {
			// dX = dZ·Wᵀ with Wᵀ (N×K) packed first, so B is contiguous along K.
			p.add(Kernel{Op: InputGrad, Layer: l.Index, Gemm: &Gemm{
				Rows: m.Batch, Cols: l.In, Depth: l.Out,
				ARow: l.Out, ADepth: 1, BDepth: l.In, CRow: l.In,
			}})
		}
	}
	if p.Halves() {
		for _, l := range p.Layers {
			p.addHalves(l)
		}
	}
	if p.SplitDepth() {
		p.addSplitDepth(p.Layers[0])
	}
	p.addFusedSGD()
	p.Serve = serveRows(m)
	for _, rows := range p.Serve {
		for _, l := range p.Layers {
			g := forwardGemm(rows, l.Layer)
			p.add(Kernel{Op: Forward, Layer: l.Index, Activation: l.Activation, Gemm: &g, Rows: rows})
		}
	}
	p.addInt8()
	p.add(Kernel{Op: Loss, Activation: p.Layers[len(p.Layers)-1].Activation, Elements: m.Batch * m.Output()})
	for _, op := range Optimizers {
		p.add(Kernel{Op: op, Elements: p.ParamCount()})
	}
	if p.Chunks() > 0 {
		for _, op := range Optimizers {
			p.add(Kernel{Op: op, Elements: UpdateChunk, Chunk: true, StreamParams: true})
			if rest := p.ParamCount() % UpdateChunk; rest != 0 {
				p.add(Kernel{Op: op, Elements: rest, Chunk: true, StreamParams: true})
			}
		}
	}
	return p, nil
}

// UpdateChunk is the length of the chunks of the parameter vector the
// optimizers also run over, one chunk per call, so that workers can share
// an update and each chunk of the gradient can be summed and checked while
// it is in cache. The update is elementwise, so the chunks give the whole
// update's result bit for bit. Each call costs about 0.2–0.8 µs more than
// its share of one whole call (measured on an Intel Xeon: 58 chunks of 4096
// made Adam over 235k parameters 40% slower, 15 chunks of 16384 10%), so the
// chunks are large and a single worker updates all at once.
const UpdateChunk = 16384

// Chunks is the number of chunks of the parameter vector, the last one
// shorter when UpdateChunk does not divide it; 0 when the vector is a
// single chunk and has no chunk kernels.
func (p *Plan) Chunks() int {
	if n := p.ParamCount(); n > UpdateChunk {
		return (n + UpdateChunk - 1) / UpdateChunk
	}
	return 0
}

// Halves reports whether every layer splits in two: an even batch and
// even inputs, each half at least 2 rows (a one-row product would take
// the matrix-vector tile, which sums in another order).
func (p *Plan) Halves() bool {
	if p.Model.Batch%2 != 0 || p.Model.Batch < 4 {
		return false
	}
	for _, l := range p.Layers {
		if l.In%2 != 0 || l.In < 4 {
			return false
		}
	}
	return true
}

// SplitDepth reports whether training computes the first layer's forward
// pass as two partial products over halves of its inputs, combined with
// the bias and activation: when the layers split in halves and the first
// layer is not the last (whose activation the loss may absorb). Each of
// two workers then reads and updates only its half of the first layer's
// rows of w, which never cross between cores; one worker runs both halves,
// so the result does not depend on the workers.
func (p *Plan) SplitDepth() bool { return p.Halves() && len(p.Layers) > 1 }

// addSplitDepth adds the first layer's partial products over each half of
// its inputs (x's columns and w's rows from h·In/2, strides of the whole
// arrays) and the combine of the two, over half of the batch's rows.
func (p *Plan) addSplitDepth(l Layer) {
	B := p.Model.Batch
	p.add(Kernel{Op: PartialForward, Layer: l.Index, Gemm: &Gemm{
		Rows: B, Cols: l.Out, Depth: l.In / 2,
		ARow: l.In, ADepth: 1, BDepth: l.Out, CRow: l.Out,
	}})
	p.add(Kernel{Op: Combine, Layer: l.Index, Activation: l.Activation, Elements: B / 2 * l.Out})
}

// Split reports whether the kernel does one of two halves of a layer's
// work, chosen by an index h its descriptor closure takes first.
func (k *Kernel) Split() bool { return k.Half || k.Op == PartialForward || k.Op == Combine }

// addHalves adds layer l's half kernels: the layer's products and
// activation gradient over half the rows, with the whole kernels' strides,
// and its bias gradient on its own.
func (p *Plan) addHalves(l Layer) {
	B := p.Model.Batch
	for _, k := range p.Kernels {
		if k.Layer != l.Index || k.Half {
			continue
		}
		if k.Op == Forward && l.Index == 1 && p.SplitDepth() {
			continue // training splits the first layer's depth instead
		}
		h := Kernel{Op: k.Op, Layer: k.Layer, Activation: k.Activation, Half: true}
		switch k.Op {
		case ActivationGrad:
			h.Elements = k.Elements / 2
		case Forward, InputGrad: // half of the batch's rows
			g := *k.Gemm
			g.Rows = B / 2
			h.Gemm = &g
		case WeightGrad: // half of the inputs' rows of dW
			g := *k.Gemm
			g.Rows = l.In / 2
			h.Gemm = &g
		}
		p.add(h)
	}
	p.add(Kernel{Op: BiasGrad, Layer: l.Index, Elements: B * l.Out})
}

// addFusedSGD adds the FusedSGD twins of every layer's WeightGrad and,
// with the halves, of its WeightGrad halves and BiasGrad, when every
// WeightGrad can take its depth whole (fusableDepth).
func (p *Plan) addFusedSGD() {
	for i := range p.Kernels {
		if k := &p.Kernels[i]; k.Op == WeightGrad && !fusableDepth(k) {
			return
		}
	}
	for _, l := range p.Layers {
		for _, k := range []*Kernel{p.Find(WeightGrad, l.Index), p.FindHalf(WeightGrad, l.Index), p.Find(BiasGrad, l.Index)} {
			if k != nil {
				twin := *k
				twin.Impls, twin.FusedSGD = nil, true
				p.add(twin)
			}
		}
	}
}

// FusesSGD reports whether the plan has the FusedSGD twins.
func (p *Plan) FusesSGD() bool { return p.FindFusedSGD(WeightGrad, 1, false) != nil }

// fusableDepth reports whether dW kernel k's product can take its depth
// (the batch) in one chunk, as a FusedSGD twin must: where k's packing
// cuts it into chunks, the whole depth of a micro-panel of B must stay
// within twice Core.PackBytes (64 KB, read from L2 where it outgrows L1),
// which with A's 384 KB keeps the twin's frame near the 448 KB
// TestPackedProducts holds the frames to. NEON reads B in place and takes
// any depth.
func fusableDepth(k *Kernel) bool {
	g := k.Gemm
	for _, m := range k.Impls {
		if m.PackDepth > 0 && m.PackDepth < g.Depth && 4*g.Depth*m.Tile.NR > 2*m.ISA.Core.PackBytes {
			return false
		}
	}
	return true
}

func (p *Plan) add(k Kernel) {
	name := p.Prefix
	if k.Layer > 0 {
		name += fmt.Sprintf("L%d", k.Layer)
	}
	k.Public = name + k.Op.String()
	if k.FusedSGD {
		k.Public += "SGD"
	}
	switch {
	case k.Half:
		k.Public += "Half"
	case k.LastChunk():
		k.Public += "LastChunk"
	case k.Chunk:
		k.Public += "Chunk"
	case k.Rows > 0:
		k.Public += fmt.Sprintf("Rows%d", k.Rows)
	}
	for _, isa := range Tiers {
		m := Impl{ISA: isa, Asm: strings.ToLower(k.Public[:1]) + k.Public[1:] + isa.Name}
		if k.Gemm != nil {
			m.Tile, m.Unroll = tile(isa, k.Gemm)
			if isa.Packs {
				m.PackDepth, m.PackRows = packing(k.Gemm, m.Tile, m.Unroll, isa.Core, k.FusedSGD)
			} else {
				m.DepthBlock, m.ColBlock = blocks(k.Gemm, m.Tile, isa.Core, k.FusedSGD)
			}
			m.PanelTranspose = k.Op == InputGrad && m.DepthBlock == 0 && m.PackDepth == 0
			m.OneChain = k.Rows > 0
		}
		k.Impls = append(k.Impls, m)
	}
	p.Kernels = append(p.Kernels, k)
}

func hasElementwiseGrad(a spec.Activation) bool { return Activations[a].Derivative != "" }

// PreActivation reports whether a layer with activation a keeps its
// pre-activation z = x·w + b: gelu′ and silu′ are functions of z, while
// every other derivative is a function of the output y.
func PreActivation(a spec.Activation) bool { return Activations[a].FromZ }

// ParamCount is the length of the model's parameter vector: for each layer
// in order, w (In×Out, row-major) then b (Out).
func (p *Plan) ParamCount() int {
	n := 0
	for _, l := range p.Layers {
		n += l.In*l.Out + l.Out
	}
	return n
}

// lossAbsorbs reports whether the loss gradient is already dZ of layer l:
// softmax + cross-entropy and sigmoid + binary cross-entropy fuse.
func (p *Plan) lossAbsorbs(l Layer) bool {
	if l.Index != len(p.Layers) {
		return false
	}
	return Losses[p.Model.Loss].Absorbs == l.Activation
}

// LossGivesDZ reports whether the loss kernel's gradient is with respect to
// the last layer's pre-activation Z (fused losses) rather than its output Y.
func (p *Plan) LossGivesDZ() bool { return p.lossAbsorbs(p.Layers[len(p.Layers)-1]) }

// Find returns the kernel for op on layer (0 for the loss), or nil.
func (p *Plan) Find(op Op, layer int) *Kernel { return p.find(op, layer, false, 0) }

// FindHalf returns the half kernel for op on layer, or nil.
func (p *Plan) FindHalf(op Op, layer int) *Kernel { return p.find(op, layer, true, 0) }

// find returns the kernel for op on layer, half or whole, over rows rows
// for a serving kernel (0 otherwise), that is no chunk optimizer.
func (p *Plan) find(op Op, layer int, half bool, rows int) *Kernel {
	for i := range p.Kernels {
		if k := &p.Kernels[i]; k.Op == op && k.Layer == layer && k.Half == half && !k.Chunk && k.Rows == rows && !k.FusedSGD {
			return k
		}
	}
	return nil
}

// FindFusedSGD returns the FusedSGD twin of op's kernel (WeightGrad or
// BiasGrad) on layer, half or whole, or nil.
func (p *Plan) FindFusedSGD(op Op, layer int, half bool) *Kernel {
	for i := range p.Kernels {
		if k := &p.Kernels[i]; k.Op == op && k.Layer == layer && k.Half == half && k.FusedSGD {
			return k
		}
	}
	return nil
}

// FindChunk returns optimizer op's kernel over a whole chunk (last false)
// or over the shorter last chunk (last true), or nil.
func (p *Plan) FindChunk(op Op, last bool) *Kernel {
	for i := range p.Kernels {
		if k := &p.Kernels[i]; k.Op == op && k.Chunk && k.LastChunk() == last {
			return k
		}
	}
	return nil
}

// Param is one argument of a kernel: a fixed-size float32 array passed by
// pointer, or (Len 0) a float32 scalar.
type Param struct {
	Name string
	Len  int    // elements; 0 for a scalar
	Size string // Len as Go source in terms of the generated shape constants
	Out  bool   // the kernel writes it
	// Step, for an argument of a half or chunk kernel that is a view into
	// the whole kernel's array, is the distance between consecutive views
	// in elements, as Go source: half h or chunk i starts at h·Step or
	// i·Step. Empty for an argument the halves share whole.
	Step string
}

// Batch, In and Out return the Go names of a model's shape constants.
func (p *Plan) Batch() string         { return p.Prefix + "Batch" }
func (p *Plan) In(layer int) string   { return fmt.Sprintf("%sL%dIn", p.Prefix, layer) }
func (p *Plan) Out(layer int) string  { return fmt.Sprintf("%sL%dOut", p.Prefix, layer) }
func (p *Plan) ParamsConst() string   { return p.Prefix + "Params" }
func (p *Plan) ChunkConst() string    { return p.Prefix + "UpdateChunk" }
func (p *Plan) layer(k *Kernel) Layer { return p.Layers[k.Layer-1] }
func (p *Plan) last() Layer           { return p.Layers[len(p.Layers)-1] }
func mul(a, b string) string          { return a + " * " + b }

// Params lists a kernel's arguments in call order.
func (p *Plan) Params(k *Kernel) []Param {
	B := p.Model.Batch
	if k.Op.IsOptimizer() {
		size, step := p.ParamsConst(), ""
		switch {
		case k.LastChunk():
			size, step = p.ParamsConst()+" % "+p.ChunkConst(), p.ChunkConst()
		case k.Chunk:
			size, step = p.ChunkConst(), p.ChunkConst()
		}
		vec := func(name string, out bool) Param {
			return Param{Name: name, Len: k.Elements, Size: size, Out: out, Step: step}
		}
		scalars := func(names ...string) []Param {
			var q []Param
			for _, n := range names {
				q = append(q, Param{Name: n})
			}
			return q
		}
		switch k.Op {
		case SGD:
			return append([]Param{vec("p", true), vec("grad", false)}, scalars("lr", "decay")...)
		case Momentum, Nesterov:
			return append([]Param{vec("p", true), vec("grad", false), vec("v", true)}, scalars("lr", "decay", "mu")...)
		default: // Adam, AdamW
			return append([]Param{vec("p", true), vec("grad", false), vec("m", true), vec("v", true)},
				scalars("lr", "decay", "beta1", "beta2", "eps", "c1", "c2")...)
		}
	}
	if k.Op == Loss {
		l := p.last()
		n := Param{Len: B * l.Out, Size: mul(p.Batch(), p.Out(l.Index))}
		y, t, d := n, n, n // t is named target: generated tests use t for *testing.T
		y.Name, t.Name, d.Name, d.Out = "y", "target", "d", true
		return []Param{y, t, d}
	}
	l := p.layer(k)
	K, N, i := l.In, l.Out, l.Index
	rows, rowsName := p.RowsOf(k)
	x := Param{Name: "x", Len: rows * K, Size: mul(rowsName, p.In(i))}
	w := Param{Name: "w", Len: K * N, Size: mul(p.In(i), p.Out(i))}
	b := Param{Name: "b", Len: N, Size: p.Out(i)}
	y := Param{Name: "y", Len: rows * N, Size: mul(rowsName, p.Out(i))}
	rename := func(q Param, name string, out bool) Param { q.Name, q.Out = name, out; return q }
	// x from the first column of half h of the inputs to the end of its
	// last row, for the kernels over half of the inputs.
	xs := Param{Name: "x", Len: B*K - K/2, Size: mul(p.Batch(), p.In(i)) + " - " + p.In(i) + "/2", Step: p.In(i) + " / 2"}
	sgd := []Param{{Name: "lr"}, {Name: "decay"}}
	if k.Half && k.Op == WeightGrad {
		// Rows k of dW for k in one half of the inputs: x from its first
		// column of that half to the end of its last row, and those rows of dw.
		dw := Param{Name: "dw", Len: K / 2 * N, Size: mul("("+p.In(i)+" / 2)", p.Out(i)), Out: true}
		dw.Step = dw.Size
		if k.FusedSGD { // those rows of w, updated
			return append([]Param{xs, rename(y, "dz", false), rename(dw, "w", true)}, sgd...)
		}
		return []Param{xs, rename(y, "dz", false), dw}
	}
	if k.Op == PartialForward {
		// x from column h·In/2 to the end of its last row, w's rows of
		// that half, and the whole partial product.
		wh := Param{Name: "w", Len: K / 2 * N, Size: mul("("+p.In(i)+" / 2)", p.Out(i))}
		wh.Step = wh.Size
		return []Param{xs, wh, rename(y, "p", true)}
	}
	if k.Half || k.Op == Combine { // the rows of the batch arrays
		x.Step, y.Step = x.Size, y.Size
	}
	switch k.Op {
	case BiasGrad:
		if k.FusedSGD {
			return append([]Param{rename(y, "dz", false), rename(b, "b", true)}, sgd...)
		}
		return []Param{rename(y, "dz", false), rename(b, "db", true)}
	case Forward:
		if PreActivation(l.Activation) {
			return []Param{x, w, b, rename(y, "z", true), rename(y, "y", true)}
		}
		return []Param{x, w, b, rename(y, "y", true)}
	case Combine:
		p0, p1 := rename(y, "p0", false), rename(y, "p1", false)
		if PreActivation(l.Activation) {
			return []Param{p0, p1, b, rename(y, "z", true), rename(y, "y", true)}
		}
		return []Param{p0, p1, b, rename(y, "y", true)}
	case ActivationGrad:
		if PreActivation(l.Activation) {
			return []Param{rename(y, "z", false), rename(y, "d", true)}
		}
		return []Param{y, rename(y, "d", true)}
	case WeightGrad:
		if k.FusedSGD {
			return append([]Param{x, rename(y, "dz", false), rename(w, "w", true), rename(b, "b", true)}, sgd...)
		}
		return []Param{x, rename(y, "dz", false), rename(w, "dw", true), rename(b, "db", true)}
	case InputGrad:
		wt := Param{Name: "wt", Len: K * N, Size: mul(p.Out(i), p.In(i)), Out: true}
		return []Param{rename(y, "dz", false), w, wt, rename(x, "dx", true)}
	}
	panic("plan: unknown op " + k.Op.String())
}

// RowsOf is the rows of the batch arrays (x, y, z, dz, dx) kernel k sees,
// and that count as Go source: the batch, half of it for the halves
// (but dW's, whose rows are the inputs) and the combine, or a serving
// kernel's rows.
func (p *Plan) RowsOf(k *Kernel) (int, string) {
	switch {
	case k.Rows > 0:
		return k.Rows, fmt.Sprint(k.Rows)
	case k.Half && k.Op != WeightGrad || k.Op == Combine:
		return p.Model.Batch / 2, "(" + p.Batch() + " / 2)"
	}
	return p.Model.Batch, p.Batch()
}

// Returns reports whether the kernel returns a float32 (the loss value).
func (k *Kernel) Returns() bool { return k.Op == Loss }
