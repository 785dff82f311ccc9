package research

import (
	"math"
	"time"
)

// Percentile returns the nearest-rank q-quantile (0 < q <= 1) of sorted,
// or 0 when it is empty.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Jain returns Jain's fairness index (sum x)^2 / (n sum x^2) of xs: 1 when
// all are equal, 1/n when one takes everything. 1 for no values or all
// zero (nothing to be unfair about).
func Jain(xs []float64) float64 {
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	if s2 == 0 {
		return 1
	}
	return s * s / (float64(len(xs)) * s2)
}

// Stat is a mean with a 95% confidence interval over n samples.
type Stat struct {
	N    int
	Mean float64
	// Half is the half-width of the 95% confidence interval of the mean
	// (Student's t with n-1 degrees of freedom); 0 when n < 2.
	Half     float64
	Min, Max float64
}

// Summarize computes the Stat of xs.
func Summarize(xs []float64) Stat {
	st := Stat{N: len(xs)}
	if len(xs) == 0 {
		return st
	}
	st.Min, st.Max = xs[0], xs[0]
	for _, x := range xs {
		st.Mean += x
		st.Min = min(st.Min, x)
		st.Max = max(st.Max, x)
	}
	st.Mean /= float64(len(xs))
	if len(xs) < 2 {
		return st
	}
	var ss float64
	for _, x := range xs {
		ss += (x - st.Mean) * (x - st.Mean)
	}
	sd := math.Sqrt(ss / float64(len(xs)-1))
	st.Half = tCrit95(len(xs)-1) * sd / math.Sqrt(float64(len(xs)))
	return st
}

// t975 holds the 0.975 quantiles of Student's t for 1..30 degrees of
// freedom (two-sided 95%).
var t975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

func tCrit95(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(t975):
		return t975[df-1]
	case df <= 60:
		return 2.000
	case df <= 120:
		return 1.980
	}
	return 1.960
}
