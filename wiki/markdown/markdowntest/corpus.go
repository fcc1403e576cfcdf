// Package markdowntest holds what tests and benchmarks of page rendering
// share: a corpus of markdown shaped to make a naive renderer do far more
// work than the size of the page suggests.
package markdowntest

import (
	"fmt"
	"strings"

	"github.com/alecthomas/chroma/v2/lexers"
)

// Case is a shape of markdown that makes a naive renderer do far more work
// than its size suggests.
type Case struct {
	// Name names the shape.
	Name string
	// Size is the n that makes it hurt, with bodies of about 1 MB at most,
	// the largest a page may be.
	Size int
	// Body builds the shape with n repetitions.
	Body func(n int) string
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

// Pathological is the corpus, each shape sized to hurt: before rendering
// was bounded, each took seconds to minutes of CPU, or hundreds of
// megabytes to gigabytes of memory, or was merely linear and serves to
// check that it stays so.
var Pathological = []Case{
	{"SetextHeadings", 50_000, func(n int) string { return rep("a\n=\n", n) }},
	{"ATXHeadings", 20_000, func(n int) string { return rep("# a\n", n) }},
	{"HeadingIDCollisions", 20_000, func(n int) string {
		var b strings.Builder
		for i := 1; i <= n/2; i++ {
			fmt.Fprintf(&b, "## a-%d\n", i)
		}
		return b.String() + rep("## a\n", n/2)
	}},
	{"LongInfoString", 100_000, func(n int) string { return "```" + rep("a", n) + "\ncode\n```\n" }},
	{"LongInfoStringWords", 100_000, func(n int) string { return "```go " + rep("{a=", n/3) + "\ncode\n```\n" }},
	{"LinkOpeners", 25_000, func(n int) string { return rep("[](", n) }},
	{"LinkOpenersAngle", 25_000, func(n int) string { return rep("[](<", n) }},
	{"LinkTitleOpeners", 25_000, func(n int) string { return rep("[](a \"\n", n) }},
	{"LinkDestinationParens", 100_000, func(n int) string { return "[a](" + rep("(", n) + "\n" }},
	{"ReferenceLabels", 25_000, func(n int) string { return rep("[a][", n) }},
	{"NestedBrackets", 100_000, func(n int) string { return rep("[", n) + rep("]", n) }},
	{"BracketsAroundLinks", 50_000, func(n int) string { return rep("[", 1000) + rep("[a](b)", n) + rep("]", 1000) }},
	{"ImageOpeners", 100_000, func(n int) string { return rep("![", n) }},
	{"WikiLinkOpeners", 200_000, func(n int) string { return rep("[[", n) }},
	{"WikiLinksDistinct", 50_000, func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[[page-%d]] ", i)
		}
		return b.String()
	}},
	{"WikiLinksSame", 100_000, func(n int) string { return rep("[[runbooks/disk-full]] ", n) }},
	{"RelativeLinks", 50_000, func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[x](p-%d.md) ", i)
		}
		return b.String()
	}},
	{"NestedQuotes", 100_000, func(n int) string { return rep(">", n) + " a\n" }},
	{"NestedLists", 50_000, func(n int) string { return rep("- ", n) + "a\n" }},
	{"NestedOrderedLists", 30_000, func(n int) string { return rep("1. ", n) + "a\n" }},
	{"IndentedLists", 700, func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(rep(" ", 2*i) + "- a\n")
		}
		return b.String()
	}},
	{"Footnotes", 10_000, func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "x[^%d]\n", i)
		}
		for i := range n {
			fmt.Fprintf(&b, "\n[^%d]: note %d", i, i)
		}
		return b.String()
	}},
	{"FootnoteManyRefs", 100_000, func(n int) string { return rep("[^a]", n) + "\n\n[^a]: note\n" }},
	{"WideTableEmptyRows", 100_000, func(n int) string {
		return rep("|a", 5000) + "|\n" + rep("|-", 5000) + "|\n" + rep("x\n", n)
	}},
	{"LongTable", 50_000, func(n int) string {
		return "|a|b|c|d|e|f|g|h|i|j|\n|-|-|-|-|-|-|-|-|-|-|\n" + rep("|1|2|3|4|5|6|7|8|9|0|\n", n)
	}},
	{"LongLine", 1 << 20, func(n int) string { return rep("a", n) }},
	{"LongLineWords", 500_000, func(n int) string { return rep("a ", n) }},
	{"EmphasisOpeners", 300_000, func(n int) string { return rep("*a", n) }},
	{"EmphasisMixed", 200_000, func(n int) string { return rep("*a_", n) }},
	{"StrongOpeners", 250_000, func(n int) string { return rep("**a", n) }},
	{"EmphasisRuns", 100_000, func(n int) string { return rep("a**b", n) + rep("c*", n) }},
	{"StrikethroughOpeners", 300_000, func(n int) string { return rep("~~a", n) }},
	{"BacktickRuns", 1_400, func(n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(rep("`", i) + " ")
		}
		return b.String()
	}},
	{"HTMLCommentOpeners", 200_000, func(n int) string { return rep("<!--", n) }},
	{"HTMLTagOpeners", 300_000, func(n int) string { return rep("<a ", n) }},
	{"HTMLBlocks", 100_000, func(n int) string { return rep("<div>\n", n) }},
	{"Autolinks", 100_000, func(n int) string { return rep("www.a.b ", n) }},
	{"AutolinkLike", 300_000, func(n int) string { return rep("a@", n) }},
	{"AngleAutolinks", 200_000, func(n int) string { return rep("<a:", n) }},
	{"Entities", 100_000, func(n int) string { return rep("&amp;&#x41;", n) }},
	{"DefinitionLists", 100_000, func(n int) string { return rep("a\n: b\n", n) }},
	{"TaskLists", 100_000, func(n int) string { return rep("- [ ] a\n", n) }},
	{"ReferenceDefinitions", 30_000, func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[r%d]: /p-%d\n", i, i)
		}
		for i := range n {
			fmt.Fprintf(&b, "[x][r%d] ", i)
		}
		return b.String()
	}},
	{"LongHeading", 1 << 20, func(n int) string { return "# " + rep("a", n) + "\n" }},
	{"LongLinkDestination", 1 << 20, func(n int) string { return "[a](" + rep("a", n) + ")\n" }},
	{"LongLinkLabel", 1 << 20, func(n int) string { return "[" + rep("a", n) + "](b)\n" }},
	{"HugeCodeBlock", 1 << 20, func(n int) string { return "```bash\n" + rep("echo \"$x\" | grep -v 'y' # z\n", n/30) + "```\n" }},
	{"CodeBlockQuotes", 1 << 20, func(n int) string { return "```bash\n" + rep("'\"`", n/3) + "\n```\n" }},
	{"ManyCodeBlocks", 20_000, func(n int) string { return rep("```go\nx := 1\n```\n", n) }},
	{"Tabs", 200_000, func(n int) string { return rep("-\t", n) + "a\n" }},
	{"HardBreaks", 300_000, func(n int) string { return rep("a\\\n", n) }},
	{"ThematicBreaks", 200_000, func(n int) string { return rep("***\n", n) }},
	{"BracketLines", 200_000, func(n int) string { return rep("[a]\n", n) }},
	{"FootnoteRefLines", 200_000, func(n int) string { return rep("[^a]\n", n) + "\n[^a]: x\n" }},
	{"LinkParenTitle", 150_000, func(n int) string { return rep("[](a (", n) }},
	{"NestedImages", 250, func(n int) string { return rep(rep("![", 400)+"a"+rep("](b.png)", 400)+"\n\n", n) }},
	{"UnknownLanguages", 20_000, func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "```lang%d\nx\n```\n", i)
		}
		return b.String()
	}},
	{"ManyLanguages", 1, func(n int) string {
		var b strings.Builder
		for range n {
			for _, name := range lexers.GlobalLexerRegistry.Names(false) {
				fmt.Fprintf(&b, "```%s\nx = 1 # y\n```\n", name)
			}
		}
		return b.String()
	}},
	{"NestedFences", 2_000, func(n int) string {
		names := lexers.GlobalLexerRegistry.Names(true)
		var b strings.Builder
		b.WriteString("````markdown\n")
		for i := range n {
			fmt.Fprintf(&b, "```%s\nx = 1\n```\n", names[i%len(names)])
		}
		b.WriteString("````\n")
		return b.String()
	}},
	{"Runbooks", 1 << 20, func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			fmt.Fprintf(&b, "## Step %d: check the replicas\n\nRun [[runbooks/disk-full]] first, then see [the guide](../docs/guide.pdf) and <https://example.com/x>.\n\n", b.Len())
			b.WriteString("| host | role | lag |\n|---|---|--:|\n| db-1 | primary | 0 |\n| db-2 | replica | *12 s* |\n\n")
			b.WriteString("```bash\nkubectl -n prod get pods -l app=db -o wide | grep -v Running\n```\n\n- [ ] page the **owner**\n- [x] check `pg_stat_replication`[^1]\n\n[^1]: Or ask in #db.\n\n")
		}
		return b.String()[:n]
	}},
}
