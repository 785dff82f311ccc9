package properties

import (
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/gmplab/gmplab/spec"
)

// rqModel is the porcupine model of the run queues under cfg: rqSpec as a
// NondeterministicModel (several states are legal after an operation with
// a pending completion), partitioned by the operations' Group. Groups are
// sets of Ps that never touch each other's queues and share only the
// global queue, into which they only spill; each group's Check compares
// the global queue filtered to its Gs, so the interleaving of different
// groups' spill batches there is the one thing partitioning leaves
// unchecked. With one group nothing is partitioned.
func rqModel(cfg spec.Config) porcupine.Model {
	sp := &rqSpec{cfg: cfg}
	nm := porcupine.NondeterministicModel{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			var parts [][]porcupine.Operation
			for _, op := range h {
				g := op.Input.(rqInput).Group
				for len(parts) <= g {
					parts = append(parts, nil)
				}
				parts[g] = append(parts[g], op)
			}
			return slices.DeleteFunc(parts, func(p []porcupine.Operation) bool { return len(p) == 0 })
		},
		Init: func() []any { return []any{sp.init()} },
		Step: func(state, input, output any) []any {
			next := sp.step(state.(rqState), input.(rqInput), output.(rqOutput))
			out := make([]any, len(next))
			for i, s := range next {
				out[i] = s
			}
			return out
		},
		Equal:             func(a, b any) bool { return rqEqual(a.(rqState), b.(rqState)) },
		Hash:              func(s any) uint64 { return rqHash(s.(rqState)) },
		DescribeOperation: func(in, out any) string { return describeRqOp(in.(rqInput), out.(rqOutput)) },
		DescribeState:     func(s any) string { return s.(rqState).String() },
	}
	return nm.ToModel()
}

// porcupineOps converts a history to porcupine's operations.
func porcupineOps(h rqHistory) []porcupine.Operation {
	ops := make([]porcupine.Operation, len(h.Ops))
	for i, o := range h.Ops {
		ops[i] = porcupine.Operation{ClientId: o.Client, Input: o.In, Call: o.In.Call, Output: o.Out, Return: o.In.Ret}
	}
	return ops
}

// checkLinPorcupine checks h with porcupine within timeout. Unknown means
// the timeout expired: no verdict.
func checkLinPorcupine(h rqHistory, timeout time.Duration) (porcupine.CheckResult, porcupine.LinearizationInfo, porcupine.Model) {
	m := rqModel(h.Cfg)
	res, info := porcupine.CheckOperationsVerbose(m, porcupineOps(h), timeout)
	return res, info, m
}
