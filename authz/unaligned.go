//go:build amd64 || arm64 || 386 || ppc64le || loong64

package authz

import "unsafe"

// load64 returns the little-endian 8 bytes at p, which need not be
// aligned: one load on these little-endian processors, which read
// unaligned words.
func load64(p unsafe.Pointer) uint64 { return *(*uint64)(p) }

// load32 returns the little-endian 4 bytes at p, which need not be
// aligned.
func load32(p unsafe.Pointer) uint32 { return *(*uint32)(p) }
