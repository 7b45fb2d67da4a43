package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// maxHelperOutput bounds what a credential helper may print.
const maxHelperOutput = 1 << 20

// helperWaitDelay bounds how long a cancelled helper may keep its output open.
const helperWaitDelay = 2 * time.Second

// runHelper runs docker-credential-NAME get for key under ctx, the docker
// credential helper protocol. Its standard error is dropped and its output
// never quoted in an error: both may hold the secret. A helper that has no
// credentials for key ("credentials not found") gives none, without error.
func runHelper(ctx context.Context, name, key string) (user, secret string, err error) {
	bin := "docker-credential-" + name
	cmd := exec.CommandContext(ctx, bin, "get")
	cmd.Stdin = strings.NewReader(key)
	out := &capped{max: maxHelperOutput}
	cmd.Stdout, cmd.Stderr = out, io.Discard
	cmd.WaitDelay = helperWaitDelay
	if err := cmd.Run(); err != nil {
		return "", "", helperError(ctx, bin, out.Bytes(), err)
	}
	var resp struct {
		Username string `json:"Username"`
		Secret   string `json:"Secret"`
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return "", "", fmt.Errorf("%s get: %w: its answer is not the JSON of the credential helper protocol", bin, ErrCredentials)
	}
	if resp.Username == "<token>" { // an identity token, as docker login stores it
		return "", resp.Secret, nil
	}
	return resp.Username, resp.Secret, nil
}

// helperError describes a failed helper without its output.
func helperError(ctx context.Context, bin string, out []byte, err error) error {
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s get: %w: %w", bin, ErrCredentials, ctx.Err())
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("%s: %w: not found in PATH", bin, ErrCredentials)
	case errors.As(err, &ee) && bytes.Contains(out, []byte("credentials not found")):
		return nil
	case errors.As(err, &ee):
		return fmt.Errorf("%s get: %w: %s (run it by hand to see why; ybuild never prints a helper's output)", bin, ErrCredentials, ee.ProcessState)
	}
	return fmt.Errorf("%s get: %w: cannot run it", bin, ErrCredentials)
}

// capped is a buffer that fails writes beyond max bytes.
type capped struct {
	bytes.Buffer
	max int
}

// Write appends p unless the buffer would exceed max.
func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		return 0, errors.New("credential helper output too large")
	}
	return c.Buffer.Write(p)
}
