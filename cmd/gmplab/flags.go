package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var errHelp = errors.New("help shown")

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, args, doc string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gmplab %s [flags] %s\n\n%s\n\nflags:\n", name, args, doc)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, mapping -h to errHelp and other errors to usage
// errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	return nil
}

// policyFlags registers one flag per spec knob, applied in command-line
// order over a default Config, plus the boot and mutant flags.
type policyFlags struct {
	cfg     spec.Config
	set     map[string]bool
	boot    model.Boot
	mutants model.Mutants // the model's, from -mutants
	// implMutants is -mutants for -engine impl; modelErr says why
	// -mutants names no model mutant set (a mutant only impl has).
	implMutants impl.Mutants
	modelErr    error
	impl        bool // the command runs on impl (run -engine impl), not the model
}

func addPolicyFlags(fs *flag.FlagSet, procs int) *policyFlags {
	pf := &policyFlags{cfg: spec.Default(procs), set: map[string]bool{}}
	for _, k := range spec.Knobs() {
		k := k
		def := k.Get(pf.cfg)
		fs.Func(k.Name, fmt.Sprintf("%s (default %s)", k.Doc, def), func(v string) error {
			pf.set[k.Name] = true
			err := pf.cfg.Set(k.Name, v)
			var ce *spec.ConfigError
			if errors.As(err, &ce) {
				return errors.New(ce.Allowed)
			}
			return err
		})
	}
	fs.Func("boot-schedtick", "P0's schedtick when main starts (the runtime's is 4 or 5; brief 10.1)", func(v string) error {
		var n uint32
		if _, err := fmt.Sscan(v, &n); err != nil {
			return fmt.Errorf("want a non-negative integer")
		}
		pf.boot.Schedtick = n
		return nil
	})
	fs.Func("boot-ring", "comma-separated functions whose Gs sit in P0's ring when main starts", func(v string) error {
		pf.boot.Ring = splitList(v)
		return nil
	})
	fs.Func("boot-runnext", "a function whose G sits in P0's runnext when main starts", func(v string) error {
		pf.boot.Runnext = v
		return nil
	})
	fs.Func("mutants", "comma-separated deliberate bugs to switch on: "+strings.Join(model.MutantNames(), ", ")+" (and with run -engine impl: "+strings.Join(impl.MutantNames(), ", ")+")", func(v string) error {
		m, merr := model.ParseMutants(v)
		im, ierr := impl.ParseMutants(v)
		if merr != nil && ierr != nil {
			return ierr // impl's list names every mutant
		}
		pf.mutants, pf.implMutants, pf.modelErr = m, im, nil
		if merr != nil {
			pf.modelErr = fmt.Errorf("-mutants %s: only impl has it (gmplab run -engine impl); the model's mutants: %s", v, strings.Join(model.MutantNames(), ", "))
		}
		return nil
	})
	return pf
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// config returns the validated Config.
func (pf *policyFlags) config() (spec.Config, error) {
	if err := pf.cfg.Validate(); err != nil {
		return pf.cfg, usageError{err}
	}
	if pf.modelErr != nil && !pf.impl {
		return pf.cfg, usageError{pf.modelErr}
	}
	return pf.cfg, nil
}

// loadWorkload reads a workload file, or an embedded example by name
// (with or without .gmp), and compiles it. The returned name is what a
// trace header records to find it again.
func loadWorkload(arg string) (*spec.Code, string, error) {
	src, err := os.ReadFile(arg)
	name := arg
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", usageError{err}
		}
		ex := strings.TrimSuffix(arg, ".gmp") + ".gmp"
		var exErr error
		src, exErr = examples.FS.ReadFile(ex)
		if exErr != nil {
			return nil, "", usageError{fmt.Errorf("%s: no such file, and no example of that name (examples: %s)", arg, strings.Join(exampleNames(), ", "))}
		}
		name = strings.TrimSuffix(ex, ".gmp")
	}
	code, err := spec.ParseCode(name, src)
	if err != nil {
		return nil, "", usageError{err}
	}
	return code, name, nil
}

func exampleNames() []string {
	ents, _ := examples.FS.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".gmp"))
	}
	return out
}

// output opens path for writing ("-" = stdout).
func output(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return f, f.Close, nil
}
