package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKeys(t *testing.T) {
	got, err := ParseKeys([]string{"sk_a", " sk_b=staging ", "sk_c=prod", "sk_a"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"sk_a": DefaultEnvironment, "sk_b": "staging", "sk_c": "prod"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{""}, {"=prod"}, {"sk_a="}, {"sk a"}, {"sk_a,sk_b"}, {"sk_a=x", "sk_a=y"}} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
