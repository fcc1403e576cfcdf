package markdown_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Mitigation", "mitigation"},
		{"Step 2: Restart the DB (carefully)", "step-2-restart-the-db-carefully"},
		{"  trimmed  ", "trimmed"},
		{"A - B", "a---b"},
		{"snake_case and-kebab", "snake_case-and-kebab"},
		{"`kubectl` get pods?", "kubectl-get-pods"},
		{"Über Größe", "über-größe"},
		{"日本語 見出し", "日本語-見出し"},
		{"!!!", ""},
		{"ERR_CONN_RESET 0x80070005", "err_conn_reset-0x80070005"},
	}
	for _, tt := range tests {
		if got := markdown.Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeadings(t *testing.T) {
	t.Run("IDsAndAnchors", func(t *testing.T) {
		out := mustHTML(t, "## Mitigation\n\n## Mitigation\n\n## Mitigation\n\n### `kubectl` *logs*\n\n## !!!\n")
		contains(t, out,
			`<h2 id="mitigation">Mitigation<a class="anchor" href="#mitigation" aria-hidden="true" tabindex="-1">#</a></h2>`,
			`<h2 id="mitigation-1">`, `<h2 id="mitigation-2">`,
			`<h3 id="kubectl-logs"><code>kubectl</code> <em>logs</em>`,
			`<h2 id="section">`,
		)
	})
	t.Run("ReservedIDs", func(t *testing.T) {
		r := markdown.New(markdown.Options{ReservedIDs: []string{"search", "content"}})
		res, err := r.Render(context.Background(), "x.md", "", []byte("## Search\n\n## Content\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		contains(t, string(res.HTML), `id="search-1"`, `id="content-1"`)
	})
	t.Run("EntitiesInText", func(t *testing.T) {
		res := mustRender(t, "x.md", "## AT&amp;T \\*down\\*\n")
		if got := res.TOC[0].Text; got != "AT&T *down*" {
			t.Errorf("TOC text = %q", got)
		}
	})
}

func TestTOC(t *testing.T) {
	e := func(level int, id, text string) markdown.TOCEntry {
		return markdown.TOCEntry{Level: level, ID: id, Text: text}
	}
	long := strings.Repeat("Some words about the service and what to do. ", 40)
	tests := []struct {
		name string
		body string
		want []markdown.TOCEntry
		show bool
	}{
		{
			name: "TitleLeftOut",
			body: "# Title\n\n## A\n\n### B\n\n#### C\n\n## D\n\n" + long,
			want: []markdown.TOCEntry{e(2, "a", "A"), e(3, "b", "B"), e(2, "d", "D")},
			show: true,
		},
		{
			name: "ShortPage",
			body: "# Title\n\n## A\n\n## B\n\n## C\n",
			want: []markdown.TOCEntry{e(2, "a", "A"), e(2, "b", "B"), e(2, "c", "C")},
			show: false,
		},
		{
			name: "FewHeadings",
			body: "# Title\n\n## A\n\n## B\n\n" + long,
			want: []markdown.TOCEntry{e(2, "a", "A"), e(2, "b", "B")},
			show: false,
		},
		{
			name: "SeveralFirstLevel",
			body: "# One\n\n# Two\n\n# Three\n\n" + long,
			want: []markdown.TOCEntry{e(1, "one", "One"), e(1, "two", "Two"), e(1, "three", "Three")},
			show: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRender(t, "x.md", tt.body)
			if !reflect.DeepEqual(res.TOC, tt.want) {
				t.Errorf("TOC = %+v, want %+v", res.TOC, tt.want)
			}
			if res.ShowTOC != tt.show {
				t.Errorf("ShowTOC = %v, want %v", res.ShowTOC, tt.show)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	// The page is runbooks/db/page.md.
	tests := []struct {
		name, body, want string
	}{
		{"SiblingPage", "[x](replication-lag.md)", `<a href="/runbooks/db/replication-lag">x</a>`},
		{"ParentWithFragment", "[x](../disk-full.md#mitigation)", `<a href="/runbooks/disk-full#mitigation">x</a>`},
		{"FolderReadme", "[x](../README.md)", `<a href="/runbooks">x</a>`},
		{"RootReadme", "[x](/README.md)", `<a href="/">x</a>`},
		{"Root", "[x](/)", `<a href="/">x</a>`},
		{"IndexPage", "[x](/services/api/index.md)", `<a href="/services/api">x</a>`},
		{"FolderWithoutMD", "[x](/services/api)", `<a href="/services/api">x</a>`},
		{"PageWithoutMD", "[x](/runbooks/disk-full#check)", `<a href="/runbooks/disk-full#check">x</a>`},
		{"Attachment", "[x](../../docs/guide.pdf)", `<a href="/docs/guide.pdf">x</a>`},
		{"EscapedName", "[x](/docs/my%20page.md)", `<a href="/docs/my%20page">x</a>`},
		{"AngleName", "[x](</docs/my page.md>)", `<a href="/docs/my%20page">x</a>`},
		{"Image", "![d](diagram.png)", `<img src="/runbooks/db/diagram.png" alt="d" loading="lazy">`},
		{"MissingPage", "[x](nope.md)", `<a href="/runbooks/db/nope" class="missing" title="Page does not exist">x</a>`},
		{"MissingImage", "![d](nope.png)", `<img src="/runbooks/db/nope.png" alt="d" class="missing" title="Page does not exist" loading="lazy">`},
		{"Fragment", "[x](#mitigation)", `<a href="#mitigation">x</a>`},
		{"HTTPS", "[x](https://example.com/a?b=c&d=e)", `<a href="https://example.com/a?b=c&amp;d=e" rel="nofollow noopener">x</a>`},
		{"HTTPTitle", `[x](http://example.com "The title")`, `<a href="http://example.com" rel="nofollow noopener" title="The title">x</a>`},
		{"Mailto", "[x](mailto:oncall@example.com)", `<a href="mailto:oncall@example.com" rel="nofollow noopener">x</a>`},
		{"NonASCII", "[x](https://example.com/größe)", `<a href="https://example.com/gr%C3%B6%C3%9Fe" rel="nofollow noopener">x</a>`},
		{"ServerRoute", "[x](/-/search?q=disk)", `<a href="/-/search?q=disk">x</a>`},
		{"ProtocolRelative", "[x](//evil.example/a.md)", `<a href="/evil.example/a" class="missing"`},
		{"ClampedAtRoot", "[x](../../../../etc/passwd)", `<a href="/etc/passwd" class="missing"`},
		{"InvalidPath", `[x](/\\evil.example/a)`, `<p>x</p>`},
		{"Reference", "[x][r]\n\n[r]: ../disk-full.md", `<a href="/runbooks/disk-full">x</a>`},
		{"Autolink", "<https://example.com/x>", `<a href="https://example.com/x" rel="nofollow noopener">https://example.com/x</a>`},
		{"AutolinkEmail", "<oncall@example.com>", `<a href="mailto:oncall@example.com" rel="nofollow noopener">oncall@example.com</a>`},
		{"Linkify", "see www.example.com/x.", `<a href="http://www.example.com/x" rel="nofollow noopener">www.example.com/x</a>.`},
		{"LinkifyFTPAsText", "ftp://files.example.com/x", `<p>ftp://files.example.com/x</p>`},
		{"ImageMailto", "![x](mailto:a@b.c)", `<p>x</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, mustHTML(t, tt.body), tt.want)
		})
	}
}

func TestWikiLinks(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"Path", "[[runbooks/disk-full]]", `<a href="/runbooks/disk-full" class="wikilink">runbooks/disk-full</a>`},
		{"Label", "[[runbooks/disk-full|disk full]]", `<a href="/runbooks/disk-full" class="wikilink">disk full</a>`},
		{"Anchor", "[[runbooks/disk-full#Check Usage|x]]", `<a href="/runbooks/disk-full#check-usage" class="wikilink">x</a>`},
		{"AnchorOnly", "[[#Mitigation]]", `<a href="#mitigation" class="wikilink">#Mitigation</a>`},
		{"Title", "[[Disk Full]]", `<a href="/runbooks/disk-full" class="wikilink">Disk Full</a>`},
		{"CaseInsensitive", "[[RUNBOOKS/DISK-FULL]]", `<a href="/runbooks/disk-full" class="wikilink">`},
		{"Folder", "[[runbooks]]", `<a href="/runbooks" class="wikilink">runbooks</a>`},
		{"Missing", "[[runbooks/new thing|new]]", `<a href="/-/new?path=runbooks%2Fnew+thing" class="wikilink missing" title="Page does not exist">new</a>`},
		{"LabelEscaped", "[[runbooks/disk-full|<b>x</b>]]", `class="wikilink">&lt;b&gt;x&lt;/b&gt;</a>`},
		{"NotInCodeSpan", "`[[runbooks/disk-full]]`", `<code>[[runbooks/disk-full]]</code>`},
		{"NotInCodeBlock", "```\n[[runbooks/disk-full]]\n```", `<pre><code>[[runbooks/disk-full]]`},
		{"Empty", "[[ ]] and [[]]", `<p>[[ ]] and [[]]</p>`},
		{"TableCell", "| a |\n| - |\n| [[runbooks/disk-full\\|disk]] |", `<td><a href="/runbooks/disk-full" class="wikilink">disk</a></td>`},
		{"OrdinaryLinkStill", "[[x]](https://example.com)", `<a href="/-/new?path=x" class="wikilink missing"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, mustHTML(t, tt.body), tt.want)
		})
	}
}

func TestLinksAndBroken(t *testing.T) {
	body := "# T\n\n[[runbooks/disk-full]] and [x](../disk-full.md)\n" +
		"[[services/orders-db]]\n\n- [gone](gone.md)\n- ![img](gone.png)\n\n" +
		"> [[Missing Page#sec]]\n\n[ext](https://example.com) [pdf](/docs/guide.pdf) [self](#t)\n"
	res := mustRender(t, "runbooks/db/page.md", body)
	wantLinks := []wiki.Path{"runbooks/disk-full.md", "services/orders-db.md"}
	if !reflect.DeepEqual(res.Links, wantLinks) {
		t.Errorf("Links = %v, want %v", res.Links, wantLinks)
	}
	wantBroken := []markdown.BrokenLink{{Target: "gone.md", Line: 6}, {Target: "gone.png", Line: 7}, {Target: "Missing Page#sec", Line: 9}}
	if !reflect.DeepEqual(res.Broken, wantBroken) {
		t.Errorf("Broken = %+v, want %+v", res.Broken, wantBroken)
	}
}

func TestNilResolver(t *testing.T) {
	r := markdown.New(markdown.Options{})
	res, err := r.Render(context.Background(), "a/b.md", "", []byte("[[x/y]] [z](z.md) ![i](i.png)"), nil)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, string(res.HTML), `href="/x/y" class="wikilink"`, `href="/a/z"`, `src="/a/i.png"`)
	lacks(t, string(res.HTML), "missing")
	if len(res.Broken) != 0 {
		t.Errorf("Broken = %v", res.Broken)
	}
}
