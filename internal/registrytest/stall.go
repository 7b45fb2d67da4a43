package registrytest

import (
	"bufio"
	"io"
	"net"
	"time"
)

// stallBody holds c, on which part of a response was sent, without
// sending more: until the client closes it (a read ends), maxStall passes
// or the test ends. Then it closes c. The handler returns at once, so the
// Counter does not wait for the stalled request.
func (p *Proxy) stallBody(c net.Conn) {
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, c) // the client sends nothing more on it
		close(gone)
	}()
	go func() {
		p.hold(gone)
		_ = c.Close()
	}()
}

// stallRequest holds c, from which part of a request body was read,
// reading nothing more and answering nothing, until maxStall passes or the
// test ends. Then it closes c. The handler returns at once.
func (p *Proxy) stallRequest(c net.Conn, _ *bufio.ReadWriter) {
	go func() {
		p.hold(nil)
		_ = c.Close()
	}()
}

// hold waits until gone is closed, maxStall passes or the test ends.
func (p *Proxy) hold(gone <-chan struct{}) {
	t := time.NewTimer(maxStall)
	defer t.Stop()
	select {
	case <-gone:
	case <-p.done:
	case <-t.C:
	}
}
