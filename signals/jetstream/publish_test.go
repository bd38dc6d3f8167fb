package jetstream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// fastRetry retries quickly so tests of the retry path stay short.
var fastRetry = jetstream.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxElapsed: 30 * time.Second}

func TestPublish_StoredWithSubjectHeadersAndID(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	ctx := context.Background()

	data := []byte(`{"schema":"rotor.leadership.v1","id":"ev-2024-11-08"}`)
	res, err := jetstream.NewPublisher(js, jetstream.PublisherConfig{}).Publish(ctx, "leadership", "ev-2024-11-08", data,
		map[string]string{"Rotor-Schema": "rotor.leadership.v1", "Rotor-Signer": "UABC"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got, want := res, (jetstream.PubResult{Subject: "rotor.signals.leadership", Stream: "ROTOR_SIGNALS", Sequence: 1, Attempts: 1}); got != want {
		t.Fatalf("Publish()=%+v, want %+v", got, want)
	}

	m, err := jetstream.LastMsg(ctx, js, "ROTOR_SIGNALS", "rotor.signals.leadership")
	if err != nil {
		t.Fatalf("LastMsg: %v", err)
	}
	if m.Subject != "rotor.signals.leadership" || m.Sequence != 1 || !bytes.Equal(m.Data, data) {
		t.Fatalf("stored subject=%q seq=%d data=%q", m.Subject, m.Sequence, m.Data)
	}
	for k, want := range map[string]string{nats.MsgIdHdr: "ev-2024-11-08", "Rotor-Schema": "rotor.leadership.v1", "Rotor-Signer": "UABC"} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("header %s=%q, want %q", k, got, want)
		}
	}
}

func TestPublish_SameIDTwiceIsStoredOnce(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js1 := MustJetStream(t, MustConnect(t, e.ClientURL()))
	js2 := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js1, jetstream.StreamConfig{})
	ctx := context.Background()
	pub1 := jetstream.NewPublisher(js1, jetstream.PublisherConfig{})
	pub2 := jetstream.NewPublisher(js2, jetstream.PublisherConfig{})

	first, err := pub1.Publish(ctx, "leadership", "ev-1", []byte("a"), nil)
	if err != nil || first.Duplicate {
		t.Fatalf("first Publish()=%+v, %v; want stored, not duplicate", first, err)
	}
	again, err := pub1.Publish(ctx, "leadership", "ev-1", []byte("a"), nil)
	if err != nil || !again.Duplicate || again.Sequence != first.Sequence {
		t.Fatalf("same publisher again: %+v, %v; want Duplicate at seq %d", again, err, first.Sequence)
	}
	// A second worker on its own connection computing the same event.
	other, err := pub2.Publish(ctx, "leadership", "ev-1", []byte("a"), nil)
	if err != nil || !other.Duplicate || other.Sequence != first.Sequence {
		t.Fatalf("second connection: %+v, %v; want Duplicate at seq %d", other, err, first.Sequence)
	}
	if n := streamMsgs(t, js1, "ROTOR_SIGNALS"); n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}

func TestPublish_ConcurrentWorkersSameIDOneCopy(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	pubs := make([]*jetstream.Publisher, 4)
	for i := range pubs {
		js := MustJetStream(t, MustConnect(t, e.ClientURL()))
		if i == 0 {
			MustEnsureStream(t, js, jetstream.StreamConfig{})
		}
		pubs[i] = jetstream.NewPublisher(js, jetstream.PublisherConfig{})
	}

	const perWorker = 5
	var wg sync.WaitGroup
	results := make(chan jetstream.PubResult, len(pubs)*perWorker)
	errs := make(chan error, len(pubs)*perWorker)
	for _, p := range pubs {
		wg.Go(func() {
			for range perWorker {
				r, err := p.Publish(context.Background(), "leadership", "ev-race", []byte("same"), nil)
				if err != nil {
					errs <- err
					return
				}
				results <- r
			}
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatalf("Publish: %v", err)
	}
	stored := 0
	for r := range results {
		if !r.Duplicate {
			stored++
		}
		if r.Sequence != 1 {
			t.Errorf("result seq %d, want 1", r.Sequence)
		}
	}
	if stored != 1 {
		t.Fatalf("%d results were not duplicates, want exactly 1", stored)
	}
	if n := streamMsgs(t, MustJetStream(t, MustConnect(t, e.ClientURL())), "ROTOR_SIGNALS"); n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}

func TestPublish_RetriesUntilServerReturns(t *testing.T) {
	dir := t.TempDir()
	first := MustStartServer(t, dir, 0)
	url, port := first.ClientURL(), portOf(t, first.ClientURL())
	nc := MustConnect(t, url)
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	stopServer(t, first, nc)

	logs := &syncBuffer{}
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{
		Retry: fastRetry, AckWait: time.Second, Logger: zerolog.New(logs),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res jetstream.PubResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := pub.Publish(ctx, "leadership", "ev-outage", []byte("during the outage"), nil)
		done <- outcome{res, err}
	}()

	// Let it fail a few times against the stopped server, then bring the
	// server back on the same port and store.
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if n := logs.count("retrying"); n < 3 {
			return fmt.Errorf("%d retries so far", n)
		}
		return nil
	})
	MustStartServer(t, dir, port)

	var got outcome
	select {
	case got = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Publish did not return after the server came back")
	}
	if got.err != nil {
		t.Fatalf("Publish: %v", got.err)
	}
	if got.res.Attempts < 4 || got.res.Sequence != 1 {
		t.Fatalf("Publish()=%+v, want seq 1 after at least 4 attempts", got.res)
	}
	if n := streamMsgs(t, js, "ROTOR_SIGNALS"); n != 1 {
		t.Fatalf("stream holds %d messages, want exactly 1", n)
	}
	again, err := pub.Publish(context.Background(), "leadership", "ev-outage", []byte("during the outage"), nil)
	if err != nil || !again.Duplicate {
		t.Fatalf("republish after the outage: %+v, %v; want Duplicate", again, err)
	}
}

func TestPublish_UnreachableAfterAttempts(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	stopServer(t, e, nc)

	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{
		Retry:   jetstream.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 3},
		AckWait: 200 * time.Millisecond,
	})
	res, err := pub.Publish(context.Background(), "leadership", "ev-lost", []byte("x"), nil)
	t.Logf("unreachable: %v", err)
	if !errors.Is(err, jetstream.ErrUnreachable) {
		t.Fatalf("err=%v, want ErrUnreachable", err)
	}
	var ue *jetstream.UnreachableError
	if !errors.As(err, &ue) || ue.Attempts != 3 || res.Attempts != 3 {
		t.Fatalf("err=%#v res=%+v, want an *UnreachableError after 3 attempts", err, res)
	}
	for _, want := range []string{"after 3 attempts over", "ev-lost", "rotor.signals.leadership", "publishing the same msg id again is safe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err=%q, want it to contain %q", err, want)
		}
	}
}

func TestPublish_UnreachableAfterMaxElapsed(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	stopServer(t, e, nc)

	// A fake clock that moves a second per reading: the elapsed limit is
	// reached after a known number of attempts whatever the machine's speed.
	var mu sync.Mutex
	now := time.Date(2024, 11, 8, 21, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{
		Retry: jetstream.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxElapsed: 5 * time.Second},
		Now:   clock,
	})
	res, err := pub.Publish(context.Background(), "leadership", "ev-lost", []byte("x"), nil)
	if !errors.Is(err, jetstream.ErrUnreachable) {
		t.Fatalf("err=%v, want ErrUnreachable", err)
	}
	// The clock reads 1s at the start, so elapsed is 1s after the first
	// attempt, ... 5s after the fifth, when the next pause would pass the
	// 5s limit.
	if res.Attempts != 5 {
		t.Fatalf("Attempts=%d, want 5", res.Attempts)
	}
}

func TestPublish_ContextCanceledDuringRetries(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	stopServer(t, e, nc)

	logs := &syncBuffer{}
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{Retry: fastRetry, Logger: zerolog.New(logs)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := pub.Publish(ctx, "leadership", "ev-cancel", []byte("x"), nil)
		done <- err
	}()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if logs.count("retrying") == 0 {
			return errors.New("no retry yet")
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "outcome unknown") {
			t.Fatalf("err=%v, want context.Canceled with outcome unknown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish ignored the canceled context")
	}
}

func TestPublish_TooLargeIsRejectedWithoutRetry(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js, jetstream.StreamConfig{MaxMsgSize: 1024})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{Retry: fastRetry})
	ctx := context.Background()

	// Over the stream's limit: JetStream refuses it.
	res, err := pub.Publish(ctx, "leadership", "ev-big", bytes.Repeat([]byte("x"), 2048), nil)
	t.Logf("over the stream limit: %v", err)
	var rej *jetstream.RejectedError
	if !errors.Is(err, jetstream.ErrRejected) || !errors.As(err, &rej) {
		t.Fatalf("err=%v, want a *RejectedError", err)
	}
	if rej.ErrorCode != 10054 || !strings.Contains(rej.Reason, "exceeds maximum") {
		t.Errorf("RejectedError=%+v, want err_code 10054 with the server's reason", rej)
	}
	if res.Attempts != 1 {
		t.Errorf("Attempts=%d, want 1: a definitive refusal is not retried", res.Attempts)
	}

	// Over the server's max_payload: the client refuses to send it.
	res, err = pub.Publish(ctx, "leadership", "ev-huge", bytes.Repeat([]byte("x"), 2<<20), nil)
	t.Logf("over max_payload: %v", err)
	if !errors.Is(err, jetstream.ErrRejected) || !errors.Is(err, nats.ErrMaxPayload) || res.Attempts != 1 {
		t.Fatalf("err=%v attempts=%d, want ErrRejected wrapping nats.ErrMaxPayload after 1 attempt", err, res.Attempts)
	}
	if n := streamMsgs(t, js, "ROTOR_SIGNALS"); n != 0 {
		t.Fatalf("stream holds %d messages, want 0", n)
	}
}

func TestPublish_SubjectNoStreamCapturesIsRejected(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{SubjectPrefix: "rotor.signalz.", Retry: fastRetry})

	res, err := pub.Publish(context.Background(), "leadership", "ev-1", []byte("x"), nil)
	t.Logf("no stream: %v", err)
	if !errors.Is(err, jetstream.ErrRejected) || res.Attempts != 1 {
		t.Fatalf("err=%v attempts=%d, want ErrRejected after 1 attempt", err, res.Attempts)
	}
	if !strings.Contains(err.Error(), "no stream captures") {
		t.Errorf("err=%q, want it to say no stream captures the subject", err)
	}
}

func TestPublish_ClosedConnectionIsNotRetried(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	nc.Close()

	res, err := jetstream.NewPublisher(js, jetstream.PublisherConfig{Retry: fastRetry}).
		Publish(context.Background(), "leadership", "ev-1", []byte("x"), nil)
	if !errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrUnreachable) || res.Attempts != 1 {
		t.Fatalf("err=%v attempts=%d, want nats.ErrConnectionClosed after 1 attempt", err, res.Attempts)
	}
}

func TestPublish_InvalidArguments(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{})

	for name, c := range map[string]struct {
		suffix, id string
		hdr        map[string]string
	}{
		"empty id":        {"leadership", "", nil},
		"empty suffix":    {"", "ev-1", nil},
		"wildcard suffix": {"leadership.*", "ev-1", nil},
		"space in suffix": {"lead ership", "ev-1", nil},
		"trailing dot":    {"leadership.", "ev-1", nil},
		"reserved header": {"leadership", "ev-1", map[string]string{"Nats-Expected-Stream": "X"}},
		"rollup header":   {"leadership", "ev-1", map[string]string{"nats-rollup": "all"}},
		"newline in id":   {"leadership", "ev\r\n1", nil},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := pub.Publish(context.Background(), c.suffix, c.id, []byte("x"), c.hdr)
			if !errors.Is(err, jetstream.ErrInvalid) || res.Attempts != 0 {
				t.Fatalf("err=%v attempts=%d, want ErrInvalid before any attempt", err, res.Attempts)
			}
		})
	}
	if n := streamMsgs(t, js, "ROTOR_SIGNALS"); n != 0 {
		t.Fatalf("stream holds %d messages, want 0", n)
	}
}

func TestPublish_DataSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	first := MustStartServer(t, dir, 0)
	nc := MustConnect(t, first.ClientURL())
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{})
	for i := range 3 {
		if _, err := pub.Publish(context.Background(), "leadership", fmt.Sprintf("ev-%d", i), fmt.Appendf(nil, "event %d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	first.Shutdown()

	second := MustStartServer(t, dir, 0)
	js = MustJetStream(t, MustConnect(t, second.ClientURL()))
	s := MustEnsureStream(t, js, jetstream.StreamConfig{}) // the restart path of a real start
	if got := s.CachedInfo().State.Msgs; got != 3 {
		t.Fatalf("stream holds %d messages after restart, want 3", got)
	}
	m, err := jetstream.LastMsg(context.Background(), js, "", "rotor.signals.>")
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "event 2" || m.Header.Get(nats.MsgIdHdr) != "ev-2" {
		t.Fatalf("last message %q id %q, want event 2 / ev-2", m.Data, m.Header.Get(nats.MsgIdHdr))
	}
	// The duplicate window survives the restart too.
	res, err := jetstream.NewPublisher(js, jetstream.PublisherConfig{}).Publish(context.Background(), "leadership", "ev-1", []byte("event 1"), nil)
	if err != nil || !res.Duplicate || res.Sequence != 2 {
		t.Fatalf("republish after restart: %+v, %v; want Duplicate at seq 2", res, err)
	}
}

func TestLastMsg_NotFound(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	if _, err := jetstream.LastMsg(context.Background(), js, "", "rotor.signals.>"); !errors.Is(err, jetstream.ErrNotFound) {
		t.Fatalf("no stream: err=%v, want ErrNotFound", err)
	}
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	if _, err := jetstream.LastMsg(context.Background(), js, "", "rotor.signals.leadership"); !errors.Is(err, jetstream.ErrNotFound) {
		t.Fatalf("empty stream: err=%v, want ErrNotFound", err)
	}
}

func TestPublish_NoAckInTimeIsRetriedThenUnreachable(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	// Something listens on the subject but never answers: each attempt
	// waits out its AckWait, as when a request is lost with a connection.
	sub, err := nc.SubscribeSync("blackhole.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{
		SubjectPrefix: "blackhole.",
		AckWait:       20 * time.Millisecond,
		Retry:         jetstream.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: 3},
	})
	res, err := pub.Publish(context.Background(), "x", "ev-1", []byte("x"), nil)
	if !errors.Is(err, jetstream.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) || res.Attempts != 3 {
		t.Fatalf("err=%v attempts=%d, want ErrUnreachable (deadline exceeded) after 3 attempts", err, res.Attempts)
	}
	if n, _, _ := sub.Pending(); n != 3 {
		t.Fatalf("the subject saw %d sends, want 3", n)
	}
}

func TestPublish_ExpectedStream(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	ctx := context.Background()

	// No final dot: it is added.
	right := jetstream.NewPublisher(js, jetstream.PublisherConfig{SubjectPrefix: "rotor.signals", Stream: "ROTOR_SIGNALS"})
	if res, err := right.Publish(ctx, "leadership", "ev-1", []byte("x"), nil); err != nil || res.Subject != "rotor.signals.leadership" {
		t.Fatalf("Publish()=%+v, %v; want stored on rotor.signals.leadership", res, err)
	}
	wrong := jetstream.NewPublisher(js, jetstream.PublisherConfig{Stream: "SOMEWHERE_ELSE"})
	res, err := wrong.Publish(ctx, "leadership", "ev-2", []byte("x"), nil)
	t.Logf("wrong stream: %v", err)
	if !errors.Is(err, jetstream.ErrRejected) || res.Attempts != 1 {
		t.Fatalf("err=%v attempts=%d, want ErrRejected after 1 attempt", err, res.Attempts)
	}
}
