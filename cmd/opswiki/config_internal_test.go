package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A configuration file may list the values of a repeatable flag.
func TestConfigFileLists(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "opswiki.yaml")
	if err := os.WriteFile(file, []byte("data: "+dir+"\nrules:\n  - /etc/prometheus/rules/\n  - /srv/more.rules.yml\nsite-name: Ops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.parse(c.flagSet("serve", true), []string{"--config", file}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Rules, []string{"/etc/prometheus/rules/", "/srv/more.rules.yml"}) || c.SiteName != "Ops" {
		t.Errorf("rules %q, site name %q", c.Rules, c.SiteName)
	}
}
