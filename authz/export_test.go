package authz

// SetBulkReads sets the number of memberships a change names above which
// they are read in one listing, and returns a function that restores it.
func SetBulkReads(n int) (restore func()) {
	old := bulkReads
	bulkReads = n
	return func() { bulkReads = old }
}

// SetBulkFromSnapshot sets whether a bulk reassignment is applied from
// the snapshot when it can be (else its holders are read again from the
// store), and returns a function that restores it.
func SetBulkFromSnapshot(on bool) (restore func()) {
	old := bulkFromSnapshot
	bulkFromSnapshot = on
	return func() { bulkFromSnapshot = old }
}

// SetCheckRecords sets whether a reassignment checks the records it
// builds without buildRecord against buildRecord's (it panics when one
// differs), and returns a function that restores it.
func SetCheckRecords(on bool) (restore func()) {
	old := checkRecords
	checkRecords = on
	return func() { checkRecords = old }
}
