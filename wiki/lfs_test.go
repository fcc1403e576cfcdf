package wiki_test

import (
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func TestParseLFSPointer(t *testing.T) {
	const oid = "sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
	for _, tt := range []struct {
		name, in string
		ok       bool
		size     int64
	}{
		// The example of the specification.
		{"Spec", "version https://git-lfs.github.com/spec/v1\noid " + oid + "\nsize 12345\n", true, 12345},
		{"Extension", "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:" + oid[7:] + "\noid " + oid + "\nsize 9\n", true, 9},
		{"PreRelease", "version https://hawser.github.com/spec/v1\noid " + oid + "\nsize 1\n", true, 1},
		{"NoNewlineAtEnd", "version https://git-lfs.github.com/spec/v1\noid " + oid + "\nsize 7", true, 7},
		{"NoSize", "version https://git-lfs.github.com/spec/v1\noid " + oid + "\n", false, 0},
		{"ShortOID", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1\n", false, 0},
		{"OtherVersion", "version https://example.com/spec/v9\noid " + oid + "\nsize 1\n", false, 0},
		{"Markdown", "# version https://git-lfs.github.com/spec/v1\n", false, 0},
		{"BadSize", "version https://git-lfs.github.com/spec/v1\noid " + oid + "\nsize -1\n", false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := wiki.ParseLFSPointer([]byte(tt.in))
			if ok != tt.ok || ok && (p.Size != tt.size || p.OID != oid) {
				t.Errorf("ParseLFSPointer = %+v, %v; want ok=%v size %d", p, ok, tt.ok, tt.size)
			}
		})
	}
}
