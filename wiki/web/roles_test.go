package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/web"
)

// headerAuth identifies requests by an X-Test-Role header, for testing what
// each role may reach.
type headerAuth struct{}

func (headerAuth) Identify(r *http.Request) (*wiki.User, error) {
	role, ok := wiki.ParseRole(r.Header.Get("X-Test-Role"))
	if !ok {
		return nil, nil
	}
	return &wiki.User{Name: "tester", Role: role, Via: "token"}, nil
}

func (headerAuth) AnonymousRole() wiki.Role { return wiki.RoleNone }

// TestRouteRoles asks every registered route as nobody, as a reader and as
// an editor: only the open routes answer nobody, readers reach everything
// that only shows, and only editors reach what changes the wiki. The roles
// come from where the routes are registered, so a new route without one
// fails here.
func TestRouteRoles(t *testing.T) {
	ts, s := MustServerWith(t, map[string]string{"runbooks/disk-full.md": "# Disk full\n"}, func(_ *web.Config, d *web.Deps) {
		d.Auth = headerAuth{}
	})
	open := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /-/static/*": true,
		"GET /-/opensearch.xml": true, "GET /-/sw.js": true, "GET /-/manifest.webmanifest": true, "POST /-/api/alertmanager": true, "POST /-/api/upstream/hook": true, "GET /-/signin": true, "POST /-/signin": true, "POST /-/signout": true,
		"GET /-/oidc/login": true, "GET /-/oidc/callback": true}
	readable := map[string]bool{"POST /-/api/preview": true, "POST /-/account/tokens": true, "POST /-/account/tokens/revoke": true}
	seen := 0
	for _, route := range s.RoutesForTest() {
		method, path, _ := strings.Cut(route, " ")
		if method == "echo_route_any" || strings.HasPrefix(method, "PROPFIND") || method == "CONNECT" || method == "TRACE" || method == "OPTIONS" {
			continue
		}
		seen++
		url := strings.NewReplacer("*", "runbooks/disk-full", ":name", "DiskFull", ":id", "INC-1").Replace(path)
		status := func(role string) int {
			resp, _ := send(t, ts, method, url, "", nil, "X-Test-Role", role, "Accept", "application/json")
			return resp.StatusCode
		}
		// The catch-all under /-/ answers 404 to readers for any method,
		// and fetching over git is a POST that readers may send.
		catchAll := path == "/-/*" || path == "/wiki.git" || path == "/wiki.git/*"
		writes := method != http.MethodGet && method != http.MethodHead && !readable[route] && !catchAll
		switch {
		case open[route]:
			if c := status(""); c == http.StatusUnauthorized || c == http.StatusForbidden {
				t.Errorf("%s: %d for nobody; it is open", route, c)
			}
		case writes:
			if c := status("reader"); c != http.StatusForbidden {
				t.Errorf("%s: %d for a reader, want 403", route, c)
			}
			if c := status(""); c != http.StatusUnauthorized {
				t.Errorf("%s: %d for nobody, want 401", route, c)
			}
		default:
			if c := status(""); c != http.StatusUnauthorized {
				t.Errorf("%s: %d for nobody, want 401", route, c)
			}
			if c := status("reader"); c == http.StatusUnauthorized || c == http.StatusForbidden {
				t.Errorf("%s: %d for a reader, who may read", route, c)
			}
		}
	}
	if seen < 40 {
		t.Errorf("only %d routes checked", seen)
	}
}
