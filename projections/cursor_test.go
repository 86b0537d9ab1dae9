package projections_test

import (
	"fmt"
	"time"

	"github.com/helpline-org/helpline/projections"
)

// A cursor travels in a URL and reads back as the same position; the
// start of a listing is the empty string.
func ExampleParseCursor() {
	c := projections.Cursor{At: time.Date(2026, 3, 2, 10, 0, 0, 5000, time.UTC), ID: "esc1"}
	back, err := projections.ParseCursor(c.String())
	fmt.Println(c.String(), back.At.Equal(c.At) && back.ID == c.ID, err)
	start, err := projections.ParseCursor("")
	fmt.Println(start.IsZero(), err, fmt.Sprintf("%q", projections.Cursor{}.String()))
	_, err = projections.ParseCursor("yesterday")
	fmt.Println(err)
	// Output:
	// 1772445600000005.esc1 true <nil>
	// true <nil> ""
	// cursor "yesterday": want <micros>.<id>
}
