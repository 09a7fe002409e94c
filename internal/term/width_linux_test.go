package term

import (
	"os"
	"testing"

	"github.com/hooklab/hooklab/internal/ptytest"
)

func TestWidth(t *testing.T) {
	tty, _ := ptytest.Open(t, 97)
	file, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name    string
		out     any
		columns string
		want    int
	}{
		{name: "a terminal", out: tty, want: 97},
		{name: "a terminal, with COLUMNS", out: tty, columns: "60", want: 60},
		{name: "a terminal, with COLUMNS not a number", out: tty, columns: "wide", want: 97},
		{name: "a file, whatever COLUMNS says", out: file, columns: "60", want: 0},
		{name: "not a file", out: os.Stdout.Name(), columns: "60", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "COLUMNS" {
					return tt.columns
				}
				return ""
			}
			if got := Width(tt.out, getenv); got != tt.want {
				t.Errorf("Width = %d, want %d", got, tt.want)
			}
		})
	}
}
