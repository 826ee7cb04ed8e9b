package nn

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/vecgen/vecgen/internal/bounded"
)

// A checkpoint is a safetensors file holding everything training needs to
// continue exactly: the weights under their usual names, the optimizer's
// state vectors ("optimizer.m", "optimizer.v"), early stopping's best
// weights ("early_stopping.best"), and in the metadata key
// "vecgen.checkpoint" a JSON record of the epochs done, the optimizer
// (rule, hyperparameters, configured and current rate, step count), the
// shuffling generator's state and the plateau and early-stopping state. A
// run resumed from the checkpoint of epoch e reaches the same weights, bit
// for bit, as one that never stopped, given the same data and
// configuration (the step size and the optimizer are recorded and
// checked; the worker count may differ).

const checkpointKey = "vecgen.checkpoint"

// checkpointRecord is the JSON in the checkpoint's metadata.
type checkpointRecord struct {
	Epoch     int           `json:"epoch"`
	Step      int           `json:"step"`
	StepSize  int           `json:"step_size,omitempty"` // samples per step; absent in older checkpoints
	Optimizer optimizerJSON `json:"optimizer"`
	RNG       string        `json:"rng"` // base64 of the PCG's MarshalBinary
	Plateau   *plateauState `json:"plateau,omitempty"`
	Stop      *stopState    `json:"early_stopping,omitempty"`
	History   []epochRecord `json:"history,omitempty"` // Fit's, the last MaxCheckpointHistory epochs
}

// checkpoint is a checkpoint file's contents, checked against the network
// that is to resume from it.
type checkpoint struct {
	rec                checkpointRecord
	params, m, v, best []float32
	pcg                rand.PCG
	meta               map[string]string
}

// SaveCheckpoint writes the weights, the optimizer's state and the
// shuffling generator's state to path (atomically, as Save), recording
// epoch as the number of epochs done. Fit writes one after every epoch
// when FitConfig.Checkpoint is set, with its plateau and early-stopping
// state too.
func (n *Network) SaveCheckpoint(path string, epoch int) error {
	return n.saveCheckpoint(path, epoch, nil, nil, nil)
}

func (n *Network) saveCheckpoint(path string, epoch int, plateau *ReduceOnPlateau, stop *EarlyStopping, history []Epoch) error {
	rng, err := n.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	rec := checkpointRecord{Epoch: epoch, Step: n.step, StepSize: n.stepSize, Optimizer: encodeOptimizer(n.opt), RNG: base64.StdEncoding.EncodeToString(rng)}
	rec.Optimizer.BaseLR = n.baseLR
	rec.History = recordHistory(history)
	extra := map[string][]float32{}
	if n.m != nil {
		extra["optimizer.m"] = n.m
	}
	if n.v != nil {
		extra["optimizer.v"] = n.v
	}
	if plateau != nil {
		rec.Plateau = &plateau.state
	}
	if stop != nil {
		rec.Stop = &stop.state
		if stop.state.BestEpoch > 0 {
			extra["early_stopping.best"] = stop.best
		}
	}
	if math.IsInf(rec.stopBest(), 0) || math.IsNaN(rec.stopBest()) || rec.Plateau != nil && (math.IsInf(rec.Plateau.Best, 0) || math.IsNaN(rec.Plateau.Best)) {
		return fmt.Errorf("nn: checkpoint: the monitored loss is not finite")
	}
	js, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		return n.encode(w, map[string]string{checkpointKey: string(js)}, extra)
	})
}

func (r checkpointRecord) stopBest() float64 {
	if r.Stop == nil {
		return 0
	}
	return r.Stop.Best
}

// LoadCheckpoint restores what SaveCheckpoint wrote: the weights, the
// metadata, the optimizer's state, step count and current rate, and the
// shuffling generator. It returns the epochs done. The network must be
// configured as the one that saved it: the same step size, and the same
// optimizer rule, hyperparameters and rate given to New or SetOptimizer;
// a difference is an error naming both values. Every tensor and count is
// checked: on any error the network is unchanged, and the error for a
// checkpoint of another model names both models.
func (n *Network) LoadCheckpoint(path string) (epoch int, err error) {
	c, err := n.readCheckpoint(path, false, false)
	if err != nil {
		return 0, err
	}
	n.restore(c, nil, nil)
	return c.rec.Epoch, nil
}

// readCheckpoint reads and checks the checkpoint at path, for a Fit with
// or without a plateau schedule and early stopping.
func (n *Network) readCheckpoint(path string, plateau, stop bool) (*checkpoint, error) {
	file, err := bounded.ReadFile(path, int64(8+maxHeader+4*4*n.desc.Params))
	if err != nil {
		if other := n.otherModelAt(path); other != nil {
			err = other
		}
		return nil, fmt.Errorf("nn: loading checkpoint: %w", err)
	}
	c, meta, err := n.decodeCheckpoint(file, plateau, stop)
	if err != nil {
		if other := n.otherModel(path, meta); other != nil {
			return nil, fmt.Errorf("nn: loading checkpoint: %w", other)
		}
		return nil, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	return c, nil
}

// restore puts a checked checkpoint into the network: nothing can fail.
// The network's optimizer is the checkpoint's (decodeCheckpoint compared
// them), so its state vectors have the checkpoint's sizes.
func (n *Network) restore(c *checkpoint, plateau *ReduceOnPlateau, stop *EarlyStopping) {
	copy(n.params, c.params)
	n.setMeta(c.meta)
	n.opt = n.opt.withLearningRate(c.rec.Optimizer.LR)
	n.step = c.rec.Step
	copy(n.m, c.m)
	copy(n.v, c.v)
	*n.pcg = c.pcg
	if plateau != nil {
		plateau.state = *c.rec.Plateau
	}
	if stop != nil {
		stop.state = *c.rec.Stop
		stop.best = append(stop.best[:0], c.best...)
	}
}
