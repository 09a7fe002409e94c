package main

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeUnits are the units parseSize accepts, longest suffix first so that
// "MiB" is not read as "B".
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// parseSize reads a byte count such as "25MiB", "512KiB", "1MB" or
// "1048576". KiB, MiB and GiB (and the bare K, M, G) are powers of 1024;
// KB, MB and GB powers of 1000. The result must be positive.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	factor := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, factor = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/factor {
		return 0, fmt.Errorf("%q is not a size; write a positive whole number of bytes, optionally with a unit such as KiB, MiB or MB", s)
	}
	return n * factor, nil
}
