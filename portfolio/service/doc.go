// Package service is rotor's portfolio service: it consumes leadership events
// from JetStream, sizes the small-cap sleeve (package portfolio), asks package
// risk what may go out, records every step in the audit log
// (portfolio/audit) and routes the approved orders to the broker, or, in
// dry-run mode, records the decision without routing anything.
//
// # One event, once
//
// The service reads a durable JetStream consumer of its own per account
// (rotor-portfolio-<account>) with explicit acknowledgement and one message
// in flight, pulled one at a time; a pull request lost on the way (a NATS
// node that died) is noticed by its missing heartbeats within 2 s and sent
// again. For each message:
//
//  1. Admission (portfolio/admit): size, schema, signature against the
//     trusted worker keys, symbols, as_of neither in the future nor stale. A
//     rejected event gets a signal_rejected row with the reason and is
//     terminated, so it is never redelivered; the service goes on.
//  2. Deduplication: an event with a signal_received row for this account and
//     mode was handled before (its acknowledgement was lost, or the stream was
//     replayed). Nothing is planned again: the plan's unfinished orders are
//     settled (step 5) and the message is acknowledged.
//  3. Decision: account, positions, contracts and prices from the broker;
//     targets and plan (package portfolio); risk.Check with the persisted
//     kill switch, the day's marks and the blocked instruments
//     (portfolio/state).
//  4. Write-ahead: signal_received, plan, risk_decision and one order_intent
//     per approved order are committed in one fsync'd transaction before the
//     first order is sent. In dry-run mode the batch has no intents.
//  5. Routing: each intent is looked up at the broker by its reference
//     first when the plan is being resumed; an order the broker knows is
//     never sent again. The rest are placed, and order_sent rows record the
//     broker's ids. An order whose outcome is unknown is resolved by
//     reference; one still unresolved leaves the message unacknowledged, to
//     be resumed on redelivery.
//  6. Acknowledgement, only after all of the above is on disk.
//
// A crash (SIGKILL) anywhere in between loses nothing: JetStream redelivers
// the unacknowledged message, step 2 recognises it, and step 5 sends exactly
// the intents the broker has no trace of. Intents older than
// Config.ResumeWindow are not sent late: they get a final "expired" state.
//
// # The broker's side
//
// A goroutine records what the broker reports about rotor's orders (refs
// starting "rotor-"): status changes (order_status, with "final": true when
// done), executions (fill, once per execution id) and their commissions,
// and the connection going down and coming back (broker_event).
// On start and after every reconnect the service reconciles: unfinished
// intents are brought up to date from the broker's open orders and
// executions, missed executions are recorded, and positions in the roots the
// sleeve owns are compared with what the log expects; a root that differs is
// blocked (risk rejects every order in it) until an operator acknowledges it
// with `rotor risk ack`.
//
// # The kill switch
//
// A risk decision that trips the kill switch (daily loss, drawdown) is
// persisted in the log before anything is routed, and the service cancels
// rotor's working orders. A monitor re-checks the loss limits every
// Config.MonitorEvery between events. Only `rotor risk reset` clears it.
package service
