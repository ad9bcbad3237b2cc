package rbac_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/orgroles/rbac"
)

// The slug rules 2.1 and 2.2, written independently of roles.go:
// a role slug is alphanumeric runs joined by single separators, a
// permission slug any run of its alphabet; both 1–48 bytes.
var (
	refRoleSlug       = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)
	refPermissionSlug = regexp.MustCompile(`^[a-z0-9_:.*-]+$`)
	refSeparatorRun   = regexp.MustCompile(`[-_]{2,}`)
)

func refValidRoleSlug(s string) bool { return len(s) <= 48 && refRoleSlug.MatchString(s) }

func refValidPermissionSlug(s string) bool { return len(s) <= 48 && refPermissionSlug.MatchString(s) }

// refGenerate is rule 5.2 step by step: lowercase, whitespace to '-', drop
// what is outside [a-z0-9_-], collapse each run of separators to its first
// one, trim separators, cut the name part to what fits in 48 characters
// beside "org-", "-" and the suffix (trimming separators the cut exposes),
// and assemble.
func refGenerate(name, suffix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if unicode.IsSpace(r) {
			r = '-'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	base := refSeparatorRun.ReplaceAllStringFunc(b.String(), func(run string) string { return run[:1] })
	base = strings.Trim(base, "-_")
	if room := 48 - len("org-") - len("-") - len(suffix); len(base) > room {
		base = strings.Trim(base[:room], "-_")
	}
	if base == "" {
		return "org-" + suffix
	}
	return "org-" + base + "-" + suffix
}

// suffixFrom turns arbitrary fuzz input into a valid suffix: six
// characters of [a-z0-9].
func suffixFrom(s string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [rbac.SlugSuffixLen]byte
	for i := range b {
		c := byte(i * 7)
		if i < len(s) {
			c += s[i]
		}
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b[:])
}

// checkSlugError checks the shape of a rejection: a KindInvalid *rbac.Error
// naming the field "slug" and the rule broken.
func checkSlugError(t *testing.T, s string, err error) {
	t.Helper()
	var e *rbac.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v (%T) is not an *rbac.Error", s, err, err)
	}
	if !errors.Is(err, rbac.ErrInvalid) || e.Kind != rbac.KindInvalid || e.Code != rbac.CodeInvalid {
		t.Errorf("%q: kind %v, code %q; want invalid", s, e.Kind, e.Code)
	}
	if e.Field != "slug" || e.Rule == "" || e.Message == "" {
		t.Errorf("%q: field %q, rule %q, message %q; want field slug, a rule and a message", s, e.Field, e.Rule, e.Message)
	}
}

func FuzzValidateRoleSlug(f *testing.F) {
	for _, s := range []string{"member", "billing-admin", "a_b-c", strings.Repeat("a", 48)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := rbac.ValidateRoleSlug(s)
		if want := refValidRoleSlug(s); (err == nil) != want {
			t.Fatalf("ValidateRoleSlug(%q) = %v; rule 2.1 says valid = %v", s, err, want)
		}
		if err != nil {
			checkSlugError(t, s, err)
			return
		}
		// A valid role slug is a valid permission slug too, and every valid
		// environment role slug has an organization twin that differs from it.
		if rbac.ValidatePermissionSlug(s) != nil {
			t.Errorf("role slug %q is not a valid permission slug", s)
		}
		if !rbac.IsOrganizationRoleSlug(s) && rbac.OrganizationRoleSlug(s) == s {
			t.Errorf("OrganizationRoleSlug(%q) returned it unchanged", s)
		}
	})
}

func FuzzValidatePermissionSlug(f *testing.F) {
	for _, s := range []string{"videos:create", "billing.*", "*", strings.Repeat("x", 48)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := rbac.ValidatePermissionSlug(s)
		if want := refValidPermissionSlug(s); (err == nil) != want {
			t.Fatalf("ValidatePermissionSlug(%q) = %v; rule 2.2 says valid = %v", s, err, want)
		}
		if err != nil {
			checkSlugError(t, s, err)
		}
	})
}

func FuzzGenerateOrganizationRoleSlug(f *testing.F) {
	f.Add("Billing Admin (EU)", "x7k2q9")
	f.Add("", "000000")
	f.Fuzz(func(t *testing.T, name, rawSuffix string) {
		suffix := suffixFrom(rawSuffix)
		got := rbac.GenerateOrganizationRoleSlug(name, suffix)
		if err := rbac.ValidateRoleSlug(got); err != nil {
			t.Fatalf("GenerateOrganizationRoleSlug(%q, %q) = %q, not a valid role slug: %v", name, suffix, got, err)
		}
		if !strings.HasPrefix(got, "org-") || !rbac.IsOrganizationRoleSlug(got) {
			t.Errorf("GenerateOrganizationRoleSlug(%q, %q) = %q, without the org- prefix", name, suffix, got)
		}
		if len(got) > rbac.MaxSlugLen {
			t.Errorf("GenerateOrganizationRoleSlug(%q, %q) = %q, %d characters", name, suffix, got, len(got))
		}
		if !strings.HasSuffix(got, "-"+suffix) {
			t.Errorf("GenerateOrganizationRoleSlug(%q, %q) = %q, does not end with -%s", name, suffix, got, suffix)
		}
		if want := refGenerate(name, suffix); got != want {
			t.Errorf("GenerateOrganizationRoleSlug(%q, %q) = %q; rule 5.2 gives %q", name, suffix, got, want)
		}
		// A generated slug is kept as it is when supplied back.
		if again := rbac.OrganizationRoleSlug(got); again != got {
			t.Errorf("OrganizationRoleSlug(%q) = %q; want it unchanged", got, again)
		}
	})
}

func FuzzOrganizationRoleSlug(f *testing.F) {
	for _, s := range []string{"billing-admin", "org-billing-admin", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := rbac.OrganizationRoleSlug(s)
		want := "org-" + s
		if strings.HasPrefix(s, "org-") {
			want = s
		}
		if got != want {
			t.Fatalf("OrganizationRoleSlug(%q) = %q; want %q", s, got, want)
		}
		if !rbac.IsOrganizationRoleSlug(got) {
			t.Errorf("IsOrganizationRoleSlug(%q) = false", got)
		}
		if again := rbac.OrganizationRoleSlug(got); again != got {
			t.Errorf("OrganizationRoleSlug is not idempotent: %q → %q → %q", s, got, again)
		}
		// A valid slug stays valid after prefixing as long as it fits; a
		// prefixed slug never equals an environment role slug (rule 5.3).
		if rbac.ValidateRoleSlug(s) == nil && len(got) <= rbac.MaxSlugLen {
			if err := rbac.ValidateRoleSlug(got); err != nil {
				t.Errorf("valid slug %q became invalid %q: %v", s, got, err)
			}
		}
		if rbac.ValidateRoleSlug(got) == nil && !strings.HasPrefix(got, "org-") {
			t.Errorf("%q is a valid role slug without the org- prefix", got)
		}
	})
}
