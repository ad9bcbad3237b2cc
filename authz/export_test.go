package authz

// SetBulkReads sets the number of memberships a change names above which
// they are read in one listing, and returns a function that restores it.
func SetBulkReads(n int) (restore func()) {
	old := bulkReads
	bulkReads = n
	return func() { bulkReads = old }
}
