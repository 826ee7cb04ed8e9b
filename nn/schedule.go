package nn

import (
	"fmt"
	"math"
	"slices"
)

// WarmUp is a linear warm-up: lr·e/epochs for the first epochs epochs,
// then after(e) (after nil keeps lr). Chain it with CosineDecay or
// StepDecay: WarmUp(lr, 3, CosineDecay(lr, total)).
func WarmUp(lr float32, epochs int, after func(epoch int) float32) func(epoch int) float32 {
	return func(e int) float32 {
		if e <= epochs {
			return lr * float32(e) / float32(epochs)
		}
		if after == nil {
			return lr
		}
		return after(e)
	}
}

// StepDecay multiplies lr by gamma every every epochs:
// lr·gamma^⌊(e−1)/every⌋ (PyTorch's StepLR).
func StepDecay(lr float32, every int, gamma float64) func(epoch int) float32 {
	every = max(every, 1)
	return func(e int) float32 {
		return float32(float64(lr) * math.Pow(gamma, float64((e-1)/every)))
	}
}

// ReduceOnPlateau multiplies the learning rate by Factor when the
// monitored loss (the validation loss when Fit has validation samples,
// else the training loss) has not improved on its best by a relative
// Threshold for more than Patience epochs, never going below MinLR
// (PyTorch's ReduceLROnPlateau in "min" mode). Give it to Fit as
// FitConfig.Plateau; it starts from the optimizer's learning rate, and its
// state is saved in Fit's checkpoints.
type ReduceOnPlateau struct {
	Factor    float64 // in (0, 1); 0 means 0.1
	Patience  int     // epochs without improvement tolerated; 0 means none
	Threshold float64 // relative improvement that counts; 0 means 1e-4
	MinLR     float32

	state plateauState
}

type plateauState struct {
	Best float64 `json:"best"` // meaningful when Seen
	Seen bool    `json:"seen"`
	Bad  int     `json:"bad"`
	LR   float32 `json:"lr"` // the rate for the next epoch; 0 before the first
}

// observe records an epoch's monitored loss and returns the rate for the
// next epoch.
func (p *ReduceOnPlateau) observe(loss float64, lr float32) float32 {
	factor, threshold := p.Factor, p.Threshold
	if factor == 0 {
		factor = 0.1
	}
	if threshold == 0 {
		threshold = 1e-4
	}
	s := &p.state
	if !s.Seen || loss < s.Best*(1-threshold) {
		s.Best, s.Seen, s.Bad = loss, true, 0
	} else if s.Bad++; s.Bad > p.Patience {
		lr = max(float32(float64(lr)*factor), p.MinLR)
		s.Bad = 0
	}
	s.LR = lr
	return lr
}

func (p *ReduceOnPlateau) check() error {
	if !(p.Factor >= 0 && p.Factor < 1) || p.Patience < 0 || !(p.Threshold >= 0 && p.Threshold < 1) || !(p.MinLR >= 0) {
		return fmt.Errorf("nn: ReduceOnPlateau needs Factor and Threshold in [0, 1) and Patience and MinLR ≥ 0")
	}
	return nil
}

// EarlyStopping ends Fit when the monitored loss (the validation loss when
// Fit has validation samples, else the training loss) has not improved on
// its best by more than MinDelta for Patience epochs, and leaves the
// network with the weights of its best epoch (Keras's EarlyStopping with
// restore_best_weights). The optimizer's state stays that of the last
// epoch. Its state is saved in Fit's checkpoints.
type EarlyStopping struct {
	Patience int // at least 1
	MinDelta float64

	state stopState
	best  []float32 // the parameters after the best epoch
}

type stopState struct {
	Best      float64 `json:"best"`
	BestEpoch int     `json:"best_epoch"` // 0: none yet
	Bad       int     `json:"bad"`
}

// observe records an epoch and reports whether training should stop.
func (s *EarlyStopping) observe(epoch int, loss float64, params []float32) bool {
	st := &s.state
	if st.BestEpoch == 0 || loss < st.Best-s.MinDelta {
		st.Best, st.BestEpoch, st.Bad = loss, epoch, 0
		s.best = append(s.best[:0], params...)
		return false
	}
	st.Bad++
	return st.Bad >= s.Patience
}

// restore copies the best epoch's parameters into params.
func (s *EarlyStopping) restore(params []float32) {
	if s.state.BestEpoch > 0 && len(s.best) == len(params) && !slices.Equal(s.best, params) {
		copy(params, s.best)
	}
}

// BestEpoch is the epoch whose weights Fit kept (0 before any).
func (s *EarlyStopping) BestEpoch() int { return s.state.BestEpoch }
