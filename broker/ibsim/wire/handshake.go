package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrNotAPI means the peer did not open with "API\0": it is not a TWS API
// client (or speaks the pre-v100 protocol, which this package does not).
var ErrNotAPI = errors.New("wire: not a TWS API client (stream does not start with \"API\\x00\")")

// apiPrefix is the first four bytes every v100+ client sends.
var apiPrefix = []byte("API\x00")

// ReadHello reads a client's handshake: "API\0", then one length-prefixed
// frame holding "v<min>..<max>" or "v<version>", optionally followed by a
// space and connect options ("v100..222 +PACEAPI"). It returns an error
// wrapping ErrNotAPI when the first four bytes are not "API\0", as soon as
// a byte differs: a pre-v100 client, which sends its version ("62\0") and
// waits, is turned away at once instead of at the handshake timeout.
func ReadHello(r io.Reader) (Hello, error) {
	var prefix [4]byte
	for i := range prefix {
		if _, err := io.ReadFull(r, prefix[i:i+1]); err != nil {
			return Hello{}, fmt.Errorf("wire: read handshake prefix: %w", err)
		}
		if prefix[i] != apiPrefix[i] {
			return Hello{}, fmt.Errorf("%w: got %q (clients older than v100 are not supported)", ErrNotAPI, prefix[:i+1])
		}
	}
	payload, err := ReadFrame(r)
	if err != nil {
		return Hello{}, fmt.Errorf("wire: read handshake versions: %w", err)
	}
	return parseHello(string(payload))
}

// parseHello parses "v100..200 +PACEAPI". Official clients send the text
// without a terminator; a trailing NUL (sent by some ports) is tolerated.
func parseHello(s string) (Hello, error) {
	s = strings.TrimRight(s, "\x00")
	spec, opts, _ := strings.Cut(s, " ")
	if !strings.HasPrefix(spec, "v") {
		return Hello{}, fmt.Errorf("wire: handshake %q: want \"v<min>..<max>\"", s)
	}
	lo, hi, ranged := strings.Cut(spec[1:], "..")
	if !ranged {
		hi = lo
	}
	min, err1 := strconv.Atoi(lo)
	max, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || min <= 0 || max < min {
		return Hello{}, fmt.Errorf("wire: handshake %q: bad version range", s)
	}
	return Hello{Min: Version(min), Max: Version(max), Options: strings.TrimSpace(opts)}, nil
}

// Negotiate picks the version to speak with a client: the lower of the
// client's maximum and ours (max, itself capped at MaxVersion). It fails
// when that is below the client's minimum or below MinVersion; TWS closes
// the connection in that case.
func Negotiate(h Hello, max Version) (Version, error) {
	if max > MaxVersion {
		max = MaxVersion
	}
	v := h.Max
	if max < v {
		v = max
	}
	if v < h.Min || v < MinVersion {
		return 0, fmt.Errorf("wire: no common version: client speaks %d..%d, server %d..%d", h.Min, h.Max, MinVersion, max)
	}
	return v, nil
}

// HelloReply is the server's answer to the handshake: a frame with the
// negotiated version and the connection time as TWS prints it,
// "YYYYMMDD HH:MM:SS <zone>", in now's location. Clients only split on the
// first two spaces and look the zone name up (rust-ibapi fails on names it
// cannot map), so the zone is the location's abbreviation ("EST", "CET",
// "UTC"); a location without one ("+03") is printed in UTC instead.
func HelloReply(v Version, now time.Time) []byte {
	zone := now.Format("MST")
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		now = now.UTC()
		zone = "UTC"
	}
	payload := strconv.Itoa(int(v)) + "\x00" + now.Format("20060102 15:04:05") + " " + zone + "\x00"
	out := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(payload)))
	copy(out[4:], payload)
	return out
}
