package worker

import (
	"context"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// LastFromStream returns a Config.Last that reads the newest message on the
// daily subject (jetstream.DefaultSubjectPrefix + DailySubject) of the
// stream streamName ("" for jetstream.DefaultStreamName). It reads from the
// stream leader, so it sees every acknowledged publish, including another
// worker's.
func LastFromStream(js natsjs.JetStream, streamName string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		m, err := jetstream.LastMsg(ctx, js, streamName, jetstream.DefaultSubjectPrefix+DailySubject)
		if err != nil {
			return nil, err
		}
		return m.Data, nil
	}
}
