package nn

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// FitConfig configures Fit.
type FitConfig struct {
	Epochs int // passes over the training samples; at least 1
	// ValX and ValY, when set, are evaluated after every epoch.
	ValX, ValY []float32
	// Progress receives a progress bar when it is a terminal and one line
	// per epoch otherwise; nil is silent.
	Progress io.Writer
	// NoShuffle keeps the samples in order; by default each epoch visits
	// them in a fresh order drawn from the network's seeded generator.
	NoShuffle bool
	// Schedule, when set, gives the learning rate of each epoch (1-based),
	// set before the epoch starts; see CosineDecay, WarmUp and StepDecay.
	Schedule func(epoch int) float32
	// Plateau, when set instead of Schedule, lowers the rate when the
	// monitored loss stops improving.
	Plateau *ReduceOnPlateau
	// EarlyStopping, when set, ends training when the monitored loss stops
	// improving and leaves the best epoch's weights.
	EarlyStopping *EarlyStopping
	// OnEpoch, when set, is called after each epoch; returning false stops
	// training early.
	OnEpoch func(Epoch) bool

	// InitialEpoch is the number of epochs already done: Fit runs epochs
	// InitialEpoch+1 to Epochs. Resume sets it from the checkpoint.
	InitialEpoch int
	// Checkpoint, when set, is a file Fit rewrites after every epoch with
	// what resuming needs (see SaveCheckpoint), Plateau and EarlyStopping
	// state included.
	Checkpoint string
	// Resume, when set, is a checkpoint Fit loads before training,
	// continuing after the epoch it records with the same data and
	// configuration (the worker count may differ): the weights it reaches
	// are those of an uninterrupted run, bit for bit. The step size and
	// the optimizer (rule, hyperparameters, configured rate) are checked
	// as LoadCheckpoint does, and the epochs done must be fewer than
	// Epochs. Progress, when set, gets a line saying what resumes.
	Resume string
}

// CosineDecay is the schedule lr·(1 + cos(π·(e−1)/epochs))/2: lr for the
// first epoch, falling smoothly towards 0 by the last (Loshchilov and
// Hutter's SGDR without restarts).
func CosineDecay(lr float32, epochs int) func(epoch int) float32 {
	return func(e int) float32 {
		return lr * float32(1+math.Cos(math.Pi*float64(e-1)/float64(epochs))) / 2
	}
}

// Epoch is the record of one pass over the training samples.
type Epoch struct {
	Epoch    int     // 1-based
	Loss     float64 // mean training loss over the epoch (each sample's loss before its step)
	Accuracy float64 // training accuracy over the epoch (NaN for mse)
	// Val is the validation loss and accuracy after the epoch; HasVal tells
	// whether FitConfig had validation samples.
	Val              Metrics
	HasVal           bool
	LR               float32 // the learning rate of the epoch
	Samples          int
	Duration         time.Duration // training only, without validation
	SamplesPerSecond float64
}

// String is the epoch's line of Fit's plain progress output.
func (e Epoch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d: loss %.4f", e.Epoch, e.Loss)
	if !math.IsNaN(e.Accuracy) {
		fmt.Fprintf(&b, " accuracy %.4f", e.Accuracy)
	}
	if e.HasVal {
		fmt.Fprintf(&b, ", val loss %.4f", e.Val.Loss)
		if !math.IsNaN(e.Val.Accuracy) {
			fmt.Fprintf(&b, " val accuracy %.4f", e.Val.Accuracy)
		}
	}
	fmt.Fprintf(&b, ", %s samples/s, %s", formatRate(e.SamplesPerSecond), formatDuration(e.Duration))
	return b.String()
}

// formatRate writes a rate with three significant digits and a k or M
// suffix: 950, 12.3k, 4.44M.
func formatRate(r float64) string {
	switch {
	case r >= 999.5e3:
		return fmt.Sprintf("%.3gM", r/1e6)
	case r >= 999.5:
		return fmt.Sprintf("%.3gk", r/1e3)
	}
	return fmt.Sprintf("%.3g", r)
}

// formatDuration rounds d to three significant digits, so a short epoch
// reads 412µs or 3.21ms rather than 0s.
func formatDuration(d time.Duration) string {
	for unit := time.Duration(1); unit < time.Hour; unit *= 10 {
		if d < 1000*unit {
			return d.Round(unit).String()
		}
	}
	return d.Round(time.Second).String()
}

// Fit trains on the samples x (rows of Input features) with targets y
// (rows of Output values) for cfg.Epochs epochs of steps of StepSize()
// samples, the last step of an epoch taking what remains. It returns the
// record of every epoch run, after those of the run it resumes (its
// checkpoint keeps the last MaxCheckpointHistory), so that a resumed
// run's log and curves hold the whole story. NaN or infinite samples, targets or
// validation data are errors before any step; a step whose loss or
// gradient is not finite (a learning rate from cfg.Schedule that diverges,
// say) ends Fit with an error naming it, and the network keeps the
// parameters and optimizer state it had before that step.
func (n *Network) Fit(x, y []float32, cfg FitConfig) ([]Epoch, error) {
	count, err := n.checkData(x, y)
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, fmt.Errorf("nn: no samples to train on")
	}
	if cfg.Epochs < 1 {
		return nil, fmt.Errorf("nn: Fit needs at least one epoch, got %d", cfg.Epochs)
	}
	if cfg.Schedule != nil && cfg.Plateau != nil {
		return nil, fmt.Errorf("nn: set Schedule or Plateau, not both")
	}
	if cfg.Plateau != nil {
		if err := cfg.Plateau.check(); err != nil {
			return nil, err
		}
	}
	if s := cfg.EarlyStopping; s != nil && (s.Patience < 1 || !(s.MinDelta >= 0)) {
		return nil, fmt.Errorf("nn: EarlyStopping needs Patience ≥ 1 and MinDelta ≥ 0")
	}
	if err := n.checkTargets(y); err != nil {
		return nil, err
	}
	if err := n.checkFinite(x, y); err != nil {
		return nil, err
	}
	hasVal := cfg.ValX != nil || cfg.ValY != nil
	if hasVal {
		valCount, err := n.checkData(cfg.ValX, cfg.ValY)
		if err == nil && valCount == 0 {
			err = fmt.Errorf("nn: no validation samples (leave ValX and ValY nil to train without)")
		}
		if err == nil {
			err = n.checkFinite(cfg.ValX, cfg.ValY)
		}
		if err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
	}
	if hasVal {
		if err := n.checkTargets(cfg.ValY); err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
	}
	var resumed []Epoch // the history a checkpoint recorded
	if cfg.Resume != "" {
		c, err := n.readCheckpoint(cfg.Resume, cfg.Plateau != nil, cfg.EarlyStopping != nil)
		if err != nil {
			return nil, err
		}
		if done := c.rec.Epoch; done >= cfg.Epochs {
			return nil, fmt.Errorf("nn: %s records %d epochs done; FitConfig.Epochs is %d, which leaves none to train (set it above %d)", cfg.Resume, done, cfg.Epochs, done)
		}
		n.restore(c, cfg.Plateau, cfg.EarlyStopping)
		cfg.InitialEpoch = c.rec.Epoch
		resumed = epochsOf(c.rec.History)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "resuming %s after epoch %d of %d: %s at learning rate %v, step %d\n",
				cfg.Resume, cfg.InitialEpoch, cfg.Epochs, encodeOptimizer(n.opt).Rule, n.opt.learningRate(), n.step)
		}
	}
	if cfg.InitialEpoch < 0 {
		return nil, fmt.Errorf("nn: InitialEpoch %d is negative", cfg.InitialEpoch)
	}
	if cfg.InitialEpoch >= cfg.Epochs {
		return nil, fmt.Errorf("nn: FitConfig.InitialEpoch is %d of FitConfig.Epochs %d, which leaves none to train", cfg.InitialEpoch, cfg.Epochs)
	}
	idx := make([]int, count)
	bar := newProgress(cfg.Progress, cfg.Epochs, count)
	history := resumed
	for e := cfg.InitialEpoch + 1; e <= cfg.Epochs; e++ {
		// Each epoch shuffles the identity, so an epoch's order depends
		// only on the generator's state, which checkpoints keep.
		for i := range idx {
			idx[i] = i
		}
		if !cfg.NoShuffle {
			n.rng.Shuffle(count, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		}
		if cfg.Schedule != nil {
			if err := n.SetLearningRate(cfg.Schedule(e)); err != nil {
				return history, fmt.Errorf("epoch %d: %w", e, err)
			}
		}
		if p := cfg.Plateau; p != nil && p.state.LR > 0 {
			if err := n.SetLearningRate(p.state.LR); err != nil {
				return history, fmt.Errorf("epoch %d: %w", e, err)
			}
		}
		start := time.Now()
		var loss float64
		var right int
		for lo := 0; lo < count; lo += n.StepSize() {
			hi := min(lo+n.StepSize(), count)
			l, r, err := n.trainStep(x, y, idx, lo, hi)
			if err != nil {
				return history, fmt.Errorf("epoch %d, step %d (samples %d to %d of the epoch): %w", e, lo/n.StepSize()+1, lo, hi-1, err)
			}
			loss += l * float64(hi-lo)
			right += r
			bar.step(e, hi, loss/float64(hi))
		}
		ep := Epoch{Epoch: e, Loss: loss / float64(count), Accuracy: accuracy(n.desc.Loss, right, count, n.desc.Output()),
			LR: n.opt.learningRate(), Samples: count, Duration: time.Since(start), HasVal: hasVal}
		ep.SamplesPerSecond = float64(count) / ep.Duration.Seconds()
		if hasVal {
			if ep.Val, err = n.Evaluate(cfg.ValX, cfg.ValY); err != nil {
				return history, err
			}
		}
		history = append(history, ep)
		bar.epoch(ep)
		monitored := ep.Loss
		if hasVal {
			monitored = ep.Val.Loss
		}
		if cfg.Plateau != nil {
			cfg.Plateau.observe(monitored, ep.LR)
		}
		stop := cfg.EarlyStopping != nil && cfg.EarlyStopping.observe(e, monitored, n.params)
		if cfg.Checkpoint != "" {
			if err := n.saveCheckpoint(cfg.Checkpoint, e, cfg.Plateau, cfg.EarlyStopping, history); err != nil {
				return history, err
			}
		}
		if stop {
			bar.stopped(e, cfg.EarlyStopping, hasVal)
			break
		}
		if cfg.OnEpoch != nil && !cfg.OnEpoch(ep) {
			break
		}
	}
	if s := cfg.EarlyStopping; s != nil {
		if last := len(history); last > 0 && s.BestEpoch() != history[last-1].Epoch {
			bar.kept(s, hasVal)
		}
		s.restore(n.params)
	}
	return history, nil
}

// progress draws Fit's output: a bar redrawn in place on a terminal, or one
// line per epoch.
type progress struct {
	w             io.Writer
	tty           bool
	epochs, count int
	last          time.Time // of the last redraw
}

func newProgress(w io.Writer, epochs, count int) *progress {
	p := &progress{w: w, epochs: epochs, count: count}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// stopped says that early stopping ended training after epoch e.
func (p *progress) stopped(e int, s *EarlyStopping, val bool) {
	if p.w == nil {
		return
	}
	by := ""
	if s.MinDelta > 0 {
		by = fmt.Sprintf(" by more than %v", s.MinDelta)
	}
	fmt.Fprintf(p.w, "early stopping after epoch %d: the %s loss has not fallen%s for %d epochs\n", e, monitoredName(val), by, s.Patience)
}

// kept says which epoch's weights early stopping keeps, when not the last.
func (p *progress) kept(s *EarlyStopping, val bool) {
	if p.w != nil {
		fmt.Fprintf(p.w, "kept the weights of epoch %d, of the lowest %s loss (%.4f)\n", s.BestEpoch(), monitoredName(val), s.state.Best)
	}
}

// monitoredName names the loss Plateau and EarlyStopping watch.
func monitoredName(val bool) string {
	if val {
		return "validation"
	}
	return "training"
}

// step redraws the bar, at most ten times a second.
func (p *progress) step(epoch, done int, loss float64) {
	if p.w == nil || !p.tty {
		return
	}
	now := time.Now()
	if done == p.count || now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		const width = 30
		filled := width * done / p.count
		fmt.Fprintf(p.w, "\repoch %d/%d [%s%s] %d/%d loss %.4f", epoch, p.epochs,
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, p.count, loss)
	}
}

// epoch prints the finished epoch's line (over the bar on a terminal).
func (p *progress) epoch(e Epoch) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "%s\n", e)
}
