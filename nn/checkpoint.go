package nn

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/vecgen/vecgen/internal/bounded"
)

// A checkpoint is a safetensors file holding everything training needs to
// continue exactly: the weights under their usual names, the optimizer's
// state vectors ("optimizer.m", "optimizer.v"), early stopping's best
// weights ("early_stopping.best"), and in the metadata key
// "vecgen.checkpoint" a JSON record of the epochs done, the optimizer
// (rule, hyperparameters, current rate, step count), the shuffling
// generator's state and the plateau and early-stopping state. A run
// resumed from the checkpoint of epoch e reaches the same weights, bit for
// bit, as one that never stopped, given the same data and configuration
// (the step size is recorded and checked; the worker count may differ).

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
}

type optimizerJSON struct {
	Rule        string  `json:"rule"` // sgd, adam or adamw
	LR          float32 `json:"lr"`
	Momentum    float32 `json:"momentum,omitempty"`
	Nesterov    bool    `json:"nesterov,omitempty"`
	WeightDecay float32 `json:"weight_decay,omitempty"`
	Beta1       float32 `json:"beta1,omitempty"`
	Beta2       float32 `json:"beta2,omitempty"`
	Eps         float32 `json:"eps,omitempty"`
}

func encodeOptimizer(o Optimizer) optimizerJSON {
	switch o := o.(type) {
	case SGD:
		return optimizerJSON{Rule: "sgd", LR: o.LR, Momentum: o.Momentum, Nesterov: o.Nesterov, WeightDecay: o.WeightDecay}
	case Adam:
		return optimizerJSON{Rule: "adam", LR: o.LR, WeightDecay: o.WeightDecay, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}
	case AdamW:
		return optimizerJSON{Rule: "adamw", LR: o.LR, WeightDecay: o.WeightDecay, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}
	}
	return optimizerJSON{}
}

func (o optimizerJSON) decode() (Optimizer, error) {
	switch o.Rule {
	case "sgd":
		return SGD{LR: o.LR, Momentum: o.Momentum, Nesterov: o.Nesterov, WeightDecay: o.WeightDecay}, nil
	case "adam":
		return Adam{LR: o.LR, WeightDecay: o.WeightDecay, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}, nil
	case "adamw":
		return AdamW{LR: o.LR, WeightDecay: o.WeightDecay, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}, nil
	}
	return nil, fmt.Errorf("unknown optimizer rule %q", o.Rule)
}

// SaveCheckpoint writes the weights, the optimizer's state and the
// shuffling generator's state to path (atomically, as Save), recording
// epoch as the number of epochs done. Fit writes one after every epoch
// when FitConfig.Checkpoint is set, with its plateau and early-stopping
// state too.
func (n *Network) SaveCheckpoint(path string, epoch int) error {
	return n.saveCheckpoint(path, epoch, nil, nil)
}

func (n *Network) saveCheckpoint(path string, epoch int, plateau *ReduceOnPlateau, stop *EarlyStopping) error {
	rng, err := n.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	rec := checkpointRecord{Epoch: epoch, Step: n.step, StepSize: n.stepSize, Optimizer: encodeOptimizer(n.opt), RNG: base64.StdEncoding.EncodeToString(rng)}
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
// metadata, the optimizer (rule, hyperparameters, state and step count)
// and the shuffling generator. It returns the epochs done. On any error
// the network is unchanged; the error for a checkpoint of another model
// names both models.
func (n *Network) LoadCheckpoint(path string) (epoch int, err error) {
	return n.loadCheckpoint(path, nil, nil)
}

func (n *Network) loadCheckpoint(path string, plateau *ReduceOnPlateau, stop *EarlyStopping) (int, error) {
	file, err := bounded.ReadFile(path, int64(8+maxHeader+4*4*n.desc.Params))
	if err != nil {
		if other := n.otherModelAt(path); other != nil {
			err = other
		}
		return 0, fmt.Errorf("nn: loading checkpoint: %w", err)
	}
	tensors, meta, err := decodeTensors(file)
	fail := func(err error) (int, error) {
		if other := n.otherModel(path, meta); other != nil {
			return 0, fmt.Errorf("nn: loading checkpoint: %w", other)
		}
		return 0, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	if err != nil {
		return fail(err)
	}
	var rec checkpointRecord
	if err := json.Unmarshal([]byte(meta[checkpointKey]), &rec); err != nil {
		return fail(fmt.Errorf("no valid %s record: %w", checkpointKey, err))
	}
	if rec.StepSize != 0 && rec.StepSize != n.stepSize {
		return fail(fmt.Errorf("it was trained with steps of %d samples; this network takes %d (Options.StepSize)", rec.StepSize, n.stepSize))
	}
	if (plateau != nil) != (rec.Plateau != nil) || (stop != nil) != (rec.Stop != nil) {
		return fail(fmt.Errorf("saved by a Fit with other Plateau or EarlyStopping settings"))
	}
	opt, err := rec.Optimizer.decode()
	if err != nil {
		return fail(err)
	}
	take := func(name string, want bool) ([]float32, error) {
		t, ok := tensors[name]
		delete(tensors, name)
		switch {
		case !want && ok:
			return nil, fmt.Errorf("tensor %q does not belong to this optimizer", name)
		case !want:
			return nil, nil
		case !ok:
			return nil, fmt.Errorf("tensor %q is missing", name)
		case !slices.Equal(t.Shape, []int{n.desc.Params}):
			return nil, fmt.Errorf("tensor %q has shape %v, want [%d]", name, t.Shape, n.desc.Params)
		}
		return t.Data, nil
	}
	states := opt.state()
	m, err := take("optimizer.m", states == 2)
	if err != nil {
		return fail(err)
	}
	v, err := take("optimizer.v", states >= 1)
	if err != nil {
		return fail(err)
	}
	best, err := take("early_stopping.best", stop != nil && rec.Stop != nil && rec.Stop.BestEpoch > 0)
	if err != nil {
		return fail(err)
	}
	params, err := paramsFrom(tensors, &n.desc)
	if err != nil {
		return fail(err)
	}
	rng, err := base64.StdEncoding.DecodeString(rec.RNG)
	if err != nil {
		return fail(fmt.Errorf("rng: %w", err))
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(rng); err != nil {
		return fail(fmt.Errorf("rng: %w", err))
	}
	if rec.Epoch < 0 || rec.Step < 0 {
		return fail(fmt.Errorf("epoch %d, step %d", rec.Epoch, rec.Step))
	}
	if err := n.SetOptimizer(opt); err != nil {
		return fail(err)
	}
	// Nothing can fail past this point.
	copy(n.params, params)
	n.setMeta(meta)
	n.step = rec.Step
	copy(n.m, m)
	copy(n.v, v)
	*n.pcg = pcg
	if plateau != nil {
		plateau.state = *rec.Plateau
	}
	if stop != nil {
		stop.state = *rec.Stop
		stop.best = append(stop.best[:0], best...)
	}
	return rec.Epoch, nil
}
