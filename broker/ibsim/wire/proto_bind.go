package wire

import (
	"errors"
	"sort"
	"strconv"

	"github.com/scmhub/ibapi"
)

// binder copies fields between an ibapi value and its protobuf counterpart.
// One mapping function per type lists every field once and serves both
// directions, so encoding and decoding cannot drift apart.
//
// Encoding (dec false) follows the official clients' rule, which ibapi's
// createXxxProto functions copy: a field is present only when it holds a
// value (a non-empty string, a number other than the UNSET sentinels, a true
// bool). Decoding starts from the ibapi constructor's defaults (NewOrder,
// NewContract, NewExecutionFilter): an absent number keeps its default,
// which is the UNSET sentinel wherever ibapi would have left it out and
// also right for clients that leave zeros out (the recorded official
// client omits a zero clientId in the execution filter); an absent string
// is empty and an absent bool false, since clients send only true flags
// (so a default of true, Transmit, must not survive). Encoded messages
// point into the ibapi value; they are marshaled before the call returns.
type binder struct {
	dec   bool
	field string // the first field that failed to decode
	err   error
}

func (b *binder) fail(field string, err error) {
	if b.err == nil {
		b.field, b.err = field, err
	}
}

func (b *binder) str(v *string, p **string) {
	if b.dec {
		*v = ""
		if *p != nil {
			*v = **p
		}
		return
	}
	if *v != "" {
		*p = v
	}
}

func (b *binder) bool(v *bool, p **bool) {
	if b.dec {
		*v = *p != nil && **p
		return
	}
	if *v {
		*p = v
	}
}

func (b *binder) f64(v *float64, p **float64) {
	if b.dec {
		if *p != nil {
			*v = **p
		}
		return
	}
	if *v != ibapi.UNSET_FLOAT {
		*p = v
	}
}

func (b *binder) i64(v *int64, p **int64) {
	if b.dec {
		if *p != nil {
			*v = **p
		}
		return
	}
	if validInt(*v) {
		*p = v
	}
}

// bindI32 binds an int64-based ibapi field to an int32 protobuf field.
func bindI32[T ~int64](b *binder, v *T, p **int32) {
	if b.dec {
		if *p != nil {
			*v = T(**p)
		}
		return
	}
	if validInt(int64(*v)) {
		x := int32(*v)
		*p = &x
	}
}

func validInt(i int64) bool { return i != ibapi.UNSET_INT && i != ibapi.UNSET_LONG }

// decimal binds a quantity, which protobuf carries as a decimal string.
func (b *binder) decimal(field string, v *ibapi.Decimal, p **string) {
	if b.dec {
		if *p != nil && **p != "" {
			d, err := ibapi.StringToDecimalErr(**p)
			if err != nil {
				b.fail(field, err)
				return
			}
			*v = d
		}
		return
	}
	if *v != ibapi.UNSET_DECIMAL {
		s := ibapi.DecimalToString(*v)
		*p = &s
	}
}

// tagValues binds a tag/value list to a protobuf map. A map has no order, so
// decoding sorts the tags to stay deterministic.
func (b *binder) tagValues(v *[]ibapi.TagValue, p *map[string]string) {
	if b.dec {
		*v = nil
		if len(*p) == 0 {
			return
		}
		keys := make([]string, 0, len(*p))
		for k := range *p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			*v = append(*v, ibapi.TagValue{Tag: k, Value: (*p)[k]})
		}
		return
	}
	if len(*v) == 0 {
		return
	}
	m := make(map[string]string, len(*v))
	for _, tv := range *v {
		m[tv.Tag] = tv.Value
	}
	*p = m
}

// multiplier binds the contract multiplier: a string in ibapi, a double in
// protobuf. A multiplier that is not a number is not sent, as in ibapi.
func (b *binder) multiplier(v *string, p **float64) {
	if b.dec {
		*v = ""
		if *p != nil {
			*v = strconv.FormatFloat(**p, 'f', -1, 64)
		}
		return
	}
	if *v == "" {
		return
	}
	if f, err := strconv.ParseFloat(*v, 64); err == nil {
		*p = &f
	}
}

// errUnknownCondition is the cause of a DecodeError for an order condition
// of a type ibapi does not know.
var errUnknownCondition = errors.New("wire: unknown order condition type")

// ptr returns a pointer to a copy of x, for values computed on the fly.
func ptr[T any](x T) *T { return &x }
