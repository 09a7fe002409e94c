package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// peakRSS returns the peak resident set size of process pid, in bytes,
// from /proc (VmHWM): what the kernel gave it at its largest, not the
// heap after a collection.
func peakRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("VmHWM: %q", line)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM in /proc status")
	return 0
}

// A hundred signed 25 MiB uploads at once against the real binary with
// the default limits (--max-inflight 256MiB): the budget admits some, the
// rest get 503 overloaded, a small delivery sent meanwhile gets 200, and
// the process's peak RSS stays within the budget plus 128 MiB.
func TestBinaryPeakMemoryWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 2.5 GB over loopback; skipped with -short")
	}
	bin := mustBuild(t)
	const (
		secret   = "memory-test-secret-0123456789abcdef"
		uploads  = 100
		budget   = 256 << 20
		headroom = 128 << 20
	)
	cmd := exec.Command(bin, "listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--env-file", os.DevNull)
	cmd.Env = append(os.Environ(), envSecret+"="+secret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("no start record")
	}
	var start struct{ Addr string }
	if err := json.Unmarshal(lines.Bytes(), &start); err != nil || start.Addr == "" {
		t.Fatalf("start record %q", lines.Text())
	}
	go io.Copy(io.Discard, stdout) // the log goes on

	body := bytes.Repeat([]byte("a"), 25<<20-32)
	body = append(append([]byte(`{"zen":"`), body...), `"}`...)
	head := fmt.Sprintf("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"+
		"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n", signGitHub(secret, body), len(body))

	statuses := make(chan int, uploads)
	var wg sync.WaitGroup
	for range uploads {
		wg.Go(func() {
			conn, err := net.Dial("tcp", start.Addr)
			if err != nil {
				statuses <- -1
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(2 * time.Minute))
			go func() { conn.Write([]byte(head)); conn.Write(body) }() // a refused one stops reading
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	small, _ := send(t, http.MethodPost, "http://"+start.Addr+"/webhook", []byte(pingBody), pingHeaders(secret, "small"))
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for st := range statuses {
		counts[st]++
	}
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("answers %v; small delivery %d; peak RSS %d MiB", counts, small, peak>>20)
	if small != http.StatusOK || counts[200] == 0 || counts[200]+counts[503] != uploads {
		t.Errorf("answers %v, small %d; want 200s and 503s only, adding up to %d, and 200 for the small one", counts, small, uploads)
	}
	if peak > budget+headroom {
		t.Errorf("peak RSS %d MiB, want at most the budget plus 128 MiB (%d MiB)", peak>>20, (budget+headroom)>>20)
	}
}

func TestMemoryLimit(t *testing.T) {
	cfg := listenConfig{maxInflight: 256 << 20}
	tests := []struct {
		name     string
		captures bool
		env      map[string]string
		want     int64
		wantSet  bool
	}{
		{name: "the budget and headroom", want: 256<<20 + memoryHeadroom, wantSet: true},
		{name: "and the ring when deliveries are kept", captures: true, want: 256<<20 + memoryHeadroom + ringBytes, wantSet: true},
		{name: "GOMEMLIMIT wins", env: map[string]string{"GOMEMLIMIT": "1GiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, set := memoryLimit(cfg, tt.captures, func(k string) string { return tt.env[k] })
			if got != tt.want || set != tt.wantSet {
				t.Errorf("memoryLimit = %d, %v; want %d, %v", got, set, tt.want, tt.wantSet)
			}
		})
	}
}
