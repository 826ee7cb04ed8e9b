package nn

import "fmt"

// optimizerJSON is a checkpoint's record of the optimizer.
type optimizerJSON struct {
	Rule string  `json:"rule"` // sgd, adam or adamw
	LR   float32 `json:"lr"`   // the current rate, which schedules change
	// BaseLR is the rate the optimizer was configured with (SetOptimizer),
	// which resuming checks; absent in older checkpoints.
	BaseLR      float32 `json:"base_lr,omitempty"`
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

// withDefaults returns o's record with the values a zero field stands
// for, so that Adam{} and Adam{Beta1: 0.9} compare equal.
func (o optimizerJSON) withDefaults() optimizerJSON {
	if o.Rule == "adam" || o.Rule == "adamw" {
		a := Adam{Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}.withDefaults()
		o.Beta1, o.Beta2, o.Eps = a.Beta1, a.Beta2, a.Eps
	}
	if o.Rule == "adamw" && o.WeightDecay == 0 {
		o.WeightDecay = 0.01
	}
	return o
}

// sameOptimizer returns an error naming the first difference between the
// optimizer a checkpoint was trained with and the network's, opt
// configured at rate baseLR: the rule, a hyperparameter, or the
// configured rate (the current one may differ: schedules change it).
func sameOptimizer(saved optimizerJSON, opt Optimizer, baseLR float32) error {
	a, b := saved.withDefaults(), encodeOptimizer(opt).withDefaults()
	if a.Rule != b.Rule {
		return fmt.Errorf("it was trained with %s; this network's optimizer is %s (Options.Optimizer)", a.Rule, b.Rule)
	}
	for _, h := range []struct {
		name   string
		saved  any
		theirs any
	}{
		{"momentum", a.Momentum, b.Momentum}, {"nesterov", a.Nesterov, b.Nesterov}, {"weight decay", a.WeightDecay, b.WeightDecay},
		{"beta1", a.Beta1, b.Beta1}, {"beta2", a.Beta2, b.Beta2}, {"eps", a.Eps, b.Eps},
	} {
		if h.saved != h.theirs {
			return fmt.Errorf("it was trained with %s's %s at %v; this network's is %v (Options.Optimizer)", a.Rule, h.name, h.saved, h.theirs)
		}
	}
	if saved.BaseLR != 0 && saved.BaseLR != baseLR {
		return fmt.Errorf("it was trained with %s at learning rate %v; this network's is %v (Options.Optimizer)", a.Rule, saved.BaseLR, baseLR)
	}
	return nil
}
