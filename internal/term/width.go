package term

import (
	"os"
	"strconv"
	"strings"
)

// Width is the width in columns of the terminal that out writes to, for
// outputs that fit their lines to it: what the terminal reports, or
// $COLUMNS when getenv gives a positive number (a user who sets it means
// it). It is 0 when out is not a terminal, or its width is unknown: then
// output is left as it is, whatever $COLUMNS says.
func Width(out any, getenv func(string) string) int {
	f, ok := out.(*os.File)
	if !ok {
		return 0
	}
	w := windowWidth(f.Fd())
	if w == 0 {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	return w
}
