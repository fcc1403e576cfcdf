package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestUserMistakes sends every handler the mistakes people and scripts
// make: malformed bodies, paths that leave the wiki, versions that do not
// exist, documents with errors, values a field does not take. Each must be
// answered with a 4xx saying what is wrong, never a 500, and change
// nothing.
func TestUserMistakes(t *testing.T) {
	broken := "---\ntitle: [unclosed\nkind: runbook\n---\n# Broken\n"
	ts := MustServer(t, map[string]string{
		"runbooks/disk-full.md": "---\nowner: sre\n---\n# Disk full\n\nClean up.\n",
		"runbooks/broken.md":    broken,
		"postmortems/inc-1.md": "---\nincident: INC-1\nstatus: draft\naction_items:\n" +
			"  - id: AI-1\n    title: Add an alert\n    owner: bo\n    status: open\n---\n# INC-1\n",
	})
	// The first commit holds the broken page; fix it, so that restoring
	// that first version brings its error back.
	resp, body := send(t, ts, "GET", "/-/api/history/runbooks/broken", "", nil)
	var hist struct {
		Revisions []struct{ Commit string } `json:"revisions"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &hist) != nil || len(hist.Revisions) == 0 {
		t.Fatalf("history: %d %s", resp.StatusCode, body)
	}
	first := hist.Revisions[0].Commit
	fixed := "---\ntitle: Broken no more\n---\n# Fixed\n"
	page := func(name string) (content, blob string) {
		_, body := send(t, ts, "GET", "/-/api/pages/"+name, "", nil)
		var p struct{ Content, Blob string }
		_ = json.Unmarshal([]byte(body), &p)
		return p.Content, p.Blob
	}
	_, brokenBlob := page("runbooks/broken")
	if resp, body := send(t, ts, "PUT", "/-/api/pages/runbooks/broken", "application/json",
		strings.NewReader(`{"content":`+jsonString(fixed)+`,"base":"`+brokenBlob+`"}`)); resp.StatusCode != 200 {
		t.Fatalf("fix: %d %s", resp.StatusCode, body)
	}
	_, fixedBlob := page("runbooks/broken")
	_, diskBlob := page("runbooks/disk-full")
	const js, fm = "application/json", "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, ctype, body string
		want                            int
	}{
		{"SaveNotJSON", "PUT", "/-/api/pages/runbooks/x", js, "{content", 400},
		{"SaveNoContent", "PUT", "/-/api/pages/runbooks/x", js, `{"base":""}`, 400},
		{"SaveUnknownField", "PUT", "/-/api/pages/runbooks/x", js, `{"content":"# x","colour":"red"}`, 400},
		{"SaveLeavesWiki", "PUT", "/-/api/pages/..%2F..%2Fetc%2Fpasswd", js, `{"content":"# x"}`, 400},
		{"SaveDotGit", "PUT", "/-/api/pages/.git/config", js, `{"content":"# x"}`, 400},
		{"SaveBadBase", "PUT", "/-/api/pages/runbooks/disk-full", js, `{"content":"# x","base":"0123456789012345678901234567890123456789"}`, 400},
		{"SaveDocumentError", "PUT", "/-/api/pages/runbooks/disk-full", js, `{"content":"---\nkind: nonsense\n---\n# x","base":"` + diskBlob + `"}`, 422},
		{"SaveMarkers", "PUT", "/-/api/pages/runbooks/disk-full", js, `{"content":"# x\n<<<<<<< your edit\na\n=======\nb\n>>>>>>> current version\n","base":"` + diskBlob + `"}`, 422},
		{"SaveTooLarge", "PUT", "/-/api/pages/runbooks/big", js, `{"content":"` + strings.Repeat("a", 5000) + `"}`, 413},
		{"SaveReservedPath", "PUT", "/-/api/pages/healthz", js, `{"content":"# x"}`, 400},
		{"DeleteNoBase", "DELETE", "/-/api/pages/runbooks/disk-full", "", "", 400},
		{"DeleteMissing", "DELETE", "/-/api/pages/runbooks/nowhere?base=abc", "", "", 404},
		{"DeleteStaleBase", "DELETE", "/-/api/pages/runbooks/broken?base=" + brokenBlob, "", "", 409},
		{"MoveToExisting", "POST", "/-/api/move/runbooks/disk-full", js, `{"to":"runbooks/broken","base":"` + diskBlob + `"}`, 409},
		{"MoveOutside", "POST", "/-/api/move/runbooks/disk-full", js, `{"to":"../x","base":"` + diskBlob + `"}`, 400},
		{"MoveToGitDir", "POST", "/-/api/move/runbooks/disk-full", js, `{"to":"h/GIT~1/z","base":"` + diskBlob + `"}`, 400},
		{"MoveMissing", "POST", "/-/api/move/runbooks/nowhere", js, `{"to":"runbooks/else"}`, 404},
		{"PreviewNotJSON", "POST", "/-/api/preview", js, "[", 400},
		{"ActionBadStatus", "PATCH", "/-/api/actions/postmortems/inc-1/AI-1", js, `{"status":"later"}`, 400},
		{"ActionBadDue", "PATCH", "/-/api/actions/postmortems/inc-1/AI-1", js, `{"due":"next week"}`, 400},
		{"ActionNothing", "PATCH", "/-/api/actions/postmortems/inc-1/AI-1", js, `{}`, 400},
		{"ActionNoItem", "PATCH", "/-/api/actions/postmortems/inc-1/AI-9", js, `{"status":"done"}`, 404},
		{"ActionNoPostmortem", "PATCH", "/-/api/actions/postmortems/inc-9/AI-1", js, `{"status":"done"}`, 404},
		{"ActionFormBadStatus", "POST", "/-/actions/postmortems/inc-1/AI-1", fm, "status=later", 400},
		{"ReviewedMissing", "POST", "/-/reviewed/runbooks/nowhere", fm, "", 404},
		{"RestoreDocumentError", "POST", "/-/restore/runbooks/broken", fm, "rev=" + first + "&base=" + fixedBlob, 422},
		{"RestoreNoRevision", "POST", "/-/restore/runbooks/broken", fm, "rev=0123456789012345678901234567890123456789&base=" + fixedBlob, 404},
		{"RestoreGarbageRevision", "POST", "/-/restore/runbooks/broken", fm, "rev=HEAD~1&base=" + fixedBlob, 404},
		{"FormDocumentError", "POST", "/-/edit/runbooks/disk-full", fm, "path=runbooks/disk-full&content=---%0Akind:+nonsense%0A---%0A&base=" + diskBlob, 422},
		{"FormNewBadPath", "POST", "/-/new", fm, "path=..%2Fx&content=%23+x", 400},
		{"AttachNoFile", "POST", "/-/api/attachments/runbooks/disk-full", fm, "", 400},
		{"RevisionBadRev", "GET", "/-/revision/runbooks/disk-full?rev=zzz", "", "", 404},
		{"DiffBadRevs", "GET", "/-/diff/runbooks/disk-full?from=zzz&to=yyy", "", "", 404},
		{"HistoryBadLimit", "GET", "/-/api/history/runbooks/disk-full?limit=lots", "", "", 400},
		{"SearchBadLimit", "GET", "/-/api/search?q=disk&limit=-4", "", "", 400},
		{"IncidentMissing", "GET", "/-/incidents/INC-404", "", "", 404},
		{"RawMissing", "GET", "/runbooks/nowhere.md", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *strings.Reader
			if tt.body != "" || tt.method != "GET" {
				r = strings.NewReader(tt.body)
			}
			var resp *http.Response
			var body string
			if r != nil {
				resp, body = send(t, ts, tt.method, tt.path, tt.ctype, r, "Accept", "application/json")
			} else {
				resp, body = send(t, ts, tt.method, tt.path, tt.ctype, nil, "Accept", "application/json")
			}
			if resp.StatusCode >= 500 {
				t.Fatalf("%s %s = %d: a user's mistake answered as a server fault\n%s", tt.method, tt.path, resp.StatusCode, body)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s = %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.want, body)
			}
			if strings.HasPrefix(tt.path, "/-/api/") && !strings.Contains(body, `"message"`) && !strings.Contains(body, `"problems"`) && !strings.Contains(body, `"conflict"`) {
				t.Errorf("the answer does not say what is wrong:\n%s", body)
			}
		})
	}
	// Nothing above changed anything.
	if got, _ := page("runbooks/disk-full"); !strings.Contains(got, "Clean up.") {
		t.Errorf("disk-full changed:\n%s", got)
	}
	if got, blob := page("runbooks/broken"); blob != fixedBlob {
		t.Errorf("broken changed:\n%s", got)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
