package nn

import "fmt"

// optimizerJSON is a checkpoint's record of the optimizer.
type optimizerJSON struct {
	Rule        string  `json:"rule"` // sgd, adam or adamw
	LR          float32 `json:"lr"`   // the current rate, which schedules change
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
