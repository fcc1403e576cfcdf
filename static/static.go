// Package static holds the style sheets, scripts and icons of the web
// interface, served under content-hashed URLs.
package static

import "embed"

// FS holds the static files.
//
//go:embed *.css *.js *.svg
var FS embed.FS
