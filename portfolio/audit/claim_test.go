package audit_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

func TestClaim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	a, b := mustOpenAt(t, path, audit.Options{}), mustOpenAt(t, path, audit.Options{})
	release, err := a.Claim("DU1.paper")
	if err != nil {
		t.Fatal(err)
	}
	// Another handle (as another process would hold) and the same handle
	// are refused, and told who holds it.
	for _, l := range []*audit.Log{b, a} {
		_, err := l.Claim("DU1.paper")
		var ce *audit.ClaimedError
		if !errors.As(err, &ce) || !errors.Is(err, audit.ErrClaimed) || !strings.Contains(ce.Holder, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Fatalf("second claim: %v, want ErrClaimed naming pid %d", err, os.Getpid())
		}
	}
	// Other names are other claims.
	other, err := b.Claim("DU2.paper")
	if err != nil {
		t.Fatal(err)
	}
	defer other()
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatalf("a second release: %v", err)
	}
	again, err := b.Claim("DU1.paper")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again()

	for _, bad := range []string{"", "a/b", "../x", "DU1 paper", strings.Repeat("x", 129)} {
		if _, err := a.Claim(bad); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("Claim(%q): %v, want ErrInvalid", bad, err)
		}
	}
}
