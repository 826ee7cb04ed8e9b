package nn

// trainHalf is worker h's share (h = its index, 0 or 1) of a step of one
// tile that two workers split, through the layers' half kernels on worker
// 0's buffers (each worker transposes w into its own wt): half h of the
// batch's rows through the forward pass and dx, half h of the inputs'
// rows of each dw; the loss on worker 0 and the bias gradients on worker 1.
// With the split depth, the first layer's forward pass is instead half h
// of its inputs for every row, then half h of the rows of the combine.
// The workers meet wherever one reads what the other wrote: between the
// partial products and the combine, after the forward pass, after the
// loss, and before the dw, which read every row of the batch. Each half
// kernel computes its rows as the whole kernel does, and the partial
// products and combine are train's, so the gradient (or the fused SGD
// step) is bit for bit train's.
func (w *worker) trainHalf() {
	n, h := w.net, w.index
	d, lead, t := w.desc, n.workers[0], n.tiles[0] // worker 0 holds the buffers
	B := d.Batch
	load(lead.target, n.srcT, wholeRows(h*B/2, (h+1)*B/2, d.Output()), t.src, t.count)
	in, first := lead.workspace.x, 0
	if n.splitDepth {
		// Half h of the inputs' columns for every row, their product with
		// half h of the first layer's rows of w, then half h of the
		// batch's rows of the combine: this worker alone reads (here and
		// in dw) and updates those rows of w.
		l := d.Layers[0]
		load(lead.workspace.x, n.srcX, span{0, B, h * d.Input / 2, (h + 1) * d.Input / 2, d.Input}, t.src, t.count)
		l.PartialForward(h, lead.workspace.x, n.w[0], lead.part[h])
		n.crew.meet(w) // both partial products
		l.Combine(h, lead.part[0], lead.part[1], n.b[0], lead.z[0], lead.y[0])
		in, first = lead.y[0], 1
	} else {
		load(lead.workspace.x, n.srcX, wholeRows(h*B/2, (h+1)*B/2, d.Input), t.src, t.count)
	}
	for i := first; i < len(d.Layers); i++ {
		d.Layers[i].ForwardHalf(h, in, n.w[i], n.b[i], lead.z[i], lead.y[i])
		in = lead.y[i]
	}
	n.crew.meet(w) // the whole output
	if h == 0 {
		lead.loss(t)
	}
	last := len(d.Layers) - 1
	n.crew.meet(w) // the loss gradient
	if l := d.Layers[last]; l.ActivationGradHalf != nil {
		l.ActivationGradHalf(h, lead.z[last], lead.y[last], lead.d[last])
	}
	// Every dx before any dw, as train: each half's rows of d[i−1] come
	// from its rows of d[i] alone, so the halves need not meet.
	for i := last; i > 0; i-- {
		d.Layers[i].InputGradHalf(h, lead.d[i], n.w[i], w.wt[i], lead.d[i-1])
		if prev := d.Layers[i-1]; prev.ActivationGradHalf != nil {
			prev.ActivationGradHalf(h, lead.z[i-1], lead.y[i-1], lead.d[i-1])
		}
	}
	if n.fused {
		w.bound(lead.workspace, lead.d, h*B/2, (h+1)*B/2)
	}
	n.crew.meet(w) // every d, and both workers' bounds
	fused := n.fused && n.gradientBounded(t.loss)
	if h == 0 {
		n.fusedStep = fused
	}
	for i := last; i >= 0; i-- {
		l, in := d.Layers[i], lead.input(i)
		switch {
		case fused:
			l.WeightGradSGDHalf(h, in, lead.d[i], n.w[i], n.hyper.lr, n.hyper.decay)
			if h == 1 { // half 0 took the loss
				l.BiasGradSGD(lead.d[i], n.b[i], n.hyper.lr, n.hyper.decay)
			}
		default:
			l.WeightGradHalf(h, in, lead.d[i], t.gw[i])
			if h == 1 {
				l.BiasGrad(lead.d[i], t.gb[i])
			}
		}
	}
}
