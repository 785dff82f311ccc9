package research

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// A Preset is a named scheduler config: go1.26's defaults with a few knobs
// changed, as a researcher would try them.
type Preset struct {
	Name  string
	Doc   string
	Knobs [][2]string // knob name, value; applied in order over spec.Default
}

// Presets lists the named presets. ring-N (any power of two N) is a
// family, not in this list; see LookupPreset.
var Presets = []Preset{
	{"go1.26", "go1.26.8's scheduler (the default)", nil},
	{"no-runnext", "spawned and readied Gs go to the ring tail, not runnext", [][2]string{{"runnext", "false"}}},
	{"steal-one", "a thief takes one G instead of half the victim's ring", [][2]string{{"steal-amount", "one"}}},
	{"no-global-check", "no schedtick%61 check: the global queue is read only when the local one is empty", [][2]string{{"global-check-period", "0"}}},
	{"article", "the simplified description: a global check every 60 ticks and a syscall P retaken after 20ms, never sooner",
		[][2]string{{"global-check-period", "60"}, {"retake-policy", "after"}, {"retake-grace", "20ms"}}},
}

// LookupPreset finds a preset by name; "ring-N" is go1.26 with an N-slot
// ring (and spill and global batch of N/2, as the runtime derives them).
func LookupPreset(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	if n, ok := strings.CutPrefix(name, "ring-"); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return Preset{name, "go1.26 with a " + n + "-slot local ring", [][2]string{{"runq-size", n}}}, true
		}
	}
	return Preset{}, false
}

// PresetNames lists the presets' names, with ring-N as a pattern.
func PresetNames() []string {
	var out []string
	for _, p := range Presets {
		out = append(out, p.Name)
	}
	return append(out, "ring-N")
}

// Config is a labelled scheduler config under comparison.
type Config struct {
	Label string
	Cfg   spec.Config
}

// ParseConfig reads a config label over spec.Default(procs): a preset name,
// knob=value words, or a preset followed by knob words, separated by
// commas or spaces ("no-runnext", "runq-size=16,runnext=false",
// "article,procs=4"). The label is the text itself.
func ParseConfig(label string, procs int) (Config, error) {
	c := spec.Default(procs)
	words := strings.FieldsFunc(label, func(r rune) bool { return r == ',' || r == ' ' })
	if len(words) == 0 {
		return Config{}, fmt.Errorf("config %q: empty (want a preset such as %s, or knob=value words)", label, strings.Join(PresetNames(), ", "))
	}
	for i, w := range words {
		name, val, isKnob := strings.Cut(w, "=")
		if !isKnob {
			p, ok := LookupPreset(w)
			if !ok {
				return Config{}, fmt.Errorf("config %q: unknown preset %q (presets: %s; or knob=value, see gmplab knobs)", label, w, strings.Join(PresetNames(), ", "))
			}
			if i > 0 {
				return Config{}, fmt.Errorf("config %q: preset %q must come first, before knob=value words", label, w)
			}
			for _, kv := range p.Knobs {
				if err := c.Set(kv[0], kv[1]); err != nil {
					return Config{}, fmt.Errorf("config %q: %w", label, err)
				}
			}
			continue
		}
		if err := c.Set(name, val); err != nil {
			return Config{}, fmt.Errorf("config %q: %w", label, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %q: %w", label, err)
	}
	return Config{Label: label, Cfg: c}, nil
}
