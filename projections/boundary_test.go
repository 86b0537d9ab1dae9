package projections

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// forbidden matches names that would hold content or identify a client.
// The projection is the managers' view: it must not be able to hold them.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|pseudonym|client|text|content`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[Counts](), reflect.TypeFor[DayFigures](), reflect.TypeFor[Figures](),
	reflect.TypeFor[Histogram](), reflect.TypeFor[Hour](), reflect.TypeFor[MemoryStore](),
	reflect.TypeFor[Metric](), reflect.TypeFor[PendingAck](), reflect.TypeFor[PendingReply](),
	reflect.TypeFor[Progress](), reflect.TypeFor[Projection](), reflect.TypeFor[Quantiles](),
	reflect.TypeFor[Report](), reflect.TypeFor[ResponseTimes](), reflect.TypeFor[Runner](),
	reflect.TypeFor[SQLStore](), reflect.TypeFor[Store](), reflect.TypeFor[Tx](),
	reflect.TypeFor[Log](), reflect.TypeFor[Querier](), reflect.TypeFor[Snapshot](), reflect.TypeFor[Scratch](),
	reflect.TypeFor[Batcher](), reflect.TypeFor[Decoded](),
}

func TestNoContentFields(t *testing.T) {
	t.Parallel()
	seen := map[reflect.Type]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		if seen[ty] || ty.PkgPath() != "" && ty.PkgPath() != reflect.TypeFor[Hour]().PkgPath() {
			return // other packages' types (time.Time, pgxpool.Pool, ...) are not ours
		}
		seen[ty] = true
		if forbidden.MatchString(ty.Name()) {
			t.Errorf("type %s is named like content", path)
		}
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if forbidden.MatchString(f.Name) {
					t.Errorf("field %s.%s could hold content or a client identifier", path, f.Name)
				}
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Array, reflect.Slice, reflect.Pointer, reflect.Map:
			walk(path, ty.Elem())
		}
	}
	for _, ty := range exportedTypes {
		walk(ty.Name(), ty)
	}

	// The list above must name every exported type in the package.
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared, listed []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for name, obj := range f.Scope.Objects {
				if obj.Kind == ast.Typ && ast.IsExported(name) {
					declared = append(declared, name)
				}
			}
		}
	}
	for _, ty := range exportedTypes {
		listed = append(listed, ty.Name())
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if !reflect.DeepEqual(declared, listed) {
		t.Fatalf("exported types %v, test lists %v", declared, listed)
	}
}

func TestNoContentColumns(t *testing.T) {
	t.Parallel()
	pool := migratedPool(t)
	rows, err := pool.Query(context.Background(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var table, column string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&table, &column}, func() error {
		n++
		if forbidden.MatchString(table) || forbidden.MatchString(column) {
			t.Errorf("column %s.%s could hold content or a client identifier", table, column)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("only %d columns seen: is the schema migrated?", n)
	}
}
