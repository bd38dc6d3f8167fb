package worker

import "errors"

// Errors a run can fail with, besides those of the data source, package
// signals and the Publisher (jetstream.ErrUnreachable, ...). Every failed
// run is retried after Config.RetryEvery; Status reports the last error.
var (
	// ErrDataLate means a symbol's last bar is older than the day to
	// compute: the data vendor has not delivered the day yet. Nothing is
	// computed from partial data; the day is retried until the bars arrive.
	ErrDataLate = errors.New("worker: bars for the day are not in yet")

	// ErrBadData means the bars are present but unusable for the day in a
	// way the data checks of package signals do not name themselves (the
	// benchmark lacks an NYSE trading day, or has a bar on a day the NYSE
	// was closed). Fix the data; the day is retried.
	ErrBadData = errors.New("worker: bad market data")

	// ErrBadResumePoint means the newest event on the daily subject cannot
	// be read as an event: the worker cannot know where the chain of days
	// stands and refuses to start rather than guess.
	ErrBadResumePoint = errors.New("worker: the last published event is unreadable")
)
