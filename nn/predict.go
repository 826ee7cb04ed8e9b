package nn

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vecgen/vecgen/compiled"
)

// predictJob is one Predict call shared by the workspaces working on it:
// they take calls from next until none are left: the whole batches, then
// the rest's (cuts).
type predictJob struct {
	n       *Network
	x, out  []float32
	count   int   // samples
	batches int   // whole batches
	rest    []int // the calls after them, for the rows left (cuts.of)
	next    atomic.Int64
	wg      sync.WaitGroup
}

// calls is the number of kernel passes the job takes.
func (job *predictJob) calls() int { return job.batches + len(job.rest) }

// help works on ws.job as a helper goroutine.
func (ws *workspace) help() {
	job := ws.job
	job.work(ws)
	job.wg.Done()
}

// work runs the job's remaining calls through ws. Call t < batches is
// batch t; the rest start after the batches' rows, each after the rows
// of the calls before it.
func (job *predictJob) work(ws *workspace) {
	desc := &job.n.desc
	B, in, out := desc.Batch, desc.Input, desc.Output()
	for {
		t := int(job.next.Add(1)) - 1
		if t >= job.calls() {
			return
		}
		lo, pass, rows := t*B, -1, B
		if t >= job.batches {
			lo = job.batches * B
			for _, s := range job.rest[:t-job.batches] {
				lo += passRows(desc, int(s))
			}
			pass = int(job.rest[t-job.batches])
			rows = passRows(desc, pass)
		}
		// A call whose rows are all in x reads them there; one padded
		// with zero rows reads a copy in ws.x.
		count := min(rows, job.count-lo)
		x := ws.x[:rows*in]
		if count == rows {
			x = job.x[lo*in : (lo+rows)*in : (lo+rows)*in]
		} else {
			load(ws.x, job.x, wholeRows(0, rows, in), rowSource{lo: lo}, count)
		}
		y := ws.serve(pass, x, job.n.w, job.n.b)
		copy(job.out[lo*out:(lo+count)*out], y)
	}
}

// passRows is the rows of serving pass s, or of a batch for −1.
func passRows(desc *compiled.Network, s int) int {
	if s < 0 {
		return desc.Batch
	}
	return desc.Serving[s].Rows
}

// Predict writes the network's outputs for the samples in x (rows of Input
// features) to out (rows of Output values), which must have room for
// them. Any number of samples works: whole batches of Batch rows go
// through the training kernels, and the rows left through the generated
// serving kernels over fewer rows, cut as the plan's model of their
// times finds fastest (a call padded with zero rows only where that
// costs less than more calls). A sample's outputs do not depend on the
// number of samples or on the kernel that computed them, bit for bit.
// The calls are shared among up to Workers goroutines. Predict allocates
// nothing and is safe to call from many goroutines at once.
func (n *Network) Predict(x, out []float32) error {
	count, err := rows("x", x, n.desc.Input)
	if err != nil {
		return err
	}
	if len(out) < count*n.desc.Output() {
		return fmt.Errorf("nn: out has room for %d values, %d samples need %d", len(out), count, count*n.desc.Output())
	}
	if count == 0 {
		return nil
	}
	lead := <-n.infer
	defer func() { n.infer <- lead }()
	job := lead.own
	job.n, job.x, job.out, job.count = n, x, out, count
	job.batches, job.rest = count/n.desc.Batch, n.cuts.of(count%n.desc.Batch)
	job.next.Store(0)
	calls := job.calls()
	// Helpers are whichever other workspaces are idle now (up to 63, an
	// array on the stack): never waiting for one keeps concurrent callers
	// from deadlocking on each other.
	var idle [63]*workspace
	taken := 0
take:
	for taken < min(calls-1, len(idle)) {
		select {
		case ws := <-n.infer:
			ws.job = job
			idle[taken] = ws
			taken++
		default:
			break take
		}
	}
	helpers := idle[:taken]
	job.wg.Add(len(helpers))
	for _, ws := range helpers {
		go ws.run()
	}
	job.work(lead)
	job.wg.Wait()
	for _, ws := range helpers {
		ws.job = nil
		n.infer <- ws
	}
	return nil
}

// predictor is what Classify, Evaluate, ConfusionOf and RegressionOf need
// of a network, float32 (Network) or int8 (Quantized): the descriptor of
// its shapes and loss, and its Predict.
type predictor interface {
	Predict(x, out []float32) error
	shape() *compiled.Network
}

func (n *Network) shape() *compiled.Network { return &n.desc }

// Classify writes the predicted class of each sample in x to classes,
// which has one slot per sample: the largest output's index, or for a
// single sigmoid output 1 when it is at least 0.5. It allocates a buffer
// of len(classes)×Output floats.
func (n *Network) Classify(x []float32, classes []int) error { return classify(n, x, classes) }

func classify(p predictor, x []float32, classes []int) error {
	d := p.shape()
	count, err := rows("x", x, d.Input)
	if err != nil {
		return err
	}
	if len(classes) != count {
		return fmt.Errorf("nn: x holds %d samples, classes has %d slots; give one per sample", count, len(classes))
	}
	width := d.Output()
	out := make([]float32, count*width)
	if err := p.Predict(x, out); err != nil {
		return err
	}
	for i := range count {
		row := out[i*width : (i+1)*width]
		if width == 1 {
			classes[i] = 0
			if row[0] >= 0.5 {
				classes[i] = 1
			}
			continue
		}
		classes[i] = argmax(row)
	}
	return nil
}

// Metrics are a network's mean loss and accuracy over a set of samples.
// Accuracy is the fraction of rows whose largest output matches the
// target's (cross-entropy) or of outputs on the target's side of 0.5
// (binary cross-entropy); it is NaN for regression (mse).
type Metrics struct {
	Loss, Accuracy float64
}

// Evaluate returns the loss and accuracy on the samples x with targets y,
// computed in float64 from the network's predictions.
func (n *Network) Evaluate(x, y []float32) (Metrics, error) { return evaluate(n, x, y) }

func evaluate(p predictor, x, y []float32) (Metrics, error) {
	d := p.shape()
	count, err := checkData(d, x, y)
	if err != nil {
		return Metrics{}, err
	}
	if count == 0 {
		return Metrics{}, fmt.Errorf("nn: no samples to evaluate")
	}
	if err := checkTargets(d, y); err != nil {
		return Metrics{}, err
	}
	width := d.Output()
	out := make([]float32, count*width)
	if err := p.Predict(x, out); err != nil {
		return Metrics{}, err
	}
	spare := make([]float32, len(out))
	m := Metrics{Loss: lossOf(d.Loss, out, y, spare, count, width), Accuracy: accuracy(d.Loss, correct(d.Loss, out, y, width), count, width)}
	return m, nil
}
