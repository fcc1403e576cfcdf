package wiki

import "context"

// Update tells a derived view how main moved: from the commit the view
// reflects to a newer one, with the files that changed in between.
type Update struct {
	// From is the commit the view reflected; empty means the view must
	// discard what it holds and rebuild, and Changes lists every file.
	From string
	// To is the commit the view reflects once Apply returns nil.
	To      string
	Changes []Change
	// Load reads and parses a changed page or configuration file (see
	// ParseFile) as of To. Views call it for Added and Modified files; it
	// returns ENOTFOUND for other files.
	// It is safe for concurrent use, so views may load in parallel (see
	// LoadAll).
	Load func(ctx context.Context, c Change) (*Document, error)
	// Settings are the repository settings at To (nil when it has none),
	// which Load already applies. A view that derives from the pages'
	// content and has a FollowsSettings method returning true is rebuilt
	// (From empty) whenever a commit changes the settings.
	Settings *Settings
	// Progress reports how many of Changes the view has applied so far;
	// views call it as they go so readiness can show how far a rebuild is.
	Progress func(done int)
}

// View is anything derived from main that must follow it: the page catalog,
// the search index, the history index. The follower calls Apply for one view
// at a time; views need not lock against concurrent Apply calls, but must be
// safe for readers while Apply runs.
type View interface {
	// Name identifies the view in logs and readiness reports.
	Name() string
	// Commit returns the commit the view reflects, or "" when it holds nothing.
	Commit() string
	// Apply brings the view up to u.To. On error the view must still reflect
	// a consistent state at its previous Commit, or report "" from Commit so
	// the follower rebuilds it.
	Apply(ctx context.Context, u Update) error
}
