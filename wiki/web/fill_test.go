package web

import (
	"html/template"
	"strings"
	"testing"
)

func TestFillBody(t *testing.T) {
	body := []byte("Pod {{ $labels.pod }} in {{$labels.namespace}} ({{ .Labels.cluster }}, {{ index $labels \"job\" }}).\n\n" +
		"```shell\nkubectl -n $NAMESPACE logs ${POD_NAME} --previous # $POD stays: not declared\n```\n")
	values := map[string]string{"pod": "api-7f9", "namespace": `payments"; rm -rf / #`, "pod_name": "it's", "job": "checkout"}
	out, ok := fillBody(body, values, []string{"NAMESPACE", "POD_NAME", "bad name"})
	if !ok {
		t.Fatal("nothing filled")
	}
	want := "Pod " + fillOpen + "api-7f9" + fillClose + " in " + fillOpen + `'payments"; rm -rf / #'` + fillClose + " ({{ .Labels.cluster }}, " + fillOpen + "checkout" + fillClose + ").\n\n" +
		"```shell\nkubectl -n " + fillOpen + `'payments"; rm -rf / #'` + fillClose + " logs " + fillOpen + `'it'\''s'` + fillClose + " --previous # $POD stays: not declared\n```\n"
	if string(out) != want {
		t.Errorf("filled:\n%s\nwant:\n%s", out, want)
	}
	if _, ok := fillBody([]byte("no placeholders {{ $value }}"), values, nil); ok {
		t.Error("filled a body without placeholders")
	}
	// A value cannot forge the marks.
	out, _ = fillBody([]byte("{{ $labels.pod }}"), map[string]string{"pod": "a" + fillClose + "<b>"}, nil)
	if strings.Count(string(out), fillClose) != 1 {
		t.Errorf("a value closed its mark: %q", out)
	}
}

func TestMarkFilled(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<p>x " + fillOpen + "v" + fillClose + " y</p>", `<p>x <mark class="filled" title="Filled in from the alert's labels">v</mark> y</p>`},
		// Split by the highlighter: marked in each piece, nested properly.
		{`<span class="s">'a` + fillOpen + `b</span><span class="o">c` + fillClose + `d</span>`,
			`<span class="s">'a<mark class="filled" title="Filled in from the alert's labels">b</mark></span><span class="o"><mark class="filled" title="Filled in from the alert's labels">c</mark>d</span>`},
		// In an attribute: dropped.
		{`<a title="` + fillOpen + `v` + fillClose + `">t</a>`, `<a title="v">t</a>`},
		{"<p>plain</p>", "<p>plain</p>"},
	} {
		if got := string(markFilled(template.HTML(tc.in))); got != tc.want {
			t.Errorf("markFilled(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"payments": "payments", "a b": "'a b'", "": "''", "it's": `'it'\''s'`, "$(id)": "'$(id)'", "10.0.0.1:9100": "10.0.0.1:9100"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
