package githttp

import (
	"bytes"
	"io"
)

// reporter writes what git shows of a push: messages, which it prints as
// "remote:" lines, then the status of each ref.
type reporter struct {
	w        io.Writer
	sideband bool
	small    bool // plain side-band: 1000-byte packets
	report   bool
	problems int
	// said holds the problem lines sent: refs sharing a refused object
	// report it once.
	said map[string]bool
}

// msg sends one line for the client to print. Without side-band there is
// no way to show it.
func (r *reporter) msg(line string) {
	if r.sideband {
		_, _ = bandWriter{w: r.w, band: bandProgress, small: r.small}.Write([]byte(line + "\n"))
	}
}

// problem sends a problem line once, up to maxProblems, then a note that
// more were left out.
func (r *reporter) problem(line string) {
	if r.said[line] {
		return
	}
	if r.said == nil {
		r.said = make(map[string]bool)
	}
	r.said[line] = true
	r.problems++
	switch {
	case r.problems <= maxProblems:
		r.msg(line)
	case r.problems == maxProblems+1:
		r.msg("(more problems not shown; run opswiki check on your clone to see them all)")
	}
}

// finish writes the report-status: the unpack result and "ok" or "ng" for
// each ref, inside side-band channel 1 when it was negotiated.
func (r *reporter) finish(unpack string, cmds []*command) {
	if !r.report {
		if r.sideband {
			_, _ = io.WriteString(r.w, "0000")
		}
		return
	}
	var b bytes.Buffer
	pw := &pktWriter{w: &b}
	pw.line("unpack " + unpack + "\n")
	for _, c := range cmds {
		if c.reason == "" {
			pw.line("ok " + c.name + "\n")
		} else {
			pw.line("ng " + c.name + " " + c.reason + "\n")
		}
	}
	pw.flush()
	if r.sideband {
		_, _ = bandWriter{w: r.w, band: bandData, small: r.small}.Write(b.Bytes())
		_, _ = io.WriteString(r.w, "0000")
		return
	}
	_, _ = r.w.Write(b.Bytes())
}
