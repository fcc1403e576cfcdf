package web

import (
	"github.com/opswiki/opswiki/wiki"
)

// TreeNode is one entry of the page tree beside a page.
type TreeNode struct {
	Label    string
	URL      string
	IsDir    bool
	Open     bool
	Current  bool
	Children []TreeNode
	More     int // for the last entry of a long folder: how many are not shown
}

// treeLimit is how many entries of one folder the tree shows; a folder of
// thousands of runbooks would otherwise outweigh the page it sits beside.
const treeLimit = 30

// tree returns the root folder's entries with the folders leading to the
// current page opened.
func (s *Server) tree(current wiki.Path) []TreeNode {
	var open []wiki.Path
	for d := current.Dir(); d != ""; d = d.Dir() {
		open = append([]wiki.Path{d}, open...)
	}
	return s.treeLevel("", open, current)
}

func (s *Server) treeLevel(dir wiki.Path, open []wiki.Path, current wiki.Path) []TreeNode {
	children := s.catalog.Children(dir)
	var out []TreeNode
	shown := 0
	for _, ch := range children {
		if !ch.IsDir && ch.Page == nil {
			continue // attachments are listed in folder views, not the tree
		}
		if !ch.IsDir && ch.Path.IsIndex() {
			continue // the folder entry stands for it
		}
		isOpen := len(open) > 0 && ch.IsDir && ch.Path == open[0]
		isCurrent := ch.Path == current || (ch.IsDir && current.IsIndex() && current.Dir() == ch.Path)
		if shown >= treeLimit && !isOpen && !isCurrent {
			continue
		}
		shown++
		n := TreeNode{Label: ch.Name, URL: ch.Path.URL(), IsDir: ch.IsDir, Open: isOpen, Current: isCurrent}
		if ch.IsDir {
			n.URL = wiki.NameURL(string(ch.Path))
		}
		if ch.Page != nil {
			n.Label = ch.Page.Title
		}
		if isOpen {
			n.Children = s.treeLevel(ch.Path, open[1:], current)
		}
		out = append(out, n)
	}
	if hidden := countTreeEntries(children) - len(out); hidden > 0 {
		out = append(out, TreeNode{URL: wiki.NameURL(string(dir)), More: hidden})
	}
	return out
}

func countTreeEntries(children []wiki.Child) int {
	n := 0
	for _, ch := range children {
		if ch.IsDir || (ch.Page != nil && !ch.Path.IsIndex()) {
			n++
		}
	}
	return n
}

// crumbs returns the breadcrumbs from the home page to a file.
func (s *Server) crumbs(p wiki.Path, title string) []Crumb {
	out := []Crumb{{Label: "Home", URL: "/"}}
	if p.Name() == "" {
		return nil
	}
	var dirs []wiki.Path
	d := p.Dir()
	if p.IsIndex() {
		d = d.Dir()
	}
	for ; d != ""; d = d.Dir() {
		dirs = append([]wiki.Path{d}, dirs...)
	}
	for _, d := range dirs {
		label := d.Base()
		if t := s.catalog.Lookup(string(d)); t.Kind == wiki.TargetPage {
			if pi, ok := s.catalog.Page(t.Path); ok {
				label = pi.Title
			}
		}
		out = append(out, Crumb{Label: label, URL: wiki.NameURL(string(d))})
	}
	return append(out, Crumb{Label: title})
}
