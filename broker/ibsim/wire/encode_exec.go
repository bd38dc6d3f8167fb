package wire

import (
	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// ExecDetails reports a fill, live (reqID -1) or in answer to
// reqExecutions. Before MIN_SERVER_VER_LAST_LIQUIDITY it has a VERSION
// field. The order id is x.OrderID.
func (e Encoder) ExecDetails(reqID int64, c *ibapi.Contract, x *ibapi.Execution) []byte {
	if e.pb(ibapi.EXECUTION_DATA) {
		return e.pbExecDetails(reqID, c, x)
	}
	v := e.v()
	w := newWriter(v, ibapi.EXECUTION_DATA, 320)
	if v < ibapi.MIN_SERVER_VER_LAST_LIQUIDITY {
		w.int(versionExecutionData)
	}
	w.int(reqID)
	w.int(x.OrderID)
	w.contract(c)
	w.str(x.ExecID)
	w.str(x.Time)
	w.str(x.AcctNumber)
	w.str(x.Exchange)
	w.str(x.Side)
	w.decimal(x.Shares)
	w.float(x.Price)
	w.int(x.PermID)
	w.int(x.ClientID)
	w.int(x.Liquidation)
	w.decimal(x.CumQty)
	w.float(x.AvgPrice)
	w.str(x.OrderRef)
	w.str(x.EVRule)
	// TWS prints an unset multiplier as an empty field; ibapi cannot tell
	// unset from 0, so 0 is printed empty too.
	if x.EVMultiplier == 0 || x.EVMultiplier == ibapi.UNSET_FLOAT {
		w.str("")
	} else {
		w.float(x.EVMultiplier)
	}
	if v >= ibapi.MIN_SERVER_VER_MODELS_SUPPORT {
		w.str(x.ModelCode)
	}
	if v >= ibapi.MIN_SERVER_VER_LAST_LIQUIDITY {
		w.int(x.LastLiquidity)
	}
	if v >= ibapi.MIN_SERVER_VER_PENDING_PRICE_REVISION {
		w.bool(x.PendingPriceRevision)
	}
	if v >= ibapi.MIN_SERVER_VER_SUBMITTER {
		w.str(x.Submitter)
	}
	return w.frame()
}

// ExecDetailsEnd ends an answer to reqExecutions.
func (e Encoder) ExecDetailsEnd(reqID int64) []byte {
	if e.pb(ibapi.EXECUTION_DATA_END) {
		return protoFrame(ibapi.EXECUTION_DATA_END, &protobuf.ExecutionDetailsEnd{ReqId: reqID32(reqID)})
	}
	return e.simple(ibapi.EXECUTION_DATA_END, reqID)
}

// CommissionReport follows each execution with its commission. Unset
// realized P&L and yield print as Double.MAX_VALUE, an unset redemption
// date (0) as an empty field, as TWS does.
func (e Encoder) CommissionReport(r ibapi.CommissionAndFeesReport) []byte {
	if e.pb(ibapi.COMMISSION_AND_FEES_REPORT) {
		return e.pbCommissionReport(r)
	}
	w := newWriter(e.v(), ibapi.COMMISSION_AND_FEES_REPORT, 96)
	w.int(versionCommissionRepor)
	w.str(r.ExecID)
	w.float(r.CommissionAndFees)
	w.str(r.Currency)
	w.float(r.RealizedPNL)
	w.float(r.Yield)
	if r.YieldRedemptionDate == 0 {
		w.str("")
	} else {
		w.int(r.YieldRedemptionDate)
	}
	return w.frame()
}
