package registrytest

import (
	"io"
	"net"
	"sync/atomic"
)

// tlsRecordHandshake is the first byte of a TLS client hello.
const tlsRecordHandshake = 0x16

// CloseTLS makes the proxy close, at once and without answering, every new
// connection that opens with a TLS handshake, as a plain-HTTP registry
// behind a TCP proxy or load balancer does.
func (p *Proxy) CloseTLS() { p.closeTLS.Store(true) }

// TLSAttempts returns how many TLS handshakes the proxy closed.
func (p *Proxy) TLSAttempts() int64 { return p.tlsAttempts.Load() }

// tlsClosingListener hands out connections that close on a TLS handshake
// while the proxy's CloseTLS is on.
type tlsClosingListener struct {
	net.Listener
	p *Proxy
}

// Accept wraps the connection when CloseTLS is on.
func (l tlsClosingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || !l.p.closeTLS.Load() {
		return c, err
	}
	return &sniffConn{Conn: c, attempts: &l.p.tlsAttempts}, nil
}

// sniffConn closes itself when its first byte starts a TLS handshake.
type sniffConn struct {
	net.Conn
	attempts *atomic.Int64
	checked  bool
}

// Read checks the first byte, then reads.
func (c *sniffConn) Read(b []byte) (int, error) {
	if c.checked || len(b) == 0 {
		return c.Conn.Read(b)
	}
	c.checked = true
	n, err := c.Conn.Read(b[:1])
	if n == 1 && b[0] == tlsRecordHandshake {
		c.attempts.Add(1)
		reset(c.Conn)
		return 0, io.EOF
	}
	return n, err
}
