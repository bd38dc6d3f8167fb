package signals

// Regime is the signal's verdict for a day.
type Regime string

// The regimes.
const (
	// Leadership: small caps lead every sector with data, strongly enough.
	Leadership Regime = "leadership"
	// Neutral: neither leadership nor lagging.
	Neutral Regime = "neutral"
	// Lagging: small caps trail, weakly.
	Lagging Regime = "lagging"
)

// rank orders the regimes from weakest to strongest.
func (r Regime) rank() int {
	switch r {
	case Lagging:
		return 0
	case Leadership:
		return 2
	}
	return 1
}

func (r Regime) valid() bool { return r == Leadership || r == Neutral || r == Lagging }

// State is what the regime carries from one trading day to the next. The
// zero State is not valid; a cold start passes a nil *State to Evaluate.
type State struct {
	// AsOf is the trading day this is the state after, YYYY-MM-DD.
	AsOf string `json:"as_of"`
	// Regime is the confirmed regime.
	Regime Regime `json:"regime"`
	// Since is the first day of Regime (the cold-start day for the first).
	Since string `json:"since"`
	// Pending is the regime the current streak of days points to, "" when
	// there is none; PendingDays is the streak's length.
	Pending     Regime `json:"pending"`
	PendingDays int    `json:"pending_days"`
}

// Hysteresis is the event's account of the regime decision.
type Hysteresis struct {
	// Target is where the day alone points, from the current regime (see
	// Target).
	Target Regime `json:"target"`
	// Pending and PendingDays are the streak after the day (see State).
	Pending     Regime `json:"pending"`
	PendingDays int    `json:"pending_days"`
	// MinDays is the streak a change needs.
	MinDays int `json:"min_days"`
	// Since is the first day of the regime.
	Since string `json:"since"`
}

// Target is where one day's score points, given the current regime. The
// bands are asymmetric so a regime is kept more easily than entered:
//
//	from neutral:    leadership if score ≥ enter_leadership and every sector with data is beaten,
//	                 lagging    if score ≤ enter_lagging, else neutral;
//	from leadership: leadership while score ≥ exit_leadership (beating every sector is needed to
//	                 enter, not to stay), else lagging if score ≤ enter_lagging, else neutral;
//	from lagging:    lagging while score ≤ exit_lagging, else leadership if the entry condition
//	                 holds, else neutral.
func Target(cur Regime, score float64, beatsAll bool, g RegimeConfig) Regime {
	enterLead := score >= g.EnterLeadership && beatsAll
	enterLag := score <= g.EnterLagging
	switch cur {
	case Leadership:
		if score >= g.ExitLeadership {
			return Leadership
		}
	case Lagging:
		if score <= g.ExitLagging {
			return Lagging
		}
	}
	switch {
	case enterLead:
		return Leadership
	case enterLag:
		return Lagging
	}
	return Neutral
}

// Step moves the regime on by one trading day (day, YYYY-MM-DD) whose
// Target is target. The rule, the second half of the hysteresis: a day
// whose target differs from the regime extends the streak if the streak
// points the same way (up: toward leadership; down: toward lagging), and
// starts a new one otherwise; a day whose target is the regime ends the
// streak. When the streak reaches minDays days, the regime becomes the
// latest day's target. So with minDays = 2 a one-day wobble across a
// threshold never flips the regime, and a fall from leadership through
// neutral into lagging on two consecutive days leaves leadership (for
// lagging) on the second.
func Step(s State, target Regime, minDays int, day string) (next State, changed bool) {
	s.AsOf = day
	dir := sign(target.rank() - s.Regime.rank())
	switch {
	case dir == 0:
		s.Pending, s.PendingDays = "", 0
		return s, false
	case s.Pending != "" && sign(s.Pending.rank()-s.Regime.rank()) == dir:
		s.Pending, s.PendingDays = target, s.PendingDays+1
	default:
		s.Pending, s.PendingDays = target, 1
	}
	if s.PendingDays >= minDays {
		s.Regime, s.Since = target, day
		s.Pending, s.PendingDays = "", 0
		return s, true
	}
	return s, false
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
