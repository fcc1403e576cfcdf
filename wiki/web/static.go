package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFiles serves the embedded assets under names that carry a hash of
// their content ("app.3f2a9c1e.css"), so browsers may cache them for a year
// and still never see a stale file after an upgrade.
type staticFiles struct {
	byHashed map[string]staticFile // hashed name -> file
	urls     map[string]string     // plain name -> URL
}

type staticFile struct {
	body  []byte
	ctype string
	etag  string
	enc   *encodedBody // for text, sent compressed as the browser accepts
}

// staticBrotliLevel is the best compression: each asset is compressed once
// per process.
const staticBrotliLevel = 11

// staticPrefix is where assets are served from.
const staticPrefix = "/-/static/"

// loadStatic reads every file of fsys, plus generated files in extra (such
// as the highlighting style sheet, made from the renderer's themes).
func loadStatic(fsys fs.FS, extra map[string][]byte) (*staticFiles, error) {
	s := &staticFiles{byHashed: map[string]staticFile{}, urls: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		if _, ok := extra[name]; ok {
			return nil // made from this file and others
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read static %s: %w", name, err)
		}
		s.add(name, b)
		return nil
	})
	for name, b := range extra {
		s.add(name, b)
	}
	return s, err
}

func (s *staticFiles) add(name string, b []byte) {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])[:12]
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "." + h + ext
	ctype := mime.TypeByExtension(ext)
	if ctype == "" {
		ctype = http.DetectContentType(b)
	}
	f := staticFile{body: b, ctype: ctype, etag: `"` + h + `"`}
	if compressible(ctype) {
		f.enc = newEncodedBody(b, staticBrotliLevel)
	}
	s.byHashed[hashed] = f
	s.urls[name] = staticPrefix + hashed
}

// URL returns the hashed URL of a static file, for templates. Referring to
// a file that does not exist is a programming error caught at start, since
// every template is executed once by the start-up check.
func (s *staticFiles) URL(name string) (string, error) {
	u, ok := s.urls[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

// serve writes the named hashed file, or reports false.
func (s *staticFiles) serve(w http.ResponseWriter, r *http.Request, hashed string) bool {
	f, ok := s.byHashed[hashed]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	if f.enc == nil {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
		return true
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		addVary(h)
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	f.enc.write(w, r, http.StatusOK)
	return true
}
