// Package content holds the default wiki a new data directory is seeded with.
package content

import "embed"

// FS is the default wiki: a home page, page templates and one worked example of each kind.
// Only the names below are embedded, so this Go file is not part of the wiki.
//
//go:embed README.md docs drills postmortems runbooks services teams templates
var FS embed.FS
