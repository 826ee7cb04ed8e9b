package nn

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/vecgen/vecgen/internal/strictjson"
	"github.com/vecgen/vecgen/internal/vec"
)

// maxCount bounds a checkpoint's epochs and steps: counts are exact in
// the float64 of Adam's bias correction up to 2⁵³, far beyond any run, and
// a count near 2⁶³ would wrap.
const maxCount = 1 << 53

// decodeCheckpoint checks everything in a checkpoint file against the
// network, without changing it: the record (its keys exactly, every count
// in range, the step size and the optimizer those of the network, the
// plateau and early-stopping state present as a Fit with plateau and stop
// keeps it) and every tensor (its shape, and its values finite, Adam's
// second moments not negative). It returns the file's metadata whenever
// the header could be read, for the error that names another model.
func (n *Network) decodeCheckpoint(file []byte, plateau, stop bool) (*checkpoint, map[string]string, error) {
	tensors, meta, err := decodeTensors(file)
	if err != nil {
		return nil, nil, err
	}
	c := &checkpoint{meta: meta}
	if err := strictjson.Unmarshal([]byte(meta[checkpointKey]), &c.rec); err != nil {
		return nil, meta, fmt.Errorf("no valid %s record: %w", checkpointKey, err)
	}
	if err := n.checkRecord(&c.rec, plateau, stop); err != nil {
		return nil, meta, err
	}
	if err := c.takeTensors(tensors, n, stop); err != nil {
		return nil, meta, err
	}
	rng, err := base64.StdEncoding.DecodeString(c.rec.RNG)
	if err == nil {
		err = c.pcg.UnmarshalBinary(rng)
	}
	if err != nil {
		return nil, meta, fmt.Errorf("rng: %w", err)
	}
	return c, meta, nil
}

// checkRecord checks a checkpoint's record against the network.
func (n *Network) checkRecord(rec *checkpointRecord, plateau, stop bool) error {
	for _, c := range []struct {
		name  string
		count int
	}{{"epoch", rec.Epoch}, {"step", rec.Step}} {
		if c.count < 0 || c.count > maxCount {
			return fmt.Errorf("%s %d is out of range: 0 to %d (2⁵³)", c.name, c.count, maxCount)
		}
	}
	if rec.StepSize != 0 && rec.StepSize != n.stepSize {
		return fmt.Errorf("it was trained with steps of %d samples; this network takes %d (Options.StepSize)", rec.StepSize, n.stepSize)
	}
	if plateau != (rec.Plateau != nil) || stop != (rec.Stop != nil) {
		return fmt.Errorf("saved by a Fit with other Plateau or EarlyStopping settings")
	}
	epochs := func(what string, name string, count int) error {
		if count < 0 || count > rec.Epoch {
			return fmt.Errorf("%s: %s %d is out of range: 0 to the %d epochs done", what, name, count, rec.Epoch)
		}
		return nil
	}
	if p := rec.Plateau; p != nil {
		if err := epochs("plateau", "bad", p.Bad); err != nil {
			return err
		}
		if !(p.LR >= 0) {
			return fmt.Errorf("plateau: lr %v is not 0 (none yet) or a positive rate", p.LR)
		}
	}
	if s := rec.Stop; s != nil {
		if err := epochs("early_stopping", "best_epoch", s.BestEpoch); err != nil {
			return err
		}
		if err := epochs("early_stopping", "bad", s.Bad); err != nil {
			return err
		}
	}
	if err := checkHistory(rec.History, rec.Epoch); err != nil {
		return err
	}
	opt, err := rec.Optimizer.decode()
	if err == nil {
		err = checkOptimizer(opt)
	}
	if err != nil {
		return fmt.Errorf("optimizer: %w", err)
	}
	return sameOptimizer(rec.Optimizer, n.opt, n.baseLR)
}

// takeTensors takes the optimizer's state, early stopping's best weights
// and the parameters out of tensors, checking each.
func (c *checkpoint) takeTensors(tensors map[string]Tensor, n *Network, stop bool) error {
	take := func(name string, want bool, what string) ([]float32, error) {
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
		return t.Data, checkFinite(name, t.Data, what)
	}
	states := n.opt.state()
	var err error
	if c.m, err = take("optimizer.m", states == 2, "optimizer state"); err != nil {
		return err
	}
	if c.v, err = take("optimizer.v", states >= 1, "optimizer state"); err != nil {
		return err
	}
	if states == 2 {
		if i := slices.IndexFunc(c.v, func(v float32) bool { return v < 0 }); i >= 0 {
			return fmt.Errorf("tensor %q: value %d is %v; Adam's second moments are squares, never negative", "optimizer.v", i, c.v[i])
		}
	}
	if c.best, err = take("early_stopping.best", stop && c.rec.Stop.BestEpoch > 0, "weights"); err != nil {
		return err
	}
	c.params, err = paramsFrom(tensors, &n.desc)
	return err
}

// checkFinite returns an error naming the first value of tensor name that
// is NaN or infinite, values of what.
func checkFinite(name string, data []float32, what string) error {
	if i := vec.FirstNonFinite(data); i >= 0 {
		return fmt.Errorf("tensor %q: value %d is %v; %s must be finite", name, i, data[i], what)
	}
	return nil
}
