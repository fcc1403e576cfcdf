package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// errCheckFailed makes `opswiki check` exit 1 after printing its report.
var errCheckFailed = errors.New("the content has errors")

// Check validates a folder of markdown (a docs repository's checkout) the
// way the wiki would: every page's front matter, links between pages,
// references to services, overdue action items and runbooks past review.
// It prints file:line: severity: message lines, or JSON, and returns
// errCheckFailed when there are errors.
func Check(ctx context.Context, dir, format string, strict bool, now time.Time, stdout io.Writer) error {
	cat, err := loadFolder(ctx, dir)
	if err != nil {
		return err
	}
	problems := wiki.Report(cat, now)
	rec := wiki.Recognise(cat, problems)
	errs, warns := rec.Errors, rec.Warnings
	switch format {
	case "json":
		if problems == nil {
			problems = []wiki.Problem{}
		}
		if rec.Missed == nil {
			rec.Missed = []wiki.Missed{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"pages": rec.Pages, "errors": errs, "warnings": warns, "problems": problems, "recognised": rec}); err != nil {
			return err
		}
	default:
		for _, p := range problems {
			fmt.Fprintf(stdout, "%s:%d: %s: %s\n", p.Path, p.Line, p.Severity, p.Message)
		}
		fmt.Fprintf(stdout, "%d pages checked: %d errors, %d warnings\n", rec.Pages, errs, warns)
		if err := wiki.WriteRecognition(stdout, rec); err != nil {
			return err
		}
	}
	if errs > 0 || (strict && warns > 0) {
		return errCheckFailed
	}
	return nil
}

// loadFolder reads a folder of markdown (a checkout of the wiki's
// repository) into a catalog, as the wiki would hold it: its settings,
// pages and configuration files.
func loadFolder(ctx context.Context, dir string) (*wiki.Catalog, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	var changes []wiki.Change
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || (strings.HasPrefix(d.Name(), ".") && p != root) || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		wp, err := wiki.ParsePath(filepath.ToSlash(rel))
		if err != nil {
			return nil // a name the wiki could not hold is not checked
		}
		changes = append(changes, wiki.Change{Kind: wiki.Added, Path: wp, Blob: p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	cat := wiki.NewCatalog()
	var settings *wiki.Settings
	if b, err := os.ReadFile(filepath.Join(root, string(wiki.SettingsPath))); err == nil {
		settings = wiki.ParseSettings(b, "worktree")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	load := func(ctx context.Context, c wiki.Change) (*wiki.Document, error) {
		if !c.Path.IsPage() && !wiki.IsConfigFile(c.Path) {
			return nil, wiki.Errorf(wiki.ENOTFOUND, "not a page")
		}
		b, err := os.ReadFile(c.Blob)
		if err != nil {
			return nil, err
		}
		return wiki.ParseFile(c.Path, b, settings), nil
	}
	if err := cat.Apply(ctx, wiki.Update{To: "worktree", Changes: changes, Load: load, Settings: settings}); err != nil {
		return nil, err
	}
	return cat, nil
}
