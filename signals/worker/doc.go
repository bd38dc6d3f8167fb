// Package worker is rotor's signal worker service: it turns daily bars into
// one signed leadership event per NYSE trading day and publishes it to
// JetStream, after each close, without ever skipping or doubling a day.
//
// The life of a Worker is New → Open → Close. Open reads the resume point
// (the last event on the daily subject) and starts one goroutine that
//
//  1. catches up: it replays every trading day from the day after the last
//     published as_of (or, on a cold start, from MaxCatchUp trading days
//     back, which warms up the regime's hysteresis) to the latest trading
//     day whose close+Delay has passed, and publishes each day's event in
//     order;
//  2. then sleeps until the next trading day's close+Delay, computes that
//     day and publishes it, forever, until Close.
//
// Publish once. Every event goes to rotor.signals.leadership with its
// deterministic id as the JetStream message id; an event whose regime
// changed is also published to rotor.signals.leadership.change with id
// "<id>-change". The stream's duplicate window drops a second copy, so a
// restart, a retry after a lost ack, or several workers running at once
// (a queue group of workers, each computing the same chain) store every
// day once. Continuing from a published event gives exactly the events one
// uninterrupted replay would: the id covers the data, the configuration
// and the state carried in.
//
// Lose nothing. A day whose bars are not in yet (the vendor is late), a
// data file that fails validation, or a NATS that does not answer is
// retried every RetryEvery, never skipped: the hysteresis counts
// consecutive days, so day N+1 is only ever computed from day N's state.
// An event that was computed but not acknowledged is kept and published
// again, byte for byte, before anything newer.
package worker
