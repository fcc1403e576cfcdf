package wiki

import (
	"context"
	"errors"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// Attach commits a file next to the page it was added to and returns its
// path. The name is reduced to safe characters, and a number is added when
// a file of that name exists, so an upload never overwrites anything.
func (e *Editor) Attach(ctx context.Context, page Path, name string, content []byte, author Signature) (Path, error) {
	if len(content) == 0 {
		return "", Errorf(EINVALID, "The file is empty.")
	}
	base := SafeFileName(name)
	if strings.EqualFold(path.Ext(base), ".md") {
		return "", Errorf(EINVALID, "Markdown files are pages: create them as pages, not attachments.")
	}
	for range maxAttempts {
		head, err := e.store.Head(ctx)
		if err != nil && !errors.Is(err, ErrEmpty) {
			return "", err
		}
		p, err := e.freeName(ctx, head, page.Dir(), base)
		if err != nil {
			return "", err
		}
		if _, err := e.gate.CheckFile(p, content, e.catalog.Settings()); err != nil {
			return "", err
		}
		_, err = e.commit(ctx, head, CommitRequest{Expect: map[Path]string{p: ""}, Author: author, Message: "Attach " + string(p) + " to " + string(page),
			Changes: []FileChange{{Path: p, Content: content}}})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return "", err
		}
		e.sync(ctx)
		return p, nil
	}
	return "", errBusy
}

// freeName returns dir/base, or dir/base-2.ext and so on when taken.
func (e *Editor) freeName(ctx context.Context, head string, dir Path, base string) (Path, error) {
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = stem + "-" + strconv.Itoa(i) + ext
		}
		p, err := ParsePath(string(dir.Join(name)))
		if err != nil {
			return "", err
		}
		if head == "" {
			return p, nil
		}
		if _, _, err := e.store.ReadFile(ctx, head, p); ErrorCode(err) == ENOTFOUND {
			return p, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", Errorf(ECONFLICT, "Too many files named %s here.", base)
}

// SafeFileName reduces an uploaded file's name to letters, digits, dots,
// dashes and underscores, keeping its extension; "image.png" for names
// with nothing left (pasted screenshots have none).
func SafeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	dash := false
	for _, r := range name {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '.' || r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if len(s) > 100 {
		ext := path.Ext(s)
		s = s[:100-len(ext)] + ext
	}
	if s == "" || strings.HasPrefix(s, ".") || path.Ext(s) == s {
		return "image.png"
	}
	ext := path.Ext(s)
	return strings.TrimSuffix(s, ext) + strings.ToLower(ext)
}
