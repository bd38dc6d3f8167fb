package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// devtoolsDOM loads url in Chromium with scripting disabled and returns the
// document's outer HTML, read through the DevTools protocol over
// --remote-debugging-pipe (Chromium reads commands on fd 3 and answers on
// fd 4, each message a JSON object ended by a NUL byte). It needs no
// websocket and no script in the page: DOM.getOuterHTML is answered by the
// browser itself.
func devtoolsDOM(ctx context.Context, bin string, args []string, url string) (string, error) {
	toChrome, chromeIn, err := os.Pipe()
	if err != nil {
		return "", err
	}
	chromeOut, fromChrome, err := os.Pipe()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--remote-debugging-pipe", "about:blank")...)
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fds 3 and 4
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	toChrome.Close()
	fromChrome.Close()
	defer func() {
		chromeIn.Close()
		cmd.Process.Kill() //nolint:errcheck // stopping our own child
		cmd.Wait()         //nolint:errcheck
		chromeOut.Close()
	}()
	c := &devtools{w: chromeIn, r: bufio.NewReader(chromeOut)}
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("%w\n%s", err, stderr.String())
	}
	var target struct{ TargetID string }
	if err := c.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return fail(err)
	}
	var attached struct{ SessionID string }
	if err := c.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return fail(err)
	}
	s := attached.SessionID
	if err := c.call(s, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil); err != nil {
		return fail(err)
	}
	if err := c.call(s, "Page.enable", nil, nil); err != nil {
		return fail(err)
	}
	if err := c.call(s, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return fail(err)
	}
	if err := c.await("Page.loadEventFired"); err != nil {
		return fail(err)
	}
	var doc struct{ Root struct{ NodeID int } }
	if err := c.call(s, "DOM.getDocument", map[string]any{"depth": 0}, &doc); err != nil {
		return fail(err)
	}
	var outer struct{ OuterHTML string }
	if err := c.call(s, "DOM.getOuterHTML", map[string]any{"nodeId": doc.Root.NodeID}, &outer); err != nil {
		return fail(err)
	}
	return outer.OuterHTML, nil
}

// devtools is one DevTools protocol connection over a pipe.
type devtools struct {
	w    *os.File
	r    *bufio.Reader
	next int
	seen []string // events that arrived while waiting for answers
}

type devtoolsMsg struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func (c *devtools) read() (devtoolsMsg, error) {
	b, err := c.r.ReadBytes(0)
	if err != nil {
		return devtoolsMsg{}, fmt.Errorf("devtools: read: %w", err)
	}
	var m devtoolsMsg
	err = json.Unmarshal(b[:len(b)-1], &m)
	return m, err
}

// call sends a command and waits for its answer.
func (c *devtools) call(session, method string, params, result any) error {
	c.next++
	msg := map[string]any{"id": c.next, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("devtools: %s: %w", method, err)
	}
	for {
		m, err := c.read()
		if err != nil {
			return err
		}
		if m.Method != "" {
			c.seen = append(c.seen, m.Method)
			continue
		}
		if m.ID != c.next {
			continue
		}
		if m.Error != nil {
			return fmt.Errorf("devtools: %s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	}
}

// await waits for an event, which may have arrived already.
func (c *devtools) await(method string) error {
	for _, m := range c.seen {
		if m == method {
			return nil
		}
	}
	for {
		m, err := c.read()
		if err != nil {
			return errors.Join(fmt.Errorf("devtools: waiting for %s", method), err)
		}
		if m.Method == method {
			return nil
		}
	}
}
