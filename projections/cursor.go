package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a listing ordered by a time, then an id (the
// escalation queue by raised time, the inbox by last activity). The zero
// Cursor is the start.
type Cursor struct {
	At time.Time
	ID string
}

// IsZero reports whether c is the start of a listing.
func (c Cursor) IsZero() bool { return c.At.IsZero() && c.ID == "" }

// String encodes c for a URL: unix microseconds, a dot, the id. The zero
// cursor is the empty string.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.ID
}

// ParseCursor decodes a cursor made by Cursor.String. The empty string is
// the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	micros, id, ok := strings.Cut(s, ".")
	if !ok || id == "" {
		return Cursor{}, fmt.Errorf("cursor %q: want <micros>.<id>", s)
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, err)
	}
	return Cursor{At: time.UnixMicro(us).UTC(), ID: id}, nil
}
