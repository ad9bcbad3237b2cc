//go:build !(amd64 || arm64 || 386 || ppc64le || loong64)

package authz

import "unsafe"

// load64 returns the little-endian 8 bytes at p, which need not be
// aligned, a byte at a time.
func load64(p unsafe.Pointer) uint64 {
	b := (*[8]byte)(p)
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// load32 returns the little-endian 4 bytes at p, which need not be
// aligned, a byte at a time.
func load32(p unsafe.Pointer) uint32 {
	b := (*[4]byte)(p)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
