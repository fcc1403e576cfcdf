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
		"github.com/bmatcuk/doublestar/v4": true}
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
