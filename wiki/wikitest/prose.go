package wikitest

import (
	"io/fs"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/opswiki/opswiki/content"
)

// prose is the vocabulary of the generated text: the words of the wiki's
// own default pages (runbooks, a postmortem, service pages, a guide), each
// as often as it occurs there. As in anything people write, a few words
// are on every page and most are on few, so a search for a word costs what
// it costs on a real wiki; a vocabulary of a few dozen words, each on most
// pages, would make every query a worst case.
var prose = loadProse()

// VocabularySize is how many different words the generated text draws on.
func VocabularySize() int { return len(prose.words) + len(Words) }

// vocabulary draws words with given frequencies.
type vocabulary struct {
	words []string
	cum   []int // cum[i] is the total count of words[:i+1]
}

func (v vocabulary) pick(r *rand.Rand) string {
	x := r.IntN(v.cum[len(v.cum)-1])
	return v.words[sort.SearchInts(v.cum, x+1)]
}

// searchable reports whether people would type w into a search box: not
// a stop word, not a fragment.
func searchable(w string) bool {
	return len(w) >= 4 && !stopWords[w]
}

// stopWords are the English words a search ignores.
var stopWords = map[string]bool{"the": true, "and": true, "for": true, "that": true, "this": true, "with": true, "from": true,
	"are": true, "was": true, "were": true, "but": true, "not": true, "have": true, "has": true, "had": true, "you": true,
	"your": true, "they": true, "them": true, "their": true, "what": true, "when": true, "which": true, "who": true,
	"will": true, "would": true, "there": true, "then": true, "than": true, "into": true, "only": true, "also": true,
	"been": true, "being": true, "does": true, "each": true, "other": true, "some": true, "such": true, "these": true,
	"those": true, "very": true, "can": true, "its": true, "our": true, "out": true, "all": true, "any": true}

func loadProse() vocabulary {
	counts := map[string]int{}
	_ = fs.WalkDir(content.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		b, err := fs.ReadFile(content.FS, p)
		if err != nil {
			return err
		}
		for _, w := range strings.FieldsFunc(string(b), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if w = strings.ToLower(w); len(w) >= 2 {
				counts[w]++
			}
		}
		return nil
	})
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.Sort(words) // the same vocabulary in the same order on every run
	v := vocabulary{words: words, cum: make([]int, len(words))}
	total := 0
	for i, w := range words {
		total += counts[w]
		v.cum[i] = total
	}
	return v
}
