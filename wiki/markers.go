package wiki

import "bytes"

// Conflict markers: what the editor's three-way merge writes around the
// two versions of lines that both sides changed, the person's own edit
// first, then what is on main now. These are the only place they are
// spelled out; the merge is given them (see Merger).
const (
	MarkerYours  = "<<<<<<< your edit"
	MarkerSep    = "======="
	MarkerTheirs = ">>>>>>> current version"
)

// checkMarkers adds an error for every marker line a merge left in the
// file: a conflict saved or pushed unresolved.
func checkMarkers(d *Document, content []byte) {
	if !bytes.Contains(content, []byte(MarkerYours)) && !bytes.Contains(content, []byte(MarkerTheirs)) {
		return
	}
	line := 0
	for len(content) > 0 {
		raw, rest, _ := cutLine(content)
		content = rest
		line++
		raw = bytes.TrimRight(raw, "\r")
		if string(raw) == MarkerYours || string(raw) == MarkerTheirs {
			d.add(SeverityError, line, "", "an unresolved conflict marker: keep the text that should stay and remove the markers")
		}
	}
}
