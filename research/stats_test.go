package research

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	xs := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.99, 10}, {0.1, 1}, {1, 10}, {0.11, 2}} {
		if got := Percentile(xs, c.q); got != c.want {
			t.Errorf("Percentile(1..10, %v) = %v, want %v (nearest rank)", c.q, got, c.want)
		}
	}
	if got := Percentile(nil, 0.5); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}

func TestJain(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 1, 1, 1}, 1},
		{[]float64{1, 0, 0, 0}, 0.25},   // one takes everything: 1/n
		{[]float64{1, 0.5}, 2.25 / 2.5}, // (1.5)^2 / (2 * 1.25)
		{nil, 1},
	} {
		if got := Jain(c.xs); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Jain(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	st := Summarize([]float64{1, 2, 3})
	// mean 2, sample sd 1, t(0.975, 2) = 4.303: half = 4.303/sqrt(3).
	if st.N != 3 || st.Mean != 2 || st.Min != 1 || st.Max != 3 || math.Abs(st.Half-4.303/math.Sqrt(3)) > 1e-9 {
		t.Errorf("Summarize(1,2,3) = %+v", st)
	}
	if st := Summarize([]float64{5}); st.Half != 0 || st.Mean != 5 {
		t.Errorf("Summarize(5) = %+v, want mean 5 and no interval", st)
	}
	if st := Summarize([]float64{7, 7, 7, 7}); st.Half != 0 {
		t.Errorf("constant samples have a zero-width interval, got %+v", st)
	}
}
