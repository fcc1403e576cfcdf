package main_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

var editorText = regexp.MustCompile(`(?s)<textarea name="content"[^>]*>(.*?)</textarea>`)

// A postmortem started from the default template without a title: the
// editor and the saved page warn about the placeholder left in it, and
// the template's example action item is not an action item.
func TestPostmortemFromTemplate(t *testing.T) {
	s := MustServe(t, "")
	_, _, actionsBefore := s.Get(t, "/-/api/actions")
	code, _, editor := s.Get(t, "/-/new?template=postmortem&incident=INC-7&service=checkout")
	m := editorText.FindStringSubmatch(editor)
	if code != 200 || m == nil {
		t.Fatalf("editor = %d", code)
	}
	content := html.UnescapeString(m[1])
	if !strings.Contains(content, `title: "INC-7: {{title}}"`) || !strings.Contains(content, "action_items: []") {
		t.Fatalf("the template's text:\n%s", content)
	}
	code, resp := s.Put(t, "postmortems/2026/2026-11-28-inc-7", content, "", "Start INC-7")
	if code != 200 {
		t.Fatalf("save = %d %v", code, resp)
	}
	p := s.Page(t, "postmortems/2026/2026-11-28-inc-7")
	found := false
	for _, pr := range p.Problems {
		found = found || pr.Line == 2 && strings.Contains(pr.Message, "{{title}} is a template placeholder")
	}
	if !found {
		t.Errorf("no warning about the placeholder left in the title: %+v", p.Problems)
	}
	if _, _, actionsAfter := s.Get(t, "/-/api/actions"); actionsAfter != actionsBefore {
		t.Errorf("the new postmortem added action items:\n%s\nwas\n%s", actionsAfter, actionsBefore)
	}
}
