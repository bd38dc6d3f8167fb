package jetstream_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestConnect_Unreachable(t *testing.T) {
	url := fmt.Sprintf("nats://127.0.0.1:%d", closedPort(t))
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: url})
	if err == nil {
		nc.Close()
		t.Fatal("Connect to a closed port succeeded")
	}
	t.Logf("unreachable: %v", err)
	if !errors.Is(err, jetstream.ErrUnreachable) {
		t.Fatalf("err=%v, want ErrUnreachable", err)
	}
	for _, want := range []string{"jetstream: ", url, "connection refused", "is nats-server running?", "--nats-url", "embedded server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err=%q, want it to contain %q", err, want)
		}
	}
}

func TestConnect_CanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: fmt.Sprintf("nats://127.0.0.1:%d", closedPort(t))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err=%v, want context.Canceled", err)
	}
}

func TestConnect_InvalidConfig(t *testing.T) {
	for name, cfg := range map[string]jetstream.ConnConfig{
		"missing creds file": {CredsFile: filepath.Join(t.TempDir(), "nope.creds")},
		"missing nkey seed":  {NKeySeedFile: filepath.Join(t.TempDir(), "nope.nk")},
		"missing CA file":    {CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		"cert without key":   {CertFile: "client.pem"},
		"two credentials":    {User: "u", Password: "p", Token: "t"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := jetstream.Connect(context.Background(), cfg)
			if !errors.Is(err, jetstream.ErrInvalid) {
				t.Fatalf("err=%v, want ErrInvalid", err)
			}
		})
	}
}

// mustStartAuthServer runs a plain nats-server configured by opts.
func mustStartAuthServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", server.RANDOM_PORT, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	return s
}

func TestConnect_UserPassword(t *testing.T) {
	s := mustStartAuthServer(t, &server.Options{Username: "rotor", Password: "s3cret"})

	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: s.ClientURL(), User: "rotor", Password: "s3cret"})
	if err != nil {
		t.Fatalf("Connect with the right password: %v", err)
	}
	nc.Close()

	_, err = jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: s.ClientURL(), User: "rotor", Password: "wrong"})
	t.Logf("wrong password: %v", err)
	if err == nil || !strings.Contains(err.Error(), "check the NATS credentials") || errors.Is(err, jetstream.ErrUnreachable) {
		t.Fatalf("err=%v, want a credentials error that is not ErrUnreachable", err)
	}

	// A password in the URL is not repeated in the error.
	u := strings.Replace(s.ClientURL(), "nats://", "nats://rotor:wrong@", 1)
	_, err = jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: u})
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("err=%v, want an error without the password", err)
	}
}

func TestConnect_Token(t *testing.T) {
	s := mustStartAuthServer(t, &server.Options{Authorization: "tok-123"})
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: s.ClientURL(), Token: "tok-123"})
	if err != nil {
		t.Fatalf("Connect with the token: %v", err)
	}
	nc.Close()
	if _, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: s.ClientURL()}); err == nil {
		t.Fatal("Connect without the token succeeded")
	}
}

func TestConnect_TLS(t *testing.T) {
	dir := t.TempDir()
	caFile, serverCert := writeTestPKI(t, dir)
	s := mustStartAuthServer(t, &server.Options{
		TLSConfig:  &tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12},
		TLSTimeout: 2,
	})
	url := strings.Replace(s.ClientURL(), "nats://", "tls://", 1)

	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: url, CAFile: caFile})
	if err != nil {
		t.Fatalf("Connect with the CA: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("connection is not TLS")
	}
	nc.Close()

	// Without the CA the server's certificate is not trusted, and there is no
	// switch to skip verification.
	_, err = jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: url})
	t.Logf("untrusted server: %v", err)
	if err == nil || !strings.Contains(err.Error(), "check the CA file") {
		t.Fatalf("err=%v, want a TLS error pointing at the CA file", err)
	}
}

// writeTestPKI writes a CA certificate to dir and returns its path and a
// server certificate for 127.0.0.1 signed by it.
func writeTestPKI(t *testing.T, dir string) (string, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rotor test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return caFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
