// Package jetstream is rotor's NATS JetStream adapter: it runs the embedded
// nats-server of the one-process default, connects to any external NATS
// deployment, keeps the signals stream configured, and publishes signal events
// to it with acknowledgement, deduplication and retry.
//
// The package moves opaque bytes. It does not import package signals: the
// caller hands it an already encoded and signed event together with the event
// id (used as the Nats-Msg-Id) and the subject suffix. That keeps the arrow
// between the two packages pointing one way, from cmd wiring both.
//
// Delivery contract. Publish returns only after JetStream has acknowledged the
// message (it is stored in the stream's file store) or with an error. An error
// wrapping ErrUnreachable means the outcome is unknown: the message may have
// been stored and its ack lost. Because every message carries the event id as
// its Nats-Msg-Id and the stream keeps a duplicate window of at least a day,
// publishing the same event again is always safe: JetStream stores it once
// and answers the second publish with Duplicate set.
//
// What is retried. Publish retries, always with the same message id, only when
// NATS gave no answer: no ack within AckWait, no responders on the subject
// while JetStream is starting or electing a leader, the connection down or
// reconnecting, or a JetStream 503. A definitive answer is returned at once:
// a message over the stream's or the server's size limit, a subject no stream
// captures (checked by asking JetStream, since "no responders" alone cannot
// tell that from a server still starting), insufficient resources, a closed
// connection. Retrying those would only delay the same answer.
//
// Reconnect buffering. Connect turns off the client's reconnect buffer by
// default. With it on, a publish during an outage is queued in memory and
// reported as sent; the request then times out, the caller gives up, and the
// queued copy may still reach the server minutes later. With it off, each
// attempt fails at once while the client is reconnecting, the Publisher's
// back-off paces the retries, and every attempt the Publisher counts is one
// the server may have seen. The client itself reconnects forever, with
// exponential back-off and jitter.
//
// A typical start-up:
//
//	emb, err := jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats")})
//	nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: emb.ClientURL(), Name: "rotor signal-worker"})
//	js, err := natsjs.New(nc) // github.com/nats-io/nats.go/jetstream
//	_, err = jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{})
//	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{Logger: log})
//	res, err := pub.Publish(ctx, "leadership", event.ID, signedBytes, nil)
//
// and at shutdown jetstream.Drain(ctx, nc), then emb.Shutdown().
package jetstream
