package spec

import (
	"strconv"
	"strings"
	"time"
)

// String prints p in canonical text form: functions in order, separated by
// blank lines; one statement per line, indented by 4 spaces per block;
// "frame 0" and default arguments (call/spawn 0, park 1) omitted; durations
// as time.Duration.String prints them but with "us" for "µs", so the text
// is ASCII. [Parse] of the result gives back an equal Program (except for
// positions and File), provided p is one that Compile accepts, its names
// are ones Parse accepts, and the text fits in [MaxSourceSize] (indentation
// can make the printed form of a deeply nested program longer than its
// source).
func (p *Program) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	first := true
	for _, f := range p.Funcs {
		if f == nil {
			continue
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		b.WriteString("func ")
		b.WriteString(f.Name)
		if f.Frame != 0 {
			b.WriteString(" frame ")
			b.WriteString(strconv.FormatInt(f.Frame, 10))
		}
		b.WriteString(" {\n")
		wlPrintBody(&b, f.Body, 1)
		b.WriteString("}\n")
	}
	return b.String()
}

// FormatDuration prints d as the workload language writes durations:
// time.Duration.String with "us" in place of "µs".
func FormatDuration(d time.Duration) string {
	return strings.Replace(d.String(), "µs", "us", 1)
}

func wlPrintBody(b *strings.Builder, body []Stmt, depth int) {
	for i := range body {
		s := &body[i]
		for range depth {
			b.WriteString("    ")
		}
		b.WriteString(s.Op.String())
		arg := func(v string) {
			b.WriteByte(' ')
			b.WriteString(v)
		}
		num := func(v int64) { arg(strconv.FormatInt(v, 10)) }
		switch s.Op {
		case OpCompute, OpSyscall:
			arg(FormatDuration(s.Dur))
		case OpCall, OpSpawn:
			arg(s.Func)
			if s.N != 0 {
				num(s.N)
			}
		case OpDescend:
			arg(s.Func)
		case OpPark:
			arg(s.Key)
			if s.N != 1 {
				num(s.N)
			}
		case OpReady:
			arg(s.Key)
		case OpGomaxprocs:
			num(s.N)
		case OpSet, OpStore:
			num(int64(s.Slot))
			num(s.N)
		case OpRef:
			num(int64(s.Slot))
			arg(strconv.Itoa(s.Up) + ":" + strconv.Itoa(s.To))
		case OpCheck:
			if s.Deref {
				arg("*" + strconv.Itoa(s.Slot))
			} else {
				num(int64(s.Slot))
			}
			num(s.N)
		case OpRepeat:
			num(s.N)
			b.WriteString(" {\n")
			wlPrintBody(b, s.Body, depth+1)
			for range depth {
				b.WriteString("    ")
			}
			b.WriteString("}")
		}
		b.WriteByte('\n')
	}
}
