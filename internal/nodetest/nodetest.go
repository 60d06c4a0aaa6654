// Package nodetest starts Node.js servers for Go tests that check siogen
// against the official npm packages.
//
// A test names its server script and node_modules folder through two
// environment variables (make test sets them). When the script variable is
// unset the test is skipped with a message naming both; when it is set but
// node or the script is missing, the test fails.
package nodetest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Server is a running Node process that printed "listening <port>".
type Server struct {
	// URL is http://127.0.0.1:<port>.
	URL string
	// Lines receives the other lines the process prints (dropped when full).
	Lines chan string
}

// Start runs `node <script> args...`, the script named by the variable
// scriptEnv, with NODE_PATH set to the folder modulesEnv names and env added
// to the environment. It returns once the process printed "listening
// <port>"; the process is stopped at the end of the test (its standard input
// is closed, then it is killed after 3 seconds).
func Start(t testing.TB, scriptEnv, modulesEnv string, args []string, env ...string) *Server {
	t.Helper()
	script := os.Getenv(scriptEnv)
	if script == "" {
		t.Skipf("set %s (the Node server script) and %s (a node_modules folder with the npm packages) to run this test against Node; make test does",
			scriptEnv, modulesEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set but node is not available: %v", scriptEnv, err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("%s: %v", scriptEnv, err)
	}
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	if dir := os.Getenv(modulesEnv); dir != "" {
		cmd.Env = append(cmd.Env, "NODE_PATH="+dir)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", script, err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	s := &Server{Lines: make(chan string, 1000)}
	listening := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if port, ok := strings.CutPrefix(line, "listening "); ok {
				listening <- port
				continue
			}
			select {
			case s.Lines <- line:
			default:
			}
		}
		cmd.Wait()
		close(listening)
	}()
	select {
	case port, ok := <-listening:
		if !ok {
			t.Fatalf("%s exited: %s", script, stderr.String())
		}
		s.URL = "http://127.0.0.1:" + port
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start within 10s", script)
	}
	return s
}

// Run runs `node script args...` to its end, with NODE_PATH set to the
// folder the variable modulesEnv names, and returns what it printed on its
// standard output. The test is skipped when modulesEnv is unset; it fails
// when node is missing, when the script exits with an error, or when it
// runs for more than 30 seconds.
func Run(t testing.TB, modulesEnv, script string, args ...string) string {
	t.Helper()
	dir := os.Getenv(modulesEnv)
	if dir == "" {
		t.Skipf("set %s (a node_modules folder with the npm packages) to run this test against Node; make test does", modulesEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set but node is not available: %v", modulesEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
