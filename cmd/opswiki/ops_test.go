package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// MustCorporaWiki starts a wiki whose repository holds the shared corpora
// (prometheus-operator runbooks under runbooks/, icco postmortems under
// postmortems/public/), pushed with git like an existing collection.
func MustCorporaWiki(t *testing.T) (*Server, map[string][]byte) {
	t.Helper()
	files := corpora(t)
	s := MustServe(t, "")
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", filepath.Join(s.Data, "wiki.git"), work)
	for name, b := range files {
		mustWrite(t, filepath.Join(work, name), string(b))
	}
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "Import the corpora")
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	waitFor(t, func() bool { code, _, _ := s.Get(t, "/postmortems/public"); return code == 200 })
	s.WaitReady(t)
	return s, files
}

func TestCorporaAlertsAndCatalog(t *testing.T) {
	s, files := MustCorporaWiki(t)
	t.Run("EveryRunbookByAlert", func(t *testing.T) {
		n := 0
		for name := range files {
			if !strings.HasPrefix(name, "runbooks/") || strings.HasSuffix(name, "_index.md") {
				continue
			}
			alert := strings.TrimSuffix(filepath.Base(name), ".md")
			want := "/" + strings.TrimSuffix(name, ".md")
			for _, variant := range []string{alert, strings.ToLower(alert), strings.ToUpper(alert)} {
				code, h, body := s.Get(t, "/-/alerts/"+url.PathEscape(variant))
				if code != 302 || h.Get("Location") != want {
					t.Errorf("/-/alerts/%s = %d %q, want a redirect to %s\n%.300s", variant, code, h.Get("Location"), want, body)
				}
			}
			n++
		}
		if n < 100 {
			t.Fatalf("only %d runbooks checked", n)
		}
		code, _, body := s.Get(t, "/-/alerts/NoSuchAlertAnywhere")
		if code != 404 || !strings.Contains(body, "/-/new?alert=NoSuchAlertAnywhere&amp;template=runbook") {
			t.Errorf("unknown alert = %d\n%s", code, body)
		}
	})
	t.Run("PostmortemsImportCleanly", func(t *testing.T) {
		code, _, body := s.Get(t, "/-/report")
		if code != 200 {
			t.Fatal(code)
		}
		if strings.Contains(body, `<li class="error">`) && strings.Contains(body, "postmortems/public/") {
			i := strings.Index(body, `<li class="error">`)
			t.Errorf("an imported postmortem has errors: %.400s", body[i:])
		}
		_, _, services := s.Get(t, "/-/services")
		services = strings.ToLower(html.UnescapeString(services))
		found, products := 0, 0
		for name, b := range files {
			if !strings.HasPrefix(name, "postmortems/") {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if product, ok := strings.CutPrefix(line, "product: "); ok {
					product = strings.Trim(strings.TrimSpace(product), `"'`)
					if product == "" {
						break
					}
					products++
					if strings.Contains(services, strings.ToLower(product)) {
						found++
					} else {
						t.Errorf("%s: product %q is not in the service catalog", name, product)
					}
					break
				}
			}
		}
		if products < 150 || found != products {
			t.Errorf("%d of %d postmortems with a product appear in the service catalog by it", found, products)
		}
		_, _, rel := s.Get(t, "/-/reliability?window=730d")
		if !strings.Contains(rel, "Time to resolve") {
			t.Errorf("reliability page:\n%.500s", rel)
		}
	})
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "runbooks", "ok.md"), "---\nowner: sre\nservices: [db]\n---\n# OK\n\nSee [[services/db]].\n")
	mustWrite(t, filepath.Join(dir, "services", "db.md"), "---\nowner: dba\n---\n# DB\n")
	mustWrite(t, filepath.Join(dir, ".git", "HEAD"), "ignored")
	var out bytes.Buffer
	if err := main.Check(context.Background(), dir, "text", false, time.Now(), &out); err != nil {
		t.Fatalf("clean folder: %v\n%s", err, out.String())
	}
	for _, want := range []string{"2 pages checked: 0 errors, 0 warnings", "Recognised 2 pages: 1 runbook answering 0 alerts, 0 postmortems with 0 action items, 1 service; 0 errors, 0 warnings."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	mustWrite(t, filepath.Join(dir, "runbooks", "bad.md"), "---\nowner: sre\nlast_reviewed: someday\n---\n# Bad\n\n[[missing/page]]\n")
	out.Reset()
	err := main.Check(context.Background(), dir, "text", false, time.Now(), &out)
	if err == nil {
		t.Fatal("check passed a folder with an error")
	}
	for _, want := range []string{"runbooks/bad.md:3: error: last_reviewed:", `runbooks/bad.md:7: warning: link to "missing/page": no such page`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	_ = main.Check(context.Background(), dir, "json", false, time.Now(), &out)
	var report struct {
		Errors   int `json:"errors"`
		Problems []struct {
			Path string
			Line int
		} `json:"problems"`
		Recognised struct {
			Runbooks int `json:"runbooks"`
			Missed   []struct {
				Path  string `json:"path"`
				Looks string `json:"looks"`
			} `json:"missed"`
		} `json:"recognised"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil || report.Errors != 1 || len(report.Problems) != 2 ||
		report.Recognised.Runbooks != 2 || report.Recognised.Missed == nil {
		t.Errorf("json: %v %s", err, out.String())
	}
	if err := main.Check(context.Background(), filepath.Join(dir, "nope"), "text", false, time.Now(), &out); err == nil || os.IsNotExist(err) {
		t.Errorf("missing folder: %v", err)
	}
}
