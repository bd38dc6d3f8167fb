package ib

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestRelayPacesFramesToTWS sends a burst of frames into the relay at once
// and checks that they reach TWS intact, in order, and never more than the
// pacing in one second: the relay is the last gate before TWS, whatever
// the adapter's own pacing let through.
func TestRelayPacesFramesToTWS(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type arrival struct {
		p  string
		at time.Time
	}
	arrivals := make(chan arrival, 16)
	go func() {
		defer close(arrivals)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		if _, err := io.ReadFull(br, make([]byte, 4)); err != nil { // "API\0"
			return
		}
		for {
			p, err := readFrame(br)
			if err != nil {
				return
			}
			arrivals <- arrival{string(p), time.Now()}
		}
	}()
	up, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const perSec, frames = 2, 5
	r, err := startRelay(up, 5*time.Second, perSec, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	host, port := r.addr()
	down, err := net.Dial("tcp4", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	burst := []byte("API\x00")
	for i := range frames {
		p := []byte(fmt.Sprintf("frame %d", i))
		burst = append(burst, 0, 0, 0, byte(len(p)))
		burst = append(burst, p...)
	}
	if _, err := down.Write(burst); err != nil {
		t.Fatal(err)
	}
	var got []arrival
	timeout := time.After(10 * time.Second)
	for len(got) < frames {
		select {
		case a, ok := <-arrivals:
			if !ok {
				t.Fatalf("TWS side closed after %d frames", len(got))
			}
			got = append(got, a)
		case <-timeout:
			t.Fatalf("%d of %d frames reached TWS in 10s", len(got), frames)
		}
	}
	for i, a := range got {
		if want := fmt.Sprintf("frame %d", i); a.p != want {
			t.Fatalf("frame %d at TWS is %q, want %q", i, a.p, want)
		}
		// The fake TWS stamps a frame when its goroutine reads it, late by
		// however long a loaded machine keeps it waiting; 100 ms of that
		// is allowed (the relay spaces them by pacingWindow, 1.01 s, and
		// without the gate they arrive microseconds apart).
		if i >= perSec {
			if gap := a.at.Sub(got[i-perSec].at); gap < time.Second-100*time.Millisecond {
				t.Fatalf("frames %d and %d reached TWS %v apart: %d frames within a second, want at most %d", i-perSec, i, gap, perSec+1, perSec)
			}
		}
	}
	// The relay counts a frame once its write returned, which can be
	// after TWS read it.
	for deadline := time.Now().Add(5 * time.Second); r.sent.Load() != frames && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := r.sent.Load(); n != frames {
		t.Fatalf("relay counted %d frames sent, want %d", n, frames)
	}
}
