package wiki

import (
	"fmt"
	"strings"
)

// CodeOwnersPaths are where a repository's CODEOWNERS file is looked for,
// in order: the first that exists is in force and the others are ignored.
// GitHub reads .github/, the root, then docs/; GitLab the root, docs/,
// then .gitlab/.
var CodeOwnersPaths = []Path{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"}

// IsCodeOwners reports whether p is one of the places a CODEOWNERS file
// is read from (CodeOwnersPaths).
func (p Path) IsCodeOwners() bool {
	for _, c := range CodeOwnersPaths {
		if p == c {
			return true
		}
	}
	return false
}

// maxCodeOwnersBytes bounds the file, as GitHub does: a larger one is not
// read at all.
const maxCodeOwnersBytes = 3 << 20

// maxCodeOwnersProblems bounds the problems listed of one file; the rest
// are counted.
const maxCodeOwnersProblems = 100

// CodeOwners is a parsed CODEOWNERS file: who may change which paths.
// Patterns follow git's ignore files as GitHub reads them (see
// CodeOwnersRule); GitLab's sections group rules, and a path is
// restricted by every required section with a rule that matches it, the
// last matching rule of each section deciding. A CodeOwners never changes
// once parsed; nil has no rules.
type CodeOwners struct {
	// Path is the file, Blob its git object id.
	Path Path
	Blob string
	// Sections in the order they first appear; the first is the unnamed
	// section of the rules before any section heading.
	Sections []CodeOwnersSection
	Rules    []CodeOwnersRule
	// Problems are the file's mistakes, by line. A line with a problem is
	// left out (as GitHub and GitLab skip it); the others are in force.
	Problems []Problem
}

// CodeOwnersSection is a GitLab section, "[Name]", "^[Name]" (optional) or
// "[Name][2]" (approvals), with default owners for its rules that name
// none. Sections of the same name, in any case, are one section.
type CodeOwnersSection struct {
	Name string `json:"name"` // "" for the rules before any heading
	// Optional sections name owners without restricting anyone; a
	// section written both ways is required.
	Optional bool `json:"optional"`
	// Approvals is the number the heading asks for, 0 when it names
	// none. A save or push is one person's: the wiki asks them to be one
	// of the owners, whatever the number.
	Approvals int      `json:"approvals,omitempty"`
	Defaults  []string `json:"defaults,omitempty"`
	Line      int      `json:"line"`
}

// Label names the section as it reads in messages: "" for the unnamed
// one, else "section [Name]".
func (s *CodeOwnersSection) Label() string {
	if s.Name == "" {
		return ""
	}
	return "section [" + s.Name + "]"
}

// CodeOwnersRule is one line of the file: a pattern and its owners.
//
// Patterns are git's ignore patterns as GitHub reads them: a leading "/"
// anchors a pattern at the root, as does a "/" inside it; a pattern of one
// name ("*.md", "logs", "apps/") matches at any depth; a trailing "/"
// matches only folders, with everything in them; a pattern naming a
// folder without it ("/apps/github") also covers everything inside; "*"
// and "?" match within one name, "**" any number of folders; "\" escapes
// the next character ("\#notes.md", "with\ space"). A final lone "*"
// ("docs/*") matches the folder's files but not those of its subfolders,
// as GitHub documents. In a file that has sections (GitLab's), a pattern
// that does not start with "/" matches at any depth, as GitLab reads it.
// Negation ("!") and character ranges ("[a-z]") are refused, as GitHub
// refuses them.
type CodeOwnersRule struct {
	Pattern string `json:"pattern"` // as written
	// Owners are "@user", "@org/team" (or a nested "@group/sub/team")
	// and email addresses; empty means the paths have no owner, unless
	// the section names default owners.
	Owners  []string `json:"owners"`
	Line    int      `json:"line"`
	Section int      `json:"section"` // index into CodeOwners.Sections

	match ownersPattern
}

// ParseCodeOwners reads a CODEOWNERS file at p. It never fails: problems
// (with file lines) are in the result, and every line without one is kept.
func ParseCodeOwners(p Path, content []byte) *CodeOwners {
	co := &CodeOwners{Path: p, Blob: BlobID(content), Sections: []CodeOwnersSection{{}}}
	if len(content) > maxCodeOwnersBytes {
		co.problemf(1, "the file is larger than %s, the most GitHub reads; none of it is in force", ByteSize(maxCodeOwnersBytes))
		return co
	}
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	ps := &ownersParser{co: co, gitlab: p == ".gitlab/CODEOWNERS" || hasSections(text)}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if !ps.heading(n+1, line) {
			ps.rule(n+1, line)
		}
	}
	if extra := len(co.Problems) - maxCodeOwnersProblems; extra > 0 {
		co.Problems = append(co.Problems[:maxCodeOwnersProblems], Problem{Path: p, Line: co.Problems[maxCodeOwnersProblems].Line,
			Severity: SeverityError, Message: fmt.Sprintf("and %d more problems", extra)})
	}
	return co
}

// CheckCodeOwners returns a *ValidationError when a CODEOWNERS file has
// problems, so a save or push of one is refused with its lines, as a
// page with errors is: a skipped line would silently give paths away.
func CheckCodeOwners(p Path, content []byte) error {
	if co := ParseCodeOwners(p, content); len(co.Problems) > 0 {
		return &ValidationError{Problems: co.Problems}
	}
	return nil
}

func (co *CodeOwners) problemf(line int, format string, args ...any) {
	co.Problems = append(co.Problems, Problem{Path: co.Path, Line: line, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}
