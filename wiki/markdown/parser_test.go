package markdown_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/opswiki/opswiki/wiki/markdown"
)

// TestParserMatchesGoldmark: the parser this package assembles, with its
// bounds on nesting, delimiters, links, tables and footnotes, builds the
// same tree as goldmark's own parser for every example of the CommonMark
// spec and of goldmark's extensions, written with goldmark's HTML renderer.
// Wiki links, which goldmark does not know, are left out.
func TestParserMatchesGoldmark(t *testing.T) {
	ref := goldmark.New(goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough, extension.Linkify, extension.TaskList, extension.Footnote, extension.DefinitionList,
	))
	for _, ex := range goldmarkExamples(t) {
		if strings.Contains(ex.markdown, "[[") {
			continue
		}
		t.Run(ex.name, func(t *testing.T) {
			var want strings.Builder
			if err := ref.Convert([]byte(ex.markdown), &want); err != nil {
				t.Fatal(err)
			}
			got, err := markdown.ParseWith([]byte(ex.markdown), ref.Renderer())
			if err != nil {
				t.Fatal(err)
			}
			if got != want.String() {
				t.Errorf("markdown:\n%s\ngot:\n%s\ngoldmark:\n%s", ex.markdown, got, want.String())
			}
		})
	}
}

type goldmarkExample struct{ name, markdown string }

// goldmarkExamples reads testdata/goldmark: spec.json, and the extensions'
// files of "N\n//- - -//\nmarkdown\n//- - -//\nhtml\n//= = =//" blocks.
func goldmarkExamples(tb testing.TB) []goldmarkExample {
	tb.Helper()
	var spec []struct {
		Markdown string `json:"markdown"`
		Example  int    `json:"example"`
		Section  string `json:"section"`
	}
	if err := json.Unmarshal(mustReadFile(tb, "goldmark/spec.json"), &spec); err != nil {
		tb.Fatal(err)
	}
	var out []goldmarkExample
	for _, s := range spec {
		out = append(out, goldmarkExample{name: "spec/" + strings.ReplaceAll(s.Section, " ", "_") + "/" + strconv.Itoa(s.Example), markdown: s.Markdown})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "goldmark", "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no extension examples: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		ext := strings.TrimSuffix(filepath.Base(f), ".txt")
		for _, block := range strings.Split(string(b), "//= = = = = = = = = = = = = = = = = = = = = = = =//") {
			parts := strings.Split(block, "//- - - - - - - - -//\n")
			if len(parts) < 3 {
				continue
			}
			head := strings.TrimSpace(parts[0])
			if i := strings.IndexByte(head, '\n'); i >= 0 {
				head = head[:i] // options follow the number in some files
			}
			out = append(out, goldmarkExample{name: ext + "/" + head, markdown: strings.ReplaceAll(parts[1], "→", "\t")})
		}
	}
	return out
}
