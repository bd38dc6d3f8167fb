package ibsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker/ibsim/wire"
)

// MustOpenServer starts a paper broker on a loopback port with the test
// clock and flat prices, and closes it when the test ends.
func MustOpenServer(tb testing.TB, mutate func(*Config)) *Server {
	tb.Helper()
	cfg := Config{Now: func() time.Time { return testDay },
		Series: flatSeries(map[string]float64{"RUT": 2400, "GSPC": 6500, "IWM": 240, "XLK": 140})}
	if mutate != nil {
		mutate(&cfg)
	}
	s := New(cfg)
	if err := s.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawClient speaks the TWS protocol by hand, so tests can send what no
// well-behaved client library would.
type rawClient struct {
	tb   testing.TB
	conn net.Conn
}

func dialRaw(tb testing.TB, addr string) *rawClient {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &rawClient{tb: tb, conn: conn}
}

func frame(payload []byte) []byte {
	out := make([]byte, 4, 4+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(payload)))
	return append(out, payload...)
}

func fieldsPayload(fields ...string) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func (c *rawClient) write(b []byte) {
	c.tb.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

// hello sends the handshake and returns the server's version and time.
func (c *rawClient) hello(versions string) []string {
	c.tb.Helper()
	c.write(append([]byte("API\x00"), frame([]byte(versions))...))
	return c.read()
}

func (c *rawClient) send(fields ...string) { c.tb.Helper(); c.write(frame(fieldsPayload(fields...))) }

// read returns the fields of the next message.
func (c *rawClient) read() []string {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := wire.ReadFrame(c.conn)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(p), "\x00"), "\x00")
}

// readError reads messages until an error with code arrives.
func (c *rawClient) readError(code string) []string {
	c.tb.Helper()
	for i := 0; i < 100; i++ {
		if f := c.read(); f[0] == "4" && contains(f, code) {
			return f
		}
	}
	c.tb.Fatalf("no error %s in 100 messages", code)
	return nil
}

// readUntil reads messages until one with message id id arrives.
func (c *rawClient) readUntil(id string) []string {
	c.tb.Helper()
	for i := 0; i < 100; i++ {
		if f := c.read(); f[0] == id {
			return f
		}
	}
	c.tb.Fatalf("no message %s in 100 messages", id)
	return nil
}

func (c *rawClient) start(clientID int) {
	c.tb.Helper()
	c.send("71", "2", strconv.Itoa(clientID), "")
}

func TestServerClosesNonAPIConnection(t *testing.T) {
	s := MustOpenServer(t, nil)
	c := dialRaw(t, s.Addr())
	c.write([]byte("GET / HTTP/1.0\r\n\r\n"))
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.conn.Read(make([]byte, 16)); err != io.EOF {
		t.Fatalf("read after a non-API hello = %d bytes, %v; want the connection closed (EOF)", n, err)
	}
}

func TestServerNegotiatesVersion(t *testing.T) {
	tests := []struct {
		max      wire.Version
		client   string
		want     string
		accepted bool
	}{
		{0, "v100..222", "222", true}, // DefaultMaxVersion
		{0, "v100..150", "150", true},
		{176, "v100..222", "176", true},
		{0, "v100", "100", true},
		{200, "v201..222", "", false},
		{222, "v100..222", "222", true},
		{222, "v201..222", "222", true},
		{213, "v100..222", "213", true},
		{222, "v223..230", "", false}, // only above the max: refused
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%s", tt.max, tt.client), func(t *testing.T) {
			s := MustOpenServer(t, func(c *Config) { c.MaxVersion = tt.max })
			c := dialRaw(t, s.Addr())
			c.write(append([]byte("API\x00"), frame([]byte(tt.client))...))
			c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			p, err := wire.ReadFrame(c.conn)
			if !tt.accepted {
				if err == nil {
					t.Fatalf("server answered %q, want the connection closed", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Split(string(p), "\x00")
			if got := f[0]; got != tt.want {
				t.Fatalf("negotiated version = %s, want %s", got, tt.want)
			}
			if len(f) < 2 || !strings.HasPrefix(f[1], "20261123 ") {
				t.Fatalf("connection time = %q, want the server clock's day 20261123", f)
			}
		})
	}
}

func TestServerStartSequence(t *testing.T) {
	s := MustOpenServer(t, nil)
	c := dialRaw(t, s.Addr())
	c.hello("v100..200")
	c.start(7)
	if f := c.read(); f[0] != "15" || f[2] != DefaultAccount {
		t.Fatalf("first message = %q, want managedAccounts with %s", f, DefaultAccount)
	}
	if f := c.read(); f[0] != "9" || f[2] != "1" {
		t.Fatalf("second message = %q, want nextValidId 1", f)
	}
	for _, code := range []string{"2104", "2106", "2158"} {
		f := c.read()
		if f[0] != "4" || !contains(f, code) {
			t.Fatalf("message = %q, want error/notice %s", f, code)
		}
	}
}

func contains(fields []string, s string) bool {
	for _, f := range fields {
		if f == s {
			return true
		}
	}
	return false
}

func TestServerMalformedRequestKeepsSessionAndOthers(t *testing.T) {
	s := MustOpenServer(t, nil)
	bystander := dialRaw(t, s.Addr())
	bystander.hello("v100..200")
	bystander.start(1)
	bystander.readUntil("9")

	c := dialRaw(t, s.Addr())
	c.hello("v100..200")
	c.start(2)
	c.readUntil("9")
	c.send("3", "17") // placeOrder cut off after the order id
	if f := c.readError("320"); !strings.Contains(strings.Join(f, " "), "placeOrder") {
		t.Fatalf("error %q does not name the message", f)
	}
	c.send("not-a-number")
	c.readError("320")
	// The session and the other client are still served.
	c.send("49", "1")
	if f := c.readUntil("49"); len(f) < 3 {
		t.Fatalf("currentTime = %q", f)
	}
	bystander.send("49", "1")
	if f := bystander.readUntil("49"); len(f) < 3 {
		t.Fatalf("bystander currentTime = %q", f)
	}
}

func TestServerRefusesClientIDInUse(t *testing.T) {
	s := MustOpenServer(t, nil)
	a := dialRaw(t, s.Addr())
	a.hello("v100..200")
	a.start(3)
	a.readUntil("9")
	b := dialRaw(t, s.Addr())
	b.hello("v100..200")
	b.start(3)
	b.readError("326")
	b.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := wire.ReadFrame(b.conn); err == nil {
		t.Fatal("connection with a client id in use stayed open")
	}
}

func TestServerRequiresStartAPIFirst(t *testing.T) {
	s := MustOpenServer(t, nil)
	c := dialRaw(t, s.Addr())
	c.hello("v100..200")
	c.send("49", "1")
	c.readError("321")
}

func wireVersion(v int) wire.Version { return wire.Version(v) }

func TestServerTurnsAwayPreV100ClientAtOnce(t *testing.T) {
	s := MustOpenServer(t, nil)
	c := dialRaw(t, s.Addr())
	c.write([]byte("62\x00")) // a pre-v100 client's hello; it then waits
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.conn.Read(make([]byte, 16)); err != io.EOF {
		t.Fatalf("read after a pre-v100 hello = %d bytes, %v; want the connection closed at once (EOF), not at the handshake timeout", n, err)
	}
}
