package main

import (
	"fmt"
	"io"
	"strings"
)

// Row is one line of the figures table.
type Row struct {
	What   string `json:"what"`
	Figure string `json:"figure"`
	// Target is what SPEC §9 asks, empty for a figure given for reference.
	Target string `json:"target,omitempty"`
	// Met says whether the figure meets the target; nil when there is none.
	Met *bool `json:"met,omitempty"`
	// Reproduce is the command that measures this figure alone.
	Reproduce string `json:"reproduce"`
}

// Machine describes where and when the figures were measured.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	Go         string `json:"go"`
	Commit     string `json:"commit,omitempty"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	Date       string `json:"date"`
	Command    string `json:"command"`
}

// metString is the met column: yes, no, or a dash when there is no target.
func metString(m *bool) string {
	switch {
	case m == nil:
		return "—"
	case *m:
		return "yes"
	default:
		return "no"
	}
}

// writeMarkdown writes the header and the table of figures, then the
// failures, if any.
func writeMarkdown(w io.Writer, m Machine, rows []Row, failures []string) {
	fmt.Fprintf(w, "Machine: %s, %d cores; %s", m.CPU, m.Cores, m.Go)
	if m.Commit != "" {
		fmt.Fprintf(w, "; opswiki at %s", m.Commit)
	}
	fmt.Fprintf(w, "  \nLoad average (1, 5, 15 min): %s before, %s after; %s  \nCommand: `%s`\n\n", m.LoadBefore, m.LoadAfter, m.Date, m.Command)
	fmt.Fprintln(w, "| what | figure | target | met | reproduce |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, r := range rows {
		target := r.Target
		if target == "" {
			target = "—"
		}
		repro := "—"
		if r.Reproduce != "" {
			repro = "`" + strings.ReplaceAll(r.Reproduce, "|", `\|`) + "`"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", cell(r.What), cell(r.Figure), cell(target), metString(r.Met), repro)
	}
	if len(failures) > 0 {
		fmt.Fprintf(w, "\n%d phase(s) failed:\n", len(failures))
		for _, f := range failures {
			fmt.Fprintf(w, "- %s\n", cell(f))
		}
	}
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// met is the met column for a comparison with a target.
func met(ok bool) *bool { return &ok }

// num formats a figure with thousands separators and at most the given
// decimals, as the README writes figures: 36,661; 1.5; 0.09.
func num(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		b.WriteString("." + frac)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// msec formats milliseconds with precision that suits their size.
func msec(v float64) string {
	switch {
	case v >= 100:
		return num(v, 0) + " ms"
	case v >= 10:
		return num(v, 1) + " ms"
	default:
		return num(v, 2) + " ms"
	}
}

// sec formats seconds.
func sec(v float64) string {
	if v >= 10 {
		return num(v, 1) + " s"
	}
	return num(v, 2) + " s"
}
