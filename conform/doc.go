// Package conform checks the reference model against the real Go runtime
// installed here (DESIGN.md "How the forms are tied together", 4; brief
// sections 10.1-10.2).
//
// Each case is a small Go program under testdata/<prog>/ that records, in
// memory, the order in which its goroutines do things ("tokens": "w3",
// "H", ...) and prints it at the end, and the same workload in the
// workload language (testdata/<prog>.gmp), whose Gs print a token by a
// `ready say.NAME` statement (see [Tokens]). The programs are built once
// with the installed toolchain ([Build]) and run under GOMAXPROCS=1 and
// GOGC=off several times each ([Run]).
//
// The model is given the runtime's hidden start-up inputs (brief 10.1,
// [Boots]): P0's schedtick at main.main's entry (4 or 5) and the two
// runtime goroutines that are runnable then. With those, the model's
// undisturbed run (no sysmon action, syscalls return when nothing else
// can run) is its prediction. An observation equal to the prediction for
// some start-up schedtick agrees; one that is not is searched for among
// the model's runs with up to [MaxDeviations] timing choices (sysmon
// preempting a G at a safe point, sysmon retaking a P from a syscall, a
// syscall returning while other work is runnable): if found it is
// explained, and the choices are named; otherwise the model disagrees.
//
// Files: case.go (the suite), build.go and run.go (the real runtime),
// predict.go (the model side), check.go (verdicts), report.go (the table
// printed by `gmplab conform`).
package conform
