package markdown_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

// corporaDir holds real runbooks and postmortems (see its README); tests
// skip when it is not there.
var corporaDir = filepath.Join("..", "..", "..", "shared", "corpora")

// TestCorpora renders every markdown file of the reference corpora and
// checks that nothing unsafe or raw comes out.
func TestCorpora(t *testing.T) {
	if _, err := os.Stat(corporaDir); err != nil {
		t.Skipf("reference corpora not found at %s: %v", corporaDir, err)
	}
	r := markdown.New(markdown.Options{CacheBytes: -1})
	n := 0
	err := filepath.WalkDir(corporaDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corporaDir, path)
		p, perr := wiki.ParsePath(filepath.ToSlash(rel))
		if perr != nil {
			t.Errorf("%s: %v", rel, perr)
			return nil
		}
		res, err := r.Render(context.Background(), p, "", stripFrontMatter(b), nil)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		out := string(res.HTML)
		if strings.Contains(out, "raw HTML omitted") {
			t.Errorf("%s: goldmark's raw HTML placeholder in output", rel)
		}
		assertSafe(t, out)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no markdown files under %s", corporaDir)
	}
	t.Logf("rendered %d files", n)
}

// TestRunbook renders the benchmark runbook and checks what an on-call
// engineer relies on.
func TestRunbook(t *testing.T) {
	res := mustRender(t, "runbooks/postgres-replication-lag-high.md", string(mustReadFile(t, "runbook.md")))
	out := string(res.HTML)
	assertSafe(t, out)
	contains(t, out,
		`<div class="code-block" data-lang="bash"><pre class="chroma">`,
		`data-lang="sql"`, `data-lang="yaml"`, `data-lang="go"`, `data-lang="console"`,
		`<a href="/services/orders-db" class="wikilink">orders database</a>`,
		`<a href="/runbooks/escalation#storage-on-call" class="wikilink">`,
		`<a href="/runbooks/disk-full#mitigation">disk full</a>`,
		`<th align="right">Threshold</th>`,
		`<del>Checkout is affected</del>`,
	)
	if !res.ShowTOC || len(res.TOC) < 10 {
		t.Errorf("ShowTOC = %v with %d entries", res.ShowTOC, len(res.TOC))
	}
	if len(res.Broken) == 0 {
		t.Error("no broken links reported")
	}
	for _, b := range res.Broken {
		if b.Line <= 0 {
			t.Errorf("broken link %q without a line", b.Target)
		}
	}
}
