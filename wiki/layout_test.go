package wiki_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImports keeps the domain in the middle: package wiki imports
// the standard library and the few libraries its model needs, never one of
// the adapters around it, nor the HTTP or HTML packages they use.
func TestDomainImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"go.yaml.in/yaml/v3": true, "github.com/BurntSushi/toml": true, "github.com/benbjohnson/immutable": true,
		"github.com/bmatcuk/doublestar/v4": true,
		// The on-call model (rotations, escalation) is domain too; its
		// schedule fetcher lives apart, in oncall/schedule.
		"github.com/opswiki/opswiki/wiki/oncall": true}
	forbidden := map[string]bool{"net/http": true, "html/template": true, "text/template": true}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.Split(path, "/")[0], ".")
			switch {
			case forbidden[path]:
				t.Errorf("%s imports %s: the domain knows nothing of HTTP or HTML", f, path)
			case !stdlib && !allowed[path]:
				t.Errorf("%s imports %s: the domain imports none of the adapters around it", f, path)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}

// TestOncallImports keeps the on-call model free of HTTP and of the
// calendar libraries: package wiki reads front matter with it.
func TestOncallImports(t *testing.T) {
	files, err := filepath.Glob("oncall/*.go")
	if err != nil || len(files) < 5 {
		t.Fatalf("oncall files: %v %v", files, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.Split(path, "/")[0], ".")
			if path == "net/http" || (!stdlib && path != "go.yaml.in/yaml/v3") {
				t.Errorf("%s imports %s: the on-call model takes nothing but the standard library and YAML", f, path)
			}
		}
	}
}
