package wiki

import (
	"context"
	"errors"
	"fmt"
)

// Gate is the one check every change passes before it is written,
// whichever way it arrives: a save in the browser or the API, an action
// item or review update, a restore, a move, an attachment, a push. It
// holds the wiki's size limits, and what closing a postmortem is checked
// against (CheckClose); the path rule (CheckWriteFile) and the document
// checks (ParseDocument's errors) are the same for every path.
type Gate struct {
	// MaxPageBytes bounds a page's markdown; MaxFileBytes any other file.
	// Zero means no limit.
	MaxPageBytes int64
	MaxFileBytes int64
	// Catalog and Timeline, the wiki and the history of main, let
	// CheckClose see whether the runbooks a postmortem names changed
	// since the incident; without them only its own text is checked.
	Catalog  *Catalog
	Timeline Timeline
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
	if err == nil && d != nil && closing(d, s) {
		// Reopening an action item of a closed postmortem: its own text
		// decides, as the change touches nothing else.
		errs := CheckReadiness(context.Background(), nil, nil, d, s, nil).Errors()
		if len(errs) > len(CheckReadiness(context.Background(), nil, nil, ParseDocumentWith(p, before, s), s, nil).Errors()) {
			return d, &ValidationError{Problems: errs}
		}
	}
	return d, err
}

// CheckClose checks a postmortem that says it is closed against the
// readiness checks the settings s make block closing (see
// CheckReadiness), and returns a *ValidationError with the findings that
// block it. updated lists files the same change writes (a push), which
// count as updated now. Other documents, and settings blocking nothing,
// pass at no cost. Returns EUNAVAILABLE when the runbooks must be checked
// and the history is still being built.
func (g Gate) CheckClose(ctx context.Context, d *Document, s *Settings, updated []Path) error {
	if d == nil || !closing(d, s) {
		return nil
	}
	fresh := make(map[Path]bool, len(updated))
	for _, p := range updated {
		fresh[p] = true
	}
	var tl Timeline
	if g.Timeline != nil && s.BlocksClose(CheckRunbooksNotUpdated) {
		tl = g.Timeline
	}
	r := CheckReadiness(ctx, g.Catalog, tl, d, s, fresh)
	if r.unavailable != nil {
		return r.unavailable
	}
	if errs := r.Errors(); len(errs) > 0 {
		return &ValidationError{Problems: errs}
	}
	return nil
}

// closing reports whether d is a closed postmortem the settings guard.
func closing(d *Document, s *Settings) bool {
	return d.Meta.Kind == KindPostmortem && d.Meta.Status == StatusClosed && s != nil && len(s.BlockClose) > 0
}
