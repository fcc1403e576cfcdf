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

// Markers of a merge with the upstream: a page changed both in the wiki,
// while the upstream could not be reached, and on the upstream, in the
// same lines. Both versions are kept for people to choose from.
const (
	MarkerWiki     = "<<<<<<< saved in this wiki"
	MarkerUpstream = ">>>>>>> upstream"
)

// checkMarkers adds an error for every marker line a merge left in the
// file: a conflict saved or pushed unresolved.
func checkMarkers(d *Document, content []byte) {
	if !bytes.Contains(content, []byte("<<<<<<< ")) && !bytes.Contains(content, []byte(">>>>>>> ")) {
		return
	}
	line := 0
	for len(content) > 0 {
		raw, rest, _ := cutLine(content)
		content = rest
		line++
		raw = bytes.TrimRight(raw, "\r")
		switch string(raw) {
		case MarkerYours, MarkerTheirs, MarkerWiki, MarkerUpstream:
			d.add(SeverityError, line, "", "an unresolved conflict marker: keep the text that should stay and remove the markers")
		}
	}
}
