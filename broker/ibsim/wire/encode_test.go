package wire

import (
	"reflect"
	"testing"

	"github.com/scmhub/ibapi"
)

// encoderCases encodes one sample of every message and checks what the
// library decoder reports. It runs at every version in range.
func encoderCases() []struct {
	name  string
	frame func(e Encoder) []byte
	check func(t *testing.T, v Version, r *recorder)
} {
	type tc = struct {
		name  string
		frame func(e Encoder) []byte
		check func(t *testing.T, v Version, r *recorder)
	}
	want := func(t *testing.T, r *recorder, name string, args ...any) {
		t.Helper()
		c, ok := r.find(name)
		if !ok {
			t.Fatalf("no %s callback; got %v", name, r.calls)
		}
		for i, a := range args {
			if a == nil {
				continue
			}
			if !reflect.DeepEqual(c.args[i], a) {
				t.Errorf("%s arg %d = %#v, want %#v", name, i, c.args[i], a)
			}
		}
	}
	return []tc{
		{"ManagedAccounts", func(e Encoder) []byte { return e.ManagedAccounts([]string{"DU1", "DU2"}) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "ManagedAccounts", []string{"DU1", "DU2"}) }},
		{"NextValidID", func(e Encoder) []byte { return e.NextValidID(683) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "NextValidID", int64(683)) }},
		{"Error", func(e Encoder) []byte { return e.Error(7, 201, "Order rejected", `{"x":1}`, sampleTime) },
			func(t *testing.T, v Version, r *recorder) {
				var at, adv any = int64(0), ""
				if int(v) >= ibapi.MIN_SERVER_VER_ERROR_TIME {
					at = sampleTime.UnixMilli()
				}
				if int(v) >= ibapi.MIN_SERVER_VER_ADVANCED_ORDER_REJECT {
					adv = `{"x":1}`
				}
				want(t, r, "Error", int64(7), at, int64(201), "Order rejected", adv)
			}},
		{"CurrentTime", func(e Encoder) []byte { return e.CurrentTime(sampleTime) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "CurrentTime", sampleTime.Unix()) }},
		{"CurrentTimeInMillis", func(e Encoder) []byte { return e.CurrentTimeInMillis(sampleTime) },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "CurrentTimeInMillis", sampleTime.UnixMilli())
			}},
		{"MarketDataType", func(e Encoder) []byte { return e.MarketDataType(5, 3) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "MarketDataType", int64(5), int64(3)) }},
		{"ContractData", func(e Encoder) []byte { return e.ContractData(9, sampleContractDetails()) },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "ContractDetails", int64(9))
				c, _ := r.find("ContractDetails")
				d := c.args[1].(*ibapi.ContractDetails)
				if d.Contract.LastTradeDateOrContractMonth != "20250620" || d.Contract.Multiplier != "50" ||
					d.Contract.LocalSymbol != "ESM5" || d.MinTick != 0.25 || d.Contract.ConID != 620731015 {
					t.Errorf("ContractDetails = %+v", d)
				}
				// From MIN_SERVER_VER_ENCODE_MSG_ASCII7 scmhub/ibapi unquotes
				// fmt.Sprint of the raw []byte, which garbles every long name
				// (a library bug, equally visible with TWS); check below it.
				if int(v) < ibapi.MIN_SERVER_VER_ENCODE_MSG_ASCII7 && d.LongName != "E-mini S&P 500" {
					t.Errorf("ContractDetails = %+v", d)
				}
			}},
		{"ContractDataEnd", func(e Encoder) []byte { return e.ContractDataEnd(9) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "ContractDetailsEnd", int64(9)) }},
		{"OpenOrder", func(e Encoder) []byte { c, o, s := sampleOpenOrder(); return e.OpenOrder(7, c, o, s) },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "OpenOrder", int64(7))
				c, _ := r.find("OpenOrder")
				ct, o, s := c.args[1].(*ibapi.Contract), c.args[2].(*ibapi.Order), c.args[3].(*ibapi.OrderState)
				if o.OrderRef != "rotor-42" || o.PermID != 2126726143 || o.ClientID != 3 || o.LmtPrice != 5800.25 ||
					o.TotalQuantity != ibapi.StringToDecimal("2") || o.Action != "BUY" || o.OrderType != "LMT" || o.Account != "DU1234567" {
					t.Errorf("order = %v", o)
				}
				if ct.LocalSymbol != "ESM5" || ct.ConID != 620731015 || ct.Multiplier != "50" {
					t.Errorf("contract = %v", ct)
				}
				if s.Status != "Submitted" {
					t.Errorf("state = %v", s)
				}
			}},
		{"OpenOrderEnd", func(e Encoder) []byte { return e.OpenOrderEnd() },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "OpenOrderEnd") }},
		{"OrderStatus", func(e Encoder) []byte {
			return e.OrderStatus(7, "Filled", ibapi.StringToDecimal("2"), ibapi.StringToDecimal("0"), 5800.25, 2126726143, 0, 5800.25, 3, "", 0)
		}, func(t *testing.T, v Version, r *recorder) {
			want(t, r, "OrderStatus", int64(7), "Filled", ibapi.StringToDecimal("2"), ibapi.StringToDecimal("0"), 5800.25, int64(2126726143), int64(0), 5800.25, int64(3), "", 0.0)
		}},
		{"ExecDetails", func(e Encoder) []byte { return e.ExecDetails(-1, futContract(), sampleExecution()) },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "ExecDetails", int64(-1))
				c, _ := r.find("ExecDetails")
				x := c.args[2].(*ibapi.Execution)
				if x.OrderRef != "rotor-42" || x.ExecID != "0001f4e5.58bbad52.01.01" || x.Price != 5800.25 || x.OrderID != 7 || x.PermID != 2126726143 {
					t.Errorf("execution = %v", x)
				}
			}},
		{"ExecDetailsEnd", func(e Encoder) []byte { return e.ExecDetailsEnd(4) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "ExecDetailsEnd", int64(4)) }},
		{"CommissionReport", func(e Encoder) []byte {
			return e.CommissionReport(ibapi.CommissionAndFeesReport{ExecID: "e1", CommissionAndFees: 2.5, Currency: "USD", RealizedPNL: ibapi.UNSET_FLOAT, Yield: ibapi.UNSET_FLOAT})
		}, func(t *testing.T, v Version, r *recorder) {
			// TWS leaves unset figures out of the protobuf form (recorded at
			// 225) and ibapi reads an absent one as 0.
			unset := ibapi.UNSET_FLOAT
			if (Encoder{V: v}).pb(ibapi.COMMISSION_AND_FEES_REPORT) {
				unset = 0
			}
			want(t, r, "CommissionAndFeesReport", ibapi.CommissionAndFeesReport{ExecID: "e1", CommissionAndFees: 2.5, Currency: "USD", RealizedPNL: unset, Yield: unset})
		}},
		{"CompletedOrdersEnd", func(e Encoder) []byte { return e.CompletedOrdersEnd() },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "CompletedOrdersEnd") }},
		{"Position", func(e Encoder) []byte { return e.Position("DU1", futContract(), ibapi.StringToDecimal("-3"), 290012.5) },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "Position", "DU1", nil, ibapi.StringToDecimal("-3"), 290012.5)
			}},
		{"PositionEnd", func(e Encoder) []byte { return e.PositionEnd() },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "PositionEnd") }},
		{"AccountSummary", func(e Encoder) []byte { return e.AccountSummary(3, "DU1", "NetLiquidation", "100000.00", "USD") },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "AccountSummary", int64(3), "DU1", "NetLiquidation", "100000.00", "USD")
			}},
		{"AccountSummaryEnd", func(e Encoder) []byte { return e.AccountSummaryEnd(3) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "AccountSummaryEnd", int64(3)) }},
		{"UpdateAccountValue", func(e Encoder) []byte { return e.UpdateAccountValue("CashBalance", "5000", "USD", "DU1") },
			func(t *testing.T, v Version, r *recorder) {
				want(t, r, "UpdateAccountValue", "CashBalance", "5000", "USD", "DU1")
			}},
		{"UpdatePortfolio", func(e Encoder) []byte {
			return e.UpdatePortfolio(futContract(), ibapi.StringToDecimal("1"), 5801, 290050, 290012.5, 37.5, 0, "DU1")
		}, func(t *testing.T, v Version, r *recorder) {
			want(t, r, "UpdatePortfolio", nil, ibapi.StringToDecimal("1"), 5801.0, 290050.0, 290012.5, 37.5, 0.0, "DU1")
		}},
		{"UpdateAccountTime", func(e Encoder) []byte { return e.UpdateAccountTime(sampleTime) },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "UpdateAccountTime", "12:34") }},
		{"AccountDownloadEnd", func(e Encoder) []byte { return e.AccountDownloadEnd("DU1") },
			func(t *testing.T, v Version, r *recorder) { want(t, r, "AccountDownloadEnd", "DU1") }},
	}
}

func TestEncodersAllVersions(t *testing.T) {
	for v := MinVersion; v <= MaxVersion; v++ {
		e := Encoder{V: v}
		for _, c := range encoderCases() {
			frame := c.frame(e)
			var rec *recorder
			if isProtoFrame(v, frame) {
				rec = checkProtoFrame(t, v, c.name, frame)
				t.Run(c.name, func(t *testing.T) {
					if !t.Run(itoa(int(v)), func(t *testing.T) { c.check(t, v, rec) }) {
						t.FailNow()
					}
				})
				continue
			}
			// positionEnd: TWS sends ["62","1"] (captures confirm) and the
			// Java decoder reads that VERSION; scmhub's ignores it, so the
			// extra-field probe cannot apply.
			if len(splitFields(frame[4:])) > 1 && c.name != "PositionEnd" {
				rec = checkExact(t, v, frame)
			} else {
				var err error
				if rec, err = ibDecode(t, v, frame); err != nil {
					t.Fatalf("%s v%d: %v", c.name, v, err)
				}
			}
			t.Run(c.name, func(t *testing.T) {
				if !t.Run(itoa(int(v)), func(t *testing.T) { c.check(t, v, rec) }) {
					t.FailNow()
				}
			})
		}
	}
}

func TestHistoricalDataAllVersions(t *testing.T) {
	bars := sampleBars()
	for v := MinVersion; v <= MaxVersion; v++ {
		out := Encoder{V: v}.HistoricalData(11, "20250401 00:00:00", "20250403 00:00:00", bars)
		rec, err := ibDecode(t, v, out)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		got := rec.all("HistoricalData")
		if len(got) != len(bars) {
			t.Fatalf("v%d: %d bars, want %d", v, len(got), len(bars))
		}
		for i, c := range got {
			if b := c.args[1].(ibapi.Bar); !reflect.DeepEqual(b, bars[i]) {
				t.Errorf("v%d bar %d = %v, want %v", v, i, b, bars[i])
			}
		}
		end, ok := rec.find("HistoricalDataEnd")
		if !ok || end.args[1] != "20250401 00:00:00" || end.args[2] != "20250403 00:00:00" {
			t.Errorf("v%d: HistoricalDataEnd = %v", v, end)
		}
		frames := 1
		if int(v) >= ibapi.MIN_SERVER_VER_HISTORICAL_DATA_END {
			frames = 2
		}
		if n := countFrames(out); n != frames {
			t.Errorf("v%d: %d frames, want %d", v, n, frames)
		}
	}
}

func countFrames(b []byte) int {
	n := 0
	for len(b) >= 4 {
		l := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		b = b[4+l:]
		n++
	}
	return n
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}
