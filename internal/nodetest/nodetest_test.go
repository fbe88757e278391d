package nodetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder stands in for the testing.TB of a test whose outcome is being
// checked: it keeps what is logged and how the test would have ended.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	logs    []string
	skipped string
	fatal   string
}

func (r *recorder) Helper() {}

func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range args {
		r.logs = append(r.logs, a.(string))
	}
}

func (r *recorder) Skip(args ...any) {
	r.skipped = args[0].(string)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.fatal = args[0].(string)
	runtime.Goexit()
}

// inGoroutine runs f as a test body would run, so that Skip and Fatal can
// end it.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestLineWriter(t *testing.T) {
	r := &recorder{TB: t}
	w := NewLineWriter(r, "node: ")
	for _, chunk := range []string{"ok 1 - conn", "ects\nok 2", " - emits\n\nlast"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", chunk, n, err, len(chunk))
		}
	}
	want := []string{"node: ok 1 - connects", "node: ok 2 - emits", "node: "}
	if !slices.Equal(r.logs, want) {
		t.Fatalf("got %q, want %q", r.logs, want)
	}
	w.Flush()
	want = append(want, "node: last")
	if !slices.Equal(r.logs, want) {
		t.Fatalf("after Flush got %q, want %q", r.logs, want)
	}
	w.Stop()
	_, _ = w.Write([]byte("after the test\n"))
	w.Flush()
	if !slices.Equal(r.logs, want) {
		t.Fatalf("after Stop got %q, want %q", r.logs, want)
	}
}

func TestRunLogsOutput(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	r := &recorder{TB: t}
	err = Run(r, exec.Command(sh, "-c", "echo one; echo two >&2; printf three; exit 3"), "> ")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("got error %v, want exit status 3", err)
	}
	slices.Sort(r.logs) // stdout and stderr share the writer in any order
	want := []string{"> one", "> three", "> two"}
	if !slices.Equal(r.logs, want) {
		t.Fatalf("got %q, want %q", r.logs, want)
	}
}

func TestRoot(t *testing.T) {
	root := Root(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Root = %s, which holds no go.mod", root)
	}
	wd, _ := os.Getwd()
	if rel, err := filepath.Rel(root, wd); err != nil || rel != filepath.Join("internal", "nodetest") {
		t.Fatalf("Root = %s, want the directory two levels above %s", root, wd)
	}
}

func TestMissing(t *testing.T) {
	tests := []struct {
		name        string
		ci          string
		what        []string
		wantSkipped bool
		wantFatal   bool
	}{
		{"nothing missing", "", nil, false, false},
		{"skipped outside CI", "", []string{"node", "chromium"}, true, false},
		{"fails under CI", "true", []string{"node"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			inGoroutine(func() { Missing(r, tt.what...) })
			msg := r.skipped + r.fatal
			if (r.skipped != "") != tt.wantSkipped || (r.fatal != "") != tt.wantFatal {
				t.Fatalf("got skipped %q, fatal %q; want skipped %v, fatal %v", r.skipped, r.fatal, tt.wantSkipped, tt.wantFatal)
			}
			for _, w := range tt.what {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
		})
	}
}

func TestRequireNamesMissingPackages(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	inGoroutine(func() { Require(r, t.TempDir(), "socket.io-client", "@socket.io/redis-adapter") })
	for _, w := range []string{"node_modules/socket.io-client (npm ci)", "node_modules/@socket.io/redis-adapter (npm ci)"} {
		if !strings.Contains(r.skipped, w) {
			t.Errorf("got skip message %q, want it to name %q", r.skipped, w)
		}
	}
}
