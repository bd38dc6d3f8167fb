// Package web presents rotor's audit log (package portfolio/audit) to people:
// a read-only local web site (`rotor audit serve`) and the same pages as one
// self-contained HTML file (`rotor report`).
//
// # Pages
//
//	/               the timeline: rows newest first, filtered by GET query
//	                parameters (kind, instrument, event, plan, ref, from, to)
//	                and paged by seq (before, after, n)
//	/event/{id}     the story of one decision: the signal's numbers and
//	                charts, the plan's orders, each risk verdict, and each
//	                order's intent, sending, statuses and fills
//	/charts         net liquidation and positions over time, orders and fills
//	                on the Russell 2000 reference price line, the score and
//	                regime, the micro-cap thrust and the resistance zone
//
// # What it promises
//
// It never writes: the handler only calls the log's read methods, answers
// GET and HEAD only (405 otherwise), and the caller should open the log with
// audit.Options{ReadOnly: true}. It needs no network: the charts are inline
// SVG drawn on the server, the CSS is inline, and there is no JavaScript at
// all, so every page works with scripting disabled; the Content-Security-Policy
// header forbids loading anything from anywhere. Everything from the log is
// escaped (html/template, and svg.go's builder for the charts), since payloads
// can carry text from outside rotor (a rejected message's excerpt).
//
// Filters are GET parameters of a plain <form method="get">, so a filtered
// view is a URL one can bookmark or paste into a ticket. A bad parameter gets
// a 400 page naming it and the values it accepts.
package web
