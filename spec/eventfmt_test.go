package spec

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func TestEventString(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Time: 0, Kind: "Spawn", G: 1, P: 0, M: 0, Args: []Arg{{"new", "g2"}}},
			"@0 Spawn g=g1 p=p0 m=m0 new=g2"},
		{Event{Time: 1500, Kind: "Steal", G: NoG, P: 1, M: 1, Args: []Arg{{"victim", "p0"}, {"round", "0"}, {"n", "3"}, {"run", "g7"}}},
			"@1500 Steal p=p1 m=m1 victim=p0 round=0 n=3 run=g7"},
		{Event{Time: 7, Kind: "Deadlock", G: NoG, P: NoP, M: NoM},
			"@7 Deadlock"},
		{Event{Time: 7, Kind: "ExitSyscall", G: 3, P: NoP, M: 2},
			"@7 ExitSyscall g=g3 m=m2"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
		got, err := ParseEvent(tt.want)
		if err != nil {
			t.Errorf("ParseEvent(%q): %v", tt.want, err)
			continue
		}
		if d := cmp.Diff(tt.e, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("ParseEvent(%q) (-want +got):\n%s", tt.want, d)
		}
	}
	// Extra blanks are accepted.
	got, err := ParseEvent("  @3\tRun  g=g2 p=p0\tsrc=runnext  \r\n")
	want := Event{Time: 3, Kind: "Run", G: 2, P: 0, M: NoM, Args: []Arg{{"src", "runnext"}}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("ParseEvent with blanks = %+v, %v; want %+v", got, err, want)
	}
}

func TestParseEventErrors(t *testing.T) {
	const (
		timeWant = "expected @TIME (a logical time in nanoseconds, such as @1500), found "
		kindWant = "expected an event kind (an action such as Schedule or an effect such as Run), found "
		gpmWant  = "expected g=, p= and m= at most once each, in that order, before other arguments, found "
	)
	tests := []struct{ line, want string }{
		{"", "col 1: " + timeWant + "end of line"},
		{"   ", "col 1: " + timeWant + "end of line"},
		{"Spawn g=g1", "col 1: " + timeWant + `"Spawn"`},
		{"@", "col 1: " + timeWant + `"@"`},
		{"@x Spawn", "col 1: " + timeWant + `"@x"`},
		{"@-5 Spawn", "col 1: " + timeWant + `"@-5"`},
		{"@+5 Spawn", "col 1: " + timeWant + `"@+5"`},
		{"@1.5 Spawn", "col 1: " + timeWant + `"@1.5"`},
		{"@1_000 Spawn", "col 1: " + timeWant + `"@1_000"`},
		{"@99999999999999999999 Run", "col 1: " + timeWant + `"@99999999999999999999"`},
		{"  1 Run", "col 3: " + timeWant + `"1"`},
		{"@5", "col 3: " + kindWant + "end of line"},
		{"@5 ", "col 3: " + kindWant + "end of line"},
		{"@5 Bogus", "col 4: " + kindWant + `"Bogus"`},
		{"@5 spawn", "col 4: " + kindWant + `"spawn"`},
		{"@5 g=g1 Spawn", "col 4: " + kindWant + `"g=g1"`},
		{"@5 Spawn g=x", `col 12: expected a G such as g1, found "x"`},
		{"@5 Spawn g=g0", `col 12: expected a G such as g1, found "g0"`},
		{"@5 Spawn g=-", `col 12: expected a G such as g1, found "-"`},
		{"@5 Spawn g=g99999999999", `col 12: expected a G such as g1, found "g99999999999"`},
		{"@5 Spawn g=g+1", `col 12: expected a G such as g1, found "g+1"`},
		{"@5 Spawn p=p-1", `col 12: expected a P such as p0, found "p-1"`},
		{"@5 Spawn p=g1", `col 12: expected a P such as p0, found "g1"`},
		{"@5 Spawn m=", `col 12: expected an M such as m0, found ""`},
		{"@5 Spawn p=p0 g=g1", `col 15: ` + gpmWant + `"g=g1"`},
		{"@5 Spawn g=g1 g=g2", `col 15: ` + gpmWant + `"g=g2"`},
		{"@5 Spawn m=m0 p=p0", `col 15: ` + gpmWant + `"p=p0"`},
		{"@5 Spawn new=g2 g=g1", `col 17: ` + gpmWant + `"g=g1"`},
		{"@5 Spawn new=g2 m=m1", `col 17: ` + gpmWant + `"m=m1"`},
		{"@5 Spawn new=a b", `col 16: expected key=value, found "b"`},
		{"@5 Spawn new", `col 10: expected key=value, found "new"`},
		{"@5 Spawn =x", `col 10: expected key=value, found "=x"`},
		{"@5 Spawn new=a\x01", `col 14: expected a value without spaces or control characters, found "a\x01"`},
		{"@5 Spawn new=a\u00a0b", `col 14: expected a value without spaces or control characters, found "a\u00a0b"`},
		{"@5 Spawn n\x7fw=1", `col 10: expected a key without control characters, found "n\x7fw"`},
		{"@5 Spawn new=" + strings.Repeat("v\v", 30), `col 14: expected a value without spaces or control characters, found "` + strings.Repeat(`v\v`, 20) + `"...`},
	}
	for _, tt := range tests {
		_, err := ParseEvent(tt.line)
		if err == nil {
			t.Errorf("ParseEvent(%q) succeeded, want %s", tt.line, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseEvent(%q)\n got: %s\nwant: %s", tt.line, err, tt.want)
		}
		var ee *EventError
		if !errors.As(err, &ee) {
			t.Errorf("ParseEvent(%q) error is %T, want *EventError", tt.line, err)
		}
	}
}

var allKinds = append(append([]string(nil), ActionKinds...), EffectKinds...)

// genEvent generates events that String and ParseEvent must round-trip.
var genEvent = rapid.Custom(func(t *rapid.T) Event {
	e := Event{
		Time: time.Duration(rapid.OneOf(rapid.Int64Range(0, 1e6), rapid.Int64Min(0)).Draw(t, "time")),
		Kind: rapid.SampledFrom(allKinds).Draw(t, "kind"),
		G:    GID(rapid.OneOf(rapid.Just(int32(NoG)), rapid.Int32Range(1, math.MaxInt32)).Draw(t, "g")),
		P:    PID(rapid.Int32Range(-1, math.MaxInt32).Draw(t, "p")),
		M:    MID(rapid.Int32Range(-1, math.MaxInt32).Draw(t, "m")),
	}
	key := rapid.StringMatching(`[a-zA-Z_][a-zA-Z0-9_.\-]{0,6}`).Filter(func(k string) bool {
		return k != "g" && k != "p" && k != "m"
	})
	val := rapid.OneOf(
		rapid.StringMatching(`[!-~]{0,8}`), // printable ASCII but space, "=" included
		rapid.StringMatching(`[\p{L}\p{N}\p{P}\p{S}]{0,8}`),
		rapid.SampledFrom([]string{"g7", "p0", "runnext", "true", "-1", "=", "a=b", "#x"}),
	)
	n := rapid.IntRange(0, 5).Draw(t, "nargs")
	for range n {
		e.Args = append(e.Args, Arg{key.Draw(t, "key"), val.Draw(t, "val")})
	}
	return e
})

func TestEventRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genEvent.Draw(t, "event")
		if err := evCheck(e); err != nil {
			t.Fatalf("generated event %q fails evCheck: %v", e, err)
		}
		line := e.String()
		got, err := ParseEvent(line)
		if err != nil {
			t.Fatalf("ParseEvent(%q): %v", line, err)
		}
		if d := cmp.Diff(e, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("ParseEvent(%q) (-want +got):\n%s", line, d)
		}
		if again := got.String(); again != line {
			t.Fatalf("String of parsed event = %q, want %q", again, line)
		}
	})
}

// TestEventCheck checks evCheck (used by WriteTrace) against ParseEvent on
// arbitrary events: an event passes evCheck exactly when its line reads
// back as the same event.
func TestEventCheck(t *testing.T) {
	anyString := rapid.OneOf(rapid.String(), rapid.SampledFrom([]string{"g", "p", "m", "a b", "", "x=y", "Run", "Spawn", "k\t"}))
	rapid.Check(t, func(t *rapid.T) {
		e := genEvent.Draw(t, "event")
		if rapid.Bool().Draw(t, "bad time") {
			e.Time = time.Duration(rapid.Int64().Draw(t, "time"))
		}
		if rapid.Bool().Draw(t, "any kind") {
			e.Kind = anyString.Draw(t, "kind")
		}
		if rapid.Bool().Draw(t, "any ids") {
			e.G = GID(rapid.Int32().Draw(t, "g"))
			e.P = PID(rapid.Int32().Draw(t, "p"))
			e.M = MID(rapid.Int32().Draw(t, "m"))
		}
		if rapid.Bool().Draw(t, "any arg") {
			a := Arg{anyString.Draw(t, "key"), anyString.Draw(t, "val")}
			at := rapid.IntRange(0, len(e.Args)).Draw(t, "at")
			e.Args = append(e.Args[:at], append([]Arg{a}, e.Args[at:]...)...)
		}
		got, err := ParseEvent(e.String())
		same := err == nil && cmp.Equal(e, got, cmpopts.EquateEmpty())
		if cerr := evCheck(e); (cerr == nil) != same {
			t.Fatalf("evCheck(%q) = %v, but reads back the same: %v (ParseEvent error %v)", e, cerr, same, err)
		}
	})
}

func TestTrace(t *testing.T) {
	evs := []Event{
		{Time: 0, Kind: "Spawn", G: 1, P: 0, M: 0, Args: []Arg{{"new", "g2"}}},
		{Time: 0, Kind: "Kick", G: 1, P: 0, M: 0, Args: []Arg{{"kicked", "g5"}}},
		{Time: 1500, Kind: "Steal", G: NoG, P: 1, M: 1, Args: []Arg{{"victim", "p0"}, {"round", "0"}, {"n", "3"}, {"run", "g7"}}},
		{Time: 2000, Kind: "Exit", G: NoG, P: NoP, M: NoM},
	}
	var buf bytes.Buffer
	if err := WriteTrace(&buf, evs); err != nil {
		t.Fatal(err)
	}
	want := "@0 Spawn g=g1 p=p0 m=m0 new=g2\n" +
		"@0 Kick g=g1 p=p0 m=m0 kicked=g5\n" +
		"@1500 Steal p=p1 m=m1 victim=p0 round=0 n=3 run=g7\n" +
		"@2000 Exit\n"
	if buf.String() != want {
		t.Errorf("WriteTrace wrote\n%s\nwant\n%s", buf.String(), want)
	}
	// Comments, blank lines and CRLF are skipped.
	in := "# a trace\n\n" + strings.ReplaceAll(want, "\n", "\r\n   \n  # note\n")
	got, err := ParseTrace("t.trace", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(evs, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("ParseTrace (-want +got):\n%s", d)
	}

	// Random traces round-trip.
	rapid.Check(t, func(t *rapid.T) {
		evs := rapid.SliceOf(genEvent).Draw(t, "events")
		var buf bytes.Buffer
		if err := WriteTrace(&buf, evs); err != nil {
			t.Fatal(err)
		}
		got, err := ParseTrace("r.trace", &buf)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(evs, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("ParseTrace(WriteTrace) (-want +got):\n%s", d)
		}
	})
}

func TestParseTraceErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"t.trace", "# header\n\n@0 Spawn g=g1\n@1 Bogus\n",
			`t.trace:4:4: expected an event kind (an action such as Schedule or an effect such as Run), found "Bogus"`},
		{"t.trace", "@0 Spawn g=g1\r\n  @1 Run g=g2 src=run next\r\n",
			`t.trace:2:23: expected key=value, found "next"`},
		{"", "@0 Run p=p\n",
			`<input>:1:10: expected a P such as p0, found "p"`},
		{"big.trace", "@0 Run\n@1 Run x=" + strings.Repeat("y", MaxTraceLine) + "\n",
			`big.trace:2:1: line longer than the limit of 1048576 bytes`},
	}
	for _, tt := range tests {
		evs, err := ParseTrace(tt.name, strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("ParseTrace(%q) succeeded, want %s", tt.in, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseTrace error\n got: %s\nwant: %s", err, tt.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseTrace error is %T, want *spec.Error", err)
		}
		if evs != nil {
			t.Errorf("ParseTrace returned events with an error")
		}
	}
}

func TestWriteTraceRejects(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: "Run", P: NoP, M: NoM, Args: []Arg{{"x", "a b"}}},
			`trace event 1 (@0 Run x=a b): argument x has a value with spaces or control characters: "a b"`},
		{Event{Kind: "Bogus", P: NoP, M: NoM},
			`trace event 1 (@0 Bogus): unknown kind "Bogus"`},
		{Event{Kind: "Run", P: NoP, M: NoM, Args: []Arg{{"g", "g1"}}},
			`trace event 1 (@0 Run g=g1): argument key "g" is reserved (use the G, P and M fields)`},
		{Event{Kind: "Run", P: NoP, M: NoM, Args: []Arg{{"a=b", "c"}}},
			`trace event 1 (@0 Run a=b=c): argument key "a=b" must be non-empty, without "=", spaces or control characters`},
		{Event{Time: -1, Kind: "Run", P: NoP, M: NoM},
			`trace event 1 (@-1 Run): negative time -1`},
		{Event{Kind: "Run", G: -3, P: NoP, M: NoM},
			`trace event 1 (@0 Run g=g-3): invalid G -3`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := WriteTrace(&buf, []Event{{Kind: "Exit", P: NoP, M: NoM}, tt.e})
		if err == nil || err.Error() != tt.want {
			t.Errorf("WriteTrace(%+v) = %v, want %s", tt.e, err, tt.want)
		}
		if buf.String() != "@0 Exit\n" {
			t.Errorf("WriteTrace wrote %q before failing, want the first event only", buf.String())
		}
	}
}
