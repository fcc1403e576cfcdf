package search

import (
	"strings"
	"unicode"
)

// Query is a search box query parsed per SPEC §5. Parsing never fails: what
// does not read as a filter or a phrase is searched as plain words.
type Query struct {
	// Words are free-text words; a page must match every one.
	Words []string
	// Phrases are quoted phrases; a page must contain every one.
	Phrases []string
	// Filters are field:value filters and -field:value exclusions.
	Filters []Filter
	// Exclude holds -word and -"phrase" terms no hit may contain.
	Exclude []string
	// Prefix says the last word may be incomplete (the query does not end
	// in a space), so it is matched as a prefix too, for as-you-type search.
	Prefix bool
}

// Filter is one field:value term of a query.
type Filter struct {
	// Field is one of kind, service, tag, owner, severity, status, alert,
	// incident or path.
	Field string
	// Value is the value as typed; matching is case-insensitive.
	Value string
	// Negate is set for -field:value, which excludes matching pages.
	Negate bool
}

// filterFields maps the field names people type to the canonical filter.
var filterFields = map[string]string{
	"kind": "kind", "service": "service", "services": "service",
	"tag": "tag", "tags": "tag", "owner": "owner", "severity": "severity",
	"status": "status", "alert": "alert", "alerts": "alert",
	"incident": "incident", "incidents": "incident", "path": "path",
}

// IsEmpty reports whether the query has nothing to search for.
func (q Query) IsEmpty() bool {
	return len(q.Words) == 0 && len(q.Phrases) == 0 && len(q.Filters) == 0 && len(q.Exclude) == 0
}

// ParseQuery parses a search box query.
func ParseQuery(s string) Query {
	var q Query
	lastWord := false
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		neg := false
		if s[i] == '-' && i+1 < len(s) && !isSpace(s[i+1]) {
			neg = true
			i++
		}
		lastWord = false
		if s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				i++ // an unbalanced quote is ignored; the rest reads as words
				continue
			}
			if ph := strings.Join(strings.Fields(s[i+1:i+1+end]), " "); ph != "" {
				if neg {
					q.Exclude = append(q.Exclude, ph)
				} else {
					q.Phrases = append(q.Phrases, ph)
				}
			}
			i += end + 2
			continue
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		word := s[i:j]
		if c := strings.IndexByte(word, ':'); c > 0 {
			if field, ok := filterFields[strings.ToLower(word[:c])]; ok {
				value := word[c+1:]
				if strings.HasPrefix(value, "\"") {
					if end := strings.IndexByte(s[i+c+2:], '"'); end >= 0 {
						value = s[i+c+2 : i+c+2+end]
						j = i + c + 3 + end
					} else {
						value = value[1:]
					}
				}
				if value = strings.TrimSpace(value); value != "" {
					q.Filters = append(q.Filters, Filter{Field: field, Value: value, Negate: neg})
					i = j
					continue
				}
			}
		}
		i = j
		word = strings.TrimFunc(word, func(r rune) bool { return !isWordRune(r) })
		if word == "" {
			continue
		}
		if neg {
			q.Exclude = append(q.Exclude, word)
		} else {
			q.Words = append(q.Words, word)
			lastWord = true
		}
	}
	q.Prefix = lastWord && len(s) > 0 && !isSpace(s[len(s)-1])
	return q
}

func isSpace(b byte) bool { return b < 0x80 && unicode.IsSpace(rune(b)) }
