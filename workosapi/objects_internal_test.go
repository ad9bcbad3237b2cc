package workosapi

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestTimestamps checks the hand-written time format against the time
// package's, over random times.
func TestTimestamps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sec := rapid.Int64Range(-70000000000, 300000000000).Draw(t, "sec")
		nsec := rapid.Int64Range(0, 999999999).Draw(t, "nsec")
		loc := time.FixedZone("x", rapid.IntRange(-14*3600, 14*3600).Draw(t, "offset"))
		tm := time.Unix(sec, nsec).In(loc)
		if got, want := ts(tm), tm.UTC().Format(timeFormat); got != want {
			t.Fatalf("ts(%v) = %q, want %q", tm, got, want)
		}
	})
}
