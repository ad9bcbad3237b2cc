package pgstore

// SetListBatch sets the rows fetched from a listing's cursor at a time,
// and returns a function that restores it.
func SetListBatch(n int) func() {
	old := listBatch
	listBatch = n
	return func() { listBatch = old }
}
