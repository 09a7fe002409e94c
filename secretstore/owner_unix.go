//go:build unix

package secretstore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openFlags open a kept secret without following a symlink at its name and
// without blocking on a FIFO (an open for reading waits for a writer), so
// that Load can look at what it opened before it reads.
const openFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// otherOwner returns an error when fi, the kept secret or its directory, is
// not the current user's: another user could have chosen the secret, or
// may change it.
func otherOwner(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); st.Uid != uint32(uid) {
		return fmt.Errorf("owned by uid %d, not by the current user (uid %d)", st.Uid, uid)
	}
	return nil
}
