// Package spec is the contract shared by gmplab's three executable forms of
// Go's GMP scheduler: the reference model (package model), the concurrent
// implementation (package impl) and the TLA+ spec (folder tla).
//
// It holds what the forms must agree on and nothing else:
//
//   - identifiers ([GID], [PID], [MID]) and statuses ([GStatus], [PStatus]);
//   - [Config], every scheduler policy as a named knob with go1.26.8 defaults
//     ([Default]) and [Config.Validate];
//   - the workload language ([Program], [Parse], [Program.String], [Compile]):
//     the programs that goroutines run;
//   - [Snapshot], the abstract state that model and impl both project onto,
//     and the stack address layout ([StackRegion]) that makes their stacks
//     comparable word for word;
//   - [Event], the trace vocabulary and its one-line text format;
//   - the named invariants over a Snapshot ([All] and the functions it runs).
//
// Names used here are the names used everywhere: the Go identifier, the trace
// keyword, the TLA+ operator, the CLI flag and the documentation.
package spec
