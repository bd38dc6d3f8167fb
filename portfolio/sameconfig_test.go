package portfolio

import (
	"math"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// TestSameConfigCoversEveryField fails when SleeveConfig gains a field,
// so that sameConfig, which Plan trusts to skip a marshal, is updated (and
// appendJSON, which TestCanonicalJSONIsMarshal holds to json.Marshal).
func TestSameConfigCoversEveryField(t *testing.T) {
	var leaves []string
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(decimal.Decimal{}) {
				walk(prefix+f.Name+".", f.Type)
				continue
			}
			leaves = append(leaves, prefix+f.Name)
		}
	}
	walk("", reflect.TypeOf(SleeveConfig{}))
	want := []string{"Share", "Leverage.Leadership", "Leverage.Neutral", "Leverage.Lagging", "Short.Kind", "Short.N", "Short.Ratio",
		"VolTarget", "VolWindow", "DriftBand", "RollDays", "OrderType", "Collar", "TIF"}
	if !reflect.DeepEqual(leaves, want) {
		t.Fatalf("SleeveConfig's fields are %v, sameConfig compares %v: update sameConfig, appendJSON and this list", leaves, want)
	}
}

// TestSameConfigImpliesSameJSON checks sameConfig against the canonical
// JSON over configs that differ in one field, or only in how a value is
// written.
func TestSameConfigImpliesSameJSON(t *testing.T) {
	base := DefaultSleeve()
	variants := []func(*SleeveConfig){
		func(c *SleeveConfig) {},
		func(c *SleeveConfig) { c.Share = decimal.RequireFromString("0.250") },
		func(c *SleeveConfig) { c.Share = decimal.RequireFromString("0.3") },
		func(c *SleeveConfig) { c.Leverage.Leadership = decimal.RequireFromString("2.5") },
		func(c *SleeveConfig) { c.Leverage.Neutral = decimal.RequireFromString("0.50") },
		func(c *SleeveConfig) { c.Leverage.Lagging = decimal.RequireFromString("0.1") },
		func(c *SleeveConfig) {
			c.Short = ShortLeg{Kind: ShortWeakestSectors, N: 2, Ratio: decimal.RequireFromString("0.5")}
		},
		func(c *SleeveConfig) { c.Short.N = 1 },
		func(c *SleeveConfig) { c.Short.Ratio = decimal.RequireFromString("0.00") },
		func(c *SleeveConfig) { c.VolTarget = 0.25 },
		func(c *SleeveConfig) { c.VolTarget = 0 },
		func(c *SleeveConfig) { c.VolTarget = math.Copysign(0, -1) },
		func(c *SleeveConfig) { c.VolWindow = 21 },
		func(c *SleeveConfig) { c.DriftBand = decimal.RequireFromString("0.1") },
		func(c *SleeveConfig) { c.RollDays = 4 },
		func(c *SleeveConfig) { c.OrderType = broker.Limit },
		func(c *SleeveConfig) { c.Collar = decimal.RequireFromString("0.02") },
		func(c *SleeveConfig) { c.TIF = broker.GTC },
	}
	for i, a := range variants {
		for j, b := range variants {
			x, y := base, base
			a(&x)
			b(&y)
			sameJSON := string(x.CanonicalJSON()) == string(y.CanonicalJSON())
			if sameConfig(x, y) && !sameJSON {
				t.Fatalf("variants %d and %d: sameConfig true, but the JSON differs:\n%s\n%s", i, j, x.CanonicalJSON(), y.CanonicalJSON())
			}
			if i == j && !sameConfig(x, y) {
				t.Fatalf("variant %d: sameConfig false for equal configs", i)
			}
		}
	}
	if !sameConfig(base, DefaultSleeve()) {
		t.Fatal("sameConfig(DefaultSleeve(), DefaultSleeve()) = false, want true")
	}
}
