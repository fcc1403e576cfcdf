package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Files lists the rule files named: files as they are, folders'
// .yaml and .yml files, at any depth.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && f != p {
				return filepath.SkipDir
			}
			if ext := filepath.Ext(f); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				out = append(out, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no rule files (.yaml, .yml) in " + strings.Join(paths, ", "))
	}
	return out, nil
}

// Loader reads rule files from the file system and reads them again when
// they change, for a wiki started with --rules.
type Loader struct {
	paths []string
	every time.Duration

	mu       sync.Mutex
	checked  time.Time
	stamp    string
	rules    []Rule
	problems []Problem
}

// NewLoader returns a loader of the rule files and folders at paths, which
// looks for changes at most once every interval.
func NewLoader(paths []string, every time.Duration) *Loader {
	return &Loader{paths: paths, every: every}
}

// Load returns the rules as the files are now, read again only when a
// file appeared, went or changed since the last look.
func (l *Loader) Load() ([]Rule, []Problem) {
	r, p, _ := l.LoadStamped()
	return r, p
}

// LoadStamped is Load, with a stamp that changes when the rules do.
func (l *Loader) LoadStamped() ([]Rule, []Problem, string) {
	if l == nil {
		return nil, nil, ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, p := l.loadLocked()
	return r, p, l.stamp
}

func (l *Loader) loadLocked() ([]Rule, []Problem) {
	if time.Since(l.checked) < l.every && !l.checked.IsZero() {
		return l.rules, l.problems
	}
	l.checked = time.Now()
	files, err := Files(l.paths)
	if err != nil {
		l.rules, l.problems, l.stamp = nil, []Problem{{File: strings.Join(l.paths, ", "), Message: err.Error()}}, ""
		return l.rules, l.problems
	}
	var stamp strings.Builder
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&stamp, "%s\x00%d\x00%d\x00", f, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if stamp.String() == l.stamp {
		return l.rules, l.problems
	}
	l.stamp = stamp.String()
	l.rules, l.problems = nil, nil
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			l.problems = append(l.problems, Problem{File: f, Message: err.Error()})
			continue
		}
		rs, ps := Parse(f, b)
		l.rules = append(l.rules, rs...)
		l.problems = append(l.problems, ps...)
	}
	Sort(l.rules)
	return l.rules, l.problems
}
