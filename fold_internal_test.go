package rbac

import (
	"strings"
	"testing"
)

func TestContainsFold(t *testing.T) {
	for _, s := range []string{"", "Acme Inc", "org05000", "ACME", "Ünïcode Näme", "İstanbul", "a", "xAcMex"} {
		for _, q := range []string{"", "a", "acme", "inc", "ünï", "näme", "05000", "cmex", "zz", "istanbul", "i̇stanbul"} {
			want := strings.Contains(strings.ToLower(s), q)
			if got := containsFold(s, q); got != want {
				t.Errorf("containsFold(%q, %q) = %v, want %v", s, q, got, want)
			}
		}
	}
}
