// Package templates holds the HTML templates of the web interface.
package templates

import "embed"

// FS holds layout.html, which every page uses, and one file per page view.
//
//go:embed *.html
var FS embed.FS
