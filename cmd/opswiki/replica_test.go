package main_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// A read-only replica: made with init --from the primary's /wiki.git,
// kept in step by git fetch (a cron job, in production), it serves what
// the primary has and refuses every write, naming where to edit.
func TestReadOnlyReplica(t *testing.T) {
	primary := MustServe(t, "")
	data, _ := mustInit(t, primary.GitURL())
	replica := MustServeWith(t, data, func(c *main.Config) { c.ReadOnly, c.PrimaryURL = true, primary.URL })

	page := primary.Page(t, "runbooks/checkout-high-error-rate")
	if code, out := primary.Put(t, "runbooks/checkout-high-error-rate", page.Content+"\nChecked on the primary.\n", page.Blob, "Edit on the primary"); code != 200 {
		t.Fatalf("save on the primary = %d %v", code, out)
	}
	Git(t, filepath.Join(data, "wiki.git"), "fetch", "-q", primary.GitURL(), "+main:main")
	eventually(t, "the replica shows the primary's change", func() bool {
		return strings.Contains(replica.Page(t, "runbooks/checkout-high-error-rate").Content, "Checked on the primary.")
	})

	_, _, view := replica.Get(t, "/runbooks/checkout-high-error-rate")
	if !strings.Contains(view, `class="banner read-only"`) || !strings.Contains(view, `href="`+primary.URL+`"`) {
		t.Error("the replica's pages do not say where to edit")
	}
	page = replica.Page(t, "runbooks/checkout-high-error-rate")
	code, out := replica.Put(t, "runbooks/checkout-high-error-rate", page.Content+"x\n", page.Blob, "Edit on the replica")
	msg, _ := out["error"].(map[string]any)
	if code != http.StatusForbidden || !strings.Contains(str(msg["message"]), "read-only replica: edit at "+primary.URL) {
		t.Errorf("save on the replica = %d %v", code, out)
	}
	req, _ := http.NewRequest("POST", replica.URL+"/-/edit/runbooks/checkout-high-error-rate", strings.NewReader("content=x&base="+page.Blob))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", replica.URL)
	if code, _, body := do(t, req); code != http.StatusForbidden || !strings.Contains(body, "read-only replica") {
		t.Errorf("form save on the replica = %d", code)
	}
	work := replica.Clone(t)
	mustWrite(t, filepath.Join(work, "notes.md"), "# Notes\n")
	commitAll(t, work, "Push to the replica")
	if out, err := GitErr(t, work, "push", "origin", "main"); err == nil || !strings.Contains(out, "read-only replica") {
		t.Errorf("push to the replica: %v\n%s", err, out)
	}
	if replica.MainCommit(t) != primary.MainCommit(t) {
		t.Error("the replica's main is not the primary's")
	}
}
