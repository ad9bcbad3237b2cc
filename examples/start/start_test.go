package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// TestREADME checks that the README shows this program exactly, so that
// the code a reader copies compiles and does what the README says.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- the code of examples/start/main.go -->\n```go\n"
	_, after, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatalf("README.md has no %q", marker)
	}
	shown, _, ok := strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("README.md: the code block does not end")
	}
	if shown != string(src) {
		t.Errorf("README.md shows a different program than examples/start/main.go: copy the file into the README")
	}
}

// TestRun checks the program's output, which the README quotes.
func TestRun(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	runErr := run(context.Background())
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	if runErr != nil {
		t.Fatal(runErr)
	}
	want := `created org-billing-admin
can manage billing: true
claims: role org-billing-admin, permissions [billing:manage videos:view]
refused: invalid_role - Role 'org-nope' is not a valid role.
without a replacement: true
environment default replaced: true
`
	if string(out) != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not quote the program's output:\n%s", want)
	}
}
