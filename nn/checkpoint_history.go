package nn

import (
	"fmt"
	"math"
	"time"
)

// MaxCheckpointHistory is the most epochs of history a checkpoint keeps
// (the last ones): about 150 bytes each in its JSON header, which a
// loader holds to 1 MiB.
const MaxCheckpointHistory = 2048

// epochRecord is an Epoch as a checkpoint keeps it. JSON has no NaN or
// infinity: a value that is not finite (mse's accuracy, a validation loss
// that overflowed) is absent, and reads back as NaN; so is the validation
// of an epoch without one, which HasVal tells apart.
type epochRecord struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	HasVal      bool     `json:"has_val,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	LR          float32  `json:"lr"`
	Samples     int      `json:"samples"`
	Seconds     float64  `json:"seconds"`
}

// recordHistory is the last MaxCheckpointHistory epochs of history.
func recordHistory(history []Epoch) []epochRecord {
	history = history[max(0, len(history)-MaxCheckpointHistory):]
	recs := make([]epochRecord, len(history))
	number := func(v float64) *float64 {
		if !finite(v) {
			return nil
		}
		return &v
	}
	for i, e := range history {
		recs[i] = epochRecord{Epoch: e.Epoch, Loss: e.Loss, Accuracy: number(e.Accuracy),
			LR: e.LR, Samples: e.Samples, Seconds: e.Duration.Seconds()}
		if e.HasVal {
			recs[i].HasVal, recs[i].ValLoss, recs[i].ValAccuracy = true, number(e.Val.Loss), number(e.Val.Accuracy)
		}
	}
	return recs
}

// checkHistory checks a checkpoint's history against the epochs done:
// at most MaxCheckpointHistory epochs, numbered upwards to done at most,
// every value finite and in its range.
func checkHistory(recs []epochRecord, done int) error {
	if len(recs) > MaxCheckpointHistory {
		return fmt.Errorf("history: %d epochs, more than %d (MaxCheckpointHistory)", len(recs), MaxCheckpointHistory)
	}
	last := 0
	for i, r := range recs {
		bad := ""
		switch {
		case r.Epoch <= last || r.Epoch > done:
			bad = fmt.Sprintf("epoch %d follows epoch %d, of %d done", r.Epoch, last, done)
		case !finite(r.Loss) || r.Loss < 0 || r.ValLoss != nil && (!finite(*r.ValLoss) || *r.ValLoss < 0):
			bad = "a loss is negative or not finite"
		case r.Accuracy != nil && !(*r.Accuracy >= 0 && *r.Accuracy <= 1) || r.ValAccuracy != nil && !(*r.ValAccuracy >= 0 && *r.ValAccuracy <= 1):
			bad = "an accuracy is not from 0 to 1"
		case !r.HasVal && (r.ValLoss != nil || r.ValAccuracy != nil):
			bad = "a validation loss or accuracy without has_val"
		case !finite(float64(r.LR)) || r.LR < 0 || r.Samples < 0 || r.Samples > maxCount || !(r.Seconds >= 0 && r.Seconds <= maxEpochSeconds):
			bad = "its rate, samples or seconds are out of range"
		}
		if bad != "" {
			return fmt.Errorf("history: entry %d: %s", i, bad)
		}
		last = r.Epoch
	}
	return nil
}

// epochsOf turns a checked history back into Epochs.
func epochsOf(recs []epochRecord) []Epoch {
	history := make([]Epoch, len(recs))
	value := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	for i, r := range recs {
		history[i] = Epoch{Epoch: r.Epoch, Loss: r.Loss, Accuracy: value(r.Accuracy), LR: r.LR, Samples: r.Samples,
			Duration: time.Duration(r.Seconds * float64(time.Second))}
		if r.HasVal {
			history[i].HasVal, history[i].Val = true, Metrics{Loss: value(r.ValLoss), Accuracy: value(r.ValAccuracy)}
		}
		if r.Seconds > 0 {
			history[i].SamplesPerSecond = float64(r.Samples) / r.Seconds
		}
	}
	return history
}

// maxEpochSeconds bounds an epoch's recorded time (a year), so that it
// converts to a time.Duration.
const maxEpochSeconds = 365 * 24 * 3600

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
