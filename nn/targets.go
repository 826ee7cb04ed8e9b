package nn

import (
	"fmt"
	"math"

	"github.com/vecgen/vecgen/compiled"
)

// checkTargets checks targets against the loss: for cross-entropy each row
// must be a probability distribution (one-hot, as dataset.Set.OneHot
// makes, or soft labels): values in [0, 1] summing to 1 within 1e-3; for
// binary cross-entropy every value must lie in [0, 1]. The error names the
// first sample that fails.
func (n *Network) checkTargets(y []float32) error { return checkTargets(&n.desc, y) }

// checkTargets checks targets y against d's loss, as Network.checkTargets.
func checkTargets(d *compiled.Network, y []float32) error {
	out := d.Output()
	switch d.Loss {
	case compiled.CrossEntropy:
		for r := 0; r < len(y); r += out {
			var sum float64
			for _, v := range y[r : r+out] {
				if !(v >= 0 && v <= 1) {
					return fmt.Errorf("nn: sample %d: target %v; cross-entropy needs one-hot rows (dataset.Set.OneHot)", r/out, v)
				}
				sum += float64(v)
			}
			if math.Abs(sum-1) > 1e-3 {
				return fmt.Errorf("nn: sample %d: targets sum to %g; cross-entropy needs one-hot rows (dataset.Set.OneHot)", r/out, sum)
			}
		}
	case compiled.BinaryCrossEntropy:
		for i, v := range y {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("nn: sample %d: target %d is %v; binary cross-entropy needs 0 or 1 (dataset.Set.Binary)", i/out, i%out, v)
			}
		}
	}
	return nil
}
