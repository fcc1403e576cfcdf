package wiki

import (
	"errors"
	"fmt"
)

// Gate is the one check every change passes before it is written,
// whichever way it arrives: a save in the browser or the API, an action
// item or review update, a restore, a move, an attachment, a push. It
// holds the wiki's size limits; the path rule (CheckWriteFile) and the
// document checks (ParseDocument's errors) are the same for every path.
type Gate struct {
	// MaxPageBytes bounds a page's markdown; MaxFileBytes any other file.
	// Zero means no limit.
	MaxPageBytes int64
	MaxFileBytes int64
}

// CheckFile checks one file a change adds or changes, in the order a
// person can act on: where it goes (the path rule), how large it is, and
// for a page whether the document has errors. It returns the parsed
// document of a page (nil for other files), whose warnings the caller may
// show. Returns EINVALID for a path git or the wiki refuses, ETOOLARGE
// over a limit, and a *ValidationError (EDOCUMENT) for a page with errors.
// Deleting a file is never checked. Pages are read under the repository
// settings s (nil for none); the settings file and a CODEOWNERS file are
// checked as what they are, so one with a mistake is refused with its line.
func (g Gate) CheckFile(p Path, content []byte, s *Settings) (*Document, error) {
	if err := CheckWriteFile(p, content); err != nil {
		return nil, err
	}
	if err := g.CheckSize(p, int64(len(content))); err != nil {
		return nil, err
	}
	if p.IsSettings() {
		return nil, CheckSettings(content)
	}
	if p.IsCodeOwners() {
		return nil, CheckCodeOwners(p, content)
	}
	if !p.IsPage() {
		return nil, nil
	}
	d := ParseDocumentWith(p, content, s)
	if errs := d.Errors(); len(errs) > 0 {
		return d, &ValidationError{Problems: errs}
	}
	return d, nil
}

// CheckSize returns ETOOLARGE when a file of n bytes at p is over its
// limit: pages are held to MaxPageBytes, other files to MaxFileBytes.
func (g Gate) CheckSize(p Path, n int64) error {
	if p.IsPage() {
		if g.MaxPageBytes > 0 && n > g.MaxPageBytes {
			return Errorf(ETOOLARGE, "%s: the page is larger than %s, the largest page this wiki takes; split it into several pages.", p, ByteSize(g.MaxPageBytes))
		}
		return nil
	}
	if g.MaxFileBytes > 0 && n > g.MaxFileBytes {
		return Errorf(ETOOLARGE, "%s: the file is larger than %s, the largest file this wiki takes.", p, ByteSize(g.MaxFileBytes))
	}
	return nil
}

// ByteSize writes a size the way people read it: "1 MiB", "512 KiB".
func ByteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckRewrite is CheckFile for a change the wiki makes to text a person
// wrote (an action item's status, a review date, links rewritten by a
// move): errors the text already had do not block it, only errors the
// change brings.
func (g Gate) CheckRewrite(p Path, before, after []byte, s *Settings) (*Document, error) {
	d, err := g.CheckFile(p, after, s)
	var verr *ValidationError
	if errors.As(err, &verr) && p.IsPage() && len(verr.Problems) <= len(ParseDocumentWith(p, before, s).Errors()) {
		return d, nil
	}
	return d, err
}
