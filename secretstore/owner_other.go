//go:build !unix

package secretstore

import (
	"io/fs"
	"os"
)

// openFlags open a kept secret for reading; the symlink and FIFO checks
// are Unix's.
const openFlags = os.O_RDONLY

// otherOwner is Unix's owner check; elsewhere every owner passes.
func otherOwner(fs.FileInfo) error { return nil }
