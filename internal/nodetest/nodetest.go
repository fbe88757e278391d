// Package nodetest lets Go tests run the repository's Node suites (node:test
// scripts using the npm packages pinned in the root package-lock.json) and
// other child processes whose output belongs in the test log.
//
// A suite whose tools are missing is skipped on a developer's machine and
// fails when the CI environment variable is set, so that CI never passes by
// running less than it should.
package nodetest

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Root returns the module root: the nearest directory at or above the
// working directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Require returns the path of node after checking that root/node_modules
// holds each of packages; see Missing for what happens when one is absent.
func Require(t testing.TB, root string, packages ...string) string {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Node.js 20 or later)")
	}
	for _, pkg := range packages {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, "node_modules/"+pkg+" (npm ci)")
		}
	}
	Missing(t, missing...)
	return node
}

// Missing skips the test, or fails it when the CI environment variable is
// set, naming what is missing. It does nothing when what is empty.
func Missing(t testing.TB, what ...string) {
	t.Helper()
	if len(what) == 0 {
		return
	}
	msg := "missing " + strings.Join(what, ", ")
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Run runs cmd with its standard output and error written to the test log
// line by line, each line behind prefix, and returns the error of cmd.Run.
func Run(t testing.TB, cmd *exec.Cmd, prefix string) error {
	t.Helper()
	out := NewLineWriter(t, prefix)
	cmd.Stdout = out
	cmd.Stderr = out
	err := cmd.Run()
	out.Flush()
	return err
}

// LineWriter is an io.Writer that logs each complete line written to it to
// a test's log, behind a prefix. It is safe for concurrent use.
type LineWriter struct {
	t      testing.TB
	prefix string

	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
}

var _ io.Writer = (*LineWriter)(nil)

// NewLineWriter returns a LineWriter logging to t. A writer that may still
// be written to after the test ends (the log of a server the test started)
// must be stopped first: register Stop with t.Cleanup before anything that
// outlives the test.
func NewLineWriter(t testing.TB, prefix string) *LineWriter {
	return &LineWriter{t: t, prefix: prefix}
}

// Write logs each line of p that it completes; a last partial line waits
// for the rest, or for Flush.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		w.t.Log(w.prefix + string(w.buf.Next(i + 1)[:i]))
	}
	return len(p), nil
}

// Flush logs a last partial line.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 && !w.done {
		w.t.Log(w.prefix + w.buf.String())
		w.buf.Reset()
	}
}

// Stop discards everything written from now on: logging to a test that has
// ended panics.
func (w *LineWriter) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}
