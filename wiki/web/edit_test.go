package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func send(tb testing.TB, ts *httptest.Server, method, path, ctype string, body io.Reader, header ...string) (*http.Response, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func form(vals ...string) io.Reader {
	v := url.Values{}
	for i := 0; i+1 < len(vals); i += 2 {
		v.Set(vals[i], vals[i+1])
	}
	return strings.NewReader(v.Encode())
}

var baseRE = regexp.MustCompile(`name="base" value="([0-9a-f]*)"`)

func TestEditorForms(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"runbooks/disk.md":        "---\nowner: sre\n---\n# Disk\n\nline a\nline b\n",
		"templates/runbook.md":    "---\ntitle: \"{{title}}\"\nkind: runbook\nalerts: [\"{{alert}}\"]\n---\n## Meaning\n",
		"templates/README.md":     "# Templates\n",
		"postmortems/README.md":   "# Postmortems\n",
		"templates/postmortem.md": "---\nkind: postmortem\nincident: \"{{incident}}\"\n---\n## Summary\n",
	})
	same := []string{"Origin", ts.URL, "Sec-Fetch-Site", "same-origin"}
	const ctForm = "application/x-www-form-urlencoded"

	_, body := get(t, ts, "GET", "/-/edit/runbooks/disk")
	m := baseRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "line a\nline b") || !strings.Contains(body, `src="/-/static/editor.`) {
		t.Fatalf("editor page:\n%s", body)
	}
	base := m[1]

	t.Run("Save", func(t *testing.T) {
		resp, body := send(t, ts, "POST", "/-/edit/runbooks/disk", ctForm,
			form("path", "runbooks/disk.md", "base", base, "content", "---\r\nowner: sre\r\n---\r\n# Disk\r\n\r\nline A\r\nline b\r\n", "message", "capital A"), same...)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runbooks/disk" {
			t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		_, raw := get(t, ts, "GET", "/runbooks/disk.md")
		if !strings.Contains(raw, "line A\nline b") || strings.Contains(raw, "\r") {
			t.Fatalf("saved text %q", raw)
		}
	})
	t.Run("ConflictKeepsText", func(t *testing.T) {
		// base is now stale: the save above changed line a.
		resp, body := send(t, ts, "POST", "/-/edit/runbooks/disk", ctForm,
			form("path", "runbooks/disk.md", "base", base, "content", "---\nowner: sre\n---\n# Disk\n\nline a, mine\nline b\n"), same...)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{"&lt;&lt;&lt;&lt;&lt;&lt;&lt; your edit\nline a, mine\n=======\nline A\n&gt;&gt;&gt;&gt;&gt;&gt;&gt; current version", `id="conflict-yours"`, "line a, mine"} {
			if !strings.Contains(body, want) {
				t.Errorf("conflict page lacks %q", want)
			}
		}
		if m := baseRE.FindStringSubmatch(body); m == nil || m[1] == base {
			t.Errorf("the conflict page should carry the current version as the new base")
		}
	})
	t.Run("InvalidStaysInEditor", func(t *testing.T) {
		resp, body := send(t, ts, "POST", "/-/new", ctForm, form("path", "runbooks/new", "content", "---\ntitle: [broken\n---\nmy text\n"), same...)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "my text") || !strings.Contains(body, "not valid YAML") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("CrossOriginRefused", func(t *testing.T) {
		resp, body := send(t, ts, "POST", "/-/edit/runbooks/disk", ctForm, form("path", "runbooks/disk.md", "content", "pwned"),
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "another web site") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		resp, _ = send(t, ts, "PUT", "/-/api/pages/runbooks/disk", "application/json", strings.NewReader(`{"content":"pwned"}`),
			"Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin API write = %d", resp.StatusCode)
		}
		_, raw := get(t, ts, "GET", "/runbooks/disk.md")
		if strings.Contains(raw, "pwned") {
			t.Fatal("a cross-origin write landed")
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big, _ := json.Marshal(map[string]string{"content": strings.Repeat("x", 5000)})
		resp, body := send(t, ts, "PUT", "/-/api/pages/big", "application/json", bytes.NewReader(big))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 4 KiB") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("BadJSON", func(t *testing.T) {
		resp, body := send(t, ts, "PUT", "/-/api/pages/x", "application/json", strings.NewReader(`{"content": 3}`))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not valid JSON") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("EscapingPath", func(t *testing.T) {
		for _, p := range []string{"/-/api/pages/..%2F..%2Fetc%2Fpasswd", "/-/api/pages/.git/config"} {
			resp, _ := send(t, ts, "PUT", p, "application/json", strings.NewReader(`{"content":"x"}`))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PUT %s = %d, want 400", p, resp.StatusCode)
			}
		}
	})
	t.Run("NewFromTemplate", func(t *testing.T) {
		_, body := get(t, ts, "GET", "/-/new?template=runbook&alert=DiskAlmostFull&title=Disk+almost+full")
		for _, want := range []string{`value="runbooks/disk-almost-full.md"`, "title: &#34;Disk almost full&#34;", "alerts: [&#34;DiskAlmostFull&#34;]", `class="active"`, ">blank<", ">postmortem<"} {
			if !strings.Contains(body, want) {
				t.Errorf("new page lacks %q", want)
			}
		}
		if strings.Contains(body, ">README<") {
			t.Error("the templates folder page is offered as a template")
		}
		_, body = get(t, ts, "GET", "/-/new?template=postmortem&incident=INC-9&date=2026-11-21")
		if !strings.Contains(body, `value="postmortems/2026/2026-11-21-inc-9.md"`) || !strings.Contains(body, "incident: &#34;INC-9&#34;") {
			t.Errorf("postmortem prefill:\n%s", body)
		}
		if resp, _ := get(t, ts, "GET", "/-/new?template=nope"); resp.StatusCode != 404 {
			t.Errorf("unknown template = %d", resp.StatusCode)
		}
		if resp, _ := get(t, ts, "GET", "/-/edit/no/such/page"); resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "/-/new?path=no%2Fsuch%2Fpage.md") {
			t.Errorf("edit of a missing page = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("Attach", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "graph one.png")
		fw.Write([]byte("\x89PNG\r\n\x1a\nimage"))
		mw.Close()
		resp, body := send(t, ts, "POST", "/-/api/attachments/runbooks/disk", mw.FormDataContentType(), &buf, same...)
		if resp.StatusCode != 200 || !strings.Contains(body, `"markdown":"![graph-one.png](graph-one.png)"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if resp, _ := get(t, ts, "GET", "/runbooks/graph-one.png"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("attachment served as %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		buf.Reset()
		mw = multipart.NewWriter(&buf)
		fw, _ = mw.CreateFormFile("file", "big.bin")
		fw.Write(bytes.Repeat([]byte("x"), 5000))
		mw.Close()
		if resp, body := send(t, ts, "POST", "/-/api/attachments/runbooks/disk", mw.FormDataContentType(), &buf); resp.StatusCode != 413 {
			t.Fatalf("large upload = %d %s", resp.StatusCode, body)
		}
	})
	t.Run("Preview", func(t *testing.T) {
		resp, body := send(t, ts, "POST", "/-/api/preview", "application/json",
			strings.NewReader(`{"path":"docs/x.md","content":"---\nkind: bogus\n---\n# T\n\n<script>alert(1)</script>\n\nsee [[nowhere]]\n"}`), same...)
		var r struct {
			HTML     string `json:"html"`
			Problems []struct {
				Line     int    `json:"line"`
				Severity string `json:"severity"`
			} `json:"problems"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if strings.Contains(r.HTML, "<script") || !strings.Contains(r.HTML, "&lt;script&gt;") {
			t.Errorf("preview html %q", r.HTML)
		}
		if len(r.Problems) != 2 || r.Problems[0].Line != 2 || r.Problems[0].Severity != "error" || r.Problems[1].Line != 8 {
			t.Errorf("problems %+v", r.Problems)
		}
	})
}

func TestHistoryViews(t *testing.T) {
	ts := MustServer(t, map[string]string{"a.md": "# A\n\none\ntwo\n"})
	same := []string{"Origin", ts.URL}
	for i, text := range []string{"# A\n\nONE\ntwo\n", "# A\n\nONE\ntwo\nthree\n"} {
		var p struct{ Blob string }
		_, body := get(t, ts, "GET", "/-/api/pages/a")
		json.Unmarshal([]byte(body), &p)
		b, _ := json.Marshal(map[string]string{"content": text, "base": p.Blob, "message": "edit " + string(rune('1'+i))})
		if resp, body := send(t, ts, "PUT", "/-/api/pages/a", "application/json", bytes.NewReader(b)); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	_, body := get(t, ts, "GET", "/-/api/history/a?limit=10")
	var h struct {
		Revisions []struct{ Commit, Message, Change string } `json:"revisions"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || len(h.Revisions) != 3 || h.Revisions[0].Message != "edit 2" || h.Revisions[2].Change != "added" {
		t.Fatalf("history %s", body)
	}
	first, last := h.Revisions[2].Commit, h.Revisions[0].Commit

	_, page := get(t, ts, "GET", "/-/history/a")
	if !strings.Contains(page, "edit 2") || !strings.Contains(page, `name="from"`) || !strings.Contains(page, "/-/diff/a?from=") {
		t.Errorf("history page:\n%s", page)
	}
	_, diff := get(t, ts, "GET", "/-/diff/a?from="+first+"&to="+last)
	for _, want := range []string{`<tr class="op1">`, "one", `<tr class="op2">`, "ONE", "three"} {
		if !strings.Contains(diff, want) {
			t.Errorf("unified diff lacks %q", want)
		}
	}
	_, split := get(t, ts, "GET", "/-/diff/a?from="+first+"&to="+last+"&view=split")
	if !strings.Contains(split, `class="diff split"`) || !strings.Contains(split, `<td class="code op1">one</td>`) {
		t.Errorf("split diff:\n%s", split)
	}
	_, old := get(t, ts, "GET", "/-/revision/a?rev="+first)
	if !strings.Contains(old, "This is an old version") || !strings.Contains(old, "<p>one\ntwo</p>") || !strings.Contains(old, "Restore this version") {
		t.Errorf("revision page:\n%s", old)
	}
	current := baseRE.FindStringSubmatch(old)
	resp, _ := send(t, ts, "POST", "/-/restore/a", "application/x-www-form-urlencoded", form("rev", first, "base", current[1]), same...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore = %d", resp.StatusCode)
	}
	if _, raw := get(t, ts, "GET", "/a.md"); raw != "# A\n\none\ntwo\n" {
		t.Errorf("restored text %q", raw)
	}
	_, feed := get(t, ts, "GET", "/-/changes.atom")
	if !strings.Contains(feed, `<feed xmlns="http://www.w3.org/2005/Atom">`) || !strings.Contains(feed, "Restore a.md as of") {
		t.Errorf("feed:\n%s", feed)
	}
	if resp, _ := get(t, ts, "GET", "/-/revision/a?rev=nope"); resp.StatusCode != 404 {
		t.Errorf("bad revision = %d", resp.StatusCode)
	}
	// The id as the history shows it, abbreviated, names the version too.
	if resp, short := get(t, ts, "GET", "/-/revision/a?rev="+first[:10]); resp.StatusCode != 200 || !strings.Contains(short, "<p>one\ntwo</p>") {
		t.Errorf("revision by its 10-character id = %d", resp.StatusCode)
	}
	if resp, diff := get(t, ts, "GET", "/-/diff/a?from="+first[:7]+"&to="+last[:12]); resp.StatusCode != 200 || !strings.Contains(diff, "two") {
		t.Errorf("diff by abbreviated ids = %d", resp.StatusCode)
	}
	if resp, _ := get(t, ts, "GET", "/-/revision/a?rev=0000000000"); resp.StatusCode != 404 {
		t.Errorf("an id of no version = %d", resp.StatusCode)
	}
}

func TestMoveAndDeleteForms(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"runbooks/old-name.md": "# Old name\n",
		"README.md":            "# Home\n\nSee [[runbooks/old-name]].\n",
	})
	same := []string{"Origin", ts.URL}
	_, body := get(t, ts, "GET", "/-/edit/runbooks/old-name")
	base := baseRE.FindStringSubmatch(body)[1]
	resp, body := send(t, ts, "POST", "/-/move/runbooks/old-name", "application/x-www-form-urlencoded", form("to", "runbooks/new-name", "base", base), same...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runbooks/new-name" {
		t.Fatalf("move = %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := get(t, ts, "GET", "/runbooks/old-name"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/runbooks/new-name" {
		t.Errorf("old URL = %d %q, want a redirect to the new one", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, home := get(t, ts, "GET", "/README.md"); !strings.Contains(home, "[[runbooks/new-name]]") {
		t.Errorf("home page link not rewritten:\n%s", home)
	}
	_, body = get(t, ts, "GET", "/-/edit/runbooks/new-name")
	base = baseRE.FindStringSubmatch(body)[1]
	resp, _ = send(t, ts, "POST", "/-/delete/runbooks/new-name", "application/x-www-form-urlencoded", form("base", "stale"), same...)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("delete with a stale base = %d", resp.StatusCode)
	}
	resp, _ = send(t, ts, "POST", "/-/delete/runbooks/new-name", "application/x-www-form-urlencoded", form("base", base), same...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete = %d", resp.StatusCode)
	}
	if resp, _ := get(t, ts, "GET", "/runbooks/new-name"); resp.StatusCode != 404 {
		t.Errorf("deleted page = %d", resp.StatusCode)
	}
}
