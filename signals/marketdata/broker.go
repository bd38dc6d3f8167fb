package marketdata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// History is what reading bars from a broker needs: stock and ETF contracts
// and their daily history (IB's reqContractDetails and reqHistoricalData).
type History interface {
	ResolveStock(ctx context.Context, symbol string) (broker.Contract, error)
	DailyBars(ctx context.Context, c broker.Contract, end time.Time, days int) ([]broker.Bar, error)
}

// BrokerError is a symbol whose history from the broker could not be read
// or failed validation.
type BrokerError struct {
	Symbol string
	Date   time.Time // the bar at fault, zero when the whole request failed
	Err    error
}

func (e *BrokerError) Error() string {
	if e.Date.IsZero() {
		return fmt.Sprintf("marketdata: broker history of %s: %v", e.Symbol, e.Err)
	}
	return fmt.Sprintf("marketdata: broker history of %s: bar %s: %v", e.Symbol, e.Date.Format(time.DateOnly), e.Err)
}

// Unwrap returns the cause.
func (e *BrokerError) Unwrap() error { return e.Err }

// ReadBroker reads up to days daily bars ending at end for each symbol
// (stocks and ETFs) from a broker, validated as strictly as a CSV file:
// sorted unique dates, positive finite prices consistent within the day,
// no absurd moves. It reports every failed symbol and returns nothing when
// any failed. progress, when not nil, is called after each symbol. The
// broker's bars carry no separate adjusted close, so AdjClose = Close.
func (o Options) ReadBroker(ctx context.Context, h History, symbols []string, end time.Time, days int,
	progress func(done, total int, symbol string)) (map[string]Series, error) {
	o = o.withDefaults()
	out := make(map[string]Series, len(symbols))
	var errs []error
	for i, sym := range symbols {
		s, err := o.readOne(ctx, h, sym, end, days)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("marketdata: reading broker history: %w", ctx.Err())
			}
			errs = append(errs, err)
		} else {
			out[sym] = s
		}
		if progress != nil {
			progress(i+1, len(symbols), sym)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (o Options) readOne(ctx context.Context, h History, sym string, end time.Time, days int) (Series, error) {
	c, err := h.ResolveStock(ctx, sym)
	if err != nil {
		return Series{}, &BrokerError{Symbol: sym, Err: err}
	}
	raw, err := h.DailyBars(ctx, c, end, days)
	if err != nil {
		return Series{}, &BrokerError{Symbol: sym, Err: err}
	}
	if len(raw) == 0 {
		return Series{}, &BrokerError{Symbol: sym, Err: fmt.Errorf("%w: the broker returned no bars", ErrEmpty)}
	}
	bars := make([]Bar, len(raw))
	for i, r := range raw {
		b := Bar{Date: dayOf(r.Date), Open: r.Open, High: r.High, Low: r.Low, Close: r.Close, AdjClose: r.Close, Volume: r.Volume}
		fail := func(err error) (Series, error) { return Series{}, &BrokerError{Symbol: sym, Date: b.Date, Err: err} }
		for _, v := range [...]float64{b.Open, b.High, b.Low, b.Close} {
			if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return fail(fmt.Errorf("%w: price %g is not a positive finite number", ErrBadPrice, v))
			}
		}
		if _, err := checkRange(b, o.PriceTolerance); err != nil {
			return fail(err)
		}
		if i > 0 {
			prev := bars[i-1]
			switch c := b.Date.Compare(prev.Date); {
			case c == 0:
				return fail(fmt.Errorf("%w: the broker sent this date twice", ErrDuplicateDate))
			case c < 0:
				return fail(fmt.Errorf("%w: it comes after %s", ErrUnsorted, prev.Date.Format(time.DateOnly)))
			}
			if err := checkMove("close", b.Close, prev.Close, prev.Date.Format(time.DateOnly), o.MaxDailyMove); err != nil {
				return fail(err)
			}
		}
		bars[i] = b
	}
	return Series{Symbol: sym, Bars: bars}, nil
}
