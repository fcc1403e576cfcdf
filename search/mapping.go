package search

import (
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	zap "github.com/blevesearch/zapx/v16"
)

// mappingVersion names the mapping, analyzers and segment layout this code
// writes. An index recorded with another version is discarded and rebuilt
// from git on Open, so bump it whenever mapping.go, analyzer.go or
// docValuesChunk changes, or what a page's fields are made of (its kind,
// inferred from folders and sections, decides its alert names).
const mappingVersion = "opswiki-search-6"

// docValuesChunk is how many pages share one compressed block of doc values
// (zap's default is 1024). Facet counting decompresses a whole block for
// each block its hits fall in; with 1024 a search with a few dozen hits
// spent more than a millisecond decompressing. zap reads and writes with
// this package variable, so it must be the same for every segment of an
// index: it is part of mappingVersion. Nothing else in opswiki uses zap.
const docValuesChunk = 16

func init() { zap.LegacyChunkMode = docValuesChunk }

// Internal keys stored next to the documents.
var (
	keyCommit  = []byte("opswiki.commit")
	keyVersion = []byte("opswiki.mapping_version")
	keyFlush   = []byte("opswiki.flush") // written by Close only to wait for the persister
)

// Field names in the index.
const (
	fTitle = "title"
	// fNames holds a page's names as whole values (title, file name, first
	// heading, alerts; each also with camel case split), so a query that is
	// exactly one of them ranks that page first.
	fNames    = "names"
	fHeadings = "headings"
	fBody     = "body"
	// fBodyPairs is the body as pairs of neighbouring words, for phrases
	// (phrase.go).
	fBodyPairs = "body_pairs"
	fCode      = "code"
	fExtra     = "extra"
	// fWords is every word of a page, whole and lower-cased but not
	// stemmed: the dictionary typos are corrected against. Stemming first
	// would hide the word meant ("diagnstics" stems to "diagnstic",
	// "diagnostics" to "diagnost").
	fWords     = "words"
	fAlerts    = "alerts"
	fAlertText = "alerts_text"
	fKind      = "kind"
	fServices  = "services"
	fTags      = "tags"
	fOwner     = "owner"
	fSeverity  = "severity"
	fStatus    = "status"
	fIncidents = "incidents"
	fPath      = "path"
	// fFacets holds "name:value" for every facet of a page, so one doc
	// values lookup per hit serves all facets: bleve decompresses a doc
	// values chunk per field for every chunk hits fall in.
	fFacets = "facets"
)

// indexDoc is what one page becomes in the index; bleve maps it by its json
// tags.
type indexDoc struct {
	Title     string   `json:"title"`
	Names     []string `json:"names,omitempty"`
	Headings  []string `json:"headings,omitempty"`
	Body      string   `json:"body"`
	BodyPairs string   `json:"body_pairs,omitempty"`
	Code      string   `json:"code,omitempty"`
	Extra     string   `json:"extra,omitempty"`
	Words     string   `json:"words,omitempty"`
	Alerts    []string `json:"alerts,omitempty"`
	Kind      string   `json:"kind"`
	Services  []string `json:"services,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Owner     string   `json:"owner,omitempty"`
	Severity  string   `json:"severity,omitempty"`
	Status    string   `json:"status,omitempty"`
	Incidents []string `json:"incidents,omitempty"`
	Path      string   `json:"path"`
	Facets    []string `json:"facets,omitempty"`
}

// textField is an analyzed field; vectors are needed for phrases and
// highlighting, stored values only where hits or snippets read them.
func textField(analyzer string, store, vectors bool) *mapping.FieldMapping {
	fm := mapping.NewTextFieldMapping()
	fm.Analyzer = analyzer
	fm.Store = store
	fm.IncludeTermVectors = vectors
	fm.IncludeInAll = false
	fm.DocValues = false
	return fm
}

// keywordField is a whole lower-cased value for filters; the facet field
// keeps doc values.
func keywordField(facet, store bool) *mapping.FieldMapping {
	fm := mapping.NewTextFieldMapping()
	fm.Analyzer = keywordAnalyzer
	fm.Store = store
	fm.IncludeTermVectors = false
	fm.IncludeInAll = false
	fm.DocValues = facet
	return fm
}

// newMapping returns the index mapping: a static document mapping, so
// nothing but the fields below is ever indexed.
func newMapping() *mapping.IndexMappingImpl {
	dm := mapping.NewDocumentStaticMapping()

	dm.AddFieldMappingsAt(fTitle, textField(en.AnalyzerName, true, true))
	dm.AddFieldMappingsAt(fNames, keywordField(false, false))
	dm.AddFieldMappingsAt(fHeadings, textField(en.AnalyzerName, true, true))
	dm.AddFieldMappingsAt(fBody, textField(en.AnalyzerName, true, true))
	pairs := textField(pairsAnalyzer, false, false)
	pairs.SkipFreqNorm = true // a pair's bucket only narrows down the pages; it weighs nothing
	dm.AddFieldMappingsAt(fBodyPairs, pairs)
	dm.AddFieldMappingsAt(fCode, textField(identAnalyzer, true, true))
	dm.AddFieldMappingsAt(fExtra, textField(en.AnalyzerName, false, false))
	dm.AddFieldMappingsAt(fWords, textField(identAnalyzer, false, false))

	alertText := textField(identAnalyzer, false, false)
	alertText.Name = fAlertText
	dm.AddFieldMappingsAt(fAlerts, keywordField(false, false), alertText)

	dm.AddFieldMappingsAt(fKind, keywordField(false, true))
	for _, f := range []string{fServices, fTags, fOwner, fSeverity, fStatus} {
		dm.AddFieldMappingsAt(f, keywordField(false, false))
	}
	dm.AddFieldMappingsAt(fFacets, keywordField(true, false))
	dm.AddFieldMappingsAt(fIncidents, keywordField(false, false))
	dm.AddFieldMappingsAt(fPath, keywordField(false, false))

	im := mapping.NewIndexMapping()
	im.DefaultMapping = dm
	im.DefaultAnalyzer = en.AnalyzerName
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	return im
}
