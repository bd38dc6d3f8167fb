package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// ReadFrame reads one length-prefixed message and returns its payload. A
// length above MaxFrame is an error (TWS drops such a client) and nothing
// past the prefix is read; a stream that ends inside a frame returns
// io.ErrUnexpectedEOF, and one that ends between frames returns io.EOF.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("wire: frame of %d bytes exceeds the %d-byte limit", n, MaxFrame)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("wire: read frame body: %w", err)
	}
	return payload, nil
}
