package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The functions below start the rbac command as a separate process, as
// the tests that drive it with WorkOS's SDKs do.

// BuildCommand builds the rbac command of the module rooted at root into
// the file out.
func BuildCommand(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/rbac")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/rbac: %v\n%s", err, b)
	}
	return nil
}

// ModuleRoot returns the root of the rbac module, found from dir upwards:
// the directory whose go.mod declares github.com/orgroles/rbac.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/orgroles/rbac\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("server: no github.com/orgroles/rbac module above " + dir)
		}
		dir = parent
	}
}

// A Process is a running "rbac serve".
type Process struct {
	// URL is where it serves, "http://127.0.0.1:PORT".
	URL string
	// DevKey is the development key it printed, if it made one.
	DevKey string

	cmd    *exec.Cmd
	mu     sync.Mutex
	output strings.Builder // standard output and error, interleaved
	done   chan error
}

// StartProcess runs binary with args (after "serve") and the environment
// env (and nothing of this process's environment but PATH and HOME, so
// that RBAC_* variables do not leak in), and waits, at most timeout, for
// the line that says where it listens.
func StartProcess(binary string, args, env []string, timeout time.Duration) (*Process, error) {
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.output.Write(b)
	})
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.output.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	// Once this function returns, the lines are only kept in Output.
	defer func() {
		go func() {
			for range lines {
			}
		}()
	}()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil, fmt.Errorf("server: rbac serve exited before listening:\n%s", p.Output())
			}
			if key, found := strings.CutPrefix(line, "rbac: development API key: "); found {
				p.DevKey, _, _ = strings.Cut(key, " ")
			}
			if u, found := strings.CutPrefix(line, "rbac: listening on "); found {
				p.URL = strings.TrimSpace(u)
				return p, nil
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("server: rbac serve did not listen within %v:\n%s", timeout, p.Output())
		}
	}
}

// Output returns what the process wrote so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// Stop sends SIGTERM and waits, at most timeout, for the process to exit;
// it returns an error unless the process shut down and exited with
// status 0.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("server: rbac serve did not exit within %v of SIGTERM", timeout)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
