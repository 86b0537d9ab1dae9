package projections

import "fmt"

// One is a store's Get, over memory or SQL: row when the read found it,
// or else an error naming what and id that wraps the read model's
// notFound; a read that failed (err) returns its error as it is.
func One[R any](row R, found bool, err error, what, id string, notFound error) (R, error) {
	var zero R
	switch {
	case err != nil:
		return zero, err
	case !found:
		return zero, fmt.Errorf("%s %s: %w", what, id, notFound)
	}
	return row, nil
}
